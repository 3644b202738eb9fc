//! The document's `components.schemas`: the envelope, the error, and the objects
//! the API answers. Fields every answer has are `required`; objects stay open
//! (`additionalProperties` allowed) so that a new field is not a breaking change.

use serde_json::{json, Map, Value};

pub fn string() -> Value {
    json!({"type": "string"})
}
pub fn nullable_string() -> Value {
    json!({"type": ["string", "null"]})
}
pub fn integer() -> Value {
    json!({"type": "integer"})
}
pub fn nullable_integer() -> Value {
    json!({"type": ["integer", "null"]})
}
pub fn boolean() -> Value {
    json!({"type": "boolean"})
}
pub fn array(items: Value) -> Value {
    json!({"type": "array", "items": items})
}
pub fn reference(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

/// An object with `fields` (name, schema), the first `required` of them required.
pub fn object(fields: &[(&str, Value)], required: usize) -> Value {
    let properties: Map<String, Value> = fields
        .iter()
        .map(|(name, schema)| ((*name).to_owned(), schema.clone()))
        .collect();
    let required: Vec<&str> = fields.iter().take(required).map(|(n, _)| *n).collect();
    json!({"type": "object", "properties": properties, "required": required})
}

/// The fields of a list answer beside its items.
pub fn list_of(items_field: &str, item: Value) -> Value {
    object(
        &[
            (items_field, array(item)),
            ("total", integer()),
            ("has_more", boolean()),
            ("pagination", reference("Pagination")),
        ],
        1,
    )
}

pub fn all() -> Value {
    let presence = [("is_online", boolean()), ("last_seen", nullable_string())];
    let mut schemas = Map::new();
    let mut add = |name: &str, schema: Value| {
        schemas.insert(name.to_owned(), schema);
    };
    add(
        "Error",
        object(
            &[
                ("success", json!({"const": false})),
                (
                    "error",
                    object(
                        &[
                            ("code", string()),
                            ("message", string()),
                            ("details", json!({"type": "object"})),
                            (
                                "timestamp",
                                json!({"type": "string", "format": "date-time"}),
                            ),
                            ("request_id", string()),
                        ],
                        5,
                    ),
                ),
            ],
            2,
        ),
    );
    add(
        "Pagination",
        object(
            &[
                ("page", integer()),
                ("limit", integer()),
                ("total", integer()),
                ("pages", integer()),
            ],
            4,
        ),
    );
    add(
        "User",
        object(
            &[
                ("id", integer()),
                ("uuid", string()),
                ("username", string()),
                ("role", json!({"enum": ["user", "admin"]})),
                ("is_active", boolean()),
                ("email_verified", boolean()),
                ("is_bot", boolean()),
                presence[0].clone(),
                presence[1].clone(),
                ("created_at", string()),
                ("first_name", nullable_string()),
                ("last_name", nullable_string()),
                ("status_message", nullable_string()),
                ("avatar_url", nullable_string()),
                ("last_login_at", nullable_string()),
                (
                    "email",
                    json!({"type": "string", "description": "only to the user and admins"}),
                ),
                ("bot_owner_id", integer()),
            ],
            15,
        ),
    );
    add(
        "TokenPair",
        object(
            &[
                ("access_token", string()),
                ("refresh_token", string()),
                ("expires_in", integer()),
                ("token_type", json!({"const": "Bearer"})),
                ("user", reference("User")),
            ],
            5,
        ),
    );
    add(
        "Room",
        object(
            &[
                ("id", integer()),
                ("uuid", string()),
                ("name", string()),
                ("description", nullable_string()),
                ("is_public", boolean()),
                ("is_private", boolean()),
                ("owner_id", integer()),
                ("member_count", integer()),
                ("max_members", nullable_integer()),
                ("retention_days", nullable_integer()),
                (
                    "my_role",
                    json!({"enum": ["owner", "moderator", "member", null]}),
                ),
                ("unread_count", integer()),
                (
                    "notification_level",
                    json!({"enum": ["default", "all", "mentions", "none"]}),
                ),
                ("muted_until", nullable_string()),
                ("last_activity", string()),
                ("created_at", string()),
                ("updated_at", string()),
            ],
            17,
        ),
    );
    add(
        "Member",
        object(
            &[
                ("user_id", integer()),
                ("username", string()),
                ("role", json!({"enum": ["owner", "moderator", "member"]})),
                ("joined_at", string()),
                presence[0].clone(),
                presence[1].clone(),
            ],
            6,
        ),
    );
    add(
        "File",
        object(
            &[
                ("id", integer()),
                ("file_id", integer()),
                ("uuid", string()),
                ("filename", string()),
                ("original_filename", string()),
                ("size", integer()),
                ("mime_type", string()),
                ("sha256", string()),
                ("url", string()),
                (
                    "thumbnail_status",
                    json!({"enum": ["pending", "ready", "none", "failed"]}),
                ),
                ("uploader_id", integer()),
                ("uploaded_at", string()),
                ("thumbnail_url", nullable_string()),
                ("description", nullable_string()),
                ("width", nullable_integer()),
                ("height", nullable_integer()),
                ("room_id", nullable_integer()),
                ("conversation_id", nullable_integer()),
                ("message_id", nullable_integer()),
            ],
            19,
        ),
    );
    add(
        "Message",
        object(
            &[
                ("id", integer()),
                ("uuid", string()),
                ("author_id", integer()),
                ("user_id", integer()),
                ("username", string()),
                ("author_kind", json!({"enum": ["user", "bot", "hook"]})),
                ("content", string()),
                ("thread_count", integer()),
                ("is_pinned", boolean()),
                ("is_edited", boolean()),
                ("edit_count", integer()),
                ("reactions", json!({"type": "object"})),
                ("mentions", array(integer())),
                ("attachments", array(reference("File"))),
                ("created_at", string()),
                ("updated_at", string()),
                ("room_id", nullable_integer()),
                ("conversation_id", nullable_integer()),
                ("parent_message_id", nullable_integer()),
                ("edited_at", nullable_string()),
                ("metadata", json!({"type": ["object", "null"]})),
                ("mentioned_users", array(json!({"type": "object"}))),
                ("avatar_url", nullable_string()),
            ],
            21,
        ),
    );
    add(
        "Conversation",
        object(
            &[
                ("id", integer()),
                ("uuid", string()),
                (
                    "other_user",
                    object(
                        &[
                            ("id", integer()),
                            ("username", string()),
                            presence[0].clone(),
                            presence[1].clone(),
                        ],
                        4,
                    ),
                ),
                ("unread_count", integer()),
                ("is_blocked", boolean()),
                ("created_at", string()),
                ("updated_at", string()),
                ("last_message", json!({"type": "object"})),
            ],
            7,
        ),
    );
    add(
        "Webhook",
        object(
            &[
                ("id", integer()),
                ("uuid", string()),
                ("url", string()),
                ("events", array(string())),
                ("room_id", nullable_integer()),
                ("created_by", integer()),
                ("is_active", boolean()),
                ("disabled_reason", nullable_string()),
                ("created_at", string()),
                ("updated_at", string()),
                (
                    "secret",
                    json!({"type": "string", "description": "shown at creation and rotation only"}),
                ),
            ],
            10,
        ),
    );
    add(
        "Stream",
        object(
            &[
                ("id", integer()),
                ("uuid", string()),
                ("title", string()),
                ("description", nullable_string()),
                ("owner", json!({"type": "object"})),
                ("is_live", boolean()),
                ("viewer_count", integer()),
                ("started_at", nullable_string()),
                ("ended_at", nullable_string()),
                ("playback_url", nullable_string()),
                ("file_id", nullable_integer()),
                ("file_url", nullable_string()),
                ("room_id", integer()),
                ("created_at", string()),
                ("updated_at", string()),
            ],
            15,
        ),
    );
    Value::Object(schemas)
}
