#!/usr/bin/env bash
# bench/idle-pair.sh -- memory per idle connection, one fresh server per run,
# measured by `atelier-load --mode idle` (C) and by bench/idle-ws.js (Node `ws`),
# so that both clients see the same build from the same starting point
# (issue 17, item 2; bench/README.md, "Memory per connection").
#
#   bench/idle-pair.sh SERVER_BIN c  [atelier-load args...]   e.g. --clients 10000
#   bench/idle-pair.sh SERVER_BIN ws [idle-ws.js args...]     e.g. --clients 10000 --deflate on
#
# IP_REDIS_PORT / IP_SERVER_PORT choose the ports (default 6403 / 8403),
# IP_SERVER_ARGS adds server flags. Run it under `flock /tmp/bench.lock`.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$1
CLIENT=$2
shift 2
RPORT=${IP_REDIS_PORT:-6403}
SPORT=${IP_SERVER_PORT:-8403}
ulimit -n "$(ulimit -Hn)"
D=$(mktemp -d /tmp/atelier-idle.XXXXXX)
redis-server --port "$RPORT" --bind 127.0.0.1 --dir "$D" --appendonly no --save '' --logfile "$D/redis.log" &
RP=$!
for _ in $(seq 50); do redis-cli -p "$RPORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
redis-cli -p "$RPORT" flushall >/dev/null
# shellcheck disable=SC2086 # IP_SERVER_ARGS: several flags
"$BIN" --port "$SPORT" --redis "redis://127.0.0.1:$RPORT" --log-level warn --rate 100000 --burst 100000 \
    --max-connections 1000000 --max-connections-per-ip 1000000 --join-rate 1000000 --create-rate 1000000 \
    ${IP_SERVER_ARGS:-} >"$D/server.log" 2>&1 &
SP=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$SPORT/healthz" >/dev/null && break; sleep 0.1; done
echo "load average $(cut -d' ' -f1 /proc/loadavg); server $("$BIN" --version 2>/dev/null || echo "$BIN")"
rc=0
case "$CLIENT" in
  c)  "${LOAD:-$ROOT/build/atelier-load}" --mode idle --url "127.0.0.1:$SPORT" --server-pid "$SP" --duration 3 "$@" |
        grep -E '^(joined|server RSS|RESULT)' || rc=$? ;;
  ws) node "$ROOT/bench/idle-ws.js" --url "http://127.0.0.1:$SPORT" --server-pid "$SP" "$@" || rc=$? ;;
  *)  echo "client: c or ws" >&2; rc=2 ;;
esac
kill "$SP"; wait "$SP" || true
kill "$RP"; wait "$RP" || true
if [ "$rc" != 0 ]; then tail -20 "$D/server.log" >&2; fi
rm -rf "$D"
exit "$rc"
