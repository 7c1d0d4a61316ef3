# Shared by the bench/http scripts (sourced, not run): starting and stopping
# the servers they measure, and reading wrk's RESULT lines
# (bench/http/wrk/common.lua). Every process started through bench_start or
# bench_track is stopped by bench_stop_all, which the sourcing script runs on
# exit (trap bench_stop_all EXIT). Only 127.0.0.1 is ever targeted.
#
# Expects the working directory to be the repository root.

BENCH_HOST=127.0.0.1
bench_pids=()
bench_nice=()

bench_log() { echo "${BENCH_NAME:-bench}: $*" >&2; }
bench_die() {
  bench_log "$*"
  exit 1
}

# bench_deps [EXTRA_PACKAGE...]: the packages of scripts/install-deps.sh (which
# lists what the benchmarks need: wrk, curl, strace, nginx-light,
# redis-server, redis-tools) plus the extra ones; a second run installs
# nothing.
bench_deps() { scripts/install-deps.sh "$@" >&2; }

# Remembers a process started by the caller, so that bench_stop_all stops it.
bench_track() { bench_pids+=("$1"); }

# Stops every tracked process (TERM, then KILL after 10 s), newest first.
bench_stop_all() {
  local i pid
  for ((i = ${#bench_pids[@]} - 1; i >= 0; i--)); do
    pid=${bench_pids[i]}
    kill "$pid" 2>/dev/null || continue
    for _ in $(seq 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  bench_pids=()
}

# bench_stop PID: stops one tracked process now.
bench_stop() {
  local pid=$1 kept=() p
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  for p in "${bench_pids[@]}"; do [[ $p == "$pid" ]] || kept+=("$p"); done
  bench_pids=("${kept[@]}")
}

# A free TCP port on 127.0.0.1 (for servers that cannot take --port 0).
bench_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# The flag that sets the most connections a slotd binary serves at once:
# --max-connections where its --help lists it (the asynchronous server),
# else --threads (the thread-per-connection server, whose cap is its thread
# count).
slotd_connections_flag() {
  if "$1" --help 2>&1 | grep -q -- '--max-connections'; then
    echo --max-connections
  else
    echo --threads
  fi
}

# bench_start_slotd NAME BINARY OUT_DIR [ARG...]: starts a slotd (at the
# priority bench_priority chose) on a free port with --quiet and the extra
# arguments, waits for the line it prints
# once it accepts connections, and sets bench_port and bench_pid. Its output
# goes to OUT_DIR/NAME.stdout and .stderr.
bench_start_slotd() {
  local name=$1 binary=$2 out=$3
  shift 3
  [[ -x $binary ]] || bench_die "no slotd binary at $binary"
  "${bench_nice[@]}" "$binary" --host "$BENCH_HOST" --port 0 --quiet "$@" >"$out/$name.stdout" 2>"$out/$name.stderr" &
  bench_pid=$!
  bench_track "$bench_pid"
  bench_port=
  for _ in $(seq 200); do
    # The file is made by the child, which may not have run yet.
    bench_port=$(sed -n 's#.*listening on http://[^:]*:\([0-9]*\)/api.*#\1#p' "$out/$name.stdout" 2>/dev/null || true)
    [[ -n $bench_port ]] && return 0
    kill -0 "$bench_pid" 2>/dev/null || break
    sleep 0.05
  done
  cat "$out/$name.stderr" >&2
  bench_die "$name ($binary) did not start"
}

# bench_start_nginx NAME OUT_DIR: Debian's nginx with bench/http/nginx.conf,
# run as the current user with its prefix, pid file, logs and temp paths in
# OUT_DIR/NAME/, on a free port; sets bench_port and bench_pid (the master's).
# It answers every request 200 with the fixed JSON body of slotd's v2
# increment answer.
bench_start_nginx() {
  local name=$1 out=$2
  local dir=$out/$name
  mkdir -p "$dir/logs" "$dir/temp"
  bench_port=$(bench_free_port)
  local user_line=""
  # Run as root, nginx would hand its workers to "nobody"; keep them as the
  # user who runs the benchmark. (As another user the directive is not
  # allowed, and not needed.)
  ((EUID == 0)) && user_line="user $(id -un) $(id -gn);"
  sed -e "s#@PORT@#$bench_port#g" -e "s#@DIR@#$dir#g" -e "s#@USER@#$user_line#" \
    bench/http/nginx.conf >"$dir/nginx.conf"
  # -e: the error log before the configuration is read (the default path is
  # not writable as a user); "daemon off" keeps the master our child.
  "${bench_nice[@]}" nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/logs/error.log" >"$out/$name.stdout" 2>"$out/$name.stderr" &
  bench_pid=$!
  bench_track "$bench_pid"
  for _ in $(seq 200); do
    if curl -s -o /dev/null "http://$BENCH_HOST:$bench_port/"; then return 0; fi
    kill -0 "$bench_pid" 2>/dev/null || break
    sleep 0.05
  done
  cat "$out/$name.stderr" "$dir/logs/error.log" >&2 || true
  bench_die "nginx did not start"
}

# The PIDs of a process and all its descendants (nginx's master and workers).
bench_process_tree() {
  local pid=$1 child
  echo "$pid"
  for child in $(pgrep -P "$pid" || true); do bench_process_tree "$child"; done
}

# bench_memory PID: "rss_kib=N threads=N processes=N" summed over the process
# and its descendants, from /proc/PID/status.
bench_memory() {
  local rss=0 threads=0 processes=0 p r t
  for p in $(bench_process_tree "$1"); do
    r=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null || true)
    t=$(awk '/^Threads:/ {print $2}' "/proc/$p/status" 2>/dev/null || true)
    [[ -n $r ]] || continue
    rss=$((rss + r)) threads=$((threads + t)) processes=$((processes + 1))
  done
  echo "rss_kib=$rss threads=$threads processes=$processes"
}

# bench_wrk OUT_FILE SCENARIO CONNECTIONS SECONDS URL [SCRIPT_ARG...]: one wrk
# run (one thread, keep-alive) of bench/http/wrk/SCENARIO.lua; writes wrk's
# output to OUT_FILE and prints its RESULT line without the "RESULT " prefix.
bench_wrk() {
  local out=$1 scenario=$2 connections=$3 seconds=$4 url=$5
  shift 5
  local script_args=()
  (($#)) && script_args=(-- "$@")
  "${bench_nice[@]}" wrk -t1 -c"$connections" -d"${seconds}s" --timeout 5s \
    -s "bench/http/wrk/$scenario.lua" "$url" "${script_args[@]}" >"$out" 2>&1 || true
  local line
  line=$(grep '^RESULT ' "$out" || true)
  [[ -n $line ]] || { cat "$out" >&2; bench_die "wrk gave no result (see $out)"; }
  echo "${line#RESULT }"
}

# field LINE KEY: the value of KEY=value in a RESULT line.
field() { sed -n "s/.*\\b$2=\\([^ ]*\\).*/\\1/p" <<<"$1"; }

# Formats microseconds as "850 µs" or "1.23 ms".
fmt_us() { awk -v us="$1" 'BEGIN { if (us >= 1000) printf "%.2f ms", us / 1000; else printf "%d µs", us }'; }

# Sets SLOTD to the slotd binary to measure: $SLOTD if set, else
# BUILD_DIR/slotd (default build/), built Release first unless SKIP_BUILD=1.
bench_slotd_binary() {
  if [[ -n ${SLOTD:-} ]]; then
    [[ -x $SLOTD ]] || bench_die "SLOTD=$SLOTD is not an executable"
    return 0
  fi
  local dir=${BUILD_DIR:-build}
  if [[ ${SKIP_BUILD:-0} != 1 ]]; then
    cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$dir" -j2 --target slotd "$@" >/dev/null
  fi
  SLOTD=$dir/slotd
  [[ -x $SLOTD ]] || bench_die "missing $SLOTD"
}

# The priority of servers and load generators: NICE, default -10 when run as
# root (shields the figures from other work on the machine), else 0. Sets
# bench_nice, a command prefix (empty at 0).
bench_priority() {
  NICE=${NICE:-$( ((EUID == 0)) && echo -10 || echo 0)}
  bench_nice=()
  ((NICE == 0)) || bench_nice=(nice -n "$NICE")
}

# bench_start_prefect NAME OUT_DIR: the real Prefect server of the pinned
# release (tests/prefect/requirements.txt, in .venv/, built by
# scripts/python-env.sh on the first run) started as the differential tests
# start it (tests/prefect/conftest.py): uvicorn on Prefect's app, SQLite in
# OUT_DIR/NAME/, the in-memory lease storage, the web server only (no UI, no
# background services), no telemetry, on a free port. Sets bench_port and
# bench_pid once /api/health answers 200 (it takes seconds).
bench_start_prefect() {
  local name=$1 out=$2
  local home=$out/$name root=$PWD
  mkdir -p "$home"
  scripts/python-env.sh >&2
  bench_port=$(bench_free_port)
  # Without any PREFECT_ setting of the caller's.
  local env_args=() var
  for var in $(compgen -e); do
    [[ $var == PREFECT* ]] && env_args+=(-u "$var")
  done
  (cd "$home" && exec env "${env_args[@]}" \
    PREFECT_HOME="$home" \
    PREFECT_API_DATABASE_CONNECTION_URL="sqlite+aiosqlite:///$home/prefect.db" \
    PREFECT_SERVER_CONCURRENCY_LEASE_STORAGE=prefect.server.concurrency.lease_storage.memory \
    PREFECT_SERVER_UI_ENABLED=false \
    PREFECT_SERVER_ANALYTICS_ENABLED=false \
    PREFECT_API_BLOCKS_REGISTER_ON_START=false \
    PREFECT__SERVER_WEBSERVER_ONLY=1 \
    PREFECT_LOGGING_SERVER_LEVEL=WARNING \
    "${bench_nice[@]}" "$root/.venv/bin/python" -m uvicorn --factory \
    prefect.server.api.server:create_app --host "$BENCH_HOST" --port "$bench_port" \
    --log-level warning) >"$out/$name.stdout" 2>"$out/$name.stderr" &
  bench_pid=$!
  bench_track "$bench_pid"
  for _ in $(seq 1200); do
    if [[ $(curl -s -o /dev/null -w '%{http_code}' "http://$BENCH_HOST:$bench_port/api/health") == 200 ]]; then
      return 0
    fi
    kill -0 "$bench_pid" 2>/dev/null || break
    sleep 0.1
  done
  cat "$out/$name.stderr" >&2
  bench_die "the Prefect server did not start"
}

# bench_start_redis NAME OUT_DIR [ARG...]: Debian's redis-server on a free
# port, its files in OUT_DIR/NAME/ (no RDB snapshots; the extra arguments
# add, say, --appendonly yes --appendfsync always), with
# bench/http/redis_semaphore.lua loaded. Sets bench_port, bench_pid and
# bench_redis_sha.
bench_start_redis() {
  local name=$1 out=$2
  shift 2
  local dir=$out/$name
  mkdir -p "$dir"
  bench_port=$(bench_free_port)
  "${bench_nice[@]}" redis-server --bind "$BENCH_HOST" --port "$bench_port" --save '' \
    --appendonly no --dir "$dir" --daemonize no --logfile "$dir/redis.log" "$@" &
  bench_pid=$!
  bench_track "$bench_pid"
  local cli=(redis-cli -h "$BENCH_HOST" -p "$bench_port")
  for _ in $(seq 100); do
    [[ $("${cli[@]}" ping 2>/dev/null) == PONG ]] && break
    sleep 0.05
  done
  [[ $("${cli[@]}" ping 2>/dev/null) == PONG ]] || bench_die "redis-server $name did not start"
  bench_redis_sha=$("${cli[@]}" SCRIPT LOAD "$(cat bench/http/redis_semaphore.lua)")
}

# bench_redis_semaphore PORT SHA CLIENTS N: one redis-benchmark run of N
# semaphore calls (bench/http/redis_semaphore.lua) from zero by CLIENTS
# clients; prints "rps=R p50_us=P p99_us=Q" and checks the semaphore's end
# state.
bench_redis_semaphore() {
  local port=$1 sha=$2 clients=$3 n=$4
  local cli=(redis-cli -h "$BENCH_HOST" -p "$port")
  "${cli[@]}" DEL bench:held bench:turn >/dev/null
  local csv
  csv=$("${bench_nice[@]}" redis-benchmark -h "$BENCH_HOST" -p "$port" -c "$clients" \
    -n "$n" --csv EVALSHA "$sha" 2 bench:held bench:turn 100)
  # "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
  local turn held
  turn=$("${cli[@]}" GET bench:turn)
  held=$("${cli[@]}" GET bench:held)
  [[ $turn == "$n" && $held == $((n % 2)) ]] ||
    bench_die "semaphore after $n calls: turn=$turn held=$held (expected $n and $((n % 2)))"
  tail -1 <<<"$csv" | tr -d '"' |
    awk -F, '{printf "rps=%.1f p50_us=%d p99_us=%d\n", $2, $5 * 1000, $7 * 1000}'
}
