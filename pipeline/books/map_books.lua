-- A mapped page's books in one call (pipeline/books/page_books.py): whether the page was booked
-- before, which of its records are duplicates (their identical payload still waiting for an earlier
-- load), the waiting marks of the others, the duplicates' ledger notes and the page's counts.
-- The first booking decides the duplicates and keeps the decision; a later delivery (a worker killed
-- before acknowledging) follows it, even when both run at once: this script runs alone.
-- KEYS: run hash, booked batches (set), decided (hash batch -> JSON keys), ledger waiting, ledger last
-- ARGV: batch id, force ('1': no duplicates), now (epoch s), waiting stale after (s), the duplicates'
--       ledger note (JSON), failed records to count, seconds to keep a run key (KEYS 1-3) that has no TTL
--       when the run's hash has none either (bound_run_keys.lua), then key, payload hash, waiting entry
--       (JSON) per record
-- Returns: {the keys set apart as duplicates, the run's hash as HGETALL gives it}
local run, booked, decided, waiting, last = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local batch, force, now, stale = ARGV[1], ARGV[2] == '1', tonumber(ARGV[3]), tonumber(ARGV[4])
local note, failed = ARGV[5], tonumber(ARGV[6])

local duplicates, is_duplicate = {}, {}
if redis.call('SADD', booked, batch) == 1 then
  if not force then
    for i = 8, #ARGV, 3 do
      local raw = redis.call('HGET', waiting, ARGV[i])
      if raw then
        local entry = cjson.decode(raw)
        if entry.hash == ARGV[i + 1] and now - entry.at < stale then
          duplicates[#duplicates + 1] = ARGV[i]
        end
      end
    end
  end
  table.sort(duplicates)
  if #duplicates > 0 then
    redis.call('HSET', decided, batch, cjson.encode(duplicates))
    redis.call('HINCRBY', run, 'skipped', #duplicates)
  end
  if failed > 0 then redis.call('HINCRBY', run, 'failed', failed) end
else
  local decision = redis.call('HGET', decided, batch)
  if decision then duplicates = cjson.decode(decision) end
end
for _, key in ipairs(duplicates) do is_duplicate[key] = true end

for i = 8, #ARGV, 3 do
  if is_duplicate[ARGV[i]] then
    redis.call('HSET', last, ARGV[i], note)
  else
    redis.call('HSET', waiting, ARGV[i], ARGV[i + 2])
  end
end
-- A delivery after the run finished or expired leaves no run key without a TTL.
bound_run_keys({run, booked, decided}, ARGV[7])
return {duplicates, redis.call('HGETALL', run)}
