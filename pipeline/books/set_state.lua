-- Shared by transition.lua and transition_if_newer.lua (put before them by pipeline/books/messages.py): sets
-- a message's state and fields, and moves its run's per-state count from the old state to the new one.
-- keys: {the message's status hash, its run's state counts hash or ""}; fields: field/value pairs.
-- Returns the previous state (false for a new message).
local function set_state(keys, state, ttl, fields)
  local old = redis.call('HGET', keys[1], 'state')
  redis.call('HSET', keys[1], 'state', state, unpack(fields))
  redis.call('EXPIRE', keys[1], ttl)
  if keys[2] ~= '' and old ~= state then
    if old then redis.call('HINCRBY', keys[2], old, -1) end
    redis.call('HINCRBY', keys[2], state, 1)
    redis.call('EXPIRE', keys[2], ttl)
  end
  return old
end
