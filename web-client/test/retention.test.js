// Issue 14: the deletion date the facilitator sees. The welcome says when;
// every message that echoes a write moves it on by the time passed, on the
// page's clock; messages that may come without a write move nothing.
import test from 'node:test';
import assert from 'node:assert/strict';
import { WorkshopStore } from '../src/state/workshop.js';
import { FakeClock } from '../dev/sim.js';
import { FakeSession } from './fakes.js';

const DAY = 86400e3;

function setup() {
  let session;
  const clock = new FakeClock(5_000_000);
  const store = new WorkshopStore({
    workshopId: 'W', profile: { name: 'Awa', organisation: 'Ville' }, key: 'k',
    createSession: () => (session = new FakeSession()), timers: clock, now: clock.now,
    newOpId: (() => { let n = 0; return () => `o-${++n}`; })(),
  });
  const told = [];
  store.on('retention', (at) => told.push(at));
  store.start();
  return { store, session, clock, told };
}

// The server's clock is 2 s ahead of the page's: the lead absorbs it.
const welcome = (deletesAt) => ({
  type: 'welcome', id: 1,
  workshop: { id: 'W', title: 'Atelier', code: '482913', state: 'open', time_zone: 'Europe/Paris', deletes_at: deletesAt },
  participant: { id: 'p1', name: 'Awa', organisation: 'Ville', role: 'facilitator' },
  token: 'p1.secret', role: 'facilitator', doc: { rev: 0, text: '' }, participants: [], polls: [],
});

test('the welcome gives the date; writes seen later move it on by the time passed', () => {
  const { store, session, clock, told } = setup();
  const at = 5_002_000 + 90 * DAY;
  session.welcome(welcome(at));
  assert.equal(store.workshop.deletesAt, at);

  clock.advance(60_000);
  session.deliver({ type: 'cursor', participant: 'p2', sel: [0, 0], rev: 0 });
  session.deliver({ type: 'error', code: 'rate_limited', message: 'slow down' });
  session.deliver({ type: 'balance', organisations: [] });
  assert.deepEqual(told, [], 'carets, errors and the balance are no writes');
  assert.equal(store.workshop.deletesAt, at);

  session.deliver({ type: 'op', rev: 0, op: ['a'], author: 'p2' });
  assert.deepEqual(told, [at + 60_000], 'an edit moves it on by the minute passed');
  session.deliver({ type: 'arrived', participant: { id: 'p3', name: 'Jean', organisation: 'Banque', role: 'participant' } });
  assert.equal(told.length, 1, 'told again only once it moved by a second or more');
  clock.advance(DAY);
  session.deliver({ type: 'poll', poll: { id: 'x' } });
  assert.deepEqual(told, [at + 60_000, at + 60_000 + DAY]);
  assert.equal(store.workshop.deletesAt, at + 60_000 + DAY);

  // A new welcome (a reconnection) says it again, from the server.
  session.welcome(welcome(at + 2 * DAY));
  assert.equal(store.workshop.deletesAt, at + 2 * DAY);
});

test('a server that does not say it: nothing shown, nothing moved', () => {
  const { store, session, clock, told } = setup();
  session.welcome({ ...welcome(1), workshop: { id: 'W', title: 'Atelier', state: 'open' } });
  clock.advance(5000);
  session.deliver({ type: 'op', rev: 0, op: ['a'], author: 'p2' });
  assert.equal(store.workshop.deletesAt, null);
  assert.deepEqual(told, []);
});
