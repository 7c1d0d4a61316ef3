-- Pipelining at depth 16: each wrk request is 16 HTTP requests written at
-- once on one connection, 8 v2 increment / decrement pairs, one slot each, on
-- a limit of 100,000 (never full: at most one slot per connection is held at
-- any moment), answered in order.
--
-- wrk counts every answer as a request (its requests and req/s are HTTP
-- requests, not pipelines: 16 per pipeline) but takes one latency sample per
-- pipeline, from writing its first request to reading its last answer. The
-- pipelines sent are counted as "pipelines".
--   wrk -s pipeline16.lua URL -- limit=bench-pipeline depth=16
local common = dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")
common.install("pipeline16", { [200] = true })

local pipeline

function init(args)
  local o = common.options(args, { limit = "bench-pipeline", depth = "16" })
  local increment = wrk.format("POST", common.v2 .. "/increment", common.json,
    string.format('{"names":["%s"],"slots":1,"mode":"concurrency"}', o.limit))
  local decrement = wrk.format("POST", common.v2 .. "/decrement", common.json,
    string.format('{"names":["%s"],"slots":1,"occupancy_seconds":0.01}', o.limit))
  local requests = {}
  for i = 1, tonumber(o.depth) do
    requests[i] = i % 2 == 1 and increment or decrement
  end
  pipeline = table.concat(requests)
end

function request()
  common.count("pipelines")
  return pipeline
end

function response(status)
  common.tally(status)
end
