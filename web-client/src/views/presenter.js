// The presenter view (#/w/ID/present): for a shared screen or a call.
// Opened from the facilitator's page in a window of its own; one button
// makes it full screen. It shows the facilitator's current poll (question,
// live or revealed results, bars readable from the back of a room,
// organisation names never cut), how to join (a QR code of the invite link,
// made by qrcode-generator, and the 6-digit code with the address to type
// it at), and the statement in large type; and, once it is open to everyone and no
// poll is on screen, the priorities board (issue 16). It reads the
// WorkshopStore only.
// The screen is shown to everyone, so it shows what participants see and
// nothing more, even on a facilitator's connection: while results are
// hidden, neither them nor how many have answered (participants are sent
// neither). A lost connection is said on screen, so that nobody reads
// stale results as current.
import qrcode from 'qrcode-generator';
import { h } from './dom.js';
import { renderResults, thresholdSentence } from './pollresults.js';
import { spacedCode } from '../state/joincode.js';
import { CurrentPoll } from '../state/presenter.js';
import { localized, byOrganisations, representativesOnly } from '../state/polls.js';
import { boardColumns } from './board.js';

const SVG = 'http://www.w3.org/2000/svg';

/** An SVG QR code of text (error correction M, a 4-module quiet zone). */
export function qrSvg(text, { label } = {}) {
  const qr = qrcode(0, 'M');
  qr.addData(text);
  qr.make();
  const n = qr.getModuleCount();
  const q = 4;
  let d = '';
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) if (qr.isDark(r, c)) d += `M${c + q},${r + q}h1v1h-1z`;
  }
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${n + 2 * q} ${n + 2 * q}`);
  svg.setAttribute('class', 'qr');
  svg.setAttribute('role', 'img');
  svg.setAttribute('shape-rendering', 'crispEdges');
  if (label) svg.setAttribute('aria-label', label);
  svg.dataset.modules = String(n);
  const bg = document.createElementNS(SVG, 'rect');
  bg.setAttribute('width', String(n + 2 * q));
  bg.setAttribute('height', String(n + 2 * q));
  bg.setAttribute('fill', '#fff');
  const path = document.createElementNS(SVG, 'path');
  path.setAttribute('d', d);
  path.setAttribute('fill', '#000');
  svg.append(bg, path);
  return svg;
}

const STATE_KEYS = { open: 'present.stateOpen', closed: 'present.stateClosed' };

/** The smallest zoom that fitting the poll to the screen goes down to. */
const FIT_MIN = 0.5;

export class PresenterView {
  /** links {invite, joinAt (the address to type a code at)}. */
  constructor({ store, i18n, announce, links }) {
    this.store = store;
    this.i18n = i18n;
    this.announce = announce;
    this.links = links;
    this.current = new CurrentPoll();
    this.pollId = null;
    this.sig = null;
    this.offs = [];
    this.loading = i18n.bind(h('p', { class: 'loading', role: 'status' }), 'workshop.loading');
    this.el = h('section', { class: 'page presenter', id: 'presenter' }, this.loading);
    document.documentElement.classList.add('is-presenting');
    if (store.ready) this._build();
    else this.offs.push(store.on('ready', () => this._build()));
  }

  destroy() {
    document.documentElement.classList.remove('is-presenting');
    for (const off of this.offs) off();
    cancelAnimationFrame(this.raf);
    cancelAnimationFrame(this.fitRaf);
  }

  /** The poll on screen, else how to join (the poll's heading is hidden with it). */
  focus() {
    if (!this.built) return;
    (this.pollBox.hidden ? this.joinTitle : this.heading).focus();
  }

  _build() {
    if (this.built) return;
    this.built = true;
    const { store, i18n } = this;

    this.title = h('p', { class: 'presenter-title', id: 'presenter-title', text: store.title });
    this.fullscreen = h('button', { type: 'button', class: 'secondary', id: 'presenter-fullscreen', 'aria-describedby': 'presenter-fullscreen-note' });
    // Said when the browser refuses full screen (a policy, an iframe, a phone), else the button seems dead.
    this.fullscreenNote = h('p', { class: 'presenter-note', id: 'presenter-fullscreen-note', role: 'status' });
    this.fullscreenRefused = false;
    this.fullscreen.addEventListener('click', () => this._toggleFullscreen());
    const onFs = () => {
      i18n.rebind(this.fullscreen, document.fullscreenElement ? 'present.exitFullscreen' : 'present.fullscreen');
      if (document.fullscreenElement) this._setFullscreenRefused(false);
    };
    onFs();
    document.addEventListener('fullscreenchange', onFs);
    this.offs.push(() => document.removeEventListener('fullscreenchange', onFs));
    const onResize = () => this._scheduleFit();
    window.addEventListener('resize', onResize);
    this.offs.push(() => window.removeEventListener('resize', onResize));
    // A projector that lost the link must not look live. (Screen readers
    // hear the loss from the status view, as on every page.)
    this.connection = i18n.bind(h('p', { class: 'presenter-connection', id: 'presenter-connection', hidden: true }), 'present.reconnecting');
    const head = h('header', { class: 'presenter-head' }, this.title,
      h('div', { class: 'presenter-tools' }, this.connection, this.fullscreenNote, this.fullscreen));

    this.pollBox = h('section', { class: 'presenter-poll', id: 'presenter-poll', 'aria-live': 'polite', 'aria-labelledby': 'presenter-q' });
    this.heading = h('h1', { class: 'presenter-question', id: 'presenter-q', tabindex: '-1' });
    this.pollMeta = h('p', { class: 'presenter-meta', id: 'presenter-meta' });
    this.resultsBox = h('div', { class: 'presenter-results', id: 'presenter-results' });
    // What is zoomed out to fit the screen (_fit); the box around it scrolls only past that.
    this.pollFit = h('div', { class: 'presenter-fit' }, this.pollMeta, this.heading, this.resultsBox);
    this.pollBox.append(this.pollFit);

    this.joinTitle = h('h2', { class: 'presenter-section-title', id: 'presenter-join-title', tabindex: '-1' });
    this.join = h('aside', { class: 'presenter-join', id: 'presenter-join', 'aria-labelledby': 'presenter-join-title' }, this.joinTitle);
    // Focusable: it scrolls when the statement is long (keyboard users too).
    this.statementText = h('div', { class: 'presenter-statement-text', id: 'presenter-statement-text', tabindex: '0', 'aria-labelledby': 'presenter-statement-title' });
    const statementTitle = i18n.bind(h('h2', { class: 'presenter-section-title', id: 'presenter-statement-title' }), 'present.statement');
    this.statement = h('section', { class: 'presenter-statement', 'aria-labelledby': 'presenter-statement-title' }, statementTitle, this.statementText);
    this.ended = h('p', { class: 'presenter-ended', id: 'presenter-ended', hidden: true });

    // Issue 16: the priorities board once it is open to everyone (revealed or
    // live), in the poll's place while no poll is on screen.
    this.boardTitle = i18n.bind(h('h1', { class: 'presenter-question presenter-board-title', id: 'presenter-board-title' }), 'board.title');
    this.boardCols = h('div', { class: 'board-columns presenter-board-columns', id: 'presenter-board-columns' });
    this.boardBox = h('section', { class: 'presenter-board', id: 'presenter-board', 'aria-labelledby': 'presenter-board-title', hidden: true },
      this.boardTitle, this.boardCols);

    this.el.replaceChildren(head, this.ended, h('div', { class: 'presenter-body' }, this.pollBox, this.boardBox, this.join, this.statement));
    document.title = `${store.title} · ${i18n.t('present.title')}`;

    this.offs.push(
      store.polls.on('change', () => { this._renderPoll(); this._renderBoard(); }),
      store.board.on('change', () => this._renderBoard()),
      store.on('text', () => this._scheduleText()),
      store.on('welcome', () => { this.title.textContent = store.title; this._renderJoin(); this._renderEnded(); this._scheduleText(); }),
      store.on('workshop', () => { this._renderEnded(); this._renderJoin(); }),
      store.on('status', ({ status }) => { this._renderConnection(status); }),
      i18n.on('change', () => { this.sig = null; this.boardSig = null; this._renderBoard(); this._renderPoll(); this._renderJoin(); this._renderEnded(); this._setFullscreenRefused(this.fullscreenRefused); }),
    );
    this._renderConnection(store.status);
    this._renderJoin();
    this._renderEnded();
    this._renderPoll();
    this._renderBoard();
    this._renderText();
  }

  /**
   * The board, as everyone sees it: only once it is open (revealed or live:
   * then every organisation's list is everyone's), and only while no poll
   * is on screen. Redrawn when what it shows changes.
   */
  _renderBoard() {
    const board = this.store.board;
    const shown = board.open && board.items.length > 0 && this.pollBox.hidden;
    this.el.classList.toggle('has-board', shown);
    this.boardBox.hidden = !shown;
    const sig = shown ? JSON.stringify([this.i18n.lang, board.board.items, board.board.groups]) : null;
    if (sig === this.boardSig) return;
    this.boardSig = sig;
    this.boardCols.replaceChildren(...(shown ? boardColumns(board.board, this.i18n, { idPrefix: 'presenter-board' }) : []));
  }

  _toggleFullscreen() {
    if (document.fullscreenElement) {
      document.exitFullscreen?.();
      return;
    }
    const refused = () => this._setFullscreenRefused(true);
    if (!document.documentElement.requestFullscreen) refused();
    else document.documentElement.requestFullscreen().catch(refused);
  }

  _setFullscreenRefused(refused) {
    this.fullscreenRefused = refused;
    this.fullscreenNote.textContent = refused ? this.i18n.t('present.fullscreenFailed') : '';
  }

  _renderConnection(status) {
    this.connection.hidden = status === 'connected';
  }

  _renderEnded() {
    const { i18n } = this;
    this.ended.hidden = !this.store.ended;
    if (this.store.ended) this.ended.textContent = i18n.t('present.ended');
  }

  _renderJoin() {
    const { i18n, store } = this;
    // A code works only while the workshop is open (a reopened one may get a new one).
    const code = store.ended ? null : store.workshop.code;
    this.joinTitle.textContent = i18n.t('present.join');
    const parts = [qrSvg(this.links.invite, { label: i18n.t('present.qrLabel') })];
    if (code) {
      // Read digit by digit to screen readers; the large one is for eyes.
      parts.push(
        h('p', { class: 'presenter-join-how', text: i18n.t('present.joinHow', { address: this.links.joinAt }) }),
        h('p', { class: 'visually-hidden', text: i18n.t('present.codeLabel', { code: code.split('').join(' ') }) }),
        h('p', { class: 'presenter-code', id: 'presenter-code', 'aria-hidden': 'true', text: spacedCode(code) }));
    } else {
      parts.push(h('p', { class: 'presenter-join-how', text: i18n.t('present.joinScan') }));
    }
    // The title stays (it may hold the focus); what follows it is redrawn.
    while (this.joinTitle.nextSibling) this.joinTitle.nextSibling.remove();
    this.join.append(...parts);
  }

  _renderPoll() {
    const { i18n, store } = this;
    const id = this.current.update(store.polls.list);
    const e = id ? store.polls.get(id) : null;
    this.el.classList.toggle('has-poll', !!e);
    if (!e) {
      if (this.sig === 'none') return;
      this.sig = 'none';
      this.pollBox.hidden = true;
      this.pollId = null;
      return;
    }
    const p = e.poll;
    // What participants may see, and nothing else (not even a count while hidden).
    const visible = p.results !== 'hidden' && e.results;
    const sig = JSON.stringify([i18n.lang, p, visible ? e.results : null]);
    if (sig === this.sig) return;
    this.sig = sig;
    this.pollBox.hidden = false;
    const changed = this.pollId !== p.id;
    this.pollId = p.id;
    this.pollBox.dataset.pollId = p.id;
    this.heading.textContent = localized(p, i18n.lang).question;
    const meta = [i18n.t(STATE_KEYS[p.state] || 'present.stateOpen')];
    if (byOrganisations(p)) meta.push(i18n.t('poll.modeOrgShort'));
    if (representativesOnly(p)) meta.push(i18n.t('poll.modeRepsShort'));
    this.pollMeta.textContent = meta.join(' · ');
    this.pollMeta.dataset.state = p.state;
    let content;
    if (visible) {
      content = renderResults({ i18n, poll: p, results: e.results, facilitator: false, idPrefix: 'presenter' });
    } else {
      content = h('div', { class: 'presenter-waiting' },
        h('p', { text: i18n.t(p.state === 'open' ? 'present.resultsLater' : 'present.resultsHidden') }),
        h('p', { class: 'presenter-threshold', text: thresholdSentence(i18n, p, e.results) }));
    }
    this.resultsBox.replaceChildren(content);
    this._fit();
    if (changed) this.announce(i18n.t('present.announcePoll', { question: localized(p, i18n.lang).question }));
  }

  /** fn at the next animation frame, once however often asked before then; this[slot] holds the request. */
  _nextFrame(slot, fn) {
    if (this[slot]) return;
    this[slot] = requestAnimationFrame(() => {
      this[slot] = null;
      fn();
    });
  }

  _scheduleFit() {
    this._nextFrame('fitRaf', () => this._fit());
  }

  /**
   * The whole poll on one screen, as slides do: on a screen too short for
   * it (a 1280×720 projector, a shared window) it is zoomed out until it
   * fits, its last lines (the alignment) included, down to half size; past
   * that its box scrolls. One screen wide and tall enough: no zoom. Only
   * where the layout is one screen (wider than 900 px; else the page scrolls).
   */
  _fit() {
    const box = this.pollBox;
    const fit = this.pollFit;
    fit.style.zoom = '';
    if (box.hidden || !window.matchMedia('(min-width: 901px)').matches) return;
    const fits = () => box.scrollHeight <= box.clientHeight + 1;
    if (fits()) return;
    let lo = FIT_MIN;
    let hi = 1;
    for (let k = 0; k < 7; k++) { // to within 0.5 % of the largest that fits
      const mid = (lo + hi) / 2;
      fit.style.zoom = String(mid);
      if (fits()) lo = mid;
      else hi = mid;
    }
    fit.style.zoom = String(lo);
  }

  _scheduleText() {
    this._nextFrame('raf', () => this._renderText());
  }

  _renderText() {
    const text = this.store.text;
    if (this.statementText.textContent !== text) this.statementText.textContent = text;
  }
}
