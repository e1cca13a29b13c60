#!/usr/bin/env bash
# bench/soak.sh -- the soak (issue 14, item 11): its own Redis (AOF on) and
# server, `atelier-load --mode mixed` for SECONDS over 10 workshops and 300
# clients, Redis killed and started again from its AOF at 40 % of the time,
# the server stopped and started again at 20 % (clients resume), then the
# tool's checks (bench/README.md, "Soak"). Writes $OUT/report.md, and the
# logs beside it. Exit code: the tool's (0 PASS, 3 a check failed), or 99 when
# a server under valgrind reported errors.
#
#   bench/soak.sh 1800                  # the 30-minute run
#   bench/soak.sh 120                   # a short one
#   SERVER_WRAP="valgrind --error-exitcode=99 --leak-check=full" bench/soak.sh 120
#
# Settings (environment): SOAK_REDIS_PORT (6415), SOAK_SERVER_PORT (8615),
# CLIENTS (300), WORKSHOPS (10), TYPERS (60), RATE (ops/s per typer, 2),
# POLL_SECS (40), CHURN_SECS (120), RSS_WARMUP (300: seconds after the server's
# start, or restart, from which RSS growth counts), SERVER_SIGNAL (TERM),
# REDIS_SIGNAL (KILL: a crash; README, "Durability": with AOF, a crash of
# Redis loses nothing acknowledged), SERVER_WRAP (a command put before the
# server, e.g. valgrind; each server process then logs to its own file),
# BUILD_DIR (build), NO_BUILD=1, OUT (bench/soak-out/DATE).
#
# Everything (Redis, the server, the tool) runs at the niceness this script
# was started with: run it with `nice` on a shared machine, and the three
# keep the same priority relative to each other.
#
# The whole script is one { } block: bash reads it all before running it, so
# editing this file while a soak runs does not change the running one (bash
# reads a plain script as it goes, and an edit made a running soak execute
# shifted lines).
{
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SECS=${1:-1800}
RPORT=${SOAK_REDIS_PORT:-6415}
SPORT=${SOAK_SERVER_PORT:-8615}
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
OUT=${OUT:-$ROOT/bench/soak-out/$(date +%Y%m%d-%H%M%S)}
SERVER_WRAP=${SERVER_WRAP:-}
mkdir -p "$OUT/redis"
OUT=$(cd "$OUT" && pwd)

if [ -z "${NO_BUILD:-}" ]; then
    cmake -S "$ROOT" -B "$BUILD_DIR" >/dev/null
    cmake --build "$BUILD_DIR" --target atelier atelier-load -j2 >/dev/null
fi

port_free() {
    ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

redis_start() {
    # Never talk to someone else's Redis: redis-cli would get its PONG.
    if ! port_free "$RPORT"; then
        echo "port $RPORT is in use: choose another SOAK_REDIS_PORT" >&2
        exit 2
    fi
    redis-server --port "$RPORT" --bind 127.0.0.1 --dir "$OUT/redis" --appendonly yes --appendfsync everysec \
        --save '' --logfile "$OUT/redis/redis.log" &
    RP=$!
    for _ in $(seq 100); do
        kill -0 "$RP" 2>/dev/null || break
        [ "$(redis-cli -p "$RPORT" ping 2>/dev/null)" = PONG ] && return 0
        sleep 0.1
    done
    echo "redis did not start on $RPORT" >&2
    exit 2
}

SERVER_N=0
server_start() {
    if ! port_free "$SPORT"; then
        echo "port $SPORT is in use: choose another SOAK_SERVER_PORT" >&2
        exit 2
    fi
    SERVER_N=$((SERVER_N + 1))
    local wrap=()
    if [ -n "$SERVER_WRAP" ]; then
        # shellcheck disable=SC2206
        wrap=($SERVER_WRAP --log-file="$OUT/valgrind-$SERVER_N.log")
    fi
    "${wrap[@]}" "$BUILD_DIR/atelier" --port "$SPORT" --redis "redis://127.0.0.1:$RPORT" --log-level notice \
        --create-rate 1000000 >>"$OUT/server-$SERVER_N.log" 2>&1 &
    SP=$!
    echo "$SP" >"$OUT/server.pid"
    for _ in $(seq 600); do
        kill -0 "$SP" 2>/dev/null || break
        curl -sf "http://127.0.0.1:$SPORT/healthz" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "the server did not start on $SPORT (see $OUT/server-$SERVER_N.log)" >&2
    exit 2
}

VALGRIND_RC=0
server_stop() {
    kill "-${SERVER_SIGNAL:-TERM}" "$SP"
    local rc=0
    wait "$SP" || rc=$?
    echo "$(date +%T) server $SERVER_N (pid $SP) stopped with SIG${SERVER_SIGNAL:-TERM}: exit code $rc" >>"$OUT/events.log"
    if [ "$rc" = 99 ]; then VALGRIND_RC=99; fi
}

cleanup() {
    if [ -n "${LP:-}" ] && kill -0 "$LP" 2>/dev/null; then kill "$LP"; wait "$LP" || true; fi
    if [ -n "${SP:-}" ] && kill -0 "$SP" 2>/dev/null; then server_stop; fi
    if [ -n "${RP:-}" ] && kill -0 "$RP" 2>/dev/null; then kill "$RP"; wait "$RP" || true; fi
}
trap cleanup EXIT

redis_start
server_start
: >"$OUT/events.log"
echo "$(date +%T) start: ${SECS} s, load average $(cut -d' ' -f1-3 /proc/loadavg), nice $(nice)" >>"$OUT/events.log"

"$BUILD_DIR/atelier-load" --mode mixed --url "127.0.0.1:$SPORT" --redis "127.0.0.1:$RPORT" \
    --server-pid-file "$OUT/server.pid" --clients "${CLIENTS:-300}" --workshops "${WORKSHOPS:-10}" \
    --typers "${TYPERS:-60}" --rate "${RATE:-2}" --duration "$SECS" --poll-secs "${POLL_SECS:-40}" \
    --churn-secs "${CHURN_SECS:-120}" --rss-warmup "${RSS_WARMUP:-300}" --drain 120 \
    >"$OUT/load.out" 2>"$OUT/load.err" &
LP=$!

# The restarts, while the load runs (its first joins take a few seconds).
sleep "$((SECS / 5))"
echo "$(date +%T) server restart: DBSIZE $(redis-cli -p "$RPORT" dbsize)" >>"$OUT/events.log"
server_stop
sleep 2
server_start
echo "$(date +%T) server $SERVER_N up (pid $SP)" >>"$OUT/events.log"

sleep "$((SECS / 5))"
before=$(redis-cli -p "$RPORT" dbsize)
kill "-${REDIS_SIGNAL:-KILL}" "$RP"
{ wait "$RP"; } 2>/dev/null || true
echo "$(date +%T) redis stopped with SIG${REDIS_SIGNAL:-KILL} (DBSIZE $before)" >>"$OUT/events.log"
sleep 3
redis_start
echo "$(date +%T) redis up again from its AOF: DBSIZE $(redis-cli -p "$RPORT" dbsize)" >>"$OUT/events.log"

LRC=0
wait "$LP" || LRC=$?
LP=
echo "$(date +%T) load tool done: exit code $LRC; load average $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/events.log"
server_stop
SP=

{
    echo "# Soak $(date '+%F %T'), ${SECS} s"
    echo
    echo "commit $(git -C "$ROOT" rev-parse --short HEAD), server: ${SERVER_WRAP:+$SERVER_WRAP }$BUILD_DIR/atelier"
    echo
    echo '```'
    cat "$OUT/events.log"
    echo '```'
    echo
    echo '```'
    grep -av '^RSS ' "$OUT/load.out" || true
    echo '```'
    echo
    echo "RSS (kB, every 5 s; one line a minute):"
    echo
    echo '```'
    grep -a '^RSS ' "$OUT/load.out" | awk 'NR % 12 == 1' || true
    echo '```'
    echo
    echo "Server log lines by level: $(cat "$OUT"/server-*.log | awk '{print $3}' | sort | uniq -c | tr '\n' ' ')"
    if [ -n "$SERVER_WRAP" ]; then
        echo
        for f in "$OUT"/valgrind-*.log; do
            echo "$(basename "$f"): $(grep -h 'ERROR SUMMARY' "$f" | tail -1 | sed 's/^==[0-9]*== //')"
            grep -h -E 'in use at exit|All heap blocks|definitely lost|indirectly lost|possibly lost' "$f" |
                sed 's/^==[0-9]*== /    /' || true
        done
    fi
    echo
    echo "load tool stderr (first lines):"
    echo
    echo '```'
    head -40 "$OUT/load.err"
    echo '```'
} >"$OUT/report.md"
cat "$OUT/report.md"
if [ "$VALGRIND_RC" = 99 ]; then exit 99; fi
exit "$LRC"
}
