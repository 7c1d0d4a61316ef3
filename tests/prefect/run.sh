#!/usr/bin/env bash
# The differential tests: slotd against the real Prefect server of the pinned
# release. Builds nothing: needs build/slotd (or $SLOTD_BINARY). Creates or
# reuses .venv/ (scripts/python-env.sh), then runs pytest; non-zero on failure.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
scripts/python-env.sh
exec .venv/bin/pytest tests/prefect -q "$@"
