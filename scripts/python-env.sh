#!/usr/bin/env bash
# Creates .venv/ at the repository root holding exactly the pinned packages of
# tests/prefect/requirements.txt (the real Prefect server and pytest).
# Idempotent: the venv keeps a stamp of the requirements' hash and of the
# Python that built it, and a run whose stamp matches installs nothing.
# PYTHON picks the interpreter (default python3; Debian 12's needs the
# python3-venv package, which scripts/install-deps.sh installs).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=$root/.venv
requirements=$root/tests/prefect/requirements.txt
stamp=$venv/.requirements-stamp
python=${PYTHON:-python3}

want="$(sha256sum "$requirements" | cut -d' ' -f1) $("$python" -c 'import sys; print(sys.version.split()[0])')"
if [[ -x $venv/bin/python && -f $stamp && $(<"$stamp") == "$want" ]]; then
  echo "python-env: .venv is up to date"
  exit 0
fi

# A venv of another Python, or one left half-built, is started afresh.
if [[ -e $venv && ! -f $stamp ]] || [[ -f $stamp && $(cut -d' ' -f2 "$stamp") != "${want#* }" ]]; then
  rm -rf "$venv"
fi
if [[ ! -x $venv/bin/python ]]; then
  echo "python-env: creating .venv with $("$python" --version)"
  "$python" -m venv "$venv"
fi
rm -f "$stamp"
echo "python-env: installing tests/prefect/requirements.txt"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
"$venv/bin/python" -m pip check
echo "$want" >"$stamp"
