// Results of one poll as bar charts that say their numbers in text: every bar
// is decoration (aria-hidden) next to the count and percentage it draws, and
// organisation colours only repeat the organisation names written beside
// them. Organisations appear only as the server breaks them out (its
// anonymity threshold); nothing here knows or guesses who voted what.
import { h } from './dom.js';
import { orgColor, UNKNOWN_COLOR } from '../state/colors.js';
import { resultsModel, byOrganisations, representativesOnly, thresholdOf } from '../state/polls.js';

const ALIGNMENT_KEYS = {
  aligned: 'poll.alignAligned',
  partly_aligned: 'poll.alignPartly',
  divergent: 'poll.alignDivergent',
};
const SCALE_KEYS = ['poll.scale1', 'poll.scale2', 'poll.scale3', 'poll.scale4', 'poll.scale5'];
export const scaleLabel = (i18n, value) => i18n.t('poll.scaleValue', { value, label: i18n.t(SCALE_KEYS[value - 1]) });

export function formatters(lang) {
  const pct = new Intl.NumberFormat(lang, { style: 'percent', maximumFractionDigits: 0 });
  const dec = new Intl.NumberFormat(lang, { maximumFractionDigits: 1, minimumFractionDigits: 1 });
  const dec2 = new Intl.NumberFormat(lang, { maximumFractionDigits: 2, minimumFractionDigits: 2 });
  return { pct: (x) => pct.format(x), mean: (x) => dec.format(x), divergence: (x) => dec2.format(x) };
}

function bar(share, color, small) {
  const fill = h('span', { class: 'bar-fill' });
  fill.style.width = `${Math.max(0, Math.min(1, share)) * 100}%`;
  if (color) fill.style.backgroundColor = color;
  return h('span', { class: ['bar', small ? 'bar-small' : null], 'aria-hidden': 'true' }, fill);
}

function groupName(i18n, g) {
  return g.other ? i18n.t('poll.otherOrgs') : g.name;
}

function groupSwatch(g) {
  const sw = h('span', { class: 'swatch', 'aria-hidden': 'true' });
  sw.style.backgroundColor = g.other ? UNKNOWN_COLOR : orgColor(g.name);
  return sw;
}

const groupColor = (g) => (g.other ? UNKNOWN_COLOR : orgColor(g.name));

/**
 * Who answers and from how many respondents an organisation is shown on
 * its own, in words: the short form in results, the long one (with why)
 * for the facilitator before opening.
 */
export function thresholdSentence(i18n, poll, results, { long = false } = {}) {
  if (representativesOnly(poll)) return i18n.t(long ? 'poll.modeRepsLong' : 'poll.modeRepsShortNote');
  if (byOrganisations(poll)) return i18n.t(long ? 'poll.modeOrgLong' : 'poll.modeOrgShortNote');
  const n = thresholdOf(poll, results);
  return i18n.t(long ? 'poll.thresholdLong' : 'poll.thresholdNote', { count: n });
}

function orgChip(g, text) {
  return h('li', { class: 'org-chip' }, groupSwatch(g), h('span', { class: 'org-chip-name', text }));
}

/**
 * The changing part of the results: totals, breakdown, alignment line.
 * `help` is the (persistent) explanation of the alignment, placed after.
 */
export function renderResults({ i18n, poll, results, facilitator, idPrefix, inlineAnswers = false }) {
  const model = resultsModel(poll, results, i18n.lang);
  if (!model) return null;
  const f = formatters(i18n.lang);
  const parts = [];

  const head = h('div', { class: 'results-head' },
    h('h4', { class: 'results-title', id: `${idPrefix}-results`, text: i18n.t('poll.results') }),
    h('span', { class: 'results-count', text: i18n.t(poll.kind === 'text' ? 'poll.respondentsText' : model.mode === 'organisations' ? 'poll.respondentsOrgs' : 'poll.respondents', { count: model.respondents }) }));
  if (facilitator) {
    const key = { hidden: 'poll.seenByFacilitators', live: 'poll.seenLive', revealed: 'poll.seenRevealed' }[poll.results];
    head.append(h('span', { class: ['tag', `tag-${poll.results}`], text: i18n.t(key) }));
  }
  parts.push(head);

  const groups = model.groups;
  if (model.kind === 'text') {
    if (!inlineAnswers) parts.push(renderTextResults(i18n, model));
  } else if (model.kind === 'rank') {
    parts.push(renderRankResults(i18n, model, idPrefix, f));
  } else if (model.mode === 'organisations') {
    // Every organisation by name under the choice it gave (organisation
    // answers are open), then who set each one.
    const list = h('ul', { class: 'bars', 'aria-labelledby': `${idPrefix}-results` });
    for (const row of model.rows) {
      const label = row.value ? scaleLabel(i18n, row.value) : row.label;
      const num = i18n.t('poll.countShareOrgs', { count: row.count, share: f.pct(row.share) });
      const li = h('li', { class: 'bar-row', data: { count: String(row.count) } },
        h('div', { class: 'bar-label' }, h('span', { class: 'bar-choice', text: label }), h('span', { class: 'bar-num', text: num })),
        bar(row.share, null, false));
      const chose = groups.filter((g, gi) => row.groups[gi].count > 0);
      if (chose.length) li.append(h('ul', { class: 'org-chips org-chose' }, chose.map((g) => orgChip(g, g.name))));
      list.append(li);
    }
    parts.push(list);
    if (groups.length) {
      parts.push(h('ul', { class: 'set-by-list', 'aria-label': i18n.t('poll.setByListLabel') }, groups.map((g) =>
        h('li', null, groupSwatch(g), h('span', { text: i18n.t(g.by ? 'poll.orgSetBy' : 'poll.orgAnswered', { organisation: g.name, name: g.by || '' }) })))));
    }
  } else {
    const list = h('ul', { class: 'bars', 'aria-labelledby': `${idPrefix}-results` });
    for (const row of model.rows) {
      const label = row.value ? scaleLabel(i18n, row.value) : row.label;
      const num = i18n.t('poll.countShare', { count: row.count, share: f.pct(row.share) });
      const li = h('li', { class: 'bar-row', data: { count: String(row.count) } },
        h('div', { class: 'bar-label' }, h('span', { class: 'bar-choice', text: label }), h('span', { class: 'bar-num', text: num })),
        bar(row.share, null, false));
      if (groups.length) {
        li.append(h('ul', { class: 'org-bars' }, groups.map((g, gi) => {
          const c = row.groups[gi];
          return h('li', { class: 'org-bar' },
            groupSwatch(g),
            h('span', { class: 'org-bar-name', text: groupName(i18n, g) }),
            bar(c.share, groupColor(g), true),
            h('span', { class: 'org-bar-num', text: i18n.t('poll.countShare', { count: c.count, share: f.pct(c.share) }) }));
        })));
      }
      list.append(li);
    }
    parts.push(list);
    if (model.kind === 'multiple' && model.respondents > 0) parts.push(h('p', { class: 'results-note', text: i18n.t('poll.multipleNote') }));
    if (model.kind === 'scale' && model.mean != null) {
      const means = [h('li', null, h('strong', { text: i18n.t('poll.meanAll', { mean: f.mean(model.mean) }) }))];
      for (const g of groups) {
        if (g.mean == null) continue;
        means.push(h('li', { class: 'mean-org' }, groupSwatch(g), h('span', { text: i18n.t('poll.meanOrg', { name: groupName(i18n, g), mean: f.mean(g.mean) }) })));
      }
      parts.push(h('ul', { class: 'means' }, means));
    }
  }

  if (model.mode === 'organisations') {
    parts.push(h('p', { class: 'results-note threshold-note', text: thresholdSentence(i18n, poll, results) }));
  } else {
    const note = [thresholdSentence(i18n, poll, results)];
    if (model.respondents > 0) {
      if (groups.length) {
        if (model.unplaced > 0) note.push(i18n.t('poll.unplaced', { count: model.unplaced }));
      } else {
        note.push(i18n.t('poll.noGroups', { count: model.threshold }));
      }
    }
    parts.push(h('p', { class: 'results-note threshold-note', text: note.join(' ') }));
  }

  if (model.kind !== 'text') {
    const a = model.alignment;
    const line = h('p', { class: 'alignment' }, h('span', { class: 'alignment-caption', text: i18n.t('poll.alignment') }));
    if (a) {
      line.append(
        h('strong', { class: ['pill', `pill-${a.label}`], text: i18n.t(ALIGNMENT_KEYS[a.label]) }),
        h('span', { class: 'alignment-detail', text: i18n.t('poll.alignmentDetail', { divergence: f.divergence(a.divergence), count: a.organisations }) }));
    } else {
      line.append(h('span', { class: 'pill pill-none', text: i18n.t(model.mode === 'organisations' ? 'poll.alignNoneOrgs' : 'poll.alignNone') }));
    }
    parts.push(line);
  }
  return h('div', { class: 'results-body' }, parts);
}

/**
 * A rank poll: the choices by Borda points, most first, each with its
 * points and mean rank in words beside a bar (its share of the most points
 * a choice can get), and below it the same per organisation in its colour
 * (polls.md, "Ranking polls").
 */
function renderRankResults(i18n, model, idPrefix, f) {
  const groups = model.groups;
  const mean = (x) => (x == null ? '–' : f.mean(x));
  const list = h('ol', { class: 'bars rank-results', 'aria-labelledby': `${idPrefix}-results` });
  for (const row of model.rows) {
    const num = i18n.t('poll.rankPoints', { count: row.borda, mean: mean(row.meanRank) });
    const li = h('li', { class: 'bar-row', data: { borda: String(row.borda), choice: String(row.index) } },
      h('div', { class: 'bar-label' }, h('span', { class: 'bar-choice', text: row.label }), h('span', { class: 'bar-num', text: num })),
      bar(row.share, null, false));
    if (groups.length) {
      li.append(h('ul', { class: 'org-bars' }, groups.map((g, gi) => {
        const c = row.groups[gi];
        return h('li', { class: 'org-bar' },
          groupSwatch(g),
          h('span', { class: 'org-bar-name', text: groupName(i18n, g) }),
          bar(c.share, groupColor(g), true),
          h('span', { class: 'org-bar-num', text: i18n.t('poll.rankPoints', { count: c.borda, mean: mean(c.meanRank) }) }));
      })));
    }
    list.append(li);
  }
  const note = h('p', { class: 'results-note', text: i18n.t('poll.rankNote') });
  return h('div', { class: 'rank-results-wrap' }, list, note);
}

function renderTextResults(i18n, model) {
  if (!model.answers.length) return h('p', { class: 'results-note', text: i18n.t('poll.noAnswersYet') });
  const groups = model.groups;
  return h('ol', { class: 'bars ranked' }, model.answers.map((a) => {
    const li = h('li', { class: 'bar-row', data: { upvotes: String(a.upvotes) } },
      h('div', { class: 'bar-label' },
        h('span', { class: 'bar-choice', text: a.text }),
        h('span', { class: 'bar-num', text: i18n.t('poll.upvotes', { count: a.upvotes }) })),
      bar(a.scale, null, false));
    const given = groups.map((g, gi) => [g, a.groups[gi].upvotes]).filter(([, n]) => n > 0);
    if (given.length) {
      li.append(h('ul', { class: 'org-chips' }, given.map(([g, n]) =>
        h('li', null, groupSwatch(g), h('span', { text: i18n.t('poll.orgUpvotes', { name: groupName(i18n, g), count: n }) })))));
    }
    return li;
  }));
}

/** The explanation of the alignment indicator (kept across redraws so it stays open). */
export function alignmentHelp(i18n) {
  const summary = h('summary');
  i18n.bind(summary, 'poll.alignmentHelpTitle');
  const p1 = h('p');
  i18n.bind(p1, 'poll.alignmentHelp1');
  const p2 = h('p');
  i18n.bind(p2, 'poll.alignmentHelp2');
  const p3 = h('p');
  i18n.bind(p3, 'poll.alignmentHelp3');
  return h('details', { class: 'alignment-help' }, summary, p1, p2, p3);
}
