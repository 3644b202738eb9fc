//! Invitations (API §17): who may invite to what in each registration mode,
//! the public page of a code, registration with a code (the rooms joined, the
//! uses counted in the same write as the check), revocation at once, and codes
//! that are unknown, used up, revoked or expired.

mod common;

use common::{TestApp, TestUser, PASSWORD};
use serde_json::{json, Value};
use veza::config::Registration;

async fn app_in(mode: Registration) -> TestApp {
    TestApp::with(|c| c.registration = mode).await
}

async fn invite(app: &TestApp, by: &TestUser, body: Value) -> Value {
    let res = app.post("/api/v1/invites", Some(&by.token), body).await;
    assert_eq!(res.status, 201, "{}", res.raw);
    res.data().clone()
}

fn room_ids(res: &common::Resp) -> Vec<i64> {
    let mut ids: Vec<i64> = res.data()["rooms"]
        .as_array()
        .unwrap_or_else(|| panic!("rooms in {}", res.raw))
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    ids.sort_unstable();
    ids
}

async fn register_with(app: &TestApp, name: &str, code: Option<&str>) -> common::Resp {
    app.post(
        "/api/v1/auth/register",
        None,
        json!({"username": name, "email": format!("{name}@example.com"), "password": PASSWORD, "invite_code": code}),
    )
    .await
}

#[tokio::test]
async fn an_invitation_brings_a_colleague_into_its_rooms() {
    let app = app_in(Registration::Invite).await;
    let admin = app.register("admin").await;
    let general = app.room(&admin, "general", true).await;
    let dev = app.room(&admin, "dev", false).await;
    let made = invite(
        &app,
        &admin,
        json!({"room_ids": [general, dev], "max_uses": 10, "expires_in_secs": 604800}),
    )
    .await;
    let code = made["code"].as_str().unwrap();
    assert!(code.len() >= 32, "at least 128 bits: {code}");
    assert_eq!(
        made["url"].as_str().unwrap(),
        format!("http://127.0.0.1:8080/invite/{code}")
    );
    assert_eq!(made["room_ids"], json!([general, dev]));
    assert_eq!(made["uses"], 0);
    assert_eq!(made["max_uses"], 10);

    // The public page, without a token.
    let page = app.get(&format!("/api/v1/invites/{code}"), None).await;
    page.succeeded();
    assert_eq!(page.data()["valid"], true);
    assert_eq!(page.data()["inviter"]["username"], "admin");
    assert_eq!(
        page.data()["rooms"],
        json!([{"id": general, "name": "general"}, {"id": dev, "name": "dev"}])
    );

    // Registration needs the code in `invite` mode.
    let refused = register_with(&app, "eve", None).await;
    refused.assert_error(403, "REGISTRATION_CLOSED");
    let refused = register_with(&app, "eve", Some("not-a-code")).await;
    refused.assert_error(400, "VALIDATION_FAILED");
    assert_eq!(refused.body["error"]["details"]["field"], "invite_code");

    let bea = register_with(&app, "bea", Some(code)).await;
    assert_eq!(bea.status, 201, "{}", bea.raw);
    let bea = common::user_of(&bea);
    let rooms = app
        .get("/api/v1/rooms?filter=joined", Some(&bea.token))
        .await;
    assert_eq!(room_ids(&rooms), vec![general, dev], "{}", rooms.raw);

    let listed = app.get("/api/v1/invites", Some(&admin.token)).await;
    listed.succeeded();
    assert_eq!(listed.data()["total"], 1);
    assert_eq!(listed.data()["invites"][0]["uses"], 1);
    assert!(
        listed.data()["invites"][0].get("code").is_none(),
        "shown once only"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_registrations_on_five_uses_admit_exactly_five() {
    let app = std::sync::Arc::new(app_in(Registration::Invite).await);
    let admin = app.register("admin").await;
    let made = invite(&app, &admin, json!({"max_uses": 5})).await;
    let code = made["code"].as_str().unwrap().to_owned();
    let mut attempts = tokio::task::JoinSet::new();
    for i in 0..20 {
        let (app, code) = (app.clone(), code.clone());
        attempts.spawn(async move {
            register_with(&app, &format!("user{i}"), Some(&code))
                .await
                .status
        });
    }
    let statuses: Vec<u16> = attempts.join_all().await;
    assert_eq!(
        statuses.iter().filter(|&&s| s == 201).count(),
        5,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|&&s| s == 400).count(),
        15,
        "{statuses:?}"
    );
    // Used up: the page says so as a 404.
    app.get(&format!("/api/v1/invites/{code}"), None)
        .await
        .assert_error(404, "NOT_FOUND");
    let users = app.get("/api/v1/admin/users", Some(&admin.token)).await;
    assert_eq!(users.data()["total"], 6);
}

#[tokio::test]
async fn revoked_and_expired_codes_are_404_and_refused_at_once() {
    let app = app_in(Registration::Invite).await;
    let admin = app.register("admin").await;
    let made = invite(&app, &admin, json!({"max_uses": 3})).await;
    let (id, code) = (made["id"].as_i64().unwrap(), made["code"].as_str().unwrap());
    let res = app
        .delete(&format!("/api/v1/invites/{id}"), Some(&admin.token))
        .await;
    assert_eq!(res.status, 204, "{}", res.raw);
    app.get(&format!("/api/v1/invites/{code}"), None)
        .await
        .assert_error(404, "NOT_FOUND");
    register_with(&app, "bea", Some(code))
        .await
        .assert_error(400, "VALIDATION_FAILED");
    app.get(
        "/api/v1/invites/0123456789abcdef0123456789abcdef01234567",
        None,
    )
    .await
    .assert_error(404, "NOT_FOUND");

    // The shortest life an invitation may have is a minute; longer than 30 days
    // and other nonsense are refused with the field named.
    for (body, field) in [
        (
            json!({"expires_in_secs": 30 * 86400 + 1}),
            "expires_in_secs",
        ),
        (json!({"expires_in_secs": 1}), "expires_in_secs"),
        (json!({"max_uses": 0}), "max_uses"),
        (json!({"max_uses": 1001}), "max_uses"),
        (json!({"email": "not an address"}), "email"),
    ] {
        let res = app.post("/api/v1/invites", Some(&admin.token), body).await;
        res.assert_error(400, "VALIDATION_FAILED");
        assert_eq!(res.body["error"]["details"]["field"], field, "{}", res.raw);
    }
    let res = app
        .post(
            "/api/v1/invites",
            Some(&admin.token),
            json!({"room_ids": "all"}),
        )
        .await;
    assert_eq!(res.status, 422, "{}", res.raw);
}

#[tokio::test]
async fn a_moderator_invites_only_to_rooms_they_moderate() {
    let app = app_in(Registration::Invite).await;
    let admin = app.register("admin").await;
    let made = invite(&app, &admin, json!({})).await;
    let mod_user = common::user_of(&register_with(&app, "mia", made["code"].as_str()).await);
    let made = invite(&app, &admin, json!({})).await;
    let plain = common::user_of(&register_with(&app, "pat", made["code"].as_str()).await);

    let contractors = app.room(&admin, "contractors", false).await;
    let secret = app.room(&admin, "secret", false).await;
    let public = app.room(&admin, "lobby", true).await;
    app.add_member(&admin, contractors, &mod_user, "moderator")
        .await;
    app.add_member(&admin, public, &mod_user, "member").await;
    app.add_member(&admin, contractors, &plain, "member").await;

    let made = invite(&app, &mod_user, json!({"room_ids": [contractors]})).await;
    assert_eq!(made["room_ids"], json!([contractors]));
    // A room they only belong to, a private room they cannot see, the server alone.
    app.post(
        "/api/v1/invites",
        Some(&mod_user.token),
        json!({"room_ids": [public]}),
    )
    .await
    .assert_error(403, "PERMISSION_DENIED");
    app.post(
        "/api/v1/invites",
        Some(&mod_user.token),
        json!({"room_ids": [secret]}),
    )
    .await
    .assert_error(404, "ROOM_NOT_FOUND");
    app.post("/api/v1/invites", Some(&mod_user.token), json!({}))
        .await
        .assert_error(403, "PERMISSION_DENIED");
    app.post(
        "/api/v1/invites",
        Some(&plain.token),
        json!({"room_ids": [contractors]}),
    )
    .await
    .assert_error(403, "PERMISSION_DENIED");

    // Each sees their own; the admin sees all; nobody revokes another's.
    let mine = app.get("/api/v1/invites", Some(&mod_user.token)).await;
    assert_eq!(mine.data()["total"], 1);
    let all = app.get("/api/v1/invites", Some(&admin.token)).await;
    assert_eq!(all.data()["total"], 3);
    let first_admin_invite = all.data()["invites"][2]["id"].as_i64().unwrap();
    app.delete(
        &format!("/api/v1/invites/{first_admin_invite}"),
        Some(&mod_user.token),
    )
    .await
    .assert_error(404, "NOT_FOUND");

    // The contractor lands in that room only.
    let kim = register_with(&app, "kim", made["code"].as_str()).await;
    let kim = common::user_of(&kim);
    let rooms = app
        .get("/api/v1/rooms?filter=joined", Some(&kim.token))
        .await;
    assert_eq!(room_ids(&rooms), vec![contractors]);
}

#[tokio::test]
async fn in_closed_mode_only_an_admins_invitations_open_the_door() {
    let app = app_in(Registration::Closed).await;
    let admin = app.register("admin").await;
    register_with(&app, "eve", None)
        .await
        .assert_error(403, "REGISTRATION_CLOSED");
    let made = invite(&app, &admin, json!({"max_uses": 2})).await;
    let mia = common::user_of(&register_with(&app, "mia", made["code"].as_str()).await);
    let room = app.room(&mia, "mine", true).await;
    app.post(
        "/api/v1/invites",
        Some(&mia.token),
        json!({"room_ids": [room]}),
    )
    .await
    .assert_error(403, "PERMISSION_DENIED");
    // The methods route tells a sign-in page what to show.
    let methods = app.get("/api/v1/auth/methods", None).await;
    assert_eq!(methods.data()["registration"], "closed");
    assert_eq!(methods.data()["email"], false);
}

#[tokio::test]
async fn in_open_mode_a_code_is_optional_and_still_joins_its_rooms() {
    let app = app_in(Registration::Open).await;
    let admin = app.register("admin").await;
    let room = app.room(&admin, "private", false).await;
    let made = invite(&app, &admin, json!({"room_ids": [room]})).await;
    app.register("free").await;
    let bea = common::user_of(&register_with(&app, "bea", made["code"].as_str()).await);
    let rooms = app
        .get("/api/v1/rooms?filter=joined", Some(&bea.token))
        .await;
    assert_eq!(room_ids(&rooms), vec![room]);
    // A deleted room leaves the invitation without it.
    let made = invite(&app, &admin, json!({"room_ids": [room], "max_uses": 2})).await;
    let res = app
        .delete(&format!("/api/v1/rooms/{room}"), Some(&admin.token))
        .await;
    assert_eq!(res.status, 204, "{}", res.raw);
    let page = app
        .get(
            &format!("/api/v1/invites/{}", made["code"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(page.data()["rooms"], json!([]));
}

#[tokio::test]
async fn hostile_codes_and_bodies_are_refused_cleanly() {
    let app = app_in(Registration::Invite).await;
    let admin = app.register("admin").await;
    let res = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({"username": "eve", "email": "eve@example.com", "password": PASSWORD, "invite_code": 12}),
        )
        .await;
    assert_eq!(res.status, 422, "{}", res.raw);
    let huge = "a".repeat(10_000);
    register_with(&app, "eve", Some(&huge))
        .await
        .assert_error(400, "VALIDATION_FAILED");
    app.get(&format!("/api/v1/invites/{}", "f".repeat(4000)), None)
        .await
        .assert_error(404, "NOT_FOUND");
    // Revoked by id; ids that are not ids.
    let made = invite(&app, &admin, json!({})).await;
    let other = app
        .delete(
            &format!("/api/v1/invites/{}", made["id"]),
            Some(&admin.token),
        )
        .await;
    assert_eq!(other.status, 204);
    app.delete("/api/v1/invites/999999", Some(&admin.token))
        .await
        .assert_error(404, "NOT_FOUND");
    app.delete("/api/v1/invites/-1", Some(&admin.token))
        .await
        .assert_error(404, "NOT_FOUND");
    let res = app.delete("/api/v1/invites/x", Some(&admin.token)).await;
    assert_eq!(res.status, 422, "{}", res.raw);
    assert_eq!(res.body["error"]["details"]["field"], "id");
    // Without a token nothing but the public page answers.
    app.post("/api/v1/invites", None, json!({}))
        .await
        .assert_error(401, "INVALID_TOKEN");
    app.get("/api/v1/invites", None)
        .await
        .assert_error(401, "INVALID_TOKEN");
}
