#include "store/store_functions.h"

/* Keys are passed in, never built here, so a Redis Cluster can route them
 * (they share the workshop's hash tag, so they are in one slot).
 *
 * atelier_create  KEYS meta snaps events; ARGV title fkey created_ms text
 *   -> 1, or 0 if the workshop exists.
 * atelier_append  KEYS meta events lastop; ARGV expected_rev t_ms count
 *                 then count x (author org opid op)
 *   -> {1, new_rev, last_event_id}; {0, current_rev} if the revision moved;
 *      {-1} if the workshop does not exist.
 *   Publishes "ID REV" on atelier:notify, so other server processes with the
 *   workshop loaded fetch the new ops at once.
 * atelier_poll    KEYS polls events ballots; ARGV poll_id record event_type t_ms origin
 *   stores the poll record (an empty record deletes the poll and its ballots).
 * atelier_ballot  KEYS ballots events polls; ARGV participant record event_type poll org data t_ms origin
 *                 poll_record
 *   stores one participant's ballot record (empty: none left), and the poll
 *   record when given (a new answer moves its last answer id). The event
 *   names the organisation, never the participant.
 *   Both publish "ID poll POLL ORIGIN" on atelier:notify (ORIGIN: the
 *   writing process, which ignores its own announcements). */
const char store_functions_lua[] =
    "#!lua name=atelier\n"
    "local function create(keys, args)\n"
    "  if redis.call('EXISTS', keys[1]) == 1 then return 0 end\n"
    "  local ev = redis.call('XADD', keys[3], '*', 'type', 'created', 'title', args[1], 't', args[3])\n"
    "  redis.call('HSET', keys[1], 'title', args[1], 'fkey', args[2], 'created', args[3], 'rev', 0)\n"
    "  redis.call('XADD', keys[2], '0-1', 'text', args[4], 'event', ev, 't', args[3])\n"
    "  return 1\n"
    "end\n"
    "local function append(keys, args)\n"
    "  local rev = redis.call('HGET', keys[1], 'rev')\n"
    "  if not rev then return {-1} end\n"
    "  rev = tonumber(rev)\n"
    "  if rev ~= tonumber(args[1]) then return {0, rev} end\n"
    "  local n = tonumber(args[3])\n"
    "  local id\n"
    "  for i = 0, n - 1 do\n"
    "    local b = 4 + i * 4\n"
    "    id = redis.call('XADD', keys[2], '*', 'type', 'op', 'rev', rev, 'author', args[b], 'org', args[b + 1],\n"
    "                    'opid', args[b + 2], 'op', args[b + 3], 't', args[2])\n"
    "    redis.call('HSET', keys[3], args[b], rev .. ' ' .. args[b + 2])\n"
    "    rev = rev + 1\n"
    "  end\n"
    "  redis.call('HSET', keys[1], 'rev', rev)\n"
    "  local wid = string.match(keys[1], '{w:([^}]+)}')\n"
    "  if wid then redis.call('PUBLISH', 'atelier:notify', wid .. ' ' .. rev) end\n"
    "  return {1, rev, id}\n"
    "end\n"
    "local function notify(key, what)\n"
    "  local wid = string.match(key, '{w:([^}]+)}')\n"
    "  if wid then redis.call('PUBLISH', 'atelier:notify', wid .. ' ' .. what) end\n"
    "end\n"
    "local function poll(keys, args)\n"
    "  if args[2] == '' then\n"
    "    redis.call('HDEL', keys[1], args[1])\n"
    "    redis.call('DEL', keys[3])\n"
    "  else\n"
    "    redis.call('HSET', keys[1], args[1], args[2])\n"
    "  end\n"
    "  redis.call('XADD', keys[2], '*', 'type', args[3], 'poll', args[1], 'data', args[2], 't', args[4])\n"
    "  notify(keys[1], 'poll ' .. args[1] .. ' ' .. args[5])\n"
    "  return 1\n"
    "end\n"
    "local function ballot(keys, args)\n"
    "  if args[2] == '' then redis.call('HDEL', keys[1], args[1]) else redis.call('HSET', keys[1], args[1], args[2]) end\n"
    "  if args[9] ~= '' then redis.call('HSET', keys[3], args[4], args[9]) end\n"
    "  redis.call('XADD', keys[2], '*', 'type', args[3], 'poll', args[4], 'org', args[5], 'data', args[6], 't', args[7])\n"
    "  notify(keys[2], 'poll ' .. args[4] .. ' ' .. args[8])\n"
    "  return 1\n"
    "end\n"
    "redis.register_function('atelier_create', create)\n"
    "redis.register_function('atelier_poll', poll)\n"
    "redis.register_function('atelier_ballot', ballot)\n"
    "redis.register_function('atelier_append', append)\n";
