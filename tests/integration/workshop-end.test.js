'use strict';
// The workshop's end and reopening (protocol/README.md, "workshop_end"), and
// the word a deleted workshop's clients get (protocol/history.md, DELETE).
//
// Two server processes on one Redis. A facilitator on the first ends a
// workshop with two open polls and one closed one: each open poll closes (a
// `poll` message to everyone), everyone on both processes gets
// `{"type":"workshop","state":"ended"}` (the facilitator's copy with its
// id), the welcome and GET /api/workshops/ID on both processes say ended
// (with ended_at, without the join code); ops, votes, answers, upvotes,
// poll_open and poll_reopen are refused with `ended` on both processes, and
// nothing is stored for them; carets still move; a participant's
// workshop_end is `forbidden`; a second end is `ended`. Reopening gives
// edits back (the same join code), and the history has `ended` and
// `reopened` events. A process that missed the announcement reads the state
// back when Redis refuses its ops, or when it subscribes again. Deleting a workshop tells its clients
// `{"type":"workshop","state":"deleted"}` before `not_found`.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Harness, sleep, waitUntil, getJson, bearer, fetchAllHistory, metaKey, eventsKey } = require('./harness');

const J = (x) => JSON.stringify(x);
const REPLIES = new Set(['workshop', 'poll', 'poll_deleted', 'my_ballot', 'error', 'ack', 'pong']);
let seq = 0;

// Sends msg with a fresh id; resolves with the reply carrying that id.
async function ask(c, msg, timeoutMs = 5000) {
  const m = { ...msg, id: `w${++seq}` };
  const p = c.waitFor((x) => x.id === m.id && REPLIES.has(x.type), timeoutMs, `reply to ${J(m).slice(0, 100)}`);
  c.send(m);
  return p;
}

async function must(c, msg, type) {
  const r = await ask(c, msg);
  assert.equal(r.type, type, `${c.tag} ${J(msg)}: expected ${type}, got ${J(r)}`);
  return r;
}

async function refusedWith(c, msg, code) {
  const r = await ask(c, msg);
  assert.equal(r.type, 'error', `${c.tag} ${J(msg)}: expected error ${code}, got ${J(r)}`);
  assert.equal(r.code, code, `${c.tag} ${J(msg)}: ${J(r)}`);
  assert.equal(r.re, msg.type);
  return r;
}

describe('the workshop ends and reopens', { timeout: 120000 }, () => {
  let h;
  before(async () => { h = await Harness.start({ servers: 2 }); }, { timeout: 30000 });
  after(async () => { if (h) await h.close(); }, { timeout: 30000 });

  test('end: polls close, everyone on both processes is told, changes refused with ended, state in welcome and GET; reopen', { timeout: 60000 }, async () => {
    const [s1, s2] = h.servers;
    const w = await s1.createWorkshop({ title: 'Fin', text: 'Quoi ?\n', time_zone: 'Europe/Paris' });
    assert.equal(w.state, 'open');
    assert.match(w.code, /^\d{6}$/);
    const fac = h.client({ server: s1, workshop: w.id, name: 'Awa', organisation: 'Ville', key: w.facilitator_key });
    const jean = h.client({ server: s1, workshop: w.id, name: 'Jean', organisation: 'Banque' });
    const lea = h.client({ server: s2, workshop: w.id, name: 'Léa', organisation: 'Asso' });
    const welcome = await fac.start();
    assert.ok(welcome.workshop.deletes_at >= w.deletes_at, 'the retention moved on with the join');
    assert.deepEqual(welcome.workshop, { id: w.id, title: 'Fin', time_zone: 'Europe/Paris', code: w.code, state: 'open', deletes_at: welcome.workshop.deletes_at });
    await jean.start();
    await lea.start();

    const single = (await must(fac, { type: 'poll_create', kind: 'single', question: 'Oui ?', choices: ['Oui', 'Non'] }, 'poll')).poll;
    const text = (await must(fac, { type: 'poll_create', kind: 'text', question: 'Idées ?' }, 'poll')).poll;
    const closed = (await must(fac, { type: 'poll_create', kind: 'scale', question: 'Clair ?' }, 'poll')).poll;
    const draft = (await must(fac, { type: 'poll_create', kind: 'scale', question: 'Plus tard ?' }, 'poll')).poll;
    for (const p of [single, text, closed]) await must(fac, { type: 'poll_open', poll: p.id }, 'poll');
    await must(fac, { type: 'poll_close', poll: closed.id }, 'poll');
    await must(jean, { type: 'vote', poll: single.id, ballot: 0 }, 'my_ballot');
    const mine = await must(jean, { type: 'answer', poll: text.id, text: 'Une idée' }, 'my_ballot');
    const answerId = mine.answers[0].id;
    await sleep(300); // lea's process has read the polls back

    // A participant may not end it.
    await refusedWith(jean, { type: 'workshop_end' }, 'forbidden');
    await refusedWith(lea, { type: 'workshop_end' }, 'forbidden');

    const told = [jean, lea].map((c) => c.waitFor((m) => m.type === 'workshop', 5000, 'workshop message'));
    const closes = [jean, lea].map((c) => c.waitFor((m) => m.type === 'poll' && m.poll.id === text.id && m.poll.state === 'closed', 5000, 'the text poll closed'));
    const before = Date.now();
    const ended = await must(fac, { type: 'workshop_end' }, 'workshop');
    assert.equal(ended.state, 'ended');
    assert.equal(ended.by, fac.participant.id);
    assert.ok(ended.at >= before - 1000 && ended.at <= Date.now() + 1000, `at ${ended.at}`);
    for (const m of await Promise.all(told)) assert.deepEqual(m, { type: 'workshop', state: 'ended', at: ended.at, by: fac.participant.id });
    await Promise.all(closes);

    // Every open poll closed, stored; the closed one and the draft unchanged.
    const polls = await h.redis.command('HGETALL', `atelier:{w:${w.id}}:polls`);
    const states = {};
    for (let i = 0; i < polls.length; i += 2) states[polls[i]] = JSON.parse(polls[i + 1]).state;
    assert.deepEqual([states[single.id], states[text.id], states[closed.id], states[draft.id]], ['closed', 'closed', 'closed', 'draft'], J(states));

    // Refused with `ended` on both processes, nothing stored.
    const revBefore = await h.redis.command('HGET', metaKey(w.id), 'rev');
    const eventsBefore = await h.redis.command('XLEN', eventsKey(w.id));
    for (const c of [fac, jean, lea]) await refusedWith(c, { type: 'op', rev: c.rev, op: ['Non. '] }, 'ended');
    await refusedWith(jean, { type: 'vote', poll: single.id, ballot: 1 }, 'ended');
    await refusedWith(lea, { type: 'vote', poll: single.id, ballot: 1 }, 'ended');
    await refusedWith(lea, { type: 'answer', poll: text.id, text: 'Trop tard' }, 'ended');
    await refusedWith(lea, { type: 'upvote', poll: text.id, answer: answerId }, 'ended');
    await refusedWith(fac, { type: 'poll_open', poll: draft.id }, 'ended');
    await refusedWith(fac, { type: 'poll_reopen', poll: single.id }, 'ended');
    await refusedWith(fac, { type: 'poll_create', kind: 'scale', question: 'Ouvert ?', open: true }, 'ended');
    await refusedWith(fac, { type: 'workshop_end' }, 'ended');
    // A process that has not heard of the end yet: its ops are refused by Redis itself.
    const appended = await h.redis.command('FCALL', 'atelier_append', '3', metaKey(w.id), eventsKey(w.id),
      `atelier:{w:${w.id}}:lastop`, revBefore, String(Date.now()), '1', 'pX', 'Org', '"x"', '["x"]');
    assert.deepEqual(appended, [-2]);
    assert.equal(await h.redis.command('HGET', metaKey(w.id), 'rev'), revBefore);
    assert.equal(await h.redis.command('XLEN', eventsKey(w.id)), eventsBefore);
    // What still works: carets, a draft, revealing results.
    const caret = lea.waitFor((m) => m.type === 'cursor' && m.participant === jean.participant.id, 3000, 'caret');
    jean.send({ type: 'cursor', rev: jean.rev, sel: [1, 1] });
    await caret;
    await must(fac, { type: 'poll_create', kind: 'single', question: 'Pour après ?', choices: ['A', 'B'] }, 'poll');
    await must(fac, { type: 'poll_results', poll: single.id, visibility: 'revealed' }, 'poll');

    // Welcome and GET, on both processes, say it ended; the join code is gone.
    for (const s of [s1, s2]) {
      const late = h.client({ server: s, workshop: w.id, name: 'Tard', organisation: 'Asso' });
      const wl = await late.start();
      assert.deepEqual(wl.workshop, { id: w.id, title: 'Fin', time_zone: 'Europe/Paris', state: 'ended', ended_at: ended.at, deletes_at: wl.workshop.deletes_at }, `welcome on ${s.port}`);
      late.close();
      const g = await getJson(s.port, `/api/workshops/${w.id}`);
      assert.equal(g.status, 200);
      assert.equal(g.json.state, 'ended', `GET on ${s.port}`);
      assert.equal(g.json.ended_at, ended.at);
      assert.equal(g.json.code, undefined);
      assert.equal(g.json.time_zone, 'Europe/Paris');
    }
    assert.equal((await getJson(s1.port, `/api/join/${w.code}`)).status, 404, 'the join code of an ended workshop');
    assert.equal(await h.redis.command('GET', `atelier:code:${w.code}`), null);

    // Reopen: a participant may not; the facilitator may, from the other process.
    await refusedWith(jean, { type: 'workshop_reopen' }, 'forbidden');
    const fac2 = h.client({ server: s2, workshop: w.id, name: 'Awa', organisation: 'Ville', key: w.facilitator_key });
    await fac2.start();
    const reopenTold = [fac, jean, lea].map((c) => c.waitFor((m) => m.type === 'workshop' && m.state === 'open', 5000, 'reopened'));
    const reopened = await must(fac2, { type: 'workshop_reopen' }, 'workshop');
    assert.equal(reopened.state, 'open');
    assert.equal(reopened.code, w.code, 'the same join code again');
    for (const m of await Promise.all(reopenTold)) assert.deepEqual(m, { type: 'workshop', state: 'open', at: reopened.at, by: fac2.participant.id, code: w.code });
    await refusedWith(fac2, { type: 'workshop_reopen' }, 'bad_request');
    jean.submit([6, ' Oui.']);
    await waitUntil(() => jean.idle, 5000, 'an op after the reopening');
    const leaSees = lea.waitFor((m) => m.type === 'poll' && m.poll.id === single.id && m.poll.state === 'open', 5000, 'the poll reopened, on the other process');
    await must(fac, { type: 'poll_reopen', poll: single.id }, 'poll');
    await leaSees;
    await must(lea, { type: 'vote', poll: single.id, ballot: 1 }, 'my_ballot');
    assert.equal((await getJson(s1.port, `/api/join/${w.code}`)).json.id, w.id);
    assert.equal((await getJson(s1.port, `/api/workshops/${w.id}`)).json.state, 'open');

    // The history: ended then reopened, by whom.
    const hist = await fetchAllHistory(s1.port, w.id, { only: 'marks' });
    const marks = hist.events.filter((e) => e.type === 'ended' || e.type === 'reopened');
    assert.deepEqual(marks.map((e) => [e.type, e.by, e.name, e.t]), [
      ['ended', fac.participant.id, 'Awa', ended.at], ['reopened', fac2.participant.id, 'Awa', reopened.at]]);
    const closedAt = hist.events.filter((e) => e.type === 'poll_closed' && e.poll.id !== closed.id);
    assert.equal(closedAt.length, 2, 'two poll_closed events for the end');
    assert.ok(closedAt.every((e) => e.id < marks[0].id), 'the polls closed before the end');
    h.assertNoProblems();
  });

  test('an end not heard of (announcement lost): an op refused by Redis, or a new subscription, makes the process read the state back', { timeout: 30000 }, async () => {
    const s1 = h.servers[0];
    const w = await s1.createWorkshop({ title: 'Perdu' });
    const c = h.client({ server: s1, workshop: w.id, name: 'Jean', organisation: 'Banque' });
    await c.start();
    // Ended behind the process's back: no announcement.
    const at = String(Date.now());
    await h.redis.command('HSET', metaKey(w.id), 'state', 'ended', 'ended_at', at, 'ended_by', 'pSomeoneElse12345');
    const told = c.waitFor((m) => m.type === 'workshop', 5000, 'the end, read back');
    await refusedWith(c, { type: 'op', rev: c.rev, op: ['x'] }, 'ended');
    assert.deepEqual(await told, { type: 'workshop', state: 'ended', at: Number(at), by: 'pSomeoneElse12345' });
    // Reopened behind its back, and its subscription cut: read back when it subscribes again.
    await h.redis.command('HSET', metaKey(w.id), 'state', 'open', 'reopened_at', at, 'reopened_by', 'pSomeoneElse12345');
    const reopened = c.waitFor((m) => m.type === 'workshop' && m.state === 'open', 10000, 'the reopening, read back');
    await h.redis.command('CLIENT', 'KILL', 'TYPE', 'pubsub');
    assert.deepEqual(await reopened, { type: 'workshop', state: 'open', at: Number(at), by: 'pSomeoneElse12345', code: w.code });
    c.close();
  });

  test('deletion: connected clients get {"type":"workshop","state":"deleted"} before not_found, on both processes', { timeout: 30000 }, async () => {
    const [s1, s2] = h.servers;
    const w = await s1.createWorkshop({ title: 'Supprimé' });
    const a = h.client({ server: s1, workshop: w.id, name: 'Awa', organisation: 'Ville' });
    const b = h.client({ server: s2, workshop: w.id, name: 'Jean', organisation: 'Banque' });
    await a.start();
    await b.start();
    const closes = [a, b].map((c) => c.waitClose(5000));
    const r = await s1.http('DELETE', `/api/workshops/${w.id}`, { headers: bearer(w.facilitator_key) });
    assert.equal(r.status, 204);
    await Promise.all(closes);
    for (const c of [a, b]) {
      const last = c.log.filter((x) => x.dir === 'in').slice(-2).map((x) => JSON.parse(x.data));
      assert.deepEqual(last[0], { type: 'workshop', state: 'deleted' }, `${c.tag}: ${J(last)}`);
      assert.equal(last[1].type, 'error');
      assert.equal(last[1].code, 'not_found');
    }
    assert.equal((await getJson(s1.port, `/api/join/${w.code}`)).status, 404, 'the join code of a deleted workshop');
    assert.equal(await h.redis.command('GET', `atelier:code:${w.code}`), null);
  });
});
