#!/usr/bin/env bash
# Restart time of slotd binaries side by side (issue 14's restart target:
# 100k limits and 1M leases in under 3 s), for a before/after of a change:
#
#   bench/durable/restart.sh BINARY [BINARY...]
#
# Fills one data dir with SCALE_LIMITS limits and SCALE_LEASES leases over
# HTTP with the first binary (bench/durable/wrk/populate.lua, as run.sh
# does), copies it and compacts the copy into a snapshot, then restarts
# every binary on each dir, ROUNDS times, the order rotating round by round.
# For each restart: the wall time from exec to the listening line, and the
# CPU time the process had used by then (utime + stime of /proc/PID/stat),
# the figure the other sessions on this machine move least. Medians.
#
# Settings (environment): SCALE_LIMITS=100000 SCALE_LEASES=1000000 ROUNDS=3
#   CONNECTIONS=16 NICE=-10 (as root, else 0) OUT_DIR=<temp> (kept)
# Only 127.0.0.1 is targeted; every server started here is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
BENCH_NAME=restart
source bench/http/lib.sh
trap bench_stop_all EXIT

(($# > 0)) || bench_die "usage: bench/durable/restart.sh BINARY [BINARY...]"
binaries=("$@")
for binary in "${binaries[@]}"; do [[ -x $binary ]] || bench_die "no slotd binary at $binary"; done
SCALE_LIMITS=${SCALE_LIMITS:-100000}
SCALE_LEASES=${SCALE_LEASES:-1000000}
ROUNDS=${ROUNDS:-3}
CONNECTIONS=${CONNECTIONS:-16}
OUT_DIR=${OUT_DIR:-$(mktemp -d /tmp/slotd-restart.XXXXXX)}
mkdir -p "$OUT_DIR"
NO_SNAPSHOTS=1000000000000000
TICKS=$(getconf CLK_TCK)

bench_deps
bench_priority

now_ns() { date +%s%N; }
last_snapshot() {
  local newest
  newest=$(ls "$1" | sed -n 's/^snapshot-0*\([0-9][0-9]*\)\.snap$/\1/p' | sort -n | tail -1)
  echo "${newest:-0}"
}
scale_args() {
  echo --data-dir "$1" --fsync batch --max-leases $((SCALE_LEASES * 2)) --max-limits $((SCALE_LIMITS * 2))
}

# timed_start NAME BINARY DIR [ARG...]: starts slotd on DIR and waits (up to
# 120 s) for its listening line; sets pid, port, wall_ms and cpu_ms.
timed_start() {
  local name=$1 binary=$2 data=$3 started stat
  shift 3
  started=$(now_ns)
  # shellcheck disable=SC2046
  "${bench_nice[@]}" "$binary" --host "$BENCH_HOST" --port 0 --quiet $(scale_args "$data") "$@" \
    >"$OUT_DIR/$name.stdout" 2>"$OUT_DIR/$name.stderr" &
  pid=$!
  bench_track "$pid"
  port=
  for _ in $(seq 12000); do
    port=$(sed -n 's#.*listening on http://[^:]*:\([0-9]*\)/api.*#\1#p' "$OUT_DIR/$name.stdout" 2>/dev/null || true)
    [[ -n $port ]] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.01
  done
  [[ -n $port ]] || { cat "$OUT_DIR/$name.stderr" >&2; bench_die "$name did not start"; }
  wall_ms=$((($(now_ns) - started) / 1000000))
  # Fields 14 and 15 of /proc/PID/stat (after the parenthesised name).
  stat=$(sed 's/.*) //' "/proc/$pid/stat")
  cpu_ms=$(awk -v t="$TICKS" '{ printf "%d", ($12 + $13) * 1000 / t }' <<<"$stat")
}

# ---- the two data dirs ---------------------------------------------------------
journal_dir=$OUT_DIR/data-journal
snapshot_dir=$OUT_DIR/data-snapshot
timed_start fill "${binaries[0]}" "$journal_dir" --snapshot-journal-bytes "$NO_SNAPSHOTS"
url=http://$BENCH_HOST:$port
populate() {
  local what=$1 count=$2 made=0 piece=0 line codes before=-1
  while ((made < count && made > before)); do
    before=$made
    piece=$((piece + 1))
    line=$(bench_wrk "$OUT_DIR/fill-$what-$piece.txt" ../../durable/wrk/populate "$CONNECTIONS" 3 \
      "$url" what="$what" start="$made" count="$count" limits="$SCALE_LIMITS")
    [[ $(field "$line" unexpected) == 0 && $(field "$line" socket_errors) == 0 ]] ||
      bench_die "filling $what: $line"
    codes=$(field "$line" codes)
    made=$((made + $(tr , '\n' <<<"$codes" | awk -F: '$1 == 200 || $1 == 201 || $1 == 409 { n += $2 } END { print n + 0 }')))
  done
  bench_log "made $made $what in $piece pieces"
}
populate limits "$SCALE_LIMITS"
populate leases "$SCALE_LEASES"
bench_stop "$pid"
cp -a "$journal_dir" "$snapshot_dir"
# A journal past the threshold is compacted after the next write.
timed_start snap "${binaries[0]}" "$snapshot_dir" --snapshot-journal-bytes 4096
curl -sS -o /dev/null -X POST -H 'Content-Type: application/json' \
  --data '{"name":"scale-trigger","limit":1}' "http://$BENCH_HOST:$port/api/v2/concurrency_limits/"
for _ in $(seq 2400); do
  [[ $(last_snapshot "$snapshot_dir") != 0 ]] && break
  sleep 0.05
done
[[ $(last_snapshot "$snapshot_dir") != 0 ]] || bench_die "no snapshot was written in $snapshot_dir"
bench_stop "$pid"

# ---- the restarts --------------------------------------------------------------
runs=$OUT_DIR/restarts.txt
: >"$runs"
count=${#binaries[@]}
for round in $(seq "$ROUNDS"); do
  for i in $(seq 0 $((count - 1))); do
    b=$(((i + round - 1) % count))
    for from in journal snapshot; do
      data=$journal_dir
      [[ $from == snapshot ]] && data=$snapshot_dir
      timed_start "restart-$b-$from-$round" "${binaries[$b]}" "$data" --snapshot-journal-bytes "$NO_SNAPSHOTS"
      recovered=$(grep -o 'recovered [0-9]* limits and [0-9]* leases ([0-9]* records' \
        "$OUT_DIR/restart-$b-$from-$round.stderr" | tr -d '(' || true)
      echo "binary=$b from=$from round=$round wall_ms=$wall_ms cpu_ms=$cpu_ms $recovered" | tee -a "$runs" >&2
      bench_stop "$pid"
    done
  done
done

awk -v rounds="$ROUNDS" '
  function median(list, n,   i, j, t) {
    for (i = 2; i <= n; i++) for (j = i; j > 1 && list[j - 1] > list[j]; j--) {
      t = list[j]; list[j] = list[j - 1]; list[j - 1] = t
    }
    return n % 2 ? list[(n + 1) / 2] : (list[n / 2] + list[n / 2 + 1]) / 2
  }
  {
    delete v
    for (f = 1; f <= NF; f++) if (split($f, kv, "=") == 2) v[kv[1]] = kv[2]
    key = v["binary"] SUBSEP v["from"]; k = ++n[key]
    wall[key, k] = v["wall_ms"]; cpu[key, k] = v["cpu_ms"]
    if (v["binary"] > last) last = v["binary"]
  }
  END {
    printf "restart, exec to listening; medians of %d rounds (ms)\n", rounds
    printf "%-8s %-10s %10s %10s\n", "binary", "from", "wall", "cpu"
    for (b = 0; b <= last; b++) for (fi = 1; fi <= 2; fi++) {
      from = fi == 1 ? "journal" : "snapshot"; key = b SUBSEP from
      for (k = 1; k <= n[key]; k++) { a[k] = wall[key, k]; c[k] = cpu[key, k] }
      printf "%-8d %-10s %10d %10d\n", b, from, median(a, n[key]), median(c, n[key])
    }
  }' "$runs"
for i in "${!binaries[@]}"; do echo "binary $i: ${binaries[$i]}"; done
echo "raw output: $OUT_DIR"
