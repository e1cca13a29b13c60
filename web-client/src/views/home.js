// Home: start a workshop in one minute. A title, a starting template for the
// statement (the method's "Quoi ? / Pourquoi ? / Comment ?" or blank), and
// who you are; then the facilitator lands in the workshop.
import { h } from './dom.js';
import { field, checkLabel, checkTitle } from './forms.js';
import { codeDigits } from '../state/joincode.js';

/**
 * Join with the 6-digit code shown on the facilitator's screen: the first
 * thing on the page, for people who typed the address from a shared screen
 * or a phone.
 */
function codeForm(i18n, { code, onCode }) {
  const input = h('input', { type: 'text', id: 'join-code', name: 'code', inputmode: 'numeric', autocomplete: 'off', maxlength: 12, value: code || '', class: 'code-input' });
  const f = field(i18n, { labelKey: 'home.codeLabel', hintKey: 'home.codeHint', input });
  const submit = h('button', { type: 'submit', class: 'primary', id: 'join-code-submit' });
  i18n.bind(submit, 'home.codeSubmit');
  const title = h('h2', { class: 'form-section-title', id: 'join-code-title' });
  i18n.bind(title, 'home.codeTitle');
  const form = h('form', { class: 'card form code-form', novalidate: true, 'aria-labelledby': 'join-code-title' }, title,
    h('div', { class: 'code-row' }, f.el, submit));
  let busy = false;
  const go = async () => {
    if (busy) return;
    const digits = codeDigits(input.value);
    if (!/^\d{6}$/.test(digits)) {
      f.setError(digits ? 'home.codeInvalid' : 'form.required');
      input.focus();
      return;
    }
    f.setError(null);
    busy = true;
    i18n.rebind(submit, 'home.codeChecking');
    const res = await onCode(digits);
    busy = false;
    i18n.rebind(submit, 'home.codeSubmit');
    if (!res) return; // on the way to the workshop
    const key = { not_found: 'home.codeNotFound', rate_limited: res.retryAfter ? 'home.codeRateLimited' : 'home.codeRateLimitedSoon', network: 'error.network' }[res.error] || 'error.unavailable';
    f.setError(key, { count: res.retryAfter || 0 });
    input.focus();
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    go();
  });
  return { el: form, input, go };
}

/**
 * The server's creation token (README, "Who may create workshops"): shown
 * once the server has asked for one (or a token is known for this session).
 */
function tokenField(i18n, token) {
  const input = h('input', { type: 'password', id: 'home-token', name: 'token', autocomplete: 'off', spellcheck: 'false', maxlength: 128, value: token || '' });
  const f = field(i18n, { labelKey: 'home.tokenLabel', hintKey: 'home.tokenHint', input });
  f.el.hidden = !token;
  return { ...f, get shown() { return !f.el.hidden; }, show() { f.el.hidden = false; } };
}

/** What a refused creation says: {token} (the token field's error) or the form's error {key, params}. */
function createFailure(failure) {
  if (failure.token) return { tokenKey: failure.token === 'wrong' ? 'home.tokenWrong' : 'home.tokenNeeded' };
  if ('rateLimited' in failure) {
    const minutes = failure.rateLimited ? Math.ceil(failure.rateLimited / 60) : 0;
    return minutes ? { key: 'home.createRateLimited', params: { count: minutes } } : { key: 'home.createRateLimitedSoon' };
  }
  return { key: `error.${failure}` };
}

export function renderHome({ i18n, profile, organisations, recent, code, createToken, onCode, onCreate }) {
  const titleInput = h('input', { type: 'text', id: 'home-title', name: 'title', autocomplete: 'off', maxlength: 400 });
  i18n.bind(titleInput, 'home.titlePlaceholder', null, 'placeholder');
  const title = field(i18n, { labelKey: 'home.titleLabel', input: titleInput });

  const nameInput = h('input', { type: 'text', id: 'home-name', name: 'name', autocomplete: 'name', maxlength: 128, value: profile?.name || '' });
  const name = field(i18n, { labelKey: 'form.name', input: nameInput });
  const orgList = h('datalist', { id: 'home-orgs' }, organisations.map((o) => h('option', { value: o })));
  const orgInput = h('input', { type: 'text', id: 'home-org', name: 'organisation', autocomplete: 'organization', maxlength: 128, list: 'home-orgs', value: profile?.organisation || '' });
  const org = field(i18n, { labelKey: 'form.organisation', hintKey: 'form.organisationHint', input: orgInput });

  const templates = [
    { value: 'method', labelKey: 'home.templateMethod', descKey: 'home.templateMethodDesc', preview: true },
    { value: 'blank', labelKey: 'home.templateBlank', descKey: 'home.templateBlankDesc' },
  ];
  const legend = h('legend', { class: 'field-label' });
  i18n.bind(legend, 'home.templateLegend');
  const options = templates.map((tpl, i) => {
    const radio = h('input', { type: 'radio', name: 'template', value: tpl.value, id: `tpl-${tpl.value}`, checked: i === 0 });
    const name2 = h('span', { class: 'option-name' });
    i18n.bind(name2, tpl.labelKey);
    const desc = h('span', { class: 'option-desc' });
    i18n.bind(desc, tpl.descKey);
    const preview = tpl.preview ? h('span', { class: 'option-preview', 'aria-hidden': 'true' }) : null;
    if (preview) i18n.bind(preview, 'template.method');
    return h('label', { class: 'option', for: radio.id }, radio, h('span', { class: 'option-body' }, name2, desc, preview));
  });
  const fieldset = h('fieldset', { class: 'field options' }, legend, ...options);

  // The workshop's time zone (its exports' times): the browser's, unless changed.
  const browserZone = (() => { try { return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'; } catch { return 'UTC'; } })();
  let zones = [];
  try { zones = Intl.supportedValuesOf ? Intl.supportedValuesOf('timeZone') : []; } catch { zones = []; }
  const zoneList = h('datalist', { id: 'home-zones' }, zones.map((z) => h('option', { value: z })));
  const zoneInput = h('input', { type: 'text', id: 'home-zone', name: 'time_zone', autocomplete: 'off', spellcheck: 'false', list: 'home-zones', value: browserZone, maxlength: 64 });
  const zone = field(i18n, { labelKey: 'home.zoneLabel', hintKey: 'home.zoneHint', input: zoneInput });

  const token = tokenField(i18n, createToken);
  const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const submit = h('button', { type: 'submit', class: 'primary', id: 'home-create' });
  i18n.bind(submit, 'home.create');

  const identityTitle = h('h2', { class: 'form-section-title' });
  i18n.bind(identityTitle, 'home.identity');

  const form = h('form', { class: 'card form', novalidate: true, 'aria-labelledby': 'home-heading' },
    title.el, fieldset, identityTitle, h('div', { class: 'field-row' }, name.el, org.el), zone.el, zoneList, token.el, error, h('div', { class: 'actions' }, submit));

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const t = checkTitle(titleInput.value);
    const n = checkLabel(nameInput.value);
    const o = checkLabel(orgInput.value);
    title.setError(t.error, { max: t.max });
    name.setError(n.error, { max: n.max });
    org.setError(o.error, { max: o.max });
    const tz = zoneInput.value.trim() || 'UTC';
    const z = zones.length && !zones.includes(tz) && tz !== 'UTC' && tz !== browserZone ? { error: 'home.zoneUnknown' } : { value: tz };
    zone.setError(z.error);
    const k = token.shown && !token.input.value.trim() ? { error: 'form.required' } : { value: token.input.value.trim() };
    token.setError(token.shown ? k.error : null);
    const firstBad = [[t, titleInput], [n, nameInput], [o, orgInput], [z, zoneInput], [k, token.input]].find(([r]) => r.error);
    if (firstBad) {
      firstBad[1].focus();
      return;
    }
    const template = form.querySelector('input[name="template"]:checked')?.value || 'blank';
    error.hidden = true;
    submit.disabled = true;
    i18n.rebind(submit, 'home.creating');
    const failure = await onCreate({ title: t.value, template, name: n.value, organisation: o.value, timeZone: z.value, token: token.shown ? k.value : undefined });
    if (failure) {
      const said = createFailure(failure);
      submit.disabled = false;
      i18n.rebind(submit, 'home.create');
      if (said.tokenKey) {
        token.show();
        token.setError(said.tokenKey);
        token.input.focus();
        return;
      }
      i18n.rebind(error, said.key, said.params);
      error.hidden = false;
    }
  });

  const heading = h('h1', { id: 'home-heading' });
  i18n.bind(heading, 'home.heading');
  const lead = h('p', { class: 'lead' });
  i18n.bind(lead, 'home.lead');

  let recentSection = null;
  if (recent.length) {
    const rt = h('h2', { class: 'form-section-title' });
    i18n.bind(rt, 'home.recent');
    recentSection = h('section', { class: 'recent', 'aria-label': i18n.t('home.recent') }, rt,
      h('ul', { class: 'recent-list' }, recent.map((r) => {
        const role = r.role === 'facilitator' ? h('span', { class: 'badge badge-facilitator' }) : null;
        if (role) i18n.bind(role, 'presence.facilitator');
        return h('li', null, h('a', { href: `#/w/${encodeURIComponent(r.id)}`, text: r.title || r.id }), role);
      })));
  }

  const join = onCode ? codeForm(i18n, { code, onCode }) : null;
  const el = h('section', { class: 'page home' },
    join?.el, h('div', { class: 'intro' }, heading, lead), form, orgList, recentSection);
  // #/join/482913 (typed or scanned): look it up at once.
  if (join && code) setTimeout(() => join.go(), 0);
  return { el, focus: () => (code !== undefined && join ? join.input : titleInput).focus() };
}
