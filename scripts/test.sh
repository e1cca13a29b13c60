#!/usr/bin/env bash
# Runs every test: unit (Check), the same under ASan+UBSan, the web client's
# unit tests, integration (real Redis, real server, real WebSocket clients;
# then a part of it again with the server under ASan+UBSan) and browser tests
# (Debian's Chromium). Installs what is missing first.
#   ATELIER_TEST_REDIS_PORT  use this Redis for the integration tests that do not restart Redis
#                            (the browser tests, run beside them, start their own)
#   ATELIER_SKIP_ASAN=1      skip the sanitizer build (quicker local runs)
#   ATELIER_SKIP_BROWSER=1   skip the browser tests
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh --with-browser
scripts/build.sh

failed=()
step() { # name, command...
  local name=$1; shift
  echo; echo "=== $name"
  if "$@"; then echo "=== $name: ok"; else echo "=== $name: FAILED"; failed+=("$name"); fi
}

step "unit tests" ctest --test-dir build --output-on-failure
if [ "${ATELIER_SKIP_ASAN:-0}" != 1 ]; then
  asan_build() {
    cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DATELIER_SANITIZE=ON -DATELIER_BENCH=OFF >/dev/null &&
    cmake --build build-asan -j"$(nproc)" &&
    ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      ctest --test-dir build-asan --output-on-failure
  }
  step "unit tests (ASan+UBSan)" asan_build
fi
if [ -d web-client/test ]; then step "web client unit tests" node --test web-client/test/; fi
# The integration and the browser tests run side by side, each file after
# the other within each: both spend most of their time waiting (on timers,
# the network, the processes they start), not on the cores. The browser tests
# get their own Redis (each file starts one): the integration tests' scans of
# the shared one see only their own workshops. Each one's output is printed
# whole when both are done.
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
logged() { # name, command...
  local name=$1; shift
  if "$@" >"$logs/$name.log" 2>&1; then echo ok >"$logs/$name.rc"; else echo FAILED >"$logs/$name.rc"; fi
}
report() { # name
  echo; echo "=== $1 tests"
  cat "$logs/$1.log"
  echo "=== $1 tests: $(cat "$logs/$1.rc")"
  [ "$(cat "$logs/$1.rc")" = ok ] || failed+=("$1 tests")
}
# The server under ASan+UBSan, driven by the integration files that reach
# every kind of request (ops, polls of each kind, the board, sign-off, agenda,
# roles and observers, exports, broadcasts and cut-short writes): the unit
# tests alone never load a room. A sanitizer report aborts the server, and
# the harness fails a file whose server did not exit cleanly (leaks included).
ASAN_INTEGRATION="convergence polls polls-organisations poll-rank board discuss series signoff agenda roles observers
  history-export exports-office broadcast partial-write"
integration() {
  node --test --test-concurrency=1 tests/integration/ || return 1
  [ "${ATELIER_SKIP_ASAN:-0}" = 1 ] && return 0
  echo; echo "--- the same server under ASan+UBSan: $(echo $ASAN_INTEGRATION)"
  local files=()
  for f in $ASAN_INTEGRATION; do files+=("tests/integration/$f.test.js"); done
  ATELIER_BIN=build-asan/atelier ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    node --test --test-concurrency=1 "${files[@]}"
}
logged integration integration &
browser=0
if [ "${ATELIER_SKIP_BROWSER:-0}" != 1 ] && [ -d tests/browser ] && ls tests/browser/*.test.js >/dev/null 2>&1; then
  browser=1
  logged browser env -u ATELIER_TEST_REDIS_PORT node --test --test-concurrency=1 tests/browser/ &
fi
wait
report integration
if [ "$browser" = 1 ]; then report browser; fi

echo
if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED: ${failed[*]}"
  exit 1
fi
echo "all test suites passed"
