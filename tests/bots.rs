//! Bots and integrations (API §20): access tokens and their scopes on every
//! route of the API, revocation at once, bots and their owners, and incoming
//! webhooks in Slack's shape.

mod common;

use common::{TestApp, TestUser};
use rocket::http::{ContentType, Header, Method};
use serde_json::{json, Value};

async fn token(app: &TestApp, user: &TestUser, scopes: &[&str]) -> String {
    let res = app
        .post(
            "/api/v1/users/me/tokens",
            Some(&user.token),
            json!({"name": format!("{scopes:?}"), "scopes": scopes}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.raw);
    let token = res.data()["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("vz_") && token.len() >= 3 + 40, "{token}");
    token
}

/// Every operation of the API description that needs a token, with its path's
/// parameters filled in.
async fn operations(app: &TestApp) -> Vec<(String, String, bool)> {
    let doc = app.get("/api/v1/openapi.json", None).await.body;
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if op.get("security") == Some(&json!([])) {
                continue;
            }
            let filled = path
                .replace("{emoji}", "%F0%9F%91%8D")
                .split('/')
                .map(|s| if s.starts_with('{') { "1" } else { s })
                .collect::<Vec<_>>()
                .join("/");
            let multipart = op["requestBody"]["content"]
                .get("multipart/form-data")
                .is_some();
            ops.push((method.to_uppercase(), filled, multipart));
        }
    }
    ops
}

async fn call(app: &TestApp, method: &str, path: &str, token: &str) -> common::Resp {
    let method: Method = method.parse().unwrap();
    let body = (method != Method::Get).then(|| json!({}));
    app.call(method, path, Some(token), body).await
}

#[tokio::test]
async fn a_read_token_is_refused_on_every_write_route_and_a_write_token_on_every_read() {
    let app = TestApp::new().await;
    let admin = app.register("admin").await;
    let room = app.room(&admin, "general", true).await;
    app.send(&admin, room, "hello").await;
    let read = token(&app, &admin, &["read"]).await;
    let write = token(&app, &admin, &["write"]).await;
    let mut writes = 0;
    for (method, path, _) in operations(&app).await {
        if path.starts_with("/metrics") || path.starts_with("/api/v1/ws") {
            continue; // its own token / the WebSocket upgrade
        }
        let (refused_by, allowed_by) = if method == "GET" {
            (&write, &read)
        } else {
            (&read, &write)
        };
        let res = call(&app, &method, &path, refused_by).await;
        assert_eq!(res.status, 403, "{method} {path}: {}", res.raw);
        assert_eq!(
            res.body["error"]["code"], "PERMISSION_DENIED",
            "{method} {path}"
        );
        if method != "GET" {
            writes += 1;
        }
        // With the right scope the route is reached (whatever it then answers),
        // except what only a session may do and the admin routes.
        let session_only = path.contains("/tokens")
            || path.contains("/sessions")
            || path.ends_with("/password")
            || path.contains("/auth/")
            || path.starts_with("/auth")
            || path.contains("/push/")
            || path.contains("/admin/");
        let res = call(&app, &method, &path, allowed_by).await;
        if session_only {
            assert_eq!(res.status, 403, "{method} {path}: {}", res.raw);
        } else {
            assert_ne!(res.status, 401, "{method} {path}: {}", res.raw);
            assert!(
                res.status != 403 || !res.raw.contains("scope"),
                "{method} {path}: {}",
                res.raw
            );
        }
    }
    assert!(writes > 50, "only {writes} write routes found");
    // Reads and writes with a token of both scopes, as a script would (the
    // loop above deleted the first room with the write token).
    let room = app.room(&admin, "scripts", true).await;
    let both = token(&app, &admin, &["read", "write"]).await;
    let sent = app
        .post(
            &format!("/api/v1/rooms/{room}/messages"),
            Some(&both),
            json!({"content": "from a script"}),
        )
        .await;
    assert_eq!(sent.status, 201, "{}", sent.raw);
    assert_eq!(sent.data()["author_kind"], "user");
    let page = app
        .get(&format!("/api/v1/rooms/{room}/messages"), Some(&both))
        .await;
    page.succeeded();
}

#[tokio::test]
async fn tokens_are_revoked_at_once_cannot_mint_tokens_and_admin_is_for_admins() {
    let app = TestApp::new().await;
    let admin = app.register("admin").await;
    let ann = app.register("ann").await;
    let res = app
        .post(
            "/api/v1/users/me/tokens",
            Some(&ann.token),
            json!({"name": "x", "scopes": ["admin"]}),
        )
        .await;
    res.assert_error(403, "PERMISSION_DENIED");
    for (body, field) in [
        (json!({"name": "x", "scopes": []}), "scopes"),
        (json!({"name": "x", "scopes": ["root"]}), "scopes"),
        (json!({"name": "", "scopes": ["read"]}), "name"),
        (
            json!({"name": "x", "scopes": ["read"], "expires_in_days": 0}),
            "expires_in_days",
        ),
    ] {
        let res = app
            .post("/api/v1/users/me/tokens", Some(&ann.token), body)
            .await;
        res.assert_error(400, "VALIDATION_FAILED");
        assert_eq!(res.body["error"]["details"]["field"], field, "{}", res.raw);
    }
    let admin_token = token(&app, &admin, &["read", "admin"]).await;
    app.get("/api/v1/admin/users", Some(&admin_token))
        .await
        .succeeded();

    let t = token(&app, &ann, &["read", "write"]).await;
    app.get("/api/v1/users/me", Some(&t)).await.succeeded();
    // A token cannot make tokens, change the password or log out.
    app.post(
        "/api/v1/users/me/tokens",
        Some(&t),
        json!({"name": "y", "scopes": ["read"]}),
    )
    .await
    .assert_error(403, "PERMISSION_DENIED");
    app.put(
        "/api/v1/users/me/password",
        Some(&t),
        json!({"current_password": common::PASSWORD, "new_password": "another password"}),
    )
    .await
    .assert_error(403, "PERMISSION_DENIED");
    app.post("/api/v1/auth/logout", Some(&t), json!({}))
        .await
        .assert_error(403, "PERMISSION_DENIED");

    // Its use is recorded (in the background, off the request).
    let mut tokens = Vec::new();
    for _ in 0..100 {
        let listed = app.get("/api/v1/users/me/tokens", Some(&ann.token)).await;
        tokens = listed.data()["tokens"].as_array().unwrap().clone();
        if tokens[0]["last_used_at"].is_string() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(tokens.len(), 1);
    assert!(tokens[0].get("token").is_none(), "never shown again");
    assert!(tokens[0]["last_used_at"].is_string(), "{tokens:?}");
    let id = tokens[0]["id"].as_i64().unwrap();
    // Someone else's token id is not found.
    app.delete(&format!("/api/v1/users/me/tokens/{id}"), Some(&admin.token))
        .await
        .assert_error(404, "NOT_FOUND");
    let res = app
        .delete(&format!("/api/v1/users/me/tokens/{id}"), Some(&ann.token))
        .await;
    assert_eq!(res.status, 204);
    app.get("/api/v1/users/me", Some(&t))
        .await
        .assert_error(401, "INVALID_TOKEN");
    // Forged tokens.
    for forged in [
        "vz_",
        "vz_0000000000000000000000000000000000000000",
        "vz_' OR 1=1 --",
    ] {
        app.get("/api/v1/users/me", Some(forged))
            .await
            .assert_error(401, "INVALID_TOKEN");
    }
}

#[tokio::test]
async fn a_bot_posts_with_its_token_never_logs_in_and_stops_with_its_owner() {
    let app = TestApp::new().await;
    let admin = app.register("admin").await;
    let ann = app.register("ann").await;
    app.post(
        "/api/v1/bots",
        Some(&ann.token),
        json!({"username": "ann-bot"}),
    )
    .await
    .assert_error(403, "PERMISSION_DENIED");
    let made = app
        .post(
            "/api/v1/bots",
            Some(&admin.token),
            json!({"username": "ci-bot", "display_name": "CI"}),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.raw);
    assert_eq!(made.data()["is_bot"], true);
    assert_eq!(made.data()["bot_owner_id"], admin.id);
    let bot_id = made.data()["id"].as_i64().unwrap();

    let room = app.room(&admin, "dev", false).await;
    let res = app
        .post(
            &format!("/api/v1/rooms/{room}/members"),
            Some(&admin.token),
            json!({"user_id": bot_id}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.raw);
    let minted = app
        .post(
            &format!("/api/v1/bots/{bot_id}/tokens"),
            Some(&admin.token),
            json!({"name": "ci", "scopes": ["read", "write"]}),
        )
        .await;
    assert_eq!(minted.status, 201, "{}", minted.raw);
    let bot_token = minted.data()["token"].as_str().unwrap().to_owned();
    // Others do not manage the bot.
    app.post(
        &format!("/api/v1/bots/{bot_id}/tokens"),
        Some(&ann.token),
        json!({"name": "x", "scopes": ["read"]}),
    )
    .await
    .assert_error(404, "USER_NOT_FOUND");
    app.post(
        &format!("/api/v1/bots/{bot_id}/tokens"),
        Some(&admin.token),
        json!({"name": "x", "scopes": ["admin"]}),
    )
    .await
    .assert_error(403, "PERMISSION_DENIED");

    let sent = app
        .post(
            &format!("/api/v1/rooms/{room}/messages"),
            Some(&bot_token),
            json!({"content": "build #42 passed"}),
        )
        .await;
    assert_eq!(sent.status, 201, "{}", sent.raw);
    assert_eq!(sent.data()["author_kind"], "bot");
    assert_eq!(sent.data()["username"], "ci-bot");

    // No password opens a bot.
    for password in ["", "!machine", common::PASSWORD] {
        let res = app.login("ci-bot", password).await;
        assert!(res.status == 401 || res.status == 400, "{}", res.raw);
    }
    // Nor can it be made an admin.
    app.put(
        &format!("/api/v1/admin/users/{bot_id}"),
        Some(&admin.token),
        json!({"role": "admin"}),
    )
    .await
    .assert_error(409, "RESOURCE_CONFLICT");

    // ann owns a bot once users may make them; deactivating ann stops it.
    let open = TestApp::with(|c| c.bots.users_may_create = true).await;
    let first = open.register("first").await;
    let bea = open.register("bea").await;
    let bot = open
        .post(
            "/api/v1/bots",
            Some(&bea.token),
            json!({"username": "bea-bot"}),
        )
        .await;
    assert_eq!(bot.status, 201, "{}", bot.raw);
    let bot_id = bot.data()["id"].as_i64().unwrap();
    let bot_token = open
        .post(
            &format!("/api/v1/bots/{bot_id}/tokens"),
            Some(&bea.token),
            json!({"name": "t", "scopes": ["read"]}),
        )
        .await
        .data()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let own_token = token(&open, &bea, &["read"]).await;
    open.get("/api/v1/users/me", Some(&bot_token))
        .await
        .succeeded();
    let listed = open.get("/api/v1/bots", Some(&bea.token)).await;
    assert_eq!(listed.data()["bots"].as_array().unwrap().len(), 1);
    open.deactivate(&first, bea.id).await;
    open.get("/api/v1/users/me", Some(&bot_token))
        .await
        .assert_error(401, "INVALID_TOKEN");
    open.get("/api/v1/users/me", Some(&own_token))
        .await
        .assert_error(401, "INVALID_TOKEN");
}

async fn hook(app: &TestApp, by: &TestUser, room: i64, name: &str) -> (i64, String) {
    let res = app
        .post(
            &format!("/api/v1/rooms/{room}/incoming-webhooks"),
            Some(&by.token),
            json!({"name": name}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.raw);
    let url = res.data()["url"].as_str().unwrap().to_owned();
    let path = url.split_once("8080").map(|(_, p)| p.to_owned()).unwrap();
    (res.data()["id"].as_i64().unwrap(), path)
}

async fn post_raw(
    app: &TestApp,
    path: &str,
    content_type: ContentType,
    body: &str,
) -> common::Resp {
    let res = app
        .client
        .post(path.to_owned())
        .header(content_type)
        .header(Header::new("X-Test", "hook"))
        .body(body)
        .dispatch()
        .await;
    let status = res.status().code;
    let headers = common::header_map(&res);
    let raw = res.into_string().await.unwrap_or_default();
    let body = serde_json::from_str(&raw).unwrap_or(Value::Null);
    common::Resp {
        status,
        headers,
        body,
        raw,
    }
}

#[tokio::test]
async fn an_incoming_webhook_posts_slacks_bodies_as_the_hook() {
    let app = TestApp::new().await;
    let admin = app.register("admin").await;
    let member = app.register("member").await;
    let room = app.room(&admin, "alerts", true).await;
    app.add_member(&admin, room, &member, "member").await;
    app.post(
        &format!("/api/v1/rooms/{room}/incoming-webhooks"),
        Some(&member.token),
        json!({"name": "x"}),
    )
    .await
    .assert_error(403, "PERMISSION_DENIED");
    let (id, path) = hook(&app, &admin, room, "Monitoring").await;
    // A hook's account is nobody to write to: people search leaves it out.
    let found = app
        .get("/api/v1/users/search?q=monitoring", Some(&member.token))
        .await;
    assert_eq!(found.data()["total"], 0, "{}", found.raw);
    assert!(
        path.starts_with("/hooks/") && path.len() >= "/hooks/".len() + 40,
        "{path}"
    );

    let slack = json!({
        "text": "Disk <https://grafana.example.com/d/1|almost full> on db-1",
        "username": "Grafana", "icon_url": "https://grafana.example.com/icon.png",
        "attachments": [{"fallback": "92% used", "title": "db-1"}]
    });
    let res = post_raw(&app, &path, ContentType::JSON, &slack.to_string()).await;
    assert_eq!(res.status, 200, "{}", res.raw);
    let message = res.data().clone();
    assert_eq!(message["author_kind"], "hook");
    assert_eq!(
        message["content"],
        "Disk [almost full](https://grafana.example.com/d/1) on db-1\n\n**db-1**\n92% used"
    );
    assert_eq!(message["metadata"]["hook"]["username"], "Grafana");
    assert_eq!(message["metadata"]["hook"]["name"], "Monitoring");
    // Veza's own shape, and Slack's form-encoded one.
    let res = post_raw(
        &app,
        &path,
        ContentType::JSON,
        r#"{"content": "plain **markdown**"}"#,
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.raw);
    let form = format!("payload={}", urlencode(r#"{"text":"from a form"}"#));
    let res = post_raw(&app, &path, ContentType::Form, &form).await;
    assert_eq!(res.status, 200, "{}", res.raw);
    let page = app
        .get(
            &format!("/api/v1/rooms/{room}/messages"),
            Some(&member.token),
        )
        .await;
    let contents: Vec<&str> = page.data()["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap())
        .collect();
    assert_eq!(&contents[..2], ["from a form", "plain **markdown**"]);

    // Wrong shapes, empty texts, too long.
    for (body, status) in [
        (r#"{"text": 5}"#, 422),
        (r#"[1, 2]"#, 422),
        (r#"{"text": "   "}"#, 400),
        (r#"{}"#, 400),
        ("not json", 400),
        (r#"{"text": "x", "icon_url": "javascript:alert(1)"}"#, 400),
    ] {
        let res = post_raw(&app, &path, ContentType::JSON, body).await;
        assert_eq!(res.status, status, "{body}: {}", res.raw);
        assert_eq!(res.body["success"], false);
    }
    let long = json!({"text": "x".repeat(2001)}).to_string();
    let res = post_raw(&app, &path, ContentType::JSON, &long).await;
    res.assert_error(400, "MESSAGE_TOO_LONG");
    let huge = json!({"text": "x".repeat(70_000)}).to_string();
    let res = post_raw(&app, &path, ContentType::JSON, &huge).await;
    res.assert_error(413, "PAYLOAD_TOO_LARGE");

    // A flood: 60 a minute, then 429.
    let mut limited = 0;
    for i in 0..70 {
        let res = post_raw(
            &app,
            &path,
            ContentType::JSON,
            &json!({"text": format!("n{i}")}).to_string(),
        )
        .await;
        if res.status == 429 {
            limited += 1;
            assert_eq!(res.body["error"]["code"], "RATE_LIMIT_EXCEEDED");
            let wait: u64 = res.headers["retry-after"].parse().unwrap();
            assert!((1..=60).contains(&wait), "{wait}");
        }
    }
    assert!(limited >= 10, "{limited} refused");

    // A new secret stops the old URL; deletion stops the new one.
    let rotated = app
        .post(
            &format!("/api/v1/rooms/{room}/incoming-webhooks/{id}/rotate-secret"),
            Some(&admin.token),
            json!({}),
        )
        .await;
    rotated.succeeded();
    let new_path = rotated.data()["url"]
        .as_str()
        .unwrap()
        .split_once("8080")
        .unwrap()
        .1
        .to_owned();
    let res = post_raw(&app, &path, ContentType::JSON, r#"{"text": "old"}"#).await;
    res.assert_error(404, "NOT_FOUND");
    let listed = app
        .get(
            &format!("/api/v1/rooms/{room}/incoming-webhooks"),
            Some(&admin.token),
        )
        .await;
    assert_eq!(
        listed.data()["incoming_webhooks"].as_array().unwrap().len(),
        1
    );
    assert!(listed.raw.find("secret").is_none(), "{}", listed.raw);
    let res = app
        .delete(
            &format!("/api/v1/rooms/{room}/incoming-webhooks/{id}"),
            Some(&admin.token),
        )
        .await;
    assert_eq!(res.status, 204);
    post_raw(&app, &new_path, ContentType::JSON, r#"{"text": "gone"}"#)
        .await
        .assert_error(404, "NOT_FOUND");
    post_raw(
        &app,
        "/hooks/unknown",
        ContentType::JSON,
        r#"{"text": "x"}"#,
    )
    .await
    .assert_error(404, "NOT_FOUND");
    // Its messages stay.
    let page = app
        .get(
            &format!("/api/v1/rooms/{room}/messages?limit=100"),
            Some(&member.token),
        )
        .await;
    assert!(page.raw.contains("from a form"));
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
