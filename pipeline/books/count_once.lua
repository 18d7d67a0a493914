-- Adds a batch's outcomes to its run's counters once, however often the batch is delivered
-- (a worker killed after booking but before acknowledging gets its message redelivered).
-- KEYS[1]: the run's hash; KEYS[2]: the set of batches already booked.
-- ARGV[1]: the batch's id ("" counts unconditionally); ARGV[2..]: counter, increment pairs.
-- Returns the run's hash after the change, as HGETALL does.
if ARGV[1] == '' or redis.call('SADD', KEYS[2], ARGV[1]) == 1 then
  for i = 2, #ARGV, 2 do
    redis.call('HINCRBY', KEYS[1], ARGV[i], ARGV[i + 1])
  end
end
return redis.call('HGETALL', KEYS[1])
