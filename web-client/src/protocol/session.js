// A workshop session over a Connection: join (or resume) on every open,
// keep the link alive with pings, sort join errors into "retry", "retry
// without the token" and "give up", and report one connection status for the
// page: connecting | connected | reconnecting | offline | failed.
//
// Events: welcome (m, {resumed}), message (m), status, disconnected,
// token-rejected, fatal, and clock (serverNow, sentAt, receivedAt): a pong's
// server time, with when its ping left and when it came (local clock).
import { Emitter } from '../emitter.js';
import { ErrorCode, join as joinMsg, ping as pingMsg } from './messages.js';

export const HEARTBEAT_MS = 15000;
export const DEAD_AFTER_MS = 10000; // silence after a ping before we call the link dead
export const JOIN_TIMEOUT_MS = 15000;
// Pings for the server's clock (their pongs carry its time): soon after each
// welcome, twice (the first may meet a page still busy with the welcome),
// then every minute; the shortest round trips make the best samples.
export const CLOCK_PINGS_MS = [1000, 5000];
export const CLOCK_EVERY_MS = 60000;

export class Session extends Emitter {
  /**
   * getJoin() returns the join fields ({workshop, name, organisation, key,
   * resume}) at the moment of each (re)connection.
   */
  constructor({ connection, getJoin, timers = globalThis, now = Date.now, online = () => true }) {
    super();
    this.conn = connection;
    this.getJoin = getJoin;
    this.timers = timers;
    this.now = now;
    this.online = online;
    this.joined = false;
    this.everJoined = false;
    this.failed = null;
    this.status = 'connecting';
    this.nextId = 1;
    this.joinId = null;
    this.joinHadResume = false;
    this.lastHeard = 0;
    this.pingOut = false;
    this.hbTimer = null;
    this.joinTimer = null;
    this.barriers = new Map(); // ping id -> fn, called on its pong
    this.pingsOut = new Map(); // ping id -> local time it left (for the clock)
    this.clockTimer = null;

    connection.on('open', () => this._onOpen());
    connection.on('message', (m) => this._onMessage(m));
    connection.on('close', () => this._onClose());
    connection.on('state', () => this._updateStatus());
  }

  start() {
    this.conn.start();
  }

  stop() {
    this._stopTimers();
    this.joined = false;
    this.conn.stop();
  }

  /** Send a message of the joined session; false when not joined (caller keeps it). */
  send(m) {
    if (!this.joined) return false;
    return this.conn.send(m);
  }

  /**
   * Call fn once the server has answered everything sent before now: a
   * ping whose pong comes after every message the server queued before it
   * (the messages that follow a welcome, for one). Dropped if the link
   * drops first: the next welcome asks again.
   */
  barrier(fn) {
    if (!this.joined) return;
    const id = `sync-${this.nextId++}`;
    if (this._ping(id)) this.barriers.set(id, fn);
  }

  /** Send ping `id`, noting when it left; false when it could not go. */
  _ping(id) {
    const sentAt = this.now();
    if (!this.conn.send(pingMsg(id))) return false;
    this.pingsOut.set(id, sentAt);
    return true;
  }

  _startClockPings() {
    this._clearClockPings();
    let n = 0;
    const next = () => {
      const delay = n < CLOCK_PINGS_MS.length ? CLOCK_PINGS_MS[n] - (n ? CLOCK_PINGS_MS[n - 1] : 0) : CLOCK_EVERY_MS;
      n++;
      this.clockTimer = this.timers.setTimeout(() => {
        this.clockTimer = null;
        if (!this.joined) return;
        this._ping(`clock-${this.nextId++}`);
        next();
      }, delay);
    };
    next();
  }

  _clearClockPings() {
    if (this.clockTimer != null) this.timers.clearTimeout(this.clockTimer);
    this.clockTimer = null;
  }

  /** Rejoin at once with resume (after `stale`, or a gap in revisions). */
  resync() {
    if (this.failed) return;
    this.joined = false;
    this.conn.drop({ immediate: true });
  }

  /** Reconnect now instead of waiting for the backoff (the "retry now" button). */
  retryNow() {
    if (this.failed) return;
    if (this.conn.state === 'waiting' || this.conn.state === 'paused') this.conn.resume();
  }

  setOnline(isOnline) {
    if (this.failed) return;
    if (isOnline) this.conn.resume();
    else {
      this.joined = false;
      this.conn.pause();
    }
    this._updateStatus();
  }

  get retryAt() {
    return this.conn.retryAt;
  }

  _onOpen() {
    this.lastHeard = this.now();
    const fields = this.getJoin();
    this.joinId = this.nextId++;
    this.joinHadResume = !!fields.resume;
    this.conn.send(joinMsg({ ...fields, id: this.joinId }));
    this._clearJoinTimer();
    this.joinTimer = this.timers.setTimeout(() => {
      this.joinTimer = null;
      if (!this.joined) this.conn.drop();
    }, JOIN_TIMEOUT_MS);
    this._updateStatus();
  }

  _onClose() {
    const was = this.joined;
    this.joined = false;
    this.barriers.clear();
    this.pingsOut.clear();
    this._stopTimers();
    if (was) this.emit('disconnected');
    this._updateStatus();
  }

  _onMessage(m) {
    this.lastHeard = this.now();
    this.pingOut = false;
    if (!this.joined) {
      if (m.type === 'welcome') {
        this._clearJoinTimer();
        this.joined = true;
        const resumed = this.everJoined;
        this.everJoined = true;
        this.conn.resetBackoff();
        this._startHeartbeat();
        this._startClockPings();
        this._updateStatus();
        this.emit('welcome', m, { resumed });
        return;
      }
      if (m.type === 'error' && (m.re === 'join' || m.id === this.joinId)) {
        this._joinError(m);
        return;
      }
      // Anything else before the welcome is noise from an older connection.
      return;
    }
    if (m.type === 'pong') {
      const sentAt = this.pingsOut.get(m.id);
      this.pingsOut.delete(m.id);
      if (sentAt !== undefined && Number.isFinite(m.now)) this.emit('clock', m.now, sentAt, this.lastHeard);
      const fn = this.barriers.get(m.id);
      if (fn) {
        this.barriers.delete(m.id);
        fn();
      }
      return;
    }
    this.emit('message', m);
  }

  _joinError(m) {
    this._clearJoinTimer();
    switch (m.code) {
      case ErrorCode.UNAVAILABLE:
      case ErrorCode.INTERNAL:
      case ErrorCode.RATE_LIMITED:
        this.conn.drop();
        return;
      case ErrorCode.FORBIDDEN:
      case ErrorCode.BAD_REQUEST:
        if (this.joinHadResume) {
          // The token is not (or no longer) valid here: join afresh.
          this.emit('token-rejected', m);
          this.conn.drop({ immediate: true });
          return;
        }
        this._fail(m.code === ErrorCode.FORBIDDEN ? 'forbidden' : 'bad_request', m.message);
        return;
      case ErrorCode.NOT_FOUND:
        this._fail('not_found', m.message);
        return;
      default:
        this._fail(m.code, m.message);
    }
  }

  _fail(code, message) {
    this.failed = { code, message };
    this._stopTimers();
    this.conn.stop();
    this._updateStatus();
    this.emit('fatal', this.failed);
  }

  _startHeartbeat() {
    this._clearHeartbeat();
    const tick = () => {
      this.hbTimer = null;
      if (!this.joined) return;
      const idle = this.now() - this.lastHeard;
      if (this.pingOut && idle >= HEARTBEAT_MS + DEAD_AFTER_MS) {
        this.conn.drop();
        return;
      }
      if (!this.pingOut && idle >= HEARTBEAT_MS) {
        this.pingOut = true;
        this._ping(`hb-${this.nextId++}`);
      }
      this.hbTimer = this.timers.setTimeout(tick, this.pingOut ? DEAD_AFTER_MS : HEARTBEAT_MS / 3);
    };
    this.hbTimer = this.timers.setTimeout(tick, HEARTBEAT_MS / 3);
  }

  _clearHeartbeat() {
    if (this.hbTimer != null) this.timers.clearTimeout(this.hbTimer);
    this.hbTimer = null;
    this.pingOut = false;
  }

  _clearJoinTimer() {
    if (this.joinTimer != null) this.timers.clearTimeout(this.joinTimer);
    this.joinTimer = null;
  }

  _stopTimers() {
    this._clearHeartbeat();
    this._clearJoinTimer();
    this._clearClockPings();
  }

  _updateStatus() {
    let s;
    if (this.failed) s = 'failed';
    else if (this.joined) s = 'connected';
    else if (!this.online() || this.conn.state === 'paused') s = 'offline';
    else if (!this.everJoined) s = 'connecting';
    else s = 'reconnecting';
    if (s !== this.status) {
      const prev = this.status;
      this.status = s;
      this.emit('status', s, prev);
    } else if (s === 'reconnecting') {
      this.emit('status', s, s); // retryAt moved
    }
  }
}
