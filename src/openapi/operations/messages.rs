//! Messages, reactions, search and direct conversations.

use serde_json::json;

use super::op::{nullable_text, op, text, Op};
use crate::openapi::schemas::{
    array, boolean, integer, list_of, nullable_integer, object, reference, string,
};

pub(super) fn page_query(op: Op) -> Op {
    op.query("limit", json!({"type": "integer", "minimum": 1}))
        .query("before_id", integer())
        .query("after_id", integer())
        .query("include_threads", boolean())
        .query("pinned_only", boolean())
}

pub(super) fn messages() -> Vec<Op> {
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
        .answers(201, json!({"type": "object"}))
        .or_status(200),
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

pub(super) fn conversations() -> Vec<Op> {
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
        .answers(201, conversation.clone())
        .or_status(200),
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
