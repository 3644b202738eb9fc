//! The connection gate, over real sockets against the real binary: stalled clients,
//! the connection cap, timeouts of heads, bodies and idle connections, and answers
//! the gate gives itself.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use common::process::*;

struct Server {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(env: &[(&str, &str)]) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut cmd = veza(dir.path(), port);
    cmd.envs(env.iter().copied());

    let mut child = cmd.spawn().unwrap();
    wait_healthy(port, &mut child);
    Server {
        child,
        port,
        _dir: dir,
    }
}

fn connect(port: u16) -> TcpStream {
    let s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s
}

/// Reads until the server closes; returns what it sent and how long that took.
fn read_to_close(s: &mut TcpStream) -> (String, Duration) {
    let start = Instant::now();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(e) => panic!("the connection was not closed: {e}"),
        }
    }
    (String::from_utf8_lossy(&out).into_owned(), start.elapsed())
}

/// Reads one response with a Content-Length body from a keep-alive connection;
/// bytes of the responses after it stay in `pending`.
fn read_response_from(s: &mut TcpStream, pending: &mut Vec<u8>) -> (u16, String) {
    let started = Instant::now();
    let mut buf = [0u8; 4096];
    loop {
        if let Some(head_end) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&pending[..head_end]).into_owned();
            let length: usize = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse().unwrap())
                })
                .unwrap_or(0);
            let end = head_end + 4 + length;
            if pending.len() >= end {
                let status = head[9..12].parse().unwrap();
                let body = String::from_utf8_lossy(&pending[head_end + 4..end]).into_owned();
                pending.drain(..end);
                return (status, body);
            }
        }
        let n = s.read(&mut buf).unwrap();
        assert!(
            n > 0,
            "closed after {:?} before a whole response: {}",
            started.elapsed(),
            String::from_utf8_lossy(pending)
        );
        pending.extend_from_slice(&buf[..n]);
    }
}

/// [`read_response_from`] where no second response can be waiting.
fn read_response(s: &mut TcpStream) -> (u16, String) {
    read_response_from(s, &mut Vec::new())
}

/// `n` connections that sent half a request head and then nothing.
fn stalled(port: u16, n: usize) -> Vec<TcpStream> {
    (0..n)
        .map(|_| {
            let mut s = connect(port);
            s.write_all(b"GET /hea").unwrap();
            s
        })
        .collect()
}

const HEALTH: &[u8] = b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n";

#[test]
fn a_crowd_of_stalled_clients_under_1024_descriptors_does_not_stop_the_server() {
    // This process holds the 1,100 client sockets: it needs room for them.
    let room = rlimit::increase_nofile_limit(4096).unwrap();
    assert!(
        room >= 1200,
        "this test needs 1,200 open files, the limit is {room}"
    );
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    // The server runs with the common limit of 1,024 descriptors, soft and hard.
    let mut child = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "ulimit -n 1024 && exec {}",
            env!("CARGO_BIN_EXE_veza")
        ))
        .current_dir(dir.path())
        .env("VEZA_PORT", port.to_string())
        .env("VEZA_LOG_LEVEL", "critical")
        // Every client here is 127.0.0.1: let the global cap, not the one per
        // address, be what holds.
        .env("VEZA_LIMITS__MAX_CONNECTIONS_PER_ADDRESS", "1000000")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_healthy(port, &mut child);
    let crowd_started = Instant::now();
    let mut crowd = Vec::new();
    for _ in 0..1100 {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        // Half a request head, then nothing.
        let _ = s.write_all(b"GET /health HTTP/1.1\r\nHo");
        crowd.push(s);
    }
    let mut answered = None;
    while crowd_started.elapsed() < Duration::from_secs(30) {
        if let Some((200, body)) = http(port, "GET", "/health", "") {
            answered = Some(body);
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let _ = child.kill();
    let _ = child.wait();
    let body = answered.expect("a new client got /health within 30 s");
    assert!(body.contains("ok"), "{body}");
}

#[test]
fn connections_over_the_cap_are_refused_at_once_with_503() {
    let server = start(&[("VEZA_LIMITS__MAX_CONNECTIONS", "4")]);
    let held = stalled(server.port, 4);
    std::thread::sleep(Duration::from_millis(300));
    let mut extra = connect(server.port);
    let (text, took) = read_to_close(&mut extra);
    assert!(text.starts_with("HTTP/1.1 503"), "{text}");
    assert!(text.contains("\"SERVICE_UNAVAILABLE\""), "{text}");
    assert!(took < Duration::from_secs(5), "refused at once, not queued");
    drop(held);
    std::thread::sleep(Duration::from_millis(300));
    let (status, _) = http(server.port, "GET", "/health", "").unwrap();
    assert_eq!(status, 200, "slots come back when connections close");
}

#[test]
fn one_address_cannot_take_every_connection() {
    let server = start(&[
        ("VEZA_LIMITS__MAX_CONNECTIONS", "50"),
        ("VEZA_LIMITS__MAX_CONNECTIONS_PER_ADDRESS", "3"),
    ]);
    let held = stalled(server.port, 3);
    std::thread::sleep(Duration::from_millis(300));
    let mut extra = connect(server.port);
    let (text, _) = read_to_close(&mut extra);
    assert!(text.starts_with("HTTP/1.1 503"), "{text}");
    assert!(text.contains("from your address"), "{text}");
    drop(held);
    std::thread::sleep(Duration::from_millis(300));
    let (status, _) = http(server.port, "GET", "/health", "").unwrap();
    assert_eq!(
        status, 200,
        "the address's places come back when its connections close"
    );
}

#[test]
fn a_head_that_does_not_complete_in_time_gets_408_and_is_closed() {
    let server = start(&[("VEZA_LIMITS__HEAD_TIMEOUT_SECS", "1")]);
    let mut s = connect(server.port);
    s.write_all(b"GET /health HTTP/1.1\r\nHost").unwrap();
    let (text, took) = read_to_close(&mut s);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("\"REQUEST_TIMEOUT\""), "{text}");
    assert!(text.contains("X-Request-Id: req_"), "{text}");
    assert!(
        took < Duration::from_secs(5),
        "closed after the head timeout"
    );

    // Dripping the head byte by byte does not extend the deadline: the 408 comes
    // while the client is still dripping (what it sends after is read and dropped
    // for a bounded time, so that the answer is not lost to a reset).
    let mut s = connect(server.port);
    s.set_nonblocking(true).unwrap();
    let start = Instant::now();
    let mut answered = None;
    let mut text = Vec::new();
    for b in b"GET /health HTTP/1.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" {
        if s.write_all(&[*b]).is_err() {
            break;
        }
        let mut buf = [0u8; 4096];
        if let Ok(n @ 1..) = s.read(&mut buf) {
            text.extend_from_slice(&buf[..n]);
            answered.get_or_insert(start.elapsed());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    s.set_nonblocking(false).unwrap();
    let (rest, _) = read_to_close(&mut s);
    let text = String::from_utf8_lossy(&text).into_owned() + &rest;
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    let answered = answered.expect("the 408 came while the head was still dripping");
    assert!(answered < Duration::from_secs(4), "{answered:?}");
}

#[test]
fn idle_keep_alive_connections_close() {
    let server = start(&[("VEZA_LIMITS__KEEP_ALIVE_SECS", "1")]);
    let mut s = connect(server.port);
    for _ in 0..3 {
        s.write_all(HEALTH).unwrap();
        assert_eq!(read_response(&mut s).0, 200, "keep-alive works");
        std::thread::sleep(Duration::from_millis(400));
    }
    let (rest, took) = read_to_close(&mut s);
    assert_eq!(rest, "", "an idle close sends nothing");
    assert!(
        took < Duration::from_secs(4),
        "closed after the idle timeout"
    );
}

#[test]
fn a_stalled_body_is_cut_off_and_a_slow_one_is_not() {
    // The minimum rate is lowered: this test is about stalls, not trickles.
    let server = start(&[
        ("VEZA_LIMITS__BODY_STALL_SECS", "1"),
        ("VEZA_LIMITS__BODY_MIN_BYTES_PER_SEC", "10"),
    ]);
    let body = r#"{"username":"someone","password":"not the password"}"#;
    let head = format!(
        "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    );
    // Slow but steady: a byte every 200 ms is fine.
    let mut s = connect(server.port);
    s.write_all(head.as_bytes()).unwrap();
    for chunk in body.as_bytes().chunks(10) {
        s.write_all(chunk).unwrap();
        std::thread::sleep(Duration::from_millis(200));
    }
    let (status, answer) = read_response(&mut s);
    assert_eq!(status, 401, "{answer}");
    // Half the body, then nothing.
    let mut s = connect(server.port);
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(&body.as_bytes()[..10]).unwrap();
    let (_, took) = read_to_close(&mut s);
    assert!(took < Duration::from_secs(5), "a stalled body is cut off");
}

#[test]
fn the_gate_answers_unknown_methods_malformed_and_huge_heads_in_the_envelope() {
    let server = start(&[]);
    let mut s = connect(server.port);
    s.write_all(b"FOO /api/v1/rooms HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let (text, _) = read_to_close(&mut s);
    assert!(text.starts_with("HTTP/1.1 405"), "{text}");
    assert!(text.contains("Allow: GET, POST"), "{text}");
    assert!(text.contains("X-Request-Id: req_"), "{text}");
    assert!(text.contains("\"METHOD_NOT_ALLOWED\""), "{text}");

    let mut s = connect(server.port);
    s.write_all(b"POST /api/v1/auth/login HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n")
        .unwrap();
    let (text, _) = read_to_close(&mut s);
    assert!(text.starts_with("HTTP/1.1 400"), "{text}");
    assert!(text.contains("\"success\":false"), "{text}");

    let mut s = connect(server.port);
    let huge = format!(
        "GET /health HTTP/1.1\r\nX-Big: {}\r\n\r\n",
        "a".repeat(70_000)
    );
    let _ = s.write_all(huge.as_bytes());
    let (text, _) = read_to_close(&mut s);
    assert!(text.starts_with("HTTP/1.1 431"), "{text}");

    // The server is still fine, and pipelined requests on one connection work.
    let mut s = connect(server.port);
    s.write_all(&[HEALTH, HEALTH].concat()).unwrap();
    let mut pending = Vec::new();
    assert_eq!(read_response_from(&mut s, &mut pending).0, 200);
    assert_eq!(read_response_from(&mut s, &mut pending).0, 200);
    assert!(pending.is_empty());
}

#[test]
fn chunked_uploads_pass_through_the_gate() {
    let server = start(&[]);
    let mut s = connect(server.port);
    let body = r#"{"username":"chunky","email":"c@example.com","password":"secure_password123"}"#;
    let (a, b) = body.split_at(20);
    let request = format!(
        "POST /api/v1/auth/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\n\r\n{:x}\r\n{a}\r\n{:x}\r\n{b}\r\n0\r\n\r\n",
        a.len(),
        b.len()
    );
    s.write_all(request.as_bytes()).unwrap();
    let (status, answer) = read_response(&mut s);
    assert_eq!(status, 201, "{answer}");
    s.write_all(HEALTH).unwrap();
    assert_eq!(read_response(&mut s).0, 200, "the connection stays usable");
}
