#!/usr/bin/env bash
# What --data-dir costs, in one run on this machine (issue 14's benchmarks):
#
#  1. The v2 cycle (bench/http/wrk/v2_cycle.lua, CONNECTIONS connections) on
#     three slotd side by side: in memory, --fsync batch and --fsync always,
#     beside Redis running the same Lua semaphore (bench/http/redis_semaphore.lua)
#     with no persistence, appendfsync everysec and appendfsync always, and
#     --fsync always once more with --io-threads 16 (each I/O thread waits
#     for its fsync, so only that many requests can share one). Each
#     round runs the seven in turn (the order rotates round by round); figures
#     are medians over rounds. Ratios: batch / memory (target >= 0.9),
#     always / memory (target >= 0.5), and Redis's the same way.
#  2. Journal bytes: per v2 increment/decrement pair (from those runs) and per
#     lease cycle (increment-with-lease, renew, decrement-with-lease).
#  3. A restart with SCALE_LIMITS limits and SCALE_LEASES leases
#     (bench/durable/wrk/populate.lua): the time from exec to the listening
#     line, replaying the journal alone, then from a snapshot; the snapshot's
#     size per lease; and the time SIGTERM takes (the journal's last flush).
#  4. p99 of the v2 cycle while snapshots of that state are written (a small
#     --snapshot-journal-bytes makes them come back to back), beside the same
#     run with none (reported, not a target).
#
#   bench/durable/run.sh [SLOTD_BINARY]
#
# The binary defaults to $SLOTD, else build/slotd built Release (SKIP_BUILD=1
# uses what is there). Data dirs live in OUT_DIR, so put it on the disk to
# measure (default: a new folder in /tmp).
#
# Settings (environment):
#   DURATION=10  ROUNDS=3  CONNECTIONS=16
#   SCALE_LIMITS=100000  SCALE_LEASES=1000000
#   SNAPSHOT_BYTES=8388608   --snapshot-journal-bytes of step 4
#   ONLY_CYCLE=1             step 1 alone (no perf, lease cycle or restart):
#                            a quick before/after of the journal's hot path
#   NICE=-10 (as root, else 0)  OUT_DIR=<temp> (kept)
# Only 127.0.0.1 is targeted; every server started here is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
BENCH_NAME=durable
source bench/http/lib.sh
trap bench_stop_all EXIT

[[ $# -gt 0 ]] && SLOTD=$1
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
CONNECTIONS=${CONNECTIONS:-16}
SCALE_LIMITS=${SCALE_LIMITS:-100000}
SCALE_LEASES=${SCALE_LEASES:-1000000}
SNAPSHOT_BYTES=${SNAPSHOT_BYTES:-8388608}
OUT_DIR=${OUT_DIR:-$(mktemp -d /tmp/slotd-durable.XXXXXX)}
mkdir -p "$OUT_DIR"
NO_SNAPSHOTS=1000000000000000  # --snapshot-journal-bytes that never comes

bench_deps
bench_slotd_binary
bench_priority

# Bytes of every journal file in a data dir.
journal_bytes() { cat "$1"/journal-*.log 2>/dev/null | wc -c; }
# The highest snapshot number in a data dir (0: none).
last_snapshot() {
  local newest
  newest=$(ls "$1" | sed -n 's/^snapshot-0*\([0-9][0-9]*\)\.snap$/\1/p' | sort -n | tail -1)
  echo "${newest:-0}"
}
now_ns() { date +%s%N; }

# ---- 1 and 2: the cycle, six servers -----------------------------------------
declare -A url dir port sha
for mode in memory batch always always_io16; do
  args=()
  if [[ $mode != memory ]]; then
    dir[$mode]=$OUT_DIR/data-$mode
    args=(--data-dir "${dir[$mode]}" --fsync "${mode%_io16}" --snapshot-journal-bytes "$NO_SNAPSHOTS")
  fi
  # --fsync always waits for the fsync on the I/O thread, so at most one
  # request per I/O thread shares an fsync: with 16 I/O threads, all 16
  # connections can (what answers parked until the fsync would give).
  [[ $mode == *_io16 ]] && args+=(--io-threads 16)
  bench_start_slotd "slotd-$mode" "$SLOTD" "$OUT_DIR" "${args[@]}"
  url[$mode]=http://$BENCH_HOST:$bench_port
  bench/http/create_limits.sh "${url[$mode]}"
done
bench_start_redis redis "$OUT_DIR"
port[redis]=$bench_port sha[redis]=$bench_redis_sha
bench_start_redis redis-everysec "$OUT_DIR" --appendonly yes --appendfsync everysec
port[redis_everysec]=$bench_port sha[redis_everysec]=$bench_redis_sha
bench_start_redis redis-always "$OUT_DIR" --appendonly yes --appendfsync always
port[redis_always]=$bench_port sha[redis_always]=$bench_redis_sha
bench_log "raw output in $OUT_DIR"

redis_run() { bench_redis_semaphore "${port[$1]}" "${sha[$1]}" "$CONNECTIONS" "$2"; }
# Redis's call count per run: its rate in a short first run times DURATION.
declare -A redis_n
for r in redis redis_everysec redis_always; do
  warm=$(redis_run "$r" 5000)
  redis_n[$r]=$(awk -v r="$(field "$warm" rps)" -v d="$DURATION" 'BEGIN { printf "%d", r * d }')
done
for mode in memory batch always always_io16; do
  bench_wrk "$OUT_DIR/warm-$mode.txt" v2_cycle "$CONNECTIONS" 1 "${url[$mode]}" >/dev/null
done

runs=$OUT_DIR/runs.txt
: >"$runs"
servers=(memory batch always always_io16 redis redis_everysec redis_always)
for round in $(seq "$ROUNDS"); do
  for k in "${!servers[@]}"; do
    s=${servers[$(((round - 1 + k) % ${#servers[@]}))]}
    case $s in
      redis*) line=$(redis_run "$s" "${redis_n[$s]}") ;;
      *)
        before=0
        [[ $s == memory ]] || before=$(journal_bytes "${dir[$s]}")
        line=$(bench_wrk "$OUT_DIR/$round-$s.txt" v2_cycle "$CONNECTIONS" "$DURATION" "${url[$s]}")
        if [[ $(field "$line" unexpected) != 0 || $(field "$line" socket_errors) != 0 ]]; then
          bench_die "$s round $round: unexpected answers or socket errors: $line"
        fi
        if [[ $s != memory ]]; then
          line="$line journal_bytes=$(($(journal_bytes "${dir[$s]}") - before))"
        fi
        ;;
    esac
    echo "server=$s round=$round $line" >>"$runs"
    bench_log "round $round $s: rps=$(field "$line" rps) p99_us=$(field "$line" p99_us)"
  done
done

if [[ ${ONLY_CYCLE:-0} == 1 ]]; then
  awk '{ for (f = 1; f <= NF; f++) { split($f, kv, "="); v[kv[1]] = kv[2] }
         r[v["server"]] = r[v["server"]] " " v["rps"] }
       END { for (s in r) print s ":" r[s] }' "$runs" | sort
  exit 0
fi

# Group commit: fdatasync calls per request of --fsync always (perf's
# syscall tracepoint on the server during one more run), beside the disk's
# own fdatasync time (append 150 bytes, fdatasync; 200 times, in OUT_DIR):
# with one request in flight per connection, no server can answer more than
# CONNECTIONS per fdatasync.
fsync_ms=$(python3 -c "
import os, time
path = '$OUT_DIR/fsync-probe'
fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
t = time.monotonic()
for _ in range(200):
    os.write(fd, b'x' * 150)
    os.fdatasync(fd)
print('%.2f' % ((time.monotonic() - t) / 200 * 1000))
os.unlink(path)")
bench_log "fdatasync of 150 appended bytes: $fsync_ms ms"
declare -A syncs_per_request
for mode in always always_io16; do
  pid=$(pgrep -f -- "--data-dir ${dir[$mode]} " | head -1)
  perf stat -x, -e syscalls:sys_enter_fdatasync -p "$pid" -o "$OUT_DIR/perf-$mode.txt" -- sleep 5 &
  perf_pid=$!
  line=$(bench_wrk "$OUT_DIR/perf-$mode-wrk.txt" v2_cycle "$CONNECTIONS" 5 "${url[$mode]}")
  wait "$perf_pid" || true
  syncs=$(awk -F, '/fdatasync/ { print $1 }' "$OUT_DIR/perf-$mode.txt")
  syncs_per_request[$mode]=$(awk -v s="$syncs" -v r="$(field "$line" requests)" 'BEGIN { printf "%.2f requests per fdatasync (%d fdatasyncs, %d requests)", r / s, s, r }')
  bench_log "$mode: ${syncs_per_request[$mode]}"
done

# The lease cycle on the batch server: journal bytes per lease (3 requests).
before=$(journal_bytes "${dir[batch]}")
line=$(bench_wrk "$OUT_DIR/lease-batch.txt" lease_cycle "$CONNECTIONS" 5 "${url[batch]}")
lease_bytes=$(($(journal_bytes "${dir[batch]}") - before))
lease_requests=$(field "$line" requests)
bench_log "lease cycle (batch): $line journal_bytes=$lease_bytes"
bench_stop_all

# ---- 3: restart at scale -----------------------------------------------------
scale_dir=$OUT_DIR/data-scale
scale_args=(--data-dir "$scale_dir" --fsync batch --max-leases $((SCALE_LEASES * 2))
  --max-limits $((SCALE_LIMITS * 2)))
bench_start_slotd scale-fill "$SLOTD" "$OUT_DIR" "${scale_args[@]}" \
  --snapshot-journal-bytes "$NO_SNAPSHOTS"
scale_url=http://$BENCH_HOST:$bench_port
fill_started=$(now_ns)
# populate WHAT COUNT: bench/durable/wrk/populate.lua in pieces of 3 s until
# COUNT of WHAT are made, or a piece makes none (wrk takes one request from
# the script before it connects and never sends it, so a few may be missing;
# the restart's log line has the exact counts).
populate() {
  local what=$1 count=$2 made=0 piece=0 line codes before=-1
  while ((made < count && made > before)); do
    before=$made
    piece=$((piece + 1))
    line=$(bench_wrk "$OUT_DIR/fill-$what-$piece.txt" ../../durable/wrk/populate "$CONNECTIONS" 3 \
      "$scale_url" what="$what" start="$made" count="$count" limits="$SCALE_LIMITS")
    [[ $(field "$line" unexpected) == 0 && $(field "$line" socket_errors) == 0 ]] ||
      bench_die "filling $what: $line"
    codes=$(field "$line" codes)
    made=$((made + $(tr , '\n' <<<"$codes" | awk -F: '$1 == 200 || $1 == 201 || $1 == 409 { n += $2 } END { print n + 0 }')))
  done
  bench_log "made $made $what in $piece pieces"
}
populate limits "$SCALE_LIMITS"
populate leases "$SCALE_LEASES"
fill_s=$(awk -v a="$fill_started" -v b="$(now_ns)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
fill_memory=$(bench_memory "$bench_pid")
stop_started=$(now_ns)
bench_stop "$bench_pid"
stop_ms=$((($(now_ns) - stop_started) / 1000000))
scale_journal=$(journal_bytes "$scale_dir")

# restart NAME [ARG...]: starts the scale slotd on its dir and sets
# restart_ms to the ms from exec to its listening line; leaves it running
# (bench_pid, bench_port).
restart() {
  local name=$1 started
  shift
  started=$(now_ns)
  bench_start_slotd "$name" "$SLOTD" "$OUT_DIR" "${scale_args[@]}" "$@"
  restart_ms=$((($(now_ns) - started) / 1000000))
}
restart scale-journal --snapshot-journal-bytes "$NO_SNAPSHOTS"
restart_journal_ms=$restart_ms
recovered_journal=$(grep -o 'recovered .*' "$OUT_DIR/scale-journal.stderr" || true)
bench_stop "$bench_pid"

# A snapshot: a journal past the threshold is compacted after the next write.
restart scale-snap --snapshot-journal-bytes 4096
curl -sS -o /dev/null -X POST -H 'Content-Type: application/json' \
  --data '{"name":"scale-trigger","limit":1}' "http://$BENCH_HOST:$bench_port/api/v2/concurrency_limits/"
snap_started=$(now_ns)
for _ in $(seq 1200); do
  [[ $(last_snapshot "$scale_dir") != 0 ]] && break
  sleep 0.05
done
snap_number=$(last_snapshot "$scale_dir")
[[ $snap_number != 0 ]] || bench_die "no snapshot was written in $scale_dir"
snap_ms=$((($(now_ns) - snap_started) / 1000000))
snap_bytes=$(wc -c <"$scale_dir/snapshot-$(printf '%020d' "$snap_number").snap")
bench_stop "$bench_pid"
restart scale-from-snapshot --snapshot-journal-bytes "$NO_SNAPSHOTS"
restart_snapshot_ms=$restart_ms
recovered_snapshot=$(grep -o 'recovered .*' "$OUT_DIR/scale-from-snapshot.stderr" || true)
scale_memory=$(bench_memory "$bench_pid")
bench_log "restart: journal $restart_journal_ms ms, snapshot $restart_snapshot_ms ms"

# ---- 4: p99 while snapshots are written ---------------------------------------
scale_url=http://$BENCH_HOST:$bench_port
bench/http/create_limits.sh "$scale_url"
quiet_line=$(bench_wrk "$OUT_DIR/snapshot-none.txt" v2_cycle "$CONNECTIONS" "$DURATION" "$scale_url")
bench_stop "$bench_pid"
restart scale-snapshots --snapshot-journal-bytes "$SNAPSHOT_BYTES"
scale_url=http://$BENCH_HOST:$bench_port
snaps_before=$(last_snapshot "$scale_dir")
busy_line=$(bench_wrk "$OUT_DIR/snapshot-busy.txt" v2_cycle "$CONNECTIONS" "$DURATION" "$scale_url")
snaps_during=$(($(last_snapshot "$scale_dir") - snaps_before))
bench_stop "$bench_pid"

# ---- report --------------------------------------------------------------------
awk -v conns="$CONNECTIONS" -v rounds="$ROUNDS" -v duration="$DURATION" '
  function median(list, n,   i, j, t) {
    for (i = 2; i <= n; i++) for (j = i; j > 1 && list[j - 1] > list[j]; j--) {
      t = list[j]; list[j] = list[j - 1]; list[j - 1] = t
    }
    return n % 2 ? list[(n + 1) / 2] : (list[n / 2] + list[n / 2 + 1]) / 2
  }
  function us(x) { return x >= 1000 ? sprintf("%.2f ms", x / 1000) : sprintf("%d us", x) }
  {
    delete v
    for (f = 1; f <= NF; f++) { split($f, kv, "="); v[kv[1]] = kv[2] }
    s = v["server"]; k = ++n[s]
    rps[s, k] = v["rps"]; p50[s, k] = v["p50_us"]; p99[s, k] = v["p99_us"]
    if ("journal_bytes" in v) { jb[s] += v["journal_bytes"]; rq[s] += v["requests"] }
  }
  END {
    split("memory batch always always_io16 redis redis_everysec redis_always", order, " ")
    label["memory"] = "slotd, in memory"
    label["batch"] = "slotd --fsync batch (10 ms)"
    label["always"] = "slotd --fsync always"
    label["always_io16"] = "slotd --fsync always --io-threads 16"
    label["redis"] = "Redis, no persistence"
    label["redis_everysec"] = "Redis, appendfsync everysec"
    label["redis_always"] = "Redis, appendfsync always"
    printf "v2 cycle, %d connections, %d rounds of %d s; medians\n\n", conns, rounds, duration
    printf "%-34s %10s %10s %10s\n", "", "req/s", "p50", "p99"
    for (i = 1; i <= 7; i++) {
      s = order[i]
      for (k = 1; k <= n[s]; k++) { a[k] = rps[s, k]; b[k] = p50[s, k]; c[k] = p99[s, k] }
      R[s] = median(a, n[s]); P50[s] = median(b, n[s]); P99[s] = median(c, n[s])
      printf "%-34s %10.0f %10s %10s\n", label[s], R[s], us(P50[s]), us(P99[s])
    }
    printf "\nbatch / memory  = %.2f (target >= 0.9: %s)\n", R["batch"] / R["memory"], (R["batch"] / R["memory"] >= 0.9 ? "met" : "missed")
    printf "always / memory = %.2f (target >= 0.5: %s)\n", R["always"] / R["memory"], (R["always"] / R["memory"] >= 0.5 ? "met" : "missed")
    printf "always with 16 I/O threads / memory = %.2f\n", R["always_io16"] / R["memory"]
    printf "Redis everysec / none = %.2f, always / none = %.2f\n", R["redis_everysec"] / R["redis"], R["redis_always"] / R["redis"]
    printf "slotd batch / Redis everysec = %.2f, slotd always / Redis always = %.2f\n", R["batch"] / R["redis_everysec"], R["always"] / R["redis_always"]
    for (s in jb) printf "journal bytes per increment/decrement pair (%s): %.1f\n", s, jb[s] / (rq[s] / 2)
  }' "$runs"
awk -v b="$lease_bytes" -v r="$lease_requests" 'BEGIN {
  printf "journal bytes per lease cycle (increment-with-lease, renew, release; batch): %.1f\n", b / (r / 3) }'
echo "disk: fdatasync of 150 appended bytes takes $fsync_ms ms, so at most $(awk -v c="$CONNECTIONS" -v f="$fsync_ms" 'BEGIN { printf "%.0f", c * 1000 / f }') answers/s with $CONNECTIONS requests in flight"
echo "group commit, --fsync always: ${syncs_per_request[always]}"
echo "group commit, --fsync always --io-threads 16: ${syncs_per_request[always_io16]}"
echo
echo "restart with $SCALE_LIMITS limits and $SCALE_LEASES leases (filled over HTTP in $fill_s s; $fill_memory):"
echo "  journal of the fill: $scale_journal bytes ($(awk -v b="$scale_journal" -v n="$SCALE_LEASES" -v l="$SCALE_LIMITS" 'BEGIN { printf "%.1f", b / (n + l) }') per record)"
echo "  SIGTERM to exit: $stop_ms ms"
echo "  exec to listening, journal only: $restart_journal_ms ms (target < 3000: $( ((restart_journal_ms < 3000)) && echo met || echo missed)); $recovered_journal"
echo "  snapshot: $snap_bytes bytes, $(awk -v b="$snap_bytes" -v n="$SCALE_LEASES" 'BEGIN { printf "%.1f", b / n }') per lease (limits included); written within $snap_ms ms of the change that asked"
echo "  exec to listening, from the snapshot: $restart_snapshot_ms ms (target < 3000: $( ((restart_snapshot_ms < 3000)) && echo met || echo missed)); $recovered_snapshot"
echo "  resident after the restart: $scale_memory"
echo
echo "v2 cycle on that state ($DURATION s, $CONNECTIONS connections, --fsync batch):"
echo "  no snapshot:                       rps=$(field "$quiet_line" rps) p50_us=$(field "$quiet_line" p50_us) p99_us=$(field "$quiet_line" p99_us) max_us=$(field "$quiet_line" max_us)"
echo "  $snaps_during snapshots during the run: rps=$(field "$busy_line" rps) p50_us=$(field "$busy_line" p50_us) p99_us=$(field "$busy_line" p99_us) max_us=$(field "$busy_line" max_us)"
echo "raw output: $OUT_DIR"
