#!/usr/bin/env bash
# Builds the server (build/atelier), the load tool and the unit tests, and the web client bundle.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)"
if [ -f web-client/build.js ]; then node web-client/build.js; fi
