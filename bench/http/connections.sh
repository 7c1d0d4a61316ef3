#!/usr/bin/env bash
# What many connections cost: slotd beside nginx (bench/http/nginx.conf, the
# fixed JSON body), in one run.
#
#   bench/http/connections.sh [SLOTD_BINARY]
#
# 1. build/slotd_hold_connections (bench/http/hold_connections.cc) opens
#    HOLD=10000 keep-alive connections to the server, each answered once
#    (GET /api/health), and keeps them open, idle; while they are held the
#    server's VmRSS and Threads are read from /proc (for nginx, summed over
#    its master and workers), and again after they are closed. slotd's
#    connection cap is raised above HOLD (--max-connections where its --help
#    lists it, else --threads, the cap of the thread-per-connection server).
# 2. wrk -t1 -cWRK_CONNECTIONS (1000) runs the v2 cycle against slotd and the
#    same script against nginx, ROUNDS times alternating which goes first:
#    req/s and p99 side by side (medians).
#
# The binary defaults to $SLOTD, else build/slotd built Release; the holder is
# built in BUILD_DIR (default build/) unless SKIP_BUILD=1. The open-file
# limit is raised to the hard limit first, which must exceed HOLD.
#
# Settings (environment): HOLD=10000, HOLD_SECONDS=3 (how long connections
# stay held; the figures are read once all are open), WRK_CONNECTIONS=1000,
# DURATION=10, ROUNDS=3, NICE (-10 as root, else 0), OUT_DIR=<temp> (raw
# output, kept).
# Only 127.0.0.1 is targeted; every server started here is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
BENCH_NAME=connections
source bench/http/lib.sh
trap bench_stop_all EXIT

[[ $# -gt 0 ]] && SLOTD=$1
HOLD=${HOLD:-10000}
HOLD_SECONDS=${HOLD_SECONDS:-3}
WRK_CONNECTIONS=${WRK_CONNECTIONS:-1000}
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
OUT_DIR=${OUT_DIR:-$(mktemp -d /tmp/slotd-connections.XXXXXX)}
mkdir -p "$OUT_DIR"

bench_deps
bench_slotd_binary slotd_hold_connections
holder=${BUILD_DIR:-build}/slotd_hold_connections
if [[ ! -x $holder ]]; then
  [[ ${SKIP_BUILD:-0} == 1 ]] && bench_die "missing $holder"
  cmake -S . -B "${BUILD_DIR:-build}" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "${BUILD_DIR:-build}" -j2 --target slotd_hold_connections >/dev/null
fi
bench_priority

# Servers and the holder inherit the raised limit.
hard=$(ulimit -Hn)
[[ $hard == unlimited ]] && hard=1048576
((hard > 65536)) && hard=65536
ulimit -n "$hard"
((hard > HOLD + WRK_CONNECTIONS + 64)) ||
  bench_die "the open-file hard limit ($hard) is too low for $HOLD connections"

cap=$((2 * HOLD > 20000 ? 2 * HOLD : 20000))
flag=$(slotd_connections_flag "$SLOTD")
bench_start_slotd slotd "$SLOTD" "$OUT_DIR" "$flag" "$cap"
slotd_pid=$bench_pid slotd_port=$bench_port
bench/http/create_limits.sh "http://$BENCH_HOST:$slotd_port"
bench_start_nginx nginx "$OUT_DIR"
nginx_pid=$bench_pid nginx_port=$bench_port
bench_log "slotd ($SLOTD $flag $cap) on port $slotd_port, nginx on $nginx_port; raw output in $OUT_DIR"

# prefixed WORD "k=v k=v": "WORD_k=v WORD_k=v".
prefixed() { sed "s/\([a-z_]*=\)/$1_\1/g" <<<"$2"; }

# hold NAME PID PORT: holds HOLD connections on the server; records its
# memory before, while held and after in OUT_DIR/hold-NAME.txt.
hold() {
  local name=$1 pid=$2 port=$3 out=$OUT_DIR/hold-$1.out
  local before held after
  before=$(bench_memory "$pid")
  "$holder" --port "$port" --connections "$HOLD" --hold-seconds "$HOLD_SECONDS" >"$out" 2>&1 &
  local holder_pid=$!
  bench_track "$holder_pid"
  for _ in $(seq 1200); do
    grep -q '^held ' "$out" && break
    kill -0 "$holder_pid" 2>/dev/null || break
    sleep 0.05
  done
  grep -q '^held ' "$out" || { cat "$out" >&2; bench_die "the holder gave no result on $name"; }
  held=$(bench_memory "$pid")
  wait "$holder_pid" || true
  bench_stop "$holder_pid"
  sleep 1
  after=$(bench_memory "$pid")
  local open still
  open=$(sed -n 's/^held \([0-9]*\) of.*/\1/p' "$out")
  still=$(sed -n 's/^after .*: \([0-9]*\) still open/\1/p' "$out")
  echo "server=$name held=$open still_open=${still:-0} $(prefixed before "$before")" \
    "$(prefixed held "$held") $(prefixed after "$after")" >"$OUT_DIR/hold-$name.txt"
  bench_log "$name: $(head -1 "$out"); $held"
  grep 'first failure' "$out" >&2 || true
}
hold slotd "$slotd_pid" "$slotd_port"
hold nginx "$nginx_pid" "$nginx_port"

: >"$OUT_DIR/wrk-runs.txt"
for round in $(seq "$ROUNDS"); do
  order=(slotd nginx)
  ((round % 2 == 0)) && order=(nginx slotd)
  for server in "${order[@]}"; do
    port=$slotd_port
    [[ $server == nginx ]] && port=$nginx_port
    line=$(bench_wrk "$OUT_DIR/wrk-$round-$server.txt" v2_cycle "$WRK_CONNECTIONS" "$DURATION" \
      "http://$BENCH_HOST:$port")
    echo "server=$server $line" >>"$OUT_DIR/wrk-runs.txt"
    bench_log "round $round $server c=$WRK_CONNECTIONS: rps=$(field "$line" rps) p99_us=$(field "$line" p99_us)" \
      "socket_errors=$(field "$line" socket_errors) unexpected=$(field "$line" unexpected)"
  done
done

# ---- report ----------------------------------------------------------------------
mib() { awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }
echo "$HOLD idle keep-alive connections, each answered once, held for $HOLD_SECONDS s:"
printf '%-8s %8s %12s %16s %16s %16s %10s\n' "" held "still open" "RSS before" "RSS held" "RSS after" threads
for name in slotd nginx; do
  line=$(<"$OUT_DIR/hold-$name.txt")
  printf '%-8s %8s %12s %16s %16s %16s %10s\n' "$name" "$(field "$line" held)" \
    "$(field "$line" still_open)" "$(mib "$(field "$line" before_rss_kib)")" \
    "$(mib "$(field "$line" held_rss_kib)")" "$(mib "$(field "$line" after_rss_kib)")" \
    "$(field "$line" held_threads)"
done
echo "(nginx: summed over its $(field "$(<"$OUT_DIR/hold-nginx.txt")" held_processes) processes;" \
  "threads while held; slotd's threads before: $(field "$(<"$OUT_DIR/hold-slotd.txt")" before_threads)," \
  "after: $(field "$(<"$OUT_DIR/hold-slotd.txt")" after_threads))"
echo
awk -v conns="$WRK_CONNECTIONS" -v rounds="$ROUNDS" -v duration="$DURATION" '
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
    rps[s, k] = v["rps"]; p99[s, k] = v["p99_us"]; errors[s] += v["socket_errors"] + v["unexpected"]
  }
  END {
    printf "v2 cycle at %d connections (wrk -t1), %d rounds of %d s; medians\n", conns, rounds, duration
    printf "%-8s %10s %10s %16s\n", "", "req/s", "p99", "errors (all)"
    split("slotd nginx", order, " ")
    for (i = 1; i <= 2; i++) {
      s = order[i]
      for (k = 1; k <= n[s]; k++) { a[k] = rps[s, k]; c[k] = p99[s, k] }
      R[s] = median(a, n[s])
      printf "%-8s %10.0f %10s %16d\n", s, R[s], us(median(c, n[s])), errors[s]
    }
    printf "slotd / nginx = %.2f\n", R["slotd"] / R["nginx"]
  }' "$OUT_DIR/wrk-runs.txt"
echo "raw output: $OUT_DIR"
