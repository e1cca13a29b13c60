'use strict';
// The priorities board (protocol/board.md), on two server processes sharing
// one Redis.
//
// Three organisations add items at once through both processes: everyone
// converges on the same board (Redis' own). Before the reveal nothing of
// another organisation reaches a participant or an observer, over WebSocket
// (welcome and `board` messages) or HTTP (public /history and /state); the
// facilitator sees everything; one step reveals. Two members of one
// organisation edit one item at once through two processes: the last writer
// wins per field, both end with the same item. Grouping, ungrouping, the
// server's suggestions, moderation, limits and bad input (refused, nothing
// stored), the events in the history and /state?at, and the exports.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Harness, waitUntil, getJson, must, refusedWith, fetchAllHistory, bearer, csvTables } = require('./harness');

const boardKey = (id) => `atelier:{w:${id}}:board`;
const lastBoard = (c) => {
  for (let i = c.log.length - 1; i >= 0; i--) {
    const m = c.log[i];
    if (m.dir !== 'in') continue;
    const data = JSON.parse(m.data);
    if (data.type === 'board') return data;
    if (data.type === 'welcome') return data.board;
  }
  return null;
};
const titles = (b) => b.items.map((i) => `${i.org}:${i.title}`).sort();

describe('the priorities board', { timeout: 120000 }, () => {
  let h;
  before(async () => { h = await Harness.start({ servers: 2 }); }, { timeout: 30000 });
  after(async () => { if (h) await h.close(); }, { timeout: 30000 });

  test('items through two processes, the reveal rule, LWW per field, groups and suggestions', { timeout: 60000 }, async () => {
    const [s1, s2] = h.servers;
    const w = await s1.createWorkshop({ title: 'Tableau', text: 'Énoncé\n' });
    const fac = h.client({ server: s1, workshop: w.id, name: 'Awa', organisation: 'Ville', key: w.facilitator_key });
    const jean = h.client({ server: s1, workshop: w.id, name: 'Jean', organisation: 'Banque' });
    const jeanne = h.client({ server: s2, workshop: w.id, name: 'Jeanne', organisation: 'Banque' });
    const lea = h.client({ server: s2, workshop: w.id, name: 'Léa', organisation: 'Asso' });
    const welcome = await fac.start();
    for (const c of [jean, jeanne, lea]) await c.start();
    assert.deepEqual(welcome.board, { settings: { visibility: 'revealed', revealed: false, grouping: 'facilitator' }, items: [], groups: [], suggestions: [] });

    // Three organisations at once, through both processes.
    const adds = await Promise.all([
      must(jean, { type: 'board_add', kind: 'priority', title: 'Accès aux droits', why: 'Le non-recours' }, 'board'),
      must(lea, { type: 'board_add', kind: 'priority', title: "l'accès au droit" }, 'board'),
      must(fac, { type: 'board_add', kind: 'priority', title: 'Emploi des jeunes' }, 'board'),
      must(jeanne, { type: 'board_add', kind: 'strength', title: 'Logement des jeunes', why: 'Un parc de 300 logements' }, 'board'),
      must(lea, { type: 'board_add', kind: 'practice', title: 'Housing first' }, 'board'),
      must(fac, { type: 'board_add', kind: 'practice', title: 'housing' }, 'board'),
    ]);
    assert.ok(adds.every((b) => b.items.length >= 1));
    await waitUntil(() => lastBoard(fac).items.length === 6, 5000, 'the facilitator sees six items');
    // Before the reveal: each organisation sees only its own, on both processes.
    await waitUntil(() => lastBoard(jeanne).items.length === 2 && lastBoard(jean).items.length === 2, 5000, 'Banque sees its two');
    for (const [c, org] of [[jean, 'Banque'], [jeanne, 'Banque'], [lea, 'Asso']]) {
      for (const m of c.log.filter((x) => x.dir === 'in')) {
        const data = JSON.parse(m.data);
        const board = data.type === 'board' ? data : data.type === 'welcome' ? data.board : null;
        if (board) assert.deepEqual(board.items.filter((i) => i.org !== org), [], `${c.tag} got another organisation's item`);
        assert.ok(!m.data.includes('Emploi des jeunes') || org === 'Ville', `${c.tag} heard of Ville's item`);
      }
      assert.equal(lastBoard(c).suggestions, undefined, 'participants get no suggestions');
    }
    const items = Object.fromEntries(lastBoard(fac).items.map((i) => [i.title, i]));
    // The server's suggestions (facilitator): accents, plurals, stop words; not Emploi ~ Logement.
    const sug = lastBoard(fac).suggestions.map((s) => s.map((id) => lastBoard(fac).items.find((i) => i.id === id).title).sort());
    assert.deepEqual(sug.sort(), [['Accès aux droits', "l'accès au droit"], ['Housing first', 'housing']]);

    // An observer, and the public history and state: nothing before the reveal.
    const okey = (await must(fac, { type: 'observer_link', action: 'create' }, 'observer_link')).key;
    const obs = h.client({ server: s2, workshop: w.id, name: 'Inès', organisation: 'Banque', observe: okey });
    const ow = await obs.start();
    assert.deepEqual(ow.board.items, [], 'an observer sees nothing before the reveal');
    const pub = await fetchAllHistory(s2.port, w.id);
    assert.equal(pub.events.filter((e) => e.type === 'board_added').length, 0, 'public history: no item before the reveal');
    assert.ok(!JSON.stringify(pub).includes('Accès aux droits'));
    const pubState = await getJson(s1.port, `/api/workshops/${w.id}/state?at=${Date.now() + 1000}`);
    assert.deepEqual(pubState.json.board.items, []);
    const facState = await getJson(s1.port, `/api/workshops/${w.id}/state?at=${Date.now() + 1000}`, { key: w.facilitator_key });
    assert.equal(facState.json.board.items.length, 6);

    // Bad input and rights: refused, nothing stored.
    const before = await h.redis.command('HGETALL', boardKey(w.id));
    await refusedWith(jean, { type: 'board_add', kind: 'wish', title: 'x' }, 'bad_request');
    await refusedWith(jean, { type: 'board_add', kind: 'priority', title: '   ' }, 'bad_request');
    await refusedWith(jean, { type: 'board_add', kind: 'priority', title: 'x'.repeat(121) }, 'bad_request');
    await refusedWith(jean, { type: 'board_add', kind: 'priority', title: 'ok', why: 'a\nb' }, 'bad_request');
    await refusedWith(jean, { type: 'board_edit', item: items['Accès aux droits'].id }, 'bad_request');
    await refusedWith(jean, { type: 'board_edit', item: 'nope!', title: 'x' }, 'bad_request');
    await refusedWith(jean, { type: 'board_edit', item: 'AAAAAAAAAAA', title: 'x' }, 'not_found');
    await refusedWith(lea, { type: 'board_edit', item: items['Accès aux droits'].id, title: 'Piraté' }, 'forbidden');
    await refusedWith(lea, { type: 'board_delete', item: items['Accès aux droits'].id }, 'forbidden');
    await refusedWith(jean, { type: 'board_group', items: [items['Accès aux droits'].id, items["l'accès au droit"].id] }, 'forbidden');
    await refusedWith(obs, { type: 'board_add', kind: 'priority', title: 'x' }, 'forbidden');
    await refusedWith(fac, { type: 'board_group', items: [items.housing.id] }, 'bad_request');
    await refusedWith(fac, { type: 'board_settings', visibility: 'sometimes' }, 'bad_request');
    assert.deepEqual(await h.redis.command('HGETALL', boardKey(w.id)), before);

    // LWW per field: two members of Banque edit one item at once, through two processes.
    const id = items['Accès aux droits'].id;
    await Promise.all([
      must(jean, { type: 'board_edit', item: id, title: 'Accès aux droits sociaux' }, 'board'),
      must(jeanne, { type: 'board_edit', item: id, title: 'Droits', why: 'Le non-recours aux aides' }, 'board'),
    ]);
    const stored = await h.redis.command('HGET', boardKey(w.id), `${id}:title`);
    assert.ok(['Accès aux droits sociaux', 'Droits'].includes(stored));
    const final = (c) => lastBoard(c).items.find((i) => i.id === id);
    await waitUntil(() => final(jean).title === stored && final(jeanne).title === stored && final(fac).title === stored, 5000, 'both converge');
    assert.equal(final(jean).why, 'Le non-recours aux aides');
    assert.deepEqual(final(jean), final(jeanne));
    // Again, ten times, each round both fields raced: every client ends with Redis' fields.
    for (let round = 0; round < 10; round++) {
      await Promise.all([
        must(jean, { type: 'board_edit', item: id, title: `Jean ${round}`, why: `pourquoi de Jean ${round}` }, 'board'),
        must(jeanne, { type: 'board_edit', item: id, title: `Jeanne ${round}` }, 'board'),
        must(jeanne, { type: 'board_edit', item: id, why: `pourquoi de Jeanne ${round}` }, 'board'),
      ]);
      const [t, y] = [await h.redis.command('HGET', boardKey(w.id), `${id}:title`), await h.redis.command('HGET', boardKey(w.id), `${id}:why`)];
      assert.ok([`Jean ${round}`, `Jeanne ${round}`].includes(t) && [`pourquoi de Jean ${round}`, `pourquoi de Jeanne ${round}`].includes(y));
      await waitUntil(() => [jean, jeanne, fac].every((c) => final(c).title === t && final(c).why === y), 5000, `round ${round}: converged on Redis' item`);
    }
    await must(jean, { type: 'board_edit', item: id, title: 'Droits', why: 'Le non-recours aux aides' }, 'board');

    // The reveal: one step; everyone, on both processes, sees the whole board.
    await must(fac, { type: 'board_settings', revealed: true }, 'board');
    for (const c of [jean, jeanne, lea, obs]) await waitUntil(() => lastBoard(c).items.length === 6, 5000, `${c.tag} sees the board`);
    assert.deepEqual(titles(lastBoard(lea)), titles(lastBoard(fac)));

    // Groups: accept a suggestion, drag one onto another, ungroup.
    await must(fac, { type: 'board_group', items: [items['Housing first'].id, items.housing.id] }, 'board');
    await must(fac, { type: 'board_group', items: [items['Housing first'].id, items['Logement des jeunes'].id] }, 'board');
    await waitUntil(() => lastBoard(lea).groups.length === 1 && lastBoard(lea).groups[0].items.length === 3, 5000, 'one group of three');
    await refusedWith(fac, { type: 'board_group', items: [items.housing.id, items['Housing first'].id] }, 'bad_request');
    await must(fac, { type: 'board_ungroup', item: items['Logement des jeunes'].id }, 'board');
    await waitUntil(() => lastBoard(jean).groups[0]?.items.length === 2, 5000, 'back to two');
    // Representatives group once allowed.
    await must(fac, { type: 'role_set', participant: jean.participant.id, role: 'representative' }, 'role');
    await must(fac, { type: 'board_settings', grouping: 'representatives' }, 'board');
    await waitUntil(() => Array.isArray(lastBoard(jean).suggestions), 5000, 'the representative gets suggestions');
    await must(jean, { type: 'board_group', items: [id, items["l'accès au droit"].id] }, 'board');
    // Moderation: the facilitator removes another organisation's item; its group goes with it.
    await must(fac, { type: 'board_delete', item: items.housing.id }, 'board');
    await waitUntil(() => lastBoard(jeanne).items.length === 5 && lastBoard(jeanne).groups.length === 1, 5000, 'removed everywhere');

    // The record: events in the facilitator's history, the board at a moment.
    const hist = await fetchAllHistory(s1.port, w.id, { key: w.facilitator_key });
    const types = hist.events.filter((e) => e.type.startsWith('board_')).map((e) => e.type);
    for (const t of ['board_added', 'board_edited', 'board_revealed', 'board_settings', 'board_grouped', 'board_ungrouped', 'board_deleted'])
      assert.ok(types.includes(t), `${t} in the history`);
    const added = hist.events.find((e) => e.type === 'board_added');
    assert.ok(added.by && added.name && added.board.item && added.board.org);
    const revealedAt = hist.events.find((e) => e.type === 'board_revealed').t;
    const then = await getJson(s2.port, `/api/workshops/${w.id}/state?at=${revealedAt}`);
    assert.equal(then.json.board.items.length, 6, 'public state at the reveal: the whole board');
    const now = await getJson(s2.port, `/api/workshops/${w.id}/state?at=${Date.now() + 1000}`);
    assert.deepEqual(titles(now.json.board), titles(lastBoard(fac)));
    assert.deepEqual(now.json.board.groups.map((g) => g.items.sort()), lastBoard(fac).groups.map((g) => g.items.sort()));
    // The public history after the reveal shows the events written while open.
    const pub2 = await fetchAllHistory(s2.port, w.id);
    assert.ok(pub2.events.some((e) => e.type === 'board_grouped'));
    assert.ok(!pub2.events.some((e) => e.type === 'board_added'), 'the items added while hidden stay out of the public history');
    // ... but the reveal's event carries the whole board then, so a public replay shows it from there.
    const revealed = pub2.events.find((e) => e.type === 'board_revealed');
    assert.equal(revealed.board.snapshot.items.length, 6);
    assert.ok(revealed.board.snapshot.items.every((i) => i.item && i.org && i.title && Number.isInteger(i.at)));
    assert.deepEqual(revealed.board.snapshot.groups, {});

    // A process that loads the workshop afresh has the same board.
    const late = h.client({ server: s2, workshop: w.id, name: 'Zoé', organisation: 'Asso' });
    assert.deepEqual(titles((await late.start()).board), titles(lastBoard(fac)));
  });

  test('a burst: 45 additions at once through both processes, each answered, one board everywhere', { timeout: 30000 }, async () => {
    const [s1, s2] = h.servers;
    const w = await s1.createWorkshop({ title: 'Rafale' });
    const people = [['Awa', 'Ville', s1, w.facilitator_key], ['Jean', 'Banque', s2], ['Léa', 'Asso', s1], ['Zoé', 'Asso', s2], ['Max', 'Banque', s1]];
    const clients = people.map(([name, organisation, server, key]) => h.client({ server, workshop: w.id, name, organisation, key }));
    for (const c of clients) await c.start();
    const sent = [];
    for (let i = 0; i < 9; i++) for (const c of clients) sent.push(must(c, { type: 'board_add', kind: 'priority', title: `${c.name} ${i}` }, 'board'));
    const replies = await Promise.all(sent);
    for (const [k, r] of replies.entries()) assert.ok(r.items.some((it) => it.title === `${people[k % 5][0]} ${Math.floor(k / 5)}`), 'each reply shows its own item');
    await waitUntil(() => clients.every((c) => lastBoard(c).items.length === (c.organisation === 'Ville' ? 45 : c.organisation === 'Asso' ? 18 : 18)), 10000, 'everyone has the whole board they may see');
    assert.deepEqual(titles(lastBoard(clients[0])).length, 45);
  });

  test('limits: 30 items per organisation, refused before anything is stored', { timeout: 30000 }, async () => {
    const s = h.servers[0];
    const w = await s.createWorkshop({ title: 'Limites' });
    const c = h.client({ server: s, workshop: w.id, name: 'Max', organisation: 'Org' });
    await c.start();
    for (let i = 0; i < 30; i++) await must(c, { type: 'board_add', kind: 'priority', title: `Priorité ${i}` }, 'board');
    await refusedWith(c, { type: 'board_add', kind: 'priority', title: 'Une de trop' }, 'too_large');
    assert.equal((await h.redis.command('HKEYS', boardKey(w.id))).filter((k) => !k.includes(':')).length, 30);
    // Made live while hidden: that opens the board too, with its snapshot for the public history.
    const f0 = h.client({ server: s, workshop: w.id, name: 'Awa', organisation: 'Ville', key: w.facilitator_key });
    await f0.start();
    await must(f0, { type: 'board_settings', visibility: 'live' }, 'board');
    const pub = await fetchAllHistory(s.port, w.id);
    const opened = pub.events.find((e) => e.type === 'board_revealed');
    assert.equal(opened.board.snapshot.items.length, 30);
    assert.equal(opened.board.settings.visibility, 'live');
    const w2 = await s.createWorkshop({ title: 'Fin' });
    const f = h.client({ server: s, workshop: w2.id, name: 'Awa', organisation: 'Ville', key: w2.facilitator_key });
    await f.start();
    await must(f, { type: 'workshop_end' }, 'workshop');
    await refusedWith(f, { type: 'board_add', kind: 'priority', title: 'Après' }, 'ended');
  });

  test('exports: the board by organisation and its columns (md, html, csv, json; fr, en)', { timeout: 30000 }, async () => {
    const s = h.servers[0];
    const w = await s.createWorkshop({ title: 'Exports du tableau' });
    const fac = h.client({ server: s, workshop: w.id, name: 'Awa', organisation: 'Ville', key: w.facilitator_key });
    const jean = h.client({ server: s, workshop: w.id, name: 'Jean', organisation: 'Banque' });
    const lea = h.client({ server: s, workshop: w.id, name: 'Léa', organisation: 'Asso' });
    for (const c of [fac, jean, lea]) await c.start();
    const id = async (c, kind, title, why) => (await must(c, { type: 'board_add', kind, title, why }, 'board')).items.find((i) => i.title === title).id;
    const a = await id(fac, 'priority', 'Accès aux droits', 'Le non-recours');
    const b = await id(jean, 'priority', "L'accès au droit");
    const c2 = await id(lea, 'practice', 'Accès au droit');
    const e = await id(jean, 'strength', 'Emploi des jeunes');
    const f = await id(lea, 'priority', '=Insertion des jeunes');
    await id(fac, 'strength', 'Mobilité');
    await must(fac, { type: 'board_group', items: [a, b, c2] }, 'board');
    await must(fac, { type: 'board_group', items: [e, f] }, 'board');
    const exp = async (q) => {
      const r = await s.http('GET', `/api/workshops/${w.id}/export?${q}`, { headers: bearer(w.facilitator_key), timeoutMs: 10000 });
      assert.equal(r.status, 200, `${q}: ${r.text.slice(0, 200)}`);
      return r.text;
    };
    const md = await exp('format=md&lang=fr');
    assert.match(md, /## Tableau des priorités/);
    assert.match(md, /### Par organisation/);
    assert.match(md, /- Priorité\u202f: Accès aux droits — Le non-recours/);
    assert.match(md, /### Commun à toutes les organisations\n+- Accès aux droits \(Ville\) · L'accès au droit \(Banque\) · Accès au droit \(Asso\) — toutes les organisations/);
    assert.match(md, /### Partagé par certaines organisations\n+- Emploi des jeunes \(Banque\) · =Insertion des jeunes \(Asso\)/);
    assert.match(md, /### Propre à une organisation\n+- Mobilité \(Ville\)/);
    const en = await exp('format=md&lang=en');
    assert.match(en, /## Priorities board/);
    assert.match(en, /### Common to all organisations\n+- Accès aux droits \(Ville\)/);
    assert.match(en, /- Strength: Mobilité/);
    assert.match(await exp('format=html&lang=fr'), /Tableau des priorités/);
    const tables = csvTables(await exp('format=csv&lang=fr'));
    const board = tables.find((t) => t[0] && t[0][0] === 'Organisation' && t[0][2] === 'Intitulé');
    assert.ok(board, 'a table for the board');
    assert.deepEqual(board[0], ['Organisation', 'Type', 'Intitulé', 'Pourquoi', 'Colonne', 'Groupe']);
    assert.deepEqual(board.slice(1).map((r) => [r[0], r[2], r[4], r[5]]), [
      ['Ville', 'Accès aux droits', 'Commun à toutes les organisations', '1'],
      ['Ville', 'Mobilité', 'Propre à une organisation', ''],
      ['Banque', "L'accès au droit", 'Commun à toutes les organisations', '1'],
      ['Banque', 'Emploi des jeunes', 'Partagé par certaines organisations', '2'],
      ['Asso', 'Accès au droit', 'Commun à toutes les organisations', '1'],
      ['Asso', "'=Insertion des jeunes", 'Partagé par certaines organisations', '2'],
    ]);
    const enTables = csvTables(await exp('format=csv&lang=en'));
    assert.ok(enTables.some((t) => t[0] && t[0].join(';') === 'Organisation;Kind;Title;Why;Column;Group'));
    const json = JSON.parse(await exp('format=json'));
    assert.equal(json.board.items.length, 6);
    assert.deepEqual(json.board.columns.common.map((x) => x.organisations), [['Ville', 'Banque', 'Asso']]);
    assert.deepEqual(json.board.columns.shared.map((x) => x.items.sort()), [[e, f].sort()]);
    assert.equal(json.board.columns.unique.length, 1);
    assert.ok(json.events.some((ev) => ev.type === 'board_grouped'));
    // Deleting the workshop takes the board's keys with it.
    assert.equal((await s.http('DELETE', `/api/workshops/${w.id}`, { headers: bearer(w.facilitator_key) })).status, 204);
    assert.deepEqual(await h.redis.command('KEYS', `atelier:{w:${w.id}}:*`), []);
  });
});
