-- One concurrency budget in Redis (pipeline/systems/concurrency.py): slots, a FIFO of waiters,
-- hand-off on release, and a limit that throttles lower and time recovers.
-- KEYS: holders (zset token -> expiry ms), queue (list of waiting tokens),
--       alive (zset waiting token -> until ms), state (hash: limit, since), [counts (hash: outcome -> requests)]
-- ARGV: action, token (a position for 'throttled'), configured limit, recover ms, slot ttl ms, waiter ttl ms,
--       grant key prefix, outcome to count on 'release' ('' for none)
-- A waiter's grant list (prefix .. token) is named at run time: a single Redis, not a cluster.
local holders, queue, alive, state = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local action, token = ARGV[1], ARGV[2]
local configured, recover_ms = tonumber(ARGV[3]), tonumber(ARGV[4])
local slot_ttl, waiter_ttl, grant_prefix = tonumber(ARGV[5]), tonumber(ARGV[6]), ARGV[7]

local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)

local function current_limit()
  local lowered = tonumber(redis.call('HGET', state, 'limit') or configured)
  if lowered >= configured then return configured end
  local since = tonumber(redis.call('HGET', state, 'since') or now)
  local steps = math.floor((now - since) / recover_ms)
  if steps > 0 then
    lowered = math.min(configured, lowered + steps)
    redis.call('HSET', state, 'limit', lowered, 'since', since + steps * recover_ms)
  end
  return lowered
end

-- Give free slots to the queue's head, skipping waiters that stopped renewing (dead processes).
local function pump(limit)
  redis.call('ZREMRANGEBYSCORE', holders, '-inf', now)  -- slots of holders killed mid-request
  while redis.call('ZCARD', holders) < limit do
    local waiter = redis.call('LPOP', queue)
    if not waiter then break end
    local until_ms = tonumber(redis.call('ZSCORE', alive, waiter))
    redis.call('ZREM', alive, waiter)
    if until_ms and until_ms >= now then
      redis.call('ZADD', holders, now + slot_ttl, waiter)
      -- The wake-up carries the slot's position: how many were in flight with it, itself included.
      redis.call('RPUSH', grant_prefix .. waiter, redis.call('ZCARD', holders))
      redis.call('PEXPIRE', grant_prefix .. waiter, waiter_ttl * 2)
    end
  end
end

-- The slot's position if this token holds one (0 if not): from its wake-up when there is one.
local function granted()
  if redis.call('ZSCORE', holders, token) then
    local position = redis.call('LPOP', grant_prefix .. token)
    redis.call('DEL', grant_prefix .. token)
    return tonumber(position) or redis.call('ZCARD', holders)
  end
  return 0
end

local function keep()
  -- An unused budget leaves nothing behind.
  for _, key in ipairs({holders, queue, alive}) do redis.call('PEXPIRE', key, slot_ttl * 2) end
  redis.call('PEXPIRE', state, 86400000)
end

if action == 'limit' then
  return current_limit()
elseif action == 'acquire' or action == 'renew' then
  local limit = current_limit()
  if redis.call('ZSCORE', holders, token) then return granted() end
  if not redis.call('ZSCORE', alive, token) then
    redis.call('RPUSH', queue, token)  -- new, or skipped as silent: (back) to the end of the queue
  end
  redis.call('ZADD', alive, now + waiter_ttl, token)
  pump(limit)
  keep()
  return granted()
elseif action == 'release' then
  redis.call('ZREM', holders, token)
  pump(current_limit())
  -- The request's outcome, counted here rather than in a round trip of its own while the slot was held.
  if KEYS[5] and ARGV[8] ~= '' then redis.call('HINCRBY', KEYS[5], ARGV[8], 1) end
  return 0
elseif action == 'cancel' then
  redis.call('LREM', queue, 0, token)
  redis.call('ZREM', alive, token)
  return granted()
elseif action == 'throttled' then
  -- ARGV[2] is the refused request's position: the vendor's limit is below it. Taking the minimum
  -- makes the refusals of one burst agree instead of each lowering the limit once more.
  local limit = current_limit()
  local lowered = math.max(1, math.min(limit, tonumber(token) - 1))
  if lowered < limit then redis.call('HSET', state, 'limit', lowered, 'since', now) end
  keep()
  return lowered
end
return redis.error_reply('Unknown budget action: ' .. tostring(action))
