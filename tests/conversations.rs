//! Direct conversations: one per pair, private to their two participants (admins
//! included), messages as in rooms, blocking, unread counts.

mod common;

use common::*;
use rocket::http::Method;
use serde_json::json;

async fn open(app: &TestApp, by: &TestUser, with: &TestUser) -> (u16, i64) {
    let res = app
        .post(
            "/api/v1/conversations",
            Some(&by.token),
            json!({"user_id": with.id}),
        )
        .await;
    (res.status, res.data()["id"].as_i64().unwrap_or(-1))
}

async fn dm(app: &TestApp, by: &TestUser, conversation: i64, content: &str) -> i64 {
    let res = app
        .post(
            &format!("/api/v1/conversations/{conversation}/messages"),
            Some(&by.token),
            json!({"content": content, "parent_message_id": null}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.raw);
    res.data()["id"].as_i64().unwrap()
}

#[rocket::async_test]
async fn one_conversation_per_pair_whoever_opens_it() {
    let app = TestApp::new().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob_b").await;
    let (status, id) = open(&app, &alice, &bob).await;
    assert_eq!(status, 201);
    assert_eq!(open(&app, &bob, &alice).await, (200, id));
    assert_eq!(open(&app, &alice, &bob).await, (200, id));
    let res = app
        .post(
            "/api/v1/conversations",
            Some(&alice.token),
            json!({"user_id": alice.id}),
        )
        .await;
    res.assert_error(400, "VALIDATION_FAILED");
    let res = app
        .post(
            "/api/v1/conversations",
            Some(&alice.token),
            json!({"user_id": 98765}),
        )
        .await;
    res.assert_error(404, "USER_NOT_FOUND");
    let res = app
        .post(
            "/api/v1/conversations",
            Some(&alice.token),
            json!({"user_id": "bob"}),
        )
        .await;
    res.assert_error(422, "VALIDATION_FAILED");
    // Both sides opening at once still make one.
    let carol = app.register("carol").await;
    let dave = app.register("dave_d").await;
    let attempts = (0..6).map(|i| {
        let (by, with) = if i % 2 == 0 {
            (&carol, &dave)
        } else {
            (&dave, &carol)
        };
        app.post(
            "/api/v1/conversations",
            Some(&by.token),
            json!({"user_id": with.id}),
        )
    });
    let answers = rocket::futures::future::join_all(attempts).await;
    assert_eq!(answers.iter().filter(|r| r.status == 201).count(), 1);
    let ids: std::collections::HashSet<i64> = answers
        .iter()
        .map(|r| r.data()["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 1);
    let rows: i64 = app
        .db()
        .query_row("SELECT count(*) FROM conversations", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, 2);
}

#[rocket::async_test]
async fn the_seed_flow_and_the_conversation_object() {
    let app = TestApp::new().await;
    let john = app.register("john_doe").await;
    let jane = app.register("jane_smith").await;
    let (_, id) = open(&app, &john, &jane).await;
    dm(&app, &john, id, "Salut ! Comment ça va ?").await;
    let last = dm(&app, &jane, id, "Merci pour l'info !").await;
    let res = app
        .get(
            "/api/v1/conversations?limit=20&include_last_message=true",
            Some(&john.token),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.raw);
    assert_eq!(res.data()["total"], 1);
    let c = &res.data()["conversations"][0];
    assert_eq!(c["id"], id);
    assert_eq!(c["uuid"].as_str().unwrap().len(), 36);
    assert_eq!(c["other_user"]["id"], jane.id);
    assert_eq!(c["other_user"]["username"], "jane_smith");
    assert_eq!(
        c["other_user"]["is_online"], false,
        "no real-time connection"
    );
    assert!(c["other_user"].get("email").is_none());
    assert_eq!(c["last_message"]["id"], last);
    assert_eq!(c["last_message"]["content"], "Merci pour l'info !");
    assert_eq!(c["last_message"]["author_id"], jane.id);
    assert_eq!(c["unread_count"], 1);
    assert_eq!(c["is_blocked"], false);
    assert_eq!(c["updated_at"], c["last_message"]["created_at"]);
    let res = app
        .get(
            "/api/v1/conversations?include_last_message=false",
            Some(&john.token),
        )
        .await;
    assert!(res.data()["conversations"][0].get("last_message").is_none());
    let res = app
        .get(
            &format!("/api/v1/conversations/{id}/messages?limit=50&before_id=2000"),
            Some(&jane.token),
        )
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(ids(&res), [last, last - 1]);
    assert_eq!(res.data()["total_count"], 2);
    assert_eq!(res.data()["messages"][0]["conversation_id"], id);
    assert!(res.data()["messages"][0]["room_id"].is_null());
    let res = app
        .get(&format!("/api/v1/conversations/{id}"), Some(&jane.token))
        .await;
    assert_eq!(res.data()["other_user"]["username"], "john_doe");
}

#[rocket::async_test]
async fn a_third_user_and_admins_see_nothing() {
    let app = TestApp::new().await;
    let admin = app.register("site_admin").await;
    let alice = app.register("alice").await;
    let bob = app.register("bob_b").await;
    let eve = app.register("eve_e").await;
    let (_, id) = open(&app, &alice, &bob).await;
    let message = dm(&app, &alice, id, "private words").await;
    for user in [&eve, &admin] {
        for (method, path) in [
            (Method::Get, format!("/api/v1/conversations/{id}")),
            (Method::Get, format!("/api/v1/conversations/{id}/messages")),
            (Method::Post, format!("/api/v1/conversations/{id}/messages")),
            (Method::Post, format!("/api/v1/conversations/{id}/block")),
            (Method::Post, format!("/api/v1/conversations/{id}/read")),
        ] {
            let res = app
                .call(
                    method,
                    &path,
                    Some(&user.token),
                    Some(json!({"content": "x"})),
                )
                .await;
            res.assert_error(404, "CONVERSATION_NOT_FOUND");
        }
        for (method, path) in [
            (Method::Get, format!("/api/v1/messages/{message}")),
            (Method::Put, format!("/api/v1/messages/{message}")),
            (Method::Delete, format!("/api/v1/messages/{message}")),
            (Method::Get, format!("/api/v1/messages/{message}/thread")),
            (Method::Get, format!("/api/v1/messages/{message}/history")),
            (Method::Post, format!("/api/v1/messages/{message}/pin")),
            (Method::Get, format!("/api/v1/messages/{message}/reactions")),
            (
                Method::Post,
                format!("/api/v1/messages/{message}/reactions"),
            ),
            (
                Method::Delete,
                format!("/api/v1/messages/{message}/reactions/%F0%9F%91%8D"),
            ),
        ] {
            let res = app
                .call(
                    method,
                    &path,
                    Some(&user.token),
                    Some(json!({"content": "x", "emoji": "👍"})),
                )
                .await;
            res.assert_error(404, "MESSAGE_NOT_FOUND");
            assert!(!res.raw.contains("private words"));
        }
        // A reply from outside cannot hang off it either.
        let room = app
            .room(user, &format!("room of {}", user.username), true)
            .await;
        let res = app
            .post(
                &format!("/api/v1/rooms/{room}/messages"),
                Some(&user.token),
                json!({"content": "x", "parent_message_id": message}),
            )
            .await;
        res.assert_error(400, "VALIDATION_FAILED");
        let res = app.get("/api/v1/conversations", Some(&user.token)).await;
        assert_eq!(res.data()["total"], 0);
    }
    // The conversation's messages never show in a room with the same id.
    let res = app
        .get(&format!("/api/v1/rooms/{id}/messages"), Some(&alice.token))
        .await;
    assert!(!res.raw.contains("private words"));
}

#[rocket::async_test]
async fn messages_work_as_in_rooms() {
    let app = TestApp::new().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob_b").await;
    let (_, id) = open(&app, &alice, &bob).await;
    let first = dm(&app, &alice, id, "question @bob_b").await;
    let res = app
        .post(
            &format!("/api/v1/conversations/{id}/messages"),
            Some(&bob.token),
            json!({"content": "answer", "parent_message_id": first}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.raw);
    let reply = res.data()["id"].as_i64().unwrap();
    let res = app
        .get(
            &format!("/api/v1/messages/{first}/thread"),
            Some(&alice.token),
        )
        .await;
    assert_eq!(ids(&res), [reply]);
    let res = app
        .get(&format!("/api/v1/messages/{first}"), Some(&bob.token))
        .await;
    assert_eq!(res.data()["mentions"], json!([bob.id]));
    assert_eq!(res.data()["thread_count"], 1);
    // Edits and deletes are the author's; there are no moderators here.
    let path = format!("/api/v1/messages/{first}");
    app.put(&path, Some(&bob.token), json!({"content": "hijack"}))
        .await
        .assert_error(403, "PERMISSION_DENIED");
    app.delete(&path, Some(&bob.token))
        .await
        .assert_error(403, "PERMISSION_DENIED");
    app.get(&format!("{path}/history"), Some(&bob.token))
        .await
        .assert_error(403, "PERMISSION_DENIED");
    let res = app
        .put(
            &path,
            Some(&alice.token),
            json!({"content": "better question"}),
        )
        .await;
    assert_eq!(res.data()["edit_count"], 1);
    // Either participant reacts and pins.
    let res = app
        .post(
            &format!("{path}/reactions"),
            Some(&bob.token),
            json!({"emoji": "👍"}),
        )
        .await;
    assert_eq!(res.status, 201);
    let res = app
        .post(
            &format!("{path}/pin"),
            Some(&bob.token),
            json!({"pinned": true}),
        )
        .await;
    assert_eq!(res.data()["is_pinned"], true);
    let res = app
        .get(
            &format!("/api/v1/conversations/{id}/messages?pinned_only=true"),
            Some(&alice.token),
        )
        .await;
    assert_eq!(ids(&res), [first]);
    // Idempotent sends too.
    let mut req = app
        .client
        .post(format!("/api/v1/conversations/{id}/messages"));
    req.add_header(rocket::http::Header::new(
        "Authorization",
        format!("Bearer {}", bob.token),
    ));
    req.add_header(rocket::http::Header::new("Idempotency-Key", "dm-1"));
    let req = req
        .header(rocket::http::ContentType::JSON)
        .body(json!({"content": "once"}).to_string());
    assert_eq!(req.clone().dispatch().await.status().code, 201);
    assert_eq!(
        req.dispatch()
            .await
            .headers()
            .get_one("Idempotent-Replayed"),
        Some("true")
    );
    assert_eq!(
        app.delete(&format!("/api/v1/messages/{reply}"), Some(&bob.token))
            .await
            .status,
        204
    );
    let res = app
        .get(
            &format!("/api/v1/conversations/{id}/messages?include_threads=true"),
            Some(&alice.token),
        )
        .await;
    assert_eq!(res.data()["total_count"], 2);
    // Nothing about it reaches a room audit log.
    let audit: i64 = app
        .db()
        .query_row("SELECT count(*) FROM audit_log", [], |r| r.get(0))
        .unwrap();
    assert_eq!(audit, 0);
}

#[rocket::async_test]
async fn blocking_stops_both_sides_until_lifted() {
    let app = TestApp::new().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob_b").await;
    let (_, id) = open(&app, &alice, &bob).await;
    let before = dm(&app, &bob, id, "before").await;
    let block = format!("/api/v1/conversations/{id}/block");
    let res = app
        .post(&block, Some(&alice.token), json!({"blocked": true}))
        .await;
    assert_eq!(res.status, 200, "{}", res.raw);
    assert_eq!(res.data()["is_blocked"], true);
    let res = app
        .get(&format!("/api/v1/conversations/{id}"), Some(&bob.token))
        .await;
    assert_eq!(
        res.data()["is_blocked"],
        false,
        "is_blocked is about the caller's own block"
    );
    let send = format!("/api/v1/conversations/{id}/messages");
    for user in [&alice, &bob] {
        app.post(&send, Some(&user.token), json!({"content": "hello?"}))
            .await
            .assert_error(403, "USER_BLOCKED");
    }
    app.put(
        &format!("/api/v1/messages/{before}"),
        Some(&bob.token),
        json!({"content": "edited"}),
    )
    .await
    .assert_error(403, "USER_BLOCKED");
    app.post(
        &format!("/api/v1/messages/{before}/reactions"),
        Some(&alice.token),
        json!({"emoji": "👍"}),
    )
    .await
    .assert_error(403, "USER_BLOCKED");
    // Reading and deleting one's own words still work.
    assert_eq!(app.get(&send, Some(&bob.token)).await.status, 200);
    // Both block; one lifting is not enough.
    app.post(&block, Some(&bob.token), json!({}))
        .await
        .succeeded();
    app.post(&block, Some(&alice.token), json!({"blocked": false}))
        .await
        .succeeded();
    app.post(&send, Some(&alice.token), json!({"content": "still?"}))
        .await
        .assert_error(403, "USER_BLOCKED");
    app.post(&block, Some(&bob.token), json!({"blocked": false}))
        .await
        .succeeded();
    assert_eq!(
        app.post(&send, Some(&alice.token), json!({"content": "back"}))
            .await
            .status,
        201
    );
    app.post(&block, Some(&alice.token), json!({"blocked": "yes"}))
        .await
        .assert_error(422, "VALIDATION_FAILED");
    let messages: i64 = app
        .db()
        .query_row("SELECT count(*) FROM messages", [], |r| r.get(0))
        .unwrap();
    assert_eq!(messages, 2, "nothing sent while blocked was stored");
}

#[rocket::async_test]
async fn unread_counts_and_read_markers() {
    let app = TestApp::new().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob_b").await;
    let carol = app.register("carol").await;
    let (_, with_bob) = open(&app, &alice, &bob).await;
    let (_, with_carol) = open(&app, &carol, &alice).await;
    let m1 = dm(&app, &bob, with_bob, "one").await;
    dm(&app, &bob, with_bob, "two").await;
    dm(&app, &alice, with_bob, "mine").await;
    dm(&app, &carol, with_carol, "hi alice").await;
    let res = app.get("/api/v1/conversations", Some(&alice.token)).await;
    let convs = res.data()["conversations"].as_array().unwrap();
    assert_eq!(convs[0]["id"], with_carol, "most recent activity first");
    assert_eq!(convs[0]["unread_count"], 1);
    assert_eq!(convs[1]["unread_count"], 2);
    let read = format!("/api/v1/conversations/{with_bob}/read");
    let res = app
        .post(&read, Some(&alice.token), json!({"message_id": m1}))
        .await;
    assert_eq!(
        res.data(),
        &json!({"last_read_message_id": m1, "unread_count": 1})
    );
    let res = app
        .call(Method::Post, &read, Some(&alice.token), None)
        .await;
    assert_eq!(res.data()["unread_count"], 0);
    let res = app
        .get(
            &format!("/api/v1/conversations/{with_bob}"),
            Some(&bob.token),
        )
        .await;
    assert_eq!(
        res.data()["unread_count"],
        1,
        "bob has not read alice's message"
    );
    let elsewhere = dm(&app, &carol, with_carol, "other").await;
    app.post(&read, Some(&alice.token), json!({"message_id": elsewhere}))
        .await
        .assert_error(404, "MESSAGE_NOT_FOUND");
    let res = app
        .get("/api/v1/conversations?limit=1&page=2", Some(&alice.token))
        .await;
    assert_eq!(res.data()["conversations"][0]["id"], with_bob);
    assert_eq!(
        res.data()["pagination"],
        json!({"page": 2, "limit": 1, "total": 2, "pages": 2})
    );
}

#[rocket::async_test]
async fn a_block_also_keeps_the_two_apart_in_rooms() {
    let app = TestApp::new().await;
    let carol = app.register("carol").await;
    let alice = app.register("alice").await;
    let bob = app.register("bob_b").await;
    // A room both were in before the block.
    let shared = app.room(&carol, "shared", false).await;
    app.add_member(&carol, shared, &alice, "member").await;
    app.add_member(&carol, shared, &bob, "member").await;
    let (_, id) = open(&app, &alice, &bob).await;
    app.post(
        &format!("/api/v1/conversations/{id}/block"),
        Some(&alice.token),
        json!({"blocked": true}),
    )
    .await
    .succeeded();

    // Neither can pull the other into a private room, whoever blocked.
    let bobs = app.room(&bob, "bob's den", false).await;
    let res = app
        .post(
            &format!("/api/v1/rooms/{bobs}/members"),
            Some(&bob.token),
            json!({"user_id": alice.id}),
        )
        .await;
    res.assert_error(403, "USER_BLOCKED");
    let alices = app.room(&alice, "alice's den", false).await;
    let res = app
        .post(
            &format!("/api/v1/rooms/{alices}/members"),
            Some(&alice.token),
            json!({"username": "bob_b"}),
        )
        .await;
    res.assert_error(403, "USER_BLOCKED");
    assert_eq!(app.member_rows(bobs), 1);

    // A mention across the block is no mention (and so notifies nobody); others'
    // mentions still count.
    let res = app
        .post(
            &format!("/api/v1/rooms/{shared}/messages"),
            Some(&bob.token),
            json!({"content": "@alice look at this, @carol too"}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.raw);
    assert_eq!(res.data()["mentions"], json!([carol.id]));
    let res = app
        .post(
            &format!("/api/v1/rooms/{shared}/messages"),
            Some(&carol.token),
            json!({"content": "@alice and @bob_b"}),
        )
        .await;
    assert_eq!(res.data()["mentions"], json!([alice.id, bob.id]));
    // A room of strangers stays open to both.
    let other = app.room(&carol, "other", false).await;
    app.add_member(&carol, other, &alice, "member").await;
    app.add_member(&carol, other, &bob, "member").await;
}
