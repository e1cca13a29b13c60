#!/usr/bin/env bash
# Runs every test: unit (Check), the same under ASan+UBSan, the web client's
# unit tests, integration (real Redis, real server, real WebSocket clients)
# and browser tests (Debian's Chromium). Installs what is missing first.
#   ATELIER_TEST_REDIS_PORT  use this Redis for tests that do not restart Redis
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
step "integration tests" node --test --test-concurrency=1 tests/integration/
if [ "${ATELIER_SKIP_BROWSER:-0}" != 1 ] && [ -d tests/browser ] && ls tests/browser/*.test.js >/dev/null 2>&1; then
  step "browser tests" node --test --test-concurrency=1 tests/browser/
fi

echo
if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED: ${failed[*]}"
  exit 1
fi
echo "all test suites passed"
