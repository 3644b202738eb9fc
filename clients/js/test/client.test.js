// The JavaScript client against a real Veza server on loopback.

import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { OPERATIONS, VezaClient, VezaError } from '../src/index.js';
import { PASSWORD, Server } from './server.js';

async function withServer(env, body) {
  const server = await Server.start(env);
  try {
    await body(server);
  } finally {
    await server.dispose();
  }
}

test("the platform document's snippet as printed", () => withServer({}, async (server) => {
  const jwt = (await server.register('reader')).access_token;
  // backend-api.md, "SDKs et Bibliothèques", with the base URL and token changed.
  const client = new VezaClient({
      baseUrl: server.url,
      token: jwt
  });

  // Utilisation
  const user = await client.users.getMe();
  const rooms = await client.chat.getRooms();

  assert.equal(user.username, 'reader');
  assert.ok(Array.isArray(rooms.rooms));
}));

test('an expired token is refreshed once, transparently', () => withServer({ VEZA_AUTH__ACCESS_TOKEN_TTL_SECS: '2' }, async (server) => {
  await server.register('ann');
  const client = await VezaClient.login(`${server.url}/api/v1`, 'ann', PASSWORD);
  const first = client.token;
  await new Promise((r) => setTimeout(r, 3000));
  const [a, b] = await Promise.all([client.users.getMe(), client.rooms.list()]);
  assert.equal(a.username, 'ann');
  assert.ok(Array.isArray(b.rooms));
  assert.notEqual(client.token, first);
  const stale = new VezaClient({ baseUrl: server.url, token: first });
  await assert.rejects(stale.users.getMe(), (e) => e instanceof VezaError && e.status === 401 && e.code === 'INVALID_TOKEN');
}));

test('a 429 is waited out', () => withServer({ VEZA_RATE_LIMIT__REQUESTS_PER_HOUR: '3600', VEZA_RATE_LIMIT__BURST: '2' }, async (server) => {
  const jwt = (await server.register('ann')).access_token;
  let limited = 0;
  const counting = async (url, init) => {
    const response = await fetch(url, init);
    if (response.status === 429) limited += 1;
    return response;
  };
  const client = new VezaClient({ baseUrl: server.url, token: jwt, fetch: counting });
  for (let i = 0; i < 5; i += 1) assert.equal((await client.users.getMe()).username, 'ann');
  assert.ok(limited > 0, 'the server answered 429 at least once');
}));

test('pages and cursors go through everything', () => withServer({}, async (server) => {
  const client = new VezaClient({ baseUrl: server.url, token: (await server.register('ann')).access_token });
  const room = (await client.rooms.create('busy')).id;
  const sent = [];
  for (let i = 0; i < 250; i += 1) sent.push((await client.messages.send(room, `message ${i}`)).id);
  const seen = [];
  for await (const message of client.messages.iterRoom(room, 40)) seen.push(message.id);
  assert.deepEqual(seen, [...sent].sort((a, b) => b - a));
  for (let i = 0; i < 110; i += 1) await client.rooms.create(`room ${i}`);
  let rooms = 0;
  for await (const _ of client.rooms.iter({ filter: 'joined' })) rooms += 1;
  assert.equal(rooms, 111);
}));

test('a 5 MB file goes up and down intact', () => withServer({}, async (server) => {
  const client = new VezaClient({ baseUrl: server.url, token: (await server.register('ann')).access_token });
  const room = (await client.rooms.create('files')).id;
  const dir = mkdtempSync(join(tmpdir(), 'veza-js-files-'));
  try {
    const source = join(dir, 'blob.bin');
    writeFileSync(source, randomBytes(5 * 1024 * 1024));
    const expected = createHash('sha256').update(readFileSync(source)).digest('hex');
    const uploaded = await client.files.upload(source, { roomId: room, description: 'random bytes' });
    assert.equal(uploaded.sha256, expected);
    assert.equal(uploaded.size, 5 * 1024 * 1024);
    const target = join(dir, 'copy.bin');
    assert.equal(await client.files.downloadTo(uploaded.file_id, target), expected);
    assert.equal(createHash('sha256').update(readFileSync(target)).digest('hex'), expected);
    const blob = new Blob([readFileSync(source)]);
    assert.equal((await client.files.upload(blob, { filename: 'again.bin' })).sha256, expected);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}));

test('notification settings keep what is left out, and null clears', () => withServer({}, async (server) => {
  const client = new VezaClient({ baseUrl: server.url, token: (await server.register('ann')).access_token });
  assert.equal((await client.notifications.vapidPublicKey()).public_key.length, 87);
  assert.deepEqual(await client.notifications.preferences(), { default_level: 'mentions', dnd_until: null });
  assert.equal((await client.notifications.setPreferences({ dndUntil: '2030-01-01T08:00:00Z' })).dnd_until, '2030-01-01T08:00:00.000Z');
  assert.notEqual((await client.notifications.setPreferences({ defaultLevel: 'all' })).dnd_until, null);
  assert.equal((await client.notifications.setPreferences({ dndUntil: null })).dnd_until, null);
  const room = (await client.rooms.create('quiet')).id;
  assert.equal((await client.notifications.setRoom(room, { level: 'none', mutedUntil: '2030-01-01T00:00:00Z' })).level, 'none');
  assert.equal((await client.rooms.get(room)).muted_until, '2030-01-01T00:00:00.000Z');
  assert.deepEqual(await client.notifications.setRoom(room, { mutedUntil: null }), { room_id: room, level: 'none', muted_until: null });
  await assert.rejects(client.notifications.subscribe({ endpoint: 'http://example.com/p', keys: { p256dh: 'x', auth: 'y' } }),
    (e) => e.status === 400 && e.details.field === 'endpoint');
  assert.deepEqual(await client.notifications.subscriptions(), []);
}));

// A valid 1 × 1 PNG.
const PNG_1X1 = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

test('an invitation brings a colleague in; an admin hands out a password link; avatars', () => withServer({ VEZA_REGISTRATION: 'invite' }, async (server) => {
  const admin = new VezaClient({ baseUrl: server.url });
  await admin.auth.register('admin', 'admin@example.com', PASSWORD);
  assert.equal((await admin.auth.methods()).registration, 'invite');
  const room = (await admin.rooms.create('dev', { is_public: false })).id;
  const invite = await admin.invites.create({ roomIds: [room], maxUses: 2 });
  assert.match(invite.url, new RegExp(`/invite/${invite.code}$`));
  const preview = await new VezaClient({ baseUrl: server.url }).invites.preview(invite.code);
  assert.deepEqual(preview.rooms, [{ id: room, name: 'dev' }]);
  assert.equal(preview.inviter.username, 'admin');

  const bea = new VezaClient({ baseUrl: server.url });
  await assert.rejects(bea.auth.register('bea', 'bea@example.com', PASSWORD), (e) => e.code === 'REGISTRATION_CLOSED');
  await bea.invites.accept(invite.code, 'bea', 'bea@example.com', PASSWORD);
  assert.deepEqual((await bea.rooms.list({ filter: 'joined' })).rooms.map((r) => r.id), [room]);
  assert.equal((await admin.invites.list()).invites[0].uses, 1);
  assert.equal(await admin.invites.revoke(invite.id), null);
  await assert.rejects(bea.invites.preview(invite.code), (e) => e.status === 404);

  const made = await admin.admin.createUser('cleo', 'cleo@example.com');
  const token = new URL(made.set_password.url).hash.replace('#token=', '');
  assert.equal(await new VezaClient({ baseUrl: server.url }).auth.confirmPasswordReset(token, 'cleo password!'), null);
  await VezaClient.login(server.url, 'cleo', 'cleo password!');
  const link = await admin.admin.passwordResetLink(made.id);
  assert.ok(link.expires_at);
  await assert.rejects(admin.auth.requestPasswordReset('cleo@example.com'), (e) => e.status === 404);

  const me = await bea.users.setAvatar(new Blob([PNG_1X1]), { filename: 'me.png' });
  assert.match(me.avatar_url, /\/avatar\?v=/);
  const image = await admin.users.avatar(me.id, me.avatar_url);
  assert.match(image.headers.get('content-type'), /^image\/(png|webp)$/);
  assert.ok((await image.arrayBuffer()).byteLength > 0);
  assert.equal(await bea.users.removeAvatar(), null);
  assert.equal((await bea.users.getMe()).avatar_url, null);
}));

test('tokens, a bot and an incoming webhook', () => withServer({}, async (server) => {
  const admin = new VezaClient({ baseUrl: server.url });
  await admin.auth.register('admin', 'admin@example.com', PASSWORD);
  const room = (await admin.rooms.create('alerts')).id;
  const read = await admin.bots.createToken({ name: 'dashboard', scopes: ['read'] });
  const script = new VezaClient({ baseUrl: server.url, token: read.token });
  assert.equal((await script.users.getMe()).username, 'admin');
  await assert.rejects(script.messages.send(room, 'no'), (e) => e.status === 403 && e.code === 'PERMISSION_DENIED');
  const bot = await admin.bots.create('ci-bot', { displayName: 'CI' });
  assert.equal(bot.is_bot, true);
  await admin.members.add(room, { userId: bot.id });
  const botClient = new VezaClient({ baseUrl: server.url, token: (await admin.bots.createBotToken(bot.id, { name: 'ci', scopes: ['read', 'write'] })).token });
  assert.equal((await botClient.messages.send(room, 'build passed')).author_kind, 'bot');
  const hook = await admin.bots.createHook(room, 'Monitoring');
  const posted = await admin.bots.postToHook(hook.url, { text: 'CPU <https://g.example/1|high>', username: 'Grafana' });
  assert.equal(posted.author_kind, 'hook');
  assert.equal(posted.content, 'CPU [high](https://g.example/1)');
  assert.equal((await admin.bots.hooks(room)).incoming_webhooks.length, 1);
  const rotated = await admin.bots.rotateHook(room, hook.id);
  await assert.rejects(admin.bots.postToHook(hook.url, { text: 'old' }), (e) => e.status === 404);
  await admin.bots.postToHook(rotated.url, { content: 'new url' });
  const batch = { source: 'mattermost', users: [{ id: 'x', username: 'imported', email: null, first_name: null, last_name: null }] };
  assert.equal((await admin.admin.importBatch(batch)).users_created, 1);
  assert.equal((await admin.admin.importBatch(batch)).already_there, 1);
  assert.equal(await admin.bots.revokeToken(read.id), null);
  await assert.rejects(script.users.getMe(), (e) => e.status === 401);
}));

test('errors carry the envelope', () => withServer({}, async (server) => {
  const client = new VezaClient({ baseUrl: server.url, token: (await server.register('ann')).access_token });
  await assert.rejects(client.rooms.get(99999), (e) => {
    assert.equal(e.status, 404);
    assert.equal(e.code, 'ROOM_NOT_FOUND');
    assert.match(e.requestId, /^req_/);
    return true;
  });
  const room = (await client.rooms.create('x')).id;
  await assert.rejects(client.messages.send(room, 'x'.repeat(2001)), (e) => e.code === 'MESSAGE_TOO_LONG' && e.details.max_length === 2000);
}));

test('the real-time client hears, and catches up after a restart', () => withServer({}, async (server) => {
  await server.register('alice');
  const alice = await VezaClient.login(server.url, 'alice', PASSWORD);
  const bob = new VezaClient({ baseUrl: server.url, token: (await server.register('bob')).access_token });
  const room = (await alice.rooms.create('live')).id;
  await bob.rooms.join(room);
  const live = alice.realtime();
  assert.equal((await live.connect()).type, 'ready');
  const frames = live[Symbol.asyncIterator]();
  const nextMessage = async () => {
    for (;;) {
      const { value } = await frames.next();
      if (value.type === 'message.created') return value;
    }
  };
  await bob.messages.send(room, 'before the restart');
  assert.equal((await nextMessage()).data.content, 'before the restart');
  await server.restart();
  await bob.messages.send(room, 'while alice was away');
  const caught = await nextMessage();
  assert.equal(caught.data.content, 'while alice was away');
  assert.equal(caught.catch_up, true);
  await bob.messages.send(room, 'live again');
  const fresh = await nextMessage();
  assert.equal(fresh.data.content, 'live again');
  assert.notEqual(fresh.catch_up, true);
  live.close();
}));

test('every operation of the document has a method', () => withServer({}, async (server) => {
  const client = new VezaClient({ baseUrl: server.url });
  const document = await client.server.openapi();
  const ids = new Set();
  for (const path of Object.values(document.paths)) {
    for (const operation of Object.values(path)) {
      if (operation && operation.operationId) ids.add(operation.operationId);
    }
  }
  const missing = [...ids].filter((id) => !(id in OPERATIONS)).sort();
  assert.deepEqual(missing, [], 'operations without a method');
  for (const [id, target] of Object.entries(OPERATIONS)) {
    let owner = client;
    for (const part of target.split('.')) owner = owner[part];
    assert.equal(typeof owner, 'function', `${id}: ${target} is not a method`);
  }
  assert.deepEqual(await client.server.ping(), { pong: true });
  assert.ok((await client.server.limits()).message_max_length > 0);
  assert.equal((await client.auth.methods()).password, true);
  assert.match(await client.server.docs(), /html/i);
}));
