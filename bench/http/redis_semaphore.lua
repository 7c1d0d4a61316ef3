-- The Redis anchor of bench/http/anchors.sh: a counting semaphore in one Lua
-- script, the work of slotd's v2 cycle (increment: take a slot if the limit
-- allows; decrement: give one back, never below zero).
--
--   EVALSHA <sha> 2 HELD TURN LIMIT
--
-- KEYS[1] (HELD) counts the slots held, ARGV[1] is the limit. redis-benchmark
-- repeats one command, so the script alternates by itself, as the v2 cycle's
-- wrk script does over all its connections: KEYS[2] (TURN) counts the calls;
-- odd calls acquire, even calls release. Redis runs scripts one at a time, so
-- the alternation is exact over all clients; after N calls from zero, HELD is
-- N % 2 and TURN is N (anchors.sh checks both). Returns 1 when the slot was
-- taken or given back, 0 when the limit was full or nothing was held.
local limit = tonumber(ARGV[1])
local held = tonumber(redis.call('GET', KEYS[1]) or '0')
if redis.call('INCR', KEYS[2]) % 2 == 1 then
  if held + 1 > limit then return 0 end
  redis.call('INCRBY', KEYS[1], 1)
  return 1
end
if held <= 0 then return 0 end
redis.call('DECRBY', KEYS[1], 1)
return 1
