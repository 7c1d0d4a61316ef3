#!/usr/bin/env bash
# Installs missing packages, builds slotd (Release, in build/) and runs it on
# 127.0.0.1:4200, keeping its state in $SLOTD_DATA_DIR (default
# $XDG_STATE_HOME/slotd, else ~/.local/state/slotd; set it empty to run in
# memory). Extra arguments are passed to slotd (a later --port or --data-dir
# wins).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build --target slotd -j"$(nproc)"
args=(--host 127.0.0.1 --port 4200)
data_dir=${SLOTD_DATA_DIR-${XDG_STATE_HOME:-$HOME/.local/state}/slotd}
if [[ -n $data_dir ]]; then
  mkdir -p "$data_dir"
  args+=(--data-dir "$data_dir")
fi
echo "serve: exec build/slotd ${args[*]} $*"
exec build/slotd "${args[@]}" "$@"
