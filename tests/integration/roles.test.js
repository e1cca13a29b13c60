'use strict';
// Roles scoped to organisations (protocol/agreement.md, "Roles"), with two
// server processes on one Redis.
//
// role_set: a facilitator makes a participant a representative and back;
// everyone on both processes gets `role` (the facilitator's copy with its
// id), the person's record and the history have it, a welcome and GET
// /api/workshops/ID list the new role, and a process that loads the
// workshop afterwards reads it from the record. A participant may not give
// roles; a facilitator keeps theirs; an unknown person is not_found.
//
// representative_request and representative_answer: a participant asks
// (everyone sees `asks`, in role messages, the welcome and the record),
// asking twice stores nothing; a facilitator on the other process declines
// or accepts; only a pending request is answered.
//
// A poll limited to representatives (representatives_only): only a
// representative votes for their organisation; a participant, a facilitator
// and a representative made a participant again are forbidden and change
// nothing; a role given through one process counts on the other.
//
// The exports list the people with their roles: representatives and
// facilitators marked within their organisation, observers counted and
// listed apart, never as an organisation (with an organisation of their
// own or none), never a first arrival; the JSON export's participants carry
// their roles.
//
// A role changed while a process could not hear the announcements is read
// back from the records when its subscription is up again. A participant who
// resumes with the facilitator key is a facilitator in their record too.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Harness, waitUntil, getJson, fetchAllHistory, bearer, csvTables, unhtml } = require('./harness');

const peopleKey = (w) => `atelier:{w:${w}}:people`;

async function storedPerson(h, w, pid) {
  return JSON.parse(await h.redis.command('HGET', peopleKey(w), pid));
}

describe('roles', { timeout: 120000 }, () => {
  let h;

  // A facilitator (Awa, Ville) on facServer, Jean (Banque) on the first
  // process and Léa (Asso) on the second, joined in that order.
  async function cast(w, facServer) {
    const [s1, s2] = h.servers;
    const fac = h.client({ server: facServer, workshop: w.id, name: 'Awa', organisation: 'Ville', key: w.facilitator_key });
    const jean = h.client({ server: s1, workshop: w.id, name: 'Jean', organisation: 'Banque' });
    const lea = h.client({ server: s2, workshop: w.id, name: 'Léa', organisation: 'Asso' });
    for (const c of [fac, jean, lea]) await c.start();
    return { fac, jean, lea };
  }

  before(async () => { h = await Harness.start({ servers: 2 }); }, { timeout: 30000 });
  after(async () => { if (h) await h.close(); }, { timeout: 30000 });

  test('role_set: a representative and back, told on both processes, stored, in the history, the welcome and GET', { timeout: 60000 }, async () => {
    const [s1, s2] = h.servers;
    const w = await s1.createWorkshop({ title: 'Rôles', text: 'Quoi ?\n' });
    const { fac, jean, lea } = await cast(w, s1);
    await waitUntil(async () => (await getJson(s2.port, `/api/workshops/${w.id}`)).json.present.length === 3, 5000, 'everyone present');

    // A participant may not give roles, nor may anyone give a facilitator another.
    await jean.refused({ type: 'role_set', participant: jean.participant.id, role: 'representative' }, 'forbidden');
    await lea.refused({ type: 'role_set', participant: jean.participant.id, role: 'representative' }, 'forbidden');
    await fac.refused({ type: 'role_set', participant: fac.participant.id, role: 'participant' }, 'bad_request');
    await fac.refused({ type: 'role_set', participant: 'pAAAAAAAAAAAAAAAA', role: 'representative' }, 'not_found');
    await fac.refused({ type: 'role_set', participant: jean.participant.id, role: 'facilitator' }, 'bad_request');
    await fac.refused({ type: 'role_set', participant: 'nobody', role: 'representative' }, 'bad_request');
    assert.equal((await storedPerson(h, w.id, jean.participant.id)).role, 'participant');

    // Made a representative: everyone is told, through both processes.
    const told = [jean, lea].map((c) => c.waitFor((m) => m.type === 'role', 5000, `${c.tag}: role`));
    const before = Date.now();
    const made = await fac.must({ type: 'role_set', participant: jean.participant.id, role: 'representative' }, 'role');
    assert.equal(made.participant, jean.participant.id);
    assert.equal(made.role, 'representative');
    assert.equal(made.by, fac.participant.id);
    assert.equal(made.asks, undefined);
    assert.ok(made.at >= before - 1000 && made.at <= Date.now() + 1000, `at ${made.at}`);
    const { id: _id, ...relayed } = made; // eslint-disable-line no-unused-vars
    for (const m of await Promise.all(told)) assert.deepEqual(m, relayed);
    const record = await storedPerson(h, w.id, jean.participant.id);
    assert.equal(record.role, 'representative');
    assert.equal(record.name, 'Jean');
    assert.equal(typeof record.secret, 'string', 'the rest of the record is kept');

    // Whoever joins now, on either process, sees the role; GET says it too.
    for (const s of [s1, s2]) {
      const late = h.client({ server: s, workshop: w.id, name: 'Tard', organisation: 'Asso' });
      const wl = await late.start();
      const seen = wl.participants.find((p) => p.id === jean.participant.id);
      assert.equal(seen && seen.role, 'representative', `welcome on ${s.port}: ${JSON.stringify(wl.participants)}`);
      late.close();
      const g = await getJson(s.port, `/api/workshops/${w.id}`);
      assert.ok(g.json.present.some((p) => p.name === 'Jean' && p.role === 'representative'), `GET on ${s.port}: ${JSON.stringify(g.json.present)}`);
    }
    // Jean's own resume keeps the role.
    const jean2 = h.twin(jean, { server: s2 });
    assert.equal((await jean2.start()).role, 'representative');
    jean2.close();

    // A process that loads the workshop afterwards reads the role from the record.
    const s3 = await h.addServer();
    const third = h.client({ server: s3, workshop: w.id, name: 'Nouveau', organisation: 'Asso' });
    // Jean is present through the other processes: in the welcome, or
    // arriving once their rosters are heard.
    const arrives = third.waitFor((m) => m.type === 'arrived' && m.participant.id === jean.participant.id, 5000, 'Jean, on the new process');
    const wl3 = await third.start();
    const seen3 = wl3.participants.find((p) => p.id === jean.participant.id) || (await arrives).participant;
    assert.equal(seen3.role, 'representative', JSON.stringify(seen3));

    // Back to participant, decided by a facilitator on the other process.
    const fac2 = h.client({ server: s2, workshop: w.id, name: 'Awa', organisation: 'Ville', key: w.facilitator_key });
    await fac2.start();
    const back = [fac, jean, lea, third].map((c) => c.waitFor((m) => m.type === 'role' && m.role === 'participant', 5000, `${c.tag}: back`));
    const undone = await fac2.must({ type: 'role_set', participant: jean.participant.id, role: 'participant' }, 'role');
    for (const m of await Promise.all(back)) assert.deepEqual(m, { type: 'role', participant: jean.participant.id, role: 'participant', by: fac2.participant.id, at: undone.at });
    assert.equal((await storedPerson(h, w.id, jean.participant.id)).role, 'participant');

    // The history: two role events, with the person and who decided.
    const hist = await fetchAllHistory(s1.port, w.id, { only: 'marks' });
    const roles = hist.events.filter((e) => e.type === 'role');
    assert.deepEqual(roles.map((e) => [e.participant, e.name, e.org, e.role, e.by, e.t]), [
      [jean.participant.id, 'Jean', 'Banque', 'representative', fac.participant.id, made.at],
      [jean.participant.id, 'Jean', 'Banque', 'participant', fac2.participant.id, undone.at]]);
    h.assertNoProblems();
  });

  test('representative_request, declined then accepted from the other process; asks in role, welcome and record', { timeout: 60000 }, async () => {
    const [s1, s2] = h.servers;
    const w = await s1.createWorkshop({ title: 'Demandes' });
    const { fac, jean, lea } = await cast(w, s2);
    const pid = jean.participant.id;

    // Only a participant asks; only a facilitator answers, and only a pending request.
    await fac.refused({ type: 'representative_request' }, 'forbidden');
    await jean.refused({ type: 'representative_answer', participant: pid, accept: true }, 'forbidden');
    await fac.refused({ type: 'representative_answer', participant: pid, accept: true }, 'bad_request');
    await fac.refused({ type: 'representative_answer', participant: pid }, 'bad_request');

    const eventsKey = `atelier:{w:${w.id}}:events`;
    const asked = [fac, lea].map((c) => c.waitFor((m) => m.type === 'role' && m.asks, 5000, `${c.tag}: the request`));
    const mine = await jean.must({ type: 'representative_request' }, 'role');
    assert.equal(mine.role, 'participant');
    assert.equal(mine.asks, 'representative');
    assert.equal(mine.by, undefined);
    for (const m of await Promise.all(asked)) assert.deepEqual(m, { type: 'role', participant: pid, role: 'participant', asks: 'representative', at: mine.at });
    assert.equal((await storedPerson(h, w.id, pid)).asks, 'representative');
    // Asking twice: answered, nothing stored.
    const events = await h.redis.command('XLEN', eventsKey);
    const again = await jean.must({ type: 'representative_request' }, 'role');
    assert.equal(again.asks, 'representative');
    assert.equal(await h.redis.command('XLEN', eventsKey), events);
    // A welcome on either process shows the pending request.
    for (const s of [s1, s2]) {
      const late = h.client({ server: s, workshop: w.id, name: 'Tard', organisation: 'Asso' });
      const seen = (await late.start()).participants.find((p) => p.id === pid);
      assert.equal(seen && seen.asks, 'representative', `welcome on ${s.port}`);
      late.close();
    }

    // Declined: still a participant, the request gone.
    const declinedTold = jean.waitFor((m) => m.type === 'role' && !m.asks, 5000, 'the decline');
    const declined = await fac.must({ type: 'representative_answer', participant: pid, accept: false }, 'role');
    assert.deepEqual({ ...declined, id: undefined }, { type: 'role', participant: pid, role: 'participant', by: fac.participant.id, at: declined.at, id: undefined });
    assert.deepEqual(await declinedTold, { type: 'role', participant: pid, role: 'participant', by: fac.participant.id, at: declined.at });
    assert.equal((await storedPerson(h, w.id, pid)).asks, undefined);
    await fac.refused({ type: 'representative_answer', participant: pid, accept: true }, 'bad_request');

    // Asked again, accepted: a representative, who may no longer ask.
    await jean.must({ type: 'representative_request' }, 'role');
    await waitUntil(() => fac.log.some((x) => x.dir === 'in' && x.data.includes('"asks"') && x.data.includes(pid) && x.t > declined.at), 5000, 'the second request, on the other process');
    const accepted = await fac.must({ type: 'representative_answer', participant: pid, accept: true }, 'role');
    assert.equal(accepted.role, 'representative');
    assert.equal(accepted.asks, undefined);
    await waitUntil(() => jean.role === 'representative', 5000, 'Jean told');
    const record = await storedPerson(h, w.id, pid);
    assert.equal(record.role, 'representative');
    assert.equal(record.asks, undefined);
    await jean.refused({ type: 'representative_request' }, 'forbidden');

    // The history: the request, the decline, the request, the acceptance.
    const hist = await fetchAllHistory(s1.port, w.id, { only: 'marks' });
    assert.deepEqual(hist.events.filter((e) => e.type === 'role').map((e) => [e.role, e.asks, e.by]), [
      ['participant', 'representative', undefined], ['participant', undefined, fac.participant.id],
      ['participant', 'representative', undefined], ['representative', undefined, fac.participant.id]]);
    h.assertNoProblems();
  });
  test('a poll limited to representatives: only representatives vote, on either process; everyone else is forbidden and changes nothing', { timeout: 60000 }, async () => {
    const [s1, s2] = h.servers;
    const w = await s1.createWorkshop({ title: 'Représentant·es' });
    const { fac, jean, lea } = await cast(w, s1);
    const ballots = (poll) => h.redis.command('HGETALL', `atelier:{w:${w.id}}:ballots:${poll}`);
    const def = { kind: 'single', question: 'Signons-nous ?', choices: ['Oui', 'Non'], respondents: 'organisations' };

    // Only on a poll organisations answer, and only a boolean.
    await fac.refused({ type: 'poll_create', ...def, respondents: 'people', representatives_only: true }, 'bad_request');
    await fac.refused({ type: 'poll_create', ...def, representatives_only: 'yes' }, 'bad_request');
    const leaSees = lea.waitFor((m) => m.type === 'poll' && m.poll.representatives_only, 5000, 'the poll, on the other process');
    const { poll } = await fac.must({ type: 'poll_create', ...def, representatives_only: true, open: true, visibility: 'live' }, 'poll');
    assert.equal(poll.representatives_only, true);
    assert.equal((await leaSees).poll.id, poll.id);
    assert.equal(JSON.parse(await h.redis.command('HGET', `atelier:{w:${w.id}}:polls`, poll.id)).representatives_only, true);

    // Made a representative of Banque; Léa (Asso) and the facilitator (Ville) are not.
    await fac.must({ type: 'role_set', participant: jean.participant.id, role: 'representative' }, 'role');
    await waitUntil(() => jean.role === 'representative', 5000, 'Jean told');
    await lea.refused({ type: 'vote', poll: poll.id, ballot: 0 }, 'forbidden');
    await fac.refused({ type: 'vote', poll: poll.id, ballot: 0 }, 'forbidden');
    assert.deepEqual(await ballots(poll.id), []);
    const mine = await jean.must({ type: 'vote', poll: poll.id, ballot: 1 }, 'my_ballot');
    assert.deepEqual([mine.ballot, mine.by.participant], [1, jean.participant.id]);

    // Léa made one through the first process: her own process reads the role back, and her vote counts.
    await fac.must({ type: 'role_set', participant: lea.participant.id, role: 'representative' }, 'role');
    await waitUntil(() => lea.role === 'representative', 5000, 'Léa told, on the other process');
    await lea.must({ type: 'vote', poll: poll.id, ballot: 0 }, 'my_ballot');

    // Jean a participant again: he may no longer vote nor withdraw; Banque's answer stands.
    await fac.must({ type: 'role_set', participant: jean.participant.id, role: 'participant' }, 'role');
    await waitUntil(() => jean.role === 'participant', 5000, 'Jean a participant again');
    await jean.refused({ type: 'vote', poll: poll.id, ballot: null }, 'forbidden');
    const stored = await ballots(poll.id);
    assert.deepEqual(stored.filter((_, i) => i % 2 === 0).sort(), ['Asso', 'Banque']);
    // A welcome says the limit too.
    const late = h.client({ server: s2, workshop: w.id, name: 'Tard', organisation: 'Asso' });
    assert.equal((await late.start()).polls.find((p) => p.id === poll.id).representatives_only, true);
    late.close();
    h.assertNoProblems();
  });
  test('the exports: people with their roles, observers apart and never an organisation (md, html, json, csv; fr, en)', { timeout: 60000 }, async () => {
    const [s1, s2] = h.servers;
    const w = await s1.createWorkshop({ title: 'Qui était là' });
    const { fac, jean } = await cast(w, s1);
    await fac.must({ type: 'role_set', participant: jean.participant.id, role: 'representative' }, 'role');
    const { key } = await fac.must({ type: 'observer_link', action: 'create' }, 'observer_link');
    for (const [name, organisation] of [['Zoé', undefined], ['Inès', 'Fondation']]) {
      await h.client({ server: s2, workshop: w.id, name, organisation, observe: key }).start();
    }
    const exp = async (q) => {
      const r = await s1.http('GET', `/api/workshops/${w.id}/export?${q}`, { headers: bearer(w.facilitator_key), timeoutMs: 10000 });
      assert.equal(r.status, 200, `${q}: ${r.status} ${r.text.slice(0, 200)}`);
      return r.text;
    };
    const N = '\u202F';
    // Arrivals are marks written after the welcome: wait until the observers' are there.
    await waitUntil(async () => (await fetchAllHistory(s1.port, w.id, { only: 'marks' })).events.filter((e) => e.type === 'arrived').length === 5, 5000, 'five arrivals');

    const md = await exp('format=md&lang=fr');
    for (const want of [
      '· 3 personnes · 3 organisations · 2 observateur·rices\n',
      '| Asso | 1 |\n| Banque | 1 |\n| Ville | 1 |\n\n',
      `## Personnes\n\n- Asso${N}: Léa\n- Banque${N}: Jean (représentant·e)\n- Ville${N}: Awa (animateur·rice)\n- Observateur·rices (2)${N}: Inès (Fondation), Zoé\n\n`,
    ]) assert.ok(md.includes(want), `missing ${JSON.stringify(want)} in:\n${md}`);
    assert.ok(!md.includes('| Fondation |') && !md.includes('|  |'), md);
    assert.deepEqual(md.match(/Première arrivée.*$/gm), [`Première arrivée${N}: Ville`, `Première arrivée${N}: Banque`, `Première arrivée${N}: Asso`]);
    const mdEn = await exp('format=md&lang=en');
    assert.ok(mdEn.includes('· 3 people · 3 organisations · 2 observers\n'), mdEn);
    assert.ok(mdEn.includes('## People\n\n- Asso: Léa\n- Banque: Jean (representative)\n- Ville: Awa (facilitator)\n- Observers (2): Inès (Fondation), Zoé\n'), mdEn);
    const html = unhtml(await exp('format=html&lang=fr'));
    assert.ok(html.includes(`Banque${N}: Jean (représentant·e)`) && html.includes(`Observateur·rices (2)${N}: Inès (Fondation), Zoé`), html);

    const json = JSON.parse(await exp('format=json'));
    assert.deepEqual(json.participants.map((p) => [p.name, p.org, p.role]), [
      ['Awa', 'Ville', 'facilitator'], ['Inès', 'Fondation', 'observer'], ['Jean', 'Banque', 'representative'],
      ['Léa', 'Asso', 'participant'], ['Zoé', '', 'observer']]);

    for (const lang of ['fr', 'en']) {
      const moments = csvTables(await exp(`format=csv&lang=${lang}`)).pop();
      const arrivals = moments.filter((r) => r[1] === (lang === 'fr' ? 'Première arrivée' : 'First arrival')).map((r) => r[2]);
      assert.deepEqual(arrivals, ['Ville', 'Banque', 'Asso'], `${lang}: ${JSON.stringify(moments)}`);
    }
    h.assertNoProblems();
  });
  test('a role changed while the announcements could not be heard is read back when the subscription is up again', { timeout: 30000 }, async () => {
    const [s1] = h.servers;
    const w = await s1.createWorkshop({ title: 'Pas entendu' });
    const { fac, jean } = await cast(w, s1);
    // Changed behind the processes' backs: the record only, no announcement.
    const record = await storedPerson(h, w.id, jean.participant.id);
    await h.redis.command('HSET', peopleKey(w.id), jean.participant.id, JSON.stringify({ ...record, role: 'representative' }));
    const told = [fac, jean].map((c) => c.waitFor((m) => m.type === 'role' && m.participant === jean.participant.id, 10000, `${c.tag}: the role, read back`));
    await h.redis.command('CLIENT', 'KILL', 'TYPE', 'pubsub');
    for (const m of await Promise.all(told)) {
      assert.deepEqual([m.role, m.asks, m.by], ['representative', undefined, undefined]);
      assert.equal(typeof m.at, 'number');
    }
    // Its rights follow: a representative may no longer ask to be one.
    await jean.refused({ type: 'representative_request' }, 'forbidden');
    h.assertNoProblems();
  });
  test('a participant who resumes with the facilitator key is a facilitator in the stored record too', { timeout: 30000 }, async () => {
    const [s1, s2] = h.servers;
    const w = await s1.createWorkshop({ title: 'Promu·e' });
    const { jean } = await cast(w, s1);
    await jean.must({ type: 'representative_request' }, 'role');
    assert.equal((await storedPerson(h, w.id, jean.participant.id)).asks, 'representative');
    const promoted = h.twin(jean, { server: s2, key: w.facilitator_key });
    promoted.role = 'facilitator'; // the role it expects back (the harness checks a resume keeps it)
    const welcome = await promoted.start();
    assert.deepEqual([welcome.role, welcome.participant.role, welcome.participant.asks], ['facilitator', 'facilitator', undefined]);
    const record = await storedPerson(h, w.id, jean.participant.id);
    assert.deepEqual([record.role, record.asks, record.name, record.organisation], ['facilitator', undefined, 'Jean', 'Banque']);
    // A process that loads the workshop afterwards reads it so.
    const s3 = await h.addServer();
    const late = h.client({ server: s3, workshop: w.id, name: 'Tard', organisation: 'Asso' });
    const seen = late.waitFor((m) => m.type === 'arrived' && m.participant.id === jean.participant.id, 5000, 'Jean, on the new process');
    const wl = await late.start();
    const jeanThere = wl.participants.find((p) => p.id === jean.participant.id) || (await seen).participant;
    assert.equal(jeanThere.role, 'facilitator');
    h.assertNoProblems();
  });
});
