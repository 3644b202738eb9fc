//! Rooms, their members, read markers, statistics and exports.

use serde_json::json;

use super::op::{nullable_text, op, text, Op};
use crate::openapi::schemas::{
    boolean, integer, list_of, nullable_integer, object, reference, string,
};

pub(super) fn rooms() -> Vec<Op> {
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
