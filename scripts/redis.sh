#!/usr/bin/env bash
# Starts a Redis for Atelier with its data in the project (var/redis), unless one
# already answers on that port. Usage: scripts/redis.sh [port] [dir]
set -euo pipefail
cd "$(dirname "$0")/.."
port=${1:-6379}
dir=${2:-var/redis}
if redis-cli -p "$port" ping >/dev/null 2>&1; then exit 0; fi
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
# AOF on: every acknowledged edit is in the append-only file. everysec bounds
# what a machine crash loses to about the last second (a crash of Redis or of
# Atelier loses nothing acknowledged); set ATELIER_FSYNC=always to fsync every
# write (README, "Durability").
redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --appendonly yes \
  --appendfsync "${ATELIER_FSYNC:-everysec}" --save "" --daemonize yes \
  --pidfile "$dir/redis.pid" --logfile "$dir/redis.log"
for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && exit 0; sleep 0.1; done
echo "redis did not start on port $port; see $dir/redis.log" >&2
exit 1
