//! Real time over WebSocket, against the real server over real sockets: who hears
//! what, typing and presence, and hostile clients (bad tokens, garbage, oversize
//! frames, floods, clients that do not read), shutdown, and catching up.

mod common;

use std::time::Duration;

use common::process::*;
use common::server::Server;
use common::ws::{code, upgrade_answer, Ended, Ws};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

#[tokio::test]
async fn a_bad_token_is_refused_before_the_upgrade() {
    let server = Server::start(&[]);
    let alice = server.register("alice");
    for (path, auth) in [
        ("/api/v1/ws", String::new()),
        ("/api/v1/ws?token=forged.token.here", String::new()),
        ("/api/v1/ws", "Authorization: Bearer nope\r\n".to_string()),
    ] {
        let answer = upgrade_answer(server.port, path, &auth);
        assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
        assert!(answer.contains("INVALID_TOKEN"), "{answer}");
    }
    let answer = upgrade_answer(
        server.port,
        "/api/v1/ws",
        &format!("Authorization: Bearer {}\r\n", alice.token),
    );
    assert!(answer.starts_with("HTTP/1.1 101"), "{answer}");
    // Not an upgrade at all: a plain 400 envelope.
    let (status, body) = server.call("GET", "/api/v1/ws", &alice, Value::Null);
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["success"], false);
}

#[tokio::test]
async fn members_hear_their_rooms_and_outsiders_do_not() {
    let server = Server::start(&[]);
    let alice = server.register("alice");
    let bob = server.register("bob");
    let eve = server.register("eve");
    let private = server.room(&alice, "private", false);
    let public = server.room(&alice, "public", true);
    server.add(&alice, private, &bob);

    let (mut bob_ws, ready) = Ws::connect(server.port, &bob.token).await;
    assert_eq!(ready["data"]["user"]["id"], bob.id);
    assert_eq!(ready["data"]["user"]["email"], "bob@example.com");
    let (mut eve_ws, _) = Ws::connect(server.port, &eve.token).await;

    let id = server.send(&alice, private, "for members only");
    let frame = bob_ws.expect("message.created").await;
    assert_eq!(frame["room_id"], private);
    assert_eq!(frame["data"]["id"], id);
    assert_eq!(frame["data"]["content"], "for members only");
    assert_eq!(frame["data"]["username"], "alice");
    // The REST object, as GET /messages/{id} answers it.
    let (_, rest) = server.call(
        "GET",
        &format!("/api/v1/messages/{id}"),
        &alice,
        Value::Null,
    );
    assert_eq!(frame["data"], rest["data"]);
    // A public room's messages go to its members, not to every user.
    server.send(&alice, public, "public chatter");
    server.call(
        "PUT",
        &format!("/api/v1/messages/{id}"),
        &alice,
        json!({"content": "edited"}),
    );
    let edited = bob_ws.expect("message.updated").await;
    assert_eq!(edited["data"]["content"], "edited");
    server.call(
        "POST",
        &format!("/api/v1/messages/{id}/reactions"),
        &bob,
        json!({"emoji": "👍"}),
    );
    let reaction = bob_ws.expect("reaction.added").await;
    assert_eq!(reaction["data"]["emoji"], "👍");
    server.call(
        "DELETE",
        &format!("/api/v1/messages/{id}"),
        &alice,
        Value::Null,
    );
    let deleted = bob_ws.expect("message.deleted").await;
    assert_eq!(deleted["data"]["message_id"], id);
    eve_ws
        .none_of("message.created", Duration::from_millis(500))
        .await;
    eve_ws
        .none_of("message.updated", Duration::from_millis(10))
        .await;

    // Conversations: the two participants only.
    let (_, conversation) = server.call(
        "POST",
        "/api/v1/conversations",
        &alice,
        json!({"user_id": bob.id}),
    );
    let conversation = conversation["data"]["id"].as_i64().unwrap();
    server.call(
        "POST",
        &format!("/api/v1/conversations/{conversation}/messages"),
        &alice,
        json!({"content": "psst"}),
    );
    let dm = bob_ws.expect("message.created").await;
    assert_eq!(dm["conversation_id"], conversation);
    assert_eq!(dm["data"]["content"], "psst");
    eve_ws
        .none_of("message.created", Duration::from_millis(500))
        .await;
}

#[tokio::test]
async fn a_removed_member_stops_hearing_at_once() {
    let server = Server::start(&[]);
    let alice = server.register("alice");
    let bob = server.register("bob");
    let room = server.room(&alice, "team", false);
    server.add(&alice, room, &bob);
    let (mut bob_ws, _) = Ws::connect(server.port, &bob.token).await;
    server.send(&alice, room, "before");
    bob_ws.expect("message.created").await;
    let (status, _) = server.call(
        "DELETE",
        &format!("/api/v1/rooms/{room}/members/{}", bob.id),
        &alice,
        Value::Null,
    );
    assert_eq!(status, 204);
    let left = bob_ws.expect("member.left").await;
    assert_eq!(left["data"]["user_id"], bob.id);
    server.send(&alice, room, "after");
    bob_ws
        .none_of("message.created", Duration::from_millis(700))
        .await;
}

#[tokio::test]
async fn typing_and_presence() {
    let server = Server::start(&[]);
    let alice = server.register("alice");
    let bob = server.register("bob");
    let eve = server.register("eve");
    let room = server.room(&alice, "team", false);
    server.add(&alice, room, &bob);

    let (mut alice_ws, _) = Ws::connect(server.port, &alice.token).await;
    let (_, user) = server.call(
        "GET",
        &format!("/api/v1/users/{}", alice.id),
        &bob,
        Value::Null,
    );
    assert_eq!(user["data"]["is_online"], true);
    let (_, user) = server.call(
        "GET",
        &format!("/api/v1/users/{}", bob.id),
        &alice,
        Value::Null,
    );
    assert_eq!(user["data"]["is_online"], false);

    let (mut bob_ws, _) = Ws::connect(server.port, &bob.token).await;
    let online = alice_ws.expect("presence").await;
    assert_eq!(online["data"]["user_id"], bob.id);
    assert_eq!(online["data"]["is_online"], true);
    let (_, members) = server.call(
        "GET",
        &format!("/api/v1/rooms/{room}/members"),
        &alice,
        Value::Null,
    );
    assert!(
        members.to_string().contains("\"is_online\":true"),
        "{members}"
    );
    // A second tab: no second presence frame; closing one of two: still online.
    let (mut bob_tab, _) = Ws::connect(server.port, &bob.token).await;
    alice_ws
        .none_of("presence", Duration::from_millis(300))
        .await;
    bob_tab.stream.close(None).await.ok();
    alice_ws
        .none_of("presence", Duration::from_millis(300))
        .await;

    // Typing goes to the others of the room, not back to the typist.
    bob_ws
        .send(&json!({"type": "typing", "room_id": room}).to_string())
        .await;
    let typing = alice_ws.expect("typing").await;
    assert_eq!(typing["room_id"], room);
    assert_eq!(typing["data"]["user_id"], bob.id);
    assert_eq!(typing["data"]["username"], "bob");
    bob_ws.none_of("typing", Duration::from_millis(300)).await;
    // Eve may not type in a room she is not in.
    let (mut eve_ws, _) = Ws::connect(server.port, &eve.token).await;
    eve_ws
        .send(&json!({"type": "typing", "room_id": room}).to_string())
        .await;
    assert_eq!(eve_ws.expect("error").await["type"], "error");
    alice_ws.none_of("typing", Duration::from_millis(300)).await;
    // Rate-limited: of two notices in a row, one is relayed.
    for _ in 0..2 {
        bob_ws
            .send(&json!({"type": "typing", "room_id": room}).to_string())
            .await;
    }
    assert_eq!(alice_ws.expect("typing").await["data"]["user_id"], bob.id);
    alice_ws.none_of("typing", Duration::from_millis(300)).await;

    // Bob's last connection closes: offline, with last_seen.
    bob_ws.stream.close(None).await.ok();
    let offline = alice_ws.expect("presence").await;
    assert_eq!(offline["data"]["user_id"], bob.id);
    assert_eq!(offline["data"]["is_online"], false);
    assert!(offline["data"]["last_seen"].is_string());
    let (_, user) = server.call(
        "GET",
        &format!("/api/v1/users/{}", bob.id),
        &alice,
        Value::Null,
    );
    assert_eq!(user["data"]["is_online"], false);
}

#[tokio::test]
async fn garbage_oversize_and_floods() {
    let server = Server::start(&[("VEZA_RATE_LIMIT__REQUESTS_PER_HOUR", "20")]);
    let alice = server.register("alice");
    let (mut ws, _) = Ws::connect(server.port, &alice.token).await;
    for garbage in [
        "not json",
        "[]",
        "{}",
        r#"{"type":"explode"}"#,
        r#"{"type":"typing"}"#,
        r#"{"type":"typing","room_id":"x"}"#,
    ] {
        ws.send(garbage).await;
        let frame = ws.next().await;
        assert_eq!(frame["type"], "error", "{garbage}: {frame}");
    }
    // Frames are not REST requests: far more pings than the hourly limit.
    for _ in 0..30 {
        ws.send(r#"{"type":"ping"}"#).await;
        assert_eq!(ws.expect("pong").await["type"], "pong");
        tokio::time::sleep(Duration::from_millis(60)).await;
    }
    // A frame over 64 KiB closes with 1009.
    let (mut big, _) = Ws::connect(server.port, &alice.token).await;
    big.send(&"x".repeat(70 * 1024)).await;
    assert_eq!(
        big.ended(Duration::from_secs(5)).await,
        Ended::Closed(code(CloseCode::Size))
    );
    // A flood closes with 1008.
    let (mut flood, _) = Ws::connect(server.port, &alice.token).await;
    for _ in 0..200 {
        if rocket::futures::SinkExt::send(
            &mut flood.stream,
            tokio_tungstenite::tungstenite::Message::Text(r#"{"type":"ping"}"#.into()),
        )
        .await
        .is_err()
        {
            break;
        }
    }
    assert_eq!(
        flood.ended(Duration::from_secs(5)).await,
        Ended::Closed(code(CloseCode::Policy))
    );
    // The well-behaved connection is still fine.
    ws.send(r#"{"type":"ping"}"#).await;
    assert_eq!(ws.expect("pong").await["type"], "pong");
}

#[tokio::test]
async fn a_client_that_does_not_read_is_dropped_and_others_keep_up() {
    let server = Server::start(&[("VEZA_LIMITS__MESSAGE_MAX_LENGTH", "60000")]);
    let alice = server.register("alice");
    let bob = server.register("bob");
    let room = server.room(&alice, "busy", true);
    server.add(&alice, room, &bob);
    // Bob's slow client: a tiny receive buffer, and it never reads.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket
        .connect(([127, 0, 0, 1], server.port).into())
        .await
        .unwrap();
    let url = format!(
        "ws://127.0.0.1:{}/api/v1/ws?token={}",
        server.port, bob.token
    );
    let (slow, _) = tokio_tungstenite::client_async(url, stream).await.unwrap();
    let mut slow = Ws { stream: slow };
    let (mut fast, _) = Ws::connect(server.port, &bob.token).await;
    // 24 MB of frames: more than every socket buffer between the server and the
    // client can hold.
    let text = "y".repeat(59_990);
    let sender = {
        let (port, token) = (server.port, alice.token.clone());
        std::thread::spawn(move || {
            for i in 0..400 {
                let body = json!({"content": format!("{i} {text}")}).to_string();
                let (status, _) = http_as(
                    port,
                    "POST",
                    &format!("/api/v1/rooms/{room}/messages"),
                    Some(&token),
                    &body,
                )
                .unwrap();
                assert_eq!(status, 201);
            }
        })
    };
    let mut heard = 0;
    while heard < 400 {
        let frame = fast
            .next_within(Duration::from_secs(20))
            .await
            .expect("the fast client keeps hearing");
        if frame["type"] == "message.created" {
            // Every frame, in the order sent.
            let content = frame["data"]["content"].as_str().unwrap();
            assert!(
                content.starts_with(&format!("{heard} ")),
                "in order: {heard}"
            );
            heard += 1;
        }
    }
    sender.join().unwrap();
    // The slow one was cut off: its stream ends (after what the buffers held).
    let ended = slow.ended(Duration::from_secs(30)).await;
    assert!(
        matches!(ended, Ended::Dropped | Ended::Closed(_)),
        "{ended:?}"
    );
}

#[tokio::test]
async fn shutdown_closes_with_1001_and_a_client_catches_up_after_a_reconnect() {
    let server = Server::start(&[]);
    let alice = server.register("alice");
    let room = server.room(&alice, "log", true);
    let (mut ws, _) = Ws::connect(server.port, &alice.token).await;
    let first = server.send(&alice, room, "one");
    assert_eq!(ws.expect("message.created").await["data"]["id"], first);
    drop(ws); // dropped connection
    let missed: Vec<i64> = (0..3)
        .map(|i| server.send(&alice, room, &format!("missed {i}")))
        .collect();
    let (mut ws, _) = Ws::connect(server.port, &alice.token).await;
    let (_, page) = server.call(
        "GET",
        &format!("/api/v1/rooms/{room}/messages?after_id={first}"),
        &alice,
        Value::Null,
    );
    let mut got: Vec<i64> = page["data"]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_i64().unwrap())
        .collect();
    got.sort();
    assert_eq!(got, missed);
    sigterm(&server.child);
    assert_eq!(
        ws.ended(Duration::from_secs(10)).await,
        Ended::Closed(code(CloseCode::Away))
    );
}
