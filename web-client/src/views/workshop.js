// The workshop page: title, links to share, the statement editor, the
// authorship toggle and legend, and the presence list. It reads and drives
// the WorkshopStore only.
import { h } from './dom.js';
import { EditorView } from './editor.js';
import { PresenceView } from './presence.js';
import { PollsView } from './polls.js';
import { DiscussView } from './discuss.js';
import { SignoffView } from './signoff.js';
import { ObserverLinkView } from './observerlink.js';
import { AgendaView } from './agenda.js';
import { BalanceView } from './balance.js';
import { BoardView } from './board.js';
import { copyField } from './forms.js';
import { orgColor, orgKey } from '../state/colors.js';
import { localized, selectedPassage } from '../state/polls.js';
import { spacedCode } from '../state/joincode.js';
import { seriesErrorKey } from './replay.js';
import { dateFormat } from '../i18n/index.js';

/**
 * Why ending or reopening did not answer: not sent (offline: nothing
 * changed), sent but the link dropped before the answer (not known yet: the
 * next welcome shows the state), or refused.
 */
function endErrorKey(code) {
  if (code === 'offline') return 'end.errOffline';
  if (code === 'disconnected') return 'end.errUnknown';
  return 'end.errFailed';
}

/** A date and time in the workshop's time zone (named), else the browser's. */
function formatWhen(lang, ms, zone) {
  return inZone(lang, ms, zone, { dateStyle: 'long', timeStyle: 'short' }, (text) => `${text} (${zone})`);
}

/** A day ("6 mars 2027", kept on one line) in the workshop's time zone, else the browser's. */
function formatDay(lang, ms, zone) {
  return inZone(lang, ms, zone, { dateStyle: 'long' }, (text) => text).replace(/ /g, '\u00a0');
}

function inZone(lang, ms, zone, style, zoned) {
  if (zone) {
    try {
      return zoned(dateFormat(lang, { ...style, timeZone: zone }).format(new Date(ms)));
    } catch { /* a zone this browser does not know */ }
  }
  return dateFormat(lang, style).format(new Date(ms));
}

export class WorkshopView {
  /**
   * links {invite, facilitator, joinAt (the address to type a code at),
   * present (the presenter view), observer(key) (the observer link)};
   * exportSummary() -> Promise<null | error code> (facilitator: the
   * printable HTML summary); summaryAction (participants and observers:
   * where the end banner posts their token to open the participants'
   * summary in a tab of its own, protocol/history.md); fetchState(rev) -> Promise of the workshop at
   * a revision (the sign-off's differences); series {load() -> Promise of
   * {partnership: {id, title}, prev, next} or null, prepareNext() -> Promise
   * of null | error code} (protocol/series.md).
   */
  constructor({ store, i18n, announce, links, openShare, replayHref, exportSummary, summaryAction = null, fetchState, series = null }) {
    this.summaryAction = summaryAction;
    this.series = series;
    this.seriesInfo = null;
    this.replayHref = replayHref;
    this.fetchState = fetchState;
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

    const eyebrow = h('p', { class: 'eyebrow', id: 'workshop-eyebrow' });
    i18n.bind(eyebrow, 'workshop.eyebrow');
    this.eyebrow = eyebrow;
    this.titleEl = h('h1', { id: 'workshop-title', text: store.title || '' });
    const shareToggle = h('button', { type: 'button', class: 'secondary', id: 'share-toggle', 'aria-controls': 'share-panel' });
    i18n.bind(shareToggle, 'share.toggle');
    this.shareToggle = shareToggle;
    // On a tablet the polls sit below the statement: say when one is open
    // and take people there.
    const pollsJump = h('button', { type: 'button', class: 'secondary polls-jump', id: 'polls-jump', hidden: true });
    // Issue 16: the priorities board is below everything on a phone: one step there.
    const boardJump = h('button', { type: 'button', class: 'secondary', id: 'board-jump' });
    i18n.bind(boardJump, 'board.jump');
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
      h('div', { class: 'header-tools' }, pollsJump, boardJump, this.presentLink, replayLink, shareToggle, this.endButton));
    this.endConfirm = h('div', { class: 'confirm end-confirm', id: 'end-confirm', role: 'group', 'aria-labelledby': 'end-confirm-text', hidden: true });
    this.endedBanner = h('section', { class: 'ended-banner', id: 'ended-banner', 'aria-labelledby': 'ended-title', hidden: true });
    // Observers follow without taking part: said once, at the top.
    this.observerBanner = h('p', { class: 'notice observer-banner', id: 'observer-banner', hidden: true });
    i18n.bind(this.observerBanner, 'observer.banner');

    this.share = this._buildShare();
    this._renderShare();
    const setShare = (open) => {
      this.share.hidden = !open;
      shareToggle.setAttribute('aria-expanded', String(open));
    };
    this.setShare = setShare;
    setShare(!!this.openShare);
    shareToggle.addEventListener('click', () => {
      const open = this.share.hidden;
      setShare(open);
      if (open) this.share.querySelector('input')?.focus();
    });

    const label = h('label', { for: 'statement', id: 'statement-label', class: 'editor-label' });
    i18n.bind(label, 'editor.label');
    this.help = h('p', { id: 'statement-help', class: 'field-hint' });
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

    // The sign-off sits under the statement it is about.
    this.signoff = new SignoffView({ store, i18n, announce: this.announce, fetchState: this.fetchState });
    this.parts.push(this.signoff);
    // "Poll about this passage": the facilitator selects text, then opens
    // the poll form with the passage quoted (polls.md, "Polls about a passage").
    this.passageButton = h('button', { type: 'button', class: 'secondary small', id: 'poll-passage', hidden: true });
    i18n.bind(this.passageButton, 'poll.aboutPassage');
    this.passageButton.addEventListener('click', () => {
      const passage = selectedPassage(store);
      if (!passage) {
        this.announce(i18n.t('poll.passageNone'));
        this.editor.el.focus?.();
        return;
      }
      if (this.polls.prefill({ kind: 'single', question: '', choices: [], passage })) this.polls.el.scrollIntoView?.({ block: 'start' });
    });
    const editorSection = h('section', { class: 'panel editor-panel', 'aria-labelledby': 'statement-label' },
      h('div', { class: 'editor-toolbar' }, label, h('span', { class: 'editor-tools' }, this.passageButton, toggle)), this.help, this.editor.el, this.legend, this.signoff.el);

    this.presence = new PresenceView({ store, i18n });
    this.parts.push(this.presence);
    // Issue 13: the agenda and its timer (everyone), the balance (the server sends it to facilitators only).
    this.agenda = new AgendaView({
      agenda: store.agenda, i18n, announce: this.announce,
      // The sign-off as a moment of the agenda: the same state and call as its panel under the statement.
      signoff: {
        model: () => store.signoff.model({ signing: store.presence.signingOrganisations(), locale: i18n.lang }),
        mayCall: () => store.may('signoffCall'),
        call: () => store.signoff.call(),
        subscribe: (fn) => [store.signoff.on('change', fn), store.on('presence', fn), store.on('role', fn), store.on('welcome', fn)],
      },
    });
    this.balance = new BalanceView({ i18n });
    this.parts.push(this.agenda, this.balance);
    this.offs.push(store.on('balance', () => this.balance.show(store.balance)));
    this.balance.show(store.balance);
    this.polls = new PollsView({ store, i18n, announce: this.announce });
    this.parts.push(this.polls);
    this.discuss = new DiscussView({ store, i18n, announce: this.announce });
    this.parts.push(this.discuss);
    const updateJump = () => {
      const n = store.polls.openCount;
      pollsJump.hidden = n === 0;
      if (n) i18n.rebind(pollsJump, 'poll.jump', { count: n });
    };
    pollsJump.addEventListener('click', () => this.polls.focusHeading());
    this.polls.el.addEventListener('polls-changed', updateJump);
    updateJump();

    // Issue 16: the priorities board, under the statement and the polls, the page's full width.
    this.board = new BoardView({
      board: store.board, i18n, announce: this.announce,
      insertLine: (line) => store.insertLine(line, { atCaret: !!store.mySel }),
      // A passage selected in the statement (the line a group became, say):
      // the poll is about it; the form shows it, and it can be taken off there.
      makePoll: (initial) => this.polls.prefill({ ...initial, passage: selectedPassage(store) }),
      ended: () => store.ended,
    });
    this.parts.push(this.board);
    this.offs.push(store.on('workshop', () => this.board.render()));
    boardJump.addEventListener('click', () => this.board.focusHeading());
    // During the method's "each organisation's priorities" phase, the step to the board stands out.
    const boardPhase = () => {
      const on = store.agenda.current?.preset === 'priorities';
      boardJump.classList.toggle('primary', on);
      boardJump.classList.toggle('secondary', !on);
    };
    this.offs.push(store.agenda.on('change', boardPhase));
    boardPhase();

    // On a phone the polls are far below the statement: a banner at the
    // bottom of the screen takes people to an open poll they have not
    // answered, until that poll is in view.
    this.pollBanner = h('div', { class: 'poll-banner', id: 'poll-banner', hidden: true });
    this._setupPollBanner();

    // Where this workshop stands in its partnership: its page, the previous and the next workshop.
    this.seriesNav = h('nav', { class: 'series-nav', id: 'series-nav', hidden: true });
    this.el.replaceChildren(header, this.seriesNav, this.observerBanner, this.agenda.el, this.endConfirm, this.endedBanner, this.share,
      h('div', { class: 'workshop-body' }, editorSection, this.polls.el, this.discuss.el, this.presence.el, this.balance.el, this.board.el), this.pollBanner);
    document.title = `${store.title} · Atelier`;
    this.offs.push(store.on('workshop', () => { this._renderEnded(); this._renderShare(); }));
    this.offs.push(store.on('retention', () => this._renderRetention()));
    this.offs.push(i18n.on('change', () => { this._renderEnded(); this._renderRetention(); this._renderSeries(); }));
    this._loadSeries();
    // A new role brings its rights at once (issue 13).
    this.offs.push(store.on('role', ({ self }) => { if (self) { this._renderEnded(); this._renderShare(); } }));
    this._renderEnded();
  }

  get facilitator() {
    return this.store.role === 'facilitator';
  }

  // ---- the partnership (protocol/series.md) ---------------------------------

  async _loadSeries() {
    if (!this.series) return;
    try {
      this.seriesInfo = await this.series.load();
    } catch {
      this.seriesInfo = null; // the page works without it
    }
    this._renderSeries();
  }

  _renderSeries() {
    const { i18n } = this;
    const info = this.seriesInfo;
    this.seriesNav.hidden = !info;
    if (!info) return;
    this.seriesNav.setAttribute('aria-label', i18n.t('series.navLabel'));
    const items = [h('li', null, i18n.t('series.partOf'), ' ',
      h('a', { href: `#/partnership/${info.partnership.id}`, id: 'series-partnership-link', text: info.partnership.title || i18n.t('series.eyebrow') }))];
    if (info.prev && info.prev.id) {
      items.push(h('li', null, h('a', { href: `#/w/${info.prev.id}`, id: 'series-prev', rel: 'prev', text: i18n.t('series.prev', { title: info.prev.title }) })));
    }
    if (info.next && info.next.id) {
      items.push(h('li', null, h('a', { href: `#/w/${info.next.id}`, id: 'series-next', rel: 'next', text: i18n.t('series.next', { title: info.next.title }) })));
    }
    // What it starts from: the previous statement, and the agreement reached on it (who endorsed).
    const agreement = info.carried && info.carried.agreement;
    const boardToo = info.carried && Array.isArray(info.carried.parts) && info.carried.parts.includes('board');
    const carried = info.carried ? h('p', { class: 'field-hint series-carried', id: 'series-carried',
      text: [agreement && agreement.endorsers.length ?
        i18n.t('series.carriedAgreement', { title: info.carried.title, endorsers: agreement.endorsers.map((e) => `${e.org} (${e.name})`).join(', ') }) :
        i18n.t('series.carried', { title: info.carried.title }), boardToo ? i18n.t('series.carriedBoard') : ''].filter(Boolean).join(' ') }) : null;
    this.seriesNav.replaceChildren(h('ul', null, items), carried);
    if (this.bannerSig) { // the banner's button says whether a next one exists
      this.bannerSig = null;
      this._renderBanner();
    }
  }

  _prepareNextButton(status) {
    const { i18n } = this;
    const next = h('button', { type: 'button', class: 'primary', id: 'prepare-next', text: i18n.t('series.prepareNext') });
    next.addEventListener('click', async () => {
      if (next.getAttribute('aria-disabled') === 'true') return;
      next.setAttribute('aria-disabled', 'true');
      status.textContent = i18n.t('series.preparing');
      const err = await this.series.prepareNext();
      next.removeAttribute('aria-disabled');
      if (err) status.textContent = i18n.t(seriesErrorKey(err));
    });
    return next;
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
    yes.addEventListener('click', () => this._endRequest(yes, () => this.store.endWorkshop(), (res) => {
      if (res.error) {
        error.textContent = i18n.t(endErrorKey(res.error));
        error.hidden = false;
        return;
      }
      this._askEnd(false);
      document.getElementById('ended-title')?.focus();
    }));
    this.endConfirm.replaceChildren(text, h('div', { class: 'actions' }, yes, no), error);
    this.endConfirm.onkeydown = (ev) => { if (ev.key === 'Escape') no.click(); };
    yes.focus();
  }

  /** Ending or reopening: one request at a time from a button (a double click sends one). */
  async _endRequest(button, request, done) {
    if (button.getAttribute('aria-disabled') === 'true') return;
    button.setAttribute('aria-disabled', 'true');
    const res = await request();
    button.removeAttribute('aria-disabled');
    done(res);
  }

  /** Everything the end changes: the header's tools, the editor's lock, the banner. */
  _renderEnded() {
    if (!this.endedBanner) return;
    this._renderEndTools();
    this.editor.setReadOnly(this.store.ended || !this.store.may('write'));
    this._renderBanner();
  }

  _renderEndTools() {
    const fac = this.facilitator;
    this.presentLink.hidden = !fac || !this.links.present;
    this.endButton.hidden = !fac || this.store.ended;
    // Not "live" any more above the title once it has ended.
    this.i18n.rebind(this.eyebrow, this.store.ended ? 'workshop.eyebrowEnded' : 'workshop.eyebrow');
    if (this.passageButton) this.passageButton.hidden = !fac;
    if (this.store.ended && !this.endConfirm.hidden) this._askEnd(false);
    this._renderObserver();
  }

  /**
   * Observers follow without taking part: the banner says so, the editor's
   * help speaks of following rather than writing, and there is nobody for
   * them to invite (their link is the facilitator's to give).
   */
  _renderObserver() {
    const observer = this.store.observer;
    this.observerBanner.hidden = !observer;
    this.i18n.rebind(this.help, observer ? 'editor.helpObserver' : 'editor.help');
    this.shareToggle.hidden = observer;
    if (observer && !this.share.hidden) this.setShare(false);
  }

  // Rebuilt only when what it says changes: a welcome after a reconnect
  // must not take the focus or the summary's status line away.
  _renderBanner() {
    const { store, i18n } = this;
    const ended = store.ended;
    const fac = this.facilitator;
    const sig = JSON.stringify(ended ? [i18n.lang, store.workshop.endedAt, store.workshop.timeZone, fac] : null);
    if (sig === this.bannerSig) return;
    this.bannerSig = sig;
    this.endedBanner.hidden = !ended;
    if (!ended) {
      this.endedBanner.replaceChildren();
      this.endedRetention = null;
      return;
    }
    const when = store.workshop.endedAt ? formatWhen(i18n.lang, store.workshop.endedAt, store.workshop.timeZone) : null;
    const title = h('h2', { id: 'ended-title', class: 'panel-title', tabindex: '-1', text: i18n.t('end.title') });
    const body = h('p', { text: when ? i18n.t('end.bodyAt', { when }) : i18n.t('end.body') });
    const status = h('p', { class: 'field-hint', id: 'summary-status', role: 'status' });
    const actions = [];
    // The next workshop of the partnership, in one step; once it exists, the way to it.
    const nextExists = this.seriesInfo && this.seriesInfo.next && this.seriesInfo.next.id;
    if (fac && this.series && !nextExists) actions.push(this._prepareNextButton(status));
    if (fac && nextExists) actions.push(h('a', { class: 'button primary', id: 'ended-next', href: `#/w/${this.seriesInfo.next.id}`, text: i18n.t('series.next', { title: this.seriesInfo.next.title }) }));
    if (fac && this.exportSummary) actions.push(this._summaryButton(status));
    const ownSummary = fac ? null : this._participantSummary();
    if (ownSummary) actions.push(ownSummary);
    if (this.replayHref) actions.push(h('a', { class: fac || ownSummary ? 'button secondary' : 'button primary', id: 'ended-replay', href: this.replayHref, target: '_blank', rel: 'noopener', text: i18n.t('end.replay') }));
    if (fac) actions.push(this._reopenButton(status));
    const note = fac ? null : h('p', { class: 'field-hint', text: i18n.t('end.participantNote') });
    this.endedRetention = fac ? h('p', { class: 'field-hint retention-note', id: 'ended-retention' }) : null;
    this.endedBanner.replaceChildren(title, body, h('div', { class: 'actions' }, actions), ...[this.endedRetention, note].filter(Boolean), status);
    this.retentionSig = null;
    this._renderRetention();
  }

  // ---- retention (issue 14) ------------------------------------------------

  /**
   * Facilitators: when the server deletes the workshop if nothing is written
   * to it, to the day in its time zone, with the way to the exports (the
   * replay page) one step away. In the share panel, and in the end's banner
   * beside the summary. Rebuilt only when the words change.
   */
  _renderRetention() {
    if (!this.retentionNote) return;
    const { store, i18n } = this;
    const at = store.workshop.deletesAt;
    const shown = this.facilitator && Number.isFinite(at);
    const day = shown ? formatDay(i18n.lang, at, store.workshop.timeZone) : null;
    const sig = JSON.stringify([i18n.lang, day, shown ? Math.floor(at / 1000) : null]);
    if (sig === this.retentionSig) return;
    this.retentionSig = sig;
    for (const el of [this.retentionNote, this.endedRetention]) {
      if (!el) continue;
      el.hidden = !shown;
      if (!shown) continue;
      // The sentence with its date as a <time> (the exact moment, for machines).
      const [before, after] = i18n.t('retention.note', { date: '\u0000' }).split('\u0000');
      const when = h('time', { datetime: new Date(at).toISOString(), text: day });
      const link = this.replayHref ? h('a', { href: this.replayHref, target: '_blank', rel: 'noopener', text: i18n.t('retention.export') }) : null;
      el.replaceChildren(before, when, after ?? '', ...(link ? [' ', link] : []));
    }
  }

  _summaryButton(status) {
    const { i18n } = this;
    const summary = h('button', { type: 'button', class: this.series ? 'secondary' : 'primary', id: 'summary-download', text: i18n.t('end.summary') });
    summary.addEventListener('click', async () => {
      status.textContent = i18n.t('end.summaryPreparing');
      const err = await this.exportSummary();
      status.textContent = err ? i18n.t('end.summaryFailed') : i18n.t('end.summaryDone');
    });
    return summary;
  }

  /**
   * Participants and observers: their summary, opened in a tab of its own
   * (as the replay is). A page cannot send a header with a navigation, so
   * the token goes in a form's body, never in the address (which history,
   * logs and a shared computer keep). The server answers with the page under
   * its own policy; a workshop reopened meanwhile answers not_ended there.
   */
  _participantSummary() {
    const { store, i18n } = this;
    if (!this.summaryAction || !store.token) return null;
    const field = (name, value) => h('input', { type: 'hidden', name, value });
    return h('form', { class: 'summary-form', id: 'ended-summary-form', method: 'post', action: this.summaryAction, target: '_blank', rel: 'noopener' },
      field('token', store.token), field('format', 'html'), field('lang', i18n.lang),
      h('button', { type: 'submit', class: 'primary', id: 'ended-summary', text: i18n.t('end.summaryOpen') }));
  }

  _reopenButton(status) {
    const { i18n } = this;
    const reopen = h('button', { type: 'button', class: 'secondary', id: 'reopen-workshop', text: i18n.t('end.reopen') });
    reopen.addEventListener('click', () => this._endRequest(reopen, () => this.store.reopenWorkshop(), (res) => {
      if (res.error) status.textContent = i18n.t(endErrorKey(res.error));
      else this.editor.focus();
    }));
    return reopen;
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
    // Facilitators, observers and (on a poll limited to representatives)
    // the other members, who do not answer it, are taken to see it.
    const seeOnly = (e) => polls.isFacilitator || !polls.mayAnswer(e.poll);
    const target = () => {
      // The newest open poll this person has not answered yet.
      for (const e of polls.list) {
        if (e.poll.state !== 'open') continue;
        const answered = e.poll.kind === 'text' ? e.mine.answers.length > 0 || polls.pendingAnswers(e.poll.id).length > 0 : polls.ballotOf(e.poll.id).ballot != null;
        if (!answered || seeOnly(e)) return e;
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
      const see = seeOnly(e);
      if (this.pollBanner.dataset.sig === `${i18n.lang}|${id}|${q}|${see}`) return;
      this.pollBanner.dataset.sig = `${i18n.lang}|${id}|${q}|${see}`;
      const go = h('button', { type: 'button', class: 'primary', id: 'poll-banner-go', 'aria-describedby': 'poll-banner-text', text: i18n.t(see ? 'poll.bannerSee' : 'poll.bannerAnswer') });
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

  // Built once (its strings are bound once); _renderShare shows the code
  // and the facilitator's link as they come and go.
  _buildShare() {
    const { i18n, announce } = this;
    const title = i18n.bind(h('h2', { id: 'share-title', class: 'panel-title' }), 'share.title');
    const invite = copyField(i18n, { labelKey: 'share.inviteLabel', hintKey: 'share.inviteHint', value: this.links.invite, announce, idPrefix: 'invite' });
    this.codeText = h('p', { class: 'share-code', id: 'share-code' });
    this.codeField = h('div', { class: 'field copy-field', hidden: true }, i18n.bind(h('span', { class: 'field-label' }), 'share.codeLabel'), this.codeText);
    this.facilitatorField = null;
    this.retentionNote = h('p', { class: 'field-hint retention-note', id: 'retention-note', hidden: true });
    return h('section', { class: 'panel share', id: 'share-panel', 'aria-labelledby': 'share-title' }, title, invite, this.codeField, this.retentionNote);
  }

  _renderShare() {
    if (!this.share) return;
    const { i18n, announce } = this;
    const code = this.store.ended ? null : this.store.workshop?.code;
    this.codeField.hidden = !code;
    if (code) i18n.rebind(this.codeText, 'share.code', { code: spacedCode(code), address: this.links.joinAt || '' });
    const showFacilitator = this.facilitator && !!this.links.facilitator;
    if (showFacilitator && !this.facilitatorField) {
      this.facilitatorField = copyField(i18n, { labelKey: 'share.facilitatorLabel', hintKey: 'share.facilitatorHint', value: this.links.facilitator, announce, idPrefix: 'facilitator' });
      this.retentionNote.before(this.facilitatorField);
    }
    if (this.facilitatorField) this.facilitatorField.hidden = !showFacilitator;
    // Facilitators: the observer link, made once and shown while they are one.
    if (showFacilitator && this.links.observer && !this.observerLink) {
      this.observerLink = new ObserverLinkView({ store: this.store, i18n, announce, linkFor: this.links.observer });
      this.parts.push(this.observerLink);
      this.retentionNote.before(this.observerLink.el);
    }
    if (this.observerLink) this.observerLink.el.hidden = !showFacilitator;
    this._renderRetention();
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
