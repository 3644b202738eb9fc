//! Accounts for a team (API §17): invitations, e-mail verification, password
//! reset, admin-made accounts, avatars.

use serde_json::json;

use super::op::{op, text, Op};
use crate::openapi::schemas::{
    array, boolean, integer, list_of, nullable_string, object, reference, string,
};

pub(super) fn team() -> Vec<Op> {
    let invite_fields = [
        ("id", integer()),
        ("room_ids", array(integer())),
        ("max_uses", integer()),
        ("uses", integer()),
        ("email", nullable_string()),
        ("expires_at", string()),
        ("revoked", boolean()),
        ("created_by", integer()),
        ("created_at", string()),
    ];
    let invite = object(&invite_fields, invite_fields.len());
    let shown_once = [("code", string()), ("url", string())];
    let created = object(&[&invite_fields[..], &shown_once[..]].concat(), 11);
    let link = object(&[("url", string()), ("expires_at", string())], 2);
    let user = reference("User");
    let created_user =
        json!({"allOf": [user.clone(), object(&[("set_password", link.clone())], 0)]});
    let token = object(&[("token", text(512))], 1);
    let avatar = json!({"multipart": object(
        &[("file", json!({"type": "string", "contentMediaType": "application/octet-stream"}))],
        1,
    )});
    let mut ops = vec![
        op(
            "post",
            "/api/v1/invites",
            "invitations",
            "Make an invitation (admins; moderators to rooms they moderate)",
        )
        .body(object(
            &[
                ("room_ids", array(integer())),
                (
                    "max_uses",
                    json!({"type": "integer", "minimum": 1, "maximum": 1000}),
                ),
                (
                    "expires_in_secs",
                    json!({"type": "integer", "minimum": 60, "maximum": 2_592_000}),
                ),
                ("email", text(254)),
            ],
            0,
        ))
        .answers(201, created),
        op(
            "get",
            "/api/v1/invites",
            "invitations",
            "The caller's invitations (admins: all)",
        )
        .paged()
        .answers(200, list_of("invites", invite)),
        op(
            "delete",
            "/api/v1/invites/{id}",
            "invitations",
            "Revoke an invitation",
        )
        .no_content(),
        op(
            "get",
            "/api/v1/invites/{code}",
            "invitations",
            "What an invitation leads to (no token; 404 when it cannot be used)",
        )
        .public()
        .answers(
            200,
            object(
                &[
                    ("valid", boolean()),
                    (
                        "rooms",
                        array(object(&[("id", integer()), ("name", string())], 2)),
                    ),
                    ("inviter", object(&[("username", string())], 1)),
                    ("expires_at", string()),
                ],
                4,
            ),
        ),
        op(
            "put",
            "/api/v1/users/me/avatar",
            "users",
            "Set the caller's avatar (an image up to 5 MiB, re-encoded)",
        )
        .body(avatar)
        .answers(200, user.clone()),
        op(
            "delete",
            "/api/v1/users/me/avatar",
            "users",
            "Remove the caller's avatar",
        )
        .no_content(),
        op(
            "get",
            "/api/v1/users/{id}/avatar",
            "users",
            "A user's avatar (cacheable: the URL names its digest)",
        )
        .query("v", string())
        .raw(200, "image/*"),
        op(
            "get",
            "/api/v1/users/me/sessions",
            "users",
            "Where the caller is signed in (a session, not an access token)",
        )
        .answers(
            200,
            object(
                &[
                    (
                        "sessions",
                        array(object(
                            &[
                                ("id", integer()),
                                ("ip_address", nullable_string()),
                                ("user_agent", nullable_string()),
                                ("created_at", string()),
                                ("last_used_at", string()),
                                ("expires_at", string()),
                            ],
                            6,
                        )),
                    ),
                    ("current_session_id", integer()),
                ],
                2,
            ),
        ),
        op(
            "delete",
            "/api/v1/users/me/sessions/{id}",
            "users",
            "Sign one of the caller's sessions out",
        )
        .no_content(),
        op(
            "post",
            "/api/v1/users/me/verify-email",
            "users",
            "Mail the caller a new verification link (404 without e-mail)",
        )
        .answers(202, object(&[("sent", boolean())], 1)),
        op(
            "post",
            "/api/v1/admin/users",
            "administration",
            "Make an account (admins); without a password, a one-time link to set one",
        )
        .body(object(
            &[
                ("username", text(32)),
                ("email", text(254)),
                ("password", text(128)),
                ("role", json!({"enum": ["user", "admin"]})),
            ],
            2,
        ))
        .answers(201, created_user),
        op(
            "post",
            "/api/v1/admin/import",
            "administration",
            "Apply one batch of an import (what `veza import … --url` sends; admins)",
        )
        .body(json!({
            "type": "object",
            "required": ["source"],
            "properties": {
                "source": {"enum": ["slack", "mattermost"]},
                "users": {"type": "array", "items": {"type": "object"}},
                "rooms": {"type": "array", "items": {"type": "object"}},
                "conversations": {"type": "array", "items": {"type": "object"}},
                "messages": {"type": "array", "items": {"type": "object"}}
            }
        }))
        .answers(
            200,
            json!({"type": "object", "required": ["messages", "skipped"]}),
        ),
        op(
            "post",
            "/api/v1/admin/users/{id}/password-reset",
            "administration",
            "A one-time link for a user to set a new password (admins)",
        )
        .answers(200, link),
    ];
    for base in ["/api/v1/auth", "/auth"] {
        let p = |rest: &str| format!("{base}{rest}");
        ops.extend([
            op(
                "post",
                p("/verify-email"),
                "accounts",
                "Verify an e-mail address with the token of its link (404 without e-mail)",
            )
            .public()
            .body(token.clone())
            .answers(200, object(&[("email_verified", boolean())], 1)),
            op(
                "post",
                p("/password-reset"),
                "accounts",
                "Mail a reset link if an account has this address (the same 202 either way)",
            )
            .public()
            .body(object(&[("email", text(254))], 1))
            .answers(202, object(&[("message", string())], 1)),
            op(
                "post",
                p("/password-reset/confirm"),
                "accounts",
                "Set a new password with a reset link's token; every session ends",
            )
            .public()
            .body(object(
                &[("token", text(512)), ("new_password", text(128))],
                2,
            ))
            .no_content(),
        ]);
    }
    ops
}
