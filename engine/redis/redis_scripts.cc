// The Lua functions of the Redis store: one library, the shared prelude
// (made once when Redis loads the library) and one function per operation,
// so every operation is one atomic FCALL. The key layout is in
// redis_slot_store.h.
//
// Calling convention: KEYS[1] is the deployment's key prefix "{slotd}" (its
// hash tag puts every key the function builds from it in one cluster slot);
// ARGV[1..4] are the tag wait, the slot wait, the limit cap and the lease
// cap; the operation's own arguments follow from ARGV[5]. Every function
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
local KEYS, ARGV, P, TAGW, SLOTW, MAXL, MAXE, NOW, NAMES, LEX, EXP
local EPS = 1e-9
local MAXC = 9007199254740991
local V1DUR = 24 * 36525 * 3600 * 1000000
-- Each function's first step: its arguments, the time and the key names.
local function begin(keys, args)
  KEYS, ARGV, P = keys, args, keys[1]
  TAGW = tonumber(ARGV[1])
  SLOTW = tonumber(ARGV[2])
  MAXL = tonumber(ARGV[3])
  MAXE = tonumber(ARGV[4])
  local T = redis.call('TIME')
  NOW = tonumber(T[1]) * 1000000 + tonumber(T[2])
  NAMES = P .. ':names'
  LEX = P .. ':lex'
  EXP = P .. ':exp'
end
-- Numbers as text without losing a digit: an integer (most are: times in
-- microseconds, counts) as %d, which is twice as fast as %.17g.
local function fmt(x)
  if x == math.floor(x) and x > -9007199254740992 and x < 9007199254740992 then
    return string.format('%d', x)
  end
  return string.format('%.17g', x)
end
local function lkey(id) return P .. ':l:' .. id end
local function hkey(id) return P .. ':h:' .. id end
local function ekey(id) return P .. ':e:' .. id end
local function rkey(id, run) return P .. ':r:' .. id .. ':' .. run end
-- A limit is one string: its 11 numbers as little-endian doubles (exact,
-- and packed and unpacked in C, where formatting them as text cost most of
-- a call), then its name.
local LFORM = '<ddddddddddd'
local LNAME = 11 * 8 + 1
local function load(id)
  local v = redis.call('GET', lkey(id))
  if not v then return nil end
  local c, u, a, l, d, o, al, alt, dl, dlt, q = struct.unpack(LFORM, v)
  return {id = id, n = string.sub(v, LNAME), c = c, u = u, a = a == 1, l = l, d = d, o = o,
    al = al, alt = alt, dl = dl, dlt = dlt, q = q}
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
  redis.call('SET', lkey(L.id), struct.pack(LFORM, L.c, L.u, L.a and 1 or 0, L.l, L.d, L.o, L.al,
    L.alt, L.dl, L.dlt, L.q) .. L.n)
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
        save(L)
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
    save(L)
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
for _, L in ipairs(active) do save(L) end
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
    save(L)
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
  for _, L in ipairs(totake) do save(L) end
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
save(L)
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

}  // namespace

const char* FunctionName(Script script) {
  switch (script) {
    case Script::kCreate:
      return "slotd_create";
    case Script::kRead:
      return "slotd_read";
    case Script::kList:
      return "slotd_list";
    case Script::kUpdate:
      return "slotd_update";
    case Script::kDelete:
      return "slotd_delete";
    case Script::kAcquire:
      return "slotd_acquire";
    case Script::kRelease:
      return "slotd_release";
    case Script::kRenew:
      return "slotd_renew";
    case Script::kReleaseLease:
      return "slotd_release_lease";
    case Script::kSweep:
      return "slotd_sweep";
    case Script::kUpsertTag:
      return "slotd_upsert_tag";
    case Script::kIncrementV1:
      return "slotd_increment_v1";
    case Script::kDecrementV1:
      return "slotd_decrement_v1";
    case Script::kResetTag:
      return "slotd_reset_tag";
    case Script::kHolders:
      return "slotd_holders";
    case Script::kFigures:
      return "slotd_figures";
    case Script::kCounts:
      return "slotd_counts";
  }
  return "";
}

std::string LibraryText() {
  struct Body {
    Script script;
    const char* text;
  };
  static constexpr Body kBodies[] = {
      {Script::kCreate, kCreate},
      {Script::kRead, kRead},
      {Script::kList, kList},
      {Script::kUpdate, kUpdate},
      {Script::kDelete, kDelete},
      {Script::kAcquire, kAcquire},
      {Script::kRelease, kRelease},
      {Script::kRenew, kRenew},
      {Script::kReleaseLease, kReleaseLease},
      {Script::kSweep, kSweep},
      {Script::kUpsertTag, kUpsertTag},
      {Script::kIncrementV1, kIncrementV1},
      {Script::kDecrementV1, kDecrementV1},
      {Script::kResetTag, kResetTag},
      {Script::kHolders, kHolders},
      {Script::kFigures, kFigures},
      {Script::kCounts, kCounts},
  };
  std::string text = "#!lua name=" + std::string(kLibraryName) + "\n";
  text += kPrelude;
  for (const Body& body : kBodies) {
    text += "redis.register_function('";
    text += FunctionName(body.script);
    text += "', function(keys, args)\nbegin(keys, args)\n";
    text += body.text;
    text += "end)\n";
  }
  return text;
}

}  // namespace slotd::redis
