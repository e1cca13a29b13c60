// The observer link in the facilitator's share panel (protocol/agreement.md,
// "The observer link"): create it in one step, copy it, revoke it after a
// confirmation (everyone watching through it is disconnected). The key
// comes from the welcome (`observer_key`) and the `observer_link` replies,
// so it is shown again after a reload.
import { h } from './dom.js';
import { copyField } from './forms.js';

export class ObserverLinkView {
  /** linkFor(key) -> the address observers open. */
  constructor({ store, i18n, announce, linkFor }) {
    this.store = store;
    this.i18n = i18n;
    this.announce = announce;
    this.linkFor = linkFor;
    this.busy = false;
    this.confirming = false;
    this.error = null;
    this.el = h('div', { class: 'field observer-link', id: 'observer-link-field', role: 'group', 'aria-labelledby': 'observer-link-title' });
    this.offs = [
      store.on('observerLink', () => { this.busy = false; this.render(); }),
      i18n.on('change', () => this.render()),
    ];
    this.render();
  }

  destroy() {
    for (const off of this.offs) off();
  }

  _act(action, focusId) {
    if (this.busy) return;
    this.busy = true;
    this.error = null;
    this.render();
    this.store.observerLink(action).then((res) => {
      this.busy = false;
      if (res.error) this.error = res.error === 'offline' || res.error === 'disconnected' ? 'observer.errOffline' : 'observer.errFailed';
      else {
        this.confirming = false;
        this.announce(this.i18n.t(action === 'create' ? 'observer.announceCreated' : 'observer.announceRevoked'));
      }
      this.render();
      document.getElementById(res.error ? focusId : action === 'create' ? 'observer-link' : 'observer-create')?.focus();
    });
  }

  render() {
    const { i18n, store } = this;
    const key = store.observerLinkKey;
    const title = h('span', { class: 'field-label', id: 'observer-link-title', text: i18n.t('observer.linkLabel') });
    const parts = [];
    const button = (id, labelKey, cls, onClick) => {
      const b = h('button', { type: 'button', id, class: cls, text: i18n.t(labelKey) });
      if (this.busy) b.setAttribute('aria-disabled', 'true');
      b.addEventListener('click', () => { if (b.getAttribute('aria-disabled') !== 'true') onClick(); });
      return b;
    };
    if (key) {
      const field = copyField(i18n, { labelKey: 'observer.linkLabel', hintKey: 'observer.linkHint', value: this.linkFor(key), announce: this.announce, idPrefix: 'observer' });
      parts.push(field);
      if (this.confirming) {
        const ask = h('p', { class: 'confirm-text', id: 'observer-revoke-text', text: i18n.t('observer.revokeConfirm') });
        const yes = button('observer-revoke-yes', 'observer.revokeYes', 'danger', () => this._act('revoke', 'observer-revoke-yes'));
        yes.setAttribute('aria-describedby', 'observer-revoke-text');
        const no = button('observer-revoke-no', 'observer.revokeNo', 'secondary', () => {
          this.confirming = false;
          this.render();
          document.getElementById('observer-revoke')?.focus();
        });
        const box = h('div', { class: 'confirm', role: 'group', 'aria-labelledby': 'observer-revoke-text' }, ask, h('div', { class: 'actions' }, yes, no));
        box.addEventListener('keydown', (e) => { if (e.key === 'Escape') no.click(); });
        parts.push(box);
      } else {
        parts.push(button('observer-revoke', 'observer.revoke', 'link-button', () => {
          this.confirming = true;
          this.render();
          document.getElementById('observer-revoke-yes')?.focus();
        }));
      }
      this.el.replaceChildren(...parts);
      this.el.removeAttribute('aria-labelledby');
      this.el.removeAttribute('role');
    } else {
      const hint = h('p', { class: 'field-hint', id: 'observer-create-hint', text: i18n.t('observer.createHint') });
      const create = button('observer-create', 'observer.create', 'secondary', () => this._act('create', 'observer-create'));
      create.setAttribute('aria-describedby', 'observer-create-hint');
      this.el.setAttribute('role', 'group');
      this.el.setAttribute('aria-labelledby', 'observer-link-title');
      this.el.replaceChildren(title, hint, create);
    }
    if (this.error) this.el.append(h('p', { class: 'form-error', role: 'alert', text: i18n.t(this.error) }));
  }
}
