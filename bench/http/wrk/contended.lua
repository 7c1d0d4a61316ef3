-- A contended cycle: many connections fight over a limit of 4 (run.sh uses
-- 64 connections). Each request is an increment-with-lease, unless a grant's
-- release is owed: then it is that lease's decrement-with-lease. So at most 4
-- slots are held and every grant is released. Leases are used because their
-- answers tell the three outcomes apart (200 with a lease_id: a grant; 423:
-- locked; 204: a release), which keeps the accounting exact although wrk does
-- not say which connection asks.
-- 423 Locked is the expected answer to most increments: it is tallied as
-- "locked", never as an error. Clients retry at once, ignoring Retry-After:
-- this measures the server under a herd. The figure that matters is grants
-- (cycles) per second; run.sh reports it from the "granted" count.
-- run.sh recreates the limit before each run: a run cut short by wrk leaves
-- up to 4 leases held.
--   wrk -c64 -s contended.lua URL -- limit=bench-contended
local common = dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")
common.install("contended", { [200] = true, [204] = true, [423] = true })

local increment
local owed, owed_head, owed_tail = {}, 1, 0

function init(args)
  local o = common.options(args, { limit = "bench-contended" })
  increment = wrk.format("POST", common.v2 .. "/increment-with-lease", common.json,
    string.format('{"names":["%s"],"slots":1,"mode":"concurrency","lease_duration":60}', o.limit))
end

function request()
  if owed_head <= owed_tail then
    local id = owed[owed_head]
    owed[owed_head], owed_head = nil, owed_head + 1
    return wrk.format("POST", common.v2 .. "/decrement-with-lease", common.json,
      '{"lease_id":"' .. id .. '"}')
  end
  return increment
end

response = common.lease_response(function(id)
  owed_tail = owed_tail + 1
  owed[owed_tail] = id
  common.count("granted")
end, { [423] = "locked" })
