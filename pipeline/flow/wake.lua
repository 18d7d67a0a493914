-- Wakes a queue's idle consumers (flow/broker.py's WakingConsumer), in one command instead of three.
-- KEYS[1]: the queue's wake-up list; ARGV[1]: wake-ups kept (a burst of sends needs no more than
-- there are idle consumers); ARGV[2]: the list's lifetime in ms.
redis.call('LPUSH', KEYS[1], 1)
redis.call('LTRIM', KEYS[1], 0, ARGV[1] - 1)
redis.call('PEXPIRE', KEYS[1], ARGV[2])
