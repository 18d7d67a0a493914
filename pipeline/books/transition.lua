-- Moves one message to a new state and keeps its run's per-state counts right, atomically.
-- KEYS[1]: the message's status hash; KEYS[2]: its run's state counts hash, or "" without a run.
-- ARGV[1]: the new state; ARGV[2]: TTL in seconds; ARGV[3..]: more field/value pairs to set.
-- Returns the previous state (false for a new message).
return set_state(KEYS, ARGV[1], ARGV[2], {unpack(ARGV, 3)})
