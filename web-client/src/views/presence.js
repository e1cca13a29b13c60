// Who is here, grouped by organisation (one colour each), with the
// facilitator marked and a "typing" mark for anyone whose edit arrived in the
// last two seconds.
import { h } from './dom.js';

export class PresenceView {
  constructor({ store, i18n }) {
    this.store = store;
    this.i18n = i18n;
    this.timer = null;
    this.heading = h('h2', { id: 'presence-title', class: 'panel-title' });
    this.count = h('span', { class: 'count' });
    this.list = h('ul', { class: 'org-groups' });
    this.stale = h('p', { class: 'field-hint presence-stale', hidden: true });
    i18n.bind(this.stale, 'presence.stale');
    this.el = h('aside', { class: 'panel presence', 'aria-labelledby': 'presence-title' },
      h('div', { class: 'panel-head' }, this.heading, this.count), this.stale, this.list);
    i18n.bind(this.heading, 'presence.title');
    this.offs = [
      // While disconnected the list is only what we last knew: say so.
      store.on('status', ({ status }) => {
        const stale = status !== 'connected';
        this.stale.hidden = !stale;
        this.el.classList.toggle('is-stale', stale);
      }),
      store.on('presence', () => this.render()),
      store.on('welcome', () => this.render()),
      i18n.on('change', () => this.render()),
    ];
    this.render();
  }

  destroy() {
    for (const off of this.offs) off();
    clearTimeout(this.timer);
  }

  render() {
    const { store, i18n } = this;
    const now = Date.now();
    const groups = store.presence.groups(now, i18n.lang);
    const people = store.presence.count;
    this.count.textContent = i18n.t('presence.count', { count: people });
    const items = groups.map((g) => {
      const swatch = h('span', { class: 'swatch', 'aria-hidden': 'true' });
      swatch.style.backgroundColor = g.color;
      const members = g.members.map((m) => {
        const badges = [];
        if (m.role === 'facilitator') badges.push(h('span', { class: 'badge badge-facilitator', text: i18n.t('presence.facilitator') }));
        if (m.self) badges.push(h('span', { class: 'badge badge-self', text: i18n.t('presence.you') }));
        const typing = m.typing ? h('span', { class: 'typing', text: i18n.t('presence.typing') }) : null;
        return h('li', { class: ['person', m.typing ? 'is-typing' : null] },
          h('span', { class: 'person-name', text: m.name }), ...badges, typing);
      });
      return h('li', { class: 'org-group' },
        h('h3', { class: 'org-name' }, swatch, h('span', { text: g.organisation })),
        h('ul', { class: 'people' }, members));
    });
    this.list.replaceChildren(...items);
    // Typing marks expire on their own: redraw when the next one does.
    clearTimeout(this.timer);
    const next = store.presence.nextTypingExpiry(now);
    if (next != null) this.timer = setTimeout(() => this.render(), next - now + 20);
  }
}
