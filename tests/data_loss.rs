//! What a lost, damaged or full data directory does, with the real binary: a
//! missing or empty `veza.db` beside uploads refuses to start (uploads are never
//! deleted, only quarantined when a new database is asked for), a damaged file is
//! refused at start and reported by `/health` when found later, and a restore that
//! fails on a full disk leaves the directory as it was.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::process::*;

fn data(dir: &Path) -> PathBuf {
    dir.join("data")
}

/// A server's stderr when its start fails.
fn refused_start(dir: &Path, args: &[&str]) -> String {
    let mut cmd = veza_sqlite(dir, free_port());
    cmd.args(args);
    let out = wait_exit(cmd.spawn().unwrap());
    assert!(!out.status.success(), "the start was not refused");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Starts a server, runs `work` against its port, and stops it cleanly.
fn with_server(dir: &Path, args: &[&str], work: impl FnOnce(u16)) {
    let port = free_port();
    let mut cmd = veza_sqlite(dir, port);
    cmd.args(args);
    let mut child = cmd.spawn().unwrap();
    wait_healthy(port, &mut child);
    work(port);
    sigterm(&child);
    assert!(wait_exit(child).status.success());
}

fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap()
}

/// The regular files under `dir`, recursively.
fn files_in(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_in(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn a_missing_or_empty_database_beside_uploads_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    with_server(dir.path(), &[], |port| {
        let token = register(port, "owner");
        let (status, body) = upload(port, &token, "notes.txt", b"keep me").unwrap();
        assert_eq!(status, 201, "{body}");
    });
    let uploads = files_in(&data(dir.path()).join("files"));
    assert_eq!(uploads.len(), 1, "{uploads:?}");

    for lose in ["remove", "truncate"] {
        for suffix in ["", "-wal", "-shm"] {
            let file = data(dir.path()).join(format!("veza.db{suffix}"));
            match lose {
                "remove" => {
                    let _ = std::fs::remove_file(&file);
                }
                _ if suffix.is_empty() => std::fs::write(&file, b"").unwrap(),
                _ => {}
            }
        }
        let stderr = refused_start(dir.path(), &[]);
        assert!(stderr.contains("missing or empty"), "{lose}: {stderr}");
        assert!(stderr.contains("--new-database"), "{lose}: {stderr}");
        assert_eq!(
            files_in(&data(dir.path()).join("files")),
            uploads,
            "{lose}: the uploads are untouched"
        );
    }

    // Asked for, a new database starts; the uploads no row points to are moved
    // into quarantine, byte for byte, not deleted.
    with_server(dir.path(), &["serve", "--new-database"], |port| {
        let (status, body) = http(
            port,
            "POST",
            "/api/v1/auth/register",
            r#"{"username":"fresh","email":"fresh@example.com","password":"a long password"}"#,
        )
        .unwrap();
        assert_eq!(status, 201, "{body}");
    });
    assert!(files_in(&data(dir.path()).join("files")).is_empty());
    let quarantined = files_in(&data(dir.path()).join("quarantine"));
    assert_eq!(quarantined.len(), 1, "{quarantined:?}");
    assert_eq!(std::fs::read(&quarantined[0]).unwrap(), b"keep me");

    // --new-database is for serve only.
    let out = Command::new(env!("CARGO_BIN_EXE_veza"))
        .current_dir(dir.path())
        .args(["backup", "x.db", "--new-database"])
        .output()
        .unwrap();
    assert!(!out.status.success());
}

#[test]
fn a_new_data_directory_starts_without_being_told() {
    let dir = tempfile::tempdir().unwrap();
    with_server(dir.path(), &[], |port| {
        register(port, "first");
    });
}

/// Overwrites the middle of the database file (its pages of messages) with garbage.
fn damage(db: &Path) {
    use std::io::{Seek, SeekFrom, Write};
    let size = std::fs::metadata(db).unwrap().len();
    let mut file = std::fs::OpenOptions::new().write(true).open(db).unwrap();
    file.seek(SeekFrom::Start(size * 3 / 10 / 4096 * 4096))
        .unwrap();
    file.write_all(&vec![0xA5; (size * 4 / 10) as usize])
        .unwrap();
    file.sync_all().unwrap();
}

/// A server holding enough messages that they fill many pages of the file.
fn server_with_history(dir: &Path) -> i64 {
    let mut room = 0;
    with_server(dir, &[], |port| {
        let token = register(port, "writer");
        let (status, body) = http_as(
            port,
            "POST",
            "/api/v1/rooms",
            Some(&token),
            r#"{"name":"history"}"#,
        )
        .unwrap();
        assert_eq!(status, 201, "{body}");
        room = json(&body)["data"]["id"].as_i64().unwrap();
        for i in 0..400 {
            let content = format!("message {i} {}", "lorem ipsum ".repeat(100));
            let body = serde_json::json!({ "content": content }).to_string();
            let path = format!("/api/v1/rooms/{room}/messages");
            let (status, _) = http_as(port, "POST", &path, Some(&token), &body).unwrap();
            assert_eq!(status, 201);
        }
    });
    room
}

#[test]
fn a_damaged_database_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    server_with_history(dir.path());
    damage(&data(dir.path()).join("veza.db"));
    let stderr = refused_start(dir.path(), &[]);
    assert!(stderr.contains("is damaged"), "{stderr}");
    assert!(stderr.contains("veza restore"), "{stderr}");
}

#[test]
fn damage_found_while_running_makes_health_fail() {
    let dir = tempfile::tempdir().unwrap();
    let room = server_with_history(dir.path());
    let port = free_port();
    let mut child = veza_sqlite(dir.path(), port).spawn().unwrap();
    wait_healthy(port, &mut child);
    let (status, body) = http(
        port,
        "POST",
        "/api/v1/auth/login",
        r#"{"username":"writer","password":"a long password"}"#,
    )
    .unwrap();
    assert_eq!(status, 200, "{body}");
    let token = json(&body)["data"]["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    damage(&data(dir.path()).join("veza.db"));

    // Page back through the history until a read meets the damage.
    let mut before = i64::MAX;
    let mut failed = None;
    for _ in 0..40 {
        let path = format!("/api/v1/rooms/{room}/messages?limit=100&before_id={before}");
        let (status, body) = http_as(port, "GET", &path, Some(&token), "").unwrap();
        if status != 200 {
            failed = Some((status, body));
            break;
        }
        let messages = json(&body)["data"]["messages"].as_array().unwrap().clone();
        let Some(oldest) = messages.iter().filter_map(|m| m["id"].as_i64()).min() else {
            break;
        };
        before = oldest;
    }
    let (status, body) = failed.expect("a read met the damaged pages");
    assert_eq!(status, 500, "{body}");
    assert_eq!(json(&body)["error"]["code"], "INTERNAL_ERROR");
    let (status, body) = http(port, "GET", "/health", "").unwrap();
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("damaged"), "{body}");
    let _ = child.kill();
    let _ = child.wait();
}

/// Runs `script` with `sh` in a private mount namespace where `data(dir)` is a
/// tmpfs of `kib` KiB: a small disk that fills up, without touching the machine's.
fn on_small_disk(dir: &Path, kib: u64, script: &str) -> std::process::Output {
    let data = data(dir);
    std::fs::create_dir_all(&data).unwrap();
    let mount = format!(
        "mount -t tmpfs -o size={kib}k tmpfs '{}' && cd '{}' && {script}",
        data.display(),
        dir.display()
    );
    Command::new("unshare")
        .args(["--user", "--map-root-user", "--mount", "sh", "-c", &mount])
        .env("VEZA", env!("CARGO_BIN_EXE_veza"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("unshare (util-linux) runs")
}

#[test]
fn a_restore_that_fails_on_a_full_disk_leaves_the_directory_as_it_was() {
    // The database in place, and a backup of another server, larger than the
    // room left beside it.
    let old = tempfile::tempdir().unwrap();
    with_server(old.path(), &[], |port| {
        register(port, "before");
    });
    let old_db = std::fs::read(data(old.path()).join("veza.db")).unwrap();
    let other = tempfile::tempdir().unwrap();
    server_with_history(other.path());
    let backup = other.path().join("backup.db");
    std::fs::copy(data(other.path()).join("veza.db"), &backup).unwrap();
    let backup_size = std::fs::metadata(&backup).unwrap().len();
    assert!(backup_size > old_db.len() as u64 + 256 * 1024);

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("old.db"), &old_db).unwrap();
    let after = dir.path().join("after");
    let kib = old_db.len() as u64 / 1024 + 200;
    let script = format!(
        "cp old.db data/veza.db && \"$VEZA\" restore '{}'; echo \"exit=$?\"; \
         mkdir -p '{}' && cp -a data/. '{}'",
        backup.display(),
        after.display(),
        after.display()
    );
    let out = on_small_disk(dir.path(), kib, &script);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stdout.contains("exit=") && !stdout.contains("exit=0"),
        "the restore must fail: {stdout} {stderr}"
    );
    assert!(stderr.contains("cannot copy"), "{stderr}");
    assert_eq!(
        std::fs::read(after.join("veza.db")).unwrap(),
        old_db,
        "the database in place is untouched"
    );
    let names: Vec<String> = std::fs::read_dir(&after)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        !names
            .iter()
            .any(|n| n.contains("restoring") || n.contains("before-restore")),
        "nothing is left behind: {names:?}"
    );
}

#[test]
fn a_full_disk_answers_507_to_writes_while_reads_go_on_and_writes_recover() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(data(dir.path())).unwrap();
    let port = free_port();
    let mount = format!(
        "mount -t tmpfs -o size=3072k tmpfs '{}' && cd '{}' && \
         head -c 1048576 /dev/zero > data/ballast && exec \"$VEZA\"",
        data(dir.path()).display(),
        dir.path().display()
    );
    let mut child = Command::new("unshare")
        .args(["--user", "--map-root-user", "--mount", "sh", "-c", &mount])
        .env("VEZA", env!("CARGO_BIN_EXE_veza"))
        .env("VEZA_PORT", port.to_string())
        .env("VEZA_LOG_LEVEL", "critical")
        .env("VEZA_RATE_LIMIT__REQUESTS_PER_HOUR", "1000000")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("unshare (util-linux) runs");
    wait_healthy(port, &mut child);
    let token = register(port, "filler");
    let (status, body) = http_as(
        port,
        "POST",
        "/api/v1/rooms",
        Some(&token),
        r#"{"name":"full"}"#,
    )
    .unwrap();
    assert_eq!(status, 201, "{body}");
    let room = json(&body)["data"]["id"].as_i64().unwrap();
    let post = |content: &str| {
        let body = serde_json::json!({ "content": content }).to_string();
        let path = format!("/api/v1/rooms/{room}/messages");
        http_as(port, "POST", &path, Some(&token), &body).unwrap()
    };
    assert_eq!(post("before the disk fills").0, 201);

    // Fill the disk with uploads until one is refused for want of space.
    let mut uploaded = Vec::new();
    let refused = loop {
        let (status, body) = upload(port, &token, "blob.bin", &vec![9u8; 256 * 1024]).unwrap();
        match status {
            201 => uploaded.push(json(&body)["data"]["id"].as_i64().unwrap()),
            _ => break (status, body),
        }
        assert!(uploaded.len() < 20, "the disk never filled");
    };
    assert_eq!(refused.0, 507, "{}", refused.1);
    assert_eq!(json(&refused.1)["error"]["code"], "STORAGE_FULL");

    // Writes are refused with 507 (never a 500); reads go on.
    let mut full = 0;
    for i in 0..40 {
        let (status, body) = post(&format!("{i} {}", "words to index ".repeat(130)));
        assert!(status == 201 || status == 507, "{status}: {body}");
        if status == 507 {
            assert_eq!(json(&body)["error"]["code"], "STORAGE_FULL");
            full += 1;
        }
    }
    assert!(full > 0, "no write met the full disk");
    let (status, body) = http(
        port,
        "POST",
        "/api/v1/auth/login",
        r#"{"username":"filler","password":"a long password"}"#,
    )
    .unwrap();
    assert!(status == 200 || status == 507, "{status}: {body}");
    let path = format!("/api/v1/rooms/{room}/messages?limit=5");
    let (status, body) = http_as(port, "GET", &path, Some(&token), "").unwrap();
    assert_eq!(status, 200, "{body}");

    // The operator frees space (seen through the server's own mount namespace):
    // writes work again, deleting an upload included.
    let ballast = format!(
        "/proc/{}/root{}/ballast",
        child.id(),
        data(dir.path()).display()
    );
    std::fs::remove_file(&ballast).expect("the ballast is reachable");
    let (status, body) = post("after space returned");
    assert_eq!(status, 201, "{body}");
    let (status, body) = http_as(
        port,
        "DELETE",
        &format!("/api/v1/files/{}", uploaded[0]),
        Some(&token),
        "",
    )
    .unwrap();
    assert_eq!(status, 204, "{body}");
    let _ = child.kill();
    let _ = child.wait();
}
