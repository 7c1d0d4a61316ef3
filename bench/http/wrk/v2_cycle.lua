-- The v2 cycle Prefect's client runs without leases: increment, then
-- decrement, one slot on one limit. Requests alternate globally (wrk does not
-- say which connection asks), so each connection sends both kinds.
--   wrk -s v2_cycle.lua URL -- limit=bench-cycle
local common = dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")
common.install("v2_cycle", { [200] = true })

local increment, decrement
local sent = 0

function init(args)
  local o = common.options(args, { limit = "bench-cycle" })
  increment = wrk.format("POST", common.v2 .. "/increment", common.json,
    string.format('{"names":["%s"],"slots":1,"mode":"concurrency"}', o.limit))
  decrement = wrk.format("POST", common.v2 .. "/decrement", common.json,
    string.format('{"names":["%s"],"slots":1,"occupancy_seconds":0.01}', o.limit))
end

function request()
  sent = sent + 1
  if sent % 2 == 1 then return increment end
  return decrement
end

function response(status)
  common.tally(status)
end
