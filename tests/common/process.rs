//! Helpers for tests that run the real `veza` binary and talk to it over TCP.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn veza(dir: &Path, port: u16) -> Command {
    let mut cmd = veza_sqlite(dir, port);
    cmd.envs(super::store::database_url(dir).map(|url| ("VEZA_DATABASE__URL", url)));
    cmd
}

/// `veza` on SQLite whatever `VEZA_TEST_DATABASE_URL` says: for tests of what
/// only SQLite has (its file, `veza backup`, a damaged file, a full disk).
pub fn veza_sqlite(dir: &Path, port: u16) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_veza"));
    cmd.current_dir(dir)
        .env("VEZA_PORT", port.to_string())
        .env("VEZA_LOG_LEVEL", "critical")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    // VEZA_TEST_LOG=1 shows the server's log (an internal error's cause).
    if std::env::var_os("VEZA_TEST_LOG").is_some() {
        cmd.env("VEZA_LOG_LEVEL", "normal").stderr(Stdio::inherit());
    }
    cmd
}

/// One HTTP/1.1 request over a fresh connection; returns status and body.
pub fn http(port: u16, method: &str, path: &str, body: &str) -> Option<(u16, String)> {
    http_as(port, method, path, None, body)
}

/// Like [`http`], with a bearer token.
pub fn http_as(
    port: u16,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &str,
) -> Option<(u16, String)> {
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
         {auth}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let status = response.split(' ').nth(1)?.parse().ok()?;
    let body = response.split_once("\r\n\r\n").map(|(_, b)| b.to_owned())?;
    Some((status, body))
}

pub fn wait_healthy(port: u16, child: &mut Child) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(30) {
        if let Some((200, _)) = http(port, "GET", "/health", "") {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("veza exited early: {status}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("veza did not become healthy");
}

pub fn sigterm(child: &Child) {
    let ok = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
}

pub fn wait_exit(child: Child) -> Output {
    let start = Instant::now();
    let mut child = child;
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if start.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            panic!("veza did not exit");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Uploads `bytes` as `filename` over a fresh connection; returns status and body.
pub fn upload(port: u16, token: &str, filename: &str, bytes: &[u8]) -> Option<(u16, String)> {
    let body = super::multipart(&[super::Part::File("file", filename, bytes)]);
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .ok()?;
    let head = format!(
        "POST /api/v1/files/upload HTTP/1.1\r\nHost: localhost\r\n\
         Authorization: Bearer {token}\r\n\
         Content-Type: multipart/form-data; boundary={}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        super::BOUNDARY,
        body.len()
    );
    stream.write_all(head.as_bytes()).ok()?;
    stream.write_all(&body).ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let status = response.split(' ').nth(1)?.parse().ok()?;
    let body = response.split_once("\r\n\r\n").map(|(_, b)| b.to_owned())?;
    Some((status, body))
}

/// Registers `username` over HTTP; returns the access token.
pub fn register(port: u16, username: &str) -> String {
    let (status, body) = http(
        port,
        "POST",
        "/api/v1/auth/register",
        &format!(
            r#"{{"username":"{username}","email":"{username}@example.com","password":"a long password"}}"#
        ),
    )
    .expect("an answer");
    assert_eq!(status, 201, "{body}");
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    body["data"]["access_token"].as_str().unwrap().to_owned()
}
