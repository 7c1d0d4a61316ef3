-- Fills a slotd for the restart measurement of bench/durable/run.sh: limits
-- scale-<start> .. scale-<count - 1> (what=limits: POST /v2/concurrency_limits/,
-- limit 1000000), or leases number start .. count - 1 (what=leases:
-- increment-with-lease of one slot for a day on scale-<n % limits>). Past
-- `count` it asks for a limit that does not exist (404), so a run longer than
-- the fill adds nothing; wrk runs for its duration, so run.sh runs it in
-- short pieces, each from where the last one got to (its 200, 201 and 409
-- answers: a 409 is a limit an unanswered request of the last piece made).
--   wrk -s populate.lua URL -- what=limits start=0 count=100000
--   wrk -s populate.lua URL -- what=leases start=0 count=1000000 limits=100000
local common = dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "../../http/wrk/common.lua")
common.install("populate", { [200] = true, [201] = true, [404] = true, [409] = true })

local what, start, count, limits, idle
local sent = 0

function init(args)
  local o = common.options(args,
    { what = "limits", start = "0", count = "100000", limits = "100000" })
  what, start, count, limits = o.what, tonumber(o.start), tonumber(o.count), tonumber(o.limits)
  idle = wrk.format("GET", common.v2 .. "/populate-done")
end

function request()
  local n = start + sent
  if n >= count then return idle end
  sent = sent + 1
  if what == "limits" then
    return wrk.format("POST", common.v2 .. "/", common.json,
      string.format('{"name":"scale-%d","limit":1000000}', n))
  end
  return wrk.format("POST", common.v2 .. "/increment-with-lease", common.json,
    string.format('{"names":["scale-%d"],"slots":1,"mode":"concurrency","lease_duration":86400}',
      n % limits))
end

function response(status)
  common.tally(status)
end
