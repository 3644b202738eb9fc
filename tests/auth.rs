//! Accounts: register, login by username or e-mail, refresh with rotation and reuse
//! detection, logout, the first admin, closed registration, deactivated accounts.

mod common;

use common::*;
use rocket::http::Method;
use serde_json::json;

#[rocket::async_test]
async fn register_answers_like_login_and_first_user_is_admin() {
    let app = TestApp::new().await;
    let res = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({"email": "user@example.com", "username": "username", "password": "securepassword",
                   "first_name": "John", "last_name": "Doe"}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.raw);
    let data = res.data();
    assert_eq!(data["token_type"], "Bearer");
    assert_eq!(data["expires_in"], 900);
    assert!(data["access_token"].as_str().unwrap().split('.').count() == 3);
    assert_eq!(data["refresh_token"].as_str().unwrap().len(), 64);
    let user = &data["user"];
    assert_eq!(user["role"], "admin");
    assert_eq!(user["email"], "user@example.com");
    assert_eq!(user["first_name"], "John");
    assert!(user["uuid"].as_str().unwrap().len() == 36);
    for key in [
        "id",
        "status_message",
        "avatar_url",
        "is_active",
        "email_verified",
        "is_online",
        "last_seen",
        "created_at",
        "last_login_at",
        "last_name",
    ] {
        assert!(user.get(key).is_some(), "user has `{key}`");
    }
    assert!(res.body["data"]["user"].get("password_hash").is_none());
    let second = app.register("second").await;
    let me = app.get("/api/v1/users/me", Some(&second.token)).await;
    assert_eq!(me.data()["role"], "user");
}

#[rocket::async_test]
async fn register_validates_every_field() {
    let app = TestApp::new().await;
    let base =
        json!({"username": "valid_name", "email": "v@example.com", "password": "longenough"});
    let cases = [
        ("username", json!("ab")),
        ("username", json!("x".repeat(33))),
        ("username", json!("has space")),
        ("username", json!("émile")),
        ("email", json!("not-an-email")),
        ("email", json!("a@b")),
        ("email", json!("a b@example.com")),
        ("password", json!("short")),
        ("password", json!("p".repeat(129))),
        ("first_name", json!("f".repeat(65))),
    ];
    for (field, value) in cases {
        let mut body = base.clone();
        body[field] = value;
        let res = app.post("/api/v1/auth/register", None, body).await;
        res.assert_error(400, "VALIDATION_FAILED");
        assert_eq!(res.body["error"]["details"]["field"], field, "{}", res.raw);
    }
    let mut body = base.clone();
    body["password"] = json!("p".repeat(129));
    let res = app.post("/api/v1/auth/register", None, body).await;
    assert_eq!(res.body["error"]["details"]["max_length"], 128);
    assert_eq!(res.body["error"]["details"]["actual_length"], 129);
    // Lengths count characters, not bytes: 8 two-byte characters is long enough.
    let mut body = base.clone();
    body["password"] = json!("éééééééé");
    assert_eq!(
        app.post("/api/v1/auth/register", None, body).await.status,
        201
    );
}

#[rocket::async_test]
async fn usernames_and_emails_are_unique_ignoring_case() {
    let app = TestApp::new().await;
    app.register("alice").await;
    let res = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({"username": "ALICE", "email": "other@example.com", "password": PASSWORD}),
        )
        .await;
    res.assert_error(409, "RESOURCE_CONFLICT");
    assert_eq!(res.body["error"]["details"]["field"], "username");
    let res = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({"username": "alice2", "email": "Alice@Example.COM", "password": PASSWORD}),
        )
        .await;
    res.assert_error(409, "RESOURCE_CONFLICT");
    assert_eq!(res.body["error"]["details"]["field"], "email");
}

#[rocket::async_test]
async fn concurrent_registrations_of_one_name_make_one_account() {
    let app = TestApp::new().await;
    let attempts = (0..6).map(|i| {
        app.post(
            "/api/v1/auth/register",
            None,
            json!({"username": "race", "email": format!("r{i}@example.com"), "password": PASSWORD}),
        )
    });
    // The local client dispatches concurrently when the requests are polled together.
    let results = rocket::futures::future::join_all(attempts).await;
    let created = results.iter().filter(|r| r.status == 201).count();
    assert_eq!(
        created,
        1,
        "{:?}",
        results.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    assert!(results.iter().all(|r| r.status == 201 || r.status == 409));
    let admins: i64 = app
        .db()
        .query_row("SELECT count(*) FROM users WHERE role = 'admin'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(admins, 1);
}

#[rocket::async_test]
async fn login_by_username_or_email_ignoring_case() {
    let app = TestApp::new().await;
    app.register("john_doe").await;
    for login in ["john_doe", "JOHN_DOE"] {
        let res = app.login(login, PASSWORD).await;
        assert_eq!(res.status, 200, "{}", res.raw);
        assert_eq!(res.data()["user"]["username"], "john_doe");
    }
    let res = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({"email": "John_Doe@example.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.raw);
    assert!(res.data()["user"]["last_login_at"].is_string());
    // The platform API's paths are aliases of the same handlers.
    let res = app
        .post(
            "/auth/login",
            None,
            json!({"email": "john_doe@example.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.raw);
}

#[rocket::async_test]
async fn unknown_user_and_wrong_password_look_the_same() {
    let app = TestApp::new().await;
    app.register("erin").await;
    let wrong = app.login("erin", "wrong password!").await;
    let unknown = app.login("nobody", "wrong password!").await;
    wrong.assert_error(401, "INVALID_CREDENTIALS");
    unknown.assert_error(401, "INVALID_CREDENTIALS");
    assert_eq!(
        wrong.body["error"]["message"],
        unknown.body["error"]["message"]
    );
    assert_eq!(
        wrong.body["error"]["details"],
        unknown.body["error"]["details"]
    );
    let missing = app
        .post("/api/v1/auth/login", None, json!({"password": "x"}))
        .await;
    missing.assert_error(400, "VALIDATION_FAILED");
}

#[rocket::async_test]
async fn refresh_rotates_and_a_reused_token_revokes_the_session() {
    let app = TestApp::new().await;
    let user = app.register("frank").await;
    let res = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": user.refresh}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.raw);
    let next = user_of(&res);
    assert_ne!(next.refresh, user.refresh);
    assert_eq!(
        app.get("/api/v1/users/me", Some(&next.token)).await.status,
        200
    );

    // The spent token comes back: theft suspected, the whole session dies.
    let reuse = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": user.refresh}),
        )
        .await;
    reuse.assert_error(401, "INVALID_TOKEN");
    app.get("/api/v1/users/me", Some(&next.token))
        .await
        .assert_error(401, "INVALID_TOKEN");
    app.get("/api/v1/users/me", Some(&user.token))
        .await
        .assert_error(401, "INVALID_TOKEN");
    let after = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": next.refresh}),
        )
        .await;
    after.assert_error(401, "INVALID_TOKEN");

    // Another login is another session, untouched.
    let other = user_of(&app.login("frank", PASSWORD).await);
    assert_eq!(
        app.get("/api/v1/users/me", Some(&other.token)).await.status,
        200
    );
}

#[rocket::async_test]
async fn refresh_alias_and_garbage_tokens() {
    let app = TestApp::new().await;
    let user = app.register("gina").await;
    let res = app
        .post(
            "/auth/refresh",
            None,
            json!({"refresh_token": user.refresh}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.raw);
    for bad in ["", "garbage", &user.token] {
        let res = app
            .post("/api/v1/auth/refresh", None, json!({"refresh_token": bad}))
            .await;
        res.assert_error(401, "INVALID_TOKEN");
    }
}

#[rocket::async_test]
async fn logout_kills_the_session_at_once() {
    let app = TestApp::new().await;
    let user = app.register("hank").await;
    let other = user_of(&app.login("hank", PASSWORD).await);
    let res = app
        .call(Method::Post, "/api/v1/auth/logout", Some(&user.token), None)
        .await;
    assert_eq!(res.status, 204);
    assert!(res.raw.is_empty());
    app.get("/api/v1/users/me", Some(&user.token))
        .await
        .assert_error(401, "INVALID_TOKEN");
    let res = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": user.refresh}),
        )
        .await;
    res.assert_error(401, "INVALID_TOKEN");
    assert_eq!(
        app.get("/api/v1/users/me", Some(&other.token)).await.status,
        200,
        "other sessions live"
    );
    let res = app
        .call(Method::Post, "/api/v1/auth/logout", None, None)
        .await;
    res.assert_error(401, "INVALID_TOKEN");
    let res = app
        .call(Method::Post, "/auth/logout", Some(&other.token), None)
        .await;
    assert_eq!(res.status, 204);
}

#[rocket::async_test]
async fn closed_registration_admits_only_the_first_account() {
    let app = TestApp::with(|c| c.registration = veza::config::Registration::Closed).await;
    let admin = app.register("root").await;
    let res = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({"username": "late", "email": "late@example.com", "password": PASSWORD}),
        )
        .await;
    res.assert_error(403, "REGISTRATION_CLOSED");
    let me = app.get("/api/v1/users/me", Some(&admin.token)).await;
    assert_eq!(me.data()["role"], "admin");
}

#[rocket::async_test]
async fn a_deactivated_account_cannot_log_in_and_its_tokens_stop() {
    // Deactivated here by hand in the database, behind Veza's back: without the
    // session cache, the very next request sees it.
    let app = TestApp::with(|c| c.auth.session_cache_secs = 0).await;
    app.register("admin").await;
    let user = app.register("ivan").await;
    app.write_sql(
        "UPDATE users SET is_active = 0 WHERE id = ?1",
        vec![user.id.into()],
    )
    .await;
    app.get("/api/v1/users/me", Some(&user.token))
        .await
        .assert_error(401, "INVALID_TOKEN");
    // The right password and a wrong one answer alike: nothing is confirmed.
    let right = app.login("ivan", PASSWORD).await;
    right.assert_error(401, "INVALID_CREDENTIALS");
    let wrong = app.login("ivan", "wrong password").await;
    wrong.assert_error(401, "INVALID_CREDENTIALS");
    assert_eq!(
        right.body["error"]["message"],
        wrong.body["error"]["message"]
    );
    assert_eq!(
        right.body["error"]["details"],
        wrong.body["error"]["details"]
    );
    let res = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": user.refresh}),
        )
        .await;
    res.assert_error(401, "INVALID_TOKEN");
}

#[rocket::async_test]
async fn refresh_tokens_are_stored_only_as_hashes() {
    let app = TestApp::new().await;
    let user = app.register("judy").await;
    let stored: Vec<String> = app.db().column("SELECT token_hash FROM refresh_tokens");
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0], user.refresh);
    let hash: String = app
        .db()
        .query_row("SELECT password_hash FROM users", [], |r| r.get(0))
        .unwrap();
    assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
}
