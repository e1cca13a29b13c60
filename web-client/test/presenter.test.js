// The presenter view's "current poll" (state/presenter.js).
import test from 'node:test';
import assert from 'node:assert/strict';
import { CurrentPoll } from '../src/state/presenter.js';

const p = (id, created, state = 'open', results = 'hidden') => ({ poll: { id, created, state, results } });
const list = (...entries) => entries.sort((a, b) => b.poll.created - a.poll.created);

test('at first: the newest open poll, else the newest closed one; never a draft', () => {
  assert.equal(new CurrentPoll().update(list(p('a', 1, 'closed'), p('b', 2), p('c', 3, 'draft'))), 'b');
  assert.equal(new CurrentPoll().update(list(p('a', 1, 'closed'), p('b', 2, 'closed'), p('c', 3, 'draft'))), 'b');
  assert.equal(new CurrentPoll().update(list(p('c', 3, 'draft'))), null);
  assert.equal(new CurrentPoll().update([]), null);
});

test('follows what the facilitator does: open, reveal, reopen; closing keeps it', () => {
  const c = new CurrentPoll();
  assert.equal(c.update(list(p('a', 1), p('b', 2, 'draft'))), 'a');
  assert.equal(c.update(list(p('a', 1), p('b', 2))), 'b', 'b opened');
  assert.equal(c.update(list(p('a', 1), p('b', 2, 'closed'))), 'b', 'closing keeps it on screen');
  assert.equal(c.update(list(p('a', 1, 'open', 'revealed'), p('b', 2, 'closed'))), 'a', 'a\'s results revealed');
  assert.equal(c.update(list(p('a', 1, 'open', 'revealed'), p('b', 2, 'open'))), 'b', 'b reopened');
  assert.equal(c.update(list(p('a', 1, 'open', 'revealed'), p('b', 2, 'open'), p('n', 3))), 'n', 'launched in one step');
  assert.equal(c.update(list(p('a', 1, 'open', 'hidden'), p('b', 2, 'open'), p('n', 3))), 'n', 'hiding does not move it');
  assert.equal(c.update(list(p('a', 1, 'open', 'hidden'), p('b', 2, 'open'))), 'b', 'deleted: the newest open one');
});
