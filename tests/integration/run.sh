#!/bin/sh
# Runs the integration suite from anywhere. The files start their own Redis
# and server processes; one file at a time keeps a 2-core machine responsive.
#   ATELIER_BIN=build-it/atelier tests/integration/run.sh
#   ATELIER_TEST_REDIS_PORT=6379 tests/integration/run.sh   # use a running Redis
#   tests/integration/run.sh tests/integration/crash.test.js # one file
set -e
cd "$(dirname "$0")/../.."
if [ "$#" -eq 0 ]; then set -- tests/integration/; fi
exec node --test --test-concurrency=1 "$@"
