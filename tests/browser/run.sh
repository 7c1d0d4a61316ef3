#!/usr/bin/env bash
# The live page in a real browser: Debian's chromium (headless), driven by
# playwright-core (pinned in package.json and package-lock.json, installed
# into tests/browser/node_modules by npm ci), against real slotd processes
# the test starts on free ports. Screenshots go to build/browser-artifacts/.
#   SLOTD_BINARY  the slotd to test (default build/slotd)
#   CHROMIUM      the browser (default /usr/bin/chromium)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

export SLOTD_BINARY=$(realpath "${SLOTD_BINARY:-$root/build/slotd}")
export CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
export ARTIFACTS=${ARTIFACTS:-$root/build/browser-artifacts}
for need in "$SLOTD_BINARY" "$CHROMIUM"; do
  [[ -x $need ]] || { echo "browser: $need is missing (build slotd; scripts/install-deps.sh)" >&2; exit 1; }
done
command -v npm >/dev/null || { echo "browser: npm is missing (scripts/install-deps.sh)" >&2; exit 1; }

cd "$here"
npm ci --no-audit --no-fund --loglevel=error
mkdir -p "$ARTIFACTS"
rm -f "$ARTIFACTS"/*.png
node --test --test-reporter=spec live_page.test.mjs
