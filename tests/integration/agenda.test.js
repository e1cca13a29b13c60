'use strict';
// The agenda and its timer (protocol/agreement.md, "Agenda and timer").
//
// Two server processes on one Redis. A new workshop has the method's six
// phases in its welcome, nothing under way. Participants are refused every
// agenda message (forbidden, nothing stored). The facilitator on the first
// process starts a phase, pauses, extends, resumes and moves to the next:
// after each, every client on both processes gets the same `agenda` (the
// facilitator's copy with its id), with the server's `now`; a client that
// reconnects, and one that joins through the second process, get the same
// timer in their welcome. agenda_set replaces the phases (not removing the
// one under way); bad values are bad_request or not_found; the history has
// each event with who did it; the agenda goes on after the workshop's end;
// a workshop made before agendas gets the default, unwritten until changed.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { Harness, waitUntil, bearer, csvTables, unhtml, fetchAllHistory, metaKey, must, refusedWith, received } = require('./harness');

const MIN = 60000;
const METHOD = ['what', 'why', 'how', 'priorities', 'success', 'validation'];

describe('the agenda and its timer', { timeout: 120000 }, () => {
  let h;
  before(async () => { h = await Harness.start({ servers: 2 }); }, { timeout: 30000 });
  after(async () => { if (h) await h.close(); }, { timeout: 30000 });

  test('phases run by the facilitator: everyone on both processes sees the same timer, after a reconnect too', { timeout: 60000 }, async () => {
    const [s1, s2] = h.servers;
    const w = await s1.createWorkshop({ title: 'Agenda', text: 'Quoi ?\n' });
    const fac = h.client({ server: s1, workshop: w.id, name: 'Awa', organisation: 'Ville', key: w.facilitator_key });
    const jean = h.client({ server: s1, workshop: w.id, name: 'Jean', organisation: 'Banque' });
    const lea = h.client({ server: s2, workshop: w.id, name: 'Léa', organisation: 'Asso' });
    const welcome = await fac.start();
    await jean.start();
    await lea.start();

    // The method's phases, stored at creation; nothing under way.
    assert.deepEqual(welcome.agenda.phases.map((p) => [p.id, p.preset, p.minutes]),
      METHOD.map((id, i) => [id, id, [20, 20, 25, 20, 20, 15][i]]));
    assert.equal(welcome.agenda.phases[0].title, 'Quoi\u202f?');
    assert.deepEqual(welcome.agenda.timer, { phase: null, started_at: null, ends_at: null, paused_at: null, extended_ms: 0, ran: [] });
    assert.ok(Math.abs(welcome.agenda.now - Date.now()) < 60000, 'now is the server clock');
    assert.deepEqual(JSON.parse(await h.redis.command('HGET', metaKey(w.id), 'agenda')), welcome.agenda.phases);

    // Participants may not run it: forbidden, nothing stored.
    for (const msg of [{ type: 'phase_start', phase: 'why' }, { type: 'phase_next' }, { type: 'phase_pause' },
      { type: 'phase_resume' }, { type: 'phase_extend', minutes: 5 }, { type: 'agenda_set', phases: [{ id: 'a', title: 'A', minutes: 5 }] }]) {
      await refusedWith(jean, msg, 'forbidden');
      await refusedWith(lea, msg, 'forbidden');
    }
    assert.equal(await h.redis.command('HGET', metaKey(w.id), 'timer'), null);

    // Each change: the same agenda for everyone, the requester's copy with its id.
    let watchers = [jean, lea];
    const step = async (msg) => {
      const seen = watchers.map((c) => c.waitFor((m) => m.type === 'agenda' && m.id === undefined, 5000, `agenda after ${msg.type} (${c.tag})`));
      const mine = await must(fac, msg, 'agenda');
      const { id, ...told } = mine;
      for (const m of await Promise.all(seen)) assert.deepEqual({ ...m, now: 0 }, { ...told, now: 0 });
      return mine;
    };
    const t0 = Date.now();
    const started = await step({ type: 'phase_start', phase: 'why' });
    const t = started.timer;
    assert.equal(t.phase, 'why');
    assert.ok(t.started_at >= t0 - 1000 && t.started_at <= Date.now() + 1000);
    assert.equal(t.ends_at - t.started_at, 20 * MIN);
    assert.equal(t.paused_at, null);

    const paused = (await step({ type: 'phase_pause' })).timer;
    assert.ok(paused.paused_at >= t.started_at);
    assert.equal(paused.ends_at, t.ends_at);
    await refusedWith(fac, { type: 'phase_pause' }, 'bad_request');

    const extended = (await step({ type: 'phase_extend', minutes: 5 })).timer;
    assert.equal(extended.ends_at, t.ends_at + 5 * MIN);
    assert.equal(extended.extended_ms, 5 * MIN);
    assert.equal(extended.paused_at, paused.paused_at, 'still paused');

    const resumedMsg = await step({ type: 'phase_resume' });
    const resumed = resumedMsg.timer;
    assert.equal(resumed.paused_at, null);
    const pausedFor = resumed.ends_at - extended.ends_at;
    assert.ok(pausedFor >= 0 && pausedFor <= resumedMsg.now - paused.paused_at, `ends_at moved by the pause: ${pausedFor}`);
    await refusedWith(fac, { type: 'phase_resume' }, 'bad_request');

    // Refused values change nothing.
    await refusedWith(fac, { type: 'phase_extend', minutes: 61 }, 'bad_request');
    await refusedWith(fac, { type: 'phase_extend', minutes: 0 }, 'bad_request');
    await refusedWith(fac, { type: 'phase_start', phase: 'nope' }, 'not_found');
    await refusedWith(fac, { type: 'phase_start', phase: 'a b' }, 'bad_request');
    await refusedWith(fac, { type: 'agenda_set', phases: [] }, 'bad_request');
    await refusedWith(fac, { type: 'agenda_set', phases: [{ id: 'x', title: 'X', minutes: 601 }] }, 'bad_request');
    await refusedWith(fac, { type: 'agenda_set', phases: [{ id: 'x', title: 'X', minutes: 5 }, { id: 'x', title: 'Y', minutes: 5 }] }, 'bad_request');
    await refusedWith(fac, { type: 'agenda_set', phases: [{ id: 'what', title: 'X', minutes: 5 }] }, 'bad_request'); // 'why' is under way

    // A reconnect and a join through the other process: the same timer in the welcome.
    jean.close();
    const again = h.twin(jean, { server: s2 });
    const w2 = await again.start();
    watchers = [again, lea];
    assert.deepEqual(w2.agenda.timer, resumed);
    const newcomer = h.client({ server: s2, workshop: w.id, name: 'Zoé', organisation: 'Asso' });
    assert.deepEqual((await newcomer.start()).agenda.timer, resumed);
    const facAgain = h.twin(fac, { server: s1 });
    assert.deepEqual((await facAgain.start()).agenda.timer, resumed);
    facAgain.close();

    const next = (await step({ type: 'phase_next' })).timer;
    assert.equal(next.phase, 'how');
    assert.equal(next.ends_at - next.started_at, 25 * MIN);
    assert.equal(next.extended_ms, 0);

    // The phases are replaced (the one under way kept); everyone sees them.
    const phases = [{ id: 'how', title: 'Comment\u202f?', minutes: 30, preset: 'how' }, { id: 'p2', title: 'Pause café', minutes: 10 }];
    const set = await step({ type: 'agenda_set', phases });
    assert.deepEqual(set.phases, phases);
    assert.deepEqual(set.timer, { ...next, ran: ['how'] }, 'the timer under way is kept ("why", removed, leaves the phases run)');
    await step({ type: 'phase_next' });
    const done = await step({ type: 'phase_next' });
    assert.equal(done.timer.phase, null, 'after the last phase the agenda is done');
    // Said as done (not "not started yet"), on both processes (step() compared them) and in a welcome there.
    // The phases run: "why" went with the agenda_set that removed it.
    assert.deepEqual(done.timer, { phase: null, started_at: null, ends_at: null, paused_at: null, extended_ms: 0, done: true, ran: ['how', 'p2'] });
    const late = h.client({ server: s2, workshop: w.id, name: 'Tardif', organisation: 'Asso' });
    assert.deepEqual((await late.start()).agenda.timer, done.timer);
    late.close();

    // The history: every step, with who did it.
    const hist = await fetchAllHistory(s2.port, w.id, { only: 'marks' });
    const steps = hist.events.filter((e) => /^(phase_|agenda_)/.test(e.type));
    assert.deepEqual(steps.map((e) => [e.type, e.phase ?? null]), [
      ['phase_started', 'why'], ['phase_paused', 'why'], ['phase_extended', 'why'], ['phase_resumed', 'why'],
      ['phase_started', 'how'], ['agenda_changed', null], ['phase_started', 'p2'], ['agenda_done', null]]);
    assert.ok(steps.every((e) => e.by === fac.participant.id && e.name === 'Awa'), JSON.stringify(steps[0]));
    assert.equal(steps[0].minutes, 20);
    assert.equal(steps[0].title, 'Pourquoi\u202f?');
    assert.equal(steps[2].minutes, 5);
    assert.deepEqual(steps[5].phases, phases);
    assert.deepEqual(steps[0].timer, t);
    assert.ok(steps[0].t >= t.started_at, 'the event is stored once the phase started (its id is Redis\' clock)');

    // The agenda goes on after the workshop's end.
    await must(fac, { type: 'workshop_end' }, 'workshop');
    const afterEnd = await step({ type: 'phase_start', phase: 'p2' });
    assert.equal(afterEnd.timer.phase, 'p2');
    assert.deepEqual(received(jean, 'balance'), [], 'participants never get the balance');
    h.assertNoProblems();
  });

  test('a workshop made before agendas: the default, unwritten until the facilitator changes it', { timeout: 30000 }, async () => {
    const [s1, s2] = h.servers;
    const w = await s1.createWorkshop({ title: 'Ancien' });
    await h.redis.command('HDEL', metaKey(w.id), 'agenda');
    const fac = h.client({ server: s2, workshop: w.id, name: 'Awa', organisation: 'Ville', key: w.facilitator_key });
    const welcome = await fac.start();
    assert.deepEqual(welcome.agenda.phases.map((p) => p.id), METHOD);
    assert.equal(await h.redis.command('HGET', metaKey(w.id), 'agenda'), null, 'nothing written by reading');
    await must(fac, { type: 'phase_next' }, 'agenda');
    assert.equal(JSON.parse(await h.redis.command('HGET', metaKey(w.id), 'agenda')).length, 6);
    assert.equal(JSON.parse(await h.redis.command('HGET', metaKey(w.id), 'timer')).phase, 'what');
    h.assertNoProblems();
  });

  test('exports organised by phase: when, how long, the polls, the statement at its end, the balance (fr, en; md, html, csv)', { timeout: 30000 }, async () => {
    const [s1, s2] = h.servers;
    const w = await s1.createWorkshop({ title: 'Phases', text: '', time_zone: 'Europe/Paris' });
    const fac = h.client({ server: s1, workshop: w.id, name: 'Awa', organisation: 'Animation', key: w.facilitator_key });
    const jean = h.client({ server: s2, workshop: w.id, name: 'Jean', organisation: 'Banque' });
    await fac.start();
    await jean.start();
    const type = async (op) => { jean.submit(op); await waitUntil(() => jean.idle, 5000, 'ack'); };

    await must(fac, { type: 'phase_next' }, 'agenda'); // Quoi ?
    await type(['Alpha']);
    const poll = (await must(fac, { type: 'poll_create', kind: 'single', question: 'Clair\u202f?', choices: ['Oui', 'Non'] }, 'poll')).poll;
    await must(fac, { type: 'poll_open', poll: poll.id }, 'poll');
    await waitUntil(() => received(jean, 'poll').some((m) => m.poll.id === poll.id && m.poll.state === 'open'), 5000, 'jean sees the poll');
    await must(jean, { type: 'vote', poll: poll.id, ballot: 0 }, 'my_ballot');
    await must(fac, { type: 'phase_extend', minutes: 5 }, 'agenda');
    await must(fac, { type: 'phase_next' }, 'agenda'); // Pourquoi ?
    await type([5, ' Beta']);
    // The sign-off, called during the second phase: its decisions are listed in it.
    await must(fac, { type: 'role_set', participant: jean.participant.id, role: 'representative' }, 'role');
    await waitUntil(() => jean.role === 'representative', 5000, 'jean represents the Banque');
    await must(fac, { type: 'signoff_call' }, 'signoff');
    await waitUntil(() => received(jean, 'signoff').some((m) => m.open), 5000, 'the call heard on the other process');
    const sha = crypto.createHash('sha256').update(jean.text, 'utf8').digest('hex');
    const signed = await must(jean, { type: 'endorse', rev: jean.rev, sha256: sha }, 'signoff');
    assert.ok(signed.agreed, 'the one organisation present agrees');

    const exp = (q) => s1.http('GET', `/api/workshops/${w.id}/export?${q}`, { headers: bearer(w.facilitator_key), timeoutMs: 10000 });
    const fr = (await exp('format=md&lang=fr')).text;
    const section = (text, from, to) => {
      const at = text.indexOf(from);
      assert.ok(at >= 0, `no ${from} in ${text}`);
      const end = to ? text.indexOf(to, at + from.length) : -1;
      return text.slice(at, end >= 0 ? end : undefined);
    };
    assert.match(fr, /## Déroulé par phase/);
    const what = section(fr, '### 1. Quoi\u202f?', '### 2.');
    assert.match(what, /Commencée le .* Durée\u202f: \d+ min \(prévue\u202f: 20 min, prolongée de 5 min\)\./, what);
    assert.match(what, /Clair\u202f\?/, 'the poll opened in it');
    assert.match(what, /> Alpha/, 'the statement at its end');
    assert.doesNotMatch(what, /Beta/);
    assert.match(what, /\| Banque \| 5 \| 0 \| 1 \| 0 \|/, `the balance at its end: ${what}`);
    const why = section(fr, '### 2. Pourquoi\u202f?', '\n## ');
    assert.match(why, /en cours/);
    assert.match(why, /> Alpha Beta/);
    assert.match(why, /Aucun sondage ouvert pendant la phase\./);
    assert.match(why, new RegExp(`\\*Validation pendant la phase\\*\n\n- .* — Banque \\(Jean\\) approuve l'énoncé de la révision ${jean.rev} \\(SHA-256 ${sha}\\)\n- .* — Énoncé adopté \\(révision ${jean.rev}\\) par les organisations présentes\u202f: Banque\n`), why);
    assert.doesNotMatch(what, /Validation pendant la phase/, 'nothing signed in the first phase');
    assert.match(section(fr, '## Équilibre des contributions'), /\| Banque \| 10 \| 0 \| 1 \| 0 \|/);

    const en = (await exp('format=md&lang=en')).text;
    assert.match(en, /## Phase by phase/);
    assert.match(en, /### 1\. What\?/);
    assert.match(en, /### 2\. Why\?/);
    assert.match(en, /Ran for: \d+ min \(planned: 20 min, extended by 5 min\)\./);
    assert.match(section(en, '### 2. Why?', '\n## '), new RegExp(`\\*Sign-off during the phase\\*\n\n- .* — Banque \\(Jean\\) endorses the statement of revision ${jean.rev} .*\n- .* — Statement agreed \\(revision ${jean.rev}\\) by the organisations present: Banque\n`));
    assert.match(en, /## Contribution balance/);

    const html = unhtml((await exp('format=html&lang=en')).text);
    assert.match(html, /Statement at the end of the phase/);
    assert.match(html, /Contributions at the end of the phase/);

    for (const [lang, end, state, held, now] of [['fr', 'Fin de l\'atelier', 'État', 'abordée', 'en cours'], ['en', 'End of the workshop', 'Status', 'held', 'under way']]) {
      const tables = csvTables((await exp(`format=csv&lang=${lang}`)).text);
      const table = tables.find((x) => x[0][0] === 'Phase'); // the sign-off's table is another
      assert.deepEqual(table[0].slice(3, 5), [state, 'Organisation']);
      const last = table[table.length - 1];
      assert.deepEqual(last.slice(3), ['', 'Banque', '10', '0', '1', '0'], JSON.stringify(table));
      assert.equal(last[0], end);
      assert.equal(table[1][0], lang === 'fr' ? 'Quoi\u202f?' : 'What?');
      assert.deepEqual(table[1].slice(3), [held, 'Banque', '5', '0', '1', '0']);
      assert.deepEqual(table[2].slice(3), [now, 'Banque', '10', '0', '1', '0'], 'the phase under way');
    }
    h.assertNoProblems();
  });

  test('phases jumped over are recorded as skipped, not run: on both processes, in the history, the welcome and the exports', { timeout: 20000 }, async () => {
    const [s1, s2] = h.servers;
    const w = await s1.createWorkshop({ title: 'Sauts', text: '' });
    const fac = h.client({ server: s1, workshop: w.id, name: 'Awa', organisation: 'Ville', key: w.facilitator_key });
    const lea = h.client({ server: s2, workshop: w.id, name: 'Léa', organisation: 'Asso' });
    await fac.start();
    await lea.start();
    const heard = (pred, what) => lea.waitFor((m) => m.type === 'agenda' && pred(m.timer), 5000, what);
    await must(fac, { type: 'phase_next' }, 'agenda'); // Quoi ?
    await must(fac, { type: 'phase_next' }, 'agenda'); // Pourquoi ?
    const seen = heard((t) => t.phase === 'validation', 'the jump, on process 2');
    const jumped = await must(fac, { type: 'phase_start', phase: 'validation' }, 'agenda'); // straight to Validation
    assert.deepEqual(jumped.timer.ran, ['what', 'why', 'validation'], 'how, priorities and success never ran');
    assert.deepEqual((await seen).timer.ran, jumped.timer.ran);
    assert.deepEqual(JSON.parse(await h.redis.command('HGET', metaKey(w.id), 'timer')).ran, jumped.timer.ran, 'stored');
    // A welcome through the other process says the same.
    const late = h.client({ server: s2, workshop: w.id, name: 'Tardif', organisation: 'Asso' });
    assert.deepEqual((await late.start()).agenda.timer.ran, jumped.timer.ran);
    late.close();
    // Back to one jumped over: it ran; the end keeps the record.
    await must(fac, { type: 'phase_start', phase: 'how' }, 'agenda');
    const done = (await must(fac, { type: 'phase_start', phase: 'validation' }, 'agenda'), await must(fac, { type: 'phase_next' }, 'agenda'));
    assert.deepEqual(done.timer.ran, ['what', 'why', 'validation', 'how']);
    assert.equal(done.timer.done, true);
    // The history's events carry the record in their timer.
    const hist = await fetchAllHistory(s2.port, w.id, { only: 'marks' });
    const starts = hist.events.filter((e) => e.type === 'phase_started');
    assert.deepEqual(starts.map((e) => e.timer.ran.length), [1, 2, 3, 4, 4]);
    // The exports name the phases skipped, in the agenda's order, in each language.
    const exp = (q) => s1.http('GET', `/api/workshops/${w.id}/export?${q}`, { headers: bearer(w.facilitator_key), timeoutMs: 10000 });
    const fr = (await exp('format=md&lang=fr')).text;
    assert.match(fr, /\nPhases non abordées\u202f: Les priorités de chaque organisation, Comment saurons-nous si nous avons réussi\u202f\?\.\n/, fr);
    const en = (await exp('format=md&lang=en')).text;
    assert.match(en, /\nPhases skipped: Each organisation's priorities, How will we know we succeeded\?\.\n/);
    // The CSV's phase table lists them too, after the phases held: the title and its status, nothing else.
    for (const [lang, titles, skipped] of [['fr', ['Les priorités de chaque organisation', 'Comment saurons-nous si nous avons réussi\u202f?'], 'non abordée'],
      ['en', ['Each organisation\'s priorities', 'How will we know we succeeded?'], 'skipped']]) {
      const table = csvTables((await exp(`format=csv&lang=${lang}`)).text).find((x) => x[0][0] === 'Phase');
      assert.deepEqual(table.filter((r) => r[3] === skipped).map((r) => r.join(';')), titles.map((t) => `${t};;;${skipped};;;;;`), JSON.stringify(table));
    }
    // A timer stored before the record existed (a workshop no process holds yet) reads as before:
    // every phase up to the one under way ran, none shown skipped.
    const w2 = await s1.createWorkshop({ title: 'Ancien minuteur', text: '' });
    const old = { phase: 'how', started_at: Date.now(), ends_at: Date.now() + MIN, paused_at: null, extended_ms: 0 };
    await h.redis.command('HSET', metaKey(w2.id), 'timer', JSON.stringify(old));
    const reader = h.client({ server: s2, workshop: w2.id, name: 'Relu', organisation: 'Asso' });
    assert.deepEqual((await reader.start()).agenda.timer, { ...old, ran: ['what', 'why', 'how'] });
    reader.close();
    h.assertNoProblems();
  });
});

