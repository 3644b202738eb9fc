//! The notification routes (API §16) and what they refuse: subscriptions that
//! cannot be pushed to, other users' ids, bad levels and timestamps; and the
//! subscriptions of a session ending with it.

mod common;

use common::push_service::PushService;
use common::{TestApp, PASSWORD};
use serde_json::json;

fn point() -> String {
    let service = PushService::start("mailto:unused@veza.test");
    let browser = service.browser("x");
    service.subscription(&browser)["keys"]["p256dh"]
        .as_str()
        .unwrap()
        .to_owned()
}

const AUTH: &str = "BTBZMqHH6r4Tts7J_aSIgg";

#[tokio::test]
async fn subscriptions_that_cannot_be_pushed_to_are_refused() {
    let app = TestApp::new().await;
    let alice = app.register("alice").await;
    let key = app.get("/api/v1/push/vapid-public-key", None).await;
    key.succeeded();
    assert_eq!(
        key.data()["public_key"].as_str().unwrap().len(),
        87,
        "65 bytes, base64url"
    );
    let p256dh = point();
    let path = "/api/v1/push/subscriptions";
    for (endpoint, p256dh, auth, field) in [
        (
            "http://93.184.216.34/push/1",
            p256dh.as_str(),
            AUTH,
            "endpoint",
        ),
        (
            "https://127.0.0.1/push/1",
            p256dh.as_str(),
            AUTH,
            "endpoint",
        ),
        ("https://10.0.0.8/push/1", p256dh.as_str(), AUTH, "endpoint"),
        ("https://[::1]/push/1", p256dh.as_str(), AUTH, "endpoint"),
        (
            "https://user:pw@93.184.216.34/push/1",
            p256dh.as_str(),
            AUTH,
            "endpoint",
        ),
        ("not a url", p256dh.as_str(), AUTH, "endpoint"),
        ("https://93.184.216.34/push/1", "BCVx", AUTH, "keys.p256dh"),
        (
            "https://93.184.216.34/push/1",
            &p256dh[..p256dh.len() - 2],
            AUTH,
            "keys.p256dh",
        ),
        (
            "https://93.184.216.34/push/1",
            p256dh.as_str(),
            "c2hvcnQ",
            "keys.auth",
        ),
        (
            "https://93.184.216.34/push/1",
            p256dh.as_str(),
            "!!!",
            "keys.auth",
        ),
    ] {
        let body = json!({"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}});
        let res = app.post(path, Some(&alice.token), body).await;
        res.assert_error(400, "VALIDATION_FAILED");
        assert_eq!(
            res.body["error"]["details"]["field"], field,
            "{endpoint} {p256dh}: {}",
            res.raw
        );
    }
    for body in [
        json!({"endpoint": "https://93.184.216.34/p"}),
        json!({"keys": {}}),
        json!([1]),
    ] {
        // Missing fields and wrong types: 422 (the JSON does not fit the shape).
        let res = app.post(path, Some(&alice.token), body).await;
        res.assert_error(422, "VALIDATION_FAILED");
    }
    let unauthenticated = app
        .post(path, None, json!({"endpoint": "https://93.184.216.34/p", "keys": {"p256dh": p256dh, "auth": AUTH}}))
        .await;
    assert_eq!(unauthenticated.status, 401);

    // A public https endpoint is taken (nothing is sent until a message calls for it).
    let good = json!({"endpoint": "https://93.184.216.34/push/ok", "keys": {"p256dh": p256dh, "auth": AUTH}});
    let res = app.post(path, Some(&alice.token), good).await;
    assert_eq!(res.status, 201, "{}", res.raw);
    assert!(app.get(path, Some(&alice.token)).await.data()[0]["id"].is_i64());
}

#[tokio::test]
async fn twenty_per_user_others_untouchable_and_sign_out_removes_them() {
    let app = TestApp::with(|c| c.push.allow_private_endpoints = true).await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let p256dh = point();
    let path = "/api/v1/push/subscriptions";
    let subscription = |n: usize| json!({"endpoint": format!("http://127.0.0.1:9/push/{n}"), "keys": {"p256dh": p256dh, "auth": AUTH}});
    for n in 0..20 {
        let res = app.post(path, Some(&alice.token), subscription(n)).await;
        assert_eq!(res.status, 201, "{n}: {}", res.raw);
    }
    let res = app.post(path, Some(&alice.token), subscription(20)).await;
    res.assert_error(409, "RESOURCE_CONFLICT");
    // The same endpoint again is the one already there.
    let again = app.post(path, Some(&alice.token), subscription(3)).await;
    assert_eq!(again.status, 200, "{}", again.raw);
    let listed = app.get(path, Some(&alice.token)).await;
    assert_eq!(listed.data().as_array().unwrap().len(), 20);
    let first = listed.data()[0]["id"].as_i64().unwrap();

    // Bob can neither see nor delete Alice's.
    assert_eq!(
        app.get(path, Some(&bob.token))
            .await
            .data()
            .as_array()
            .unwrap()
            .len(),
        0
    );
    let res = app
        .delete(&format!("{path}/{first}"), Some(&bob.token))
        .await;
    assert_eq!(res.status, 404, "{}", res.raw);
    let res = app
        .delete(&format!("{path}/{first}"), Some(&alice.token))
        .await;
    assert_eq!(res.status, 204, "{}", res.raw);
    let res = app
        .delete(&format!("{path}/{first}"), Some(&alice.token))
        .await;
    assert_eq!(res.status, 404);

    // A second session's subscriptions survive the first one's sign-out; its own go.
    let second = app.login("alice", PASSWORD).await;
    second.succeeded();
    let second_token = second.data()["access_token"].as_str().unwrap().to_owned();
    let res = app.post(path, Some(&second_token), subscription(40)).await;
    assert_eq!(res.status, 201, "{}", res.raw);
    let res = app
        .post("/api/v1/auth/logout", Some(&alice.token), json!({}))
        .await;
    assert_eq!(res.status, 204, "{}", res.raw);
    let left = app.get(path, Some(&second_token)).await;
    let endpoints: Vec<&str> = left
        .data()
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["endpoint"].as_str().unwrap())
        .collect();
    assert_eq!(endpoints, ["http://127.0.0.1:9/push/40"]);
}

#[tokio::test]
async fn preferences_and_room_settings_are_checked_and_kept() {
    let app = TestApp::new().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let me = "/api/v1/users/me/notifications";
    let defaults = app.get(me, Some(&alice.token)).await;
    assert_eq!(defaults.data()["default_level"], "mentions");
    assert!(defaults.data()["dnd_until"].is_null());
    for body in [
        json!({"default_level": "loud"}),
        json!({"default_level": 3}),
        json!({"dnd_until": "tomorrow"}),
        json!({"dnd_until": 1700000000}),
    ] {
        let res = app.put(me, Some(&alice.token), body.clone()).await;
        assert!(matches!(res.status, 400 | 422), "{body}: {}", res.raw);
        assert_eq!(res.code(), "VALIDATION_FAILED");
    }
    let res = app
        .put(
            me,
            Some(&alice.token),
            json!({"default_level": "all", "dnd_until": "2030-01-02T08:00:00+01:00"}),
        )
        .await;
    res.succeeded();
    assert_eq!(res.data()["dnd_until"], "2030-01-02T07:00:00.000Z");
    // A field left out stays; null clears.
    let res = app
        .put(me, Some(&alice.token), json!({"default_level": "none"}))
        .await;
    assert_eq!(res.data()["dnd_until"], "2030-01-02T07:00:00.000Z");
    let res = app
        .put(me, Some(&alice.token), json!({"dnd_until": null}))
        .await;
    assert!(res.data()["dnd_until"].is_null());
    assert_eq!(
        app.get(me, Some(&alice.token)).await.data()["default_level"],
        "none"
    );
    assert_eq!(
        app.get(me, Some(&bob.token)).await.data()["default_level"],
        "mentions"
    );

    let public = app.room(&alice, "open", true).await;
    let private = app.room(&alice, "closed", false).await;
    let path = |room: i64| format!("/api/v1/rooms/{room}/notifications");
    let res = app
        .put(
            &path(public),
            Some(&alice.token),
            json!({"level": "all", "muted_until": "2030-01-01T00:00:00Z"}),
        )
        .await;
    res.succeeded();
    assert_eq!(res.data()["level"], "all");
    let room = app
        .get(&format!("/api/v1/rooms/{public}"), Some(&alice.token))
        .await;
    assert_eq!(room.data()["notification_level"], "all");
    assert_eq!(room.data()["muted_until"], "2030-01-01T00:00:00.000Z");
    // Another viewer sees their own (defaults: not a member).
    let room = app
        .get(&format!("/api/v1/rooms/{public}"), Some(&bob.token))
        .await;
    assert_eq!(room.data()["notification_level"], "default");
    assert!(room.data()["muted_until"].is_null());
    let res = app.get(&path(public), Some(&bob.token)).await;
    assert_eq!(res.data()["level"], "default");
    let res = app
        .put(&path(public), Some(&bob.token), json!({"level": "all"}))
        .await;
    res.assert_error(403, "PERMISSION_DENIED");
    // A private room Bob cannot see does not exist for him.
    app.get(&path(private), Some(&bob.token))
        .await
        .assert_error(404, "ROOM_NOT_FOUND");
    app.put(&path(private), Some(&bob.token), json!({"level": "all"}))
        .await
        .assert_error(404, "ROOM_NOT_FOUND");
    for body in [
        json!({"level": "loud"}),
        json!({"muted_until": "soon"}),
        json!({"level": 5}),
    ] {
        let res = app
            .put(&path(public), Some(&alice.token), body.clone())
            .await;
        assert!(matches!(res.status, 400 | 422), "{body}: {}", res.raw);
        assert_eq!(res.code(), "VALIDATION_FAILED");
    }
    let res = app
        .put(
            &path(public),
            Some(&alice.token),
            json!({"muted_until": null}),
        )
        .await;
    assert!(res.data()["muted_until"].is_null());
    assert_eq!(res.data()["level"], "all");
}

#[tokio::test]
async fn with_push_off_its_routes_are_not_found() {
    let app = TestApp::with(|c| c.push.enabled = false).await;
    let alice = app.register("alice").await;
    app.get("/api/v1/push/vapid-public-key", None)
        .await
        .assert_error(404, "NOT_FOUND");
    app.get("/api/v1/push/subscriptions", Some(&alice.token))
        .await
        .assert_error(404, "NOT_FOUND");
    assert!(!app.dir.path().join("vapid_private_key").exists());
}
