// The priorities board (protocol/board.md) as the page sees it: each
// organisation's items, the groups, the settings and (for those who may
// group) the server's suggestions, as the last `board` message or welcome
// said; the requests that change it; and the three columns (common to all,
// shared by some, unique to one). The server sends the whole board, as this
// person may see it, after every change: nothing is merged here.
//
// Events: change () the board changed.
import { Emitter } from '../emitter.js';
import { boardAdd, boardEdit, boardDelete, boardGroup, boardUngroup, boardSettings, isBoard } from '../protocol/messages.js';
import { orgKey } from './colors.js';

export const BOARD_KINDS = ['practice', 'priority', 'strength'];
export const MAX_BOARD_TITLE = 120; // code points: a poll choice's
export const MAX_BOARD_WHY = 280; // code points: a text poll answer's
export const BOARD_ITEMS_PER_ORG = 30;

const EMPTY = { settings: { visibility: 'revealed', revealed: false, grouping: 'facilitator' }, items: [], groups: [] };

/**
 * The columns of a board: each group (as seen) or lone item is a cluster,
 * `common` when it holds items of every organisation on the board (two or
 * more), `shared` with two organisations or more, else `unique` (as the
 * server's core/board_match.c classifies them for the exports).
 */
export function classify(board) {
  const items = board?.items || [];
  const orgs = [];
  for (const it of items) if (!orgs.some((o) => orgKey(o) === orgKey(it.org))) orgs.push(it.org);
  const byId = new Map(items.map((it) => [it.id, it]));
  const clusters = [];
  const placed = new Set();
  for (const g of board?.groups || []) {
    const members = g.items.map((id) => byId.get(id)).filter(Boolean);
    if (members.length < 2) continue;
    members.forEach((m) => placed.add(m.id));
    clusters.push({ group: g.id, items: members });
  }
  for (const it of items) if (!placed.has(it.id)) clusters.push({ group: null, items: [it] });
  for (const c of clusters) {
    c.orgs = [];
    for (const it of c.items) if (!c.orgs.some((o) => orgKey(o) === orgKey(it.org))) c.orgs.push(it.org);
    c.cls = c.orgs.length >= 2 && c.orgs.length === orgs.length ? 'common' : c.orgs.length >= 2 ? 'shared' : 'unique';
    c.first = Math.min(...c.items.map((it) => items.indexOf(it)));
  }
  clusters.sort((a, b) => a.first - b.first);
  return { orgs, clusters };
}

/** A cluster as one line of the statement: its titles, the first's and the others' after a dash. */
export function statementLine(cluster) {
  const titles = [];
  for (const it of cluster.items) if (!titles.includes(it.title)) titles.push(it.title);
  return titles.join(' / ');
}

/** The board before anything happened on it (the replay's start). */
export const NO_BOARD = Object.freeze({ settings: Object.freeze({ ...EMPTY.settings }), items: Object.freeze([]), groups: Object.freeze([]) });

const isId = (v) => typeof v === 'string' && v.length > 0;

/** groups {GID: [ID, …]}: each group named has these members now (none: dissolved). */
function applyGroups(items, groups) {
  for (const [gid, members] of Object.entries(groups)) {
    if (!Array.isArray(members)) continue;
    for (let i = 0; i < items.length; i++) if (items[i].group === gid) items[i] = { ...items[i], group: undefined };
    for (const id of members) {
      const at = items.findIndex((it) => it.id === id);
      if (at >= 0) items[at] = { ...items[at], group: gid };
    }
  }
}

/** An item's texts from an event's data (those it has). */
const texts = (d) => ({ ...(typeof d.title === 'string' ? { title: d.title } : {}), ...(typeof d.why === 'string' ? { why: d.why } : {}) });

/**
 * The board after a history event (protocol/history.md, board events), from
 * the board before it: the replay's. Never mutates `prev`; an event that is
 * not the board's returns `prev` itself. The public history leaves out what
 * was written while the board was hidden; the reveal's `snapshot` brings it.
 */
export function foldBoard(prev, ev) {
  const d = ev && typeof ev.type === 'string' && ev.type.startsWith('board_') ? ev.board : null;
  if (!d || typeof d !== 'object') return prev;
  const items = prev.items.slice();
  const settings = d.settings && typeof d.settings === 'object' ? { ...prev.settings, ...d.settings } : prev.settings;
  if (isId(d.item)) {
    const at = items.findIndex((it) => it.id === d.item);
    if (ev.type === 'board_added' && at < 0) {
      items.push({ id: d.item, org: String(d.org ?? ''), kind: BOARD_KINDS.includes(d.kind) ? d.kind : 'priority', title: '', why: '', by: ev.by ?? '', at: ev.t ?? 0, ...texts(d) });
    } else if (ev.type === 'board_deleted') {
      if (at >= 0) items.splice(at, 1);
    } else if (at >= 0) {
      items[at] = { ...items[at], ...texts(d) };
    }
  }
  for (const x of Array.isArray(d.snapshot?.items) ? d.snapshot.items : []) {
    if (!x || !isId(x.item)) continue;
    const at = items.findIndex((it) => it.id === x.item);
    const item = { id: x.item, org: String(x.org ?? ''), kind: BOARD_KINDS.includes(x.kind) ? x.kind : 'priority', by: x.by ?? '', at: Number(x.at) || 0, title: '', why: '', ...texts(x) };
    if (at < 0) items.push(item);
    else items[at] = { ...items[at], ...texts(x) };
  }
  if (d.snapshot?.groups && typeof d.snapshot.groups === 'object') applyGroups(items, d.snapshot.groups);
  if (d.groups && typeof d.groups === 'object') applyGroups(items, d.groups);
  items.sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const groups = new Map();
  for (const it of items) if (it.group) groups.set(it.group, [...(groups.get(it.group) || []), it.id]);
  return { settings, items, groups: [...groups].filter(([, ids]) => ids.length >= 2).map(([id, ids]) => ({ id, items: ids })) };
}

export class BoardStore extends Emitter {
  /** request(make) -> Promise<{ok, reply} | {error}> (state/requests.js). */
  constructor({ request }) {
    super();
    this.request = request;
    this.board = EMPTY;
    this.role = null;
    this.org = null;
  }

  /** The welcome's board, and who this person is. */
  welcome(board, role, org) {
    this.role = role;
    this.org = org;
    this.board = isBoard(board) ? board : EMPTY;
    this.emit('change');
  }

  /** This person's role changed (issue 13): what they may do follows at once. */
  setRole(role) {
    this.role = role;
    this.emit('change');
  }

  /** A `board` message: true when it was one. */
  receive(m) {
    if (m.type !== 'board' || !Array.isArray(m.items)) return false;
    const { type, id, ...board } = m;
    this.board = board;
    this.emit('change');
    return true;
  }

  get items() { return this.board.items; }
  get settings() { return this.board.settings || EMPTY.settings; }
  get suggestions() { return this.board.suggestions || []; }
  get open() { return this.settings.visibility === 'live' || this.settings.revealed; }
  get facilitator() { return this.role === 'facilitator'; }
  /** Whether this person groups: a facilitator, or a representative when the facilitator lets them. */
  get mayGroup() {
    return this.role === 'facilitator' || (this.role === 'representative' && this.settings.grouping === 'representatives');
  }
  get mayWrite() { return this.role != null && this.role !== 'observer' && !!this.org; }

  item(id) { return this.items.find((it) => it.id === id) || null; }
  mine(it) { return !!this.org && orgKey(it.org) === orgKey(this.org); }
  /** This person's organisation's items, in order of creation. */
  get ownItems() { return this.items.filter((it) => this.mine(it)); }
  /** Other organisations' items, by organisation. */
  get others() {
    const by = new Map();
    for (const it of this.items) {
      if (this.mine(it)) continue;
      if (!by.has(it.org)) by.set(it.org, []);
      by.get(it.org).push(it);
    }
    return by;
  }

  add(kind, title, why) { return this.request((id) => boardAdd(id, kind, title, why)); }
  edit(item, fields) { return this.request((id) => boardEdit(id, item, fields)); }
  remove(item) { return this.request((id) => boardDelete(id, item)); }
  /** Group items: the first listed one's group takes the others (drag A onto B: [B, A]). */
  group(items) { return this.request((id) => boardGroup(id, items)); }
  ungroup(which) { return this.request((id) => boardUngroup(id, which)); }
  setSettings(s) { return this.request((id) => boardSettings(id, s)); }
}
