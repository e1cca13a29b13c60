// The contribution balance (protocol/agreement.md, "Contribution balance"):
// each organisation's share of the writing, of ballots and answers, and of
// the people present, and whether one partner dominates. The live figures
// come from the server (`balance`, facilitators only); the replay computes
// the same figures from the history with the folds below. Pure.
import { cpLength } from './unicode.js';
import { orgKey } from './colors.js';

// One organisation has "most of the writing" above this share, while
// at least two organisations are present.
export const DOMINANT_SHARE = 0.5;

const share = (part, whole) => (whole > 0 ? part / whole : 0);
const count = (v) => (Number.isInteger(v) && v > 0 ? v : 0);

/**
 * What the balance view shows, from the `organisations` of a `balance`
 * message (or of balanceRows): rows sorted by writing, most first, each
 * {org, inserted, deleted, writing (inserted + deleted), writingShare,
 * ballots, answers, votes (ballots + answers), votesShare, present,
 * presentShare} (shares from 0 to 1), the totals, and `dominant`: the
 * organisation with more than half of the writing while several are
 * present (else null).
 */
export function summarise(organisations) {
  const rows = (organisations || []).map((o) => {
    const inserted = count(o.inserted);
    const deleted = count(o.deleted);
    const ballots = count(o.ballots);
    const answers = count(o.answers);
    return { org: o.org, inserted, deleted, writing: inserted + deleted, ballots, answers, votes: ballots + answers, present: count(o.present) };
  });
  const totals = { writing: 0, votes: 0, present: 0 };
  for (const r of rows) {
    totals.writing += r.writing;
    totals.votes += r.votes;
    totals.present += r.present;
  }
  for (const r of rows) {
    r.writingShare = share(r.writing, totals.writing);
    r.votesShare = share(r.votes, totals.votes);
    r.presentShare = share(r.present, totals.present);
  }
  rows.sort((a, b) => b.writing - a.writing || b.votes - a.votes || a.org.localeCompare(b.org));
  const orgsPresent = rows.filter((r) => r.present > 0).length;
  const top = rows[0];
  const dominant = top && orgsPresent >= 2 && top.writingShare > DOMINANT_SHARE ? top.org : null;
  return { rows, totals, dominant };
}

// ---- from the history (the replay) ----------------------------------------------

/** Code points an op inserts and deletes (ot-text-unicode). */
export function opWriting(op) {
  let ins = 0;
  let del = 0;
  for (const c of op || []) {
    if (typeof c === 'string') ins += cpLength(c);
    else if (c && typeof c === 'object') del += typeof c.d === 'number' ? c.d : cpLength(String(c.d ?? ''));
  }
  return { ins, del };
}

/**
 * Writing by organisation, added up op by op: `add(org, op)`, and
 * `snapshot()` (a copy, for checkpoints) / `from(snapshot)`.
 */
export class WritingTally {
  constructor(byOrg = new Map()) {
    this.byOrg = byOrg; // org name -> {ins, del}
  }

  static from(snapshot) {
    return new WritingTally(new Map([...snapshot].map(([k, v]) => [k, { ...v }])));
  }

  add(org, op) {
    const { ins, del } = opWriting(op);
    if (!ins && !del) return;
    const key = org ?? '';
    const w = this.byOrg.get(key);
    // In place: snapshot() and from() copy, so no one else holds these objects.
    if (w) {
      w.ins += ins;
      w.del += del;
    } else {
      this.byOrg.set(key, { ins, del });
    }
  }

  snapshot() {
    return WritingTally.from(this.byOrg).byOrg;
  }
}

/**
 * Ballots and answers by organisation after history event `ev`, from the
 * tally before it (never mutated): {byOrg: Map org -> {ballots, answers},
 * unattributed: {ballots, answers}}. What the history says of who voted:
 * a ballot event names its organisation only for a poll organisations
 * answer, in the views that show its results (`organisation.name`; an
 * `org` field, should events carry one, is used first); anonymous ballots,
 * answers and upvotes are counted without an organisation. Every ballot
 * event counts (a changed or withdrawn ballot too), as does every answer
 * and upvote event.
 */
export function foldVotes(prev, ev) {
  let field;
  if (ev.type === 'ballot') field = 'ballots';
  else if (ev.type === 'answer' || ev.type === 'upvote') field = 'answers';
  else return prev;
  const org = typeof ev.org === 'string' && ev.org ? ev.org
    : typeof ev.organisation?.name === 'string' && ev.organisation.name ? ev.organisation.name : null;
  if (org == null) {
    return { byOrg: prev.byOrg, unattributed: { ...prev.unattributed, [field]: prev.unattributed[field] + 1 } };
  }
  const byOrg = new Map(prev.byOrg);
  const v = byOrg.get(org) || { ballots: 0, answers: 0 };
  byOrg.set(org, { ...v, [field]: v[field] + 1 });
  return { byOrg, unattributed: prev.unattributed };
}

export const NO_VOTES = Object.freeze({ byOrg: new Map(), unattributed: Object.freeze({ ballots: 0, answers: 0 }) });

/**
 * Balance rows shaped like the `balance` message's organisations, from the
 * writing (Map org -> {ins, del}), the votes (foldVotes) and the people
 * present ([{org, role}]; observers and facilitators do not count, as they
 * do not make an organisation present in agreement.md). Organisations that
 * differ only by case or spacing are one (the first spelling seen names it);
 * text with no known author is left out.
 */
export function balanceRows({ writing, votes = NO_VOTES, present = [] }) {
  const rows = new Map();
  const row = (org) => {
    const k = orgKey(org);
    if (!rows.has(k)) rows.set(k, { org, inserted: 0, deleted: 0, ballots: 0, answers: 0, present: 0 });
    return rows.get(k);
  };
  for (const [org, w] of writing || []) {
    if (!org) continue;
    const r = row(org);
    r.inserted += w.ins;
    r.deleted += w.del;
  }
  for (const [org, v] of votes.byOrg) {
    const r = row(org);
    r.ballots += v.ballots;
    r.answers += v.answers;
  }
  for (const p of present) {
    if (!p.org || p.role === 'observer' || p.role === 'facilitator') continue;
    row(p.org).present += 1; // a person, however many tabs they have open
  }
  return [...rows.values()];
}
