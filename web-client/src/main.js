// The app: language, routing, and wiring the real browser (WebSocket,
// fetch, storage, online/offline events) to the store and the views.
//
// Routes live in the fragment so plain static serving works and secrets
// never reach a server log:  #/ (home), #/w/ID (join or workshop),
// #/w/ID?key=KEY (facilitator link; the key is stored, then removed from
// the address bar so a copied address never hands out the role),
// #/w/ID?observe=KEY (the observer link, issue 13: stored and removed the
// same way; the person follows without taking part),
// #/w/ID/replay (the replay, for anyone with the link; exports and deletion
// when this browser holds the facilitator key),
// #/partnership/ID (a partnership's workshops and how the statement changed
// from one to the next, protocol/series.md; links, renaming and export when
// this browser holds the facilitator key of one of its workshops).
import fr from './i18n/fr.json';
import en from './i18n/en.json';
import { I18n, pickLanguage } from './i18n/index.js';
import * as storage from './storage.js';
import { createWorkshop, getWorkshop, socketUrl, getHistory, getEdits, getState, getExport, deleteWorkshop, lookupCode,
  nextWorkshop, getPartnership, renamePartnership, getPartnershipExport, summaryUrl } from './protocol/http.js';
import { Connection } from './protocol/connection.js';
import { Session } from './protocol/session.js';
import { WorkshopStore } from './state/workshop.js';
import { h } from './views/dom.js';
import { createAnnouncer } from './views/announcer.js';
import { renderHome } from './views/home.js';
import { renderJoin, renderMessage } from './views/join.js';
import { WorkshopView } from './views/workshop.js';
import { StatusView } from './views/status.js';
import { ReplayView } from './views/replay.js';
import { PresenterView } from './views/presenter.js';
import { Replay, loadReplay } from './state/replay.js';
import { renderPartnership } from './views/partnership.js';

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
    if (!current || (current.kind !== 'workshop' && current.kind !== 'replay' && current.kind !== 'partnership')) document.title = i18n.t('app.title');
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
  const j = /^#\/join(?:\/([0-9 ]{1,12}))?$/.exec(location.hash);
  if (j) return { kind: 'home', code: j[1] ? j[1].replace(/\D/g, '') : '' };
  const p = /^#\/partnership\/([A-Za-z0-9_-]{1,64})$/.exec(location.hash);
  if (p) return { kind: 'partnership', id: p[1] };
  const m = /^#\/w\/([A-Za-z0-9_-]{1,64})(\/replay|\/present)?(?:\?(.*))?$/.exec(location.hash);
  if (!m) return { kind: 'home' };
  const params = new URLSearchParams(m[3] || '');
  const kind = m[2] === '/replay' ? 'replay' : m[2] === '/present' ? 'present' : 'workshop';
  const rev = /^\d{1,15}$/.test(params.get('rev') ?? '') ? Number(params.get('rev')) : null; // replay: the moment to open at
  return { kind, id: m[1], key: params.get('key'), observe: params.get('observe'), rev };
}

function route() {
  const r = parseRoute();
  if (r.kind === 'present') {
    if (current && current.kind === 'present' && current.id === r.id) return;
    teardown();
    openWorkshop(r.id, { present: true });
    return;
  }
  if (r.kind === 'replay') {
    if (r.key) {
      storage.updateWorkshop(r.id, { key: r.key });
      history.replaceState(null, '', `#/w/${r.id}/replay${r.rev != null ? `?rev=${r.rev}` : ''}`);
    }
    if (current && current.kind === 'replay' && current.id === r.id) return;
    teardown();
    openReplay(r.id, { rev: r.rev });
    return;
  }
  if (r.kind === 'partnership') {
    if (current && current.kind === 'partnership' && current.id === r.id) return;
    teardown();
    openPartnership(r.id);
    return;
  }
  if (r.kind === 'workshop') {
    if (r.key) {
      storage.updateWorkshop(r.id, { key: r.key });
      history.replaceState(null, '', `#/w/${r.id}`);
    } else if (r.observe) {
      // A participant's identity here would resume as a participant: the
      // observer link means watching, so this browser joins afresh.
      const rec = storage.getWorkshop(r.id);
      const fresh = rec.observe !== r.observe && rec.role !== 'observer' && !rec.key;
      storage.updateWorkshop(r.id, fresh ? { observe: r.observe, token: null, doc: null } : { observe: r.observe });
      history.replaceState(null, '', `#/w/${r.id}`);
    }
    if (current && current.kind === 'workshop' && current.id === r.id) return;
    teardown();
    openWorkshop(r.id);
    return;
  }
  if (current && current.kind === 'home' && r.code === undefined) return;
  teardown();
  openHome(r.code);
}

// ---- home ----------------------------------------------------------------

let homeNotice = null; // {key, params}: said once on the next home page

function openHome(code) {
  document.title = i18n.t('app.title');
  current = { kind: 'home', destroy() {} };
  const token = current;
  const notice = homeNotice;
  homeNotice = null;
  const view = renderHome({
    i18n,
    profile: storage.getProfile(),
    organisations: storage.getOrganisations(),
    recent: storage.getRecent(),
    code,
    /** A 6-digit code typed by a participant: {id} or {error, retryAfter}. */
    async onCode(c) {
      const res = await lookupCode(base, c);
      if (current !== token) return null; // gone elsewhere meanwhile: stay there
      if (res.data && typeof res.data.id === 'string') {
        location.hash = `#/w/${res.data.id}`;
        return null;
      }
      return res;
    },
    createToken: storage.getCreateToken(),
    async onCreate({ title, template, name, organisation, timeZone, token }) {
      const text = template === 'method' ? i18n.t('template.method') : '';
      const res = await createWorkshop(base, { title, text, timeZone, token });
      if (res.status === 401) {
        storage.setCreateToken(null);
        return { token: token ? 'wrong' : 'needed' };
      }
      if (res.status === 429) return { rateLimited: res.retryAfter };
      if (res.error) return res.error === 'network' || res.error === 'unavailable' || res.error === 'too_large' ? res.error : 'create';
      storage.setCreateToken(token);
      const { id, facilitator_key: key } = res.data;
      storage.setProfile({ name, organisation });
      storage.rememberOrganisation(organisation);
      storage.updateWorkshop(id, { key, title: res.data.title || title, role: 'facilitator', profile: { name, organisation }, fresh: true });
      location.hash = `#/w/${id}`;
      return null;
    },
  });
  if (notice) {
    const p = h('p', { class: 'notice', id: 'home-notice', role: 'status', tabindex: '-1' });
    i18n.bind(p, notice.key, notice.params);
    view.el.prepend(p);
    show(view, { focus: false });
    p.focus();
    announce(i18n.t(notice.key, notice.params));
    return;
  }
  show(view, { focus: false });
}

// ---- workshop --------------------------------------------------------------

function links(id, key) {
  const at = (hash) => {
    const u = new URL(base);
    u.hash = hash;
    return u.toString();
  };
  const home = new URL(base);
  return {
    invite: at(`/w/${id}`),
    facilitator: key ? at(`/w/${id}?key=${key}`) : null,
    observer: key ? (k) => at(`/w/${id}?observe=${k}`) : null,
    present: at(`/w/${id}/present`),
    // Where to type a join code: the home page, said without its scheme.
    joinAt: `${home.host}${home.pathname === '/' ? '' : home.pathname}`,
  };
}

async function openWorkshop(id, { present = false } = {}) {
  const rec = storage.getWorkshop(id);
  if (rec.deleted) {
    showFatal(id, 'deleted');
    return;
  }
  // The presenter view reads the last synced state, never the opener's
  // copied sessionStorage (see storage.readOnlyPersist).
  const saved = persistFor(id, { present }).load();
  const profile = rec.profile || (saved && saved.me ? { name: saved.me.name, organisation: saved.me.organisation } : null);
  current = { kind: present ? 'present' : 'workshop', id, destroy() {} };
  if (profile && (rec.token || rec.fresh)) {
    startWorkshop(id, profile, { present });
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
      actions: [{ labelKey: 'action.retry', primary: true, onClick: () => { teardown(); openWorkshop(id, { present }); } }, { labelKey: 'action.home', href: '#/' }],
    }));
    return;
  }
  const meta = res.data;
  document.title = `${meta.title} · Atelier`;
  const view = renderJoin({
    i18n,
    title: meta.title,
    ended: meta.state === 'ended',
    present: Array.isArray(meta.present) ? meta.present : [],
    profile: profile || storage.getProfile(),
    organisations: storage.getOrganisations(),
    facilitator: !!rec.key,
    observer: !rec.key && !!rec.observe,
    replayHref: `#/w/${id}/replay`,
    onJoin(p) {
      storage.setProfile(p);
      storage.rememberOrganisation(p.organisation);
      storage.updateWorkshop(id, { profile: p, title: meta.title });
      startWorkshop(id, p, { present });
    },
  });
  show(view);
}

/** Where a workshop page keeps its state: read-only for the presenter view once it has a token. */
function persistFor(id, { present = false } = {}) {
  return present && storage.getWorkshop(id).token ? storage.readOnlyPersist(id) : storage.workshopPersist(id);
}

function startWorkshop(id, profile, { present = false } = {}) {
  const rec = storage.getWorkshop(id);
  const openShare = !!rec.fresh && !present;
  if (rec.fresh && !present) storage.updateWorkshop(id, { fresh: false });
  // The presenter view only reads: it resumes as the same participant from
  // the last synced text, never from this tab's unsent edits or answers.
  const readOnly = present && !!rec.token;
  const store = new WorkshopStore({
    workshopId: id,
    profile,
    key: rec.key || null,
    observerKey: rec.observe || null,
    persist: persistFor(id, { present }),
    pollsPersist: present ? null : storage.pollsPersist(id),
    createSession: (getJoin) => new Session({
      connection: new Connection({ url: socketUrl(base), WebSocket }),
      getJoin,
      online: () => navigator.onLine !== false,
    }),
  });
  const exportSummary = async () => {
    const key = storage.getWorkshop(id).key;
    if (!key) return 'forbidden';
    const res = await getExport(base, id, { format: 'html', lang: i18n.lang }, key);
    if (res.error) return res.error;
    saveBlob(res.data.blob, res.data.filename);
    return null;
  };
  const view = present ?
    new PresenterView({ store, i18n, announce, links: links(id, null) }) :
    new WorkshopView({
      store, i18n, announce, links: links(id, rec.key), openShare, replayHref: `#/w/${id}/replay`, exportSummary,
      summaryAction: summaryUrl(base, id),
      series: seriesFor(id, profile),
      fetchState: async (rev) => {
        const res = await getState(base, id, { rev }, storage.getWorkshop(id).key || null);
        if (res.error) throw Object.assign(new Error(res.error), { code: res.error });
        return res.data;
      },
    });
  const status = new StatusView({ store, i18n, announce });
  statusSlot.replaceChildren(status.el);
  // Poll announcements in the page's language, whichever view shows the polls.
  const followLanguage = () => { store.polls.lang = i18n.lang; };
  followLanguage();
  const offLanguage = i18n.on('change', followLanguage);

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
    if (!readOnly) storage.updateWorkshop(id, { title: w.title, role: w.role, profile: { name: w.me.name, organisation: w.me.organisation } });
  });
  store.on('fatal', (f) => {
    if (current && current.store === store) showFatal(id, f.code, store);
  });

  current = {
    kind: present ? 'present' : 'workshop',
    id,
    store,
    destroy() {
      window.removeEventListener('online', onOnline);
      window.removeEventListener('offline', onOffline);
      window.removeEventListener('pagehide', onHide);
      window.removeEventListener('beforeunload', onBeforeUnload);
      offLanguage();
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
    if (present) view.focus?.();
    else if (openShare) document.getElementById('invite-link')?.focus();
    else view.editor?.focus();
  }, 0);
  if (store.ready) focusFirst();
  else store.on('ready', focusFirst);
}

// ---- partnerships: a series of workshops (protocol/series.md) ----------------

/**
 * What a workshop page needs of its partnership: where it stands in it
 * (load) and, for its facilitator, the next workshop in one step
 * (prepareNext: made from this ended one, then opened, with its own links).
 */
function seriesFor(id, profile) {
  return {
    async load() {
      const meta = await getWorkshop(base, id);
      const pid = meta.data && meta.data.partnership;
      if (!pid) return null;
      const carried = meta.data.carried || null; // what it starts from: the previous statement and agreement
      const key = storage.getWorkshop(id).key || null;
      if (key) storage.updateWorkshop(id, { partnership: pid }, { touch: false });
      if (key) storage.rememberPartnership(pid, id);
      const res = await getPartnership(base, pid, key);
      if (!res.data) return { partnership: { id: pid, title: null }, prev: null, next: null, carried };
      const list = res.data.workshops;
      const at = list.findIndex((w) => w.id === id);
      return {
        partnership: { id: pid, title: res.data.title },
        prev: at > 0 ? list[at - 1] : null,
        next: at >= 0 && at + 1 < list.length ? list[at + 1] : null,
        carried,
      };
    },
    /** null once the next workshop is open; else an error code (the view says it). */
    async prepareNext() {
      const key = storage.getWorkshop(id).key;
      if (!key) return 'forbidden';
      const res = await nextWorkshop(base, id, key, { createToken: storage.getCreateToken() });
      if (res.status === 429) return 'rate_limited';
      if (res.status === 401) return 'token'; // the key went with it: the server's creation token is missing
      if (res.error) return res.error;
      const w = res.data;
      storage.updateWorkshop(w.id, { key: w.facilitator_key, title: w.title, role: 'facilitator', profile, fresh: true, partnership: w.partnership });
      storage.rememberPartnership(w.partnership, w.id);
      location.hash = `#/w/${w.id}`;
      return null;
    },
  };
}

async function openPartnership(pid) {
  let offLanguage = () => {};
  current = { kind: 'partnership', id: pid, destroy() { offLanguage(); } };
  const token = current;
  const workshopId = storage.partnershipWorkshop(pid);
  const key = workshopId ? storage.getWorkshop(workshopId).key : null;
  show(renderMessage({ i18n, titleKey: 'join.loadingTitle', bodyKey: 'join.loadingBody' }), { focus: false });
  let res = await getPartnership(base, pid, key);
  if (res.status === 403 && key) res = await getPartnership(base, pid); // that workshop left it: the public view
  if (current !== token) return;
  if (res.error) {
    show(renderMessage({
      i18n, titleKey: res.status === 404 ? 'series.notFoundTitle' : 'error.unreachableTitle',
      bodyKey: res.status === 404 ? 'series.notFoundBody' : 'error.unreachableBody',
      actions: [{ labelKey: 'action.home', href: '#/', primary: true }],
    }));
    return;
  }
  const data = res.data;
  const render = () => {
    document.title = `${data.title} · Atelier`;
    const view = renderPartnership({
      i18n, data,
      async onRename(title) {
        const r = await renamePartnership(base, pid, key, title);
        if (r.error) return r.error;
        data.title = r.data.title;
        document.title = `${data.title} · Atelier`;
        return null;
      },
      async onExport(format) {
        const r = await getPartnershipExport(base, pid, { format, lang: i18n.lang }, key);
        if (r.error) return r.error;
        saveBlob(r.data.blob, r.data.filename);
        return null;
      },
    });
    return view;
  };
  const view = render();
  show(view);
  offLanguage = i18n.on('change', () => show(render(), { focus: false }));
}

// ---- replay ----------------------------------------------------------------

/** Save a Blob under a name, through a temporary download link. */
function saveBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: filename, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

/**
 * Let the page handle input and draw, then go on: a task of its own (a
 * message to ourselves), not setTimeout(0), which browsers stretch to 4 ms
 * once timers nest, a cost paid at every slice of a long load.
 */
function yieldToPage() {
  if (globalThis.scheduler?.yield) return globalThis.scheduler.yield();
  return new Promise((resolve) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => resolve();
    ch.port2.postMessage(null);
  });
}

function openReplay(id, { asParticipant = false, rev = null } = {}) {
  const rec = storage.getWorkshop(id);
  const key = asParticipant ? null : rec.key || null;
  const replay = new Replay({ checkpointEvery: 1000 });
  let cancelled = false;
  const unwrap = (res) => {
    if (res.error) throw Object.assign(new Error(res.error), { code: res.error, status: res.status });
    return res.data;
  };
  const api = {
    history: async (q) => unwrap(await getHistory(base, id, q, key)),
    edits: async (q) => unwrap(await getEdits(base, id, q, key)),
    state: async (q) => unwrap(await getState(base, id, q, key)),
  };
  const view = new ReplayView({
    replay, i18n, announce, id, facilitator: !!key,
    fetchState: (rev) => api.state({ rev }),
    prepareNext: key ? () => seriesFor(id, rec.profile || storage.getProfile()).prepareNext() : null,
    async exportFile(format) {
      const res = await getExport(base, id, { format, lang: i18n.lang }, key);
      if (res.error) return res.error;
      saveBlob(res.data.blob, res.data.filename);
      return null;
    },
    async deleteWorkshop() {
      const res = await deleteWorkshop(base, id, key);
      if (res.error && res.error !== 'not_found') return res.error;
      storage.forgetWorkshop(id);
      homeNotice = { key: 'replay.deleted', params: { title: replay.title } };
      location.hash = '#/';
      return null;
    },
  });
  current = { kind: 'replay', id, destroy() { cancelled = true; view.destroy(); } };
  show(view, { focus: false });
  const token = current;
  const idle = yieldToPage;
  loadReplay(replay, api, {
    idle,
    isCancelled: () => cancelled,
    onMarks: () => { view.marksReady({ rev }); view.focus(); },
    onProgress: (p) => view.onProgress(p),
  }).catch((e) => {
    if (cancelled || current !== token) return;
    const code = e.code || 'internal';
    if (code === 'not_found') {
      showFatal(id, 'not_found');
    } else if (code === 'forbidden') {
      current.destroy();
      show(renderMessage({
        i18n, titleKey: 'error.badKeyTitle', bodyKey: 'replay.badKeyBody',
        // The server said the stored key is wrong: forget it (as the workshop page does).
        actions: [{ labelKey: 'replay.asParticipant', primary: true, onClick: () => { storage.updateWorkshop(id, { key: null }, { touch: false }); teardown(); openReplay(id, { asParticipant: true, rev }); } }],
      }));
    } else {
      view.failed(code, () => { teardown(); openReplay(id, { asParticipant, rev }); });
    }
  });
}

/** This browser follows the workshop through the observer link (and holds no facilitator key). */
function isObserving(id) {
  const rec = storage.getWorkshop(id);
  return !!rec.observe && !rec.key;
}

function showFatal(id, code, store) {
  // Read before the page is torn down: the presenter window reloads as the presenter view.
  const present = current?.kind === 'present';
  const restart = () => { teardown(); openWorkshop(id, { present }); };
  let view;
  if (code === 'deleted') {
    // Said by the server before it closed the connection: not a bad link.
    storage.forgetWorkshop(id);
    storage.updateWorkshop(id, { deleted: true }, { touch: false });
    view = renderMessage({ i18n, titleKey: 'error.deletedTitle', bodyKey: 'error.deletedBody', actions: [{ labelKey: 'action.newWorkshop', href: '#/', primary: true }] });
  } else if (code === 'not_found') {
    storage.updateWorkshop(id, { token: null, doc: null });
    view = renderMessage({ i18n, titleKey: 'error.notFoundTitle', bodyKey: 'error.notFoundBody', actions: [{ labelKey: 'action.newWorkshop', href: '#/', primary: true }] });
  } else if ((code === 'forbidden' || code === 'observer_revoked') && isObserving(id)) {
    // The facilitator revoked the observer link: say so, not "check your link".
    storage.updateWorkshop(id, { observe: null, token: null, doc: null }, { touch: false });
    view = renderMessage({ i18n, titleKey: 'observer.revokedTitle', bodyKey: 'observer.revokedBody', actions: [{ labelKey: 'action.home', href: '#/', primary: true }] });
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
      actions: [{ labelKey: 'action.reload', primary: true, onClick: () => { persistFor(id, { present }).clearDoc(); restart(); } }],
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
    current = { kind: present ? 'present' : 'workshop', id, store: s, destroy() {} };
  }
  statusSlot.replaceChildren();
  show(view);
}

setupChrome();
window.addEventListener('hashchange', route);
route();
