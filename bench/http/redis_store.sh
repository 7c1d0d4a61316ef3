#!/usr/bin/env bash
# The Redis store's figures, in one run on this machine: the wrk v2 cycle
# (bench/http/wrk/v2_cycle.lua) on
#   memory   one slotd with the in-memory store;
#   redis1   one slotd on Redis (--store redis://);
#   redis2   two slotd on the same Redis, each driven by a wrk of half the
#            connections at the same time (their req/s summed);
#   before   (with a BASELINE binary) one slotd of that binary on the same
#            Redis: the store's change, side by side;
#   lua      Redis's own Lua semaphore (bench/http/redis_semaphore.lua) from
#            redis-benchmark: what the Redis store's floor would be without
#            HTTP and without slotd's scripts;
# and the Redis round trips per HTTP request, from Redis's own count of
# FCALL calls (INFO commandstats; EVALSHA too, for a slotd from before the
# store used Redis Functions) over the requests wrk counted, and the time
# Redis spent in each (its usec per call, one slotd).
#
#   bench/http/redis_store.sh [SLOTD_BINARY [BASELINE_BINARY]]
#
# Settings (environment): DURATION=10 seconds a run, ROUNDS=3 (medians over
# rounds; the order rotates round by round), CONNECTIONS=16, NICE, OUT_DIR
# (raw output, kept). Only 127.0.0.1 is targeted; every server started here
# is stopped on exit. Prints a table and writes key=value lines to
# OUT_DIR/redis_store.txt.
set -euo pipefail
cd "$(dirname "$0")/../.."
BENCH_NAME=redis_store
source bench/http/lib.sh
trap bench_stop_all EXIT

[[ $# -gt 0 ]] && SLOTD=$1
BASELINE=${2:-}
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
CONNECTIONS=${CONNECTIONS:-16}
OUT_DIR=${OUT_DIR:-$(mktemp -d /tmp/slotd-redis-store.XXXXXX)}
mkdir -p "$OUT_DIR"

bench_deps
bench_slotd_binary
bench_priority

# The store's Redis: as the benchmarks' other Redis, no persistence.
bench_start_redis store "$OUT_DIR"
store_port=$bench_port
sha=$bench_redis_sha
store_url=redis://$BENCH_HOST:$store_port
rcli=(redis-cli -h "$BENCH_HOST" -p "$store_port")

bench_start_slotd memory "$SLOTD" "$OUT_DIR"
memory_url=http://$BENCH_HOST:$bench_port
bench_start_slotd redis_a "$SLOTD" "$OUT_DIR" --store "$store_url"
a_url=http://$BENCH_HOST:$bench_port
bench_start_slotd redis_b "$SLOTD" "$OUT_DIR" --store "$store_url"
b_url=http://$BENCH_HOST:$bench_port
kinds=(memory redis1 redis2 lua)
if [[ -n $BASELINE ]]; then
  bench_start_slotd redis_before "$BASELINE" "$OUT_DIR" --store "$store_url"
  before_url=http://$BENCH_HOST:$bench_port
  kinds+=(before)
fi

create_cycle() {
  local got
  got=$(curl -sS -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    --data '{"name":"bench-cycle","limit":1000000000}' "$1/api/v2/concurrency_limits/")
  [[ $got == 201 ]] || bench_die "creating bench-cycle on $1 answered $got"
}
create_cycle "$memory_url"
create_cycle "$a_url"  # b shares it through Redis
bench_log "memory slotd $memory_url, Redis slotd $a_url and $b_url on $store_url; raw output in $OUT_DIR"

# "calls usec" of the store's commands (FCALL and EVALSHA) so far.
store_calls() {
  "${rcli[@]}" INFO commandstats | tr -d '\r' |
    awk -F'[:=,]' '/^cmdstat_(fcall|evalsha):/ { c += $3; u += $5 } END { printf "%d %d\n", c, u }'
}
requests_of() { sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' "$1"; }
check() {
  if [[ $(field "$2" unexpected) != 0 || $(field "$2" socket_errors) != 0 ]]; then
    bench_die "$1: unexpected answers or socket errors: $2"
  fi
}

# Warm-up, and Redis's request count: its rate in a short run times DURATION.
warm=$(bench_redis_semaphore "$store_port" "$sha" "$CONNECTIONS" 20000)
lua_requests=$(awk -v r="$(field "$warm" rps)" -v d="$DURATION" 'BEGIN { printf "%d", r * d }')
for url in "$memory_url" "$a_url" "$b_url" ${before_url:+"$before_url"}; do
  bench_wrk "$OUT_DIR/warm.txt" v2_cycle "$CONNECTIONS" 1 "$url" >/dev/null
done

: >"$OUT_DIR/runs.txt"
half=$((CONNECTIONS / 2))
for round in $(seq "$ROUNDS"); do
  for k in "${!kinds[@]}"; do
    kind=${kinds[$(((round - 1 + k) % ${#kinds[@]}))]}
    raw=$OUT_DIR/$round-$kind.txt
    case $kind in
      memory)
        line=$(bench_wrk "$raw" v2_cycle "$CONNECTIONS" "$DURATION" "$memory_url")
        check "$kind" "$line"
        ;;
      redis1 | before)
        url=$a_url
        [[ $kind == before ]] && url=$before_url
        read -r before before_us < <(store_calls)
        line=$(bench_wrk "$raw" v2_cycle "$CONNECTIONS" "$DURATION" "$url")
        read -r after after_us < <(store_calls)
        check "$kind" "$line"
        line="$line round_trips=$(awk -v c=$((after - before)) -v n="$(requests_of "$raw")" \
          'BEGIN { printf "%.3f", c / n }') redis_us=$(awk -v c=$((after - before)) \
          -v u=$((after_us - before_us)) 'BEGIN { printf "%.2f", u / c }')"
        ;;
      redis2)
        read -r before _ < <(store_calls)
        bench_wrk "$raw.a" v2_cycle "$half" "$DURATION" "$a_url" >"$raw.line_a" &
        wrk_a=$!
        bench_wrk "$raw.b" v2_cycle "$half" "$DURATION" "$b_url" >"$raw.line_b"
        wait "$wrk_a"
        read -r after _ < <(store_calls)
        line_a=$(cat "$raw.line_a")
        line_b=$(cat "$raw.line_b")
        check "$kind a" "$line_a"
        check "$kind b" "$line_b"
        n=$(($(requests_of "$raw.a") + $(requests_of "$raw.b")))
        line=$(awk -v ra="$(field "$line_a" rps)" -v rb="$(field "$line_b" rps)" \
          -v pa="$(field "$line_a" p99_us)" -v pb="$(field "$line_b" p99_us)" \
          -v c=$((after - before)) -v n="$n" \
          'BEGIN { printf "rps=%.1f p99_us=%d round_trips=%.3f", ra + rb, (pa > pb ? pa : pb), c / n }')
        ;;
      lua)
        line=$(bench_redis_semaphore "$store_port" "$sha" "$CONNECTIONS" "$lua_requests")
        ;;
    esac
    echo "kind=$kind round=$round $line" >>"$OUT_DIR/runs.txt"
    bench_log "round $round $kind: $line"
  done
done

awk -v out="$OUT_DIR/redis_store.txt" -v conns="$CONNECTIONS" -v rounds="$ROUNDS" \
  -v duration="$DURATION" '
  function median(list, n,   i, j, t) {
    for (i = 2; i <= n; i++) for (j = i; j > 1 && list[j - 1] > list[j]; j--) {
      t = list[j]; list[j] = list[j - 1]; list[j - 1] = t
    }
    return n % 2 ? list[(n + 1) / 2] : (list[n / 2] + list[n / 2 + 1]) / 2
  }
  {
    kind = ""; delete f
    for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
    kind = f["kind"]; k = ++n[kind]
    rps[kind, k] = f["rps"]; p99[kind, k] = f["p99_us"]; rt[kind, k] = f["round_trips"]
    us[kind, k] = f["redis_us"]
  }
  END {
    split("memory redis1 redis2 lua before", order, " ")
    label["memory"] = "one slotd, in memory"
    label["redis1"] = "one slotd on Redis"
    label["redis2"] = "two slotd on the same Redis (summed)"
    label["lua"] = "Redis Lua semaphore (redis-benchmark)"
    label["before"] = "one slotd on Redis, baseline binary"
    printf "v2 cycle, %d connections, %d rounds of %d s; medians\n\n", conns, rounds, duration
    printf "%-40s %10s %10s %12s\n", "", "req/s", "p99", "Redis trips"
    for (o = 1; o <= 5; o++) {
      s = order[o]
      if (!(s in n)) continue
      for (k = 1; k <= n[s]; k++) {
        a[k] = rps[s, k]; b[k] = p99[s, k]; c[k] = rt[s, k]; d[k] = us[s, k]
      }
      R[s] = median(a, n[s]); P[s] = median(b, n[s]); T[s] = median(c, n[s]); U[s] = median(d, n[s])
      printf "%-40s %10.0f %8.2f ms %12s\n", label[s], R[s], P[s] / 1000, (s ~ /redis|before/ ? sprintf("%.2f", T[s]) : "-")
      printf "%s_rps=%.0f %s_p99_us=%d %s_round_trips=%s\n", s, R[s], s, P[s], s, T[s] > out
    }
    printf "\nRedis slotd / memory slotd = %.2f (target >= 0.5: %s)\n", R["redis1"] / R["memory"], (R["redis1"] / R["memory"] >= 0.5 ? "met" : "missed")
    printf "two on Redis / one on Redis = %.2f\n", R["redis2"] / R["redis1"]
    printf "Redis time per store call, one slotd = %.2f us\n", U["redis1"]
    printf "redis1_us_per_call=%.2f\n", U["redis1"] > out
    printf "Redis slotd / Redis Lua semaphore = %.2f\n", R["redis1"] / R["lua"]
    if ("before" in n) {
      printf "Redis slotd / baseline Redis slotd = %.2f (Redis time per call %.2f us)\n", R["redis1"] / R["before"], U["before"]
      printf "before_us_per_call=%.2f\n", U["before"] > out
    }
  }' "$OUT_DIR/runs.txt"
