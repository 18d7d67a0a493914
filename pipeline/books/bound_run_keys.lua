-- Shared by the scripts that write a run's keys (count_once.lua, map_books.lua; prepended to them by
-- pipeline/books/runs.py's run_script): nothing they write outlives its run. A key made without a
-- TTL (by a delivery after the run finished, or after its hash expired and the script made it again)
-- gets the run hash's TTL, or `fallback` seconds when the hash has none either.
-- run_keys: the run's hash first, then the run's other keys the script writes.
local function bound_run_keys(run_keys, fallback)
  local ttl = redis.call('TTL', run_keys[1])
  if ttl < 0 then ttl = tonumber(fallback) end
  for _, key in ipairs(run_keys) do
    if redis.call('TTL', key) == -1 then redis.call('EXPIRE', key, ttl) end
  end
end
