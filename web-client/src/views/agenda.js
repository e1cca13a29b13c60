// The agenda on the workshop page: a bar with the phase under way and its
// countdown (repeated in a slim strip fixed at the top of the screen once
// the bar is scrolled out of view, so a phone keeps it in sight), the phases with the
// current one highlighted, and for the facilitator one button per step
// (start, next, pause or resume, +5 min or another amount) and the editor.
// It reads and drives the AgendaStore (state/agenda.js); the sign-off, a
// moment of the agenda, sits in its phase's row (signoffPhaseIndex): its
// state for everyone, the call for the facilitator, through the `signoff`
// adapter the page hands in.
//
// Screen readers: the countdown is a role="timer" (never read out on its
// own); the store announces each step, this view the last minute and the
// overrun, once per phase.
import { h } from './dom.js';
import { formatClock, phaseTitle, presetName, checkPhases, signoffPhaseIndex } from '../state/agenda.js';
import { MAX_PHASES, MAX_PHASE_TITLE, MIN_EXTEND_MINUTES, MAX_EXTEND_MINUTES, MAX_PHASE_MINUTES, MIN_PHASE_MINUTES } from '../protocol/messages.js';

const QUICK_EXTEND = 5; // minutes, the one-click extension
const OTHER_EXTEND = 10; // the other amount's starting value
const LAST_MINUTE_MS = 60000;
const WIDE = '(min-width: 861px)'; // the phases are listed open from this width (the page's two columns)

export class AgendaView {
  /**
   * signoff (optional): {model() -> signoffModel's {open, calledAt, rows,
   * agreed}, mayCall() -> bool, call() -> Promise of {ok} | {error},
   * subscribe(fn) -> [off functions]}.
   */
  constructor({ agenda, i18n, announce, signoff = null, timers = globalThis }) {
    this.agenda = agenda;
    this.signoff = signoff;
    this.i18n = i18n;
    this.announce = announce;
    this.timers = timers;
    this.tick = null;
    this.said = new Set(); // "last minute" and "overrun" already said, per phase start
    this.busy = false;
    this.editing = null; // the editor's rows while it is open

    const title = h('h2', { class: 'agenda-label', id: 'agenda-title' });
    i18n.bind(title, 'agenda.title');
    this.phaseEl = h('p', { class: 'agenda-phase', id: 'agenda-phase' });
    this.countdown = h('p', { class: 'agenda-countdown', id: 'agenda-countdown', role: 'timer', 'aria-atomic': 'true' });
    this.controls = h('div', { class: 'agenda-controls', id: 'agenda-controls', role: 'group', 'aria-label': '' });
    i18n.bind(this.controls, 'agenda.controls', null, 'aria-label');
    const wide = typeof matchMedia === 'function' && matchMedia(WIDE).matches;
    this.toggle = h('button', { type: 'button', class: 'secondary agenda-toggle', id: 'agenda-toggle', 'aria-controls': 'agenda-steps', 'aria-expanded': String(wide) });
    this.toggle.addEventListener('click', () => this._showSteps(this.toggle.getAttribute('aria-expanded') !== 'true'));
    this.steps = h('ol', { class: 'agenda-steps', id: 'agenda-steps', hidden: !wide });
    this.error = h('p', { class: 'form-error', id: 'agenda-error', role: 'alert', hidden: true });
    this.editor = h('div', { class: 'agenda-editor', id: 'agenda-editor', hidden: true });
    this.bar = h('div', { class: 'agenda-bar' },
      h('div', { class: 'agenda-now' }, title, this.phaseEl, this.countdown), this.controls, this.toggle);
    // The strip repeats what the bar says, for the eyes only (the bar is
    // the one screen readers use; the strip has nothing to focus).
    this.miniPhase = h('span', { class: 'agenda-mini-phase' });
    this.miniTime = h('span', { class: 'agenda-mini-time', id: 'agenda-mini-time' });
    this.mini = h('div', { class: 'agenda-mini', id: 'agenda-mini', 'aria-hidden': 'true', hidden: true }, this.miniPhase, this.miniTime);
    this.barInView = true;
    this.el = h('section', { class: 'panel agenda', id: 'agenda', 'aria-labelledby': 'agenda-title', hidden: true },
      this.bar, this.error, this.steps, this.editor, this.mini);
    if (typeof IntersectionObserver === 'function') {
      this.observer = new IntersectionObserver((entries) => {
        for (const e of entries) this.barInView = e.isIntersecting;
        this._renderMini();
      });
      this.observer.observe(this.bar);
    }

    this.offs = [
      agenda.on('change', () => this.render()),
      agenda.on('announce', (key, p) => this.announce(i18n.t(key, { phase: phaseTitle(p.phase, i18n), minutes: p.minutes }))),
      i18n.on('change', () => this.render()),
      // The sign-off's store changes with every edit (the text's hash): redraw only when its row would.
      ...(signoff ? signoff.subscribe(() => { if (this._signoffSig() !== this.signoffSig) this._renderSteps(); }) : []),
    ];
    this.render();
  }

  destroy() {
    this.observer?.disconnect();
    for (const off of this.offs) off();
    if (this.tick != null) this.timers.clearTimeout(this.tick);
  }

  _showSteps(open) {
    this.steps.hidden = !open;
    this.toggle.setAttribute('aria-expanded', String(open));
    // Its words follow (it said "Voir les 6 phases" over the open list until the next change).
    this.i18n.rebind(this.toggle, open ? 'agenda.hideSteps' : 'agenda.showSteps', { count: this.agenda.phases.length });
  }

  // ---- drawing ---------------------------------------------------------------------

  render() {
    const { agenda, i18n } = this;
    this.el.hidden = !agenda.known;
    if (!agenda.known) return;
    const current = agenda.current;
    const index = agenda.currentIndex;
    this.el.classList.toggle('is-running', !!current);
    if (current) {
      i18n.rebind(this.phaseEl, 'agenda.current', { n: index + 1, count: agenda.phases.length, phase: phaseTitle(current, i18n) });
    } else {
      // The server says whether the last phase ended (timer.done) or none started yet,
      // and which phases never ran: a finished agenda does not claim them.
      const skipped = agenda.steps.filter((s) => s === 'skipped').length;
      if (agenda.done && skipped) i18n.rebind(this.phaseEl, 'agenda.doneSkipped', { count: skipped, total: agenda.phases.length });
      else i18n.rebind(this.phaseEl, agenda.done ? 'agenda.done' : 'agenda.noneRunning', { count: agenda.phases.length });
    }
    i18n.rebind(this.toggle, this.toggle.getAttribute('aria-expanded') === 'true' ? 'agenda.hideSteps' : 'agenda.showSteps', { count: agenda.phases.length });
    this._renderClock();
    this._renderSteps();
    this._renderControls();
    if (this.editing && !agenda.isFacilitator) this._closeEditor();
  }

  /** The countdown, redrawn on each whole second of the time left. */
  _renderClock() {
    const { agenda, i18n } = this;
    if (this.tick != null) this.timers.clearTimeout(this.tick);
    this.tick = null;
    const left = agenda.left();
    this.countdown.hidden = !left;
    this.el.classList.toggle('is-paused', !!left?.paused);
    this.el.classList.toggle('is-overrun', !!left?.overrun);
    if (!left) {
      this._renderMini();
      return;
    }
    const time = formatClock(left.ms);
    const key = left.overrun ? (left.paused ? 'agenda.overrunPaused' : 'agenda.overrun') : (left.paused ? 'agenda.leftPaused' : 'agenda.left');
    const text = i18n.t(key, { time });
    if (this.countdown.textContent !== text) this.countdown.textContent = text;
    this.countdown.dataset.ms = String(Math.round(left.ms));
    this._renderMini(text);
    if (left.paused) return;
    this._sayOnce(left);
    // Next redraw when the shown second changes (plus a little, so the
    // arithmetic lands past the boundary).
    const into = ((left.ms % 1000) + 1000) % 1000;
    this.tick = this.timers.setTimeout(() => this._renderClock(), (into || 1000) + 15);
  }

  _renderMini(time = this.countdown.textContent) {
    const current = this.agenda.current;
    this.mini.hidden = this.barInView || !current || this.el.hidden;
    if (this.mini.hidden) return;
    const phase = phaseTitle(current, this.i18n);
    if (this.miniPhase.textContent !== phase) this.miniPhase.textContent = phase;
    if (this.miniTime.textContent !== time) this.miniTime.textContent = time;
  }

  _sayOnce(left) {
    const t = this.agenda.timer;
    const phase = phaseTitle(this.agenda.current, this.i18n);
    const once = (what, key) => {
      const k = `${t.phase}|${t.started_at}|${what}`;
      if (this.said.has(k)) return;
      this.said.add(k);
      this.announce(this.i18n.t(key, { phase }));
    };
    if (left.overrun) once('over', 'agenda.announceOverrun');
    else if (left.ms <= LAST_MINUTE_MS) once('last', 'agenda.announceLastMinute');
  }

  _renderSteps() {
    const { agenda, i18n } = this;
    const fac = agenda.isFacilitator;
    const steps = agenda.steps; // the server's record of the phases run: one jumped over is skipped, not done
    const so = this.signoff?.model();
    const host = so ? signoffPhaseIndex(agenda.phases, agenda.timer, so.calledAt) : -1;
    const signoffPart = host >= 0 ? this._signoffPart(so) : null;
    const items = agenda.phases.map((p, i) => {
      const name = phaseTitle(p, i18n);
      const state = steps[i] === 'ran' ? 'past' : steps[i];
      const label = h('span', { class: 'agenda-step-title', text: name });
      const minutes = h('span', { class: 'agenda-step-minutes', text: i18n.t('agenda.minutes', { count: p.minutes }) });
      let stateText = null;
      if (state === 'current') stateText = h('span', { class: 'tag agenda-step-now', text: i18n.t('agenda.stepNow') });
      else if (state === 'skipped') stateText = h('span', { class: 'tag agenda-step-skipped', text: i18n.t('agenda.stepSkipped') });
      else if (state === 'past') stateText = h('span', { class: 'visually-hidden', text: i18n.t('agenda.stepRan') });
      let start = null;
      if (fac && state !== 'current') {
        start = h('button', { type: 'button', class: 'link-button agenda-step-start', data: { phase: p.id }, text: i18n.t('agenda.startThis'), 'aria-label': i18n.t('agenda.startThisLabel', { phase: name }) });
        start.addEventListener('click', () => this._do(() => agenda.start(p.id)));
      }
      return h('li', { class: ['agenda-step', `is-${state}`], 'aria-current': state === 'current' ? 'step' : null, data: { phase: p.id } },
        h('span', { class: 'agenda-step-n', 'aria-hidden': 'true', text: String(i + 1) }), label, minutes, stateText, start,
        i === host ? signoffPart : null);
    });
    this.signoffSig = this._signoffSig();
    // Keep focus on the control that was used when the list is redrawn under it.
    const active = this.steps.contains(document.activeElement) ? document.activeElement : null;
    const phase = active?.dataset.phase;
    this.steps.replaceChildren(...items);
    if (active?.id) document.getElementById(active.id)?.focus();
    else if (phase) this.steps.querySelector(`.agenda-step-start[data-phase="${CSS.escape(phase)}"]`)?.focus();
  }

  /** What the sign-off's part of the list depends on. */
  _signoffSig() {
    const m = this.signoff?.model();
    if (!m) return '';
    const endorsed = m.rows.filter((r) => r.status === 'endorsed' && !r.changed).length;
    return JSON.stringify([signoffPhaseIndex(this.agenda.phases, this.agenda.timer, m.calledAt), m.open, m.calledAt, m.rows.length,
      endorsed, m.agreed?.current ?? null, !!m.agreed, this.signoff.mayCall(), !!this.signoffBusy]);
  }

  /**
   * The sign-off in its phase's row: its state (called, n of m organisations
   * endorsed, agreed) for everyone; for the facilitator, the call in one
   * step while none is open. Null when there is nothing to show.
   */
  _signoffPart(m) {
    const { i18n } = this;
    const total = m.rows.length;
    const endorsed = m.rows.filter((r) => r.status === 'endorsed' && !r.changed).length;
    let text = null;
    if (m.agreed) text = i18n.t(m.agreed.current === false ? 'agenda.signoffAgreedChanged' : 'agenda.signoffAgreed', { count: m.agreed.organisations?.length ?? endorsed });
    else if (m.open) text = i18n.t('agenda.signoffOpen', { count: endorsed, total });
    else if (m.calledAt != null) text = i18n.t('agenda.signoffClosed', { count: endorsed, total });
    const state = text ? h('span', { class: ['agenda-step-signoff', m.agreed ? 'is-agreed' : null], id: 'agenda-signoff-state', text }) : null;
    let call = null;
    if (this.signoff.mayCall() && !m.open) {
      call = h('button', { type: 'button', class: 'primary small agenda-signoff-call', id: 'agenda-signoff-call', text: i18n.t(m.calledAt == null ? 'agenda.signoffCall' : 'agenda.signoffCallAgain') });
      if (this.signoffBusy) call.setAttribute('aria-disabled', 'true');
      call.addEventListener('click', async () => {
        if (this.signoffBusy) return;
        this.signoffBusy = true;
        this.error.hidden = true;
        const res = await this.signoff.call();
        this.signoffBusy = false;
        if (res.error) this._showError(res.error);
        this._renderSteps();
      });
    }
    return state || call ? h('span', { class: 'agenda-step-signoff-part' }, state, call) : null;
  }

  _renderControls() {
    const { agenda, i18n } = this;
    const fac = agenda.isFacilitator;
    this.controls.hidden = !fac;
    if (!fac) {
      this.controls.replaceChildren();
      return;
    }
    const left = agenda.left();
    const index = agenda.currentIndex;
    const button = (id, key, params, onClick, cls = 'secondary') => {
      const b = h('button', { type: 'button', id, class: cls, text: i18n.t(key, params) });
      if (this.busy) b.setAttribute('aria-disabled', 'true');
      b.addEventListener('click', () => this._do(onClick));
      return b;
    };
    const parts = [];
    if (!left) {
      const first = agenda.phases[0];
      if (first) parts.push(button('agenda-start', 'agenda.start', { phase: phaseTitle(first, i18n) }, () => agenda.next(), 'primary'));
    } else {
      parts.push(left.paused
        ? button('agenda-resume', 'agenda.resume', null, () => agenda.resume(), 'primary')
        : button('agenda-pause', 'agenda.pause', null, () => agenda.pause()));
      parts.push(button('agenda-extend', 'agenda.extendQuick', { minutes: QUICK_EXTEND }, () => agenda.extend(QUICK_EXTEND)));
      parts.push(this._otherAmount());
      const last = index === agenda.phases.length - 1;
      parts.push(button('agenda-next', last ? 'agenda.finish' : 'agenda.next', null, () => agenda.next()));
    }
    const edit = h('button', { type: 'button', id: 'agenda-edit', class: 'secondary', text: i18n.t('agenda.edit') });
    edit.addEventListener('click', () => this._openEditor());
    edit.setAttribute('aria-expanded', String(!!this.editing));
    edit.setAttribute('aria-controls', 'agenda-editor');
    parts.push(edit);
    // Keep focus on the control that was used when the bar is redrawn.
    const focused = this.controls.contains(document.activeElement) ? document.activeElement.id : null;
    this.controls.replaceChildren(...parts);
    if (focused) document.getElementById(focused)?.focus();
  }

  /** "+ [10] min": another extension, typed, in one step. */
  _otherAmount() {
    const { agenda, i18n } = this;
    const input = h('input', {
      type: 'number', id: 'agenda-extend-minutes', class: 'agenda-extend-minutes', min: String(MIN_EXTEND_MINUTES), max: String(MAX_EXTEND_MINUTES),
      step: '1', inputmode: 'numeric', value: String(this.otherMinutes ?? OTHER_EXTEND), 'aria-label': i18n.t('agenda.extendOtherLabel'),
    });
    input.addEventListener('input', () => { this.otherMinutes = input.value; });
    const go = h('button', { type: 'button', id: 'agenda-extend-other', class: 'secondary', text: i18n.t('agenda.extendOther') });
    const submit = () => this._do(() => agenda.extend(input.value));
    go.addEventListener('click', submit);
    input.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); submit(); } });
    return h('span', { class: 'agenda-extend' }, h('span', { 'aria-hidden': 'true', text: '+' }), input, go);
  }

  async _do(request) {
    if (this.busy) return;
    this.busy = true;
    this.error.hidden = true;
    const res = await request();
    this.busy = false;
    if (res.error) this._showError(res.error);
    this._renderControls();
  }

  _showError(code) {
    const key = code === 'offline' || code === 'disconnected' || code === 'timeout' ? 'agenda.errOffline'
      : code === 'bad_request' ? 'agenda.errState' : code === 'forbidden' ? 'agenda.errForbidden' : 'agenda.errFailed';
    this.error.textContent = this.i18n.t(key, { min: MIN_EXTEND_MINUTES, max: MAX_EXTEND_MINUTES });
    this.error.hidden = false;
  }

  // ---- the editor --------------------------------------------------------------------

  _openEditor() {
    if (this.editing) {
      this._closeEditor();
      return;
    }
    const { i18n } = this;
    this.editing = this.agenda.phases.map((p) => {
      const preset = presetName(p, i18n);
      return { id: p.id, title: preset ?? p.title, minutes: String(p.minutes), preset: p.preset, presetTitle: preset, storedTitle: p.title };
    });
    this.editErrors = null;
    this._renderEditor();
    this._renderControls();
    this.editor.querySelector('input')?.focus();
  }

  _closeEditor() {
    this.editing = null;
    this.editor.hidden = true;
    this.editor.replaceChildren();
    this._renderControls();
  }

  _renderEditor() {
    const { i18n, agenda } = this;
    const rows = this.editing;
    const errs = this.editErrors;
    const running = agenda.timer?.phase;
    const heading = h('h3', { class: 'agenda-editor-title', id: 'agenda-editor-title', text: i18n.t('agenda.editTitle') });
    const hint = h('p', { class: 'field-hint', text: i18n.t('agenda.editHint', { max: MAX_PHASES, title: MAX_PHASE_TITLE, minMinutes: MIN_PHASE_MINUTES, maxMinutes: MAX_PHASE_MINUTES }) });
    const list = h('ol', { class: 'agenda-edit-rows' }, rows.map((r, i) => {
      const n = i + 1;
      const rowErr = errs?.rows[i];
      const titleId = `agenda-edit-title-${i}`;
      const minId = `agenda-edit-minutes-${i}`;
      const title = h('input', { type: 'text', id: titleId, class: 'agenda-edit-title', value: r.title, 'aria-invalid': rowErr?.title ? 'true' : null, 'aria-describedby': rowErr?.title ? `${titleId}-error` : null });
      title.addEventListener('input', () => { r.title = title.value; });
      const minutes = h('input', { type: 'number', id: minId, class: 'agenda-edit-minutes', min: String(MIN_PHASE_MINUTES), max: String(MAX_PHASE_MINUTES), step: '1', inputmode: 'numeric', value: r.minutes, 'aria-invalid': rowErr?.minutes ? 'true' : null, 'aria-describedby': rowErr?.minutes ? `${minId}-error` : null });
      minutes.addEventListener('input', () => { r.minutes = minutes.value; });
      const move = (dir, key) => {
        const b = h('button', { type: 'button', class: 'secondary icon-button', 'aria-label': i18n.t(key, { n }), text: dir < 0 ? '↑' : '↓' });
        const j = i + dir;
        if (j < 0 || j >= rows.length) b.disabled = true;
        b.addEventListener('click', () => {
          [rows[i], rows[j]] = [rows[j], rows[i]];
          this._renderEditor();
          this.editor.querySelectorAll('.agenda-edit-row')[j]?.querySelector(dir < 0 ? '.move-up' : '.move-down')?.focus();
        });
        b.classList.add(dir < 0 ? 'move-up' : 'move-down');
        return b;
      };
      const remove = h('button', { type: 'button', class: 'secondary icon-button agenda-edit-remove', 'aria-label': i18n.t('agenda.removeRow', { n }), text: '×' });
      // The phase under way may not be removed (the server refuses it).
      if (r.id && r.id === running) {
        remove.disabled = true;
        remove.title = i18n.t('agenda.removeRunning');
      }
      remove.addEventListener('click', () => {
        rows.splice(i, 1);
        this._renderEditor();
        (this.editor.querySelectorAll('.agenda-edit-title')[Math.min(i, rows.length - 1)] || this.editor.querySelector('#agenda-add'))?.focus();
      });
      const errorText = (e, id) => (e ? h('p', { class: 'field-error', id, text: i18n.t(e.error, { max: e.max, min: e.min }) }) : null);
      return h('li', { class: 'agenda-edit-row' },
        h('div', { class: 'field agenda-edit-title-field' }, h('label', { for: titleId, class: 'field-label', text: i18n.t('agenda.rowTitle', { n }) }), title, errorText(rowErr?.title, `${titleId}-error`)),
        h('div', { class: 'field agenda-edit-minutes-field' }, h('label', { for: minId, class: 'field-label', text: i18n.t('agenda.rowMinutes') }), minutes, errorText(rowErr?.minutes, `${minId}-error`)),
        h('div', { class: 'agenda-edit-tools' }, move(-1, 'agenda.moveUp'), move(1, 'agenda.moveDown'), remove));
    }));
    const add = h('button', { type: 'button', class: 'secondary', id: 'agenda-add', text: i18n.t('agenda.addRow') });
    if (rows.length >= MAX_PHASES) add.disabled = true;
    add.addEventListener('click', () => {
      rows.push({ id: null, title: '', minutes: '15' });
      this._renderEditor();
      const titles = this.editor.querySelectorAll('.agenda-edit-title');
      titles[titles.length - 1]?.focus();
    });
    const listError = errs?.list ? h('p', { class: 'field-error', role: 'alert', text: i18n.t(errs.list.error, { max: errs.list.max }) }) : null;
    const save = h('button', { type: 'submit', class: 'primary', id: 'agenda-save', text: i18n.t('agenda.save') });
    const cancel = h('button', { type: 'button', class: 'secondary', id: 'agenda-cancel', text: i18n.t('agenda.cancel') });
    cancel.addEventListener('click', () => {
      this._closeEditor();
      document.getElementById('agenda-edit')?.focus();
    });
    this.saveError = h('p', { class: 'form-error', role: 'alert', hidden: true });
    const form = h('form', { class: 'form', novalidate: true, 'aria-labelledby': 'agenda-editor-title' },
      heading, hint, list, listError, h('div', { class: 'actions' }, add), h('div', { class: 'actions' }, save, cancel), this.saveError);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      this._save();
    });
    form.addEventListener('keydown', (e) => { if (e.key === 'Escape') cancel.click(); });
    this.editor.replaceChildren(form);
    this.editor.hidden = false;
  }

  async _save() {
    const checked = checkPhases(this.editing);
    if (checked.errors) {
      this.editErrors = checked.errors;
      this._renderEditor();
      this.editor.querySelector('[aria-invalid="true"]')?.focus();
      return;
    }
    this.editErrors = null;
    const res = await this.agenda.setPhases(checked.phases);
    if (res.error) {
      const key = res.error === 'offline' || res.error === 'disconnected' || res.error === 'timeout' ? 'agenda.errOffline' : res.error === 'bad_request' ? 'agenda.errSave' : 'agenda.errFailed';
      this.saveError.textContent = this.i18n.t(key);
      this.saveError.hidden = false;
      return;
    }
    this._closeEditor();
    document.getElementById('agenda-edit')?.focus();
    this.announce(this.i18n.t('agenda.saved'));
  }
}
