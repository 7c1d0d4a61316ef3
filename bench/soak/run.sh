#!/usr/bin/env bash
# Soak test: bench/soak/run.sh [SECONDS] [CONNECTIONS]   (default 600 s, 32)
#
# Builds slotd and the soak driver slotd_soak (in build-soak/, or BUILD_DIR),
# starts slotd on 127.0.0.1 with a free port, runs mixed v1/v2/lease traffic
# for SECONDS, samples the server's resident memory every 10 s, and fails if
# an invariant broke, a counter is not back to zero, or resident memory grew
# more than 20% past its level after the first minute of traffic (the
# warm-up: thread stacks, allocator pools). Not part of CI: it takes as long
# as you ask.
set -euo pipefail
SECONDS_TO_RUN=${1:-600}
CONNECTIONS=${2:-32}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD_DIR:-$ROOT/build-soak}

cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD" --target slotd slotd_soak -j"$(nproc)" >/dev/null

OUT=$(mktemp)
"$BUILD/slotd" --port 0 --quiet --threads $((CONNECTIONS + 64)) >"$OUT" &
SLOTD=$!
trap 'kill $SLOTD 2>/dev/null; rm -f "$OUT"' EXIT
for _ in $(seq 100); do grep -q listening "$OUT" && break; sleep 0.05; done
PORT=$(sed -n 's|.*:\([0-9]*\)/api$|\1|p' "$OUT")
rss() { awk '/VmRSS/ {print $2}' "/proc/$SLOTD/status"; }

echo "slotd pid $SLOTD port $PORT; RSS at start $(rss) kB"
"$BUILD/slotd_soak" "$PORT" "$SECONDS_TO_RUN" "$CONNECTIONS" &
DRIVER=$!
WARM=""
ELAPSED=0
while kill -0 $DRIVER 2>/dev/null; do
  sleep 10
  ELAPSED=$((ELAPSED + 10))
  NOW=$(rss)
  [[ -z "$WARM" && $ELAPSED -ge 60 ]] && WARM=$NOW
  echo "t=${ELAPSED}s RSS ${NOW} kB"
done
STATUS=0
wait $DRIVER || STATUS=$?
END=$(rss)
echo "RSS at end $END kB (after warm-up ${WARM:-n/a} kB)"
if [[ -n "$WARM" && $END -gt $((WARM * 12 / 10)) ]]; then
  echo "FAIL: resident memory grew more than 20% after warm-up"
  exit 1
fi
exit $STATUS
