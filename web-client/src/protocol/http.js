// The HTTP half of the protocol: create a workshop, read its public
// metadata. Errors come back as {error: code} rather than exceptions, so the
// views can show a sentence for each case.

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
  return { error: code, status: res.status };
}

export function createWorkshop(base, { title, text }) {
  return call(new URL('api/workshops', base), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ title, text }),
  });
}

export function getWorkshop(base, id) {
  return call(new URL(`api/workshops/${encodeURIComponent(id)}`, base));
}

/** ws:// or wss:// URL of the socket next to the page. */
export function socketUrl(base) {
  const u = new URL('ws', base);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  u.hash = '';
  u.search = '';
  return u.toString();
}
