// The workshop page: title, links to share, the statement editor, the
// authorship toggle and legend, and the presence list. It reads and drives
// the WorkshopStore only.
import { h } from './dom.js';
import { EditorView } from './editor.js';
import { PresenceView } from './presence.js';
import { PollsView } from './polls.js';
import { copyField } from './forms.js';
import { orgColor, orgKey } from '../state/colors.js';

export class WorkshopView {
  constructor({ store, i18n, announce, links, openShare, replayHref }) {
    this.replayHref = replayHref;
    this.store = store;
    this.i18n = i18n;
    this.announce = announce;
    this.links = links; // {invite, facilitator (or null)}
    this.openShare = openShare;
    this.parts = [];
    this.loading = h('p', { class: 'loading', role: 'status' });
    i18n.bind(this.loading, 'workshop.loading');
    this.el = h('section', { class: 'page workshop' }, this.loading);
    this.offs = [
      store.on('announce', (key, params) => announce(i18n.t(key, params))),
      store.on('welcome', (w) => this._onWelcome(w)),
    ];
    if (store.ready) this._build();
    else this.offs.push(store.on('ready', () => this._build()));
  }

  destroy() {
    for (const off of this.offs) off();
    for (const p of this.parts) p.destroy?.();
  }

  _build() {
    if (this.built) return;
    this.built = true;
    const { store, i18n } = this;

    const eyebrow = h('p', { class: 'eyebrow' });
    i18n.bind(eyebrow, 'workshop.eyebrow');
    this.titleEl = h('h1', { id: 'workshop-title', text: store.title || '' });
    const shareToggle = h('button', { type: 'button', class: 'secondary', id: 'share-toggle', 'aria-controls': 'share-panel' });
    i18n.bind(shareToggle, 'share.toggle');
    // On a tablet the polls sit below the statement: say when one is open
    // and take people there.
    const pollsJump = h('button', { type: 'button', class: 'secondary polls-jump', id: 'polls-jump', hidden: true });
    const replayLink = this.replayHref ? h('a', { class: 'button secondary', id: 'replay-link', href: this.replayHref, target: '_blank', rel: 'noopener' }) : null;
    if (replayLink) i18n.bind(replayLink, 'replay.link');
    const header = h('header', { class: 'workshop-header' }, h('div', null, eyebrow, this.titleEl),
      h('div', { class: 'header-tools' }, pollsJump, replayLink, shareToggle));

    this.share = h('section', { class: 'panel share', id: 'share-panel', 'aria-labelledby': 'share-title' });
    this._renderShare();
    const setShare = (open) => {
      this.share.hidden = !open;
      shareToggle.setAttribute('aria-expanded', String(open));
    };
    setShare(!!this.openShare);
    shareToggle.addEventListener('click', () => {
      const open = this.share.hidden;
      setShare(open);
      if (open) this.share.querySelector('input')?.focus();
    });

    const label = h('label', { for: 'statement', id: 'statement-label', class: 'editor-label' });
    i18n.bind(label, 'editor.label');
    const help = h('p', { id: 'statement-help', class: 'field-hint' });
    i18n.bind(help, 'editor.help');
    this.editor = new EditorView({ store, i18n, id: 'statement', describedBy: 'statement-help' });
    this.parts.push(this.editor);

    const toggle = h('button', { type: 'button', class: 'toggle', id: 'authorship-toggle', 'aria-pressed': 'false', 'aria-controls': 'statement authorship-legend' });
    i18n.bind(toggle, 'editor.colourByOrg');
    this.legend = h('ul', { class: 'legend', id: 'authorship-legend', hidden: true });
    toggle.addEventListener('click', () => {
      const on = toggle.getAttribute('aria-pressed') !== 'true';
      toggle.setAttribute('aria-pressed', String(on));
      this.editor.setShowAuthors(on);
      this.legend.hidden = !on;
      if (on) this._renderLegend();
    });
    this.offs.push(store.on('presence', () => !this.legend.hidden && this._renderLegend()));
    this.offs.push(i18n.on('change', () => !this.legend.hidden && this._renderLegend()));

    const editorSection = h('section', { class: 'panel editor-panel', 'aria-labelledby': 'statement-label' },
      h('div', { class: 'editor-toolbar' }, label, toggle), help, this.editor.el, this.legend);

    this.presence = new PresenceView({ store, i18n });
    this.parts.push(this.presence);
    this.polls = new PollsView({ store, i18n, announce: this.announce });
    this.parts.push(this.polls);
    const updateJump = () => {
      const n = store.polls.openCount;
      pollsJump.hidden = n === 0;
      if (n) i18n.rebind(pollsJump, 'poll.jump', { count: n });
    };
    pollsJump.addEventListener('click', () => this.polls.focusHeading());
    this.polls.el.addEventListener('polls-changed', updateJump);
    updateJump();

    this.el.replaceChildren(header, this.share, h('div', { class: 'workshop-body' }, editorSection, this.polls.el, this.presence.el));
    document.title = `${store.title} · Atelier`;
  }

  _onWelcome(w) {
    if (this.titleEl) this.titleEl.textContent = w.title || '';
    if (w.title) document.title = `${w.title} · Atelier`;
    this._renderShare();
  }

  _renderShare() {
    if (!this.share) return;
    const { i18n, announce } = this;
    const title = h('h2', { id: 'share-title', class: 'panel-title' });
    i18n.bind(title, 'share.title');
    const parts = [title, copyField(i18n, { labelKey: 'share.inviteLabel', hintKey: 'share.inviteHint', value: this.links.invite, announce, idPrefix: 'invite' })];
    const isFacilitator = this.store.role === 'facilitator';
    if (isFacilitator && this.links.facilitator) {
      parts.push(copyField(i18n, { labelKey: 'share.facilitatorLabel', hintKey: 'share.facilitatorHint', value: this.links.facilitator, announce, idPrefix: 'facilitator' }));
    }
    this.share.replaceChildren(...parts);
  }

  _renderLegend() {
    const { i18n } = this;
    const orgs = new Map();
    for (const p of this.store.presence.known.values()) {
      const k = orgKey(p.organisation);
      if (!orgs.has(k)) orgs.set(k, p.organisation);
    }
    const item = (color, text) => {
      const sw = h('span', { class: ['swatch', color ? null : 'swatch-none'], 'aria-hidden': 'true' });
      if (color) sw.style.backgroundColor = color;
      return h('li', null, sw, h('span', { text }));
    };
    const items = [...orgs.values()].sort((a, b) => a.localeCompare(b, i18n.lang)).map((o) => item(orgColor(o), o));
    items.push(item(null, i18n.t('editor.unknownAuthor')));
    const caption = h('li', { class: 'legend-caption', text: i18n.t('editor.legend') });
    this.legend.replaceChildren(caption, ...items);
  }
}
