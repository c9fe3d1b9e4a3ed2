// The Redis session store's Lua scripts: each change of a session is one atomic script, so
// the counts and the retransmit buffer never disagree, whichever instance writes.
// KEYS[1] is the session's hash (received, sent, acked, bytes), KEYS[2] the list of its
// unacknowledged outbound frames (numbers acked+1 .. sent, oldest first). ARGV[1] is the
// time to live in ms, renewed by every write. Replies: -1 the session is unknown (never
// created, expired or deleted); -2 a bound would be exceeded; -3 an acknowledgement beyond
// what was sent.

/** @internal Starts a session afresh: counts at 0, empty buffer. ARGV: ttl. */
export const CREATE = `
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('HSET', KEYS[1], 'received', 0, 'sent', 0, 'acked', 0, 'bytes', 0)
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 0`;

/** @internal Appends outbound frames. ARGV: ttl, maxMessages, maxBytes, frame... Reply: the new sent count. */
export const APPEND = `
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local count = #ARGV - 3
local add = 0
for i = 4, #ARGV do add = add + string.len(ARGV[i]) end
local held = redis.call('LLEN', KEYS[2])
local bytes = tonumber(redis.call('HGET', KEYS[1], 'bytes'))
if held + count > tonumber(ARGV[2]) or bytes + add > tonumber(ARGV[3]) then return -2 end
for i = 4, #ARGV do redis.call('RPUSH', KEYS[2], ARGV[i]) end
redis.call('HINCRBY', KEYS[1], 'bytes', add)
local sent = redis.call('HINCRBY', KEYS[1], 'sent', count)
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
return sent`;

/** @internal The peer acknowledged outbound frames up to a count: drops them. ARGV: ttl, acked. Reply: acked. */
export const ACKNOWLEDGE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local acked = tonumber(redis.call('HGET', KEYS[1], 'acked'))
local sent = tonumber(redis.call('HGET', KEYS[1], 'sent'))
local to = tonumber(ARGV[2])
if to > sent then return -3 end
if to > acked then
  local k = to - acked
  local freed = 0
  for _, frame in ipairs(redis.call('LRANGE', KEYS[2], 0, k - 1)) do freed = freed + string.len(frame) end
  redis.call('LTRIM', KEYS[2], k, -1)
  redis.call('HINCRBY', KEYS[1], 'bytes', -freed)
  redis.call('HSET', KEYS[1], 'acked', to)
  acked = to
end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('PEXPIRE', KEYS[2], ARGV[1]) end
return acked`;

/** @internal Inbound frames processed up to a count (never lowered). ARGV: ttl, received. Reply: received. */
export const RECEIVED = `
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local received = tonumber(redis.call('HGET', KEYS[1], 'received'))
local to = tonumber(ARGV[2])
if to > received then
  redis.call('HSET', KEYS[1], 'received', to)
  received = to
end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('PEXPIRE', KEYS[2], ARGV[1]) end
return received`;

/** @internal Reads a session and renews its time to live. ARGV: ttl. Reply: nil, or {received, sent, acked, frames}. */
export const LOAD = `
if redis.call('EXISTS', KEYS[1]) == 0 then return nil end
local counts = redis.call('HMGET', KEYS[1], 'received', 'sent', 'acked')
redis.call('PEXPIRE', KEYS[1], ARGV[1])
if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('PEXPIRE', KEYS[2], ARGV[1]) end
return {counts[1], counts[2], counts[3], redis.call('LRANGE', KEYS[2], 0, -1)}`;
