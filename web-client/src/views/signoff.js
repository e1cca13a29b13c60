// The sign-off, under the statement (protocol/agreement.md, "Sign-off"):
// the facilitator calls for it and closes it; each representative endorses
// the text as the server has it or declines with a reason; everyone sees
// each organisation's decision, whether the text changed since, the
// agreement, and can open the difference between a decided text and the
// current one (a word diff, state/worddiff.js, of the text read back from
// GET /state?rev=R). It reads and drives the SignoffStore only.
import { h, rebuild } from './dom.js';
import { orgColor } from '../state/colors.js';
import { wordDiff } from '../state/worddiff.js';
import { MAX_DECLINE_REASON } from '../protocol/messages.js';
import { dateFormat } from '../i18n/index.js';

const sig = (...parts) => JSON.stringify(parts);

export class SignoffView {
  /** fetchState(rev) -> Promise of {text} (the statement at that revision), or throws {code}. */
  constructor({ store, i18n, announce, fetchState }) {
    this.store = store;
    this.signoff = store.signoff;
    this.i18n = i18n;
    this.announce = announce;
    this.fetchState = fetchState;
    this.busy = null; // the request on its way: call | close | endorse | decline
    this.error = null; // catalogue key
    this.declining = null; // {input, error}: the reason being written
    this.diff = null; // {rev, org, state: loading | ready | failed, text, parts}
    this.sigs = {};

    this.heading = h('h2', { id: 'signoff-title', class: 'panel-title', tabindex: '-1' });
    i18n.bind(this.heading, 'signoff.title');
    this.status = h('p', { class: 'signoff-status', id: 'signoff-status' });
    this.controls = h('div', { class: 'signoff-controls' });
    this.agreed = h('div', { class: 'signoff-agreed', id: 'signoff-agreed', role: 'status' });
    this.rows = h('ul', { class: 'signoff-orgs', id: 'signoff-orgs', 'aria-labelledby': 'signoff-title' });
    this.mine = h('div', { class: 'signoff-mine', id: 'signoff-mine' });
    this.diffEl = h('section', { class: 'signoff-diff', id: 'signoff-diff', 'aria-labelledby': 'signoff-diff-title', hidden: true });
    this.el = h('section', { class: 'signoff', id: 'signoff', 'aria-labelledby': 'signoff-title' },
      h('div', { class: 'panel-head' }, this.heading), this.status, this.controls, this.agreed, this.rows, this.mine, this.diffEl);

    const redraw = () => this.render();
    this.offs = [
      this.signoff.on('change', () => {
        // A state message answers what we asked (or made it moot).
        this.busy = null;
        redraw();
      }),
      this.signoff.on('announce', (key, params) => announce(i18n.t(key, params))),
      store.on('presence', redraw),
      store.on('welcome', redraw),
      store.on('role', redraw),
      store.on('status', redraw),
      i18n.on('change', () => { this.sigs = {}; redraw(); }),
    ];
    this.render();
  }

  destroy() {
    for (const off of this.offs) off();
  }

  _model() {
    const { store, i18n } = this;
    return this.signoff.model({
      signing: store.presence.signingOrganisations(),
      mine: store.may('sign') ? store.me?.organisation : null,
      locale: i18n.lang,
    });
  }

  _time(ms) {
    return shortTime(this.i18n, ms);
  }

  _run(what, promiseFn, after) {
    if (this.busy) return;
    this.busy = what;
    this.error = null;
    this.render();
    promiseFn().then((res) => {
      if (this.busy === what) this.busy = null;
      if (res.invalid) this.declining.error = res.invalid;
      else if (res.error) this.error = errorKey(res.error);
      else after?.();
      this.render();
    });
  }

  render() {
    const { i18n, store } = this;
    const m = this._model();
    this._closeStaleDiff(m);
    const online = store.status === 'connected';
    this.el.dataset.open = String(m.open);

    i18n.rebind(this.status, m.open ? 'signoff.statusOpen' : m.calledAt ? 'signoff.statusClosed' : 'signoff.statusNone',
      { time: this._time(m.calledAt) });

    const s = {
      controls: sig(i18n.lang, store.may('signoffCall'), m.open, this.busy, this.error, online),
      agreed: sig(i18n.lang, m.agreed),
      rows: sig(i18n.lang, m.rows, this.diff && this.diff.rev),
      mine: sig(i18n.lang, m.mine, this.signoff.currentHash != null, m.open, store.may('sign'), store.me?.organisation, this.busy, this.declining && this.declining.error, !!this.declining, online, store.unsent > 0),
      diff: sig(i18n.lang, this.diff && [this.diff.rev, this.diff.state, this.diff.org], this.signoff.currentHash),
    };
    const fallback = () => this.heading.focus();
    if (s.controls !== this.sigs.controls) rebuild(this.controls, this._controls(m, online), fallback);
    if (s.agreed !== this.sigs.agreed) rebuild(this.agreed, this._agreed(m), fallback);
    this.agreed.hidden = !m.agreed;
    if (s.rows !== this.sigs.rows) rebuild(this.rows, m.rows.map((r) => this._row(r)), fallback);
    // Before any call, nobody is "waiting" yet.
    this.rows.hidden = !m.rows.length || (!m.open && m.calledAt == null && m.rows.every((r) => r.status === 'waiting'));
    if (s.mine !== this.sigs.mine) rebuild(this.mine, this._mine(m, online), fallback);
    this.mine.hidden = !this.mine.firstChild;
    if (s.diff !== this.sigs.diff) this._renderDiff();
    this.sigs = s;
  }

  // ---- the facilitator ---------------------------------------------------------

  _controls(m, online) {
    const { i18n, store } = this;
    const parts = [];
    if (store.may('signoffCall')) {
      const what = m.open ? 'close' : 'call';
      const b = h('button', { type: 'button', class: m.open ? 'secondary' : 'primary', id: 'signoff-toggle', data: { key: 'toggle' }, text: i18n.t(m.open ? 'signoff.close' : 'signoff.call') });
      if (this.busy || !online) b.setAttribute('aria-disabled', 'true');
      b.addEventListener('click', () => {
        if (b.getAttribute('aria-disabled') === 'true') return;
        this._run(what, () => (what === 'call' ? this.signoff.call() : this.signoff.close()));
      });
      parts.push(b);
    }
    if (this.error) parts.push(h('p', { class: 'form-error', role: 'alert', text: i18n.t(this.error) }));
    return parts;
  }

  // ---- the agreement and each organisation ------------------------------------------

  _agreed(m) {
    const a = m.agreed;
    if (a) this.agreed.classList.toggle('is-current', a.current === true);
    return agreedParts(a, { i18n: this.i18n, onDiff: () => this.openDiff(a.rev, null) });
  }

  _row(r) {
    return decisionRow(r, {
      i18n: this.i18n, onDiff: () => this.openDiff(r.rev, r.org), diffOpen: !!this.diff && this.diff.rev === r.rev,
    });
  }

  // ---- the representative ------------------------------------------------------------

  _mine(m, online) {
    const { i18n, store } = this;
    if (!store.may('sign')) return [];
    const org = store.me?.organisation || '';
    if (!m.open) return [h('p', { class: 'field-hint', text: i18n.t('signoff.waitForCall', { organisation: org }) })];
    const rev = store.ot.rev;
    const parts = [h('h3', { class: 'signoff-mine-title', id: 'signoff-mine-title', text: i18n.t('signoff.mineTitle', { organisation: org }) })];
    // Already endorsed, and the text is still that one: say so, rather than
    // offer to endorse the same text again (the button comes back when it changes).
    const done = m.mine?.status === 'endorsed' && !m.mine.changed && this.signoff.currentHash != null;
    if (done) {
      parts.push(h('p', { class: 'signoff-done', id: 'signoff-done', role: 'status' },
        h('span', { class: 'agreed-mark', 'aria-hidden': 'true', text: '✓ ' }),
        i18n.t('signoff.mineEndorsed', { organisation: org, rev: m.mine.rev ?? '?', name: m.mine.name || '' })));
    }
    if (store.unsent > 0) parts.push(h('p', { class: 'field-hint', text: i18n.t('signoff.unsentNote') }));
    const disabled = !!this.busy || !online;
    const endorse = done ? null : h('button', { type: 'button', class: 'primary', id: 'signoff-endorse', data: { key: 'endorse' }, text: i18n.t('signoff.endorse', { rev }) });
    const decline = h('button', { type: 'button', class: 'secondary', id: 'signoff-decline', data: { key: 'decline' }, 'aria-expanded': String(!!this.declining), 'aria-controls': 'signoff-decline-form', text: i18n.t('signoff.decline') });
    if (disabled) endorse?.setAttribute('aria-disabled', 'true');
    endorse?.addEventListener('click', () => {
      if (endorse.getAttribute('aria-disabled') === 'true') return;
      this._run('endorse', () => this.signoff.endorse());
    });
    decline.addEventListener('click', () => {
      this.declining = this.declining ? null : { input: null, error: null };
      this.render();
      this.declining?.input?.focus();
    });
    parts.push(h('div', { class: 'actions' }, endorse, decline));
    if (this.declining) parts.push(this._declineForm(disabled));
    if (this.error) parts.push(h('p', { class: 'form-error', role: 'alert', text: i18n.t(this.error) }));
    return parts;
  }

  _declineForm(disabled) {
    const { i18n } = this;
    const d = this.declining;
    const label = h('label', { for: 'signoff-reason', class: 'field-label', text: i18n.t('signoff.reasonLabel') });
    const hint = h('p', { class: 'field-hint', id: 'signoff-reason-hint', text: i18n.t('signoff.reasonHint', { max: MAX_DECLINE_REASON }) });
    const input = d.input || h('textarea', { id: 'signoff-reason', class: 'signoff-reason-input', rows: 2, maxlength: MAX_DECLINE_REASON * 2, 'aria-describedby': 'signoff-reason-hint', data: { key: 'reason' } });
    d.input = input;
    const error = d.error ? h('p', { class: 'form-error', id: 'signoff-reason-error', role: 'alert', text: i18n.t(d.error.error, { max: d.error.max }) }) : null;
    if (error) input.setAttribute('aria-describedby', 'signoff-reason-hint signoff-reason-error');
    else input.setAttribute('aria-describedby', 'signoff-reason-hint');
    const send = h('button', { type: 'submit', class: 'danger', id: 'signoff-decline-send', data: { key: 'decline-send' }, text: i18n.t('signoff.declineSend') });
    if (disabled) send.setAttribute('aria-disabled', 'true');
    const cancel = h('button', { type: 'button', class: 'secondary', data: { key: 'decline-cancel' }, text: i18n.t('signoff.cancel') });
    cancel.addEventListener('click', () => {
      this.declining = null;
      this.render();
      document.getElementById('signoff-decline')?.focus();
    });
    const form = h('form', { class: 'signoff-decline-form', id: 'signoff-decline-form', novalidate: true }, label, hint, input, error, h('div', { class: 'actions' }, send, cancel));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      if (send.getAttribute('aria-disabled') === 'true') return;
      d.error = null;
      this._run('decline', () => this.signoff.decline(input.value), () => { this.declining = null; });
    });
    return form;
  }

  // ---- the difference --------------------------------------------------------------

  /** Show the difference between the text at `rev` and the current one. */
  async openDiff(rev, org) {
    if (this.diff && this.diff.rev === rev) {
      this.diff = null; // the same button again: close it
      this.render();
      return;
    }
    const ticket = { rev, org, state: 'loading', text: null };
    this.diff = ticket;
    this.render();
    this.diffEl.scrollIntoView?.({ block: 'nearest' });
    try {
      const res = await this.fetchState(rev);
      if (this.diff !== ticket) return;
      ticket.text = String(res.text ?? '');
      ticket.state = 'ready';
    } catch {
      if (this.diff !== ticket) return;
      ticket.state = 'failed';
    }
    this.sigs.diff = null;
    this.render();
    document.getElementById('signoff-diff-title')?.focus();
  }

  /**
   * The difference open is an organisation's and it decided again: it was
   * the difference from a decision that no longer stands, so it closes (the
   * row offers the new one when its text is not the current one).
   */
  _closeStaleDiff(m) {
    const d = this.diff;
    if (!d || !d.org) return;
    const row = m.rows.find((r) => r.org === d.org);
    if (!row || row.rev === d.rev) return;
    if (this.diffEl.contains(document.activeElement)) this.heading.focus();
    this.diff = null;
  }

  _renderDiff() {
    const { i18n, store } = this;
    const d = this.diff;
    this.diffEl.hidden = !d;
    if (!d) {
      this.diffEl.replaceChildren();
      return;
    }
    const title = h('h3', { id: 'signoff-diff-title', tabindex: '-1', text: d.org ? i18n.t('signoff.diffTitleOrg', { org: d.org, rev: d.rev }) : i18n.t('signoff.diffTitle', { rev: d.rev }) });
    const close = h('button', { type: 'button', class: 'secondary small', id: 'signoff-diff-close', text: i18n.t('signoff.diffClose') });
    close.addEventListener('click', () => {
      this.diff = null;
      this.render();
      this.heading.focus();
    });
    const body = [];
    if (d.state === 'loading') body.push(h('p', { class: 'field-hint', role: 'status', text: i18n.t('signoff.diffLoading') }));
    else if (d.state === 'failed') body.push(h('p', { class: 'form-error', role: 'alert', text: i18n.t('signoff.diffFailed') }));
    else {
      // Against the text as the server has it now: what others see.
      const model = wordDiff(d.text, store.ot.serverText);
      body.push(h('p', { class: 'field-hint diff-summary', text: model.same ? i18n.t('signoff.diffNone') : i18n.t('signoff.diffSummary', { inserted: model.inserted, deleted: model.deleted }) }));
      body.push(h('div', { class: 'diff-legend', 'aria-hidden': 'true' },
        h('del', { text: i18n.t('signoff.diffRemoved') }), ' ', h('ins', { text: i18n.t('signoff.diffAdded') })));
      body.push(h('div', { class: 'diff-text', id: 'signoff-diff-text' }, model.parts.map((p) => {
        if (p.kind === 'gap') return h('span', { class: 'diff-gap', text: i18n.t('signoff.diffGap', { count: p.chars }) });
        if (p.kind === 'same') return document.createTextNode(p.text);
        // Said in words for screen readers: colour and strike-through are not read out.
        return h(p.kind, null, h('span', { class: 'visually-hidden', text: i18n.t(p.kind === 'ins' ? 'signoff.diffAddedSr' : 'signoff.diffRemovedSr') }), p.text,
          h('span', { class: 'visually-hidden', text: i18n.t('signoff.diffEndSr') }));
      })));
    }
    this.diffEl.replaceChildren(h('div', { class: 'panel-head' }, title, close), ...body);
  }
}

/** A time of day, short, in the reader's language ('' for none). */
function shortTime(i18n, ms) {
  return ms == null ? '' : dateFormat(i18n.lang, { timeStyle: 'short' }).format(new Date(ms));
}

/**
 * The agreement's lines (none while there is none): agreed, or the text
 * changed since. onDiff(): opens the difference from the agreed text (the
 * live page); without it no button is offered (the replay).
 */
export function agreedParts(a, { i18n, onDiff = null }) {
  if (!a) return [];
  const list = a.organisations.join(', ');
  if (a.current === false) {
    const open = onDiff ? h('button', { type: 'button', class: 'link-button', id: 'agreed-diff', data: { key: 'agreed-diff' }, text: i18n.t('signoff.showDiff') }) : null;
    open?.addEventListener('click', onDiff);
    return [h('p', { class: 'agreed-changed' }, h('strong', { text: i18n.t('signoff.agreedChanged') }), ' ',
      h('span', { text: i18n.t('signoff.agreedChangedDetail', { rev: a.rev, organisations: list }) }), open ? ' ' : null, open)];
  }
  return [h('p', { class: 'agreed-title' }, h('span', { class: 'agreed-mark', 'aria-hidden': 'true', text: '✓' }), h('strong', { text: i18n.t('signoff.agreed') })),
    h('p', { class: 'agreed-detail', text: i18n.t('signoff.agreedDetail', { rev: a.rev, organisations: list, time: shortTime(i18n, a.at) }) })];
}

/**
 * One organisation's item in the list (a row of signoffModel): its
 * decision, by whom and when, "changed since", the reason of a decline.
 * onDiff(): opens the difference from its decided text (diffOpen: it is
 * open); without it no button is offered (the replay).
 */
export function decisionRow(r, { i18n, onDiff = null, diffOpen = false }) {
  const sw = h('span', { class: 'swatch', 'aria-hidden': 'true' });
  sw.style.backgroundColor = orgColor(r.org);
  const nameId = `signoff-org-${slug(r.org)}`;
  const detail = [];
  if (r.status === 'endorsed') detail.push(i18n.t('signoff.endorsedDetail', { rev: r.rev ?? '?', name: r.name || '', time: shortTime(i18n, r.at) }));
  if (r.status === 'declined') detail.push(i18n.t('signoff.declinedDetail', { name: r.name || '', time: shortTime(i18n, r.at) }));
  const parts = [
    h('span', { class: 'signoff-org' }, sw, h('strong', { id: nameId, text: r.org })),
    h('span', { class: ['signoff-state', `is-${r.status}`], text: i18n.t(`signoff.${r.status}`) }),
  ];
  if (r.changed) parts.push(h('span', { class: 'badge badge-changed', text: i18n.t('signoff.changedSince') }));
  const line = h('div', { class: 'signoff-line' }, parts);
  const more = [];
  if (detail.length) more.push(h('p', { class: 'field-hint', text: detail.join(' ') }));
  if (r.reason) more.push(h('p', { class: 'signoff-reason', text: i18n.t('signoff.reason', { reason: r.reason }) }));
  if (r.changed && r.rev != null && onDiff) {
    const open = h('button', { type: 'button', class: 'link-button', data: { key: `diff-${r.org}` }, 'aria-describedby': nameId,
      'aria-expanded': String(diffOpen), 'aria-controls': 'signoff-diff', text: i18n.t('signoff.showDiff') });
    open.addEventListener('click', onDiff);
    more.push(open);
  }
  return h('li', { class: ['signoff-row', `is-${r.status}`], data: { org: r.org } }, line, more);
}

/** A catalogue key for a request's error. */
function errorKey(code) {
  if (code === 'offline' || code === 'disconnected') return 'signoff.errOffline';
  if (code === 'forbidden') return 'signoff.errForbidden';
  if (code === 'bad_request') return 'signoff.errState';
  return 'signoff.errFailed';
}

const slug = (s) => [...s].map((c) => (/[A-Za-z0-9]/.test(c) ? c : '-')).join('').slice(0, 40);
