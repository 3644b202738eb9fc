//! The administrator's view: server statistics, the account list, deactivation
//! (ending sessions at once), promotion, and the last admin's protection.

mod common;

use common::*;
use rocket::http::Method;
use serde_json::json;

#[rocket::async_test]
async fn admin_routes_are_for_admins_only() {
    let app = TestApp::new().await;
    app.register("root").await;
    let user = app.register("plain").await;
    for (method, path) in [
        (Method::Get, "/api/v1/admin/stats"),
        (Method::Get, "/api/v1/admin/users"),
        (Method::Put, "/api/v1/admin/users/1"),
    ] {
        let res = app
            .call(
                method,
                path,
                Some(&user.token),
                Some(json!({"role": "admin"})),
            )
            .await;
        res.assert_error(403, "PERMISSION_DENIED");
        app.call(method, path, None, Some(json!({})))
            .await
            .assert_error(401, "INVALID_TOKEN");
    }
    let me = app.get("/api/v1/users/me", Some(&user.token)).await;
    assert_eq!(
        me.data()["role"],
        "user",
        "the refused promotion did not happen"
    );
}

#[rocket::async_test]
async fn server_stats_come_from_the_data() {
    let app = TestApp::new().await;
    let root = app.register("root").await;
    let alice = app.register("alice").await;
    let idle = app.register("idle_user").await;
    app.write_sql(
        "UPDATE users SET last_seen = '2020-01-01T00:00:00.000Z' WHERE id = ?1",
        vec![idle.id.into()],
    )
    .await;
    let public = app.room(&root, "Lobby", true).await;
    app.room(&root, "Staff", false).await;
    app.send(&root, public, "one").await;
    let gone = app.send(&root, public, "two").await;
    app.delete(&format!("/api/v1/messages/{gone}"), Some(&root.token))
        .await
        .succeeded();
    let res = app
        .post(
            "/api/v1/conversations",
            Some(&alice.token),
            json!({"user_id": root.id}),
        )
        .await;
    let conversation = res.data()["id"].as_i64().unwrap();
    app.post(
        &format!("/api/v1/conversations/{conversation}/messages"),
        Some(&alice.token),
        json!({"content": "dm"}),
    )
    .await
    .succeeded();
    app.upload(&alice, "sample.bin", &[7u8; 1234], &[]).await;

    let res = app.get("/api/v1/admin/stats", Some(&root.token)).await;
    assert_eq!(res.status, 200, "{}", res.raw);
    let s = res.data();
    assert_eq!(
        s["users"],
        json!({"total": 3, "active": 3, "active_24h": 2, "online": 0, "admins": 1})
    );
    assert_eq!(s["rooms"], json!({"total": 2, "public": 1, "private": 1}));
    assert_eq!(s["conversations"], 1);
    assert_eq!(
        s["messages"],
        json!({"total": 2, "last_24h": 2, "in_rooms": 1, "in_conversations": 1})
    );
    assert_eq!(
        s["files"],
        json!({"count": 1, "bytes": 1234, "thumbnails_pending": 0})
    );
    assert!(s["database"]["size_bytes"].as_u64().unwrap() > 4096);
    assert!(s["uptime_secs"].is_u64());
    assert_eq!(s["version"], env!("CARGO_PKG_VERSION"));
    assert!(
        !res.raw.contains("\"dm\""),
        "no message content in server stats"
    );
}

#[rocket::async_test]
async fn the_account_list_shows_everyone_with_filters() {
    let app = TestApp::new().await;
    let root = app.register("root").await;
    app.register("alice").await;
    let bob = app.register("bob_b").await;
    app.deactivate(&root, bob.id).await;
    let res = app.get("/api/v1/admin/users", Some(&root.token)).await;
    assert_eq!(res.data()["total"], 3);
    assert_eq!(
        res.data()["users"][2]["email"],
        "bob_b@example.com",
        "admins see e-mails"
    );
    assert_eq!(res.data()["users"][2]["is_active"], false);
    let res = app
        .get("/api/v1/admin/users?is_active=false", Some(&root.token))
        .await;
    assert_eq!(res.data()["total"], 1);
    let res = app
        .get("/api/v1/admin/users?role=admin", Some(&root.token))
        .await;
    assert_eq!(res.data()["users"][0]["username"], "root");
    let res = app
        .get("/api/v1/admin/users?q=ALI", Some(&root.token))
        .await;
    assert_eq!(res.data()["total"], 1);
    let res = app
        .get("/api/v1/admin/users?limit=1&page=3", Some(&root.token))
        .await;
    assert_eq!(res.data()["users"][0]["username"], "bob_b");
    app.get("/api/v1/admin/users?role=root", Some(&root.token))
        .await
        .assert_error(400, "VALIDATION_FAILED");
    app.get("/api/v1/admin/users?is_active=maybe", Some(&root.token))
        .await
        .assert_error(400, "VALIDATION_FAILED");
}

#[rocket::async_test]
async fn deactivation_ends_sessions_at_once_and_reactivation_restores_login() {
    let app = TestApp::new().await;
    let root = app.register("root").await;
    let user = app.register("victim").await;
    let second = user_of(&app.login("victim", PASSWORD).await);
    // Both sessions are in use (and so in the server's session cache).
    assert_eq!(
        app.get("/api/v1/users/me", Some(&user.token)).await.status,
        200
    );
    assert_eq!(
        app.get("/api/v1/users/me", Some(&second.token))
            .await
            .status,
        200
    );
    let path = format!("/api/v1/admin/users/{}", user.id);
    let res = app
        .put(&path, Some(&root.token), json!({"is_active": false}))
        .await;
    assert_eq!(res.status, 200, "{}", res.raw);
    assert_eq!(res.data()["is_active"], false);
    for token in [&user.token, &second.token] {
        app.get("/api/v1/users/me", Some(token))
            .await
            .assert_error(401, "INVALID_TOKEN");
    }
    let res = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": user.refresh}),
        )
        .await;
    res.assert_error(401, "INVALID_TOKEN");
    // Answered as a wrong password is: the answer confirms nothing.
    app.login("victim", PASSWORD)
        .await
        .assert_error(401, "INVALID_CREDENTIALS");
    let res = app
        .put(&path, Some(&root.token), json!({"is_active": true}))
        .await;
    assert_eq!(res.data()["is_active"], true);
    let back = user_of(&app.login("victim", PASSWORD).await);
    assert_eq!(
        app.get("/api/v1/users/me", Some(&back.token)).await.status,
        200
    );
    app.get("/api/v1/users/me", Some(&second.token))
        .await
        .assert_error(401, "INVALID_TOKEN");
}

#[rocket::async_test]
async fn promotion_and_the_last_admin() {
    let app = TestApp::new().await;
    let root = app.register("root").await;
    let user = app.register("helper").await;
    assert_eq!(
        app.get("/api/v1/admin/users", Some(&user.token))
            .await
            .status,
        403
    );
    let root_path = format!("/api/v1/admin/users/{}", root.id);
    // Alone, the admin can neither step down nor switch themself off.
    app.put(&root_path, Some(&root.token), json!({"role": "user"}))
        .await
        .assert_error(409, "RESOURCE_CONFLICT");
    app.put(&root_path, Some(&root.token), json!({"is_active": false}))
        .await
        .assert_error(409, "RESOURCE_CONFLICT");
    // Promote the helper: their current token gains the role at once.
    let path = format!("/api/v1/admin/users/{}", user.id);
    let res = app
        .put(&path, Some(&root.token), json!({"role": "admin"}))
        .await;
    assert_eq!(res.data()["role"], "admin");
    assert_eq!(
        app.get("/api/v1/admin/users", Some(&user.token))
            .await
            .status,
        200
    );
    // Now the first admin may step down, and then loses admin rights at once.
    let res = app
        .put(&root_path, Some(&root.token), json!({"role": "user"}))
        .await;
    assert_eq!(res.status, 200, "{}", res.raw);
    app.get("/api/v1/admin/stats", Some(&root.token))
        .await
        .assert_error(403, "PERMISSION_DENIED");
    app.put(&path, Some(&user.token), json!({"role": "user"}))
        .await
        .assert_error(409, "RESOURCE_CONFLICT");
    let admins: i64 = app
        .db()
        .query_row(
            "SELECT count(*) FROM users WHERE role = 'admin' AND is_active = 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(admins, 1);
    // Bad input.
    app.put(&path, Some(&user.token), json!({"role": "root"}))
        .await
        .assert_error(400, "VALIDATION_FAILED");
    app.put(&path, Some(&user.token), json!({"is_active": "no"}))
        .await
        .assert_error(422, "VALIDATION_FAILED");
    app.put(
        "/api/v1/admin/users/424242",
        Some(&user.token),
        json!({"is_active": false}),
    )
    .await
    .assert_error(404, "USER_NOT_FOUND");
}
