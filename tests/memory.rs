//! Memory that comes back: the real server's own memory after 1,000 logins, 8 at
//! a time, stays under 56 MiB (password hashing reuses the memory of a fixed set of
//! hasher threads: 2 × 19 MiB of it). What is counted is its anonymous resident
//! memory; the binary's code pages come on top and depend on the build profile
//! (about 20 MiB in the test build).

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

/// A `kB` line of `/proc/<pid>/status`, in MiB.
fn status_mib(pid: u32, field: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    kib / 1024.0
}

#[test]
fn own_memory_after_1000_logins_stays_under_56_mib() {
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
    let own = status_mib(server.id(), "RssAnon:");
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
    assert!(own < 56.0, "own memory {own:.1} MiB after 1000 logins");
}
