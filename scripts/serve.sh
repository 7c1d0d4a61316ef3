#!/usr/bin/env bash
# Installs missing packages, builds slotd (Release, in build/) and runs it on
# 127.0.0.1:4200. Extra arguments are passed to slotd (a later --port wins).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build --target slotd -j"$(nproc)"
echo "serve: exec build/slotd --host 127.0.0.1 --port 4200 $*"
exec build/slotd --host 127.0.0.1 --port 4200 "$@"
