// The "to discuss" list (protocol/polls.md, "To discuss"): the points the
// partners still have to talk through, put there by a facilitator from a
// poll whose organisations diverge. The server sends the whole list after
// each change (and in the welcome); the facilitator's requests are answered
// with it. Pure but for the injected request(): no DOM.
//
// DiscussStore events:
//   change ()   the list changed
import { Emitter } from '../emitter.js';

/** The list's items, kept only when they have the fields a view needs. */
function cleanItems(items) {
  if (!Array.isArray(items)) return [];
  return items.filter((it) => it && Number.isInteger(it.id) && typeof it.poll === 'string' && typeof it.question === 'string')
    .map((it) => ({
      id: it.id,
      poll: it.poll,
      question: it.question,
      passage: typeof it.passage === 'string' ? it.passage : null,
      alignment: it.alignment && typeof it.alignment.label === 'string' ? it.alignment : null,
      done: it.done === true,
      added: Number.isFinite(it.added) ? it.added : null,
      by: typeof it.by === 'string' ? it.by : '',
    }));
}

export class DiscussStore extends Emitter {
  /** request(make) -> Promise<{ok, reply} | {error}> (state/requests.js). */
  constructor({ request }) {
    super();
    this.request = request;
    this.items = [];
  }

  welcome(items) {
    this.items = cleanItems(items);
    this.emit('change');
  }

  /** A `discuss` message: true when it was one. */
  receive(m) {
    if (m.type !== 'discuss') return false;
    this.items = cleanItems(m.items);
    this.emit('change');
    return true;
  }

  /** The item of this poll that is not ticked off yet, or null. */
  openItemOf(pollId) {
    return this.items.find((it) => it.poll === pollId && !it.done) || null;
  }

  /** Facilitator: put a poll on the list. Resolves {ok} or {error}. */
  add(pollId) {
    return this.request((id) => ({ type: 'discuss_add', id, poll: pollId }));
  }

  /** Facilitator: tick an item off (done) or on again. */
  check(itemId, done) {
    return this.request((id) => ({ type: 'discuss_check', id, item: itemId, done: !!done }));
  }

  /** Facilitator: take an item off the list. */
  remove(itemId) {
    return this.request((id) => ({ type: 'discuss_remove', id, item: itemId }));
  }
}
