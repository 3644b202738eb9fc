//! Reactions (validation, counted once per user, percent-encoded deletes) and room
//! statistics computed from the data.

mod common;

use common::*;
use serde_json::json;

#[rocket::async_test]
async fn reactions_count_once_per_user_and_emoji() {
    let app = TestApp::new().await;
    app.register("site_admin").await;
    let jane = app.register("jane_smith").await;
    let bob = app.register("bob_wilson").await;
    let john = app.register("john_doe").await;
    let room = app.room(&john, "General", true).await;
    app.add_member(&john, room, &jane, "member").await;
    app.add_member(&john, room, &bob, "member").await;
    let id = app.send(&john, room, "Salut tout le monde ! 👋").await;
    let path = format!("/api/v1/messages/{id}/reactions");
    let res = app
        .post(&path, Some(&jane.token), json!({"emoji": "👍"}))
        .await;
    assert_eq!(res.status, 201, "{}", res.raw);
    let res = app
        .post(&path, Some(&jane.token), json!({"emoji": "👍"}))
        .await;
    assert_eq!(res.status, 200, "a second time is not an error");
    app.post(&path, Some(&bob.token), json!({"emoji": "👍"}))
        .await
        .succeeded();
    app.post(&path, Some(&john.token), json!({"emoji": "❤️"}))
        .await
        .succeeded();
    app.post(&path, Some(&john.token), json!({"emoji": ":tada:"}))
        .await
        .succeeded();
    let res = app.get(&path, Some(&jane.token)).await;
    assert_eq!(res.data()["message_id"], id);
    assert_eq!(res.data()["total_reactions"], 4);
    let groups = res.data()["reactions"].as_array().unwrap();
    assert_eq!(groups[0]["emoji"], "👍");
    assert_eq!(groups[0]["count"], 2);
    let names: Vec<&str> = groups[0]["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["jane_smith", "bob_wilson"]);
    assert!(groups[0]["users"][0]["created_at"].is_string());
    assert_eq!(groups[1]["emoji"], "❤️");
    assert_eq!(groups[2]["emoji"], ":tada:");
    // The message object carries the seed's reactions map.
    let res = app
        .get(&format!("/api/v1/messages/{id}"), Some(&bob.token))
        .await;
    assert_eq!(res.data()["reactions"]["👍"]["count"], 2);
    assert_eq!(
        res.data()["reactions"]["👍"]["users"][0],
        json!({"user_id": jane.id, "username": "jane_smith"})
    );
    // Delete with the emoji percent-encoded; once.
    let res = app
        .delete(&format!("{path}/%F0%9F%91%8D"), Some(&jane.token))
        .await;
    assert_eq!(res.status, 204);
    app.delete(&format!("{path}/%F0%9F%91%8D"), Some(&jane.token))
        .await
        .assert_error(404, "NOT_FOUND");
    assert_eq!(
        app.delete(&format!("{path}/%E2%9D%A4%EF%B8%8F"), Some(&john.token))
            .await
            .status,
        204
    );
    assert_eq!(
        app.delete(&format!("{path}/:tada:"), Some(&john.token))
            .await
            .status,
        204
    );
    let res = app.get(&path, Some(&jane.token)).await;
    assert_eq!(res.data()["total_reactions"], 1);
    // A deleted message takes its reactions with it.
    app.delete(&format!("/api/v1/messages/{id}"), Some(&john.token))
        .await
        .succeeded();
    let left: i64 = app
        .db()
        .query_row("SELECT count(*) FROM reactions", [], |r| r.get(0))
        .unwrap();
    assert_eq!(left, 0);
}

#[rocket::async_test]
async fn emoji_are_validated() {
    let app = TestApp::new().await;
    let user = app.register("reactor").await;
    let room = app.room(&user, "Emoji", true).await;
    let id = app.send(&user, room, "react to me").await;
    let path = format!("/api/v1/messages/{id}/reactions");
    for emoji in [
        "",
        " ",
        "👍 👍",
        "a\tb",
        "\u{0}",
        "\u{7f}",
        "\n",
        &"x".repeat(65),
        &"👍".repeat(25),
    ] {
        let res = app
            .post(&path, Some(&user.token), json!({"emoji": emoji}))
            .await;
        res.assert_error(400, "VALIDATION_FAILED");
        assert_eq!(res.body["error"]["details"]["field"], "emoji");
    }
    let res = app
        .post(&path, Some(&user.token), json!({"emoji": "x".repeat(100)}))
        .await;
    assert_eq!(res.body["error"]["details"]["actual_bytes"], 100);
    assert_eq!(
        app.post(&path, Some(&user.token), json!({"emoji": "x".repeat(64)}))
            .await
            .status,
        201
    );
    app.post(&path, Some(&user.token), json!({"emoji": 5}))
        .await
        .assert_error(422, "VALIDATION_FAILED");
    app.delete(&format!("{path}/%20"), Some(&user.token))
        .await
        .assert_error(400, "VALIDATION_FAILED");
    let stored: i64 = app
        .db()
        .query_row("SELECT count(*) FROM reactions", [], |r| r.get(0))
        .unwrap();
    assert_eq!(stored, 1);
}

#[rocket::async_test]
async fn stats_as_in_the_seed_computed_from_the_data() {
    let app = TestApp::new().await;
    app.register("site_admin").await;
    let john = app.register("john_doe").await;
    let jane = app.register("jane_smith").await;
    let outsider = app.register("outsider").await;
    let room = app.room(&john, "General", true).await;
    app.add_member(&john, room, &jane, "member").await;
    let mut last = 0;
    for i in 0..3 {
        last = app.send(&john, room, &format!("john {i}")).await;
    }
    let janes = app.send(&jane, room, "jane").await;
    app.post(
        &format!("/api/v1/messages/{last}/pin"),
        Some(&john.token),
        json!({}),
    )
    .await
    .succeeded();
    app.post(
        &format!("/api/v1/messages/{last}/reactions"),
        Some(&jane.token),
        json!({"emoji": "👍"}),
    )
    .await
    .succeeded();
    app.post(
        &format!("/api/v1/messages/{janes}/reactions"),
        Some(&john.token),
        json!({"emoji": "👍"}),
    )
    .await
    .succeeded();
    // An old message, outside the 24h and 7d periods.
    app.write_sql(
        "INSERT INTO messages (uuid, room_id, author_id, content, created_at, updated_at)
         VALUES ('old', ?1, ?2, 'old', '2020-03-01T09:15:00.000Z', '2020-03-01T09:15:00.000Z')",
        vec![room.into(), jane.id.into()],
    )
    .await;

    let res = app
        .get(
            &format!("/api/v1/rooms/{room}/stats?period=7d"),
            Some(&jane.token),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.raw);
    let s = res.data();
    assert_eq!(s["room_id"], room);
    assert_eq!(s["period"], "7d");
    assert_eq!(s["message_count"], 4);
    assert_eq!(s["active_users"], 2);
    assert_eq!(s["new_members"], 2);
    assert_eq!(s["pinned_messages"], 1);
    assert_eq!(s["reactions_count"], 2);
    assert_eq!(s["peak_activity"]["message_count"], 4);
    assert_eq!(s["peak_activity"]["date"].as_str().unwrap().len(), 10);
    assert!(s["peak_activity"]["hour"].as_i64().unwrap() < 24);
    assert_eq!(
        s["top_contributors"],
        json!([
            {"user_id": john.id, "username": "john_doe", "message_count": 3},
            {"user_id": jane.id, "username": "jane_smith", "message_count": 1}
        ])
    );
    let res = app
        .get(
            &format!("/api/v1/rooms/{room}/stats?period=all"),
            Some(&jane.token),
        )
        .await;
    assert_eq!(res.data()["message_count"], 5);
    assert_eq!(res.data()["top_contributors"][1]["message_count"], 2);
    let res = app
        .get(&format!("/api/v1/rooms/{room}/stats"), Some(&jane.token))
        .await;
    assert_eq!(res.data()["period"], "7d", "7d by default");
    // Deleted messages leave the stats.
    app.delete(&format!("/api/v1/messages/{janes}"), Some(&jane.token))
        .await
        .succeeded();
    let res = app
        .get(
            &format!("/api/v1/rooms/{room}/stats?period=24h"),
            Some(&john.token),
        )
        .await;
    assert_eq!(res.data()["message_count"], 3);
    assert_eq!(res.data()["active_users"], 1);
    assert_eq!(res.data()["reactions_count"], 1);
    // An empty period, a bad period, a non-member.
    let empty = app.room(&john, "Empty", true).await;
    let res = app
        .get(
            &format!("/api/v1/rooms/{empty}/stats?period=30d"),
            Some(&john.token),
        )
        .await;
    assert!(res.data()["peak_activity"].is_null());
    assert_eq!(res.data()["top_contributors"], json!([]));
    app.get(
        &format!("/api/v1/rooms/{room}/stats?period=1y"),
        Some(&john.token),
    )
    .await
    .assert_error(400, "VALIDATION_FAILED");
    app.get(
        &format!("/api/v1/rooms/{room}/stats"),
        Some(&outsider.token),
    )
    .await
    .assert_error(403, "PERMISSION_DENIED");
}

#[rocket::async_test]
async fn unread_counts_follow_real_messages() {
    let app = TestApp::new().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob_b").await;
    let room = app.room(&alice, "Chat", true).await;
    app.post(
        &format!("/api/v1/rooms/{room}/join"),
        Some(&bob.token),
        json!({}),
    )
    .await
    .succeeded();
    let first = app.send(&alice, room, "one").await;
    app.send(&alice, room, "two").await;
    app.send(&bob, room, "mine").await;
    let res = app
        .get(&format!("/api/v1/rooms/{room}"), Some(&bob.token))
        .await;
    assert_eq!(res.data()["unread_count"], 2);
    let res = app
        .post(
            &format!("/api/v1/rooms/{room}/read"),
            Some(&bob.token),
            json!({"message_id": first}),
        )
        .await;
    assert_eq!(res.data()["unread_count"], 1);
    app.post(
        &format!("/api/v1/rooms/{room}/read"),
        Some(&bob.token),
        json!({}),
    )
    .await
    .succeeded();
    let res = app
        .get("/api/v1/rooms?filter=joined", Some(&bob.token))
        .await;
    assert_eq!(res.data()["rooms"][0]["unread_count"], 0);
}
