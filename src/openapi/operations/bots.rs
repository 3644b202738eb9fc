//! Bots and integrations (API §20): personal access tokens, bot accounts,
//! incoming webhooks.

use serde_json::json;

use super::op::{op, text, Op};
use crate::openapi::schemas::{array, integer, nullable_string, object, reference, string};

pub(super) fn bots() -> Vec<Op> {
    let scopes = array(json!({"enum": ["read", "write", "admin"]}));
    let token_fields = [
        ("id", integer()),
        ("user_id", integer()),
        ("name", string()),
        ("scopes", scopes.clone()),
        ("expires_at", nullable_string()),
        ("last_used_at", nullable_string()),
        ("created_at", string()),
    ];
    let token = object(&token_fields, token_fields.len());
    let minted = object(&[&token_fields[..], &[("token", string())]].concat(), 8);
    let token_body = object(
        &[
            ("name", text(64)),
            ("scopes", scopes),
            (
                "expires_in_days",
                json!({"type": "integer", "minimum": 1, "maximum": 3650}),
            ),
        ],
        2,
    );
    let user = reference("User");
    let hook_fields = [
        ("id", integer()),
        ("room_id", integer()),
        ("name", string()),
        ("user_id", integer()),
        ("created_by", integer()),
        ("created_at", string()),
        ("last_used_at", nullable_string()),
    ];
    let hook = object(&hook_fields, hook_fields.len());
    let hook_made = object(&[&hook_fields[..], &[("url", string())]].concat(), 8);
    vec![
        op("post", "/api/v1/users/me/tokens", "bots", "Make an access token (shown once)")
            .body(token_body.clone())
            .answers(201, minted.clone()),
        op("get", "/api/v1/users/me/tokens", "bots", "The caller's access tokens")
            .answers(200, object(&[("tokens", array(token.clone()))], 1)),
        op("delete", "/api/v1/users/me/tokens/{id}", "bots", "Revoke an access token").no_content(),
        op("post", "/api/v1/bots", "bots", "Make a bot account")
            .body(object(&[("username", text(32)), ("display_name", text(64))], 1))
            .answers(201, user.clone()),
        op("get", "/api/v1/bots", "bots", "The caller's bots (admins: all)")
            .answers(200, object(&[("bots", array(user))], 1)),
        op("delete", "/api/v1/bots/{id}", "bots", "Deactivate a bot").no_content(),
        op("post", "/api/v1/bots/{id}/tokens", "bots", "Make a token for a bot (shown once)")
            .body(token_body)
            .answers(201, minted),
        op("get", "/api/v1/bots/{id}/tokens", "bots", "A bot's tokens")
            .answers(200, object(&[("tokens", array(token))], 1)),
        op("delete", "/api/v1/bots/{id}/tokens/{token_id}", "bots", "Revoke a bot's token")
            .no_content(),
        op(
            "post",
            "/api/v1/rooms/{room_id}/incoming-webhooks",
            "bots",
            "Make an incoming webhook (moderators; its URL shown once)",
        )
        .body(object(&[("name", text(64))], 1))
        .answers(201, hook_made.clone()),
        op(
            "get",
            "/api/v1/rooms/{room_id}/incoming-webhooks",
            "bots",
            "A room's incoming webhooks (moderators)",
        )
        .answers(200, object(&[("incoming_webhooks", array(hook))], 1)),
        op(
            "delete",
            "/api/v1/rooms/{room_id}/incoming-webhooks/{id}",
            "bots",
            "Delete an incoming webhook",
        )
        .no_content(),
        op(
            "post",
            "/api/v1/rooms/{room_id}/incoming-webhooks/{id}/rotate-secret",
            "bots",
            "A new URL for an incoming webhook (the old one stops)",
        )
        .answers(200, hook_made),
        op(
            "post",
            "/hooks/{secret}",
            "bots",
            "Post into the hook's room: Slack's {text, username, icon_url, attachments} or {content}",
        )
        .public()
        .body(object(
            &[
                ("text", text(100_000)),
                ("content", text(100_000)),
                ("username", text(64)),
                ("icon_url", text(2048)),
                ("attachments", array(json!({"type": "object"}))),
            ],
            0,
        ))
        .answers(200, reference("Message")),
    ]
}
