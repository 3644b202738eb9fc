//! Where one is signed in: the profile's list of live sessions, and signing
//! one of them out (another browser, a lost phone) from the others.

mod common;

use common::{user_of, TestApp, PASSWORD};
use serde_json::json;

#[tokio::test]
async fn a_user_lists_their_sessions_and_signs_one_out() {
    let app = TestApp::new().await;
    let ann = app.register("ann").await;
    let phone = user_of(&app.login("ann", PASSWORD).await);
    let bob = app.register("bob").await;

    let listed = app.get("/api/v1/users/me/sessions", Some(&ann.token)).await;
    listed.succeeded();
    let sessions = listed.data()["sessions"].as_array().unwrap().clone();
    assert_eq!(sessions.len(), 2, "{}", listed.raw);
    let current = listed.data()["current_session_id"].as_i64().unwrap();
    let other = sessions
        .iter()
        .map(|s| s["id"].as_i64().unwrap())
        .find(|&id| id != current)
        .unwrap();

    // Nobody else's session can be ended, nor with an access token.
    app.delete(
        &format!("/api/v1/users/me/sessions/{other}"),
        Some(&bob.token),
    )
    .await
    .assert_error(404, "NOT_FOUND");
    let token = app
        .post(
            "/api/v1/users/me/tokens",
            Some(&ann.token),
            json!({"name": "t", "scopes": ["read", "write"]}),
        )
        .await
        .data()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    app.get("/api/v1/users/me/sessions", Some(&token))
        .await
        .assert_error(403, "PERMISSION_DENIED");

    let res = app
        .delete(
            &format!("/api/v1/users/me/sessions/{other}"),
            Some(&ann.token),
        )
        .await;
    assert_eq!(res.status, 204, "{}", res.raw);
    app.get("/api/v1/users/me", Some(&phone.token))
        .await
        .assert_error(401, "INVALID_TOKEN");
    app.post(
        "/api/v1/auth/refresh",
        None,
        json!({"refresh_token": phone.refresh}),
    )
    .await
    .assert_error(401, "INVALID_TOKEN");
    app.get("/api/v1/users/me", Some(&ann.token))
        .await
        .succeeded();
    let listed = app.get("/api/v1/users/me/sessions", Some(&ann.token)).await;
    assert_eq!(listed.data()["sessions"].as_array().unwrap().len(), 1);
    // Twice is not found.
    app.delete(
        &format!("/api/v1/users/me/sessions/{other}"),
        Some(&ann.token),
    )
    .await
    .assert_error(404, "NOT_FOUND");
}
