#!/usr/bin/env bash
# The differential tests again with slotd on Redis (--store redis://): starts
# a redis-server of its own (Debian's package) on a free loopback port, with
# no persistence, in a temporary folder, runs tests/prefect/run.sh against a
# slotd on it, and stops it. Arguments go to pytest; non-zero on failure.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

dir=$(mktemp -d -t slotd-prefect-redis.XXXXXX)
redis_pid=
cleanup() {
  [[ -z $redis_pid ]] || kill "$redis_pid" 2>/dev/null || true
  [[ -z $redis_pid ]] || wait "$redis_pid" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT

# A free port: bind port 0 and read back what the kernel gave. Another
# process may take it before redis-server does; then redis-server fails to
# bind and the wait below says so.
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" --save '' --appendonly no \
  --logfile "$dir/redis.log" &
redis_pid=$!
for _ in $(seq 100); do
  redis-cli -p "$port" ping >/dev/null 2>&1 && break
  kill -0 "$redis_pid" 2>/dev/null || { cat "$dir/redis.log" >&2; exit 1; }
  sleep 0.1
done
redis-cli -p "$port" ping >/dev/null || { echo "redis-server did not answer on $port" >&2; exit 1; }

SLOTD_ARGS="--store redis://127.0.0.1:$port ${SLOTD_ARGS:-}" "$root/tests/prefect/run.sh" "$@"
