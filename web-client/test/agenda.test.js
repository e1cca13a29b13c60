// The agenda and its timer (state/agenda.js), fed messages shaped as
// protocol/agreement.md says: the server's clock from `now`, the countdown
// across pause and extension, the overrun, the editor's checks, the
// facilitator's requests, what a screen reader is told, and the same state
// folded from history events for the replay.
import test from 'node:test';
import assert from 'node:assert/strict';
import {
  ServerClock, timeLeft, formatClock, checkPhases, checkMinutes, foldAgenda, NO_AGENDA, phaseTitle, newPhaseId, AgendaStore, phaseSteps, signoffPhaseIndex, METHOD_PHASES,
} from '../src/state/agenda.js';
import { parse } from '../src/protocol/messages.js';
import { I18n } from '../src/i18n/index.js';
import { FakeClock } from '../dev/sim.js';
import { readFileSync } from 'node:fs';

const catalogue = (lang) => JSON.parse(readFileSync(new URL(`../src/i18n/${lang}.json`, import.meta.url), 'utf8'));
const fr = catalogue('fr');
const en = catalogue('en');

const MIN = 60000;
const T0 = 1795836000000;
const PHASES = [
  { id: 'ph1', title: 'Quoi ?', minutes: 20, preset: 'what' },
  { id: 'ph2', title: 'Pourquoi ?', minutes: 20, preset: 'why' },
  { id: 'ph3', title: 'Nos chiffres', minutes: 10 },
];

test('the server clock: the largest recent offset wins (a late message never moves the countdown ahead)', () => {
  const c = new ServerClock();
  assert.equal(c.at(1000), 1000, 'no sample: the local clock');
  // The server is 5 minutes ahead; messages take 40 ms, then one sits 3 s in a busy tab.
  c.sample(T0 + 5 * MIN, T0 + 40);
  assert.equal(c.offset, 5 * MIN - 40);
  c.sample(T0 + 5 * MIN + 10000, T0 + 13000);
  assert.equal(c.offset, 5 * MIN - 40, 'the late one is ignored');
  c.sample(T0 + 5 * MIN + 20000, T0 + 20010);
  assert.equal(c.offset, 5 * MIN - 10, 'a quicker one improves it');
  // The local clock jumps 1 hour ahead (sleep, NTP): after 8 samples the old ones are gone.
  for (let i = 0; i < 8; i++) c.sample(T0 + i * 1000, T0 + 60 * MIN + i * 1000 + 20);
  assert.equal(c.offset, -60 * MIN - 20);
  c.sample(NaN, 1);
  assert.equal(c.offset, -60 * MIN - 20, 'nonsense is ignored');
});

test('time left on the server clock: running, paused (frozen), extended, overrun', () => {
  const timer = { phase: 'ph2', started_at: T0, ends_at: T0 + 20 * MIN, paused_at: null, extended_ms: 0 };
  assert.deepEqual(timeLeft(timer, T0 + 5 * MIN), { phase: 'ph2', ms: 15 * MIN, paused: false, overrun: false });
  const paused = { ...timer, paused_at: T0 + 5 * MIN };
  assert.equal(timeLeft(paused, T0 + 50 * MIN).ms, 15 * MIN, 'frozen while paused');
  assert.equal(timeLeft(paused, T0 + 50 * MIN).paused, true);
  const over = timeLeft(timer, T0 + 22 * MIN + 10000);
  assert.equal(over.overrun, true);
  assert.equal(formatClock(over.ms), '2:10');
  assert.equal(timeLeft({ phase: null }, T0), null);
  assert.equal(timeLeft(null, T0), null);

  // A participant whose clock is 3 minutes behind sees what the server sees.
  const clock = new ServerClock();
  const localBehind = (serverT) => serverT - 3 * MIN;
  clock.sample(T0 + 1000, localBehind(T0 + 1000) + 30);
  const local = localBehind(T0 + 5 * MIN);
  const left = timeLeft(timer, clock.at(local)).ms;
  assert.ok(Math.abs(left - 15 * MIN) <= 30, `within the message's delay: ${left}`);
});

test('the countdown reads 0:00 exactly when the time is up', () => {
  assert.equal(formatClock(20 * MIN), '20:00');
  assert.equal(formatClock(5500), '0:06');
  assert.equal(formatClock(1), '0:01');
  assert.equal(formatClock(0), '0:00');
  assert.equal(formatClock(-999), '0:00');
  assert.equal(formatClock(-130000), '2:10');
  assert.equal(formatClock(62 * MIN + 5000), '1:02:05');
});

test('the editor checks phases as the server does', () => {
  const row = (title, minutes, extra = {}) => ({ title, minutes, ...extra });
  assert.deepEqual(checkPhases([row('Quoi ?', 20, { id: 'ph1' })]).phases, [{ id: 'ph1', title: 'Quoi ?', minutes: 20 }]);
  assert.equal(checkPhases([]).errors.list.error, 'agenda.errNoPhase');
  const many = Array.from({ length: 21 }, (_, i) => row(`P${i}`, 5));
  assert.equal(checkPhases(many).errors.list.error, 'agenda.errManyPhases');
  assert.ok(checkPhases(many.slice(0, 20)).phases, '20 is fine');
  const bad = checkPhases([row('  ', 10), row('x'.repeat(121), 10), row('Ok', 0), row('Ok', 601), row('Ok', '12.5'), row('Ok', 'abc'), row('𝄞'.repeat(120), '600')]);
  assert.deepEqual(bad.errors.rows.map((r) => r && [r.title?.error ?? null, r.minutes?.error ?? null]), [
    ['poll.errRequired', null], ['poll.errTooLong', null], [null, 'agenda.errMinutes'], [null, 'agenda.errMinutes'],
    [null, 'agenda.errMinutes'], [null, 'agenda.errMinutes'], null,
  ]);
  // Titles are tidied; new rows get fresh ids; duplicate or bad ids are replaced.
  const ok = checkPhases([row(' Un \n deux ', ' 7 ', { id: 'ph1' }), row('Trois', 3), row('Quatre', 4, { id: 'ph1' }), row('Cinq', 5, { id: 'bad id!' })]).phases;
  assert.equal(ok[0].title, 'Un deux');
  assert.equal(ok[0].minutes, 7);
  const ids = ok.map((p) => p.id);
  assert.equal(new Set(ids).size, 4);
  assert.ok(ids.every((id) => /^[A-Za-z0-9_-]{1,16}$/.test(id)));
  assert.equal(ids[0], 'ph1');
  // A preset phase whose title the facilitator left as shown keeps its stored title and preset.
  const kept = checkPhases([row('What?', 20, { id: 'ph1', preset: 'what', presetTitle: 'What?', storedTitle: 'Quoi ?' })]).phases[0];
  assert.deepEqual(kept, { id: 'ph1', title: 'Quoi ?', minutes: 20, preset: 'what' });
  const typed = checkPhases([row('Nos objectifs', 20, { id: 'ph1', preset: 'what', presetTitle: 'What?', storedTitle: 'Quoi ?' })]).phases[0];
  assert.deepEqual(typed, { id: 'ph1', title: 'Nos objectifs', minutes: 20 });
  assert.deepEqual(checkMinutes('60', 1, 60), { value: 60 });
  assert.equal(checkMinutes('61', 1, 60).error, 'agenda.errMinutes');
  assert.equal(newPhaseId(new Set(['ph1', 'ph2'])), 'ph3');
});

test('preset phases are named in the reader\'s language; typed titles as typed', () => {
  const i18n = new I18n({ fr, en }, 'en');
  assert.equal(phaseTitle(PHASES[0], i18n), 'What?');
  assert.equal(phaseTitle({ ...PHASES[0], title: 'What?' }, i18n), 'What?');
  assert.equal(phaseTitle({ ...PHASES[0], title: 'Nos objectifs' }, i18n), 'Nos objectifs');
  assert.equal(phaseTitle(PHASES[2], i18n), 'Nos chiffres');
  i18n.setLanguage('fr');
  assert.equal(phaseTitle({ ...PHASES[0], title: 'What?' }, i18n), 'Quoi\u202f?');
  assert.equal(phaseTitle({ id: 'x', title: 'Validation', minutes: 1, preset: 'nonsense' }, i18n), 'Validation');
});

test('agenda and balance messages are checked on the way in', () => {
  const agenda = { type: 'agenda', now: T0, phases: PHASES, timer: { phase: 'ph1', started_at: T0, ends_at: T0 + 20 * MIN, paused_at: null, extended_ms: 0 } };
  assert.ok(parse(JSON.stringify(agenda)));
  assert.ok(parse(JSON.stringify({ ...agenda, timer: { phase: null, started_at: null, ends_at: null, paused_at: null, extended_ms: 0 } })));
  assert.equal(parse(JSON.stringify({ ...agenda, phases: [{ id: 'x y', title: 'a', minutes: 1 }] })), null);
  assert.equal(parse(JSON.stringify({ ...agenda, timer: { phase: 'ph1', started_at: 'soon' } })), null);
  assert.ok(parse(JSON.stringify({ type: 'balance', organisations: [{ org: 'A', inserted: 1, deleted: 0, ballots: 0, answers: 0, present: 1 }] })));
  assert.equal(parse(JSON.stringify({ type: 'balance', organisations: [{ org: 'A', inserted: -1 }] })), null);
});

function store({ role = 'facilitator' } = {}) {
  const clock = new FakeClock(T0);
  const sent = [];
  let joined = true;
  const s = new AgendaStore({ send: (m) => (joined ? (sent.push(m), true) : false), joined: () => joined, now: clock.now, timers: clock });
  const said = [];
  s.on('announce', (key, p) => said.push([key, p.phase?.id ?? null, p.minutes ?? null]));
  s.welcome({ now: T0, phases: PHASES, timer: { phase: null } }, role);
  return { s, sent, said, clock, offline: () => { joined = false; } };
}

test('the store: the welcome, the timer steps and what is announced', () => {
  const { s, said, clock } = store();
  assert.equal(s.known, true);
  assert.equal(s.current, null);
  assert.equal(s.left(), null);
  assert.equal(s.done, false, 'not started yet');
  const timer = { phase: 'ph1', started_at: T0 + 1000, ends_at: T0 + 1000 + 20 * MIN, paused_at: null, extended_ms: 0 };
  clock.advance(1000);
  s.receive({ type: 'agenda', now: T0 + 1000, phases: PHASES, timer });
  assert.equal(s.current.id, 'ph1');
  assert.equal(s.currentIndex, 0);
  clock.advance(60000);
  assert.equal(s.left().ms, 19 * MIN);
  s.receive({ type: 'agenda', now: T0 + 61000, phases: PHASES, timer: { ...timer, paused_at: T0 + 61000 } });
  clock.advance(5 * MIN);
  assert.equal(s.left().ms, 19 * MIN, 'paused');
  s.receive({ type: 'agenda', now: T0 + 361000, phases: PHASES, timer: { ...timer, ends_at: timer.ends_at + 5 * MIN } });
  assert.equal(s.left().ms, 19 * MIN, 'resumed where it was');
  s.receive({ type: 'agenda', now: T0 + 361000, phases: PHASES, timer: { ...timer, ends_at: timer.ends_at + 10 * MIN, extended_ms: 5 * MIN } });
  assert.equal(s.left().ms, 24 * MIN);
  s.receive({ type: 'agenda', now: T0 + 362000, phases: [...PHASES, { id: 'ph4', title: 'Plus', minutes: 5 }], timer: { ...timer, ends_at: timer.ends_at + 10 * MIN, extended_ms: 5 * MIN } });
  assert.equal(s.done, false, 'under way');
  s.receive({ type: 'agenda', now: T0 + 400000, phases: PHASES, timer: { phase: null, started_at: null, ends_at: null, paused_at: null, extended_ms: 0, done: true } });
  assert.equal(s.done, true, 'finished, as the server says');
  assert.deepEqual(said, [
    ['agenda.announceStarted', 'ph1', null],
    ['agenda.announcePaused', 'ph1', null],
    ['agenda.announceResumed', 'ph1', null],
    ['agenda.announceExtended', 'ph1', 5],
    ['agenda.announceDone', null, null],
  ], 'an agenda edit alone is not announced');
});

test('the store: requests carry ids, are answered by the agenda or an error, and give up when offline', async () => {
  const { s, sent, clock, offline } = store();
  const started = s.start('ph2');
  assert.deepEqual(sent.at(-1), { type: 'phase_start', id: sent.at(-1).id, phase: 'ph2' });
  s.receive({ type: 'agenda', id: sent.at(-1).id, now: T0, phases: PHASES, timer: { phase: 'ph2', started_at: T0, ends_at: T0 + 20 * MIN, paused_at: null, extended_ms: 0 } });
  assert.deepEqual(await started, { ok: true });
  const paused = s.pause();
  assert.equal(sent.at(-1).type, 'phase_pause');
  assert.equal(s.receive({ type: 'error', re: 'phase_pause', id: sent.at(-1).id, code: 'bad_request', message: 'nothing to pause' }), true);
  assert.deepEqual(await paused, { error: 'bad_request', message: 'nothing to pause' });
  s.next(); assert.equal(sent.at(-1).type, 'phase_next');
  s.resume(); assert.equal(sent.at(-1).type, 'phase_resume');
  s.extend(5); assert.deepEqual(sent.at(-1), { type: 'phase_extend', id: sent.at(-1).id, minutes: 5 });
  assert.deepEqual(await s.extend(61), { error: 'bad_request' }, 'checked before sending');
  const set = s.setPhases([{ id: 'ph1', title: 'Un', minutes: 3 }]);
  assert.deepEqual(sent.at(-1).phases, [{ id: 'ph1', title: 'Un', minutes: 3 }]);
  clock.advance(15000);
  assert.deepEqual(await set, { error: 'timeout' }, 'never answered: gives up');
  const lost = s.next();
  s.disconnected();
  assert.deepEqual(await lost, { error: 'disconnected' });
  offline();
  assert.deepEqual(await s.next(), { error: 'offline' });
  assert.equal(s.receive({ type: 'error', re: 'op', code: 'stale' }), false, 'not ours');
});

test('the replay folds the timer from events as the server keeps it', () => {
  const ev = (type, at, x = {}) => ({ type, t: T0 + at, ...x });
  let a = foldAgenda(NO_AGENDA, ev('agenda_changed', 0, { phases: PHASES }));
  a = foldAgenda(a, ev('phase_started', 1000, { phase: 'ph1', title: 'Quoi ?', minutes: 20 }));
  assert.equal(timeLeft(a.timer, T0 + 1000 + 5 * MIN).ms, 15 * MIN);
  a = foldAgenda(a, ev('phase_paused', 1000 + 5 * MIN));
  assert.equal(timeLeft(a.timer, T0 + 40 * MIN).ms, 15 * MIN);
  const before = a;
  a = foldAgenda(a, ev('phase_resumed', 1000 + 10 * MIN));
  assert.equal(before.timer.paused_at, T0 + 1000 + 5 * MIN, 'never mutates');
  assert.equal(timeLeft(a.timer, T0 + 1000 + 10 * MIN).ms, 15 * MIN);
  a = foldAgenda(a, ev('phase_extended', 1000 + 11 * MIN, { phase: 'ph1', minutes: 5 }));
  assert.equal(timeLeft(a.timer, T0 + 1000 + 11 * MIN).ms, 19 * MIN);
  assert.equal(a.timer.extended_ms, 5 * MIN);
  assert.equal(foldAgenda(a, ev('phase_resumed', 0)), a, 'a resume while running changes nothing');
  a = foldAgenda(a, ev('phase_started', 40 * MIN, { phase: 'ph9', title: 'Imprévue', minutes: 2 }));
  assert.deepEqual(a.phases.at(-1), { id: 'ph9', title: 'Imprévue', minutes: 2 }, 'a phase unknown to the agenda is kept from its event');
  a = foldAgenda(a, ev('agenda_done', 45 * MIN));
  assert.equal(timeLeft(a.timer, T0 + 46 * MIN), null);
});

test('a phase jumped over is skipped, not done; a timer without `ran` reads as before', () => {
  const four = [...PHASES, { id: 'ph4', title: 'Validation', minutes: 15, preset: 'validation' }];
  const timer = (phase, ran, extra = {}) => ({ phase, started_at: phase ? T0 : null, ends_at: phase ? T0 + MIN : null, paused_at: null, extended_ms: 0, ran, ...extra });
  assert.deepEqual(phaseSteps(four, timer(null, [])), ['next', 'next', 'next', 'next'], 'nothing started');
  assert.deepEqual(phaseSteps(four, timer('ph4', ['ph1', 'ph4'])), ['ran', 'skipped', 'skipped', 'current'], 'from Quoi ? straight to Validation');
  assert.deepEqual(phaseSteps(four, timer('ph2', ['ph1', 'ph4', 'ph2'])), ['ran', 'current', 'skipped', 'ran'], 'back to one jumped over');
  assert.deepEqual(phaseSteps(four, timer('ph2', ['ph2'])), ['skipped', 'current', 'next', 'next'], 'started at the second: the first was skipped');
  assert.deepEqual(phaseSteps(four, timer(null, ['ph1', 'ph4'], { done: true })), ['ran', 'skipped', 'skipped', 'ran'], 'done');
  assert.deepEqual(phaseSteps(four, timer(null, ['ph1'], { done: true })), ['ran', 'skipped', 'skipped', 'skipped'], 'done early: the rest skipped');
  // Without `ran` (an older server, an older event): everything up to the phase under way ran, as shown before.
  const old = (phase, extra) => { const t = timer(phase, undefined, extra); delete t.ran; return t; };
  assert.deepEqual(phaseSteps(four, old('ph3')), ['ran', 'ran', 'current', 'next']);
  assert.deepEqual(phaseSteps(four, old(null, { done: true })), ['ran', 'ran', 'ran', 'ran']);
  assert.deepEqual(phaseSteps(four, old(null)), ['next', 'next', 'next', 'next']);
});

test('the replay folds the phases run: skipped ones stay skipped, the end keeps the record', () => {
  const ev = (type, at, x = {}) => ({ type, t: T0 + at, ...x });
  let a = foldAgenda(NO_AGENDA, ev('agenda_changed', 0, { phases: PHASES }));
  a = foldAgenda(a, ev('phase_started', 1000, { phase: 'ph1', title: 'Quoi ?', minutes: 20 }));
  a = foldAgenda(a, ev('phase_started', 2000, { phase: 'ph3', title: 'Nos chiffres', minutes: 10 }));
  assert.deepEqual(a.timer.ran, ['ph1', 'ph3'], 'folded from events without `ran` (recorded before it)');
  assert.deepEqual(phaseSteps(a.phases, a.timer), ['ran', 'skipped', 'current']);
  a = foldAgenda(a, ev('agenda_done', 3000));
  assert.deepEqual(phaseSteps(a.phases, a.timer), ['ran', 'skipped', 'ran']);
  // An event with the server's record takes it as said.
  a = foldAgenda(a, ev('phase_started', 4000, { phase: 'ph2', title: 'Pourquoi ?', minutes: 20, timer: { ran: ['ph1', 'ph3', 'ph2'] } }));
  assert.deepEqual(phaseSteps(a.phases, a.timer), ['ran', 'current', 'ran']);
  // A phase removed from the agenda leaves the record.
  a = foldAgenda(a, ev('agenda_changed', 5000, { phases: PHASES.slice(1) }));
  assert.deepEqual(a.timer.ran, ['ph3', 'ph2']);
});

test('the sign-off sits in its phase: the one under way when called there, else Validation (or the last)', () => {
  const four = [...PHASES, { id: 'ph4', title: 'Validation', minutes: 15, preset: 'validation' }];
  const running = (phase, at) => ({ phase, started_at: at, ends_at: at + MIN, paused_at: null, extended_ms: 0 });
  assert.equal(signoffPhaseIndex(four, null, null), 3, 'nothing under way, not called: Validation');
  assert.equal(signoffPhaseIndex(PHASES, null, null), 2, 'no Validation phase: the last');
  assert.equal(signoffPhaseIndex(four, running('ph1', T0), null), 0, 'not called: the phase under way offers the call');
  assert.equal(signoffPhaseIndex(four, running('ph2', T0), T0 + 1000), 1, 'called during the phase under way');
  assert.equal(signoffPhaseIndex(four, running('ph3', T0 + MIN), T0), 3, 'called in an earlier phase: Validation');
  assert.equal(signoffPhaseIndex(four, { phase: null, done: true }, T0), 3, 'after the end');
});

test('the server clock: a welcome read late by a busy page is corrected by a later pong (the shortest round trip wins)', () => {
  const clock = new FakeClock(T0);
  const OFFSET = 5 * MIN; // the server's clock is 5 minutes ahead of this one
  const serverNow = () => clock.now() + OFFSET;
  const s = new AgendaStore({ send: () => true, joined: () => true, now: clock.now, timers: clock });
  const timer = { phase: 'ph1', started_at: serverNow(), ends_at: serverNow() + 20 * MIN, paused_at: null, extended_ms: 0, ran: ['ph1'] };
  // The welcome is stamped now, but the page only reads it 3 s later (busy building itself).
  const stamped = serverNow();
  clock.advance(3000);
  s.welcome({ now: stamped, phases: PHASES, timer }, 'participant');
  const truth = () => timer.ends_at - serverNow();
  assert.equal(truth() - s.left().ms, -3000, 'off by the delay: 3 s too much time left');
  let changes = 0;
  s.on('change', () => changes++);
  // A ping leaves; the server answers 30 ms later; the pong arrives 20 ms after that.
  clock.advance(1000);
  const sentAt = clock.now();
  clock.advance(30);
  const answered = serverNow();
  clock.advance(20);
  s.clockSample(answered, sentAt, clock.now());
  assert.ok(Math.abs(truth() - s.left().ms) <= 25, `corrected to within half the round trip: ${truth() - s.left().ms} ms`);
  assert.equal(changes, 1, 'the countdown is redrawn');
  // A slower round trip (2 s, one way stuck) does not spoil it.
  const slowSent = clock.now();
  clock.advance(1990);
  const slowAnswer = serverNow();
  clock.advance(10);
  s.clockSample(slowAnswer, slowSent, clock.now());
  assert.ok(Math.abs(truth() - s.left().ms) <= 25, `a slow pong is not preferred: ${truth() - s.left().ms} ms`);
  // Nor does a late agenda message (a lower bound only).
  const late = serverNow();
  clock.advance(4000);
  s.receive({ type: 'agenda', now: late, phases: PHASES, timer });
  assert.ok(Math.abs(truth() - s.left().ms) <= 25, 'a late message does not move it back');
  // Nonsense is ignored.
  s.clockSample(NaN, 1, 2);
  s.clockSample(serverNow(), clock.now(), clock.now() - 5);
  assert.ok(Math.abs(truth() - s.left().ms) <= 25);
});

test('the server clock: round trips bound the offset on both sides; a jump of the local clock is followed', () => {
  const c = new ServerClock();
  c.sampleRoundTrip(1000 + 500, 0, 100); // offset in [1400, 1500]
  assert.equal(c.offset, 1450);
  c.sample(1480 + 300, 300); // a message: offset >= 1480
  assert.equal(c.offset, 1480, 'kept within every bound');
  c.sampleRoundTrip(5000 + 1460, 5000, 5020); // offset in [1440, 1460]: narrower, but below the message's bound
  assert.equal(c.offset, 1450, 'the bounds disagree (the local clock moved): the newest wins');
  // The local clock jumps an hour ahead: the newest samples disagree with the old ones and win.
  c.sampleRoundTrip(9000 + 1450, 9000 + 60 * MIN, 9010 + 60 * MIN);
  assert.equal(c.offset, 1450 - 60 * MIN + -5);
});

test('the session pings for the clock after the welcome and reports each pong with its round trip', async () => {
  const { Session, CLOCK_PINGS_MS, CLOCK_EVERY_MS } = await import('../src/protocol/session.js');
  const { Connection } = await import('../src/protocol/connection.js');
  const { FakeServer } = await import('../dev/fake-core.js');
  const { Net } = await import('../dev/sim.js');
  const clock = new FakeClock(T0);
  const server = new FakeServer({ now: () => clock.now() + 5 * MIN });
  const net = new Net(server);
  const { body } = server.createWorkshop({ title: 'Atelier', text: 'Quoi ?' });
  const conn = new Connection({ url: 'ws://sim/ws', WebSocket: net.WebSocket, timers: clock, now: clock.now, random: () => 1 });
  const s = new Session({ connection: conn, getJoin: () => ({ workshop: body.id, name: 'Awa', organisation: 'Ville' }), timers: clock, now: clock.now });
  const samples = [];
  s.on('clock', (serverNow, sentAt, receivedAt) => samples.push(serverNow - (sentAt + receivedAt) / 2));
  // Time passes with the network delivering as it goes (the heartbeat's pings are answered too).
  const run = (ms) => { for (let t = 0; t < ms; t += 250) { clock.advance(250); net.flush(); } };
  s.start();
  net.flush();
  assert.equal(s.joined, true);
  run(CLOCK_PINGS_MS[0]);
  assert.deepEqual(samples, [5 * MIN], 'one pong, soon after the welcome');
  run(CLOCK_PINGS_MS[1] - CLOCK_PINGS_MS[0]);
  assert.equal(samples.length, 2, 'a second one');
  run(CLOCK_EVERY_MS);
  assert.ok(samples.length >= 3, 'then every minute (and each heartbeat)');
  assert.ok(samples.every((x) => x === 5 * MIN), 'each with the server\'s offset');
  const n = samples.length;
  s.stop();
  clock.advance(10 * CLOCK_EVERY_MS);
  net.flush();
  assert.equal(samples.length, n, 'none once stopped');
});

test('the replay starts from the method\'s phases, so a jump before any agenda edit shows the phases skipped', () => {
  const ev = (type, at, x = {}) => ({ type, t: T0 + at, ...x });
  let a = foldAgenda(NO_AGENDA, ev('created', 0, { title: 'Atelier' }));
  assert.deepEqual(a.phases.map((p) => [p.id, p.minutes]), [['what', 20], ['why', 20], ['how', 25], ['priorities', 20], ['success', 20], ['validation', 15]]);
  assert.equal(METHOD_PHASES[0].title, 'Quoi\u202f?', 'the server\'s own title');
  assert.deepEqual(phaseSteps(a.phases, a.timer), ['next', 'next', 'next', 'next', 'next', 'next']);
  a = foldAgenda(a, ev('phase_started', 1000, { phase: 'what', title: 'Quoi ?', minutes: 20 }));
  a = foldAgenda(a, ev('phase_started', 2000, { phase: 'validation', title: 'Validation', minutes: 15 }));
  assert.deepEqual(phaseSteps(a.phases, a.timer), ['ran', 'skipped', 'skipped', 'skipped', 'skipped', 'current']);
});
