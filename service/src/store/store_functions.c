#include "store/store_functions.h"

/* Keys are passed in, never built here, so a Redis Cluster can route them
 * (they share the workshop's hash tag, so they are in one slot).
 *
 * Every event goes to the stream `events`; events that are not edits (the
 * creation, arrivals, departures, poll steps, ballots) are also copied, with
 * the same id, to `marks`: a timeline's marks and the presence and polls at
 * any moment are read from there without reading the edits. Each mark
 * records `rev`, the revision when it happened (read from meta here, so it is
 * exact even with several server processes).
 *
 * Retention (README, "How long data lives"): every Function that writes a
 * workshop sets meta's `active` to Redis' clock (TIME, in ms), one field of
 * a hash it writes anyway, so activity costs nothing more on the op path. The
 * sorted set atelier:retention (outside the hash tag, like the join codes:
 * found without a workshop id) holds each workshop scored by its activity as
 * last seen there: written at creation, and brought up to date by
 * atelier_expire, so the servers' sweeps (hub/hub_retention.c) find the
 * workshops that may be due without reading them all.
 *
 * atelier_create  KEYS meta snaps events marks code [retention];
 *                 ARGV title fkey created_ms text time_zone code [agenda]
 *   -> 1, 0 if the workshop exists, -1 if the join code is another live
 *   workshop's (the server draws another). The code key (atelier:code:CODE,
 *   outside the hash tag: codes are looked up without a workshop id) holds the
 *   workshop's id while it is open. The first event's id is CREATED_MS-1, so
 *   its time is the workshop's creation time (later ids follow Redis' clock,
 *   which never goes backwards in a stream).
 * atelier_append  KEYS meta events lastop [balance]; ARGV expected_rev t_ms count
 *                 then count x (author org opid op) [then norgs, norgs x (org ins del) [then "quiet"]]
 *   -> {1, new_rev, last_event_id}; {0, current_rev} if the revision moved;
 *      {-1} if the workshop does not exist; {-2} if it has ended (even when
 *      the process that sent the ops has not heard of the end yet).
 *   Publishes "ID REV" on atelier:notify, so other server processes with the
 *   workshop loaded fetch the new ops at once; with "quiet" it does not: the
 *   server publishes it itself once its replicas have the batch (--replicas,
 *   hub/hub_op.c), so that no other process relays ops not yet acknowledged. With the balance key, the
 *   batch's code points inserted and deleted by each organisation (summed by
 *   the server per batch) are added to its `ins:ORG` and `del:ORG`: one
 *   HINCRBY per organisation and batch, never per op.
 * atelier_mark    KEYS meta events marks; ARGV t_ms then field value pairs
 *   (an arrival or departure) -> the event id; nil if the workshop is gone.
 * atelier_poll    KEYS polls events ballots meta marks;
 *                 ARGV poll_id record event_type t_ms origin public results was
 *   stores the poll record (an empty record deletes the poll and its ballots).
 *   An empty event_type stores the record alone: no event, no announcement
 *   (a passage's range kept up to date at a snapshot, polls.md).
 * atelier_ballot  KEYS ballots events polls meta marks [balance];
 *                 ARGV participant record event_type poll org data t_ms origin
 *                 poll_record public results org_answer [counts]
 *   stores one participant's ballot record (empty: none left), or on an
 *   organisations poll the organisation's (`participant` is then the
 *   organisation's name), and the poll record when given (a new answer moves
 *   its last answer id). The event names the organisation, never the
 *   participant; its mark carries only the public poll object and the
 *   results after the ballot, and on an organisations poll `org_answer`: the
 *   organisation's answer and who gave it (open by design; empty otherwise).
 *   `counts` ("bal": a ballot, "ans": a new answer or an upvote, "": none)
 *   adds one to the organisation's `bal:ORG` or `ans:ORG` in the balance.
 *   A vote (event_type "ballot") whose record is already the stored one
 *   (an organisation's: but for its `at`, the stored one standing) writes
 *   nothing (no event, no count, no announcement) and answers 1: a vote
 *   sent again after `unavailable` (Redis may have taken the first) counts
 *   once.
 *   Both publish "ID poll POLL ORIGIN" on atelier:notify (ORIGIN: the
 *   writing process, which ignores its own announcements).
 *   `public` is the poll object clients see, `results` the results with the
 *   anonymity threshold applied (empty: none), `was` the state before a
 *   deletion: the history serves these, never `record` or `data`.
 *   A folded ballot (event_type "ballot" with `results` empty: a poll whose
 *   record says "folded", core/poll_fold.h) carries no results: its event
 *   and its mark carry `org`, `data` (the record after) and `prior` (the
 *   record before, read here: exact whichever process wrote it), so the
 *   history's readers fold the results from the ballots; the per-ballot
 *   cost stays that of one record, whatever the poll's size.
 * atelier_workshop KEYS meta events marks code; ARGV state t_ms by name origin code
 *   the workshop ends (state "ended": its join code is let go) or reopens
 *   ("open": it takes the join code again), an event "ended" or "reopened"
 *   (by: the facilitator's id, name: theirs) in both streams
 *   -> the event's id (its time part is when it happened: ended_at, and the
 *   T announced); 0 if the workshop is gone; -1 if it is in that state
 *   already; -2 if the code is another live workshop's now (the server draws
 *   another). Publishes "ID workshop ORIGIN ended T BY" or "ID workshop
 *   ORIGIN open T BY CODE".
 * atelier_agenda  KEYS meta events marks;
 *                 ARGV t_ms by name origin agenda timer event_type then field value pairs
 *   stores meta's `agenda` (the phases' JSON) and `timer` (the timer's JSON,
 *   with `ran`, the phases started so far: core/agenda.c decides it, the
 *   Function keeps it whole with the event), and an event of that type (agenda_changed, phase_started, phase_paused,
 *   phase_resumed, phase_extended, agenda_done; by and name: the
 *   facilitator's; the pairs: phase, title, minutes, phases, timer) in both
 *   streams -> the event's id; 0 if the workshop is gone. Works whether the
 *   workshop is open or ended (the agenda goes on after the end). Publishes
 *   "ID agenda ORIGIN": the other processes read meta's agenda and timer back.
 * atelier_discuss KEYS meta events marks; ARGV t_ms by name origin list event_type item items
 *   stores meta's `discuss` (the "to discuss" list, {"next", "items"}) and
 *   an event of that type (discuss_added, discuss_checked, discuss_removed;
 *   by and name: the facilitator's; item: the item's id; items: the list
 *   after it, as clients see it) in both streams -> the event's id; 0 if
 *   the workshop is gone. Works whether the workshop is open or ended.
 *   Publishes "ID discuss ORIGIN": the other processes read meta's
 *   `discuss` back.
 * atelier_signoff KEYS meta signoff events marks;
 *                 ARGV action t_ms by name origin [org decision rev sha256 reason present current_sha current_rev]
 *   the sign-off (protocol/agreement.md). action "call" opens one, "close"
 *   closes it (meta's `signoff`: {"open","called_at"}; a close keeps
 *   called_at); "endorsed" and "declined" store the organisation's decision
 *   in the `signoff` hash (field: its name; `decision` is its JSON without
 *   "at", which is appended here: the event's time), with an event
 *   `endorsed` (org, endorsed_rev: `rev`, sha256, by, name) or `declined`
 *   (org, sha256, reason, by, name). Events `signoff_called`,
 *   `signoff_closed` carry by and name. All in both streams, the mark's
 *   `rev` the workshop's. After an endorsement, the agreement: `present` is
 *   the JSON array of the organisations present (who is connected is the
 *   server's knowledge), `current_sha` the hash of the text at
 *   `current_rev`; when that is still the workshop's revision, the endorsed
 *   text is that one, and every organisation present has it endorsed in the
 *   hash (decisions from every process, read here, atomically), and that is
 *   not the last agreement already (same text, same organisations), meta's
 *   `agreed` becomes {"rev","sha256","at","organisations"} with an event
 *   `agreed` (sha256, organisations) whose id is the endorsement's next
 *   (same time).
 *   -> {the event's id (its time part is the decision's and the call's
 *   time), then the state as atelier_signoff_read gives it}; 0 if the
 *   workshop is gone; -1 when the state forbids it (a call while one is
 *   open, a close or a decision while none is: another process may have
 *   changed it). An ended workshop takes them all. Publishes
 *   "ID signoff ORIGIN".
 * atelier_signoff_read KEYS meta signoff (no writes)
 *   -> {meta's signoff, meta's agreed ("" when absent), the signoff hash as
 *   HGETALL gives it}: the state in one read, for loading and announcements.
 * atelier_board  KEYS meta board groups events marks;
 *                 ARGV action t_ms by name origin data then the action's:
 *   the priorities board (protocol/board.md). `board` holds each item's
 *   fixed record (field ID: {"org","kind","by","at"}) and its texts (ID:title,
 *   ID:why), so that an edit writes only the fields it changes: the last
 *   writer wins per field, whichever process it came through. `groups` holds
 *   GID -> "ID ID …" (two items or more; a group left with one is removed).
 *   Actions: "add" ID record org title why per_org_max total_max (-> -3 when
 *   the organisation has per_org_max items, -4 when the board has
 *   total_max, -5 when the id is taken); "edit" ID title has_title why
 *   has_why ("1" for the fields sent); "delete" ID (out of its group too);
 *   "group" NEW_GID ID ID … (the first item in a group lends it to the others,
 *   else they make the new group NEW_GID; -2 when they are all in one
 *   already); "ungroup" "item" ID or "group" GID (-2 when the item is in no
 *   group); "settings" JSON (meta's `board`). An item named that is not there
 *   -> -1. Each adds an event in both streams: board_added, board_edited,
 *   board_deleted, board_grouped, board_ungrouped, board_settings, or
 *   board_revealed when the settings open the board (revealed, or live)
 *   while it was hidden, with by, name,
 *   `board` (data, the JSON the server wrote, plus "groups": the groups whose
 *   members changed, {"GID":[ID,…]}, [] for one dissolved; board_revealed:
 *   "snapshot", the whole board then, {"items":[{item, org, kind, title, why,
 *   by, at}],"groups":{GID:[ID,…]}}) and `open` ("1"
 *   when other organisations see each list after it: the public history
 *   shows only those) -> the event's id; 0 if the workshop is gone.
 *   Publishes "ID board ORIGIN": the other processes read the board back.
 * atelier_board_read KEYS meta board groups (no writes)
 *   -> {meta's board ("" when absent), HGETALL board, HGETALL groups}.
 * atelier_delete  KEYS the join code's key, then every key of the workshop
 *   (meta first), then [its partnership's meta and list]; ARGV [nseries: "2"
 *   when the partnership's keys are passed] -> keys removed; the code's key
 *   only while it is this workshop's; publishes "ID deleted". A workshop of a
 *   partnership leaves its list (the partnership goes with its last
 *   workshop, protocol/series.md); -3 (nothing deleted) when meta names a
 *   partnership whose keys were not passed (the server read meta before a
 *   next workshop was made: it reads again).
 * atelier_expire  KEYS retention, then atelier_delete's; ARGV keep_ms [nseries]
 *   the retention: deletes the workshop as atelier_delete does when nothing
 *   was written to it for keep_ms (meta's `active`, or `created` for a
 *   workshop older than retention) -> keys removed; -1 (kept, and its score
 *   in retention set to its activity) while it is younger; 0 (its entry
 *   removed) when it is gone already; -3 as atelier_delete (its entry kept:
 *   the next sweep tries again).
 * atelier_next    KEYS atelier_create's six (meta snaps events marks code
 *                 retention of the new workshop), then the ended workshop's
 *                 meta events marks, then the partnership's meta and list,
 *                 then the ended one's board and groups and the new one's;
 *                 ARGV atelier_create's seven (title fkey created_ms text
 *                 time_zone code agenda), then partnership_id title max carried
 *   the next workshop of a partnership (protocol/series.md), made from an
 *   ended one, as atelier_create makes a workshop, in the same step: when
 *   the ended one is in no partnership yet, the partnership is made
 *   (meta: title, created) with it as its first workshop and it gets meta's
 *   `partnership`; the new one is pushed on the list and gets `partnership`,
 *   `from` (the ended one's id) and `carried` (what it starts from: JSON,
 *   series_write_carried), an event
 *   `carried` (partnership, from, carried) after its `created`, then, when
 *   the ended one's board has items, that board and its settings (meta's
 *   `board`) copied to the new one with an event `board_carried` (board: a
 *   snapshot of it whole with its settings, as a reveal writes; open as its
 *   settings say), and the ended one an event `continued` (partnership, next).
 *   -> 1; 0 or -1 as atelier_create; -2 if the ended workshop is gone; -3
 *   if it is not ended; -4 if it is not the partnership's last (it has a
 *   next one already); -5 if its partnership is not the one passed (read
 *   again); -6 if the partnership holds max workshops already. Nothing is
 *   announced: the partnership is read from Redis whenever it is asked for.
 * atelier_series_title KEYS the partnership's meta; ARGV title -> 1; 0 if gone.
 * atelier_index  KEYS retention meta events
 *   a workshop written before retention existed has no entry in retention
 *   (and maybe no `active`): it gets one, scored by meta's `active`, else its
 *   last event's time, else `created` (now when even that is unreadable), and
 *   meta's `active` is set to that score, so that atelier_expire decides on
 *   the same time. -> 1 indexed; 0 when it has an entry already or is gone.
 *   The servers call it for every meta key a SCAN finds, once per process
 *   start (hub_retention.c): idempotent, so several processes and restarts
 *   change nothing.
 * atelier_role   KEYS meta people events marks; ARGV participant role asks by t_ms origin
 *   a person's role changes (role "representative" or "participant"; "":
 *   kept) and their pending request with it (asks "representative": they
 *   ask; "": none pending). Only a participant's or a representative's
 *   record changes (a facilitator or an observer keeps their role); the rest
 *   of the record is kept as it is. Adds a `role` event to both streams:
 *   participant, name and org (the person's), role, asks (when pending), by
 *   (who decided: a facilitator's id; absent when the person asked), rev, t.
 *   -> the event's id; 0 if the workshop is gone; -1 if the person is
 *   unknown; -2 if their role may not change. Publishes "ID role ORIGIN
 *   PARTICIPANT T BY" (T: the event's time, BY "-" when none): the other
 *   processes read the record back.
 * atelier_observer KEYS meta; ARGV action key origin
 *   the observer link: "create" stores key as meta's okey unless a link
 *   exists already (that one stands); "revoke" removes it. -> {1, the key
 *   now ("" when none)}; {0} if the workshop is gone. A change publishes
 *   "ID observer ORIGIN": the other processes read okey back, tell their
 *   facilitators and close their observers' connections once it is revoked.
 * atelier_resync  KEYS meta; ARGV until_ms
 *   after a failover of Redis, the new primary lacks revisions some clients
 *   saw: until until_ms, meta's `resync_until`, every process gives a resume
 *   of this workshop the whole text rather than ops since its revision
 *   (hub/hub_primary.c). Keeps the later of the stored and the given time.
 *   -> 1; 0 if the workshop is gone. Publishes "ID resync UNTIL_MS".
 * atelier_person  KEYS meta people; ARGV participant record [org_key]
 *   stores a participant record. With org_key (the utf8_label_key of their
 *   organisation; "" or absent for an observer) the organisation gets its
 *   colour slot first come first served: meta's `org_slot:KEY`, else the
 *   next one (meta's `org_slots` counts those given), atomically, so two
 *   processes joining two organisations at once give them two slots. The
 *   slot is added to the record as "slot". An empty record adds the slot
 *   to the stored one (a person of an older workshop, joining again), which
 *   is kept as it is if it has one. -> {1, slot} (slot -1 without org_key);
 *   -1 if an empty record names nobody stored; 0 (nothing written) when the workshop is gone, so that a
 *   process that has not heard of a deletion yet cannot write a key of it
 *   back.
 * atelier_snapshot KEYS meta snaps; ARGV stream_id text event t_ms
 *   stores a snapshot: 1; 0 (nothing written) when the workshop is gone.
 * The server processes also PUBLISH on atelier:notify themselves:
 * "* alive ORIGIN", "* hello ORIGIN" and "ID presence ORIGIN JSON"
 * (hub/hub_presence.c). */
const char store_functions_lua[] =
    "#!lua name=atelier\n"
    "local function workshop_id(key)\n"
    "  return string.match(key, '{w:([^}]+)}')\n"
    "end\n"
    "local function notify(key, what)\n"
    "  local wid = workshop_id(key)\n"
    "  if wid then redis.call('PUBLISH', 'atelier:notify', wid .. ' ' .. what) end\n"
    "end\n"
    "local function mark(events, marks, fields, at_id)\n"
    "  local id = redis.call('XADD', events, at_id or '*', unpack(fields))\n"
    "  redis.call('XADD', marks, id, unpack(fields))\n"
    "  return id\n"
    "end\n"
    "-- Redis' own clock in ms: one clock for every server process\n"
    "local function now_ms()\n"
    "  local t = redis.call('TIME')\n"
    "  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
    "end\n"
    "-- a write to the workshop: its retention starts again (one field of meta)\n"
    "local function touch(meta)\n"
    "  redis.call('HSET', meta, 'active', string.format('%d', now_ms()))\n"
    "end\n"
    "local function current_rev(meta)\n"
    "  return redis.call('HGET', meta, 'rev') or '0'\n"
    "end\n"
    "-- the join code's key, for this workshop: false when another one holds it\n"
    "local function take_code(key, wid)\n"
    "  local holder = redis.call('GET', key)\n"
    "  if holder and holder ~= wid then return false end\n"
    "  redis.call('SET', key, wid)\n"
    "  return true\n"
    "end\n"
    "local function release_code(key, wid)\n"
    "  if redis.call('GET', key) == wid then redis.call('DEL', key) end\n"
    "end\n"
    "local function create(keys, args)\n"
    "  if redis.call('EXISTS', keys[1]) == 1 then return 0 end\n"
    "  if not take_code(keys[5], workshop_id(keys[1])) then return -1 end\n"
    "  local fields = {'type', 'created', 'title', args[1], 'rev', '0', 't', args[3]}\n"
    "  local ev = redis.call('XADD', keys[3], args[3] .. '-1', unpack(fields))\n"
    "  redis.call('XADD', keys[4], ev, unpack(fields))\n"
    "  redis.call('HSET', keys[1], 'title', args[1], 'fkey', args[2], 'created', args[3], 'rev', 0,\n"
    "             'time_zone', args[5], 'code', args[6], 'state', 'open')\n"
    "  if args[7] and args[7] ~= '' then redis.call('HSET', keys[1], 'agenda', args[7]) end\n"
    "  redis.call('XADD', keys[2], '0-1', 'text', args[4], 'event', ev, 't', args[3])\n"
    "  touch(keys[1])\n"
    "  if keys[6] then redis.call('ZADD', keys[6], redis.call('HGET', keys[1], 'active'), workshop_id(keys[1])) end\n"
    "  return 1\n"
    "end\n"
    "local function append(keys, args)\n"
    "  local meta = redis.call('HMGET', keys[1], 'rev', 'state')\n"
    "  local rev = meta[1]\n"
    "  if not rev then return {-1} end\n"
    "  if meta[2] == 'ended' then return {-2} end\n"
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
    "  local tail = 4 + n * 4\n"
    "  local quiet = false\n"
    "  if keys[4] and args[tail] then\n"
    "    local norgs = tonumber(args[tail])\n"
    "    for i = 0, norgs - 1 do\n"
    "      local b = tail + 1 + i * 3\n"
    "      if args[b + 1] ~= '0' then redis.call('HINCRBY', keys[4], 'ins:' .. args[b], args[b + 1]) end\n"
    "      if args[b + 2] ~= '0' then redis.call('HINCRBY', keys[4], 'del:' .. args[b], args[b + 2]) end\n"
    "    end\n"
    "    quiet = args[tail + 1 + norgs * 3] == 'quiet'\n"
    "  end\n"
    "  redis.call('HSET', keys[1], 'rev', rev, 'active', string.format('%d', now_ms()))\n"
    "  if not quiet then notify(keys[1], rev) end\n"
    "  return {1, rev, id}\n"
    "end\n"
    "local function add_mark(keys, args)\n"
    "  if redis.call('EXISTS', keys[1]) == 0 then return nil end\n"
    "  local fields = {}\n"
    "  for i = 2, #args do fields[#fields + 1] = args[i] end\n"
    "  fields[#fields + 1] = 'rev'\n"
    "  fields[#fields + 1] = current_rev(keys[1])\n"
    "  fields[#fields + 1] = 't'\n"
    "  fields[#fields + 1] = args[1]\n"
    "  touch(keys[1])\n"
    "  return mark(keys[2], keys[3], fields)\n"
    "end\n"
    "local function poll(keys, args)\n"
    "  if redis.call('EXISTS', keys[4]) == 0 then return 0 end\n"
    "  if args[3] == '' then\n"
    "    redis.call('HSET', keys[1], args[1], args[2])\n"
    "    return 1\n"
    "  end\n"
    "  if args[2] == '' then\n"
    "    redis.call('HDEL', keys[1], args[1])\n"
    "    redis.call('DEL', keys[3])\n"
    "  else\n"
    "    redis.call('HSET', keys[1], args[1], args[2])\n"
    "  end\n"
    "  local rev = current_rev(keys[4])\n"
    "  local id = redis.call('XADD', keys[2], '*', 'type', args[3], 'poll', args[1], 'data', args[2], 'rev', rev,\n"
    "                        'public', args[6], 'results', args[7], 'was', args[8], 't', args[4])\n"
    "  redis.call('XADD', keys[5], id, 'type', args[3], 'poll', args[1], 'rev', rev,\n"
    "             'public', args[6], 'results', args[7], 'was', args[8], 't', args[4])\n"
    "  touch(keys[4])\n"
    "  notify(keys[1], 'poll ' .. args[1] .. ' ' .. args[5])\n"
    "  return 1\n"
    "end\n"
    "-- the same ballot record, but for an organisation's `at` (when it was given: the stored one stands)\n"
    "local function same_ballot(stored, data)\n"
    "  if not stored then return false end\n"
    "  local function without_at(r) return (string.gsub(r, ',\"at\":%-?%d+}$', '}')) end\n"
    "  return without_at(stored) == without_at(data)\n"
    "end\n"
    "local function ballot(keys, args)\n"
    "  if redis.call('EXISTS', keys[4]) == 0 then return 0 end\n"
    "  local prior = redis.call('HGET', keys[1], args[1])\n"
    "  -- a vote sent again (its first answer was lost: unavailable) finds its record: nothing more\n"
    "  if args[3] == 'ballot' and args[2] ~= '' and args[9] == '' and same_ballot(prior, args[2]) then\n"
    "    return 1\n"
    "  end\n"
    "  if args[2] == '' then redis.call('HDEL', keys[1], args[1]) else redis.call('HSET', keys[1], args[1], args[2]) end\n"
    "  if args[9] ~= '' then redis.call('HSET', keys[3], args[4], args[9]) end\n"
    "  if keys[6] and args[13] and args[13] ~= '' then redis.call('HINCRBY', keys[6], args[13] .. ':' .. args[5], 1) end\n"
    "  local rev = current_rev(keys[4])\n"
    "  local shown = {'rev', rev, 'public', args[10], 'results', args[11]}\n"
    "  if args[12] and args[12] ~= '' then\n"
    "    shown[#shown + 1] = 'org_answer'\n"
    "    shown[#shown + 1] = args[12]\n"
    "  end\n"
    "  shown[#shown + 1] = 't'\n"
    "  shown[#shown + 1] = args[7]\n"
    "  -- a folded ballot: the record before (as Redis had it, whichever process wrote it) and after\n"
    "  local folded = args[3] == 'ballot' and args[11] == ''\n"
    "  if folded then\n"
    "    shown[#shown + 1] = 'prior'\n"
    "    shown[#shown + 1] = prior or ''\n"
    "  end\n"
    "  local id = redis.call('XADD', keys[2], '*', 'type', args[3], 'poll', args[4], 'org', args[5], 'data', args[6],\n"
    "                        unpack(shown))\n"
    "  if folded then\n"
    "    redis.call('XADD', keys[5], id, 'type', args[3], 'poll', args[4], 'org', args[5], 'data', args[6], unpack(shown))\n"
    "  else\n"
    "    redis.call('XADD', keys[5], id, 'type', args[3], 'poll', args[4], unpack(shown))\n"
    "  end\n"
    "  touch(keys[4])\n"
    "  notify(keys[2], 'poll ' .. args[4] .. ' ' .. args[8])\n"
    "  return 1\n"
    "end\n"
    "local function workshop_state(keys, args)\n"
    "  if redis.call('EXISTS', keys[1]) == 0 then return 0 end\n"
    "  local wid, ending = workshop_id(keys[1]), args[1] == 'ended'\n"
    "  if ((redis.call('HGET', keys[1], 'state') or 'open') == 'ended') == ending then return -1 end\n"
    "  if not ending and not take_code(keys[4], wid) then return -2 end\n"
    "  local id = mark(keys[2], keys[3], {'type', ending and 'ended' or 'reopened', 'by', args[3], 'name', args[4],\n"
    "                                     'rev', current_rev(keys[1]), 't', args[2]})\n"
    "  local at = string.match(id, '^(%d+)')\n"
    "  local said = 'workshop ' .. args[5] .. ' ' .. args[1] .. ' ' .. at .. ' ' .. args[3]\n"
    "  if ending then\n"
    "    release_code(keys[4], wid)\n"
    "    redis.call('HSET', keys[1], 'state', 'ended', 'ended_at', at, 'ended_by', args[3])\n"
    "    redis.call('HDEL', keys[1], 'reopened_at', 'reopened_by')\n"
    "  else\n"
    "    redis.call('HSET', keys[1], 'state', 'open', 'code', args[6], 'reopened_at', at, 'reopened_by', args[3])\n"
    "    redis.call('HDEL', keys[1], 'ended_at', 'ended_by')\n"
    "    said = said .. ' ' .. args[6]\n"
    "  end\n"
    "  touch(keys[1])\n"
    "  notify(keys[1], said)\n"
    "  return id\n"
    "end\n"
    "local function agenda(keys, args)\n"
    "  if redis.call('EXISTS', keys[1]) == 0 then return 0 end\n"
    "  redis.call('HSET', keys[1], 'agenda', args[5], 'timer', args[6])\n"
    "  local fields = {'type', args[7], 'by', args[2], 'name', args[3]}\n"
    "  for i = 8, #args do fields[#fields + 1] = args[i] end\n"
    "  fields[#fields + 1] = 'rev'\n"
    "  fields[#fields + 1] = current_rev(keys[1])\n"
    "  fields[#fields + 1] = 't'\n"
    "  fields[#fields + 1] = args[1]\n"
    "  local id = mark(keys[2], keys[3], fields)\n"
    "  touch(keys[1])\n"
    "  notify(keys[1], 'agenda ' .. args[4])\n"
    "  return id\n"
    "end\n"
    "local function discuss(keys, args)\n"
    "  if redis.call('EXISTS', keys[1]) == 0 then return 0 end\n"
    "  redis.call('HSET', keys[1], 'discuss', args[5])\n"
    "  local id = mark(keys[2], keys[3], {'type', args[6], 'by', args[2], 'name', args[3], 'item', args[7],\n"
    "                                     'items', args[8], 'rev', current_rev(keys[1]), 't', args[1]})\n"
    "  touch(keys[1])\n"
    "  notify(keys[1], 'discuss ' .. args[4])\n"
    "  return id\n"
    "end\n"
    "-- a JSON object written by the server, with \"at\" appended\n"
    "local function with_at(json, at)\n"
    "  return string.sub(json, 1, -2) .. ',\"at\":' .. at .. '}'\n"
    "end\n"
    "local function signoff_read(keys, args)\n"
    "  local meta = redis.call('HMGET', keys[1], 'signoff', 'agreed')\n"
    "  return {meta[1] or '', meta[2] or '', redis.call('HGETALL', keys[2])}\n"
    "end\n"
    "-- every organisation of `present` (a list) has endorsed the text `sha` in the hash\n"
    "local function all_endorsed(hash, present, sha)\n"
    "  if #present == 0 then return false end\n"
    "  for _, org in ipairs(present) do\n"
    "    local d = redis.call('HGET', hash, org)\n"
    "    d = d and cjson.decode(d)\n"
    "    if not d or d.decision ~= 'endorsed' or d.sha256 ~= sha then return false end\n"
    "  end\n"
    "  return true\n"
    "end\n"
    "-- after an endorsement (event id `id`): the agreement it completes, if any\n"
    "local function agree(keys, args, id, at, rev)\n"
    "  if args[11] == nil or args[11] == '' or args[9] ~= args[12] or tonumber(args[13]) ~= tonumber(rev) then return end\n"
    "  local present = cjson.decode(args[11])\n"
    "  if not all_endorsed(keys[2], present, args[12]) then return end\n"
    "  local last = redis.call('HGET', keys[1], 'agreed')\n"
    "  last = last and cjson.decode(last)\n"
    "  if last and last.sha256 == args[12] and cjson.encode(last.organisations) == cjson.encode(present) then return end\n"
    "  local ms, seq = string.match(id, '^(%d+)-(%d+)$')\n"
    "  mark(keys[3], keys[4], {'type', 'agreed', 'sha256', args[12], 'organisations', args[11], 'rev', rev, 't', args[2]},\n"
    "       ms .. '-' .. (tonumber(seq) + 1))\n"
    "  redis.call('HSET', keys[1], 'agreed', '{\"rev\":' .. rev .. ',\"sha256\":\"' .. args[12] .. '\",\"at\":' .. at ..\n"
    "             ',\"organisations\":' .. args[11] .. '}')\n"
    "end\n"
    "local function signoff(keys, args)\n"
    "  if redis.call('EXISTS', keys[1]) == 0 then return 0 end\n"
    "  local action, by, name = args[1], args[3], args[4]\n"
    "  local state = redis.call('HGET', keys[1], 'signoff') or ''\n"
    "  local open = string.find(state, '\"open\":true', 1, true) ~= nil\n"
    "  if (action == 'call') == open then return -1 end\n"
    "  local fields\n"
    "  if action == 'call' or action == 'close' then\n"
    "    fields = {'type', action == 'call' and 'signoff_called' or 'signoff_closed', 'by', by, 'name', name}\n"
    "  elseif action == 'endorsed' then\n"
    "    fields = {'type', 'endorsed', 'org', args[6], 'endorsed_rev', args[8], 'sha256', args[9], 'by', by,\n"
    "              'name', name}\n"
    "  else\n"
    "    fields = {'type', 'declined', 'org', args[6], 'sha256', args[9], 'reason', args[10], 'by', by, 'name', name}\n"
    "  end\n"
    "  local rev = current_rev(keys[1])\n"
    "  for _, v in ipairs({'rev', rev, 't', args[2]}) do fields[#fields + 1] = v end\n"
    "  local id = mark(keys[3], keys[4], fields)\n"
    "  local at = string.match(id, '^(%d+)')\n"
    "  if action == 'call' then\n"
    "    redis.call('HSET', keys[1], 'signoff', '{\"open\":true,\"called_at\":' .. at .. '}')\n"
    "  elseif action == 'close' then\n"
    "    local called = string.match(state, '\"called_at\":(%d+)') or at\n"
    "    redis.call('HSET', keys[1], 'signoff', '{\"open\":false,\"called_at\":' .. called .. '}')\n"
    "  else\n"
    "    redis.call('HSET', keys[2], args[6], with_at(args[7], at))\n"
    "    if action == 'endorsed' then agree(keys, args, id, at, rev) end\n"
    "  end\n"
    "  touch(keys[1])\n"
    "  notify(keys[1], 'signoff ' .. args[5])\n"
    "  local now = signoff_read(keys, args)\n"
    "  return {id, now[1], now[2], now[3]}\n"
    "end\n"
    "-- ---- the priorities board ----\n"
    "local function board_settings_open(json)\n"
    "  if not json or json == '' then return false end\n"
    "  local o = cjson.decode(json)\n"
    "  return o.visibility == 'live' or o.revealed == true\n"
    "end\n"
    "local function board_members(groups, gid)\n"
    "  local t = {}\n"
    "  for id in string.gmatch(redis.call('HGET', groups, gid) or '', '[^ ]+') do t[#t + 1] = id end\n"
    "  return t\n"
    "end\n"
    "local function board_group_of(groups, id)\n"
    "  local all = redis.call('HGETALL', groups)\n"
    "  for i = 1, #all, 2 do\n"
    "    for m in string.gmatch(all[i + 1], '[^ ]+') do if m == id then return all[i] end end\n"
    "  end\n"
    "  return nil\n"
    "end\n"
    "-- a group's members now (fewer than two: dissolved), noted in changed\n"
    "local function board_set_group(groups, gid, members, changed)\n"
    "  if #members < 2 then\n"
    "    redis.call('HDEL', groups, gid)\n"
    "    changed[gid] = {}\n"
    "  else\n"
    "    redis.call('HSET', groups, gid, table.concat(members, ' '))\n"
    "    changed[gid] = members\n"
    "  end\n"
    "end\n"
    "local function board_leave(groups, id, changed)\n"
    "  local gid = board_group_of(groups, id)\n"
    "  if not gid then return false end\n"
    "  local left = {}\n"
    "  for _, m in ipairs(board_members(groups, gid)) do if m ~= id then left[#left + 1] = m end end\n"
    "  board_set_group(groups, gid, left, changed)\n"
    "  return true\n"
    "end\n"
    "local function board_groups_json(changed)\n"
    "  local parts = {}\n"
    "  for gid, members in pairs(changed) do\n"
    "    local q = {}\n"
    "    for _, m in ipairs(members) do q[#q + 1] = '\"' .. m .. '\"' end\n"
    "    parts[#parts + 1] = '\"' .. gid .. '\":[' .. table.concat(q, ',') .. ']'\n"
    "  end\n"
    "  if #parts == 0 then return nil end\n"
    "  return '{' .. table.concat(parts, ',') .. '}'\n"
    "end\n"
    "local function board_add(keys, args)\n"
    "  if redis.call('HEXISTS', keys[2], args[7]) == 1 then return -5 end\n"
    "  local all, total, mine = redis.call('HGETALL', keys[2]), 0, 0\n"
    "  for i = 1, #all, 2 do\n"
    "    if not string.find(all[i], ':', 1, true) then\n"
    "      total = total + 1\n"
    "      if cjson.decode(all[i + 1]).org == args[9] then mine = mine + 1 end\n"
    "    end\n"
    "  end\n"
    "  if mine >= tonumber(args[12]) then return -3 end\n"
    "  if total >= tonumber(args[13]) then return -4 end\n"
    "  redis.call('HSET', keys[2], args[7], args[8], args[7] .. ':title', args[10], args[7] .. ':why', args[11])\n"
    "  return 'board_added'\n"
    "end\n"
    "local function board_change(keys, args, changed)\n"
    "  local action = args[1]\n"
    "  if action == 'add' then return board_add(keys, args) end\n"
    "  if action == 'settings' then\n"
    "    local was = board_settings_open(redis.call('HGET', keys[1], 'board'))\n"
    "    redis.call('HSET', keys[1], 'board', args[7])\n"
    "    if not was and board_settings_open(args[7]) then return 'board_revealed' end\n"
    "    return 'board_settings'\n"
    "  end\n"
    "  if action == 'group' then\n"
    "    for i = 8, #args do if redis.call('HEXISTS', keys[2], args[i]) == 0 then return -1 end end\n"
    "    local gid\n"
    "    for i = 8, #args do gid = gid or board_group_of(keys[3], args[i]) end\n"
    "    gid = gid or args[7]\n"
    "    local members, moved = board_members(keys[3], gid), false\n"
    "    for i = 8, #args do\n"
    "      if board_group_of(keys[3], args[i]) ~= gid then\n"
    "        board_leave(keys[3], args[i], changed)\n"
    "        members[#members + 1] = args[i]\n"
    "        moved = true\n"
    "      end\n"
    "    end\n"
    "    if not moved then return -2 end\n"
    "    board_set_group(keys[3], gid, members, changed)\n"
    "    return 'board_grouped'\n"
    "  end\n"
    "  if action == 'ungroup' and args[7] == 'group' then\n"
    "    if redis.call('HEXISTS', keys[3], args[8]) == 0 then return -1 end\n"
    "    board_set_group(keys[3], args[8], {}, changed)\n"
    "    return 'board_ungrouped'\n"
    "  end\n"
    "  if redis.call('HEXISTS', keys[2], action == 'ungroup' and args[8] or args[7]) == 0 then return -1 end\n"
    "  if action == 'ungroup' then\n"
    "    if not board_leave(keys[3], args[8], changed) then return -2 end\n"
    "    return 'board_ungrouped'\n"
    "  end\n"
    "  if action == 'delete' then\n"
    "    redis.call('HDEL', keys[2], args[7], args[7] .. ':title', args[7] .. ':why')\n"
    "    board_leave(keys[3], args[7], changed)\n"
    "    return 'board_deleted'\n"
    "  end\n"
    "  if args[9] == '1' then redis.call('HSET', keys[2], args[7] .. ':title', args[8]) end\n"
    "  if args[11] == '1' then redis.call('HSET', keys[2], args[7] .. ':why', args[10]) end\n"
    "  return 'board_edited'\n"
    "end\n"
    "-- the whole board, for the event of its reveal: the public history then shows it\n"
    "local function board_snapshot(keys)\n"
    "  local all, texts, items, groups = redis.call('HGETALL', keys[2]), {}, {}, {}\n"
    "  for i = 1, #all, 2 do texts[all[i]] = all[i + 1] end\n"
    "  for i = 1, #all, 2 do\n"
    "    if not string.find(all[i], ':', 1, true) then\n"
    "      local r = cjson.decode(all[i + 1])\n"
    "      items[#items + 1] = {item = all[i], org = r.org, kind = r.kind, by = r.by, at = r.at,\n"
    "                           title = texts[all[i] .. ':title'] or '', why = texts[all[i] .. ':why'] or ''}\n"
    "    end\n"
    "  end\n"
    "  local g = redis.call('HGETALL', keys[3])\n"
    "  for i = 1, #g, 2 do\n"
    "    local m = {}\n"
    "    for id in string.gmatch(g[i + 1], '[^ ]+') do m[#m + 1] = id end\n"
    "    groups[g[i]] = m\n"
    "  end\n"
    "  return '{\"items\":' .. (#items > 0 and cjson.encode(items) or '[]') .. ',\"groups\":' .. cjson.encode(groups) .. '}'\n"
    "end\n"
    "local function board(keys, args)\n"
    "  if redis.call('EXISTS', keys[1]) == 0 then return 0 end\n"
    "  local changed = {}\n"
    "  local ev = board_change(keys, args, changed)\n"
    "  if tonumber(ev) then return ev end\n"
    "  local data, groups = args[6], board_groups_json(changed)\n"
    "  if groups then data = string.sub(data, 1, -2) .. (data == '{}' and '' or ',') .. '\"groups\":' .. groups .. '}' end\n"    "  if ev == 'board_revealed' then data = string.sub(data, 1, -2) .. ',\"snapshot\":' .. board_snapshot(keys) .. '}' end\n"
    "  local open = (ev == 'board_settings' or ev == 'board_revealed' or\n"
    "                board_settings_open(redis.call('HGET', keys[1], 'board'))) and '1' or '0'\n"
    "  local id = mark(keys[4], keys[5], {'type', ev, 'by', args[3], 'name', args[4], 'board', data, 'open', open,\n"
    "                                     'rev', current_rev(keys[1]), 't', args[2]})\n"
    "  touch(keys[1])\n"
    "  notify(keys[1], 'board ' .. args[5])\n"
    "  return id\n"
    "end\n"
    "local function board_read(keys, args)\n"
    "  return {redis.call('HGET', keys[1], 'board') or '', redis.call('HGETALL', keys[2]), redis.call('HGETALL', keys[3])}\n"
    "end\n"
    "-- the workshop of `meta` leaves its partnership (pmeta, plist: its keys, nil when\n"
    "-- none was passed): false when it is in one whose keys were not passed\n"
    "local function leave_series(meta, pmeta, plist)\n"
    "  local pid = redis.call('HGET', meta, 'partnership')\n"
    "  if not pid then return true end\n"
    "  if not pmeta or string.match(pmeta, '{p:([^}]+)}') ~= pid then return false end\n"
    "  redis.call('LREM', plist, 0, workshop_id(meta))\n"
    "  if redis.call('LLEN', plist) == 0 then redis.call('DEL', pmeta, plist) end\n"
    "  return true\n"
    "end\n"
    "local function delete_keys(keys, nseries)\n"
    "  if redis.call('EXISTS', keys[2]) == 0 then return 0 end\n"
    "  local last = #keys - nseries\n"
    "  if not leave_series(keys[2], nseries == 2 and keys[last + 1] or nil, keys[last + 2]) then return -3 end\n"
    "  release_code(keys[1], workshop_id(keys[2]))\n"
    "  local n = 0\n"
    "  for i = 2, last do n = n + redis.call('DEL', keys[i]) end\n"
    "  notify(keys[2], 'deleted')\n"
    "  return n\n"
    "end\n"
    "local function delete(keys, args)\n"
    "  return delete_keys(keys, tonumber(args[1] or '0'))\n"
    "end\n"
    "local function expire(keys, args)\n"
    "  local wid = workshop_id(keys[3])\n"
    "  if redis.call('EXISTS', keys[3]) == 0 then\n"
    "    redis.call('ZREM', keys[1], wid)\n"
    "    return 0\n"
    "  end\n"
    "  local m = redis.call('HMGET', keys[3], 'active', 'created')\n"
    "  local active = tonumber(m[1] or m[2] or '0')\n"
    "  if active + tonumber(args[1]) > now_ms() then\n"
    "    redis.call('ZADD', keys[1], active, wid)\n"
    "    return -1\n"
    "  end\n"
    "  local n = delete_keys({unpack(keys, 2)}, tonumber(args[2] or '0'))\n"
    "  if n ~= -3 then redis.call('ZREM', keys[1], wid) end\n"
    "  return n\n"
    "end\n"
    "-- the next workshop of a partnership, made from an ended one (protocol/series.md)\n"
    "-- the ended workshop's board (keys[12], keys[13]) becomes the new one's\n"
    "-- (keys[14], keys[15]) with its settings (the server read that it has items:\n"
    "-- `carried` names it): -> its items, the data of an event `board_carried`\n"
    "-- (the whole board, a snapshot) and whether it is open; 0 when empty\n"
    "local function carry_board(keys)\n"
    "  local items, groups = redis.call('HGETALL', keys[12]), redis.call('HGETALL', keys[13])\n"
    "  if #items == 0 then return 0 end\n"
    "  redis.call('HSET', keys[14], unpack(items))\n"
    "  if #groups > 0 then redis.call('HSET', keys[15], unpack(groups)) end\n"
    "  local settings = redis.call('HGET', keys[7], 'board')\n"
    "  if settings then redis.call('HSET', keys[1], 'board', settings) end\n"
    "  local n = 0\n"
    "  for i = 1, #items, 2 do if not string.find(items[i], ':', 1, true) then n = n + 1 end end\n"
    "  local data = '{' .. (settings and ('\"settings\":' .. settings .. ',') or '') ..\n"
    "               '\"snapshot\":' .. board_snapshot({keys[1], keys[14], keys[15]}) .. '}'\n"
    "  return n, data,\n"
    "         board_settings_open(settings) and '1' or '0'\n"
    "end\n"
    "local function next_workshop(keys, args)\n"
    "  local prev = redis.call('HMGET', keys[7], 'title', 'state', 'partnership')\n"
    "  if not prev[1] then return -2 end\n"
    "  if prev[2] ~= 'ended' then return -3 end\n"
    "  local pid, prev_id, list = args[8], workshop_id(keys[7]), keys[11]\n"
    "  if (prev[3] or pid) ~= pid or string.match(keys[10], '{p:([^}]+)}') ~= pid then return -5 end\n"
    "  if prev[3] then\n"
    "    if redis.call('LINDEX', list, -1) ~= prev_id then return -4 end\n"
    "    if redis.call('LLEN', list) >= tonumber(args[10]) then return -6 end\n"
    "  end\n"
    "  local made = create(keys, args)\n"
    "  if made ~= 1 then return made end\n"
    "  local wid = workshop_id(keys[1])\n"
    "  if not prev[3] then\n"
    "    redis.call('HSET', keys[10], 'title', args[9], 'created', args[3])\n"
    "    redis.call('RPUSH', list, prev_id)\n"
    "    redis.call('HSET', keys[7], 'partnership', pid)\n"
    "  end\n"
    "  redis.call('RPUSH', list, wid)\n"
    "  local nboard, board_data, board_open = carry_board(keys)\n"
    "  redis.call('HSET', keys[1], 'partnership', pid, 'from', prev_id, 'carried', args[11])\n"
    "  mark(keys[3], keys[4], {'type', 'carried', 'partnership', pid, 'from', prev_id, 'carried', args[11],\n"
    "                          'rev', '0', 't', args[3]})\n"
    "  if nboard > 0 then\n"
    "    mark(keys[3], keys[4], {'type', 'board_carried', 'board', board_data, 'open', board_open, 'rev', '0', 't', args[3]})\n"
    "  end\n"
    "  mark(keys[8], keys[9], {'type', 'continued', 'partnership', pid, 'next', wid, 'rev', current_rev(keys[7]),\n"
    "                          't', args[3]})\n"
    "  return 1\n"
    "end\n"
    "local function series_title(keys, args)\n"
    "  if redis.call('EXISTS', keys[1]) == 0 then return 0 end\n"
    "  redis.call('HSET', keys[1], 'title', args[1])\n"
    "  return 1\n"
    "end\n"
    "-- a workshop from before retention (no entry in the index): indexed by its\n"
    "-- last activity, which meta's active then keeps, so atelier_expire agrees\n"
    "local function index(keys, args)\n"
    "  local wid = workshop_id(keys[2])\n"
    "  if redis.call('EXISTS', keys[2]) == 0 or redis.call('ZSCORE', keys[1], wid) then return 0 end\n"
    "  local active = redis.call('HGET', keys[2], 'active')\n"
    "  if not active then\n"
    "    local last = redis.call('XREVRANGE', keys[3], '+', '-', 'COUNT', 1)[1]\n"
    "    active = (last and string.match(last[1], '^(%d+)-')) or redis.call('HGET', keys[2], 'created')\n"
    "    if not tonumber(active) then active = string.format('%d', now_ms()) end\n"
    "    redis.call('HSET', keys[2], 'active', active)\n"
    "  end\n"
    "  redis.call('ZADD', keys[1], active, wid)\n"
    "  return 1\n"
    "end\n"
    "local function person(keys, args)\n"
    "  if redis.call('EXISTS', keys[1]) == 0 then return 0 end\n"
    "  local record, slot = args[2], -1\n"
    "  if record == '' then\n"
    "    record = redis.call('HGET', keys[2], args[1])\n"
    "    if not record then return -1 end\n"
    "    local had = cjson.decode(record).slot\n"
    "    if had then return {1, had} end\n"
    "  end\n"
    "  if args[3] and args[3] ~= '' then\n"
    "    local field = 'org_slot:' .. args[3]\n"
    "    slot = tonumber(redis.call('HGET', keys[1], field))\n"
    "    if not slot then\n"
    "      slot = redis.call('HINCRBY', keys[1], 'org_slots', 1) - 1\n"
    "      redis.call('HSET', keys[1], field, slot)\n"
    "    end\n"
    "    record = string.sub(record, 1, -2) .. ',\"slot\":' .. slot .. '}'\n"
    "  end\n"
    "  redis.call('HSET', keys[2], args[1], record)\n"
    "  touch(keys[1])\n"
    "  return {1, slot}\n"
    "end\n"
    "local function role(keys, args)\n"
    "  if redis.call('EXISTS', keys[1]) == 0 then return 0 end\n"
    "  local stored = redis.call('HGET', keys[2], args[1])\n"
    "  if not stored then return -1 end\n"
    "  local person = cjson.decode(stored)\n"
    "  if person.role == 'facilitator' or person.role == 'observer' then return -2 end\n"
    "  if args[2] ~= '' then person.role = args[2] end\n"
    "  if args[3] ~= '' then person.asks = args[3] else person.asks = nil end\n"
    "  redis.call('HSET', keys[2], args[1], cjson.encode(person))\n"
    "  local fields = {'type', 'role', 'participant', args[1], 'name', person.name or '', 'org',\n"
    "                  person.organisation or '', 'role', person.role or 'participant'}\n"
    "  if person.asks then\n"
    "    fields[#fields + 1] = 'asks'\n"
    "    fields[#fields + 1] = person.asks\n"
    "  end\n"
    "  if args[4] ~= '' then\n"
    "    fields[#fields + 1] = 'by'\n"
    "    fields[#fields + 1] = args[4]\n"
    "  end\n"
    "  fields[#fields + 1] = 'rev'\n"
    "  fields[#fields + 1] = current_rev(keys[1])\n"
    "  fields[#fields + 1] = 't'\n"
    "  fields[#fields + 1] = args[5]\n"
    "  local id = mark(keys[3], keys[4], fields)\n"
    "  touch(keys[1])\n"
    "  local by = args[4] ~= '' and args[4] or '-'\n"
    "  notify(keys[1], 'role ' .. args[6] .. ' ' .. args[1] .. ' ' .. string.match(id, '^(%d+)') .. ' ' .. by)\n"
    "  return id\n"
    "end\n"
    "local function observer(keys, args)\n"
    "  if redis.call('EXISTS', keys[1]) == 0 then return {0} end\n"
    "  local key = redis.call('HGET', keys[1], 'okey')\n"
    "  if args[1] == 'create' then\n"
    "    if key then return {1, key} end\n"
    "    redis.call('HSET', keys[1], 'okey', args[2])\n"
    "    key = args[2]\n"
    "  else\n"
    "    if not key then return {1, ''} end\n"
    "    redis.call('HDEL', keys[1], 'okey')\n"
    "    key = ''\n"
    "  end\n"
    "  touch(keys[1])\n"
    "  notify(keys[1], 'observer ' .. args[3])\n"
    "  return {1, key}\n"
    "end\n"
    "local function resync(keys, args)\n"
    "  if redis.call('EXISTS', keys[1]) == 0 then return 0 end\n"
    "  local until_ms = tonumber(args[1])\n"
    "  local was = tonumber(redis.call('HGET', keys[1], 'resync_until') or '0') or 0\n"
    "  if until_ms > was then redis.call('HSET', keys[1], 'resync_until', string.format('%d', until_ms)) end\n"
    "  notify(keys[1], 'resync ' .. string.format('%d', math.max(until_ms, was)))\n"
    "  return 1\n"
    "end\n"
    "local function snapshot(keys, args)\n"
    "  if redis.call('EXISTS', keys[1]) == 0 then return 0 end\n"
    "  -- another process may have stored this revision's snapshot first: fine\n"
    "  local ok = redis.pcall('XADD', keys[2], args[1], 'text', args[2], 'event', args[3], 't', args[4])\n"
    "  if type(ok) == 'table' and ok.err then return 0 end\n"
    "  return 1\n"
    "end\n"
    "redis.register_function('atelier_create', create)\n"
    "redis.register_function('atelier_mark', add_mark)\n"
    "redis.register_function('atelier_poll', poll)\n"
    "redis.register_function('atelier_ballot', ballot)\n"
    "redis.register_function('atelier_append', append)\n"
    "redis.register_function('atelier_agenda', agenda)\n"
    "redis.register_function('atelier_discuss', discuss)\n"
    "redis.register_function('atelier_delete', delete)\n"
    "redis.register_function('atelier_expire', expire)\n"
    "redis.register_function('atelier_index', index)\n"
    "redis.register_function('atelier_workshop', workshop_state)\n"
    "redis.register_function('atelier_signoff', signoff)\n"
    "redis.register_function{function_name = 'atelier_signoff_read', callback = signoff_read,\n"
    "                        flags = {'no-writes'}}\n"
    "redis.register_function('atelier_person', person)\n"
    "redis.register_function('atelier_role', role)\n"
    "redis.register_function('atelier_observer', observer)\n"
    "redis.register_function('atelier_snapshot', snapshot)\n"
    "redis.register_function('atelier_resync', resync)\n"
    "redis.register_function('atelier_next', next_workshop)\n"
    "redis.register_function('atelier_series_title', series_title)\n"
    "redis.register_function('atelier_board', board)\n"
    "redis.register_function{function_name = 'atelier_board_read', callback = board_read, flags = {'no-writes'}}\n";
