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
    // Each error names the key as the operator wrote it and says what is expected.
    let cases: [(&str, &str, &str); 6] = [
        (
            "VEZA_RATE_LIMIT__REQUESTS_PER_HOUR",
            "lots",
            "VEZA_RATE_LIMIT__REQUESTS_PER_HOUR is string \"lots\"; expected a whole number",
        ),
        (
            "VEZA_RATE_LIMIT__REQUESTS_PER_HOUR",
            "0",
            "VEZA_RATE_LIMIT__REQUESTS_PER_HOUR must be between 1 and",
        ),
        (
            "VEZA_PORT",
            "http",
            "VEZA_PORT is string \"http\"; expected a whole number from 0 to 65535",
        ),
        (
            "VEZA_REGISTRATION",
            "maybe",
            "VEZA_REGISTRATION is \"maybe\"; expected one of: open, closed",
        ),
        (
            "VEZA_JWT_SECRET",
            "short",
            "VEZA_JWT_SECRET must be at least 32 bytes long",
        ),
        (
            "VEZA_ADDRESS",
            "localhost",
            "VEZA_ADDRESS is not an IP address",
        ),
    ];
    for (key, value, expected) in cases {
        let err = start_error(dir.path(), &[(key, value)], &[]);
        assert!(err.contains(expected), "{key}={value}: {err}");
        assert!(!err.contains("default."), "{err}");
    }

    std::fs::write(dir.path().join("veza.toml"), "prot = 8080\n").unwrap();
    let err = start_error(dir.path(), &[], &[]);
    assert!(
        err.contains("`prot` in veza.toml is not a setting Veza knows"),
        "{err}"
    );
    assert!(
        err.contains("address, port"),
        "the known keys are listed: {err}"
    );
    std::fs::write(
        dir.path().join("other.toml"),
        "[limits]\nmessage_max_length = 0\n",
    )
    .unwrap();
    let err = start_error(dir.path(), &[], &["--config", "./other.toml"]);
    assert!(
        err.contains("`limits.message_max_length` in ./other.toml must be between 1 and"),
        "the path as given: {err}"
    );
    std::fs::write(
        dir.path().join("other.toml"),
        "[limits]\nmax_connections = \"many\"\n",
    )
    .unwrap();
    let err = start_error(dir.path(), &[], &["--config", "other.toml"]);
    assert!(
        err.contains(
            "`limits.max_connections` in other.toml is string \"many\"; expected a whole number"
        ),
        "{err}"
    );
    let err = start_error(dir.path(), &[], &["--config", "missing.toml"]);
    assert!(
        err.contains("the configuration file missing.toml does not exist"),
        "{err}"
    );
    let err = start_error(dir.path(), &[], &["--bogus"]);
    assert!(err.contains("--bogus"), "{err}");
    assert!(
        !dir.path().join("data").exists(),
        "nothing was created by failed starts"
    );
}

#[test]
fn a_port_in_use_is_named_and_leaves_no_data_directory() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let out = wait_exit(veza(dir.path(), port).spawn().unwrap());
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("cannot listen on 127.0.0.1:{port}")),
        "{err}"
    );
    assert!(
        err.contains("VEZA_PORT"),
        "says how to choose another: {err}"
    );
    assert!(
        !dir.path().join("data").exists(),
        "no data directory left behind"
    );
}

#[test]
fn the_log_has_a_short_banner_and_one_line_per_request_without_queries() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut server = veza(dir.path(), port)
        .env("VEZA_LOG_LEVEL", "normal")
        .spawn()
        .unwrap();
    wait_healthy(port, &mut server);
    let (status, _) = http(port, "GET", "/api/v1/ping?token=very-secret-token", "").unwrap();
    assert_eq!(status, 200);
    let (status, _) = http(port, "GET", "/api/v1/rooms/42?token=very-secret-token", "").unwrap();
    assert_eq!(status, 401);
    let (status, _) = http(
        port,
        "GET",
        "/api/v1/no/such/path?token=very-secret-token",
        "",
    )
    .unwrap();
    assert_eq!(status, 404);
    sigterm(&server);
    let out = wait_exit(server);
    assert_eq!(out.status.code(), Some(0));
    let log = String::from_utf8_lossy(&out.stderr).into_owned();
    let banner: Vec<&str> = log.lines().filter(|l| l.contains("listening on")).collect();
    assert_eq!(banner.len(), 1, "{log}");
    assert!(
        banner[0].contains(&format!(
            "listening on http://127.0.0.1:{port}, data in ./data"
        )),
        "{log}"
    );
    assert!(banner[0].contains(env!("CARGO_PKG_VERSION")), "{log}");
    // Rocket's own banner, route table and request lines are gone.
    for noise in [
        "Configured for",
        "Routes:",
        "Fairings:",
        "Rocket has launched",
        "Matched:",
    ] {
        assert!(!log.contains(noise), "{noise} in {log}");
    }
    assert!(
        !log.contains("very-secret-token"),
        "a query reached the log: {log}"
    );
    // One line per request: time, level, method, route template, status, duration, id.
    let line = |route: &str, status: u16| {
        log.lines()
            .find(|l| l.contains(&format!(" GET {route} {status} ")))
            .unwrap_or_else(|| panic!("no line for {route} {status} in {log}"))
            .to_owned()
    };
    let ping = line("/api/v1/ping", 200);
    let parts: Vec<&str> = ping.split_whitespace().collect();
    assert!(parts[0].ends_with('Z') && parts[0].contains('T'), "{ping}");
    assert_eq!(parts[1], "INFO");
    assert!(parts[5].ends_with("ms"), "{ping}");
    assert!(parts[6].starts_with("req_"), "{ping}");
    line("/api/v1/rooms/<id>", 401);
    line("unmatched", 404);
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
    let sqlite_files: &[&str] = match common::store::on_postgres() {
        true => &[],
        false => &["veza.db", "veza.db-wal", "veza.db-shm"],
    };
    for file in sqlite_files.iter().chain(&["veza.lock", "jwt_secret"]) {
        assert_eq!(mode(&data.join(file)), 0o600, "{file}");
    }
}

#[cfg(not(unix))]
fn assert_private_files(_: &Path) {}
