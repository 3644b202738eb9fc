//! Memory that comes back: the resident size of the real server after 1,000
//! logins, 8 at a time, stays under 64 MB (password hashing reuses the memory of a
//! fixed set of hasher threads).

mod common;

use std::time::Instant;

use common::process::*;

fn resident_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    kib / 1024.0
}

#[test]
fn resident_size_after_1000_logins_stays_under_64_mb() {
    if !std::path::Path::new("/proc/self/status").exists() {
        return; // no /proc to read the resident size from
    }
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut server = veza(dir.path(), port)
        .env("VEZA_RATE_LIMIT__REQUESTS_PER_HOUR", "1000000")
        .spawn()
        .unwrap();
    wait_healthy(port, &mut server);
    let (status, body) = http(
        port,
        "POST",
        "/api/v1/auth/register",
        r#"{"username":"many","email":"many@example.com","password":"login many times"}"#,
    )
    .unwrap();
    assert_eq!(status, 201, "{body}");
    let started = Instant::now();
    let workers: Vec<_> = (0..8)
        .map(|_| {
            std::thread::spawn(move || {
                for _ in 0..125 {
                    let (status, body) = http(
                        port,
                        "POST",
                        "/api/v1/auth/login",
                        r#"{"username":"many","password":"login many times"}"#,
                    )
                    .expect("an answer");
                    assert_eq!(status, 200, "{body}");
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    let rss = resident_mib(server.id());
    // Anonymous memory is Veza's own; file pages are the binary's code.
    let breakdown = std::fs::read_to_string(format!("/proc/{}/status", server.id())).unwrap();
    let breakdown: Vec<&str> = breakdown.lines().filter(|l| l.starts_with("Rss")).collect();
    eprintln!("{}", breakdown.join(", "));
    let _ = server.kill();
    let _ = server.wait();
    eprintln!(
        "1000 logins in {:.1} s; resident {rss:.1} MiB",
        started.elapsed().as_secs_f64()
    );
    assert!(rss < 64.0, "resident size {rss:.1} MiB after 1000 logins");
}
