-- Keeps a run's in-flight books as its messages change state, so a run finishes only when none is
-- in flight (finish.lua). Called in the same MULTI as the status change (transition.lua).
-- KEYS[1]: the run's in-flight hash, whose fields are
--   <message id>            -> "<queue>|<changed, epoch ms>|<the broker's id of its copy>": the
--                              message is not final yet (queued, delayed or running);
--   <message id>@<delivery> -> "<process id>|<started, epoch ms>": one delivery of it runs there now
--                              (a redelivered copy has a delivery of its own, so an older copy that
--                              still runs keeps the run unfinished when a newer one ends first).
-- ARGV[1]: the change: a message state (transition.lua's), or "ended" (an attempt failed and will be
-- retried: the delivery is over, the message is not); ARGV[2]: the message id; ARGV[3]: the entry
-- "<queue>|<epoch ms>|<copy id>";
-- ARGV[4]: the delivery token ("" when none); ARGV[5]: "<process id>|<epoch ms>"; ARGV[6]: TTL (s).
local change, message = ARGV[1], ARGV[2]
local delivery = message .. '@' .. ARGV[4]
if change == 'scheduled' or change == 'enqueued' or change == 'retrying' then
  redis.call('HSET', KEYS[1], message, ARGV[3])
elseif change == 'running' then
  -- The copy running is the one the broker holds now (a requeued copy keeps its id).
  redis.call('HSET', KEYS[1], message, ARGV[3], delivery, ARGV[5])
elseif change == 'ended' then
  redis.call('HDEL', KEYS[1], delivery)
else -- done, skipped, failed: the message is final
  redis.call('HDEL', KEYS[1], message, delivery)
end
redis.call('EXPIRE', KEYS[1], ARGV[6])
