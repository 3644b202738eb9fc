// The real-time client: the WebSocket's frames as an async iterator, reconnected
// with backoff and caught up over REST after each reconnect. Uses the global
// `WebSocket` (browsers, Node 22+, Node 20 with --experimental-websocket), or the
// one given as `options.WebSocket`.

import { VezaError } from './transport.js';

/** Close codes of the server (docs/REALTIME.md). */
export const SESSION_ENDED = 4001;
export const TOKEN_EXPIRED = 4002;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export class Realtime {
  constructor(client, { WebSocket: impl, maxBackoffMs = 30000 } = {}) {
    this.client = client;
    this.WebSocket = impl || globalThis.WebSocket;
    if (!this.WebSocket) throw new TypeError('no WebSocket: pass options.WebSocket (Node 18-21)');
    this.maxBackoffMs = maxBackoffMs;
    this.lastSeen = new Map(); // "room_id:5" → the newest message id heard
    this.queue = [];
    this.waiting = null;
    this.ws = null;
    this.closed = false;
    this.attempt = 0;
  }

  url() {
    const root = this.client.transport.root.replace(/^http/, 'ws');
    return `${root}/api/v1/ws?token=${encodeURIComponent(this.client.transport.token || '')}`;
  }

  /** Opens the socket; resolves with the `ready` frame. */
  connect() {
    return new Promise((resolve, reject) => {
      const ws = new this.WebSocket(this.url());
      let ready = false;
      ws.onmessage = (event) => {
        const frame = JSON.parse(event.data);
        if (!ready) {
          ready = true;
          resolve(frame);
          return;
        }
        this.note(frame);
        this.push({ frame });
      };
      ws.onclose = (event) => {
        if (this.ws === ws) this.ws = null;
        if (!ready) {
          reject(new Error(`connection closed (${event.code})`));
        } else {
          this.push({ closed: event.code });
        }
      };
      ws.onerror = () => {};
      this.ws = ws;
    });
  }

  send(frame) {
    if (this.ws && this.ws.readyState === 1) this.ws.send(JSON.stringify(frame));
  }

  close() {
    this.closed = true;
    if (this.ws) this.ws.close(1000);
    this.push({ closed: 1000 });
  }

  push(item) {
    this.queue.push(item);
    if (this.waiting) {
      const wake = this.waiting;
      this.waiting = null;
      wake();
    }
  }

  next() {
    if (this.queue.length) return Promise.resolve(this.queue.shift());
    return new Promise((resolve) => { this.waiting = () => resolve(this.queue.shift()); });
  }

  note(frame) {
    if (frame.type !== 'message.created') return;
    for (const kind of ['room_id', 'conversation_id']) {
      if (frame[kind] != null && Number.isInteger(frame.data?.id)) {
        const key = `${kind}:${frame[kind]}`;
        this.lastSeen.set(key, Math.max(this.lastSeen.get(key) || 0, frame.data.id));
      }
    }
  }

  async *catchUp() {
    for (const [key, last] of [...this.lastSeen]) {
      const [kind, place] = key.split(':');
      const path = `${kind === 'room_id' ? 'rooms' : 'conversations'}/${place}/messages`;
      let after = last;
      for (;;) {
        const page = await this.client.transport.call('GET', path, { params: { after_id: after, limit: 100 } });
        const messages = [...page.messages].sort((a, b) => a.id - b.id);
        for (const message of messages) {
          const frame = { type: 'message.created', data: message, [kind]: Number(place), catch_up: true };
          this.note(frame);
          yield frame;
        }
        if (!page.has_more || !messages.length) break;
        after = messages[messages.length - 1].id;
      }
    }
  }

  async *[Symbol.asyncIterator]() {
    if (!this.ws) await this.connect();
    let reconnecting = false;
    while (!this.closed) {
      try {
        if (reconnecting) {
          const refreshed = await this.client.transport.refresh();
          if (!refreshed && this.client.transport.refreshToken) {
            throw new VezaError(401, { code: 'INVALID_TOKEN', message: 'the session has ended' });
          }
          await this.connect();
          reconnecting = false;
          yield* this.catchUp();
          this.attempt = 0;
        }
        const item = await this.next();
        if (item.frame) {
          yield item.frame;
          continue;
        }
        if (this.closed) return;
        if (item.closed === SESSION_ENDED && !this.client.transport.refreshToken) {
          throw new VezaError(401, { code: 'INVALID_TOKEN', message: 'the session has ended' });
        }
        await this.backoff(item.closed === TOKEN_EXPIRED || item.closed === SESSION_ENDED);
        reconnecting = true;
      } catch (error) {
        if (error instanceof VezaError && error.status < 500 && error.status !== 429) throw error;
        if (this.closed) return;
        await this.backoff(false);
        reconnecting = true;
      }
    }
  }

  async backoff(now) {
    const delay = now ? 0 : Math.min(this.maxBackoffMs, 500 * 2 ** this.attempt) * (0.5 + Math.random() / 2);
    this.attempt += 1;
    await sleep(delay);
  }
}
