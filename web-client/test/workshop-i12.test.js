// Issue 12 in the workshop store, with fake messages shaped as the contract
// (part B) says: the join code and state in the welcome, the facilitator
// ending and reopening, edits held while ended, deletion said as such.
import test from 'node:test';
import assert from 'node:assert/strict';
import { WorkshopStore } from '../src/state/workshop.js';
import { FakeClock } from '../dev/sim.js';
import { FakeSession } from './fakes.js';

const welcome = (workshop = {}) => ({
  type: 'welcome', id: 1,
  workshop: { id: 'W', title: 'Atelier', code: '482913', state: 'open', time_zone: 'Europe/Paris', ...workshop },
  participant: { id: 'p1', name: 'Awa', organisation: 'Ville', role: 'facilitator' },
  token: 'p1.secret', role: 'facilitator', doc: { rev: 0, text: 'Quoi ?\n' }, participants: [], polls: [],
});

function setup() {
  let session;
  const store = new WorkshopStore({
    workshopId: 'W', profile: { name: 'Awa', organisation: 'Ville' }, key: 'k',
    createSession: () => (session = new FakeSession()), timers: new FakeClock(), newOpId: (() => { let n = 0; return () => `o-${++n}`; })(),
  });
  const events = [];
  for (const ev of ['workshop', 'fatal', 'announce']) store.on(ev, (x) => events.push([ev, x]));
  return { store, session, events };
}

test('the welcome gives the join code, the state and the time zone', () => {
  const { store, session } = setup();
  session.welcome(welcome());
  assert.deepEqual(store.workshop, { code: '482913', state: 'open', endedAt: null, timeZone: 'Europe/Paris', deletesAt: null });
  assert.equal(store.ended, false);
  const old = setup();
  old.session.welcome({ ...welcome(), workshop: { id: 'W', title: 'Atelier' } });
  assert.deepEqual(old.store.workshop.code, null, 'a server from before issue 12: no code, open');
  assert.equal(old.store.ended, false);
});

test('the facilitator ends and reopens; everyone hears it; edits made meanwhile wait', async () => {
  const { store, session, events } = setup();
  session.welcome(welcome());
  const ending = store.endWorkshop();
  const req = session.sent.at(-1);
  assert.deepEqual(req, { type: 'workshop_end', id: req.id });
  session.deliver({ type: 'workshop', id: req.id, state: 'ended', at: 5000, by: 'p1' });
  assert.deepEqual(await ending, { ok: true, state: 'ended' });
  assert.equal(store.ended, true);
  assert.equal(store.workshop.endedAt, 5000);
  assert.deepEqual(events.filter(([e]) => e === 'workshop').at(-1), ['workshop', { state: 'ended', endedAt: 5000 }]);

  // An edit (from before the lock reached the editor) is kept, not sent.
  const n = session.sent.length;
  store.localEdit([7, 'x']);
  assert.equal(session.sent.length, n, 'nothing sent while ended');
  assert.equal(store.unsent, 1);

  // Reopened by another facilitator: announced, and the edit goes.
  session.deliver({ type: 'workshop', state: 'open', at: 6000, by: 'p2' });
  assert.equal(store.ended, false);
  assert.ok(events.some(([e, k]) => e === 'announce' && k === 'end.announceReopened'));
  assert.equal(session.sent.at(-1).type, 'op');
});

test('an op refused with "ended" is kept and the page learns the workshop ended', () => {
  const { store, session } = setup();
  session.welcome(welcome());
  store.localEdit([7, 'y']);
  const op = session.sent.at(-1);
  session.deliver({ type: 'error', code: 'ended', re: 'op', id: op.id, message: 'the workshop has ended; the statement is read-only' });
  assert.equal(store.ended, true);
  assert.equal(store.unsent, 1, 'kept');
  assert.equal(store.text, 'Quoi ?\ny');
});

test('ending refused (not a facilitator, offline) resolves with the reason', async () => {
  const { store, session } = setup();
  assert.deepEqual(await store.endWorkshop(), { error: 'offline' });
  session.welcome(welcome());
  const p = store.reopenWorkshop();
  const req = session.sent.at(-1);
  session.deliver({ type: 'error', code: 'forbidden', re: 'workshop_reopen', id: req.id, message: 'no' });
  assert.equal((await p).error, 'forbidden');
  const q = store.endWorkshop();
  session.emit('disconnected');
  assert.deepEqual(await q, { error: 'disconnected' });
});

test('a welcome to an ended workshop: read-only from the start', () => {
  const { store, session } = setup();
  session.welcome(welcome({ state: 'ended', ended_at: 7000 }));
  assert.equal(store.ended, true);
  assert.equal(store.workshop.endedAt, 7000);
});

test('deleted by the facilitator: said as such, the session stops', () => {
  const { session, events } = setup();
  session.welcome(welcome());
  session.deliver({ type: 'workshop', state: 'deleted' });
  assert.deepEqual(events.find(([e]) => e === 'fatal')[1].code, 'deleted');
  assert.equal(session.stopped, true);
});

test('reopened during a disconnect: the held edit goes after the missed ops, at the new revision', () => {
  const { store, session } = setup();
  session.welcome(welcome());
  session.deliver({ type: 'workshop', state: 'ended', at: 5000, by: 'p2' });
  store.localEdit([7, 'x']); // held: the workshop has ended
  session.joined = false;
  session.emit('disconnected');
  const sentBefore = session.sent.length;
  // Meanwhile the facilitator reopened and someone typed twice.
  session.welcome({
    ...welcome(), doc: { rev: 2 },
    missed: [{ rev: 0, op: ['Alors '], author: 'p2' }, { rev: 1, op: [6, 'donc '], author: 'p2' }],
  });
  const ops = session.sent.slice(sentBefore).filter((m) => m.type === 'op');
  assert.equal(ops.length, 1, 'sent once');
  assert.equal(ops[0].rev, 2, 'on top of the missed ops, not at the revision it was typed at');
  assert.deepEqual(ops[0].op, [18, 'x']);
  assert.equal(store.text, 'Alors donc Quoi ?\nx');
});

test('a welcome that changes nothing of the workshop emits no "workshop" event', () => {
  const { session, events } = setup();
  session.welcome(welcome());
  const n = events.filter(([e]) => e === 'workshop').length;
  session.welcome(welcome());
  assert.equal(events.filter(([e]) => e === 'workshop').length, n);
  session.welcome(welcome({ code: '111222' }));
  assert.equal(events.filter(([e]) => e === 'workshop').length, n + 1, 'a new code is news');
});

test('storage unavailable (a Redis outage or failover): "reconnecting" with the edits kept, then connected at the next ack', () => {
  const { store, session } = setup();
  const seen = [];
  store.on('status', (s) => seen.push(s));
  session.welcome(welcome());
  store.localEdit([7, 'z']);
  const op = session.sent.at(-1);
  session.deliver({ type: 'error', code: 'unavailable', re: 'op', id: op.id, message: 'the server cannot reach its storage' });
  const down = seen.at(-1);
  assert.equal(down.status, 'reconnecting', 'the person is told the service is reconnecting');
  assert.equal(down.unsent, 1, 'the edit is kept');
  assert.ok(down.retryAt > 0, 'with the next attempt');
  assert.equal(down.delayed, false);
  store.timers.advance(60000); // the retry: the same op, same id
  const again = session.sent.at(-1);
  assert.equal(again.id, op.id);
  session.deliver({ type: 'ack', id: op.id, rev: 0 });
  assert.equal(seen.at(-1).status, 'connected');
  assert.equal(seen.at(-1).unsent, 0);

  // A rate limit is not an outage: still connected, the edit delayed.
  store.localEdit([8, 'w']);
  const next = session.sent.at(-1);
  session.deliver({ type: 'error', code: 'rate_limited', re: 'op', id: next.id, message: 'slow down' });
  assert.equal(seen.at(-1).status, 'connected');
  assert.equal(seen.at(-1).delayed, true);
});
