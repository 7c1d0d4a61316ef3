#!/usr/bin/env bash
# slotd's v2 cycle beside the two programs it is measured against, in one
# run on this machine:
#   - nginx (Debian nginx-light, bench/http/nginx.conf) answering the same
#     wrk v2 cycle with a fixed JSON body: what an HTTP server does with no
#     work behind it;
#   - Redis (redis-server, no persistence) running a Lua counting semaphore
#     (bench/http/redis_semaphore.lua) from redis-benchmark, acquire and
#     release alternating as the v2 cycle's increment and decrement do: the
#     usual way to share slots across processes without slotd;
#   - pipelining at depth 16 (bench/http/wrk/pipeline16.lua) on slotd and
#     nginx. wrk counts each pipelined answer as a request, so its req/s are
#     HTTP requests (16 a pipeline). Its latency figures are left out there:
#     wrk takes one sample per pipeline and its correction for missed samples
#     assumes one answer per sample, so its pipelined percentiles are wrong
#     (a p99 of 0 was seen).
#
#   bench/http/anchors.sh [SLOTD_BINARY]
#
# The binary defaults to $SLOTD, else build/slotd built Release (SKIP_BUILD=1
# uses what is there). Each round runs the three in turn (the order rotates
# round by round); the figures are medians over rounds. Prints a table with
# req/s, p50 and p99 of each, and slotd / Redis (the transport issue's target:
# at least 0.9) and slotd / nginx; writes the same as key=value lines to
# OUT_DIR/anchors.txt (bench/http/run.sh reads it).
#
# Settings (environment):
#   DURATION=10        seconds of each wrk run; Redis's request count is set
#                      so that its runs last about as long
#   ROUNDS=3
#   CONNECTIONS=16     wrk connections and redis-benchmark clients
#   NICE=-10           priority of the servers and load generators (-10 as
#                      root, else 0)
#   OUT_DIR=<temp>     raw output (kept)
# Only 127.0.0.1 is targeted; every server started here is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
BENCH_NAME=anchors
source bench/http/lib.sh
trap bench_stop_all EXIT

[[ $# -gt 0 ]] && SLOTD=$1
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
CONNECTIONS=${CONNECTIONS:-16}
OUT_DIR=${OUT_DIR:-$(mktemp -d /tmp/slotd-anchors.XXXXXX)}
mkdir -p "$OUT_DIR"

bench_deps
bench_slotd_binary
bench_priority

# ---- the three servers ---------------------------------------------------------
bench_start_slotd slotd "$SLOTD" "$OUT_DIR"
slotd_url=http://$BENCH_HOST:$bench_port
slotd_pid=$bench_pid
bench/http/create_limits.sh "$slotd_url"

bench_start_nginx nginx "$OUT_DIR"
nginx_url=http://$BENCH_HOST:$bench_port

bench_start_redis redis "$OUT_DIR"
redis_port=$bench_port
sha=$bench_redis_sha
bench_log "slotd at $slotd_url, nginx at $nginx_url, redis at $BENCH_HOST:$redis_port; raw output in $OUT_DIR"

# redis_run N: one redis-benchmark run of N semaphore calls from zero.
redis_run() { bench_redis_semaphore "$redis_port" "$sha" "$CONNECTIONS" "$1"; }

# Redis's request count: its rate in a short first run (also a warm-up)
# times DURATION.
warm=$(redis_run 20000)
redis_requests=$(awk -v r="$(field "$warm" rps)" -v d="$DURATION" 'BEGIN { printf "%d", r * d }')
bench_wrk "$OUT_DIR/warm-slotd.txt" v2_cycle "$CONNECTIONS" 1 "$slotd_url" >/dev/null
bench_wrk "$OUT_DIR/warm-nginx.txt" v2_cycle "$CONNECTIONS" 1 "$nginx_url" >/dev/null

: >"$OUT_DIR/anchors-runs.txt"
servers=(slotd nginx redis slotd_p16 nginx_p16)
for round in $(seq "$ROUNDS"); do
  for k in "${!servers[@]}"; do
    server=${servers[$(((round - 1 + k) % ${#servers[@]}))]}
    raw=$OUT_DIR/$round-$server.txt
    case $server in
      slotd) line=$(bench_wrk "$raw" v2_cycle "$CONNECTIONS" "$DURATION" "$slotd_url") ;;
      nginx) line=$(bench_wrk "$raw" v2_cycle "$CONNECTIONS" "$DURATION" "$nginx_url") ;;
      redis) line=$(redis_run "$redis_requests") ;;
      slotd_p16) line=$(bench_wrk "$raw" pipeline16 "$CONNECTIONS" "$DURATION" "$slotd_url") ;;
      nginx_p16) line=$(bench_wrk "$raw" pipeline16 "$CONNECTIONS" "$DURATION" "$nginx_url") ;;
    esac
    if [[ $server != redis && ($(field "$line" unexpected) != 0 || $(field "$line" socket_errors) != 0) ]]; then
      bench_die "$server round $round: unexpected answers or socket errors: $line"
    fi
    echo "server=$server round=$round $line" >>"$OUT_DIR/anchors-runs.txt"
    if [[ $server == *_p16 ]]; then
      bench_log "round $round $server: rps=$(field "$line" rps)"
    else
      bench_log "round $round $server: rps=$(field "$line" rps) p99_us=$(field "$line" p99_us)"
    fi
  done
done
slotd_memory=$(bench_memory "$slotd_pid")

# ---- report ----------------------------------------------------------------------
awk -v out="$OUT_DIR/anchors.txt" -v conns="$CONNECTIONS" -v rounds="$ROUNDS" -v duration="$DURATION" -v redis_n="$redis_requests" '
  function median(list, n,   i, j, t) {
    for (i = 2; i <= n; i++) for (j = i; j > 1 && list[j - 1] > list[j]; j--) {
      t = list[j]; list[j] = list[j - 1]; list[j - 1] = t
    }
    return n % 2 ? list[(n + 1) / 2] : (list[n / 2] + list[n / 2 + 1]) / 2
  }
  function us(x) { return x >= 1000 ? sprintf("%.2f ms", x / 1000) : sprintf("%d us", x) }
  {
    for (f = 1; f <= NF; f++) { split($f, kv, "="); v[kv[1]] = kv[2] }
    s = v["server"]; k = ++n[s]
    rps[s, k] = v["rps"]; p50[s, k] = v["p50_us"]; p99[s, k] = v["p99_us"]
  }
  END {
    split("slotd nginx redis slotd_p16 nginx_p16", order, " ")
    for (i = 1; i <= 5; i++) {
      s = order[i]
      for (k = 1; k <= n[s]; k++) { a[k] = rps[s, k]; b[k] = p50[s, k]; c[k] = p99[s, k] }
      R[s] = median(a, n[s]); P50[s] = median(b, n[s]); P99[s] = median(c, n[s])
    }
    printf "v2 cycle, %d connections, %d rounds of %d s (Redis: %d calls a round); medians\n\n", conns, rounds, duration, redis_n
    printf "%-46s %10s %10s %10s\n", "", "req/s", "p50", "p99"
    printf "%-46s %10.0f %10s %10s\n", "slotd (v2 increment / decrement)", R["slotd"], us(P50["slotd"]), us(P99["slotd"])
    printf "%-46s %10.0f %10s %10s\n", "nginx, fixed JSON (same wrk script)", R["nginx"], us(P50["nginx"]), us(P99["nginx"])
    printf "%-46s %10.0f %10s %10s\n", "Redis, Lua semaphore (redis-benchmark)", R["redis"], us(P50["redis"]), us(P99["redis"])
    printf "\nslotd / Redis = %.2f (target >= 0.9: %s)\n", R["slotd"] / R["redis"], (R["slotd"] / R["redis"] >= 0.9 ? "met" : "missed")
    printf "slotd / nginx = %.2f\n", R["slotd"] / R["nginx"]
    printf "slotd p99 < 1 ms: %s\n", (P99["slotd"] < 1000 ? "met" : "missed")
    printf "\npipelining at depth 16 (wrk/pipeline16.lua: 8 increment / decrement pairs written at once):\n"
    printf "%-46s %10.0f req/s = %.0f pipelines/s\n", "slotd", R["slotd_p16"], R["slotd_p16"] / 16
    printf "%-46s %10.0f req/s = %.0f pipelines/s\n", "nginx, fixed JSON", R["nginx_p16"], R["nginx_p16"] / 16
    printf "slotd / nginx at depth 16 = %.2f\n", R["slotd_p16"] / R["nginx_p16"]
    for (i = 1; i <= 5; i++) {
      s = order[i]
      printf "anchor=%s rps=%.1f p50_us=%d p99_us=%d\n", s, R[s], P50[s], P99[s] > out
    }
  }' "$OUT_DIR/anchors-runs.txt"
echo "slotd after the runs: $slotd_memory"
echo "raw output: $OUT_DIR"
