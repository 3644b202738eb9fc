//! Users: own profile, password change, other users' profiles, search.

mod common;

use common::*;
use serde_json::json;

#[rocket::async_test]
async fn me_and_its_alias() {
    let app = TestApp::new().await;
    let user = app.register("uma").await;
    for path in ["/api/v1/users/me", "/api/users/me"] {
        let res = app.get(path, Some(&user.token)).await;
        assert_eq!(res.status, 200, "{}", res.raw);
        assert_eq!(res.data()["username"], "uma");
        assert_eq!(res.data()["email"], "uma@example.com");
        // Online means holding a real-time connection; a REST client is not.
        assert_eq!(res.data()["is_online"], false);
        assert!(res.data()["last_seen"].is_string());
    }
    app.get("/api/users/me", None)
        .await
        .assert_error(401, "INVALID_TOKEN");
}

#[rocket::async_test]
async fn update_profile_as_in_the_seed() {
    let app = TestApp::new().await;
    let user = app.register("victor").await;
    let res = app
        .put("/api/v1/users/me", Some(&user.token),
             json!({"username": "nouveau_nom", "email": "nouveau@email.com", "status_message": "En développement"}))
        .await;
    assert_eq!(res.status, 200, "{}", res.raw);
    assert_eq!(res.data()["username"], "nouveau_nom");
    assert_eq!(res.data()["email"], "nouveau@email.com");
    assert_eq!(res.data()["status_message"], "En développement");
    // The new name logs in; fields left out are kept; null clears.
    assert_eq!(app.login("nouveau_nom", PASSWORD).await.status, 200);
    let res = app
        .put(
            "/api/v1/users/me",
            Some(&user.token),
            json!({"first_name": "Vic"}),
        )
        .await;
    assert_eq!(res.data()["status_message"], "En développement");
    assert_eq!(res.data()["first_name"], "Vic");
    let res = app
        .put(
            "/api/v1/users/me",
            Some(&user.token),
            json!({"status_message": null}),
        )
        .await;
    assert!(res.data()["status_message"].is_null());
    assert_eq!(res.data()["first_name"], "Vic");
}

#[rocket::async_test]
async fn profile_updates_are_validated_and_cannot_escalate() {
    let app = TestApp::new().await;
    app.register("boss").await;
    let user = app.register("wendy").await;
    let res = app
        .put(
            "/api/v1/users/me",
            Some(&user.token),
            json!({"username": "BOSS"}),
        )
        .await;
    res.assert_error(409, "RESOURCE_CONFLICT");
    let res = app
        .put(
            "/api/v1/users/me",
            Some(&user.token),
            json!({"email": "Boss@example.com"}),
        )
        .await;
    res.assert_error(409, "RESOURCE_CONFLICT");
    let res = app
        .put(
            "/api/v1/users/me",
            Some(&user.token),
            json!({"username": "a b"}),
        )
        .await;
    res.assert_error(400, "VALIDATION_FAILED");
    let res = app
        .put(
            "/api/v1/users/me",
            Some(&user.token),
            json!({"status_message": "s".repeat(257)}),
        )
        .await;
    res.assert_error(400, "VALIDATION_FAILED");
    assert_eq!(res.body["error"]["details"]["max_length"], 256);
    let res = app
        .put(
            "/api/v1/users/me",
            Some(&user.token),
            json!({"status_message": 12}),
        )
        .await;
    res.assert_error(422, "VALIDATION_FAILED");
    // Unknown fields such as `role` or `is_active` are ignored, never applied.
    let res = app
        .put(
            "/api/v1/users/me",
            Some(&user.token),
            json!({"role": "admin", "is_active": false, "id": 1}),
        )
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(res.data()["role"], "user");
    assert_eq!(res.data()["id"], user.id);
    // Renaming to one's own name in another case is not a conflict.
    let res = app
        .put(
            "/api/v1/users/me",
            Some(&user.token),
            json!({"username": "Wendy"}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.raw);
    // Nothing failed above changed the stored profile.
    let me = app.get("/api/v1/users/me", Some(&user.token)).await;
    assert_eq!(me.data()["email"], "wendy@example.com");
    assert!(me.data()["status_message"].is_null());
}

#[rocket::async_test]
async fn password_change_ends_the_other_sessions() {
    let app = TestApp::new().await;
    let user = app.register("xena").await;
    let other = user_of(&app.login("xena", PASSWORD).await);
    // Used once, so that the server has it in its session cache.
    assert_eq!(
        app.get("/api/v1/users/me", Some(&other.token)).await.status,
        200
    );
    let res = app
        .put(
            "/api/v1/users/me/password",
            Some(&user.token),
            json!({"current_password": "wrong password", "new_password": "a new passphrase"}),
        )
        .await;
    res.assert_error(400, "VALIDATION_FAILED");
    assert_eq!(res.body["error"]["details"]["field"], "current_password");
    let res = app
        .put(
            "/api/v1/users/me/password",
            Some(&user.token),
            json!({"current_password": PASSWORD, "new_password": "short"}),
        )
        .await;
    res.assert_error(400, "VALIDATION_FAILED");
    assert_eq!(res.body["error"]["details"]["field"], "new_password");
    let res = app
        .put(
            "/api/v1/users/me/password",
            Some(&user.token),
            json!({"current_password": PASSWORD, "new_password": "a new passphrase"}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.raw);
    assert_eq!(res.data()["other_sessions_ended"], 1);
    assert_eq!(
        app.get("/api/v1/users/me", Some(&user.token)).await.status,
        200,
        "this session lives"
    );
    app.get("/api/v1/users/me", Some(&other.token))
        .await
        .assert_error(401, "INVALID_TOKEN");
    let res = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": other.refresh}),
        )
        .await;
    res.assert_error(401, "INVALID_TOKEN");
    app.login("xena", PASSWORD)
        .await
        .assert_error(401, "INVALID_CREDENTIALS");
    assert_eq!(app.login("xena", "a new passphrase").await.status, 200);
}

#[rocket::async_test]
async fn other_users_never_see_an_email_but_admins_do() {
    let app = TestApp::new().await;
    let admin = app.register("admin").await;
    let yann = app.register("yann").await;
    let zoe = app.register("zoe").await;
    let res = app
        .get(&format!("/api/v1/users/{}", zoe.id), Some(&yann.token))
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(res.data()["username"], "zoe");
    assert!(res.data().get("email").is_none(), "{}", res.raw);
    assert!(!res.raw.contains("zoe@example.com"));
    let res = app
        .get(&format!("/api/v1/users/{}", zoe.id), Some(&admin.token))
        .await;
    assert_eq!(res.data()["email"], "zoe@example.com");
    let res = app
        .get(&format!("/api/v1/users/{}", zoe.id), Some(&zoe.token))
        .await;
    assert_eq!(res.data()["email"], "zoe@example.com");
    app.get("/api/v1/users/424242", Some(&yann.token))
        .await
        .assert_error(404, "USER_NOT_FOUND");
    app.get("/api/v1/users/-1", Some(&yann.token))
        .await
        .assert_error(404, "USER_NOT_FOUND");
    app.get(&format!("/api/v1/users/{}", zoe.id), None)
        .await
        .assert_error(401, "INVALID_TOKEN");
}

#[rocket::async_test]
async fn search_matches_names_pages_and_hides_emails() {
    let app = TestApp::new().await;
    let admin = app.register("admin").await;
    for name in ["john", "johnny", "big_john", "jane", "j_o_h_n"] {
        app.register(name).await;
    }
    let viewer = app.register("viewer").await;
    let res = app
        .get("/api/v1/users/search?q=john&limit=10", Some(&viewer.token))
        .await;
    assert_eq!(res.status, 200, "{}", res.raw);
    let names: Vec<&str> = res.data()["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["john", "johnny", "big_john"],
        "exact, then prefix, then the rest"
    );
    assert_eq!(res.data()["total"], 3);
    assert_eq!(res.data()["has_more"], false);
    assert_eq!(
        res.data()["pagination"],
        json!({"page": 1, "limit": 10, "total": 3, "pages": 1})
    );
    assert!(!res.raw.contains("@example.com"));
    // `_` and `%` are literal, not wildcards.
    let res = app
        .get("/api/v1/users/search?q=_o_", Some(&viewer.token))
        .await;
    assert_eq!(res.data()["total"], 1);
    let res = app
        .get("/api/v1/users/search?q=%25", Some(&viewer.token))
        .await;
    assert_eq!(res.data()["total"], 0);
    // Paging by page and by offset.
    let res = app
        .get(
            "/api/v1/users/search?q=j&limit=2&page=2",
            Some(&viewer.token),
        )
        .await;
    assert_eq!(res.data()["users"].as_array().unwrap().len(), 2);
    assert_eq!(res.data()["has_more"], true);
    assert_eq!(res.data()["pagination"]["page"], 2);
    let res = app
        .get(
            "/api/v1/users/search?q=j&limit=2&offset=4",
            Some(&viewer.token),
        )
        .await;
    assert_eq!(res.data()["users"].as_array().unwrap().len(), 1);
    assert_eq!(res.data()["has_more"], false);
    // limit above 100 is clamped.
    let res = app
        .get("/api/v1/users/search?limit=1000", Some(&viewer.token))
        .await;
    assert_eq!(res.data()["pagination"]["limit"], 100);
    assert_eq!(res.data()["total"], 7);
    // Admins see e-mails in search results.
    let res = app
        .get("/api/v1/users/search?q=jane", Some(&admin.token))
        .await;
    assert_eq!(res.data()["users"][0]["email"], "jane@example.com");
    let jane = res.data()["users"][0]["id"].as_i64().unwrap();
    // Deactivated users are not found.
    app.deactivate(&admin, jane).await;
    let res = app
        .get("/api/v1/users/search?q=jane", Some(&viewer.token))
        .await;
    assert_eq!(res.data()["total"], 0);
}
