// Veza's client library: `new VezaClient({ baseUrl, token })`, as printed in the
// platform document, with every operation of the API as a method.
//
//   import { VezaClient } from '@veza/api-client';
//   const client = new VezaClient({ baseUrl: 'http://localhost:8080', token });
//   const user = await client.users.getMe();
//   const rooms = await client.chat.getRooms();

import { Transport, VezaError } from './transport.js';
import { Realtime } from './realtime.js';
import * as groups from './resources.js';

export { VezaError, Realtime };
export const VERSION = '0.1.0';

export class VezaClient {
  /** `baseUrl` is the server root or its API (`…/api/v1`). With a `refreshToken`
   * (kept by `login` and `register`), an expired access token is refreshed once,
   * transparently. */
  constructor(options = {}) {
    this.transport = new Transport(options);
    const t = this.transport;
    this.auth = new groups.Auth(t);
    this.users = new groups.Users(t);
    this.chat = new groups.Chat(t);
    this.rooms = new groups.Rooms(t);
    this.members = new groups.Members(t);
    this.messages = new groups.Messages(t);
    this.reactions = new groups.Reactions(t);
    this.conversations = new groups.Conversations(t);
    this.files = new groups.Files(t);
    this.webhooks = new groups.Webhooks(t);
    this.streams = new groups.Streams(t);
    this.search = new groups.Search(t);
    this.notifications = new groups.Notifications(t);
    this.invites = new groups.Invites(t);
    this.bots = new groups.Bots(t);
    this.admin = new groups.Admin(t);
    this.server = new groups.Server(t);
  }

  /** A client signed in with a password (it refreshes its own tokens). */
  static async login(baseUrl, usernameOrEmail, password, options = {}) {
    const client = new VezaClient({ ...options, baseUrl });
    await client.auth.login(usernameOrEmail, password);
    return client;
  }

  get token() {
    return this.transport.token;
  }

  /** The real-time connection: `for await (const frame of client.realtime())`. */
  realtime(options) {
    return new Realtime(this, options);
  }
}

/** Which method serves each `operationId` of `GET /api/v1/openapi.json` (the
 * platform document's aliases share the method of the path they alias). */
export const OPERATIONS = {
  'get /api/chat/rooms': 'chat.getRooms',
  'get /api/streams': 'streams.listPlatform',
  'get /api/users/me': 'users.getMePlatform',
  'get /api/v1/admin/stats': 'admin.stats',
  'get /api/v1/push/vapid-public-key': 'notifications.vapidPublicKey',
  'post /api/v1/push/subscriptions': 'notifications.subscribe',
  'get /api/v1/push/subscriptions': 'notifications.subscriptions',
  'delete /api/v1/push/subscriptions/{id}': 'notifications.unsubscribe',
  'get /api/v1/users/me/notifications': 'notifications.preferences',
  'put /api/v1/users/me/notifications': 'notifications.setPreferences',
  'get /api/v1/rooms/{id}/notifications': 'notifications.room',
  'put /api/v1/rooms/{id}/notifications': 'notifications.setRoom',
  'get /api/v1/admin/users': 'admin.users',
  'put /api/v1/admin/users/{id}': 'admin.updateUser',
  'post /api/v1/admin/users': 'admin.createUser',
  'post /api/v1/admin/import': 'admin.importBatch',
  'post /api/v1/admin/users/{id}/password-reset': 'admin.passwordResetLink',
  'post /api/v1/invites': 'invites.create',
  'post /api/v1/users/me/tokens': 'bots.createToken',
  'get /api/v1/users/me/tokens': 'bots.tokens',
  'delete /api/v1/users/me/tokens/{id}': 'bots.revokeToken',
  'post /api/v1/bots': 'bots.create',
  'get /api/v1/bots': 'bots.list',
  'delete /api/v1/bots/{id}': 'bots.deactivate',
  'post /api/v1/bots/{id}/tokens': 'bots.createBotToken',
  'get /api/v1/bots/{id}/tokens': 'bots.botTokens',
  'delete /api/v1/bots/{id}/tokens/{token_id}': 'bots.revokeBotToken',
  'post /api/v1/rooms/{room_id}/incoming-webhooks': 'bots.createHook',
  'get /api/v1/rooms/{room_id}/incoming-webhooks': 'bots.hooks',
  'delete /api/v1/rooms/{room_id}/incoming-webhooks/{id}': 'bots.deleteHook',
  'post /api/v1/rooms/{room_id}/incoming-webhooks/{id}/rotate-secret': 'bots.rotateHook',
  'post /hooks/{secret}': 'bots.postToHook',
  'get /api/v1/invites': 'invites.list',
  'delete /api/v1/invites/{id}': 'invites.revoke',
  'get /api/v1/invites/{code}': 'invites.preview',
  'put /api/v1/users/me/avatar': 'users.setAvatar',
  'delete /api/v1/users/me/avatar': 'users.removeAvatar',
  'get /api/v1/users/{id}/avatar': 'users.avatar',
  'post /api/v1/users/me/verify-email': 'users.resendVerification',
  'get /api/v1/users/me/sessions': 'users.sessions',
  'delete /api/v1/users/me/sessions/{id}': 'users.endSession',
  'post /api/v1/auth/verify-email': 'auth.verifyEmail',
  'post /auth/verify-email': 'auth.verifyEmail',
  'post /api/v1/auth/password-reset': 'auth.requestPasswordReset',
  'post /auth/password-reset': 'auth.requestPasswordReset',
  'post /api/v1/auth/password-reset/confirm': 'auth.confirmPasswordReset',
  'post /auth/password-reset/confirm': 'auth.confirmPasswordReset',
  'post /api/v1/auth/login': 'auth.login',
  'post /auth/login': 'auth.login',
  'post /api/v1/auth/logout': 'auth.logout',
  'post /auth/logout': 'auth.logout',
  'post /api/v1/auth/refresh': 'auth.refresh',
  'post /auth/refresh': 'auth.refresh',
  'post /api/v1/auth/register': 'auth.register',
  'post /auth/register': 'auth.register',
  'get /api/v1/auth/oauth/authorize': 'auth.oauthAuthorizeUrl',
  'get /auth/oauth/authorize': 'auth.oauthAuthorizeUrl',
  'post /api/v1/auth/oauth/authorize': 'auth.oauthAuthorize',
  'post /auth/oauth/authorize': 'auth.oauthAuthorize',
  'get /api/v1/auth/oauth/callback': 'auth.oauthCallback',
  'get /auth/oauth/callback': 'auth.oauthCallback',
  'get /api/v1/auth/oauth/provider': 'auth.oauthProvider',
  'get /api/v1/auth/methods': 'auth.methods',
  'get /auth/methods': 'auth.methods',
  'get /api/v1/limits': 'server.limits',
  'get /auth/oauth/provider': 'auth.oauthProvider',
  'post /api/v1/auth/oauth/token': 'auth.oauthToken',
  'post /auth/oauth/token': 'auth.oauthToken',
  'get /api/v1/conversations': 'conversations.list',
  'post /api/v1/conversations': 'conversations.open',
  'get /api/v1/conversations/{id}': 'conversations.get',
  'post /api/v1/conversations/{id}/block': 'conversations.block',
  'get /api/v1/conversations/{id}/messages': 'conversations.messages',
  'post /api/v1/conversations/{id}/messages': 'conversations.send',
  'post /api/v1/conversations/{id}/read': 'conversations.read',
  'post /api/v1/files/upload': 'files.upload',
  'get /api/v1/files/{id}': 'files.get',
  'delete /api/v1/files/{id}': 'files.delete',
  'get /api/v1/files/{id}/download': 'files.download',
  'get /api/v1/files/{id}/thumbnail': 'files.thumbnail',
  'get /api/v1/messages/{id}': 'messages.get',
  'put /api/v1/messages/{id}': 'messages.edit',
  'delete /api/v1/messages/{id}': 'messages.delete',
  'get /api/v1/messages/{id}/history': 'messages.history',
  'post /api/v1/messages/{id}/pin': 'messages.pin',
  'get /api/v1/messages/{id}/thread': 'messages.thread',
  'get /api/v1/messages/{id}/reactions': 'reactions.list',
  'post /api/v1/messages/{id}/reactions': 'reactions.add',
  'delete /api/v1/messages/{id}/reactions/{emoji}': 'reactions.remove',
  'get /api/v1/openapi.json': 'server.openapi',
  'get /api/v1/ping': 'server.ping',
  'get /health': 'server.health',
  'get /metrics': 'server.metrics',
  'get /docs': 'server.docs',
  'get /docs/viewer.css': 'server.docs',
  'get /docs/viewer.js': 'server.docs',
  'get /api/v1/rooms': 'rooms.list',
  'post /api/v1/rooms': 'rooms.create',
  'get /api/v1/rooms/{id}': 'rooms.get',
  'put /api/v1/rooms/{id}': 'rooms.update',
  'delete /api/v1/rooms/{id}': 'rooms.delete',
  'get /api/v1/rooms/{id}/audit': 'rooms.audit',
  'get /api/v1/rooms/{id}/export': 'rooms.export',
  'get /api/v1/rooms/{id}/files': 'rooms.files',
  'post /api/v1/rooms/{id}/join': 'rooms.join',
  'post /api/v1/rooms/{id}/leave': 'rooms.leave',
  'post /api/v1/rooms/{id}/read': 'rooms.read',
  'get /api/v1/rooms/{id}/stats': 'rooms.stats',
  'get /api/v1/rooms/{id}/members': 'members.list',
  'post /api/v1/rooms/{id}/members': 'members.add',
  'put /api/v1/rooms/{id}/members/{user_id}': 'members.update',
  'delete /api/v1/rooms/{id}/members/{user_id}': 'members.remove',
  'get /api/v1/rooms/{id}/messages': 'messages.list',
  'post /api/v1/rooms/{id}/messages': 'messages.send',
  'get /api/v1/search': 'search.messages',
  'get /api/v1/streams': 'streams.list',
  'post /api/v1/streams': 'streams.create',
  'get /api/v1/streams/{id}': 'streams.get',
  'put /api/v1/streams/{id}': 'streams.update',
  'delete /api/v1/streams/{id}': 'streams.delete',
  'post /api/v1/streams/{id}/start': 'streams.start',
  'post /api/v1/streams/{id}/stop': 'streams.stop',
  'post /api/v1/streams/{id}/watch': 'streams.watch',
  'get /api/v1/users/me': 'users.getMe',
  'put /api/v1/users/me': 'users.updateMe',
  'get /api/v1/users/me/export': 'users.exportMe',
  'put /api/v1/users/me/password': 'users.changePassword',
  'get /api/v1/users/search': 'users.search',
  'get /api/v1/users/{id}': 'users.get',
  'get /api/v1/webhooks': 'webhooks.list',
  'post /api/v1/webhooks': 'webhooks.create',
  'get /api/v1/webhooks/{id}': 'webhooks.get',
  'put /api/v1/webhooks/{id}': 'webhooks.update',
  'delete /api/v1/webhooks/{id}': 'webhooks.delete',
  'get /api/v1/webhooks/{id}/deliveries': 'webhooks.deliveries',
  'post /api/v1/webhooks/{id}/rotate-secret': 'webhooks.rotateSecret',
  'post /api/v1/webhooks/{id}/test': 'webhooks.test',
  'get /api/v1/ws': 'realtime',
};
