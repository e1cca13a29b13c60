'use strict';
// Damaged records in Redis (issue 14, item 10): what the server reads back
// when it loads a workshop may be damaged (a bug of another version, a hand
// edit, a restore gone wrong). Each kind of record is damaged in turn, in a
// workshop of its own; a server process that has not loaded it yet is asked
// to: the join is refused with `internal` ("the stored data of this workshop
// is damaged"), the damage is logged, the process keeps running and keeps
// serving another workshop (a join and an acknowledged edit), and the
// damaged workshop is left as it is (nothing rewritten).

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { Harness, must, waitUntil } = require('./harness');

const DAMAGED = 'the stored data of this workshop is damaged';

// Each kind: how to damage a workshop's records (k names its keys).
const KINDS = {
  'meta: created': (r, k) => r.command('HSET', k('meta'), 'created', 'hier'),
  'meta: state': (r, k) => r.command('HSET', k('meta'), 'state', 'peut-être'),
  'meta: facilitator key': (r, k) => r.command('HSET', k('meta'), 'fkey', 'pas une clé !'),
  'meta: time zone': (r, k) => r.command('HSET', k('meta'), 'time_zone', '../../etc/passwd'),
  'meta: resync time': (r, k) => r.command('HSET', k('meta'), 'resync_until', 'bientôt'),
  'participant record': async (r, k) => {
    const people = await r.command('HKEYS', k('people'));
    await r.command('HSET', k('people'), people[0], '{"name":"Awa","organisation":');
  },
  'participant record: a name of spaces': async (r, k) => {
    const people = await r.command('HKEYS', k('people'));
    await r.command('HSET', k('people'), people[0], '{"name":"   ","organisation":"Ville","role":"participant","secret":"AAAAAAAAAAAAAAAAAAAAAA"}');
  },
  'poll record': async (r, k) => {
    const polls = await r.command('HKEYS', k('polls'));
    await r.command('HSET', k('polls'), polls[0], '{"v":1,"id":');
  },
  ballot: async (r, k) => {
    const polls = await r.command('HKEYS', k('polls'));
    const voters = await r.command('HKEYS', k(`ballots:${polls[0]}`));
    await r.command('HSET', k(`ballots:${polls[0]}`), voters[0], '{"ballot":"beaucoup"}');
  },
  'agenda JSON': (r, k) => r.command('HSET', k('meta'), 'agenda', '[{"id":"what","title":'),
  'timer JSON': (r, k) => r.command('HSET', k('meta'), 'timer', '{"phase":"what","started_at":"tôt"}'),
  'sign-off call': (r, k) => r.command('HSET', k('meta'), 'signoff', '{"open":"oui"}'),
  'sign-off agreement': (r, k) => r.command('HSET', k('meta'), 'agreed', '{"rev":'),
  'sign-off decision': (r, k) => r.command('HSET', k('signoff'), 'Banque', '{"decision":"peut-être"}'),
  // issue 16: the priorities board (protocol/board.md)
  'board item': (r, k) => r.command('HSET', k('board'), 'Xq3bT9aK0cE', '{"org":"Ville","kind":'),
  'board item: a text without its item': (r, k) => r.command('HSET', k('board'), 'Xq3bT9aK0cE:title', 'Orphelin'),
  'board settings': (r, k) => r.command('HSET', k('meta'), 'board', '{"visibility":"parfois"}'),
};

describe('damaged records', { timeout: 120000 }, () => {
  let h;
  before(async () => { h = await Harness.start({ servers: 2 }); }, { timeout: 30000 });
  after(async () => { if (h) await h.close(); }, { timeout: 30000 });

  // A workshop with a bit of everything, written through the first process.
  async function furnished(title) {
    const [s1] = h.servers;
    const w = await s1.createWorkshop({ title, text: 'Quoi ?\n' });
    const fac = h.client({ server: s1, workshop: w.id, name: 'Awa', organisation: 'Ville', key: w.facilitator_key });
    const jean = h.client({ server: s1, workshop: w.id, name: 'Jean', organisation: 'Banque' });
    await fac.start();
    await jean.start();
    const poll = (await must(fac, { type: 'poll_create', kind: 'single', question: 'Oui ?', choices: ['Oui', 'Non'], open: true }, 'poll')).poll;
    await must(jean, { type: 'vote', poll: poll.id, ballot: 0 }, 'my_ballot');
    await must(fac, { type: 'phase_start', phase: 'what' }, 'agenda');
    await must(fac, { type: 'signoff_call' }, 'signoff');
    fac.close();
    jean.close();
    // Their departures are written by the first process (meta's `active`
    // moves): wait for both, so that what follows sees a settled workshop.
    const departed = async () => (await h.redis.command('XRANGE', `atelier:{w:${w.id}}:events`, '-', '+'))
      .filter(([, f]) => f[0] === 'type' && f[1] === 'departed').length;
    await waitUntil(async () => (await departed()) === 2, 5000, `${title}: both departures written`);
    return w;
  }

  test('each kind of damaged record: the workshop refused and logged, the process serving others', { timeout: 110000 }, async (t) => {
    const [, s2] = h.servers;
    for (const [kind, damage] of Object.entries(KINDS)) {
      const w = await furnished(`Abîmé : ${kind}`);
      const k = (what) => `atelier:{w:${w.id}}:${what}`;
      await damage(h.redis, k);
      const before = await h.redis.command('HGETALL', k('meta'));
      const logged = fs.readFileSync(s2.logFile, 'utf8').length;
      const c = h.client({ server: s2, workshop: w.id, name: 'Zoé', organisation: 'Asso' });
      await c.open();
      const r = await c.request({ type: 'join', workshop: w.id, name: 'Zoé', organisation: 'Asso' });
      assert.equal(r.type, 'error', `${kind}: ${JSON.stringify(r)}`);
      assert.equal(r.code, 'internal', `${kind}: ${JSON.stringify(r)}`);
      assert.equal(r.message, DAMAGED, kind);
      await waitUntil(() => /damaged|unreadable/.test(fs.readFileSync(s2.logFile, 'utf8').slice(logged)), 5000, `${kind}: the damage logged`);
      assert.deepEqual(await h.redis.command('HGETALL', k('meta')), before, `${kind}: the damaged workshop was rewritten`);
      c.close();

      // The same process serves a sound workshop meanwhile.
      const ok = await h.servers[0].createWorkshop({ title: 'Sain' });
      const d = h.client({ server: s2, workshop: ok.id, name: 'Léa', organisation: 'Asso' });
      await d.start();
      d.submit(['Bonjour ']);
      await waitUntil(() => d.idle, 5000, `${kind}: an edit acknowledged next to the damaged workshop`);
      d.close();
    }
    t.diagnostic(`${Object.keys(KINDS).length} kinds of damage refused`);
    h.assertNoProblems();
  });
});
