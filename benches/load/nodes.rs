//! `BENCH_ONLY=nodes`: several nodes on one PostgreSQL database (docs/nodes.md).
//! Three nodes on a new database of `BENCH_DATABASE_URL`'s server; the time from
//! a send's request to its frame on a socket, with sender and receiver on the
//! same node and on different nodes (p50, p99 over `BENCH_NODES_SENDS` sends one
//! at a time, default 500); then sends per second at 64 connections spread over
//! 1, 2 and 3 nodes, as a ratio to one node's bare route in the same run.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{
    env_number, free_port, measure, new_database, open_socket, percentile, request, send_requests,
    setup, start_server_with, wait_healthy, Conn,
};

const SECRET: &str = "the nodes' shared secret for the benchmark, long enough";

pub async fn nodes_benchmark(dir: &std::path::Path, secs: u64) {
    let Ok(admin) = std::env::var("BENCH_DATABASE_URL") else {
        eprintln!("BENCH_ONLY=nodes needs BENCH_DATABASE_URL (e.g. $(.ci/postgres.sh start))");
        return;
    };
    let sends: usize = env_number("BENCH_NODES_SENDS", 500);
    let url = new_database(&admin);
    let files = dir.join("files");
    let mut servers = Vec::new();
    let mut ports = Vec::new();
    for i in 1..=3 {
        let home = dir.join(format!("n{i}"));
        std::fs::create_dir_all(&home).unwrap();
        let port = free_port();
        let id = format!("n{i}");
        let env = [
            ("VEZA_DATABASE__URL", url.as_str()),
            ("VEZA_JWT_SECRET", SECRET),
            ("VEZA_NODE__ID", id.as_str()),
            ("VEZA_FILES_DIR", files.to_str().unwrap()),
        ];
        servers.push(start_server_with(&home, port, &env));
        wait_healthy(port).await;
        ports.push(port);
    }
    let (token, rooms, _) = setup(ports[0]).await;

    println!("send to frame, one send at a time, {sends} sends:");
    for (label, sender) in [("same node", ports[0]), ("across nodes", ports[1])] {
        let (p50, p99) = send_to_frame(ports[0], sender, &token, rooms[0], sends).await;
        println!(
            "  {label:<13} p50 {:>6.2} ms  p99 {:>6.2} ms",
            ms(p50),
            ms(p99)
        );
    }

    let bare = measure(
        ports[0],
        64,
        secs,
        200,
        Arc::new(vec![request("GET", "/api/v1/ping", None, "")]),
    )
    .await;
    println!("\nbare route, one node, 64 connections: {:.0}/s", bare.rps);
    let requests = send_requests(&rooms, &token);
    println!(
        "{:>6} {:>10} {:>8} {:>8} {:>9}",
        "nodes", "sends/s", "p50 ms", "p99 ms", "vs bare"
    );
    for n in 1..=3 {
        let runs = ports[..n]
            .iter()
            .map(|port| measure(*port, 64 / n, secs, 201, requests.clone()));
        let measured = rocket::futures::future::join_all(runs).await;
        let rps: f64 = measured.iter().map(|m| m.rps).sum();
        let p50 = measured.iter().map(|m| m.p50).max().unwrap_or_default();
        let p99 = measured.iter().map(|m| m.p99).max().unwrap_or_default();
        println!(
            "{n:>6} {rps:>10.0} {:>8.2} {:>8.2} {:>8.1}%",
            ms(p50),
            ms(p99),
            rps / bare.rps * 100.0
        );
    }
    for mut server in servers {
        let _ = server.kill();
        let _ = server.wait();
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Sends `n` messages one at a time through `sender`, each timed from its
/// request to its frame on a socket opened on `receiver` (read while the
/// sender's answer is awaited: the frame may come first).
async fn send_to_frame(
    receiver: u16,
    sender: u16,
    token: &str,
    room: i64,
    n: usize,
) -> (Duration, Duration) {
    use rocket::futures::StreamExt;
    let mut socket = open_socket(receiver, token).await;
    let mut conn = Conn::open(sender).await;
    let path = format!("/api/v1/rooms/{room}/messages");
    let mut times = Vec::with_capacity(n);
    for i in 0..n {
        let content = format!("timed {i}");
        let body = format!(r#"{{"content":"{content}"}}"#);
        let started = Instant::now();
        let send = async {
            let (status, answer) = conn
                .roundtrip(&request("POST", &path, Some(token), &body))
                .await;
            assert_eq!(status, 201, "{}", String::from_utf8_lossy(&answer));
        };
        let frame = async {
            loop {
                let frame = tokio::time::timeout(Duration::from_secs(10), socket.next())
                    .await
                    .expect("a frame within 10 s")
                    .expect("the socket is open")
                    .expect("a frame");
                let Ok(text) = frame.to_text() else { continue };
                let frame: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
                if frame["type"] == "message.created" && frame["data"]["content"] == content {
                    return started.elapsed();
                }
            }
        };
        let ((), heard_after) = tokio::join!(send, frame);
        times.push(heard_after);
    }
    times.sort();
    (percentile(&times, 0.50), percentile(&times, 0.99))
}
