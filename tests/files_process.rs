//! Files against the real server: work that survives restarts, crashes in the
//! middle of an upload, and memory that stays flat while large uploads stream in.

mod common;

use std::io::Write;
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

use common::process::*;
use common::{files_under, png};
use serde_json::Value;

fn json_of(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or(Value::Null)
}

/// A GET over a fresh connection; status and raw body.
fn get_bytes(port: u16, path: &str, token: &str) -> (u16, Vec<u8>) {
    use std::io::Read;
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let head = format!(
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\n\
         Connection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let split = response.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&response[..split]);
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, response[split + 4..].to_vec())
}

fn thumbnail_status(port: u16, token: &str, id: i64) -> String {
    let (status, body) =
        http_as(port, "GET", &format!("/api/v1/files/{id}"), Some(token), "").expect("an answer");
    assert_eq!(status, 200, "{body}");
    json_of(&body)["data"]["thumbnail_status"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn a_pending_thumbnail_is_made_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    // Thumbnails off: the job waits in its queue.
    let mut server = veza(dir.path(), port)
        .env("VEZA_FILES__THUMBNAILS", "false")
        .spawn()
        .unwrap();
    wait_healthy(port, &mut server);
    let token = register(port, "alice");
    let (status, body) = upload(port, &token, "photo.png", &png(640, 480)).unwrap();
    assert_eq!(status, 201, "{body}");
    let id = json_of(&body)["data"]["file_id"].as_i64().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(thumbnail_status(port, &token, id), "pending");
    sigterm(&server);
    assert!(wait_exit(server).status.success());

    let port = free_port();
    let mut server = veza(dir.path(), port).spawn().unwrap();
    wait_healthy(port, &mut server);
    let started = Instant::now();
    while thumbnail_status(port, &token, id) != "ready" {
        assert!(started.elapsed() < Duration::from_secs(20), "never made");
        std::thread::sleep(Duration::from_millis(50));
    }
    let (status, bytes) = get_bytes(port, &format!("/api/v1/files/{id}/thumbnail"), &token);
    assert_eq!(status, 200);
    let thumbnail = image::load_from_memory(&bytes).unwrap();
    assert_eq!((thumbnail.width(), thumbnail.height()), (320, 240));
    sigterm(&server);
    assert!(wait_exit(server).status.success());
}

#[test]
fn kill_9_in_the_middle_of_an_upload_leaves_nothing_after_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let files = dir.path().join("data/files");
    let port = free_port();
    let mut server = veza(dir.path(), port).spawn().unwrap();
    wait_healthy(port, &mut server);
    let token = register(port, "alice");

    // Announce 8 MiB, send 2 MiB, and wait until they are being staged.
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let boundary = common::BOUNDARY;
    let part_head = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.bin\"\r\n\r\n"
    );
    let head = format!(
        "POST /api/v1/files/upload HTTP/1.1\r\nHost: localhost\r\n\
         Authorization: Bearer {token}\r\n\
         Content-Type: multipart/form-data; boundary={boundary}\r\n\
         Content-Length: {}\r\n\r\n{part_head}",
        part_head.len() + 8 * 1024 * 1024 + boundary.len() + 8
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(&vec![42u8; 2 * 1024 * 1024]).unwrap();
    let started = Instant::now();
    while files_under(&files).is_empty() {
        assert!(started.elapsed() < Duration::from_secs(20), "never staged");
        std::thread::sleep(Duration::from_millis(20));
    }
    server.kill().unwrap(); // SIGKILL
    server.wait().unwrap();
    drop(stream);
    assert!(
        !files_under(&files).is_empty(),
        "the crash left a staged upload"
    );

    let port = free_port();
    let mut server = veza(dir.path(), port).spawn().unwrap();
    wait_healthy(port, &mut server);
    assert_eq!(files_under(&files), Vec::<std::path::PathBuf>::new());
    // And the server works on.
    let (status, body) = upload(port, &token, "after.txt", b"after the crash").unwrap();
    assert_eq!(status, 201, "{body}");
    assert_eq!(files_under(&files).len(), 1);
    sigterm(&server);
    assert!(wait_exit(server).status.success());
}

#[test]
fn an_oversize_upload_is_refused_before_its_body_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut server = veza(dir.path(), port).spawn().unwrap();
    wait_healthy(port, &mut server);
    let token = register(port, "alice");
    // Declares 1 GiB and sends 1 KiB of it: the answer comes at once. (Rocket looks
    // at a body's first bytes before routing, so a client sending none would wait.)
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let head = format!(
        "POST /api/v1/files/upload HTTP/1.1\r\nHost: localhost\r\n\
         Authorization: Bearer {token}\r\n\
         Content-Type: multipart/form-data; boundary=x\r\n\
         Content-Length: 1073741824\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(&[b'-'; 1024]).unwrap();
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    use std::io::Read;
    while let Ok(n) = stream.read(&mut buf) {
        if n == 0 {
            break;
        }
        answer.extend_from_slice(&buf[..n]);
        if answer.windows(4).any(|w| w == b"\r\n\r\n") && answer.ends_with(b"}") {
            break;
        }
    }
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("PAYLOAD_TOO_LARGE"), "{answer}");
    assert!(files_under(&dir.path().join("data/files")).is_empty());
    sigterm(&server);
    assert!(wait_exit(server).status.success());
}

fn memory_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

#[test]
fn ten_concurrent_25_mib_uploads_do_not_sit_in_memory() {
    if !Path::new("/proc/self/status").exists() {
        return; // no /proc to read the resident size from
    }
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut server = veza(dir.path(), port).spawn().unwrap();
    wait_healthy(port, &mut server);
    let token = register(port, "alice");
    // A first upload warms every buffer and thread pool up.
    assert_eq!(
        upload(port, &token, "warm.bin", &[1u8; 1 << 20]).unwrap().0,
        201
    );
    let before = memory_kib(server.id(), "VmRSS:");
    let file = std::sync::Arc::new(vec![0xA5u8; 25 * 1024 * 1024 - 1024]);
    let uploads: Vec<_> = (0..10)
        .map(|i| {
            let (file, token) = (file.clone(), token.clone());
            std::thread::spawn(move || {
                let (status, body) = upload(port, &token, &format!("{i}.bin"), &file).unwrap();
                assert_eq!(status, 201, "{body}");
            })
        })
        .collect();
    for upload in uploads {
        upload.join().unwrap();
    }
    let peak = memory_kib(server.id(), "VmHWM:");
    let _ = server.kill();
    let _ = server.wait();
    let grew_mib = peak.saturating_sub(before) as f64 / 1024.0;
    eprintln!(
        "resident before {} MiB, peak during uploads +{grew_mib:.1} MiB",
        before / 1024
    );
    assert!(
        grew_mib < 64.0,
        "ten 25 MiB uploads raised the peak resident size by {grew_mib:.1} MiB"
    );
}
