//! Webhooks: registration and who may, deliveries signed both ways and in both
//! naming schemes, retries while the receiver is down, slow and huge receivers,
//! redirects, 410, the test button, the log, and what is never delivered.

mod common;

use std::time::Duration;

use common::receiver::{assert_signed, Answer, Receiver};
use common::{TestApp, TestUser};
use serde_json::{json, Value};

async fn app() -> TestApp {
    TestApp::with(|c| {
        c.webhooks.allow_private_targets = true;
        c.webhooks.retry_initial_delay_secs = 1;
        c.webhooks.timeout_secs = 2;
    })
    .await
}

async fn hook(app: &TestApp, user: &TestUser, body: Value) -> Value {
    let res = app.post("/api/v1/webhooks", Some(&user.token), body).await;
    assert_eq!(res.status, 201, "{}", res.raw);
    res.data().clone()
}

async fn deliveries(app: &TestApp, user: &TestUser, webhook: i64) -> Vec<Value> {
    let res = app
        .get(
            &format!("/api/v1/webhooks/{webhook}/deliveries"),
            Some(&user.token),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.raw);
    res.data()["deliveries"].as_array().unwrap().clone()
}

/// Waits until the webhook's newest delivery satisfies `done`.
async fn wait_log(
    app: &TestApp,
    user: &TestUser,
    webhook: i64,
    done: impl Fn(&Value) -> bool,
) -> Value {
    for _ in 0..400 {
        if let Some(first) = deliveries(app, user, webhook).await.first() {
            if done(first) {
                return first.clone();
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "the delivery log never got there: {:?}",
        deliveries(app, user, webhook).await
    );
}

#[rocket::async_test]
async fn the_seed_webhook_hears_messages_joins_and_leaves_signed() {
    let app = app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let room = app.room(&alice, "general", true).await;
    let receiver = Receiver::start(Answer::Status(200));
    // The seed's body, as printed (but for the URL).
    let webhook = hook(
        &app,
        &alice,
        json!({
            "url": receiver.url("/webhook/chat"),
            "events": ["message_sent", "user_joined", "user_left"],
            "secret": "webhook_secret_key",
            "room_id": room
        }),
    )
    .await;
    assert_eq!(
        webhook["events"],
        json!(["message_sent", "user_joined", "user_left"])
    );
    assert_eq!(webhook["secret"], "webhook_secret_key");
    assert_eq!(webhook["is_active"], true);

    app.send(&alice, room, "Hello webhooks").await;
    let got = receiver.wait_for(1).await;
    let message = &got[0];
    assert_signed(message, "webhook_secret_key");
    assert_eq!(message.header("x-webhook-event"), "message_sent");
    assert_eq!(message.header("content-type"), "application/json");
    let body = message.json();
    assert_eq!(body["event"], "message_sent");
    assert_eq!(body["webhook_id"], webhook["id"]);
    assert!(body["timestamp"].as_str().unwrap().ends_with('Z'));
    assert_eq!(body["data"]["room_id"], room);
    assert_eq!(body["data"]["content"], "Hello webhooks");
    assert_eq!(body["data"]["username"], "alice");
    assert_eq!(body["data"]["user_id"], alice.id);
    assert!(body["data"]["id"].is_i64());

    app.post(
        &format!("/api/v1/rooms/{room}/join"),
        Some(&bob.token),
        json!({}),
    )
    .await
    .succeeded();
    app.post(
        &format!("/api/v1/rooms/{room}/leave"),
        Some(&bob.token),
        json!({}),
    )
    .await
    .succeeded();
    receiver.wait_for(3).await;
    let joined = &receiver.events("user_joined")[0];
    assert_signed(joined, "webhook_secret_key");
    assert_eq!(joined.json()["data"]["username"], "bob");
    assert_eq!(joined.json()["data"]["room_id"], room);
    let left = &receiver.events("user_left")[0];
    assert_eq!(left.json()["data"]["user_id"], bob.id);
    // The log shows each, delivered at the first attempt (the attempt is recorded
    // once the receiver's answer is in, just after the receiver saw the body).
    let id = webhook["id"].as_i64().unwrap();
    wait_log(&app, &alice, id, |d| d["status"] == "delivered").await;
    let log = deliveries(&app, &alice, id).await;
    assert_eq!(log.len(), 3);
    for delivery in &log {
        assert_eq!(delivery["status"], "delivered", "{delivery}");
        assert_eq!(delivery["attempts"], 1);
        assert_eq!(delivery["status_code"], 200);
        assert_eq!(delivery["attempt_log"].as_array().unwrap().len(), 1);
    }
    assert_eq!(log[0]["event"], "user_left", "newest first");
}

#[rocket::async_test]
async fn a_global_webhook_hears_everything_but_conversations() {
    let app = app().await;
    let root = app.register("root").await; // the first account: admin
    let receiver = Receiver::start(Answer::Status(204));
    let webhook = hook(
        &app,
        &root,
        json!({"url": receiver.url("/all"), "events": ["*"]}),
    )
    .await;
    let secret = webhook["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"), "a generated secret: {secret}");
    // Shown once: not in later reads.
    let res = app
        .get(
            &format!("/api/v1/webhooks/{}", webhook["id"]),
            Some(&root.token),
        )
        .await;
    assert!(res.data().get("secret").is_none(), "{}", res.raw);

    let alice = app.register("alice").await; // user.created
    let room = app.room(&alice, "general", true).await; // room.created
    let message = app.send(&alice, room, "hi").await; // message.created
    app.post(
        &format!("/api/v1/messages/{message}/reactions"),
        Some(&alice.token),
        json!({"emoji": "👍"}),
    )
    .await
    .succeeded(); // reaction.added
    app.put(
        &format!("/api/v1/messages/{message}"),
        Some(&alice.token),
        json!({"content": "hi there"}),
    )
    .await
    .succeeded(); // message.updated
    app.delete(&format!("/api/v1/messages/{message}"), Some(&alice.token))
        .await; // message.deleted
                // A direct conversation, busy: never delivered.
    let res = app
        .post(
            "/api/v1/conversations",
            Some(&alice.token),
            json!({"user_id": root.id}),
        )
        .await;
    let conversation = res.data()["id"].as_i64().unwrap();
    let dm = app
        .post(
            &format!("/api/v1/conversations/{conversation}/messages"),
            Some(&alice.token),
            json!({"content": "secret dm"}),
        )
        .await;
    assert_eq!(dm.status, 201);
    app.delete(&format!("/api/v1/rooms/{room}"), Some(&alice.token))
        .await; // room.deleted
    receiver.wait_for(7).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let got = receiver.all();
    let events: Vec<String> = got
        .iter()
        .map(|r| r.json()["event"].as_str().unwrap().to_owned())
        .collect();
    for event in [
        "user.created",
        "room.created",
        "message.created",
        "reaction.added",
        "message.updated",
        "message.deleted",
        "room.deleted",
    ] {
        assert!(
            events.contains(&event.to_string()),
            "{event} missing from {events:?}"
        );
    }
    for delivery in &got {
        assert_signed(delivery, &secret);
        assert!(
            !delivery.body.contains("secret dm"),
            "a conversation leaked"
        );
        assert_eq!(delivery.json()["data"]["conversation_id"], Value::Null);
    }
    assert_eq!(got.len(), 7, "{events:?}");
    let created = &receiver.events("user.created")[0];
    assert_eq!(created.json()["data"]["username"], "alice");
    assert_eq!(created.json()["data"]["email"], "alice@example.com");
}

#[rocket::async_test]
async fn who_may_manage_webhooks() {
    let app = app().await;
    let root = app.register("root").await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let eve = app.register("eve").await;
    let room = app.room(&alice, "team", false).await;
    app.add_member(&alice, room, &bob, "member").await;
    app.add_member(&alice, room, &carol, "moderator").await;
    let body = |room: Option<i64>| json!({"url": "http://127.0.0.1:9/hook", "events": ["message.created"], "room_id": room});
    app.post("/api/v1/webhooks", Some(&bob.token), body(Some(room)))
        .await
        .assert_error(403, "PERMISSION_DENIED");
    app.post("/api/v1/webhooks", Some(&eve.token), body(Some(room)))
        .await
        .assert_error(404, "ROOM_NOT_FOUND");
    app.post("/api/v1/webhooks", Some(&alice.token), body(None))
        .await
        .assert_error(403, "PERMISSION_DENIED");
    let by_carol = hook(&app, &carol, body(Some(room))).await;
    let global = hook(&app, &root, body(None)).await;
    let id = by_carol["id"].as_i64().unwrap();

    // The owner and admins see the room's webhook; nobody else learns it exists.
    for user in [&alice, &carol, &root] {
        let res = app
            .get(&format!("/api/v1/webhooks/{id}"), Some(&user.token))
            .await;
        assert_eq!(res.status, 200, "{}", res.raw);
    }
    for user in [&bob, &eve] {
        for res in [
            app.get(&format!("/api/v1/webhooks/{id}"), Some(&user.token))
                .await,
            app.put(
                &format!("/api/v1/webhooks/{id}"),
                Some(&user.token),
                json!({"is_active": false}),
            )
            .await,
            app.get(
                &format!("/api/v1/webhooks/{id}/deliveries"),
                Some(&user.token),
            )
            .await,
            app.post(
                &format!("/api/v1/webhooks/{id}/test"),
                Some(&user.token),
                json!({}),
            )
            .await,
            app.delete(&format!("/api/v1/webhooks/{id}"), Some(&user.token))
                .await,
        ] {
            res.assert_error(404, "NOT_FOUND");
        }
    }
    let res = app.get("/api/v1/webhooks", Some(&alice.token)).await;
    assert_eq!(res.data()["webhooks"].as_array().unwrap().len(), 1);
    let res = app.get("/api/v1/webhooks", Some(&bob.token)).await;
    assert_eq!(res.data()["webhooks"], json!([]));
    let res = app.get("/api/v1/webhooks", Some(&root.token)).await;
    assert_eq!(res.data()["webhooks"].as_array().unwrap().len(), 2);
    let global_id = global["id"].as_i64().unwrap();
    app.get(&format!("/api/v1/webhooks/{global_id}"), Some(&alice.token))
        .await
        .assert_error(404, "NOT_FOUND");

    // Bad input, named.
    for (body, field) in [
        (json!({"url": "ftp://x/", "events": ["*"]}), "url"),
        (
            json!({"url": "http://127.0.0.1:9/", "events": []}),
            "events",
        ),
        (
            json!({"url": "http://127.0.0.1:9/", "events": ["message.sent"]}),
            "events",
        ),
        (
            json!({"url": "http://127.0.0.1:9/", "events": ["*"], "secret": "short"}),
            "secret",
        ),
    ] {
        let res = app.post("/api/v1/webhooks", Some(&root.token), body).await;
        res.assert_error(400, "VALIDATION_FAILED");
        assert_eq!(res.body["error"]["details"]["field"], field, "{}", res.raw);
    }
    app.post(
        "/api/v1/webhooks",
        Some(&root.token),
        json!({"url": 5, "events": "*"}),
    )
    .await
    .assert_error(422, "VALIDATION_FAILED");

    // Deleting the room deletes its webhooks.
    app.delete(&format!("/api/v1/rooms/{room}"), Some(&alice.token))
        .await;
    app.get(&format!("/api/v1/webhooks/{id}"), Some(&root.token))
        .await
        .assert_error(404, "NOT_FOUND");
}

#[rocket::async_test]
async fn internal_targets_are_refused_in_every_spelling() {
    let app = TestApp::new().await; // private targets not allowed
    let root = app.register("root").await;
    for url in [
        "http://127.0.0.1/",
        "http://127.1/",
        "http://2130706433/",
        "http://0x7f.0.0.1/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::1]/",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.1.2.3/",
        "http://192.168.0.1/",
        "http://100.64.1.1/",
        "http://localhost:8080/",
        "http://0.0.0.0/",
        "http://[::ffff:0:7f00:1]/",
        "http://[::ffff:0:127.0.0.1]/",
        "http://[64:ff9b:1::7f00:1]/",
        "http://[2001::7f00:1]/",
        "http://192.88.99.1/",
    ] {
        let res = app
            .post(
                "/api/v1/webhooks",
                Some(&root.token),
                json!({"url": url, "events": ["*"]}),
            )
            .await;
        res.assert_error(400, "VALIDATION_FAILED");
        assert_eq!(res.body["error"]["details"]["field"], "url", "{url}");
    }
}

#[rocket::async_test]
async fn a_down_receiver_gets_its_delivery_when_it_comes_back() {
    let app = app().await;
    let root = app.register("root").await;
    let room = app.room(&root, "general", true).await;
    // A port with nobody listening, kept for the receiver that comes later.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let webhook = hook(
        &app,
        &root,
        json!({"url": format!("http://127.0.0.1:{port}/hook"), "events": ["message.created"], "room_id": room}),
    )
    .await;
    let id = webhook["id"].as_i64().unwrap();
    app.send(&root, room, "while you were out").await;
    let failed = wait_log(&app, &root, id, |d| d["attempts"].as_i64() >= Some(1)).await;
    assert_eq!(failed["status"], "pending");
    assert!(failed["error"].as_str().is_some(), "{failed}");
    assert!(failed["next_attempt_at"].as_str().is_some(), "{failed}");
    assert_eq!(failed["status_code"], Value::Null);
    let delivery_id = failed["delivery_id"].as_str().unwrap().to_owned();

    let receiver = Receiver::on(
        std::net::TcpListener::bind(("127.0.0.1", port)).unwrap(),
        Answer::Status(200),
    );
    let got = receiver.wait_for(1).await;
    assert_eq!(
        got[0].header("x-webhook-delivery"),
        delivery_id,
        "the same delivery"
    );
    let done = wait_log(&app, &root, id, |d| d["status"] == "delivered").await;
    assert!(done["attempts"].as_i64().unwrap() >= 2);
    assert_eq!(
        done["attempt_log"].as_array().unwrap().len() as i64,
        done["attempts"].as_i64().unwrap()
    );
}

#[rocket::async_test]
async fn slow_huge_and_redirecting_receivers_harm_nobody_else() {
    let app = app().await;
    let root = app.register("root").await;
    let room = app.room(&root, "general", true).await;
    let hanging = Receiver::start(Answer::Hang);
    let endless = Receiver::start(Answer::Endless);
    let healthy = Receiver::start(Answer::Status(200));
    let target = Receiver::start(Answer::Status(200));
    let redirecting = Receiver::start(Answer::Redirect(target.url("/internal")));
    let mut ids = Vec::new();
    for receiver in [&hanging, &endless, &healthy, &redirecting] {
        let webhook = hook(
            &app,
            &root,
            json!({"url": receiver.url("/"), "events": ["message.created"], "room_id": room}),
        )
        .await;
        ids.push(webhook["id"].as_i64().unwrap());
    }
    app.send(&root, room, "one").await;
    // The healthy receiver hears at once, while the hanging one holds its delivery.
    healthy.wait_for(1).await;
    assert_eq!(hanging.all().len(), 1);
    let endless_log = wait_log(&app, &root, ids[1], |d| d["status"] == "delivered").await;
    assert_eq!(
        endless_log["status_code"], 200,
        "a 200 cut short is still a 200"
    );
    let redirect_log = wait_log(&app, &root, ids[3], |d| d["attempts"].as_i64() >= Some(1)).await;
    assert_eq!(redirect_log["status_code"], 302);
    assert_ne!(redirect_log["status"], "delivered");
    let hang_log = wait_log(&app, &root, ids[0], |d| d["attempts"].as_i64() >= Some(1)).await;
    assert!(
        hang_log["error"].as_str().unwrap().contains("timed out"),
        "{hang_log}"
    );
    assert!(target.all().is_empty(), "a redirect was followed");
}

#[rocket::async_test]
async fn gone_switches_off_and_the_test_button_tells() {
    let app = app().await;
    let root = app.register("root").await;
    let room = app.room(&root, "general", true).await;
    let receiver = Receiver::start(Answer::Status(200));
    let webhook = hook(
        &app,
        &root,
        json!({"url": receiver.url("/"), "events": ["message.created"], "room_id": room, "secret": "a test secret"}),
    )
    .await;
    let id = webhook["id"].as_i64().unwrap();
    let res = app
        .post(
            &format!("/api/v1/webhooks/{id}/test"),
            Some(&root.token),
            json!({}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.raw);
    assert_eq!(res.data()["success"], true);
    assert_eq!(res.data()["status_code"], 200);
    let test = &receiver.wait_for(1).await[0];
    assert_signed(test, "a test secret");
    assert_eq!(test.json()["event"], "webhook.test");
    assert_eq!(
        deliveries(&app, &root, id).await[0]["event"],
        "webhook.test"
    );

    // Rotating the secret signs with the new one from then on.
    let res = app
        .post(
            &format!("/api/v1/webhooks/{id}/rotate-secret"),
            Some(&root.token),
            json!({}),
        )
        .await;
    let secret = res.data()["secret"].as_str().unwrap().to_owned();
    assert_ne!(secret, "a test secret");

    receiver.set(Answer::Status(410));
    app.send(&root, room, "anyone there?").await;
    let gone = wait_log(&app, &root, id, |d| d["status"] == "failed").await;
    assert_eq!(gone["status_code"], 410);
    assert_signed(&receiver.wait_for(2).await[1], &secret);
    let res = app
        .get(&format!("/api/v1/webhooks/{id}"), Some(&root.token))
        .await;
    assert_eq!(res.data()["is_active"], false);
    assert!(res.data()["disabled_reason"]
        .as_str()
        .unwrap()
        .contains("410"));
    // Switched off: nothing more is queued for it.
    app.send(&root, room, "still?").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(deliveries(&app, &root, id).await.len(), 2);

    // The test button shows a failure as it is.
    receiver.set(Answer::Status(500));
    let res = app
        .post(
            &format!("/api/v1/webhooks/{id}/test"),
            Some(&root.token),
            json!({}),
        )
        .await;
    assert_eq!(res.data()["success"], false);
    assert_eq!(res.data()["status_code"], 500);
    // Back on.
    receiver.set(Answer::Status(200));
    let res = app
        .put(
            &format!("/api/v1/webhooks/{id}"),
            Some(&root.token),
            json!({"is_active": true}),
        )
        .await;
    assert_eq!(res.data()["is_active"], true);
    assert_eq!(res.data()["disabled_reason"], Value::Null);
    let stats = app.get("/api/v1/admin/stats", Some(&root.token)).await;
    assert_eq!(stats.data()["webhooks"]["pending"], 0);
}

#[rocket::async_test]
async fn a_webhook_stops_when_its_creator_may_no_longer_manage_it() {
    let app = app().await;
    let owner = app.register("owner").await; // the first account: an admin
    let removed = app.register("removed").await;
    let demoted = app.register("demoted").await;
    let deactivated = app.register("deactivated").await;
    let room = app.room(&owner, "private plans", false).await;
    let receiver = Receiver::start(Answer::Status(200));
    let mut hooks = Vec::new();
    for (i, creator) in [&removed, &demoted, &deactivated].into_iter().enumerate() {
        app.add_member(&owner, room, creator, "moderator").await;
        let made = hook(
            &app,
            creator,
            json!({"url": receiver.url(&format!("/h{i}")), "events": ["message.created"], "room_id": room}),
        )
        .await;
        hooks.push(made["id"].as_i64().unwrap());
    }
    app.send(&owner, room, "all three hear this").await;
    assert_eq!(receiver.wait_for(3).await.len(), 3);

    let res = app
        .delete(
            &format!("/api/v1/rooms/{room}/members/{}", removed.id),
            Some(&owner.token),
        )
        .await;
    assert_eq!(res.status, 204, "{}", res.raw);
    app.put(
        &format!("/api/v1/rooms/{room}/members/{}", demoted.id),
        Some(&owner.token),
        json!({"role": "member"}),
    )
    .await
    .succeeded();
    app.deactivate(&owner, deactivated.id).await;

    // Each is switched off, and shown so to those who manage the room.
    for id in &hooks {
        let res = app
            .get(&format!("/api/v1/webhooks/{id}"), Some(&owner.token))
            .await;
        assert_eq!(res.data()["is_active"], false, "{}", res.raw);
        assert!(res.data()["disabled_reason"]
            .as_str()
            .unwrap()
            .contains("can no longer manage"));
    }
    app.send(&owner, room, "a secret none of them may hear")
        .await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(receiver.all().len(), 3, "nothing more was delivered");

    // A manager who switches one back on takes it over: it delivers again.
    app.put(
        &format!("/api/v1/webhooks/{}", hooks[0]),
        Some(&owner.token),
        json!({"is_active": true}),
    )
    .await
    .succeeded();
    app.send(&owner, room, "heard again").await;
    let got = receiver.wait_for(4).await;
    assert_eq!(got[3].json()["data"]["content"], "heard again");
}
