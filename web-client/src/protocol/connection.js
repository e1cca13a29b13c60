// One WebSocket at a time, reopened with exponential backoff and jitter when
// it drops. Knows nothing of the protocol beyond JSON text frames. The
// WebSocket class and the timers are injected so tests can drive it.
import { Emitter } from '../emitter.js';
import { encode, parse, SUBPROTOCOL } from './messages.js';

export const BACKOFF = { base: 500, max: 15000 };

/** Delay before attempt n (0-based), with full jitter in the upper half so clients spread out. */
export function backoffDelay(attempt, random = Math.random, { base, max } = BACKOFF) {
  const ceiling = Math.min(max, base * 2 ** Math.min(attempt, 20));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

export class Connection extends Emitter {
  constructor({ url, WebSocket, timers = globalThis, random = Math.random, now = Date.now, backoff = BACKOFF }) {
    super();
    this.url = url;
    this.WebSocket = WebSocket;
    this.timers = timers;
    this.random = random;
    this.now = now;
    this.backoff = backoff;
    this.ws = null;
    this.state = 'idle'; // idle | connecting | open | waiting | paused | stopped
    this.attempt = 0;
    this.retryAt = null;
    this.timer = null;
  }

  _setState(s) {
    if (this.state === s) return;
    this.state = s;
    this.emit('state', s);
  }

  start() {
    if (this.state === 'stopped') return;
    this._connect();
  }

  _connect() {
    this._clearTimer();
    this._closeSocket();
    this.retryAt = null;
    this._setState('connecting');
    let ws;
    try {
      ws = new this.WebSocket(this.url, SUBPROTOCOL);
    } catch {
      this._scheduleRetry();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      if (this.ws !== ws) return;
      this._setState('open');
      this.emit('open');
    };
    ws.onmessage = (ev) => {
      if (this.ws !== ws) return;
      const m = parse(ev.data);
      if (m) this.emit('message', m);
      else this.emit('garbage', ev.data);
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      const wasOpen = this.state === 'open';
      this.emit('close', { code: ev && ev.code, wasOpen });
      if (this.state === 'open' || this.state === 'connecting') this._scheduleRetry();
    };
    ws.onerror = () => {
      // A close event always follows; nothing to do here.
    };
  }

  _closeSocket() {
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
      try { ws.close(1000); } catch { /* already closing */ }
    }
  }

  _clearTimer() {
    if (this.timer != null) this.timers.clearTimeout(this.timer);
    this.timer = null;
  }

  _scheduleRetry(delay) {
    this._clearTimer();
    const d = delay ?? backoffDelay(this.attempt, this.random, this.backoff);
    this.attempt++;
    this.retryAt = this.now() + d;
    this._setState('waiting');
    this.timer = this.timers.setTimeout(() => {
      this.timer = null;
      this._connect();
    }, d);
  }

  get isOpen() {
    return this.state === 'open' && this.ws != null;
  }

  send(msg) {
    if (!this.isOpen) return false;
    try {
      this.ws.send(encode(msg));
      return true;
    } catch {
      return false;
    }
  }

  /** Close the socket and reconnect: after the backoff delay, or at once. */
  drop({ immediate = false } = {}) {
    if (this.state === 'stopped' || this.state === 'paused') return;
    this._closeSocket();
    this.emit('close', { code: 1000, wasOpen: this.state === 'open' });
    this._scheduleRetry(immediate ? 0 : undefined);
  }

  /** A successful session: the next failure starts the backoff from scratch. */
  resetBackoff() {
    this.attempt = 0;
  }

  /** The browser says it is offline: stop trying until resume(). */
  pause() {
    if (this.state === 'stopped') return;
    this._clearTimer();
    const wasOpen = this.state === 'open';
    this._closeSocket();
    this.retryAt = null;
    this._setState('paused');
    this.emit('close', { code: 1001, wasOpen });
  }

  /** Back online, or the user asked to retry now. */
  resume() {
    if (this.state === 'stopped') return;
    if (this.state === 'open' || this.state === 'connecting') return;
    this.attempt = 0;
    this._connect();
  }

  stop() {
    this._clearTimer();
    this._closeSocket();
    this.retryAt = null;
    this._setState('stopped');
  }
}
