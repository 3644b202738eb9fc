//! Load benchmark: `cargo bench --bench load`.
//!
//! Starts the release `veza` binary on a temporary data directory and drives it over
//! keep-alive HTTP/1.1 connections from this process, at 16 and 64 connections, for:
//! - the bare route (`GET /api/v1/ping`: no database, no token),
//! - `POST /rooms/{id}/messages` (authenticated, ~100 characters, over 100 rooms),
//! - `GET /rooms/{id}/messages?limit=50` on a room of 100,000 messages.
//!
//! It prints requests/s, p50 and p99 latency, each route's rate as a ratio to the
//! bare route's at the same concurrency, and the server's peak RSS. The load
//! generator shares the machine with the server, so compare ratios, not absolutes.
//! `BENCH_SECS` sets the seconds per measurement (default 5); `BENCH_ONLY=send` or
//! `BENCH_ONLY=page` measures that route alone (for profiling), plain and with
//! `Accept-Encoding: gzip` (`BENCH_ONLY=gzip` too), and prints a page's size on the
//! wire both ways.
//!
//! `BENCH_ONLY=search` measures full-text search instead: it fills a room with
//! `BENCH_SEARCH_MESSAGES` messages (default 1,000,000) through the API, each holding
//! the common word `history` and one in 10,000 the rare word `quokka`, then searches
//! for each word at 16 connections.
//!
//! `BENCH_ONLY=realtime` measures the WebSocket: 1,000 connections in one room and
//! one sender (latency from send to receipt across all of them, and sends/s with
//! and without the listeners), then the resident memory of idle connections (as
//! many as the open-files limit allows, up to 10,000).
//!
//! `BENCH_ONLY=webhooks` measures sends with 0, 1 and 10 server-wide webhooks
//! subscribed to `message.created` (a receiver in this process answers 200), as
//! ratios to sends with none: the cost of the outbox and of the deliveries.
//!
//! `BENCH_ONLY=tokens` measures a read signed by a session's token against the
//! same read signed by a personal access token (looked up on every request).
//! `BENCH_ONLY=push` measures sends into a room of 200 members, each with a Web
//! Push subscription at level `all` (a push service in this process answers 201),
//! as a ratio to the same sends before anyone subscribed: the cost of planning
//! and queueing pushes after each commit. It then reports how many pushes the
//! service received, and in how long the queue drained.
//!
//! `BENCH_ONLY=scale` measures how sends and pages hold up as history grows: it
//! fills `BENCH_HISTORY` messages (default 10,000) over 1,000 rooms through the API,
//! then measures the bare route, sends over those rooms and a 50-message page of one
//! of them at 64 connections; it reports the server's resident size idle (just
//! started) and at the end, and the time a restart on that database takes to answer
//! `/health`.
//!
//! `BENCH_ONLY=postgres` measures sends and pages on PostgreSQL against SQLite in
//! the same run: two servers side by side, one on SQLite and one on a new database
//! made on the server `BENCH_DATABASE_URL` names (a role that may create
//! databases; `.ci/postgres.sh start` gives one, with `synchronous_commit` on),
//! each with a room of `BENCH_PG_MESSAGES` messages (default 20,000), at 16 and 64
//! connections, each as a ratio to the bare route of the same server.
//!
//! `BENCH_ONLY=nodes` measures three nodes on one PostgreSQL database (see
//! `load/nodes.rs`): send-to-frame latency on one node and across nodes, and sends
//! per second with 1, 2 and 3 nodes; it needs `BENCH_DATABASE_URL` too.
//!
//! `BENCH_ONLY=files` measures files instead: the server's peak resident size while
//! ten 25 MiB uploads stream in at once, then the throughput of 10 MiB uploads and
//! downloads at 1 and 4 connections, as a ratio to plain loopback TCP (the same
//! bytes written to a socket that discards them) measured in the same run.

#[path = "load/nodes.rs"]
mod nodes;

use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const ROOMS: usize = 100;
const BIG_ROOM_MESSAGES: u64 = 100_000;

/// One keep-alive connection that sends a request and reads one response.
struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
    /// The size on the wire of the last answer, head included.
    wire_bytes: usize,
}

impl Conn {
    async fn open(port: u16) -> Conn {
        let stream = TcpStream::connect(("127.0.0.1", port))
            .await
            .expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        Conn {
            stream,
            buf: Vec::with_capacity(64 * 1024),
            wire_bytes: 0,
        }
    }

    /// Sends `request`, returns the status and the body.
    async fn roundtrip(&mut self, request: &[u8]) -> (u16, Vec<u8>) {
        self.stream.write_all(request).await.expect("write");
        self.buf.clear();
        let header_end = loop {
            if let Some(end) = find(&self.buf, b"\r\n\r\n") {
                break end + 4;
            }
            self.fill().await;
        };
        let head = String::from_utf8_lossy(&self.buf[..header_end]).to_ascii_lowercase();
        let status: u16 = head[9..12].parse().expect("status");
        if head.contains("transfer-encoding: chunked") {
            return (status, self.chunked_body(header_end).await);
        }
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .map(|v| v.trim().parse().expect("length"))
            .unwrap_or(0);
        while self.buf.len() < header_end + length {
            self.fill().await;
        }
        self.wire_bytes = header_end + length;
        (status, self.buf[header_end..header_end + length].to_vec())
    }

    /// A chunked body (a compressed answer is streamed) starting at `at`.
    async fn chunked_body(&mut self, mut at: usize) -> Vec<u8> {
        let mut body = Vec::new();
        loop {
            let line_end = loop {
                if let Some(end) = find(&self.buf[at..], b"\r\n") {
                    break at + end;
                }
                self.fill().await;
            };
            let size_text = String::from_utf8_lossy(&self.buf[at..line_end]).to_string();
            let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("0").trim(), 16)
                .expect("chunk size");
            at = line_end + 2;
            while self.buf.len() < at + size + 2 {
                self.fill().await;
            }
            body.extend_from_slice(&self.buf[at..at + size]);
            at += size + 2;
            if size == 0 {
                self.wire_bytes = at;
                return body;
            }
        }
    }

    async fn fill(&mut self) {
        let mut chunk = [0u8; 16 * 1024];
        let n = self.stream.read(&mut chunk).await.expect("read");
        assert!(n > 0, "server closed the connection");
        self.buf.extend_from_slice(&chunk[..n]);
    }
}

/// A loopback port free right now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The number in environment variable `name`, else `default`.
fn env_number<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn request(method: &str, path: &str, token: Option<&str>, body: &str) -> Vec<u8> {
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    format!(
        "{method} {path} HTTP/1.1\r\nHost: bench\r\n{auth}Content-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// A GET asking for a gzip answer.
fn gzip_request(path: &str, token: &str) -> Vec<u8> {
    format!(
        "GET {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\n\
         Accept-Encoding: gzip\r\n\r\n"
    )
    .into_bytes()
}

fn json(body: &[u8]) -> serde_json::Value {
    serde_json::from_slice(body).expect("json body")
}

struct Measure {
    rps: f64,
    p50: Duration,
    p99: Duration,
}

/// Runs `connections` loops of requests for `secs` after a one-second warm-up;
/// `pick(conn, n)` chooses each request. Every answer must have `expect` status.
async fn measure(
    port: u16,
    connections: usize,
    secs: u64,
    expect: u16,
    requests: Arc<Vec<Vec<u8>>>,
) -> Measure {
    let measuring = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for c in 0..connections {
        let (measuring, stop, done, requests) = (
            measuring.clone(),
            stop.clone(),
            done.clone(),
            requests.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::open(port).await;
            let mut latencies = Vec::new();
            let mut n = c;
            while !stop.load(Ordering::Relaxed) {
                let started = Instant::now();
                let (status, body) = conn.roundtrip(&requests[n % requests.len()]).await;
                assert_eq!(status, expect, "{}", String::from_utf8_lossy(&body));
                if measuring.load(Ordering::Relaxed) {
                    latencies.push(started.elapsed());
                    done.fetch_add(1, Ordering::Relaxed);
                }
                n += connections;
            }
            latencies
        }));
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    measuring.store(true, Ordering::Relaxed);
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(secs)).await;
    measuring.store(false, Ordering::Relaxed);
    let elapsed = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.expect("load task"));
    }
    all.sort();
    let at = |q: f64| {
        all.get(((all.len() as f64 - 1.0) * q) as usize)
            .copied()
            .unwrap_or_default()
    };
    Measure {
        rps: done.load(Ordering::Relaxed) as f64 / elapsed.as_secs_f64(),
        p50: at(0.50),
        p99: at(0.99),
    }
}

fn peak_rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn start_server(dir: &std::path::Path, port: u16) -> Child {
    start_server_with(dir, port, &[])
}

fn start_server_with(dir: &std::path::Path, port: u16, env: &[(&str, &str)]) -> Child {
    // `BENCH_SERVER_BIN` measures another build (an earlier commit's) with this
    // same load generator, for before-and-after figures from one machine.
    let binary = std::env::var("BENCH_SERVER_BIN").unwrap_or(env!("CARGO_BIN_EXE_veza").into());
    Command::new(binary)
        .current_dir(dir)
        .envs(env.iter().copied())
        .env("VEZA_PORT", port.to_string())
        .env("VEZA_LOG_LEVEL", "off")
        .env("VEZA_RATE_LIMIT__REQUESTS_PER_HOUR", "4000000000")
        .env("VEZA_WEBHOOKS__ALLOW_PRIVATE_TARGETS", "true")
        .env("VEZA_PUSH__ALLOW_PRIVATE_ENDPOINTS", "true")
        .env("VEZA_LIMITS__MAX_CONNECTIONS", "1000000")
        .env("VEZA_LIMITS__MAX_CONNECTIONS_PER_ADDRESS", "1000000")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start veza")
}

async fn setup(port: u16) -> (String, Vec<i64>, i64) {
    let mut conn = loop {
        if let Ok(stream) = TcpStream::connect(("127.0.0.1", port)).await {
            break Conn {
                stream,
                buf: Vec::new(),
                wire_bytes: 0,
            };
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let body = r#"{"username":"bench","email":"bench@example.com","password":"bench password"}"#;
    let (status, answer) = conn
        .roundtrip(&request("POST", "/api/v1/auth/register", None, body))
        .await;
    assert_eq!(status, 201);
    let token = json(&answer)["data"]["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let mut rooms = Vec::new();
    for i in 0..=ROOMS {
        let body = format!(r#"{{"name":"room {i}"}}"#);
        let (status, answer) = conn
            .roundtrip(&request("POST", "/api/v1/rooms", Some(&token), &body))
            .await;
        assert_eq!(status, 201);
        rooms.push(json(&answer)["data"]["id"].as_i64().expect("room id"));
    }
    let big = rooms.pop().expect("big room");
    (token, rooms, big)
}

/// Fills the big room with 100,000 messages through the API, 64 connections at once.
async fn fill_big_room(port: u16, token: &str, room: i64) {
    fill_room(port, token, room, BIG_ROOM_MESSAGES, |_| {
        "history ".repeat(12)
    })
    .await
}

/// Sends `count` messages to `room` through the API, 64 connections at once; the
/// `n`-th message (counting down) says `content(n)`.
async fn fill_room(
    port: u16,
    token: &str,
    room: i64,
    count: u64,
    content: impl Fn(u64) -> String + Send + Sync + Copy + 'static,
) {
    let path = format!("/api/v1/rooms/{room}/messages");
    let left = Arc::new(AtomicU64::new(count));
    let mut tasks = Vec::new();
    for _ in 0..64 {
        let (left, path, token) = (left.clone(), path.clone(), token.to_owned());
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::open(port).await;
            while let Ok(n) =
                left.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
            {
                let body = format!(r#"{{"content":"{}"}}"#, content(n));
                let (status, _) = conn
                    .roundtrip(&request("POST", &path, Some(&token), &body))
                    .await;
                assert_eq!(status, 201);
            }
        }));
    }
    for t in tasks {
        t.await.expect("filler");
    }
}

fn main() {
    let secs: u64 = env_number("BENCH_SECS", 5);
    let dir = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let mut server = start_server(dir.path(), port);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let only = std::env::var("BENCH_ONLY").unwrap_or_default();
    if only == "realtime" {
        runtime.block_on(realtime_benchmark(port, server.id(), secs));
        let _ = server.kill();
        let _ = server.wait();
        return;
    }
    if only == "webhooks" {
        runtime.block_on(webhooks_benchmark(port, secs));
        println!("\nserver peak RSS: {:.1} MiB", peak_rss_mib(server.id()));
        let _ = server.kill();
        let _ = server.wait();
        return;
    }
    if only == "push" {
        runtime.block_on(push_benchmark(port, secs));
        println!("\nserver peak RSS: {:.1} MiB", peak_rss_mib(server.id()));
        let _ = server.kill();
        let _ = server.wait();
        return;
    }
    if only == "files" {
        runtime.block_on(files_benchmark(port, server.id(), secs));
        let _ = server.kill();
        let _ = server.wait();
        return;
    }
    if only == "scale" {
        let history: u64 = env_number("BENCH_HISTORY", 10_000);
        let idle = {
            runtime.block_on(wait_healthy(port));
            std::thread::sleep(Duration::from_millis(500));
            resident_mib(server.id())
        };
        runtime.block_on(scale_benchmark(port, secs, history));
        println!(
            "\nserver resident: {idle:.1} MiB idle after start, {:.1} MiB now, peak {:.1} MiB",
            resident_mib(server.id()),
            peak_rss_mib(server.id())
        );
        let _ = Command::new("kill")
            .args(["-TERM", &server.id().to_string()])
            .status();
        let _ = server.wait();
        let started = Instant::now();
        let mut again = start_server(dir.path(), port);
        runtime.block_on(wait_healthy(port));
        println!(
            "restart on {history} messages: /health answered 200 after {:.1} ms",
            started.elapsed().as_secs_f64() * 1000.0
        );
        let _ = again.kill();
        let _ = again.wait();
        return;
    }
    if only == "nodes" {
        let _ = server.kill();
        let _ = server.wait();
        runtime.block_on(nodes::nodes_benchmark(dir.path(), secs));
        return;
    }
    if only == "postgres" {
        let _ = server.kill();
        let _ = server.wait();
        runtime.block_on(postgres_benchmark(dir.path(), secs));
        return;
    }
    if only == "search" {
        runtime.block_on(search_benchmark(port, secs));
        println!("\nserver peak RSS: {:.1} MiB", peak_rss_mib(server.id()));
        let _ = server.kill();
        let _ = server.wait();
        return;
    }
    runtime.block_on(async {
        let (token, rooms, big) = setup(port).await;
        if only == "tokens" {
            let bare = Arc::new(vec![request("GET", "/api/v1/ping", None, "")]);
            tokens_benchmark(port, secs, &token, bare).await;
            return;
        }
        let fill_started = Instant::now();
        fill_big_room(port, &token, big).await;
        let fill = fill_started.elapsed();
        println!(
            "veza load benchmark: {secs} s per measurement, {} cores; filled a room with {BIG_ROOM_MESSAGES} messages in {:.1} s ({:.0} sends/s at 64 connections)\n",
            std::thread::available_parallelism().map_or(0, |n| n.get()),
            fill.as_secs_f64(),
            BIG_ROOM_MESSAGES as f64 / fill.as_secs_f64()
        );
        let bare = Arc::new(vec![request("GET", "/api/v1/ping", None, "")]);
        let sends = send_requests(&rooms, &token);
        let page_path = format!("/api/v1/rooms/{big}/messages?limit=50");
        let page = Arc::new(vec![request("GET", &page_path, Some(&token), "")]);
        let gzip_page = Arc::new(vec![gzip_request(&page_path, &token)]);
        if only.is_empty() || only == "page" || only == "gzip" {
            let mut conn = Conn::open(port).await;
            let plain = { conn.roundtrip(&page[0]).await; conn.wire_bytes };
            let zipped = { conn.roundtrip(&gzip_page[0]).await; conn.wire_bytes };
            println!(
                "a 50-message page on the wire: {plain} bytes plain, {zipped} bytes in gzip ({:.1}%)\n",
                100.0 * zipped as f64 / plain as f64
            );
        }
        println!("{:<44} {:>5} {:>10} {:>9} {:>9} {:>8}", "route", "conns", "req/s", "p50 ms", "p99 ms", "vs bare");
        for connections in [16, 64] {
            let mut rows = vec![("GET /api/v1/ping (bare)", measure(port, connections, secs, 200, bare.clone()).await)];
            if only.is_empty() || only == "send" {
                let m = measure(port, connections, secs, 201, sends.clone()).await;
                rows.push(("POST /rooms/{id}/messages (100 rooms)", m));
            }
            if only.is_empty() || only == "page" || only == "gzip" {
                let m = measure(port, connections, secs, 200, page.clone()).await;
                rows.push(("GET /rooms/{id}/messages?limit=50 (100k)", m));
                let m = measure(port, connections, secs, 200, gzip_page.clone()).await;
                rows.push(("  the same in gzip", m));
            }
            let bare_rps = rows[0].1.rps;
            for (name, m) in rows {
                println!(
                    "{name:<44} {connections:>5} {:>10.0} {:>9.2} {:>9.2} {:>7.1}%",
                    m.rps,
                    m.p50.as_secs_f64() * 1000.0,
                    m.p99.as_secs_f64() * 1000.0,
                    100.0 * m.rps / bare_rps
                );
            }
        }
    });
    println!("\nserver peak RSS: {:.1} MiB", peak_rss_mib(server.id()));
    let _ = server.kill();
    let _ = server.wait();
}

/// One send of a ~100-character message to each of `rooms`.
fn send_requests(rooms: &[i64], token: &str) -> Arc<Vec<Vec<u8>>> {
    let content = "Benchmark message: the quick brown fox jumps over the lazy dog, twice over, and then some more text!";
    Arc::new(
        rooms
            .iter()
            .map(|r| {
                request(
                    "POST",
                    &format!("/api/v1/rooms/{r}/messages"),
                    Some(token),
                    &format!(r#"{{"content":"{content}"}}"#),
                )
            })
            .collect(),
    )
}

/// Polls `/health` every millisecond until it answers 200.
async fn wait_healthy(port: u16) {
    let probe = request("GET", "/health", None, "");
    loop {
        if let Ok(stream) = TcpStream::connect(("127.0.0.1", port)).await {
            let mut conn = Conn {
                stream,
                buf: Vec::new(),
                wire_bytes: 0,
            };
            if conn.roundtrip(&probe).await.0 == 200 {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// Sends and pages with `history` messages spread over 1,000 rooms.
async fn scale_benchmark(port: u16, secs: u64, history: u64) {
    const SCALE_ROOMS: u64 = 1_000;
    let (token, mut rooms, big) = setup(port).await;
    let mut conn = Conn::open(port).await;
    while (rooms.len() as u64) < SCALE_ROOMS - 1 {
        let body = format!(r#"{{"name":"scale room {}"}}"#, rooms.len());
        let (status, answer) = conn
            .roundtrip(&request("POST", "/api/v1/rooms", Some(&token), &body))
            .await;
        assert_eq!(status, 201);
        rooms.push(json(&answer)["data"]["id"].as_i64().expect("room id"));
    }
    rooms.push(big);
    let started = Instant::now();
    let left = Arc::new(AtomicU64::new(history));
    let all_rooms = Arc::new(rooms.clone());
    let mut tasks = Vec::new();
    for _ in 0..64 {
        let (left, rooms, token) = (left.clone(), all_rooms.clone(), token.clone());
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::open(port).await;
            while let Ok(n) =
                left.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
            {
                let room = rooms[(n % rooms.len() as u64) as usize];
                let body = format!(
                    r#"{{"content":"history message {n}, about this long, with a few words more"}}"#
                );
                let path = format!("/api/v1/rooms/{room}/messages");
                let (status, _) = conn
                    .roundtrip(&request("POST", &path, Some(&token), &body))
                    .await;
                assert_eq!(status, 201);
            }
        }));
    }
    for t in tasks {
        t.await.expect("filler");
    }
    let fill = started.elapsed();
    println!(
        "veza scale benchmark: {history} messages over {SCALE_ROOMS} rooms sent in {:.1} s ({:.0} sends/s), {secs} s per measurement\n",
        fill.as_secs_f64(),
        history as f64 / fill.as_secs_f64()
    );
    let bare = Arc::new(vec![request("GET", "/api/v1/ping", None, "")]);
    let sends = send_requests(&rooms, &token);
    let page = Arc::new(vec![request(
        "GET",
        &format!("/api/v1/rooms/{big}/messages?limit=50"),
        Some(&token),
        "",
    )]);
    println!(
        "{:<44} {:>5} {:>10} {:>9} {:>9} {:>8}",
        "route", "conns", "req/s", "p50 ms", "p99 ms", "vs bare"
    );
    let bare_m = measure(port, 64, secs, 200, bare).await;
    let send_m = measure(port, 64, secs, 201, sends).await;
    let page_m = measure(port, 64, secs, 200, page).await;
    for (name, m) in [
        ("GET /api/v1/ping (bare)", &bare_m),
        ("POST /rooms/{id}/messages (1,000 rooms)", &send_m),
        ("GET /rooms/{id}/messages?limit=50", &page_m),
    ] {
        println!(
            "{name:<44} {:>5} {:>10.0} {:>9.2} {:>9.2} {:>7.1}%",
            64,
            m.rps,
            m.p50.as_secs_f64() * 1000.0,
            m.p99.as_secs_f64() * 1000.0,
            100.0 * m.rps / bare_m.rps
        );
    }
}

/// Search latency over a large room: a word in every message, and a word in one
/// message of 10,000.
async fn search_benchmark(port: u16, secs: u64) {
    let count: u64 = env_number("BENCH_SEARCH_MESSAGES", 1_000_000);
    let (token, _rooms, big) = setup(port).await;
    let started = Instant::now();
    fill_room(port, &token, big, count, |n| {
        let rare = if n % 10_000 == 0 { " quokka" } else { "" };
        format!("history of the project, note {n}{rare}")
    })
    .await;
    let fill = started.elapsed();
    println!(
        "veza search benchmark: {count} messages sent in {:.1} s ({:.0} sends/s at 64 connections), {secs} s per measurement\n",
        fill.as_secs_f64(),
        count as f64 / fill.as_secs_f64()
    );
    println!(
        "{:<44} {:>5} {:>10} {:>9} {:>9}",
        "query", "conns", "req/s", "p50 ms", "p99 ms"
    );
    for (name, q) in [
        ("common word (every message)", "history"),
        ("rare word (1 in 10,000)", "quokka"),
    ] {
        let search = Arc::new(vec![request(
            "GET",
            &format!("/api/v1/search?q={q}&limit=20"),
            Some(&token),
            "",
        )]);
        let m = measure(port, 16, secs, 200, search).await;
        println!(
            "{name:<44} {:>5} {:>10.1} {:>9.2} {:>9.2}",
            16,
            m.rps,
            m.p50.as_secs_f64() * 1000.0,
            m.p99.as_secs_f64() * 1000.0
        );
    }
}

const BOUNDARY: &str = "veza-bench-boundary";
const MIB: usize = 1024 * 1024;

/// An upload request of `size` bytes (a multipart form with one file part).
fn upload_request(token: &str, size: usize) -> Vec<u8> {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"bench.bin\"\r\n\r\n"
    )
    .into_bytes();
    body.extend((0..size).map(|i| (i % 251) as u8));
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    let mut request = format!(
        "POST /api/v1/files/upload HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(&body);
    request
}

fn resident_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// MiB/s of `connections` loops sending `request` (each moving `bytes` of payload)
/// for `secs` seconds; every answer must have `expect` status.
async fn throughput(
    port: u16,
    connections: usize,
    secs: u64,
    expect: u16,
    request: Arc<Vec<u8>>,
    bytes: usize,
) -> f64 {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let started = Instant::now();
    let tasks: Vec<_> = (0..connections)
        .map(|_| {
            let request = request.clone();
            tokio::spawn(async move {
                let mut conn = Conn::open(port).await;
                let mut done = 0u64;
                while Instant::now() < deadline {
                    let (status, _) = conn.roundtrip(&request).await;
                    assert_eq!(status, expect);
                    done += 1;
                }
                done
            })
        })
        .collect();
    let mut done = 0;
    for t in tasks {
        done += t.await.expect("worker");
    }
    (done as f64 * bytes as f64 / MIB as f64) / started.elapsed().as_secs_f64()
}

/// MiB/s of plain loopback TCP: `connections` writers pushing `bytes` at a time to a
/// listener that discards them, for `secs` seconds.
async fn loopback(connections: usize, secs: u64, bytes: usize) -> f64 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut sink = vec![0u8; 64 * 1024];
                while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {}
            });
        }
    });
    let payload = Arc::new(vec![7u8; bytes]);
    let deadline = Instant::now() + Duration::from_secs(secs);
    let started = Instant::now();
    let tasks: Vec<_> = (0..connections)
        .map(|_| {
            let payload = payload.clone();
            tokio::spawn(async move {
                let mut stream = TcpStream::connect(("127.0.0.1", port))
                    .await
                    .expect("connect");
                let mut sent = 0u64;
                while Instant::now() < deadline {
                    stream.write_all(&payload).await.expect("write");
                    sent += 1;
                }
                sent
            })
        })
        .collect();
    let mut sent = 0;
    for t in tasks {
        sent += t.await.expect("writer");
    }
    (sent as f64 * bytes as f64 / MIB as f64) / started.elapsed().as_secs_f64()
}

async fn files_benchmark(port: u16, pid: u32, secs: u64) {
    let (token, _, _) = setup(port).await;
    let before = resident_mib(pid);
    let big = Arc::new(upload_request(&token, 25 * MIB));
    let uploads: Vec<_> = (0..10)
        .map(|_| {
            let big = big.clone();
            tokio::spawn(async move {
                let mut conn = Conn::open(port).await;
                let (status, _) = conn.roundtrip(&big).await;
                assert_eq!(status, 201);
            })
        })
        .collect();
    for u in uploads {
        u.await.expect("upload");
    }
    println!(
        "veza files benchmark: {secs} s per measurement, {} cores\n\
         ten concurrent 25 MiB uploads: resident {before:.1} MiB before, peak {:.1} MiB\n",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        peak_rss_mib(pid)
    );
    drop(big);
    let upload = Arc::new(upload_request(&token, 10 * MIB));
    let mut conn = Conn::open(port).await;
    let (status, answer) = conn.roundtrip(&upload).await;
    assert_eq!(status, 201);
    let id = json(&answer)["data"]["file_id"].as_i64().expect("file id");
    let download = Arc::new(request(
        "GET",
        &format!("/api/v1/files/{id}/download"),
        Some(&token),
        "",
    ));
    println!(
        "{:<36} {:>5} {:>10} {:>10}",
        "10 MiB transfers", "conns", "MiB/s", "vs TCP"
    );
    for connections in [1, 4] {
        let tcp = loopback(connections, secs, 10 * MIB).await;
        let up = throughput(port, connections, secs, 201, upload.clone(), 10 * MIB).await;
        let down = throughput(port, connections, secs, 200, download.clone(), 10 * MIB).await;
        for (name, rate) in [
            ("loopback TCP (bare)", tcp),
            ("POST /files/upload", up),
            ("GET /files/{id}/download", down),
        ] {
            println!(
                "{name:<36} {connections:>5} {rate:>10.0} {:>9.1}%",
                100.0 * rate / tcp
            );
        }
    }
    println!("\nserver peak RSS: {:.1} MiB", peak_rss_mib(pid));
}

/// A webhook receiver: answers every request 200 at once; counts them.
async fn receiver(received: Arc<AtomicU64>) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let received = received.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 16 * 1024];
                loop {
                    let Ok(n) = stream.read(&mut chunk).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    // One request at a time: answer once its body is in.
                    while let Some(end) = find(&buf, b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
                        let length: usize = head
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .and_then(|v| v.trim().parse().ok())
                            .unwrap_or(0);
                        if buf.len() < end + 4 + length {
                            break;
                        }
                        buf.drain(..end + 4 + length);
                        received.fetch_add(1, Ordering::Relaxed);
                        let answer = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
                        if stream.write_all(answer).await.is_err() {
                            return;
                        }
                    }
                }
            });
        }
    });
    port
}

async fn webhooks_benchmark(port: u16, secs: u64) {
    let (token, rooms, _) = setup(port).await;
    let received = Arc::new(AtomicU64::new(0));
    let hook_port = receiver(received.clone()).await;
    // A receiver that accepts and never answers: its deliveries wait out their
    // timeout and are then held back, so sends pay for the outbox rows alone.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let silent_port = silent.local_addr().expect("addr").port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = silent.accept().await {
            held.push(stream);
        }
    });
    let sends = send_requests(&rooms, &token);
    let register = |target: u16| {
        let body =
            format!(r#"{{"url":"http://127.0.0.1:{target}/","events":["message.created"]}}"#);
        request("POST", "/api/v1/webhooks", Some(&token), &body)
    };
    println!(
        "veza webhooks benchmark: {secs} s per measurement, {} cores\n",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!(
        "{:<44} {:>5} {:>10} {:>9} {:>9} {:>9}",
        "sends with", "conns", "req/s", "p50 ms", "p99 ms", "vs none"
    );
    let mut none = [0.0f64; 2];
    let mut hooks = 0;
    for (wanted, label) in [
        (0, "0 webhooks"),
        (-1, "1 webhook, receiver silent (outbox only)"),
        (1, "1 webhook"),
        (10, "10 webhooks"),
    ] {
        // A fresh connection: an idle one is closed after the keep-alive timeout.
        let mut conn = Conn::open(port).await;
        let mut silent_hook = None;
        if wanted < 0 {
            let (status, answer) = conn.roundtrip(&register(silent_port)).await;
            assert_eq!(status, 201);
            silent_hook = json(&answer)["data"]["id"].as_i64();
        }
        while hooks < wanted {
            let (status, _) = conn.roundtrip(&register(hook_port)).await;
            assert_eq!(status, 201);
            hooks += 1;
        }
        for (i, connections) in [16, 64].into_iter().enumerate() {
            let m = measure(port, connections, secs, 201, sends.clone()).await;
            if wanted == 0 {
                none[i] = m.rps;
            }
            println!(
                "{label:<44} {connections:>5} {:>10.0} {:>9.2} {:>9.2} {:>8.1}%",
                m.rps,
                m.p50.as_secs_f64() * 1000.0,
                m.p99.as_secs_f64() * 1000.0,
                100.0 * m.rps / none[i]
            );
        }
        if let Some(id) = silent_hook {
            let mut conn = Conn::open(port).await;
            let path = format!("/api/v1/webhooks/{id}");
            let (status, _) = conn
                .roundtrip(&request("DELETE", &path, Some(&token), ""))
                .await;
            assert_eq!(status, 204);
        }
    }
    // Let the queue drain, and say how far the deliveries kept up.
    let queued_at_end = Instant::now();
    let mut last = received.load(Ordering::Relaxed);
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let now = received.load(Ordering::Relaxed);
        if now == last || queued_at_end.elapsed() > Duration::from_secs(120) {
            break;
        }
        last = now;
    }
    println!(
        "\ndeliveries received: {}",
        received.load(Ordering::Relaxed)
    );
}

/// Sends into a room of 200 members, before and after each subscribed to Web Push
/// at level `all`.
async fn push_benchmark(port: u16, secs: u64) {
    use base64::Engine;
    use p256::elliptic_curve::sec1::ToEncodedPoint;
    const MEMBERS: usize = 200;
    let (token, _, room) = setup(port).await;
    let members = members_of(port, room, MEMBERS).await;
    let received = Arc::new(AtomicU64::new(0));
    let service = receiver(received.clone()).await;
    let sends = send_requests(&[room], &token);
    println!(
        "veza push benchmark: {secs} s per measurement, {} cores, a room of {MEMBERS} members\n",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!(
        "{:<44} {:>5} {:>10} {:>9} {:>9} {:>9}",
        "sends with", "conns", "req/s", "p50 ms", "p99 ms", "vs none"
    );
    let mut none = [0.0f64; 2];
    for (subscribed, label) in [
        (false, "no subscriptions"),
        (true, "200 subscriptions at level all"),
    ] {
        if subscribed {
            // One browser key for all: the server encrypts to each the same way.
            let secret = p256::SecretKey::from_slice(&[7u8; 32]).expect("a key");
            let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
            let p256dh = b64.encode(secret.public_key().to_encoded_point(false).as_bytes());
            let mut conn = Conn::open(port).await;
            for (i, member) in members.iter().enumerate() {
                let body = format!(
                    r#"{{"endpoint":"http://127.0.0.1:{service}/push/{i}","keys":{{"p256dh":"{p256dh}","auth":"AAAAAAAAAAAAAAAAAAAAAA"}}}}"#
                );
                let (status, _) = conn
                    .roundtrip(&request(
                        "POST",
                        "/api/v1/push/subscriptions",
                        Some(member),
                        &body,
                    ))
                    .await;
                assert_eq!(status, 201);
                let path = format!("/api/v1/rooms/{room}/notifications");
                let (status, _) = conn
                    .roundtrip(&request("PUT", &path, Some(member), r#"{"level":"all"}"#))
                    .await;
                assert_eq!(status, 200);
            }
        }
        for (i, connections) in [16, 64].into_iter().enumerate() {
            let m = measure(port, connections, secs, 201, sends.clone()).await;
            if !subscribed {
                none[i] = m.rps;
            }
            println!(
                "{label:<44} {connections:>5} {:>10.0} {:>9.2} {:>9.2} {:>8.1}%",
                m.rps,
                m.p50.as_secs_f64() * 1000.0,
                m.p99.as_secs_f64() * 1000.0,
                100.0 * m.rps / none[i]
            );
        }
    }
    let sends_ended = Instant::now();
    let mut last = received.load(Ordering::Relaxed);
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let now = received.load(Ordering::Relaxed);
        if now == last || sends_ended.elapsed() > Duration::from_secs(120) {
            break;
        }
        last = now;
    }
    println!(
        "\npushes received: {} (one per browser and room while unsent: a burst collapses), \
         the queue drained {:.1} s after the last send",
        received.load(Ordering::Relaxed),
        sends_ended.elapsed().as_secs_f64() - 1.0
    );
}

/// A WebSocket client connection of the benchmark.
type Socket = tokio_tungstenite::WebSocketStream<TcpStream>;

async fn open_socket(port: u16, token: &str) -> Socket {
    use rocket::futures::StreamExt;
    let stream = TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    let url = format!("ws://127.0.0.1:{port}/api/v1/ws?token={token}");
    let (mut socket, _) = tokio_tungstenite::client_async(url, stream)
        .await
        .expect("upgrade");
    let _ready = socket.next().await;
    socket
}

/// Registers `n` users (each may hold only a few sockets) and has each join
/// `room`; answers their access tokens.
async fn members_of(port: u16, room: i64, n: usize) -> Vec<String> {
    let next = Arc::new(AtomicU64::new(0));
    let tokens = Arc::new(std::sync::Mutex::new(Vec::with_capacity(n)));
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let (next, tokens) = (next.clone(), tokens.clone());
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::open(port).await;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                if i >= n {
                    break;
                }
                let body = format!(
                    r#"{{"username":"listener{i}","email":"listener{i}@example.com","password":"bench password"}}"#
                );
                let (status, answer) = conn
                    .roundtrip(&request("POST", "/api/v1/auth/register", None, &body))
                    .await;
                assert_eq!(status, 201, "{}", String::from_utf8_lossy(&answer));
                let token = json(&answer)["data"]["access_token"]
                    .as_str()
                    .expect("token")
                    .to_owned();
                let path = format!("/api/v1/rooms/{room}/join");
                let (status, _) = conn
                    .roundtrip(&request("POST", &path, Some(&token), "{}"))
                    .await;
                assert!(status == 200 || status == 201, "join: {status}");
                tokens.lock().expect("tokens").push(token);
            }
        }));
    }
    for t in tasks {
        t.await.expect("registration");
    }
    Arc::try_unwrap(tokens)
        .expect("every task ended")
        .into_inner()
        .expect("tokens")
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted
        .get(((sorted.len() as f64 * p) as usize).min(sorted.len().saturating_sub(1)))
        .copied()
        .unwrap_or_default()
}

async fn realtime_benchmark(port: u16, pid: u32, secs: u64) {
    use rocket::futures::StreamExt;
    let limit = rlimit::increase_nofile_limit(u64::MAX).unwrap_or(1024);
    let (token, rooms, _) = setup(port).await;
    let room = rooms[0];
    println!(
        "veza real-time benchmark: {secs} s per measurement, {} cores, open-files limit {limit}\n",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    // 1,000 members: one tab each (a user may hold 16 sockets) will listen,
    // each counting what it hears. Sends alone are measured with them in the
    // room but not connected.
    let listeners = 1000;
    let members = members_of(port, room, listeners).await;
    let sends = send_requests(&[room], &token);
    let alone = measure(port, 16, secs, 201, sends.clone()).await;
    let started = Instant::now();
    let latencies = Arc::new(std::sync::Mutex::new(Vec::<Duration>::new()));
    let heard = Arc::new(AtomicU64::new(0));
    let epoch = Instant::now();
    let mut tasks = Vec::new();
    for member in &members {
        let mut socket = open_socket(port, member).await;
        let (latencies, heard) = (latencies.clone(), heard.clone());
        tasks.push(tokio::spawn(async move {
            while let Some(Ok(message)) = socket.next().await {
                let tokio_tungstenite::tungstenite::Message::Text(text) = message else {
                    continue;
                };
                heard.fetch_add(1, Ordering::Relaxed);
                // Timed messages say when they were sent, in µs since `epoch`.
                if let Some(at) = text
                    .split("sent-at-")
                    .nth(1)
                    .and_then(|t| t.split('"').next())
                {
                    if let Ok(micros) = at.parse::<u64>() {
                        let latency = epoch
                            .elapsed()
                            .saturating_sub(Duration::from_micros(micros));
                        latencies.lock().expect("latencies").push(latency);
                    }
                }
            }
        }));
    }
    println!(
        "{listeners} listeners connected in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    // Latency: one sender, one message at a time, 10 a second.
    let mut conn = Conn::open(port).await;
    let path = format!("/api/v1/rooms/{room}/messages");
    for _ in 0..100 {
        let body = format!(
            r#"{{"content":"timed sent-at-{}"}}"#,
            epoch.elapsed().as_micros()
        );
        let (status, _) = conn
            .roundtrip(&request("POST", &path, Some(&token), &body))
            .await;
        assert_eq!(status, 201);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut all = latencies.lock().expect("latencies").clone();
    all.sort();
    println!(
        "send to receipt, {listeners} receivers x 100 messages: {} receipts, p50 {:.1} ms, p99 {:.1} ms",
        all.len(),
        percentile(&all, 0.50).as_secs_f64() * 1000.0,
        percentile(&all, 0.99).as_secs_f64() * 1000.0
    );
    // Then as fast as 16 senders go (listeners that cannot keep up are dropped).
    let crowded = measure(port, 16, secs, 201, sends.clone()).await;
    println!(
        "sends/s at 16 connections: {:.0} alone, {:.0} with {listeners} listeners ({:.1}%); frames heard {}",
        alone.rps,
        crowded.rps,
        100.0 * crowded.rps / alone.rps,
        heard.load(Ordering::Relaxed)
    );
    for task in tasks {
        task.abort();
    }
    tokio::time::sleep(Duration::from_secs(2)).await;

    // Idle connections: each holds 3 descriptors in the server (client, gate to
    // Rocket, Rocket), 1 here.
    let idle = (limit.saturating_sub(500) / 3).min(10_000) as usize;
    let before = resident_mib(pid);
    let mut sockets = Vec::with_capacity(idle);
    for i in 0..idle {
        // Ten tabs per member at most.
        sockets.push(open_socket(port, &members[i % members.len()]).await);
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = resident_mib(pid);
    println!(
        "{idle} idle connections: resident {before:.1} MiB before, {after:.1} MiB after, {:.1} KB each",
        (after - before) * 1024.0 / idle as f64
    );
    drop(sockets);
}

/// `BENCH_ONLY=tokens`: the same read (`GET /users/me`) signed by a session's
/// access token (its session checked from memory) and by a personal access
/// token (`vz_…`, looked up in the database on every request), against the
/// bare route.
async fn tokens_benchmark(port: u16, secs: u64, jwt: &str, bare: Arc<Vec<Vec<u8>>>) {
    let mut conn = Conn::open(port).await;
    let body = r#"{"name": "bench", "scopes": ["read"]}"#;
    let (status, answer) = conn
        .roundtrip(&request("POST", "/api/v1/users/me/tokens", Some(jwt), body))
        .await;
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&answer));
    let answer: serde_json::Value = serde_json::from_slice(&answer).expect("json");
    let personal = answer["data"]["token"].as_str().expect("token").to_owned();
    let session = Arc::new(vec![request("GET", "/api/v1/users/me", Some(jwt), "")]);
    let by_token = Arc::new(vec![request(
        "GET",
        "/api/v1/users/me",
        Some(&personal),
        "",
    )]);
    println!(
        "{:<44} {:>5} {:>10} {:>9} {:>9} {:>8}",
        "route", "conns", "req/s", "p50 ms", "p99 ms", "vs bare"
    );
    for connections in [16, 64] {
        let rows = [
            (
                "GET /api/v1/ping (bare)",
                measure(port, connections, secs, 200, bare.clone()).await,
            ),
            (
                "GET /users/me, session token",
                measure(port, connections, secs, 200, session.clone()).await,
            ),
            (
                "GET /users/me, vz_ access token",
                measure(port, connections, secs, 200, by_token.clone()).await,
            ),
        ];
        let bare_rps = rows[0].1.rps;
        for (name, m) in rows {
            println!(
                "{name:<44} {connections:>5} {:>10.0} {:>9.2} {:>9.2} {:>7.1}%",
                m.rps,
                m.p50.as_secs_f64() * 1000.0,
                m.p99.as_secs_f64() * 1000.0,
                100.0 * m.rps / bare_rps
            );
        }
    }
}

/// A new database on the server `admin_url` names; its URL.
fn new_database(admin_url: &str) -> String {
    let name = format!("veza_bench_{}", std::process::id());
    let admin = admin_url.to_owned();
    let create = name.clone();
    std::thread::spawn(move || {
        let mut client = postgres::Client::connect(&admin, postgres::NoTls).expect("connect");
        for statement in [
            format!("DROP DATABASE IF EXISTS {create}"),
            format!("CREATE DATABASE {create}"),
        ] {
            client
                .batch_execute(&statement)
                .expect("create the benchmark's database");
        }
        let on: String = client
            .query_one("SHOW synchronous_commit", &[])
            .expect("synchronous_commit")
            .get(0);
        println!("PostgreSQL synchronous_commit = {on}");
    })
    .join()
    .unwrap();
    let mut url = url::Url::parse(admin_url).expect("BENCH_DATABASE_URL is a URL");
    url.set_path(&format!("/{name}"));
    url.to_string()
}

/// `BENCH_ONLY=postgres`: the same sends and pages on SQLite and on PostgreSQL.
async fn postgres_benchmark(dir: &std::path::Path, secs: u64) {
    let Ok(admin) = std::env::var("BENCH_DATABASE_URL") else {
        eprintln!("BENCH_ONLY=postgres needs BENCH_DATABASE_URL (e.g. $(.ci/postgres.sh start))");
        return;
    };
    let messages: u64 = env_number("BENCH_PG_MESSAGES", 20_000);
    let url = new_database(&admin);
    let mut rows = Vec::new();
    for (backend, env) in [
        ("SQLite", vec![]),
        ("PostgreSQL", vec![("VEZA_DATABASE__URL", url.as_str())]),
    ] {
        let home = dir.join(backend);
        std::fs::create_dir_all(&home).unwrap();
        let port = free_port();
        let mut server = start_server_with(&home, port, &env);
        wait_healthy(port).await;
        let (token, rooms, big) = setup(port).await;
        let started = Instant::now();
        fill_room(port, &token, big, messages, |_| "history ".repeat(12)).await;
        println!(
            "{backend}: filled a room with {messages} messages in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        let bare = Arc::new(vec![request("GET", "/api/v1/ping", None, "")]);
        let sends = send_requests(&rooms, &token);
        let page = Arc::new(vec![request(
            "GET",
            &format!("/api/v1/rooms/{big}/messages?limit=50"),
            Some(&token),
            "",
        )]);
        for connections in [16, 64] {
            let bare_m = measure(port, connections, secs, 200, bare.clone()).await;
            let send_m = measure(port, connections, secs, 201, sends.clone()).await;
            let page_m = measure(port, connections, secs, 200, page.clone()).await;
            rows.push((backend, connections, bare_m, send_m, page_m));
        }
        println!(
            "{backend}: server peak RSS {:.1} MiB",
            peak_rss_mib(server.id())
        );
        let _ = server.kill();
        let _ = server.wait();
    }
    println!(
        "\n{:<11} {:>5} {:>10} {:>10} {:>8} {:>8} {:>10} {:>8} {:>8}",
        "store", "conns", "bare/s", "sends/s", "p99 ms", "vs bare", "pages/s", "p99 ms", "vs bare"
    );
    for (backend, connections, bare, send, page) in &rows {
        println!(
            "{backend:<11} {connections:>5} {:>10.0} {:>10.0} {:>8.2} {:>7.1}% {:>10.0} {:>8.2} {:>7.1}%",
            bare.rps,
            send.rps,
            send.p99.as_secs_f64() * 1000.0,
            100.0 * send.rps / bare.rps,
            page.rps,
            page.p99.as_secs_f64() * 1000.0,
            100.0 * page.rps / bare.rps
        );
    }
}
