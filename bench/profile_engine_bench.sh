#!/bin/sh
# Profiles one benchmark of slotd_engine_bench, to see where the engine spends
# its time. Builds the bench in build-profile (Release, with -g and frame
# pointers) first.
#
#   bench/profile_engine_bench.sh callgrind FILTER [FUNCTION]
#     Instruction counts under valgrind's callgrind, collected only while
#     FUNCTION (a glob on the demangled name; by default the benchmark's own
#     BM_ function) is on the stack, so set-up is left out. Deterministic, but
#     blind to the cost of clock reads (a system call under valgrind, not the
#     vDSO), cache misses and lock contention.
#   bench/profile_engine_bench.sh perf FILTER
#     Time samples (the cpu-clock software event, which works where hardware
#     counters do not) with call graphs. Sees all of the above.
#
# FILTER is a --benchmark_filter regex; name one benchmark at one thread
# count, e.g. 'AcquireRelease/own_limit/real_time/threads:1$'. For the sweep,
# pass FUNCTION 'slotd::SlotEngine::ExpireLeases*' to leave out its set-up.
set -eu

mode=${1:?usage: $0 callgrind|perf FILTER [FUNCTION]}
filter=${2:?usage: $0 callgrind|perf FILTER [FUNCTION]}
function=${3:-'slotd::(anonymous namespace)::BM_*'}

root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build-profile"
out="$build/profiles"

if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CXX_FLAGS="-g -fno-omit-frame-pointer" >/dev/null
fi
cmake --build "$build" --target slotd_engine_bench -j"$(nproc)" >/dev/null
mkdir -p "$out"
name=$(printf '%s' "$filter" | tr -c 'A-Za-z0-9_-' '_')

case "$mode" in
  callgrind)
    valgrind --tool=callgrind --callgrind-out-file="$out/$name.callgrind" \
      --toggle-collect="$function" \
      "$build/slotd_engine_bench" --benchmark_filter="$filter" --benchmark_min_time=0.05
    callgrind_annotate --inclusive=no "$out/$name.callgrind" | head -60
    echo "Inclusive view: callgrind_annotate --inclusive=yes $out/$name.callgrind"
    ;;
  perf)
    perf record -e cpu-clock -g -o "$out/$name.perf" \
      "$build/slotd_engine_bench" --benchmark_filter="$filter" --benchmark_min_time=1
    perf report -i "$out/$name.perf" --no-children --stdio -g none --percent-limit 0.5 |
      grep -v '^$' | head -60
    echo "Call graphs: perf report -i $out/$name.perf"
    ;;
  *)
    echo "unknown mode: $mode (callgrind or perf)" >&2
    exit 2
    ;;
esac
