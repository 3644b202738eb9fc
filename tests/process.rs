//! The real `veza` binary: start, data-directory lock, clean SIGTERM exit, restart
//! with data intact, and configuration errors that name the key.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;

use common::process::*;

#[test]
fn serves_locks_its_data_dir_and_exits_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut server = veza(dir.path(), port).spawn().unwrap();
    wait_healthy(port, &mut server);
    assert!(
        dir.path().join("data/veza.db").is_file(),
        "./data/veza.db is created"
    );
    assert!(dir.path().join("data/files").is_dir());
    let body =
        r#"{"username":"john_doe","email":"john@example.com","password":"secure_password123"}"#;
    let (status, _) = http(port, "POST", "/api/v1/auth/register", body).unwrap();
    assert_eq!(status, 201);
    assert_private_files(&dir.path().join("data"));

    // A second server on the same data directory refuses to start.
    let second = veza(dir.path(), free_port()).spawn().unwrap();
    let out = wait_exit(second);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("in use"), "stderr: {stderr}");
    assert_eq!(
        http(port, "GET", "/health", "").unwrap().0,
        200,
        "the first one still serves"
    );

    sigterm(&server);
    let out = wait_exit(server);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Restarted on the same directory, the account is still there.
    let port = free_port();
    let mut server = veza(dir.path(), port).spawn().unwrap();
    wait_healthy(port, &mut server);
    let login = r#"{"username":"john_doe","password":"secure_password123"}"#;
    let (status, body) = http(port, "POST", "/api/v1/auth/login", login).unwrap();
    assert_eq!(status, 200, "{body}");
    sigterm(&server);
    assert_eq!(wait_exit(server).status.code(), Some(0));
}

fn start_error(dir: &Path, envs: &[(&str, &str)], args: &[&str]) -> String {
    let mut cmd = veza(dir, free_port());
    cmd.args(args);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = wait_exit(cmd.spawn().unwrap());
    assert!(
        !out.status.success(),
        "veza started with a bad configuration"
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn invalid_configuration_stops_the_start_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let err = start_error(
        dir.path(),
        &[("VEZA_RATE_LIMIT__REQUESTS_PER_HOUR", "lots")],
        &[],
    );
    assert!(err.contains("rate_limit.requests_per_hour"), "{err}");
    let err = start_error(
        dir.path(),
        &[("VEZA_RATE_LIMIT__REQUESTS_PER_HOUR", "0")],
        &[],
    );
    assert!(err.contains("rate_limit.requests_per_hour"), "{err}");
    let err = start_error(dir.path(), &[("VEZA_REGISTRATION", "maybe")], &[]);
    assert!(err.contains("registration"), "{err}");
    let err = start_error(dir.path(), &[("VEZA_JWT_SECRET", "short")], &[]);
    assert!(err.contains("jwt_secret"), "{err}");

    std::fs::write(dir.path().join("veza.toml"), "prot = 8080\n").unwrap();
    let err = start_error(dir.path(), &[], &[]);
    assert!(err.contains("prot"), "{err}");
    std::fs::write(
        dir.path().join("other.toml"),
        "[limits]\nmessage_max_length = 0\n",
    )
    .unwrap();
    let err = start_error(dir.path(), &[], &["--config", "other.toml"]);
    assert!(err.contains("limits.message_max_length"), "{err}");
    let err = start_error(dir.path(), &[], &["--config", "missing.toml"]);
    assert!(err.contains("missing.toml"), "{err}");
    let err = start_error(dir.path(), &[], &["--bogus"]);
    assert!(err.contains("--bogus"), "{err}");
    assert!(
        !dir.path().join("data").exists(),
        "nothing was created by failed starts"
    );
}

#[test]
fn the_config_file_is_read_and_env_overrides_it() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    std::fs::write(
        dir.path().join("veza.toml"),
        "data_dir = \"./store\"\nport = 1\n[rate_limit]\nrequests_per_hour = 7\n",
    )
    .unwrap();
    let mut server = veza(dir.path(), port).spawn().unwrap(); // VEZA_PORT wins over port = 1
    wait_healthy(port, &mut server);
    assert!(dir.path().join("store/veza.db").is_file());
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .write_all(b"GET /api/v1/users/me HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(
        response
            .to_ascii_lowercase()
            .contains("x-ratelimit-limit: 7"),
        "{response}"
    );
    sigterm(&server);
    assert_eq!(wait_exit(server).status.code(), Some(0));
}

/// Everything Veza made in its data directory is its user's alone: files 0600,
/// directories 0700 (the WAL exists once something was written).
#[cfg(unix)]
fn assert_private_files(data: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(data), 0o700, "the data directory");
    assert_eq!(mode(&data.join("files")), 0o700, "files/");
    for file in [
        "veza.db",
        "veza.db-wal",
        "veza.db-shm",
        "veza.lock",
        "jwt_secret",
    ] {
        assert_eq!(mode(&data.join(file)), 0o600, "{file}");
    }
}

#[cfg(not(unix))]
fn assert_private_files(_: &Path) {}
