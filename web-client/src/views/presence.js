// Who is here, grouped by organisation (one colour each), with each
// person's role (facilitator, representative) and a "typing" mark for
// anyone whose edit arrived in the last two seconds; observers counted and
// listed apart (protocol/agreement.md).
//
// Roles in one step each: a facilitator makes a participant their
// organisation's representative (or a participant again) from the list,
// and answers requests ("asks to represent") at the top of the panel; a
// participant asks to represent their organisation from their own line.
// The list redraws on every typing mark, so it is rebuilt with rebuild()
// (the focus stays on "the same" button, by data-key).
//
// In a big workshop (more people than the server lists: protocol/README.md,
// "Presence in a big workshop") the panel shows the counts by organisation
// with their colours, the people the server named (facilitators,
// representatives, writers, some of one's own organisation), "et 9 850
// autres", and a search by the first letters of a name (presence_page),
// asked again at each presence message while it is shown.
import { h, rebuild } from './dom.js';
import { designatable } from '../state/roles.js';
import { orgColor } from '../state/colors.js';
import { formatInteger } from '../i18n/typography.js';

const SEARCH_DELAY_MS = 250; // typing pauses this long before the server is asked
const SEARCH_LIMIT = 20; // people shown for a search

/**
 * "4 personnes · 1 observateur·rice": people taking part, observers counted
 * apart (protocol/agreement.md), on the live page and in the replay.
 */
export function presenceCount(i18n, people, observers) {
  const taking = i18n.t('presence.count', { count: people });
  return observers ? i18n.t('observer.presenceCount', { people: taking, observers: i18n.t('observer.count', { count: observers }) }) : taking;
}

/**
 * The observers, listed apart: [{name, organisation, self}] sorted by the
 * caller; `id` names the list's heading. Nothing when there are none.
 */
export function observerList(i18n, list, id) {
  if (!list.length) return [];
  const title = h('h3', { class: 'org-name observers-title', id, text: i18n.t('observer.count', { count: list.length }) });
  return [title, h('ul', { class: 'people', 'aria-labelledby': id }, list.map((p) => h('li', { class: 'person' },
    h('span', { class: 'person-name', text: p.name }),
    p.organisation ? h('span', { class: 'person-org', text: ` (${p.organisation})` }) : null,
    p.self ? h('span', { class: 'badge badge-self', text: i18n.t('presence.you') }) : null)))];
}

export class PresenceView {
  constructor({ store, i18n }) {
    this.store = store;
    this.i18n = i18n;
    this.timer = null;
    this.busy = new Set(); // participant ids with a role request on its way
    this.error = null; // catalogue key of the last failed role request
    this.heading = h('h2', { id: 'presence-title', class: 'panel-title', tabindex: '-1' });
    this.count = h('span', { class: 'count', id: 'presence-count' });
    this.asking = h('div', { class: 'role-requests', id: 'role-requests' });
    this.list = h('ul', { class: 'org-groups' });
    this.observers = h('div', { class: 'observers', id: 'observers' });
    this.errorEl = h('p', { class: 'form-error', role: 'alert', hidden: true });
    this.stale = h('p', { class: 'field-hint presence-stale', hidden: true });
    i18n.bind(this.stale, 'presence.stale');
    this._buildCrowd();
    this.el = h('aside', { class: 'panel presence', 'aria-labelledby': 'presence-title' },
      h('div', { class: 'panel-head' }, this.heading, this.count), this.stale, this.errorEl, this.asking, this.crowdEl,
      this.list, this.more, this.observers);
    i18n.bind(this.heading, 'presence.title');
    this.offs = [
      // While disconnected the list is only what we last knew: say so.
      store.on('status', ({ status }) => {
        const stale = status !== 'connected';
        this.stale.hidden = !stale;
        this.el.classList.toggle('is-stale', stale);
      }),
      store.on('presence', () => {
        this.render();
        if (this.query) this._search(); // who matches may have come or gone
      }),
      store.on('welcome', () => this.render()),
      i18n.on('change', () => this.render()),
    ];
    this.render();
  }

  destroy() {
    for (const off of this.offs) off();
    clearTimeout(this.timer);
    clearTimeout(this.searchTimer);
  }

  /** A big workshop's part of the panel: counts by organisation, the search, "and N more". */
  _buildCrowd() {
    const { i18n } = this;
    this.query = '';
    this.found = null; // {people, more} or {error: true} of the last search answered
    this.searchSeq = 0;
    this.searchTimer = null;
    const orgsTitle = i18n.bind(h('h3', { class: 'crowd-title', id: 'crowd-orgs-title' }), 'presence.byOrg');
    this.orgs = h('ul', { class: 'crowd-orgs', 'aria-labelledby': 'crowd-orgs-title' });
    this.searchInput = h('input', {
      type: 'search', id: 'presence-search', class: 'presence-search-input', autocomplete: 'off',
      spellcheck: 'false', maxlength: '64', 'aria-describedby': 'presence-search-hint',
    });
    this.searchInput.addEventListener('input', () => {
      clearTimeout(this.searchTimer);
      this.searchTimer = setTimeout(() => this._search(), SEARCH_DELAY_MS);
    });
    const label = i18n.bind(h('label', { for: 'presence-search', class: 'field-label' }), 'presence.search');
    const hint = i18n.bind(h('p', { id: 'presence-search-hint', class: 'field-hint' }), 'presence.searchHint');
    this.results = h('div', { class: 'presence-results', 'aria-live': 'polite' });
    this.crowdEl = h('div', { class: 'crowd', hidden: true }, orgsTitle, this.orgs,
      h('div', { class: 'presence-search', role: 'search' }, label, this.searchInput, hint), this.results);
    this.more = h('p', { class: 'crowd-more', id: 'crowd-more', hidden: true });
  }

  /** Ask the server for the people whose name starts with what is typed. */
  _search() {
    const q = [...this.searchInput.value.trim()].slice(0, 64).join('');
    this.query = this.store.presence.crowd ? q : '';
    const seq = ++this.searchSeq;
    if (!this.query) {
      this.found = null;
      this._renderResults();
      return;
    }
    this.store.presencePage({ prefix: this.query, limit: SEARCH_LIMIT }).then((res) => {
      if (seq !== this.searchSeq) return; // a newer search went out
      this.found = res.ok
        ? { people: Array.isArray(res.reply.participants) ? res.reply.participants : [], more: !!res.reply.next }
        : { error: true };
      this._renderResults();
    });
  }

  _renderResults() {
    const { i18n } = this;
    const f = this.query ? this.found : null;
    const out = [];
    if (f && f.error) {
      out.push(h('p', { class: 'form-error', text: i18n.t('presence.searchFailed') }));
    } else if (f) {
      const n = f.people.length;
      out.push(h('p', { class: 'field-hint', text: i18n.t('presence.results', { count: n, n: formatInteger(i18n.lang, n) }) }));
      if (n) {
        out.push(h('ul', { class: 'people presence-found' }, f.people.map((p) => {
          const swatch = h('span', { class: 'swatch', 'aria-hidden': 'true' });
          swatch.style.backgroundColor = orgColor(p.organisation);
          return h('li', { class: 'person', data: { participant: p.id } }, swatch,
            h('span', { class: 'person-name', text: ` ${p.name}` }),
            p.organisation ? h('span', { class: 'person-org', text: ` (${p.organisation})` }) : null,
            ...this._badges({ ...p, self: p.id === this.store.me?.id }));
        })));
      }
      if (f.more) out.push(h('p', { class: 'field-hint', text: i18n.t('presence.moreResults') }));
    }
    rebuild(this.results, out, () => this.searchInput.focus());
  }

  /** The counts by organisation and "and N more" (hidden while everyone is listed). */
  _renderCrowd() {
    const { store, i18n } = this;
    const crowd = store.presence.crowd;
    const fmt = (n) => formatInteger(i18n.lang, n);
    this.crowdEl.hidden = !crowd;
    const orgs = store.presence.crowdOrganisations(i18n.lang).map((o) => {
      const swatch = h('span', { class: 'swatch', 'aria-hidden': 'true' });
      swatch.style.backgroundColor = o.color;
      return h('li', { class: 'crowd-org', title: i18n.t('presence.orgLine', { count: o.count, org: o.name, n: fmt(o.count) }) },
        swatch, h('span', { class: 'crowd-org-name', text: o.name }), h('span', { class: 'crowd-org-count', text: fmt(o.count) }));
    });
    rebuild(this.orgs, orgs, () => this.heading.focus());
    const unnamed = store.presence.unnamed;
    this.more.hidden = !unnamed;
    this.more.textContent = unnamed ? i18n.t('presence.more', { count: unnamed, n: fmt(unnamed) }) : '';
    if (!crowd && this.query) {
      this.query = '';
      this.found = null;
      this._renderResults();
    }
  }

  /** "2 481 personnes · 12 observateur·rices" with the numbers grouped (a big workshop). */
  _crowdCount() {
    const { store, i18n } = this;
    const fmt = (n) => formatInteger(i18n.lang, n);
    const people = store.presence.count;
    const observers = store.presence.observerCount;
    const taking = i18n.t('presence.crowdCount', { count: people, n: fmt(people) });
    return observers ? i18n.t('observer.presenceCount', { people: taking, observers: i18n.t('observer.count', { count: observers }) }) : taking;
  }

  get facilitator() {
    return this.store.role === 'facilitator';
  }

  /** Send a role request for `pid`; the button stays pressed-looking until the server answers. */
  _act(pid, run) {
    if (this.busy.has(pid)) return;
    this.busy.add(pid);
    this.error = null;
    this.render();
    run().then((res) => {
      this.busy.delete(pid);
      if (res.error) this.error = res.error === 'offline' || res.error === 'disconnected' ? 'roles.errOffline' : 'roles.errFailed';
      this.render();
    });
  }

  /** A role button about person `pid` (disabled while a request about them is out). */
  _button(pid, key, labelKey, cls, describedBy, onClick) {
    const b = h('button', { type: 'button', class: cls, data: { key: `${key}-${pid}` }, 'aria-describedby': describedBy, text: this.i18n.t(labelKey) });
    if (this.busy.has(pid)) b.setAttribute('aria-disabled', 'true');
    b.addEventListener('click', () => { if (b.getAttribute('aria-disabled') !== 'true') onClick(); });
    return b;
  }

  /** The role controls on one person's line. */
  _personTools(m, nameId) {
    const { store } = this;
    const tools = [];
    if (this.facilitator && designatable(m.role) && !m.self) {
      const toRep = m.role === 'participant';
      tools.push(this._button(m.id, 'role', toRep ? 'roles.makeRepresentative' : 'roles.makeParticipant',
        'link-button role-action', nameId, () => this._act(m.id, () => store.setRole(m.id, toRep ? 'representative' : 'participant'))));
    }
    if (m.self && store.may('askRepresentative')) {
      if (m.asks === 'representative') {
        tools.push(h('span', { class: 'field-hint role-waiting', id: 'represent-waiting', text: this.i18n.t('roles.requestWaiting') }));
      } else {
        tools.push(this._button(m.id, 'ask', 'roles.askRepresent', 'secondary small role-ask', null,
          () => this._act(m.id, () => store.askRepresentative())));
      }
    }
    return tools.length ? h('div', { class: 'person-tools' }, tools) : null;
  }

  _badges(m) {
    const { i18n } = this;
    const badges = [];
    if (m.role === 'facilitator') badges.push(h('span', { class: 'badge badge-facilitator', text: i18n.t('presence.facilitator') }));
    if (m.role === 'representative') badges.push(h('span', { class: 'badge badge-representative', text: i18n.t('roles.representative') }));
    if (m.asks === 'representative' && m.role === 'participant' && !m.self) badges.push(h('span', { class: 'badge badge-asks', text: i18n.t('roles.asks') }));
    if (m.self) badges.push(h('span', { class: 'badge badge-self', text: i18n.t('presence.you') }));
    return badges;
  }

  /** Facilitators: the requests waiting for an answer, accept or decline in one step each. */
  _requests() {
    const { store, i18n } = this;
    if (!this.facilitator) return [];
    const asking = store.presence.asking(i18n.lang);
    if (!asking.length) return [];
    const title = h('h3', { class: 'role-requests-title', id: 'role-requests-title', text: i18n.t('roles.requestsTitle', { count: asking.length }) });
    const items = asking.map((p) => {
      const textId = `ask-text-${p.id}`;
      return h('li', { class: 'role-request' },
        h('span', { id: textId, text: i18n.t('roles.requestLine', { name: p.name, organisation: p.organisation }) }),
        h('div', { class: 'actions' },
          this._button(p.id, 'accept', 'roles.accept', 'primary small', textId, () => this._act(p.id, () => store.answerRepresentative(p.id, true))),
          this._button(p.id, 'decline', 'roles.decline', 'secondary small', textId, () => this._act(p.id, () => store.answerRepresentative(p.id, false)))));
    });
    return [title, h('ul', { class: 'role-request-list', 'aria-labelledby': 'role-requests-title' }, items)];
  }

  _observers() {
    return observerList(this.i18n, this.store.presence.observers(this.i18n.lang), 'observers-title');
  }

  render() {
    const { store, i18n } = this;
    const now = Date.now();
    const groups = store.presence.groups(now, i18n.lang);
    this.count.textContent = store.presence.crowd ? this._crowdCount()
      : presenceCount(i18n, store.presence.count, store.presence.observerCount);
    this._renderCrowd();
    const items = groups.map((g) => {
      const swatch = h('span', { class: 'swatch', 'aria-hidden': 'true' });
      swatch.style.backgroundColor = g.color;
      const members = g.members.map((m) => {
        const nameId = `person-${m.id}`;
        const typing = m.typing ? h('span', { class: 'typing', text: i18n.t('presence.typing') }) : null;
        return h('li', { class: ['person', m.typing ? 'is-typing' : null], data: { participant: m.id } },
          h('span', { class: 'person-name', id: nameId, text: m.name }), ...this._badges(m), typing, this._personTools(m, nameId));
      });
      return h('li', { class: 'org-group' },
        h('h3', { class: 'org-name' }, swatch, h('span', { text: g.organisation })),
        h('ul', { class: 'people' }, members));
    });
    const fallback = () => this.heading.focus();
    rebuild(this.list, items, fallback);
    rebuild(this.asking, this._requests(), fallback);
    this.asking.hidden = !this.asking.firstChild;
    rebuild(this.observers, this._observers(), fallback);
    this.observers.hidden = !this.observers.firstChild;
    this.errorEl.hidden = !this.error;
    this.errorEl.textContent = this.error ? i18n.t(this.error) : '';
    // Typing marks expire on their own: redraw when the next one does.
    clearTimeout(this.timer);
    const next = store.presence.nextTypingExpiry(now);
    if (next != null) this.timer = setTimeout(() => this.render(), next - now + 20);
  }
}
