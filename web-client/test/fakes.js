// Test doubles shared by the web unit tests.
import { Emitter } from '../src/emitter.js';

/** A Session the test drives: welcome(m) joins, deliver(m) brings a message, sent holds what went out. */
export class FakeSession extends Emitter {
  constructor() {
    super();
    this.joined = false;
    this.sent = [];
    this.status = 'connecting';
    this.stopped = false;
    this.barriers = [];
  }

  start() {}
  stop() { this.stopped = true; this.joined = false; }
  send(m) { if (!this.joined) return false; this.sent.push(m); return true; }
  barrier(fn) { this.barriers.push(fn); }
  resync() {}
  get retryAt() { return null; }
  welcome(m) {
    this.joined = true;
    this.status = 'connected';
    this.emit('welcome', m, {});
  }
  deliver(m) { this.emit('message', m); }
}
