// Join from an invite link: name and organisation, with the organisations
// already in the room offered as one-click choices so that people of one
// organisation end up in one group.
import { h } from './dom.js';
import { field, checkLabel } from './forms.js';
import { orgColor, orgKey, setOrgSlot } from '../state/colors.js';
import { organisationsOf, countApart } from '../state/presence.js';

/**
 * present: GET /api/workshops/ID's `present` ({name, organisation, role});
 * organisations: the ones this browser used before.
 * observer: joining through the observer link (issue 13): the organisation
 * is optional and the page says the person will follow without taking part.
 * Either way, only the organisations of people taking part are offered as
 * the workshop's (an observer's is not one, nor "no organisation"), and
 * observers are counted apart.
 */
export function renderJoin({ i18n, title, ended = false, present, profile, organisations, facilitator, observer = false, replayHref, onJoin }) {
  const nameInput = h('input', { type: 'text', id: 'join-name', name: 'name', autocomplete: 'name', maxlength: 128, value: profile?.name || '' });
  const name = field(i18n, { labelKey: 'form.name', input: nameInput });

  // The server's list, as far as it can be read.
  const people = (Array.isArray(present) ? present : []).filter((p) => p && typeof p === 'object' && typeof (p.organisation ?? '') === 'string');
  for (const p of people) if (p.role !== 'observer') setOrgSlot(p.organisation, p.slot); // the workshop's colours
  // Organisations in the room first, then the ones this browser used before.
  const inRoom = organisationsOf(people);
  const seen = new Map(inRoom.map((o) => [orgKey(o), o]));
  for (const o of organisations) if (orgKey(o) && !seen.has(orgKey(o))) seen.set(orgKey(o), o);

  const orgList = h('datalist', { id: 'join-orgs' }, [...seen.values()].map((o) => h('option', { value: o })));
  const orgInput = h('input', { type: 'text', id: 'join-org', name: 'organisation', autocomplete: 'organization', maxlength: 128, list: 'join-orgs', value: profile?.organisation || '' });
  const org = field(i18n, observer ? { labelKey: 'form.organisation', hintKey: 'observer.organisationHint', optionalKey: 'observer.optional', input: orgInput } :
    { labelKey: 'form.organisation', hintKey: 'form.organisationHint', input: orgInput });

  let chips = null;
  if (inRoom.length && !observer) {
    const chipsTitle = h('p', { class: 'field-hint', id: 'join-orgs-title' });
    i18n.bind(chipsTitle, 'join.orgsPresent');
    const buttons = inRoom.map((o) => {
      const sw = h('span', { class: 'swatch', 'aria-hidden': 'true' });
      sw.style.backgroundColor = orgColor(o);
      const b = h('button', { type: 'button', class: 'chip', 'aria-pressed': 'false' }, sw, h('span', { text: o }));
      b.addEventListener('click', () => {
        orgInput.value = o;
        sync();
        org.setError(null);
        if (!nameInput.value) nameInput.focus();
      });
      return b;
    });
    const sync = () => {
      for (const [i, b] of buttons.entries()) b.setAttribute('aria-pressed', String(orgKey(orgInput.value) === orgKey(inRoom[i])));
    };
    orgInput.addEventListener('input', sync);
    sync();
    chips = h('div', { class: 'chips', role: 'group', 'aria-labelledby': 'join-orgs-title' }, chipsTitle, ...buttons);
  }

  const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const submit = h('button', { type: 'submit', class: 'primary', id: 'join-submit' });
  i18n.bind(submit, observer ? 'observer.joinSubmit' : 'join.submit');

  const form = h('form', { class: 'card form', novalidate: true, 'aria-labelledby': 'join-heading' },
    h('div', { class: 'field-row' }, name.el, org.el), chips, error, h('div', { class: 'actions' }, submit));

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const n = checkLabel(nameInput.value);
    // An observer may say no organisation.
    const o = observer && !orgInput.value.trim() ? { value: '' } : checkLabel(orgInput.value);
    name.setError(n.error, { max: n.max });
    org.setError(o.error, { max: o.max });
    if (n.error) { nameInput.focus(); return; }
    if (o.error) { orgInput.focus(); return; }
    // Reuse the spelling already in the room ("banque" joins "Banque").
    const match = inRoom.find((x) => orgKey(x) === orgKey(o.value));
    onJoin({ name: n.value, organisation: match || o.value });
  });

  const eyebrow = h('p', { class: 'eyebrow' });
  i18n.bind(eyebrow, facilitator ? 'join.asFacilitator' : observer ? 'observer.joinEyebrow' : 'join.invited');
  const heading = h('h1', { id: 'join-heading', text: title });
  const lead = h('p', { class: 'lead' });
  i18n.bind(lead, observer ? 'observer.joinLead' : 'join.lead');
  const count = h('p', { class: 'present-count', id: 'join-present' });
  const here = countApart(people);
  i18n.bind(count, here.observers ? 'join.presentObservers' : 'join.present', () => ({
    count: here.people, people: i18n.t('join.presentTaking', { count: here.people }), observers: i18n.t('join.observing', { count: here.observers }),
  }));

  let replay = null;
  if (replayHref) {
    const link = h('a', { href: replayHref, id: 'join-replay-link' });
    i18n.bind(link, 'replay.joinLink');
    replay = h('p', { class: 'join-replay' }, link);
  }
  // Ended: people may still come in and read the final statement.
  const endedNote = ended ? i18n.bind(h('p', { class: 'notice ended-note', id: 'join-ended' }), 'join.ended') : null;
  const el = h('section', { class: 'page join' }, h('div', { class: 'intro' }, eyebrow, heading, lead, count), endedNote, form, replay, orgList);
  return { el, focus: () => (nameInput.value ? orgInput : nameInput).focus() };
}

/** A message page (not found, server unreachable...) with one or two actions. */
export function renderMessage({ i18n, titleKey, bodyKey, params, actions = [] }) {
  const heading = h('h1', { id: 'msg-heading', tabindex: '-1' });
  i18n.bind(heading, titleKey, params);
  const body = h('p', { class: 'lead' });
  i18n.bind(body, bodyKey, params);
  const buttons = actions.map((a) => {
    const el = a.href ? h('a', { class: a.primary ? 'button primary' : 'button secondary', href: a.href }) :
      h('button', { type: 'button', class: a.primary ? 'primary' : 'secondary', on: { click: a.onClick } });
    i18n.bind(el, a.labelKey);
    return el;
  });
  const el = h('section', { class: 'page message card', 'aria-labelledby': 'msg-heading' }, heading, body, h('div', { class: 'actions' }, buttons));
  return { el, focus: () => heading.focus() };
}
