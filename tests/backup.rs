//! `veza backup` and `veza restore` (API.md §13) with the real binary: a backup
//! taken while writes go on holds every message acknowledged before it began,
//! restores into a new data directory with its files, and a restore is refused
//! while a server holds the directory.

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use common::process::*;

fn veza_cli(dir: &Path, args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_veza"))
        .current_dir(dir)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    out
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn message_id(body: &str) -> i64 {
    let v: serde_json::Value = serde_json::from_str(body).unwrap();
    v["data"]["id"].as_i64().unwrap()
}

fn count(db: &Path, sql: &str) -> i64 {
    let conn = veza::rusqlite::Connection::open(db).unwrap();
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn a_backup_under_write_load_restores_every_acknowledged_message() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut server = veza_sqlite(dir.path(), port).spawn().unwrap();
    wait_healthy(port, &mut server);
    let token = register(port, "ada");
    let (status, body) = http_as(
        port,
        "POST",
        "/api/v1/rooms",
        Some(&token),
        r#"{"name":"general"}"#,
    )
    .unwrap();
    assert_eq!(status, 201, "{body}");
    let room = message_id(&body);
    let bytes: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let (status, body) = upload(port, &token, "data.bin", &bytes).unwrap();
    assert_eq!(status, 201, "{body}");
    let file_id = {
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        v["data"]["file_id"].as_i64().unwrap()
    };

    // Two writers send messages without pause, recording what was acknowledged.
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..2)
        .map(|w| {
            let (acknowledged, stop, token) = (acknowledged.clone(), stop.clone(), token.clone());
            std::thread::spawn(move || {
                let path = format!("/api/v1/rooms/{room}/messages");
                let mut n = 0;
                while !stop.load(Ordering::SeqCst) {
                    n += 1;
                    let body = format!(r#"{{"content":"writer {w} message {n}"}}"#);
                    if let Some((201, answer)) = http_as(port, "POST", &path, Some(&token), &body) {
                        acknowledged.lock().unwrap().push(message_id(&answer));
                    }
                }
            })
        })
        .collect();
    while acknowledged.lock().unwrap().len() < 200 {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let before: Vec<i64> = acknowledged.lock().unwrap().clone();
    let out = veza_cli(
        dir.path(),
        &["backup", "backup.db", "--files", "backup-files"],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("backup written to backup.db"),
        "{}",
        text(&out)
    );
    let during = acknowledged.lock().unwrap().len();
    std::thread::sleep(std::time::Duration::from_millis(200));
    stop.store(true, Ordering::SeqCst);
    for writer in writers {
        writer.join().unwrap();
    }
    let after = acknowledged.lock().unwrap().len();
    assert!(after > during, "writes went on during and after the backup");

    // The files alone, into a new directory: the same bytes as with the database.
    let out = veza_cli(dir.path(), &["backup", "--files", "files-only"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("1 copied"), "{}", text(&out));
    let out = veza_cli(dir.path(), &["backup", "--files", "files-only"]);
    assert!(
        text(&out).contains("0 copied, 1 already there"),
        "{}",
        text(&out)
    );

    // The same name again is refused: a backup never overwrites.
    let out = veza_cli(dir.path(), &["backup", "backup.db"]);
    assert!(!out.status.success());
    assert!(text(&out).contains("exists already"), "{}", text(&out));
    // Restoring over the running server's directory is refused, and changes nothing.
    let out = veza_cli(dir.path(), &["restore", "backup.db"]);
    assert!(!out.status.success());
    assert!(text(&out).contains("in use"), "{}", text(&out));
    assert_eq!(http(port, "GET", "/health", "").unwrap().0, 200);
    sigterm(&server);
    assert_eq!(wait_exit(server).status.code(), Some(0));
    let total = count(
        &dir.path().join("data/veza.db"),
        "SELECT COUNT(*) FROM messages",
    );
    assert_eq!(total as usize, after, "the server kept every message");

    // Restore into a new data directory and serve it.
    let restored = tempfile::tempdir().unwrap();
    let backup = dir.path().join("backup.db");
    let files = dir.path().join("backup-files");
    let out = veza_cli(
        restored.path(),
        &[
            "restore",
            backup.to_str().unwrap(),
            "--files",
            files.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let db = restored.path().join("data/veza.db");
    let conn = veza::rusqlite::Connection::open(&db).unwrap();
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
    let mut present = conn
        .prepare("SELECT EXISTS (SELECT 1 FROM messages WHERE id = ?1)")
        .unwrap();
    for id in &before {
        let found: bool = present.query_row([id], |r| r.get(0)).unwrap();
        assert!(
            found,
            "message {id}, acknowledged before the backup, is missing"
        );
    }
    drop(present);
    drop(conn);

    let port = free_port();
    let mut server = veza_sqlite(restored.path(), port).spawn().unwrap();
    wait_healthy(port, &mut server);
    let (status, body) = http(
        port,
        "POST",
        "/api/v1/auth/login",
        r#"{"username":"ada","password":"a long password"}"#,
    )
    .unwrap();
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let token = v["data"]["access_token"].as_str().unwrap().to_owned();
    let last = before.last().unwrap();
    let (status, body) = http_as(
        port,
        "GET",
        &format!("/api/v1/messages/{last}"),
        Some(&token),
        "",
    )
    .unwrap();
    assert_eq!(status, 200, "{body}");
    let (status, _) = http_as(
        port,
        "HEAD",
        &format!("/api/v1/files/{file_id}/download"),
        Some(&token),
        "",
    )
    .unwrap();
    assert_eq!(status, 200);
    let stored = std::fs::read_dir(restored.path().join("data/files"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().len() == 2)
        .flat_map(|shard| std::fs::read_dir(shard.path()).unwrap().flatten())
        .map(|e| std::fs::read(e.path()).unwrap())
        .find(|content| content.len() == bytes.len())
        .expect("the file's bytes were restored");
    assert_eq!(stored, bytes);
    sigterm(&server);
    assert_eq!(wait_exit(server).status.code(), Some(0));

    // A second restore keeps the database it replaces beside it.
    let out = veza_cli(restored.path(), &["restore", backup.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("before-restore-"), "{}", text(&out));
}

#[test]
fn a_damaged_or_missing_backup_is_refused_before_anything_changes() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("junk.db"), b"this is not a database").unwrap();
    let out = veza_cli(dir.path(), &["restore", "junk.db"]);
    assert!(!out.status.success());
    assert!(text(&out).contains("restore refused"), "{}", text(&out));
    assert!(!dir.path().join("data/veza.db").exists());
    let out = veza_cli(dir.path(), &["restore", "nothing.db"]);
    assert!(
        text(&out).contains("there is no backup at nothing.db"),
        "{}",
        text(&out)
    );
    let out = veza_cli(dir.path(), &["backup", "b.db"]);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("there is no database"),
        "{}",
        text(&out)
    );
    let out = veza_cli(dir.path(), &["backup"]);
    assert!(text(&out).contains("backup needs a PATH"), "{}", text(&out));
    let out = veza_cli(dir.path(), &["backup", "--files", "only-files"]);
    assert!(
        text(&out).contains("there is no database"),
        "{}",
        text(&out)
    );
}
