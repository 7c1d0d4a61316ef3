#!/usr/bin/env bash
# The quick check, for the loop of editing and testing: builds Release in
# build/ (only what changed), runs the unit tests of the engine, of the api/
# layers and of the contention lab, and the end-to-end tests against a
# running slotd; then checks every C++ file against .clang-format. It leaves
# to scripts/test.sh the package install, the contention lab's timed runs
# against slotd, the thread-safety build, the sanitizer builds and the
# fuzzers. Failed steps are reported at the end; exits non-zero if any failed.
set -euo pipefail
cd "$(dirname "$0")/.."

failed=()

echo "==> [build] Release in build/"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)"

echo "==> [tests] engine, api and e2e"
if ! ctest --test-dir build -L 'engine|api|e2e' --output-on-failure \
    --no-tests=error --timeout 600 -j2; then
  failed+=(tests)
fi

# Run as ctest runs them, from their build folder; "~[slotd]" leaves out the
# runs against a real slotd, which measure timing and so run alone.
echo "==> [contend] contention lab, unit tests"
if ! (cd build/tests/contend && ../../slotd_contend_tests '~[slotd]'); then
  failed+=(contend)
fi

echo "==> [format] clang-format-14"
if ! scripts/check-format.sh; then
  failed+=(format)
fi

if ((${#failed[@]})); then
  echo "check: FAILED in: ${failed[*]}" >&2
  exit 1
fi
echo "check: passed"
