// The app: language, routing, and wiring the real browser (WebSocket,
// fetch, storage, online/offline events) to the store and the views.
//
// Routes live in the fragment so plain static serving works and secrets
// never reach a server log:  #/ (home), #/w/ID (join or workshop),
// #/w/ID?key=KEY (facilitator link; the key is stored, then removed from
// the address bar so a copied address never hands out the role).
import fr from './i18n/fr.json';
import en from './i18n/en.json';
import { I18n, pickLanguage } from './i18n/index.js';
import * as storage from './storage.js';
import { createWorkshop, getWorkshop, socketUrl } from './protocol/http.js';
import { Connection } from './protocol/connection.js';
import { Session } from './protocol/session.js';
import { WorkshopStore } from './state/workshop.js';
import { h } from './views/dom.js';
import { createAnnouncer } from './views/announcer.js';
import { renderHome } from './views/home.js';
import { renderJoin, renderMessage } from './views/join.js';
import { WorkshopView } from './views/workshop.js';
import { StatusView } from './views/status.js';

const i18n = new I18n({ fr, en }, pickLanguage(storage.getLanguage(), navigator.languages || [navigator.language]));
const main = document.getElementById('main');
const statusSlot = document.getElementById('status-slot');
const announce = createAnnouncer(document.getElementById('announcer'));
const base = new URL('.', location.href);
base.hash = '';
base.search = '';

let current = null; // {kind, id, destroy()}

function setupChrome() {
  document.documentElement.lang = i18n.lang;
  const skip = document.getElementById('skip-link');
  i18n.bind(skip, 'app.skip');
  skip.addEventListener('click', (e) => {
    e.preventDefault();
    const target = document.getElementById('statement') || main;
    target.focus();
  });
  const brand = document.getElementById('brand');
  i18n.bind(brand, 'app.name');
  i18n.bind(brand, 'app.home', null, 'aria-label');
  const tagline = document.getElementById('tagline');
  i18n.bind(tagline, 'app.tagline');
  const lang = document.getElementById('lang-switch');
  i18n.bind(lang, 'app.otherLanguage');
  i18n.bind(lang, 'app.switchLanguage', null, 'aria-label');
  const langAttr = () => lang.setAttribute('lang', i18n.lang === 'fr' ? 'en' : 'fr');
  langAttr();
  i18n.on('change', langAttr);
  lang.addEventListener('click', () => {
    const next = i18n.lang === 'fr' ? 'en' : 'fr';
    i18n.setLanguage(next);
    storage.setLanguage(next);
    document.documentElement.lang = next;
    announce(i18n.t('announce.language'));
  });
  i18n.on('change', () => {
    if (!current || current.kind !== 'workshop') document.title = i18n.t('app.title');
  });
  document.title = i18n.t('app.title');
}

function show(view, { focus = true } = {}) {
  main.replaceChildren(view.el);
  if (focus) (view.focus ? view.focus() : main.focus());
}

function teardown() {
  if (current) current.destroy();
  current = null;
  statusSlot.replaceChildren();
}

function parseRoute() {
  const m = /^#\/w\/([A-Za-z0-9_-]{1,64})(?:\?(.*))?$/.exec(location.hash);
  if (!m) return { kind: 'home' };
  const params = new URLSearchParams(m[2] || '');
  return { kind: 'workshop', id: m[1], key: params.get('key') };
}

function route() {
  const r = parseRoute();
  if (r.kind === 'workshop') {
    if (r.key) {
      storage.updateWorkshop(r.id, { key: r.key });
      history.replaceState(null, '', `#/w/${r.id}`);
    }
    if (current && current.kind === 'workshop' && current.id === r.id) return;
    teardown();
    openWorkshop(r.id);
    return;
  }
  if (current && current.kind === 'home') return;
  teardown();
  openHome();
}

// ---- home ----------------------------------------------------------------

function openHome() {
  document.title = i18n.t('app.title');
  current = { kind: 'home', destroy() {} };
  const view = renderHome({
    i18n,
    profile: storage.getProfile(),
    organisations: storage.getOrganisations(),
    recent: storage.getRecent(),
    async onCreate({ title, template, name, organisation }) {
      const text = template === 'method' ? i18n.t('template.method') : '';
      const res = await createWorkshop(base, { title, text });
      if (res.error) return res.error === 'network' || res.error === 'unavailable' || res.error === 'too_large' ? res.error : 'create';
      const { id, facilitator_key: key } = res.data;
      storage.setProfile({ name, organisation });
      storage.rememberOrganisation(organisation);
      storage.updateWorkshop(id, { key, title: res.data.title || title, role: 'facilitator', profile: { name, organisation }, fresh: true });
      location.hash = `#/w/${id}`;
      return null;
    },
  });
  show(view, { focus: false });
}

// ---- workshop --------------------------------------------------------------

function links(id, key) {
  const at = (hash) => {
    const u = new URL(base);
    u.hash = hash;
    return u.toString();
  };
  return { invite: at(`/w/${id}`), facilitator: key ? at(`/w/${id}?key=${key}`) : null };
}

async function openWorkshop(id) {
  const rec = storage.getWorkshop(id);
  const persist = storage.workshopPersist(id);
  const saved = persist.load();
  const profile = rec.profile || (saved && saved.me ? { name: saved.me.name, organisation: saved.me.organisation } : null);
  current = { kind: 'workshop', id, destroy() {} };
  if (profile && (rec.token || rec.fresh)) {
    startWorkshop(id, profile);
    return;
  }
  const token = current;
  const loading = renderMessage({ i18n, titleKey: 'join.loadingTitle', bodyKey: 'join.loadingBody' });
  show(loading, { focus: false });
  const res = await getWorkshop(base, id);
  if (current !== token) return; // navigated away meanwhile
  if (res.error === 'not_found' || res.status === 404) {
    showFatal(id, 'not_found');
    return;
  }
  if (res.error) {
    show(renderMessage({
      i18n, titleKey: 'error.unreachableTitle', bodyKey: 'error.unreachableBody',
      actions: [{ labelKey: 'action.retry', primary: true, onClick: () => { teardown(); openWorkshop(id); } }, { labelKey: 'action.home', href: '#/' }],
    }));
    return;
  }
  const meta = res.data;
  document.title = `${meta.title} · Atelier`;
  const view = renderJoin({
    i18n,
    title: meta.title,
    present: Array.isArray(meta.present) ? meta.present : [],
    profile: profile || storage.getProfile(),
    organisations: storage.getOrganisations(),
    facilitator: !!rec.key,
    onJoin(p) {
      storage.setProfile(p);
      storage.rememberOrganisation(p.organisation);
      storage.updateWorkshop(id, { profile: p, title: meta.title });
      startWorkshop(id, p);
    },
  });
  show(view);
}

function startWorkshop(id, profile) {
  const rec = storage.getWorkshop(id);
  const openShare = !!rec.fresh;
  if (rec.fresh) storage.updateWorkshop(id, { fresh: false });
  const store = new WorkshopStore({
    workshopId: id,
    profile,
    key: rec.key || null,
    persist: storage.workshopPersist(id),
    createSession: (getJoin) => new Session({
      connection: new Connection({ url: socketUrl(base), WebSocket }),
      getJoin,
      online: () => navigator.onLine !== false,
    }),
  });
  const view = new WorkshopView({ store, i18n, announce, links: links(id, rec.key), openShare });
  const status = new StatusView({ store, i18n, announce });
  statusSlot.replaceChildren(status.el);

  const onOnline = () => store.setOnline(true);
  const onOffline = () => store.setOnline(false);
  const onHide = () => store.saveNow();
  const onBeforeUnload = (e) => {
    store.saveNow();
    if (store.unsent > 0) {
      e.preventDefault();
      e.returnValue = '';
    }
  };
  window.addEventListener('online', onOnline);
  window.addEventListener('offline', onOffline);
  window.addEventListener('pagehide', onHide);
  window.addEventListener('beforeunload', onBeforeUnload);

  store.on('welcome', (w) => {
    storage.updateWorkshop(id, { title: w.title, role: w.role, profile: { name: w.me.name, organisation: w.me.organisation } });
  });
  store.on('fatal', (f) => {
    if (current && current.store === store) showFatal(id, f.code, store);
  });

  current = {
    kind: 'workshop',
    id,
    store,
    destroy() {
      window.removeEventListener('online', onOnline);
      window.removeEventListener('offline', onOffline);
      window.removeEventListener('pagehide', onHide);
      window.removeEventListener('beforeunload', onBeforeUnload);
      view.destroy();
      status.destroy();
      store.stop();
    },
  };
  show({ el: view.el }, { focus: false });
  store.start();
  if (navigator.onLine === false) store.setOnline(false);
  // A facilitator who just created the workshop first needs the invite link;
  // everyone else, the text.
  const focusFirst = () => setTimeout(() => {
    if (openShare) document.getElementById('invite-link')?.focus();
    else view.editor?.focus();
  }, 0);
  if (store.ready) focusFirst();
  else store.on('ready', focusFirst);
}

function showFatal(id, code, store) {
  const restart = () => { teardown(); openWorkshop(id); };
  let view;
  if (code === 'not_found') {
    storage.updateWorkshop(id, { token: null, doc: null });
    view = renderMessage({ i18n, titleKey: 'error.notFoundTitle', bodyKey: 'error.notFoundBody', actions: [{ labelKey: 'action.newWorkshop', href: '#/', primary: true }] });
  } else if (code === 'forbidden') {
    view = renderMessage({
      i18n, titleKey: 'error.badKeyTitle', bodyKey: 'error.badKeyBody',
      actions: [{ labelKey: 'action.joinAsParticipant', primary: true, onClick: () => { storage.updateWorkshop(id, { key: null, token: null, doc: null }); restart(); } }],
    });
  } else {
    // Keep what the person typed reachable even when we give up.
    const text = store ? store.text : '';
    view = renderMessage({
      i18n, titleKey: 'error.genericTitle', bodyKey: 'error.genericBody',
      actions: [{ labelKey: 'action.reload', primary: true, onClick: () => { storage.workshopPersist(id).clearDoc(); restart(); } }],
    });
    if (text) {
      const label = h('label', { for: 'rescue', class: 'field-label' });
      i18n.bind(label, 'error.rescue');
      view.el.append(label, h('textarea', { id: 'rescue', class: 'rescue', readonly: true, value: text }));
    }
  }
  if (current) {
    const s = current.store;
    current.destroy();
    current = { kind: 'workshop', id, store: s, destroy() {} };
  }
  statusSlot.replaceChildren();
  show(view);
}

setupChrome();
window.addEventListener('hashchange', route);
route();
