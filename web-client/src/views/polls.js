// The polls panel beside the statement: the facilitator's "new poll" area
// (ready-made questions of the method, or a blank form), then one card per
// poll, newest first. It reads and drives the PollStore only.
//
// Results can change four times a second. Each card is split into regions
// (heading, facilitator controls, ballot, results) and a region is rebuilt
// only when what it shows changed, so a live chart never rebuilds the button
// under someone's pointer. When a region with the focus is rebuilt, the focus
// goes back to the control with the same data-key (the "open" button becomes
// "close" under the same key), or to the card's heading.
import { h, rebuild } from './dom.js';
import { wordDiff } from '../state/worddiff.js';
import { PollForm } from './pollform.js';
import { renderResults, alignmentHelp, scaleLabel, thresholdSentence } from './pollresults.js';
import { orgColor, UNKNOWN_COLOR } from '../state/colors.js';
import {
  READY_MADE, readyMadeDefinition, formOf, checkText, localized, byOrganisations, representativesOnly, resultsModel, refusalKey,
  isOrder, moveInOrder,
} from '../state/polls.js';
import { MAX_ANSWER, DEFAULT_TEXT_ANSWERS } from '../protocol/messages.js';

const KIND_KEYS = { single: 'poll.kindSingle', multiple: 'poll.kindMultiple', scale: 'poll.kindScale', text: 'poll.kindText', rank: 'poll.kindRank' };
const STATE_KEYS = { draft: 'poll.stateDraft', open: 'poll.stateOpen', closed: 'poll.stateClosed' };
const VIS = [
  ['hidden', 'poll.visHidden', 'poll.visHiddenHint'],
  ['live', 'poll.visLive', 'poll.visLiveHint'],
  ['revealed', 'poll.visRevealed', 'poll.visRevealedHint'],
];
const LIFECYCLE = { draft: ['open', 'poll.open'], open: ['close', 'poll.close'], closed: ['reopen', 'poll.reopen'] };
const STATUS_KEYS = { saved: 'poll.voteSaved', sending: 'poll.voteSending', waiting: 'poll.voteWaiting' };

const sig = (...parts) => JSON.stringify(parts);

export class PollsView {
  constructor({ store, i18n, announce }) {
    this.store = store;
    this.polls = store.polls;
    this.i18n = i18n;
    this.announce = announce;
    this.cards = new Map();
    this.composer = null;
    this.newOpen = false;

    this.heading = h('h2', { id: 'polls-title', class: 'panel-title', tabindex: '-1' });
    i18n.bind(this.heading, 'poll.title');
    this.count = h('span', { class: 'count', id: 'polls-count' });
    this.newArea = h('div', { class: 'poll-new', hidden: true });
    this.empty = h('p', { class: 'field-hint polls-empty' });
    this.offline = h('p', { class: 'field-hint polls-offline', hidden: true });
    i18n.bind(this.offline, 'poll.offline');
    this.list = h('ol', { class: 'poll-list', 'aria-labelledby': 'polls-title' });
    this.el = h('section', { class: 'panel polls', id: 'polls', 'aria-labelledby': 'polls-title' },
      h('div', { class: 'panel-head' }, this.heading, this.count), this.offline, this.newArea, this.empty, this.list);

    this.offs = [
      this.polls.on('change', (id) => this.render(id)),
      this.polls.on('announce', (key, params) => announce(i18n.t(key, params))),
      i18n.on('change', () => this.render(null, { all: true })),
      store.discuss.on('change', () => this.render(null, { all: true })),
      // Ended or reopened: votes, answers and "open" come and go.
      store.on('workshop', () => this.render(null, { all: true })),
      store.on('status', ({ status }) => {
        const off = status !== 'connected';
        if (off === !this.offline.hidden) return;
        this.offline.hidden = !off;
        this.el.classList.toggle('is-stale', off);
        this.render(null, { all: true });
      }),
    ];
    this.render(null, { all: true });
  }

  destroy() {
    for (const off of this.offs) off();
  }

  get facilitator() {
    return this.polls.known ? this.polls.isFacilitator : this.store.role === 'facilitator';
  }

  focusHeading() {
    this.heading.focus();
  }

  render(id, { all = false } = {}) {
    const { i18n, polls } = this;
    const open = polls.openCount;
    this.count.textContent = open ? i18n.t('poll.openCount', { count: open }) : '';
    this._renderNew(all);

    const entries = polls.list;
    this.empty.hidden = entries.length > 0;
    if (!polls.known) i18n.rebind(this.empty, 'poll.loading');
    else i18n.rebind(this.empty, this.facilitator ? 'poll.emptyFacilitator' : 'poll.emptyParticipant');

    const ids = new Set(entries.map((e) => e.poll.id));
    for (const [cid, card] of this.cards) {
      if (!ids.has(cid)) {
        const hadFocus = card.el.contains(document.activeElement);
        card.el.remove();
        this.cards.delete(cid);
        if (hadFocus) this.focusHeading();
      }
    }
    let prev = null;
    for (const e of entries) {
      let card = this.cards.get(e.poll.id);
      if (!card) {
        card = new PollCard(this, e.poll.id);
        this.cards.set(e.poll.id, card);
      }
      if (all || id == null || id === e.poll.id || !card.drawn) card.render();
      // Keep the DOM order without moving nodes that are already in place
      // (moving a node drops its focus).
      const want = prev ? prev.nextSibling : this.list.firstChild;
      if (want !== card.el) this.list.insertBefore(card.el, want);
      prev = card.el;
    }
    this.el.dispatchEvent(new CustomEvent('polls-changed'));
  }

  // ---- new poll (facilitator) ------------------------------------------------

  _renderNew(all) {
    const { i18n } = this;
    if (!this.facilitator) {
      this.newArea.hidden = true;
      return;
    }
    this.newArea.hidden = false;
    if (!this.newToggle) {
      this.newToggle = h('button', { type: 'button', class: 'secondary poll-new-toggle', id: 'poll-new-toggle', 'aria-expanded': 'false', 'aria-controls': 'poll-new-panel' },
        h('span', { 'aria-hidden': 'true', text: '+' }), i18n.bind(h('span'), 'poll.new'));
      this.newToggle.addEventListener('click', () => this._setNewOpen(!this.newOpen, { focus: true }));
      this.newPanel = h('div', { class: 'poll-new-panel', id: 'poll-new-panel', hidden: true });
      this.newArea.replaceChildren(this.newToggle, this.newPanel);
      all = true;
    }
    if (all) this._renderNewPanel();
  }

  _setNewOpen(open, { focus = false } = {}) {
    this.newOpen = open;
    if (!open) this.composer = null;
    this.newToggle.setAttribute('aria-expanded', String(open));
    this.newPanel.hidden = !open;
    this._renderNewPanel();
    if (focus && open) this.newPanel.querySelector('button, textarea')?.focus();
  }

  _renderNewPanel() {
    const { i18n } = this;
    // After the end the server refuses to open a poll, not to keep a draft:
    // "Lancer" waits for the workshop to be reopened, and says so.
    const ended = this.store.ended;
    if (this.composer) {
      this.composer.blockLaunch(ended ? 'poll.launchEnded' : null);
      if (this.newPanel.firstChild !== this.composer.el || this.newPanel.childNodes.length !== 1) rebuild(this.newPanel, [this.composer.el]);
      return;
    }
    const intro = h('p', { class: 'field-hint', text: i18n.t('poll.newIntro') });
    const endedNote = ended ? h('p', { class: 'field-hint ended-hint', id: 'poll-launch-ended', text: i18n.t('poll.launchEnded') }) : null;
    const title = h('h3', { class: 'ready-title', id: 'poll-ready-title', text: i18n.t('poll.readyTitle') });
    const items = READY_MADE.map((item) => {
      const def = readyMadeDefinition(item, i18n);
      const textId = `ready-${item.key}-text`;
      const kind = [i18n.t(KIND_KEYS[item.kind])];
      if (def.respondents === 'organisations') kind.push(i18n.t('poll.modeOrgShort'));
      // "Lancer": created, opened and shown live in one step; "Préparer":
      // the form, to change it or keep it as a draft.
      const launch = h('button', { type: 'button', class: 'primary ready-launch', 'aria-describedby': ended ? `${textId} poll-launch-ended` : textId, data: { key: `launch-${item.key}`, action: 'launch', ready: item.key }, text: i18n.t('poll.launch') });
      if (ended) launch.setAttribute('aria-disabled', 'true');
      launch.addEventListener('click', () => this._launch(def, launch));
      const prepare = h('button', { type: 'button', class: 'secondary ready-question', 'aria-describedby': textId, data: { key: `ready-${item.key}`, action: 'prepare', ready: item.key }, text: i18n.t('poll.prepare') });
      prepare.addEventListener('click', () => this._compose(def, item.forItem ? 'poll.forItemHint' : null));
      return h('li', { class: 'ready-item' },
        h('span', { class: 'ready-text', id: textId, text: def.question }),
        h('span', { class: 'ready-kind', text: kind.join(' · ') }),
        h('span', { class: 'ready-actions' }, launch, prepare));
    });
    const note = h('p', { class: 'field-hint', text: i18n.t('poll.launchNote') });
    this.launchError = h('p', { class: 'form-error', role: 'alert', hidden: true });
    const blank = h('button', { type: 'button', class: 'secondary', id: 'poll-blank', data: { key: 'blank' }, text: i18n.t('poll.blank') });
    blank.addEventListener('click', () => this._compose({ kind: 'single', question: '', choices: ['', ''], max: null }, null));
    rebuild(this.newPanel, [intro, endedNote, title, h('ul', { class: 'ready-list', 'aria-labelledby': 'poll-ready-title' }, items), note, this.launchError, h('div', { class: 'actions' }, blank)]);
  }

  async _launch(def, button) {
    if (this.launching || this.store.ended) return;
    this.launching = true;
    button.setAttribute('aria-disabled', 'true');
    this.launchError.hidden = true;
    const res = await this.polls.launch(def, 'live');
    this.launching = false;
    button.removeAttribute('aria-disabled');
    this._afterLaunch(res, this.launchError);
  }

  /** After "Lancer" (ready-made or from the form): go to the poll, or say what failed. */
  _afterLaunch(res, errorEl) {
    if (res.error && !res.poll) {
      if (errorEl) {
        errorEl.textContent = this.i18n.t(refusalKey(res.error, 'step'));
        errorEl.hidden = false;
      }
      return res;
    }
    this._setNewOpen(false);
    const card = res.poll && this.cards.get(res.poll.id);
    if (card) {
      if (res.error) card.actionError = refusalKey(res.error, 'step');
      card.render();
      card.article.scrollIntoView?.({ block: 'nearest' });
      card.focusKey('lifecycle');
    }
    // Say what really happened: launched; or created and left a draft; or
    // opened without its results shown live (the card says why).
    const p = res.poll;
    if (!res.error) this.announce(this.i18n.t('poll.announceLaunched'));
    else if (p.state === 'draft') this.announce(this.i18n.t('poll.announceDraft'));
    else this.announce(this.i18n.t('poll.announceOpened', { question: localized(p, this.i18n.lang).question }));
    return res;
  }

  /**
   * Open the new-poll form filled in with {kind, question, choices,
   * passage} (passage: {start, end, rev, text} of the statement, or null).
   * The one entry point for other views: "poll about this passage" in the
   * editor, a group of items of the priorities board. False for anyone but
   * a facilitator.
   */
  prefill({ kind = 'single', question = '', choices = [], passage = null } = {}) {
    if (!this.facilitator) return false;
    if (!this.newOpen) this._setNewOpen(true);
    const rows = Array.isArray(choices) && choices.length ? choices.map(String) : ['', ''];
    this._compose({ kind, question, choices: rows, max: null, passage }, null);
    this.newPanel.scrollIntoView?.({ block: 'nearest' });
    return true;
  }

  _compose(initial, hintKey) {
    const { polls } = this;
    this.composer = new PollForm({
      i18n: this.i18n,
      initial,
      mode: 'create',
      hintKey,
      onLaunch: async (def) => {
        const res = await polls.launch(def, 'live');
        if (res.error && !res.poll) return res;
        return this._afterLaunch(res, null);
      },
      onSubmit: async (def) => {
        const res = await polls.create(def);
        if (res.ok) {
          this._setNewOpen(false);
          const card = this.cards.get(res.poll.id);
          if (card) card.focusKey('lifecycle');
          this.announce(this.i18n.t('poll.announceDraft'));
        }
        return res;
      },
      onCancel: () => {
        this.composer = null;
        this._renderNewPanel();
        this.newToggle.focus();
      },
    });
    this._renderNewPanel();
    this.composer.focus();
  }
}

/**
 * The passage a poll is about, quoted; once its text differs from the one
 * the first ballot was cast on, "the passage changed since the first vote"
 * and the word difference (what was taken out, what was put in), said in
 * words for screen readers (polls.md, "Polls about a passage").
 */
export function passageBlock(i18n, passage, idPrefix) {
  const out = [];
  const label = h('p', { class: 'passage-label', text: i18n.t(passage.gone ? 'poll.passageGone' : 'poll.passageAbout') });
  out.push(h('div', { class: 'poll-passage' }, label, passage.gone ? null : h('blockquote', { class: 'passage-quote', text: passage.text })));
  if (passage.changed && typeof passage.first === 'string') {
    const model = wordDiff(passage.first, passage.text, { context: Infinity });
    const diff = h('p', { class: 'diff-text passage-diff', id: `${idPrefix}-passage-diff` }, model.parts.map((part) => {
      if (part.kind === 'same') return document.createTextNode(part.text);
      if (part.kind === 'gap') return document.createTextNode(' … ');
      return h(part.kind, null, h('span', { class: 'visually-hidden', text: i18n.t(part.kind === 'ins' ? 'signoff.diffAddedSr' : 'signoff.diffRemovedSr') }), part.text,
        h('span', { class: 'visually-hidden', text: i18n.t('signoff.diffEndSr') }));
    }));
    out.push(h('div', { class: 'passage-changed', role: 'note' },
      h('p', { class: 'passage-changed-title', text: i18n.t('poll.passageChanged') }), diff));
  }
  return out;
}

class PollCard {
  constructor(view, id) {
    this.view = view;
    this.id = id;
    this.dom = `poll-${id}`;
    this.sigs = {};
    this.drawn = false;
    this.editing = null; // PollForm while editing a draft
    this.confirmDelete = false;
    this.busy = false;
    this.actionError = null;
    this.editAnswer = null; // {id, input, error}
    this.answerError = null;
    this.answerBusy = false;

    const { i18n } = view;
    this.question = h('h3', { class: 'poll-question', id: `${this.dom}-q`, tabindex: '-1' });
    this.meta = h('div', { class: 'poll-meta' });
    this.controls = h('div', { class: 'poll-controls' });
    this.body = h('div', { class: 'poll-body' });
    // Persistent, so that screen readers hear its changes (a new live region is not read).
    this.status = h('p', { class: 'poll-status', role: 'status' });
    this.resultsBox = h('div', { class: 'poll-results-box' });
    this.help = alignmentHelp(i18n);
    this.results = h('section', { class: 'poll-results' }, this.resultsBox, this.help);
    this.newAnswer = h('input', { type: 'text', id: `${this.dom}-new-answer`, class: 'answer-input', autocomplete: 'off', data: { key: 'new-answer' } });
    // A half-typed answer survives a reload of this tab.
    this.newAnswer.value = view.polls.draftOf(id);
    this.newAnswer.addEventListener('input', () => view.polls.setDraft(id, this.newAnswer.value));
    this.details = h('div', { class: 'poll-details', id: `${this.dom}-details` }, this.controls, this.body, this.status, this.results);
    this.article = h('article', { class: 'poll-card', id: this.dom, 'aria-labelledby': `${this.dom}-q`, data: { pollId: id } },
      this.meta, this.question, this.details);
    // Polls already closed when the page loads are history: folded, except
    // the newest, so the panel stays short in a long workshop.
    const e = this.entry;
    const newest = view.polls.list[0];
    this.collapsed = !!e && e.poll.state === 'closed' && newest && newest.poll.id !== id;
    this.el = h('li', { class: 'poll-item' }, this.article);
  }

  get entry() {
    return this.view.polls.get(this.id);
  }

  focusKey(key) {
    const el = [...this.article.querySelectorAll('[data-key]')].find((e) => e.dataset.key === key);
    (el || this.question).focus();
  }

  _fallback() {
    return () => this.question.focus();
  }

  render() {
    const e = this.entry;
    if (!e) return;
    this.drawn = true;
    const { i18n } = this.view;
    const p = e.poll;
    const fac = this.view.facilitator;
    if (this.editing && p.state !== 'draft') {
      // Another facilitator opened it meanwhile: it can no longer be edited.
      this.editing = null;
      this.actionError = 'poll.errState';
    }
    if (p.state !== 'closed') this.collapsed = false;
    this.details.hidden = this.collapsed;
    this.article.dataset.state = p.state;
    this.article.dataset.kind = p.kind;
    this.article.classList.toggle('is-editing', !!this.editing);
    this.article.dataset.respondents = byOrganisations(p) ? 'organisations' : 'people';
    const text = localized(p, i18n.lang);
    this.question.textContent = text.question;
    const ended = this.view.store.ended;

    const s = {
      meta: sig(i18n.lang, p.state, p.kind, p.max, p.choices?.length, this.collapsed, p.respondents, p.threshold, p.representatives_only),
      controls: sig(i18n.lang, fac, p.state, p.results, p.respondents, p.threshold, p.representatives_only, this.confirmDelete, this.busy, this.actionError, !!this.editing, ended),
      body: this.editing ? sig('editing', this.editing.id) : this._bodySig(e, fac),
      results: sig(i18n.lang, fac, p.kind, p.state, p.results, text.choices, p.kind === 'text' ? p.answers : null, e.results, p.respondents, p.threshold, p.representatives_only,
        this.view.store.discuss.openItemOf(p.id)?.id ?? null),
    };
    if (s.meta !== this.sigs.meta) this._renderMeta(p);
    if (s.controls !== this.sigs.controls) rebuild(this.controls, fac && !this.editing ? this._controls(p) : [], this._fallback());
    this.controls.hidden = !fac || !!this.editing;
    if (s.body !== this.sigs.body) rebuild(this.body, this.editing ? [this.editing.el] : this._body(e, fac), this._fallback());
    if (s.results !== this.sigs.results) this._renderResults(e, fac);
    if (p.kind === 'text' && !this.editing) this._fillTextStats(e, fac);
    this.sigs = s;
    this._renderStatus(e);
  }

  // ---- heading ---------------------------------------------------------------

  _renderMeta(p) {
    const { i18n } = this.view;
    let kind = i18n.t(KIND_KEYS[p.kind]);
    if (p.kind === 'multiple' && p.max && p.max < p.choices.length) kind = i18n.t('poll.kindMultipleMax', { max: p.max });
    if (p.kind === 'text') kind = i18n.t('poll.kindTextMax', { count: p.max ?? DEFAULT_TEXT_ANSWERS });
    const parts = [
      h('span', { class: ['state-badge', `state-${p.state}`], text: i18n.t(STATE_KEYS[p.state]) }),
      h('span', { class: 'poll-kind', text: kind }),
    ];
    if (byOrganisations(p)) parts.push(h('span', { class: 'poll-mode', text: i18n.t('poll.modeOrgShort') }));
    // Said to everyone: who may answer is part of what the poll is.
    if (representativesOnly(p)) parts.push(h('span', { class: 'poll-mode poll-reps', text: i18n.t('poll.modeRepsShort') }));
    if (p.state === 'closed') {
      const toggle = h('button', {
        type: 'button', class: 'link-button poll-toggle', 'aria-expanded': String(!this.collapsed),
        'aria-controls': this.details.id, 'aria-describedby': `${this.dom}-q`, data: { key: 'toggle', action: 'toggle' },
        text: i18n.t(this.collapsed ? 'poll.expand' : 'poll.collapse'),
      });
      toggle.addEventListener('click', () => {
        this.collapsed = !this.collapsed;
        this.render();
      });
      parts.push(toggle);
    }
    rebuild(this.meta, parts, this._fallback());
  }

  // ---- facilitator controls ------------------------------------------------------

  _act(promiseFn, after) {
    if (this.busy) return;
    this.busy = true;
    this.actionError = null;
    this.render();
    promiseFn().then((res) => {
      this.busy = false;
      if (res.error) this.actionError = refusalKey(res.error, 'step');
      if (this.entry) this.render();
      if (!res.error && after) after(res);
    });
  }

  _controls(p) {
    const { i18n, polls } = this.view;
    const q = `${this.dom}-q`;
    const btn = (key, labelKey, cls, onClick, extra = {}) => {
      const b = h('button', { type: 'button', class: cls, data: { key, action: extra.action || key }, 'aria-describedby': extra.describedBy || q, text: i18n.t(labelKey) });
      if (extra.pressed !== undefined) b.setAttribute('aria-pressed', String(extra.pressed));
      if (this.busy) b.setAttribute('aria-disabled', 'true');
      b.addEventListener('click', onClick);
      return b;
    };
    const parts = [];

    if (this.confirmDelete) {
      const ask = h('p', { class: 'confirm-text', id: `${this.dom}-confirm`, text: i18n.t(p.state === 'draft' ? 'poll.confirmDeleteDraft' : 'poll.confirmDelete') });
      const yes = btn('delete-confirm', 'poll.deleteConfirm', 'danger', () => this._act(() => polls.step(this.id, 'delete'), () => this.view.focusHeading()), { describedBy: `${this.dom}-confirm` });
      const no = btn('delete-cancel', 'poll.cancel', 'secondary', () => {
        this.confirmDelete = false;
        this.render();
        this.focusKey('delete');
      });
      const box = h('div', { class: 'confirm', role: 'group', 'aria-labelledby': `${this.dom}-confirm` }, ask, h('div', { class: 'actions' }, yes, no));
      box.addEventListener('keydown', (ev) => {
        if (ev.key === 'Escape') no.click();
      });
      parts.push(box);
    } else {
      const actions = [];
      if (p.state === 'draft') {
        actions.push(btn('edit', 'poll.edit', 'secondary', () => this._startEdit()));
      }
      const [step, labelKey] = LIFECYCLE[p.state];
      // Once the workshop has ended, nothing opens again until it is
      // reopened: the button goes, and the card says why.
      const blocked = this.view.store.ended && step !== 'close';
      if (!blocked) {
        actions.push(btn('lifecycle', labelKey, p.state === 'closed' ? 'secondary' : 'primary', () => this._act(() => polls.step(this.id, step)), { action: step }));
      }
      actions.push(btn('delete', 'poll.delete', 'link-button danger-link', () => {
        this.confirmDelete = true;
        this.render();
        this.focusKey('delete-confirm');
      }));
      parts.push(h('div', { class: 'actions poll-actions' }, actions));
      if (blocked) parts.push(h('p', { class: 'field-hint ended-hint', text: i18n.t('poll.errEnded') }));
    }
    // Who answers, and from how many respondents an organisation shows on
    // its own: said before opening (and kept in view after).
    parts.push(h('p', { class: 'field-hint mode-hint', id: `${this.dom}-mode` }, thresholdSentence(i18n, p, null, { long: p.state === 'draft' })));

    const visLabel = h('span', { class: 'vis-label', id: `${this.dom}-vis`, text: i18n.t('poll.visLabel') });
    const warnId = `${this.dom}-live-warning`;
    // polls.md: shown next to the "live" option. Once closed, no vote moves
    // the totals any more; organisation answers are open, by name: neither
    // has a secret for it to guard.
    const warn = p.state !== 'closed' && !byOrganisations(p);
    const seg = VIS.map(([v, labelKey]) => btn(`vis-${v}`, labelKey, 'seg', () => {
      if (p.results !== v) this._act(() => polls.setVisibility(this.id, v));
    }, { pressed: p.results === v, action: `vis-${v}`, describedBy: v === 'live' && warn ? warnId : `${this.dom}-vis-hint` }));
    const hint = h('p', { class: 'field-hint vis-hint', id: `${this.dom}-vis-hint`, text: i18n.t(VIS.find(([v]) => v === p.results)[2]) });
    parts.push(h('div', { class: 'visibility' },
      h('div', { class: 'segmented', role: 'group', 'aria-labelledby': `${this.dom}-vis` }, visLabel, seg), hint));
    if (warn) {
      parts.push(h('p', { class: 'warning live-warning', id: warnId },
        h('span', { class: 'warning-icon', 'aria-hidden': 'true', text: '!' }), h('span', { text: i18n.t('poll.liveWarning') })));
    }
    if (p.state === 'closed' && p.results === 'revealed') parts.push(h('p', { class: 'field-hint', text: i18n.t('poll.reopenHides') }));
    if (this.actionError) parts.push(h('p', { class: 'form-error', role: 'alert', text: i18n.t(this.actionError) }));
    return parts;
  }

  _startEdit() {
    const { i18n, polls } = this.view;
    const e = this.entry;
    this.actionError = null;
    this.editing = new PollForm({
      i18n,
      initial: formOf(e.poll, i18n.lang),
      mode: 'edit',
      onSubmit: async (def) => {
        const res = await polls.edit(this.id, def);
        if (res.ok) {
          this.editing = null;
          this.render();
          this.focusKey('edit');
        }
        return res;
      },
      onCancel: () => {
        this.editing = null;
        this.render();
        this.focusKey('edit');
      },
    });
    this.render();
    this.editing.focus();
  }

  // ---- ballot ----------------------------------------------------------------------

  _bodySig(e, fac) {
    const { i18n, polls } = this.view;
    const p = e.poll;
    const b = polls.ballotOf(this.id);
    const ups = p.kind === 'text' ? (p.answers || []).map((a) => [a.id, polls.upvoted(this.id, a.id)]) : null;
    // A closed text poll lists its answers by upvotes: their order follows
    // the results (no button moves under a pointer: nothing to click but
    // the facilitator's "delete").
    const order = p.kind === 'text' && p.state !== 'open' ? this._rankedIds(e, fac) : null;
    return sig(i18n.lang, fac, p.state, p.kind, p.question, p.choices, p.translations, p.respondents, p.max, p.answers, b.ballot, e.mine, ups,
      polls.pendingAnswers(this.id), order, polls.mayAnswer(p), this.view.store.observer, this.view.store.me?.id,
      this.editAnswer?.id ?? null, this.editAnswer?.error ?? null, this.answerError, this.answerBusy, this.rankDraft ?? null, p.passage ?? null);
  }

  _resultsVisible(e, fac) {
    return e.poll.state !== 'draft' && !!e.results && (fac || e.poll.results !== 'hidden');
  }

  _rankedIds(e, fac) {
    if (!this._resultsVisible(e, fac)) return null;
    return (e.results.answers || []).map((a) => a.id);
  }

  _body(e, fac) {
    const p = e.poll;
    const passage = p.passage ? passageBlock(this.view.i18n, p.passage, this.dom) : [];
    if (p.state === 'draft') return [...passage, ...this._draftPreview(p)];
    if (p.kind === 'text') return [...passage, ...this._textBody(e, fac)];
    return [...passage, ...[this._choiceBody(e)].flat()];
  }

  _labels(p) {
    const { i18n } = this.view;
    return p.kind === 'scale' ? [1, 2, 3, 4, 5].map((v) => scaleLabel(i18n, v)) : localized(p, i18n.lang).choices;
  }

  _draftPreview(p, noteKey = 'poll.draftNote') {
    const { i18n } = this.view;
    const parts = [h('p', { class: 'field-hint draft-note', text: i18n.t(noteKey) })];
    if (p.kind !== 'text') parts.push(h('ul', { class: 'preview-choices' }, this._labels(p).map((l) => h('li', { text: l }))));
    return parts;
  }

  _choiceBody(e) {
    const { i18n, polls } = this.view;
    const p = e.poll;
    const { ballot } = polls.ballotOf(this.id);
    const labels = this._labels(p);
    const valueOf = (i) => (p.kind === 'scale' ? i + 1 : i);

    if (p.state === 'open' && !polls.mayAnswer(p)) {
      // An observer reads the choices; nothing to pick.
      if (this.view.store.observer) return this._draftPreview(p, 'observer.pollNote');
      // Limited to representatives: the other members (the facilitator
      // too) read their organisation's answer as it is given.
      return this._orgAnswerOnly(p, labels, ballot);
    }
    if (p.state === 'closed') {
      const none = this.view.facilitator && !representativesOnly(p) ? null : byOrganisations(p) ? 'poll.noOrgBallot' : 'poll.noBallot';
      return [h('p', { class: 'closed-note', text: i18n.t('poll.closedNote') }), this._myBallotLine(p, labels, ballot, none)];
    }
    if (p.kind === 'rank') return this._rankBody(e, labels, ballot);

    const multiple = p.kind === 'multiple';
    const picks = multiple ? (Array.isArray(ballot) ? ballot : []) : [];
    const max = multiple ? (p.max ?? p.choices.length) : 1;
    const name = `${this.dom}-ballot`;
    const inputs = [];
    const options = labels.map((label, i) => {
      const v = valueOf(i);
      const input = h('input', { type: multiple ? 'checkbox' : 'radio', name, id: `${name}-${i}`, value: String(v), data: { key: `c${i}` } });
      input.checked = multiple ? picks.includes(v) : ballot === v;
      if (multiple && !input.checked && picks.length >= max) input.disabled = true;
      input.addEventListener('change', () => {
        if (multiple) {
          const chosen = inputs.filter((x) => x.checked).map((x) => Number(x.value));
          polls.vote(this.id, chosen.length ? chosen : null);
        } else if (input.checked) {
          polls.vote(this.id, v);
        }
      });
      inputs.push(input);
      return h('label', { class: ['choice', input.checked ? 'is-checked' : null], for: input.id }, input, h('span', { class: 'choice-text', text: label }));
    });
    const org = byOrganisations(p);
    const myOrg = this.view.store.me?.organisation || '';
    const legend = h('legend', { class: 'ballot-legend', text: org ? i18n.t('poll.orgBallotLegend', { organisation: myOrg }) : i18n.t('poll.ballotLegend') });
    const parts = [legend];
    if (org) parts.push(h('p', { class: 'field-hint', text: i18n.t(representativesOnly(p) ? 'poll.orgBallotHintReps' : 'poll.orgBallotHint') }));
    if (multiple) {
      parts.push(h('p', { class: 'field-hint', text: max < p.choices.length ? i18n.t('poll.pickUpTo', { count: max }) : i18n.t('poll.pickAny') }));
    }
    parts.push(h('div', { class: ['ballot-options', p.kind === 'scale' ? 'is-scale' : null] }, options));
    const fieldset = h('fieldset', { class: 'ballot', 'aria-describedby': `${this.dom}-q` }, parts);
    const out = [fieldset];
    if (org) out.push(this._setByLine());
    if (ballot != null) {
      const withdraw = h('button', { type: 'button', class: 'link-button withdraw', data: { key: 'withdraw', action: 'withdraw' }, text: i18n.t('poll.withdraw') });
      withdraw.addEventListener('click', () => {
        polls.vote(this.id, null);
        this.focusKey('c0');
      });
      out.push(withdraw);
    }
    return out;
  }

  /**
   * An open rank poll: the choices in the order being made (my ballot's, or
   * the poll's until I vote), each movable by drag and drop (mouse, pen or
   * finger, on its handle) or with its "up" and "down" buttons (keyboard,
   * and phones), then one button that casts the order as the ballot.
   */
  _rankBody(e, labels, ballot) {
    const { i18n, polls } = this.view;
    const p = e.poll;
    const n = labels.length;
    const saved = isOrder(ballot, n) ? ballot : null;
    if (!isOrder(this.rankDraft, n) || (this.rankSaved !== JSON.stringify(saved) && !this.rankMoved)) this.rankDraft = saved || labels.map((_, i) => i);
    this.rankSaved = JSON.stringify(saved);
    const draft = this.rankDraft;
    const move = (from, to, key) => {
      if (to < 0 || to >= n) return;
      this.rankDraft = moveInOrder(this.rankDraft, from, to);
      this.rankMoved = true;
      this.view.announce(i18n.t('poll.rankMoved', { choice: labels[this.rankDraft[to]], n: to + 1, count: n }));
      this.render();
      this.focusKey(key(to));
    };
    const listId = `${this.dom}-rank`;
    const items = draft.map((choice, pos) => {
      const up = h('button', { type: 'button', class: 'icon-button rank-up', data: { key: `up${choice}`, action: 'rank-up' } }, h('span', { 'aria-hidden': 'true', text: '↑' }));
      up.setAttribute('aria-label', i18n.t('poll.rankUp', { choice: labels[choice] }));
      if (pos === 0) up.disabled = true;
      up.addEventListener('click', () => move(pos, pos - 1, (to) => (to === 0 ? `down${choice}` : `up${choice}`)));
      const down = h('button', { type: 'button', class: 'icon-button rank-down', data: { key: `down${choice}`, action: 'rank-down' } }, h('span', { 'aria-hidden': 'true', text: '↓' }));
      down.setAttribute('aria-label', i18n.t('poll.rankDown', { choice: labels[choice] }));
      if (pos === n - 1) down.disabled = true;
      down.addEventListener('click', () => move(pos, pos + 1, (to) => (to === n - 1 ? `up${choice}` : `down${choice}`)));
      const handle = h('span', { class: 'rank-handle', 'aria-hidden': 'true', text: '⠿' });
      const li = h('li', { class: 'rank-item', data: { choice: String(choice) } },
        handle, h('span', { class: 'rank-pos', 'aria-hidden': 'true', text: String(pos + 1) }),
        h('span', { class: 'rank-text', text: labels[choice] }), h('span', { class: 'rank-buttons' }, up, down));
      this._draggable(handle, li, pos, (to) => move(pos, to, () => `up${choice}`));
      return li;
    });
    const list = h('ol', { class: 'rank-list', id: listId, 'aria-describedby': `${this.dom}-q` }, items);
    const org = byOrganisations(p);
    const myOrg = this.view.store.me?.organisation || '';
    const parts = [
      h('p', { class: 'ballot-legend', id: `${listId}-legend`, text: org ? i18n.t('poll.orgBallotLegend', { organisation: myOrg }) : i18n.t('poll.rankLegend') }),
      h('p', { class: 'field-hint', text: i18n.t('poll.rankHint') }),
      list,
    ];
    list.setAttribute('aria-labelledby', `${listId}-legend`);
    const same = saved && saved.every((v, i) => v === draft[i]);
    const cast = h('button', { type: 'button', class: same ? 'secondary rank-cast' : 'primary rank-cast', data: { key: 'rank-cast', action: 'rank-cast' },
      text: i18n.t(same ? 'poll.rankSaved' : saved ? 'poll.rankChange' : 'poll.rankCast') });
    if (same) cast.setAttribute('aria-disabled', 'true');
    cast.addEventListener('click', () => {
      if (same) return;
      this.rankMoved = false;
      polls.vote(this.id, [...this.rankDraft]);
    });
    const out = [h('div', { class: 'ballot rank-ballot' }, parts), h('div', { class: 'actions' }, cast)];
    if (org) out.push(this._setByLine());
    if (ballot != null) {
      const withdraw = h('button', { type: 'button', class: 'link-button withdraw', data: { key: 'withdraw', action: 'withdraw' }, text: i18n.t('poll.withdraw') });
      withdraw.addEventListener('click', () => {
        this.rankMoved = false;
        polls.vote(this.id, null);
        this.focusKey('rank-cast');
      });
      out.push(withdraw);
    }
    return out;
  }

  /**
   * Drag item `li` by its handle with any pointer: while it moves, the item
   * follows; on release, drop(to) with the position under the pointer.
   */
  _draggable(handle, li, from, drop) {
    handle.addEventListener('pointerdown', (ev) => {
      if (ev.button !== 0) return;
      ev.preventDefault();
      const list = li.parentElement;
      const rows = [...list.children];
      const startY = ev.clientY;
      li.classList.add('is-dragging');
      handle.setPointerCapture?.(ev.pointerId);
      // The new position: how many of the other items end up above it.
      const target = (y) => rows.filter((r) => {
        if (r === li) return false;
        const box = r.getBoundingClientRect();
        return y > box.top + box.height / 2;
      }).length;
      const onMove = (m) => { li.style.transform = `translateY(${m.clientY - startY}px)`; };
      const onUp = (u) => {
        handle.removeEventListener('pointermove', onMove);
        handle.removeEventListener('pointerup', onUp);
        handle.removeEventListener('pointercancel', onUp);
        li.classList.remove('is-dragging');
        li.style.transform = '';
        if (u.type === 'pointerup') {
          const to = target(u.clientY);
          if (to !== from) drop(to);
        }
      };
      handle.addEventListener('pointermove', onMove);
      handle.addEventListener('pointerup', onUp);
      handle.addEventListener('pointercancel', onUp);
    });
  }

  /** "Your (organisation's) answer: X", or `noneKey` said when there is none (null: nothing). */
  _myBallotLine(p, labels, ballot, noneKey) {
    const { i18n } = this.view;
    const mine = ballot == null ? [] :
      (Array.isArray(ballot) ? ballot : [ballot]).map((v) => labels[p.kind === 'scale' ? v - 1 : v]).filter(Boolean)
        .map((l, i) => (p.kind === 'rank' ? i18n.t('poll.rankPosition', { n: i + 1, choice: l }) : l));
    if (mine.length) {
      return h('p', { class: 'my-ballot' }, h('span', { text: i18n.t(byOrganisations(p) ? 'poll.yourOrgBallot' : 'poll.yourBallot') }), ' ', h('strong', { text: mine.join(' · ') }));
    }
    return noneKey ? h('p', { class: 'my-ballot', text: i18n.t(noneKey) }) : null;
  }

  /** Organisation answers: who set the organisation's answer (null before anyone did). */
  _setByLine() {
    const { i18n, polls } = this.view;
    const by = polls.setBy(this.id);
    if (!by) return null;
    return h('p', { class: 'set-by', text: i18n.t(by.participant && by.participant === this.view.store.me?.id ? 'poll.setByYou' : 'poll.setBy', { name: by.name }) });
  }

  /**
   * An open poll limited to representatives, for a member who is not one
   * (or a facilitator): the choices, why there is nothing to pick, and the
   * organisation's answer as its representatives give it.
   */
  _orgAnswerOnly(p, labels, ballot) {
    const { i18n } = this.view;
    const chosen = new Set(ballot == null ? [] : (Array.isArray(ballot) ? ballot : [ballot]).map((v) => (p.kind === 'scale' ? v - 1 : v)));
    return [
      h('p', { class: 'field-hint reps-note', text: i18n.t('poll.repsOnlyNote') }),
      h('ul', { class: 'preview-choices' }, labels.map((l, i) => h('li', { class: chosen.has(i) ? 'is-chosen' : null, text: l }))),
      this._myBallotLine(p, labels, ballot, 'poll.noOrgBallotYet'),
      this._setByLine(),
    ];
  }

  _textBody(e, fac) {
    const { i18n, polls } = this.view;
    const p = e.poll;
    const open = p.state === 'open';
    // Observers read the answers as they come, with no controls of their own.
    const acting = open && polls.mayAnswer(p);
    const parts = [];
    if (!open) parts.push(h('p', { class: 'closed-note', text: i18n.t('poll.closedNoteText') }));
    else if (!acting) parts.push(h('p', { class: 'field-hint', text: i18n.t('observer.pollNote') }));

    // Each answer once: its upvote button, and (when results show) its
    // upvotes beside it, filled in place by _fillTextStats.
    let answers = p.answers || [];
    const ranked = open ? null : this._rankedIds(e, fac);
    if (ranked) {
      const at = new Map(ranked.map((id, i) => [id, i]));
      answers = [...answers].sort((a, b) => (at.get(a.id) ?? 1e9) - (at.get(b.id) ?? 1e9) || a.id - b.id);
    }
    const pending = polls.pendingAnswers(this.id);
    if (answers.length || pending.length) {
      const items = answers.map((a) => {
        const mine = polls.isMine(this.id, a.id);
        const textId = `${this.dom}-a${a.id}`;
        if (this.editAnswer && this.editAnswer.id === a.id && mine && open) return h('li', { class: 'answer is-editing' }, this._answerEditor(a));
        const row = [h('span', { class: 'answer-text', id: textId, text: a.text })];
        const tools = [];
        if (mine) {
          row.push(h('span', { class: 'badge badge-self', text: i18n.t('poll.yourAnswer') }));
          if (open) {
            tools.push(this._smallButton(`edit-a${a.id}`, 'edit-answer', 'poll.editAnswer', textId, () => {
              const input = h('input', { type: 'text', id: `${this.dom}-edit-a${a.id}`, class: 'answer-input', autocomplete: 'off', value: a.text, data: { key: `edit-input-a${a.id}` } });
              this.editAnswer = { id: a.id, input, error: null };
              this.render();
              input.focus();
            }));
            tools.push(this._smallButton(`del-a${a.id}`, 'delete-answer', 'poll.deleteAnswer', textId, () => this._deleteAnswer(a.id)));
          }
        } else {
          if (acting) {
            const up = polls.upvoted(this.id, a.id);
            const b = h('button', { type: 'button', class: 'upvote', 'aria-pressed': String(up), 'aria-describedby': textId, data: { key: `up-a${a.id}`, action: 'upvote' } },
              h('span', { class: 'upvote-mark', 'aria-hidden': 'true' }), h('span', { text: i18n.t('poll.upvote') }));
            b.addEventListener('click', () => polls.upvote(this.id, a.id, !polls.upvoted(this.id, a.id)));
            tools.push(b);
          } else if (polls.upvoted(this.id, a.id)) {
            row.push(h('span', { class: 'badge', text: i18n.t('poll.upvotedByYou') }));
          }
          if (fac) tools.push(this._smallButton(`mod-a${a.id}`, 'moderate-answer', 'poll.moderate', textId, () => this._deleteAnswer(a.id)));
        }
        return h('li', { class: ['answer', mine ? 'is-mine' : null], data: { answerId: String(a.id) } },
          h('div', { class: 'answer-line' }, row), tools.length ? h('div', { class: 'answer-tools' }, tools) : null,
          h('div', { class: 'answer-stats', data: { statsFor: String(a.id) } }));
      });
      // Written here, not on the server yet (offline): shown, marked so.
      for (const o of pending) {
        items.push(h('li', { class: 'answer is-mine is-pending', data: { pending: o.key } },
          h('div', { class: 'answer-line' }, h('span', { class: 'answer-text', text: o.text }),
            h('span', { class: 'badge badge-pending', text: i18n.t('poll.answerPending') }))));
      }
      parts.push(h('ul', { class: 'answers', 'aria-label': i18n.t('poll.answersLabel') }, items));
    } else {
      parts.push(h('p', { class: 'field-hint', text: i18n.t(open ? 'poll.noAnswersYet' : 'poll.noAnswers') }));
    }

    if (acting) {
      const max = p.max ?? DEFAULT_TEXT_ANSWERS;
      const left = max - e.mine.answers.length - pending.length;
      if (left > 0) parts.push(this._answerForm(left, max));
      else parts.push(h('p', { class: 'field-hint', text: i18n.t('poll.answersUsed', { count: max }) }));
    }
    return parts;
  }

  /** Upvotes beside each answer of a text poll, when results show; in place, so no button is rebuilt. */
  _fillTextStats(e, fac) {
    const { i18n } = this.view;
    const model = this._resultsVisible(e, fac) ? resultsModel(e.poll, e.results, i18n.lang) : null;
    const byId = new Map((model?.answers || []).map((a) => [a.id, a]));
    const key = sig(i18n.lang, model);
    if (key === this.statsSig && this.body.querySelector('[data-stats-for]:empty') == null) return;
    this.statsSig = key;
    for (const el of this.body.querySelectorAll('[data-stats-for]')) {
      const a = byId.get(Number(el.dataset.statsFor));
      if (!model || !a) {
        el.replaceChildren();
        el.hidden = true;
        continue;
      }
      el.hidden = false;
      const fill = h('span', { class: 'bar-fill' });
      fill.style.width = `${Math.max(0, Math.min(1, a.scale)) * 100}%`;
      const given = model.groups.map((g, gi) => [g, a.groups[gi].upvotes]).filter(([, n]) => n > 0);
      // replaceChildren writes a null as the text "null": leave the chips out instead.
      el.replaceChildren(...[
        h('span', { class: 'answer-upvotes', text: i18n.t('poll.upvotes', { count: a.upvotes }) }),
        h('span', { class: 'bar bar-small', 'aria-hidden': 'true' }, fill),
        given.length ? h('ul', { class: 'org-chips' }, given.map(([g, n]) => {
          const sw = h('span', { class: 'swatch', 'aria-hidden': 'true' });
          sw.style.backgroundColor = g.other ? UNKNOWN_COLOR : orgColor(g.name);
          return h('li', null, sw, h('span', { text: i18n.t('poll.orgUpvotes', { name: g.other ? i18n.t('poll.otherOrgs') : g.name, count: n }) }));
        })) : null,
      ].filter(Boolean));
      el.closest('.answer')?.setAttribute('data-upvotes', String(a.upvotes));
    }
  }

  _smallButton(key, action, labelKey, describedBy, onClick) {
    const b = h('button', { type: 'button', class: 'link-button', 'aria-describedby': describedBy, data: { key, action }, text: this.view.i18n.t(labelKey) });
    b.addEventListener('click', onClick);
    return b;
  }

  _answerForm(left, max) {
    const { i18n } = this.view;
    const input = this.newAnswer;
    const label = h('label', { class: 'field-label', for: input.id, text: i18n.t('poll.answerLabel') });
    const hint = h('p', { class: 'field-hint', id: `${input.id}-hint`, text: i18n.t('poll.answersLeft', { count: left, max }) });
    const err = this.answerError ? h('p', { class: 'field-error', id: `${input.id}-error`, text: i18n.t(this.answerError.error, this.answerError) }) : null;
    input.setAttribute('aria-describedby', [hint.id, err && err.id].filter(Boolean).join(' '));
    if (err) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
    const add = h('button', { type: 'submit', class: 'primary', data: { key: 'add-answer', action: 'add-answer' }, text: i18n.t('poll.addAnswer') });
    if (this.answerBusy) add.setAttribute('aria-disabled', 'true');
    const form = h('form', { class: 'answer-form', novalidate: true }, label, h('div', { class: 'answer-row' }, input, add), hint, err);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      this._addAnswer();
    });
    return form;
  }

  _addAnswer() {
    if (this.answerBusy) return;
    const c = checkText(this.newAnswer.value, MAX_ANSWER);
    if (c.error) {
      this.answerError = c;
      this.render();
      this.newAnswer.focus();
      return;
    }
    this.answerError = null;
    this.answerBusy = true;
    this.render();
    this.view.polls.answer(this.id, { text: c.value }).then((res) => {
      this.answerBusy = false;
      if (res.ok || res.queued) {
        this.newAnswer.value = '';
        this.view.polls.setDraft(this.id, '');
        // Offline: kept, shown as waiting, sent when the link is back.
        if (res.queued) this.view.announce(this.view.i18n.t('poll.announceQueued'));
      } else {
        this.answerError = { error: refusalKey(res.error, 'answer') };
      }
      if (!this.entry) return;
      this.render();
      if (res.ok && !this.article.contains(document.activeElement)) this.newAnswer.focus();
    });
  }

  _answerEditor(a) {
    const { i18n } = this.view;
    const ed = this.editAnswer;
    const label = h('label', { class: 'visually-hidden', for: ed.input.id, text: i18n.t('poll.editAnswerLabel') });
    const err = ed.error ? h('p', { class: 'field-error', id: `${ed.input.id}-error`, text: i18n.t(ed.error.error, ed.error) }) : null;
    if (err) {
      ed.input.setAttribute('aria-invalid', 'true');
      ed.input.setAttribute('aria-describedby', err.id);
    }
    const save = h('button', { type: 'submit', class: 'primary', data: { key: `save-a${a.id}`, action: 'save-answer' }, text: i18n.t('poll.saveAnswer') });
    const cancel = h('button', { type: 'button', class: 'secondary', data: { key: `cancel-a${a.id}` }, text: i18n.t('poll.cancel') });
    const done = () => {
      this.editAnswer = null;
      this.render();
      this.focusKey(`edit-a${a.id}`);
    };
    cancel.addEventListener('click', done);
    const form = h('form', { class: 'answer-form', novalidate: true }, label, h('div', { class: 'answer-row' }, ed.input, save, cancel), err);
    form.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape') done();
    });
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const c = checkText(ed.input.value, MAX_ANSWER);
      if (c.error) {
        ed.error = c;
        this.render();
        ed.input.focus();
        return;
      }
      this.view.polls.answer(this.id, { answer: a.id, text: c.value }).then((res) => {
        if (this.editAnswer !== ed) return;
        if (res.ok) done();
        else {
          ed.error = { error: refusalKey(res.error, 'answer') };
          this.render();
        }
      });
    });
    return form;
  }

  _deleteAnswer(answerId) {
    this.view.polls.answer(this.id, { answer: answerId, text: null }).then((res) => {
      if (!this.entry) return;
      if (res.error && res.error !== 'not_found') this.answerError = { error: refusalKey(res.error, 'answer') };
      this.render();
      if (!this.article.contains(document.activeElement) || document.activeElement === document.body) this.question.focus();
    });
  }

  // ---- status and results --------------------------------------------------------

  _renderStatus(e) {
    const { i18n, polls } = this.view;
    const p = e.poll;
    let text = '';
    let tone = 'info';
    if (e.notice) {
      text = i18n.t(e.notice.key, e.notice.params);
      tone = e.notice.tone;
    } else if (p.state === 'open' && p.kind !== 'text' && polls.mayAnswer(p)) {
      // (Someone who may not answer reads the organisation's answer in the body.)
      const { status } = polls.ballotOf(this.id);
      const saved = representativesOnly(p) ? 'poll.orgVoteSavedReps' : byOrganisations(p) ? 'poll.orgVoteSaved' : null;
      const key = status === 'saved' && saved ? saved : STATUS_KEYS[status];
      text = key ? i18n.t(key) : '';
    }
    if (this.status.textContent !== text) this.status.textContent = text;
    this.status.className = `poll-status tone-${tone}`;
    this.status.hidden = !text;
  }

  /**
   * Beside the results of a poll whose organisations diverge, for the
   * facilitator: put it on the "to discuss" list in one click, or say it is
   * on it (polls.md, "To discuss").
   */
  _discussButton(e) {
    const { i18n, store } = this.view;
    if (e.results.alignment?.label !== 'divergent') return null;
    const item = store.discuss.openItemOf(this.id);
    if (item) return h('p', { class: 'discuss-note', tabindex: '-1', data: { key: 'discuss-note' }, text: i18n.t('poll.discussOnList') });
    const button = h('button', { type: 'button', class: 'secondary discuss-add', data: { key: 'discuss-add', action: 'discuss-add' }, text: i18n.t('poll.discussAdd') });
    button.setAttribute('aria-describedby', `${this.dom}-q`);
    button.addEventListener('click', async () => {
      button.setAttribute('aria-disabled', 'true');
      const res = await store.discuss.add(this.id);
      if (res.error) {
        button.removeAttribute('aria-disabled');
        this.view.announce(i18n.t('poll.discussFailed'));
      } else {
        this.view.announce(i18n.t('poll.discussAdded'));
        this.focusKey('discuss-note');
      }
    });
    return h('div', { class: 'discuss-offer' }, button);
  }

  _renderResults(e, fac) {
    const { i18n } = this.view;
    const p = e.poll;
    const visible = p.state !== 'draft' && (fac || p.results !== 'hidden');
    let content = null;
    if (visible && e.results) {
      // Text polls: the answers and their upvotes are listed once, above.
      content = renderResults({ i18n, poll: p, results: e.results, facilitator: fac, idPrefix: this.dom, inlineAnswers: p.kind === 'text' });
    } else if (p.state !== 'draft' && !fac) {
      content = h('p', { class: 'field-hint results-pending', text: i18n.t(p.state === 'open' ? 'poll.resultsLater' : 'poll.resultsNotShown') });
    }
    const toDiscuss = visible && e.results && fac ? this._discussButton(e) : null;
    rebuild(this.resultsBox, [content, toDiscuss]);
    this.results.hidden = !content;
    this.help.hidden = !(content && visible && e.results && p.kind !== 'text');
    // A labelled section is a landmark: only when it holds results.
    if (visible && e.results) this.results.setAttribute('aria-labelledby', `${this.dom}-results`);
    else this.results.removeAttribute('aria-labelledby');
  }
}

