//! Every object that names a user carries both its id and its username; answers
//! of one resource have one shape whichever route gives them.

mod common;

use common::*;
use serde_json::json;

#[rocket::async_test]
async fn mentions_carry_ids_and_usernames_in_order() {
    let app = TestApp::new().await;
    let ann = app.register("ann").await;
    let bob = app.register("bob").await;
    let cy = app.register("cy_c").await;
    let room = app.room(&ann, "lobby", true).await;
    let res = app
        .post(
            &format!("/api/v1/rooms/{room}/messages"),
            Some(&ann.token),
            json!({"content": "@CY_C and @bob, not @nobody"}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.raw);
    assert_eq!(res.data()["mentions"], json!([cy.id, bob.id]));
    assert_eq!(
        res.data()["mentioned_users"],
        json!([{"user_id": cy.id, "username": "cy_c"}, {"user_id": bob.id, "username": "bob"}])
    );
    let id = res.data()["id"].as_i64().unwrap();
    let read = app
        .get(&format!("/api/v1/messages/{id}"), Some(&ann.token))
        .await;
    assert_eq!(
        read.data()["mentioned_users"],
        res.data()["mentioned_users"]
    );
    // Without mentions the names list is left out (pages stay lean); the ids are not.
    let plain = app.send(&ann, room, "no one named").await;
    let read = app
        .get(&format!("/api/v1/messages/{plain}"), Some(&ann.token))
        .await;
    assert_eq!(read.data()["mentions"], json!([]));
    assert!(read.data().get("mentioned_users").is_none(), "{}", read.raw);
}

#[rocket::async_test]
async fn conversations_answer_one_shape_and_name_the_last_author() {
    let app = TestApp::new().await;
    let ann = app.register("ann").await;
    let bob = app.register("bob").await;
    let opened = app
        .post(
            "/api/v1/conversations",
            Some(&ann.token),
            json!({"user_id": bob.id}),
        )
        .await;
    assert_eq!(opened.status, 201, "{}", opened.raw);
    let id = opened.data()["id"].as_i64().unwrap();
    let got = app
        .get(&format!("/api/v1/conversations/{id}"), Some(&ann.token))
        .await;
    assert_eq!(opened.data(), got.data(), "POST answers what GET answers");
    app.post(
        &format!("/api/v1/conversations/{id}/messages"),
        Some(&bob.token),
        json!({"content": "hi ann"}),
    )
    .await
    .succeeded();
    let again = app
        .post(
            "/api/v1/conversations",
            Some(&ann.token),
            json!({"user_id": bob.id}),
        )
        .await;
    assert_eq!(again.status, 200);
    let last = &again.data()["last_message"];
    assert_eq!(last["author_id"], bob.id);
    assert_eq!(last["username"], "bob");
    let got = app
        .get(&format!("/api/v1/conversations/{id}"), Some(&ann.token))
        .await;
    assert_eq!(again.data(), got.data());
}

#[rocket::async_test]
async fn audit_entries_name_the_member_and_the_moderator() {
    let app = TestApp::new().await;
    let ann = app.register("ann").await;
    let bob = app.register("bob").await;
    let room = app.room(&ann, "crew", false).await;
    // Added by username, as well as by id.
    let res = app
        .post(
            &format!("/api/v1/rooms/{room}/members"),
            Some(&ann.token),
            json!({"username": "BOB"}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.raw);
    assert_eq!(res.data()["user_id"], bob.id);
    app.post(
        &format!("/api/v1/rooms/{room}/members"),
        Some(&ann.token),
        json!({"username": "nobody_here"}),
    )
    .await
    .assert_error(404, "USER_NOT_FOUND");
    app.post(
        &format!("/api/v1/rooms/{room}/members"),
        Some(&ann.token),
        json!({}),
    )
    .await
    .assert_error(400, "VALIDATION_FAILED");
    let log = app
        .get(
            &format!("/api/v1/rooms/{room}/audit?action=member_added"),
            Some(&ann.token),
        )
        .await;
    let entry = &log.data()["logs"][0];
    assert_eq!(entry["user_id"], bob.id);
    assert_eq!(entry["username"], "bob");
    assert_eq!(entry["moderator_id"], ann.id);
    assert_eq!(entry["moderator_username"], "ann");
}

#[rocket::async_test]
async fn taking_back_a_reaction_one_does_not_have_says_so() {
    let app = TestApp::new().await;
    let ann = app.register("ann").await;
    let room = app.room(&ann, "lobby", true).await;
    let msg = app.send(&ann, room, "hello").await;
    let res = app
        .delete(
            &format!("/api/v1/messages/{msg}/reactions/%F0%9F%91%8D"),
            Some(&ann.token),
        )
        .await;
    res.assert_error(404, "NOT_FOUND");
    assert!(
        res.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not reacted"),
        "{}",
        res.raw
    );
}
