#!/usr/bin/env bash
# The HTTP and engine benchmarks, in one command, from the repository root:
#
#   bench/http/run.sh
#
# Builds Release into build/, starts slotd, the bare cpp-httplib floor
# server (bench/http/floor_server.cc) and the real Prefect server of the
# pinned release (SQLite; .venv/, built by scripts/python-env.sh; started as
# tests/prefect/conftest.py starts it) on free 127.0.0.1 ports, creates the
# limits the scenarios use on each, and runs the wrk scenarios of
# bench/http/wrk/ in ROUNDS rounds, the servers in turn scenario by scenario
# (which goes first rotates round by round). Prefect also runs the v2 cycle at
# one connection each round: with SQLite it answers concurrent writes 503
# ("database is locked", which its client retries), so one connection is its
# best case. Then a connection sweep of the v2 cycle (1..256 connections) on
# slotd and the floor, the anchors (bench/http/anchors.sh: nginx and a Redis
# Lua semaphore beside slotd, pipelining at depth 16), the engine benchmark
# (build/slotd_engine_bench) and the memory benchmark
# (build/slotd_memory_bench). Writes bench/RESULTS.md and the PNG plots beside
# it (bench/http/report.py, gnuplot).
#
# Settings (environment):
#   DURATION=10        seconds per scenario run
#   ROUNDS=3           rounds; RESULTS.md reports medians over them
#   CONNECTIONS=16     connections of every scenario but the contended one
#   CONTENDED_CONNECTIONS=64
#   SWEEP="1 2 4 8 16 32 64 128 256"   connection counts of the sweep
#   SWEEP_DURATION=5   seconds per sweep point
#   SWEEP_ROUNDS=2     sweeps (alternating which server goes first); medians
#   FLOOR_SCENARIOS="v2_cycle v1_cycle lease_cycle get_by_name filter_200"
#                      scenarios also run against the floor ("v2_cycle" at least)
#   PREFECT_SCENARIOS="v2_cycle v1_cycle lease_cycle get_by_name filter_200 contended"
#                      scenarios also run against the real Prefect server
#   SKIP_PREFECT=1     no Prefect server (RESULTS.md then has no slotd / Prefect)
#   PIN=0              1: servers on CPU 0, wrk on CPU 1 (taskset). Off by
#                      default: squeezing cpp-httplib's thread per connection
#                      onto one CPU collapsed both servers (down to tens of
#                      req/s with p99 near 1 s) on this 2-core machine.
#   NICE=-10           priority of servers, wrk and the engine benchmark (-10
#                      when run as root, else 0): shields the figures from
#                      other work on the machine
#   SLOTD_ARGS=""      extra arguments for build/slotd
#   FLOOR_ARGS=""      extra arguments for the floor server
#   BUILD_DIR=build    SKIP_BUILD=1 uses what BUILD_DIR holds
#   OUT_DIR=<temp>     where raw wrk output and plot data go (kept)
#   RESULTS_DIR=bench  where RESULTS.md and the PNGs go
#   ENGINE_BENCH_ARGS="--benchmark_repetitions=3 --benchmark_report_aggregates_only=true"
#                      arguments of the engine benchmark; RESULTS.md shows the
#                      medians when there are repetitions
#   SKIP_ENGINE=1 / SKIP_MEMORY=1 / SKIP_SWEEP=1 / SKIP_ANCHORS=1
#   PROFILE=1          also count instructions per request under callgrind
#                      (bench/http/profile.sh, PROFILE_SECONDS=10 per server
#                      and scenario) and add the table to RESULTS.md
# Only 127.0.0.1 is ever targeted. Every server started here is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."

DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
CONNECTIONS=${CONNECTIONS:-16}
CONTENDED_CONNECTIONS=${CONTENDED_CONNECTIONS:-64}
SWEEP=${SWEEP:-1 2 4 8 16 32 64 128 256}
SWEEP_DURATION=${SWEEP_DURATION:-5}
SWEEP_ROUNDS=${SWEEP_ROUNDS:-2}
FLOOR_SCENARIOS=${FLOOR_SCENARIOS:-v2_cycle v1_cycle lease_cycle get_by_name filter_200}
SCENARIOS="v2_cycle v1_cycle lease_cycle get_by_name filter_200 contended"
PREFECT_SCENARIOS=${PREFECT_SCENARIOS:-$SCENARIOS}
[[ ${SKIP_PREFECT:-0} == 1 ]] && PREFECT_SCENARIOS=
PIN=${PIN:-0}
NICE=${NICE:-$( ((EUID == 0)) && echo -10 || echo 0)}
BUILD_DIR=${BUILD_DIR:-build}
RESULTS_DIR=${RESULTS_DIR:-bench}
OUT_DIR=${OUT_DIR:-$(mktemp -d /tmp/slotd-bench.XXXXXX)}
mkdir -p "$OUT_DIR" "$RESULTS_DIR"
WRK_DIR=bench/http/wrk
HOST=127.0.0.1

log() { echo "bench: $*" >&2; }
BENCH_NAME=bench
source bench/http/lib.sh

# ---- packages and build ------------------------------------------------------
# wrk, curl, nginx, Redis (scripts/install-deps.sh's list) and the plots'
# and profile's tools.
bench_deps gnuplot-nox valgrind

if [[ ${SKIP_BUILD:-0} != 1 ]]; then
  cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release
  cmake --build "$BUILD_DIR" -j2 \
    --target slotd slotd_floor_server slotd_engine_bench slotd_memory_bench
fi
for binary in slotd slotd_floor_server; do
  [[ -x $BUILD_DIR/$binary ]] || { log "missing $BUILD_DIR/$binary"; exit 1; }
done

# Prefixes for the servers and wrk: a raised priority, so that other work on
# the machine (a build, say) takes less from the measurement; and with PIN=1
# the CPU each runs on.
server_cpu=() wrk_cpu=() nice_prefix=()
if ((NICE != 0)); then
  nice_prefix=(nice -n "$NICE")
  server_cpu=("${nice_prefix[@]}") wrk_cpu=("${nice_prefix[@]}")
fi
if [[ $PIN == 1 ]]; then
  server_cpu+=(taskset -c 0) wrk_cpu+=(taskset -c 1)
fi

load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- servers -----------------------------------------------------------------
# Every server started here (start below, bench_start_prefect) is tracked
# by lib.sh and stopped on exit.
trap bench_stop_all EXIT
declare -A url pid

# start NAME COMMAND...: runs the command (which prints "... listening on
# http://HOST:PORT/api" with --port 0) and sets $port.
start() {
  local name=$1
  shift
  "${server_cpu[@]}" "$@" >"$OUT_DIR/$name.stdout" 2>"$OUT_DIR/$name.stderr" &
  pid[$name]=$!
  bench_track $!
  for _ in $(seq 100); do
    port=$(sed -n 's#.*listening on http://[^:]*:\([0-9]*\)/api.*#\1#p' "$OUT_DIR/$name.stdout")
    [[ -n $port ]] && return 0
    sleep 0.05
  done
  log "$name did not start:"
  cat "$OUT_DIR/$name.stderr" >&2
  exit 1
}

# shellcheck disable=SC2086
start slotd "$BUILD_DIR/slotd" --host $HOST --port 0 --quiet ${SLOTD_ARGS:-}
url[slotd]=http://$HOST:$port
# shellcheck disable=SC2086
start floor "$BUILD_DIR/slotd_floor_server" --host $HOST --port 0 ${FLOOR_ARGS:-}
url[floor]=http://$HOST:$port
if [[ -n $PREFECT_SCENARIOS ]]; then
  # At the servers' priority (bench_start_prefect runs it under bench_nice).
  bench_nice=("${nice_prefix[@]}")
  bench_start_prefect prefect "$OUT_DIR"
  bench_nice=()
  url[prefect]=http://$HOST:$bench_port
  pid[prefect]=$bench_pid
  prefect_version=$(.venv/bin/python -c 'import prefect; print(prefect.__version__)')
fi
log "servers: $(for s in "${!url[@]}"; do echo -n "$s ${url[$s]}  "; done)raw output in $OUT_DIR"

# ---- limits the scenarios use ------------------------------------------------
bench/http/create_limits.sh "${url[slotd]}"
[[ -z $PREFECT_SCENARIOS ]] || bench/http/create_limits.sh "${url[prefect]}"

# ---- runs --------------------------------------------------------------------
# run PHASE ROUND SERVER SCENARIO CONNECTIONS SECONDS: one wrk run, its RESULT
# line appended to results.txt with the run's coordinates.
run() {
  local phase=$1 round=$2 server=$3 scenario=$4 connections=$5 seconds=$6
  if [[ $server != floor && $scenario == contended ]]; then
    bench/http/create_limits.sh "${url[$server]}" --contended-only
  fi
  local args=()
  # At Prefect's rate a lag of 4096 requests would leave no release in a
  # run; 64 requests later its renew has been answered all the same.
  [[ $server == prefect && $scenario == lease_cycle ]] && args=(-- lag=64)
  local raw=$OUT_DIR/$phase-$round-$server-$scenario-c$connections.txt
  local server_pid=${pid[$server]}
  local cpu_before cpu_after
  cpu_before=$(awk '{print $14 + $15, $15}' "/proc/$server_pid/stat")
  "${wrk_cpu[@]}" wrk -t1 -c"$connections" -d"${seconds}s" --timeout 5s \
    -s "$WRK_DIR/$scenario.lua" "${url[$server]}" "${args[@]}" >"$raw" 2>&1 || true
  cpu_after=$(awk '{print $14 + $15, $15}' "/proc/$server_pid/stat")
  local line
  line=$(grep '^RESULT ' "$raw" || true)
  if [[ -z $line ]]; then
    log "no result from $raw:"
    cat "$raw" >&2
    exit 1
  fi
  # The server's CPU time during the run, in clock ticks: total and system.
  local cpu_ticks sys_ticks
  read -r cpu_ticks sys_ticks < <(paste -d' ' <(echo "$cpu_before") <(echo "$cpu_after") |
    awk '{print $3 - $1, $4 - $2}')
  echo "phase=$phase round=$round server=$server connections=$connections" \
    "cpu_ticks=$cpu_ticks sys_ticks=$sys_ticks ${line#RESULT }" >>"$OUT_DIR/results.txt"
  log "$phase $round $server $scenario c=$connections: $(sed -n 's/.*\(rps=[0-9.]*\).*\(p99_us=[0-9]*\).*/\1 \2/p' <<<"$line")"
}

: >"$OUT_DIR/results.txt"
all_servers=(slotd floor)
[[ -z $PREFECT_SCENARIOS ]] || all_servers+=(prefect)
for round in $(seq "$ROUNDS"); do
  servers=()
  for k in "${!all_servers[@]}"; do
    servers+=("${all_servers[$(((round - 1 + k) % ${#all_servers[@]}))]}")
  done
  for scenario in $SCENARIOS; do
    connections=$CONNECTIONS
    [[ $scenario == contended ]] && connections=$CONTENDED_CONNECTIONS
    for server in "${servers[@]}"; do
      [[ $server == floor && " $FLOOR_SCENARIOS " != *" $scenario "* ]] && continue
      [[ $server == prefect && " $PREFECT_SCENARIOS " != *" $scenario "* ]] && continue
      run main "$round" "$server" "$scenario" "$connections" "$DURATION"
    done
  done
  if [[ " $PREFECT_SCENARIOS " == *" v2_cycle "* ]]; then
    run prefect1 "$round" prefect v2_cycle 1 "$DURATION"
  fi
done

if [[ ${SKIP_SWEEP:-0} != 1 ]]; then
  for round in $(seq "$SWEEP_ROUNDS"); do
    servers=(slotd floor)
    ((round % 2 == 0)) && servers=(floor slotd)
    for connections in $SWEEP; do
      for server in "${servers[@]}"; do
        run sweep "$round" "$server" v2_cycle "$connections" "$SWEEP_DURATION"
      done
    done
  done
fi

# Requests the servers answered with a status other than expected would show
# as "unexpected" in results.txt; slotd's own memory at the end is recorded too.
grep VmRSS "/proc/${pid[slotd]}/status" >"$OUT_DIR/slotd_rss.txt" || true
bench_stop_all

# ---- anchors: nginx, Redis, pipelining ------------------------------------------
if [[ ${SKIP_ANCHORS:-0} != 1 ]]; then
  log "anchors (bench/http/anchors.sh)"
  SLOTD=$BUILD_DIR/slotd NICE=$NICE DURATION=$DURATION ROUNDS=$ROUNDS CONNECTIONS=$CONNECTIONS \
    OUT_DIR=$OUT_DIR/anchors bench/http/anchors.sh >&2
fi

# ---- engine and memory benchmarks ---------------------------------------------
if [[ ${SKIP_ENGINE:-0} != 1 ]]; then
  if [[ -x $BUILD_DIR/slotd_engine_bench ]]; then
    log "engine benchmark"
    "${nice_prefix[@]}" "$BUILD_DIR/slotd_engine_bench" --benchmark_out="$OUT_DIR/engine.json" \
      --benchmark_out_format=json \
      ${ENGINE_BENCH_ARGS:---benchmark_repetitions=3 --benchmark_report_aggregates_only=true} \
      >"$OUT_DIR/engine.txt" 2>&1
  else
    log "no $BUILD_DIR/slotd_engine_bench: engine section skipped"
  fi
fi
if [[ ${SKIP_MEMORY:-0} != 1 ]]; then
  if [[ -x $BUILD_DIR/slotd_memory_bench ]]; then
    log "memory benchmark"
    "$BUILD_DIR/slotd_memory_bench" >"$OUT_DIR/memory.txt"
  else
    log "no $BUILD_DIR/slotd_memory_bench: memory section skipped"
  fi
fi

if [[ ${PROFILE:-0} == 1 ]]; then
  for scenario in v2_cycle v1_cycle lease_cycle get_by_name filter_200; do
    log "callgrind: $scenario"
    PROFILE_BUILD_DIR=$BUILD_DIR SLOTD=$BUILD_DIR/slotd SKIP_BUILD=1 BRIEF=1 \
      OUT_DIR=$OUT_DIR/profile/$scenario bench/http/profile.sh "$scenario" "${PROFILE_SECONDS:-10}" >&2
  done
fi

# ---- report --------------------------------------------------------------------
cat >"$OUT_DIR/settings.txt" <<EOF
duration_s=$DURATION
rounds=$ROUNDS
connections=$CONNECTIONS
contended_connections=$CONTENDED_CONNECTIONS
sweep_duration_s=$SWEEP_DURATION
sweep_rounds=$SWEEP_ROUNDS
pin=$PIN
nice=$NICE
clock_ticks_per_s=$(getconf CLK_TCK)
load_before=$load_before
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
slotd_args=${SLOTD_ARGS:-}
floor_args=${FLOOR_ARGS:-}
prefect_version=${prefect_version:-}
EOF
python3 bench/http/report.py "$OUT_DIR" "$RESULTS_DIR"
for plot in sweep engine_threads; do
  if [[ -s $OUT_DIR/$plot.dat ]]; then
    gnuplot -e "data='$OUT_DIR/$plot.dat'; out='$RESULTS_DIR/$plot.png'" "bench/http/$plot.gp"
  fi
done
log "wrote $RESULTS_DIR/RESULTS.md (raw data in $OUT_DIR)"
