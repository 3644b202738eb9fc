//! Every failure answers in the error envelope, with `request_id` = `X-Request-Id`,
//! and every answer carries the security headers.

mod common;

use common::*;
use rocket::http::Method;
use serde_json::json;

#[rocket::async_test]
async fn unknown_route_is_a_json_404() {
    let app = TestApp::new().await;
    for path in ["/api/v1/nope", "/api/v1/users/1/unknown", "/auth/nope"] {
        let res = app.get(path, None).await;
        res.assert_error(404, "NOT_FOUND");
        assert!(res.header("content-type").unwrap().contains("json"));
    }
    // Outside the API, a page load is a deep link into the web client (API.md §14);
    // any other method still gets the JSON error.
    for path in ["/nope", "/"] {
        let res = app.get(path, None).await;
        assert_eq!(res.status, 200, "{path}");
        assert!(res.header("content-type").unwrap().contains("text/html"));
    }
    app.delete("/nope", None)
        .await
        .assert_error(404, "NOT_FOUND");
    let res = app.delete("/", None).await;
    res.assert_error(405, "METHOD_NOT_ALLOWED");
    assert_eq!(res.header("allow"), Some("GET"));
}

#[rocket::async_test]
async fn wrong_method_is_405_with_allow() {
    let app = TestApp::new().await;
    let user = app.register("alice").await;
    let res = app.delete("/api/v1/users/me", Some(&user.token)).await;
    res.assert_error(405, "METHOD_NOT_ALLOWED");
    assert_eq!(res.header("allow"), Some("GET, PUT"));
    let res = app.get("/api/v1/auth/login", None).await;
    res.assert_error(405, "METHOD_NOT_ALLOWED");
    assert_eq!(res.header("allow"), Some("POST"));
}

#[rocket::async_test]
async fn malformed_json_is_400_and_names_the_problem() {
    let app = TestApp::new().await;
    for body in [
        "{\"username\": ",
        "not json",
        "{\"username\":\"a\",}",
        "{\"username\":\"a\",\"password\":\"b\"} {}",
    ] {
        let res = app
            .call_raw(Method::Post, "/api/v1/auth/login", None, Some(body))
            .await;
        res.assert_error(400, "VALIDATION_FAILED");
        assert!(res.body["error"]["details"]["reason"].is_string());
    }
    let res = app
        .call_raw(Method::Post, "/api/v1/auth/login", None, Some(""))
        .await;
    res.assert_error(400, "VALIDATION_FAILED");
}

#[rocket::async_test]
async fn wrong_types_are_422_naming_the_field() {
    let app = TestApp::new().await;
    let cases = [
        (json!({"username": 5, "password": "x"}), "username"),
        (json!({"username": "a", "password": ["x"]}), "password"),
        (json!({"username": "a"}), "password"),
        (json!([1, 2]), "[0]"),
    ];
    for (body, field) in cases {
        let res = app.post("/api/v1/auth/login", None, body).await;
        res.assert_error(422, "VALIDATION_FAILED");
        assert_eq!(
            res.body["error"]["details"]["field"],
            json!(field),
            "{}",
            res.raw
        );
    }
    let res = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({"username": "abc", "email": true, "password": "x"}),
        )
        .await;
    res.assert_error(422, "VALIDATION_FAILED");
    assert_eq!(res.body["error"]["details"]["field"], "email");
}

#[rocket::async_test]
async fn oversized_body_is_413_and_nothing_is_stored() {
    let app = TestApp::new().await;
    let huge = "x".repeat(10 * 1024 * 1024);
    let body = json!({"username": "bob", "email": "bob@example.com", "password": huge});
    let res = app.post("/api/v1/auth/register", None, body).await;
    res.assert_error(413, "PAYLOAD_TOO_LARGE");
    let n: i64 = app
        .db()
        .query_row("SELECT count(*) FROM users", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 0);
    let res = app.login("bob", &"y".repeat(10 * 1024 * 1024)).await;
    res.assert_error(413, "PAYLOAD_TOO_LARGE");
}

#[rocket::async_test]
async fn a_panicking_handler_is_a_json_500() {
    #[rocket::get("/boom")]
    fn boom() -> &'static str {
        panic!("deliberate")
    }
    let dir = tempfile::tempdir().unwrap();
    let rocket = veza::rocket(test_config(dir.path()))
        .unwrap()
        .mount("/test", rocket::routes![boom]);
    let app = TestApp::from_rocket(rocket, dir).await;
    let res = app.get("/test/boom", None).await;
    res.assert_error(500, "INTERNAL_ERROR");
    assert!(
        !res.raw.contains("deliberate"),
        "5xx details stay in the log"
    );
    assert_eq!(
        app.get("/health", None).await.status,
        200,
        "the server lives on"
    );
}

#[rocket::async_test]
async fn every_answer_has_an_id_and_security_headers() {
    let app = TestApp::new().await;
    let user = app.register("carol").await;
    let answers = [
        app.get("/health", None).await,
        app.get("/api/v1/users/me", Some(&user.token)).await,
        app.get("/api/v1/users/me", None).await,
        app.get("/missing", None).await,
    ];
    let mut ids = std::collections::HashSet::new();
    for res in &answers {
        let id = res.header("x-request-id").expect("X-Request-Id");
        assert!(ids.insert(id.to_owned()), "ids are unique");
        assert_eq!(res.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(res.header("x-frame-options"), Some("DENY"));
        assert_eq!(res.header("referrer-policy"), Some("no-referrer"));
    }
    assert_eq!(answers[1].header("cache-control"), Some("no-store"));
    assert_eq!(answers[0].body, json!({"status": "ok"}));
}

#[rocket::async_test]
async fn bad_path_and_query_parameters_are_clear_errors() {
    let app = TestApp::new().await;
    let user = app.register("dave").await;
    let res = app
        .get("/api/v1/users/not-a-number", Some(&user.token))
        .await;
    res.assert_error(422, "VALIDATION_FAILED");
    assert_eq!(res.body["error"]["details"]["field"], "id");
    let res = app
        .get("/api/v1/users/99999999999999999999999", Some(&user.token))
        .await;
    res.assert_error(422, "VALIDATION_FAILED");
    assert_eq!(res.body["error"]["details"]["field"], "id");
    let room = app.room(&user, "ids", true).await;
    let res = app
        .delete(
            &format!("/api/v1/rooms/{room}/members/bob"),
            Some(&user.token),
        )
        .await;
    res.assert_error(422, "VALIDATION_FAILED");
    assert_eq!(res.body["error"]["details"]["field"], "user_id");
    let res = app
        .get("/api/v1/users/search?q=a&limit=abc", Some(&user.token))
        .await;
    res.assert_error(400, "VALIDATION_FAILED");
    assert_eq!(res.body["error"]["details"]["field"], "limit");
    let res = app
        .get("/api/v1/users/search?q=a&page=0", Some(&user.token))
        .await;
    res.assert_error(400, "VALIDATION_FAILED");
}

/// A constraint on an internal table that a change trips over is a fault of
/// ours: 500 with nothing of SQL in the answer, and the change is not half made.
#[rocket::async_test]
async fn an_internal_constraint_violation_is_a_500_without_sql() {
    let app = TestApp::new().await;
    let owner = app.register("owner").await;
    let guest = app.register("guest").await;
    let room = app
        .post(
            "/api/v1/rooms",
            Some(&owner.token),
            json!({"name": "constrained", "is_public": true}),
        )
        .await
        .data()["id"]
        .as_i64()
        .unwrap();
    // A state no release has: one audit entry per room at most. The next
    // audited change in this room trips it.
    app.write_sql(
        "CREATE UNIQUE INDEX one_entry_per_room ON audit_log (room_id)",
        vec![],
    )
    .await;
    let join = app
        .post(
            &format!("/api/v1/rooms/{room}/join"),
            Some(&guest.token),
            json!({}),
        )
        .await;
    join.assert_error(500, "INTERNAL_ERROR");
    let text = join.raw.to_lowercase();
    for leak in ["unique", "constraint", "audit_log", "sqlite", "one_entry"] {
        assert!(!text.contains(leak), "{leak} leaked: {}", join.raw);
    }
    // Rolled back with its audit entry: the guest is not a member.
    let members = app
        .get(&format!("/api/v1/rooms/{room}/members"), Some(&owner.token))
        .await;
    members.succeeded();
    assert_eq!(
        members.data()["members"].as_array().unwrap().len(),
        1,
        "{}",
        members.raw
    );
}
