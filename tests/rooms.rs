//! Rooms: creation as in the seed, visibility, filters and search, updates by role,
//! deletion, join and leave, member caps, unread counts, and the room events.

mod common;

use common::*;
use rocket::http::Method;
use serde_json::json;

#[rocket::async_test]
async fn create_as_in_the_seed() {
    let app = TestApp::new().await;
    let john = app.register("john_doe").await;
    let res = app
        .post(
            "/api/v1/rooms",
            Some(&john.token),
            json!({
                "name": "Équipe Dev",
                "description": "Discussions de l'équipe développement",
                "is_public": false,
                "max_members": 50
            }),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.raw);
    let room = res.data();
    assert_eq!(room["name"], "Équipe Dev");
    assert_eq!(room["description"], "Discussions de l'équipe développement");
    assert_eq!(room["is_public"], false);
    assert_eq!(room["is_private"], true);
    assert_eq!(room["owner_id"], john.id);
    assert_eq!(room["member_count"], 1);
    assert_eq!(room["max_members"], 50);
    assert_eq!(room["my_role"], "owner");
    assert_eq!(room["unread_count"], 0);
    assert_eq!(room["uuid"].as_str().unwrap().len(), 36);
    for key in ["id", "last_activity", "created_at", "updated_at"] {
        assert!(!room[key].is_null(), "room has {key}");
    }
    // Defaults: public, no cap.
    let res = app
        .post(
            "/api/v1/rooms",
            Some(&john.token),
            json!({"name": "General"}),
        )
        .await;
    assert_eq!(res.data()["is_public"], true);
    assert!(res.data()["max_members"].is_null());
    // `is_private` is understood too.
    let res = app
        .post(
            "/api/v1/rooms",
            Some(&john.token),
            json!({"name": "Secret", "is_private": true}),
        )
        .await;
    assert_eq!(res.data()["is_public"], false);
}

#[rocket::async_test]
async fn create_validates_its_body() {
    let app = TestApp::new().await;
    let user = app.register("val").await;
    let cases = [
        (json!({"name": ""}), 400, "name"),
        (json!({"name": "   "}), 400, "name"),
        (json!({"name": "n".repeat(101)}), 400, "name"),
        (json!({"name": "tab\tname"}), 400, "name"),
        (
            json!({"name": "ok", "description": "d".repeat(501)}),
            400,
            "description",
        ),
        (json!({"name": "ok", "max_members": 0}), 400, "max_members"),
        (
            json!({"name": "ok", "max_members": 100001}),
            400,
            "max_members",
        ),
        (
            json!({"name": "ok", "is_public": true, "is_private": true}),
            400,
            "is_private",
        ),
        (json!({"name": 42}), 422, "name"),
        (json!({"name": "ok", "is_public": "yes"}), 422, "is_public"),
        (
            json!({"name": "ok", "max_members": "ten"}),
            422,
            "max_members",
        ),
        (json!({}), 422, "name"),
    ];
    for (body, status, field) in cases {
        let res = app.post("/api/v1/rooms", Some(&user.token), body).await;
        res.assert_error(status, "VALIDATION_FAILED");
        assert_eq!(res.body["error"]["details"]["field"], field, "{}", res.raw);
    }
    let rooms: i64 = app
        .db()
        .query_row("SELECT count(*) FROM rooms", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rooms, 0);
    app.post("/api/v1/rooms", None, json!({"name": "x"}))
        .await
        .assert_error(401, "INVALID_TOKEN");
}

#[rocket::async_test]
async fn names_conflict_ignoring_case() {
    let app = TestApp::new().await;
    let user = app.register("namer").await;
    app.room(&user, "Équipe Dev", true).await;
    let other = app.room(&user, "Other", true).await;
    for name in ["équipe dev", "ÉQUIPE DEV", "  Équipe Dev  "] {
        let res = app
            .post("/api/v1/rooms", Some(&user.token), json!({"name": name}))
            .await;
        res.assert_error(409, "RESOURCE_CONFLICT");
        assert_eq!(res.body["error"]["details"]["field"], "name");
        let res = app
            .put(
                &format!("/api/v1/rooms/{other}"),
                Some(&user.token),
                json!({"name": name}),
            )
            .await;
        res.assert_error(409, "RESOURCE_CONFLICT");
    }
    // Renaming a room to its own name in another case is fine.
    let res = app
        .put(
            &format!("/api/v1/rooms/{other}"),
            Some(&user.token),
            json!({"name": "OTHER"}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.raw);
    assert_eq!(res.data()["name"], "OTHER");
}

#[rocket::async_test]
async fn private_rooms_are_invisible_to_outsiders() {
    let app = TestApp::new().await;
    let admin = app.register("admin").await;
    let owner = app.register("owner").await;
    let outsider = app.register("outsider").await;
    let secret = app.room(&owner, "Secret Plans", false).await;
    let public = app.room(&owner, "Lobby", true).await;
    // GET: the same 404 as a room that does not exist.
    let hidden = app
        .get(&format!("/api/v1/rooms/{secret}"), Some(&outsider.token))
        .await;
    let missing = app.get("/api/v1/rooms/999999", Some(&outsider.token)).await;
    hidden.assert_error(404, "ROOM_NOT_FOUND");
    missing.assert_error(404, "ROOM_NOT_FOUND");
    assert_eq!(
        hidden.body["error"]["message"],
        missing.body["error"]["message"]
    );
    assert!(!hidden.raw.contains("Secret"));
    // Every room route answers 404 to the outsider.
    let routes = [
        (Method::Put, format!("/api/v1/rooms/{secret}")),
        (Method::Delete, format!("/api/v1/rooms/{secret}")),
        (Method::Post, format!("/api/v1/rooms/{secret}/join")),
        (Method::Post, format!("/api/v1/rooms/{secret}/leave")),
        (Method::Post, format!("/api/v1/rooms/{secret}/read")),
        (Method::Get, format!("/api/v1/rooms/{secret}/audit")),
        (Method::Get, format!("/api/v1/rooms/{secret}/members")),
        (Method::Post, format!("/api/v1/rooms/{secret}/members")),
        (
            Method::Put,
            format!("/api/v1/rooms/{secret}/members/{}", owner.id),
        ),
        (
            Method::Delete,
            format!("/api/v1/rooms/{secret}/members/{}", owner.id),
        ),
    ];
    for (method, path) in &routes {
        let body = json!({"name": "x", "user_id": outsider.id, "role": "member"});
        let res = app
            .call(*method, path, Some(&outsider.token), Some(body))
            .await;
        res.assert_error(404, "ROOM_NOT_FOUND");
    }
    // Lists and totals leave it out.
    for filter in ["", "&filter=private", "&filter=public", "&search=secret"] {
        let res = app
            .get(
                &format!("/api/v1/rooms?limit=100{filter}"),
                Some(&outsider.token),
            )
            .await;
        assert!(!res.raw.contains("Secret"), "{}", res.raw);
        let ids: Vec<i64> = res.data()["rooms"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_i64().unwrap())
            .collect();
        assert_eq!(res.data()["total"].as_u64().unwrap() as usize, ids.len());
    }
    let res = app.get("/api/v1/rooms", Some(&outsider.token)).await;
    assert_eq!(res.data()["total"], 1);
    assert_eq!(res.data()["rooms"][0]["id"], public);
    // The owner and a site admin see it.
    assert_eq!(
        app.get(&format!("/api/v1/rooms/{secret}"), Some(&owner.token))
            .await
            .status,
        200
    );
    let res = app
        .get(&format!("/api/v1/rooms/{secret}"), Some(&admin.token))
        .await;
    assert_eq!(res.status, 200);
    assert!(res.data()["my_role"].is_null());
    assert_eq!(
        app.get("/api/v1/rooms?filter=private", Some(&admin.token))
            .await
            .data()["total"],
        1
    );
}

#[rocket::async_test]
async fn list_filters_search_and_pages() {
    let app = TestApp::new().await;
    let me = app.register("myself").await;
    let other = app.register("other").await;
    let general = app.room(&other, "General", true).await;
    app.room(&other, "Random", true).await;
    let mine = app.room(&me, "My Private", false).await;
    app.room(&me, "Dev Talk", true).await;
    let theirs_private = app.room(&other, "Their Private", false).await;
    app.add_member(&other, theirs_private, &me, "member").await;
    app.post(
        &format!("/api/v1/rooms/{general}/join"),
        Some(&me.token),
        json!({}),
    )
    .await
    .succeeded();

    let names = |res: &Resp| -> Vec<String> {
        res.data()["rooms"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let res = app.get("/api/v1/rooms", Some(&me.token)).await;
    assert_eq!(
        names(&res),
        [
            "Dev Talk",
            "General",
            "My Private",
            "Random",
            "Their Private"
        ],
        "sorted by name"
    );
    let res = app
        .get("/api/v1/rooms?filter=public", Some(&me.token))
        .await;
    assert_eq!(names(&res), ["Dev Talk", "General", "Random"]);
    let res = app
        .get("/api/v1/rooms?filter=private", Some(&me.token))
        .await;
    assert_eq!(names(&res), ["My Private", "Their Private"]);
    let res = app
        .get("/api/v1/rooms?filter=joined", Some(&me.token))
        .await;
    assert_eq!(
        names(&res),
        ["Dev Talk", "General", "My Private", "Their Private"]
    );
    let res = app.get("/api/v1/rooms?filter=owned", Some(&me.token)).await;
    assert_eq!(names(&res), ["Dev Talk", "My Private"]);
    let res = app.get("/api/v1/rooms?search=PRIV", Some(&me.token)).await;
    assert_eq!(names(&res), ["My Private", "Their Private"]);
    let res = app.get("/api/v1/rooms?search=%25", Some(&me.token)).await;
    assert_eq!(res.data()["total"], 0, "% is literal");
    // Roles show in the list.
    let res = app
        .get("/api/v1/rooms?filter=owned&search=my", Some(&me.token))
        .await;
    assert_eq!(res.data()["rooms"][0]["my_role"], "owner");
    assert_eq!(res.data()["rooms"][0]["id"], mine);
    // Pagination: limit, offset, page, clamping, has_more.
    let res = app
        .get("/api/v1/rooms?limit=2&offset=0", Some(&me.token))
        .await;
    assert_eq!(names(&res), ["Dev Talk", "General"]);
    assert_eq!(res.data()["has_more"], true);
    assert_eq!(res.data()["total"], 5);
    let res = app
        .get("/api/v1/rooms?limit=2&page=3", Some(&me.token))
        .await;
    assert_eq!(names(&res), ["Their Private"]);
    assert_eq!(res.data()["has_more"], false);
    assert_eq!(
        res.data()["pagination"],
        json!({"page": 3, "limit": 2, "total": 5, "pages": 3})
    );
    let res = app.get("/api/v1/rooms?limit=500", Some(&me.token)).await;
    assert_eq!(res.data()["pagination"]["limit"], 100);
    app.get("/api/v1/rooms?filter=mine", Some(&me.token))
        .await
        .assert_error(400, "VALIDATION_FAILED");
    app.get("/api/v1/rooms?limit=0", Some(&me.token))
        .await
        .assert_error(400, "VALIDATION_FAILED");
    // The platform API alias.
    let res = app.get("/api/chat/rooms", Some(&me.token)).await;
    assert_eq!(res.data()["total"], 5);
}

#[rocket::async_test]
async fn updates_follow_the_roles() {
    let app = TestApp::new().await;
    app.register("admin").await;
    let owner = app.register("owner").await;
    let moderator = app.register("moderator").await;
    let member = app.register("member").await;
    let room = app.room(&owner, "Team", true).await;
    app.add_member(&owner, room, &moderator, "moderator").await;
    app.add_member(&owner, room, &member, "member").await;
    let path = format!("/api/v1/rooms/{room}");

    let res = app
        .put(&path, Some(&member.token), json!({"name": "Hijacked"}))
        .await;
    res.assert_error(403, "PERMISSION_DENIED");
    let res = app
        .put(
            &path,
            Some(&moderator.token),
            json!({"name": "Dev Team", "description": "Mise à jour"}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.raw);
    assert_eq!(res.data()["name"], "Dev Team");
    for body in [
        json!({"is_public": false}),
        json!({"max_members": 10}),
        json!({"max_members": null}),
    ] {
        let res = app.put(&path, Some(&moderator.token), body).await;
        res.assert_error(403, "PERMISSION_DENIED");
    }
    let res = app
        .put(
            &path,
            Some(&owner.token),
            json!({"is_public": false, "max_members": 3}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.raw);
    assert_eq!(res.data()["is_private"], true);
    assert_eq!(res.data()["max_members"], 3);
    let res = app
        .put(&path, Some(&owner.token), json!({"max_members": 2}))
        .await;
    res.assert_error(409, "RESOURCE_CONFLICT");
    assert_eq!(res.body["error"]["details"]["field"], "max_members");
    let res = app
        .put(
            &path,
            Some(&owner.token),
            json!({"description": null, "max_members": null}),
        )
        .await;
    assert!(res.data()["description"].is_null());
    assert!(res.data()["max_members"].is_null());
    // Nothing refused changed the room.
    let res = app.get(&path, Some(&member.token)).await;
    assert_eq!(res.data()["name"], "Dev Team");
    assert_eq!(res.data()["is_public"], false);
    let res = app.put(&path, Some(&owner.token), json!({"name": 5})).await;
    res.assert_error(422, "VALIDATION_FAILED");
    app.put("/api/v1/rooms/abc", Some(&owner.token), json!({}))
        .await
        .assert_error(422, "VALIDATION_FAILED");
    app.put("/api/v1/rooms/424242", Some(&owner.token), json!({}))
        .await
        .assert_error(404, "ROOM_NOT_FOUND");
}

#[rocket::async_test]
async fn only_the_owner_or_an_admin_deletes() {
    let app = TestApp::new().await;
    let admin = app.register("admin").await;
    let owner = app.register("owner").await;
    let moderator = app.register("moderator").await;
    let room = app.room(&owner, "Doomed", true).await;
    app.add_member(&owner, room, &moderator, "moderator").await;
    app.send(&owner, room, "hello").await;
    let path = format!("/api/v1/rooms/{room}");
    app.delete(&path, Some(&moderator.token))
        .await
        .assert_error(403, "PERMISSION_DENIED");
    let res = app.delete(&path, Some(&owner.token)).await;
    assert_eq!(res.status, 204);
    app.get(&path, Some(&owner.token))
        .await
        .assert_error(404, "ROOM_NOT_FOUND");
    assert_eq!(app.member_rows(room), 0);
    let messages: i64 = app
        .db()
        .query_row("SELECT count(*) FROM messages", [], |r| r.get(0))
        .unwrap();
    assert_eq!(messages, 0);
    let other = app.room(&owner, "Another", false).await;
    assert_eq!(
        app.delete(&format!("/api/v1/rooms/{other}"), Some(&admin.token))
            .await
            .status,
        204
    );
}

#[rocket::async_test]
async fn join_leave_and_member_counts_stay_true() {
    let app = TestApp::new().await;
    let owner = app.register("owner").await;
    let users = [
        app.register("user1").await,
        app.register("user2").await,
        app.register("user3").await,
    ];
    let room = app.room(&owner, "Lobby", true).await;
    let count = |res: &Resp| res.data()["member_count"].as_i64().unwrap();
    for (i, u) in users.iter().enumerate() {
        let res = app
            .post(
                &format!("/api/v1/rooms/{room}/join"),
                Some(&u.token),
                json!({}),
            )
            .await;
        assert_eq!(res.status, 200, "{}", res.raw);
        assert_eq!(res.data()["my_role"], "member");
        assert_eq!(count(&res), i as i64 + 2);
    }
    // Joining twice changes nothing.
    let res = app
        .post(
            &format!("/api/v1/rooms/{room}/join"),
            Some(&users[0].token),
            json!({}),
        )
        .await;
    assert_eq!(count(&res), 4);
    let res = app
        .call(
            Method::Post,
            &format!("/api/v1/rooms/{room}/leave"),
            Some(&users[1].token),
            None,
        )
        .await;
    assert_eq!(res.status, 204);
    let res = app
        .get(&format!("/api/v1/rooms/{room}"), Some(&users[1].token))
        .await;
    assert_eq!(count(&res), 3);
    assert!(res.data()["my_role"].is_null());
    assert_eq!(app.member_rows(room), 3);
    // Removal by a moderator, then a list read: the same number everywhere.
    let res = app
        .delete(
            &format!("/api/v1/rooms/{room}/members/{}", users[2].id),
            Some(&owner.token),
        )
        .await;
    assert_eq!(res.status, 204);
    let list = app
        .get("/api/v1/rooms?filter=owned", Some(&owner.token))
        .await;
    assert_eq!(list.data()["rooms"][0]["member_count"], 2);
    let members = app
        .get(&format!("/api/v1/rooms/{room}/members"), Some(&owner.token))
        .await;
    assert_eq!(members.data()["total"], 2);
    assert_eq!(app.member_rows(room), 2);
    // The owner cannot leave without handing over the room.
    let res = app
        .call(
            Method::Post,
            &format!("/api/v1/rooms/{room}/leave"),
            Some(&owner.token),
            None,
        )
        .await;
    res.assert_error(409, "RESOURCE_CONFLICT");
    // Private rooms cannot be joined by outsiders: they do not exist for them.
    let private = app.room(&owner, "Private", false).await;
    let res = app
        .post(
            &format!("/api/v1/rooms/{private}/join"),
            Some(&users[0].token),
            json!({}),
        )
        .await;
    res.assert_error(404, "ROOM_NOT_FOUND");
    assert_eq!(app.member_rows(private), 1);
}

#[rocket::async_test]
async fn a_full_room_refuses_newcomers() {
    let app = TestApp::new().await;
    let owner = app.register("owner").await;
    let a = app.register("aa1").await;
    let b = app.register("bb2").await;
    let res = app
        .post(
            "/api/v1/rooms",
            Some(&owner.token),
            json!({"name": "Tiny", "max_members": 2}),
        )
        .await;
    let room = res.data()["id"].as_i64().unwrap();
    assert_eq!(
        app.post(
            &format!("/api/v1/rooms/{room}/join"),
            Some(&a.token),
            json!({})
        )
        .await
        .status,
        200
    );
    let res = app
        .post(
            &format!("/api/v1/rooms/{room}/join"),
            Some(&b.token),
            json!({}),
        )
        .await;
    res.assert_error(409, "ROOM_FULL");
    let res = app
        .post(
            &format!("/api/v1/rooms/{room}/members"),
            Some(&owner.token),
            json!({"user_id": b.id}),
        )
        .await;
    res.assert_error(409, "ROOM_FULL");
    assert_eq!(app.member_rows(room), 2);
}

#[rocket::async_test]
async fn concurrent_joins_never_overfill_a_room() {
    let app = TestApp::new().await;
    let owner = app.register("owner").await;
    let mut users = Vec::new();
    for i in 0..8 {
        users.push(app.register(&format!("joiner{i}")).await);
    }
    let res = app
        .post(
            "/api/v1/rooms",
            Some(&owner.token),
            json!({"name": "Cap", "max_members": 5}),
        )
        .await;
    let room = res.data()["id"].as_i64().unwrap();
    let path = format!("/api/v1/rooms/{room}/join");
    let joins = users
        .iter()
        .map(|u| app.post(&path, Some(&u.token), json!({})));
    let results = rocket::futures::future::join_all(joins).await;
    assert_eq!(results.iter().filter(|r| r.status == 200).count(), 4);
    assert_eq!(
        results.iter().filter(|r| r.code() == "ROOM_FULL").count(),
        4
    );
    assert_eq!(app.member_rows(room), 5);
}

/// The check (seats left) and the change (a member row) in one write: a hundred
/// joins at once to ten seats admit ten, on SQLite and on PostgreSQL.
#[rocket::async_test]
async fn a_hundred_joins_at_once_to_ten_seats_admit_ten() {
    let app = TestApp::new().await;
    let owner = app.register("owner").await;
    let res = app
        .post(
            "/api/v1/rooms",
            Some(&owner.token),
            json!({"name": "Ten seats", "max_members": 10}),
        )
        .await;
    let room = res.data()["id"].as_i64().unwrap();
    let mut users = Vec::new();
    for i in 0..100 {
        users.push(app.register(&format!("crowd{i}")).await);
    }
    let path = format!("/api/v1/rooms/{room}/join");
    let joins = users
        .iter()
        .map(|u| app.post(&path, Some(&u.token), json!({})));
    let results = rocket::futures::future::join_all(joins).await;
    assert_eq!(results.iter().filter(|r| r.status == 200).count(), 9);
    assert_eq!(
        results.iter().filter(|r| r.code() == "ROOM_FULL").count(),
        91
    );
    assert_eq!(app.member_rows(room), 10);
}

#[rocket::async_test]
async fn unread_counts_follow_read_markers() {
    let app = TestApp::new().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let room = app.room(&alice, "Chat", true).await;
    app.send(&alice, room, "before bob joins").await;
    app.post(
        &format!("/api/v1/rooms/{room}/join"),
        Some(&bob.token),
        json!({}),
    )
    .await
    .succeeded();
    async fn unread_of(app: &TestApp, room: i64, user: &TestUser) -> i64 {
        let res = app
            .get(&format!("/api/v1/rooms/{room}"), Some(&user.token))
            .await;
        res.data()["unread_count"].as_i64().unwrap()
    }
    assert_eq!(
        unread_of(&app, room, &bob).await,
        0,
        "history before joining is not unread"
    );
    let m1 = app.send(&alice, room, "m1").await;
    let _m2 = app.send(&alice, room, "m2").await;
    let m3 = app.send(&alice, room, "m3").await;
    app.send(&bob, room, "mine").await;
    assert_eq!(
        unread_of(&app, room, &bob).await,
        3,
        "own messages do not count"
    );
    assert_eq!(unread_of(&app, room, &alice).await, 1);
    // The list shows the same count.
    let list = app
        .get("/api/v1/rooms?filter=joined", Some(&bob.token))
        .await;
    assert_eq!(list.data()["rooms"][0]["unread_count"], 3);
    // Deleted messages leave the count.
    app.delete(&format!("/api/v1/messages/{m3}"), Some(&alice.token))
        .await
        .succeeded();
    assert_eq!(unread_of(&app, room, &bob).await, 2);
    // Mark read up to m1, then to the latest.
    let read = format!("/api/v1/rooms/{room}/read");
    let res = app
        .post(&read, Some(&bob.token), json!({"message_id": m1}))
        .await;
    assert_eq!(res.status, 200, "{}", res.raw);
    assert_eq!(
        res.data(),
        &json!({"last_read_message_id": m1, "unread_count": 1})
    );
    let res = app.call(Method::Post, &read, Some(&bob.token), None).await;
    assert_eq!(res.data()["unread_count"], 0);
    assert_eq!(unread_of(&app, room, &bob).await, 0);
    // last_activity is the latest live message's time.
    let res = app
        .get(&format!("/api/v1/rooms/{room}"), Some(&bob.token))
        .await;
    let newest: String = app.db().query_row(
        "SELECT created_at FROM messages WHERE room_id = ?1 AND deleted_at IS NULL ORDER BY id DESC LIMIT 1",
        [room], |r| r.get(0)).unwrap();
    assert_eq!(res.data()["last_activity"], newest.as_str());
    // Bad markers: a deleted message, another room's message, not a member.
    let res = app
        .post(&read, Some(&bob.token), json!({"message_id": m3}))
        .await;
    res.assert_error(404, "MESSAGE_NOT_FOUND");
    let elsewhere = app.room(&alice, "Elsewhere", true).await;
    let foreign = app.send(&alice, elsewhere, "elsewhere").await;
    app.post(&read, Some(&bob.token), json!({"message_id": foreign}))
        .await
        .assert_error(404, "MESSAGE_NOT_FOUND");
    let carol = app.register("carol").await;
    app.post(&read, Some(&carol.token), json!({}))
        .await
        .assert_error(403, "PERMISSION_DENIED");
    app.post(&read, Some(&bob.token), json!({"message_id": "x"}))
        .await
        .assert_error(422, "VALIDATION_FAILED");
}
