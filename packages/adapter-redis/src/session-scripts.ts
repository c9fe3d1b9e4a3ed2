// The Redis session store's Lua scripts: each change of a session is one atomic script, so
// the counts and the buffer of unacknowledged frames never disagree, whichever instance
// writes. KEYS[1] is the session's hash (received, sent, acknowledged, address, identity,
// expiresAt, bytes, and the reply marks `m:<frame>` with their count `marks`), KEYS[2] the
// list of its unacknowledged frames (acknowledged+1 .. sent, oldest first), KEYS[3] the
// sorted set of detached sessions by expiry, KEYS[4] the set of all session ids. ARGV[1] is
// the session id, ARGV[2] the keys' time to live in ms while a connection holds the session,
// renewed by every write. A write to an unknown session changes nothing (the server's
// SessionStore contract).

/**
 * @internal ARGV: id, ttl, received, sent, acknowledged, expiresAt, address, identity ("" for
 * none), reply marks ("frame:to,frame:to", "" for none), frame...
 */
export const CREATE = `
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('HSET', KEYS[1], 'received', ARGV[3], 'sent', ARGV[4], 'acknowledged', ARGV[5],
  'expiresAt', ARGV[6], 'address', ARGV[7], 'identity', ARGV[8])
local marks = 0
for frame, to in string.gmatch(ARGV[9], '(%d+):(%d+)') do
  redis.call('HSET', KEYS[1], 'm:' .. frame, to)
  marks = marks + 1
end
redis.call('HSET', KEYS[1], 'marks', marks)
local bytes = 0
for i = 10, #ARGV do
  redis.call('RPUSH', KEYS[2], ARGV[i])
  bytes = bytes + string.len(ARGV[i])
end
redis.call('HSET', KEYS[1], 'bytes', bytes)
redis.call('SADD', KEYS[4], ARGV[1])
if tonumber(ARGV[6]) == 0 then
  redis.call('ZREM', KEYS[3], ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  if #ARGV >= 10 then redis.call('PEXPIRE', KEYS[2], ARGV[2]) end
else
  redis.call('ZADD', KEYS[3], ARGV[6], ARGV[1])
end
return 0`;

/**
 * @internal ARGV: id, ttl, maxMessages, maxBytes, sent, replyTo ("0": none), frame...
 * Reply: 0, or -2 past a bound. A reply mark is the hash field `m:<frame>` = the
 * client frame it answers (the last appended frame's).
 */
export const APPEND = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local add = 0
for i = 7, #ARGV do add = add + string.len(ARGV[i]) end
local held = redis.call('LLEN', KEYS[2])
local bytes = tonumber(redis.call('HGET', KEYS[1], 'bytes') or '0')
if held + #ARGV - 6 > tonumber(ARGV[3]) or bytes + add > tonumber(ARGV[4]) then return -2 end
for i = 7, #ARGV do redis.call('RPUSH', KEYS[2], ARGV[i]) end
redis.call('HINCRBY', KEYS[1], 'bytes', add)
redis.call('HSET', KEYS[1], 'sent', ARGV[5])
if ARGV[6] ~= '0' then
  redis.call('HSET', KEYS[1], 'm:' .. ARGV[5], ARGV[6])
  redis.call('HINCRBY', KEYS[1], 'marks', 1)
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return 0`;

/** @internal ARGV: id, ttl, acknowledged. Drops the acknowledged frames. */
export const ACKNOWLEDGE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local acked = tonumber(redis.call('HGET', KEYS[1], 'acknowledged'))
local to = tonumber(ARGV[3])
if to > acked then
  local k = to - acked
  local freed = 0
  for _, frame in ipairs(redis.call('LRANGE', KEYS[2], 0, k - 1)) do freed = freed + string.len(frame) end
  redis.call('LTRIM', KEYS[2], k, -1)
  local marks = tonumber(redis.call('HGET', KEYS[1], 'marks') or '0')
  if marks > 0 then
    local gone = 0
    for i = acked + 1, to do gone = gone + redis.call('HDEL', KEYS[1], 'm:' .. i) end
    redis.call('HINCRBY', KEYS[1], 'marks', -gone)
  end
  redis.call('HINCRBY', KEYS[1], 'bytes', -freed)
  redis.call('HSET', KEYS[1], 'acknowledged', to)
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('PEXPIRE', KEYS[2], ARGV[2]) end
return 0`;

/** @internal ARGV: id, ttl, received (never lowered). */
export const RECEIVED = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if tonumber(ARGV[3]) > tonumber(redis.call('HGET', KEYS[1], 'received')) then
  redis.call('HSET', KEYS[1], 'received', ARGV[3])
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('PEXPIRE', KEYS[2], ARGV[2]) end
return 0`;

/** @internal ARGV: id, ttl, expiresAt, grace. Starts the expiry clock (0: stops it). */
export const DETACH = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local at = tonumber(ARGV[3])
redis.call('HSET', KEYS[1], 'expiresAt', ARGV[3])
if at == 0 then
  redis.call('ZREM', KEYS[3], ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('PEXPIRE', KEYS[2], ARGV[2]) end
else
  redis.call('ZADD', KEYS[3], at, ARGV[1])
  redis.call('PEXPIREAT', KEYS[1], at + tonumber(ARGV[4]))
  if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('PEXPIREAT', KEYS[2], at + tonumber(ARGV[4])) end
end
return 0`;

/** @internal ARGV: id. */
export const DELETE = `
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('SREM', KEYS[4], ARGV[1])
return 0`;

/**
 * @internal ARGV: id. Reply: nil, or {received, sent, acknowledged, expiresAt, address,
 * identity, frames, marks} where marks is a flat list frame, to, frame, to...
 */
export const LOAD = `
if redis.call('EXISTS', KEYS[1]) == 0 then return nil end
local f = redis.call('HMGET', KEYS[1], 'received', 'sent', 'acknowledged', 'expiresAt', 'address', 'identity')
local marks = {}
local all = {}
if tonumber(redis.call('HGET', KEYS[1], 'marks') or '0') > 0 then all = redis.call('HGETALL', KEYS[1]) end
for i = 1, #all, 2 do
  if string.sub(all[i], 1, 2) == 'm:' then
    table.insert(marks, string.sub(all[i], 3))
    table.insert(marks, all[i + 1])
  end
end
return {f[1], f[2], f[3], f[4], f[5], f[6], redis.call('LRANGE', KEYS[2], 0, -1), marks}`;

/**
 * @internal KEYS: detached set, all set. ARGV: now, prefix. Takes the detached sessions
 * whose expiry is past (each taken once, whichever instance asks) and returns them as LOAD
 * does, each preceded by its id.
 */
export const EXPIRE = `
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local out = {}
for _, id in ipairs(ids) do
  local meta = ARGV[2] .. '{' .. id .. '}'
  local list = meta .. ':out'
  if redis.call('EXISTS', meta) == 1 then
    local f = redis.call('HMGET', meta, 'received', 'sent', 'acknowledged', 'expiresAt', 'address', 'identity')
    table.insert(out, {id, f[1], f[2], f[3], f[4], f[5], f[6], redis.call('LRANGE', list, 0, -1)})
  end
  redis.call('DEL', meta, list)
  redis.call('ZREM', KEYS[1], id)
  redis.call('SREM', KEYS[2], id)
end
return out`;
