// The "to discuss" list on the workshop page (protocol/polls.md, "To
// discuss"): the points put there from polls whose organisations diverge,
// each with its question, the passage it is about and how far apart the
// organisations were, live for everyone. The facilitator ticks them off
// and removes them. Hidden while the list is empty. It reads and drives the
// DiscussStore (state/discuss.js) only.
import { h, rebuild } from './dom.js';
import { formatters } from './pollresults.js';

const ALIGNMENT_KEYS = { aligned: 'poll.alignAligned', partly_aligned: 'poll.alignPartly', divergent: 'poll.alignDivergent' };

export class DiscussView {
  constructor({ store, i18n, announce }) {
    this.store = store;
    this.list = store.discuss;
    this.i18n = i18n;
    this.announce = announce;
    const title = h('h2', { class: 'panel-title', id: 'discuss-title' });
    i18n.bind(title, 'poll.discussTitle');
    this.count = h('span', { class: 'count', id: 'discuss-count' });
    this.error = h('p', { class: 'form-error', role: 'alert', hidden: true });
    this.items = h('ul', { class: 'discuss-list', 'aria-labelledby': 'discuss-title' });
    this.el = h('section', { class: 'panel discuss', id: 'discuss', 'aria-labelledby': 'discuss-title', hidden: true },
      h('div', { class: 'panel-head' }, title, this.count), this.error, this.items);
    this.offs = [this.list.on('change', () => this.render()), i18n.on('change', () => this.render()), store.on('welcome', () => this.render())];
    this.render();
  }

  destroy() {
    for (const off of this.offs) off();
  }

  async _act(promise) {
    this.error.hidden = true;
    const res = await promise;
    if (res && res.error) {
      this.error.textContent = this.i18n.t('poll.discussFailed');
      this.error.hidden = false;
    }
  }

  render() {
    const { i18n } = this;
    const items = this.list.items;
    this.el.hidden = items.length === 0;
    const open = items.filter((it) => !it.done).length;
    this.count.textContent = items.length ? i18n.t('poll.discussCount', { count: open }) : '';
    const fac = this.store.role === 'facilitator';
    const f = formatters(i18n.lang);
    rebuild(this.items, items.map((it) => {
      const qId = `discuss-${it.id}-q`;
      const parts = [h('p', { class: 'discuss-question', id: qId, text: it.question })];
      if (it.passage) parts.push(h('blockquote', { class: 'passage-quote', text: it.passage }));
      if (it.alignment && ALIGNMENT_KEYS[it.alignment.label]) {
        parts.push(h('p', { class: 'discuss-meta' },
          h('strong', { class: ['pill', `pill-${it.alignment.label}`], text: i18n.t(ALIGNMENT_KEYS[it.alignment.label]) }), ' ',
          h('span', { text: i18n.t('poll.discussDivergence', { divergence: f.divergence(it.alignment.divergence) }) })));
      }
      if (fac) {
        const box = h('input', { type: 'checkbox', id: `discuss-${it.id}-done`, data: { key: `done-${it.id}` } });
        box.checked = it.done;
        box.setAttribute('aria-describedby', qId);
        box.addEventListener('change', () => this._act(this.list.check(it.id, box.checked)));
        const remove = h('button', { type: 'button', class: 'link-button', data: { key: `remove-${it.id}` }, text: i18n.t('poll.discussRemove') });
        remove.setAttribute('aria-describedby', qId);
        remove.addEventListener('click', () => this._act(this.list.remove(it.id)));
        parts.push(h('div', { class: 'discuss-actions' },
          h('label', { class: 'discuss-done', for: box.id }, box, h('span', { text: i18n.t('poll.discussDone') })), remove));
      } else if (it.done) {
        parts.push(h('p', { class: 'discuss-meta', text: i18n.t('poll.discussDoneNote') }));
      }
      return h('li', { class: ['discuss-item', it.done ? 'is-done' : null], data: { item: String(it.id) } }, parts);
    }), this.el);
  }
}
