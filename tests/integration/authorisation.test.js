'use strict';
// The authorisation matrix (issue 14, item 9): every WebSocket message a role
// may not send, and every facilitator-only HTTP route, tried by everyone who
// is not this workshop's facilitator, all refused with the documented code,
// and the workshop's Redis keys byte for byte unchanged (the SHA-1 of DUMP of
// every key, computed by Redis, before and after; streams included: the
// attempts add no event).
//
// The messages come from the rights table (service/src/core/rights.c, read
// by the harness's rightsTable), checked against the protocol's client
// messages, so a new message type is tried as soon as it has a row. Who tries:
//   * someone who joined without a key (a participant), and a participant
//     who took part (answered), and a representative (for the facilitator's
//     messages): `forbidden`;
//   * a connection whose join with a wrong key, or with another workshop's
//     key, was refused (`forbidden`); a connection that never joined; a
//     connection whose join to a deleted workshop was refused (`not_found`):
//     every message is `forbidden` (not joined);
//   * another workshop's facilitator naming this workshop's polls, answers
//     and people (cross-workshop ids): refused, nothing changes here.
// HTTP: exports (every format), deletion, and the facilitator's views of
// /history and /state, with no key (401, or the public view), a participant's
// token, a wrong key, another workshop's key (403), and for a deleted
// workshop (404). What held in the adversarial test stays held: JSON and
// UTF-8 edge cases (deep nesting, duplicate keys, an escaped NUL, a lone
// surrogate, invalid UTF-8: 1007) and the frame limit (too_large) refused
// without changing anything; what people typed escaped in the HTML export;
// no secret (keys, tokens) in the server's log or in the exports; no path
// out of the web root or the API.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const {
  Harness, ask, must, waitUntil, httpRequest, WRITES, READS, clientTypes, rightsTable,
} = require('./harness');

// The SHA-1 of DUMP of every key matching the pattern, sorted: "key sha1".
const DIGESTS = `local out, cursor = {}, '0'
repeat
  local r = redis.call('SCAN', cursor, 'MATCH', ARGV[1], 'COUNT', 1000)
  cursor = r[1]
  for _, k in ipairs(r[2]) do out[#out + 1] = k .. ' ' .. redis.sha1hex(redis.call('DUMP', k)) end
until cursor == '0'
table.sort(out)
return out`;

// Its keys, its join code, and its place in the retention index (a refused
// attempt is no activity: it must not put the deletion off).
async function digests(h, w) {
  const keys = await h.redis.command('EVAL', DIGESTS, 0, `atelier:{w:${w.id}}:*`);
  const code = await h.redis.command('EVAL', DIGESTS, 0, `atelier:code:${w.code}`);
  const retention = await h.redis.command('ZSCORE', 'atelier:retention', w.id);
  return [...keys, ...code, `retention ${retention}`];
}

const bearer = (key) => ({ authorization: `Bearer ${key}` });

describe('authorisation matrix', { timeout: 120000 }, () => {
  let h;
  before(async () => { h = await Harness.start(); }, { timeout: 30000 });
  after(async () => { if (h) await h.close(); }, { timeout: 30000 });

  test('every message and route a role may not use is refused, and changes nothing', { timeout: 110000 }, async (t) => {
    const s = h.server;
    const rights = rightsTable();
    const types = clientTypes();
    assert.deepEqual(types.filter((t) => !rights[t]), [], 'client messages without a row in rights.c');
    assert.deepEqual(Object.keys(rights).filter((t) => !READS.has(t) && !WRITES[t]), [], 'rows without a sample message in WRITES');
    const notFor = (role) => Object.keys(WRITES).filter((t) => !rights[t].has(role));
    const facilitatorOnly = Object.keys(WRITES).filter((t) => rights[t].size === 1 && rights[t].has('facilitator'));
    assert.ok(facilitatorOnly.length >= 20, `only ${facilitatorOnly.length} facilitator-only messages read from rights.c`);

    // The workshop under attack, with things to name; another one; one deleted.
    const w = await s.createWorkshop({ title: 'Cible', text: 'Quoi ?\n' });
    const other = await s.createWorkshop({ title: 'Autre' });
    const gone = await s.createWorkshop({ title: 'Supprimé' });
    const fac = h.client({ workshop: w.id, name: 'Awa', organisation: 'Ville', key: w.facilitator_key });
    const jean = h.client({ workshop: w.id, name: 'Jean', organisation: 'Banque' });
    const lea = h.client({ workshop: w.id, name: 'Léa', organisation: 'Asso' });
    const nokey = h.client({ workshop: w.id, name: 'Sans clé', organisation: 'Ailleurs' });
    const otherFac = h.client({ workshop: other.id, name: 'Bob', organisation: 'Autre', key: other.facilitator_key });
    for (const c of [fac, jean, lea, nokey, otherFac]) await c.start();
    const single = (await must(fac, { type: 'poll_create', kind: 'single', question: 'Oui ?', choices: ['Oui', 'Non'], open: true, visibility: 'live' }, 'poll')).poll;
    const text = (await must(fac, { type: 'poll_create', kind: 'text', question: 'Idées ?', open: true }, 'poll')).poll;
    const mine = await must(jean, { type: 'answer', poll: text.id, text: 'Une idée' }, 'my_ballot');
    await must(jean, { type: 'vote', poll: single.id, ballot: 1 }, 'my_ballot');
    await must(lea, { type: 'representative_request' }, 'role');
    await must(fac, { type: 'representative_answer', participant: lea.participant.id, accept: true }, 'role');
    await waitUntil(() => lea.role === 'representative' || lea.log.some((m) => m.dir === 'in' && m.data.includes('"representative"')), 5000, 'Léa represents Asso');
    const x = { single: single.id, text: text.id, answer: mine.answers[0].id, jean: jean.participant.id };

    // Refused joins and a connection that never joins, opened before the snapshot.
    const refusedJoin = async (workshop, key, code) => {
      const c = h.client({ workshop: workshop.id, name: 'Intrus', organisation: 'Dehors' });
      await c.open();
      const r = await c.request({ type: 'join', workshop: workshop.id, name: 'Intrus', organisation: 'Dehors', key });
      assert.equal(r.code, code, `join ${workshop.title} with ${key.slice(0, 6)}…: ${JSON.stringify(r)}`);
      return c;
    };
    const wrongKey = await refusedJoin(w, `${w.facilitator_key.slice(0, -3)}AAA`, 'forbidden');
    const foreignKey = await refusedJoin(w, other.facilitator_key, 'forbidden');
    const never = h.client({ workshop: w.id, name: 'Muet', organisation: 'Dehors' });
    await never.open();
    assert.equal((await httpRequest(s.port, 'DELETE', `/api/workshops/${gone.id}`, { headers: bearer(gone.facilitator_key) })).status, 204);
    const deleted = await refusedJoin(gone, gone.facilitator_key, 'not_found');

    // Quiet: two snapshots alike.
    let snap = await digests(h, w);
    await waitUntil(async () => { const d = await digests(h, w); const same = JSON.stringify(d) === JSON.stringify(snap); snap = d; return same; }, 10000, 'the workshop settles');
    assert.ok(snap.length >= 8, `only ${snap.length} keys: ${snap.join(', ')}`);

    // WebSocket: joined without the right role.
    const tried = [];
    for (const [who, c, types2] of [['no key', nokey, facilitatorOnly], ['a participant', jean, notFor('participant')],
      ['a representative', lea, notFor('representative')]]) {
      for (const type of types2) {
        const r = await ask(c, WRITES[type](c, x));
        assert.equal(r.type, 'error', `${who} ${type}: ${JSON.stringify(r)}`);
        assert.equal(r.code, 'forbidden', `${who} ${type}: ${JSON.stringify(r)}`);
        tried.push(`${who}:${type}`);
      }
    }
    // Not joined: every message but join and ping.
    for (const [who, c] of [['a wrong key', wrongKey], ['another workshop\'s key', foreignKey], ['before join', never], ['a deleted workshop', deleted]]) {
      for (const type of Object.keys(WRITES)) {
        const r = await ask(c, WRITES[type]({ rev: 0 }, x));
        assert.equal(r.type, 'error', `${who} ${type}: ${JSON.stringify(r)}`);
        assert.equal(r.code, 'forbidden', `${who} ${type}: ${JSON.stringify(r)}`);
        tried.push(`${who}:${type}`);
      }
    }
    // Cross-workshop ids: the other workshop's facilitator names this one's.
    for (const type of facilitatorOnly) {
      const r = await ask(otherFac, WRITES[type](otherFac, x));
      if (['poll_edit', 'poll_open', 'poll_close', 'poll_reopen', 'poll_results', 'poll_delete', 'role_set', 'representative_answer'].includes(type)) {
        assert.equal(r.type, 'error', `cross-workshop ${type}: ${JSON.stringify(r)}`);
        assert.ok(['not_found', 'bad_request'].includes(r.code), `cross-workshop ${type}: ${JSON.stringify(r)}`);
      }
    }
    // JSON and UTF-8 edge cases and frame limits, by a participant: refused, the connection kept
    // (invalid UTF-8 closes it with 1007, as the framing layer says).
    const edges = [
      ['deep nesting', `{"type":"poll_close","poll":${'['.repeat(5000)}${']'.repeat(5000)}}`, 'bad_request'],
      ['duplicate keys', `{"type":"poll_close","type":"ping","poll":"${single.id}","id":"dup"}`, 'forbidden'],
      ['an escaped NUL', `{"type":"answer","poll":"${text.id}","text":"a\\u0000b","id":"nul"}`, 'bad_request'],
      ['a lone surrogate', `{"type":"answer","poll":"${text.id}","text":"\\ud800","id":"sur"}`, 'bad_request'],
      ['over 64 KiB', JSON.stringify({ type: 'answer', poll: text.id, text: 'x'.repeat(70 * 1024), id: 'big' }), 'too_large'],
    ];
    for (const [what, raw, code] of edges) {
      const reply = jean.waitFor((m) => m.type === 'error', 5000, what);
      jean.sendRaw(raw);
      assert.equal((await reply).code, code, `${what}: ${JSON.stringify(await reply)}`);
    }
    assert.equal((await ask(jean, { type: 'ping' })).type, 'pong', 'the connection stays usable');
    const broken = h.client({ workshop: w.id, name: 'Octets', organisation: 'Dehors' });
    await broken.open();
    broken.sendRaw(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
    assert.equal((await broken.waitClose()).code, 1007, 'invalid UTF-8: closed with 1007');
    // The other workshop's own changes (its agenda, its end…) are its own; this one is untouched.
    assert.deepEqual(await digests(h, w), snap, 'a refused WebSocket message changed the workshop in Redis');

    // HTTP.
    const base = `/api/workshops/${w.id}`;
    const routes = [
      ...['md', 'html', 'csv', 'json'].map((f) => ['GET', `${base}/export?format=${f}&lang=fr`]),
      ['DELETE', base],
    ];
    const views = [['GET', `${base}/history`], ['GET', `${base}/state?rev=0`]];
    const keys = [
      ['a participant\'s token', bearer(jean.token), 403], ['a wrong key', bearer(`${w.facilitator_key.slice(0, -3)}AAA`), 403],
      ['another workshop\'s key', bearer(other.facilitator_key), 403], ['a deleted workshop\'s key', bearer(gone.facilitator_key), 403],
    ];
    for (const [method, p] of routes) {
      const none = await httpRequest(s.port, method, p);
      assert.equal(none.status, 401, `${method} ${p} without a key: ${none.status} ${none.text}`);
      assert.equal(none.json.error.code, 'forbidden');
      for (const [who, headers, status] of keys) {
        const r = await httpRequest(s.port, method, p, { headers });
        assert.equal(r.status, status, `${method} ${p} with ${who}: ${r.status} ${r.text.slice(0, 200)}`);
        tried.push(`http ${who}:${method} ${p}`);
      }
    }
    for (const [method, p] of views) {
      const pub = await httpRequest(s.port, method, p);
      assert.equal(pub.status, 200, `${p} without a key: the public view`);
      assert.ok(!pub.text.includes('"ballot"') && !pub.text.includes('"draft"'), `${p}: the public view shows facilitator-only events`);
      for (const [who, headers, status] of keys) {
        const r = await httpRequest(s.port, method, p, { headers });
        assert.equal(r.status, status, `${method} ${p} with ${who}: ${r.status} (never silently the public view)`);
      }
    }
    for (const [method, p] of [...routes, ...views]) {
      const r = await httpRequest(s.port, method, p.replace(w.id, gone.id), { headers: bearer(gone.facilitator_key) });
      assert.equal(r.status, 404, `${method} ${p} of a deleted workshop: ${r.status}`);
    }
    assert.deepEqual(await digests(h, w), snap, 'a refused HTTP request changed the workshop in Redis');
    assert.deepEqual(await h.redis.command('EVAL', DIGESTS, 0, `atelier:{w:${gone.id}}:*`), [], 'a deleted workshop came back');

    // Path traversal: nothing outside the web root or the API.
    for (const p of ['/../../../../etc/passwd', '/%2e%2e/%2e%2e/%2e%2e/etc/passwd', '/..%2f..%2f..%2fetc%2fpasswd',
      '/static/../../../etc/passwd', `/api/workshops/..%2f..%2f..%2fetc%2fpasswd/history`, '/api/../../etc/passwd']) {
      const r = await httpRequest(s.port, 'GET', p);
      assert.ok(!r.text.includes('root:'), `GET ${p}: ${r.status} serves a file outside the web root`);
      assert.ok(r.status >= 400 || r.text.includes('Atelier'), `GET ${p}: ${r.status}`);
    }

    // Secrets: never in the log nor in the exports (the legitimate ones).
    const secrets = [w.facilitator_key, other.facilitator_key, gone.facilitator_key, jean.token, lea.token, fac.token].filter(Boolean);
    for (const f of ['md', 'html', 'csv', 'json']) {
      const r = await httpRequest(s.port, 'GET', `${base}/export?format=${f}&lang=fr`, { headers: bearer(w.facilitator_key) });
      assert.equal(r.status, 200);
      for (const secret of secrets) assert.ok(!r.text.includes(secret), `the ${f} export holds a secret`);
      for (const secret of secrets) assert.ok(!r.text.includes(secret.split('.').pop()), `the ${f} export holds a resume secret`);
    }
    // Output escaping: what people typed is text in every format.
    const hostile = await s.createWorkshop({ title: '<script>alert(1)</script> & "co"', text: '<img src=x onerror=alert(1)>\n=HYPERLINK("http://x")' });
    const html = await httpRequest(s.port, 'GET', `/api/workshops/${hostile.id}/export?format=html&lang=fr`, { headers: bearer(hostile.facilitator_key) });
    assert.ok(!html.text.includes('<script>alert') && !html.text.includes('<img'), 'HTML export: typed text not escaped');
    const log = fs.readFileSync(s.logFile, 'utf8');
    for (const secret of secrets) assert.ok(!log.includes(secret.split('.').pop()), 'a secret in the server log');
    assert.ok(tried.length > 150, `${tried.length} attempts`);
    t.diagnostic(`${tried.length} refused attempts (${facilitatorOnly.length} facilitator-only messages), ${snap.length} keys unchanged`);
  });
});
