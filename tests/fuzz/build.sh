#!/bin/sh
# Builds every libFuzzer target (tests/fuzz/fuzz_*.c) into build-fuzz/, under
# ASan and UBSan, against the whole pure core (service/src/core/). Needs clang
# with its libFuzzer runtime (Debian: clang libclang-rt-14-dev), libcjson-dev
# and libssl-dev. Usage: tests/fuzz/build.sh [target ...] (default: all).
set -eu
cd "$(dirname "$0")/../.."
mkdir -p build-fuzz
targets=${*:-$(ls tests/fuzz/fuzz_*.c | sed 's|tests/fuzz/fuzz_||; s|\.c$||')}
for t in $targets; do
  clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
        -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -I service/src \
        "tests/fuzz/fuzz_$t.c" service/src/core/*.c -lcjson -lcrypto -lm -o "build-fuzz/fuzz_$t"
  echo "build-fuzz/fuzz_$t"
done
