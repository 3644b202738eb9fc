//! An incoming webhook against a real `veza` process: its message reaches the
//! room's WebSocket listeners and the outgoing webhooks like any message, with
//! the same bytes, and the hook's URL is the server's public one.

mod common;

use common::process::http;
use common::receiver::{Answer, Receiver};
use common::server::Server;
use common::ws::Ws;
use serde_json::{json, Value};

#[tokio::test]
async fn a_hooks_message_reaches_sockets_and_outgoing_webhooks() {
    let server = Server::start(&[
        ("VEZA_WEBHOOKS__ALLOW_PRIVATE_TARGETS", "true"),
        ("VEZA_PUBLIC_URL", "https://chat.veza.test/"),
    ]);
    let admin = server.register("admin");
    let bob = server.register("bob");
    let receiver = Receiver::start(Answer::Status(200));
    let (status, body) = server.call(
        "POST",
        "/api/v1/webhooks",
        &admin,
        json!({"url": receiver.url("/out"), "events": ["message.created"]}),
    );
    assert_eq!(status, 201, "{body}");
    let room = server.room(&admin, "alerts", true);
    server.call(
        "POST",
        &format!("/api/v1/rooms/{room}/join"),
        &bob,
        json!({}),
    );
    let (status, made) = server.call(
        "POST",
        &format!("/api/v1/rooms/{room}/incoming-webhooks"),
        &admin,
        json!({"name": "CI"}),
    );
    assert_eq!(status, 201, "{made}");
    let url = made["data"]["url"].as_str().unwrap();
    let secret = url
        .strip_prefix("https://chat.veza.test/hooks/")
        .unwrap_or_else(|| panic!("{url}"));
    let (mut bob_ws, _) = Ws::connect(server.port, &bob.token).await;

    let (status, text) = http(
        server.port,
        "POST",
        &format!("/hooks/{secret}"),
        r#"{"text": "build <https://ci.example.com/7|#7> passed"}"#,
    )
    .unwrap();
    assert_eq!(status, 200, "{text}");
    let answer: Value = serde_json::from_str(&text).unwrap();
    let frame = bob_ws.expect("message.created").await;
    assert_eq!(frame["data"], answer["data"]);
    assert_eq!(frame["data"]["author_kind"], "hook");
    assert_eq!(
        frame["data"]["content"],
        "build [#7](https://ci.example.com/7) passed"
    );
    let delivered = receiver.wait_for(1).await;
    let body = delivered[0].json();
    assert_eq!(body["event"], "message.created");
    assert_eq!(body["data"], answer["data"]);
}
