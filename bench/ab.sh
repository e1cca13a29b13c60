#!/usr/bin/env bash
# bench/ab.sh -- one load run against a given server binary, for comparing two
# builds run alternately (run-to-run noise on this VM is larger than many
# differences worth measuring). Starts its own Redis (port 6421, AOF everysec,
# like run.sh) and server (port 8621), prints the key figures, stops both.
# AB_REDIS_PORT and AB_SERVER_PORT choose other ports (several people
# measuring on one machine). AB_REPLICA_PORT starts a replica of that Redis
# on that port too (in sync before the load starts), and AB_SERVER_ARGS adds
# server flags: the cost of --replicas 1 against 0, both with a replica:
#
#   AB_REPLICA_PORT=6453 AB_SERVER_ARGS="--replicas 0" bench/ab.sh build/atelier --mode typing ...
#   AB_REPLICA_PORT=6453 AB_SERVER_ARGS="--replicas 1" bench/ab.sh build/atelier --mode typing ...
#
#   bench/ab.sh OLD/atelier --mode throughput --typers 20 --clients 20 --duration 10 --warmup 2
#   bench/ab.sh build/atelier --mode throughput --typers 20 --clients 20 --duration 10 --warmup 2
#
# AB_WINDOW="START SECS" also reads the first server's counters from START
# to START+SECS seconds into the run and prints its writes a second, messages
# a write and the CPU time a write costs (atelier_flush_send_cpu_microseconds_total).
#
# AB_SERVERS=N starts N server processes on the one Redis (ports
# AB_SERVER_PORT, +1, ...) and gives the load tool all their addresses (its
# clients dealt out round-robin) and pids; AB_LOG=FILE keeps the tool's whole
# output there:
#
#   AB_SERVERS=2 bench/ab.sh build/atelier --mode assembly --clients 10000 --duration 20
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$1
shift
RPORT=${AB_REDIS_PORT:-6421}
SPORT=${AB_SERVER_PORT:-8621}
NSERVERS=${AB_SERVERS:-1}
D=$(mktemp -d /tmp/atelier-ab.XXXXXX)
redis-server --port "$RPORT" --bind 127.0.0.1 --dir "$D" --appendonly yes --appendfsync everysec --save '' \
    --logfile "$D/redis.log" &
RP=$!
for _ in $(seq 50); do redis-cli -p "$RPORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
REP=
if [ -n "${AB_REPLICA_PORT:-}" ]; then
  mkdir -p "$D/replica"
  redis-server --port "$AB_REPLICA_PORT" --bind 127.0.0.1 --dir "$D/replica" --appendonly yes --appendfsync everysec \
      --save '' --replicaof 127.0.0.1 "$RPORT" --logfile "$D/replica.log" &
  REP=$!
  for _ in $(seq 100); do
    redis-cli -p "$AB_REPLICA_PORT" info replication 2>/dev/null | grep -q 'master_link_status:up' && break
    sleep 0.1
  done
fi
URLS=
SPS=
for i in $(seq 0 $((NSERVERS - 1))); do
  P=$((SPORT + i))
  # shellcheck disable=SC2086 # AB_SERVER_ARGS: several flags
  "$BIN" --port "$P" --redis "redis://127.0.0.1:$RPORT" --log-level warn --rate 100000 --burst 100000 \
      --max-connections 1000000 --max-connections-per-ip 1000000 --join-rate 1000000 --create-rate 1000000 \
      ${AB_SERVER_ARGS:-} >"$D/server-$P.log" 2>&1 &
  SPS=${SPS:+$SPS,}$!
  URLS=${URLS:+$URLS,}127.0.0.1:$P
  for _ in $(seq 50); do curl -sf "http://127.0.0.1:$P/healthz" >/dev/null && break; sleep 0.1; done
done
echo "load average $(cut -d' ' -f1 /proc/loadavg)"
"${LOAD:-$ROOT/build/atelier-load}" --url "$URLS" --server-pid "$SPS" --redis-pid "$RP" "$@" >"$D/load.out" 2>&1 &
LP=$!
if [ -n "${AB_WINDOW:-}" ]; then
  # The first server's counters over a window of the run (GET /metrics):
  # how many writes, how many messages each carries, what a write costs.
  read -r W_START W_SECS <<<"$AB_WINDOW"
  scrape() { curl -s "http://127.0.0.1:$SPORT/metrics" | grep -E '^atelier_(flush_writes|messages_sent|flush_send_cpu_microseconds|ops_committed)_total '; }
  cpu() { awk '{print $14 + $15}' "/proc/${SPS%%,*}/stat"; }
  sleep "$W_START"; scrape >"$D/m1"; c1=$(cpu)
  sleep "$W_SECS"; scrape >"$D/m2"; c2=$(cpu)
  awk -v secs="$W_SECS" -v ticks="$((c2 - c1))" -v hz="$(getconf CLK_TCK)" '
    NR == FNR { a[$1] = $2; next }
    { d[$1] = ($2 - a[$1]) / secs }
    END {
      w = d["atelier_flush_writes_total"]; if (w < 1) w = 1
      printf "window %ss: server CPU %.0f %%, %.0f writes/s, %.1f messages a write, %.2f us of send CPU a write (%.0f %% of a core), %.2f us of server CPU a write, %.1f ops/s\n",
        secs, 100 * ticks / hz / secs, w, d["atelier_messages_sent_total"] / w, d["atelier_flush_send_cpu_microseconds_total"] / w,
        d["atelier_flush_send_cpu_microseconds_total"] / 1e4, 1e6 * ticks / hz / secs / w, d["atelier_ops_committed_total"]
    }' "$D/m1" "$D/m2"
fi
wait "$LP" || true
tee "${AB_LOG:-/dev/null}" <"$D/load.out" | grep '^RESULT' | tr ' ' '\n' |
    grep -E '^(joined|sampled|committed_per_s|e2e_p50_ms|e2e_p99_ms|e2e_rx_p50_ms|e2e_rx_p99_ms|e2e_rx_same_p99_ms|e2e_rx_other_p99_ms|e2e_rx_voting_p99_ms|e2e_rx_not_voting_p99_ms|ack_p50_ms|ack_p99_ms|server_cpu_pct|server_us_per_delivery|server_us_per_op|load_cpu_pct|other_cpu_pct|missing|disagree|errors|acked|refused|open_to_last_ballot_s|vote_p99_ms|results_per_client|results_exact|state_agree|unsolicited_my_ballot|poll_ok)=' |
    tr '\n' ' ' || true
echo
for SP in ${SPS//,/ }; do kill "$SP"; wait "$SP" || true; done
if [ -n "$REP" ]; then kill "$REP"; wait "$REP" || true; fi
kill "$RP"; wait "$RP" || true
rm -rf "$D"
