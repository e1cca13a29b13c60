// The priorities board on the workshop page (protocol/board.md): each
// person writes their organisation's list (current practices, priorities,
// strengths: a title and why), the lists of the others once the facilitator
// reveals them (or live), and three columns: common to all, shared by some,
// unique to one, each organisation in its colour. Those who group drag one
// item onto another, or use "Group with…" (the keyboard's way), or accept
// one of the server's suggestions in one click. A group or an item becomes a
// line of the statement (a normal edit, at the caret or at the end), or,
// for the facilitator, a poll (the poll form, pre-filled).
// It reads and drives the BoardStore (state/board.js) only, and the two
// callbacks it is handed.
import { h, rebuild } from './dom.js';
import { BOARD_KINDS, MAX_BOARD_TITLE, MAX_BOARD_WHY, classify, statementLine } from '../state/board.js';
import { orgColor, tint } from '../state/colors.js';

const KIND_KEYS = { practice: 'board.kindPractice', priority: 'board.kindPriority', strength: 'board.kindStrength' };
const COLUMNS = [['common', 'board.colCommon', 'board.colCommonHint'], ['shared', 'board.colShared', 'board.colSharedHint'],
  ['unique', 'board.colUnique', 'board.colUniqueHint']];
const POLL_CHOICES_MAX = 12;

/** Code points, as the server counts them. */
const cps = (s) => [...s].length;

export class BoardView {
  /**
   * board: the BoardStore; insertLine(text) -> boolean (the statement, as
   * this person's edit); makePoll(initial) (facilitator: the poll form,
   * pre-filled); announce(text); ended() -> whether the workshop has ended
   * (the lists are read-only then: the server refuses their changes).
   */
  constructor({ board, i18n, announce, insertLine, makePoll, ended = () => false }) {
    this.board = board;
    this.ended = ended;
    this.i18n = i18n;
    this.announce = announce;
    this.insertLine = insertLine;
    this.makePoll = makePoll;
    this.editing = null; // {id, title, why} while an item is being edited
    this.grouping = null; // the id of the item whose "Group with…" is open
    this.dragged = null;

    const title = i18n.bind(h('h2', { class: 'panel-title', id: 'board-title', tabindex: '-1' }), 'board.title');
    this.status = h('p', { class: 'board-status', id: 'board-status' });
    this.intro = i18n.bind(h('p', { class: 'field-hint', id: 'board-intro' }), 'board.intro');
    this.controls = h('div', { class: 'board-controls', id: 'board-controls', role: 'group' });
    i18n.bind(this.controls, 'board.controls', null, 'aria-label');
    this.error = h('p', { class: 'form-error', id: 'board-error', role: 'alert', hidden: true });
    this.addForm = this._buildAddForm();
    this.own = h('div', { class: 'board-own', id: 'board-own' });
    this.suggestionsEl = h('div', { class: 'board-suggestions', id: 'board-suggestions' });
    this.columns = h('div', { class: 'board-columns', id: 'board-columns' });
    this.el = h('section', { class: 'panel board', id: 'board', 'aria-labelledby': 'board-title' },
      h('div', { class: 'panel-head' }, title, this.status), this.intro, this.controls, this.error,
      this.addForm, this.own, this.suggestionsEl, this.columns);
    this.offs = [board.on('change', () => this.render()), i18n.on('change', () => this.render())];
    this.render();
  }

  destroy() {
    for (const off of this.offs) off();
  }

  focusHeading() {
    this.el.scrollIntoView?.({ block: 'start' });
    document.getElementById('board-title')?.focus({ preventScroll: true });
  }

  render() {
    const { board, i18n } = this;
    const s = board.settings;
    i18n.rebind(this.status, board.settings.visibility === 'live' ? 'board.statusLive' : s.revealed ? 'board.statusRevealed' : 'board.statusHidden');
    this.addForm.hidden = !this.writes;
    if (this.writes) i18n.rebind(this.addLegend, 'board.addLegend', { org: board.org });
    this._renderControls();
    this._renderOwn();
    this._renderSuggestions();
    this._renderColumns();
  }

  /** This person writes their organisation's list now (not an observer, the workshop not ended). */
  get writes() {
    return this.board.mayWrite && !this.ended();
  }

  // ---- facilitator's settings ------------------------------------------------

  _renderControls() {
    const { board, i18n } = this;
    this.controls.hidden = !board.facilitator;
    if (!board.facilitator) return;
    const s = board.settings;
    const live = s.visibility === 'live';
    const reveal = h('button', { type: 'button', class: s.revealed ? 'secondary' : 'primary', id: 'board-reveal', data: { key: 'reveal' },
      text: i18n.t(s.revealed ? 'board.hide' : 'board.reveal'), hidden: live });
    reveal.addEventListener('click', () => this._act(board.setSettings({ revealed: !s.revealed }), s.revealed ? 'board.announceHidden' : 'board.announceRevealed'));
    const liveBox = h('input', { type: 'checkbox', id: 'board-live', data: { key: 'live' } });
    liveBox.checked = live;
    liveBox.addEventListener('change', () => this._act(board.setSettings({ visibility: liveBox.checked ? 'live' : 'revealed' })));
    const repsBox = h('input', { type: 'checkbox', id: 'board-reps', data: { key: 'reps' } });
    repsBox.checked = s.grouping === 'representatives';
    repsBox.addEventListener('change', () => this._act(board.setSettings({ grouping: repsBox.checked ? 'representatives' : 'facilitator' })));
    rebuild(this.controls, [reveal,
      h('label', { class: 'check', for: 'board-live' }, liveBox, h('span', { text: i18n.t('board.live') })),
      h('label', { class: 'check', for: 'board-reps' }, repsBox, h('span', { text: i18n.t('board.repsGroup') }))]);
  }

  // ---- this organisation's list -----------------------------------------------

  _buildAddForm() {
    const { i18n } = this;
    this.addLegend = h('legend', { class: 'field-label', id: 'board-add-legend' });
    this.kindInputs = BOARD_KINDS.map((kind) => {
      const input = h('input', { type: 'radio', name: 'board-kind', value: kind, id: `board-kind-${kind}` });
      input.checked = kind === 'priority';
      return h('label', { class: 'option option-compact', for: input.id }, input, i18n.bind(h('span', { class: 'option-name' }), KIND_KEYS[kind]));
    });
    this.titleInput = h('input', { type: 'text', id: 'board-add-title', maxlength: String(MAX_BOARD_TITLE * 2), autocomplete: 'off' });
    this.whyInput = h('input', { type: 'text', id: 'board-add-why', maxlength: String(MAX_BOARD_WHY * 2), autocomplete: 'off' });
    this.addError = h('p', { class: 'field-error', id: 'board-add-error', hidden: true });
    const add = i18n.bind(h('button', { type: 'submit', class: 'primary', id: 'board-add' }), 'board.add');
    const form = h('form', { class: 'board-add', id: 'board-add-form', novalidate: true },
      h('fieldset', { class: 'options board-kinds' }, this.addLegend, this.kindInputs),
      h('div', { class: 'field' }, i18n.bind(h('label', { class: 'field-label', for: 'board-add-title' }), 'board.titleLabel'), this.titleInput),
      h('div', { class: 'field' }, i18n.bind(h('label', { class: 'field-label', for: 'board-add-why' }), 'board.whyLabel'), this.whyInput),
      this.addError, h('div', { class: 'actions' }, add));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const kind = this.kindInputs.map((l) => l.querySelector('input')).find((i) => i.checked)?.value || 'priority';
      const title = this.titleInput.value.trim();
      const why = this.whyInput.value.trim();
      const bad = this._checkTexts(title, why);
      this.addError.hidden = !bad;
      if (bad) {
        this.addError.textContent = i18n.t(bad);
        this.titleInput.setAttribute('aria-invalid', 'true');
        this.titleInput.setAttribute('aria-describedby', 'board-add-error');
        this.titleInput.focus();
        return;
      }
      this.titleInput.removeAttribute('aria-invalid');
      const res = await this.board.add(kind, title, why);
      if (res.error) return this._showError(res);
      this.titleInput.value = '';
      this.whyInput.value = '';
      this.titleInput.focus();
      this.announce(i18n.t('board.announceAdded', { title }));
    });
    return form;
  }

  /** What the server would refuse in a title and a why, as an i18n key, or null. */
  _checkTexts(title, why) {
    if (title !== null && !title) return 'board.errTitle';
    if (title && cps(title) > MAX_BOARD_TITLE) return 'board.errTitleLong';
    if (why && cps(why) > MAX_BOARD_WHY) return 'board.errWhyLong';
    return null;
  }

  _renderOwn() {
    const { board, i18n } = this;
    this.own.hidden = !board.mayWrite;
    if (!board.mayWrite) return;
    const items = board.ownItems;
    const head = h('h3', { class: 'board-subtitle', id: 'board-own-title', text: i18n.t('board.ownTitle', { org: board.org, count: items.length }) });
    const list = h('ul', { class: 'board-own-list', 'aria-labelledby': 'board-own-title' },
      items.map((it) => this._ownItem(it)));
    const empty = items.length ? null : h('p', { class: 'field-hint', text: i18n.t('board.ownEmpty') });
    rebuild(this.own, [head, empty, list]);
  }

  _ownItem(it) {
    const { i18n, board } = this;
    if (this.editing?.id === it.id && this.writes) return this._editRow(it);
    const edit = h('button', { type: 'button', class: 'link-button', data: { key: `edit-${it.id}` }, 'aria-describedby': `own-${it.id}-title`, text: i18n.t('board.edit') });
    edit.addEventListener('click', () => {
      this.editing = { id: it.id, title: it.title, why: it.why };
      this._renderOwn();
      document.getElementById(`board-edit-${it.id}-title`)?.focus();
    });
    const del = h('button', { type: 'button', class: 'link-button danger-link', data: { key: `delete-${it.id}` }, 'aria-describedby': `own-${it.id}-title`, text: i18n.t('board.delete') });
    del.addEventListener('click', () => this._act(board.remove(it.id), 'board.announceDeleted', { title: it.title }));
    return h('li', { class: 'board-own-item', id: `own-${it.id}` },
      h('span', { class: 'board-kind', text: i18n.t(KIND_KEYS[it.kind]) }),
      h('span', { class: 'board-item-title', id: `own-${it.id}-title`, text: it.title }),
      it.why ? h('span', { class: 'board-item-why', text: it.why }) : null,
      this.writes ? h('span', { class: 'board-item-actions' }, edit, del) : null);
  }

  _editRow(it) {
    const { i18n, board } = this;
    const e = this.editing;
    const title = h('input', { type: 'text', id: `board-edit-${it.id}-title`, value: e.title, data: { key: `edit-title-${it.id}` }, maxlength: String(MAX_BOARD_TITLE * 2) });
    const why = h('input', { type: 'text', id: `board-edit-${it.id}-why`, value: e.why, data: { key: `edit-why-${it.id}` }, maxlength: String(MAX_BOARD_WHY * 2) });
    title.addEventListener('input', () => { e.title = title.value; });
    why.addEventListener('input', () => { e.why = why.value; });
    const err = h('p', { class: 'field-error', id: `board-edit-${it.id}-error`, hidden: true });
    const save = h('button', { type: 'submit', class: 'primary', data: { key: `save-${it.id}` }, text: i18n.t('board.save') });
    const cancel = h('button', { type: 'button', class: 'secondary', data: { key: `cancel-${it.id}` }, text: i18n.t('board.cancel') });
    const close = () => {
      this.editing = null;
      this._renderOwn();
      this.own.querySelector(`[data-key="edit-${it.id}"]`)?.focus();
    };
    cancel.addEventListener('click', close);
    const form = h('form', { class: 'board-edit', novalidate: true },
      h('label', { class: 'field-label', for: title.id, text: i18n.t('board.titleLabel') }), title,
      h('label', { class: 'field-label', for: why.id, text: i18n.t('board.whyLabel') }), why, err,
      h('div', { class: 'actions' }, save, cancel));
    form.addEventListener('keydown', (ev) => { if (ev.key === 'Escape') close(); });
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const t = e.title.trim();
      const w = e.why.trim();
      const bad = this._checkTexts(t, w);
      if (bad) {
        err.textContent = i18n.t(bad);
        err.hidden = false;
        return;
      }
      // Only the fields changed: the other member's edit of the other field stands.
      const fields = {};
      if (t !== it.title) fields.title = t;
      if (w !== it.why) fields.why = w;
      if (!Object.keys(fields).length) return close();
      const res = await board.edit(it.id, fields);
      if (res.error) return this._showError(res);
      close();
    });
    return h('li', { class: 'board-own-item is-editing', id: `own-${it.id}` }, form);
  }

  // ---- suggestions -----------------------------------------------------------

  _renderSuggestions() {
    const { board, i18n } = this;
    const sugs = board.mayGroup ? board.suggestions.filter((s) => s.every((id) => board.item(id))) : [];
    this.suggestionsEl.hidden = !sugs.length;
    if (!sugs.length) return this.suggestionsEl.replaceChildren();
    const items = sugs.map((ids, n) => {
      const textId = `board-sug-${n}-text`;
      const accept = h('button', { type: 'button', class: 'primary board-accept', data: { key: `accept-${ids.join('-')}` }, 'aria-describedby': textId, text: i18n.t('board.accept') });
      accept.addEventListener('click', async () => {
        const res = await this._act(board.group(ids), 'board.announceGrouped');
        // The suggestion is gone: the next one, else the board's heading, keeps the focus.
        if (!res.error && !this.el.contains(document.activeElement)) (this.el.querySelector('.board-accept') || this.el.querySelector('#board-title'))?.focus();
      });
      return h('li', { class: 'board-suggestion' },
        h('span', { class: 'board-sug-text', id: textId }, ids.map((id) => this._chip(board.item(id)))), accept);
    });
    rebuild(this.suggestionsEl, [h('h3', { class: 'board-subtitle', id: 'board-sug-title', text: i18n.t('board.suggestions') }),
      h('ul', { class: 'board-sug-list', 'aria-labelledby': 'board-sug-title' }, items)]);
  }

  /** An item as a short label: its organisation's swatch, the organisation and the title. */
  _chip(it) {
    const sw = h('span', { class: 'swatch', 'aria-hidden': 'true' });
    sw.style.backgroundColor = orgColor(it.org);
    return h('span', { class: 'board-chip' }, sw, h('span', { class: 'board-chip-org', text: `${it.org} — ` }), h('span', { text: it.title }));
  }

  // ---- the three columns -------------------------------------------------------

  _renderColumns() {
    const { board, i18n } = this;
    const hidden = !board.open && !board.facilitator ? h('p', { class: 'notice board-hidden', id: 'board-hidden-note', text: i18n.t('board.hiddenNote') }) : null;
    rebuild(this.columns, [hidden, ...boardColumns(board.board, i18n, {
      idPrefix: 'board', item: (it, c) => this._item(it, c), actions: (c) => this._actions(c),
    })]);
  }

  /** What can be done with a group or a lone item: a statement line, a poll, undo the group. */
  _actions(c) {
    const { board, i18n } = this;
    const key = c.group || c.items[0].id;
    const actions = [];
    if ((board.mayWrite || board.facilitator) && !this.ended()) {
      const toStatement = h('button', { type: 'button', class: 'secondary', data: { key: `line-${key}` }, text: i18n.t('board.toStatement') });
      toStatement.addEventListener('click', () => {
        if (this.insertLine(statementLine(c))) this.announce(i18n.t('board.announceLine'));
        else this._showError({ error: 'forbidden' });
      });
      actions.push(toStatement);
    }
    if (board.facilitator && c.items.length >= 2) {
      const poll = h('button', { type: 'button', class: 'secondary', data: { key: `poll-${key}` }, text: i18n.t('board.toPoll') });
      poll.addEventListener('click', () => this.makePoll({
        kind: 'multiple', question: i18n.t('board.pollQuestion'), max: null,
        choices: [...new Set(c.items.map((it) => it.title))].slice(0, POLL_CHOICES_MAX),
      }));
      actions.push(poll);
    }
    if (board.mayGroup && c.group) {
      const ungroup = h('button', { type: 'button', class: 'link-button', data: { key: `ungroup-${key}` }, text: i18n.t('board.ungroupAll') });
      ungroup.addEventListener('click', () => this._act(board.ungroup({ group: c.group }), 'board.announceUngrouped'));
      actions.push(ungroup);
    }
    return actions;
  }

  _item(it, c) {
    const { board, i18n } = this;
    const li = itemEl(it, i18n, 'board');
    if (!board.mayGroup) return li;
    // Drag one item onto another; "Group with…" does the same from the keyboard.
    li.draggable = true;
    li.addEventListener('dragstart', (e) => {
      this.dragged = it.id;
      e.dataTransfer?.setData('text/plain', it.id);
      if (e.dataTransfer) e.dataTransfer.effectAllowed = 'move';
    });
    li.addEventListener('dragend', () => { this.dragged = null; });
    li.addEventListener('dragover', (e) => {
      if (this.dragged && this.dragged !== it.id) {
        e.preventDefault();
        li.classList.add('is-drop');
      }
    });
    li.addEventListener('dragleave', () => li.classList.remove('is-drop'));
    li.addEventListener('drop', (e) => {
      e.preventDefault();
      li.classList.remove('is-drop');
      const from = this.dragged || e.dataTransfer?.getData('text/plain');
      this.dragged = null;
      if (from && from !== it.id) this._act(board.group([it.id, from]), 'board.announceGrouped');
    });
    const others = board.items.filter((o) => o.id !== it.id && !(c.group && o.group === c.group));
    const tools = [];
    if (others.length) {
      const open = this.grouping === it.id;
      const toggle = h('button', { type: 'button', class: 'link-button', data: { key: `with-${it.id}` }, 'aria-expanded': String(open),
        'aria-controls': `board-with-${it.id}`, 'aria-describedby': `board-item-${it.id}-title`, text: i18n.t('board.groupWith') });
      toggle.addEventListener('click', () => {
        this.grouping = open ? null : it.id;
        this._renderColumns();
        document.getElementById(open ? `board-item-${it.id}` : `board-with-${it.id}-select`)?.focus?.();
      });
      tools.push(toggle);
      if (open) tools.push(this._groupWith(it, others));
    }
    if (c.group) {
      const out = h('button', { type: 'button', class: 'link-button', data: { key: `out-${it.id}` }, 'aria-describedby': `board-item-${it.id}-title`, text: i18n.t('board.ungroup') });
      out.addEventListener('click', () => this._act(board.ungroup({ item: it.id }), 'board.announceUngrouped'));
      tools.push(out);
    }
    if (board.facilitator && !board.mine(it)) {
      const del = h('button', { type: 'button', class: 'link-button danger-link', data: { key: `remove-${it.id}` }, 'aria-describedby': `board-item-${it.id}-title`, text: i18n.t('board.delete') });
      del.addEventListener('click', () => this._act(board.remove(it.id), 'board.announceDeleted', { title: it.title }));
      tools.push(del);
    }
    li.append(h('span', { class: 'board-item-actions' }, tools));
    return li;
  }

  /** The keyboard's way to group: choose the other item, then "Group". */
  _groupWith(it, others) {
    const { board, i18n } = this;
    const select = h('select', { id: `board-with-${it.id}-select`, data: { key: `with-select-${it.id}` } },
      others.map((o) => h('option', { value: o.id, text: `${o.org} — ${o.title}` })));
    const go = h('button', { type: 'button', class: 'primary', data: { key: `with-go-${it.id}` }, text: i18n.t('board.group') });
    go.addEventListener('click', async () => {
      this.grouping = null;
      const res = await this._act(board.group([select.value, it.id]), 'board.announceGrouped');
      // The menu is gone: the focus stays with the item, on its way out of the group.
      if (!res.error) this.columns.querySelector(`[data-key="out-${it.id}"]`)?.focus();
    });
    return h('span', { class: 'board-with', id: `board-with-${it.id}`, role: 'group', 'aria-label': i18n.t('board.groupWithLabel', { title: it.title }) },
      h('label', { class: 'visually-hidden', for: select.id, text: i18n.t('board.groupWithLabel', { title: it.title }) }), select, go);
  }

  // ---- requests ------------------------------------------------------------------

  async _act(promise, announceKey, params) {
    const res = await promise;
    if (res.error) return this._showError(res);
    this.error.hidden = true;
    if (announceKey) this.announce(this.i18n.t(announceKey, params));
    return res;
  }

  _showError(res) {
    const key = { forbidden: 'board.errForbidden', too_large: 'board.errFull', not_found: 'board.errGone', ended: 'board.errEnded',
      offline: 'board.errOffline', disconnected: 'board.errOffline', unavailable: 'board.errOffline' }[res.error] || 'board.errFailed';
    this.error.textContent = this.i18n.t(key);
    this.error.hidden = false;
    return res;
  }
}

// ---- the columns, live or in the replay ------------------------------------------

/** An item on a card: its organisation (colour and name), kind, title and why. */
function itemEl(it, i18n, idPrefix) {
  const color = orgColor(it.org);
  const sw = h('span', { class: 'swatch', 'aria-hidden': 'true' });
  sw.style.backgroundColor = color;
  const li = h('li', { class: 'board-item', id: `${idPrefix}-item-${it.id}`, data: { item: it.id } },
    h('span', { class: 'board-item-head' }, sw, h('span', { class: 'board-item-org', text: it.org }),
      h('span', { class: 'board-kind', text: i18n.t(KIND_KEYS[it.kind] || KIND_KEYS.priority) })),
    h('span', { class: 'board-item-title', id: `${idPrefix}-item-${it.id}-title`, text: it.title }),
    it.why ? h('span', { class: 'board-item-why', text: it.why }) : null);
  li.style.borderInlineStartColor = color;
  li.style.backgroundColor = tint(color, 0.06);
  return li;
}

/**
 * The three columns of a board (common to all, shared by some, unique to
 * one) as sections; item(it, cluster) and actions(cluster) make the live
 * page's controls (none in the replay).
 */
export function boardColumns(board, i18n, { idPrefix, item = (it) => itemEl(it, i18n, idPrefix), actions = () => [] }) {
  const { orgs, clusters } = classify(board);
  return COLUMNS.map(([cls, titleKey, hintKey]) => {
    const mine = clusters.filter((c) => c.cls === cls);
    const id = `${idPrefix}-col-${cls}`;
    const cards = mine.map((c) => {
      const acts = actions(c);
      return h('li', { class: ['board-cluster', c.group ? 'is-group' : null], data: { cluster: c.group || c.items[0].id } },
        h('p', { class: 'board-cluster-orgs', text: c.cls === 'common' ? i18n.t('board.allOrgs', { count: orgs.length }) : c.orgs.join(', ') }),
        h('ul', { class: 'board-items' }, c.items.map((it) => item(it, c))),
        acts.length ? h('div', { class: 'board-cluster-actions' }, acts) : null);
    });
    return h('section', { class: ['board-col', `board-col-${cls}`], id, 'aria-labelledby': `${id}-title` },
      h('h3', { class: 'board-subtitle', id: `${id}-title`, text: i18n.t(titleKey, { count: mine.length }) }),
      h('p', { class: 'field-hint', text: i18n.t(hintKey) }),
      cards.length ? h('ul', { class: 'board-clusters' }, cards) : h('p', { class: 'board-empty', text: i18n.t('board.colEmpty') }));
  });
}
