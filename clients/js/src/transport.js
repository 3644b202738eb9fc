// The HTTP core of the Veza client: tokens, refresh, errors, rate limits.
// Uses the global `fetch` (Node 18+, browsers), which asks for and decodes gzip.

/** A failed call: the HTTP status and the server's error envelope. */
export class VezaError extends Error {
  constructor(status, { code = 'HTTP_ERROR', message = '', details = {}, request_id = null, timestamp = null } = {}) {
    super(`${status} ${code}: ${message}`);
    this.name = 'VezaError';
    this.status = status;
    this.code = code;
    this.details = details || {};
    this.requestId = request_id;
    this.request_id = request_id;
    this.timestamp = timestamp;
  }

  static async fromResponse(response) {
    let envelope = null;
    try {
      envelope = (await response.json()).error;
    } catch {
      // not the envelope: a proxy's page, a cut connection
    }
    return new VezaError(response.status, envelope || {
      message: response.statusText || 'request failed',
      request_id: response.headers.get('x-request-id'),
    });
  }
}

/** How many times a call waits out a 429, and the longest wait (ms). */
const MAX_RATE_LIMIT_WAITS = 3;
const MAX_RATE_LIMIT_SLEEP_MS = 60000;

/** The server root of `baseUrl`, which may end in `/api/v1` (or not). */
export function apiRoot(baseUrl) {
  let url = String(baseUrl).replace(/\/+$/, '');
  for (const suffix of ['/api/v1', '/api']) {
    if (url.endsWith(suffix)) return url.slice(0, -suffix.length);
  }
  return url;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Query parameters without the ones left out (undefined or null). */
export function query(params = {}) {
  const kept = Object.entries(params).filter(([, v]) => v !== undefined && v !== null);
  if (!kept.length) return '';
  return '?' + new URLSearchParams(kept.map(([k, v]) => [k, String(v)])).toString();
}

export class Transport {
  constructor({ baseUrl, token = null, refreshToken = null, fetch: fetchImpl } = {}) {
    if (!baseUrl) throw new TypeError('baseUrl is required');
    this.root = apiRoot(baseUrl);
    this.token = token;
    this.refreshToken = refreshToken;
    this.fetch = fetchImpl || globalThis.fetch.bind(globalThis);
    this.refreshing = null;
  }

  url(path) {
    return path.startsWith('/') ? this.root + path : `${this.root}/api/v1/${path}`;
  }

  setTokens(data) {
    if (data?.access_token) this.token = data.access_token;
    if (data?.refresh_token) this.refreshToken = data.refresh_token;
  }

  /** Trades the refresh token for a new pair, one refresh at a time; false when
   * there is none or the server refuses it. */
  refresh(spent) {
    if (spent !== undefined && spent !== this.token) return Promise.resolve(true);
    if (!this.refreshing) {
      this.refreshing = (async () => {
        if (!this.refreshToken) return false;
        const response = await this.fetch(this.url('auth/refresh'), {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ refresh_token: this.refreshToken }),
        });
        if (response.status === 429 || response.status >= 500) {
          throw await VezaError.fromResponse(response); // busy, not an answer about the session
        }
        if (!response.ok) return false;
        this.setTokens((await response.json()).data);
        return true;
      })().finally(() => { this.refreshing = null; });
    }
    return this.refreshing;
  }

  /** One request; the raw response once it is a success. `body` is JSON unless it
   * is a FormData, Blob or stream. */
  async send(method, path, { params, body, headers = {}, auth = true, redirect = 'follow' } = {}) {
    const url = this.url(path) + query(params);
    let refreshed = false;
    let waits = 0;
    for (;;) {
      const sentWith = this.token;
      const init = { method, headers: { ...headers }, redirect };
      if (auth && this.token) init.headers.Authorization = `Bearer ${this.token}`;
      if (body !== undefined) {
        const raw = typeof FormData !== 'undefined' && body instanceof FormData;
        if (raw) {
          init.body = body;
        } else {
          init.headers['Content-Type'] = 'application/json';
          init.body = JSON.stringify(body);
        }
      }
      const response = await this.fetch(url, init);
      if (response.status === 401 && auth && !refreshed && !path.startsWith('auth/')) {
        refreshed = true;
        if (await this.refresh(sentWith)) continue;
      }
      if (response.status === 429 && waits < MAX_RATE_LIMIT_WAITS) {
        waits += 1;
        const seconds = Number(response.headers.get('retry-after') ?? '1');
        await sleep(Math.min(MAX_RATE_LIMIT_SLEEP_MS, (Number.isFinite(seconds) ? seconds : 1) * 1000));
        continue;
      }
      if (response.status >= 400) throw await VezaError.fromResponse(response);
      return response;
    }
  }

  /** One request; the `data` of its answer (null for a 204). */
  async call(method, path, options) {
    const response = await this.send(method, path, options);
    if (response.status === 204) return null;
    const text = await response.text();
    if (!text) return null;
    const json = JSON.parse(text);
    return json && typeof json === 'object' && 'data' in json ? json.data : json;
  }

  /** Every item of a paged list, page after page. */
  async *pages(path, key, params = {}) {
    for (let page = 1; ; page += 1) {
      const data = await this.call('GET', path, { params: { ...params, page } });
      yield* data[key];
      if (!data.has_more) return;
    }
  }

  /** Every message of a list, newest first, by `before_id` cursors. */
  async *cursor(path, pageSize = 100) {
    let before;
    for (;;) {
      const data = await this.call('GET', path, { params: { limit: pageSize, before_id: before } });
      yield* data.messages;
      if (!data.has_more || !data.messages.length) return;
      before = Math.min(...data.messages.map((m) => m.id));
    }
  }
}
