// The API client: JSON envelopes, tokens, refresh, uploads.
//
// The access token lives in memory only. The refresh token is kept in
// localStorage so that a reload stays signed in; it is single use on the server,
// so every refresh runs under a Web Lock shared by the tabs and re-reads the
// stored token inside it (two tabs never spend the same token, which would end
// the session).

const REFRESH_KEY = 'veza.refresh_token';
const BASE = '/api/v1';

export class ApiError extends Error {
  constructor(status, error) {
    super(error?.message || `request failed (${status})`);
    this.status = status;
    this.code = error?.code || 'NETWORK';
    this.details = error?.details || {};
  }
}

export class Api {
  constructor() {
    this.accessToken = null;
    this.onSignedOut = () => {};
    this.onTokens = () => {};
  }

  get hasSession() {
    return !!localStorage.getItem(REFRESH_KEY);
  }

  /** Stores a login or refresh answer; returns its user (if any). */
  accept(data) {
    this.accessToken = data.access_token;
    localStorage.setItem(REFRESH_KEY, data.refresh_token);
    this.onTokens(this.accessToken);
    return data.user;
  }

  forget() {
    this.accessToken = null;
    localStorage.removeItem(REFRESH_KEY);
  }

  /** Whether a refresh token is kept (a failed refresh that kept it may be retried). */
  hasRefreshToken() {
    return Boolean(localStorage.getItem(REFRESH_KEY));
  }

  /** Trades the stored refresh token for a new pair; false when signed out. */
  async refresh() {
    const run = async () => {
      const token = localStorage.getItem(REFRESH_KEY);
      if (!token) return false;
      const res = await fetch(`${BASE}/auth/refresh`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ refresh_token: token }),
      });
      if (!res.ok) {
        if (res.status === 401 || res.status === 400) this.forget();
        return false;
      }
      this.accept((await res.json()).data);
      return true;
    };
    if (!this.refreshing) {
      const locked = navigator.locks
        ? navigator.locks.request('veza-refresh', run)
        : run();
      this.refreshing = locked.finally(() => { this.refreshing = null; });
    }
    return this.refreshing;
  }

  /** One API call; retries once after refreshing an expired access token. */
  async call(method, path, body, { headers = {}, retry = true } = {}) {
    const init = { method, headers: { ...headers } };
    if (this.accessToken) init.headers.Authorization = `Bearer ${this.accessToken}`;
    if (body instanceof FormData) {
      init.body = body;
    } else if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(path.startsWith('/') ? path : `${BASE}/${path}`, init);
    } catch (e) {
      throw new ApiError(0, { code: 'NETWORK', message: 'Veza cannot be reached' });
    }
    if (res.status === 401 && retry && !path.startsWith('auth/')) {
      if (await this.refresh()) return this.call(method, path, body, { headers, retry: false });
      this.onSignedOut();
    }
    if (res.status === 204) return null;
    let json = null;
    try { json = await res.json(); } catch { /* not JSON */ }
    if (!res.ok || !json?.success) throw new ApiError(res.status, json?.error);
    return json.data;
  }

  get(path) { return this.call('GET', path); }
  post(path, body, opts) { return this.call('POST', path, body ?? {}, opts); }
  put(path, body) { return this.call('PUT', path, body); }
  del(path, body) { return this.call('DELETE', path, body); }

  async login(login, password) {
    const body = login.includes('@') ? { email: login, password } : { username: login, password };
    return this.accept(await this.call('POST', 'auth/login', body, { retry: false }));
  }

  async register(fields) {
    return this.accept(await this.call('POST', 'auth/register', fields, { retry: false }));
  }

  async oauthFinish(code, state) {
    return this.accept(await this.call('POST', 'auth/oauth/token', { code, state }, { retry: false }));
  }

  async logout() {
    try { await this.call('POST', 'auth/logout', {}, { retry: false }); } catch { /* gone anyway */ }
    this.forget();
  }

  /**
   * Uploads `file` into `target` ({room_id} or {conversation_id}). XHR, not fetch:
   * only it reports upload progress (`onProgress(sent, total)`). `signal` aborts.
   * Retries once after refreshing an expired access token, like `call`.
   */
  upload(file, target, { onProgress, signal } = {}, retry = true) {
    const form = new FormData();
    for (const [key, value] of Object.entries(target)) form.append(key, String(value));
    form.append('file', file, file.name);
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', `${BASE}/files/upload`);
      if (this.accessToken) xhr.setRequestHeader('Authorization', `Bearer ${this.accessToken}`);
      xhr.upload.onprogress = (e) => { if (e.lengthComputable) onProgress?.(e.loaded, e.total); };
      xhr.onerror = () => reject(new ApiError(0, { code: 'NETWORK', message: 'Veza cannot be reached' }));
      xhr.onabort = () => reject(new ApiError(0, { code: 'CANCELLED', message: 'upload cancelled' }));
      xhr.onload = async () => {
        if (xhr.status === 401 && retry) {
          if (await this.refresh()) {
            this.upload(file, target, { onProgress, signal }, false).then(resolve, reject);
            return;
          }
          this.onSignedOut();
        }
        let json = null;
        try { json = JSON.parse(xhr.responseText); } catch { /* not JSON */ }
        if (xhr.status >= 200 && xhr.status < 300 && json?.success) resolve(json.data);
        else reject(new ApiError(xhr.status, json?.error));
      };
      signal?.addEventListener('abort', () => xhr.abort());
      xhr.send(form);
    });
  }

  /** A URL for <img>, <audio> and <video>, which cannot send headers. */
  media(url) {
    if (!url) return '';
    const sep = url.includes('?') ? '&' : '?';
    return `${url}${sep}token=${encodeURIComponent(this.accessToken || '')}`;
  }
}
