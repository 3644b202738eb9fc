//! Webhooks against real processes: the seed's Node.js handler accepting every
//! delivery, and pending deliveries surviving a restart of Veza.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::process::*;
use common::receiver::{Answer, Receiver};
use common::TestApp;
use serde_json::{json, Value};

/// The seed's handler, run by Node.js; each request's verdict as a JSON line.
struct NodeReceiver {
    port: u16,
    verdicts: Arc<Mutex<Vec<Value>>>,
    child: std::process::Child,
}

impl NodeReceiver {
    fn start(secret: &str) -> NodeReceiver {
        let mut child = Command::new("node")
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/webhook_receiver.js"
            ))
            .env("WEBHOOK_SECRET", secret)
            .stdout(Stdio::piped())
            .spawn()
            .expect("node (Node.js) must be installed to run the seed's webhook handler");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first: Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
        let port = first["port"].as_u64().unwrap() as u16;
        let verdicts = Arc::new(Mutex::new(Vec::new()));
        let collected = verdicts.clone();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                if let Ok(v) = serde_json::from_str(&line) {
                    collected.lock().unwrap().push(v);
                }
            }
        });
        NodeReceiver {
            port,
            verdicts,
            child,
        }
    }

    async fn wait_for(&self, n: usize) -> Vec<Value> {
        let started = Instant::now();
        loop {
            let verdicts = self.verdicts.lock().unwrap().clone();
            if verdicts.len() >= n {
                return verdicts;
            }
            assert!(started.elapsed() < Duration::from_secs(20), "{verdicts:?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for NodeReceiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[rocket::async_test]
async fn the_seed_nodejs_handler_accepts_every_delivery() {
    let node = NodeReceiver::start("webhook_secret_key");
    let app = TestApp::with(|c| c.webhooks.allow_private_targets = true).await;
    let alice = app.register("alice").await;
    let room = app.room(&alice, "général 🎉", true).await;
    let res = app
        .post(
            "/api/v1/webhooks",
            Some(&alice.token),
            json!({
                "url": format!("http://127.0.0.1:{}/webhook/chat", node.port),
                "events": ["message_sent", "message.updated", "reaction.added", "user_joined"],
                "secret": "webhook_secret_key",
                "room_id": room
            }),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.raw);
    let webhook = res.data()["id"].as_i64().unwrap();
    // Text and numbers where compact JSON and JavaScript's could differ.
    let contents = [
        "plain",
        "quotes \" and \\ backslashes / slashes",
        "unicode: é ñ 中文 🎉 \u{2028}\u{2029}",
        "\t tab \n newline \r\n",
        "<script>alert('x')</script> & &amp;",
    ];
    let mut sent = 0;
    for content in contents {
        app.send(&alice, room, content).await;
        sent += 1;
    }
    let res = app
        .post(
            &format!("/api/v1/rooms/{room}/messages"),
            Some(&alice.token),
            json!({
                "content": "with metadata",
                "metadata": {
                    "b": 1, "10": 2, "a": [1.50, 2e0, 1e21, 0.1, -0.0, 1e-7],
                    "big": 9007199254740993u64, "nested": {"2": "x", "1": "y", "z": null},
                    "float": 123.456, "exp": 1.5e300,
                    "control": "\u{1}\u{1f}\u{7f}\u{8}\u{c}"
                }
            }),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.raw);
    sent += 1;
    let message = res.data()["id"].as_i64().unwrap();
    // A reaction whose emoji JavaScript would take for an array index, then an
    // edit, whose delivery carries the reactions map.
    for emoji in ["100", "👍", "0"] {
        app.post(
            &format!("/api/v1/messages/{message}/reactions"),
            Some(&alice.token),
            json!({"emoji": emoji}),
        )
        .await
        .succeeded();
        sent += 1;
    }
    app.put(
        &format!("/api/v1/messages/{message}"),
        Some(&alice.token),
        json!({"content": "edited ✓"}),
    )
    .await
    .succeeded();
    sent += 1;
    let verdicts = node.wait_for(sent).await;
    for verdict in &verdicts {
        assert_eq!(
            verdict["ok"], true,
            "the seed handler refused a delivery: {verdicts:?}"
        );
    }
    // Each attempt is recorded once the receiver's answer is in, just after the
    // receiver saw the body: wait for the log to catch up.
    let mut log = Vec::new();
    for _ in 0..200 {
        let res = app
            .get(
                &format!("/api/v1/webhooks/{webhook}/deliveries?limit=100"),
                Some(&alice.token),
            )
            .await;
        log = res.data()["deliveries"].as_array().unwrap().clone();
        if log.iter().all(|d| d["status"] != "pending") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(log.len(), sent);
    for delivery in log {
        assert_eq!(delivery["status_code"], 200, "{delivery}");
    }
}

fn json_of(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or(Value::Null)
}

fn start(dir: &std::path::Path, port: u16) -> std::process::Child {
    veza(dir, port)
        .env("VEZA_WEBHOOKS__ALLOW_PRIVATE_TARGETS", "true")
        .env("VEZA_WEBHOOKS__RETRY_INITIAL_DELAY_SECS", "1")
        .spawn()
        .unwrap()
}

#[rocket::async_test]
async fn pending_deliveries_survive_a_restart_with_their_ids() {
    let dir = tempfile::tempdir().unwrap();
    let hook_port = free_port();
    let port = free_port();
    let mut server = start(dir.path(), port);
    wait_healthy(port, &mut server);
    let token = register(port, "alice");
    let (status, body) = http_as(
        port,
        "POST",
        "/api/v1/rooms",
        Some(&token),
        r#"{"name":"r"}"#,
    )
    .unwrap();
    assert_eq!(status, 201, "{body}");
    let room = json_of(&body)["data"]["id"].as_i64().unwrap();
    let hook =
        json!({"url": format!("http://127.0.0.1:{hook_port}/"), "events": ["*"], "room_id": room});
    let (status, body) = http_as(
        port,
        "POST",
        "/api/v1/webhooks",
        Some(&token),
        &hook.to_string(),
    )
    .unwrap();
    assert_eq!(status, 201, "{body}");
    let webhook = json_of(&body)["data"]["id"].as_i64().unwrap();
    let secret = json_of(&body)["data"]["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, body) = http_as(
        port,
        "POST",
        &format!("/api/v1/rooms/{room}/messages"),
        Some(&token),
        r#"{"content":"queued while down"}"#,
    )
    .unwrap();
    assert_eq!(status, 201, "{body}");
    // Wait for a failed attempt, then stop Veza with the delivery pending.
    let log_path = format!("/api/v1/webhooks/{webhook}/deliveries");
    let started = Instant::now();
    let delivery = loop {
        let (_, body) = http_as(port, "GET", &log_path, Some(&token), "").unwrap();
        let first = json_of(&body)["data"]["deliveries"][0].clone();
        if first["attempts"].as_i64() >= Some(1) {
            break first;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no attempt: {body}"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(delivery["status"], "pending");
    sigterm(&server);
    assert!(wait_exit(server).status.success());

    let receiver = Receiver::on(
        std::net::TcpListener::bind(("127.0.0.1", hook_port)).unwrap(),
        Answer::Status(200),
    );
    let port = free_port();
    let mut server = start(dir.path(), port);
    wait_healthy(port, &mut server);
    let got = receiver.wait_for(1).await;
    assert_eq!(
        got[0].header("x-webhook-delivery"),
        delivery["delivery_id"].as_str().unwrap()
    );
    common::receiver::assert_signed(&got[0], &secret);
    assert_eq!(got[0].json()["data"]["content"], "queued while down");
    sigterm(&server);
    assert!(wait_exit(server).status.success());
}
