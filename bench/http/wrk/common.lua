-- Shared by every scenario: status tallies and one machine-readable result
-- line. A scenario does
--   local common = dofile(<this file>)  (see the first lines of each scenario)
--   common.install("name", {[200] = true, ...})
-- and keeps its own request()/response(); it calls common.tally(status) from
-- response(). Counters live in each wrk thread's Lua state; done() runs in the
-- main state and collects them through thread:get().
local common = {}

local threads = {}

function common.install(scenario, expected)
  codes = {}
  extra = {}

  setup = function(thread)
    table.insert(threads, thread)
  end

  done = function(summary, latency, requests)
    local all_codes, all_extra = {}, {}
    for _, thread in ipairs(threads) do
      for code, n in pairs(thread:get("codes")) do
        all_codes[code] = (all_codes[code] or 0) + n
      end
      for key, n in pairs(thread:get("extra")) do
        all_extra[key] = (all_extra[key] or 0) + n
      end
    end
    local unexpected, code_list = 0, {}
    for code, n in pairs(all_codes) do
      table.insert(code_list, code .. ":" .. n)
      if not expected[code] then unexpected = unexpected + n end
    end
    table.sort(code_list)
    local extra_list = {}
    for key, n in pairs(all_extra) do table.insert(extra_list, key .. "=" .. n) end
    table.sort(extra_list)
    local seconds = summary.duration / 1e6
    local e = summary.errors
    io.write(string.format(
      "RESULT scenario=%s requests=%d duration_s=%.3f rps=%.1f p50_us=%d p90_us=%d p99_us=%d "
        .. "p999_us=%d max_us=%d mean_us=%.1f socket_errors=%d unexpected=%d codes=%s%s\n",
      scenario, summary.requests, seconds, summary.requests / seconds,
      latency:percentile(50), latency:percentile(90), latency:percentile(99),
      latency:percentile(99.9), latency.max, latency.mean,
      e.connect + e.read + e.write + e.timeout, unexpected, table.concat(code_list, ","),
      #extra_list > 0 and (" " .. table.concat(extra_list, " ")) or ""))
  end
end

function common.tally(status)
  codes[status] = (codes[status] or 0) + 1
end

function common.count(key)
  extra[key] = (extra[key] or 0) + 1
end

-- The lease id of a granted increment-with-lease answer, else nil.
function common.granted_lease(status, body)
  if status ~= 200 then return nil end
  return body:match('"lease_id"%s*:%s*"([%x%-]+)"')
end

-- A response() for scenarios that queue the leases they are granted: tallies
-- the status, hands a granted lease id to on_granted(id), and counts each
-- status named in `counted` ({[status] = "counter"}).
function common.lease_response(on_granted, counted)
  return function(status, headers, body)
    common.tally(status)
    local id = common.granted_lease(status, body)
    if id then
      on_granted(id)
    elseif counted[status] then
      common.count(counted[status])
    end
  end
end

common.json = { ["Content-Type"] = "application/json" }
common.v2 = "/api/v2/concurrency_limits"

-- Arguments after "--" on wrk's command line: name=value pairs.
function common.options(args, defaults)
  local options = {}
  for k, v in pairs(defaults) do options[k] = v end
  for _, arg in ipairs(args or {}) do
    local k, v = arg:match("^([%w_]+)=(.*)$")
    if k then options[k] = v end
  end
  return options
end

return common
