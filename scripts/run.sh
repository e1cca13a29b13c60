#!/usr/bin/env bash
# One command to set up and run Atelier on Debian 12: dependencies, build,
# a local Redis with its data in var/redis, then the server in the foreground.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${ATELIER_PORT:-8080}
REDIS_PORT=${ATELIER_REDIS_PORT:-6379}
scripts/deps.sh
scripts/build.sh
scripts/redis.sh "$REDIS_PORT" var/redis
echo
echo "  Atelier is starting: open http://127.0.0.1:$PORT/"
echo "  (Redis data in var/redis; stop with Ctrl-C)"
echo
exec build/atelier --port "$PORT" --redis "redis://127.0.0.1:$REDIS_PORT" --web-root web-client/dist "$@"
