//! E-mail (API §17) end to end: a real `veza` process sends through a real SMTP
//! conversation to a server on loopback. Verification on registration, the
//! password reset (same answer for unknown addresses, the link works once and
//! ends every session), invitations mailed, retries after a transient refusal,
//! and the routes' 404 without `[smtp]`.

mod common;

use std::time::Duration;

use common::process::{http, http_as};
use common::server::Server;
use common::smtp::SmtpServer;
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(20);

fn start(smtp: &SmtpServer, extra: &[(&str, &str)]) -> Server {
    let port = smtp.port.to_string();
    let mut env = vec![
        ("VEZA_SMTP__HOST", "127.0.0.1"),
        ("VEZA_SMTP__PORT", port.as_str()),
        ("VEZA_SMTP__TLS", "none"),
        ("VEZA_SMTP__FROM", "Veza <chat@veza.test>"),
        ("VEZA_SMTP__RETRY_INITIAL_DELAY_SECS", "1"),
        ("VEZA_PUBLIC_URL", "https://chat.veza.test"),
    ];
    env.extend_from_slice(extra);
    Server::start(&env)
}

fn post(server: &Server, path: &str, body: Value) -> (u16, Value) {
    let (status, text) = http(server.port, "POST", path, &body.to_string()).unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn get_as(server: &Server, path: &str, token: &str) -> (u16, Value) {
    let (status, text) = http_as(server.port, "GET", path, Some(token), "").unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn token_of(link: &str) -> String {
    link.split_once("#token=")
        .expect("a token in the fragment")
        .1
        .to_owned()
}

#[test]
fn a_new_account_verifies_its_address_by_the_link_it_is_mailed() {
    let smtp = SmtpServer::start();
    let server = start(&smtp, &[]);
    let ann = server.register("ann");
    let mail = smtp.wait_for("ann@example.com", "Confirm your e-mail", 1, WAIT);
    assert_eq!(mail.from, "chat@veza.test");
    assert!(mail.header("From").unwrap().contains("chat@veza.test"));
    assert!(mail.part("text/html").unwrap().contains("<a href="));
    let link = mail.link("https://chat.veza.test/verify-email#token=");
    let (_, me) = get_as(&server, "/api/v1/users/me", &ann.token);
    assert_eq!(me["data"]["email_verified"], false);

    let (status, body) = post(
        &server,
        "/api/v1/auth/verify-email",
        json!({"token": "0".repeat(64)}),
    );
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["details"]["field"], "token");

    let (status, body) = post(
        &server,
        "/api/v1/auth/verify-email",
        json!({"token": token_of(&link)}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["email_verified"], true);
    let (_, me) = get_as(&server, "/api/v1/users/me", &ann.token);
    assert_eq!(me["data"]["email_verified"], true);
    // A link works once.
    let (status, _) = post(
        &server,
        "/api/v1/auth/verify-email",
        json!({"token": token_of(&link)}),
    );
    assert_eq!(status, 400);

    // A changed address is unverified again, and gets its own link; the old
    // address's link (if any were left) would prove nothing.
    let (status, body) = server.call(
        "PUT",
        "/api/v1/users/me",
        &ann,
        json!({"email": "ann@new.example"}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["email_verified"], false);
    let mail = smtp.wait_for("ann@new.example", "Confirm your e-mail", 1, WAIT);
    let link = mail.link("https://chat.veza.test/verify-email#token=");
    let (status, _) = post(
        &server,
        "/api/v1/auth/verify-email",
        json!({"token": token_of(&link)}),
    );
    assert_eq!(status, 200);

    // Asking again once verified is a conflict.
    let (status, body) = server.call("POST", "/api/v1/users/me/verify-email", &ann, Value::Null);
    assert_eq!(status, 409, "{body}");
}

#[test]
fn a_reset_link_works_once_ends_every_session_and_unknown_addresses_answer_alike() {
    let smtp = SmtpServer::start();
    let server = start(&smtp, &[]);
    let ann = server.register("ann");
    let path = "/api/v1/auth/password-reset";

    let (known_status, known) = post(&server, path, json!({"email": "ANN@example.com"}));
    let (unknown_status, unknown) = post(&server, path, json!({"email": "nobody@example.com"}));
    assert_eq!(known_status, 202, "{known}");
    assert_eq!(unknown_status, 202, "{unknown}");
    assert_eq!(known["data"], unknown["data"], "the same answer either way");

    let mail = smtp.wait_for("ann@example.com", "Reset your password", 1, WAIT);
    assert!(mail.text().contains("30 minutes"));
    let token = token_of(&mail.link("https://chat.veza.test/reset-password#token="));
    std::thread::sleep(Duration::from_millis(500));
    assert!(smtp.mails_to("nobody@example.com").is_empty());

    let confirm = "/api/v1/auth/password-reset/confirm";
    let (status, body) = post(
        &server,
        confirm,
        json!({"token": token, "new_password": "short"}),
    );
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["details"]["field"], "new_password");
    let (status, _) = post(
        &server,
        confirm,
        json!({"token": token, "new_password": "a brand new password"}),
    );
    assert_eq!(status, 204);
    // Every session ended: the access token and the refresh token both stop.
    let (status, _) = get_as(&server, "/api/v1/users/me", &ann.token);
    assert_eq!(status, 401);
    let (status, _) = post(
        &server,
        "/api/v1/auth/refresh",
        json!({"refresh_token": ann.refresh_token}),
    );
    assert_eq!(status, 401);
    // Once only.
    let (status, body) = post(
        &server,
        confirm,
        json!({"token": token, "new_password": "another new password"}),
    );
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["details"]["field"], "token");
    // The new password signs in, the old does not.
    let (status, _) = post(
        &server,
        "/api/v1/auth/login",
        json!({"username": "ann", "password": "a long password"}),
    );
    assert_eq!(status, 401);
    let (status, body) = post(
        &server,
        "/api/v1/auth/login",
        json!({"username": "ann", "password": "a brand new password"}),
    );
    assert_eq!(status, 200, "{body}");
    // The link came to the address: it is verified now.
    assert_eq!(body["data"]["user"]["email_verified"], true);
}

#[test]
fn reset_requests_are_limited_per_address_and_per_client() {
    let smtp = SmtpServer::start();
    let server = start(&smtp, &[]);
    server.register("ann");
    let path = "/api/v1/auth/password-reset";
    for _ in 0..3 {
        assert_eq!(
            post(&server, path, json!({"email": "ann@example.com"})).0,
            202
        );
    }
    let (status, body) = post(&server, path, json!({"email": "ann@example.com"}));
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["error"]["code"], "RATE_LIMIT_EXCEEDED");
    // Unknown addresses count alike, and the client runs out too.
    for i in 0..6 {
        let status = post(&server, path, json!({"email": format!("x{i}@example.com")})).0;
        assert_eq!(status, 202, "request {i}");
    }
    let (status, _) = post(&server, path, json!({"email": "fresh@example.com"}));
    assert_eq!(status, 429);
    // Malformed addresses are refused before any count.
    let (status, body) = post(&server, path, json!({"email": 12}));
    assert_eq!(status, 422, "{body}");
}

#[test]
fn an_invitation_with_an_address_is_mailed_and_a_refused_mail_is_retried() {
    let smtp = SmtpServer::start();
    let server = start(&smtp, &[("VEZA_REGISTRATION", "invite")]);
    let admin = server.register("admin");
    let room = server.room(&admin, "general", false);
    let _ = smtp.wait_for("admin@example.com", "Confirm", 1, WAIT);
    smtp.refuse_next(2);
    let (status, body) = server.call(
        "POST",
        "/api/v1/invites",
        &admin,
        json!({"room_ids": [room], "email": "bea@example.com"}),
    );
    assert_eq!(status, 201, "{body}");
    let mail = smtp.wait_for("bea@example.com", "invited you", 1, WAIT);
    assert_eq!(smtp.refused(), 2, "two transient refusals, then sent");
    assert!(mail.text().contains("general"));
    let link = mail.link("https://chat.veza.test/invite/");
    let code = link.rsplit('/').next().unwrap();
    assert_eq!(code, body["data"]["code"].as_str().unwrap());

    // Registering with the mailed invitation at that address verifies it; no
    // verification mail follows.
    let (status, body) = post(
        &server,
        "/api/v1/auth/register",
        json!({"username": "bea", "email": "bea@example.com", "password": "a long password", "invite_code": code}),
    );
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["data"]["user"]["email_verified"], true);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(smtp.mails_to("bea@example.com").len(), 1);
}

#[test]
fn an_admin_makes_an_account_without_a_password_and_hands_over_a_link() {
    let smtp = SmtpServer::start();
    let server = start(&smtp, &[]);
    let admin = server.register("admin");
    let (status, body) = server.call(
        "POST",
        "/api/v1/admin/users",
        &admin,
        json!({"username": "cleo", "email": "cleo@example.com"}),
    );
    assert_eq!(status, 201, "{body}");
    let link = body["data"]["set_password"]["url"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        link.starts_with("https://chat.veza.test/reset-password#token="),
        "{link}"
    );
    // Nothing signs in before the link is used.
    for password in ["", "!unset", "a long password"] {
        let (status, _) = post(
            &server,
            "/api/v1/auth/login",
            json!({"username": "cleo", "password": password}),
        );
        assert!(status == 401 || status == 400, "{status}");
    }
    let (status, _) = post(
        &server,
        "/api/v1/auth/password-reset/confirm",
        json!({"token": token_of(&link), "new_password": "cleo's own password"}),
    );
    assert_eq!(status, 204);
    let (status, _) = post(
        &server,
        "/api/v1/auth/login",
        json!({"username": "cleo", "password": "cleo's own password"}),
    );
    assert_eq!(status, 200);
}

#[test]
fn without_smtp_the_mail_routes_are_404_but_an_admin_link_still_works() {
    let server = Server::start(&[]);
    let admin = server.register("admin");
    let dan = server.register("dan");
    for (path, body) in [
        (
            "/api/v1/auth/password-reset",
            json!({"email": "dan@example.com"}),
        ),
        ("/api/v1/auth/verify-email", json!({"token": "x"})),
    ] {
        let (status, body) = post(&server, path, body);
        assert_eq!(status, 404, "{path}: {body}");
        assert_eq!(body["error"]["code"], "NOT_FOUND");
    }
    let (status, _) = server.call("POST", "/api/v1/users/me/verify-email", &dan, Value::Null);
    assert_eq!(status, 404);

    // Only admins make reset links.
    let path = format!("/api/v1/admin/users/{}/password-reset", dan.id);
    let (status, _) = server.call("POST", &path, &dan, Value::Null);
    assert_eq!(status, 403);
    let (status, body) = server.call("POST", &path, &admin, Value::Null);
    assert_eq!(status, 200, "{body}");
    let url = body["data"]["url"].as_str().unwrap();
    assert!(
        url.starts_with(&format!(
            "http://127.0.0.1:{}/reset-password#token=",
            server.port
        )),
        "{url}"
    );
    // The user's sessions last until the link is used.
    assert_eq!(get_as(&server, "/api/v1/users/me", &dan.token).0, 200);
    let (status, _) = post(
        &server,
        "/api/v1/auth/password-reset/confirm",
        json!({"token": token_of(url), "new_password": "dan's new password"}),
    );
    assert_eq!(status, 204);
    assert_eq!(get_as(&server, "/api/v1/users/me", &dan.token).0, 401);
    // A second link replaces the first.
    let first = server.call("POST", &path, &admin, Value::Null).1["data"]["url"]
        .as_str()
        .unwrap()
        .to_owned();
    let second = server.call("POST", &path, &admin, Value::Null).1["data"]["url"]
        .as_str()
        .unwrap()
        .to_owned();
    let confirm = |link: &str| {
        post(
            &server,
            "/api/v1/auth/password-reset/confirm",
            json!({"token": token_of(link), "new_password": "yet another password"}),
        )
        .0
    };
    assert_eq!(confirm(&first), 400);
    assert_eq!(confirm(&second), 204);
}

#[test]
fn invitations_by_mail_cannot_flood_an_inbox() {
    let smtp = SmtpServer::start();
    let server = start(&smtp, &[]);
    let admin = server.register("admin");
    for _ in 0..3 {
        let (status, body) = server.call(
            "POST",
            "/api/v1/invites",
            &admin,
            json!({"email": "target@example.com"}),
        );
        assert_eq!(status, 201, "{body}");
    }
    let (status, body) = server.call(
        "POST",
        "/api/v1/invites",
        &admin,
        json!({"email": "TARGET@example.com"}),
    );
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["error"]["code"], "RATE_LIMIT_EXCEEDED");
    // Another address, and an invitation without one, are still fine.
    let (status, _) = server.call(
        "POST",
        "/api/v1/invites",
        &admin,
        json!({"email": "other@example.com"}),
    );
    assert_eq!(status, 201);
    let (status, _) = server.call("POST", "/api/v1/invites", &admin, json!({}));
    assert_eq!(status, 201);
    let _ = smtp.wait_for("target@example.com", "invited you", 3, WAIT);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(smtp.mails_to("target@example.com").len(), 3);
}
