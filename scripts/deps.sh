#!/usr/bin/env bash
# Installs what building, running and testing Atelier need on Debian 12, if missing:
# the C toolchain and libraries, Redis (with Sentinel) and haproxy (the failover
# topology: scripts/topology.sh), Node.js/npm, Chromium (for browser tests),
# then the npm packages (npm ci). Safe to run again: it only installs what is absent.
# The tests start haproxy and Sentinels of their own; the system services the two
# packages add (haproxy, redis-sentinel on 26379) are not used: where systemd
# started them, `systemctl disable --now haproxy redis-sentinel` stops them.
set -euo pipefail
cd "$(dirname "$0")/.."

want=(build-essential cmake pkg-config libwebsockets-dev libwebsockets-evlib-uv libuv1-dev libhiredis-dev libcjson-dev libssl-dev liburing-dev check
      redis-server redis-tools redis-sentinel haproxy zlib1g-dev curl tzdata)
case "${1:-}" in
  --with-browser) want+=(chromium) ;;
esac
command -v node >/dev/null 2>&1 || want+=(nodejs npm)

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm ci only when the lock file changed since the last install.
stamp=node_modules/.atelier-lock
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  echo "== npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
fi
