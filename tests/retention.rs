//! Retention (API.md §13): messages older than the server's `retention.messages_days`
//! or their room's shorter `retention_days` are deleted with their files, and
//! nothing else is.

mod common;

use std::time::Duration;

use common::*;
use serde_json::json;
use veza::tasks::retention::{run_once, Retention};

fn retention_of(app: &TestApp) -> Retention {
    let state = app.client.rocket().state::<veza::app::App>().unwrap();
    Retention {
        journal: state.domain.journal.clone(),
        leases: veza::tasks::leases::Leases::new(state.domain.journal.clone(), 30),
        config: state.config.retention.clone(),
    }
}

/// Moves message `id` `days` days into the past (through the writer).
async fn age(app: &TestApp, id: i64, days: i64) {
    let then = veza::time::format(chrono::Utc::now() - chrono::Duration::days(days));
    app.write_sql(
        "UPDATE messages SET created_at = ?2 WHERE id = ?1",
        vec![id.into(), then.into()],
    )
    .await;
}

async fn send_with(app: &TestApp, user: &TestUser, path: &str, body: serde_json::Value) -> i64 {
    let res = app.post(path, Some(&user.token), body).await;
    assert_eq!(res.status, 201, "{}", res.raw);
    res.data()["id"].as_i64().unwrap()
}

async fn exists(app: &TestApp, user: &TestUser, id: i64) -> bool {
    let res = app
        .get(&format!("/api/v1/messages/{id}"), Some(&user.token))
        .await;
    match res.status {
        200 => true,
        404 => false,
        other => panic!("unexpected {other}: {}", res.raw),
    }
}

#[rocket::async_test]
async fn old_messages_and_their_files_go_and_nothing_else() {
    let app = TestApp::with(|c| {
        c.retention.messages_days = Some(30);
        c.files.thumbnails = false; // only the uploads' own bytes on disk
    })
    .await;
    let ada = app.register("ada").await;
    let bob = app.register("bob").await;
    let general = app.room(&ada, "general", true).await;
    let short = app.room(&ada, "ephemeral", true).await;
    app.post(
        &format!("/api/v1/rooms/{general}/join"),
        Some(&bob.token),
        json!({}),
    )
    .await
    .succeeded();

    let room_path = format!("/api/v1/rooms/{general}/messages");
    let old_file = app.upload(&ada, "old.png", &png(8, 8), &[]).await;
    let new_file = app.upload(&ada, "new.png", &png(8, 8), &[]).await;
    let old_with_file = send_with(
        &app,
        &ada,
        &room_path,
        json!({"content": "quokka sighting", "attachments": [old_file]}),
    )
    .await;
    let old_thread = app.send(&ada, general, "old thread").await;
    let old_reply = app.reply(&bob, general, old_thread, "old reply").await;
    let living_thread = app.send(&ada, general, "old thread, young reply").await;
    let conversation = app
        .post(
            "/api/v1/conversations",
            Some(&ada.token),
            json!({"user_id": bob.id}),
        )
        .await;
    let conversation = conversation.data()["id"].as_i64().unwrap();
    let dm_path = format!("/api/v1/conversations/{conversation}/messages");
    let dm_old = send_with(&app, &ada, &dm_path, json!({"content": "old secret"})).await;
    let short_old = app.send(&ada, short, "two days old").await;
    // Messages are aged in the order they were sent, as time made them.
    for id in [old_with_file, old_thread, old_reply, living_thread, dm_old] {
        age(&app, id, 31).await;
    }
    age(&app, short_old, 2).await;

    let young_reply = app.reply(&bob, general, living_thread, "young reply").await;
    let young = send_with(
        &app,
        &ada,
        &room_path,
        json!({"content": "wombat news", "attachments": [new_file]}),
    )
    .await;
    let short_young = app.send(&ada, short, "an hour old").await;
    let dm_young = send_with(&app, &bob, &dm_path, json!({"content": "new secret"})).await;

    // The room keeps its messages one day; only its owner may say so.
    app.put(
        &format!("/api/v1/rooms/{short}"),
        Some(&bob.token),
        json!({"retention_days": 1}),
    )
    .await
    .assert_error(403, "PERMISSION_DENIED");
    let set = app
        .put(
            &format!("/api/v1/rooms/{short}"),
            Some(&ada.token),
            json!({"retention_days": 1}),
        )
        .await;
    assert_eq!(set.data()["retention_days"], 1, "{}", set.raw);

    let files_dir = app.dir.path().join("files");
    assert_eq!(files_under(&files_dir).len(), 2);
    let deleted = run_once(&retention_of(&app)).await.unwrap();
    assert_eq!(
        deleted, 5,
        "old message, old thread and its reply, DM, short room"
    );

    for gone in [old_with_file, old_thread, old_reply, dm_old, short_old] {
        assert!(!exists(&app, &ada, gone).await, "{gone} should be gone");
    }
    for kept in [living_thread, young_reply, young, short_young, dm_young] {
        assert!(exists(&app, &ada, kept).await, "{kept} should be kept");
    }
    // The expired message's file is gone, row and bytes; the young one's stays.
    app.get(&format!("/api/v1/files/{old_file}"), Some(&ada.token))
        .await
        .assert_error(404, "FILE_NOT_FOUND");
    app.get(&format!("/api/v1/files/{new_file}"), Some(&ada.token))
        .await
        .succeeded();
    let state = app.client.rocket().state::<veza::app::App>().unwrap();
    veza::tasks::janitor::purge(&state.domain.journal, &state.domain.files)
        .await
        .unwrap();
    assert_eq!(files_under(&files_dir).len(), 1, "one file's bytes left");

    // Counts, search and the thread follow.
    let page = app.get(&room_path, Some(&ada.token)).await;
    assert_eq!(page.data()["total_count"], 2, "{}", page.raw);
    let found = app.get("/api/v1/search?q=quokka", Some(&ada.token)).await;
    assert_eq!(found.data()["messages"], json!([]), "{}", found.raw);
    let found = app.get("/api/v1/search?q=wombat", Some(&ada.token)).await;
    assert_eq!(found.data()["messages"][0]["id"], young, "{}", found.raw);
    let rooms = app
        .get("/api/v1/rooms?filter=joined", Some(&bob.token))
        .await;
    assert!(rooms.status == 200, "{}", rooms.raw);
    if !common::store::on_postgres() {
        // SQLite's own check of the file (FTS5's index included).
        let integrity: String = app
            .db()
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(integrity, "ok");
    }

    // A second pass finds nothing more.
    assert_eq!(run_once(&retention_of(&app)).await.unwrap(), 0);
}

#[rocket::async_test]
async fn a_room_cannot_lengthen_the_servers_retention_and_bad_values_are_refused() {
    let app = TestApp::with(|c| c.retention.messages_days = Some(10)).await;
    let ada = app.register("ada").await;
    let room = app.room(&ada, "general", true).await;
    let path = format!("/api/v1/rooms/{room}");
    for (body, status) in [
        (json!({"retention_days": 0}), 400),
        (json!({"retention_days": 100_000}), 400),
        (json!({"retention_days": "ten"}), 422),
    ] {
        let res = app.put(&path, Some(&ada.token), body).await;
        res.assert_error(status, "VALIDATION_FAILED");
    }
    let res = app
        .put(&path, Some(&ada.token), json!({"retention_days": 365}))
        .await;
    assert_eq!(res.data()["retention_days"], 365);
    let message = app.send(&ada, room, "eleven days old").await;
    age(&app, message, 11).await;
    assert_eq!(run_once(&retention_of(&app)).await.unwrap(), 1);
    // null follows the server again.
    let res = app
        .put(&path, Some(&ada.token), json!({"retention_days": null}))
        .await;
    assert_eq!(res.data()["retention_days"], json!(null), "{}", res.raw);
}

#[rocket::async_test]
async fn the_background_task_expires_messages_by_itself() {
    let app = TestApp::with(|c| {
        c.retention.messages_days = Some(1);
        c.retention.interval_secs = 1;
    })
    .await;
    let ada = app.register("ada").await;
    let room = app.room(&ada, "general", true).await;
    let old = app.send(&ada, room, "yesterday's news").await;
    let new = app.send(&ada, room, "today's news").await;
    age(&app, old, 2).await;
    let started = std::time::Instant::now();
    while exists(&app, &ada, old).await {
        assert!(started.elapsed() < Duration::from_secs(10), "never expired");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(exists(&app, &ada, new).await);
}
