//! `veza migrate --to postgres://…`: a SQLite server filled through the API (a row
//! in every table the API can reach) is copied into PostgreSQL; every table's count
//! matches, and the API on PostgreSQL finds the same accounts, sessions, rooms,
//! messages, reactions, files, webhooks and search as before. Needs a PostgreSQL
//! server (`VEZA_TEST_DATABASE_URL`): CI's second pass runs it.

mod common;

use std::process::{Child, Command, Output, Stdio};

use common::process::*;
use common::push_service::PushService;
use common::store::{database_url, on_postgres, Dropped};
use serde_json::{json, Value};

/// Queues that a background task empties in moments; the copy carries whatever
/// they hold, but they may hold nothing when the server stops. Sign-in with an
/// identity provider and imports are copied like the rest (their tables are in
/// `TABLES`) but not filled here.
const MAY_BE_EMPTY: &[&str] = &[
    "thumbnail_jobs",
    "file_removals",
    "push_deliveries",
    "oidc_states",
    "oidc_identities",
    "import_map",
];

struct Api {
    port: u16,
}

impl Api {
    fn call(&self, method: &str, path: &str, token: &str, body: Value) -> Value {
        let body = if body.is_null() {
            String::new()
        } else {
            body.to_string()
        };
        let (status, text) = http_as(self.port, method, path, Some(token), &body).expect("answer");
        assert!(
            (200..300).contains(&status),
            "{method} {path}: {status} {text}"
        );
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    fn anonymous(&self, method: &str, path: &str, body: Value) -> Value {
        let (status, text) = http(self.port, method, path, &body.to_string()).expect("answer");
        assert!(
            (200..300).contains(&status),
            "{method} {path}: {status} {text}"
        );
        serde_json::from_str(&text).unwrap()
    }
}

fn start(cmd: &mut Command, port: u16) -> Child {
    let mut child = cmd
        .env("VEZA_RATE_LIMIT__REQUESTS_PER_HOUR", "1000000")
        .env("VEZA_PUSH__ALLOW_PRIVATE_ENDPOINTS", "true")
        .env("VEZA_WEBHOOKS__ALLOW_PRIVATE_TARGETS", "true")
        .env("VEZA_PUSH__SUBJECT", "mailto:ops@veza.test")
        .env("VEZA_PUBLIC_URL", "http://chat.veza.test")
        .env("VEZA_SMTP__HOST", "127.0.0.1")
        // Nobody listens: the invitation's mail stays queued.
        .env("VEZA_SMTP__PORT", free_port().to_string())
        .env("VEZA_SMTP__TLS", "none")
        .env("VEZA_SMTP__FROM", "Veza <chat@veza.test>")
        .env("VEZA_SMTP__RETRY_INITIAL_DELAY_SECS", "3600")
        .spawn()
        .unwrap();
    wait_healthy(port, &mut child);
    child
}

fn stop(child: Child) {
    sigterm(&child);
    let out: Output = wait_exit(child);
    assert!(out.status.success(), "{out:?}");
}

fn login(api: &Api, name: &str) -> Value {
    api.anonymous(
        "POST",
        "/api/v1/auth/login",
        json!({"username": name, "password": "a long password"}),
    )["data"]
        .clone()
}

/// Fills every table the API reaches; returns what to find again.
fn fill(api: &Api, push: &PushService) -> Value {
    let register = |name: &str| {
        api.anonymous(
            "POST",
            "/api/v1/auth/register",
            json!({"username": name, "email": format!("{name}@example.com"),
                   "password": "a long password"}),
        )["data"]
            .clone()
    };
    let ada = register("ada");
    let bob = register("bob");
    let (a, b) = (
        ada["access_token"].as_str().unwrap().to_owned(),
        bob["access_token"].as_str().unwrap().to_owned(),
    );
    let bob_id = bob["user"]["id"].as_i64().unwrap();
    let room = api.call(
        "POST",
        "/api/v1/rooms",
        &a,
        json!({"name": "general", "is_public": true}),
    )["data"]["id"]
        .as_i64()
        .unwrap();
    api.call(
        "POST",
        &format!("/api/v1/rooms/{room}/join"),
        &b,
        Value::Null,
    );
    api.call(
        "PUT",
        &format!("/api/v1/rooms/{room}/members/{bob_id}"),
        &a,
        json!({"role": "moderator"}),
    );
    let first = api.call(
        "POST",
        &format!("/api/v1/rooms/{room}/messages"),
        &a,
        json!({"content": "the quokka plan, @bob"}),
    )["data"]["id"]
        .as_i64()
        .unwrap();
    api.call(
        "POST",
        &format!("/api/v1/rooms/{room}/messages"),
        &b,
        json!({"content": "a reply", "parent_message_id": first}),
    );
    api.call(
        "PUT",
        &format!("/api/v1/messages/{first}"),
        &a,
        json!({"content": "the quokka plan, edited, @bob"}),
    );
    api.call(
        "POST",
        &format!("/api/v1/messages/{first}/reactions"),
        &b,
        json!({"emoji": "👍"}),
    );
    api.call(
        "POST",
        &format!("/api/v1/messages/{first}/pin"),
        &a,
        Value::Null,
    );
    api.call(
        "POST",
        "/api/v1/conversations",
        &a,
        json!({"user_id": bob_id, "content": "a direct word"}),
    );
    let (status, text) = upload(api.port, &a, "notes.txt", b"some notes").expect("answer");
    assert_eq!(status, 201, "{text}");
    let file: Value = serde_json::from_str(&text).unwrap();
    let file_id = file["data"]["id"].as_i64().unwrap();
    api.call(
        "POST",
        &format!("/api/v1/rooms/{room}/messages"),
        &a,
        json!({"content": "the file", "attachments": [file_id]}),
    );
    // Nobody listens there: deliveries stay pending with their failed attempts.
    api.call(
        "POST",
        "/api/v1/webhooks",
        &a,
        json!({"url": format!("http://127.0.0.1:{}/hook", free_port()),
               "events": ["message.created"], "room_id": room}),
    );
    api.call(
        "POST",
        &format!("/api/v1/rooms/{room}/messages"),
        &a,
        json!({"content": "heard by the webhook"}),
    );
    api.call(
        "POST",
        "/api/v1/streams",
        &a,
        json!({"title": "All hands", "room_id": room}),
    );
    api.call(
        "PUT",
        "/api/v1/users/me/notifications",
        &b,
        json!({"default_level": "all"}),
    );
    let browser = push.browser("bob");
    api.call(
        "POST",
        "/api/v1/push/subscriptions",
        &b,
        push.subscription(&browser),
    );
    api.call(
        "POST",
        "/api/v1/invites",
        &a,
        json!({"room_ids": [room], "email": "carol@example.com"}),
    );
    api.call(
        "POST",
        &format!("/api/v1/admin/users/{bob_id}/password-reset"),
        &a,
        Value::Null,
    );
    api.call(
        "POST",
        "/api/v1/users/me/tokens",
        &a,
        json!({"name": "ci", "scopes": ["read"]}),
    );
    api.call(
        "POST",
        &format!("/api/v1/rooms/{room}/incoming-webhooks"),
        &a,
        json!({"name": "deploys"}),
    );
    let png = common::png(64, 64);
    let avatar = common::multipart(&[common::Part::File("file", "me.png", &png)]);
    let (status, text) = http_raw_multipart(api.port, &a, "/api/v1/users/me/avatar", &avatar);
    assert_eq!(status, 200, "{text}");
    let page = api.call(
        "GET",
        &format!("/api/v1/rooms/{room}/messages"),
        &a,
        Value::Null,
    );
    json!({"room": room, "first": first, "file": file_id, "page": page["data"],
           "ada_refresh": ada["refresh_token"], "bob_token": b})
}

fn http_raw_multipart(port: u16, token: &str, path: &str, body: &[u8]) -> (u16, String) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let head = format!(
        "PUT {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: multipart/form-data; boundary={}\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n",
        common::BOUNDARY,
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let status = answer[9..12].parse().unwrap();
    let body = answer
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_owned();
    (status, body)
}

/// Every copied table's rows, in the store `open` connects to (on a thread of
/// its own: PostgreSQL's client may not block the test's runtime).
fn table_counts(
    open: impl FnOnce() -> veza::sql::Connection + Send + 'static,
) -> Vec<(String, i64)> {
    std::thread::spawn(move || {
        let conn = open();
        veza::ops::migrate::TABLES
            .iter()
            .map(|t| {
                let n: i64 = conn
                    .query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get(0))
                    .unwrap();
                (t.to_string(), n)
            })
            .collect()
    })
    .join()
    .unwrap()
}

#[test]
fn a_server_filled_through_the_api_moves_to_postgresql_whole() {
    if !on_postgres() {
        eprintln!("skipped: needs VEZA_TEST_DATABASE_URL (a PostgreSQL server)");
        return;
    }
    let push = PushService::start("mailto:ops@veza.test");
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let server = start(&mut veza_sqlite(dir.path(), port), port);
    let api = Api { port };
    let before = fill(&api, &push);
    std::thread::sleep(std::time::Duration::from_millis(500));
    stop(server);
    let db = dir.path().join("data/veza.db");
    let counts = {
        let db = db.clone();
        table_counts(move || veza::sql::Connection::open(&db).unwrap())
    };
    for (table, n) in &counts {
        assert!(
            *n > 0 || MAY_BE_EMPTY.contains(&table.as_str()),
            "{table} is empty: fill it through the API"
        );
    }

    // Into an empty database, named after a directory of its own.
    let target_key = tempfile::tempdir().unwrap();
    let url = database_url(target_key.path()).unwrap();
    let _dropped = Dropped::for_dir(target_key.path());
    let out = Command::new(env!("CARGO_BIN_EXE_veza"))
        .current_dir(dir.path())
        .args(["migrate", "--to", &url])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(said.contains("counts checked"), "{said}");
    assert!(said.contains("VEZA_DATABASE__URL"), "{said}");
    let on_postgres = {
        let url = url.clone();
        table_counts(move || veza::sql::Connection::connect(&url).unwrap())
    };
    assert_eq!(on_postgres, counts, "every table's rows");

    // Twice is refused: the target holds users now.
    let again = Command::new(env!("CARGO_BIN_EXE_veza"))
        .current_dir(dir.path())
        .args(["migrate", "--to", &url])
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("empty"));

    // The same data directory on PostgreSQL.
    let port = free_port();
    let mut cmd = veza_sqlite(dir.path(), port);
    cmd.env("VEZA_DATABASE__URL", &url);
    let server = start(&mut cmd, port);
    let api = Api { port };
    let room = before["room"].as_i64().unwrap();
    let ada = login(&api, "ada");
    let a = ada["access_token"].as_str().unwrap();
    let page = api.call(
        "GET",
        &format!("/api/v1/rooms/{room}/messages"),
        a,
        Value::Null,
    );
    assert_eq!(page["data"], before["page"], "the same page, byte for byte");
    // The session made on SQLite goes on: its refresh token and access token work.
    let refreshed = api.anonymous(
        "POST",
        "/api/v1/auth/refresh",
        json!({"refresh_token": before["ada_refresh"]}),
    );
    assert!(refreshed["data"]["access_token"].is_string());
    let bob_token = before["bob_token"].as_str().unwrap();
    api.call("GET", "/api/v1/users/me", bob_token, Value::Null);
    let sessions = api.call("GET", "/api/v1/users/me/sessions", a, Value::Null);
    assert!(
        sessions["data"]["sessions"].as_array().unwrap().len() >= 2,
        "{sessions}"
    );
    // Search, reactions, files and webhooks.
    let found = api.call("GET", "/api/v1/search?q=quokka", a, Value::Null);
    assert_eq!(
        found["data"]["messages"][0]["id"], before["first"],
        "{found}"
    );
    let first = before["first"].as_i64().unwrap();
    let reactions = api.call(
        "GET",
        &format!("/api/v1/messages/{first}/reactions"),
        a,
        Value::Null,
    );
    assert_eq!(reactions["data"]["total_reactions"], 1, "{reactions}");
    let file = before["file"].as_i64().unwrap();
    let (status, bytes) = http_as(
        port,
        "GET",
        &format!("/api/v1/files/{file}/download"),
        Some(a),
        "",
    )
    .expect("answer");
    assert_eq!((status, bytes.as_str()), (200, "some notes"));
    let hooks = api.call("GET", "/api/v1/webhooks", a, Value::Null);
    assert_eq!(
        hooks["data"]["webhooks"].as_array().map(Vec::len),
        Some(1),
        "{hooks}"
    );
    // New rows get new ids past the copied ones.
    let newest = page["data"]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["id"].as_i64())
        .max()
        .unwrap();
    let sent = api.call(
        "POST",
        &format!("/api/v1/rooms/{room}/messages"),
        a,
        json!({"content": "first words on PostgreSQL"}),
    );
    assert!(sent["data"]["id"].as_i64().unwrap() > newest, "{sent}");
    stop(server);
}
