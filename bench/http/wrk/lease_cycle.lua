-- The lease cycle Prefect 3's client runs: increment-with-lease, renew,
-- decrement-with-lease. Lease ids come from the increment responses.
--
-- Requests rotate increment / renew / release. A lease is renewed once its id
-- is known (its increment was answered). wrk does not say which connection
-- asks and a renew's 204 cannot be told from a release's 204, so a lease is
-- released only after `lag` further requests have been sent since its renew
-- (4096: about 0.1 s at 40,000 req/s): if its renew was still unanswered even
-- then, the release could overtake it and the renew would get 410. Such 410s
-- are tallied (renew_overtaken): a limitation of driving per-connection state
-- from one wrk thread, not a server error; expected to be zero or nearly so.
--   wrk -s lease_cycle.lua URL -- limit=bench-lease lag=4096
local common = dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")
common.install("lease_cycle", { [200] = true, [204] = true })

local increment, lag
local fresh, fresh_head, fresh_tail = {}, 1, 0          -- ids awaiting renew
local renewed, renewed_at = {}, {}                      -- ids awaiting release
local renewed_head, renewed_tail = 1, 0
local sent = 0

function init(args)
  local o = common.options(args, { limit = "bench-lease", lag = "4096" })
  lag = tonumber(o.lag)
  increment = wrk.format("POST", common.v2 .. "/increment-with-lease", common.json,
    string.format('{"names":["%s"],"slots":1,"mode":"concurrency","lease_duration":300}', o.limit))
end

local function renew(id)
  renewed_tail = renewed_tail + 1
  renewed[renewed_tail], renewed_at[renewed_tail] = id, sent
  return wrk.format("POST", common.v2 .. "/leases/" .. id .. "/renew", common.json,
    '{"lease_duration":300}')
end

local function release(id)
  return wrk.format("POST", common.v2 .. "/decrement-with-lease", common.json,
    '{"lease_id":"' .. id .. '"}')
end

function request()
  sent = sent + 1
  local turn = sent % 3
  if turn == 1 and fresh_head <= fresh_tail then
    local id = fresh[fresh_head]
    fresh[fresh_head], fresh_head = nil, fresh_head + 1
    return renew(id)
  end
  if turn == 2 and renewed_head <= renewed_tail and renewed_at[renewed_head] + lag <= sent then
    local id = renewed[renewed_head]
    renewed[renewed_head], renewed_at[renewed_head] = nil, nil
    renewed_head = renewed_head + 1
    return release(id)
  end
  return increment
end

response = common.lease_response(function(id)
  fresh_tail = fresh_tail + 1
  fresh[fresh_tail] = id
end, { [410] = "renew_overtaken" })
