//! Several `veza` nodes on one PostgreSQL database, with Debian's nginx in
//! front of them on loopback (round-robin, WebSocket upgrades passed on), as
//! docs/nodes.md sets them up. Nodes share a files directory and a JWT secret,
//! and each has its own data directory and `node.id`.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::process::{free_port, veza_sqlite, wait_healthy};
use super::store::{database_url, Dropped};

pub const SECRET: &str = "the nodes' shared secret, long enough to sign";

pub struct Node {
    pub id: String,
    pub port: u16,
    child: Option<Child>,
}

pub struct Cluster {
    pub nodes: Vec<Node>,
    /// nginx's port, when nginx is installed.
    balancer: Option<(u16, Child)>,
    dir: tempfile::TempDir,
    _db: Dropped,
}

/// An answer: status, which node gave it, body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub node: String,
    pub body: Value,
}

impl Cluster {
    /// `n` nodes named n1…, each with `env` too; `None` when no PostgreSQL
    /// server is given to the tests.
    pub fn start(n: usize, env: &[(&str, &str)]) -> Option<Cluster> {
        let dir = tempfile::tempdir().unwrap();
        let url = database_url(dir.path())?;
        let db = Dropped::for_dir(dir.path());
        let mut nodes = Vec::new();
        for i in 1..=n {
            let id = format!("n{i}");
            let port = free_port();
            let node_dir = dir.path().join(&id);
            std::fs::create_dir_all(&node_dir).unwrap();
            let mut child = command(&node_dir, &url, &id, port, &dir.path().join("files"), env)
                .spawn()
                .unwrap();
            wait_healthy(port, &mut child);
            nodes.push(Node {
                id,
                port,
                child: Some(child),
            });
        }
        let ports: Vec<u16> = nodes.iter().map(|n| n.port).collect();
        let balancer = nginx(dir.path(), &ports);
        Some(Cluster {
            nodes,
            balancer,
            dir,
            _db: db,
        })
    }

    /// Where clients go: nginx, or (without it) the first node.
    pub fn port(&self) -> u16 {
        self.balancer
            .as_ref()
            .map_or(self.nodes[0].port, |(port, _)| *port)
    }

    pub fn has_balancer(&self) -> bool {
        self.balancer.is_some()
    }

    pub fn node(&self, i: usize) -> u16 {
        self.nodes[i].port
    }

    /// Ends node `i` at once (SIGKILL): no shutdown, leases and connections
    /// left as they were.
    pub fn kill(&mut self, i: usize) {
        if let Some(mut child) = self.nodes[i].child.take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for node in &mut self.nodes {
            if let Some(mut child) = node.child.take() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
        if let Some((_, mut child)) = self.balancer.take() {
            // SIGTERM, so that nginx's master stops its workers (a SIGKILL
            // would leave them running).
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let _ = child.wait();
        }
    }
}

fn command(
    dir: &Path,
    url: &str,
    id: &str,
    port: u16,
    files: &Path,
    env: &[(&str, &str)],
) -> Command {
    let mut cmd = veza_sqlite(dir, port);
    cmd.env("VEZA_DATABASE__URL", url)
        .env("VEZA_JWT_SECRET", SECRET)
        .env("VEZA_NODE__ID", id)
        .env("VEZA_FILES_DIR", files)
        .env("VEZA_TRUSTED_PROXY_HEADER", "X-Real-IP")
        .env("VEZA_WEBHOOKS__ALLOW_PRIVATE_TARGETS", "true")
        .stderr(Stdio::null());
    for (key, value) in env {
        cmd.env(key, value);
    }
    cmd
}

/// nginx in front of `ports`, round-robin, as docs/nodes.md shows; `None`
/// when nginx is not installed.
fn nginx(dir: &Path, ports: &[u16]) -> Option<(u16, Child)> {
    let found = ["/usr/sbin/nginx", "/usr/bin/nginx"]
        .into_iter()
        .find(|p| Path::new(p).exists());
    // CI installs nginx and says so: there, its absence is a failure.
    let required = std::env::var_os("VEZA_TEST_REQUIRE_NGINX").is_some();
    assert!(found.is_some() || !required, "nginx is not installed");
    let binary = found?;
    let root = dir.join("nginx");
    std::fs::create_dir_all(root.join("logs")).unwrap();
    let port = free_port();
    let servers: String = ports
        .iter()
        .map(|p| format!("        server 127.0.0.1:{p};\n"))
        .collect();
    let as_root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0"));
    let conf = format!(
        "{user}worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/logs/error.log;
events {{ worker_connections 512; }}
http {{
    access_log off;
    client_body_temp_path {root}/body;
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    uwsgi_temp_path {root}/uwsgi;
    scgi_temp_path {root}/scgi;
    upstream veza {{
{servers}    }}
    map $http_upgrade $connection_upgrade {{
        default upgrade;
        ''      close;
    }}
    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 60m;
        location / {{
            proxy_pass http://veza;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $host;
            proxy_set_header X-Real-IP $remote_addr;
            proxy_read_timeout 1h;
            proxy_buffering off;
        }}
    }}
}}
",
        user = if as_root { "user root;\n" } else { "" },
        root = root.display(),
    );
    std::fs::write(root.join("nginx.conf"), conf).unwrap();
    let mut child = Command::new(binary)
        .arg("-p")
        .arg(&root)
        .arg("-c")
        .arg(root.join("nginx.conf"))
        .args(["-g", "daemon off;"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "nginx did not start: {}",
            std::fs::read_to_string(root.join("logs/error.log")).unwrap_or_default()
        );
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "nginx exited ({status}): {}",
                std::fs::read_to_string(root.join("logs/error.log")).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Some((port, child))
}

/// One request over a fresh connection: status, `X-Veza-Node`, JSON body.
pub fn call(port: u16, method: &str, path: &str, token: Option<&str>, body: Value) -> Answer {
    let body = if body.is_null() {
        String::new()
    } else {
        body.to_string()
    };
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
         {auth}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).unwrap();
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let (head, text) = answer.split_once("\r\n\r\n").expect("a full answer");
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap();
    let node = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("x-veza-node")
                .then(|| v.trim().to_owned())
        })
        .unwrap_or_default();
    let body = serde_json::from_str(text).unwrap_or(Value::Null);
    Answer { status, node, body }
}

/// A user signed up through `port`.
pub struct Member {
    pub id: i64,
    pub token: String,
}

pub fn register(port: u16, name: &str) -> Member {
    let answer = call(
        port,
        "POST",
        "/api/v1/auth/register",
        None,
        json!({"username": name, "email": format!("{name}@example.com"),
               "password": "a long password"}),
    );
    assert_eq!(answer.status, 201, "{answer:?}");
    Member {
        id: answer.body["data"]["user"]["id"].as_i64().unwrap(),
        token: answer.body["data"]["access_token"]
            .as_str()
            .unwrap()
            .to_owned(),
    }
}
