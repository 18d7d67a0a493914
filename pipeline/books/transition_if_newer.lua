-- transition.lua for a change written late (held in a worker while Redis was away): applied only
-- if no change of the message is stamped at or after it, so a late write never moves it back.
-- KEYS as transition.lua. ARGV[1]: the new state; ARGV[2]: TTL in seconds; ARGV[3]: when the change
-- happened (epoch s, stamped as <state>_at); ARGV[4..]: more field/value pairs to set.
-- Returns {1, previous state} when applied, {0, current state} when a newer change is kept.
local stamps = redis.call('HMGET', KEYS[1], 'scheduled_at', 'enqueued_at', 'running_at', 'retrying_at',
                          'done_at', 'skipped_at', 'failed_at')
for _, stamp in ipairs(stamps) do
  if stamp and tonumber(stamp) >= tonumber(ARGV[3]) then
    return {0, redis.call('HGET', KEYS[1], 'state')}
  end
end
return {1, set_state(KEYS, ARGV[1], ARGV[2], {ARGV[1] .. '_at', ARGV[3], unpack(ARGV, 4)})}
