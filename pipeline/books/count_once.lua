-- Adds a batch's outcomes to its run's counters once, however often the batch is delivered
-- (a worker killed after booking but before acknowledging gets its message redelivered), and
-- keeps what that first booking decided, so a later delivery follows the same decision.
-- KEYS[1]: the run's hash; KEYS[2]: the set of batches already booked; KEYS[3]: batch -> decision.
-- ARGV[1]: the batch's id ("" counts unconditionally); ARGV[2]: the decision to keep ("" for none);
-- ARGV[3]: seconds to keep a key of KEYS that has no TTL when the run's hash has none either
--          (bound_run_keys.lua);
-- ARGV[4..]: counter, increment pairs.
-- Returns the run's hash after the change, as HGETALL does.
if ARGV[1] == '' or redis.call('SADD', KEYS[2], ARGV[1]) == 1 then
  if ARGV[1] ~= '' and ARGV[2] ~= '' then
    redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])
  end
  for i = 4, #ARGV, 2 do
    redis.call('HINCRBY', KEYS[1], ARGV[i], ARGV[i + 1])
  end
end
bound_run_keys(KEYS, ARGV[3])  -- bound_run_keys.lua
return redis.call('HGETALL', KEYS[1])
