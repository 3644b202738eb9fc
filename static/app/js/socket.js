// The live connection: one WebSocket, reconnected with backoff. After a drop the
// app is told (`onResume`) so that it catches up over REST with `after_id`.

const PING_EVERY_MS = 25000;

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
  }

  on(type, handler) {
    if (!this.handlers.has(type)) this.handlers.set(type, []);
    this.handlers.get(type).push(handler);
  }

  start() {
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.pingTimer);
    if (this.ws) this.ws.close(1000);
    this.ws = null;
  }

  async connect() {
    if (this.stopped) return;
    // A token that expired while the socket was down would be refused: refresh first.
    if (this.attempt > 0) await this.api.refresh();
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
      if (resumed) this.onResume();
    };
    ws.onmessage = (event) => {
      let frame;
      try { frame = JSON.parse(event.data); } catch { return; }
      for (const handler of this.handlers.get(frame.type) || []) handler(frame);
    };
    ws.onclose = () => {
      clearInterval(this.pingTimer);
      if (this.ws !== ws || this.stopped) return;
      this.onStatus('offline');
      const delay = Math.min(30000, 1000 * 2 ** this.attempt) * (0.5 + Math.random() / 2);
      this.attempt += 1;
      this.retryTimer = setTimeout(() => this.connect(), delay);
    };
  }

  send(frame) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(frame));
  }
}
