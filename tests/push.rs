//! Web Push end to end (API §16): a real `veza` process, a push service on
//! loopback that checks every VAPID token and decrypts every payload with the
//! browser's key, and real sockets for `presence.visible`.

mod common;

use std::time::Duration;

use common::push_service::{Browser, PushService};
use common::server::{Server, User};
use common::ws::Ws;
use serde_json::{json, Value};

const SUBJECT: &str = "mailto:ops@veza.test";

fn push_env() -> Vec<(&'static str, &'static str)> {
    vec![
        ("VEZA_PUSH__ALLOW_PRIVATE_ENDPOINTS", "true"),
        ("VEZA_PUSH__SUBJECT", SUBJECT),
        ("VEZA_PUSH__RETRY_INITIAL_DELAY_SECS", "1"),
    ]
}

/// Registers `browser` for `user`: 201 the first time, 200 the next.
fn subscribe(server: &Server, service: &PushService, user: &User, browser: &Browser) -> i64 {
    let body = service.subscription(browser);
    let (status, first) = server.call("POST", "/api/v1/push/subscriptions", user, body.clone());
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["data"]["endpoint"], body["endpoint"]);
    let (status, again) = server.call("POST", "/api/v1/push/subscriptions", user, body);
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["data"]["id"], first["data"]["id"]);
    first["data"]["id"].as_i64().unwrap()
}

fn advertise_key(server: &Server, service: &PushService, user: &User) {
    let (status, key) = server.call("GET", "/api/v1/push/vapid-public-key", user, Value::Null);
    assert_eq!(status, 200, "{key}");
    service.expect_server_key(key["data"]["public_key"].as_str().unwrap());
}

fn put(server: &Server, user: &User, path: &str, body: Value) -> Value {
    let (status, answer) = server.call("PUT", path, user, body);
    assert_eq!(status, 200, "{path}: {answer}");
    answer["data"].clone()
}

fn in_an_hour() -> String {
    (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339()
}

/// Nothing more reaches `browser` than the `n` pushes it has, for a while (the
/// planner acts within milliseconds of a commit).
fn no_more(service: &PushService, browser: &Browser, n: usize) {
    std::thread::sleep(Duration::from_millis(1500));
    let pushes = service.pushes_to(browser);
    assert_eq!(
        pushes.len(),
        n,
        "{}: {:?}",
        browser.path,
        pushes.iter().map(|p| &p.payload).collect::<Vec<_>>()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn who_is_pushed_and_what_they_read() {
    let service = PushService::start(SUBJECT);
    let server = Server::start(&push_env());
    let [alice, bob, carol, dave] = ["alice", "bob", "carol", "dave"].map(|n| server.register(n));
    let [alice_b, bob_b, carol_b, dave_b] =
        ["alice", "bob", "carol", "dave"].map(|n| service.browser(n));
    advertise_key(&server, &service, &alice);
    for (user, browser) in [
        (&alice, &alice_b),
        (&bob, &bob_b),
        (&carol, &carol_b),
        (&dave, &dave_b),
    ] {
        subscribe(&server, &service, user, browser);
    }
    let room = server.room(&alice, "general", true);
    for user in [&bob, &carol, &dave] {
        server.add(&alice, room, user);
    }
    let path = format!("/api/v1/rooms/{room}/notifications");
    let set = put(&server, &bob, &path, json!({"level": "all"}));
    assert_eq!(set["level"], "all");
    let muted = put(&server, &carol, &path, json!({"muted_until": in_an_hour()}));
    assert!(muted["muted_until"].is_string(), "{muted}");
    let (_, seen) = server.call("GET", &format!("/api/v1/rooms/{room}"), &carol, Value::Null);
    assert_eq!(seen["data"]["notification_level"], "default");
    assert_eq!(seen["data"]["muted_until"], muted["muted_until"]);

    // Level `all` hears everything, formatting stripped; the author, a muted
    // room and the default `mentions` level hear nothing.
    let first = server.send(
        &alice,
        room,
        "hello **everyone**, see [the plan](https://example.com)",
    );
    let push = service.wait_for(&bob_b, "hello everyone, see the plan");
    assert_eq!(push.payload["type"], "message");
    assert_eq!(push.payload["title"], "alice in #general");
    assert_eq!(push.payload["room_id"], room);
    assert_eq!(push.payload["message_id"], first);
    assert_eq!(push.payload["url"], format!("/rooms/{room}?at={first}"));
    assert_eq!(push.payload["tag"], format!("room-{room}"));
    assert_eq!(push.headers["topic"], format!("room-{room}"));
    assert_eq!(push.headers["urgency"], "normal");

    // A mention reaches the one named, urgently.
    server.send(&alice, room, "@dave can you look?");
    let push = service.wait_for(&dave_b, "can you look");
    assert_eq!(push.payload["type"], "mention");
    assert_eq!(push.headers["urgency"], "high");
    service.wait_for(&bob_b, "can you look");

    // A reply reaches the thread's author.
    let question = server.send(&dave, room, "who has the keys?");
    service.wait_for(&bob_b, "who has the keys");
    let (status, _) = server.call(
        "POST",
        &format!("/api/v1/rooms/{room}/messages"),
        &bob,
        json!({"content": "I do", "parent_message_id": question}),
    );
    assert_eq!(status, 201);
    let push = service.wait_for(&dave_b, "I do");
    assert_eq!(push.payload["type"], "reply");
    assert_eq!(push.payload["title"], "bob replied in #general");
    assert_eq!(push.payload["url"], format!("/rooms/{room}?at={question}"));

    // A direct message reaches the other participant.
    let (status, conversation) = server.call(
        "POST",
        "/api/v1/conversations",
        &alice,
        json!({"user_id": dave.id}),
    );
    assert_eq!(status, 201, "{conversation}");
    let conversation = conversation["data"]["id"].as_i64().unwrap();
    let (status, _) = server.call(
        "POST",
        &format!("/api/v1/conversations/{conversation}/messages"),
        &alice,
        json!({"content": "a word in private"}),
    );
    assert_eq!(status, 201);
    let push = service.wait_for(&dave_b, "a word in private");
    assert_eq!(push.payload["type"], "direct");
    assert_eq!(push.payload["title"], "alice");
    assert_eq!(push.payload["conversation_id"], conversation);
    assert!(push.payload.get("room_id").is_none());

    // Dave blocks Alice: her mentions of him no longer reach him.
    let (status, _) = server.call(
        "POST",
        &format!("/api/v1/conversations/{conversation}/block"),
        &dave,
        json!({"blocked": true}),
    );
    assert_eq!(status, 200);
    let dave_had = service.pushes_to(&dave_b).len();
    server.send(&alice, room, "@dave are you ignoring me?");
    service.wait_for(&bob_b, "are you ignoring me");

    // Do-not-disturb silences Bob; clearing it brings him back.
    let dnd = put(
        &server,
        &bob,
        "/api/v1/users/me/notifications",
        json!({"dnd_until": in_an_hour()}),
    );
    assert_eq!(dnd["default_level"], "mentions");
    let bob_had = service.pushes_to(&bob_b).len();
    server.send(&alice, room, "during the quiet hours");
    no_more(&service, &bob_b, bob_had);
    no_more(&service, &dave_b, dave_had);
    put(
        &server,
        &bob,
        "/api/v1/users/me/notifications",
        json!({"dnd_until": null}),
    );

    // Reading (a visible connection) is not pushed; hidden again, it is.
    let (mut ws, _) = Ws::connect(server.port, &bob.token).await;
    ws.send(r#"{"type": "presence.visible", "visible": true}"#)
        .await;
    ws.send(r#"{"type": "ping"}"#).await;
    ws.expect("pong").await; // the frame before it was handled
    server.send(&alice, room, "while bob reads");
    ws.expect("message.created").await;
    no_more(&service, &bob_b, bob_had);
    ws.send(r#"{"type": "presence.visible", "visible": false}"#)
        .await;
    ws.send(r#"{"type": "ping"}"#).await;
    ws.expect("pong").await;
    server.send(&alice, room, "after bob looked away");
    service.wait_for(&bob_b, "after bob looked away");
    ws.send(r#"{"type": "presence.visible"}"#).await;
    let error = ws.expect("error").await;
    assert!(
        error["data"]["message"]
            .as_str()
            .unwrap()
            .contains("visible"),
        "{error}"
    );

    // 410 from the push service: the subscription is deleted.
    put(
        &server,
        &carol,
        &path,
        json!({"muted_until": null, "level": "all"}),
    );
    service.script(&carol_b, &[(410, None)]);
    server.send(&alice, room, "carol's browser is gone");
    service.wait_for_requests(&carol_b, 1);
    let started = std::time::Instant::now();
    loop {
        let (_, listed) = server.call("GET", "/api/v1/push/subscriptions", &carol, Value::Null);
        if listed["data"].as_array().unwrap().is_empty() {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "{listed}");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(service.pushes_to(&carol_b).is_empty());
    assert!(
        service.pushes_to(&alice_b).is_empty(),
        "the author is never pushed"
    );
    assert_eq!(service.problems(), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_message_is_cut_to_fit_the_encrypted_limit() {
    let service = PushService::start(SUBJECT);
    let server = Server::start(&push_env());
    let (alice, bob) = (server.register("alice"), server.register("bob"));
    let browser = service.browser("bob");
    advertise_key(&server, &service, &bob);
    subscribe(&server, &service, &bob, &browser);
    let room = server.room(&alice, "long", false);
    server.add(&alice, room, &bob);
    // 1,990 four-byte characters: twice what fits.
    let long = format!("@bob {}", "é\"😀".repeat(660));
    server.send(&alice, room, &long);
    let push = service.wait_for(&browser, "é\"😀");
    assert!(push.encrypted_bytes <= 4096, "{}", push.encrypted_bytes);
    assert!(
        push.encrypted_bytes > 3900,
        "cut more than needed: {}",
        push.encrypted_bytes
    );
    let body = push.payload["body"].as_str().unwrap();
    assert!(body.ends_with('…') && long.starts_with(body.trim_end_matches('…')));
    assert_eq!(service.problems(), Vec::<String>::new());
}

#[test]
fn a_refused_push_is_retried_and_delivered_after_a_restart() {
    let service = PushService::start(SUBJECT);
    let mut server = Server::start(&push_env());
    let (alice, bob) = (server.register("alice"), server.register("bob"));
    let browser = service.browser("bob");
    advertise_key(&server, &service, &bob);
    subscribe(&server, &service, &bob, &browser);
    // The service is overloaded: it asks for a retry in a few seconds, time
    // enough for Veza to stop and start again.
    service.script(&browser, &[(503, Some(5))]);
    let (_, conversation) = server.call(
        "POST",
        "/api/v1/conversations",
        &alice,
        json!({"user_id": bob.id}),
    );
    let conversation = conversation["data"]["id"].as_i64().unwrap();
    let (status, _) = server.call(
        "POST",
        &format!("/api/v1/conversations/{conversation}/messages"),
        &alice,
        json!({"content": "sent while the service was down"}),
    );
    assert_eq!(status, 201);
    service.wait_for_requests(&browser, 1);
    let refused_at = std::time::Instant::now();
    assert!(service.pushes_to(&browser).is_empty());
    server.restart();
    assert!(
        refused_at.elapsed() < Duration::from_secs(5),
        "the restart took too long for this test"
    );
    assert_eq!(
        service.requests_to(&browser),
        1,
        "no retry before Retry-After"
    );
    let attempts: i64 = server
        .db()
        .query_row("SELECT attempts FROM push_deliveries", [], |r| r.get(0))
        .unwrap();
    assert_eq!(attempts, 1, "the refused push waits in the queue");

    // Restarted, Veza sends it when its time comes.
    let push = service.wait_for(&browser, "sent while the service was down");
    assert!(
        refused_at.elapsed() >= Duration::from_secs(4),
        "Retry-After honoured"
    );
    assert_eq!(push.payload["type"], "direct");
    assert_eq!(service.requests_to(&browser), 2);
    assert_eq!(service.problems(), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_in_one_room_is_one_notification_every_few_seconds() {
    let service = PushService::start(SUBJECT);
    let server = Server::start(&push_env());
    let (alice, bob) = (server.register("alice"), server.register("bob"));
    let browser = service.browser("bob");
    advertise_key(&server, &service, &bob);
    subscribe(&server, &service, &bob, &browser);
    let room = server.room(&alice, "busy", true);
    server.add(&alice, room, &bob);
    put(
        &server,
        &bob,
        &format!("/api/v1/rooms/{room}/notifications"),
        json!({"level": "all"}),
    );
    server.send(&alice, room, "first of the day");
    service.wait_for(&browser, "first of the day");
    let first_at = std::time::Instant::now();
    for text in ["second", "third", "fourth and last"] {
        server.send(&alice, room, text);
    }
    // The latest only, once the spacing since the first has passed.
    service.wait_for(&browser, "fourth and last");
    assert!(
        first_at.elapsed() >= Duration::from_millis(4500),
        "{:?}",
        first_at.elapsed()
    );
    no_more(&service, &browser, 2);
    // Another room is not held back by this one's spacing.
    let other = server.room(&alice, "other", true);
    server.add(&alice, other, &bob);
    put(
        &server,
        &bob,
        &format!("/api/v1/rooms/{other}/notifications"),
        json!({"level": "all"}),
    );
    server.send(&alice, room, "busy again");
    let started = std::time::Instant::now();
    server.send(&alice, other, "elsewhere");
    service.wait_for(&browser, "elsewhere");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    service.wait_for(&browser, "busy again");
    assert_eq!(service.problems(), Vec::<String>::new());
}
