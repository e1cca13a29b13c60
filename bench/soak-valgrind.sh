#!/usr/bin/env bash
# bench/soak-valgrind.sh -- the soak's 2-minute version with the server under
# valgrind (issue 14, item 11): bench/soak.sh 120 with
# `valgrind --error-exitcode=99 --leak-check=full` around each server process
# (the first is stopped with SIGTERM at the restart, the second at the end, so
# both print their leak summary, in $OUT/valgrind-1.log and -2.log). Its own
# ports (6417, 8617) so that it can run beside a soak. Exit code 99 when
# valgrind found an error or a leak, else the load tool's.
#
#   bench/soak-valgrind.sh [SECONDS]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export SERVER_WRAP="valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,possible"
export SOAK_REDIS_PORT=${SOAK_REDIS_PORT:-6417} SOAK_SERVER_PORT=${SOAK_SERVER_PORT:-8617}
export RSS_WARMUP=${RSS_WARMUP:-30} # RSS under valgrind is valgrind's: reported, not judged
export OUT=${OUT:-$ROOT/bench/soak-out/valgrind-$(date +%Y%m%d-%H%M%S)}
exec "$ROOT/bench/soak.sh" "${1:-120}"
