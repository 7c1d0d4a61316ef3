#!/usr/bin/env bash
# Creates the limits the wrk scenarios use, on the slotd at URL (its root,
# e.g. http://127.0.0.1:4200):
#   bench-cycle, bench-lease   v2, limit 10^9 (never full: the cycles measure granting)
#   bench-pipeline             v2, limit 100,000 (wrk/pipeline16.lua)
#   tag:bench-v1               v1 tag limit bench-v1, limit 10^9
#   bench-filter-000..199      so that a filter of 200 returns a full page
#   bench-contended            limit 4 (with --contended-only: deleted and
#                              created again, dropping leases a run left held)
# usage: create_limits.sh URL [--contended-only]
set -euo pipefail
url=$1/api

# expect CODES... -- METHOD PATH [BODY]
expect() {
  local codes=()
  while [[ $1 != -- ]]; do codes+=("$1"); shift; done
  shift
  local got
  got=$(curl -sS -o /dev/null -w '%{http_code}' -X "$1" -H 'Content-Type: application/json' \
    ${3:+--data "$3"} "$url$2")
  [[ " ${codes[*]} " == *" $got "* ]] || { echo "create_limits: $* answered $got" >&2; exit 1; }
}

expect 204 404 -- DELETE /v2/concurrency_limits/bench-contended
expect 201 -- POST /v2/concurrency_limits/ '{"name":"bench-contended","limit":4}'
[[ ${2:-} == --contended-only ]] && exit 0

expect 201 -- POST /v2/concurrency_limits/ '{"name":"bench-cycle","limit":1000000000}'
expect 201 -- POST /v2/concurrency_limits/ '{"name":"bench-lease","limit":1000000000}'
expect 201 -- POST /v2/concurrency_limits/ '{"name":"bench-pipeline","limit":100000}'
expect 201 -- POST /concurrency_limits/ '{"tag":"bench-v1","concurrency_limit":1000000000}'
for i in $(seq -f %03g 0 199); do
  expect 201 -- POST /v2/concurrency_limits/ "{\"name\":\"bench-filter-$i\",\"limit\":10}"
done
