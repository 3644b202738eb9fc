//! Streams: announcing, going live and stopping, finding, watching, chatting in
//! the stream's room, deleting, and the events on webhooks and real time.

mod common;

use std::time::Duration;

use common::receiver::{Answer, Receiver};
use common::{TestApp, TestUser};
use serde_json::{json, Value};

async fn app() -> TestApp {
    TestApp::with(|c| {
        c.webhooks.allow_private_targets = true;
        c.streams.viewer_window_secs = 1;
    })
    .await
}

async fn stream(app: &TestApp, user: &TestUser, body: Value) -> Value {
    let res = app.post("/api/v1/streams", Some(&user.token), body).await;
    assert_eq!(res.status, 201, "{}", res.raw);
    res.data().clone()
}

/// A file `infer` takes for MP3 audio (an ID3 tag, then silence).
fn mp3() -> Vec<u8> {
    let mut bytes = b"ID3\x03\x00\x00\x00\x00\x00\x00".to_vec();
    bytes.extend(std::iter::repeat_n(0u8, 4096));
    bytes
}

#[rocket::async_test]
async fn a_stream_is_announced_with_its_room_and_validated() {
    let app = app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let s = stream(
        &app,
        &alice,
        json!({"title": "Live Music Session", "description": "Live music streaming",
               "playback_url": "https://radio.example.com/live.m3u8"}),
    )
    .await;
    assert_eq!(s["title"], "Live Music Session");
    assert_eq!(s["description"], "Live music streaming");
    assert_eq!(s["owner"], json!({"id": alice.id, "username": "alice"}));
    assert_eq!(s["is_live"], false);
    assert_eq!(s["viewer_count"], 0);
    assert_eq!(s["started_at"], Value::Null);
    assert_eq!(s["ended_at"], Value::Null);
    assert_eq!(s["playback_url"], "https://radio.example.com/live.m3u8");
    assert_eq!(s["uuid"].as_str().unwrap().len(), 36);
    // Its room: public, owned by the stream's owner, open to chat.
    let room = s["room_id"].as_i64().unwrap();
    let res = app
        .get(&format!("/api/v1/rooms/{room}"), Some(&bob.token))
        .await;
    assert_eq!(res.status, 200, "{}", res.raw);
    assert_eq!(res.data()["is_public"], true);
    assert_eq!(res.data()["owner_id"], alice.id);
    app.post(
        &format!("/api/v1/rooms/{room}/join"),
        Some(&bob.token),
        json!({}),
    )
    .await
    .succeeded();
    app.send(&bob, room, "great set!").await;

    for (body, field) in [
        (json!({"title": ""}), "title"),
        (json!({"title": "x".repeat(201)}), "title"),
        (
            json!({"title": "ok", "playback_url": "ftp://x/y"}),
            "playback_url",
        ),
        (
            json!({"title": "ok", "playback_url": "javascript:alert(1)"}),
            "playback_url",
        ),
        (
            json!({"title": "ok", "playback_url": "https://a/", "file_id": 1}),
            "playback_url",
        ),
        (json!({"title": "evil\u{202E}"}), "title"),
    ] {
        let res = app.post("/api/v1/streams", Some(&alice.token), body).await;
        res.assert_error(400, "VALIDATION_FAILED");
        assert_eq!(res.body["error"]["details"]["field"], field, "{}", res.raw);
    }
    app.post(
        "/api/v1/streams",
        Some(&alice.token),
        json!({"description": "no title"}),
    )
    .await
    .assert_error(422, "VALIDATION_FAILED");
    // A file: only an audio file of one's own.
    let text = app.upload(&alice, "notes.txt", b"not audio", &[]).await;
    let bobs = app.upload(&bob, "bob.mp3", &mp3(), &[]).await;
    for file in [text, bobs, 999_999] {
        let res = app
            .post(
                "/api/v1/streams",
                Some(&alice.token),
                json!({"title": "t", "file_id": file}),
            )
            .await;
        res.assert_error(400, "VALIDATION_FAILED");
        assert_eq!(res.body["error"]["details"]["field"], "file_id");
    }
    let audio = app.upload(&alice, "set.mp3", &mp3(), &[]).await;
    let s = stream(
        &app,
        &alice,
        json!({"title": "From a file", "file_id": audio}),
    )
    .await;
    assert_eq!(s["file_id"], audio);
    assert_eq!(s["file_url"], format!("/api/v1/files/{audio}/download"));
    // Every listener may play it, with ranges.
    let res = app
        .client
        .get(format!("/api/v1/files/{audio}/download"))
        .header(rocket::http::Header::new(
            "Authorization",
            format!("Bearer {}", bob.token),
        ))
        .header(rocket::http::Header::new("Range", "bytes=0-2"))
        .dispatch()
        .await;
    assert_eq!(res.status().code, 206);
    assert_eq!(res.into_bytes().await.unwrap(), b"ID3");
}

#[rocket::async_test]
async fn live_and_stopped_with_permissions_and_conflicts() {
    let app = app().await;
    let root = app.register("root").await; // admin
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let s = stream(&app, &alice, json!({"title": "Talk"})).await;
    let id = s["id"].as_i64().unwrap();
    app.post(
        &format!("/api/v1/streams/{id}/start"),
        Some(&bob.token),
        json!({}),
    )
    .await
    .assert_error(403, "PERMISSION_DENIED");
    app.post(
        &format!("/api/v1/streams/{id}/start"),
        Some(&root.token),
        json!({}),
    )
    .await
    .assert_error(403, "PERMISSION_DENIED");
    app.post(
        &format!("/api/v1/streams/{id}/watch"),
        Some(&bob.token),
        json!({}),
    )
    .await
    .assert_error(409, "RESOURCE_CONFLICT");
    let res = app
        .post(
            &format!("/api/v1/streams/{id}/start"),
            Some(&alice.token),
            json!({}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.raw);
    assert_eq!(res.data()["is_live"], true);
    assert!(res.data()["started_at"].is_string());
    app.post(
        &format!("/api/v1/streams/{id}/start"),
        Some(&alice.token),
        json!({}),
    )
    .await
    .assert_error(409, "RESOURCE_CONFLICT");
    // Watching: distinct users in the window.
    for (user, expected) in [(&bob, 1), (&bob, 1), (&root, 2), (&alice, 3)] {
        let res = app
            .post(
                &format!("/api/v1/streams/{id}/watch"),
                Some(&user.token),
                json!({}),
            )
            .await;
        assert_eq!(res.status, 200, "{}", res.raw);
        assert_eq!(res.data()["viewer_count"], expected);
    }
    let res = app
        .get(&format!("/api/v1/streams/{id}"), Some(&bob.token))
        .await;
    assert_eq!(res.data()["viewer_count"], 3);
    let stats = app.get("/api/v1/admin/stats", Some(&root.token)).await;
    assert_eq!(stats.data()["streams"], json!({"total": 1, "live": 1}));
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let res = app
        .get(&format!("/api/v1/streams/{id}"), Some(&bob.token))
        .await;
    assert_eq!(
        res.data()["viewer_count"],
        0,
        "viewers expire after the window"
    );
    // Others may not change it; the owner and admins may.
    app.put(
        &format!("/api/v1/streams/{id}"),
        Some(&bob.token),
        json!({"title": "mine"}),
    )
    .await
    .assert_error(403, "PERMISSION_DENIED");
    let res = app
        .put(
            &format!("/api/v1/streams/{id}"),
            Some(&root.token),
            json!({"title": "Renamed"}),
        )
        .await;
    assert_eq!(res.data()["title"], "Renamed");
    // An admin may stop it (moderation); stopping twice conflicts.
    app.post(
        &format!("/api/v1/streams/{id}/stop"),
        Some(&bob.token),
        json!({}),
    )
    .await
    .assert_error(403, "PERMISSION_DENIED");
    let res = app
        .post(
            &format!("/api/v1/streams/{id}/stop"),
            Some(&root.token),
            json!({}),
        )
        .await;
    assert_eq!(res.data()["is_live"], false);
    assert!(res.data()["ended_at"].is_string());
    app.post(
        &format!("/api/v1/streams/{id}/stop"),
        Some(&alice.token),
        json!({}),
    )
    .await
    .assert_error(409, "RESOURCE_CONFLICT");
    app.get("/api/v1/streams/999999", Some(&bob.token))
        .await
        .assert_error(404, "NOT_FOUND");
}

#[rocket::async_test]
async fn lists_put_live_streams_first_and_the_seed_alias_answers_its_shape() {
    let app = app().await;
    let alice = app.register("alice").await;
    let mut ids = Vec::new();
    for title in ["one", "two", "three"] {
        ids.push(
            stream(&app, &alice, json!({"title": title})).await["id"]
                .as_i64()
                .unwrap(),
        );
    }
    app.post(
        &format!("/api/v1/streams/{}/start", ids[0]),
        Some(&alice.token),
        json!({}),
    )
    .await
    .succeeded();
    let res = app.get("/api/v1/streams", Some(&alice.token)).await;
    let order: Vec<i64> = res.data()["streams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_i64().unwrap())
        .collect();
    assert_eq!(
        order,
        vec![ids[0], ids[2], ids[1]],
        "live first, then newest"
    );
    assert_eq!(res.data()["total"], 3);
    assert_eq!(res.data()["pagination"]["page"], 1);
    let res = app
        .get("/api/v1/streams?live=true", Some(&alice.token))
        .await;
    assert_eq!(res.data()["total"], 1);
    let res = app
        .get(
            "/api/v1/streams?live=false&limit=1&page=2",
            Some(&alice.token),
        )
        .await;
    assert_eq!(res.data()["streams"][0]["id"], ids[1]);
    app.get("/api/v1/streams?live=maybe", Some(&alice.token))
        .await
        .assert_error(400, "VALIDATION_FAILED");
    // The seed's list: `id` is the uuid, with the seed's fields.
    let res = app.get("/api/streams", Some(&alice.token)).await;
    assert_eq!(res.status, 200, "{}", res.raw);
    let first = &res.data()["streams"][0];
    assert!(
        first["id"].as_str().is_some_and(|id| id.len() == 36),
        "{first}"
    );
    assert_eq!(first["stream_id"], ids[0]);
    for key in [
        "title",
        "description",
        "is_live",
        "viewer_count",
        "started_at",
    ] {
        assert!(first.get(key).is_some(), "{key} missing from {first}");
    }
    app.get("/api/streams", None)
        .await
        .assert_error(401, "INVALID_TOKEN");
}

#[rocket::async_test]
async fn deleting_a_stream_removes_its_room_and_messages_and_tells_the_subscribers() {
    let app = app().await;
    let root = app.register("root").await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let receiver = Receiver::start(Answer::Status(200));
    let res = app
        .post(
            "/api/v1/webhooks",
            Some(&root.token),
            json!({"url": receiver.url("/"), "events": ["stream.started", "stream.ended"]}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.raw);
    let s = stream(&app, &alice, json!({"title": "Set"})).await;
    let (id, room) = (s["id"].as_i64().unwrap(), s["room_id"].as_i64().unwrap());
    app.post(
        &format!("/api/v1/streams/{id}/start"),
        Some(&alice.token),
        json!({}),
    )
    .await
    .succeeded();
    let started = &receiver.wait_for(1).await[0];
    assert_eq!(started.json()["event"], "stream.started");
    assert_eq!(started.json()["data"]["id"], id);
    assert_eq!(started.json()["data"]["is_live"], true);
    let message = app.send(&alice, room, "welcome").await;
    app.delete(&format!("/api/v1/streams/{id}"), Some(&bob.token))
        .await
        .assert_error(403, "PERMISSION_DENIED");
    assert_eq!(
        app.delete(&format!("/api/v1/streams/{id}"), Some(&alice.token))
            .await
            .status,
        204
    );
    let ended = &receiver.wait_for(2).await[1];
    assert_eq!(ended.json()["event"], "stream.ended");
    assert_eq!(ended.json()["data"]["is_live"], false);
    app.get(&format!("/api/v1/streams/{id}"), Some(&alice.token))
        .await
        .assert_error(404, "NOT_FOUND");
    app.get(&format!("/api/v1/rooms/{room}"), Some(&alice.token))
        .await
        .assert_error(404, "ROOM_NOT_FOUND");
    app.get(&format!("/api/v1/messages/{message}"), Some(&alice.token))
        .await
        .assert_error(404, "MESSAGE_NOT_FOUND");
    // An admin may delete anyone's stream.
    let s = stream(&app, &bob, json!({"title": "Another"})).await;
    assert_eq!(
        app.delete(&format!("/api/v1/streams/{}", s["id"]), Some(&root.token))
            .await
            .status,
        204
    );
}

#[tokio::test]
async fn connected_clients_hear_streams_start_and_end() {
    use common::process::*;
    use common::ws::Ws;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut server = veza(dir.path(), port).spawn().unwrap();
    wait_healthy(port, &mut server);
    let alice = register(port, "alice");
    let bob = register(port, "bob");
    let (mut bob_ws, _) = Ws::connect(port, &bob).await;
    let (status, body) = http_as(
        port,
        "POST",
        "/api/v1/streams",
        Some(&alice),
        r#"{"title":"Live now"}"#,
    )
    .unwrap();
    assert_eq!(status, 201, "{body}");
    let id = serde_json::from_str::<Value>(&body).unwrap()["data"]["id"]
        .as_i64()
        .unwrap();
    let (status, _) = http_as(
        port,
        "POST",
        &format!("/api/v1/streams/{id}/start"),
        Some(&alice),
        "",
    )
    .unwrap();
    assert_eq!(status, 200);
    let frame = bob_ws.expect("stream.started").await;
    assert_eq!(frame["data"]["id"], id);
    assert_eq!(frame["data"]["title"], "Live now");
    let (status, _) = http_as(
        port,
        "POST",
        &format!("/api/v1/streams/{id}/stop"),
        Some(&alice),
        "",
    )
    .unwrap();
    assert_eq!(status, 200);
    assert_eq!(
        bob_ws.expect("stream.ended").await["data"]["is_live"],
        false
    );
    let _ = server.kill();
    let _ = server.wait();
}

#[tokio::test]
async fn a_stream_whose_room_was_made_private_shows_only_to_its_members() {
    use common::server::Server;
    use common::ws::Ws;
    let server = Server::start(&[]);
    let alice = server.register("alice"); // the first account: an admin
    let member = server.register("member");
    let outsider = server.register("outsider");
    let (status, made) = server.call(
        "POST",
        "/api/v1/streams",
        &alice,
        json!({"title": "Board meeting"}),
    );
    assert_eq!(status, 201, "{made}");
    let id = made["data"]["id"].as_i64().unwrap();
    let room = made["data"]["room_id"].as_i64().unwrap();
    let (status, body) = server.call(
        "PUT",
        &format!("/api/v1/rooms/{room}"),
        &alice,
        json!({"is_public": false}),
    );
    assert_eq!(status, 200, "{body}");
    server.add(&alice, room, &member);

    let (mut member_ws, _) = Ws::connect(server.port, &member.token).await;
    let (mut outsider_ws, _) = Ws::connect(server.port, &outsider.token).await;
    let (status, body) = server.call(
        "POST",
        &format!("/api/v1/streams/{id}/start"),
        &alice,
        Value::Null,
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(member_ws.expect("stream.started").await["data"]["id"], id);
    outsider_ws
        .none_of("stream.started", Duration::from_millis(500))
        .await;

    for path in [
        "/api/v1/streams",
        "/api/v1/streams?live=true",
        "/api/streams",
    ] {
        let (status, body) = server.call("GET", path, &outsider, Value::Null);
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["data"]["streams"], json!([]), "{path}: {body}");
        assert_eq!(body["data"]["total"], 0, "{path}");
        let (_, body) = server.call("GET", path, &member, Value::Null);
        assert_eq!(
            body["data"]["streams"].as_array().unwrap().len(),
            1,
            "{path}"
        );
    }
    for (method, path) in [
        ("GET", format!("/api/v1/streams/{id}")),
        ("POST", format!("/api/v1/streams/{id}/watch")),
        ("POST", format!("/api/v1/streams/{id}/stop")),
    ] {
        let (status, body) = server.call(method, &path, &outsider, Value::Null);
        assert_eq!(status, 404, "{method} {path}: {body}");
    }
    let (status, _) = server.call(
        "GET",
        &format!("/api/v1/streams/{id}"),
        &member,
        Value::Null,
    );
    assert_eq!(status, 200);
}
