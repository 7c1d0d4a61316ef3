#!/usr/bin/env bash
# Checks every tracked .cc and .h file against the root .clang-format with
# clang-format-14, changing nothing. Lists each difference and exits non-zero
# if any file differs; `clang-format-14 -i FILE` fixes one.
set -euo pipefail
cd "$(dirname "$0")/.."

mapfile -d '' files < <(git ls-files -z -- '*.cc' '*.h')
if ! clang-format-14 --dry-run --Werror "${files[@]}"; then
  echo "check-format: files above differ from .clang-format;" \
    "run clang-format-14 -i on them" >&2
  exit 1
fi
echo "check-format: ${#files[@]} files match .clang-format"
