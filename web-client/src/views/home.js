// Home: start a workshop in one minute. A title, a starting template for the
// statement (the method's "Quoi ? / Pourquoi ? / Comment ?" or blank), and
// who you are; then the facilitator lands in the workshop.
import { h } from './dom.js';
import { field, checkLabel, checkTitle } from './forms.js';

export function renderHome({ i18n, profile, organisations, recent, onCreate }) {
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

  const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const submit = h('button', { type: 'submit', class: 'primary', id: 'home-create' });
  i18n.bind(submit, 'home.create');

  const identityTitle = h('h2', { class: 'form-section-title' });
  i18n.bind(identityTitle, 'home.identity');

  const form = h('form', { class: 'card form', novalidate: true, 'aria-labelledby': 'home-heading' },
    title.el, fieldset, identityTitle, h('div', { class: 'field-row' }, name.el, org.el), error, h('div', { class: 'actions' }, submit));

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const t = checkTitle(titleInput.value);
    const n = checkLabel(nameInput.value);
    const o = checkLabel(orgInput.value);
    title.setError(t.error, { max: t.max });
    name.setError(n.error, { max: n.max });
    org.setError(o.error, { max: o.max });
    const firstBad = [[t, titleInput], [n, nameInput], [o, orgInput]].find(([r]) => r.error);
    if (firstBad) {
      firstBad[1].focus();
      return;
    }
    const template = form.querySelector('input[name="template"]:checked')?.value || 'blank';
    error.hidden = true;
    submit.disabled = true;
    i18n.rebind(submit, 'home.creating');
    const failure = await onCreate({ title: t.value, template, name: n.value, organisation: o.value });
    if (failure) {
      i18n.rebind(error, `error.${failure}`);
      error.hidden = false;
      submit.disabled = false;
      i18n.rebind(submit, 'home.create');
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

  const el = h('section', { class: 'page home' },
    h('div', { class: 'intro' }, heading, lead), form, orgList, recentSection);
  return { el, focus: () => titleInput.focus() };
}
