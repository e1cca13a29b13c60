#!/usr/bin/env bash
# bench/run.sh -- build, then run the four benchmark scenarios against a
# throwaway Redis and a fresh atelier server per scenario (127.0.0.1 only).
#
#   bench/run.sh            all scenarios
#   bench/run.sh 1 4        only scenarios 1 and 4
#
# Environment:
#   BUILD_DIR   CMake build directory (default: <repo>/build); the server is
#               $BUILD_DIR/atelier unless ATELIER_BIN is set
#   OUT         where logs and summary.md go (default: a new /tmp/atelier-bench.XXXX)
#   DURATION    measured window of scenarios 1-2 and idle hold of 3, seconds (default 30)
#   NO_BUILD=1  skip the build
#   TRACE       trace of scenario 4 (default: ../shared/traces/sequential/automerge-paper.json.gz,
#               relative to the repository)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
ATELIER_BIN=${ATELIER_BIN:-$BUILD_DIR/atelier}
LOAD=$BUILD_DIR/atelier-load
DURATION=${DURATION:-30}
# The shared folder sits beside the repository.
TRACE=${TRACE:-$ROOT/../shared/traces/sequential/automerge-paper.json.gz}
TRACE_SHA=a489e9022976c14e46627aea174d07797edcb3fd17df42605956d4cf01bf9039
SCENARIOS=("$@")
[ ${#SCENARIOS[@]} -eq 0 ] && SCENARIOS=(1 2 3 4)

if [ -z "${NO_BUILD:-}" ]; then
    cmake -S "$ROOT" -B "$BUILD_DIR" -DATELIER_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    cmake --build "$BUILD_DIR" --target atelier atelier-load -j2
fi
for b in "$ATELIER_BIN" "$LOAD"; do
    [ -x "$b" ] || { echo "missing $b" >&2; exit 2; }
done

TMP=$(mktemp -d /tmp/atelier-bench-run.XXXXXX)
OUT=${OUT:-$(mktemp -d /tmp/atelier-bench.XXXXXX)}
mkdir -p "$OUT"
REDIS_PID=""
SERVER_PID=""

stop_stack() {
    # Only the processes this script started, by their recorded PIDs.
    if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
    if [ -n "$REDIS_PID" ]; then kill "$REDIS_PID" 2>/dev/null || true; wait "$REDIS_PID" 2>/dev/null || true; fi
    SERVER_PID=""
    REDIS_PID=""
}
cleanup() {
    stop_stack
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pick_port() {
    local p
    for p in $(seq "$1" $(($1 + 200))); do
        if port_free "$p"; then echo "$p"; return 0; fi
    done
    echo "no free port from $1" >&2
    return 1
}

start_stack() { # $1 = scenario name
    local dir=$TMP/$1
    mkdir -p "$dir/redis"
    REDIS_PORT=$(pick_port 16400)
    cat >"$dir/redis.conf" <<EOF
bind 127.0.0.1
port $REDIS_PORT
protected-mode yes
daemonize no
dir $dir/redis
appendonly yes
appendfsync everysec
appenddirname "appendonlydir"
save ""
logfile $dir/redis/redis.log
EOF
    redis-server "$dir/redis.conf" &
    REDIS_PID=$!
    for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
    PORT=$(pick_port 18400)
    # 10,000 connections need more descriptors than the usual soft limit.
    ulimit -n "$(ulimit -Hn)"
    "$ATELIER_BIN" --port "$PORT" --redis "redis://127.0.0.1:$REDIS_PORT" --log-level warn \
        --rate 100000 --burst 100000 --max-connections 1000000 --max-connections-per-ip 1000000 --join-rate 1000000 --create-rate 1000000 >"$OUT/server-$1.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 100); do
        curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && return 0
        kill -0 "$SERVER_PID" 2>/dev/null || { echo "server exited; see $OUT/server-$1.log" >&2; return 1; }
        sleep 0.1
    done
    echo "server did not become healthy; see $OUT/server-$1.log" >&2
    return 1
}

run_load() { # $1 = log name, rest = atelier-load arguments
    local name=$1
    shift
    cut -d' ' -f1 /proc/loadavg >"$OUT/$name.load"
    echo "== $name: atelier-load $* (load average $(cut -d' ' -f1-3 /proc/loadavg))"
    set +e
    "$LOAD" --url "127.0.0.1:$PORT" --server-pid "$SERVER_PID" "$@" 2>&1 | tee "$OUT/$name.log"
    local rc=${PIPESTATUS[0]}
    set -e
    echo "   exit code $rc"
    echo "$rc" >"$OUT/$name.rc"
}

field() { # $1 = log name, $2 = key: value of key=... on its RESULT line
    sed -n 's/^RESULT .*[ ]'"$2"'=\([^ ]*\).*/\1/p' "$OUT/$1.log" | tail -1
}
busy() { # how loaded the machine was: load average before, CPU of other processes during
    local o
    o=$(field "$1" other_cpu_pct)
    echo "load avg $(cat "$OUT/$1.load")${o:+, other processes $o % CPU}"
}

for s in "${SCENARIOS[@]}"; do
    case $s in
    1)
        start_stack s1
        run_load s1-typing --mode typing --clients 200 --typers 20 --rate 5 --duration "$DURATION" --warmup 3 \
            --redis-pid "$REDIS_PID"
        stop_stack
        ;;
    2)
        # Max committed ops/s in one workshop: everyone types, one op in
        # flight each (ShareDB rule); the best of a few typer counts.
        for k in 1 2 5 10 20; do
            start_stack "s2-k$k"
            run_load "s2-throughput-k$k" --mode throughput --typers "$k" --clients "$k" --duration "$DURATION" \
                --warmup 2 --redis-pid "$REDIS_PID"
            stop_stack
        done
        ;;
    3)
        start_stack s3
        run_load s3-idle --mode idle --clients 10000 --workshops 100 --duration "$DURATION"
        stop_stack
        ;;
    4)
        start_stack s4
        run_load s4-trace --mode trace --trace "$TRACE" --inflight 1 --expect-sha256 "$TRACE_SHA" \
            --redis-pid "$REDIS_PID"
        stop_stack
        ;;
    *) echo "unknown scenario $s" >&2 ;;
    esac
done

# Summary as a Markdown table (pasted into bench/README.md).
{
    echo "| scenario | result |"
    echo "|---|---|"
    if [ -f "$OUT/s1-typing.log" ]; then
        echo "| 1. 200 clients, 20 typing 5 ops/s, ${DURATION} s | e2e latency p50 $(field s1-typing e2e_p50_ms) / p90 $(field s1-typing e2e_p90_ms) / p99 $(field s1-typing e2e_p99_ms) / max $(field s1-typing e2e_max_ms) ms; $(field s1-typing committed_per_s) ops/s committed, $(field s1-typing deliveries_per_s) msg/s delivered; server $(field s1-typing server_cpu_pct) % CPU = **$(field s1-typing server_us_per_delivery) µs per delivered message**; missing $(field s1-typing missing), errors $(field s1-typing errors), disagree $(field s1-typing disagree); load tool $(field s1-typing load_cpu_pct) %; $(busy s1-typing) |"
    fi
    for k in 1 2 5 10 20; do
        n=s2-throughput-k$k
        [ -f "$OUT/$n.log" ] || continue
        echo "| 2. throughput, one workshop, $k typer(s), inflight 1 | **$(field $n committed_per_s) ops/s committed**, ack p50 $(field $n ack_p50_ms) / p99 $(field $n ack_p99_ms) ms; server $(field $n server_cpu_pct) % CPU = **$(field $n server_us_per_op) µs per op** ($(field $n server_us_per_delivery) µs per delivered message), redis $(field $n redis_cpu_pct) %, load tool $(field $n load_cpu_pct) %; $(busy $n) |"
    done
    if [ -f "$OUT/s3-idle.log" ]; then
        echo "| 3. 10,000 idle connections (100 workshops) | joined $(field s3-idle joined) in $(field s3-idle join_s) s; server RSS $(field s3-idle rss_before_kb) → $(field s3-idle rss_after_kb) kB = **$(field s3-idle kb_per_conn) kB per connection**; server CPU $(field s3-idle join_us) µs per join; idle hold: server CPU $(field s3-idle server_cpu_s) s over ${DURATION} s for $(field s3-idle hold_pings) keepalive pings; $(busy s3-idle) |"
    fi
    if [ -f "$OUT/s4-trace.log" ]; then
        echo "| 4. automerge-paper replay ($(field s4-trace ops) ops, inflight 1) | $(grep -E '^(PASS|FAIL)$' "$OUT/s4-trace.log" | tail -1): sha256 $(field s4-trace sha256 | cut -c1-16)…; **$(field s4-trace ops_per_s) ops/s**, ack p50 $(field s4-trace ack_p50_ms) / p99 $(field s4-trace ack_p99_ms) ms; server $(field s4-trace server_cpu_us_per_op) µs per op; $(busy s4-trace) |"
    fi
} >"$OUT/summary.md"
echo
cat "$OUT/summary.md"
echo
echo "logs: $OUT"
