//! Accounts, single sign-on, users and administration.

use serde_json::json;

use super::op::{nullable_text, op, text, Op};
use crate::openapi::schemas::{boolean, integer, list_of, object, reference, string};

pub(super) fn accounts() -> Vec<Op> {
    let register = object(
        &[
            ("username", text(32)),
            ("email", text(254)),
            ("password", text(128)),
            ("first_name", nullable_text(64)),
            ("last_name", nullable_text(64)),
            ("invite_code", nullable_text(512)),
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
                p("/methods"),
                "accounts",
                "How one may sign in: password, open registration, the identity provider's name",
            )
            .public()
            .answers(
                200,
                object(
                    &[
                        ("password", boolean()),
                        ("registration_open", boolean()),
                        (
                            "registration",
                            json!({"enum": ["open", "invite", "closed"]}),
                        ),
                        ("email", boolean()),
                        ("identity_provider", json!({"type": ["string", "null"]})),
                    ],
                    5,
                ),
            ),
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
