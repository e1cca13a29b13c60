// Test doubles for the client's unit tests: a manual clock and a simulated
// network between WebSocket-like objects and a FakeServer, where the test
// decides when each frame is delivered (so interleavings are reproducible).
import { Connection } from '../src/protocol/connection.js';
import { Session } from '../src/protocol/session.js';
import { WorkshopStore } from '../src/state/workshop.js';

export class FakeClock {
  constructor(start = 1_000_000) {
    this.t = start;
    this.timers = new Map();
    this.seq = 0;
    this.now = () => this.t;
    this.setTimeout = (fn, ms = 0) => {
      const id = ++this.seq;
      this.timers.set(id, { at: this.t + Math.max(0, ms), fn, id });
      return id;
    };
    this.clearTimeout = (id) => { this.timers.delete(id); };
  }

  /** Move time forward, firing due timers in order. */
  advance(ms) {
    const end = this.t + ms;
    for (;;) {
      let next = null;
      for (const tm of this.timers.values()) if (tm.at <= end && (!next || tm.at < next.at || (tm.at === next.at && tm.id < next.id))) next = tm;
      if (!next) break;
      this.timers.delete(next.id);
      this.t = Math.max(this.t, next.at);
      next.fn();
    }
    this.t = end;
  }

  get pending() {
    return this.timers.size;
  }
}

/** A seeded PRNG so fuzz failures can be replayed. */
export function rng(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s / 0x100000000;
  };
}

export class Net {
  constructor(server) {
    this.server = server;
    this.links = new Set();
    this.down = false; // new connections fail
    const net = this;
    this.WebSocket = class SimWebSocket {
      constructor(url, protocol) {
        this.url = url;
        this.protocol = protocol;
        this.readyState = 0;
        this.onopen = this.onmessage = this.onclose = this.onerror = null;
        const link = { ws: this, toClient: [], toServer: [], conn: null, dead: false };
        this.link = link;
        net.links.add(link);
        if (net.down) {
          link.toClient.push({ kind: 'close', code: 1006 });
          return;
        }
        link.conn = net.server.connect((text) => {
          if (!link.dead) link.toClient.push({ kind: 'message', data: text });
        });
        link.toClient.push({ kind: 'open' });
      }

      send(text) {
        if (this.readyState !== 1) throw new Error('not open');
        this.link.toServer.push({ kind: 'message', data: text });
      }

      close() {
        if (this.readyState >= 2) return;
        this.readyState = 2;
        this.link.toServer.push({ kind: 'close' });
        this.link.toClient.push({ kind: 'close', code: 1000 });
      }
    };
  }

  /** Links with something to deliver, as [link, direction] pairs. */
  ready() {
    const out = [];
    for (const l of this.links) {
      if (l.toServer.length) out.push([l, 'toServer']);
      if (l.toClient.length) out.push([l, 'toClient']);
    }
    return out;
  }

  deliver(link, dir) {
    const ev = link[dir].shift();
    if (!ev) return;
    if (dir === 'toServer') {
      // Frames sent before a close still arrive (TCP delivers them before the FIN).
      if (ev.kind === 'message') link.conn?.receive(ev.data);
      else link.conn?.close();
      this._reap(link);
      return;
    }
    const ws = link.ws;
    if (ev.kind === 'open') {
      if (ws.readyState !== 0) return;
      ws.readyState = 1;
      ws.onopen?.({});
    } else if (ev.kind === 'message') {
      if (ws.readyState === 1) ws.onmessage?.({ data: ev.data });
    } else {
      ws.readyState = 3;
      ws.onclose?.({ code: ev.code });
    }
    this._reap(link);
  }

  _reap(link) {
    if (link.ws.readyState === 3 && !link.toServer.length && !link.toClient.length) this.links.delete(link);
  }

  /** Deliver everything, in random order across links when random is given. */
  flush(random, limit = 100000) {
    for (let i = 0; i < limit; i++) {
      const r = this.ready();
      if (!r.length) return;
      const [l, d] = random ? r[Math.floor(random() * r.length)] : r[0];
      this.deliver(l, d);
    }
    throw new Error('network did not settle');
  }

  /** Cut every connection at once (a server crash): frames in transit are lost. */
  killAll() {
    for (const l of [...this.links]) this.kill(l);
  }

  kill(link) {
    link.dead = true;
    link.toServer.length = 0;
    link.toClient.length = 0;
    link.conn?.close();
    link.conn = null;
    link.toClient.push({ kind: 'close', code: 1006 });
  }
}


/** A WorkshopStore wired to the simulated network, as main.js wires the real one. */
export function makeClient(net, clock, { workshopId, name, organisation, key = null, persist = null, random = Math.random }) {
  let online = true;
  const store = new WorkshopStore({
    workshopId,
    profile: { name, organisation },
    key,
    persist,
    timers: clock,
    now: clock.now,
    createSession: (getJoin) => new Session({
      connection: new Connection({ url: 'ws://sim/ws', WebSocket: net.WebSocket, timers: clock, now: clock.now, random }),
      getJoin,
      timers: clock,
      now: clock.now,
      online: () => online,
    }),
  });
  store.setBrowserOnline = (on) => { online = on; store.setOnline(on); };
  return store;
}

/** In-memory stand-in for localStorage/sessionStorage persistence of one workshop. */
export function memoryPersist() {
  const box = { state: null, token: null };
  return {
    box,
    load: () => (box.state ? JSON.parse(JSON.stringify(box.state)) : null),
    save: (s) => { box.state = JSON.parse(JSON.stringify(s)); },
    loadToken: () => box.token,
    saveToken: (t) => { box.token = t; },
    dropToken: () => { box.token = null; },
  };
}
