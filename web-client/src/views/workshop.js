// The workshop page: title, links to share, the statement editor, the
// authorship toggle and legend, and the presence list. It reads and drives
// the WorkshopStore only.
import { h } from './dom.js';
import { EditorView } from './editor.js';
import { PresenceView } from './presence.js';
import { PollsView } from './polls.js';
import { AgendaView } from './agenda.js';
import { BalanceView } from './balance.js';
import { copyField } from './forms.js';
import { orgColor, orgKey } from '../state/colors.js';
import { localized } from '../state/polls.js';

/** "482913" → "482 913" (narrow no-break space: never cut in two). */
export const spacedCode = (code) => (code ? `${code.slice(0, 3)}\u202f${code.slice(3)}` : '');

/** A date and time in the workshop's time zone (named), else the browser's. */
function formatWhen(lang, ms, zone) {
  if (zone) {
    try {
      return `${new Intl.DateTimeFormat(lang, { dateStyle: 'long', timeStyle: 'short', timeZone: zone }).format(new Date(ms))} (${zone})`;
    } catch { /* a zone this browser does not know */ }
  }
  return new Intl.DateTimeFormat(lang, { dateStyle: 'long', timeStyle: 'short' }).format(new Date(ms));
}

export class WorkshopView {
  /**
   * links {invite, facilitator, joinAt (the address to type a code at),
   * present (the presenter view)}; exportSummary() -> Promise<null | error
   * code> (facilitator: the printable HTML summary).
   */
  constructor({ store, i18n, announce, links, openShare, replayHref, exportSummary }) {
    this.replayHref = replayHref;
    this.exportSummary = exportSummary;
    this.store = store;
    this.i18n = i18n;
    this.announce = announce;
    this.links = links; // {invite, facilitator (or null)}
    this.openShare = openShare;
    this.parts = [];
    this.loading = h('p', { class: 'loading', role: 'status' });
    i18n.bind(this.loading, 'workshop.loading');
    this.el = h('section', { class: 'page workshop' }, this.loading);
    this.offs = [
      store.on('announce', (key, params) => announce(i18n.t(key, params))),
      store.on('welcome', (w) => this._onWelcome(w)),
    ];
    if (store.ready) this._build();
    else this.offs.push(store.on('ready', () => this._build()));
  }

  destroy() {
    for (const off of this.offs) off();
    for (const p of this.parts) p.destroy?.();
  }

  _build() {
    if (this.built) return;
    this.built = true;
    const { store, i18n } = this;

    const eyebrow = h('p', { class: 'eyebrow' });
    i18n.bind(eyebrow, 'workshop.eyebrow');
    this.titleEl = h('h1', { id: 'workshop-title', text: store.title || '' });
    const shareToggle = h('button', { type: 'button', class: 'secondary', id: 'share-toggle', 'aria-controls': 'share-panel' });
    i18n.bind(shareToggle, 'share.toggle');
    // On a tablet the polls sit below the statement: say when one is open
    // and take people there.
    const pollsJump = h('button', { type: 'button', class: 'secondary polls-jump', id: 'polls-jump', hidden: true });
    const replayLink = this.replayHref ? h('a', { class: 'button secondary', id: 'replay-link', href: this.replayHref, target: '_blank', rel: 'noopener' }) : null;
    if (replayLink) i18n.bind(replayLink, 'replay.link');
    // Facilitator: the presenter view (a window of its own, to share on a
    // call or put on the room's screen), and the end of the workshop.
    this.presentLink = h('a', { class: 'button secondary', id: 'present-link', href: this.links.present || '#', target: '_blank', rel: 'noopener', hidden: true });
    i18n.bind(this.presentLink, 'present.open');
    this.presentLink.addEventListener('click', (e) => {
      const w = window.open(this.links.present, `atelier-present-${store.workshopId}`,
        `popup,left=0,top=0,width=${screen.availWidth || 1280},height=${screen.availHeight || 800}`);
      if (w) e.preventDefault(); // else: a blocked pop-up, the link opens a tab
    });
    this.endButton = h('button', { type: 'button', class: 'secondary', id: 'end-workshop', hidden: true, 'aria-controls': 'end-confirm' });
    i18n.bind(this.endButton, 'end.button');
    this.endButton.addEventListener('click', () => this._askEnd(true));
    const header = h('header', { class: 'workshop-header' }, h('div', null, eyebrow, this.titleEl),
      h('div', { class: 'header-tools' }, pollsJump, this.presentLink, replayLink, shareToggle, this.endButton));
    this.endConfirm = h('div', { class: 'confirm end-confirm', id: 'end-confirm', role: 'group', 'aria-labelledby': 'end-confirm-text', hidden: true });
    this.endedBanner = h('section', { class: 'ended-banner', id: 'ended-banner', 'aria-labelledby': 'ended-title', hidden: true });

    this.share = h('section', { class: 'panel share', id: 'share-panel', 'aria-labelledby': 'share-title' });
    this._renderShare();
    const setShare = (open) => {
      this.share.hidden = !open;
      shareToggle.setAttribute('aria-expanded', String(open));
    };
    setShare(!!this.openShare);
    shareToggle.addEventListener('click', () => {
      const open = this.share.hidden;
      setShare(open);
      if (open) this.share.querySelector('input')?.focus();
    });

    const label = h('label', { for: 'statement', id: 'statement-label', class: 'editor-label' });
    i18n.bind(label, 'editor.label');
    const help = h('p', { id: 'statement-help', class: 'field-hint' });
    i18n.bind(help, 'editor.help');
    this.editor = new EditorView({ store, i18n, id: 'statement', describedBy: 'statement-help' });
    this.parts.push(this.editor);

    const toggle = h('button', { type: 'button', class: 'toggle', id: 'authorship-toggle', 'aria-pressed': 'false', 'aria-controls': 'statement authorship-legend' });
    i18n.bind(toggle, 'editor.colourByOrg');
    this.legend = h('ul', { class: 'legend', id: 'authorship-legend', hidden: true });
    toggle.addEventListener('click', () => {
      const on = toggle.getAttribute('aria-pressed') !== 'true';
      toggle.setAttribute('aria-pressed', String(on));
      this.editor.setShowAuthors(on);
      this.legend.hidden = !on;
      if (on) this._renderLegend();
    });
    this.offs.push(store.on('presence', () => !this.legend.hidden && this._renderLegend()));
    this.offs.push(i18n.on('change', () => !this.legend.hidden && this._renderLegend()));

    const editorSection = h('section', { class: 'panel editor-panel', 'aria-labelledby': 'statement-label' },
      h('div', { class: 'editor-toolbar' }, label, toggle), help, this.editor.el, this.legend);

    this.presence = new PresenceView({ store, i18n });
    this.parts.push(this.presence);
    // Issue 13: the agenda and its timer (everyone), the balance (the server sends it to facilitators only).
    this.agenda = new AgendaView({ agenda: store.agenda, i18n, announce: this.announce });
    this.balance = new BalanceView({ i18n });
    this.parts.push(this.agenda, this.balance);
    this.offs.push(store.on('balance', () => this.balance.show(store.balance)));
    this.balance.show(store.balance);
    this.polls = new PollsView({ store, i18n, announce: this.announce });
    this.parts.push(this.polls);
    const updateJump = () => {
      const n = store.polls.openCount;
      pollsJump.hidden = n === 0;
      if (n) i18n.rebind(pollsJump, 'poll.jump', { count: n });
    };
    pollsJump.addEventListener('click', () => this.polls.focusHeading());
    this.polls.el.addEventListener('polls-changed', updateJump);
    updateJump();

    // On a phone the polls are far below the statement: a banner at the
    // bottom of the screen takes people to an open poll they have not
    // answered, until that poll is in view.
    this.pollBanner = h('div', { class: 'poll-banner', id: 'poll-banner', hidden: true });
    this._setupPollBanner();

    this.el.replaceChildren(header, this.agenda.el, this.endConfirm, this.endedBanner, this.share,
      h('div', { class: 'workshop-body' }, editorSection, this.polls.el, this.presence.el, this.balance.el), this.pollBanner);
    document.title = `${store.title} · Atelier`;
    this.offs.push(store.on('workshop', () => { this._renderEnded(); this._renderShare(); }));
    this.offs.push(i18n.on('change', () => this._renderEnded()));
    this._renderEnded();
  }

  get facilitator() {
    return this.store.role === 'facilitator';
  }

  // ---- the end -------------------------------------------------------------

  _askEnd(open) {
    const { i18n } = this;
    this.endConfirm.hidden = !open;
    this.endButton.setAttribute('aria-expanded', String(open));
    if (!open) {
      this.endConfirm.replaceChildren();
      return;
    }
    const text = h('p', { class: 'confirm-text', id: 'end-confirm-text', text: i18n.t('end.confirm') });
    const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
    const yes = h('button', { type: 'button', class: 'danger', id: 'end-confirm-yes', text: i18n.t('end.confirmYes') });
    const no = h('button', { type: 'button', class: 'secondary', id: 'end-confirm-no', text: i18n.t('end.confirmNo') });
    no.addEventListener('click', () => {
      this._askEnd(false);
      this.endButton.focus();
    });
    yes.addEventListener('click', async () => {
      if (yes.getAttribute('aria-disabled') === 'true') return;
      yes.setAttribute('aria-disabled', 'true');
      const res = await this.store.endWorkshop();
      yes.removeAttribute('aria-disabled');
      if (res.error) {
        error.textContent = i18n.t(res.error === 'offline' || res.error === 'disconnected' ? 'end.errOffline' : 'end.errFailed');
        error.hidden = false;
        return;
      }
      this._askEnd(false);
      document.getElementById('ended-title')?.focus();
    });
    this.endConfirm.replaceChildren(text, h('div', { class: 'actions' }, yes, no), error);
    this.endConfirm.onkeydown = (ev) => { if (ev.key === 'Escape') no.click(); };
    yes.focus();
  }

  _renderEnded() {
    if (!this.endedBanner) return;
    const { store, i18n } = this;
    const fac = this.facilitator;
    const ended = store.ended;
    this.presentLink.hidden = !fac || !this.links.present;
    this.endButton.hidden = !fac || ended;
    if (ended && !this.endConfirm.hidden) this._askEnd(false);
    this.editor.setReadOnly(ended);
    this.endedBanner.hidden = !ended;
    if (!ended) {
      this.endedBanner.replaceChildren();
      return;
    }
    const when = store.workshop.endedAt ? formatWhen(i18n.lang, store.workshop.endedAt, store.workshop.timeZone) : null;
    const title = h('h2', { id: 'ended-title', class: 'panel-title', tabindex: '-1', text: i18n.t('end.title') });
    const body = h('p', { text: when ? i18n.t('end.bodyAt', { when }) : i18n.t('end.body') });
    const actions = [];
    const status = h('p', { class: 'field-hint', id: 'summary-status', role: 'status' });
    if (fac && this.exportSummary) {
      const summary = h('button', { type: 'button', class: 'primary', id: 'summary-download', text: i18n.t('end.summary') });
      summary.addEventListener('click', async () => {
        status.textContent = i18n.t('end.summaryPreparing');
        const err = await this.exportSummary();
        status.textContent = err ? i18n.t('end.summaryFailed') : i18n.t('end.summaryDone');
      });
      actions.push(summary);
    }
    if (this.replayHref) actions.push(h('a', { class: fac ? 'button secondary' : 'button primary', id: 'ended-replay', href: this.replayHref, target: '_blank', rel: 'noopener', text: i18n.t('end.replay') }));
    if (fac) {
      const reopen = h('button', { type: 'button', class: 'secondary', id: 'reopen-workshop', text: i18n.t('end.reopen') });
      reopen.addEventListener('click', async () => {
        const res = await store.reopenWorkshop();
        if (res.error) status.textContent = i18n.t(res.error === 'offline' || res.error === 'disconnected' ? 'end.errOffline' : 'end.errFailed');
        else this.editor.focus();
      });
      actions.push(reopen);
    }
    const note = fac ? null : h('p', { class: 'field-hint', text: i18n.t('end.participantNote') });
    this.endedBanner.replaceChildren(title, body, h('div', { class: 'actions' }, actions), note, status);
  }

  // ---- phones: the open poll at once --------------------------------------

  _setupPollBanner() {
    const { store, i18n } = this;
    const polls = store.polls;
    this.bannerFor = null;
    this.bannerInView = false;
    const observer = typeof IntersectionObserver === 'function' ? new IntersectionObserver((entries) => {
      for (const en of entries) if (en.target.dataset.pollId === this.bannerFor) this.bannerInView = en.isIntersecting;
      update();
    }) : null;
    let observed = null;
    const target = () => {
      // The newest open poll this person has not answered yet.
      for (const e of polls.list) {
        if (e.poll.state !== 'open') continue;
        const answered = e.poll.kind === 'text' ? e.mine.answers.length > 0 || polls.pendingAnswers(e.poll.id).length > 0 : polls.ballotOf(e.poll.id).ballot != null;
        if (!answered || polls.isFacilitator) return e;
      }
      return null;
    };
    const update = () => {
      const e = target();
      const id = e ? e.poll.id : null;
      if (id !== this.bannerFor) {
        this.bannerFor = id;
        this.bannerInView = false;
        if (observed) observer?.unobserve(observed);
        observed = id ? document.getElementById(`poll-${id}`) : null;
        if (observed) observer?.observe(observed);
      }
      this.pollBanner.hidden = !e || this.bannerInView;
      if (!e) return;
      const q = localized(e.poll, i18n.lang).question;
      if (this.pollBanner.dataset.sig === `${i18n.lang}|${id}|${q}`) return;
      this.pollBanner.dataset.sig = `${i18n.lang}|${id}|${q}`;
      const go = h('button', { type: 'button', class: 'primary', id: 'poll-banner-go', 'aria-describedby': 'poll-banner-text', text: i18n.t(polls.isFacilitator ? 'poll.bannerSee' : 'poll.bannerAnswer') });
      go.addEventListener('click', () => {
        const card = document.getElementById(`poll-${this.bannerFor}`);
        if (!card) return;
        card.scrollIntoView({ block: 'start' });
        const first = card.querySelector('.ballot input:not(:disabled), .answer-input') || card.querySelector('.poll-question');
        first?.focus({ preventScroll: true });
      });
      this.pollBanner.replaceChildren(
        h('p', { class: 'poll-banner-text', id: 'poll-banner-text' }, h('strong', { text: i18n.t('poll.bannerOpen') }), ' ', h('span', { text: q })),
        go);
    };
    this.polls.el.addEventListener('polls-changed', update);
    this.offs.push(i18n.on('change', update));
    this.offs.push(() => observer?.disconnect());
    update();
  }

  _onWelcome(w) {
    if (this.titleEl) this.titleEl.textContent = w.title || '';
    if (w.title) document.title = `${w.title} · Atelier`;
    this._renderShare();
    this._renderEnded();
  }

  _renderShare() {
    if (!this.share) return;
    const { i18n, announce } = this;
    const title = h('h2', { id: 'share-title', class: 'panel-title' });
    i18n.bind(title, 'share.title');
    const parts = [title, copyField(i18n, { labelKey: 'share.inviteLabel', hintKey: 'share.inviteHint', value: this.links.invite, announce, idPrefix: 'invite' })];
    const code = this.store.ended ? null : this.store.workshop?.code;
    if (code) {
      const codeText = h('p', { class: 'share-code', id: 'share-code' });
      i18n.bind(codeText, 'share.code', { code: spacedCode(code), address: this.links.joinAt || '' });
      parts.push(h('div', { class: 'field copy-field' }, i18n.bind(h('span', { class: 'field-label' }), 'share.codeLabel'), codeText));
    }
    const isFacilitator = this.store.role === 'facilitator';
    if (isFacilitator && this.links.facilitator) {
      parts.push(copyField(i18n, { labelKey: 'share.facilitatorLabel', hintKey: 'share.facilitatorHint', value: this.links.facilitator, announce, idPrefix: 'facilitator' }));
    }
    this.share.replaceChildren(...parts);
  }

  _renderLegend() {
    const { i18n } = this;
    const orgs = new Map();
    for (const p of this.store.presence.known.values()) {
      const k = orgKey(p.organisation);
      if (!orgs.has(k)) orgs.set(k, p.organisation);
    }
    const item = (color, text) => {
      const sw = h('span', { class: ['swatch', color ? null : 'swatch-none'], 'aria-hidden': 'true' });
      if (color) sw.style.backgroundColor = color;
      return h('li', null, sw, h('span', { text }));
    };
    const items = [...orgs.values()].sort((a, b) => a.localeCompare(b, i18n.lang)).map((o) => item(orgColor(o), o));
    items.push(item(null, i18n.t('editor.unknownAuthor')));
    const caption = h('li', { class: 'legend-caption', text: i18n.t('editor.legend') });
    this.legend.replaceChildren(caption, ...items);
  }
}
