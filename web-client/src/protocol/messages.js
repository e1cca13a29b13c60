// Message types of protocol/README.md (version 1), the only place that knows
// their shape. Incoming messages are checked just enough that a malformed one
// is dropped instead of crashing the page.

export const SUBPROTOCOL = 'atelier.v1';

export const ErrorCode = Object.freeze({
  BAD_REQUEST: 'bad_request',
  UNKNOWN_TYPE: 'unknown_type',
  NOT_FOUND: 'not_found',
  FORBIDDEN: 'forbidden',
  TOO_LARGE: 'too_large',
  RATE_LIMITED: 'rate_limited',
  STALE: 'stale',
  UNAVAILABLE: 'unavailable',
  INTERNAL: 'internal',
});

export const MAX_MESSAGE_BYTES = 64 * 1024;
export const MAX_LABEL = 64; // code points in a name or organisation
export const MAX_TITLE = 200;

export function join({ id, workshop, name, organisation, key, resume }) {
  const m = { type: 'join', id, workshop };
  if (name) m.name = name;
  if (organisation) m.organisation = organisation;
  if (key) m.key = key;
  if (resume) m.resume = { token: resume.token, rev: resume.rev };
  return m;
}

export const op = (id, rev, ops) => ({ type: 'op', id, rev, op: ops });
export const cursor = (rev, sel) => ({ type: 'cursor', rev, sel: [sel[0], sel[1]] });
export const ping = (id) => ({ type: 'ping', id });

const isRev = (v) => Number.isInteger(v) && v >= 0;
const isStr = (v) => typeof v === 'string';
const isSel = (v) => Array.isArray(v) && v.length === 2 && isRev(v[0]) && isRev(v[1]);

function isOp(v) {
  if (!Array.isArray(v)) return false;
  for (const c of v) {
    if (typeof c === 'number') { if (!(Number.isInteger(c) && c > 0)) return false; }
    else if (typeof c === 'string') { if (!c.length) return false; }
    else if (!c || typeof c !== 'object' ||
             !((Number.isInteger(c.d) && c.d > 0) || (isStr(c.d) && c.d.length))) return false;
  }
  return true;
}

const isParticipant = (p) => p && isStr(p.id) && isStr(p.name) && isStr(p.organisation);

const checks = {
  welcome: (m) => m.workshop && isStr(m.workshop.id) && isParticipant(m.participant) &&
    isStr(m.token) && m.doc && isRev(m.doc.rev) &&
    (m.doc.text === undefined || isStr(m.doc.text)) &&
    (m.doc.text !== undefined || Array.isArray(m.missed)) &&
    (m.missed === undefined || (Array.isArray(m.missed) &&
      m.missed.every((x) => x && isRev(x.rev) && isOp(x.op)))) &&
    (m.participants === undefined || (Array.isArray(m.participants) && m.participants.every(isParticipant))),
  ack: (m) => m.id !== undefined && isRev(m.rev),
  op: (m) => isRev(m.rev) && isOp(m.op),
  arrived: (m) => isParticipant(m.participant),
  departed: (m) => isStr(m.participant),
  cursor: (m) => isStr(m.participant) && isRev(m.rev) && isSel(m.sel),
  pong: () => true,
  error: (m) => isStr(m.code),
};

/** Parse a text frame: the message object, or null when it is not one we understand. */
export function parse(data) {
  if (typeof data !== 'string') return null;
  let m;
  try { m = JSON.parse(data); } catch { return null; }
  if (!m || typeof m !== 'object' || Array.isArray(m) || !isStr(m.type)) return null;
  const check = checks[m.type];
  if (!check || !check(m)) return null;
  return m;
}

export function encode(m) {
  return JSON.stringify(m);
}
