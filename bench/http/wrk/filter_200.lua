-- List 200 limits: POST /api/v2/concurrency_limits/filter {"limit":200}.
-- run.sh creates at least 200 limits first, so every answer is a full page.
local common = dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")
common.install("filter_200", { [200] = true })

local filter

-- Built in init(), once wrk has set the Host header from the URL (at load
-- time wrk.format would leave it out, and HTTP/1.1 requires it).
function init(args)
  filter = wrk.format("POST", common.v2 .. "/filter", common.json, '{"limit":200,"offset":0}')
end

function request()
  return filter
end

function response(status)
  common.tally(status)
end
