// Who is here, grouped by organisation, who is typing, and where their
// carets are (in local-text code points). Pure: time is passed in.
// Observers (protocol/agreement.md) are present but counted and listed
// apart: they take no part, so they are in no organisation's group.
import { orgKey, orgColor, setOrgSlot } from './colors.js';
import { roleOf, roleRank } from './roles.js';

export const TYPING_MS = 2000;

/** Whether a person takes part (everyone but observers; an unknown role is a participant's). */
export const takesPart = (p) => roleOf(p.role) !== 'observer';

/**
 * The organisations of the people taking part in a list of people (the
 * presence, or GET /api/workshops/ID's `present`), each once (the spelling
 * of the first person seen). Observers form no organisation: theirs, and
 * "no organisation", are never one of the workshop's.
 */
export function organisationsOf(people) {
  const seen = new Map();
  for (const p of people) {
    if (!takesPart(p)) continue;
    const k = orgKey(p.organisation);
    if (k && !seen.has(k)) seen.set(k, p.organisation);
  }
  return [...seen.values()];
}

/**
 * The organisations that sign, among a list of people ({role, organisation}):
 * those of the participants and representatives (protocol/agreement.md:
 * facilitators and observers make no organisation present), each once.
 */
export function signingOf(people) {
  const seen = new Map();
  for (const p of people) {
    if (p.role !== 'participant' && p.role !== 'representative') continue;
    const k = orgKey(p.organisation);
    if (k && !seen.has(k)) seen.set(k, p.organisation);
  }
  return [...seen.values()];
}

/** {people, observers}: how many take part, and how many observe, counted apart. */
export function countApart(people) {
  let taking = 0;
  let observers = 0;
  for (const p of people) {
    if (takesPart(p)) taking++;
    else observers++;
  }
  return { people: taking, observers };
}

export class Presence {
  constructor() {
    this.selfId = null;
    this.present = new Map(); // id -> {id, name, organisation, role, asks}
    this.known = new Map(); // everyone ever seen: authorship needs the departed too
    this.lastOpAt = new Map(); // id -> ms
    this.cursors = new Map(); // id -> [anchor, head] in local code points
    this.activeAt = new Map(); // id -> ms of the last op or caret move
    // A big workshop's counts (protocol/README.md, "Presence in a big
    // workshop"): {total, observers, organisations: [{name, count}]}, or
    // null while the server lists everyone. `present` then holds only the
    // people the server named.
    this.crowd = null;
  }

  /** The counts of a welcome's `presence` or a presence message, checked; null for none. */
  setCrowd(c) {
    const n = (v) => (Number.isInteger(v) && v >= 0 ? v : 0);
    this.crowd = c && Number.isInteger(c.total) ? {
      total: n(c.total),
      observers: n(c.observers),
      organisations: (Array.isArray(c.organisations) ? c.organisations : [])
        .filter((o) => o && typeof o.name === 'string' && Number.isInteger(o.count) && o.count > 0)
        .map((o) => { setOrgSlot(o.name, o.slot); return { name: o.name, count: o.count }; }),
    } : null;
  }

  /**
   * A presence message: the counts with the named people who arrived and
   * departed, or (back to a small workshop) everyone present again.
   */
  applyPresence(m) {
    if (Array.isArray(m.participants)) {
      this.crowd = null;
      const me = this.present.get(this.selfId);
      this.present.clear();
      if (me) this.present.set(me.id, me);
      for (const p of m.participants) {
        if (p && typeof p.id === 'string' && p.id !== this.selfId) this.present.set(p.id, this.remember(p));
      }
      for (const id of [...this.cursors.keys()]) if (!this.present.has(id)) this.cursors.delete(id);
      return;
    }
    this.setCrowd(m);
    for (const p of Array.isArray(m.arrived) ? m.arrived : []) this.arrive(p);
    for (const id of Array.isArray(m.departed) ? m.departed : []) this.depart(id);
  }

  /** People present whom the server did not name ("and 9,850 more"): 0 while everyone is listed. */
  get unnamed() {
    return this.crowd ? Math.max(0, this.crowd.total - this.present.size) : 0;
  }

  /** A big workshop's organisations, by name, each with its colour and count. */
  crowdOrganisations(locale) {
    if (!this.crowd) return [];
    return this.crowd.organisations.map((o) => ({ ...o, color: orgColor(o.name) }))
      .sort((a, b) => a.name.localeCompare(b.name, locale, { sensitivity: 'base' }));
  }

  touch(id, now) {
    if (id && id !== this.selfId) this.activeAt.set(id, now);
  }

  activeSince(id) {
    return this.activeAt.get(id) ?? -Infinity;
  }

  remember(p) {
    setOrgSlot(p.organisation, p.slot); // the colour everyone gives their organisation (state/colors.js)
    const entry = {
      id: p.id,
      name: String(p.name ?? ''),
      organisation: String(p.organisation ?? ''),
      role: roleOf(p.role),
      // 'representative' while this person's request waits for a facilitator
      asks: p.asks === 'representative' ? 'representative' : null,
    };
    this.known.set(p.id, entry);
    return entry;
  }

  /** After a welcome: me plus the others present (some of them in a big workshop: crowd has the counts). */
  reset(me, others, crowd) {
    this.selfId = me.id;
    this.setCrowd(crowd);
    this.present.clear();
    this.cursors.clear();
    this.present.set(me.id, this.remember(me));
    for (const p of others || []) {
      if (!p || typeof p.id !== 'string' || p.id === me.id) continue;
      this.present.set(p.id, this.remember(p));
    }
  }

  /** Returns the participant when they were not already present. */
  arrive(p) {
    if (!p || typeof p.id !== 'string') return null;
    const isNew = !this.present.has(p.id);
    this.present.set(p.id, this.remember(p));
    return isNew ? this.present.get(p.id) : null;
  }

  /** Returns the participant who left, or null. */
  depart(id) {
    const p = this.present.get(id);
    if (!p || id === this.selfId) return null;
    this.present.delete(id);
    this.cursors.delete(id);
    this.lastOpAt.delete(id);
    this.activeAt.delete(id);
    return p;
  }

  /**
   * A `role` message: the person's role and pending request, wherever we
   * know them. Returns {before, after} (the entries) or null when unknown.
   */
  setRole(id, role, asks) {
    const known = this.known.get(id);
    if (!known) return null;
    const before = { ...known };
    const after = this.remember({ ...known, role, asks });
    if (this.present.has(id)) this.present.set(id, after);
    return { before, after };
  }

  noteOp(author, now) {
    if (author && author !== this.selfId) {
      this.lastOpAt.set(author, now);
      this.activeAt.set(author, now);
    }
  }

  isTyping(id, now) {
    const t = this.lastOpAt.get(id);
    return t != null && now - t < TYPING_MS;
  }

  /** When the next "typing" mark expires (ms), or null: the view re-renders then. */
  nextTypingExpiry(now) {
    let next = null;
    for (const t of this.lastOpAt.values()) {
      const e = t + TYPING_MS;
      if (e > now && (next == null || e < next)) next = e;
    }
    return next;
  }

  setCursor(id, sel) {
    if (id === this.selfId || !this.present.has(id)) return;
    if (sel) this.cursors.set(id, sel);
    else this.cursors.delete(id);
  }

  mapCursors(fn) {
    for (const [id, sel] of this.cursors) this.cursors.set(id, fn(sel, id));
  }

  /** Organisation of an author id, or null when we never saw them. */
  organisationOf(id) {
    const p = id && this.known.get(id);
    return p ? p.organisation : null;
  }

  person(id) {
    return this.known.get(id) || null;
  }

  /** Organisations present now (display spelling of the first person seen), for suggestions. */
  organisations() {
    return organisationsOf(this.present.values());
  }

  /** People present who take part (everyone but observers). */
  * takingPart() {
    for (const p of this.present.values()) if (takesPart(p)) yield p;
  }

  /** Observers present, by name. */
  observers(locale) {
    return [...this.present.values()].filter((p) => p.role === 'observer')
      .map((p) => ({ ...p, self: p.id === this.selfId }))
      .sort((a, b) => a.name.localeCompare(b.name, locale, { sensitivity: 'base' }));
  }

  /**
   * Organisations whose people sign off (protocol/agreement.md: the
   * organisations of the participants and representatives present).
   */
  signingOrganisations() {
    if (this.crowd) return this._crowdSigning();
    return signingOf(this.present.values());
  }

  /**
   * The same in a big workshop, from the counts: an organisation signs when
   * more of its people are present than its facilitators (who are all named:
   * everyone is shown them).
   */
  _crowdSigning() {
    const facilitators = new Map();
    for (const p of this.present.values()) {
      if (p.role === 'facilitator') facilitators.set(orgKey(p.organisation), (facilitators.get(orgKey(p.organisation)) || 0) + 1);
    }
    return this.crowd.organisations.filter((o) => orgKey(o.name) && o.count > (facilitators.get(orgKey(o.name)) || 0)).map((o) => o.name);
  }

  /** Present people whose request to represent their organisation waits, by name. */
  asking(locale) {
    return [...this.present.values()].filter((p) => p.asks === 'representative' && p.role === 'participant')
      .sort((a, b) => a.name.localeCompare(b.name, locale, { sensitivity: 'base' }));
  }

  /**
   * Groups for the presence list: organisations sorted by name, people with
   * the facilitator first, then representatives, then by name. Observers
   * are left out (see observers()).
   */
  groups(now, locale) {
    const byOrg = new Map();
    for (const p of this.takingPart()) {
      const k = orgKey(p.organisation);
      if (!byOrg.has(k)) byOrg.set(k, { key: k, organisation: p.organisation, color: orgColor(p.organisation), members: [] });
      byOrg.get(k).members.push({
        ...p,
        self: p.id === this.selfId,
        typing: this.isTyping(p.id, now),
      });
    }
    const cmp = (a, b) => a.localeCompare(b, locale, { sensitivity: 'base' });
    const groups = [...byOrg.values()].sort((a, b) => cmp(a.organisation, b.organisation));
    for (const g of groups) {
      g.members.sort((a, b) => roleRank(a.role) - roleRank(b.role) || cmp(a.name, b.name));
    }
    return groups;
  }

  /** People taking part (observers are counted apart). */
  get count() {
    if (this.crowd) return Math.max(0, this.crowd.total - this.crowd.observers);
    return countApart(this.present.values()).people;
  }

  get observerCount() {
    if (this.crowd) return this.crowd.observers;
    return this.present.size - this.count;
  }
}
