// The facilitator's poll form, for a new draft (from a ready-made question or
// from scratch) and for editing a draft. It checks what the server would
// refuse (polls.md, "Kinds") before sending, with errors tied to their
// fields, and keeps what was typed when the server still says no.
import { h, nextId } from './dom.js';
import { checkDefinition, refusalKey, hasChoices } from '../state/polls.js';
import {
  MAX_CHOICES, MIN_CHOICES, MAX_TEXT_ANSWERS, DEFAULT_TEXT_ANSWERS, MAX_QUESTION, DEFAULT_THRESHOLD, MIN_THRESHOLD, MAX_THRESHOLD,
} from '../protocol/messages.js';

const KINDS = [
  ['single', 'poll.kindSingle', 'poll.kindSingleDesc'],
  ['multiple', 'poll.kindMultiple', 'poll.kindMultipleDesc'],
  ['scale', 'poll.kindScale', 'poll.kindScaleDesc'],
  ['text', 'poll.kindText', 'poll.kindTextDesc'],
  ['rank', 'poll.kindRank', 'poll.kindRankDesc'],
];

export class PollForm {
  /**
   * initial {kind, question, choices, max, respondents, threshold,
   * representativesOnly, translations, original} (formOf, readyMadeDefinition); mode 'create' | 'edit';
   * hintKey: a note under the question (the ready-made "statement item" one);
   * onSubmit(def) -> Promise<{ok} | {error}> (save as a draft);
   * onLaunch(def): create, open and show live in one step ("Lancer", new
   * polls only); onCancel().
   */
  constructor({ i18n, initial, mode, hintKey, onSubmit, onLaunch, onCancel }) {
    this.i18n = i18n;
    this.onSubmit = onSubmit;
    this.onLaunch = mode === 'create' ? onLaunch : null;
    this.translations = initial.translations || null;
    this.original = initial.original || null;
    this.busy = false;
    const id = nextId('pf');
    this.id = id;
    const t = (el, key, params, attr) => i18n.bind(el, key, params, attr);

    // Kind
    const legend = t(h('legend', { class: 'field-label' }), 'poll.kindLegend');
    this.kindInputs = KINDS.map(([kind, labelKey, descKey]) => {
      const input = h('input', { type: 'radio', name: `${id}-kind`, value: kind, id: `${id}-kind-${kind}` });
      input.checked = initial.kind === kind;
      input.addEventListener('change', () => this._showKind());
      const desc = t(h('span', { class: 'option-desc', id: `${id}-kind-${kind}-desc` }), descKey);
      input.setAttribute('aria-describedby', desc.id);
      return {
        kind,
        input,
        el: h('label', { class: 'option option-compact', for: input.id }, input,
          h('span', { class: 'option-body' }, t(h('span', { class: 'option-name' }), labelKey), desc)),
      };
    });
    const kindField = h('fieldset', { class: 'field options kind-options' }, legend, this.kindInputs.map((k) => k.el));

    // Question: one line of up to 300 characters, in a textarea so it stays readable.
    this.question = h('textarea', { id: `${id}-question`, name: 'question', rows: '2', class: 'poll-question-input', maxlength: String(MAX_QUESTION * 2), spellcheck: 'true' });
    this.question.value = initial.question || '';
    this.question.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        this.form.requestSubmit();
      }
    });
    this.questionError = h('p', { class: 'field-error', id: `${id}-question-error`, hidden: true });
    const qLabel = t(h('label', { class: 'field-label', for: this.question.id }), 'poll.questionLabel');
    const qHint = hintKey ? t(h('p', { class: 'field-hint', id: `${id}-question-hint` }), hintKey) : null;
    this.qHint = qHint;
    const questionField = h('div', { class: 'field' }, qLabel, this.question, qHint, this.questionError);

    // Choices
    this.choices = (initial.choices && initial.choices.length ? [...initial.choices] : ['', '']);
    while (this.choices.length < MIN_CHOICES) this.choices.push('');
    this.choiceList = h('ol', { class: 'choice-rows' });
    this.choiceErrors = [];
    this.addChoice = t(h('button', { type: 'button', class: 'link-button add-choice', data: { action: 'add-choice' } }), 'poll.addChoice');
    this.addChoice.addEventListener('click', () => {
      this._readChoices();
      if (this.choices.length >= MAX_CHOICES) return;
      this.choices.push('');
      this._renderChoices();
      this.choiceInputs[this.choiceInputs.length - 1].focus();
    });
    this.choicesError = h('p', { class: 'field-error', id: `${id}-choices-error`, hidden: true });
    const choicesLegend = t(h('legend', { class: 'field-label' }), 'poll.choicesLegend');
    this.choicesField = h('fieldset', { class: 'field choices-field' }, choicesLegend, this.choiceList, this.addChoice, this.choicesError);

    // Max picks (multiple) or max answers (text)
    this.max = h('input', { type: 'text', inputmode: 'numeric', id: `${id}-max`, name: 'max', class: 'max-input', autocomplete: 'off' });
    this.max.value = initial.max != null ? String(initial.max) : '';
    this.initialKind = initial.kind;
    this.maxLabel = h('label', { class: 'field-label', for: this.max.id });
    this.maxHint = h('p', { class: 'field-hint', id: `${id}-max-hint` });
    this.maxError = h('p', { class: 'field-error', id: `${id}-max-error`, hidden: true });
    this.maxField = h('div', { class: 'field max-field' }, this.maxLabel, this.max, this.maxHint, this.maxError);

    this.scaleNote = t(h('p', { class: 'field-hint scale-note' }), 'poll.scaleNote');

    // The passage of the statement the poll is about ("poll about this
    // passage" in the editor), quoted, and removable.
    this.passage = initial.passage || null;
    this.passageField = h('div', { class: 'field passage-field', hidden: !this.passage });
    if (this.passage) {
      const remove = t(h('button', { type: 'button', class: 'link-button', data: { action: 'remove-passage' } }), 'poll.passageRemove');
      remove.addEventListener('click', () => {
        this.passage = null;
        this.passageField.hidden = true;
        this.question.focus();
      });
      this.passageField.append(t(h('p', { class: 'field-label' }), 'poll.passageLabel'),
        h('blockquote', { class: 'passage-quote', text: this.passage.text }), remove);
    }

    // Who answers: each person (anonymous; the threshold applies) or each
    // organisation once, openly. Not for text polls.
    const modeLegend = t(h('legend', { class: 'field-label' }), 'poll.modeLegend');
    this.modeInputs = [['people', 'poll.modePeople', 'poll.modePeopleDesc'], ['organisations', 'poll.modeOrg', 'poll.modeOrgDesc']].map(([value, labelKey, descKey]) => {
      const input = h('input', { type: 'radio', name: `${id}-mode`, value, id: `${id}-mode-${value}` });
      input.checked = (initial.respondents === 'organisations') === (value === 'organisations');
      input.addEventListener('change', () => this._showKind());
      const desc = t(h('span', { class: 'option-desc', id: `${id}-mode-${value}-desc` }), descKey);
      input.setAttribute('aria-describedby', desc.id);
      return { value, input, el: h('label', { class: 'option option-compact', for: input.id }, input, h('span', { class: 'option-body' }, t(h('span', { class: 'option-name' }), labelKey), desc)) };
    });
    // Organisations may answer through their representatives only
    // (protocol/polls.md, "Limited to representatives"): offered once
    // "each organisation" is chosen, kept when a draft is edited.
    this.repsOnly = h('input', { type: 'checkbox', name: 'representatives_only', id: `${id}-reps` });
    this.repsOnly.checked = initial.representativesOnly === true;
    const repsDesc = t(h('span', { class: 'option-desc', id: `${id}-reps-desc` }), 'poll.modeRepsDesc');
    this.repsOnly.setAttribute('aria-describedby', repsDesc.id);
    this.repsField = h('label', { class: 'option option-compact reps-option', for: this.repsOnly.id }, this.repsOnly,
      h('span', { class: 'option-body' }, t(h('span', { class: 'option-name' }), 'poll.modeReps'), repsDesc));
    this.modeField = h('fieldset', { class: 'field options mode-options' }, modeLegend, this.modeInputs.map((m) => m.el), this.repsField);
    this.threshold = h('input', { type: 'text', inputmode: 'numeric', id: `${id}-threshold`, name: 'threshold', class: 'max-input', autocomplete: 'off' });
    this.threshold.value = String(initial.threshold ?? DEFAULT_THRESHOLD);
    this.thresholdHint = h('p', { class: 'field-hint', id: `${id}-threshold-hint` });
    const thresholdHint = () => {
      const n = Number(this.threshold.value);
      return { count: Number.isInteger(n) && n >= MIN_THRESHOLD && n <= MAX_THRESHOLD ? n : DEFAULT_THRESHOLD, min: MIN_THRESHOLD, max: MAX_THRESHOLD };
    };
    i18n.bind(this.thresholdHint, 'poll.thresholdHint', thresholdHint);
    this.threshold.addEventListener('input', () => i18n.rebind(this.thresholdHint, 'poll.thresholdHint', thresholdHint));
    this.thresholdError = h('p', { class: 'field-error', id: `${id}-threshold-error`, hidden: true });
    this.thresholdField = h('div', { class: 'field threshold-field' },
      t(h('label', { class: 'field-label', for: this.threshold.id }), 'poll.thresholdLabel'), this.threshold, this.thresholdHint, this.thresholdError);

    this.formError = h('p', { class: 'form-error', role: 'alert', hidden: true });
    this.submit = h('button', { type: 'submit', class: this.onLaunch ? 'secondary' : 'primary', data: { action: 'save' } });
    this.submitKey = mode === 'edit' ? 'poll.saveDraft' : 'poll.createDraft';
    t(this.submit, this.submitKey);
    this.launch = null;
    this.launchBlocked = null; // catalogue key saying why "Lancer" cannot be used now
    this.launchNote = h('p', { class: 'field-hint ended-hint', id: `${id}-launch-note`, hidden: true });
    if (this.onLaunch) {
      this.launch = t(h('button', { type: 'button', class: 'primary', data: { action: 'launch' } }), 'poll.launchNow');
      this.launch.addEventListener('click', () => this._submit({ launch: true }));
    }
    const cancel = t(h('button', { type: 'button', class: 'secondary', data: { action: 'cancel' } }), 'poll.cancel');
    cancel.addEventListener('click', () => onCancel());

    this.form = h('form', { class: 'poll-form', novalidate: true },
      this.passageField, questionField, kindField, this.choicesField, this.maxField, this.scaleNote, this.modeField, this.thresholdField, this.formError,
      this.launchNote, h('div', { class: 'actions' }, this.launch, this.submit, cancel));
    i18n.bind(this.form, mode === 'edit' ? 'poll.editTitle' : 'poll.newTitle', null, 'aria-label');
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      this._submit();
    });
    this.el = this.form;
    this._renderChoices();
    this._showKind();
    this._describe(this.threshold, [this.thresholdHint]);
  }

  /**
   * Keep "Lancer maintenant" from being used, saying why (reasonKey), or
   * (null) allow it again; saving as a draft stays possible either way.
   */
  blockLaunch(reasonKey) {
    if (!this.launch || reasonKey === this.launchBlocked) return;
    this.launchBlocked = reasonKey;
    this.launchNote.hidden = !reasonKey;
    if (reasonKey) {
      this.i18n.rebind(this.launchNote, reasonKey);
      this.launch.setAttribute('aria-disabled', 'true');
      this.launch.setAttribute('aria-describedby', this.launchNote.id);
    } else {
      this.launch.removeAttribute('aria-disabled');
      this.launch.removeAttribute('aria-describedby');
    }
  }

  get kind() {
    return this.kindInputs.find((k) => k.input.checked)?.kind || 'single';
  }

  focus() {
    this.question.focus();
    this.question.setSelectionRange(this.question.value.length, this.question.value.length);
  }

  _showKind() {
    const kind = this.kind;
    const { i18n } = this;
    this.choicesField.hidden = !hasChoices(kind);
    this.maxField.hidden = !(kind === 'multiple' || kind === 'text');
    this.scaleNote.hidden = kind !== 'scale';
    this.modeField.hidden = kind === 'text';
    const byOrgs = kind !== 'text' && this.modeInputs[1].input.checked;
    this.thresholdField.hidden = byOrgs;
    this.repsField.hidden = !byOrgs;
    if (kind === 'multiple') {
      i18n.rebind(this.maxLabel, 'poll.maxPicks');
      i18n.rebind(this.maxHint, 'poll.maxPicksHint');
    } else if (kind === 'text') {
      i18n.rebind(this.maxLabel, 'poll.maxAnswers');
      i18n.rebind(this.maxHint, 'poll.maxAnswersHint', { max: MAX_TEXT_ANSWERS, default: DEFAULT_TEXT_ANSWERS });
    }
    // A limit typed for one kind means something else for the other.
    if (kind !== this.lastKind && this.lastKind !== undefined) {
      this.max.value = kind === 'text' ? String(DEFAULT_TEXT_ANSWERS) : '';
      this._setError(this.max, this.maxError, null);
    } else if (kind === 'text' && this.max.value === '') {
      this.max.value = String(DEFAULT_TEXT_ANSWERS);
    }
    this.lastKind = kind;
    this._describe(this.max, [this.maxHint, this.maxError]);
  }

  _readChoices() {
    this.choices = this.choiceInputs.map((i) => i.value);
  }

  _renderChoices() {
    const { i18n } = this;
    this.choiceInputs = [];
    this.choiceErrorEls = [];
    const rows = this.choices.map((value, i) => {
      const input = h('input', { type: 'text', id: `${this.id}-choice-${i}`, name: `choice-${i}`, class: 'choice-input', autocomplete: 'off', value });
      const label = h('label', { class: 'visually-hidden', for: input.id });
      i18n.bind(label, 'poll.choiceLabel', { n: i + 1 });
      const err = h('p', { class: 'field-error', id: `${input.id}-error`, hidden: true });
      const remove = h('button', { type: 'button', class: 'icon-button', data: { action: 'remove-choice' } }, h('span', { 'aria-hidden': 'true', text: '×' }));
      i18n.bind(remove, 'poll.removeChoice', { n: i + 1 }, 'aria-label');
      remove.disabled = this.choices.length <= MIN_CHOICES;
      remove.addEventListener('click', () => {
        this._readChoices();
        this.choices.splice(i, 1);
        this._renderChoices();
        (this.choiceInputs[Math.min(i, this.choiceInputs.length - 1)] || this.addChoice).focus();
      });
      input.addEventListener('keydown', (e) => {
        // Enter in the last choice adds the next one, as in a list.
        if (e.key === 'Enter' && !e.isComposing) {
          e.preventDefault();
          if (i === this.choices.length - 1 && input.value.trim() && this.choices.length < MAX_CHOICES) this.addChoice.click();
          else if (this.choiceInputs[i + 1]) this.choiceInputs[i + 1].focus();
        }
      });
      this.choiceInputs.push(input);
      this.choiceErrorEls.push(err);
      return h('li', { class: 'choice-row' }, label, h('div', { class: 'choice-line' }, input, remove), err);
    });
    this.choiceList.replaceChildren(...rows);
    this.addChoice.hidden = this.choices.length >= MAX_CHOICES;
  }

  _describe(input, els) {
    const ids = els.filter((e) => e && !e.hidden).map((e) => e.id).join(' ');
    if (ids) input.setAttribute('aria-describedby', ids);
    else input.removeAttribute('aria-describedby');
  }

  _setError(input, el, err) {
    if (err) {
      this.i18n.rebind(el, err.error, err);
      el.hidden = false;
      input.setAttribute('aria-invalid', 'true');
    } else {
      el.hidden = true;
      input.removeAttribute('aria-invalid');
    }
  }

  async _submit({ launch = false } = {}) {
    if (this.busy || (launch && this.launchBlocked)) return;
    this._readChoices();
    const kind = this.kind;
    const result = checkDefinition({
      kind, question: this.question.value, choices: this.choices, max: this.max.value,
      respondents: this.modeInputs[1].input.checked ? 'organisations' : 'people',
      threshold: this.threshold.value, representativesOnly: this.repsOnly.checked,
      translations: this.translations, original: this.original,
    });
    const errs = result.errors || {};
    this._setError(this.question, this.questionError, errs.question);
    this._describe(this.question, [this.qHint, this.questionError]);
    this.choiceInputs.forEach((input, i) => {
      this._setError(input, this.choiceErrorEls[i], errs.choices?.[i]);
      this._describe(input, [this.choiceErrorEls[i]]);
    });
    if (errs.choicesList) {
      this.i18n.rebind(this.choicesError, errs.choicesList.error, errs.choicesList);
      this.choicesError.hidden = false;
    } else {
      this.choicesError.hidden = true;
    }
    this._setError(this.max, this.maxError, errs.max);
    this._describe(this.max, [this.maxHint, this.maxError]);
    this._setError(this.threshold, this.thresholdError, errs.threshold);
    this._describe(this.threshold, [this.thresholdHint, this.thresholdError]);
    this.formError.hidden = true;
    if (result.errors) {
      const first = errs.question ? this.question :
        errs.choices ? this.choiceInputs[errs.choices.findIndex(Boolean)] :
          errs.choicesList ? this.choiceInputs.find((i) => !i.value.trim()) || this.addChoice :
            errs.max ? this.max : this.threshold;
      first?.focus();
      return;
    }
    this.busy = true;
    const button = launch ? this.launch : this.submit;
    const idleKey = launch ? 'poll.launchNow' : this.submitKey;
    button.setAttribute('aria-disabled', 'true');
    this.i18n.rebind(button, launch ? 'poll.launching' : 'poll.saving');
    if (this.passage) result.def.passage = this.passage;
    const res = await (launch ? this.onLaunch(result.def) : this.onSubmit(result.def));
    this.busy = false;
    if (!(launch && this.launchBlocked)) button.removeAttribute('aria-disabled');
    this.i18n.rebind(button, idleKey);
    if (res && res.error) {
      this.i18n.rebind(this.formError, refusalKey(res.error, 'step'));
      this.formError.hidden = false;
    }
  }
}
