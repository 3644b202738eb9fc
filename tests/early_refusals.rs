//! A refusal sent before the request body is read (413, 401, …) reaches the client
//! whole, over real sockets: the server writes it, stops reading what it does not
//! need, and closes gracefully instead of resetting the connection; the draining is
//! bounded, so a client that sends for ever is cut off. Bodies trickled a byte at a
//! time are cut off too.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::server::Server;
use common::{multipart, Part, BOUNDARY};

const LIMIT: &str = "1048576";

/// Sends `head` and then all of `body` without waiting for an answer, then reads
/// the answer to the end. Panics on a reset: that is the bug this file is about.
fn send_whole(port: u16, head: &str, body: &[u8]) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.set_write_timeout(Some(Duration::from_secs(20))).unwrap();
    s.write_all(head.as_bytes()).unwrap();
    if let Err(e) = s.write_all(body) {
        panic!("the body could not be sent: {e}");
    }
    let mut answer = Vec::new();
    if let Err(e) = s.read_to_end(&mut answer) {
        panic!(
            "the answer was lost: {e} (read so far: {:?})",
            String::from_utf8_lossy(&answer)
        );
    }
    String::from_utf8_lossy(&answer).into_owned()
}

fn upload_head(token: Option<&str>, length: usize, extra: &str) -> String {
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    format!(
        "POST /api/v1/files/upload HTTP/1.1\r\nHost: localhost\r\n{auth}\
         Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n\
         Content-Length: {length}\r\n{extra}\r\n"
    )
}

fn assert_envelope(answer: &str, status: &str, code: &str) {
    assert!(
        answer.starts_with(&format!("HTTP/1.1 {status}")),
        "expected {status}: {answer:.300}"
    );
    let body = answer.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    let json: serde_json::Value = serde_json::from_str(body).expect("a JSON envelope");
    assert_eq!(json["success"], false);
    assert_eq!(json["error"]["code"], code, "{json}");
}

#[test]
fn fifty_oversized_uploads_in_a_row_each_read_their_413() {
    let server = Server::start(&[("VEZA_LIMITS__UPLOAD_MAX_BYTES", LIMIT)]);
    let alice = server.register("alice");
    let body = multipart(&[Part::File("file", "big.bin", &vec![7u8; 3_000_000])]);
    let head = upload_head(Some(&alice.token), body.len(), "");
    for attempt in 0..50 {
        let answer = send_whole(server.port, &head, &body);
        assert_envelope(&answer, "413", "PAYLOAD_TOO_LARGE");
        assert!(
            answer.contains("1048576"),
            "attempt {attempt}: {answer:.300}"
        );
    }
}

#[test]
fn an_upload_without_a_token_and_an_oversized_json_body_read_their_refusals() {
    let server = Server::start(&[
        ("VEZA_LIMITS__UPLOAD_MAX_BYTES", LIMIT),
        ("VEZA_LIMITS__JSON_MAX_BYTES", "65536"),
    ]);
    let alice = server.register("alice");
    let body = multipart(&[Part::File("file", "big.bin", &vec![7u8; 2_000_000])]);
    let head = upload_head(None, body.len(), "");
    for _ in 0..20 {
        let answer = send_whole(server.port, &head, &body);
        assert_envelope(&answer, "401", "INVALID_TOKEN");
    }
    let json = format!(r#"{{"content": "{}"}}"#, "x".repeat(2_000_000));
    let room = server.room(&alice, "lobby", true);
    let head = format!(
        "POST /api/v1/rooms/{room}/messages HTTP/1.1\r\nHost: localhost\r\n\
         Authorization: Bearer {}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n",
        alice.token,
        json.len()
    );
    for _ in 0..20 {
        let answer = send_whole(server.port, &head, json.as_bytes());
        assert_envelope(&answer, "413", "PAYLOAD_TOO_LARGE");
    }
}

#[test]
fn with_expect_100_continue_the_413_comes_before_any_body_byte() {
    let server = Server::start(&[("VEZA_LIMITS__UPLOAD_MAX_BYTES", LIMIT)]);
    let alice = server.register("alice");
    let mut s = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let head = upload_head(Some(&alice.token), 3_000_000, "Expect: 100-continue\r\n");
    s.write_all(head.as_bytes()).unwrap();
    let mut answer = Vec::new();
    s.read_to_end(&mut answer)
        .expect("an answer, then a clean close");
    let answer = String::from_utf8_lossy(&answer);
    assert!(!answer.contains("100 Continue"), "{answer}");
    assert_envelope(&answer, "413", "PAYLOAD_TOO_LARGE");
}

#[test]
fn a_client_that_keeps_sending_after_the_refusal_is_cut_off() {
    let server = Server::start(&[("VEZA_LIMITS__UPLOAD_MAX_BYTES", LIMIT)]);
    let alice = server.register("alice");
    let mut s = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    s.set_write_timeout(Some(Duration::from_secs(30))).unwrap();
    // Declares a huge body and sends it for ever.
    let head = upload_head(Some(&alice.token), 1 << 40, "");
    s.write_all(head.as_bytes()).unwrap();
    let started = Instant::now();
    let chunk = vec![0u8; 64 * 1024];
    let mut sent = 0u64;
    let cut = loop {
        if s.write_all(&chunk).is_err() {
            break started.elapsed();
        }
        sent += chunk.len() as u64;
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "still sending after 60 s and {sent} bytes"
        );
    };
    // The drain stops after 5 s or 64 MiB; the rest is the kernel's buffers.
    assert!(cut < Duration::from_secs(20), "cut off after {cut:?}");
    assert!(sent < 512 * 1024 * 1024, "{sent} bytes were taken");
    // The server is fine afterwards.
    let (status, _) = common::process::http(server.port, "GET", "/health", "").expect("an answer");
    assert_eq!(status, 200);
}

#[test]
fn a_body_trickled_a_byte_at_a_time_is_cut_off() {
    let server = Server::start(&[("VEZA_LIMITS__BODY_STALL_SECS", "2")]);
    let mut s = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    s.set_read_timeout(Some(Duration::from_millis(400)))
        .unwrap();
    s.write_all(
        b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
          Content-Length: 1000\r\n\r\n",
    )
    .unwrap();
    // Never stalls (a byte every 400 ms), but far below the minimum rate.
    let started = Instant::now();
    let closed = loop {
        if started.elapsed() > Duration::from_secs(30) {
            break false;
        }
        if s.write_all(b"{").is_err() {
            break true;
        }
        let mut buf = [0u8; 512];
        match s.read(&mut buf) {
            Ok(0) => break true,
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => continue,
            Err(_) => break true,
        }
    };
    assert!(closed, "a trickled body holds its connection for 30 s");
}

#[test]
fn a_415_and_a_429_sent_before_the_body_are_read_too() {
    let server = Server::start(&[
        ("VEZA_RATE_LIMIT__REQUESTS_PER_HOUR", "3600"),
        ("VEZA_RATE_LIMIT__BURST", "12"),
    ]);
    let alice = server.register("alice");
    let room = server.room(&alice, "lobby", true);
    let body = vec![b'x'; 2_000_000];
    let head = |extra: &str| {
        format!(
            "POST /api/v1/rooms/{room}/messages HTTP/1.1\r\nHost: localhost\r\n\
             Authorization: Bearer {}\r\nContent-Type: application/json\r\n{extra}\
             Content-Length: {}\r\n\r\n",
            alice.token,
            body.len()
        )
    };
    for _ in 0..10 {
        let answer = send_whole(server.port, &head("Content-Encoding: deflate\r\n"), &body);
        assert_envelope(&answer, "415", "VALIDATION_FAILED");
    }
    // The bucket of 12 is soon spent; each refusal still arrives whole.
    let mut limited = 0;
    for _ in 0..40 {
        let answer = send_whole(server.port, &head(""), &body);
        if answer.starts_with("HTTP/1.1 429") {
            assert_envelope(&answer, "429", "RATE_LIMIT_EXCEEDED");
            limited += 1;
        } else {
            assert_envelope(&answer, "413", "PAYLOAD_TOO_LARGE");
        }
    }
    assert!(limited > 0, "the rate limit answered");
}
