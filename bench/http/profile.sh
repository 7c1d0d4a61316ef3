#!/usr/bin/env bash
# Where slotd's time goes per request, in two steps (STEPS, default both):
#
# strace: system calls per request. The Release slotd (SLOTD, default
#   build/slotd built Release) runs with --quiet; `strace -c -f -p PID` is
#   attached to it (all its threads, and those it starts) during a
#   STRACE_SECONDS (10) `wrk -t1 -c16` of the scenario; prints the total
#   system calls divided by wrk's requests, then strace's per-call table. With
#   BEFORE=BINARY the same for that binary (a build of an earlier commit), so a
#   change to the transport shows its count beside the old one. strace slows
#   the server many times over: the figure is the count, never the rate. The
#   transport issue's target for the v2 cycle: at most 2.5 per request.
#
# callgrind: instructions per request, against the bare cpp-httplib floor:
#   both servers run under valgrind's callgrind (which counts instructions, so
#   the figures repeat run to run) while wrk drives the scenario at them at
#   low load; the counters are zeroed after start-up and dumped before exit,
#   so only request handling is counted. Builds Release with -g into
#   build-profile/ (PROFILE_BUILD_DIR; shared with
#   bench/profile_engine_bench.sh).
#
#   bench/http/profile.sh [SCENARIO] [SECONDS]      (defaults v2_cycle, 10)
#
# SECONDS is the callgrind step's load. SKIP_BUILD=1 uses the binaries that
# are there. Writes to OUT_DIR (default a temp directory): NAME.strace (the
# strace tables), syscalls.txt ("NAME requests calls"), SERVER.callgrind
# (open with callgrind_annotate or kcachegrind), SERVER.inclusive.txt and
# SERVER.self.txt, per_request.txt; prints the instructions per request of
# each server and the top inclusive functions (BRIEF=1: the figures only).
# Only 127.0.0.1 is targeted; every server started here is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
BENCH_NAME=profile
source bench/http/lib.sh
trap bench_stop_all EXIT

SCENARIO=${1:-v2_cycle}
SECONDS_OF_LOAD=${2:-10}
STEPS=${STEPS:-strace callgrind}
STRACE_SECONDS=${STRACE_SECONDS:-10}
STRACE_CONNECTIONS=${STRACE_CONNECTIONS:-16}
BUILD_DIR=${PROFILE_BUILD_DIR:-build-profile}
OUT_DIR=${OUT_DIR:-$(mktemp -d /tmp/slotd-profile.XXXXXX)}
mkdir -p "$OUT_DIR"
HOST=$BENCH_HOST

# ---- strace --------------------------------------------------------------------
# strace_count NAME BINARY: the system calls per request of one binary.
strace_count() {
  local name=$1 binary=$2
  bench_start_slotd "strace-$name" "$binary" "$OUT_DIR"
  local server=$bench_pid url=http://$HOST:$bench_port
  bench/http/create_limits.sh "$url"
  strace -c -f -p "$server" -o "$OUT_DIR/$name.strace" 2>"$OUT_DIR/$name.strace.log" &
  local tracer=$!
  bench_track "$tracer"
  # Attached once the kernel names a tracer for the server's main thread.
  for _ in $(seq 100); do
    [[ $(awk '/^TracerPid:/ {print $2}' "/proc/$server/status") != 0 ]] && break
    sleep 0.05
  done
  [[ $(awk '/^TracerPid:/ {print $2}' "/proc/$server/status") != 0 ]] ||
    bench_die "strace did not attach to $name (see $OUT_DIR/$name.strace.log)"
  local line
  line=$(bench_wrk "$OUT_DIR/$name.strace-wrk.txt" "$SCENARIO" "$STRACE_CONNECTIONS" \
    "$STRACE_SECONDS" "$url")
  # On SIGINT strace detaches and writes its table.
  kill -INT "$tracer"
  wait "$tracer" 2>/dev/null || true
  bench_stop "$tracer"
  bench_stop "$server"
  local requests calls
  requests=$(field "$line" requests)
  # The table's last line: "100.00 SECONDS USECS/CALL CALLS [ERRORS] total".
  calls=$(awk '$NF == "total" {print $4}' "$OUT_DIR/$name.strace")
  [[ -n $calls && $requests -gt 0 ]] || bench_die "no strace table for $name"
  echo "$name $requests $calls" >>"$OUT_DIR/syscalls.txt"
  echo "$name ($binary): $calls system calls / $requests requests =" \
    "$(awk -v c="$calls" -v r="$requests" 'BEGIN { printf "%.2f", c / r }') per request" \
    "($SCENARIO, wrk -t1 -c$STRACE_CONNECTIONS, ${STRACE_SECONDS} s under strace -c -f)"
  if [[ ${BRIEF:-0} != 1 ]]; then
    sed 's/^/  /' "$OUT_DIR/$name.strace"
    echo
  fi
}

if [[ " $STEPS " == *" strace "* ]]; then
  bench_slotd_binary
  bench_deps strace
  : >"$OUT_DIR/syscalls.txt"
  strace_count slotd "$SLOTD"
  if [[ -n ${BEFORE:-} ]]; then
    [[ -x $BEFORE ]] || bench_die "BEFORE=$BEFORE is not an executable"
    strace_count before "$BEFORE"
    awk '{ n[$1] = $3 / $2 } END { printf "per request: slotd %.2f, before %.2f\n", n["slotd"], n["before"] }' \
      "$OUT_DIR/syscalls.txt"
  fi
  target=$(awk '$1 == "slotd" { printf "%.2f", $3 / $2 }' "$OUT_DIR/syscalls.txt")
  echo "target <= 2.5 system calls per request: $target, $(awk -v x="$target" 'BEGIN { print (x <= 2.5 ? "met" : "missed") }')"
fi
[[ " $STEPS " == *" callgrind "* ]] || exit 0
bench_deps valgrind

# ---- callgrind -------------------------------------------------------------------
if [[ ${SKIP_BUILD:-0} != 1 ]]; then
  # The same configuration as bench/profile_engine_bench.sh, which shares the
  # directory.
  if [[ ! -f $BUILD_DIR/CMakeCache.txt ]]; then
    cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_CXX_FLAGS="-g -fno-omit-frame-pointer" >/dev/null
  fi
  cmake --build "$BUILD_DIR" --target slotd slotd_floor_server -j2 >/dev/null
fi

# profile NAME COMMAND...
profile() {
  local name=$1
  shift
  valgrind --tool=callgrind --callgrind-out-file="$OUT_DIR/$name.callgrind" \
    "$@" --host $HOST --port 0 >"$OUT_DIR/$name.stdout" 2>"$OUT_DIR/$name.valgrind" &
  local pid=$!
  bench_track "$pid"
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
  bench_stop "$pid"
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
