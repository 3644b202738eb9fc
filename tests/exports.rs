//! Exports (API.md §13): a user's own data and nothing else's; a room's members
//! and messages for its owner and admins only; written page by page.

mod common;

use common::*;
use serde_json::{json, Value};

async fn export(app: &TestApp, path: &str, token: &str) -> Resp {
    let res = app.get(path, Some(token)).await;
    if res.status == 200 {
        assert_eq!(res.header("content-type"), Some("application/json"));
        assert!(
            res.header("content-disposition")
                .is_some_and(|d| d.starts_with("attachment; filename=\"veza-")),
            "{:?}",
            res.headers
        );
        assert!(
            res.body.is_object(),
            "the export is one JSON document: {}",
            res.raw
        );
        assert_eq!(res.body["success"], true);
    }
    res
}

fn ids(list: &Value) -> Vec<i64> {
    list.as_array()
        .expect("a list")
        .iter()
        .map(|v| v["id"].as_i64().expect("an id"))
        .collect()
}

#[rocket::async_test]
async fn a_user_export_holds_exactly_the_callers_data() {
    let app = TestApp::new().await;
    let ada = app.register("ada").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let shared = app.room(&ada, "shared", true).await;
    app.post(
        &format!("/api/v1/rooms/{shared}/join"),
        Some(&bob.token),
        json!({}),
    )
    .await
    .succeeded();
    let bobs_room = app.room(&bob, "bob-only", false).await;

    let ada_file = app.upload(&ada, "a.txt", b"ada's notes", &[]).await;
    app.upload(&bob, "b.txt", b"bob's notes", &[]).await;
    let res = app
        .post(
            &format!("/api/v1/rooms/{shared}/messages"),
            Some(&ada.token),
            json!({"content": "hello from ada", "metadata": {"mood": "sunny", "n": 1.5}}),
        )
        .await;
    let ada_room_msg = res.data()["id"].as_i64().unwrap();
    let bob_room_msg = app.send(&bob, shared, "hello from bob").await;
    app.send(&bob, bobs_room, "bob alone").await;
    let deleted = app.send(&ada, shared, "regretted").await;
    app.delete(&format!("/api/v1/messages/{deleted}"), Some(&ada.token))
        .await
        .succeeded();
    let dm = app
        .post(
            "/api/v1/conversations",
            Some(&ada.token),
            json!({"user_id": bob.id}),
        )
        .await;
    let dm = dm.data()["id"].as_i64().unwrap();
    let dm_path = format!("/api/v1/conversations/{dm}/messages");
    let ada_dm = app
        .post(&dm_path, Some(&ada.token), json!({"content": "psst"}))
        .await;
    let ada_dm = ada_dm.data()["id"].as_i64().unwrap();
    app.post(&dm_path, Some(&bob.token), json!({"content": "what"}))
        .await
        .succeeded();
    let other_dm = app
        .post(
            "/api/v1/conversations",
            Some(&bob.token),
            json!({"user_id": carol.id}),
        )
        .await;
    assert_eq!(other_dm.status, 201);

    let res = export(&app, "/api/v1/users/me/export", &ada.token).await;
    assert_eq!(res.status, 200, "{}", res.raw);
    let data = res.data();
    assert!(data["exported_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(data["user"]["id"], ada.id);
    assert_eq!(data["user"]["email"], "ada@example.com");
    let rooms: Vec<i64> = data["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["room_id"].as_i64().unwrap())
        .collect();
    assert_eq!(rooms, vec![shared]);
    assert_eq!(data["rooms"][0]["role"], "owner");
    assert_eq!(ids(&data["conversations"]), vec![dm]);
    assert_eq!(data["conversations"][0]["other_username"], "bob");
    assert_eq!(ids(&data["files"]), vec![ada_file]);
    assert_eq!(ids(&data["messages"]), vec![ada_room_msg, ada_dm]);
    assert_eq!(
        data["messages"][0]["metadata"],
        json!({"mood": "sunny", "n": 1.5})
    );
    assert_eq!(data["messages"][1]["conversation_id"], dm);
    for leak in [
        "bob's notes",
        "hello from bob",
        "bob alone",
        "what",
        "regretted",
        "bob@example.com",
    ] {
        assert!(!res.raw.contains(leak), "{leak} leaked into ada's export");
    }
    assert_ne!(bob_room_msg, ada_room_msg);

    app.get("/api/v1/users/me/export", None)
        .await
        .assert_error(401, "INVALID_TOKEN");
}

#[rocket::async_test]
async fn a_large_export_comes_whole_across_pages() {
    let app = TestApp::with(|c| c.rate_limit.requests_per_hour = 100_000).await;
    let ada = app.register("ada").await;
    let room = app.room(&ada, "busy", true).await;
    let mut sent = Vec::new();
    for i in 0..1_100 {
        sent.push(app.send(&ada, room, &format!("message number {i}")).await);
    }
    let mine = export(&app, "/api/v1/users/me/export", &ada.token).await;
    assert_eq!(ids(&mine.data()["messages"]), sent);
    let whole = export(&app, &format!("/api/v1/rooms/{room}/export"), &ada.token).await;
    assert_eq!(ids(&whole.data()["messages"]), sent);
    assert_eq!(
        whole.data()["messages"][1099]["content"],
        "message number 1099"
    );
}

#[rocket::async_test]
async fn a_room_export_is_for_its_owner_and_admins() {
    let app = TestApp::new().await;
    let admin = app.register("admin").await;
    let ada = app.register("ada").await;
    let bob = app.register("bob").await;
    let eve = app.register("eve").await;
    let room = app.room(&ada, "team", false).await;
    app.add_member(&ada, room, &bob, "moderator").await;
    let first = app.send(&ada, room, "from ada").await;
    let second = app.send(&bob, room, "from bob").await;
    let path = format!("/api/v1/rooms/{room}/export");

    let res = export(&app, &path, &ada.token).await;
    assert_eq!(res.status, 200, "{}", res.raw);
    assert_eq!(res.data()["room"]["id"], room);
    let members: Vec<&str> = res.data()["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["username"].as_str().unwrap())
        .collect();
    assert_eq!(members, vec!["ada", "bob"]);
    assert_eq!(ids(&res.data()["messages"]), vec![first, second]);
    assert_eq!(res.data()["messages"][1]["author_username"], "bob");

    assert_eq!(export(&app, &path, &admin.token).await.status, 200);
    app.get(&path, Some(&bob.token))
        .await
        .assert_error(403, "PERMISSION_DENIED");
    app.get(&path, Some(&eve.token))
        .await
        .assert_error(404, "ROOM_NOT_FOUND");
    app.get("/api/v1/rooms/999999/export", Some(&ada.token))
        .await
        .assert_error(404, "ROOM_NOT_FOUND");
    app.get("/api/v1/rooms/abc/export", Some(&ada.token))
        .await
        .assert_error(422, "VALIDATION_FAILED");
}
