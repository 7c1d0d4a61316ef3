#!/usr/bin/env bash
# Where slotd's instructions go per request, against the bare cpp-httplib
# floor: both servers run under valgrind's callgrind (which counts
# instructions, so the figures repeat run to run) while wrk drives one
# scenario at them at low load; the counters are zeroed after start-up and
# dumped before exit, so only request handling is counted.
#
#   bench/http/profile.sh [SCENARIO] [SECONDS]      (defaults v2_cycle, 10)
#
# Builds Release with -g into build-profile/ (BUILD_DIR; SKIP_BUILD=1 uses
# what is there; shared with bench/profile_engine_bench.sh), writes to OUT_DIR (default a
# temp directory): SERVER.callgrind (open with callgrind_annotate or
# kcachegrind), SERVER.inclusive.txt and SERVER.self.txt, and prints the
# instructions per request of each server and the top inclusive functions.
# Only 127.0.0.1 is targeted; both servers are stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."

SCENARIO=${1:-v2_cycle}
SECONDS_OF_LOAD=${2:-10}
BUILD_DIR=${BUILD_DIR:-build-profile}
OUT_DIR=${OUT_DIR:-$(mktemp -d /tmp/slotd-profile.XXXXXX)}
mkdir -p "$OUT_DIR"
HOST=127.0.0.1

if [[ -x scripts/install-deps.sh ]]; then scripts/install-deps.sh wrk valgrind curl; fi
if [[ ${SKIP_BUILD:-0} != 1 ]]; then
  # The same configuration as bench/profile_engine_bench.sh, which shares the
  # directory.
  if [[ ! -f $BUILD_DIR/CMakeCache.txt ]]; then
    cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_CXX_FLAGS="-g -fno-omit-frame-pointer" >/dev/null
  fi
  cmake --build "$BUILD_DIR" --target slotd slotd_floor_server -j2 >/dev/null
fi

pid=
stop() {
  if [[ -n $pid ]]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  pid=
}
trap stop EXIT

# profile NAME COMMAND...
profile() {
  local name=$1
  shift
  valgrind --tool=callgrind --callgrind-out-file="$OUT_DIR/$name.callgrind" \
    "$@" --host $HOST --port 0 >"$OUT_DIR/$name.stdout" 2>"$OUT_DIR/$name.valgrind" &
  pid=$!
  local port=
  for _ in $(seq 600); do
    port=$(sed -n 's#.*listening on http://[^:]*:\([0-9]*\)/api.*#\1#p' "$OUT_DIR/$name.stdout")
    [[ -n $port ]] && break
    sleep 0.1
  done
  [[ -n $port ]] || { echo "profile: $name did not start" >&2; cat "$OUT_DIR/$name.valgrind" >&2; exit 1; }
  if [[ $name == slotd ]]; then bench/http/create_limits.sh "http://$HOST:$port"; fi
  callgrind_control -z "$pid" >/dev/null 2>&1
  wrk -t1 -c4 -d"${SECONDS_OF_LOAD}s" --timeout 10s -s "bench/http/wrk/$SCENARIO.lua" \
    "http://$HOST:$port" >"$OUT_DIR/$name.wrk"
  callgrind_control -d "$pid" >/dev/null 2>&1
  stop
  local requests
  requests=$(sed -n 's/^RESULT .* requests=\([0-9]*\) .*/\1/p' "$OUT_DIR/$name.wrk")
  # The dump made by callgrind_control is the file with a ".1" suffix.
  local dump
  dump=$(ls -t "$OUT_DIR/$name.callgrind"* | grep -v '\.callgrind$' | head -1 || true)
  [[ -n $dump ]] || dump=$OUT_DIR/$name.callgrind
  callgrind_annotate --inclusive=yes --threshold=100 --auto=no "$dump" >"$OUT_DIR/$name.inclusive.txt"
  callgrind_annotate --threshold=100 --auto=no "$dump" >"$OUT_DIR/$name.self.txt"
  local total
  total=$(sed -n 's/^\([0-9,]*\) .*PROGRAM TOTALS.*/\1/p' "$OUT_DIR/$name.self.txt" | tr -d ,)
  echo "$name: $requests requests, $total instructions, $((total / requests)) per request"
  echo "$name $requests $total" >>"$OUT_DIR/per_request.txt"
}

: >"$OUT_DIR/per_request.txt"
profile slotd "$BUILD_DIR/slotd" --quiet
# valgrind runs at most 500 threads; the floor's default pool is 1024.
profile floor "$BUILD_DIR/slotd_floor_server" --threads 64
if [[ ${BRIEF:-0} != 1 ]]; then
  echo
  echo "top inclusive functions of slotd (instructions, all threads):"
  grep -E '^ *[0-9,]+ +\(' "$OUT_DIR/slotd.inclusive.txt" | head -40 | cut -c1-200
  echo
  echo "files in $OUT_DIR"
fi
