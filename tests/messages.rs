//! Messages: sending, validation, cursor paging, threads, edits, deletes, pins,
//! idempotent retries, and who may do what.

mod common;

use common::*;
use rocket::http::{Header, Method};
use serde_json::json;

struct Room {
    owner: TestUser,
    member: TestUser,
    outsider: TestUser,
    id: i64,
}

async fn room(app: &TestApp, public: bool) -> Room {
    app.register("site_admin").await;
    let owner = app.register("owner").await;
    let member = app.register("member").await;
    let outsider = app.register("outsider").await;
    let id = app.room(&owner, "Room", public).await;
    app.add_member(&owner, id, &member, "member").await;
    Room {
        owner,
        member,
        outsider,
        id,
    }
}

#[rocket::async_test]
async fn send_as_in_the_seed() {
    let app = TestApp::new().await;
    let r = room(&app, true).await;
    let jane = app.register("jane_smith").await;
    let res = app
        .post(
            &format!("/api/v1/rooms/{}/messages", r.id),
            Some(&r.owner.token),
            json!({
                "content": "Voici un nouveau message avec @jane_smith mention",
                "parent_message_id": null,
                "metadata": {"source": "api", "priority": "normal"}
            }),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.raw);
    let m = res.data();
    assert_eq!(m["author_id"], r.owner.id);
    assert_eq!(m["username"], "owner");
    assert_eq!(
        m["content"],
        "Voici un nouveau message avec @jane_smith mention"
    );
    assert!(m["parent_message_id"].is_null());
    assert_eq!(m["thread_count"], 0);
    assert_eq!(m["is_pinned"], false);
    assert_eq!(m["is_edited"], false);
    assert_eq!(m["mentions"], json!([jane.id]));
    assert_eq!(
        m["metadata"],
        json!({"source": "api", "priority": "normal"})
    );
    assert_eq!(m["uuid"].as_str().unwrap().len(), 36);
    assert!(m["created_at"].as_str().unwrap().ends_with('Z'));
    // What the list shows is what the send answered.
    let list = app
        .get(
            &format!("/api/v1/rooms/{}/messages", r.id),
            Some(&r.member.token),
        )
        .await;
    let first = &list.data()["messages"][0];
    for key in [
        "id",
        "uuid",
        "content",
        "mentions",
        "metadata",
        "created_at",
        "reactions",
        "edit_count",
    ] {
        assert_eq!(first[key], m[key], "{key}");
    }
    // The server adds nothing of its own to metadata.
    assert!(!list.raw.contains("ip_address"));
}

#[rocket::async_test]
async fn content_is_validated_in_characters() {
    let app = TestApp::with(|c| c.limits.message_max_length = 10).await;
    let r = room(&app, true).await;
    let path = format!("/api/v1/rooms/{}/messages", r.id);
    let res = app
        .post(
            &path,
            Some(&r.owner.token),
            json!({"content": "ééééééééééé"}),
        )
        .await;
    res.assert_error(400, "MESSAGE_TOO_LONG");
    let d = &res.body["error"]["details"];
    assert_eq!(
        (
            d["field"].as_str(),
            d["max_length"].as_i64(),
            d["actual_length"].as_i64()
        ),
        (Some("content"), Some(10), Some(11))
    );
    // Ten two-byte characters fit; surrounding spaces are trimmed before counting.
    let res = app
        .post(
            &path,
            Some(&r.owner.token),
            json!({"content": "  éééééééééé  "}),
        )
        .await;
    assert_eq!(res.status, 201);
    assert_eq!(res.data()["content"], "éééééééééé");
    for (body, status, field) in [
        (json!({"content": ""}), 400, "content"),
        (json!({"content": "   \n "}), 400, "content"),
        (json!({"content": "bell\u{7}"}), 400, "content"),
        (json!({"content": 12}), 422, "content"),
        (json!({}), 422, "content"),
        (json!({"content": "x", "metadata": "text"}), 400, "metadata"),
        (json!({"content": "x", "metadata": [1]}), 400, "metadata"),
        (
            json!({"content": "x", "metadata": {"k": "v".repeat(5000)}}),
            400,
            "metadata",
        ),
        (
            json!({"content": "x", "parent_message_id": "one"}),
            422,
            "parent_message_id",
        ),
        (
            json!({"content": "x", "attachments": [1]}),
            400,
            "attachments",
        ),
    ] {
        let res = app.post(&path, Some(&r.owner.token), body).await;
        res.assert_error(status, "VALIDATION_FAILED");
        assert_eq!(res.body["error"]["details"]["field"], field, "{}", res.raw);
    }
    let res = app
        .post(&path, Some(&r.owner.token), json!({"content": "a\nb\tc"}))
        .await;
    assert_eq!(res.status, 201, "line breaks and tabs are fine");
}

#[rocket::async_test]
async fn who_may_read_and_post() {
    let app = TestApp::new().await;
    let public = room(&app, true).await;
    let private = app.room(&public.owner, "Private", false).await;
    let secret = app.send(&public.owner, private, "secret").await;
    // A public room: anyone reads, only members post or react.
    let path = format!("/api/v1/rooms/{}/messages", public.id);
    let id = app.send(&public.member, public.id, "hello").await;
    assert_eq!(
        app.get(&path, Some(&public.outsider.token)).await.status,
        200
    );
    assert_eq!(
        app.get(
            &format!("/api/v1/messages/{id}"),
            Some(&public.outsider.token)
        )
        .await
        .status,
        200
    );
    app.post(
        &path,
        Some(&public.outsider.token),
        json!({"content": "hi"}),
    )
    .await
    .assert_error(403, "PERMISSION_DENIED");
    app.post(
        &format!("/api/v1/messages/{id}/reactions"),
        Some(&public.outsider.token),
        json!({"emoji": "👍"}),
    )
    .await
    .assert_error(403, "PERMISSION_DENIED");
    // A private room: outsiders get 404 everywhere, as if it did not exist.
    let ppath = format!("/api/v1/rooms/{private}/messages");
    app.get(&ppath, Some(&public.outsider.token))
        .await
        .assert_error(404, "ROOM_NOT_FOUND");
    app.post(
        &ppath,
        Some(&public.outsider.token),
        json!({"content": "hi"}),
    )
    .await
    .assert_error(404, "ROOM_NOT_FOUND");
    for (method, path) in [
        (Method::Get, format!("/api/v1/messages/{secret}")),
        (Method::Put, format!("/api/v1/messages/{secret}")),
        (Method::Delete, format!("/api/v1/messages/{secret}")),
        (Method::Get, format!("/api/v1/messages/{secret}/thread")),
        (Method::Get, format!("/api/v1/messages/{secret}/history")),
        (Method::Post, format!("/api/v1/messages/{secret}/pin")),
        (Method::Get, format!("/api/v1/messages/{secret}/reactions")),
        (Method::Post, format!("/api/v1/messages/{secret}/reactions")),
        (
            Method::Delete,
            format!("/api/v1/messages/{secret}/reactions/%F0%9F%91%8D"),
        ),
    ] {
        let body = json!({"content": "x", "emoji": "👍"});
        let res = app
            .call(method, &path, Some(&public.outsider.token), Some(body))
            .await;
        res.assert_error(404, "MESSAGE_NOT_FOUND");
        assert!(!res.raw.contains("secret"));
    }
    app.get(
        &format!("/api/v1/rooms/{private}/stats"),
        Some(&public.outsider.token),
    )
    .await
    .assert_error(404, "ROOM_NOT_FOUND");
    app.get("/api/v1/messages/987654", Some(&public.member.token))
        .await
        .assert_error(404, "MESSAGE_NOT_FOUND");
    app.get(&path, None)
        .await
        .assert_error(401, "INVALID_TOKEN");
}

#[rocket::async_test]
async fn cursor_paging_both_ways() {
    let app = TestApp::new().await;
    let r = room(&app, true).await;
    let path = format!("/api/v1/rooms/{}/messages", r.id);
    // An empty room.
    let res = app.get(&path, Some(&r.member.token)).await;
    assert_eq!(
        res.data(),
        &json!({"messages": [], "has_more": false, "total_count": 0})
    );
    let mut sent = Vec::new();
    for i in 0..10 {
        sent.push(app.send(&r.owner, r.id, &format!("m{i}")).await);
    }
    let newest_first: Vec<i64> = sent.iter().rev().copied().collect();
    // Exactly one full page: no more.
    let res = app
        .get(&format!("{path}?limit=10"), Some(&r.member.token))
        .await;
    assert_eq!(ids(&res), newest_first);
    assert_eq!(res.data()["has_more"], false);
    assert_eq!(res.data()["total_count"], 10);
    // Backwards in pages of 4: 4, 4, 2.
    let res = app
        .get(&format!("{path}?limit=4"), Some(&r.member.token))
        .await;
    assert_eq!(ids(&res), newest_first[..4]);
    assert_eq!(res.data()["has_more"], true);
    let res = app
        .get(
            &format!("{path}?limit=4&before_id={}", newest_first[3]),
            Some(&r.member.token),
        )
        .await;
    assert_eq!(ids(&res), newest_first[4..8]);
    assert_eq!(res.data()["has_more"], true);
    let res = app
        .get(
            &format!("{path}?limit=4&before_id={}", newest_first[7]),
            Some(&r.member.token),
        )
        .await;
    assert_eq!(ids(&res), newest_first[8..]);
    assert_eq!(res.data()["has_more"], false);
    // Before the oldest: nothing.
    let res = app
        .get(
            &format!("{path}?before_id={}", sent[0]),
            Some(&r.member.token),
        )
        .await;
    assert_eq!(ids(&res), Vec::<i64>::new());
    assert_eq!(res.data()["has_more"], false);
    // Forwards from the oldest: the next ones, still newest first.
    let res = app
        .get(
            &format!("{path}?limit=3&after_id={}", sent[0]),
            Some(&r.member.token),
        )
        .await;
    assert_eq!(ids(&res), [sent[3], sent[2], sent[1]]);
    assert_eq!(res.data()["has_more"], true);
    let res = app
        .get(
            &format!("{path}?limit=3&after_id={}", sent[6]),
            Some(&r.member.token),
        )
        .await;
    assert_eq!(ids(&res), [sent[9], sent[8], sent[7]]);
    assert_eq!(
        res.data()["has_more"],
        false,
        "an exact page reaching the newest"
    );
    // Both: the window between, newest first.
    let res = app
        .get(
            &format!("{path}?after_id={}&before_id={}", sent[2], sent[6]),
            Some(&r.member.token),
        )
        .await;
    assert_eq!(ids(&res), [sent[5], sent[4], sent[3]]);
    // Bad cursors and limits.
    app.get(&format!("{path}?before_id=abc"), Some(&r.member.token))
        .await
        .assert_error(400, "VALIDATION_FAILED");
    app.get(&format!("{path}?limit=0"), Some(&r.member.token))
        .await
        .assert_error(400, "VALIDATION_FAILED");
    app.get(
        &format!("{path}?include_threads=maybe"),
        Some(&r.member.token),
    )
    .await
    .assert_error(400, "VALIDATION_FAILED");
    let res = app
        .get(&format!("{path}?limit=1000"), Some(&r.member.token))
        .await;
    assert_eq!(ids(&res).len(), 10, "limit is clamped, not refused");
}

#[rocket::async_test]
async fn threads_and_their_rules() {
    let app = TestApp::new().await;
    let r = room(&app, true).await;
    let top = app.send(&r.owner, r.id, "question").await;
    let a = app.reply(&r.member, r.id, top, "answer 1").await;
    let b = app.reply(&r.owner, r.id, top, "answer 2").await;
    let path = format!("/api/v1/rooms/{}/messages", r.id);
    // Top-level only by default, with thread counts; replies with include_threads.
    let res = app.get(&path, Some(&r.member.token)).await;
    assert_eq!(ids(&res), [top]);
    assert_eq!(res.data()["messages"][0]["thread_count"], 2);
    assert_eq!(res.data()["total_count"], 1);
    let res = app
        .get(
            &format!("{path}?include_threads=true"),
            Some(&r.member.token),
        )
        .await;
    assert_eq!(ids(&res), [b, a, top]);
    assert_eq!(res.data()["total_count"], 3);
    // The thread, oldest first.
    let res = app
        .get(
            &format!("/api/v1/messages/{top}/thread"),
            Some(&r.outsider.token),
        )
        .await;
    assert_eq!(ids(&res), [a, b]);
    assert_eq!(res.data()["has_more"], false);
    let res = app
        .get(
            &format!("/api/v1/messages/{top}/thread?limit=1"),
            Some(&r.member.token),
        )
        .await;
    assert_eq!(
        (ids(&res), res.data()["has_more"].as_bool()),
        (vec![a], Some(true))
    );
    let res = app
        .get(
            &format!("/api/v1/messages/{top}/thread?after_id={a}"),
            Some(&r.member.token),
        )
        .await;
    assert_eq!(ids(&res), [b]);
    // No replies to replies, none across rooms, none to nothing.
    let send = |parent: serde_json::Value| {
        app.post(
            &path,
            Some(&r.member.token),
            json!({"content": "x", "parent_message_id": parent}),
        )
    };
    send(json!(a)).await.assert_error(400, "VALIDATION_FAILED");
    let other = app.room(&r.owner, "Other", true).await;
    let foreign = app.send(&r.owner, other, "elsewhere").await;
    send(json!(foreign))
        .await
        .assert_error(400, "VALIDATION_FAILED");
    send(json!(999999))
        .await
        .assert_error(400, "VALIDATION_FAILED");
    // A deleted reply leaves the count.
    assert_eq!(
        app.delete(&format!("/api/v1/messages/{a}"), Some(&r.member.token))
            .await
            .status,
        204
    );
    let res = app.get(&path, Some(&r.member.token)).await;
    assert_eq!(res.data()["messages"][0]["thread_count"], 1);
}

#[rocket::async_test]
async fn edits_keep_history_and_belong_to_the_author() {
    let app = TestApp::new().await;
    let r = room(&app, true).await;
    let jane = app.register("jane").await;
    let id = app.send(&r.member, r.id, "first @jane").await;
    let path = format!("/api/v1/messages/{id}");
    app.put(&path, Some(&r.owner.token), json!({"content": "owned"}))
        .await
        .assert_error(403, "PERMISSION_DENIED");
    app.put(&path, Some(&r.outsider.token), json!({"content": "mine"}))
        .await
        .assert_error(403, "PERMISSION_DENIED");
    let res = app.put(&path, Some(&r.member.token), json!({"content": "Message modifié avec nouveau contenu", "edit_reason": "Correction de typo"})).await;
    assert_eq!(res.status, 200, "{}", res.raw);
    assert_eq!(
        res.data()["content"],
        "Message modifié avec nouveau contenu"
    );
    assert_eq!(res.data()["is_edited"], true);
    assert_eq!(res.data()["edit_count"], 1);
    assert!(res.data()["edited_at"].is_string());
    assert_eq!(
        res.data()["mentions"],
        json!([]),
        "mentions follow the new text"
    );
    app.put(
        &path,
        Some(&r.member.token),
        json!({"content": "third @jane"}),
    )
    .await
    .succeeded();
    let res = app
        .get(&format!("{path}/history"), Some(&r.owner.token))
        .await;
    assert_eq!(res.status, 200);
    let history = res.data()["history"].as_array().unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(
        history[0]["content"],
        "Message modifié avec nouveau contenu"
    );
    assert_eq!(history[1]["content"], "first @jane");
    assert_eq!(history[1]["edit_reason"], "Correction de typo");
    let res = app.get(&path, Some(&r.member.token)).await;
    assert_eq!(res.data()["mentions"], json!([jane.id]));
    assert_eq!(res.data()["edit_count"], 2);
    // History: the author and moderators, not other members.
    let other = app.register("other").await;
    app.add_member(&r.owner, r.id, &other, "member").await;
    app.get(&format!("{path}/history"), Some(&other.token))
        .await
        .assert_error(403, "PERMISSION_DENIED");
    app.put(&path, Some(&r.member.token), json!({"content": ""}))
        .await
        .assert_error(400, "VALIDATION_FAILED");
}

#[rocket::async_test]
async fn deletes_by_author_and_moderators_with_audit() {
    let app = TestApp::new().await;
    let r = room(&app, true).await;
    let moderator = app.register("moderator").await;
    app.add_member(&r.owner, r.id, &moderator, "moderator")
        .await;
    let mine = app.send(&r.member, r.id, "my own words").await;
    let theirs = app.send(&r.owner, r.id, "the owner's words").await;
    let rude = app.send(&r.member, r.id, "something rude").await;
    app.delete(&format!("/api/v1/messages/{theirs}"), Some(&r.member.token))
        .await
        .assert_error(403, "PERMISSION_DENIED");
    assert_eq!(
        app.delete(&format!("/api/v1/messages/{mine}"), Some(&r.member.token))
            .await
            .status,
        204
    );
    let res = app
        .call(
            Method::Delete,
            &format!("/api/v1/messages/{rude}"),
            Some(&moderator.token),
            Some(json!({"reason": "Contenu inapproprié"})),
        )
        .await;
    assert_eq!(res.status, 204);
    // Both vanish from reads, lists and counts.
    app.get(&format!("/api/v1/messages/{mine}"), Some(&r.owner.token))
        .await
        .assert_error(404, "MESSAGE_NOT_FOUND");
    app.delete(&format!("/api/v1/messages/{mine}"), Some(&r.member.token))
        .await
        .assert_error(404, "MESSAGE_NOT_FOUND");
    let res = app
        .get(
            &format!("/api/v1/rooms/{}/messages", r.id),
            Some(&r.owner.token),
        )
        .await;
    assert_eq!(ids(&res), [theirs]);
    assert_eq!(res.data()["total_count"], 1);
    let text: String = app
        .db()
        .query_row("SELECT content FROM messages WHERE id = ?1", [rude], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(text, "", "the text of a deleted message is erased");
    // Only the moderator's delete is audited, with content and reason.
    let res = app
        .get(
            &format!("/api/v1/rooms/{}/audit?action=message_deleted", r.id),
            Some(&r.owner.token),
        )
        .await;
    assert_eq!(res.data()["total"], 1);
    let entry = &res.data()["logs"][0];
    assert_eq!(
        entry["details"],
        json!({"message_id": rude, "content": "something rude", "reason": "Contenu inapproprié"})
    );
    assert_eq!(entry["user_id"], r.member.id);
    assert_eq!(entry["moderator_id"], moderator.id);
    // The reason may come in the query too.
    let another = app.send(&r.member, r.id, "again").await;
    app.delete(
        &format!("/api/v1/messages/{another}?reason=spam"),
        Some(&r.owner.token),
    )
    .await
    .succeeded();
    let res = app
        .get(
            &format!("/api/v1/rooms/{}/audit?action=message_deleted", r.id),
            Some(&r.owner.token),
        )
        .await;
    assert_eq!(res.data()["logs"][0]["details"]["reason"], "spam");
}

#[rocket::async_test]
async fn pins_are_for_moderators() {
    let app = TestApp::new().await;
    let r = room(&app, true).await;
    let a = app.send(&r.member, r.id, "pin me").await;
    let b = app.send(&r.member, r.id, "not me").await;
    let pin = format!("/api/v1/messages/{a}/pin");
    app.post(&pin, Some(&r.member.token), json!({"pinned": true}))
        .await
        .assert_error(403, "PERMISSION_DENIED");
    let res = app
        .post(&pin, Some(&r.owner.token), json!({"pinned": true}))
        .await;
    assert_eq!(res.status, 200, "{}", res.raw);
    assert_eq!(res.data()["is_pinned"], true);
    let list = format!("/api/v1/rooms/{}/messages?pinned_only=true", r.id);
    let res = app.get(&list, Some(&r.member.token)).await;
    assert_eq!(ids(&res), [a]);
    assert_eq!(res.data()["total_count"], 1);
    let res = app
        .call(
            Method::Post,
            &format!("/api/v1/messages/{b}/pin"),
            Some(&r.owner.token),
            None,
        )
        .await;
    assert_eq!(res.data()["is_pinned"], true, "no body means pin");
    app.post(&pin, Some(&r.owner.token), json!({"pinned": false}))
        .await
        .succeeded();
    assert_eq!(ids(&app.get(&list, Some(&r.member.token)).await), [b]);
    let res = app
        .get(
            &format!("/api/v1/rooms/{}/audit", r.id),
            Some(&r.owner.token),
        )
        .await;
    let actions: Vec<&str> = res.data()["logs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["action"].as_str().unwrap())
        .take(3)
        .collect();
    assert_eq!(
        actions,
        ["message_unpinned", "message_pinned", "message_pinned"]
    );
    app.post(&pin, Some(&r.owner.token), json!({"pinned": "yes"}))
        .await
        .assert_error(422, "VALIDATION_FAILED");
}

#[rocket::async_test]
async fn an_idempotent_retry_makes_one_message() {
    let app = TestApp::new().await;
    let r = room(&app, true).await;
    let path = format!("/api/v1/rooms/{}/messages", r.id);
    let send = |key: &str, content: &str, room_path: &str| {
        let mut req = app.client.post(room_path.to_owned());
        req.add_header(Header::new(
            "Authorization",
            format!("Bearer {}", r.owner.token),
        ));
        req.add_header(Header::new("Idempotency-Key", key.to_owned()));
        req.header(rocket::http::ContentType::JSON)
            .body(json!({"content": content}).to_string())
            .dispatch()
    };
    let first = send("key-1", "once", &path).await;
    assert_eq!(first.status().code, 201);
    let first: serde_json::Value =
        serde_json::from_str(&first.into_string().await.unwrap()).unwrap();
    let retry = send("key-1", "once", &path).await;
    assert_eq!(retry.status().code, 201);
    assert_eq!(retry.headers().get_one("Idempotent-Replayed"), Some("true"));
    let retry: serde_json::Value =
        serde_json::from_str(&retry.into_string().await.unwrap()).unwrap();
    assert_eq!(retry["data"]["id"], first["data"]["id"]);
    // Concurrent retries too.
    let retries = (0..5).map(|_| send("key-2", "burst", &path));
    let answers = rocket::futures::future::join_all(retries).await;
    assert!(answers.iter().all(|a| a.status().code == 201));
    let res = app.get(&path, Some(&r.owner.token)).await;
    assert_eq!(res.data()["total_count"], 2, "{}", res.raw);
    // The key is the author's: reused for another text or room, it is refused.
    assert_eq!(send("key-1", "different", &path).await.status().code, 409);
    let other = app.room(&r.owner, "Other", true).await;
    assert_eq!(
        send("key-1", "once", &format!("/api/v1/rooms/{other}/messages"))
            .await
            .status()
            .code,
        409
    );
    assert_eq!(send("", "x", &path).await.status().code, 400);
    assert_eq!(send(&"k".repeat(256), "x", &path).await.status().code, 400);
    // Another author may use the same key.
    let mut req = app.client.post(path.clone());
    req.add_header(Header::new(
        "Authorization",
        format!("Bearer {}", r.member.token),
    ));
    req.add_header(Header::new("Idempotency-Key", "key-1"));
    let res = req
        .header(rocket::http::ContentType::JSON)
        .body(json!({"content": "once"}).to_string())
        .dispatch()
        .await;
    assert_eq!(res.status().code, 201);
    assert!(res.headers().get_one("Idempotent-Replayed").is_none());
}

#[rocket::async_test]
async fn counts_stay_true_through_sends_and_deletes() {
    let app = TestApp::new().await;
    let r = room(&app, true).await;
    let mut ids_sent = Vec::new();
    for i in 0..6 {
        ids_sent.push(app.send(&r.member, r.id, &format!("m{i}")).await);
    }
    let reply = app.reply(&r.owner, r.id, ids_sent[0], "re").await;
    app.delete(
        &format!("/api/v1/messages/{}", ids_sent[1]),
        Some(&r.member.token),
    )
    .await
    .succeeded();
    app.delete(&format!("/api/v1/messages/{reply}"), Some(&r.owner.token))
        .await
        .succeeded();
    app.delete(
        &format!("/api/v1/messages/{}", ids_sent[1]),
        Some(&r.member.token),
    )
    .await
    .assert_error(404, "MESSAGE_NOT_FOUND"); // twice: no double count
    let (live, top): (i64, i64) = app
        .db()
        .query_row(
            "SELECT count(*), count(*) FILTER (WHERE parent_message_id IS NULL) FROM messages
         WHERE room_id = ?1 AND deleted_at IS NULL",
            [r.id],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .unwrap();
    let (kept_live, kept_top): (i64, i64) = app
        .db()
        .query_row(
            "SELECT message_count, top_level_count FROM rooms WHERE id = ?1",
            [r.id],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .unwrap();
    assert_eq!((kept_live, kept_top), (live, top));
    assert_eq!((live, top), (5, 5));
    let res = app
        .get(
            &format!("/api/v1/rooms/{}/messages?include_threads=true", r.id),
            Some(&r.owner.token),
        )
        .await;
    assert_eq!(res.data()["total_count"], 5);
}

#[rocket::async_test]
async fn a_renamed_author_posts_under_the_new_name() {
    let app = TestApp::new().await;
    let r = room(&app, true).await;
    app.send(&r.member, r.id, "before").await; // the session is now cached
    let res = app
        .put(
            "/api/v1/users/me",
            Some(&r.member.token),
            json!({"username": "renamed"}),
        )
        .await;
    assert_eq!(res.status, 200);
    let res = app
        .post(
            &format!("/api/v1/rooms/{}/messages", r.id),
            Some(&r.member.token),
            json!({"content": "after"}),
        )
        .await;
    assert_eq!(res.data()["username"], "renamed");
    let list = app
        .get(
            &format!("/api/v1/rooms/{}/messages", r.id),
            Some(&r.owner.token),
        )
        .await;
    assert_eq!(
        list.data()["messages"][1]["username"],
        "renamed",
        "older messages show the new name too"
    );
}

/// `GET /limits` tells clients what a send may hold, before they send: the same
/// numbers the refusals give.
#[rocket::async_test]
async fn the_limits_a_client_counts_against_are_the_servers() {
    let app = TestApp::with(|c| c.limits.message_max_length = 120).await;
    let limits = app.get("/api/v1/limits", None).await;
    limits.succeeded();
    assert_eq!(limits.data()["message_max_length"], 120);
    assert_eq!(limits.data()["max_attachments"], 10);
    assert_eq!(limits.data()["metadata_max_bytes"], 4096);
    assert_eq!(
        limits.data()["upload_max_bytes"],
        app.client
            .rocket()
            .state::<veza::app::App>()
            .unwrap()
            .config
            .limits
            .upload_max_bytes
    );
    let r = room(&app, true).await;
    let refused = app
        .post(
            &format!("/api/v1/rooms/{}/messages", r.id),
            Some(&r.member.token),
            json!({"content": "é".repeat(121)}),
        )
        .await;
    refused.assert_error(400, "MESSAGE_TOO_LONG");
    assert_eq!(refused.body["error"]["details"]["max_length"], 120);
}
