//! A 201 means the message is on disk: `kill -9` the real server while clients
//! send, restart it, and every acknowledged message is there, in a database that
//! passes `PRAGMA integrity_check`.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use common::process::*;
use serde_json::Value;

const SENDERS: usize = 8;
const ROUNDS: usize = 3;

fn json_of(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or(Value::Null)
}

/// The server, with a rate limit high enough not to slow the senders.
fn start(dir: &std::path::Path, port: u16) -> std::process::Child {
    veza(dir, port)
        .env("VEZA_RATE_LIMIT__REQUESTS_PER_HOUR", "100000000")
        .spawn()
        .unwrap()
}

fn kill_9(child: &mut std::process::Child) {
    child.kill().expect("SIGKILL"); // Child::kill sends SIGKILL on Unix
    child.wait().expect("reaped");
}

#[test]
fn acknowledged_messages_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut port = free_port();
    let mut server = start(dir.path(), port);
    wait_healthy(port, &mut server);
    let (status, body) = http(
        port,
        "POST",
        "/api/v1/auth/register",
        r#"{"username":"writer","email":"w@example.com","password":"durable password"}"#,
    )
    .unwrap();
    assert_eq!(status, 201, "{body}");
    let token = json_of(&body)["data"]["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, body) = http_as(
        port,
        "POST",
        "/api/v1/rooms",
        Some(&token),
        r#"{"name":"durable"}"#,
    )
    .unwrap();
    assert_eq!(status, 201, "{body}");
    let room = json_of(&body)["data"]["id"].as_i64().unwrap();

    let acknowledged: Arc<Mutex<Vec<i64>>> = Arc::default();
    for round in 0..ROUNDS {
        let stop = Arc::new(AtomicBool::new(false));
        let senders: Vec<_> = (0..SENDERS)
            .map(|s| {
                let (stop, acked, token) = (stop.clone(), acknowledged.clone(), token.clone());
                std::thread::spawn(move || {
                    let mut n = 0;
                    while !stop.load(Ordering::Relaxed) {
                        let body =
                            format!(r#"{{"content":"round {round} sender {s} message {n}"}}"#);
                        let path = format!("/api/v1/rooms/{room}/messages");
                        // Anything but a 201 (refused, or cut off by the kill) is not
                        // acknowledged, and need not survive.
                        if let Some((201, answer)) =
                            http_as(port, "POST", &path, Some(&token), &body)
                        {
                            let id = json_of(&answer)["data"]["id"].as_i64().expect("id");
                            acked.lock().unwrap().push(id);
                        }
                        n += 1;
                    }
                })
            })
            .collect();
        // Let the senders run for a while that differs from round to round.
        let jitter = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .subsec_millis()
            % 400;
        std::thread::sleep(Duration::from_millis(300 + jitter as u64));
        kill_9(&mut server);
        stop.store(true, Ordering::Relaxed);
        senders.into_iter().for_each(|t| t.join().unwrap());

        // Straight after the crash, before any restart: the file itself holds them.
        let acked = acknowledged.lock().unwrap().clone();
        assert!(
            acked.len() > 20 * (round + 1),
            "round {round}: too few sends to mean anything"
        );
        let url = common::store::database_url(dir.path());
        let file = data.join("veza.db");
        let ids = serde_json::to_string(&acked).unwrap();
        // On a thread of its own: PostgreSQL's client may not block a runtime.
        let (present, counted, rows) = std::thread::spawn(move || {
            let conn = match &url {
                Some(url) => veza::sql::Connection::connect(url).unwrap(),
                None => {
                    let conn = veza::sql::Connection::open(&file).unwrap();
                    let check: String = conn
                        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
                        .unwrap();
                    assert_eq!(check, "ok");
                    conn
                }
            };
            let listed = conn.dialect().integers_of_json(1);
            let count = |sql: &str, param: &dyn veza::sql::ToSql| -> i64 {
                conn.query_row(sql, [param], |r| r.get(0)).unwrap()
            };
            (
                count(
                    &format!("SELECT count(*) FROM messages WHERE id IN {listed}"),
                    &ids,
                ),
                count("SELECT message_count FROM rooms WHERE id = ?1", &room),
                count("SELECT count(*) FROM messages WHERE room_id = ?1", &room),
            )
        })
        .join()
        .unwrap();
        assert_eq!(
            present as usize,
            acked.len(),
            "round {round}: acknowledged messages lost"
        );
        assert_eq!(
            counted, rows,
            "the kept count matches the rows after a crash"
        );

        // The server starts again on the crashed directory and serves them.
        port = free_port();
        server = start(dir.path(), port);
        wait_healthy(port, &mut server);
        let last = acked.iter().max().unwrap();
        let (status, _) = http_as(
            port,
            "GET",
            &format!("/api/v1/messages/{last}"),
            Some(&token),
            "",
        )
        .unwrap();
        assert_eq!(status, 200);
    }
    sigterm(&server);
    assert_eq!(wait_exit(server).status.code(), Some(0));
}
