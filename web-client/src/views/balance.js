// The contribution balance (facilitators only): for each organisation, in
// its colour and in words, its share of the writing, of ballots and
// answers, and the people present, with a note when one partner does most
// of the writing while others are there. Used live on the workshop page and
// at the moment shown in the replay; it draws what it is given
// (state/balance.js: summarise) and decides nothing about who may see it.
import { h } from './dom.js';
import { orgColor } from '../state/colors.js';
import { summarise } from '../state/balance.js';

export class BalanceView {
  /** idPrefix: ids of this instance's elements; note: a catalogue key said under the list (the replay's). */
  constructor({ i18n, idPrefix = 'balance', note = null }) {
    this.i18n = i18n;
    this.idPrefix = idPrefix;
    this.data = null;
    const title = h('h2', { class: 'panel-title', id: `${idPrefix}-title` });
    i18n.bind(title, 'balance.title');
    const hint = h('p', { class: 'field-hint' });
    i18n.bind(hint, note || 'balance.hint');
    this.dominant = h('p', { class: 'balance-dominant', id: `${idPrefix}-dominant`, role: 'note', hidden: true });
    this.list = h('ul', { class: 'balance-list', id: `${idPrefix}-list` });
    this.extra = h('p', { class: 'field-hint', id: `${idPrefix}-extra`, hidden: true });
    this.el = h('section', { class: 'panel balance', id: idPrefix, 'aria-labelledby': `${idPrefix}-title`, hidden: true },
      title, hint, this.dominant, this.list, this.extra);
    this.offs = [i18n.on('change', () => this.render())];
  }

  destroy() {
    for (const off of this.offs) off();
  }

  /**
   * data: {organisations (as the `balance` message), unattributed
   * ({ballots, answers}, the replay's anonymous votes)}, or null to hide;
   * waitingKey: a catalogue key said instead of figures (the replay, while
   * loading).
   */
  show(data, { waitingKey = null } = {}) {
    this.data = data;
    this.waitingKey = waitingKey;
    this.render();
  }

  render() {
    const { i18n } = this;
    const data = this.data;
    this.el.hidden = !data && !this.waitingKey;
    if (this.el.hidden) return;
    if (!data) {
      this.dominant.hidden = true;
      this.extra.hidden = true;
      this.list.replaceChildren(h('li', { class: 'field-hint', text: i18n.t(this.waitingKey) }));
      return;
    }
    const fmt = new Intl.NumberFormat(i18n.lang);
    const pct = (x) => fmt.format(Math.round(x * 100));
    const { rows, totals, dominant } = summarise(data.organisations);
    const items = rows.map((r) => {
      const color = orgColor(r.org);
      const swatch = h('span', { class: 'swatch', 'aria-hidden': 'true' });
      swatch.style.backgroundColor = color;
      const fill = h('span', { class: 'bar-fill' });
      fill.style.width = `${(r.writingShare * 100).toFixed(1)}%`;
      fill.style.backgroundColor = color;
      const bar = h('span', { class: 'bar balance-bar', role: 'img', 'aria-label': i18n.t('balance.writingBar', { pct: pct(r.writingShare) }) }, fill);
      return h('li', { class: ['balance-org', r.org === dominant ? 'is-dominant' : null], data: { org: r.org } },
        h('h3', { class: 'org-name' }, swatch, h('span', { text: r.org })),
        bar,
        h('p', { class: 'balance-writing', text: i18n.t('balance.writing', { pct: pct(r.writingShare), inserted: fmt.format(r.inserted), deleted: fmt.format(r.deleted) }) }),
        h('p', { class: 'balance-votes', text: i18n.t('balance.votes', { pct: pct(r.votesShare), ballots: fmt.format(r.ballots), answers: fmt.format(r.answers) }) }),
        h('p', { class: 'balance-present', text: i18n.t('balance.present', { count: r.present }) }));
    });
    if (!items.length || (!totals.writing && !totals.votes && !totals.present)) items.unshift(h('li', { class: 'field-hint', text: i18n.t('balance.empty') }));
    this.list.replaceChildren(...items);
    this.dominant.hidden = !dominant;
    if (dominant) {
      const top = rows[0];
      this.dominant.textContent = i18n.t('balance.dominant', { org: dominant, pct: pct(top.writingShare), orgs: rows.filter((r) => r.present > 0).length });
    }
    const un = data.unattributed;
    this.extra.hidden = !un || (!un.ballots && !un.answers);
    if (!this.extra.hidden) this.extra.textContent = i18n.t('balance.unattributed', { ballots: fmt.format(un.ballots), answers: fmt.format(un.answers) });
  }
}
