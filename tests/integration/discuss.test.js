'use strict';
// The "to discuss" list (protocol/polls.md, "To discuss") on two server
// processes sharing one Redis: the facilitator puts a divergent rank poll
// about a passage on the list; everyone, on both processes, gets the same
// list (the poll's question, its passage, its alignment then); it is in the
// welcome of a newcomer; participants are refused (forbidden, nothing
// stored); bad requests are refused; ticking off and removing reach
// everyone; the history has each event with the list after it and
// /state?at= gives the list as it stood.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Harness, waitUntil, must, refusedWith, getJson, fetchAllHistory, metaKey, received, bearer, csvTables } = require('./harness');

describe('the to-discuss list', { timeout: 60000 }, () => {
  let h;
  before(async () => { h = await Harness.start({ servers: 2 }); }, { timeout: 30000 });
  after(async () => { if (h) await h.close(); }, { timeout: 30000 });

  test('a divergent poll put on the list: live for everyone, ticked off, removed, in the record', { timeout: 40000 }, async () => {
    const [s1, s2] = h.servers;
    const w = await s1.createWorkshop({ title: 'À discuter', text: "Nous voulons plus d'emplois.\n" });
    const fac = h.client({ server: s1, workshop: w.id, name: 'Awa', organisation: 'Animation', key: w.facilitator_key });
    await fac.start();
    const people = [];
    // The voters on one process: each ballot's event then carries every
    // ballot before it (the exports read the last one); a watcher on the other.
    for (const [i, org] of ['Asso', 'Asso', 'Ville', 'Ville', 'Banque'].entries()) {
      const c = h.client({ server: i === 4 ? s2 : s1, workshop: w.id, name: `P${i}`, organisation: org });
      await c.start();
      people.push(c);
    }
    const poll = (await must(fac, { type: 'poll_create', kind: 'rank', question: 'Quelle priorité ?', choices: ['Emploi', 'Logement'],
      threshold: 2, open: true, visibility: 'live', passage: { start: 13, end: 27, rev: 0 } }, 'poll')).poll;
    const draft = (await must(fac, { type: 'poll_create', kind: 'scale', question: 'Brouillon ?' }, 'poll')).poll;
    await waitUntil(() => people.every((c) => received(c, 'poll').some((m) => m.poll.id === poll.id)), 5000, 'the poll reaches everyone');
    // Asso puts Emploi first, Ville Logement: divergent.
    for (const [i, b] of [[0, 1], [0, 1], [1, 0], [1, 0]].entries()) await must(people[i], { type: 'vote', poll: poll.id, ballot: b }, 'my_ballot');

    // Participants may not touch the list; bad requests change nothing.
    await refusedWith(people[0], { type: 'discuss_add', poll: poll.id }, 'forbidden');
    await refusedWith(people[1], { type: 'discuss_remove', item: 1 }, 'forbidden');
    await refusedWith(fac, { type: 'discuss_add', poll: 'AAAAAAAAAAA' }, 'not_found');
    await refusedWith(fac, { type: 'discuss_add', poll: draft.id }, 'not_found');
    await refusedWith(fac, { type: 'discuss_add', poll: 12 }, 'bad_request');
    await refusedWith(fac, { type: 'discuss_check', item: 1, done: true }, 'not_found');
    assert.equal(await h.redis.command('HGET', metaKey(w.id), 'discuss'), null);

    const added = await must(fac, { type: 'discuss_add', poll: poll.id }, 'discuss');
    assert.equal(added.items.length, 1);
    const item = added.items[0];
    assert.deepEqual({ ...item, added: 0 }, {
      id: 1, poll: poll.id, question: 'Quelle priorité ?', passage: "plus d'emplois",
      alignment: { divergence: 1, label: 'divergent' }, done: false, added: 0, by: 'Awa' });
    await refusedWith(fac, { type: 'discuss_add', poll: poll.id }, 'bad_request'); // on the list already
    await refusedWith(fac, { type: 'discuss_check', item: 1, done: 'yes' }, 'bad_request');
    for (const c of people) {
      await waitUntil(() => received(c, 'discuss').some((m) => m.items.length === 1 && m.items[0].id === 1), 5000, `${c.tag} gets the list`);
    }
    const late = h.client({ server: s2, workshop: w.id, name: 'Tard', organisation: 'Asso' });
    const welcome = await late.start();
    assert.deepEqual(welcome.discuss, added.items);

    // Ticked off, then removed: everyone follows.
    const checked = await must(fac, { type: 'discuss_check', item: 1, done: true }, 'discuss');
    assert.equal(checked.items[0].done, true);
    await waitUntil(() => received(late, 'discuss').some((m) => m.items[0]?.done === true), 5000, 'ticked off, on process 2');
    // Ticked off, the poll may go on the list again.
    const again = await must(fac, { type: 'discuss_add', poll: poll.id }, 'discuss');
    assert.deepEqual(again.items.map((i) => [i.id, i.done]), [[1, true], [2, false]]);
    const removed = await must(fac, { type: 'discuss_remove', item: 1 }, 'discuss');
    assert.deepEqual(removed.items.map((i) => i.id), [2]);
    await waitUntil(() => received(people[4], 'discuss').some((m) => m.items.length === 1 && m.items[0].id === 2), 5000, 'removed, on process 2');
    const stored = JSON.parse(await h.redis.command('HGET', metaKey(w.id), 'discuss'));
    assert.equal(stored.next, 2);
    assert.deepEqual(stored.items, removed.items);

    // The record: four events with the list after each; /state?at= at each.
    const hist = await fetchAllHistory(s2.port, w.id, { key: w.facilitator_key });
    const evs = hist.events.filter((e) => e.type.startsWith('discuss_'));
    assert.deepEqual(evs.map((e) => [e.type, e.item, e.items.length, e.name]),
      [['discuss_added', 1, 1, 'Awa'], ['discuss_checked', 1, 1, 'Awa'], ['discuss_added', 2, 2, 'Awa'], ['discuss_removed', 1, 1, 'Awa']]);
    for (const [k, e] of evs.entries()) {
      const st = await getJson(s1.port, `/api/workshops/${w.id}/state?at=${e.t}`, { key: w.facilitator_key });
      assert.equal(st.status, 200);
      // Events in the same millisecond: the state at that time is the last of them.
      const lastAtT = evs.filter((x) => x.t === e.t).pop();
      assert.deepEqual(st.json.discuss, lastAtT.items, `state at event ${k}`);
    }
    const before = await getJson(s1.port, `/api/workshops/${w.id}/state?at=${evs[0].t - 1}`);
    assert.deepEqual(before.json.discuss, []);

    // The exports: the ranking (Borda points, mean ranks, per organisation), the passage, the list.
    const exp = async (q) => {
      const r = await s1.http('GET', `/api/workshops/${w.id}/export?${q}`, { headers: bearer(w.facilitator_key), timeoutMs: 10000 });
      assert.equal(r.status, 200, `${q}: ${r.text.slice(0, 200)}`);
      return r.text;
    };
    const N = '\u202f';
    const fr = await exp('format=md&lang=fr');
    assert.ok(fr.includes('classement · ouvert'), fr);
    assert.ok(fr.includes(`| Choix${N}: points de Borda (rang moyen) | Tous | Asso | Ville |`), 'the ranking table, per organisation');
    assert.ok(fr.includes('| Emploi | 2 (1,50) | 2 (1,00) | 0 (2,00) |'), 'Borda points and mean ranks');
    assert.ok(fr.includes(`À propos du passage${N}:\n\n> plus d'emplois`), 'the passage quoted');
    assert.ok(fr.includes(`## À discuter\n\n- \\[à faire\\] Quelle priorité ? «${N}plus d'emplois${N}» (organisations divergentes, écart 1,00) — ajouté par Awa le `),
      'the list to discuss');
    assert.ok(fr.includes(`Une organisation n'est détaillée qu'à partir de 2 répondants`), 'the threshold');
    const en = await exp('format=md&lang=en');
    assert.ok(en.includes('| Choice: Borda points (mean rank) | All | Asso | Ville |'));
    assert.ok(en.includes("## To discuss\n\n- \\[to do\\] Quelle priorité ? plus d'emplois (divergent, divergence 1.00) — added by Awa on "));
    const csv = await exp('format=csv&lang=fr');
    assert.ok(csv.includes(`1;Quelle priorité ?;classement;ouvert;Asso;2;Emploi;2;1,00;organisations divergentes`), csv);
    assert.ok(csv.includes(`1;Quelle priorité ?;classement;ouvert;Asso;2;Rang moyen : Emploi;1,00;1,00;organisations divergentes`));
    assert.ok(csv.includes(`N°;Question;Passage (final);Passage au premier vote;Changé\r\n1;Quelle priorité ?;plus d'emplois;plus d'emplois;non`), csv);
    assert.ok(csv.includes(`Point;Question;Passage;Écart;Alignement;État;Ajouté le (UTC);Par\r\n2;Quelle priorité ?;plus d'emplois;1,00;organisations divergentes;à faire;`));
    const csvEn = await exp('format=csv&lang=en');
    assert.ok(csvEn.includes('Item;Question;Passage;Divergence;Alignment;State;Added on (UTC);By'), csvEn);
    // A damaged list in Redis: the workshop is refused when a process loads it, never run on a guess.
    const w2 = await s1.createWorkshop({ title: 'Abîmé', text: 'x\n' });
    await h.redis.command('HSET', metaKey(w2.id), 'discuss', '{"next":1,"items":[{"id":5}]}');
    const broken = h.client({ server: s2, workshop: w2.id, name: 'Awa', organisation: 'Animation', key: w2.facilitator_key });
    await broken.open();
    const refused = await broken.request(broken.joinMessage());
    assert.equal(refused.type, 'error');
    assert.equal(refused.code, 'internal');
    assert.match(refused.message, /damaged/);
    broken.close();

    const json = JSON.parse(await exp('format=json&lang=fr'));
    assert.ok(JSON.stringify(json).includes('discuss_added'), 'the JSON log has the events');
    h.assertNoProblems();
  });
});
