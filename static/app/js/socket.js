// The live connection: one WebSocket, reconnected with backoff. After a drop the
// app is told (`onResume`) so that it catches up over REST with `after_id`.
// The server closes a socket whose access token expires: the token is refreshed
// a minute before and the fresh one sent in an `auth` frame.

const PING_EVERY_MS = 25000;
const RENEW_BEFORE_MS = 60000;
// Close codes of docs/REALTIME.md.
const SESSION_ENDED = 4001;
const TOKEN_EXPIRED = 4002;

/** When a JWT expires, in milliseconds since the epoch (null if unreadable). */
function expiryOf(token) {
  try {
    const payload = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(payload)).exp * 1000;
  } catch {
    return null;
  }
}

export class Live {
  constructor(api) {
    this.api = api;
    this.ws = null;
    this.handlers = new Map();
    this.attempt = 0;
    this.stopped = true;
    this.everOpen = false;
    this.onStatus = () => {};
    this.onResume = () => {};
    this.onFirstReady = () => {};
    this.readyAt = null;
    this.everReady = false;
    // Every new access token (a refresh by any call) renews the open socket.
    api.onTokens = (token) => {
      this.send({ type: 'auth', token });
      this.scheduleRenewal();
    };
  }

  /** Refreshes the token a minute before it expires (the answer renews the socket). */
  scheduleRenewal() {
    clearTimeout(this.renewTimer);
    const expires = expiryOf(this.api.accessToken || '');
    if (!expires || this.stopped) return;
    const wait = Math.max(5000, expires - Date.now() - RENEW_BEFORE_MS);
    this.renewTimer = setTimeout(() => this.api.refresh().catch(() => {}), wait);
  }

  on(type, handler) {
    if (!this.handlers.has(type)) this.handlers.set(type, []);
    this.handlers.get(type).push(handler);
  }

  start() {
    if (!this.watching) {
      // Back online, or back to the tab: try at once rather than at the end of
      // a backoff that may have grown to half a minute.
      this.watching = true;
      window.addEventListener('online', () => this.retryNow());
      document.addEventListener('visibilitychange', () => { if (!document.hidden) this.retryNow(); });
    }
    this.stopped = false;
    this.everReady = false;
    this.readyAt = null;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.renewTimer);
    clearInterval(this.pingTimer);
    if (this.ws) this.ws.close(1000);
    this.ws = null;
  }

  /** Opens the socket, once at a time (a retry and a wake-up may race). */
  async connect() {
    if (this.connecting) return;
    this.connecting = true;
    try { await this.open(); } finally { this.connecting = false; }
  }

  async open() {
    if (this.stopped) return;
    // A token that expired while the socket was down would be refused: refresh
    // first. While the server cannot be reached the refresh throws: try later.
    if (this.attempt > 0) {
      let refreshed;
      try {
        refreshed = await this.api.refresh();
      } catch {
        this.retryLater();
        return;
      }
      if (this.stopped) return;
      if (!refreshed && this.api.hasRefreshToken()) {
        this.retryLater(); // the server answered but could not refresh now (a 503)
        return;
      }
      if (!refreshed) {
        this.stop();
        this.api.onSignedOut();
        return;
      }
    }
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const url = `${scheme}://${location.host}/api/v1/ws?token=${encodeURIComponent(this.api.accessToken || '')}`;
    const ws = new WebSocket(url);
    this.ws = ws;
    this.onStatus('connecting');
    ws.onopen = () => {
      const resumed = this.everOpen;
      this.attempt = 0;
      this.everOpen = true;
      this.onStatus('online');
      clearInterval(this.pingTimer);
      this.pingTimer = setInterval(() => this.send({ type: 'ping' }), PING_EVERY_MS);
      this.scheduleRenewal();
      if (resumed) this.onResume();
    };
    ws.onmessage = (event) => {
      let frame;
      try { frame = JSON.parse(event.data); } catch { return; }
      if (frame.type === 'ready') {
        // The server registers a socket before its `ready` frame: from now on
        // nothing is missed. What a view read before this may lack is caught up.
        this.readyAt = performance.now();
        if (!this.everReady) {
          this.everReady = true;
          this.onFirstReady();
        }
      }
      for (const handler of this.handlers.get(frame.type) || []) handler(frame);
    };
    ws.onclose = (event) => {
      clearInterval(this.pingTimer);
      if (this.ws !== ws || this.stopped) return;
      this.onStatus('offline');
      // An expired token or an ended session: refresh (or learn the session is
      // gone) at once rather than after a backoff.
      const now = event.code === TOKEN_EXPIRED || event.code === SESSION_ENDED;
      this.retryLater(now ? 0 : undefined);
    };
  }

  /** Reconnects now if the socket is down (not while one is open or opening). */
  retryNow() {
    if (this.stopped || this.connecting) return;
    const state = this.ws?.readyState;
    if (state === WebSocket.OPEN || state === WebSocket.CONNECTING) return;
    clearTimeout(this.retryTimer);
    this.connect();
  }

  retryLater(delay) {
    this.onStatus('offline');
    const wait = delay ?? Math.min(30000, 1000 * 2 ** this.attempt) * (0.5 + Math.random() / 2);
    this.attempt += 1;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.connect(), wait);
  }

  send(frame) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(frame));
  }
}
