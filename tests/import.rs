//! `veza import` (API §21) against real processes: small exports written by
//! the tests in each source's documented layout, imported into a stopped
//! server's data directory (and through a running server's API), then checked
//! over the API: rooms, members, messages in order with their times, threads,
//! reactions, pins, mentions, files, direct messages kept private, broken
//! entries reported, and a rerun adding nothing.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output};

use common::process::{http, http_as, sigterm, veza, wait_exit, wait_healthy};
use serde_json::{json, Value};

const PASSWORD: &str = "a long password";

struct Instance {
    dir: tempfile::TempDir,
    port: u16,
}

impl Instance {
    fn new() -> Instance {
        Instance {
            dir: tempfile::tempdir().unwrap(),
            port: common::process::free_port(),
        }
    }

    fn start(&self) -> std::process::Child {
        let mut child = veza(self.dir.path(), self.port).spawn().unwrap();
        wait_healthy(self.port, &mut child);
        child
    }

    fn stop(child: std::process::Child) {
        sigterm(&child);
        assert!(wait_exit(child).status.success());
    }

    fn import(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_veza"))
            .current_dir(self.dir.path())
            .envs(
                common::store::database_url(self.dir.path()).map(|url| ("VEZA_DATABASE__URL", url)),
            )
            .arg("import")
            .args(args)
            .output()
            .unwrap()
    }

    fn get(&self, token: &str, path: &str) -> Value {
        let (status, text) = http_as(self.port, "GET", path, Some(token), "").unwrap();
        assert_eq!(status, 200, "{path}: {text}");
        serde_json::from_str::<Value>(&text).unwrap()["data"].clone()
    }

    fn call(&self, token: &str, method: &str, path: &str, body: Value) -> (u16, Value) {
        let (status, text) =
            http_as(self.port, method, path, Some(token), &body.to_string()).unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    fn login(&self, name: &str, password: &str) -> String {
        let body = json!({"username": name, "password": password}).to_string();
        let (status, text) = http(self.port, "POST", "/api/v1/auth/login", &body).unwrap();
        assert_eq!(status, 200, "{text}");
        serde_json::from_str::<Value>(&text).unwrap()["data"]["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// The admin (the first account), registered on a running server.
    fn admin(&self) -> String {
        let body = json!({"username": "admin", "email": "boss@example.com", "password": PASSWORD})
            .to_string();
        let (status, text) = http(self.port, "POST", "/api/v1/auth/register", &body).unwrap();
        assert_eq!(status, 201, "{text}");
        serde_json::from_str::<Value>(&text).unwrap()["data"]["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Lets an imported (deactivated, passwordless) user in, as an admin would.
    fn let_in(&self, admin: &str, username: &str) -> String {
        let users = self.get(admin, &format!("/api/v1/admin/users?q={username}"));
        let id = users["users"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["username"] == username)
            .unwrap_or_else(|| panic!("no {username} in {users}"))["id"]
            .as_i64()
            .unwrap();
        let (status, body) = self.call(
            admin,
            "PUT",
            &format!("/api/v1/admin/users/{id}"),
            json!({"is_active": true}),
        );
        assert_eq!(status, 200, "{body}");
        let (_, link) = self.call(
            admin,
            "POST",
            &format!("/api/v1/admin/users/{id}/password-reset"),
            Value::Null,
        );
        let token = link["data"]["url"]
            .as_str()
            .unwrap()
            .split("#token=")
            .nth(1)
            .unwrap()
            .to_owned();
        let body = json!({"token": token, "new_password": PASSWORD}).to_string();
        let (status, _) = http(
            self.port,
            "POST",
            "/api/v1/auth/password-reset/confirm",
            &body,
        )
        .unwrap();
        assert_eq!(status, 204);
        self.login(username, PASSWORD)
    }
}

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A small Slack export: four people (one matching the admin's e-mail, one
/// deleted), a public and a private channel, a DM and a group DM, a thread, an
/// edit, reactions, a pin, a mention, a file (and one missing), a notice, a
/// message by someone the users list forgot, and a broken day file.
fn slack_export(dir: &Path) {
    write(dir, "users.json", &json!([
        {"id": "U0", "name": "theboss", "profile": {"email": "BOSS@example.com"}},
        {"id": "U1", "name": "ann", "real_name": "Ann Lee", "profile": {"email": "ann@example.com", "first_name": "Ann", "last_name": "Lee"}},
        {"id": "U2", "name": "bob", "deleted": true, "profile": {}},
        {"id": "U3", "name": "cleo", "profile": {"email": "cleo@example.com"}}
    ]).to_string());
    write(
        dir,
        "channels.json",
        &json!([
            {"id": "C1", "name": "general", "creator": "U1", "members": ["U0", "U1", "U2", "U3"],
             "purpose": {"value": "Everything"}, "pins": [{"id": "1704067260.000300", "type": "C"}]}
        ])
        .to_string(),
    );
    write(
        dir,
        "groups.json",
        &json!([
            {"id": "G1", "name": "secret", "creator": "U0", "members": ["U0", "U1"]}
        ])
        .to_string(),
    );
    write(
        dir,
        "dms.json",
        &json!([{"id": "D1", "members": ["U1", "U3"]}]).to_string(),
    );
    write(
        dir,
        "mpims.json",
        &json!([
            {"id": "G2", "name": "mpdm-ann--bob--cleo-1", "members": ["U1", "U2", "U3"]}
        ])
        .to_string(),
    );
    write(dir, "general/2024-01-01.json", &json!([
        {"type": "message", "subtype": "channel_join", "user": "U3", "text": "<@U3> has joined", "ts": "1704067100.000001"},
        {"type": "message", "user": "U1", "text": "hello <@U3>, *bold* &amp; <https://example.com|docs>", "ts": "1704067200.000100",
         "thread_ts": "1704067200.000100", "reply_count": 1,
         "reactions": [{"name": "thumbsup", "users": ["U0", "U3"], "count": 2}],
         "files": [{"id": "F1", "name": "notes.txt"}]},
        {"type": "message", "user": "U2", "text": "a reply from bob", "ts": "1704067230.000200", "thread_ts": "1704067200.000100"},
        {"type": "message", "user": "U3", "text": "fixed typo", "ts": "1704067260.000300", "edited": {"user": "U3", "ts": "1704067300.000000"}},
        {"type": "message", "user": "U1", "text": "see the file", "ts": "1704067290.000400", "files": [{"id": "F2", "name": "gone.pdf"}]},
        {"type": "message", "user": "U9", "text": "someone long gone", "ts": "1704067295.000500"}
    ]).to_string());
    write(
        dir,
        "general/2024-01-02.json",
        "[\n  {\"type\": \"message\",\n   \"user\": }\n]",
    );
    write(dir, "__uploads/F1/notes.txt", "the notes' bytes");
    write(
        dir,
        "secret/2024-01-01.json",
        &json!([
            {"type": "message", "user": "U0", "text": "private plans", "ts": "1704070000.000100"}
        ])
        .to_string(),
    );
    write(
        dir,
        "D1/2024-01-01.json",
        &json!([
            {"type": "message", "user": "U1", "text": "just between us", "ts": "1704070100.000100"}
        ])
        .to_string(),
    );
    write(
        dir,
        "mpdm-ann--bob--cleo-1/2024-01-01.json",
        &json!([
            {"type": "message", "user": "U3", "text": "the three of us", "ts": "1704070200.000100"}
        ])
        .to_string(),
    );
}

fn zip_folder(dir: &Path, to: &Path) {
    let file = std::fs::File::create(to).unwrap();
    let mut zip = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let name = path
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            zip.start_file(name, options).unwrap();
            zip.write_all(&std::fs::read(&path).unwrap()).unwrap();
        }
    }
    zip.finish().unwrap();
}

fn room_id(instance: &Instance, token: &str, name: &str) -> i64 {
    let rooms = instance.get(token, "/api/v1/rooms?filter=joined&limit=100");
    rooms["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("no room {name} in {rooms}"))["id"]
        .as_i64()
        .unwrap()
}

#[test]
fn a_slack_export_comes_in_with_its_history_and_a_rerun_adds_nothing() {
    let export = tempfile::tempdir().unwrap();
    slack_export(export.path());
    let instance = Instance::new();
    let server = instance.start();
    instance.admin();
    Instance::stop(server);

    let out = instance.import(&["slack", export.path().to_str().unwrap()]);
    let report = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{report}");
    assert!(report.contains("1 people matched by e-mail"), "{report}");
    assert!(
        report.contains("general/2024-01-02.json:3"),
        "the broken file and line: {report}"
    );
    assert!(report.contains("gone.pdf"), "the missing file: {report}");

    let server = instance.start();
    let admin = instance.login("admin", PASSWORD);
    let general = room_id(&instance, &admin, "general");
    let page = instance.get(
        &admin,
        &format!("/api/v1/rooms/{general}/messages?limit=50"),
    );
    let messages: Vec<Value> = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .cloned()
        .collect();
    let texts: Vec<&str> = messages
        .iter()
        .map(|m| m["content"].as_str().unwrap())
        .collect();
    assert_eq!(
        texts,
        [
            "hello @cleo, **bold** & [docs](https://example.com)",
            "fixed typo",
            "see the file",
            "someone long gone"
        ],
        "top-level messages in order, the notice left out"
    );
    let first = &messages[0];
    assert_eq!(first["created_at"], "2024-01-01T00:00:00.000Z");
    assert_eq!(first["username"], "ann");
    assert_eq!(first["thread_count"], 1);
    assert_eq!(first["reactions"]["👍"]["count"], 2);
    let cleo_id = first["mentions"][0].as_i64().unwrap();
    assert_eq!(first["mentioned_users"][0]["username"], "cleo");
    let file = &first["attachments"][0];
    assert_eq!(file["original_filename"], "notes.txt");
    let (status, bytes) = http_as(
        instance.port,
        "GET",
        &format!("/api/v1/files/{}/download", file["id"]),
        Some(&admin),
        "",
    )
    .unwrap();
    assert_eq!((status, bytes.as_str()), (200, "the notes' bytes"));
    assert_eq!(messages[1]["is_pinned"], true);
    assert_eq!(messages[1]["is_edited"], true);
    assert_eq!(messages[1]["edited_at"], "2024-01-01T00:01:40.000Z");
    let thread = instance.get(&admin, &format!("/api/v1/messages/{}/thread", first["id"]));
    assert_eq!(thread["messages"][0]["content"], "a reply from bob");
    // The room's members and roles, the admin matched by e-mail.
    let members = instance.get(&admin, &format!("/api/v1/rooms/{general}/members"));
    let owner = members["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["role"] == "owner")
        .unwrap();
    assert_eq!(owner["username"], "ann");
    assert_eq!(members["total"], 4);
    let secret = room_id(&instance, &admin, "secret");
    assert_eq!(
        instance.get(&admin, &format!("/api/v1/rooms/{secret}"))["is_public"],
        false
    );
    // Imported people are deactivated until let in; their DMs stay theirs.
    let users = instance.get(&admin, "/api/v1/admin/users?q=cleo");
    assert_eq!(users["users"][0]["is_active"], false);
    assert_eq!(users["users"][0]["id"], cleo_id);
    let convs = instance.get(&admin, "/api/v1/conversations");
    assert_eq!(convs["conversations"].as_array().unwrap().len(), 0);
    let cleo = instance.let_in(&admin, "cleo");
    let convs = instance.get(&cleo, "/api/v1/conversations");
    let dm = convs["conversations"][0]["id"].as_i64().unwrap();
    let dm_page = instance.get(&cleo, &format!("/api/v1/conversations/{dm}/messages"));
    assert_eq!(dm_page["messages"][0]["content"], "just between us");
    let group = room_id(&instance, &cleo, "mpdm-ann--bob--cleo-1");
    assert_eq!(
        instance.get(&cleo, &format!("/api/v1/rooms/{group}"))["is_public"],
        false
    );
    // History is not unread.
    assert_eq!(
        instance.get(&cleo, &format!("/api/v1/rooms/{general}"))["unread_count"],
        0
    );
    Instance::stop(server);

    // Again: nothing twice.
    let out = instance.import(&["slack", export.path().to_str().unwrap()]);
    let report = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{report}");
    assert!(report.contains(" 0 messages"), "{report}");
    let server = instance.start();
    let admin = instance.login("admin", PASSWORD);
    let page = instance.get(
        &admin,
        &format!("/api/v1/rooms/{general}/messages?limit=50"),
    );
    assert_eq!(page["messages"].as_array().unwrap().len(), 4);
    Instance::stop(server);

    // The same export as a zip, into another server, gives the same rooms.
    let zip = export.path().join("../export.zip");
    zip_folder(export.path(), &zip);
    let other = Instance::new();
    let out = other.import(&["slack", zip.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = String::from_utf8_lossy(&out.stderr);
    assert!(report.contains(" 8 messages"), "{report}");
    let _ = std::fs::remove_file(zip);
}

#[test]
fn the_import_goes_through_a_running_servers_api_with_an_admin_token() {
    let export = tempfile::tempdir().unwrap();
    slack_export(export.path());
    let instance = Instance::new();
    let server = instance.start();
    let admin = instance.admin();
    let (status, made) = instance.call(
        &admin,
        "POST",
        "/api/v1/users/me/tokens",
        json!({"name": "import", "scopes": ["admin"]}),
    );
    assert_eq!(status, 201, "{made}");
    let token = made["data"]["token"].as_str().unwrap().to_owned();
    let url = format!("http://127.0.0.1:{}", instance.port);
    // Without the admin scope the server refuses, and the command says so.
    let (_, read) = instance.call(
        &admin,
        "POST",
        "/api/v1/users/me/tokens",
        json!({"name": "r", "scopes": ["read"]}),
    );
    let read = read["data"]["token"].as_str().unwrap().to_owned();
    let out = instance.import(&[
        "slack",
        export.path().to_str().unwrap(),
        "--url",
        &url,
        "--token",
        &read,
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("403"));

    let out = instance.import(&[
        "slack",
        export.path().to_str().unwrap(),
        "--url",
        &url,
        "--token",
        &token,
    ]);
    let report = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{report}");
    assert!(report.contains(" 8 messages"), "{report}");
    let general = room_id(&instance, &admin, "general");
    let page = instance.get(
        &admin,
        &format!("/api/v1/rooms/{general}/messages?limit=50"),
    );
    assert_eq!(page["messages"].as_array().unwrap().len(), 4);
    let out = instance.import(&[
        "slack",
        export.path().to_str().unwrap(),
        "--url",
        &url,
        "--token",
        &token,
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).contains(" 0 messages"));
    Instance::stop(server);
}

/// A small Mattermost bulk export: a team, a public and a private channel,
/// three users (one matching the admin), posts with a reply, a reaction, a pin
/// and an attachment, a DM and a group DM, and a broken line.
fn mattermost_export(dir: &Path) {
    let lines = [
        json!({"type": "version", "version": 1}),
        json!({"type": "team", "team": {"name": "acme", "display_name": "Acme", "type": "O"}}),
        json!({"type": "channel", "channel": {"team": "acme", "name": "town-square", "display_name": "Town Square", "type": "O", "purpose": "All of us"}}),
        json!({"type": "channel", "channel": {"team": "acme", "name": "ops", "display_name": "Ops", "type": "P"}}),
        json!({"type": "user", "user": {"username": "boss", "email": "boss@example.com", "teams": [{"name": "acme", "channels": [{"name": "town-square", "roles": "channel_user channel_admin"}, {"name": "ops"}]}]}}),
        json!({"type": "user", "user": {"username": "dana", "email": "dana@example.com", "first_name": "Dana", "teams": [{"name": "acme", "channels": [{"name": "town-square"}, {"name": "ops", "roles": "channel_user channel_admin"}]}]}}),
        json!({"type": "user", "user": {"username": "eli", "email": "eli@example.com", "teams": [{"name": "acme", "channels": [{"name": "town-square"}]}]}}),
        json!({"type": "post", "post": {"team": "acme", "channel": "town-square", "user": "dana", "message": "Hi **all**, @eli", "create_at": 1704067200000_i64,
            "is_pinned": true, "reactions": [{"user": "eli", "emoji_name": "tada", "create_at": 1704067300000_i64}],
            "attachments": [{"path": "data/uploads/plan.txt"}],
            "replies": [{"user": "eli", "message": "hello back", "create_at": 1704067260000_i64}]}}),
        json!({"type": "post", "post": {"team": "acme", "channel": "ops", "user": "dana", "message": "ops only", "create_at": 1704067400000_i64, "edit_at": 1704067500000_i64}}),
        json!({"type": "direct_channel", "direct_channel": {"members": ["dana", "eli"]}}),
        json!({"type": "direct_channel", "direct_channel": {"members": ["boss", "dana", "eli"]}}),
        json!({"type": "direct_post", "direct_post": {"channel_members": ["dana", "eli"], "user": "eli", "message": "psst", "create_at": 1704067600000_i64}}),
        json!({"type": "direct_post", "direct_post": {"channel_members": ["boss", "dana", "eli"], "user": "boss", "message": "all three", "create_at": 1704067700000_i64}}),
    ];
    let mut text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    text.push_str("{\"type\": \"post\", \"post\": {\n");
    write(dir, "export.jsonl", &text);
    write(dir, "data/uploads/plan.txt", "the plan");
}

#[test]
fn a_mattermost_export_comes_in_and_a_broken_line_is_named() {
    let export = tempfile::tempdir().unwrap();
    mattermost_export(export.path());
    let instance = Instance::new();
    let server = instance.start();
    instance.admin();
    Instance::stop(server);
    let out = instance.import(&[
        "mattermost",
        export.path().join("export.jsonl").to_str().unwrap(),
    ]);
    let report = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{report}");
    assert!(report.contains("export.jsonl:14"), "{report}");
    assert!(
        report.contains("1 people matched by e-mail, 2 created"),
        "{report}"
    );

    let server = instance.start();
    let admin = instance.login("admin", PASSWORD);
    let town = room_id(&instance, &admin, "Town Square");
    let page = instance.get(&admin, &format!("/api/v1/rooms/{town}/messages"));
    let first = &page["messages"][0];
    assert_eq!(first["content"], "Hi **all**, @eli");
    assert_eq!(first["created_at"], "2024-01-01T00:00:00.000Z");
    assert_eq!(first["is_pinned"], true);
    assert_eq!(first["thread_count"], 1);
    assert_eq!(first["reactions"]["🎉"]["count"], 1);
    assert_eq!(first["mentioned_users"][0]["username"], "eli");
    assert_eq!(first["attachments"][0]["original_filename"], "plan.txt");
    let members = instance.get(&admin, &format!("/api/v1/rooms/{town}/members"));
    assert_eq!(members["total"], 3);
    let ops = room_id(&instance, &admin, "Ops");
    let ops_page = instance.get(&admin, &format!("/api/v1/rooms/{ops}/messages"));
    assert_eq!(ops_page["messages"][0]["is_edited"], true);
    let group = room_id(&instance, &admin, "dm-boss-dana-eli");
    let group_page = instance.get(&admin, &format!("/api/v1/rooms/{group}/messages"));
    assert_eq!(group_page["messages"][0]["content"], "all three");
    let eli = instance.let_in(&admin, "eli");
    let convs = instance.get(&eli, "/api/v1/conversations?include_last_message=true");
    assert_eq!(convs["conversations"][0]["last_message"]["content"], "psst");
    Instance::stop(server);

    let out = instance.import(&["mattermost", export.path().to_str().unwrap()]);
    let report = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{report}");
    assert!(report.contains(" 0 messages"), "{report}");
}

#[test]
fn an_import_refuses_a_running_servers_data_directory_and_bad_arguments() {
    let export = tempfile::tempdir().unwrap();
    slack_export(export.path());
    let instance = Instance::new();
    let server = instance.start();
    let out = instance.import(&["slack", export.path().to_str().unwrap()]);
    assert!(!out.status.success());
    let report = String::from_utf8_lossy(&out.stderr);
    assert!(report.contains("import failed"), "{report}");
    Instance::stop(server);
    for args in [
        &["slack"][..],
        &["teams", "x"][..],
        &["slack", "/nonexistent/export.zip"][..],
    ] {
        let out = instance.import(args);
        assert!(!out.status.success(), "{args:?}");
    }
}
