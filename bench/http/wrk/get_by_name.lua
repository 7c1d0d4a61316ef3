-- Read one limit by name: GET /api/v2/concurrency_limits/{name}.
--   wrk -s get_by_name.lua URL -- limit=bench-cycle
local common = dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")
common.install("get_by_name", { [200] = true })

local read

function init(args)
  local o = common.options(args, { limit = "bench-cycle" })
  read = wrk.format("GET", common.v2 .. "/" .. o.limit)
end

function request()
  return read
end

function response(status)
  common.tally(status)
end
