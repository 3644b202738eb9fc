//! Every operation of the API, as the document describes it. `tests/openapi.rs`
//! compares this list with the routes Rocket mounts, both ways: a route added
//! without its description here fails the tests.

use serde_json::{json, Map, Value};

use super::schemas::{
    array, boolean, integer, list_of, nullable_integer, object, reference, string,
};

/// One operation.
pub struct Op {
    pub method: &'static str,
    pub path: String,
    summary: &'static str,
    tag: &'static str,
    public: bool,
    query: Vec<(&'static str, Value)>,
    body: Option<Value>,
    status: u16,
    /// The success answer: `Some(schema)` of `data` in the envelope, `None` for no body.
    answer: Answer,
    /// Other answers than the success and the error envelope (206, 304…).
    also: Vec<(u16, Value)>,
}

enum Answer {
    Data(Value),
    Empty,
    /// Another content type (bytes, text, a redirect, a WebSocket upgrade).
    Raw(&'static str),
}

fn op(
    method: &'static str,
    path: impl Into<String>,
    tag: &'static str,
    summary: &'static str,
) -> Op {
    Op {
        method,
        path: path.into(),
        summary,
        tag,
        public: false,
        query: Vec::new(),
        body: None,
        status: 200,
        answer: Answer::Data(json!({"type": "object"})),
        also: Vec::new(),
    }
}

impl Op {
    /// Needs no token.
    fn public(mut self) -> Op {
        self.public = true;
        self
    }
    fn query(mut self, name: &'static str, schema: Value) -> Op {
        self.query.push((name, schema));
        self
    }
    /// `limit`, `offset` and `page`.
    fn paged(self) -> Op {
        self.query("limit", json!({"type": "integer", "minimum": 1}))
            .query("offset", json!({"type": "integer", "minimum": 0}))
            .query("page", json!({"type": "integer", "minimum": 1}))
    }
    fn body(mut self, schema: Value) -> Op {
        self.body = Some(schema);
        self
    }
    fn answers(mut self, status: u16, data: Value) -> Op {
        self.status = status;
        self.answer = Answer::Data(data);
        self
    }
    fn no_content(mut self) -> Op {
        self.status = 204;
        self.answer = Answer::Empty;
        self
    }
    /// Another answer, described by `response` (an OpenAPI response object).
    fn also(mut self, status: u16, response: Value) -> Op {
        self.also.push((status, response));
        self
    }
    fn raw(mut self, status: u16, content_type: &'static str) -> Op {
        self.status = status;
        self.answer = Answer::Raw(content_type);
        self
    }

    /// The operation object of the document.
    pub fn to_json(&self) -> Value {
        let mut parameters: Vec<Value> = path_parameters(&self.path);
        parameters.extend(self.query.iter().map(|(name, schema)| {
            json!({"name": name, "in": "query", "required": false, "schema": schema})
        }));
        let success = match &self.answer {
            Answer::Data(data) => enveloped(data.clone()),
            Answer::Empty => json!({"description": "done, no content"}),
            Answer::Raw(content_type) => json!({
                "description": "success",
                "content": {*content_type: {"schema": {}}},
            }),
        };
        let mut responses = Map::new();
        responses.insert(self.status.to_string(), success);
        for (status, response) in &self.also {
            responses.insert(status.to_string(), response.clone());
        }
        responses.insert(
            "default".into(),
            json!({
                "description": "the error envelope",
                "content": {"application/json": {"schema": reference("Error")}},
            }),
        );
        let mut operation = json!({
            "summary": self.summary,
            "tags": [self.tag],
            "operationId": format!("{} {}", self.method, self.path),
            "parameters": parameters,
            "responses": responses,
        });
        if self.public {
            operation["security"] = json!([]);
        }
        if let Some(body) = &self.body {
            operation["requestBody"] = match body.get("multipart") {
                Some(form) => json!({
                    "required": true,
                    "content": {"multipart/form-data": {"schema": form}},
                }),
                None => json!({
                    "required": true,
                    "content": {"application/json": {"schema": body}},
                }),
            };
        }
        operation
    }
}

/// A success answer: `data` in the envelope.
fn enveloped(data: Value) -> Value {
    json!({
        "description": "success",
        "content": {"application/json": {"schema": {
            "type": "object",
            "properties": {"success": {"const": true}, "data": data},
            "required": ["success", "data"],
        }}},
    })
}

/// The path's `{name}` parameters: `{emoji}` is text, every other one an id.
fn path_parameters(path: &str) -> Vec<Value> {
    path.split('/')
        .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| {
            // The examples name things a fresh server's first user makes first,
            // so example-based tests reach past "not found".
            let (schema, example) = if name == "emoji" {
                (json!({"type": "string", "minLength": 1}), json!("👍"))
            } else {
                (json!({"type": "integer"}), json!(1))
            };
            json!({"name": name, "in": "path", "required": true, "schema": schema, "example": example})
        })
        .collect()
}

fn text(max: u32) -> Value {
    json!({"type": "string", "maxLength": max})
}
fn nullable_text(max: u32) -> Value {
    json!({"type": ["string", "null"], "maxLength": max})
}

pub fn all() -> Vec<Op> {
    let mut ops = Vec::new();
    ops.extend(accounts());
    ops.extend(rooms());
    ops.extend(messages());
    ops.extend(conversations());
    ops.extend(files());
    ops.extend(webhooks());
    ops.extend(streams());
    ops.extend(operations());
    ops
}

fn accounts() -> Vec<Op> {
    let register = object(
        &[
            ("username", text(32)),
            ("email", text(254)),
            ("password", text(128)),
            ("first_name", nullable_text(64)),
            ("last_name", nullable_text(64)),
        ],
        3,
    );
    let login = object(
        &[
            ("password", text(1000)),
            ("username", text(254)),
            ("email", text(254)),
        ],
        1,
    );
    let refresh = object(&[("refresh_token", string())], 1);
    let code = object(
        &[
            ("code", string()),
            ("state", string()),
            ("error", string()),
            ("error_description", string()),
        ],
        0,
    );
    let tokens = reference("TokenPair");
    let mut ops = Vec::new();
    for base in ["/api/v1/auth", "/auth"] {
        let p = |rest: &str| format!("{base}{rest}");
        ops.extend([
            op(
                "post",
                p("/register"),
                "accounts",
                "Create an account and sign in",
            )
            .public()
            .body(register.clone())
            .answers(201, tokens.clone()),
            op(
                "post",
                p("/login"),
                "accounts",
                "Sign in by username or e-mail",
            )
            .public()
            .body(login.clone())
            .answers(200, tokens.clone()),
            op(
                "post",
                p("/refresh"),
                "accounts",
                "Trade a refresh token for a new pair",
            )
            .public()
            .body(refresh.clone())
            .answers(200, tokens.clone()),
            op("post", p("/logout"), "accounts", "End the session").no_content(),
            op(
                "get",
                p("/oauth/provider"),
                "single sign-on",
                "The identity provider, if any",
            )
            .public()
            .answers(200, object(&[("display_name", string())], 1)),
            op(
                "get",
                p("/oauth/authorize"),
                "single sign-on",
                "Start a sign-in at the provider (302); with a token, link it",
            )
            .public()
            .answers(
                302,
                object(
                    &[
                        ("authorization_url", string()),
                        ("state", string()),
                        ("expires_in", integer()),
                    ],
                    3,
                ),
            ),
            op(
                "post",
                p("/oauth/authorize"),
                "single sign-on",
                "The same as the GET (the platform API's spelling)",
            )
            .public()
            .answers(
                302,
                object(
                    &[
                        ("authorization_url", string()),
                        ("state", string()),
                        ("expires_in", integer()),
                    ],
                    3,
                ),
            ),
            op(
                "get",
                p("/oauth/callback"),
                "single sign-on",
                "The provider's return: sign in",
            )
            .public()
            .query("code", string())
            .query("state", string())
            .query("error", string())
            .query("error_description", string())
            .answers(200, tokens.clone()),
            op(
                "post",
                p("/oauth/token"),
                "single sign-on",
                "Finish a sign-in with the code a client received",
            )
            .public()
            .body(code.clone())
            .answers(200, tokens.clone()),
        ]);
    }
    let profile = object(
        &[
            ("username", text(32)),
            ("email", text(254)),
            ("status_message", nullable_text(256)),
            ("first_name", nullable_text(64)),
            ("last_name", nullable_text(64)),
        ],
        0,
    );
    let user = reference("User");
    ops.extend([
        op("get", "/api/v1/users/me", "users", "The caller's profile").answers(200, user.clone()),
        op(
            "get",
            "/api/users/me",
            "users",
            "The caller's profile (platform API)",
        )
        .answers(200, user.clone()),
        op(
            "put",
            "/api/v1/users/me",
            "users",
            "Change the caller's profile",
        )
        .body(profile)
        .answers(200, user.clone()),
        op(
            "put",
            "/api/v1/users/me/password",
            "users",
            "Change the caller's password",
        )
        .body(object(
            &[
                ("current_password", text(1000)),
                ("new_password", text(128)),
            ],
            2,
        ))
        .answers(
            200,
            object(
                &[
                    ("password_changed", boolean()),
                    ("other_sessions_ended", integer()),
                ],
                2,
            ),
        ),
        op("get", "/api/v1/users/{id}", "users", "A user's profile").answers(200, user.clone()),
        op("get", "/api/v1/users/search", "users", "Find users by name")
            .query("q", string())
            .paged()
            .answers(200, list_of("users", user.clone())),
        op(
            "get",
            "/api/v1/users/me/export",
            "operations",
            "The caller's own data as one JSON file",
        )
        .answers(
            200,
            json!({"type": "object", "required": ["user", "messages"]}),
        ),
        op(
            "get",
            "/api/v1/admin/stats",
            "administration",
            "Server statistics (admins)",
        ),
        op(
            "get",
            "/api/v1/admin/users",
            "administration",
            "Every account (admins)",
        )
        .query("q", string())
        .query("is_active", boolean())
        .query("role", json!({"enum": ["user", "admin"]}))
        .paged()
        .answers(200, list_of("users", user.clone())),
        op(
            "put",
            "/api/v1/admin/users/{id}",
            "administration",
            "Activate, deactivate, change a role (admins)",
        )
        .body(object(
            &[
                ("is_active", boolean()),
                ("role", json!({"enum": ["user", "admin"]})),
            ],
            0,
        ))
        .answers(200, user),
    ]);
    ops
}

fn rooms() -> Vec<Op> {
    let room = reference("Room");
    let create = object(
        &[
            ("name", text(100)),
            ("description", nullable_text(500)),
            ("is_public", boolean()),
            ("is_private", boolean()),
            ("max_members", nullable_integer()),
        ],
        1,
    );
    let update = object(
        &[
            ("name", text(100)),
            ("description", nullable_text(500)),
            ("is_public", boolean()),
            ("is_private", boolean()),
            ("max_members", nullable_integer()),
            ("retention_days", nullable_integer()),
        ],
        0,
    );
    let rooms_list = list_of("rooms", room.clone());
    vec![
        op("get", "/api/v1/rooms", "rooms", "Rooms the caller may see")
            .query(
                "filter",
                json!({"enum": ["public", "private", "joined", "owned"]}),
            )
            .query("search", string())
            .paged()
            .answers(200, rooms_list.clone()),
        op("get", "/api/chat/rooms", "rooms", "Rooms (platform API)")
            .query(
                "filter",
                json!({"enum": ["public", "private", "joined", "owned"]}),
            )
            .query("search", string())
            .paged()
            .answers(200, rooms_list),
        op("post", "/api/v1/rooms", "rooms", "Create a room")
            .body(create)
            .answers(201, room.clone()),
        op("get", "/api/v1/rooms/{id}", "rooms", "One room").answers(200, room.clone()),
        op("put", "/api/v1/rooms/{id}", "rooms", "Change a room")
            .body(update)
            .answers(200, room.clone()),
        op(
            "delete",
            "/api/v1/rooms/{id}",
            "rooms",
            "Delete a room (owner)",
        )
        .no_content(),
        op(
            "post",
            "/api/v1/rooms/{id}/join",
            "rooms",
            "Join a public room",
        )
        .answers(200, room),
        op("post", "/api/v1/rooms/{id}/leave", "rooms", "Leave a room").no_content(),
        op(
            "get",
            "/api/v1/rooms/{id}/audit",
            "rooms",
            "The room's audit log (moderators)",
        )
        .query("action", string())
        .paged(),
        op(
            "get",
            "/api/v1/rooms/{id}/members",
            "members",
            "Members by role",
        )
        .query(
            "role",
            json!({"enum": ["owner", "moderator", "member", "all"]}),
        )
        .paged()
        .answers(200, list_of("members", reference("Member"))),
        op(
            "post",
            "/api/v1/rooms/{id}/members",
            "members",
            "Add a member",
        )
        .body(object(
            &[
                ("user_id", integer()),
                ("role", json!({"enum": ["moderator", "member"]})),
            ],
            1,
        ))
        .answers(201, reference("Member")),
        op(
            "put",
            "/api/v1/rooms/{id}/members/{user_id}",
            "members",
            "Change a member's role",
        )
        .body(object(
            &[("role", json!({"enum": ["owner", "moderator", "member"]}))],
            1,
        ))
        .answers(200, reference("Member")),
        op(
            "delete",
            "/api/v1/rooms/{id}/members/{user_id}",
            "members",
            "Remove a member",
        )
        .no_content(),
        op(
            "post",
            "/api/v1/rooms/{id}/read",
            "messages",
            "Mark the room read",
        )
        .body(object(&[("message_id", nullable_integer())], 0))
        .answers(
            200,
            object(
                &[
                    ("last_read_message_id", integer()),
                    ("unread_count", integer()),
                ],
                2,
            ),
        ),
        op(
            "get",
            "/api/v1/rooms/{id}/stats",
            "rooms",
            "The room's statistics",
        )
        .query("period", json!({"enum": ["24h", "7d", "30d", "all"]})),
        op(
            "get",
            "/api/v1/rooms/{id}/export",
            "operations",
            "The room, members and messages as one JSON file (owner, admins)",
        )
        .answers(
            200,
            json!({"type": "object", "required": ["room", "members", "messages"]}),
        ),
    ]
}

fn page_query(op: Op) -> Op {
    op.query("limit", json!({"type": "integer", "minimum": 1}))
        .query("before_id", integer())
        .query("after_id", integer())
        .query("include_threads", boolean())
        .query("pinned_only", boolean())
}

fn messages() -> Vec<Op> {
    let message = reference("Message");
    let send = object(
        &[
            ("content", text(20_000)),
            ("parent_message_id", nullable_integer()),
            ("metadata", json!({"type": ["object", "null"]})),
            ("attachments", array(integer())),
        ],
        0,
    );
    let page = object(
        &[
            ("messages", array(message.clone())),
            ("has_more", boolean()),
            ("total_count", integer()),
        ],
        2,
    );
    vec![
        page_query(op(
            "get",
            "/api/v1/rooms/{id}/messages",
            "messages",
            "A page of a room's messages",
        ))
        .answers(200, page.clone()),
        op(
            "post",
            "/api/v1/rooms/{id}/messages",
            "messages",
            "Send a message to a room",
        )
        .body(send.clone())
        .answers(201, message.clone()),
        page_query(op(
            "get",
            "/api/v1/conversations/{id}/messages",
            "conversations",
            "A page of a conversation's messages",
        ))
        .answers(200, page),
        op(
            "post",
            "/api/v1/conversations/{id}/messages",
            "conversations",
            "Send a direct message",
        )
        .body(send)
        .answers(201, message.clone()),
        op("get", "/api/v1/messages/{id}", "messages", "One message").answers(200, message.clone()),
        op(
            "put",
            "/api/v1/messages/{id}",
            "messages",
            "Edit a message (author)",
        )
        .body(object(
            &[
                ("content", text(20_000)),
                ("edit_reason", nullable_text(500)),
            ],
            1,
        ))
        .answers(200, message.clone()),
        op(
            "delete",
            "/api/v1/messages/{id}",
            "messages",
            "Delete a message",
        )
        .query("reason", string())
        .no_content(),
        op(
            "get",
            "/api/v1/messages/{id}/thread",
            "messages",
            "A thread's replies",
        )
        .query("after_id", integer())
        .paged()
        .answers(
            200,
            object(
                &[
                    ("messages", array(message.clone())),
                    ("has_more", boolean()),
                ],
                2,
            ),
        ),
        op(
            "get",
            "/api/v1/messages/{id}/history",
            "messages",
            "Earlier versions of a message",
        )
        .answers(
            200,
            object(&[("history", array(json!({"type": "object"})))], 1),
        ),
        op(
            "post",
            "/api/v1/messages/{id}/pin",
            "messages",
            "Pin or unpin a message (moderators)",
        )
        .body(object(&[("pinned", boolean())], 0))
        .answers(200, message),
        op(
            "get",
            "/api/v1/messages/{id}/reactions",
            "reactions",
            "A message's reactions",
        )
        .answers(
            200,
            object(
                &[
                    ("message_id", integer()),
                    ("total_reactions", integer()),
                    ("reactions", array(json!({"type": "object"}))),
                ],
                3,
            ),
        ),
        op(
            "post",
            "/api/v1/messages/{id}/reactions",
            "reactions",
            "React (201 new, 200 already)",
        )
        .body(object(&[("emoji", text(64))], 1))
        .answers(201, json!({"type": "object"})),
        op(
            "delete",
            "/api/v1/messages/{id}/reactions/{emoji}",
            "reactions",
            "Take a reaction back",
        )
        .no_content(),
        op(
            "get",
            "/api/v1/search",
            "search",
            "Full-text search of readable messages",
        )
        .query("q", string())
        .query("room_id", integer())
        .query("conversation_id", integer())
        .query("before_id", integer())
        .paged()
        .answers(
            200,
            object(
                &[
                    ("messages", array(json!({"type": "object"}))),
                    ("has_more", boolean()),
                ],
                2,
            ),
        ),
    ]
}

fn conversations() -> Vec<Op> {
    let conversation = reference("Conversation");
    vec![
        op(
            "get",
            "/api/v1/conversations",
            "conversations",
            "The caller's conversations",
        )
        .query("include_last_message", boolean())
        .paged()
        .answers(200, list_of("conversations", conversation.clone())),
        op(
            "post",
            "/api/v1/conversations",
            "conversations",
            "Open a conversation (201 new, 200 existing)",
        )
        .body(object(&[("user_id", integer())], 1))
        .answers(201, conversation.clone()),
        op(
            "get",
            "/api/v1/conversations/{id}",
            "conversations",
            "One conversation",
        )
        .answers(200, conversation.clone()),
        op(
            "post",
            "/api/v1/conversations/{id}/block",
            "conversations",
            "Block or unblock the other user",
        )
        .body(object(&[("blocked", boolean())], 0))
        .answers(200, conversation),
        op(
            "post",
            "/api/v1/conversations/{id}/read",
            "conversations",
            "Mark the conversation read",
        )
        .body(object(&[("message_id", nullable_integer())], 0))
        .answers(
            200,
            object(
                &[
                    ("last_read_message_id", integer()),
                    ("unread_count", integer()),
                ],
                2,
            ),
        ),
    ]
}

fn files() -> Vec<Op> {
    let file = reference("File");
    let upload = json!({"multipart": object(
        &[
            ("file", json!({"type": "string", "contentMediaType": "application/octet-stream"})),
            ("room_id", integer()),
            ("conversation_id", integer()),
            ("description", string()),
        ],
        1,
    )});
    vec![
        op(
            "post",
            "/api/v1/files/upload",
            "files",
            "Upload a file (multipart, streamed)",
        )
        .body(upload)
        .answers(201, file.clone()),
        op("get", "/api/v1/files/{id}", "files", "A file's metadata").answers(200, file.clone()),
        op(
            "delete",
            "/api/v1/files/{id}",
            "files",
            "Delete a file and its bytes",
        )
        .no_content(),
        op(
            "get",
            "/api/v1/files/{id}/download",
            "files",
            "The bytes (Range, ETag); ?token= accepted",
        )
        .query("token", string())
        .raw(200, "*/*")
        .also(
            206,
            json!({"description": "the requested range", "content": {"*/*": {"schema": {}}}}),
        )
        .also(304, json!({"description": "not modified (If-None-Match)"})),
        op(
            "get",
            "/api/v1/files/{id}/thumbnail",
            "files",
            "A PNG thumbnail; ?token= accepted",
        )
        .query("token", string())
        .raw(200, "image/png"),
        op("get", "/api/v1/rooms/{id}/files", "files", "A room's files")
            .paged()
            .answers(200, list_of("files", file)),
    ]
}

fn webhooks() -> Vec<Op> {
    let webhook = reference("Webhook");
    let create = object(
        &[
            ("url", text(2048)),
            ("events", array(string())),
            ("secret", text(256)),
            ("room_id", nullable_integer()),
        ],
        2,
    );
    let update = object(
        &[
            ("url", text(2048)),
            ("events", array(string())),
            ("secret", text(256)),
            ("is_active", boolean()),
        ],
        0,
    );
    vec![
        op(
            "get",
            "/api/v1/webhooks",
            "webhooks",
            "The webhooks the caller manages",
        )
        .answers(200, object(&[("webhooks", array(webhook.clone()))], 1)),
        op("post", "/api/v1/webhooks", "webhooks", "Register a webhook")
            .body(create)
            .answers(201, webhook.clone()),
        op("get", "/api/v1/webhooks/{id}", "webhooks", "One webhook").answers(200, webhook.clone()),
        op(
            "put",
            "/api/v1/webhooks/{id}",
            "webhooks",
            "Change a webhook",
        )
        .body(update)
        .answers(200, webhook.clone()),
        op(
            "delete",
            "/api/v1/webhooks/{id}",
            "webhooks",
            "Delete a webhook",
        )
        .no_content(),
        op(
            "post",
            "/api/v1/webhooks/{id}/test",
            "webhooks",
            "Send webhook.test now",
        ),
        op(
            "post",
            "/api/v1/webhooks/{id}/rotate-secret",
            "webhooks",
            "A new secret, shown once",
        )
        .answers(200, webhook),
        op(
            "get",
            "/api/v1/webhooks/{id}/deliveries",
            "webhooks",
            "The delivery log",
        )
        .paged(),
    ]
}

fn streams() -> Vec<Op> {
    let stream = reference("Stream");
    let create = object(
        &[
            ("title", text(200)),
            ("description", nullable_text(2000)),
            ("playback_url", nullable_text(2048)),
            ("file_id", nullable_integer()),
        ],
        1,
    );
    let update = object(
        &[
            ("title", text(200)),
            ("description", nullable_text(2000)),
            ("playback_url", nullable_text(2048)),
            ("file_id", nullable_integer()),
        ],
        0,
    );
    vec![
        op("get", "/api/v1/streams", "streams", "Streams, live first")
            .query("live", boolean())
            .paged()
            .answers(200, list_of("streams", stream.clone())),
        op(
            "get",
            "/api/streams",
            "streams",
            "Streams (platform API: `id` is the uuid)",
        )
        .query("live", boolean())
        .paged(),
        op("post", "/api/v1/streams", "streams", "Announce a stream")
            .body(create)
            .answers(201, stream.clone()),
        op("get", "/api/v1/streams/{id}", "streams", "One stream").answers(200, stream.clone()),
        op("put", "/api/v1/streams/{id}", "streams", "Change a stream")
            .body(update)
            .answers(200, stream.clone()),
        op(
            "delete",
            "/api/v1/streams/{id}",
            "streams",
            "Delete a stream and its room",
        )
        .no_content(),
        op(
            "post",
            "/api/v1/streams/{id}/start",
            "streams",
            "Go live (owner)",
        )
        .answers(200, stream.clone()),
        op(
            "post",
            "/api/v1/streams/{id}/stop",
            "streams",
            "Stop (owner, admins)",
        )
        .answers(200, stream),
        op(
            "post",
            "/api/v1/streams/{id}/watch",
            "streams",
            "A viewer's heartbeat",
        )
        .answers(200, object(&[("viewer_count", integer())], 1)),
    ]
}

fn operations() -> Vec<Op> {
    vec![
        op(
            "get",
            "/health",
            "operations",
            "Liveness: the database answers",
        )
        .public()
        .raw(200, "application/json"),
        op(
            "get",
            "/api/v1/ping",
            "operations",
            "Liveness without the database",
        )
        .public()
        .answers(200, object(&[("pong", boolean())], 1)),
        op(
            "get",
            "/metrics",
            "operations",
            "Prometheus metrics, with the metrics token",
        )
        .public()
        .raw(200, "text/plain"),
        op(
            "get",
            "/api/v1/ws",
            "real time",
            "The WebSocket (docs/REALTIME.md); ?token= accepted",
        )
        .query("token", string())
        .raw(101, "application/json"),
        op("get", "/api/v1/openapi.json", "operations", "This document")
            .public()
            .raw(200, "application/json"),
        op("get", "/docs", "operations", "This document, rendered")
            .public()
            .raw(200, "text/html"),
        op(
            "get",
            "/docs/viewer.js",
            "operations",
            "The viewer's script",
        )
        .public()
        .raw(200, "text/javascript"),
        op(
            "get",
            "/docs/viewer.css",
            "operations",
            "The viewer's style sheet",
        )
        .public()
        .raw(200, "text/css"),
    ]
}
