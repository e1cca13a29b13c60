// A minimal event emitter (EventTarget would do in browsers, but this also
// runs in Node's test runner without polyfills and keeps payloads plain).
export class Emitter {
  constructor() {
    this._handlers = new Map();
  }

  on(event, fn) {
    if (!this._handlers.has(event)) this._handlers.set(event, new Set());
    this._handlers.get(event).add(fn);
    return () => this._handlers.get(event)?.delete(fn);
  }

  emit(event, ...args) {
    const hs = this._handlers.get(event);
    if (!hs) return;
    for (const fn of [...hs]) fn(...args);
  }
}
