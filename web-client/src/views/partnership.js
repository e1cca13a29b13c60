// The partnership page (protocol/series.md): its workshops in order, each
// with its dates and state, and how the statement changed during it: who
// changed it, by organisation, and the change word by word (the same word
// diff as the sign-off's). A facilitator of one of its workshops also gets
// the links to the workshops, the renaming and the series' export. Every
// piece of text goes in as text (dom.js).
import { h } from './dom.js';
import { wordDiff } from '../state/worddiff.js';
import { orgColor } from '../state/colors.js';
import { dateFormat } from '../i18n/index.js';

function formatDay(lang, ms) {
  return dateFormat(lang, { dateStyle: 'long' }).format(new Date(ms));
}

/** The change of one workshop's statement: organisations, then the words. */
function changeSection(i18n, w) {
  const id = `series-change-${w.n}`;
  const heading = h('h3', { id, text: i18n.t(w.n === 1 ? 'series.changeFirst' : 'series.changeNext') });
  const orgs = w.organisations.length ?
    h('ul', { class: 'series-orgs' }, w.organisations.map((o) => {
      const swatch = h('span', { class: 'swatch', 'aria-hidden': 'true' });
      swatch.style.backgroundColor = orgColor(o.org); // from code: the CSP forbids style attributes
      return h('li', null, swatch, h('span', { class: 'series-org-name', text: o.org }), ' ',
        i18n.t('series.orgCounts', { inserted: o.inserted, deleted: o.deleted }));
    })) :
    h('p', { class: 'field-hint', text: i18n.t('series.nobodyEdited') });
  const model = wordDiff(w.start, w.text);
  const body = model.same ? [h('p', { class: 'field-hint', text: i18n.t('series.unchanged') })] : [
    h('p', { class: 'field-hint diff-summary', text: i18n.t('series.diffSummary', { inserted: model.inserted, deleted: model.deleted }) }),
    h('div', { class: 'diff-text series-diff-text', id: `series-diff-${w.n}` }, model.parts.map((p) => {
      if (p.kind === 'gap') return h('span', { class: 'diff-gap', text: i18n.t('signoff.diffGap', { count: p.chars }) });
      if (p.kind === 'same') return document.createTextNode(p.text);
      return h(p.kind, null, h('span', { class: 'visually-hidden', text: i18n.t(p.kind === 'ins' ? 'signoff.diffAddedSr' : 'signoff.diffRemovedSr') }), p.text,
        h('span', { class: 'visually-hidden', text: i18n.t('signoff.diffEndSr') }));
    })),
  ];
  return h('section', { class: 'series-change', 'aria-labelledby': id }, heading, orgs, ...body);
}

function workshopItem(i18n, w) {
  const titleText = `${w.n}. ${w.title}`;
  const title = h('h2', { class: 'series-workshop-title' }, w.id ? h('a', { href: `#/w/${w.id}`, text: titleText }) : titleText);
  const dates = [i18n.t('series.created', { date: formatDay(i18n.lang, w.created) })];
  dates.push(w.state === 'ended' && w.ended_at ? i18n.t('series.ended', { date: formatDay(i18n.lang, w.ended_at) }) : i18n.t('series.open'));
  return h('li', { class: 'series-workshop', data: { n: String(w.n) } }, title,
    h('p', { class: 'series-dates' }, h('span', { class: ['badge', w.state === 'ended' ? 'badge-ended' : 'badge-open'], text: i18n.t(w.state === 'ended' ? 'series.stateEnded' : 'series.stateOpen') }), ' ', dates.join(' · ')),
    changeSection(i18n, w));
}

/**
 * data: GET /api/partnerships/ID's answer; onRename(title) -> Promise<null |
 * error code>; onExport(format) -> Promise<null | error code> (both only for
 * the facilitator's view).
 */
export function renderPartnership({ i18n, data, onRename, onExport }) {
  const fac = data.view === 'facilitator';
  const eyebrow = h('p', { class: 'eyebrow', text: i18n.t('series.eyebrow') });
  const title = h('h1', { id: 'partnership-title', tabindex: '-1', text: data.title });
  const intro = h('p', { class: 'lead', text: i18n.t('series.intro', { count: data.workshops.length }) });
  const status = h('p', { class: 'field-hint', id: 'partnership-status', role: 'status' });
  const tools = [];
  if (fac) {
    const input = h('input', { type: 'text', id: 'partnership-rename-input', value: data.title, maxlength: '200', required: true, autocomplete: 'off' });
    const form = h('form', { class: 'series-rename', id: 'partnership-rename' },
      h('label', { for: 'partnership-rename-input', text: i18n.t('series.renameLabel') }),
      h('div', { class: 'inline-field' }, input, h('button', { type: 'submit', class: 'secondary', text: i18n.t('series.renameSave') })));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const err = await onRename(input.value);
      status.textContent = err ? i18n.t(err === 'bad_request' ? 'series.renameBad' : 'series.failed') : i18n.t('series.renamed');
      if (!err) title.textContent = input.value.trim().replace(/\s+/g, ' ');
    });
    const exports = h('div', { class: 'actions series-exports' }, ['md', 'json'].map((format) => {
      const b = h('button', { type: 'button', class: format === 'md' ? 'primary' : 'secondary', id: `partnership-export-${format}`, text: i18n.t(format === 'md' ? 'series.exportMd' : 'series.exportJson') });
      b.addEventListener('click', async () => {
        status.textContent = i18n.t('series.exportPreparing');
        const err = await onExport(format);
        status.textContent = err ? i18n.t('series.failed') : i18n.t('series.exportDone');
      });
      return b;
    }));
    tools.push(exports, form);
  } else {
    tools.push(h('p', { class: 'field-hint', text: i18n.t('series.publicNote') }));
  }
  const list = h('ol', { class: 'series-list', id: 'series-list' }, data.workshops.map((w) => workshopItem(i18n, w)));
  const el = h('section', { class: 'page partnership' },
    h('header', { class: 'workshop-header' }, h('div', null, eyebrow, title)), intro, ...tools, status, list);
  return { el, focus: () => title.focus() };
}
