#!/usr/bin/env bash
# Two slotd binaries side by side in one run: the before/after figure a
# change to the server reports (a ratio on this shared machine, never an
# absolute number).
#
#   bench/http/compare.sh BEFORE_BINARY AFTER_BINARY
#
# Starts both on free 127.0.0.1 ports, creates the scenarios' limits on each
# (bench/http/create_limits.sh), then runs each wrk scenario ROUNDS times per
# binary, alternating which goes first round by round, and prints one line per
# scenario: the median req/s and p99 of each, and after/before.
#
# Settings (environment):
#   SCENARIOS="v2_cycle"   scenarios of bench/http/wrk/
#   DURATION=10            seconds per run
#   ROUNDS=3
#   CONNECTIONS=16
#   NICE=-10               priority of servers and wrk (-10 when root, else 0)
#   STREAM_CLIENTS_BEFORE=0, STREAM_CLIENTS_AFTER=0
#                          clients of GET /api/slotd/events (curl, reading and
#                          discarding every event) kept connected to each
#                          binary throughout; the same binary twice with
#                          STREAM_CLIENTS_AFTER=10 measures what they cost
# Only 127.0.0.1 is ever targeted. Both servers are stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."

if (($# != 2)); then
  echo "usage: bench/http/compare.sh BEFORE_BINARY AFTER_BINARY" >&2
  exit 2
fi
binaries=("$1" "$2")
names=(before after)
SCENARIOS=${SCENARIOS:-v2_cycle}
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
CONNECTIONS=${CONNECTIONS:-16}
NICE=${NICE:-$( ((EUID == 0)) && echo -10 || echo 0)}
OUT_DIR=$(mktemp -d /tmp/slotd-compare.XXXXXX)
HOST=127.0.0.1
command -v wrk >/dev/null || scripts/install-deps.sh wrk curl

pids=()
stream_pids=()
stop_servers() {
  for pid in "${stream_pids[@]}" "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${stream_pids[@]}" "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap stop_servers EXIT

urls=()
for i in 0 1; do
  nice -n "$NICE" "${binaries[$i]}" --host $HOST --port 0 --quiet \
    >"$OUT_DIR/${names[$i]}.stdout" 2>"$OUT_DIR/${names[$i]}.stderr" &
  pids+=($!)
  port=
  for _ in $(seq 100); do
    port=$(sed -n 's#.*listening on http://[^:]*:\([0-9]*\)/api.*#\1#p' \
      "$OUT_DIR/${names[$i]}.stdout")
    [[ -n $port ]] && break
    sleep 0.05
  done
  [[ -n $port ]] || { cat "$OUT_DIR/${names[$i]}.stderr" >&2; exit 1; }
  urls+=("http://$HOST:$port")
  bench/http/create_limits.sh "${urls[$i]}"
  clients=STREAM_CLIENTS_$(tr a-z A-Z <<<"${names[$i]}")
  for _ in $(seq "${!clients:-0}"); do
    nice -n "$NICE" curl -sN -o /dev/null "${urls[$i]}/api/slotd/events" &
    stream_pids+=($!)
  done
done

for round in $(seq "$ROUNDS"); do
  order=(0 1)
  ((round % 2 == 0)) && order=(1 0)
  for scenario in $SCENARIOS; do
    for i in "${order[@]}"; do
      nice -n "$NICE" wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --timeout 5s \
        -s "bench/http/wrk/$scenario.lua" "${urls[$i]}" |
        sed -n "s/^RESULT /${names[$i]} /p" >>"$OUT_DIR/results.txt"
    done
  done
done

# One line per scenario: medians of rps and p99 per binary, and the ratio.
for scenario in $SCENARIOS; do
  awk -v s="$scenario" '
    function median(list, n,   i, j, t) {
      for (i = 2; i <= n; i++) for (j = i; j > 1 && list[j - 1] > list[j]; j--) {
        t = list[j]; list[j] = list[j - 1]; list[j - 1] = t
      }
      return n % 2 ? list[(n + 1) / 2] : (list[n / 2] + list[n / 2 + 1]) / 2
    }
    $2 == "scenario=" s {
      for (f = 3; f <= NF; f++) {
        split($f, kv, "=")
        if (kv[1] == "rps") rps[$1, ++n[$1]] = kv[2]
        if (kv[1] == "p99_us") p99[$1, n[$1]] = kv[2]
      }
    }
    END {
      for (k = 1; k <= n["before"]; k++) { rb[k] = rps["before", k]; pb[k] = p99["before", k] }
      for (k = 1; k <= n["after"]; k++) { ra[k] = rps["after", k]; pa[k] = p99["after", k] }
      b = median(rb, n["before"]); a = median(ra, n["after"])
      printf "%s: before %.0f req/s (p99 %d us), after %.0f req/s (p99 %d us), after/before %.2f\n",
        s, b, median(pb, n["before"]), a, median(pa, n["after"]), a / b
    }' "$OUT_DIR/results.txt"
done
if ((${#stream_pids[@]} > 0)); then
  alive=0
  for pid in "${stream_pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=$((alive + 1)); done
  echo "stream clients still connected at the end: $alive of ${#stream_pids[@]}"
fi
echo "raw results: $OUT_DIR/results.txt"
