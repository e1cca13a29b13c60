// Requests that are sent once and answered once (a facilitator's step, an
// endorsement): each gets an id of this tab's own, and its promise resolves
// with the reply carrying that id, or {error} from the error carrying it, or
// {error: 'disconnected'} when the link drops first (a request is never
// resent blindly: the state message that follows a welcome tells what
// happened). Pure apart from the injected send().

export class Requests {
  /** send(message) -> boolean (false: not joined, nothing sent); random for the id prefix. */
  constructor({ send, random = Math.random }) {
    this.send = send;
    this.prefix = `r${Math.floor(random() * 2 ** 32).toString(36)}`;
    this.seq = 0;
    this.pending = new Map(); // id -> {type, resolve}
  }

  /** make(id) -> message; resolves {ok: true, reply} or {error, message}. */
  request(make) {
    const id = `${this.prefix}-${++this.seq}`;
    const m = make(id);
    if (!this.send(m)) return Promise.resolve({ error: 'offline' });
    return new Promise((resolve) => this.pending.set(id, { type: m.type, resolve }));
  }

  /** Whether `id` is one of ours, still waiting. */
  has(id) {
    return id !== undefined && this.pending.has(id);
  }

  /** Whether a request of this type is waiting for its answer. */
  waiting(type) {
    for (const r of this.pending.values()) if (r.type === type) return true;
    return false;
  }

  /** A reply: true when it answered one of ours (then it is resolved). */
  reply(m) {
    if (m.id === undefined || !this.pending.has(m.id)) return false;
    const r = this.pending.get(m.id);
    this.pending.delete(m.id);
    if (m.type === 'error') r.resolve({ error: m.code, message: m.message });
    else r.resolve({ ok: true, reply: m });
    return true;
  }

  /** The link dropped: nothing asked will be answered. */
  forget() {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const r of all) r.resolve({ error: 'disconnected' });
  }
}
