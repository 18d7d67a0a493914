-- Moves one message to a new state and keeps its run's per-state counts right, atomically.
-- KEYS[1]: the message's status hash; KEYS[2]: its run's state counts hash, or "" without a run.
-- ARGV[1]: the new state; ARGV[2]: TTL in seconds; ARGV[3..]: more field/value pairs to set.
-- Returns the previous state (false for a new message).
local old = redis.call('HGET', KEYS[1], 'state')
redis.call('HSET', KEYS[1], 'state', ARGV[1], unpack(ARGV, 3))
redis.call('EXPIRE', KEYS[1], ARGV[2])
if KEYS[2] ~= '' and old ~= ARGV[1] then
  if old then redis.call('HINCRBY', KEYS[2], old, -1) end
  redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
  redis.call('EXPIRE', KEYS[2], ARGV[2])
end
return old
