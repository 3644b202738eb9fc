// The API's operations, grouped as `backend-api.md` prints them: `client.users`,
// `client.chat`, and the other groups in camelCase. Each returns the answer's
// `data` (null for a 204) and throws a `VezaError` on failure.

import { VezaError } from './transport.js';

const enc = encodeURIComponent;

/** A Blob or File as given, or (in Node) a path opened lazily with
 * `fs.openAsBlob`, never read whole; with the name to send it under. */
async function blobOf(file, filename) {
  if (typeof file !== 'string') return { blob: file, name: filename || file.name };
  const fs = await import('node:fs');
  const path = await import('node:path');
  return { blob: await fs.openAsBlob(file), name: filename || path.basename(file) };
}

class Group {
  constructor(transport) {
    this.t = transport;
  }
}

export class Auth extends Group {
  async register(username, email, password, profile = {}) {
    const data = await this.t.call('POST', 'auth/register', { body: { username, email, password, ...profile }, auth: false });
    this.t.setTokens(data);
    return data;
  }
  async login(usernameOrEmail, password) {
    const key = usernameOrEmail.includes('@') ? 'email' : 'username';
    const data = await this.t.call('POST', 'auth/login', { body: { [key]: usernameOrEmail, password }, auth: false });
    this.t.setTokens(data);
    return data;
  }
  refresh() { return this.t.refresh(); }
  logout() { return this.t.call('POST', 'auth/logout'); }
  oauthProvider() { return this.t.call('GET', 'auth/oauth/provider', { auth: false }); }
  /** How one may sign in: `{password, registration_open, registration, email, identity_provider}`. */
  methods() { return this.t.call('GET', 'auth/methods', { auth: false }); }
  /** Verifies an e-mail address with the token of its link (`#token=…`). */
  verifyEmail(token) { return this.t.call('POST', 'auth/verify-email', { body: { token }, auth: false }); }
  /** Asks for a reset link by mail; the answer is the same whether or not an account has `email`. */
  requestPasswordReset(email) { return this.t.call('POST', 'auth/password-reset', { body: { email }, auth: false }); }
  /** Sets a new password with a reset link's token; every session of the account ends. */
  confirmPasswordReset(token, newPassword) {
    return this.t.call('POST', 'auth/password-reset/confirm', { body: { token, new_password: newPassword }, auth: false });
  }
  /** Where to send a browser to sign in with the identity provider. */
  async oauthAuthorizeUrl({ link = false } = {}) {
    const response = await this.t.send('GET', 'auth/oauth/authorize', { auth: link, redirect: 'manual' });
    return response.headers.get('location');
  }
  /** The seed's `POST` spelling of `oauthAuthorizeUrl`. */
  async oauthAuthorize() {
    const response = await this.t.send('POST', 'auth/oauth/authorize', { auth: false, redirect: 'manual' });
    return response.headers.get('location');
  }
  async oauthCallback(code, state) {
    const data = await this.t.call('GET', 'auth/oauth/callback', { params: { code, state }, auth: false });
    this.t.setTokens(data);
    return data;
  }
  async oauthToken(code, state) {
    const data = await this.t.call('POST', 'auth/oauth/token', { body: { code, state }, auth: false });
    this.t.setTokens(data);
    return data;
  }
}

export class Users extends Group {
  getMe() { return this.t.call('GET', 'users/me'); }
  /** `GET /api/users/me`, the platform document's path. */
  getMePlatform() { return this.t.call('GET', '/api/users/me'); }
  updateMe(fields) { return this.t.call('PUT', 'users/me', { body: fields }); }
  changePassword(currentPassword, newPassword) {
    return this.t.call('PUT', 'users/me/password', { body: { current_password: currentPassword, new_password: newPassword } });
  }
  get(userId) { return this.t.call('GET', `users/${userId}`); }
  search(q, { limit, page } = {}) { return this.t.call('GET', 'users/search', { params: { q, limit, page } }); }
  exportMe() { return this.t.call('GET', 'users/me/export'); }
  /** Sets the caller's avatar from a Blob or File (in Node, also a path). */
  async setAvatar(file, { filename } = {}) {
    const { blob, name } = await blobOf(file, filename);
    const form = new FormData();
    form.append('file', blob, name || 'avatar');
    return this.t.call('PUT', 'users/me/avatar', { body: form });
  }
  removeAvatar() { return this.t.call('DELETE', 'users/me/avatar'); }
  /** A user's avatar as a Response (`.blob()`); `avatarUrl` is the user's `avatar_url`. */
  avatar(userId, avatarUrl) {
    const v = avatarUrl ? new URL(avatarUrl, 'http://x').searchParams.get('v') : undefined;
    return this.t.send('GET', `users/${userId}/avatar`, { params: { v } });
  }
  /** Where the caller is signed in: `{sessions, current_session_id}`. */
  sessions() { return this.t.call('GET', 'users/me/sessions'); }
  /** Signs one of the caller's sessions out (its tokens stop at once). */
  endSession(sessionId) { return this.t.call('DELETE', `users/me/sessions/${sessionId}`); }
  /** Mails the caller a new link to verify their address. */
  resendVerification() { return this.t.call('POST', 'users/me/verify-email'); }
}

/** Personal access tokens, bots and incoming webhooks (API §20). Tokens are
 * managed from a signed-in session (a client holding an access token cannot
 * make or revoke tokens). */
export class Bots extends Group {
  /** `{ name, scopes: ['read', 'write'], expiresInDays }`; the answer's `token` is shown once. */
  createToken({ name, scopes, expiresInDays } = {}) {
    return this.t.call('POST', 'users/me/tokens', { body: clean({ name, scopes, expires_in_days: expiresInDays }) });
  }
  tokens() { return this.t.call('GET', 'users/me/tokens'); }
  revokeToken(tokenId) { return this.t.call('DELETE', `users/me/tokens/${tokenId}`); }
  create(username, { displayName } = {}) { return this.t.call('POST', 'bots', { body: clean({ username, display_name: displayName }) }); }
  list() { return this.t.call('GET', 'bots'); }
  deactivate(botId) { return this.t.call('DELETE', `bots/${botId}`); }
  createBotToken(botId, { name, scopes, expiresInDays } = {}) {
    return this.t.call('POST', `bots/${botId}/tokens`, { body: clean({ name, scopes, expires_in_days: expiresInDays }) });
  }
  botTokens(botId) { return this.t.call('GET', `bots/${botId}/tokens`); }
  revokeBotToken(botId, tokenId) { return this.t.call('DELETE', `bots/${botId}/tokens/${tokenId}`); }
  /** An incoming webhook for a room (moderators); the answer's `url` is shown once. */
  createHook(roomId, name) { return this.t.call('POST', `rooms/${roomId}/incoming-webhooks`, { body: { name } }); }
  hooks(roomId) { return this.t.call('GET', `rooms/${roomId}/incoming-webhooks`); }
  deleteHook(roomId, hookId) { return this.t.call('DELETE', `rooms/${roomId}/incoming-webhooks/${hookId}`); }
  rotateHook(roomId, hookId) { return this.t.call('POST', `rooms/${roomId}/incoming-webhooks/${hookId}/rotate-secret`); }
  /** Posts to a hook's URL (no token), in Slack's shape: `{ text, username, icon_url, attachments }`. */
  async postToHook(url, body) {
    const response = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    const json = await response.json().catch(() => null);
    if (!response.ok || !json?.success) throw new VezaError(response.status, json?.error);
    return json.data;
  }
}

/** Invitations (API §17): made by admins and room moderators. */
export class Invites extends Group {
  /** `{ roomIds, maxUses, expiresInSecs, email }`; the answer's `code` and `url` are shown once. */
  create({ roomIds, maxUses, expiresInSecs, email } = {}) {
    return this.t.call('POST', 'invites', { body: clean({ room_ids: roomIds, max_uses: maxUses, expires_in_secs: expiresInSecs, email }) });
  }
  list({ limit, page } = {}) { return this.t.call('GET', 'invites', { params: { limit, page } }); }
  revoke(inviteId) { return this.t.call('DELETE', `invites/${inviteId}`); }
  /** What a code leads to; needs no token. */
  preview(code) { return this.t.call('GET', `invites/${enc(code)}`, { auth: false }); }
  /** Registers with an invitation's code (and joins its rooms). */
  async accept(code, username, email, password, profile = {}) {
    const data = await this.t.call('POST', 'auth/register', { body: { username, email, password, ...profile, invite_code: code }, auth: false });
    this.t.setTokens(data);
    return data;
  }
}

export class Chat extends Group {
  /** `GET /api/chat/rooms`, the platform document's list of rooms. */
  getRooms({ limit, page } = {}) { return this.t.call('GET', '/api/chat/rooms', { params: { limit, page } }); }
}

export class Rooms extends Group {
  list(params = {}) { return this.t.call('GET', 'rooms', { params }); }
  /** Every room of the list, page after page. */
  iter(params = {}) { return this.t.pages('rooms', 'rooms', { limit: 100, ...params }); }
  create(name, fields = {}) { return this.t.call('POST', 'rooms', { body: { name, ...fields } }); }
  get(roomId) { return this.t.call('GET', `rooms/${roomId}`); }
  update(roomId, fields) { return this.t.call('PUT', `rooms/${roomId}`, { body: fields }); }
  delete(roomId) { return this.t.call('DELETE', `rooms/${roomId}`); }
  join(roomId) { return this.t.call('POST', `rooms/${roomId}/join`, { body: {} }); }
  leave(roomId) { return this.t.call('POST', `rooms/${roomId}/leave`, { body: {} }); }
  read(roomId, messageId) { return this.t.call('POST', `rooms/${roomId}/read`, { body: messageId ? { message_id: messageId } : {} }); }
  stats(roomId, period) { return this.t.call('GET', `rooms/${roomId}/stats`, { params: { period } }); }
  audit(roomId, params = {}) { return this.t.call('GET', `rooms/${roomId}/audit`, { params }); }
  export(roomId) { return this.t.call('GET', `rooms/${roomId}/export`); }
  files(roomId, params = {}) { return this.t.call('GET', `rooms/${roomId}/files`, { params }); }
}

export class Members extends Group {
  list(roomId, params = {}) { return this.t.call('GET', `rooms/${roomId}/members`, { params }); }
  add(roomId, { userId, username, role } = {}) {
    return this.t.call('POST', `rooms/${roomId}/members`, { body: clean({ user_id: userId, username, role }) });
  }
  update(roomId, userId, role) { return this.t.call('PUT', `rooms/${roomId}/members/${userId}`, { body: { role } }); }
  remove(roomId, userId) { return this.t.call('DELETE', `rooms/${roomId}/members/${userId}`); }
}

export class Messages extends Group {
  list(roomId, params = {}) { return this.t.call('GET', `rooms/${roomId}/messages`, { params }); }
  /** Every message of a room, newest first, by `before_id` cursors. */
  iterRoom(roomId, pageSize = 100) { return this.t.cursor(`rooms/${roomId}/messages`, pageSize); }
  send(roomId, content, { parentMessageId, metadata, attachments, idempotencyKey } = {}) {
    return this.t.call('POST', `rooms/${roomId}/messages`, {
      body: clean({ content, parent_message_id: parentMessageId, metadata, attachments }),
      headers: idempotencyKey ? { 'Idempotency-Key': idempotencyKey } : {},
    });
  }
  get(messageId) { return this.t.call('GET', `messages/${messageId}`); }
  edit(messageId, content, editReason) {
    return this.t.call('PUT', `messages/${messageId}`, { body: clean({ content, edit_reason: editReason }) });
  }
  delete(messageId, reason) { return this.t.call('DELETE', `messages/${messageId}`, { params: { reason } }); }
  thread(messageId, params = {}) { return this.t.call('GET', `messages/${messageId}/thread`, { params }); }
  history(messageId) { return this.t.call('GET', `messages/${messageId}/history`); }
  pin(messageId, pinned = true) { return this.t.call('POST', `messages/${messageId}/pin`, { body: { pinned } }); }
}

export class Reactions extends Group {
  list(messageId) { return this.t.call('GET', `messages/${messageId}/reactions`); }
  add(messageId, emoji) { return this.t.call('POST', `messages/${messageId}/reactions`, { body: { emoji } }); }
  remove(messageId, emoji) { return this.t.call('DELETE', `messages/${messageId}/reactions/${enc(emoji)}`); }
}

export class Conversations extends Group {
  list(params = {}) { return this.t.call('GET', 'conversations', { params }); }
  open(userId) { return this.t.call('POST', 'conversations', { body: { user_id: userId } }); }
  get(conversationId) { return this.t.call('GET', `conversations/${conversationId}`); }
  messages(conversationId, params = {}) { return this.t.call('GET', `conversations/${conversationId}/messages`, { params }); }
  iterMessages(conversationId, pageSize = 100) { return this.t.cursor(`conversations/${conversationId}/messages`, pageSize); }
  send(conversationId, content, fields = {}) {
    return this.t.call('POST', `conversations/${conversationId}/messages`, { body: { content, ...fields } });
  }
  block(conversationId, blocked = true) { return this.t.call('POST', `conversations/${conversationId}/block`, { body: { blocked } }); }
  read(conversationId, messageId) {
    return this.t.call('POST', `conversations/${conversationId}/read`, { body: messageId ? { message_id: messageId } : {} });
  }
}

export class Files extends Group {
  /** Uploads a Blob or File (in Node, a path: read lazily with `fs.openAsBlob`,
   * never whole in memory). */
  async upload(file, { roomId, conversationId, description, filename } = {}) {
    const { blob, name } = await blobOf(file, filename);
    const form = new FormData();
    for (const [key, value] of Object.entries(clean({ room_id: roomId, conversation_id: conversationId, description }))) {
      form.append(key, String(value));
    }
    form.append('file', blob, name || 'upload');
    return this.t.call('POST', 'files/upload', { body: form });
  }
  get(fileId) { return this.t.call('GET', `files/${fileId}`); }
  delete(fileId) { return this.t.call('DELETE', `files/${fileId}`); }
  /** The file's bytes as a streaming Response (`.body`, `.blob()`). */
  download(fileId) { return this.t.send('GET', `files/${fileId}/download`); }
  thumbnail(fileId) { return this.t.send('GET', `files/${fileId}/thumbnail`); }
  /** Node: writes the file to `path` as it arrives; its SHA-256 (hex). */
  async downloadTo(fileId, path) {
    const [{ createWriteStream }, { Readable, Transform }, { pipeline }, { createHash }] = await Promise.all([
      import('node:fs'), import('node:stream'), import('node:stream/promises'), import('node:crypto'),
    ]);
    const response = await this.download(fileId);
    const hash = createHash('sha256');
    const tap = new Transform({ transform(chunk, _enc, done) { hash.update(chunk); done(null, chunk); } });
    await pipeline(Readable.fromWeb(response.body), tap, createWriteStream(path));
    return hash.digest('hex');
  }
}

export class Webhooks extends Group {
  list() { return this.t.call('GET', 'webhooks'); }
  create({ url, events, secret, roomId }) {
    return this.t.call('POST', 'webhooks', { body: clean({ url, events, secret, room_id: roomId }) });
  }
  get(webhookId) { return this.t.call('GET', `webhooks/${webhookId}`); }
  update(webhookId, fields) { return this.t.call('PUT', `webhooks/${webhookId}`, { body: fields }); }
  delete(webhookId) { return this.t.call('DELETE', `webhooks/${webhookId}`); }
  deliveries(webhookId, params = {}) { return this.t.call('GET', `webhooks/${webhookId}/deliveries`, { params }); }
  test(webhookId) { return this.t.call('POST', `webhooks/${webhookId}/test`, { body: {} }); }
  rotateSecret(webhookId) { return this.t.call('POST', `webhooks/${webhookId}/rotate-secret`, { body: {} }); }
}

export class Streams extends Group {
  list(params = {}) { return this.t.call('GET', 'streams', { params }); }
  /** `GET /api/streams`, the platform document's shape (`id` is the uuid). */
  listPlatform(params = {}) { return this.t.call('GET', '/api/streams', { params }); }
  create(title, fields = {}) { return this.t.call('POST', 'streams', { body: { title, ...fields } }); }
  get(streamId) { return this.t.call('GET', `streams/${streamId}`); }
  update(streamId, fields) { return this.t.call('PUT', `streams/${streamId}`, { body: fields }); }
  delete(streamId) { return this.t.call('DELETE', `streams/${streamId}`); }
  start(streamId) { return this.t.call('POST', `streams/${streamId}/start`, { body: {} }); }
  stop(streamId) { return this.t.call('POST', `streams/${streamId}/stop`, { body: {} }); }
  watch(streamId) { return this.t.call('POST', `streams/${streamId}/watch`, { body: {} }); }
}

export class Search extends Group {
  messages(q, { roomId, conversationId, beforeId, limit } = {}) {
    return this.t.call('GET', 'search', {
      params: { q, room_id: roomId, conversation_id: conversationId, before_id: beforeId, limit },
    });
  }
}

/** Web Push subscriptions and notification preferences (API §16). A field of a
 * change left out stays as it is; `null` clears it (do-not-disturb, a mute). */
export class Notifications extends Group {
  /** The key a browser subscribes with (`applicationServerKey`). */
  vapidPublicKey() { return this.t.call('GET', 'push/vapid-public-key', { auth: false }); }
  /** Registers `PushSubscription.toJSON()` (or `{ endpoint, keys: { p256dh, auth } }`). */
  subscribe(subscription) { return this.t.call('POST', 'push/subscriptions', { body: subscription }); }
  subscriptions() { return this.t.call('GET', 'push/subscriptions'); }
  unsubscribe(subscriptionId) { return this.t.call('DELETE', `push/subscriptions/${subscriptionId}`); }
  preferences() { return this.t.call('GET', 'users/me/notifications'); }
  setPreferences({ defaultLevel, dndUntil } = {}) {
    return this.t.call('PUT', 'users/me/notifications', { body: given({ default_level: defaultLevel, dnd_until: dndUntil }) });
  }
  room(roomId) { return this.t.call('GET', `rooms/${roomId}/notifications`); }
  setRoom(roomId, { level, mutedUntil } = {}) {
    return this.t.call('PUT', `rooms/${roomId}/notifications`, { body: given({ level, muted_until: mutedUntil }) });
  }
}

export class Admin extends Group {
  stats() { return this.t.call('GET', 'admin/stats'); }
  users(params = {}) { return this.t.call('GET', 'admin/users', { params }); }
  updateUser(userId, { isActive, role } = {}) {
    return this.t.call('PUT', `admin/users/${userId}`, { body: clean({ is_active: isActive, role }) });
  }
  /** Makes an account; without `password`, the answer's `set_password` is a one-time link. */
  createUser(username, email, { password, role } = {}) {
    return this.t.call('POST', 'admin/users', { body: clean({ username, email, password, role }) });
  }
  /** Applies one batch of an import (the neutral shape `veza import` sends). */
  importBatch(batch) { return this.t.call('POST', 'admin/import', { body: batch }); }
  /** A one-time link for a user to set a new password: `{url, expires_at}`. */
  passwordResetLink(userId) { return this.t.call('POST', `admin/users/${userId}/password-reset`); }
}

/** The server's own endpoints: health, liveness, its API description, metrics. */
export class Server extends Group {
  health() { return this.t.call('GET', '/health', { auth: false }); }
  ping() { return this.t.call('GET', 'ping', { auth: false }); }
  /** What a send may hold: message length, upload size, attachments, metadata. */
  limits() { return this.t.call('GET', 'limits', { auth: false }); }
  openapi() { return this.t.call('GET', 'openapi.json', { auth: false }); }
  /** The `/docs` viewer's page, or one of its files (`viewer.js`, `viewer.css`). */
  async docs(asset) {
    const response = await this.t.send('GET', asset ? `/docs/${asset}` : '/docs', { auth: false });
    return response.text();
  }
  async metrics(token) {
    const response = await this.t.send('GET', '/metrics', { auth: false, headers: { Authorization: `Bearer ${token}` } });
    return response.text();
  }
}

/** The fields given, `null` included (it means "clear"). */
function given(fields) {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
}

function clean(fields) {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined && v !== null));
}
