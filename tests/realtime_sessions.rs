//! A WebSocket lives no longer than the session that opened it: logout, a password
//! change, a deactivation and a reused refresh token close it at once; an expired
//! access token closes it unless a fresher one came in an `auth` frame; and one
//! user cannot hold more than a bounded number of sockets.

mod common;

use std::time::Duration;

use common::process::*;
use common::server::{Server, User};
use common::ws::{upgrade_with_token, Ended, Ws};
use serde_json::{json, Value};

/// Close codes of docs/REALTIME.md.
const SESSION_ENDED: u16 = 4001;
const TOKEN_EXPIRED: u16 = 4002;

/// A second session of `user` (a login from elsewhere).
fn login(server: &Server, name: &str, user: &User) -> User {
    let body = json!({"username": name, "password": "a long password"});
    let (status, text) =
        http(server.port, "POST", "/api/v1/auth/login", &body.to_string()).unwrap();
    assert_eq!(status, 200, "{text}");
    let data: Value = serde_json::from_str(&text).unwrap();
    User {
        id: user.id,
        token: data["data"]["access_token"].as_str().unwrap().to_owned(),
        refresh_token: data["data"]["refresh_token"].as_str().unwrap().to_owned(),
    }
}

fn refresh(server: &Server, refresh_token: &str) -> (u16, Value) {
    let body = json!({ "refresh_token": refresh_token });
    let (status, text) = http(
        server.port,
        "POST",
        "/api/v1/auth/refresh",
        &body.to_string(),
    )
    .unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// A room that `members` share, and a socket of `listener` that hears it.
async fn hears(server: &Server, owner: &User, room: i64, listener: &User) -> Ws {
    let (mut ws, _) = Ws::connect(server.port, &listener.token).await;
    server.send(owner, room, "can you hear me");
    ws.expect("message.created").await;
    ws
}

#[tokio::test]
async fn logout_closes_the_sockets_of_that_session_only() {
    let server = Server::start(&[]);
    let alice = server.register("alice");
    let bob = server.register("bob");
    let room = server.room(&alice, "private", false);
    server.add(&alice, room, &bob);
    let bob_phone = login(&server, "bob", &bob);
    let mut laptop = hears(&server, &alice, room, &bob).await;
    let mut phone = hears(&server, &alice, room, &bob_phone).await;
    laptop.expect("message.created").await; // the phone's probe reached the laptop too

    let (status, _) = server.call("POST", "/api/v1/auth/logout", &bob, Value::Null);
    assert_eq!(status, 204);
    assert_eq!(
        laptop.ended(Duration::from_secs(5)).await,
        Ended::Closed(Some(SESSION_ENDED))
    );
    server.send(&alice, room, "after the logout");
    let frame = phone.expect("message.created").await;
    assert_eq!(
        frame["data"]["content"], "after the logout",
        "the other session hears on"
    );

    // The ended session cannot open a new socket either.
    let answer = upgrade_with_token(server.port, &bob.token);
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
}

#[tokio::test]
async fn a_password_change_closes_the_other_sessions_sockets() {
    let server = Server::start(&[]);
    let alice = server.register("alice");
    let bob = server.register("bob");
    let room = server.room(&alice, "private", false);
    server.add(&alice, room, &bob);
    let stolen = login(&server, "bob", &bob);
    let mut thief = hears(&server, &alice, room, &stolen).await;
    let mut own = hears(&server, &alice, room, &bob).await;

    let (status, body) = server.call(
        "PUT",
        "/api/v1/users/me/password",
        &bob,
        json!({"current_password": "a long password", "new_password": "a brand new password"}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        thief.ended(Duration::from_secs(5)).await,
        Ended::Closed(Some(SESSION_ENDED))
    );
    server.send(&alice, room, "still here");
    own.expect("message.created").await;
}

#[tokio::test]
async fn a_deactivated_user_is_cut_off_at_once() {
    let server = Server::start(&[]);
    let admin = server.register("admin");
    let bob = server.register("bob");
    let room = server.room(&admin, "private", false);
    server.add(&admin, room, &bob);
    let mut bob_ws = hears(&server, &admin, room, &bob).await;
    let (mut admin_ws, _) = Ws::connect(server.port, &admin.token).await;

    let (status, body) = server.call(
        "PUT",
        &format!("/api/v1/admin/users/{}", bob.id),
        &admin,
        json!({"is_active": false}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        bob_ws.ended(Duration::from_secs(5)).await,
        Ended::Closed(Some(SESSION_ENDED))
    );
    server.send(&admin, room, "secret plans");
    admin_ws.expect("message.created").await;
    let answer = upgrade_with_token(server.port, &bob.token);
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
}

#[tokio::test]
async fn a_reused_refresh_token_closes_the_sockets_of_its_session() {
    let server = Server::start(&[]);
    let alice = server.register("alice");
    let (mut ws, _) = Ws::connect(server.port, &alice.token).await;
    let (status, _) = refresh(&server, &alice.refresh_token);
    assert_eq!(status, 200);
    let (status, body) = refresh(&server, &alice.refresh_token);
    assert_eq!(status, 401, "{body}");
    assert_eq!(
        ws.ended(Duration::from_secs(5)).await,
        Ended::Closed(Some(SESSION_ENDED))
    );
}

#[tokio::test]
async fn an_expired_token_closes_the_socket_unless_renewed_in_an_auth_frame() {
    let server = Server::start(&[("VEZA_AUTH__ACCESS_TOKEN_TTL_SECS", "3")]);
    let alice = server.register("alice");
    let room = server.room(&alice, "lobby", true);

    // Not renewed: closed once the token expires.
    let (mut stale, _) = Ws::connect(server.port, &alice.token).await;
    assert_eq!(
        stale.ended(Duration::from_secs(8)).await,
        Ended::Closed(Some(TOKEN_EXPIRED))
    );

    // Renewed with each fresh token of the same session: stays open past expiry.
    let (status, body) = refresh(&server, &alice.refresh_token);
    assert_eq!(status, 200, "{body}");
    let mut refresh_token = body["data"]["refresh_token"].as_str().unwrap().to_owned();
    let (mut ws, _) =
        Ws::connect(server.port, body["data"]["access_token"].as_str().unwrap()).await;
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_secs(2)).await;
        let (status, body) = refresh(&server, &refresh_token);
        assert_eq!(status, 200, "{body}");
        refresh_token = body["data"]["refresh_token"].as_str().unwrap().to_owned();
        let token = body["data"]["access_token"].as_str().unwrap();
        ws.send(&json!({"type": "auth", "token": token}).to_string())
            .await;
        let ok = ws.expect("auth.ok").await;
        assert!(ok["data"]["expires_at"].is_string(), "{ok}");
    }
    let fresh = User {
        token: login(&server, "alice", &alice).token,
        ..alice.clone()
    };
    server.send(&fresh, room, "still connected after 6 s of 3 s tokens");
    ws.expect("message.created").await;

    // A token of another session, or garbage, renews nothing.
    ws.send(&json!({"type": "auth", "token": fresh.token}).to_string())
        .await;
    let refused = ws.expect("error").await;
    assert!(
        refused["data"]["message"]
            .as_str()
            .unwrap()
            .contains("another session"),
        "{refused}"
    );
    ws.send(r#"{"type": "auth", "token": "not.a.token"}"#).await;
    ws.expect("error").await;
    assert_eq!(
        ws.ended(Duration::from_secs(8)).await,
        Ended::Closed(Some(TOKEN_EXPIRED))
    );
}

#[tokio::test]
async fn one_user_cannot_hold_more_than_sixteen_sockets() {
    let server = Server::start(&[("VEZA_LIMITS__MAX_CONNECTIONS_PER_ADDRESS", "100")]);
    let alice = server.register("alice");
    let bob = server.register("bob");
    let mut held = Vec::new();
    for _ in 0..16 {
        held.push(Ws::connect(server.port, &alice.token).await.0);
    }
    let answer = upgrade_with_token(server.port, &alice.token);
    assert!(answer.starts_with("HTTP/1.1 429"), "{answer}");
    assert!(answer.contains("TOO_MANY_CONNECTIONS"), "{answer}");
    let (_bob_ws, ready) = Ws::connect(server.port, &bob.token).await;
    assert_eq!(
        ready["data"]["user"]["username"], "bob",
        "others still connect"
    );
    drop(held.pop());
    // Once one closes, the user may connect again.
    let mut reconnected = false;
    for _ in 0..50 {
        if upgrade_with_token(server.port, &alice.token).starts_with("HTTP/1.1 101") {
            reconnected = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(reconnected, "a freed slot is usable again");
}
