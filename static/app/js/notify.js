// Notifications: the service worker and this browser's push subscription, the
// notifications shown while a tab is open, the unread count in the tab's title
// and icon, and the `presence.visible` reports that keep the server from pushing
// to someone who is reading.

import { toast } from './dom.js';

/** The server's id of this browser's subscription, removed at sign-out. */
const SUBSCRIPTION_KEY = 'veza.push.subscription';
/** "Until I turn it back on". */
export const FOREVER = '9999-12-31T23:59:59.000Z';
/** The server forgets a "visible" report after 60 s: repeat it well before. */
const VISIBLE_EVERY_MS = 30000;

function fromBase64Url(text) {
  const padded = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4);
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}

function sameKey(subscription, publicKey) {
  const key = subscription.options?.applicationServerKey;
  if (!key) return false;
  const mine = new Uint8Array(key);
  const theirs = fromBase64Url(publicKey);
  return mine.length === theirs.length && mine.every((b, i) => b === theirs[i]);
}

/** Whether a stored "until" timestamp is still ahead. */
export function isFuture(until) {
  return !!until && until > new Date().toISOString();
}

export class Notifier {
  constructor(app) {
    this.app = app;
    this.prefs = { default_level: 'mentions', dnd_until: null };
    this.registration = null;
    /** 'push' (the server reaches this browser), 'tab' (only while a tab is open) or null. */
    this.mode = null;
    this.unread = 0;
    this.baseTitle = 'Veza';
    this.icon = null;
    if ('serviceWorker' in navigator) {
      navigator.serviceWorker.addEventListener('message', (e) => {
        if (e.data?.type === 'veza.open' && typeof e.data.url === 'string' && e.data.url.startsWith('/')) this.app.go(e.data.url);
      });
    }
    const report = () => this.reportVisibility();
    document.addEventListener('visibilitychange', report);
    window.addEventListener('focus', report);
    window.addEventListener('blur', report);
  }

  static get supported() {
    return 'serviceWorker' in navigator && 'Notification' in window && window.isSecureContext;
  }

  /** What this browser allows: granted, denied, default, or unsupported. */
  get permission() {
    return Notifier.supported ? Notification.permission : 'unsupported';
  }

  /** After sign-in: preferences, and the subscription renewed if allowed before. */
  async start() {
    this.app.api.get('users/me/notifications').then((p) => { this.prefs = p; }).catch(() => {});
    clearInterval(this.visibleTimer);
    this.visibleTimer = setInterval(() => { if (this.inView()) this.reportVisibility(); }, VISIBLE_EVERY_MS);
    if (this.permission === 'granted') await this.setUp().catch(() => {});
  }

  stop() {
    clearInterval(this.visibleTimer);
    this.setUnread(0);
  }

  /** The "Enable notifications" button: asks the browser (after a click only). */
  async enable() {
    if (!Notifier.supported) throw new Error('This browser cannot show notifications here (it needs https).');
    const permission = await Notification.requestPermission();
    if (permission !== 'granted') {
      throw new Error(permission === 'denied'
        ? 'Notifications are blocked for this site; allow them in the browser\'s site settings.'
        : 'Notifications were not allowed.');
    }
    return this.setUp();
  }

  /** Registers the service worker and this browser's push subscription. */
  async setUp() {
    this.registration = await navigator.serviceWorker.register('/sw.js', { scope: '/' });
    await navigator.serviceWorker.ready;
    try {
      const { public_key: publicKey } = await this.app.api.get('push/vapid-public-key');
      const manager = this.registration.pushManager;
      let subscription = await manager.getSubscription();
      if (subscription && !sameKey(subscription, publicKey)) {
        await subscription.unsubscribe();
        subscription = null;
      }
      subscription ??= await manager.subscribe({ userVisibleOnly: true, applicationServerKey: fromBase64Url(publicKey) });
      const saved = await this.app.api.post('push/subscriptions', subscription.toJSON());
      localStorage.setItem(SUBSCRIPTION_KEY, String(saved.id));
      this.mode = 'push';
      this.pushProblem = null;
    } catch (e) {
      // No push service reachable (offline, a browser without one) or push is
      // off on this server: notifications still show while a tab is open.
      this.mode = 'tab';
      this.pushProblem = e.message;
    }
    return this.mode;
  }

  /** Sign-out: this browser stops receiving pushes for this account. */
  async signOut() {
    this.stop();
    const id = localStorage.getItem(SUBSCRIPTION_KEY);
    localStorage.removeItem(SUBSCRIPTION_KEY);
    if (id) await this.app.api.del(`push/subscriptions/${id}`).catch(() => {});
    const subscription = await this.registration?.pushManager.getSubscription().catch(() => null);
    await subscription?.unsubscribe().catch(() => {});
    this.mode = null;
  }

  inView() {
    return !document.hidden && document.hasFocus();
  }

  /** Tells the server whether this page is being looked at. */
  reportVisibility() {
    this.app.live.send({ type: 'presence.visible', visible: this.inView() });
  }

  /** Why `frame` (a new message) calls for a notification, or null. */
  reason(frame) {
    const m = frame.data;
    const me = this.app.me;
    if (!me || m.author_id === me.id || isFuture(this.prefs.dnd_until)) return null;
    const level = this.prefs.default_level;
    if (frame.conversation_id) return level === 'none' ? null : 'direct';
    const room = this.app.sidebar?.rooms.get(frame.room_id);
    if (!room || isFuture(room.muted_until)) return null;
    const own = room.notification_level && room.notification_level !== 'default' ? room.notification_level : level;
    if (own === 'none') return null;
    if ((m.mentions || []).includes(me.id)) return 'mention';
    return own === 'all' ? 'message' : null;
  }

  /**
   * A new message while this tab is open. When the page is in view but showing
   * another place, the server does not push (the user is reading): the tab shows
   * the notification. When the page is hidden, the server's push does, unless
   * this browser has no push service.
   */
  async messageArrived(frame) {
    if (this.permission !== 'granted') return;
    const place = frame.room_id ? { kind: 'room', id: frame.room_id } : { kind: 'dm', id: frame.conversation_id };
    const cur = this.app.current;
    const here = cur && cur.kind === place.kind && cur.id === place.id;
    if (this.inView() && here) return;
    if (!this.inView() && this.mode === 'push') return;
    if (!this.reason(frame)) return;
    // Set up at sign-in, or still setting up (a page just loaded).
    const registration = this.registration ?? await navigator.serviceWorker.getRegistration('/');
    if (!registration) return;
    const m = frame.data;
    const room = frame.room_id ? this.app.sidebar?.rooms.get(frame.room_id) : null;
    const title = room ? `${m.username} in #${room.name}` : m.username;
    const body = (m.content || (m.attachments?.length ? 'sent a file' : '')).slice(0, 300);
    const path = room ? `/rooms/${room.id}` : `/dm/${frame.conversation_id}`;
    await registration.showNotification(title, {
      body,
      tag: room ? `room-${room.id}` : `dm-${frame.conversation_id}`,
      data: { url: `${path}?at=${m.parent_message_id ?? m.id}`, message_id: m.id },
    }).catch((e) => toast(`Notification not shown: ${e.message}`, 'error'));
  }

  /** The page's title, with the unread count in front of it. */
  setTitle(title) {
    this.baseTitle = title;
    document.title = this.unread > 0 ? `(${this.unread > 99 ? '99+' : this.unread}) ${title}` : title;
  }

  /** Unread messages of rooms not muted and of conversations: title and icon. */
  setUnread(count) {
    if (count === this.unread) return;
    this.unread = count;
    this.setTitle(this.baseTitle);
    this.drawIcon();
  }

  async drawIcon() {
    const link = document.querySelector('link[rel="icon"]');
    if (!link) return;
    this.originalIcon ??= link.getAttribute('href');
    if (this.unread === 0) {
      link.setAttribute('href', this.originalIcon);
      return;
    }
    try {
      this.iconText ??= await (await fetch(this.originalIcon)).text();
    } catch {
      return;
    }
    const label = this.unread > 9 ? '9+' : String(this.unread);
    // The icon's box is 32 × 32: a red disc in the top right corner.
    const badge = '<circle cx="24" cy="8" r="8" fill="#c62828"/>'
      + `<text x="24" y="12" font-size="11" font-family="sans-serif" font-weight="700" text-anchor="middle" fill="#fff">${label}</text>`;
    const svg = this.iconText.replace(/<\/svg>\s*$/, `${badge}</svg>`);
    link.setAttribute('href', `data:image/svg+xml,${encodeURIComponent(svg)}`);
  }
}
