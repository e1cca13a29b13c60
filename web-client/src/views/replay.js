// The replay page (#/w/ID/replay): a timeline over the workshop's events
// (slider, marks for arrivals, poll steps and chapters, play/pause at 1×,
// 4×, 16× or as fast as frames allow, step by event or by key moment, a list
// of chapters: the phases started), and at the current moment the statement
// coloured by the organisation that wrote each part, the phase under way and
// its timer, who was present, and the polls with their results. The
// facilitator also gets the contribution balance at that moment, the
// exports and the deletion.
//
// It reads a Replay (state/replay.js) and calls back into main.js for
// anything on the network (state at a revision, exports, deletion).
//
// Smoothness: the statement is drawn chunk by chunk (the Replay's immutable
// chunks, each ending with a line break, so each is its own block); a frame
// redraws only the chunks it has not drawn yet, so playing or stepping
// touches a few hundred characters of DOM and re-lays out one block, not the
// whole text. Blocks out of view skip layout (content-visibility: auto).
import { h } from './dom.js';
import { orgColor, orgKey, PALETTE, useHistorySlots } from '../state/colors.js';
import { Player, SPEEDS, UNKNOWN } from '../state/replay.js';
import { layoutMarks } from '../state/marklayout.js';
import { renderResults } from './pollresults.js';
import { passageBlock } from './polls.js';
import { BalanceView } from './balance.js';
import { presenceCount, observerList } from './presence.js';
import { signingOf, takesPart } from '../state/presence.js';
import { sha256HexNow, signoffModel } from '../state/signoff.js';
import { agreedParts, decisionRow } from './signoff.js';
import { formatClock, phaseSteps, phaseTitle, timeLeft } from '../state/agenda.js';
import { boardColumns } from './board.js';
import { dateFormat } from '../i18n/index.js';

const FASTEST_BUDGET_MS = 5; // ops applied per frame at "fastest" (the rest: drawing)
const FASTEST_SLICE = 250;
const STATE_DEBOUNCE_MS = 120;
const EAGER_CHUNKS = 8; // chunks drawn with their tints at once in a frame; the rest when in view
const MARK_PX = 24; // a timeline mark's side: the smallest target WCAG 2.5.8 allows
const THUMB_HALF_REM = 0.55; // half the slider thumb's width, where the track's moments start
const STEP_KEYS = { ArrowRight: 1, ArrowUp: 1, ArrowLeft: -1, ArrowDown: -1 }; // on the slider

/** The statement, drawn chunk by chunk with authorship tints. */
class StatementText {
  constructor({ orgName }) {
    this.orgName = orgName; // org id -> name
    this.classes = []; // org id -> class name (one per palette colour, in style.css)
    this.body = h('div', { class: 'replay-chunks' });
    this.el = h('div', { class: 'replay-text', id: 'replay-text' }, this.body);
    this.nodes = new Map(); // chunk id -> element
    this.plain = null; // the text from the server, without authorship
    // A jump far away replaces every chunk: the first few are drawn at once,
    // the others start as plain text and get their tints when they come into
    // view (most of a long text is out of view).
    this.pending = new WeakMap(); // element -> chunk still to tint
    this.io = typeof IntersectionObserver === 'function'
      ? new IntersectionObserver((entries) => {
        for (const e of entries) if (e.isIntersecting) this._tint(e.target);
      }, { root: this.el, rootMargin: '600px 0px' })
      : null;
  }

  destroy() {
    this.io?.disconnect();
  }

  _lazy(c) {
    const el = document.createElement('div');
    el.className = 'chunk';
    el.textContent = c.text;
    this.pending.set(el, c);
    this.io.observe(el);
    return el;
  }

  _tint(el) {
    const c = this.pending.get(el);
    if (!c) return;
    this.pending.delete(el);
    this.io.unobserve(el);
    const full = this._chunk(c);
    el.replaceChildren(...full.childNodes);
  }

  _chunk(c) {
    const el = document.createElement('div');
    el.className = 'chunk';
    let u = 0;
    const s = c.text;
    for (let i = 0; i < c.runs.length; i += 2) {
      const org = c.runs[i];
      let n = c.runs[i + 1];
      const from = u;
      if (!c.astral) u += n;
      else {
        while (n > 0 && u < s.length) {
          const code = s.charCodeAt(u);
          u += code >= 0xd800 && code <= 0xdbff && u + 1 < s.length ? 2 : 1;
          n--;
        }
      }
      if (org === UNKNOWN) {
        el.append(s.slice(from, u));
      } else {
        const span = document.createElement('span');
        span.textContent = s.slice(from, u);
        span.className = this.classes[org] || (this.classes[org] = `org-tint org-c${PALETTE.indexOf(orgColor(this.orgName(org)))}`);
        el.append(span);
      }
    }
    return el;
  }

  /** Show these chunks: reuse the elements of chunks drawn before. */
  render(chunks) {
    if (this.plain) {
      this.body.replaceChildren();
      this.nodes.clear();
      this.plain = null;
    }
    const next = new Map();
    const els = new Array(chunks.length);
    let eager = EAGER_CHUNKS;
    for (let i = 0; i < chunks.length; i++) {
      const c = chunks[i];
      let el = this.nodes.get(c.id);
      if (!el) el = eager-- > 0 || !this.io || c.runs.length <= 2 ? this._chunk(c) : this._lazy(c);
      next.set(c.id, el);
      els[i] = el;
    }
    for (const [id, el] of this.nodes) {
      if (next.has(id)) continue;
      el.remove();
      if (this.pending.has(el)) { this.pending.delete(el); this.io.unobserve(el); }
    }
    let cur = this.body.firstChild;
    for (const el of els) {
      if (cur === el) cur = cur.nextSibling;
      else this.body.insertBefore(el, cur);
    }
    this.nodes = next;
    // Skipping layout out of view only pays on a long text (and leaves a
    // placeholder height until a block is first seen).
    this.el.classList.toggle('is-long', chunks.length > 8);
  }

  /** Text without authorship (the server's state before the history is in). */
  renderPlain(text) {
    this.nodes.clear();
    this.plain = text;
    this.body.replaceChildren(h('div', { class: 'chunk', text }));
  }
}

export class ReplayView {
  /**
   * replay: a Replay being loaded; id; facilitator: whether a key is stored;
   * fetchState(rev) -> Promise<{text, t}>; exportFile(format) -> Promise<error code|null>;
   * deleteWorkshop() -> Promise<error code|null>; prepareNext() ->
   * Promise<error code|null> (the next workshop of the partnership, made
   * from this ended one and opened; null when the browser holds no key).
   */
  constructor({ replay, i18n, announce, id, facilitator, fetchState, exportFile, deleteWorkshop, prepareNext = null }) {
    this.prepareNext = prepareNext;
    this.replay = replay;
    this.i18n = i18n;
    this.announce = announce;
    this.id = id;
    this.facilitator = facilitator;
    this.fetchState = fetchState;
    this.exportFile = exportFile;
    this.deleteWorkshop = deleteWorkshop;
    this.player = new Player(replay);
    this.doc = null;
    this.drawn = { pos: -1, moment: null, lang: null, orgs: -1, marks: -1 };
    this.frame = 0;
    this.stateTimer = 0;
    this.stateCache = new Map();
    this.wantedRev = null;
    this.ready = false;
    this.offs = [];
    this.measured = 0;
    this._build();
    this.offs.push(i18n.on('change', () => { this._relabel(); this.schedule(); }));
  }

  destroy() {
    this.text.destroy();
    this.balance?.destroy();
    cancelAnimationFrame(this.frame);
    clearTimeout(this.stateTimer);
    for (const off of this.offs) off();
    this.destroyed = true;
  }

  focus() {
    this.heading.focus();
  }

  // ---- building -----------------------------------------------------------------

  _build() {
    const { i18n } = this;
    const eyebrow = h('p', { class: 'eyebrow' });
    i18n.bind(eyebrow, 'replay.eyebrow');
    this.heading = h('h1', { id: 'replay-title', tabindex: '-1' });
    this.dateEl = h('p', { class: 'replay-date' });
    const back = h('a', { class: 'button secondary', href: `#/w/${this.id}`, id: 'replay-back' });
    i18n.bind(back, 'replay.back');
    const header = h('header', { class: 'workshop-header' },
      h('div', null, eyebrow, this.heading, this.dateEl), h('div', { class: 'header-tools' }, back));

    // Loading.
    this.progress = h('progress', { id: 'replay-progress', max: '100', 'aria-labelledby': 'replay-progress-label' });
    this.progressLabel = h('span', { id: 'replay-progress-label' });
    i18n.bind(this.progressLabel, 'replay.loadingMarks');
    this.loading = h('div', { class: 'replay-loading', role: 'status' }, this.progressLabel, this.progress);
    this.error = h('div', { class: 'form-error', role: 'alert', hidden: true });

    // Timeline.
    const sliderLabel = h('label', { for: 'replay-slider', class: 'visually-hidden' });
    i18n.bind(sliderLabel, 'replay.slider');
    this.slider = h('input', { type: 'range', id: 'replay-slider', min: '0', max: '0', step: '1', value: '0', disabled: true });
    this.slider.addEventListener('input', () => this.goto(Number(this.slider.value)));
    // An arrow key is one step from the position last asked for (the
    // browser's own stepping starts from the value on screen).
    this.slider.addEventListener('keydown', (e) => {
      const dir = STEP_KEYS[e.key];
      if (!dir || e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return;
      e.preventDefault();
      this.step(dir, { say: false });
    });
    this.marksEl = h('div', { class: 'timeline-marks', role: 'group', 'aria-labelledby': 'replay-marks-label' });
    this.marksLabel = h('span', { id: 'replay-marks-label', class: 'visually-hidden' });
    i18n.bind(this.marksLabel, 'replay.marks');
    this.marksEl.addEventListener('keydown', (e) => this._marksKey(e));
    // The marks are placed in pixels: again whenever the track's width changes.
    const resized = new ResizeObserver(() => this._placeMarks());
    resized.observe(this.marksEl);
    this.offs.push(() => resized.disconnect());
    const timeline = h('div', { class: 'timeline' }, sliderLabel, this.slider, this.marksLabel, this.marksEl);
    const keyArrivals = h('span');
    i18n.bind(keyArrivals, 'replay.markArrivals');
    const keyPolls = h('span');
    i18n.bind(keyPolls, 'replay.markPolls');
    const keyChapters = h('span');
    i18n.bind(keyChapters, 'replay.markChapters');
    const keySignoff = h('span');
    i18n.bind(keySignoff, 'replay.markSignoffs');
    const keyEnd = h('span');
    i18n.bind(keyEnd, 'replay.markEnds');
    // Each key with its word, kept together when the legend wraps (a phone).
    const pair = (kind, word) => h('span', { class: 'legend-pair' }, h('span', { class: `mark-key mark-${kind}` }), word);
    const legendMarks = h('p', { class: 'timeline-legend', 'aria-hidden': 'true' },
      pair('arrival', keyArrivals), pair('poll', keyPolls), pair('chapter', keyChapters), pair('signoff', keySignoff), pair('end', keyEnd));

    const button = (id, key, onClick, cls = 'secondary') => {
      const b = h('button', { type: 'button', id, class: cls, on: { click: onClick } });
      i18n.bind(b, key);
      return b;
    };
    this.playBtn = button('replay-play', 'replay.play', () => this.togglePlay(), 'primary');
    const prevMark = button('replay-prev-mark', 'replay.prevMark', () => this.stepMark(-1));
    const prev = button('replay-prev', 'replay.prev', () => this.step(-1));
    const next = button('replay-next', 'replay.next', () => this.step(1));
    const nextMark = button('replay-next-mark', 'replay.nextMark', () => this.stepMark(1));
    this.buttons = [this.playBtn, prevMark, prev, next, nextMark];
    for (const b of this.buttons) b.disabled = true;

    const speedLabel = h('label', { for: 'replay-speed', class: 'field-label' });
    i18n.bind(speedLabel, 'replay.speed');
    this.speed = h('select', { id: 'replay-speed' }, SPEEDS.map((s) => {
      const o = h('option', { value: s });
      i18n.bind(o, s === 'max' ? 'replay.speedMax' : 'replay.speedX', { n: s });
      return o;
    }));
    this.speed.addEventListener('change', () => {
      const v = this.speed.value;
      this.player.speed = v === 'max' ? 'max' : Number(v);
      this.player.carry = 0;
    });

    this.nowEl = h('p', { class: 'replay-now', id: 'replay-now' });
    this.eventEl = h('p', { class: 'replay-event', id: 'replay-event' });
    this.agendaEl = h('p', { class: 'replay-agenda', id: 'replay-agenda' });
    // The chapters: each phase started, one step to go there.
    const chaptersTitle = h('h3', { class: 'replay-chapters-title', id: 'replay-chapters-title' });
    i18n.bind(chaptersTitle, 'replay.chapters');
    this.chapterList = h('ol', { class: 'replay-chapter-list', id: 'replay-chapters' });
    this.chaptersEl = h('nav', { class: 'replay-chapters', 'aria-labelledby': 'replay-chapters-title', hidden: true }, chaptersTitle, this.chapterList);
    const controls = h('section', { class: 'panel replay-controls', 'aria-labelledby': 'replay-controls-title' },
      h('h2', { class: 'visually-hidden', id: 'replay-controls-title', text: '' }),
      timeline, legendMarks,
      h('div', { class: 'replay-buttons' }, prevMark, prev, this.playBtn, next, nextMark,
        h('span', { class: 'speed' }, speedLabel, this.speed)),
      this.nowEl, this.eventEl, this.agendaEl, this.chaptersEl);
    i18n.bind(controls.querySelector('#replay-controls-title'), 'replay.controls');

    // The statement.
    const textTitle = h('h2', { class: 'panel-title', id: 'replay-text-title' });
    i18n.bind(textTitle, 'replay.statement');
    this.text = new StatementText({ orgName: (id) => this.replay.orgs[id] });
    this.textNote = h('p', { class: 'field-hint', id: 'replay-text-note', hidden: true });
    i18n.bind(this.textNote, 'replay.textNoColours');
    this.legend = h('ul', { class: 'legend', id: 'replay-legend' });
    // The sign-off as it stood (issue 13), under the statement as on the live page.
    const signoffTitle = h('h2', { class: 'panel-title', id: 'replay-signoff-title' });
    i18n.bind(signoffTitle, 'signoff.title');
    this.signoffStatus = h('p', { class: 'signoff-status', id: 'replay-signoff-status' });
    this.signoffAgreed = h('div', { class: 'signoff-agreed', id: 'replay-signoff-agreed' });
    this.signoffRows = h('ul', { class: 'signoff-orgs', id: 'replay-signoff-orgs', 'aria-labelledby': 'replay-signoff-title' });
    this.signoffEl = h('section', { class: 'signoff', id: 'replay-signoff', 'aria-labelledby': 'replay-signoff-title', hidden: true },
      signoffTitle, this.signoffStatus, this.signoffAgreed, this.signoffRows);
    this.hashed = { rev: -1, text: null, hash: null }; // the text shown last hashed, for "changed since"
    const statement = h('section', { class: 'panel replay-statement', 'aria-labelledby': 'replay-text-title' },
      textTitle, this.legend, this.textNote, this.text.el, this.signoffEl);

    // Presence and polls.
    const presTitle = h('h2', { class: 'panel-title', id: 'replay-presence-title' });
    i18n.bind(presTitle, 'replay.present');
    this.presCount = h('span', { class: 'count' });
    this.presList = h('ul', { class: 'org-groups', id: 'replay-present' });
    this.presObservers = h('div', { class: 'observers', id: 'replay-observers', hidden: true });
    const presence = h('aside', { class: 'panel presence', 'aria-labelledby': 'replay-presence-title' },
      h('div', { class: 'panel-head' }, presTitle, this.presCount), this.presList, this.presObservers);
    const pollsTitle = h('h2', { class: 'panel-title', id: 'replay-polls-title' });
    i18n.bind(pollsTitle, 'replay.polls');
    this.pollList = h('div', { class: 'poll-list', id: 'replay-polls' });
    const discussTitle = h('h2', { class: 'panel-title', id: 'replay-discuss-title' });
    i18n.bind(discussTitle, 'poll.discussTitle');
    this.discussList = h('ul', { class: 'discuss-list', 'aria-labelledby': 'replay-discuss-title' });
    this.discussEl = h('div', { class: 'replay-discuss', hidden: true }, discussTitle, this.discussList);
    const polls = h('section', { class: 'panel polls', 'aria-labelledby': 'replay-polls-title' }, pollsTitle, this.pollList, this.discussEl);

    // The balance at the moment shown: facilitators only, as on the live page.
    this.balance = this.facilitator ? new BalanceView({ i18n, idPrefix: 'replay-balance', note: 'balance.replayNote' }) : null;
    // Issue 16: the priorities board as it stood (its three columns), once it has items.
    const boardTitle = h('h2', { class: 'panel-title', id: 'replay-board-title' });
    i18n.bind(boardTitle, 'replay.board');
    this.boardCols = h('div', { class: 'board-columns', id: 'replay-board-columns' });
    this.boardEl = h('section', { class: 'panel board', id: 'replay-board', 'aria-labelledby': 'replay-board-title', hidden: true },
      boardTitle, this.boardCols);
    const body = h('div', { class: 'workshop-body replay-body' }, statement, polls, presence, this.balance?.el, this.boardEl);
    this.el = h('section', { class: 'page workshop replay', 'aria-labelledby': 'replay-title' },
      header, this.loading, this.error, controls, body, this.facilitator ? this._facilitatorPanel() : null);
    this._relabel();
  }

  _facilitatorPanel() {
    const { i18n } = this;
    const title = h('h2', { class: 'panel-title', id: 'replay-admin-title' });
    i18n.bind(title, 'replay.adminTitle');
    const hint = h('p', { class: 'field-hint' });
    i18n.bind(hint, 'replay.exportHint');
    this.exportStatus = h('p', { class: 'field-hint', id: 'replay-export-status', role: 'status' });
    const exp = (format, key) => {
      const b = h('button', { type: 'button', class: 'secondary', id: `replay-export-${format}` });
      i18n.bind(b, key);
      b.addEventListener('click', async () => {
        b.disabled = true;
        this.exportStatus.textContent = i18n.t('replay.exporting');
        const err = await this.exportFile(format);
        b.disabled = false;
        this.exportStatus.textContent = err ? i18n.t('replay.exportFailed', { reason: this._reason(err) }) : i18n.t('replay.exported');
      });
      return b;
    };
    const del = h('button', { type: 'button', class: 'danger', id: 'replay-delete' });
    i18n.bind(del, 'replay.delete');
    const delHint = h('p', { class: 'field-hint' });
    i18n.bind(delHint, 'replay.deleteHint');

    // The confirmation: a modal dialog that says what goes, "keep" focused first.
    const dTitle = h('h2', { id: 'replay-delete-title' });
    i18n.bind(dTitle, 'replay.deleteTitle');
    const dBody = h('p', { id: 'replay-delete-body' });
    i18n.bind(dBody, 'replay.deleteBody', () => ({ title: this.replay.title }));
    const dError = h('p', { class: 'form-error', role: 'alert', hidden: true });
    const cancel = h('button', { type: 'button', class: 'secondary', id: 'replay-delete-cancel', autofocus: true });
    i18n.bind(cancel, 'replay.deleteCancel');
    const confirm = h('button', { type: 'button', class: 'danger', id: 'replay-delete-confirm' });
    i18n.bind(confirm, 'replay.deleteConfirm');
    const dialog = h('dialog', { class: 'card confirm-dialog', id: 'replay-delete-dialog', 'aria-labelledby': 'replay-delete-title', 'aria-describedby': 'replay-delete-body' },
      dTitle, dBody, dError, h('div', { class: 'actions' }, cancel, confirm));
    cancel.addEventListener('click', () => dialog.close());
    del.addEventListener('click', () => {
      dError.hidden = true;
      i18n.rebind(dBody, 'replay.deleteBody', { title: this.replay.title });
      dialog.showModal();
      cancel.focus();
    });
    confirm.addEventListener('click', async () => {
      confirm.disabled = true;
      const err = await this.deleteWorkshop();
      confirm.disabled = false;
      if (err) {
        dError.textContent = i18n.t('replay.deleteFailed', { reason: this._reason(err) });
        dError.hidden = false;
      } else {
        dialog.close();
      }
    });

    // The next workshop of the partnership, in one step (protocol/series.md).
    let next = null;
    if (this.prepareNext) {
      next = h('button', { type: 'button', class: 'primary', id: 'replay-prepare-next' });
      i18n.bind(next, 'series.prepareNext');
      next.addEventListener('click', async () => {
        next.disabled = true;
        this.exportStatus.textContent = i18n.t('series.preparing');
        const err = await this.prepareNext();
        next.disabled = false;
        if (err) this.exportStatus.textContent = i18n.t(seriesErrorKey(err));
      });
    }
    return h('section', { class: 'panel replay-admin', 'aria-labelledby': 'replay-admin-title' },
      title, next ? h('div', { class: 'actions' }, next) : null, hint,
      h('div', { class: 'actions' }, exp('md', 'replay.exportMd'), exp('json', 'replay.exportJson'), exp('csv', 'replay.exportCsv')),
      this.exportStatus,
      h('div', { class: 'danger-zone' }, delHint, del), dialog);
  }

  _reason(code) {
    const known = { network: 'error.network', unavailable: 'error.unavailable', forbidden: 'replay.errForbidden' };
    return known[code] ? this.i18n.t(known[code]) : this.i18n.t('replay.errOther', { code });
  }

  // ---- loading --------------------------------------------------------------------

  /** The marks are in: the axis, presence and polls are known. rev: the moment to open at (the link's), else the end. */
  marksReady({ rev = null } = {}) {
    const rp = this.replay;
    this.ready = true;
    this.heading.textContent = rp.title;
    document.title = `${rp.title} · Atelier`;
    this.slider.max = String(rp.length - 1);
    this.slider.disabled = false;
    for (const b of this.buttons) b.disabled = false;
    // Opened at the end: what the session agreed on is the first thing seen;
    // "play" from there starts again from the beginning. A link may name a
    // revision (#/w/ID/replay?rev=R): opened just after the edit that made it.
    this.player.seek(rev != null ? rp.positionOfRev(Math.min(rev, rp.finalRev ?? 0)) : rp.length - 1);
    this._relabel();
    this.schedule();
  }

  onProgress({ phase, loaded, total }) {
    const pct = total > 0 ? Math.floor((loaded / total) * 100) : 100;
    this.progress.value = pct;
    if (phase === 'done') {
      this.loading.hidden = true;
      performance.mark?.('replay-loaded'); // for the browser test and anyone profiling
      this.announce(this.i18n.t('replay.loaded'));
    } else {
      this.i18n.rebind(this.progressLabel, 'replay.loadingOps', { pct });
    }
    this.schedule();
  }

  failed(code, retry) {
    this.error.replaceChildren(h('span', { text: this.i18n.t('replay.loadFailed', { reason: this._reason(code) }) }), ' ');
    if (retry) {
      const b = h('button', { type: 'button', class: 'secondary', on: { click: retry } });
      this.i18n.bind(b, 'action.retry');
      this.error.append(b);
    }
    this.error.hidden = false;
    this.loading.hidden = true;
  }

  // ---- moving -----------------------------------------------------------------------

  /** The position last asked for (the player's); drawn at the next frame. */
  get pos() {
    return this.player.pos;
  }

  // Moves stop playing and are made from the position last asked for, not
  // from the one drawn: clicks and keys that come before the next frame are
  // each one move. The slider shows the new position at once (the browser
  // steps a range input from its value); the rest follows at the next frame.
  _moved(say) {
    this._syncPlay();
    if (String(this.pos) !== this.slider.value) this.slider.value = String(this.pos);
    if (say) this.sayNext = true; // buttons do not move the focus: say where we are
    this.schedule();
  }

  goto(pos, { say = false } = {}) {
    if (!this.ready) return;
    this.player.seek(pos);
    this._moved(say);
  }

  step(dir, { say = true } = {}) {
    if (!this.ready) return;
    this.player.step(dir);
    this._moved(say);
  }

  stepMark(dir) {
    if (!this.ready) return;
    this.player.stepMark(dir);
    this._moved(true);
  }

  togglePlay() {
    if (this.player.playing) {
      this.player.pause();
    } else {
      if (this.pos >= this.replay.length - 1) this.goto(0);
      this.player.play(performance.now());
    }
    this._syncPlay();
    this.schedule();
  }

  _syncPlay() {
    const playing = this.player.playing;
    this.i18n.rebind(this.playBtn, playing ? 'replay.pause' : 'replay.play');
    this.el.classList.toggle('is-playing', playing);
  }

  schedule() {
    if (this.frame || this.destroyed) return;
    this.frame = requestAnimationFrame((now) => {
      this.frame = 0;
      this._frame(now);
    });
  }

  _frame(now) {
    if (!this.ready || this.destroyed) return;
    const t0 = performance.now();
    const rp = this.replay;
    const pl = this.player;
    if (pl.playing) {
      const limit = rp.lastShowable();
      if (this.pos >= limit) {
        pl.last = now; // waiting for the history to load this far
      } else if (pl.speed === 'max') {
        let target = this.pos;
        do {
          target = Math.min(limit, target + FASTEST_SLICE);
          this._seekDoc(target);
        } while (target < limit && performance.now() - t0 < FASTEST_BUDGET_MS);
        pl.pos = target;
        pl.last = now;
      } else {
        pl.advance(now, limit);
      }
      if (this.pos >= rp.length - 1) {
        pl.pause();
        this._syncPlay();
        this.announce(this.i18n.t('replay.ended'));
      }
    }
    this._draw();
    // The work of each frame, for the browser test and anyone profiling
    // (performance.getEntriesByName('replay-frame')); layout and paint come after.
    if (performance.measure) {
      if (++this.measured > 1000) { performance.clearMeasures('replay-frame'); this.measured = 0; }
      try { performance.measure('replay-frame', { start: t0 }); } catch { /* older browsers */ }
    }
    if (pl.playing) this.schedule();
  }

  /** Bring this.doc to the revision at position pos, if it can be computed here. */
  _seekDoc(pos) {
    const rp = this.replay;
    if (!rp.canShow(pos)) return false;
    const rev = rp.revAt(pos);
    const d = this.doc;
    if (d && d.rev === rev) return true;
    if (d && rev > d.rev && rev - d.rev <= rp.checkpointEvery) rp.forward(d, rev);
    else this.doc = rp.docAt(rev, d);
    return true;
  }

  _draw() {
    const rp = this.replay;
    const { i18n } = this;
    const pos = this.pos;
    const rev = rp.revAt(pos);
    if (String(pos) !== this.slider.value) this.slider.value = String(pos);
    // Colours from this history's arrivals (state/colors.js: their slots, or
    // the order of first arrival in older histories), as the live pages had.
    if (rp.marks.length !== this.drawn.marks) {
      useHistorySlots(rp.marks);
      this.text.classes = [];
      this.drawn.moment = null; // presence and polls drawn again in these colours
      this.text.body.replaceChildren(); // chunks drawn again with them
      this.text.nodes.clear();
    }

    // The text: computed here when its ops are in, else asked of the server.
    if (this._seekDoc(pos)) {
      this.text.render(this.doc.chunks);
      this.text.el.classList.remove('is-waiting');
      this.textNote.hidden = true;
      this.wantedRev = null;
    } else {
      this._wantState(rev);
    }

    // Clock, revision, event.
    const { t, exact } = rp.timeNear(pos);
    const time = t != null ? this.fmtTime.format(new Date(t)) : '';
    const nowText = i18n.t(exact ? 'replay.now' : 'replay.nowAbout', {
      time, rev: this.fmtNum.format(rev), revs: this.fmtNum.format(rp.finalRev ?? 0),
      event: this.fmtNum.format(pos + 1), events: this.fmtNum.format(rp.length),
    });
    if (this.nowEl.textContent !== nowText) this.nowEl.textContent = nowText;
    this.slider.setAttribute('aria-valuetext', i18n.t('replay.sliderValue', { time, rev: this.fmtNum.format(rev) }));
    const ev = this._describe(rp.eventAt(pos));
    if (this.eventEl.textContent !== ev) this.eventEl.textContent = ev;
    // Buttons move the moment without moving the focus: say where we are.
    if (this.sayNext) {
      this.sayNext = false;
      this.announce(`${time} — ${ev}`);
    }

    // Presence and polls, when they changed.
    const moment = rp.momentAt(pos);
    const langChanged = this.drawn.lang !== i18n.lang;
    if (moment !== this.drawn.moment || langChanged) {
      if (moment.present !== this.drawn.moment?.present || langChanged) this._drawPresence(moment.present);
      if (moment.polls !== this.drawn.moment?.polls || langChanged) this._drawPolls(moment.polls);
      if (moment.board !== this.drawn.moment?.board || langChanged) this._drawBoard(moment.board);
      if (moment.discuss !== this.drawn.moment?.discuss || langChanged) this._drawDiscuss(moment.discuss || []);
    }
    if (rp.orgs.length !== this.drawn.orgs || langChanged) this._drawLegend();
    if (rp.marks.length !== this.drawn.marks || langChanged) {
      this._drawMarks();
      this._drawChapters();
    }
    this._drawAgenda(pos);
    this._drawSignoff(moment, rev, langChanged);
    this._drawBalance(pos, rev);
    this.drawn = { pos, moment, lang: i18n.lang, orgs: rp.orgs.length, marks: rp.marks.length, rev, loadedRev: rp.loadedRev };
  }

  _wantState(rev) {
    const cached = this.stateCache.get(rev);
    this.textNote.hidden = false;
    if (cached != null) {
      if (this.text.plain !== cached) this.text.renderPlain(cached);
      this.text.el.classList.remove('is-waiting');
      return;
    }
    this.text.el.classList.add('is-waiting'); // what is shown is another moment's text
    if (this.wantedRev === rev) return;
    this.wantedRev = rev;
    clearTimeout(this.stateTimer);
    this.stateTimer = setTimeout(async () => {
      let res;
      try {
        res = await this.fetchState(rev);
      } catch {
        return;
      }
      if (this.destroyed || typeof res?.text !== 'string') return;
      if (this.stateCache.size > 50) this.stateCache.clear();
      this.stateCache.set(rev, res.text);
      if (this.wantedRev === rev) {
        this.wantedRev = null;
        this.schedule();
      }
    }, STATE_DEBOUNCE_MS);
  }

  _relabel() {
    const lang = this.i18n.lang;
    this.fmtTime = dateFormat(lang, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
    this.fmtShort = dateFormat(lang, { hour: '2-digit', minute: '2-digit' });
    this.fmtNum = new Intl.NumberFormat(lang);
    const created = this.replay.created;
    this.dateEl.textContent = created != null ? this.i18n.t('replay.date', {
      date: dateFormat(lang, { dateStyle: 'long', timeStyle: 'short' }).format(new Date(created)),
    }) : '';
  }

  // ---- parts ------------------------------------------------------------------------

  _person(participant) {
    if (!this.people || this.people.n !== this.replay.marks.length) {
      const map = new Map();
      for (const m of this.replay.marks) if (m.type === 'arrived') map.set(m.participant, m);
      this.people = { n: this.replay.marks.length, map };
    }
    return this.people.map.get(participant);
  }

  _describe(e) {
    const { i18n } = this;
    if (e.kind === 'op') {
      if (e.rev < 0) return '';
      if (!e.op) return i18n.t('replay.evOpUnknown');
      const who = this._person(this.replay.opAuthor[e.rev]);
      return who ? i18n.t('replay.evOp', { name: who.name, org: who.org }) : i18n.t('replay.evOpOrg', { org: e.org || '?' });
    }
    const ev = e.event;
    const q = ev.poll?.question ?? '';
    switch (ev.type) {
      case 'created': return i18n.t('replay.evCreated', { title: ev.title ?? this.replay.title });
      case 'arrived': return i18n.t('replay.evArrived', { name: ev.name, org: ev.org });
      case 'departed': return i18n.t('replay.evDeparted', { name: ev.name, org: ev.org });
      case 'poll_created': return i18n.t('replay.evPollCreated', { question: q });
      case 'poll_edited': return i18n.t('replay.evPollEdited', { question: q });
      case 'poll_opened': return i18n.t('replay.evPollOpened', { question: q });
      case 'poll_closed': return i18n.t('replay.evPollClosed', { question: q });
      case 'poll_reopened': return i18n.t('replay.evPollReopened', { question: q });
      case 'poll_results': return i18n.t('replay.evPollResults', { question: q });
      case 'poll_deleted': return i18n.t('replay.evPollDeleted', { question: q });
      case 'poll_passage': return i18n.t(ev.poll?.passage?.changed ? 'replay.evPassageChanged' : 'replay.evPassageBack', { question: q });
      case 'discuss_added': return i18n.t('replay.evDiscussAdded', { name: ev.name ?? '' });
      case 'discuss_checked': return i18n.t('replay.evDiscussChecked', { name: ev.name ?? '' });
      case 'discuss_removed': return i18n.t('replay.evDiscussRemoved', { name: ev.name ?? '' });
      case 'ballot': return i18n.t('replay.evBallot', { question: q });
      case 'answer': return i18n.t('replay.evAnswer', { question: q });
      case 'upvote': return i18n.t('replay.evUpvote', { question: q });
      // issue 13: roles and the sign-off (protocol/agreement.md)
      case 'role': return i18n.t(ev.role === 'representative' ? 'roles.evRepresentative' : ev.asks === 'representative' ? 'roles.evAsks' : 'roles.evParticipant', { name: ev.name ?? '', org: ev.org ?? '' });
      case 'signoff_called': return i18n.t('signoff.evCalled', { name: ev.name ?? '' });
      case 'signoff_closed': return i18n.t('signoff.evClosed', { name: ev.name ?? '' });
      case 'endorsed': return i18n.t('signoff.evEndorsed', { org: ev.org ?? '', name: ev.name ?? '', rev: ev.endorsed_rev ?? ev.rev });
      case 'declined': return i18n.t('signoff.evDeclined', { org: ev.org ?? '', name: ev.name ?? '', reason: ev.reason ?? '' });
      case 'agreed': return i18n.t('signoff.evAgreed', { organisations: Array.isArray(ev.organisations) ? ev.organisations.join(', ') : '' });
      // issue 12: the end of the workshop, and a reopening
      case 'ended': return i18n.t('replay.evEnded', { name: ev.name ?? '' });
      case 'reopened': return i18n.t('replay.evReopened', { name: ev.name ?? '' });
      case 'phase_started': return i18n.t('replay.evPhaseStarted', { phase: this._phaseName(ev), minutes: ev.minutes });
      case 'phase_paused': return i18n.t('replay.evPhasePaused');
      case 'phase_resumed': return i18n.t('replay.evPhaseResumed');
      case 'phase_extended': return i18n.t('replay.evPhaseExtended', { minutes: ev.minutes });
      case 'agenda_changed': return i18n.t('replay.evAgendaChanged');
      case 'agenda_done': return i18n.t('replay.evAgendaDone');
      // issue 16: the priorities board (protocol/board.md)
      case 'board_added': return i18n.t('replay.evBoardAdded', { name: ev.name ?? '', org: ev.board?.org ?? '', title: ev.board?.title ?? '' });
      case 'board_edited': return i18n.t('replay.evBoardEdited', { name: ev.name ?? '', org: ev.board?.org ?? '' });
      case 'board_deleted': return i18n.t('replay.evBoardDeleted', { name: ev.name ?? '', title: ev.board?.title ?? '' });
      case 'board_grouped': return i18n.t('replay.evBoardGrouped', { name: ev.name ?? '' });
      case 'board_ungrouped': return i18n.t('replay.evBoardUngrouped', { name: ev.name ?? '' });
      case 'board_revealed': return i18n.t('replay.evBoardRevealed', { name: ev.name ?? '' });
      case 'board_settings': return i18n.t('replay.evBoardSettings', { name: ev.name ?? '' });
      case 'board_carried': return i18n.t('replay.evBoardCarried');
      default: return '';
    }
  }

  /** The board at the moment shown: its columns, read-only (hidden while it has no item). */
  _drawBoard(board) {
    this.boardEl.hidden = !board.items.length;
    this.boardCols.replaceChildren(...(board.items.length ? boardColumns(board, this.i18n, { idPrefix: 'replay-board' }) : []));
  }

  /** A phase event's phase, named in the reader's language (a preset's name) from the agenda then. */
  _phaseName(ev) {
    const at = this.replay.marks.indexOf(ev);
    const phases = at >= 0 ? this.replay.moments[at].agenda.phases : [];
    return phaseTitle(phases.find((p) => p.id === ev.phase) || { title: ev.title ?? '' }, this.i18n);
  }

  /** The phase under way at position pos and its timer then. */
  _drawAgenda(pos) {
    const { i18n } = this;
    const { agenda, t } = this.replay.agendaAt(pos);
    const left = timeLeft(agenda.timer, t);
    // The steps: ran, skipped (named below), still to come. Nothing is said
    // of an agenda that never ran (every workshop has the method's phases).
    const steps = phaseSteps(agenda.phases, agenda.timer);
    this.agendaEl.hidden = !left && steps.every((s) => s === 'next');
    let text = i18n.t('replay.agendaNone');
    if (left) {
      const phase = phaseTitle(agenda.phases.find((p) => p.id === left.phase) || { title: '' }, i18n);
      const key = left.overrun ? (left.paused ? 'agenda.overrunPaused' : 'agenda.overrun') : (left.paused ? 'agenda.leftPaused' : 'agenda.left');
      text = i18n.t('replay.agendaNow', { phase, left: i18n.t(key, { time: formatClock(left.ms) }) });
    }
    // The phases jumped over by then: named, so a reader does not take them for run.
    const skipped = agenda.phases.filter((p, i) => steps[i] === 'skipped').map((p) => phaseTitle(p, i18n));
    if (skipped.length) text = `${text} ${i18n.t('replay.agendaSkipped', { phases: skipped.join(', ') })}`;
    if (this.agendaEl.textContent !== text) this.agendaEl.textContent = text;
    const current = this.replay.chapters().filter((c) => c.pos <= pos).at(-1)?.pos;
    for (const b of this.chapterList.querySelectorAll('button')) {
      if (Number(b.dataset.pos) === current) b.setAttribute('aria-current', 'step');
      else b.removeAttribute('aria-current');
    }
  }

  /**
   * The sign-off at the moment shown: each organisation's decision then,
   * whether the text shown had changed since it, the agreement (hidden
   * before the first call). "Changed since" waits for the text of the
   * moment (its hash against each decision's).
   */
  _drawSignoff(moment, rev, langChanged) {
    const { i18n } = this;
    const s = moment.signoff;
    const show = s.calledAt != null || s.organisations.length > 0 || s.agreed != null;
    this.signoffEl.hidden = !show;
    if (!show) return;
    const text = this.doc && this.doc.rev === rev && this.replay.canShow(this.pos) ? this.doc : null;
    const plain = text ? null : this.stateCache.get(rev);
    if (this.hashed.rev !== rev && (text || plain != null)) {
      this.hashed = { rev, hash: sha256HexNow(text ? text.text : plain) };
    }
    const currentHash = this.hashed.rev === rev ? this.hashed.hash : null;
    const signing = signingOf(moment.present.map((p) => ({ role: p.role, organisation: p.org })));
    const m = signoffModel(s, { currentHash, signing, locale: i18n.lang });
    const key = JSON.stringify([i18n.lang, m]);
    if (key === this.drawnSignoff && !langChanged) return;
    this.drawnSignoff = key;
    const time = m.calledAt != null ? dateFormat(i18n.lang, { timeStyle: 'short' }).format(new Date(m.calledAt)) : '';
    this.signoffStatus.textContent = i18n.t(m.open ? 'signoff.statusOpen' : m.calledAt != null ? 'signoff.statusClosed' : 'signoff.statusNone', { time });
    this.signoffAgreed.replaceChildren(...agreedParts(m.agreed, { i18n }));
    this.signoffAgreed.hidden = !m.agreed;
    this.signoffAgreed.classList.toggle('is-current', m.agreed?.current === true);
    this.signoffRows.replaceChildren(...m.rows.map((r) => decisionRow(r, { i18n })));
    this.signoffRows.hidden = !m.rows.length;
  }

  /** The facilitator's balance at position pos (once the edits up to there are loaded). */
  _drawBalance(pos, rev) {
    if (!this.balance) return;
    const rp = this.replay;
    if (this.drawn.pos === pos && this.drawn.rev === rev && this.drawn.loadedRev === rp.loadedRev && this.drawn.lang === this.i18n.lang) return;
    const data = rp.balanceAt(pos);
    this.balance.show(data, { waitingKey: data ? null : 'balance.loading' });
  }

  _drawChapters() {
    const { i18n } = this;
    const chapters = this.replay.chapters();
    this.chaptersEl.hidden = !chapters.length;
    this.chapterList.replaceChildren(...chapters.map((c, k) => {
      const b = h('button', {
        type: 'button', class: 'link-button replay-chapter', data: { pos: String(c.pos) },
        text: i18n.t('replay.chapter', { n: k + 1, phase: this._phaseName(c.event), time: this.fmtShort.format(new Date(c.event.t)) }),
      });
      b.addEventListener('click', () => this.goto(c.pos, { say: true }));
      return h('li', null, b);
    }));
  }

  _drawLegend() {
    const { i18n } = this;
    const orgs = new Map();
    for (const o of this.replay.orgs) if (o) orgs.set(orgKey(o), o);
    for (const m of this.replay.marks) if (m.type === 'arrived' && m.org && !orgs.has(orgKey(m.org))) orgs.set(orgKey(m.org), m.org);
    const item = (color, text) => {
      const sw = h('span', { class: ['swatch', color ? null : 'swatch-none'], 'aria-hidden': 'true' });
      if (color) sw.style.backgroundColor = color;
      return h('li', { data: color ? { org: text } : {} }, sw, h('span', { text }));
    };
    const items = [...orgs.values()].sort((a, b) => a.localeCompare(b, i18n.lang)).map((o) => item(orgColor(o), o));
    items.push(item(null, i18n.t('replay.unknownAuthor')));
    this.legend.replaceChildren(h('li', { class: 'legend-caption', text: i18n.t('editor.legend') }), ...items);
  }

  _drawPresence(present) {
    const { i18n } = this;
    // Observers are counted and listed apart, as on the live page.
    const taking = present.filter(takesPart);
    const watching = present.filter((p) => !takesPart(p))
      .map((p) => ({ name: p.name, organisation: p.org }))
      .sort((a, b) => a.name.localeCompare(b.name, i18n.lang, { sensitivity: 'base' }));
    this.presCount.textContent = presenceCount(i18n, taking.length, watching.length);
    this.presObservers.replaceChildren(...observerList(i18n, watching, 'replay-observers-title'));
    this.presObservers.hidden = !watching.length;
    const groups = new Map();
    for (const p of taking) {
      const k = orgKey(p.org);
      if (!groups.has(k)) groups.set(k, { org: p.org, members: [] });
      groups.get(k).members.push(p);
    }
    const items = [...groups.values()].sort((a, b) => a.org.localeCompare(b.org, i18n.lang)).map((g) => {
      const sw = h('span', { class: 'swatch', 'aria-hidden': 'true' });
      sw.style.backgroundColor = orgColor(g.org);
      return h('li', { class: 'org-group' },
        h('h3', { class: 'org-name' }, sw, h('span', { text: g.org })),
        h('ul', { class: 'people' }, g.members.map((m) => h('li', { class: 'person' },
          h('span', { class: 'person-name', text: m.name }),
          m.role === 'facilitator' ? h('span', { class: 'badge badge-facilitator', text: i18n.t('presence.facilitator') }) : null,
          m.role === 'representative' ? h('span', { class: 'badge badge-representative', text: i18n.t('roles.representative') }) : null))));
    });
    if (!items.length && !watching.length) items.push(h('li', { class: 'field-hint', text: i18n.t('replay.nobody') }));
    this.presList.replaceChildren(...items);
  }

  _drawPolls(polls) {
    const { i18n } = this;
    const stateKey = { draft: 'poll.stateDraft', open: 'poll.stateOpen', closed: 'poll.stateClosed' };
    const cards = polls.map(({ poll, results }, i) => {
      const idPrefix = `replay-poll-${i}`;
      const res = results ? renderResults({ i18n, poll, results, facilitator: this.facilitator, idPrefix }) : null;
      return h('article', { class: 'poll-card', data: { state: poll.state, poll: poll.id } },
        h('div', { class: 'poll-head' },
          h('h3', { class: 'poll-question', text: poll.question }),
          h('span', { class: ['tag', `tag-${poll.state}`], text: i18n.t(stateKey[poll.state] || 'poll.stateClosed') })),
        poll.passage ? passageBlock(i18n, poll.passage, idPrefix) : null,
        h('div', { class: 'poll-results' }, res || h('p', { class: 'results-note', text: i18n.t('replay.noResults') })));
    });
    if (!cards.length) cards.push(h('p', { class: 'field-hint', text: i18n.t('replay.noPolls') }));
    this.pollList.replaceChildren(...cards);
  }

  /** The "to discuss" list at the moment shown (polls.md, "To discuss"). */
  _drawDiscuss(items) {
    const { i18n } = this;
    this.discussEl.hidden = !items.length;
    this.discussList.replaceChildren(...items.map((it) => h('li', { class: ['discuss-item', it.done ? 'is-done' : null] },
      h('p', { class: 'discuss-question', text: it.question }),
      it.passage ? h('blockquote', { class: 'passage-quote', text: it.passage }) : null,
      it.done ? h('p', { class: 'discuss-meta', text: i18n.t('poll.discussDoneNote') }) : null)));
  }

  _drawMarks() {
    const rp = this.replay;
    const { i18n } = this;
    const marks = rp.timelineMarks();
    const buttons = marks.map((m, k) => {
      const ev = m.event;
      const time = this.fmtShort.format(new Date(ev.t));
      const label = m.kind === 'arrival' ? i18n.t('replay.markArrival', { name: ev.name, org: ev.org, time })
        : m.kind === 'chapter' ? i18n.t('replay.markChapter', { phase: this._phaseName(ev), time })
          : i18n.t('replay.markPoll', { what: this._describe({ kind: 'mark', event: ev }), time }); // a poll's or the sign-off's step
      const b = h('button', {
        type: 'button', class: ['mark', `mark-${m.kind}`], title: label, 'aria-label': label,
        tabindex: k === 0 ? '0' : '-1', data: { pos: String(m.pos), kind: m.kind },
      });
      if (m.kind === 'arrival') b.style.setProperty('--mark-colour', orgColor(ev.org));
      b.addEventListener('click', () => this.goto(m.pos, { say: true }));
      return b;
    });
    this.marksEl.replaceChildren(...buttons);
    this._placeMarks();
  }

  /**
   * Each mark under its moment on the slider's track, as a target of
   * MARK_PX square; marks close in time go to further rows rather than
   * overlap (state/marklayout.js).
   */
  _placeMarks() {
    const buttons = this.marksEl.children;
    const width = this.marksEl.clientWidth;
    if (!buttons.length || !width) return; // not laid out yet: the observer calls again
    const span = Math.max(1, this.replay.length - 1);
    // The slider's thumb centre runs from half a thumb in from each end.
    const inset = THUMB_HALF_REM * parseFloat(getComputedStyle(document.documentElement).fontSize);
    const centres = [...buttons].map((b) => inset + (Number(b.dataset.pos) / span) * (width - 2 * inset));
    const { lanes, places } = layoutMarks(centres, { width, size: MARK_PX });
    places.forEach((p, k) => {
      buttons[k].style.left = `${p.left}px`;
      buttons[k].style.top = `${p.lane * MARK_PX}px`;
    });
    this.marksEl.style.height = `${lanes * MARK_PX}px`;
  }

  /** Arrow keys walk the marks (one tab stop for all of them). */
  _marksKey(e) {
    const all = [...this.marksEl.querySelectorAll('.mark')];
    const i = all.indexOf(document.activeElement);
    if (i < 0) return;
    let j = i;
    if (e.key === 'ArrowRight' || e.key === 'ArrowDown') j = Math.min(all.length - 1, i + 1);
    else if (e.key === 'ArrowLeft' || e.key === 'ArrowUp') j = Math.max(0, i - 1);
    else if (e.key === 'Home') j = 0;
    else if (e.key === 'End') j = all.length - 1;
    else return;
    e.preventDefault();
    all[i].tabIndex = -1;
    all[j].tabIndex = 0;
    all[j].focus();
  }
}

/** What a refused "next workshop" says (protocol/series.md). */
export function seriesErrorKey(code) {
  if (code === 'bad_request') return 'series.errNotEnded';
  if (code === 'token') return 'series.errToken';
  if (code === 'rate_limited') return 'series.errRate';
  if (code === 'too_large') return 'series.errFull';
  if (code === 'network' || code === 'unavailable') return 'series.errNetwork';
  return 'series.errFailed';
}
