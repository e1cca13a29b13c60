'use strict';
// A partnership as a series of workshops (protocol/series.md).
//
// Two server processes on one Redis. A workshop is run on the first: Jean
// (Banque, on the second) writes and, made representative, endorses the
// text: an agreement. The next workshop cannot be prepared before the end
// (bad_request), nor without the facilitator key (401), nor with another
// workshop's key (403). After the end, POST /next on the second process
// makes workshop 2: its text at revision 0 is workshop 1's final text, its
// history carries the agreement (who endorsed, the text), it has a
// facilitator key of its own (workshop 1's does not open it), and both name
// the partnership (GET /api/workshops/ID; the history's `carried` and
// `continued`, with the other workshop's id in the facilitator's view only).
// GET /api/partnerships/ID lists both in order with how the statement
// changed in each and by which organisation; the public view has no
// workshop id (an id is an invitation), the facilitator's does, and nobody
// gets a facilitator key. The series is renamed and exported (md fr/en,
// json) with a member's key only. A workshop cannot be continued twice, nor
// while open. Deleting a workshop drops it from the partnership; deleting
// the last one removes the partnership. Retention does the same.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { Harness, assertSchema, bearer, metaKey, waitUntil } = require('./harness');

const sha256 = (text) => crypto.createHash('sha256').update(text, 'utf8').digest('hex');
const pmeta = (id) => `atelier:{p:${id}}:meta`;
const plist = (id) => `atelier:{p:${id}}:workshops`;

async function post(s, path, body, key) {
  return s.http('POST', path, { body: body === undefined ? '' : body, headers: bearer(key) });
}

async function history(s, id, key) {
  const r = await s.http('GET', `/api/workshops/${id}/history?only=marks`, { headers: bearer(key) });
  assert.equal(r.status, 200, r.text);
  for (const e of r.json.events) assertSchema('history-event', e);
  return r.json.events;
}

async function endWorkshop(fac) {
  await fac.must({ type: 'workshop_end' }, 'workshop');
}

describe('a partnership as a series of workshops', { timeout: 90000 }, () => {
  let h;
  before(async () => { h = await Harness.start({ servers: 2 }); }, { timeout: 30000 });
  after(async () => { if (h) await h.close(); }, { timeout: 30000 });

  test('next workshop from an ended one: text, agreement, links, own key, partnership page, export, deletion', { timeout: 60000 }, async () => {
    const [s1, s2] = h.servers;
    const w1 = await s1.createWorkshop({ title: 'Série', text: 'Quoi ?\n', time_zone: 'Europe/Paris' });
    const other = await s1.createWorkshop({ title: 'Autre' });
    const fac = h.client({ server: s1, workshop: w1.id, name: 'Fatou', organisation: 'Animation', key: w1.facilitator_key });
    const jean = h.client({ server: s2, workshop: w1.id, name: 'Jean', organisation: 'Banque' });
    await fac.start();
    await jean.start();
    jean.submit([7, 'Un fonds commun.\n']);
    await waitUntil(() => jean.idle && fac.rev === jean.rev);
    const final1 = jean.text;
    assert.equal(final1, 'Quoi ?\nUn fonds commun.\n');

    // An agreement: Jean represents Banque and endorses the text.
    await fac.must({ type: 'role_set', participant: jean.participant.id, role: 'representative' }, 'role');
    await waitUntil(() => jean.role === 'representative');
    const heard = jean.waitFor((m) => m.type === 'signoff' && m.open, 5000, 'the call');
    await fac.must({ type: 'signoff_call' }, 'signoff');
    await heard;
    const s = await jean.must({ type: 'endorse', rev: jean.rev, sha256: sha256(final1) }, 'signoff');
    assert.ok(s.agreed, 'agreed');

    // Not before the end.
    let r = await post(s2, `/api/workshops/${w1.id}/next`, {}, w1.facilitator_key);
    assert.equal(r.status, 400, r.text);
    assert.equal(r.json.error.code, 'bad_request');
    assert.match(r.json.error.message, /not ended/);
    await endWorkshop(fac);

    // Not without the key, nor with another workshop's, nor with a bad body.
    r = await post(s2, `/api/workshops/${w1.id}/next`, {});
    assert.equal(r.status, 401, r.text);
    r = await post(s2, `/api/workshops/${w1.id}/next`, {}, other.facilitator_key);
    assert.equal(r.status, 403, r.text);
    r = await post(s2, `/api/workshops/${w1.id}/next`, { title: '' }, w1.facilitator_key);
    assert.equal(r.status, 400, r.text);
    r = await post(s2, `/api/workshops/${w1.id}/next`, { titre: 'x' }, w1.facilitator_key);
    assert.equal(r.status, 400, r.text);
    r = await post(s2, '/api/workshops/AAAAAAAAAAAAAAAAAAAAAA/next', {}, w1.facilitator_key);
    assert.equal(r.status, 404, r.text);
    assert.equal(await h.redis.command('HGET', metaKey(w1.id), 'partnership'), null, 'a refused request makes nothing');

    // The next workshop, through the other process.
    r = await post(s2, `/api/workshops/${w1.id}/next`, '', w1.facilitator_key);
    assert.equal(r.status, 201, r.text);
    assertSchema('workshop-next-created', r.json);
    const w2 = r.json;
    assert.notEqual(w2.id, w1.id);
    assert.notEqual(w2.facilitator_key, w1.facilitator_key);
    assert.equal(w2.title, 'Série');
    assert.equal(w2.from, w1.id);
    assert.deepEqual(w2.carried, ['statement', 'agreement']);
    assert.equal(w2.time_zone, 'Europe/Paris');
    const pid = w2.partnership;

    // Both name the partnership, on both processes (workshop 1 is loaded on both).
    for (const sv of [s1, s2]) {
      for (const id of [w1.id, w2.id]) {
        const g = await sv.http('GET', `/api/workshops/${id}`);
        assert.equal(g.status, 200);
        assertSchema('workshop-public', g.json);
        assert.equal(g.json.partnership, pid, `${id} on ${sv.port}`);
        if (id === w2.id) assert.deepEqual(g.json.carried.agreement.endorsers.map((x) => x.name), ['Jean']);
        else assert.equal(g.json.carried, undefined);
        // What a participant of one reads of it names neither the other workshop nor any key.
        const other = id === w1.id ? w2 : w1;
        assert.ok(!g.text.includes(other.id) && !g.text.includes(w1.facilitator_key) && !g.text.includes(w2.facilitator_key));
      }
    }

    // Workshop 2 starts from workshop 1's final text; its own key opens it, workshop 1's does not.
    const fac2 = h.client({ server: s1, workshop: w2.id, name: 'Fatou', organisation: 'Animation', key: w2.facilitator_key });
    const welcome2 = await fac2.start();
    assert.equal(welcome2.doc.text, final1);
    assert.equal(welcome2.doc.rev, 0);
    assert.equal(welcome2.role, 'facilitator');
    const wrong = h.client({ server: s2, workshop: w2.id, name: 'Fatou', organisation: 'Animation', key: w1.facilitator_key });
    await wrong.open();
    const refused = await wrong.request({ type: 'join', workshop: w2.id, name: 'Fatou', organisation: 'Animation', key: w1.facilitator_key });
    assert.equal(refused.type, 'error');
    assert.equal(refused.code, 'forbidden');

    // The record: `carried` in workshop 2 (the agreement, who endorsed), `continued` in workshop 1.
    const ev2 = await history(s2, w2.id, w2.facilitator_key);
    const carried = ev2.find((e) => e.type === 'carried');
    assert.equal(carried.partnership, pid);
    assert.equal(carried.from, w1.id);
    assert.equal(carried.carried.title, 'Série');
    assert.deepEqual(carried.carried.agreement.organisations, ['Banque']);
    assert.deepEqual(carried.carried.agreement.endorsers.map((x) => [x.org, x.name]), [['Banque', 'Jean']]);
    assert.equal(carried.carried.agreement.text, final1);
    assert.equal(carried.carried.agreement.sha256, sha256(final1));
    const pub2 = (await history(s2, w2.id)).find((e) => e.type === 'carried');
    assert.equal(pub2.from, undefined, 'the public view has no other workshop id');
    const ev1 = await history(s1, w1.id, w1.facilitator_key);
    assert.equal(ev1.find((e) => e.type === 'continued').next, w2.id);
    assert.equal((await history(s1, w1.id)).find((e) => e.type === 'continued').next, undefined);

    // Edits in workshop 2, by another organisation.
    const lea = h.client({ server: s2, workshop: w2.id, name: 'Léa', organisation: 'Asso' });
    await lea.start();
    lea.submit([final1.length - 1, ' et solidaire']);
    await waitUntil(() => lea.idle && fac2.rev === lea.rev);
    const final2 = lea.text;

    // The partnership page: public (no ids), facilitator (ids), never a key.
    let p = await s1.http('GET', `/api/partnerships/${pid}`);
    assert.equal(p.status, 200, p.text);
    assertSchema('partnership', p.json);
    assert.equal(p.json.view, 'public');
    assert.equal(p.json.title, 'Série');
    assert.deepEqual(p.json.workshops.map((w) => [w.n, w.state, w.id]), [[1, 'ended', undefined], [2, 'open', undefined]]);
    assert.equal(p.json.workshops[0].start, 'Quoi ?\n');
    assert.equal(p.json.workshops[0].text, final1);
    assert.equal(p.json.workshops[1].start, final1);
    assert.equal(p.json.workshops[1].text, final2);
    assert.deepEqual(p.json.workshops[0].organisations, [{ org: 'Banque', inserted: 17, deleted: 0 }]);
    assert.deepEqual(p.json.workshops[1].organisations, [{ org: 'Asso', inserted: 13, deleted: 0 }]);
    assert.ok(!p.text.includes(w1.facilitator_key) && !p.text.includes(w2.facilitator_key) && !p.text.includes(w2.id));
    for (const [sv, key] of [[s2, w1.facilitator_key], [s1, w2.facilitator_key]]) {
      p = await sv.http('GET', `/api/partnerships/${pid}`, { headers: bearer(key) });
      assert.equal(p.json.view, 'facilitator');
      assert.deepEqual(p.json.workshops.map((w) => w.id), [w1.id, w2.id]);
      assert.ok(!p.text.includes(w1.facilitator_key) && !p.text.includes(w2.facilitator_key), 'never a key');
    }
    p = await s1.http('GET', `/api/partnerships/${pid}`, { headers: bearer(other.facilitator_key) });
    assert.equal(p.status, 403);
    // Jean (a participant of workshop 1, no key) resumes there: nothing of workshop 2 in his welcome.
    const jeanAgain = h.twin(jean);
    const jw = await jeanAgain.start();
    assert.ok(!JSON.stringify(jw).includes(w2.id) && !JSON.stringify(jw).includes(w2.facilitator_key));
    assert.equal((await s2.http('GET', `/api/partnerships/${pid}/export?format=json`)).status, 401);
    assert.equal((await s1.http('GET', '/api/partnerships/AAAAAAAAAAAAAAAAAAAAAA')).status, 404);

    // Not twice from the same workshop, not from an open one.
    r = await post(s1, `/api/workshops/${w1.id}/next`, {}, w1.facilitator_key);
    assert.equal(r.status, 400, r.text);
    assert.match(r.json.error.message, /next one already/);
    r = await post(s1, `/api/workshops/${w2.id}/next`, {}, w2.facilitator_key);
    assert.equal(r.status, 400, r.text);

    // Renaming: a member's facilitator only.
    r = await post(s1, `/api/partnerships/${pid}`, { title: 'Fonds commun' });
    assert.equal(r.status, 401, r.text);
    r = await post(s1, `/api/partnerships/${pid}`, { title: 'Fonds commun' }, other.facilitator_key);
    assert.equal(r.status, 403, r.text);
    r = await post(s1, `/api/partnerships/${pid}`, { title: ' ' }, w2.facilitator_key);
    assert.equal(r.status, 400, r.text);
    r = await post(s2, `/api/partnerships/${pid}`, { title: '  Fonds   commun ' }, w2.facilitator_key);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { id: pid, title: 'Fonds commun' });
    assert.equal((await s1.http('GET', `/api/partnerships/${pid}`)).json.title, 'Fonds commun');

    // The export of the whole series.
    assert.equal((await s1.http('GET', `/api/partnerships/${pid}/export?format=md`)).status, 401);
    assert.equal((await s1.http('GET', `/api/partnerships/${pid}/export?format=csv`, { headers: bearer(w1.facilitator_key) })).status, 400);
    const md = await s1.http('GET', `/api/partnerships/${pid}/export?format=md&lang=fr`, { headers: bearer(w1.facilitator_key) });
    assert.equal(md.status, 200, md.text);
    assert.match(md.headers['content-type'], /text\/markdown/);
    assert.match(md.text, /^# Partenariat\u202F: Fonds commun/);
    assert.match(md.text, /## 1\. Série \(terminé\)/);
    assert.match(md.text, /## 2\. Série \(en cours\)/);
    assert.match(md.text, /### Ce qui a changé dans l'énoncé/);
    assert.match(md.text, /Ajouté\u202F: «\u202FUn fonds commun\. \u202F»/);
    assert.match(md.text, /Ajouté\u202F: «\u202F et solidaire\u202F»/);
    assert.match(md.text, /- Asso\u202F: 13 insérés, 0 supprimés/);
    assert.ok(md.text.indexOf('## 1.') < md.text.indexOf('## 2.'));
    assert.match(md.text, /^### /m, 'each summary is under its workshop');
    const en = await s1.http('GET', `/api/partnerships/${pid}/export?format=md&lang=en`, { headers: bearer(w2.facilitator_key) });
    assert.match(en.text, /^# Partnership: Fonds commun/);
    assert.match(en.text, /What changed in the statement/);
    const js = await s2.http('GET', `/api/partnerships/${pid}/export?format=json`, { headers: bearer(w2.facilitator_key) });
    assert.equal(js.status, 200, js.text);
    assert.equal(js.json.partnership.title, 'Fonds commun');
    assert.deepEqual(js.json.workshops.map((w) => w.id), [w1.id, w2.id]);
    assert.deepEqual(js.json.workshops[1].changes.filter((c) => c.kind !== 'same'), [{ kind: 'ins', text: ' et solidaire' }]);
    assert.equal(js.json.workshops[0].export.workshop.id, w1.id, 'each workshop\'s own log');

    // Deleting workshop 1: the partnership keeps workshop 2 only.
    r = await s2.http('DELETE', `/api/workshops/${w1.id}`, { headers: bearer(w1.facilitator_key) });
    assert.equal(r.status, 204, r.text);
    p = await s1.http('GET', `/api/partnerships/${pid}`, { headers: bearer(w2.facilitator_key) });
    assert.deepEqual(p.json.workshops.map((w) => [w.n, w.id]), [[1, w2.id]]);
    assert.deepEqual(await h.redis.command('LRANGE', plist(pid), '0', '-1'), [w2.id]);
    // With w1's key gone, it opens nothing.
    p = await s1.http('GET', `/api/partnerships/${pid}`, { headers: bearer(w1.facilitator_key) });
    assert.equal(p.status, 403);
    // The last one goes: so does the partnership.
    r = await s1.http('DELETE', `/api/workshops/${w2.id}`, { headers: bearer(w2.facilitator_key) });
    assert.equal(r.status, 204, r.text);
    assert.equal((await s2.http('GET', `/api/partnerships/${pid}`)).status, 404);
    assert.equal(await h.redis.command('EXISTS', pmeta(pid), plist(pid)), 0);
    h.assertNoProblems();
  });

  test('the board goes with the next workshop: its items, groups and settings, in its history from the start', { timeout: 30000 }, async () => {
    const [s1, s2] = h.servers;
    const w1 = await s1.createWorkshop({ title: 'Tableau en série', text: 'Quoi ?\n' });
    const fac = h.client({ server: s1, workshop: w1.id, name: 'Fatou', organisation: 'Animation', key: w1.facilitator_key });
    const jean = h.client({ server: s2, workshop: w1.id, name: 'Jean', organisation: 'Banque' });
    await fac.start();
    await jean.start();
    const a = (await jean.must({ type: 'board_add', kind: 'priority', title: 'Accès aux droits', why: 'Le non-recours' }, 'board')).items[0];
    const b = (await fac.must({ type: 'board_add', kind: 'strength', title: "L'accès au droit" }, 'board')).items
      .find((i) => i.org === 'Animation');
    await fac.must({ type: 'board_group', items: [a.id, b.id] }, 'board');
    await fac.must({ type: 'board_settings', revealed: true }, 'board');
    await endWorkshop(fac);

    const r = await post(s2, `/api/workshops/${w1.id}/next`, '', w1.facilitator_key);
    assert.equal(r.status, 201, r.text);
    assertSchema('workshop-next-created', r.json);
    assert.deepEqual(r.json.carried, ['statement', 'agreement', 'board']);
    const w2 = r.json;

    // Joined on the other process: the board as it was, its organisations' to edit there.
    const jean2 = h.client({ server: s1, workshop: w2.id, name: 'Jean', organisation: 'Banque' });
    const welcome = await jean2.start();
    assert.deepEqual(welcome.board.items.map((i) => [i.org, i.title, i.why]).sort(),
      [['Animation', "L'accès au droit", ''], ['Banque', 'Accès aux droits', 'Le non-recours']]);
    assert.equal(welcome.board.groups.length, 1);
    assert.equal(welcome.board.settings.revealed, true);
    const carriedA = welcome.board.items.find((i) => i.org === 'Banque');
    assert.equal(carriedA.id, a.id);
    const edited = await jean2.must({ type: 'board_edit', item: a.id, title: 'Accès aux droits pour tous' }, 'board');
    assert.equal(edited.items.find((i) => i.id === a.id).title, 'Accès aux droits pour tous');

    // In its history from the start, public (the board was open), and in the state from then on.
    const events = await history(s2, w2.id);
    const types = events.map((e) => e.type);
    assert.ok(types.indexOf('board_carried') > types.indexOf('carried'), types.join(' '));
    const carried = events.find((e) => e.type === 'carried');
    assert.deepEqual(carried.carried.parts, ['statement', 'agreement', 'board']);
    const boardEvent = events.find((e) => e.type === 'board_carried');
    const st = await s2.http('GET', `/api/workshops/${w2.id}/state?at=${boardEvent.t}`);
    assert.equal(st.status, 200, st.text);
    assert.deepEqual(st.json.board.items.map((i) => i.title).sort(), ['Accès aux droits', "L'accès au droit"]);
    // The ended workshop's board is as it was.
    const st1 = await s1.http('GET', `/api/workshops/${w1.id}/state?at=${Date.now()}`);
    assert.equal(st1.status, 200, st1.text);
    assert.deepEqual(st1.json.board.items.map((i) => i.title).sort(), ['Accès aux droits', "L'accès au droit"]);
    for (const c of [fac, jean, jean2]) c.close();
    h.assertNoProblems();
  });
});

describe('retention removes a partnership with its last workshop', { timeout: 60000 }, () => {
  const KEEP_S = 3;
  let h;
  before(async () => {
    h = await Harness.start({ servers: 1, serverArgs: ['--retention-secs', String(KEEP_S)], ownRedis: true });
  }, { timeout: 30000 });
  after(async () => { if (h) await h.close(); }, { timeout: 30000 });

  test('both workshops expire: no dangling partnership', { timeout: 40000 }, async () => {
    const [s1] = h.servers;
    const w1 = await s1.createWorkshop({ title: 'Éphémère' });
    const fac = h.client({ server: s1, workshop: w1.id, name: 'Fatou', organisation: 'Animation', key: w1.facilitator_key });
    await fac.start();
    await endWorkshop(fac);
    fac.close();
    const r = await post(s1, `/api/workshops/${w1.id}/next`, { title: 'Éphémère 2' }, w1.facilitator_key);
    assert.equal(r.status, 201, r.text);
    const pid = r.json.partnership;
    assert.equal(await h.redis.command('LLEN', plist(pid)), 2);
    await waitUntil(async () => (await h.redis.command('EXISTS', metaKey(w1.id), metaKey(r.json.id))) === 0, 20000);
    assert.equal(await h.redis.command('EXISTS', pmeta(pid), plist(pid)), 0, 'no partnership left behind');
  });
});

describe('the next workshop is a creation: token, rate, and one at a time', { timeout: 60000 }, () => {
  const TOKEN = 'jeton-de-creation';
  let h;
  before(async () => {
    h = await Harness.start({ servers: 2, serverArgs: ['--create-token', TOKEN, '--create-rate', '6'] });
  }, { timeout: 30000 });
  after(async () => { if (h) await h.close(); }, { timeout: 30000 });

  test('the creation token in the body, the creation rate, two nexts at once through two processes make one', { timeout: 30000 }, async () => {
    const [s1, s2] = h.servers;
    const made = await s1.http('POST', '/api/workshops', { body: { title: 'Jeton' }, headers: bearer(TOKEN) });
    assert.equal(made.status, 201, made.text);
    const w1 = made.json;
    const fac = h.client({ server: s1, workshop: w1.id, name: 'Fatou', organisation: 'Animation', key: w1.facilitator_key });
    await fac.start();
    await endWorkshop(fac);
    // The token is the server's: without it, or wrong, nothing is made.
    let r = await post(s1, `/api/workshops/${w1.id}/next`, {}, w1.facilitator_key);
    assert.equal(r.status, 401, r.text);
    assert.match(r.json.error.message, /creation token/);
    r = await post(s1, `/api/workshops/${w1.id}/next`, { create_token: 'faux' }, w1.facilitator_key);
    assert.equal(r.status, 401, r.text);
    assert.equal(await h.redis.command('HGET', metaKey(w1.id), 'partnership'), null);
    // Two at once, through the two processes: one is made, the other is told there is a next one already.
    const both = await Promise.all([s1, s2].map((s) => post(s, `/api/workshops/${w1.id}/next`, { create_token: TOKEN }, w1.facilitator_key)));
    assert.deepEqual(both.map((x) => x.status).sort(), [201, 400], both.map((x) => x.text).join('\n'));
    const pid = both.find((x) => x.status === 201).json.partnership;
    assert.equal(await h.redis.command('LLEN', plist(pid)), 2, 'one next workshop');
    // Every attempt counts against the address, refused or not: on s1, a creation and three nexts
    // so far; the 5th and 6th are within the rate (6) and refused for what they ask, the 7th is not taken.
    for (let i = 5; i <= 6; i++) {
      r = await post(s1, `/api/workshops/${w1.id}/next`, { create_token: TOKEN }, w1.facilitator_key);
      assert.equal(r.status, 400, `attempt ${i}: ${r.text}`);
    }
    r = await post(s1, `/api/workshops/${w1.id}/next`, { create_token: TOKEN }, w1.facilitator_key);
    assert.equal(r.status, 429, r.text);
    assert.ok(Number(r.headers['retry-after']) > 0);
  });
});
