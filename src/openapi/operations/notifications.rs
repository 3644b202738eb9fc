//! Notifications: Web Push subscriptions and preferences (API §16).

use serde_json::json;

use super::op::{op, text, Op};
use crate::openapi::schemas::{array, integer, nullable_string, object, string};

pub(super) fn notifications() -> Vec<Op> {
    let subscription = object(
        &[
            ("id", integer()),
            ("endpoint", string()),
            ("created_at", string()),
        ],
        3,
    );
    let level = json!({"enum": ["all", "mentions", "none"]});
    let room_level = json!({"enum": ["default", "all", "mentions", "none"]});
    let preferences = object(
        &[
            ("default_level", level.clone()),
            ("dnd_until", nullable_string()),
        ],
        2,
    );
    let room = object(
        &[
            ("room_id", integer()),
            ("level", room_level.clone()),
            ("muted_until", nullable_string()),
        ],
        3,
    );
    vec![
        op(
            "get",
            "/api/v1/push/vapid-public-key",
            "notifications",
            "The key browsers subscribe with",
        )
        .public()
        .answers(200, object(&[("public_key", string())], 1)),
        op(
            "post",
            "/api/v1/push/subscriptions",
            "notifications",
            "Register a browser's push subscription (201 new, 200 known)",
        )
        .body(object(
            &[
                ("endpoint", text(2048)),
                (
                    "keys",
                    object(&[("p256dh", string()), ("auth", string())], 2),
                ),
                ("expirationTime", json!({})),
            ],
            2,
        ))
        .answers(201, subscription.clone())
        .or_status(200),
        op(
            "get",
            "/api/v1/push/subscriptions",
            "notifications",
            "The caller's push subscriptions",
        )
        .answers(200, array(subscription)),
        op(
            "delete",
            "/api/v1/push/subscriptions/{id}",
            "notifications",
            "Remove a push subscription",
        )
        .no_content(),
        op(
            "get",
            "/api/v1/users/me/notifications",
            "notifications",
            "The caller's notification preferences",
        )
        .answers(200, preferences.clone()),
        op(
            "put",
            "/api/v1/users/me/notifications",
            "notifications",
            "Change the default level or do-not-disturb",
        )
        .body(object(
            &[("default_level", level), ("dnd_until", nullable_string())],
            0,
        ))
        .answers(200, preferences),
        op(
            "get",
            "/api/v1/rooms/{id}/notifications",
            "notifications",
            "The caller's notification settings in a room",
        )
        .answers(200, room.clone()),
        op(
            "put",
            "/api/v1/rooms/{id}/notifications",
            "notifications",
            "Change a room's level or mute it",
        )
        .body(object(
            &[("level", room_level), ("muted_until", nullable_string())],
            0,
        ))
        .answers(200, room),
    ]
}
