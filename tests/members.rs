//! Members: listing, adding, roles and ownership transfer, removal, and the audit
//! log those actions write.

mod common;

use common::*;
use rocket::http::Method;
use serde_json::json;

struct Cast {
    owner: TestUser,
    moderator: TestUser,
    member: TestUser,
    outsider: TestUser,
    room: i64,
}

/// A room with an owner, a moderator and a member, and an outsider.
async fn cast(app: &TestApp, public: bool) -> Cast {
    // The server's first account is its admin, who acts as owner everywhere: keep
    // it out of the cast so that each role is tested for itself.
    app.register("site_admin").await;
    let owner = app.register("owner").await;
    let moderator = app.register("moderator").await;
    let member = app.register("member").await;
    let outsider = app.register("outsider").await;
    let room = app.room(&owner, "Team", public).await;
    app.add_member(&owner, room, &moderator, "moderator").await;
    app.add_member(&moderator, room, &member, "member").await;
    Cast {
        owner,
        moderator,
        member,
        outsider,
        room,
    }
}

#[rocket::async_test]
async fn list_members_with_roles_as_in_the_seed() {
    let app = TestApp::new().await;
    let c = cast(&app, true).await;
    let res = app
        .get(
            &format!("/api/v1/rooms/{}/members?limit=50&role=all", c.room),
            Some(&c.outsider.token),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.raw);
    let members = res.data()["members"].as_array().unwrap();
    let roles: Vec<&str> = members
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["owner", "moderator", "member"]);
    assert_eq!(members[0]["user_id"], c.owner.id);
    assert_eq!(members[0]["username"], "owner");
    for key in ["joined_at", "is_online", "last_seen"] {
        assert!(members[0].get(key).is_some());
    }
    assert!(
        !res.raw.contains("@example.com"),
        "no e-mails in member lists"
    );
    assert_eq!(res.data()["total"], 3);
    let res = app
        .get(
            &format!("/api/v1/rooms/{}/members?role=moderator", c.room),
            Some(&c.member.token),
        )
        .await;
    assert_eq!(res.data()["total"], 1);
    assert_eq!(res.data()["members"][0]["username"], "moderator");
    let res = app
        .get(
            &format!("/api/v1/rooms/{}/members?limit=1&page=2", c.room),
            Some(&c.member.token),
        )
        .await;
    assert_eq!(res.data()["members"][0]["username"], "moderator");
    assert_eq!(res.data()["has_more"], true);
    let res = app
        .get(
            &format!("/api/v1/rooms/{}/members?role=king", c.room),
            Some(&c.member.token),
        )
        .await;
    res.assert_error(400, "VALIDATION_FAILED");
}

#[rocket::async_test]
async fn private_member_lists_are_hidden() {
    let app = TestApp::new().await;
    let c = cast(&app, false).await;
    let res = app
        .get(
            &format!("/api/v1/rooms/{}/members", c.room),
            Some(&c.outsider.token),
        )
        .await;
    res.assert_error(404, "ROOM_NOT_FOUND");
    assert!(!res.raw.contains("moderator"));
    assert_eq!(
        app.get(
            &format!("/api/v1/rooms/{}/members", c.room),
            Some(&c.member.token)
        )
        .await
        .status,
        200
    );
}

#[rocket::async_test]
async fn adding_members_follows_the_roles() {
    let app = TestApp::new().await;
    let c = cast(&app, false).await;
    let newbie = app.register("newbie").await;
    let path = format!("/api/v1/rooms/{}/members", c.room);
    // A plain member cannot add anyone.
    let res = app
        .post(&path, Some(&c.member.token), json!({"user_id": newbie.id}))
        .await;
    res.assert_error(403, "PERMISSION_DENIED");
    // A moderator adds members but not moderators.
    let res = app
        .post(
            &path,
            Some(&c.moderator.token),
            json!({"user_id": newbie.id, "role": "moderator"}),
        )
        .await;
    res.assert_error(403, "PERMISSION_DENIED");
    let res = app
        .post(&path, Some(&c.moderator.token), json!({"user_id": 789123}))
        .await;
    res.assert_error(404, "USER_NOT_FOUND");
    let res = app
        .post(
            &path,
            Some(&c.moderator.token),
            json!({"user_id": newbie.id, "role": "member"}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.raw);
    assert_eq!(res.data()["user_id"], newbie.id);
    assert_eq!(res.data()["role"], "member");
    let res = app
        .post(
            &path,
            Some(&c.moderator.token),
            json!({"user_id": newbie.id}),
        )
        .await;
    res.assert_error(409, "RESOURCE_CONFLICT");
    // Ownership is never granted by adding.
    let res = app
        .post(
            &path,
            Some(&c.owner.token),
            json!({"user_id": c.outsider.id, "role": "owner"}),
        )
        .await;
    res.assert_error(400, "VALIDATION_FAILED");
    let res = app
        .post(
            &path,
            Some(&c.owner.token),
            json!({"user_id": c.outsider.id, "role": "boss"}),
        )
        .await;
    res.assert_error(400, "VALIDATION_FAILED");
    let res = app
        .post(&path, Some(&c.owner.token), json!({"user_id": "seven"}))
        .await;
    res.assert_error(422, "VALIDATION_FAILED");
    // The owner adds moderators.
    let res = app
        .post(
            &path,
            Some(&c.owner.token),
            json!({"user_id": c.outsider.id, "role": "moderator"}),
        )
        .await;
    assert_eq!(res.status, 201);
    assert_eq!(app.member_rows(c.room), 5);
    // Deactivated users cannot be added.
    let gone = app.register("gone").await;
    app.write_sql(
        "UPDATE users SET is_active = 0 WHERE id = ?1",
        vec![gone.id.into()],
    )
    .await;
    let res = app
        .post(&path, Some(&c.owner.token), json!({"user_id": gone.id}))
        .await;
    res.assert_error(404, "USER_NOT_FOUND");
}

#[rocket::async_test]
async fn adding_oneself_is_joining_a_public_room() {
    let app = TestApp::new().await;
    let c = cast(&app, true).await;
    let path = format!("/api/v1/rooms/{}/members", c.room);
    let res = app
        .post(
            &path,
            Some(&c.outsider.token),
            json!({"user_id": c.outsider.id, "role": "moderator"}),
        )
        .await;
    res.assert_error(403, "PERMISSION_DENIED");
    let res = app
        .post(
            &path,
            Some(&c.outsider.token),
            json!({"user_id": c.outsider.id}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.raw);
    assert_eq!(res.data()["role"], "member");
    let res = app
        .post(
            &path,
            Some(&c.outsider.token),
            json!({"user_id": c.outsider.id}),
        )
        .await;
    res.assert_error(409, "RESOURCE_CONFLICT");
}

#[rocket::async_test]
async fn role_changes_are_for_the_owner() {
    let app = TestApp::new().await;
    let c = cast(&app, true).await;
    let member_path = format!("/api/v1/rooms/{}/members/{}", c.room, c.member.id);
    let res = app
        .put(
            &member_path,
            Some(&c.member.token),
            json!({"role": "moderator"}),
        )
        .await;
    res.assert_error(403, "PERMISSION_DENIED");
    let res = app
        .put(
            &member_path,
            Some(&c.moderator.token),
            json!({"role": "moderator"}),
        )
        .await;
    res.assert_error(403, "PERMISSION_DENIED");
    let res = app
        .put(
            &member_path,
            Some(&c.owner.token),
            json!({"role": "moderator"}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.raw);
    assert_eq!(res.data()["role"], "moderator");
    let res = app
        .put(
            &member_path,
            Some(&c.owner.token),
            json!({"role": "member"}),
        )
        .await;
    assert_eq!(res.data()["role"], "member");
    // Not a member, bad role, the owner's own role.
    let path = format!("/api/v1/rooms/{}/members/{}", c.room, c.outsider.id);
    app.put(&path, Some(&c.owner.token), json!({"role": "moderator"}))
        .await
        .assert_error(404, "NOT_FOUND");
    app.put(&member_path, Some(&c.owner.token), json!({"role": "god"}))
        .await
        .assert_error(400, "VALIDATION_FAILED");
    app.put(&member_path, Some(&c.owner.token), json!({}))
        .await
        .assert_error(422, "VALIDATION_FAILED");
    let own = format!("/api/v1/rooms/{}/members/{}", c.room, c.owner.id);
    app.put(&own, Some(&c.owner.token), json!({"role": "member"}))
        .await
        .assert_error(409, "RESOURCE_CONFLICT");
}

#[rocket::async_test]
async fn ownership_transfer_then_the_old_owner_may_leave() {
    let app = TestApp::new().await;
    let c = cast(&app, true).await;
    let path = format!("/api/v1/rooms/{}/members/{}", c.room, c.member.id);
    let res = app
        .put(&path, Some(&c.owner.token), json!({"role": "owner"}))
        .await;
    assert_eq!(res.status, 200, "{}", res.raw);
    assert_eq!(res.data()["role"], "owner");
    let room = app
        .get(&format!("/api/v1/rooms/{}", c.room), Some(&c.owner.token))
        .await;
    assert_eq!(room.data()["owner_id"], c.member.id);
    assert_eq!(room.data()["my_role"], "moderator");
    let owners: i64 = app
        .db()
        .query_row(
            "SELECT count(*) FROM room_members WHERE room_id = ?1 AND role = 'owner'",
            [c.room],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(owners, 1, "one owner per room");
    // The former owner has lost owner powers and may now leave.
    let res = app
        .delete(&format!("/api/v1/rooms/{}", c.room), Some(&c.owner.token))
        .await;
    res.assert_error(403, "PERMISSION_DENIED");
    let res = app
        .call(
            Method::Post,
            &format!("/api/v1/rooms/{}/leave", c.room),
            Some(&c.owner.token),
            None,
        )
        .await;
    assert_eq!(res.status, 204);
    // A moderator cannot transfer ownership.
    let res = app
        .put(
            &format!("/api/v1/rooms/{}/members/{}", c.room, c.moderator.id),
            Some(&c.moderator.token),
            json!({"role": "owner"}),
        )
        .await;
    res.assert_error(403, "PERMISSION_DENIED");
}

#[rocket::async_test]
async fn removal_follows_the_roles() {
    let app = TestApp::new().await;
    let c = cast(&app, true).await;
    let other = app.register("other").await;
    app.add_member(&c.owner, c.room, &other, "member").await;
    let path = |u: &TestUser| format!("/api/v1/rooms/{}/members/{}", c.room, u.id);
    app.delete(&path(&other), Some(&c.member.token))
        .await
        .assert_error(403, "PERMISSION_DENIED");
    app.delete(&path(&c.moderator), Some(&c.member.token))
        .await
        .assert_error(403, "PERMISSION_DENIED");
    app.delete(&path(&c.owner), Some(&c.moderator.token))
        .await
        .assert_error(403, "PERMISSION_DENIED");
    let second_mod = app.register("second_mod").await;
    app.add_member(&c.owner, c.room, &second_mod, "moderator")
        .await;
    app.delete(&path(&second_mod), Some(&c.moderator.token))
        .await
        .assert_error(403, "PERMISSION_DENIED");
    app.delete(&path(&c.outsider), Some(&c.moderator.token))
        .await
        .assert_error(404, "NOT_FOUND");
    assert_eq!(
        app.delete(&path(&other), Some(&c.moderator.token))
            .await
            .status,
        204
    );
    assert_eq!(
        app.delete(&path(&second_mod), Some(&c.owner.token))
            .await
            .status,
        204
    );
    // Removing oneself is leaving; the owner cannot.
    assert_eq!(
        app.delete(&path(&c.member), Some(&c.member.token))
            .await
            .status,
        204
    );
    app.delete(&path(&c.owner), Some(&c.owner.token))
        .await
        .assert_error(409, "RESOURCE_CONFLICT");
    assert_eq!(app.member_rows(c.room), 2);
}

#[rocket::async_test]
async fn member_actions_write_the_audit_log() {
    let app = TestApp::new().await;
    let c = cast(&app, true).await;
    app.put(
        &format!("/api/v1/rooms/{}/members/{}", c.room, c.member.id),
        Some(&c.owner.token),
        json!({"role": "moderator"}),
    )
    .await
    .succeeded();
    app.put(
        &format!("/api/v1/rooms/{}", c.room),
        Some(&c.moderator.token),
        json!({"name": "Renamed"}),
    )
    .await
    .succeeded();
    app.delete(
        &format!("/api/v1/rooms/{}/members/{}", c.room, c.member.id),
        Some(&c.owner.token),
    )
    .await
    .succeeded();
    app.post(
        &format!("/api/v1/rooms/{}/join", c.room),
        Some(&c.outsider.token),
        json!({}),
    )
    .await
    .succeeded();
    app.call(
        Method::Post,
        &format!("/api/v1/rooms/{}/leave", c.room),
        Some(&c.outsider.token),
        None,
    )
    .await
    .succeeded();

    let audit = format!("/api/v1/rooms/{}/audit", c.room);
    let res = app
        .get(&format!("{audit}?limit=50"), Some(&c.moderator.token))
        .await;
    assert_eq!(res.status, 200, "{}", res.raw);
    let actions: Vec<&str> = res.data()["logs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "member_left",
            "member_joined",
            "member_removed",
            "room_updated",
            "role_changed",
            "member_added",
            "member_added",
            "room_created"
        ],
        "newest first"
    );
    let removed = &res.data()["logs"][2];
    assert_eq!(removed["user_id"], c.member.id);
    assert_eq!(removed["moderator_id"], c.owner.id);
    assert!(removed.get("ip_address").is_some());
    assert!(removed["created_at"].as_str().unwrap().ends_with('Z'));
    let changed = &res.data()["logs"][4];
    assert_eq!(
        changed["details"],
        json!({"from": "member", "to": "moderator"})
    );
    assert_eq!(
        res.data()["logs"][3]["details"]["changes"]["name"],
        "Renamed"
    );
    assert_eq!(res.data()["total"], 8);
    // Filter by action, paginate.
    let res = app
        .get(
            &format!("{audit}?action=member_added"),
            Some(&c.owner.token),
        )
        .await;
    assert_eq!(res.data()["total"], 2);
    let res = app
        .get(&format!("{audit}?limit=3&offset=3"), Some(&c.owner.token))
        .await;
    assert_eq!(res.data()["logs"][0]["action"], "room_updated");
    assert_eq!(res.data()["has_more"], true);
    // Members and outsiders may not read it.
    let member = app.register("plain").await;
    app.post(
        &format!("/api/v1/rooms/{}/join", c.room),
        Some(&member.token),
        json!({}),
    )
    .await
    .succeeded();
    app.get(&audit, Some(&member.token))
        .await
        .assert_error(403, "PERMISSION_DENIED");
    app.get(&audit, Some(&c.outsider.token))
        .await
        .assert_error(403, "PERMISSION_DENIED");
}

#[rocket::async_test]
async fn the_audit_log_records_the_client_address() {
    let app = TestApp::new().await;
    let owner = app.register("owner").await;
    let guest = app.register("guest").await;
    let room = app.room(&owner, "Traced", true).await;
    let mut req = app.client.post(format!("/api/v1/rooms/{room}/members"));
    req.set_remote("192.168.1.100:4321".parse().unwrap());
    req.add_header(rocket::http::Header::new(
        "Authorization",
        format!("Bearer {}", owner.token),
    ));
    let req = req
        .header(rocket::http::ContentType::JSON)
        .body(json!({"user_id": guest.id}).to_string());
    assert_eq!(req.dispatch().await.status().code, 201);
    let res = app
        .get(
            &format!("/api/v1/rooms/{room}/audit?action=member_added"),
            Some(&owner.token),
        )
        .await;
    assert_eq!(res.data()["logs"][0]["ip_address"], "192.168.1.100");
}

#[rocket::async_test]
async fn a_site_admin_acts_as_owner_in_any_room() {
    let app = TestApp::new().await;
    let admin = app.register("site_admin").await;
    let owner = app.register("owner").await;
    let member = app.register("member").await;
    let room = app.room(&owner, "Hidden", false).await;
    app.add_member(&owner, room, &member, "member").await;
    let res = app
        .put(
            &format!("/api/v1/rooms/{room}/members/{}", member.id),
            Some(&admin.token),
            json!({"role": "owner"}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.raw);
    let res = app
        .get(
            &format!("/api/v1/rooms/{room}/audit?action=role_changed"),
            Some(&admin.token),
        )
        .await;
    assert_eq!(
        res.data()["total"],
        2,
        "new owner promoted, old owner demoted"
    );
    assert_eq!(res.data()["logs"][0]["moderator_id"], admin.id);
    let res = app
        .get(&format!("/api/v1/rooms/{room}"), Some(&owner.token))
        .await;
    assert_eq!(res.data()["my_role"], "moderator");
}
