#!/usr/bin/env bash
# Builds the libFuzzer targets with clang-14 (fuzzer, address and undefined
# sanitizers) in their own build directory and runs each for a bounded time.
# Fails on the first crash, leak, timeout or sanitizer report; prints the
# executions of each target.
#
#   tests/fuzz/run_fuzzers.sh [target...]     (default: every target)
#
# Environment:
#   FUZZ_SECONDS    seconds per target (default 30)
#   FUZZ_BUILD_DIR  build directory (default <repo>/build-fuzz)
#   CXX             compiler (default clang++-14)
#   FUZZ_JOBS       build parallelism (default nproc)
#
# New inputs found go to $FUZZ_BUILD_DIR/corpus/<target>, never to the
# committed seeds in tests/fuzz/corpus/<target>; a crashing input is saved as
# $FUZZ_BUILD_DIR/artifacts/<target>/crash-*.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
fuzz_dir="$repo/tests/fuzz"
build="${FUZZ_BUILD_DIR:-$repo/build-fuzz}"
seconds="${FUZZ_SECONDS:-30}"
cxx="${CXX:-clang++-14}"
jobs="${FUZZ_JOBS:-$(nproc)}"
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(request_body request_stream router event_text journal_record prefer redis_url
  last_event_id ui_page)

flags="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all"
flags+=" -fno-omit-frame-pointer -g -O1"
# Without NDEBUG: the libraries' assertions (Beast's on how its parser is
# driven among them) are findings too.
cmake -S "$repo" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="" \
  -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_CXX_FLAGS="$flags" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" -DSLOTD_FUZZ=ON >/dev/null
cmake --build "$build" -j "$jobs" --target "${targets[@]/%/_fuzzer}"

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:symbolize=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"

# Longest input per target: the body target reaches past the 16 KiB bodies
# that use the thread's parser.
max_len() { [[ $1 == request_body ]] && echo 24576 || echo 4096; }

status=0
summary=""
for target in "${targets[@]}"; do
  work="$build/corpus/$target"
  artifacts="$build/artifacts/$target/"
  log="$build/$target.log"
  mkdir -p "$work" "$artifacts"
  dict=()
  [[ -f "$fuzz_dir/$target.dict" ]] && dict=(-dict="$fuzz_dir/$target.dict")
  echo "== $target: ${seconds}s (log: $log)"
  if "$build/${target}_fuzzer" "$work" "$fuzz_dir/corpus/$target" "${dict[@]}" \
      -max_total_time="$seconds" -max_len="$(max_len "$target")" -timeout=10 \
      -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts" \
      >"$log" 2>&1; then
    result=ok
  else
    result="FAILED (see $log and $artifacts)"
    status=1
    tail -n 40 "$log" >&2
  fi
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)"
  summary+="$(printf '%-14s %12s executions  %s' "$target" "${runs:-?}" "$result")"$'\n'
done
printf '\n%s' "$summary"
exit "$status"
