-- The v1 cycle by task run: POST /api/concurrency_limits/increment with a
-- task_run_id, later /decrement with the same id.
--
-- wrk does not tell request() which connection asks, and a v1 increment
-- response does not name the task run, so the decrement of run k is sent
-- `lag` increments after its increment: by then its increment has almost
-- always been answered. If it has not, the decrement finds nothing and the
-- slot stays held until run k comes round again (ids are a pool of `pool`):
-- a bounded leak on a large limit, which changes nothing measured.
--   wrk -s v1_cycle.lua URL -- tag=bench-v1 pool=1024 lag=64
local common = dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")
common.install("v1_cycle", { [200] = true })

local increments, decrements = {}, {}
local pool, lag
local sent = 0

function init(args)
  local o = common.options(args, { tag = "bench-v1", pool = "1024", lag = "64" })
  pool, lag = tonumber(o.pool), tonumber(o.lag)
  for k = 0, pool - 1 do
    local body = string.format('{"names":["%s"],"task_run_id":"00000000-0000-4000-8000-%012x"}',
      o.tag, k + 1)
    increments[k] = wrk.format("POST", "/api/concurrency_limits/increment", common.json, body)
    decrements[k] = wrk.format("POST", "/api/concurrency_limits/decrement", common.json, body)
  end
end

function request()
  sent = sent + 1
  local cycle = math.floor(sent / 2)
  if sent % 2 == 1 then return increments[cycle % pool] end
  return decrements[(cycle - lag) % pool]
end

function response(status)
  common.tally(status)
end
