-- Stamps a run finished once every record is counted (or the run itself stopped: its extraction
-- failed for good) AND none of its messages is in flight (inflight.lua). Returns 1 if it stamped now.
-- In-flight entries that can no longer end by themselves are dropped first, so a run is never left
-- unfinished by a status write Redis refused or a worker that died:
--   a delivery whose worker stopped beating (its message, if not acknowledged, was requeued and
--   gets a delivery of its own), or whose live worker did not list it as running at its last beat
--   although it started before that beat (its end was not written);
--   a message whose copy the broker no longer holds (acknowledged, its final state unwritten), once
--   its entry is older than a heartbeat timeout: a message is recorded in flight just before the
--   broker has it, in a round trip of its own.
-- KEYS[1]: the run's hash; KEYS[2]: its in-flight hash; KEYS[3]: the set of runs waiting on their
-- messages (swept at every worker beat); KEYS[4]: workers' last beats (sorted set, epoch ms);
-- KEYS[5]: workers' running deliveries at their last beat (hash: process -> "t1,t2,...");
-- KEYS[6..]: the run's other keys, which expire with it once finished.
-- ARGV[1]: now (epoch s); ARGV[2]: TTL (s); ARGV[3]: a beat older than this (epoch ms) is a dead
-- worker's; ARGV[4]: the Redis broker's namespace ("" when its messages are not in this database);
-- ARGV[5]: the run id; ARGV[6..]: lifecycle event counters (processed records, like loaded).
local run, inflight = KEYS[1], KEYS[2]
if redis.call('EXISTS', run) == 0 or redis.call('HEXISTS', run, 'finished_at') == 1 then
  redis.call('SREM', KEYS[3], ARGV[5])
  return 0
end
local f = redis.call('HMGET', run, 'extract_done', 'stopped', 'extracted', 'missing', 'loaded', 'skipped', 'failed')
if f[2] ~= '1' then
  if f[1] ~= '1' then return 0 end
  local processed = tonumber(f[5] or 0) + tonumber(f[6] or 0) + tonumber(f[7] or 0)
  for i = 6, #ARGV do processed = processed + tonumber(redis.call('HGET', run, ARGV[i]) or 0) end
  if processed < tonumber(f[3] or 0) + tonumber(f[4] or 0) then return 0 end
end
-- Counted: what is still in flight decides. A long list is still busy: its own ends call again.
local size = redis.call('HLEN', inflight)
if size > 200 then
  redis.call('SADD', KEYS[3], ARGV[5])
  return 0
end
if size > 0 then
  local entries = redis.call('HGETALL', inflight)
  for i = 1, #entries, 2 do
    local field, value = entries[i], entries[i + 1]
    local at = string.find(field, '@', 1, true)
    if at then
      local bar = string.find(value, '|', 1, true)
      local owner, started = string.sub(value, 1, bar - 1), tonumber(string.sub(value, bar + 1))
      local beat = tonumber(redis.call('ZSCORE', KEYS[4], owner))
      local running = false
      if beat and beat >= tonumber(ARGV[3]) then
        local listed = ',' .. (redis.call('HGET', KEYS[5], owner) or '') .. ','
        running = started >= beat or string.find(listed, ',' .. string.sub(field, at + 1) .. ',', 1, true) ~= nil
      end
      if not running then redis.call('HDEL', inflight, field) end
    elseif ARGV[4] ~= '' then
      -- "<queue>|<changed ms>|<the broker's id of the copy>": Dramatiq's Redis broker keeps each
      -- enqueued copy under an id of its own (options.redis_message_id), not the message id.
      local first = string.find(value, '|', 1, true)
      local second = string.find(value, '|', first + 1, true)
      local queue = ARGV[4] .. ':' .. string.sub(value, 1, first - 1)
      local changed, copy = tonumber(string.sub(value, first + 1, second - 1)), string.sub(value, second + 1)
      if copy ~= '' and changed < tonumber(ARGV[3]) and redis.call('HEXISTS', queue .. '.msgs', copy) == 0
          and redis.call('HEXISTS', queue .. '.DQ.msgs', copy) == 0 then
        redis.call('HDEL', inflight, field)
      end
    end
  end
end
if redis.call('HLEN', inflight) > 0 then
  redis.call('SADD', KEYS[3], ARGV[5])
  return 0
end
redis.call('HSETNX', run, 'finished_at', ARGV[1])
redis.call('EXPIRE', run, ARGV[2])
for i = 6, #KEYS do redis.call('EXPIRE', KEYS[i], ARGV[2]) end
redis.call('SREM', KEYS[3], ARGV[5])
return 1
