// Which poll the presenter view shows: "the facilitator's current poll",
// read from what happens to the polls (so it follows a facilitator on any
// device, not only this browser). A poll becomes current when it opens
// (or reopens), when its results are made visible (live or revealed), or
// when it appears already open; closing it keeps it on screen (its results
// may be revealed next). With nothing of the kind seen yet: the newest open
// poll, else the newest closed one. Drafts are never shown.

export class CurrentPoll {
  constructor() {
    this.current = null;
    this.seen = new Map(); // poll id -> {state, results}
    this.started = false;
  }

  /** entries: [{poll}] newest first (PollStore.list). Returns the current poll id or null. */
  update(entries) {
    const polls = entries.map((e) => e.poll).filter((p) => p.state !== 'draft');
    const ids = new Set(polls.map((p) => p.id));
    let moved = null;
    for (const p of polls) {
      const before = this.seen.get(p.id);
      const became = before ?
        (p.state === 'open' && before.state !== 'open') || (p.results !== 'hidden' && p.results !== before.results) :
        this.started && p.state === 'open';
      if (became && moved == null) moved = p.id; // newest first: the newest change wins
      this.seen.set(p.id, { state: p.state, results: p.results });
    }
    for (const id of [...this.seen.keys()]) if (!ids.has(id)) this.seen.delete(id);
    if (moved != null) this.current = moved;
    else if (this.current == null || !ids.has(this.current)) {
      this.current = (polls.find((p) => p.state === 'open') || polls[0] || { id: null }).id;
    }
    this.started = true;
    return this.current;
  }
}
