// What the browser remembers. localStorage: the language, the person's name
// and organisation, and per workshop its title, the facilitator key, the
// resume token and the last synced text (so a later visit resumes as the
// same participant). sessionStorage (one per tab, survives a reload): the
// tab's unsent edits, which must not leak into another tab's session.
const PREFIX = 'atelier.';

function store(kind) {
  try {
    const s = globalThis[kind];
    const probe = `${PREFIX}probe`;
    s.setItem(probe, '1');
    s.removeItem(probe);
    return s;
  } catch {
    return null; // private mode, disabled storage: work without memory
  }
}

const local = store('localStorage');
const session = store('sessionStorage');

function read(s, key) {
  if (!s) return null;
  try {
    const v = s.getItem(PREFIX + key);
    return v == null ? null : JSON.parse(v);
  } catch {
    return null;
  }
}

function write(s, key, value) {
  if (!s) return;
  try {
    if (value == null) s.removeItem(PREFIX + key);
    else s.setItem(PREFIX + key, JSON.stringify(value));
  } catch {
    // Quota exceeded: memory is a convenience, not a requirement.
  }
}

// The server's creation token, when it asks for one: for this tab's session
// only, never kept on the device.
export const getCreateToken = () => read(session, 'createToken');
export const setCreateToken = (token) => write(session, 'createToken', token || null);

export const getLanguage = () => read(local, 'lang');
export const setLanguage = (lang) => write(local, 'lang', lang);

export function getProfile() {
  const p = read(local, 'profile');
  return p && typeof p.name === 'string' ? { name: p.name, organisation: String(p.organisation || '') } : null;
}
export const setProfile = (p) => write(local, 'profile', { name: p.name, organisation: p.organisation });

/** Organisations this browser used before, most recent first. */
export function getOrganisations() {
  const list = read(local, 'orgs');
  return Array.isArray(list) ? list.filter((x) => typeof x === 'string' && x.trim()) : [];
}
/** An organisation typed on a join page, offered first next time; "none" (an observer's) is not one. */
export function rememberOrganisation(org) {
  if (typeof org !== 'string' || !org.trim()) return;
  const list = getOrganisations().filter((o) => o !== org);
  list.unshift(org);
  write(local, 'orgs', list.slice(0, 8));
}

export function getWorkshop(id) {
  const w = read(local, `w.${id}`);
  return w && typeof w === 'object' ? w : {};
}
export function updateWorkshop(id, patch, { touch = true } = {}) {
  const w = { ...getWorkshop(id), ...patch, at: Date.now() };
  write(local, `w.${id}`, w);
  if (!touch) return w;
  const recent = getRecent().filter((r) => r.id !== id);
  recent.unshift({ id, title: w.title || '', role: w.role || null, at: w.at });
  write(local, 'recent', recent.slice(0, 10));
  return w;
}
export function getRecent() {
  const r = read(local, 'recent');
  return Array.isArray(r) ? r.filter((x) => x && typeof x.id === 'string') : [];
}

/** Forget everything about a workshop (it was deleted). */
export function forgetWorkshop(id) {
  write(local, `w.${id}`, null);
  write(session, `doc.${id}`, null);
  write(session, `polls.${id}`, null);
  write(local, 'recent', getRecent().filter((r) => r.id !== id));
}

/**
 * This tab's half-typed poll answers and the answers waiting to be sent,
 * per workshop (sessionStorage: they survive a reload, and never leak into
 * another person's session on a shared computer).
 */
export function pollsPersist(id) {
  return {
    load: () => read(session, `polls.${id}`),
    save: (state) => write(session, `polls.${id}`, state),
  };
}

/**
 * Read-only pages (the presenter view): resume as the same participant
 * from the last synced text and the token, never this tab's unsent edits
 * (a window opened from the workshop page starts with a copy of its
 * sessionStorage), and never write anything back.
 */
export function readOnlyPersist(id) {
  return {
    load: () => getWorkshop(id).doc || null,
    save() {},
    loadToken: () => getWorkshop(id).token || null,
    saveToken() {},
    dropToken() {},
    clearDoc() {},
  };
}

/** The persistence the WorkshopStore uses for one workshop. */
export function workshopPersist(id) {
  return {
    load() {
      // This tab's own state (with its unsent edits) first; else the last
      // synced text any tab left, which is enough to resume.
      const mine = read(session, `doc.${id}`);
      if (mine) return mine;
      const shared = getWorkshop(id).doc;
      return shared || null;
    },
    save(state) {
      write(session, `doc.${id}`, state);
      const { rev, serverText, people, title, me, role } = state;
      updateWorkshop(id, {
        doc: { rev, serverText, text: serverText, inflight: null, pending: null, people, title, me, role },
      }, { touch: false });
    },
    loadToken: () => getWorkshop(id).token || null,
    saveToken: (token, extra) => updateWorkshop(id, { token, ...extra }),
    dropToken: () => updateWorkshop(id, { token: null, doc: null }),
    /** Forget the saved text (after a desync: start again from the server's). */
    clearDoc() {
      write(session, `doc.${id}`, null);
      updateWorkshop(id, { doc: null }, { touch: false });
    },
  };
}

/**
 * Partnerships (a series of workshops): the workshop of partnership `pid`
 * whose facilitator key this browser holds, so the partnership page can
 * show the facilitator's view; null when none.
 */
export function partnershipWorkshop(pid) {
  const id = read(local, `p.${pid}`);
  return typeof id === 'string' && getWorkshop(id).key ? id : null;
}
export function rememberPartnership(pid, workshopId) {
  if (getWorkshop(workshopId).key) write(local, `p.${pid}`, workshopId);
}
