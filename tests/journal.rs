//! The journal end to end, over real sockets: each change made through the API
//! reaches a WebSocket client and a webhook receiver with byte-identical payloads
//! (and the change's own HTTP answer, for a send), writes its room audit entry,
//! and a refused change reaches nobody. (A client that does not read delaying no
//! one is `tests/realtime.rs`, whose frames fill every buffer on the way.)

mod common;

use std::time::{Duration, Instant};

use common::receiver::{Answer, Receiver};
use common::server::{Server, User};
use common::ws::Ws;
use serde_json::value::RawValue;
use serde_json::{json, Value};

/// The exact bytes of the `data` member of a JSON text.
fn data_bytes(text: &str) -> String {
    #[derive(serde::Deserialize)]
    struct WithData<'a> {
        #[serde(borrow)]
        data: &'a RawValue,
    }
    let parsed: WithData = serde_json::from_str(text).expect("a JSON object with data");
    parsed.data.get().to_owned()
}

/// Waits until the receiver holds `n` deliveries; answers their bodies in order.
fn deliveries(receiver: &Receiver, n: usize) -> Vec<String> {
    let started = Instant::now();
    loop {
        let all = receiver.all();
        if all.len() >= n {
            return all.into_iter().map(|r| r.body).collect();
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{} of {n} deliveries: {:?}",
            all.len(),
            all.iter()
                .map(|r| r.json()["event"].clone())
                .collect::<Vec<_>>()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn call_ok(server: &Server, method: &str, path: &str, user: &User, body: Value) -> Value {
    let (status, answer) = server.call(method, path, user, body);
    assert!(
        (200..300).contains(&status),
        "{method} {path}: {status} {answer}"
    );
    answer
}

/// The delivery of `event` among `bodies`, by its event name and a data field.
fn delivery<'a>(bodies: &'a [String], event: &str, field: &str, value: &Value) -> &'a str {
    bodies
        .iter()
        .find(|b| {
            let v: Value = serde_json::from_str(b).unwrap();
            v["event"] == event && &v["data"][field] == value
        })
        .unwrap_or_else(|| panic!("no {event} delivery with {field} = {value}"))
}

#[tokio::test]
async fn every_change_reaches_frames_webhooks_and_the_audit_log_with_the_same_bytes() {
    let server = Server::start(&[("VEZA_WEBHOOKS__ALLOW_PRIVATE_TARGETS", "true")]);
    let alice = server.register("alice"); // the first account: an administrator
    let bob = server.register("bob");
    let receiver = Receiver::start(Answer::Status(200));
    call_ok(
        &server,
        "POST",
        "/api/v1/webhooks",
        &alice,
        json!({"url": receiver.url("/hook"), "events": ["*"]}),
    );
    let room = server.room(&alice, "journal", true);
    let (mut alice_ws, _) = Ws::connect(server.port, &alice.token).await;
    let (mut bob_ws, _) = Ws::connect(server.port, &bob.token).await;

    // A refused change reaches nobody: bob may not delete alice's room.
    let (status, _) = server.call(
        "DELETE",
        &format!("/api/v1/rooms/{room}"),
        &bob,
        Value::Null,
    );
    assert_eq!(status, 403);

    call_ok(
        &server,
        "POST",
        &format!("/api/v1/rooms/{room}/join"),
        &bob,
        json!({}),
    );
    let joined = alice_ws.expect_raw("member.joined").await;
    assert_eq!(
        bob_ws.expect_raw("member.joined").await,
        joined,
        "one frame for all"
    );

    let (status, sent) = common::process::http_as(
        server.port,
        "POST",
        &format!("/api/v1/rooms/{room}/messages"),
        Some(&bob.token),
        // Numbers as a person may type them: the payload writes them as
        // JavaScript does, the same bytes everywhere.
        r#"{"content": "hello", "metadata": {"n": 1.50, "k": [1e2]}}"#,
    )
    .unwrap();
    assert_eq!(status, 201, "{sent}");
    let message_id = serde_json::from_str::<Value>(&sent).unwrap()["data"]["id"].clone();
    let created = alice_ws.expect_raw("message.created").await;
    assert_eq!(
        data_bytes(&created),
        data_bytes(&sent),
        "the answer's bytes"
    );

    call_ok(
        &server,
        "PUT",
        &format!("/api/v1/messages/{message_id}"),
        &bob,
        json!({"content": "hello again"}),
    );
    let updated = alice_ws.expect_raw("message.updated").await;
    call_ok(
        &server,
        "POST",
        &format!("/api/v1/messages/{message_id}/reactions"),
        &alice,
        json!({"emoji": "👍"}),
    );
    let reacted = bob_ws.expect_raw("reaction.added").await;
    call_ok(
        &server,
        "PUT",
        &format!("/api/v1/rooms/{room}"),
        &alice,
        json!({"description": "where the journal is tested"}),
    );
    let room_updated = bob_ws.expect_raw("room.updated").await;
    call_ok(
        &server,
        "POST",
        &format!("/api/v1/messages/{message_id}/pin"),
        &alice,
        json!({}),
    );
    let pinned = bob_ws.expect_raw("message.updated").await;
    assert_eq!(
        serde_json::from_str::<Value>(&pinned).unwrap()["data"]["is_pinned"],
        true
    );
    call_ok(
        &server,
        "DELETE",
        &format!("/api/v1/messages/{message_id}?reason=off%20topic"),
        &alice,
        Value::Null,
    );
    let deleted = bob_ws.expect_raw("message.deleted").await;
    call_ok(
        &server,
        "DELETE",
        &format!("/api/v1/rooms/{room}/members/{}", bob.id),
        &alice,
        Value::Null,
    );
    let left = bob_ws.expect_raw("member.left").await;
    assert_eq!(alice_ws.expect_raw("member.left").await, left);

    // The audit log, before the room (and its log) goes.
    let audit = call_ok(
        &server,
        "GET",
        &format!("/api/v1/rooms/{room}/audit"),
        &alice,
        Value::Null,
    );
    let actions: Vec<&str> = audit["data"]["logs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for action in [
        "member_joined",
        "room_updated",
        "message_pinned",
        "message_deleted",
        "member_removed",
    ] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }
    let deletion = audit["data"]["logs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "message_deleted")
        .unwrap();
    assert_eq!(deletion["details"]["content"], "hello again");
    assert_eq!(deletion["details"]["reason"], "off topic");

    call_ok(
        &server,
        "DELETE",
        &format!("/api/v1/rooms/{room}"),
        &alice,
        Value::Null,
    );
    let room_deleted = alice_ws.expect_raw("room.deleted").await;

    // A direct message reaches the other participant live, and no webhook.
    let conversation = call_ok(
        &server,
        "POST",
        "/api/v1/conversations",
        &alice,
        json!({"user_id": bob.id}),
    )["data"]["id"]
        .clone();
    call_ok(
        &server,
        "POST",
        &format!("/api/v1/conversations/{conversation}/messages"),
        &alice,
        json!({"content": "just us"}),
    );
    let direct: Value = serde_json::from_str(&bob_ws.expect_raw("message.created").await).unwrap();
    assert_eq!(direct["conversation_id"], conversation);
    assert_eq!(direct["data"]["content"], "just us");

    // room.created, member.joined, message.created, message.updated, reaction.added,
    // room.updated, message.deleted, member.left, room.deleted.
    let bodies = deliveries(&receiver, 9);
    let id = json!(room);
    let user = json!(bob.id);
    for (frame, event, field, value) in [
        (&joined, "member.joined", "user_id", &user),
        (&created, "message.created", "id", &message_id),
        (&updated, "message.updated", "id", &message_id),
        (&reacted, "reaction.added", "message_id", &message_id),
        (&room_updated, "room.updated", "room_id", &id),
        (&deleted, "message.deleted", "message_id", &message_id),
        (&left, "member.left", "user_id", &user),
        (&room_deleted, "room.deleted", "room_id", &id),
    ] {
        let body = delivery(&bodies, event, field, value);
        assert_eq!(
            data_bytes(frame),
            data_bytes(body),
            "{event}: frame and webhook"
        );
    }
    assert!(
        bodies.iter().any(|b| b.contains("\"room.created\"")),
        "room.created is delivered"
    );
    std::thread::sleep(Duration::from_millis(300));
    let all = receiver.all();
    assert_eq!(
        all.len(),
        9,
        "nothing else: the refusal and the direct message"
    );
    assert!(all.iter().all(|r| !r.body.contains("just us")));
}

#[tokio::test]
async fn a_room_made_after_connecting_is_heard_at_once() {
    let server = Server::start(&[]);
    let alice = server.register("alice");
    let bob = server.register("bob");
    // Connected first, then the room: the hub learns alice is in it from the
    // room's creation, with no reconnect.
    let (mut alice_ws, _) = Ws::connect(server.port, &alice.token).await;
    let room = server.room(&alice, "fresh", true);
    call_ok(
        &server,
        "POST",
        &format!("/api/v1/rooms/{room}/join"),
        &bob,
        json!({}),
    );
    assert_eq!(
        serde_json::from_str::<Value>(&alice_ws.expect_raw("member.joined").await).unwrap()["data"]
            ["user_id"],
        bob.id
    );
    server.send(&bob, room, "first words");
    let frame: Value = serde_json::from_str(&alice_ws.expect_raw("message.created").await).unwrap();
    assert_eq!(frame["data"]["content"], "first words");
}
