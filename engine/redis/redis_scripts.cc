// The Lua scripts of the Redis store: one per operation, each the shared
// prelude followed by the operation's body, so every operation is one
// atomic EVALSHA. The key layout is in redis_slot_store.h.
//
// Calling convention: KEYS[1] is the deployment's key prefix "{slotd}" (its
// hash tag puts every key the script builds from it in one cluster slot);
// ARGV[1..4] are the tag wait, the slot wait, the limit cap and the lease
// cap; the operation's own arguments follow from ARGV[5]. Every script
// answers an array whose first element is its outcome ("OK", "NOTFOUND",
// ...); numbers travel as strings ("%.17g"), so no double loses a digit.
#include "engine/redis/redis_scripts.h"

#include <cctype>
#include <string_view>
#include <vector>

namespace slotd::redis {

namespace {

// The arithmetic is LimitState's (engine/internal/limit_state.cc) and
// MeanRetryAfter's (engine/internal/retry_after.cc), line for line.
constexpr const char* kPrelude = R"lua(
local P = KEYS[1]
local TAGW = tonumber(ARGV[1])
local SLOTW = tonumber(ARGV[2])
local MAXL = tonumber(ARGV[3])
local MAXE = tonumber(ARGV[4])
local T = redis.call('TIME')
local NOW = tonumber(T[1]) * 1000000 + tonumber(T[2])
local EPS = 1e-9
local MAXC = 9007199254740991
local V1DUR = 24 * 36525 * 3600 * 1000000
local function fmt(x) return string.format('%.17g', x) end
local function lkey(id) return P .. ':l:' .. id end
local function hkey(id) return P .. ':h:' .. id end
local function ekey(id) return P .. ':e:' .. id end
local function rkey(id, run) return P .. ':r:' .. id .. ':' .. run end
local NAMES = P .. ':names'
local LEX = P .. ':lex'
local EXP = P .. ':exp'
local function load(id)
  local v = redis.call('HMGET', lkey(id), 'n', 'c', 'u', 'a', 'l', 'd', 'o', 'al', 'alt', 'dl',
    'dlt', 'q')
  if not v[1] then return nil end
  return {id = id, n = v[1], c = tonumber(v[2]), u = tonumber(v[3]), a = v[4] == '1',
    l = tonumber(v[5]), d = tonumber(v[6]), o = tonumber(v[7]), al = tonumber(v[8]),
    alt = tonumber(v[9]), dl = tonumber(v[10]), dlt = tonumber(v[11]), q = tonumber(v[12])}
end
local function byname(name)
  local id = redis.call('HGET', NAMES, name)
  if not id then return nil end
  return load(id)
end
local function bykey(kind, key)
  if kind == 'id' then return load(key) end
  return byname(key)
end
local function save(L)
  redis.call('HSET', lkey(L.id), 'n', L.n, 'c', fmt(L.c), 'u', fmt(L.u), 'a', L.a and '1' or '0',
    'l', fmt(L.l), 'd', fmt(L.d), 'o', fmt(L.o), 'al', fmt(L.al), 'alt', fmt(L.alt),
    'dl', fmt(L.dl), 'dlt', fmt(L.dlt), 'q', fmt(L.q))
end
-- The fields a grant, a refusal or a release changes: the levels, the
-- occupancy average, the lease sequence and the update time.
local function savehot(L)
  redis.call('HSET', lkey(L.id), 'u', fmt(L.u), 'o', fmt(L.o), 'al', fmt(L.al), 'alt', fmt(L.alt),
    'dl', fmt(L.dl), 'dlt', fmt(L.dlt), 'q', fmt(L.q))
end
local function maxwait(L)
  if string.sub(L.n, 1, 4) == 'tag:' then return TAGW end
  return SLOTW
end
local function elapsed(from)
  if NOW > from then return (NOW - from) / 1e6 end
  return 0
end
local function roundup(x)
  if x <= EPS then return 0 end
  return math.min(math.ceil(x - EPS), MAXC)
end
local function alevel(L)
  if L.d <= 0 then return L.al end
  return math.max(0, L.al - L.d * elapsed(L.alt))
end
local function drate(L, mw)
  if L.d > 0 then return L.d end
  local hi = math.max(0.1, mw)
  local o = L.o
  if o < 0.1 then o = 0.1 elseif o > hi then o = hi end
  return 1 / o
end
local function dlevel(L, mw)
  return math.max(0, L.dl - drate(L, mw) * elapsed(L.dlt))
end
local function aslots(L) return roundup(alevel(L)) end
local function dslots(L) return roundup(dlevel(L, maxwait(L))) end
local function take(L, s)
  L.al = alevel(L) + s
  L.alt = NOW
  L.dl = dlevel(L, maxwait(L))
  L.dlt = NOW
  L.u = NOW
end
local function giveback(L, s)
  L.al = math.max(0, alevel(L) - s)
  L.alt = NOW
  L.u = NOW
end
local function deny(L, s)
  L.dl = math.min(dlevel(L, maxwait(L)) + s, MAXC)
  L.dlt = NOW
  L.u = NOW
end
local function occupancy(L, occ, s)
  if L.l == 0 or s <= 0 then return end
  L.dl = dlevel(L, maxwait(L))
  L.dlt = NOW
  local per = math.max(occ / s, 0.1)
  local w = L.l * 2
  L.o = L.o + per / w - L.o / w
  L.u = NOW
end
local function live(lid)
  local x = redis.call('HGET', ekey(lid), 'x')
  return x and tonumber(x) > NOW
end
-- Task-run holders of unexpired leases, each once, in lease order.
local function runholders(L)
  local out, seen = {}, {}
  for _, lid in ipairs(redis.call('ZRANGE', hkey(L.id), 0, -1)) do
    local v = redis.call('HMGET', ekey(lid), 'ht', 'hi', 'x')
    if v[1] == '1' and tonumber(v[3]) > NOW and not seen[v[2]] then
      seen[v[2]] = true
      out[#out + 1] = v[2]
    end
  end
  return out
end
local function snap(L, holders)
  return {L.id, L.n, fmt(L.c), fmt(L.u), L.a and '1' or '0', fmt(L.l), fmt(aslots(L)),
    fmt(dslots(L)), fmt(L.d), fmt(L.o), holders and runholders(L) or {}}
end
local function ref(L, name) return {L.id, name or L.n, fmt(L.l)} end
local function heldby(L, run)
  for _, lid in ipairs(redis.call('SMEMBERS', rkey(L.id, run))) do
    if live(lid) then return true end
  end
  return false
end
local function addlease(lid, Ls, s, ht, hi, dur)
  local ids = {}
  for _, L in ipairs(Ls) do
    ids[#ids + 1] = L.id
    redis.call('ZADD', hkey(L.id), fmt(L.q), lid)
    L.q = L.q + 1
    if ht == '1' then redis.call('SADD', rkey(L.id, hi), lid) end
  end
  redis.call('HSET', ekey(lid), 's', fmt(s), 'ht', ht, 'hi', hi, 'c', fmt(NOW),
    'x', fmt(NOW + dur), 'lim', table.concat(ids, ','))
  redis.call('ZADD', EXP, fmt(NOW + dur), lid)
end
-- Ends a lease: its slots come back to each limit still holding it (each
-- exactly once: the ZREM from the limit's lease set decides), with the
-- occupancy up to `at` when asked. False if there was no such lease.
local function endlease(lid, at, record)
  local v = redis.call('HMGET', ekey(lid), 's', 'ht', 'hi', 'c', 'lim', 'x')
  if not v[1] then return false end
  local s = tonumber(v[1])
  if at == nil then at = math.min(NOW, tonumber(v[6])) end
  local occ = math.max(0, (at - tonumber(v[4])) / 1e6)
  for id in string.gmatch(v[5], '[^,]+') do
    if redis.call('ZREM', hkey(id), lid) == 1 then
      local L = load(id)
      if L then
        giveback(L, s)
        if record then occupancy(L, occ, s) end
        savehot(L)
      end
    end
    if v[2] == '1' then redis.call('SREM', rkey(id, v[3]), lid) end
  end
  redis.call('DEL', ekey(lid))
  redis.call('ZREM', EXP, lid)
  return true
end
-- Takes limit `id` out of lease `lid`; with `erase_empty`, a lease left
-- holding nothing is removed (true then).
local function droplimit(lid, id, erase_empty)
  local v = redis.call('HMGET', ekey(lid), 'lim', 'ht', 'hi')
  if not v[1] then return false end
  local kept = {}
  for other in string.gmatch(v[1], '[^,]+') do
    if other ~= id then kept[#kept + 1] = other end
  end
  if v[2] == '1' then redis.call('SREM', rkey(id, v[3]), lid) end
  if erase_empty and #kept == 0 then
    redis.call('DEL', ekey(lid))
    redis.call('ZREM', EXP, lid)
    return true
  end
  redis.call('HSET', ekey(lid), 'lim', table.concat(kept, ','))
  return false
end
local function deletelimit(L)
  local leases = redis.call('ZRANGE', hkey(L.id), 0, -1)
  for _, lid in ipairs(leases) do droplimit(lid, L.id, false) end
  redis.call('DEL', lkey(L.id), hkey(L.id))
  redis.call('HDEL', NAMES, L.n)
  redis.call('ZREM', LEX, L.n)
  return leases
end
local function newlimit(id, name, limit, active, as, ds, decay)
  local L = {id = id, n = name, c = NOW, u = NOW, a = active, l = limit, d = decay, o = 2.0,
    al = as, alt = NOW, dl = ds, dlt = NOW, q = 0}
  save(L)
  redis.call('HSET', NAMES, name, id)
  redis.call('ZADD', LEX, 0, name)
  return L
end
local function found(first, count)
  local out, seen = {}, {}
  for i = first, first + count - 1 do
    local name = ARGV[i]
    if not seen[name] then
      seen[name] = true
      local L = byname(name)
      if L then out[#out + 1] = L end
    end
  end
  return out
end
)lua";

// ARGV[5] name, [6] limit, [7] active, [8] active_slots, [9] denied_slots,
// [10] decay, [11] new id.
constexpr const char* kCreate = R"lua(
if redis.call('HEXISTS', NAMES, ARGV[5]) == 1 then return {'TAKEN'} end
if redis.call('HLEN', NAMES) >= MAXL then return {'LIMITS'} end
local L = newlimit(ARGV[11], ARGV[5], tonumber(ARGV[6]), ARGV[7] == '1', tonumber(ARGV[8]),
  tonumber(ARGV[9]), tonumber(ARGV[10]))
return {'OK', snap(L, false)}
)lua";

// ARGV[5] 'id' or 'name', [6] the key, [7] '1' with holders.
constexpr const char* kRead = R"lua(
local L = bykey(ARGV[5], ARGV[6])
if not L then return {'NOTFOUND'} end
return {'OK', snap(L, ARGV[7] == '1')}
)lua";

// ARGV[5] prefix, [6] offset, [7] count, [8] '1' with holders.
constexpr const char* kList = R"lua(
local lo, hi = '-', '+'
if ARGV[5] ~= '' then
  local p = ARGV[5]
  lo = '[' .. p
  hi = '(' .. string.sub(p, 1, -2) .. string.char(string.byte(p, -1) + 1)
end
local names = redis.call('ZRANGEBYLEX', LEX, lo, hi, 'LIMIT', ARGV[6], ARGV[7])
local out = {'OK'}
for _, name in ipairs(names) do
  local L = byname(name)
  if L then out[#out + 1] = snap(L, ARGV[8] == '1') end
end
return out
)lua";

// ARGV[5] 'id' or 'name', [6] key, then pairs from [7]: field, value
// (fields: name, active, limit, active_slots, denied_slots, decay).
constexpr const char* kUpdate = R"lua(
local L = bykey(ARGV[5], ARGV[6])
if not L then return {'NOTFOUND'} end
local patch = {}
for i = 7, #ARGV, 2 do patch[ARGV[i]] = ARGV[i + 1] end
local renaming = patch.name ~= nil and patch.name ~= L.n
if renaming and redis.call('HEXISTS', NAMES, patch.name) == 1 then return {'TAKEN'} end
local mw = maxwait(L)
if patch.decay then
  L.al = alevel(L)
  L.alt = NOW
  L.dl = dlevel(L, mw)
  L.dlt = NOW
  L.d = tonumber(patch.decay)
end
if patch.active then L.a = patch.active == '1' end
if patch.limit then L.l = tonumber(patch.limit) end
if patch.active_slots then
  L.al = tonumber(patch.active_slots)
  L.alt = NOW
end
if patch.denied_slots then
  L.dl = tonumber(patch.denied_slots)
  L.dlt = NOW
end
L.u = NOW
if renaming then
  L.dl = dlevel(L, mw)
  L.dlt = NOW
  redis.call('HDEL', NAMES, L.n)
  redis.call('ZREM', LEX, L.n)
  L.n = patch.name
  redis.call('HSET', NAMES, L.n, L.id)
  redis.call('ZADD', LEX, 0, L.n)
end
save(L)
return {'OK'}
)lua";

// ARGV[5] 'id' or 'name', [6] key, [7] '1' to revoke the leases.
// Answers OK and how many leases were revoked.
constexpr const char* kDelete = R"lua(
local L = bykey(ARGV[5], ARGV[6])
if not L then return {'NOTFOUND'} end
local leases = deletelimit(L)
local revoked = 0
if ARGV[7] == '1' then
  for _, lid in ipairs(leases) do
    if endlease(lid, nil, true) then revoked = revoked + 1 end
  end
end
return {'OK', fmt(revoked)}
)lua";

// ARGV[5] slots, [6] 'rate' or 'conc', [7] lease id ('' for none),
// [8] duration (micros), [9] holder type ('' none), [10] holder id,
// [11] name count, names from [12].
constexpr const char* kAcquire = R"lua(
local s = tonumber(ARGV[5])
local all = found(12, tonumber(ARGV[11]))
local active = {}
for _, L in ipairs(all) do if L.a then active[#active + 1] = L end end
for _, L in ipairs(active) do
  if L.l < s then return {'SLOTS'} end
end
if ARGV[6] == 'rate' then
  local missing = {'NODECAY'}
  for _, L in ipairs(active) do
    if L.d == 0 then missing[#missing + 1] = L.n end
  end
  if #missing > 1 then return missing end
end
local fits = true
for _, L in ipairs(active) do
  if aslots(L) + s > L.l then fits = false end
end
if not fits then
  -- MeanRetryAfter over the limits as they were before this denial.
  local best, bestb = nil, nil
  for _, L in ipairs(active) do
    local mw = maxwait(L)
    local b = s + roundup(dlevel(L, mw))
    if L.d <= 0 then b = b / L.l end
    if best == nil or b > bestb then
      best = {L = L, mw = mw, o = L.o, d = L.d}
      bestb = b
    end
    deny(L, s)
    savehot(L)
  end
  local mean = 0
  if best ~= nil then
    if best.d > 0 then
      mean = math.min(bestb / best.d, 1e9)
    else
      mean = math.min(math.min(best.o, best.mw) * bestb, best.mw)
    end
  end
  return {'LOCKED', fmt(mean)}
end
local lid = ARGV[7]
if lid ~= '' and redis.call('ZCARD', EXP) >= MAXE then return {'LEASES'} end
for _, L in ipairs(active) do take(L, s) end
if lid ~= '' then addlease(lid, active, s, ARGV[9], ARGV[10], tonumber(ARGV[8])) end
for _, L in ipairs(active) do savehot(L) end
local out = {'OK'}
for _, L in ipairs(all) do out[#out + 1] = ref(L) end
return out
)lua";

// ARGV[5] slots, [6] occupancy seconds ('' for none), [7] name count, names
// from [8].
constexpr const char* kRelease = R"lua(
local s = tonumber(ARGV[5])
local occ = tonumber(ARGV[6])
local all = found(8, tonumber(ARGV[7]))
local out = {'OK'}
for _, L in ipairs(all) do
  if L.a then
    giveback(L, s)
    if occ then occupancy(L, occ, s) end
    savehot(L)
  end
  out[#out + 1] = ref(L)
end
return out
)lua";

// ARGV[5] lease id, [6] duration (micros).
constexpr const char* kRenew = R"lua(
if not live(ARGV[5]) then return {'NOLEASE'} end
local x = NOW + tonumber(ARGV[6])
redis.call('HSET', ekey(ARGV[5]), 'x', fmt(x))
redis.call('ZADD', EXP, fmt(x), ARGV[5])
return {'OK'}
)lua";

// ARGV[5] lease id.
constexpr const char* kReleaseLease = R"lua(
if endlease(ARGV[5], nil, true) then return {'OK'} end
return {'NOLEASE'}
)lua";

// ARGV[5] the most leases to end. Leases whose expiration has come end as at
// their expiration; several instances may sweep at once (each lease ends in
// one script, so only once). Answers OK and how many it ended.
constexpr const char* kSweep = R"lua(
local due = redis.call('ZRANGEBYSCORE', EXP, '-inf', fmt(NOW), 'WITHSCORES', 'LIMIT', 0, ARGV[5])
local ended = 0
for i = 1, #due, 2 do
  if endlease(due[i], tonumber(due[i + 1]), true) then ended = ended + 1 end
end
return {'OK', fmt(ended)}
)lua";

// ARGV[5] name ("tag:<tag>"), [6] limit, [7] new id. Answers OK, '1' if
// created, and the limit.
constexpr const char* kUpsertTag = R"lua(
local L = byname(ARGV[5])
if L then
  L.l = tonumber(ARGV[6])
  L.u = NOW
  save(L)
  return {'OK', '0', snap(L, true)}
end
if redis.call('HLEN', NAMES) >= MAXL then return {'LIMITS'} end
L = newlimit(ARGV[7], ARGV[5], tonumber(ARGV[6]), true, 0, 0, 0)
return {'OK', '1', snap(L, true)}
)lua";

// ARGV[5] task run, [6] new lease id, [7] name count, names ("tag:...")
// from [8].
constexpr const char* kIncrementV1 = R"lua(
local run = ARGV[5]
local all = found(8, tonumber(ARGV[7]))
for _, L in ipairs(all) do
  if L.l == 0 then return {'ZERO', string.sub(L.n, 5)} end
end
local totake = {}
for _, L in ipairs(all) do
  if L.a and not heldby(L, run) then totake[#totake + 1] = L end
end
for _, L in ipairs(totake) do
  if aslots(L) + 1 > L.l then return {'LOCKED', string.sub(L.n, 5)} end
end
if #totake > 0 then
  if redis.call('ZCARD', EXP) >= MAXE then return {'LEASES'} end
  for _, L in ipairs(totake) do take(L, 1) end
  addlease(ARGV[6], totake, 1, '1', run, V1DUR)
  for _, L in ipairs(totake) do savehot(L) end
end
local out = {'OK'}
for _, L in ipairs(all) do
  if L.a then out[#out + 1] = ref(L, string.sub(L.n, 5)) end
end
return out
)lua";

// ARGV[5] task run, [6] name count, names from [7].
constexpr const char* kDecrementV1 = R"lua(
local run = ARGV[5]
local all = found(7, tonumber(ARGV[6]))
local out = {'OK'}
local leases = {}
for _, L in ipairs(all) do
  out[#out + 1] = ref(L)
  for _, lid in ipairs(redis.call('SMEMBERS', rkey(L.id, run))) do leases[lid] = true end
end
for lid, _ in pairs(leases) do endlease(lid, NOW, false) end
return out
)lua";

// ARGV[5] name ("tag:<tag>"), [6] holder count, then pairs from [7]: task
// run, new lease id (distinct runs, in order). Answers OK and how many
// leases were revoked.
constexpr const char* kResetTag = R"lua(
local L = byname(ARGV[5])
if not L then return {'NOTFOUND'} end
local n = tonumber(ARGV[6])
if redis.call('ZCARD', EXP) + n > MAXE then return {'LEASES'} end
local revoked = 0
for _, lid in ipairs(redis.call('ZRANGE', hkey(L.id), 0, -1)) do
  if droplimit(lid, L.id, true) then revoked = revoked + 1 end
end
redis.call('DEL', hkey(L.id))
L.al = n
L.alt = NOW
L.u = NOW
for i = 0, n - 1 do
  addlease(ARGV[8 + 2 * i], {L}, 1, '1', ARGV[7 + 2 * i], V1DUR)
end
savehot(L)
return {'OK', fmt(revoked)}
)lua";

// ARGV[5] name. The unexpired leases holding it, in the order taken.
constexpr const char* kHolders = R"lua(
local L = byname(ARGV[5])
if not L then return {'NOTFOUND'} end
local out = {'OK'}
for _, lid in ipairs(redis.call('ZRANGE', hkey(L.id), 0, -1)) do
  local v = redis.call('HMGET', ekey(lid), 'ht', 'hi', 's', 'c', 'x')
  if v[5] and tonumber(v[5]) > NOW then
    out[#out + 1] = {lid, v[1], v[2], v[3], v[4], v[5]}
  end
end
return out
)lua";

// ARGV[5] max named. Every limit: the first by name one by one (name,
// active, limit, active, denied, holders), then every other as the same
// row without its name. Answers OK, the limit count, the lease count, the
// named count, then the rows.
constexpr const char* kFigures = R"lua(
local names = redis.call('ZRANGE', LEX, 0, -1)
local maxn = tonumber(ARGV[5])
local out = {'OK', fmt(#names), fmt(redis.call('ZCARD', EXP)), fmt(math.min(maxn, #names))}
for i, name in ipairs(names) do
  local L = byname(name)
  if L then
    out[#out + 1] = {L.n, L.a and '1' or '0', fmt(L.l), fmt(aslots(L)), fmt(dslots(L)),
      fmt(redis.call('ZCARD', hkey(L.id)))}
  end
end
return out
)lua";

// No arguments: the limit count and the lease count.
constexpr const char* kCounts = R"lua(
return {'OK', fmt(redis.call('HLEN', NAMES)), fmt(redis.call('ZCARD', EXP))}
)lua";

// The prelude's head (arguments, TIME, key names) and only the helpers
// `body` calls, directly or through other helpers, in the prelude's order:
// Redis makes each helper's closure on every call of a script, so a script
// carrying helpers it never calls pays for them (about 0.16 us each).
std::string WithHelpers(std::string_view body) {
  struct Helper {
    std::string name;
    std::string text;
    bool needed = false;
  };
  const std::string_view prelude = kPrelude;
  constexpr std::string_view kFirst = "local function load(";
  const size_t first = prelude.find(kFirst);
  std::string head(prelude.substr(0, first));
  std::vector<Helper> helpers;
  size_t at = first;
  while (at < prelude.size()) {
    // From past this helper's own definition line (its comment lines come
    // first).
    size_t next = prelude.find("\nlocal function ", prelude.find("local function ", at));
    // A helper's comment lines belong to it: cut before them.
    while (next != std::string_view::npos) {
      const size_t line = prelude.rfind('\n', next - 1);
      if (line == std::string_view::npos || prelude.substr(line + 1, 2) != "--") break;
      next = line;
    }
    const size_t end = next == std::string_view::npos ? prelude.size() : next + 1;
    std::string text(prelude.substr(at, end - at));
    const size_t name_at =
        text.find("local function ") + std::string_view("local function ").size();
    helpers.push_back({text.substr(name_at, text.find('(', name_at) - name_at), text});
    at = end;
  }
  // Whether `text` calls `name`: "name(" not preceded by a name character.
  const auto calls = [](std::string_view text, const std::string& name) {
    const std::string call = name + "(";
    for (size_t i = text.find(call); i != std::string_view::npos; i = text.find(call, i + 1)) {
      const char before = i == 0 ? ' ' : text[i - 1];
      if (!std::isalnum(static_cast<unsigned char>(before)) && before != '_' && before != '.' &&
          before != ':') {
        return true;
      }
    }
    return false;
  };
  std::vector<std::string_view> pending = {body};
  while (!pending.empty()) {
    const std::string_view text = pending.back();
    pending.pop_back();
    for (Helper& helper : helpers) {
      // A helper's own definition line names it: look past it.
      if (!helper.needed && calls(text, helper.name) &&
          text.find("local function " + helper.name + "(") == std::string_view::npos) {
        helper.needed = true;
        pending.push_back(helper.text);
      }
    }
  }
  std::string script = head;
  for (const Helper& helper : helpers) {
    if (helper.needed) script += helper.text;
  }
  script += body;
  return script;
}

}  // namespace

std::string ScriptText(Script script) {
  const char* body = nullptr;
  switch (script) {
    case Script::kCreate:
      body = kCreate;
      break;
    case Script::kRead:
      body = kRead;
      break;
    case Script::kList:
      body = kList;
      break;
    case Script::kUpdate:
      body = kUpdate;
      break;
    case Script::kDelete:
      body = kDelete;
      break;
    case Script::kAcquire:
      body = kAcquire;
      break;
    case Script::kRelease:
      body = kRelease;
      break;
    case Script::kRenew:
      body = kRenew;
      break;
    case Script::kReleaseLease:
      body = kReleaseLease;
      break;
    case Script::kSweep:
      body = kSweep;
      break;
    case Script::kUpsertTag:
      body = kUpsertTag;
      break;
    case Script::kIncrementV1:
      body = kIncrementV1;
      break;
    case Script::kDecrementV1:
      body = kDecrementV1;
      break;
    case Script::kResetTag:
      body = kResetTag;
      break;
    case Script::kHolders:
      body = kHolders;
      break;
    case Script::kFigures:
      body = kFigures;
      break;
    case Script::kCounts:
      body = kCounts;
      break;
  }
  return WithHelpers(body);
}

}  // namespace slotd::redis
