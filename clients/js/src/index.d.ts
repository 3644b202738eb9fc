// Type declarations of @veza/api-client, written by hand: the library is small
// and these read better than a generator's output. The objects follow
// `GET /api/v1/openapi.json`; fields the declarations do not name are still there.

export declare const VERSION: string;

/** `operationId` of the API description → the method that serves it. */
export declare const OPERATIONS: Record<string, string>;

export interface ErrorEnvelope {
  code: string;
  message: string;
  details: Record<string, unknown>;
  timestamp?: string;
  request_id?: string;
}

/** A failed call: the HTTP status and the server's error envelope. */
export declare class VezaError extends Error {
  status: number;
  code: string;
  details: Record<string, unknown>;
  requestId: string | null;
  request_id: string | null;
  timestamp: string | null;
}

export interface User {
  id: number;
  uuid: string;
  username: string;
  email?: string;
  first_name: string | null;
  last_name: string | null;
  role: 'user' | 'admin';
  status_message: string | null;
  avatar_url: string | null;
  is_active: boolean;
  is_online: boolean;
  last_seen: string | null;
  created_at: string;
  [field: string]: unknown;
}

export interface Tokens {
  access_token: string;
  refresh_token: string;
  token_type: string;
  expires_in: number;
  user: User;
  [field: string]: unknown;
}

export interface PushSubscriptionInfo {
  id: number;
  endpoint: string;
  created_at: string;
}

export interface NotificationPreferences {
  default_level: 'all' | 'mentions' | 'none';
  dnd_until: string | null;
}

export interface RoomNotifications {
  room_id: number;
  level: 'default' | 'all' | 'mentions' | 'none';
  muted_until: string | null;
}

export interface AccessTokenInfo {
  id: number;
  user_id: number;
  name: string;
  scopes: string[];
  expires_at: string | null;
  last_used_at: string | null;
  created_at: string;
}

export interface IncomingWebhookInfo {
  id: number;
  room_id: number;
  name: string;
  user_id: number;
  created_by: number;
  created_at: string;
  last_used_at: string | null;
}

export interface Invite {
  id: number;
  room_ids: number[];
  max_uses: number;
  uses: number;
  email: string | null;
  expires_at: string;
  revoked: boolean;
  created_by: number;
  created_at: string;
}

export interface Room {
  id: number;
  uuid: string;
  name: string;
  description: string | null;
  is_public: boolean;
  owner_id: number;
  member_count: number;
  unread_count?: number;
  created_at: string;
  [field: string]: unknown;
}

export interface Message {
  id: number;
  uuid: string;
  room_id: number | null;
  conversation_id: number | null;
  author_id: number;
  username: string;
  content: string;
  parent_message_id: number | null;
  thread_count: number;
  is_pinned: boolean;
  reactions: Record<string, { count: number; users: number[] }>;
  mentions: number[];
  attachments: FileObject[];
  created_at: string;
  [field: string]: unknown;
}

export interface FileObject {
  id: number;
  file_id: number;
  uuid: string;
  filename: string;
  size: number;
  mime_type: string;
  sha256: string;
  thumbnail_status: 'pending' | 'ready' | 'none' | 'failed';
  [field: string]: unknown;
}

export interface MessagePage {
  messages: Message[];
  has_more: boolean;
  [field: string]: unknown;
}

export interface Frame {
  type: string;
  data: any;
  room_id?: number;
  conversation_id?: number;
  /** Set on messages fetched over REST after a reconnect. */
  catch_up?: boolean;
}

type Params = Record<string, string | number | boolean | undefined | null>;
type Json = Record<string, any>;

export interface ClientOptions {
  baseUrl: string;
  token?: string | null;
  refreshToken?: string | null;
  fetch?: typeof fetch;
}

export declare class Realtime implements AsyncIterable<Frame> {
  connect(): Promise<Frame>;
  send(frame: Json): void;
  close(): void;
  [Symbol.asyncIterator](): AsyncIterator<Frame>;
}

export declare class VezaClient {
  constructor(options: ClientOptions);
  static login(baseUrl: string, usernameOrEmail: string, password: string, options?: Partial<ClientOptions>): Promise<VezaClient>;
  readonly token: string | null;
  realtime(options?: { WebSocket?: any; maxBackoffMs?: number }): Realtime;

  auth: {
    register(username: string, email: string, password: string, profile?: Json): Promise<Tokens>;
    login(usernameOrEmail: string, password: string): Promise<Tokens>;
    refresh(): Promise<boolean>;
    logout(): Promise<null>;
    oauthProvider(): Promise<{ display_name: string }>;
    methods(): Promise<{ password: boolean; registration_open: boolean; registration: 'open' | 'invite' | 'closed'; email: boolean; identity_provider: string | null }>;
    verifyEmail(token: string): Promise<{ email_verified: boolean }>;
    requestPasswordReset(email: string): Promise<{ message: string }>;
    confirmPasswordReset(token: string, newPassword: string): Promise<null>;
    oauthAuthorizeUrl(options?: { link?: boolean }): Promise<string>;
    oauthAuthorize(): Promise<string>;
    oauthCallback(code: string, state: string): Promise<Tokens>;
    oauthToken(code: string, state: string): Promise<Tokens>;
  };
  users: {
    getMe(): Promise<User>;
    getMePlatform(): Promise<User>;
    updateMe(fields: Json): Promise<User>;
    changePassword(currentPassword: string, newPassword: string): Promise<Json>;
    get(userId: number): Promise<User>;
    search(q: string, options?: { limit?: number; page?: number }): Promise<{ users: User[]; total: number; has_more: boolean }>;
    exportMe(): Promise<Json>;
    setAvatar(file: Blob | string, options?: { filename?: string }): Promise<User>;
    removeAvatar(): Promise<null>;
    avatar(userId: number, avatarUrl?: string | null): Promise<Response>;
    resendVerification(): Promise<{ sent: boolean }>;
    sessions(): Promise<{ sessions: { id: number; ip_address: string | null; user_agent: string | null; created_at: string; last_used_at: string; expires_at: string }[]; current_session_id: number }>;
    endSession(sessionId: number): Promise<null>;
  };
  bots: {
    createToken(options: { name: string; scopes: ('read' | 'write' | 'admin')[]; expiresInDays?: number }): Promise<AccessTokenInfo & { token: string }>;
    tokens(): Promise<{ tokens: AccessTokenInfo[] }>;
    revokeToken(tokenId: number): Promise<null>;
    create(username: string, options?: { displayName?: string }): Promise<User>;
    list(): Promise<{ bots: User[] }>;
    deactivate(botId: number): Promise<null>;
    createBotToken(botId: number, options: { name: string; scopes: ('read' | 'write')[]; expiresInDays?: number }): Promise<AccessTokenInfo & { token: string }>;
    botTokens(botId: number): Promise<{ tokens: AccessTokenInfo[] }>;
    revokeBotToken(botId: number, tokenId: number): Promise<null>;
    createHook(roomId: number, name: string): Promise<IncomingWebhookInfo & { url: string }>;
    hooks(roomId: number): Promise<{ incoming_webhooks: IncomingWebhookInfo[] }>;
    deleteHook(roomId: number, hookId: number): Promise<null>;
    rotateHook(roomId: number, hookId: number): Promise<IncomingWebhookInfo & { url: string }>;
    postToHook(url: string, body: { text?: string; content?: string; username?: string; icon_url?: string; attachments?: Json[] }): Promise<Message>;
  };
  invites: {
    create(options?: { roomIds?: number[]; maxUses?: number; expiresInSecs?: number; email?: string }): Promise<Invite & { code: string; url: string }>;
    list(options?: { limit?: number; page?: number }): Promise<{ invites: Invite[]; total: number; has_more: boolean }>;
    revoke(inviteId: number): Promise<null>;
    preview(code: string): Promise<{ valid: boolean; rooms: { id: number; name: string }[]; inviter: { username: string }; expires_at: string }>;
    accept(code: string, username: string, email: string, password: string, profile?: Json): Promise<Tokens>;
  };
  chat: {
    getRooms(options?: { limit?: number; page?: number }): Promise<{ rooms: Room[]; [field: string]: unknown }>;
  };
  rooms: {
    list(params?: Params): Promise<{ rooms: Room[]; total: number; has_more: boolean }>;
    iter(params?: Params): AsyncIterable<Room>;
    create(name: string, fields?: Json): Promise<Room>;
    get(roomId: number): Promise<Room>;
    update(roomId: number, fields: Json): Promise<Room>;
    delete(roomId: number): Promise<null>;
    join(roomId: number): Promise<Room>;
    leave(roomId: number): Promise<null>;
    read(roomId: number, messageId?: number): Promise<{ last_read_message_id: number; unread_count: number }>;
    stats(roomId: number, period?: string): Promise<Json>;
    audit(roomId: number, params?: Params): Promise<Json>;
    export(roomId: number): Promise<Json>;
    files(roomId: number, params?: Params): Promise<{ files: FileObject[] }>;
  };
  members: {
    list(roomId: number, params?: Params): Promise<Json>;
    add(roomId: number, member: { userId?: number; username?: string; role?: string }): Promise<Json>;
    update(roomId: number, userId: number, role: string): Promise<Json>;
    remove(roomId: number, userId: number): Promise<null>;
  };
  messages: {
    list(roomId: number, params?: Params): Promise<MessagePage>;
    iterRoom(roomId: number, pageSize?: number): AsyncIterable<Message>;
    send(roomId: number, content: string, options?: { parentMessageId?: number; metadata?: Json; attachments?: number[]; idempotencyKey?: string }): Promise<Message>;
    get(messageId: number): Promise<Message>;
    edit(messageId: number, content: string, editReason?: string): Promise<Message>;
    delete(messageId: number, reason?: string): Promise<null>;
    thread(messageId: number, params?: Params): Promise<MessagePage>;
    history(messageId: number): Promise<{ history: Json[] }>;
    pin(messageId: number, pinned?: boolean): Promise<Message>;
  };
  reactions: {
    list(messageId: number): Promise<Json>;
    add(messageId: number, emoji: string): Promise<Json>;
    remove(messageId: number, emoji: string): Promise<null>;
  };
  conversations: {
    list(params?: Params): Promise<Json>;
    open(userId: number): Promise<Json>;
    get(conversationId: number): Promise<Json>;
    messages(conversationId: number, params?: Params): Promise<MessagePage>;
    iterMessages(conversationId: number, pageSize?: number): AsyncIterable<Message>;
    send(conversationId: number, content: string, fields?: Json): Promise<Message>;
    block(conversationId: number, blocked?: boolean): Promise<Json>;
    read(conversationId: number, messageId?: number): Promise<Json>;
  };
  files: {
    upload(file: Blob | string, options?: { roomId?: number; conversationId?: number; description?: string; filename?: string }): Promise<FileObject>;
    get(fileId: number): Promise<FileObject>;
    delete(fileId: number): Promise<null>;
    download(fileId: number): Promise<Response>;
    thumbnail(fileId: number): Promise<Response>;
    downloadTo(fileId: number, path: string): Promise<string>;
  };
  webhooks: {
    list(): Promise<{ webhooks: Json[] }>;
    create(webhook: { url: string; events: string[]; secret?: string; roomId?: number }): Promise<Json>;
    get(webhookId: number): Promise<Json>;
    update(webhookId: number, fields: Json): Promise<Json>;
    delete(webhookId: number): Promise<null>;
    deliveries(webhookId: number, params?: Params): Promise<{ deliveries: Json[] }>;
    test(webhookId: number): Promise<Json>;
    rotateSecret(webhookId: number): Promise<Json>;
  };
  streams: {
    list(params?: Params): Promise<Json>;
    listPlatform(params?: Params): Promise<Json>;
    create(title: string, fields?: Json): Promise<Json>;
    get(streamId: number): Promise<Json>;
    update(streamId: number, fields: Json): Promise<Json>;
    delete(streamId: number): Promise<null>;
    start(streamId: number): Promise<Json>;
    stop(streamId: number): Promise<Json>;
    watch(streamId: number): Promise<{ viewer_count: number }>;
  };
  search: {
    messages(q: string, options?: { roomId?: number; conversationId?: number; beforeId?: number; limit?: number }): Promise<{ messages: (Message & { highlight: string })[]; has_more: boolean }>;
  };
  notifications: {
    vapidPublicKey(): Promise<{ public_key: string }>;
    subscribe(subscription: { endpoint: string; keys: { p256dh: string; auth: string } }): Promise<PushSubscriptionInfo>;
    subscriptions(): Promise<PushSubscriptionInfo[]>;
    unsubscribe(subscriptionId: number): Promise<null>;
    preferences(): Promise<NotificationPreferences>;
    setPreferences(changes: { defaultLevel?: 'all' | 'mentions' | 'none'; dndUntil?: string | null }): Promise<NotificationPreferences>;
    room(roomId: number): Promise<RoomNotifications>;
    setRoom(roomId: number, changes: { level?: 'default' | 'all' | 'mentions' | 'none'; mutedUntil?: string | null }): Promise<RoomNotifications>;
  };
  admin: {
    stats(): Promise<Json>;
    users(params?: Params): Promise<{ users: User[]; total: number }>;
    updateUser(userId: number, changes: { isActive?: boolean; role?: 'user' | 'admin' }): Promise<User>;
    createUser(username: string, email: string, options?: { password?: string; role?: 'user' | 'admin' }): Promise<User & { set_password?: { url: string; expires_at: string } }>;
    passwordResetLink(userId: number): Promise<{ url: string; expires_at: string }>;
    importBatch(batch: { source: 'slack' | 'mattermost'; users?: Json[]; rooms?: Json[]; conversations?: Json[]; messages?: Json[] }): Promise<Json>;
  };
  server: {
    health(): Promise<{ status: string }>;
    ping(): Promise<{ pong: boolean }>;
    limits(): Promise<{ message_max_length: number; upload_max_bytes: number; max_attachments: number; metadata_max_bytes: number }>;
    openapi(): Promise<Json>;
    docs(asset?: string): Promise<string>;
    metrics(token: string): Promise<string>;
  };
}
