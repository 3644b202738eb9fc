//! Inputs that try to deceive or overflow: names with invisible or direction
//! characters, private room names probed through conflicts, reaction floods, and
//! query strings with repeats, NULs, bad UTF-8 or huge pages.

mod common;

use common::*;
use serde_json::json;

#[rocket::async_test]
async fn names_are_normalised_and_deceptive_ones_refused() {
    let app = TestApp::new().await;
    let ann = app.register("ann").await;
    for name in [
        "\u{200B}\u{200B}",
        "invoice\u{202E}fdp.exe",
        "a\u{2066}b\u{2069}",
        "\u{FEFF}lobby",
        "x\u{200D}y",
        // Other format characters, and names of blank fillers only.
        "gen\u{AD}eral",
        "gen\u{2062}eral",
        "gen\u{180E}eral",
        "gen\u{34F}eral",
        "gen\u{61C}eral",
        "general\u{E0067}\u{E007F}",
        "gen\u{FFFA}eral",
        "\u{3164}",
        "\u{2800}",
        "\u{115F}\u{1160}",
    ] {
        let res = app
            .post("/api/v1/rooms", Some(&ann.token), json!({ "name": name }))
            .await;
        res.assert_error(400, "VALIDATION_FAILED");
        assert_eq!(res.body["error"]["details"]["field"], "name", "{name:?}");
    }
    // NFD and NFC spellings are one name, stored NFC.
    let res = app
        .post(
            "/api/v1/rooms",
            Some(&ann.token),
            json!({"name": "Cafe\u{301}"}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.raw);
    assert_eq!(res.data()["name"], "Caf\u{e9}");
    app.post(
        "/api/v1/rooms",
        Some(&ann.token),
        json!({"name": "CAF\u{c9}"}),
    )
    .await
    .assert_error(409, "RESOURCE_CONFLICT");
    // Profile labels follow the same rules.
    let res = app
        .put(
            "/api/v1/users/me",
            Some(&ann.token),
            json!({"first_name": "Zo\u{308}e", "status_message": "on call"}),
        )
        .await;
    assert_eq!(res.data()["first_name"], "Z\u{f6}e");
    for (field, value) in [
        ("first_name", "A\u{202E}B"),
        ("last_name", "\u{200B}"),
        ("status_message", "away\u{2067}"),
        ("first_name", "Ann\u{AD}"),
    ] {
        let res = app
            .put(
                "/api/v1/users/me",
                Some(&ann.token),
                json!({ field: value }),
            )
            .await;
        res.assert_error(400, "VALIDATION_FAILED");
        assert_eq!(res.body["error"]["details"]["field"], field);
    }
    // An optional label of blank fillers only is no label: stored as none.
    let res = app
        .put(
            "/api/v1/users/me",
            Some(&ann.token),
            json!({"last_name": "\u{3164}\u{2800}"}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.raw);
    assert_eq!(res.data()["last_name"], serde_json::Value::Null);
    let res = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({"username": "bob", "email": "bob@example.com", "password": PASSWORD,
                   "last_name": "\u{202D}x"}),
        )
        .await;
    res.assert_error(400, "VALIDATION_FAILED");
}

#[rocket::async_test]
async fn a_private_rooms_name_never_shows_through_a_conflict() {
    let app = TestApp::new().await;
    let admin = app.register("root").await; // the first account is the admin
    let owner = app.register("olga").await;
    let other = app.register("otto").await;
    app.room(&owner, "Acquisition Plans", false).await;
    // Someone who cannot see it may use the name, for a private or a public room.
    let mine = app.room(&other, "acquisition plans", false).await;
    app.post(
        &format!("/api/v1/rooms/{mine}/members"),
        Some(&other.token),
        json!({"user_id": owner.id}),
    )
    .await
    .succeeded();
    let public = app
        .room(&app.register("pia").await, "ACQUISITION PLANS", true)
        .await;
    assert!(public > 0);
    // Whoever can see a room with the name gets the conflict: public rooms for
    // everyone, private ones for members and admins.
    app.post(
        "/api/v1/rooms",
        Some(&other.token),
        json!({"name": "Acquisition plans"}),
    )
    .await
    .assert_error(409, "RESOURCE_CONFLICT");
    let quiet = app.register("quin").await;
    let q = app.room(&quiet, "Roadmap", false).await;
    app.post(
        "/api/v1/rooms",
        Some(&admin.token),
        json!({"name": "roadmap", "is_public": false}),
    )
    .await
    .assert_error(409, "RESOURCE_CONFLICT");
    // Renaming into a hidden name is fine; making a room public checks public names.
    let res = app
        .put(
            &format!("/api/v1/rooms/{mine}"),
            Some(&other.token),
            json!({"name": "Roadmap"}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.raw);
    app.put(
        &format!("/api/v1/rooms/{q}"),
        Some(&quiet.token),
        json!({"name": "Acquisition Plans", "is_public": true}),
    )
    .await
    .assert_error(409, "RESOURCE_CONFLICT");
}

#[rocket::async_test]
async fn a_message_carries_at_most_50_distinct_emoji() {
    let app = TestApp::new().await;
    let ann = app.register("ann").await;
    let bob = app.register("bob").await;
    let room = app.room(&ann, "lobby", true).await;
    app.post(
        &format!("/api/v1/rooms/{room}/join"),
        Some(&bob.token),
        json!({}),
    )
    .await
    .succeeded();
    let msg = app.send(&ann, room, "react to me").await;
    let path = format!("/api/v1/messages/{msg}/reactions");
    for i in 0..50 {
        let res = app
            .post(
                &path,
                Some(&ann.token),
                json!({ "emoji": format!(":e{i}:") }),
            )
            .await;
        assert_eq!(res.status, 201, "{}", res.raw);
    }
    app.post(&path, Some(&ann.token), json!({"emoji": ":e50:"}))
        .await
        .assert_error(409, "RESOURCE_CONFLICT");
    // An emoji already there can still be added by others.
    let res = app
        .post(&path, Some(&bob.token), json!({"emoji": ":e7:"}))
        .await;
    assert_eq!(res.status, 201, "{}", res.raw);
    let res = app.get(&path, Some(&bob.token)).await;
    assert_eq!(res.data()["reactions"].as_array().unwrap().len(), 50);
    // Removing one makes room for another.
    let res = app
        .delete(&format!("{path}/%3Ae0%3A"), Some(&ann.token))
        .await;
    assert_eq!(res.status, 204, "{}", res.raw);
    let res = app
        .post(&path, Some(&bob.token), json!({"emoji": ":e50:"}))
        .await;
    assert_eq!(res.status, 201, "{}", res.raw);
}

#[rocket::async_test]
async fn hostile_query_strings_are_400_naming_the_parameter() {
    let app = TestApp::new().await;
    let ann = app.register("ann").await;
    let cases = [
        ("/api/v1/rooms?limit=5&limit=6", "limit"),
        ("/api/v1/rooms?search=a%00b", "search"),
        ("/api/v1/rooms?search=%FF", "search"),
        ("/api/v1/rooms?page=1000001", "page"),
        ("/api/v1/rooms?offset=18446744073709551615", "offset"),
        ("/api/v1/users/search?q=x&q=y", "q"),
    ];
    for (path, field) in cases {
        let res = app.get(path, Some(&ann.token)).await;
        res.assert_error(400, "VALIDATION_FAILED");
        assert_eq!(res.body["error"]["details"]["field"], field, "{path}");
        assert!(res.header("x-request-id").is_some());
    }
    let res = app
        .get("/api/v1/rooms?page=1000000&limit=100", Some(&ann.token))
        .await;
    assert_eq!(res.status, 200, "{}", res.raw);
    assert_eq!(res.data()["pagination"]["page"], 1_000_000);
    // The internal route is not reachable on its own.
    assert_eq!(app.get("/__veza/bad-query", None).await.status, 404);
}

#[rocket::async_test]
async fn the_new_routes_answer_hostile_input_in_the_envelope() {
    let app = TestApp::with(|c| c.limits.json_max_bytes = 8192).await;
    let root = app.register("root").await;
    // Ids that are not integers name the parameter.
    for path in [
        "/api/v1/files/abc",
        "/api/v1/files/1e3/download",
        "/api/v1/webhooks/%27/deliveries",
        "/api/v1/streams/NaN",
        "/api/v1/rooms/x/files",
    ] {
        let res = app.get(path, Some(&root.token)).await;
        res.assert_error(422, "VALIDATION_FAILED");
        assert_eq!(res.body["error"]["details"]["field"], "id", "{path}");
    }
    // Huge, wrongly typed and broken bodies.
    let huge = json!({"url": "http://127.0.0.1/", "events": ["*"], "secret": "s".repeat(9000)});
    app.post("/api/v1/webhooks", Some(&root.token), huge)
        .await
        .assert_error(413, "PAYLOAD_TOO_LARGE");
    for (path, body) in [
        ("/api/v1/webhooks", json!({"url": ["x"], "events": ["*"]})),
        (
            "/api/v1/webhooks",
            json!({"url": "http://127.0.0.1/", "events": [1, 2]}),
        ),
        (
            "/api/v1/webhooks",
            json!({"url": "http://127.0.0.1/", "events": ["*"], "room_id": "one"}),
        ),
        ("/api/v1/streams", json!({"title": 5})),
        ("/api/v1/streams", json!({"title": "t", "file_id": "7"})),
    ] {
        app.post(path, Some(&root.token), body)
            .await
            .assert_error(422, "VALIDATION_FAILED");
    }
    let res = app
        .call_raw(
            rocket::http::Method::Post,
            "/api/v1/streams",
            Some(&root.token),
            Some("{\"title\":"),
        )
        .await;
    res.assert_error(400, "VALIDATION_FAILED");
    // Other users' resources by id: not found, never a 500.
    let alice = app.register("alice").await;
    let file = app.upload(&root, "mine.txt", b"mine", &[]).await;
    app.delete(&format!("/api/v1/files/{file}"), Some(&alice.token))
        .await
        .assert_error(404, "FILE_NOT_FOUND");
    for path in [
        "/api/v1/files/-1",
        "/api/v1/streams/-1",
        "/api/v1/webhooks/9223372036854775807",
    ] {
        let res = app.get(path, Some(&alice.token)).await;
        assert_eq!(res.status, 404, "{path}: {}", res.raw);
    }
}
