// The connection state, always visible in the top bar: connected,
// connecting, reconnecting (with the next attempt and a "retry now"
// button), offline; plus how many edits wait to be sent. Losing and
// regaining the connection is also said through the live region.
import { h } from './dom.js';

export class StatusView {
  constructor({ store, i18n, announce }) {
    this.store = store;
    this.i18n = i18n;
    this.announce = announce;
    this.state = { status: 'connecting', unsent: 0, retryAt: null };
    this.wasConnected = false;
    this.dot = h('span', { class: 'status-dot', 'aria-hidden': 'true' });
    this.label = h('span', { class: 'status-label' });
    this.detail = h('span', { class: 'status-detail' });
    this.retry = h('button', { type: 'button', class: 'link-button status-retry', hidden: true, on: { click: () => store.retryNow() } });
    i18n.bind(this.retry, 'status.retryNow');
    this.el = h('div', { class: 'status status-connecting', id: 'connection-status' }, this.dot, this.label, this.detail, this.retry);
    this.tick = null;
    this.offs = [
      store.on('status', (s) => this.update(s)),
      i18n.on('change', () => this.render()),
    ];
    this.render();
  }

  destroy() {
    for (const off of this.offs) off();
    clearInterval(this.tick);
  }

  update(s) {
    const prev = this.state.status;
    this.state = s;
    if (prev !== s.status) {
      if (s.status === 'connected') {
        if (this.wasConnected && prev !== 'connecting') this.announce(this.i18n.t('announce.restored'));
        this.wasConnected = true;
      } else if (this.wasConnected && prev === 'connected') {
        this.announce(this.i18n.t(s.status === 'offline' ? 'announce.offline' : 'announce.lost'));
      }
    }
    this.render();
  }

  render() {
    const { status, unsent, retryAt } = this.state;
    const { i18n } = this;
    this.el.className = `status status-${status}`;
    this.label.textContent = i18n.t(`status.${status}`);
    let detail = '';
    if (status === 'reconnecting' && retryAt) {
      const secs = Math.max(0, Math.ceil((retryAt - Date.now()) / 1000));
      detail = secs > 0 ? i18n.t('status.retryIn', { count: secs }) : '';
    }
    if (this.state.held) detail = i18n.t('status.held');
    else if (unsent > 0 && status !== 'connected') detail = [detail, i18n.t('status.unsent')].filter(Boolean).join(' · ');
    else if (unsent > 0) detail = i18n.t(this.state.delayed ? 'status.delayed' : 'status.sending');
    // One line on a phone: the detail is cut with an ellipsis there, and
    // said whole to screen readers and on hover.
    if (detail) this.detail.title = detail;
    else this.detail.removeAttribute('title');
    this.el.classList.toggle('status-delayed', status === 'connected' && !!this.state.delayed);
    this.detail.textContent = detail;
    this.retry.hidden = !(status === 'reconnecting' || status === 'offline');
    clearInterval(this.tick);
    this.tick = null;
    if (status === 'reconnecting' && retryAt && retryAt > Date.now()) {
      this.tick = setInterval(() => this.render(), 1000);
    }
  }
}
