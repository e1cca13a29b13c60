#!/usr/bin/env bash
# The topology of README "No single point of failure" on this machine, from
# Debian packages (scripts/deps.sh installs them), without Docker: a Redis
# primary, a replica, 3 Sentinels (down-after-milliseconds 1000, quorum 2),
# atelier processes (2 by default, at most 3) given the Sentinels (sentinel://, as
# in docker-compose.yml) and haproxy (deploy/haproxy.cfg)
# in front, on free loopback ports, every file in DIR.
#
#   scripts/topology.sh start DIR [INSTANCES]   start, wait until each part is ready, print the ports
#   scripts/topology.sh stop DIR                stop what start started (nothing else)
#
# tests/lib/topology.js does the work; it stays in the background as the
# parent of every process it started, its pid in DIR/topology.pid: stop
# signals that pid only, and it stops its children (haproxy first, the
# primary last). Needs build/atelier and web-client/dist (scripts/build.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
cmd=${1:-}
dir=${2:-}
if [ -z "$cmd" ] || [ -z "$dir" ]; then
  echo "usage: scripts/topology.sh start DIR [INSTANCES] | stop DIR" >&2
  exit 2
fi

# The supervisor's pid, if DIR/topology.pid names one that is still ours.
supervisor() {
  local pid
  pid=$(cat "$dir/topology.pid" 2>/dev/null) || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "tests/lib/topology.js run" || return 1
  echo "$pid"
}

case "$cmd" in
  start)
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    if pid=$(supervisor); then
      echo "a topology already runs in $dir (pid $pid): scripts/topology.sh stop $dir" >&2
      exit 1
    fi
    rm -f "$dir/topology.json"
    nohup node tests/lib/topology.js run "$dir" "${3:-2}" >"$dir/topology.log" 2>&1 </dev/null &
    echo $! >"$dir/topology.pid"
    for _ in $(seq 600); do
      if [ -f "$dir/topology.json" ]; then
        cat "$dir/topology.json"
        echo "haproxy: http://127.0.0.1:$(node -p "require('$dir/topology.json').haproxy")/  (stop: scripts/topology.sh stop $dir)"
        exit 0
      fi
      if ! supervisor >/dev/null; then
        echo "the topology did not start; see $dir/topology.log:" >&2
        tail -n 20 "$dir/topology.log" >&2
        exit 1
      fi
      sleep 0.1
    done
    echo "the topology was not ready within 60 s; see $dir/topology.log (stopping it)" >&2
    "$0" stop "$dir"
    exit 1
    ;;
  stop)
    if ! pid=$(supervisor); then
      echo "no topology runs in $dir" >&2
      exit 0
    fi
    kill -TERM "$pid"
    for _ in $(seq 300); do
      kill -0 "$pid" 2>/dev/null || { rm -f "$dir/topology.pid"; exit 0; }
      sleep 0.1
    done
    echo "the topology (pid $pid) did not stop within 30 s" >&2
    exit 1
    ;;
  *)
    echo "usage: scripts/topology.sh start DIR [INSTANCES] | stop DIR" >&2
    exit 2
    ;;
esac
