// The HTTP half of the protocol: create a workshop, read its public
// metadata. Errors come back as {error: code} rather than exceptions, so the
// views can show a sentence for each case.

/**
 * A JSON call: {data} or {error: code, status}; a 429 also says when to
 * try again ({retryAfter}: seconds, or null when the server did not say).
 */
async function call(url, init) {
  let res;
  try {
    res = await fetch(url, { ...init, cache: 'no-store', credentials: 'same-origin' });
  } catch {
    return { error: 'network' };
  }
  let body = null;
  try { body = await res.json(); } catch { /* empty or not JSON */ }
  if (res.ok && body && typeof body === 'object') return { data: body };
  const code = body && body.error && typeof body.error.code === 'string' ? body.error.code : `http_${res.status}`;
  const out = { error: code, status: res.status };
  if (res.status === 429) {
    const after = Number(res.headers.get('retry-after'));
    out.retryAfter = Number.isFinite(after) && after > 0 ? Math.ceil(after) : null;
  }
  return out;
}

const auth = (key) => (key ? { authorization: `Bearer ${key}` } : {});

/**
 * Create a workshop. token: the server's creation token when it asks for one
 * (README, "Who may create workshops"): a 401 says it does ({status: 401}).
 */
export function createWorkshop(base, { title, text, timeZone, token }) {
  return call(new URL('api/workshops', base), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...auth(token) },
    body: JSON.stringify(timeZone ? { title, text, time_zone: timeZone } : { title, text }),
  });
}

export function getWorkshop(base, id) {
  return call(new URL(`api/workshops/${encodeURIComponent(id)}`, base));
}

/**
 * A 6-digit join code (issue 12): {data: {id}} while its workshop is open,
 * {error: 'not_found'} otherwise, {error: 'rate_limited', retryAfter: s}
 * past 10 lookups a minute from this address, {error: 'network'}.
 */
export async function lookupCode(base, code) {
  const res = await call(new URL(`api/join/${encodeURIComponent(code)}`, base));
  if (res.data && typeof res.data.id !== 'string') return { error: 'bad_response' };
  if (res.status === 429) return { ...res, error: 'rate_limited' };
  if (res.status === 404) return { ...res, error: 'not_found' };
  return res;
}

/** ws:// or wss:// URL of the socket next to the page. */
export function socketUrl(base) {
  const u = new URL('ws', base);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  u.hash = '';
  u.search = '';
  return u.toString();
}

// ---- history, replay, exports (protocol/history.md) -------------------------

const workshopUrl = (base, id, rest = '') => new URL(`api/workshops/${encodeURIComponent(id)}${rest}`, base);

/** A page of events: {after, limit, only}. */
export function getHistory(base, id, { after = null, limit = 10000, only = null } = {}, key = null) {
  const u = workshopUrl(base, id, '/history');
  if (after) u.searchParams.set('after', after);
  u.searchParams.set('limit', String(limit));
  if (only) u.searchParams.set('only', only);
  return call(u, { headers: auth(key) });
}

/**
 * A compact page of edits (history.md, "Compact pages of edits"): the ops
 * that made revisions from + 1 .. to, as far as one page goes ({next}).
 */
export function getEdits(base, id, { from = 0, to = null } = {}, key = null) {
  const u = workshopUrl(base, id, '/history');
  u.searchParams.set('format', 'compact');
  u.searchParams.set('from', String(from));
  if (to != null) u.searchParams.set('to', String(to));
  return call(u, { headers: auth(key) });
}

/** The workshop at a revision ({rev}) or a time ({at}). */
export function getState(base, id, { rev, at } = {}, key = null) {
  const u = workshopUrl(base, id, '/state');
  if (rev != null) u.searchParams.set('rev', String(rev));
  if (at != null) u.searchParams.set('at', String(at));
  return call(u, { headers: auth(key) });
}

/** The file name of a Content-Disposition header (filename* first), or null. */
export function dispositionName(header) {
  if (!header) return null;
  const star = /filename\*\s*=\s*([^']*)'[^']*'([^;]+)/i.exec(header);
  if (star) {
    try { return decodeURIComponent(star[2].trim().replace(/^"|"$/g, '')); } catch { /* fall through */ }
  }
  const plain = /filename\s*=\s*("((?:[^"\\]|\\.)*)"|[^;]+)/i.exec(header);
  if (!plain) return null;
  return (plain[2] !== undefined ? plain[2].replace(/\\(.)/g, '$1') : plain[1]).trim() || null;
}

/** An export as {data: {blob, filename}} or {error}. */
/** Where a participant or observer posts their token for their summary (protocol/history.md). */
export const summaryUrl = (base, id) => workshopUrl(base, id, '/summary').href;

export function getExport(base, id, { format, lang }, key) {
  return download(workshopUrl(base, id, '/export'), { format, lang }, key, `atelier-${id}.${format}`);
}

/** A file the API serves (an export) as {data: {blob, filename}} or {error}. */
async function download(u, { format, lang }, key, fallbackName) {
  u.searchParams.set('format', format);
  u.searchParams.set('lang', lang);
  let res;
  try {
    res = await fetch(u, { headers: auth(key), cache: 'no-store', credentials: 'same-origin' });
  } catch {
    return { error: 'network' };
  }
  if (!res.ok) {
    let body = null;
    try { body = await res.json(); } catch { /* not JSON */ }
    return { error: body?.error?.code || `http_${res.status}`, status: res.status };
  }
  const blob = await res.blob();
  const filename = dispositionName(res.headers.get('content-disposition')) || fallbackName;
  return { data: { blob, filename } };
}

/** Delete the workshop and everything in it: {data: true} or {error}. */
export async function deleteWorkshop(base, id, key) {
  let res;
  try {
    res = await fetch(workshopUrl(base, id), { method: 'DELETE', headers: auth(key), cache: 'no-store', credentials: 'same-origin' });
  } catch {
    return { error: 'network' };
  }
  if (res.status === 204 || res.ok) return { data: true };
  let body = null;
  try { body = await res.json(); } catch { /* not JSON */ }
  return { error: body?.error?.code || `http_${res.status}`, status: res.status };
}

// ---- partnerships: a series of workshops (protocol/series.md) ---------------

/**
 * The next workshop of a partnership, from the ended workshop `id`: the
 * facilitator's key in Authorization, the server's creation token (when it
 * asks for one) in the body. {data: {id, facilitator_key, partnership, …}}
 * or {error, status}.
 */
export function nextWorkshop(base, id, key, { title, createToken } = {}) {
  const body = {};
  if (title) body.title = title;
  if (createToken) body.create_token = createToken;
  return call(workshopUrl(base, id, '/next'), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...auth(key) },
    body: JSON.stringify(body),
  });
}

const partnershipUrl = (base, id, rest = '') => new URL(`api/partnerships/${encodeURIComponent(id)}${rest}`, base);

/** The partnership and its workshops (with their ids when key is one of theirs). */
export function getPartnership(base, id, key = null) {
  return call(partnershipUrl(base, id), { headers: auth(key) });
}

export function renamePartnership(base, id, key, title) {
  return call(partnershipUrl(base, id), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...auth(key) },
    body: JSON.stringify({ title }),
  });
}

/** The series' export (md or json) as {data: {blob, filename}} or {error}. */
export function getPartnershipExport(base, id, { format, lang }, key) {
  return download(partnershipUrl(base, id, '/export'), { format, lang }, key, `partenariat-${id}.${format}`);
}
