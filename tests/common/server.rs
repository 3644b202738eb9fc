//! A real `veza` process on its own temporary directory, driven over real sockets,
//! with helpers to sign users up, make rooms and send messages.

use serde_json::{json, Value};

use std::process::Command;

use super::process::*;

pub struct Server {
    pub port: u16,
    pub child: std::process::Child,
    env: Vec<(String, String)>,
    dir: tempfile::TempDir,
}

#[derive(Clone)]
pub struct User {
    pub id: i64,
    pub token: String,
    pub refresh_token: String,
}

impl Server {
    pub fn start(env: &[(&str, &str)]) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let child = Server::spawn(dir.path(), port, &env);
        Server {
            port,
            child,
            env,
            dir,
        }
    }

    fn spawn(dir: &std::path::Path, port: u16, env: &[(String, String)]) -> std::process::Child {
        let mut command = veza(dir, port);
        command.env("VEZA_RATE_LIMIT__REQUESTS_PER_HOUR", "1000000");
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command.spawn().unwrap();
        wait_healthy(port, &mut child);
        child
    }

    /// Stops the server (SIGTERM; it must exit cleanly) and starts it again on the
    /// same data directory and port.
    pub fn restart(&mut self) {
        sigterm(&self.child);
        let stopped = std::mem::replace(&mut self.child, Command::new("true").spawn().unwrap());
        let output = wait_exit(stopped);
        assert!(output.status.success(), "{output:?}");
        let _ = self.child.wait();
        self.child = Server::spawn(self.dir.path(), self.port, &self.env);
    }

    /// A connection of its own to the server's store (read it only).
    pub fn db(&self) -> super::store::TestDb {
        super::store::TestDb::of(self.dir.path(), self.data_dir().join("veza.db"))
    }

    /// The data directory.
    pub fn data_dir(&self) -> std::path::PathBuf {
        self.dir.path().join("data")
    }

    pub fn call(&self, method: &str, path: &str, user: &User, body: Value) -> (u16, Value) {
        let body = if body.is_null() {
            String::new()
        } else {
            body.to_string()
        };
        let (status, text) =
            http_as(self.port, method, path, Some(&user.token), &body).expect("an answer");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub fn register(&self, name: &str) -> User {
        let body = json!({"username": name, "email": format!("{name}@example.com"), "password": "a long password"});
        let (status, text) = http(
            self.port,
            "POST",
            "/api/v1/auth/register",
            &body.to_string(),
        )
        .unwrap();
        assert_eq!(status, 201, "{text}");
        let body: Value = serde_json::from_str(&text).unwrap();
        User {
            id: body["data"]["user"]["id"].as_i64().unwrap(),
            token: body["data"]["access_token"].as_str().unwrap().to_owned(),
            refresh_token: body["data"]["refresh_token"].as_str().unwrap().to_owned(),
        }
    }

    pub fn room(&self, owner: &User, name: &str, public: bool) -> i64 {
        let (status, body) = self.call(
            "POST",
            "/api/v1/rooms",
            owner,
            json!({"name": name, "is_public": public}),
        );
        assert_eq!(status, 201, "{body}");
        body["data"]["id"].as_i64().unwrap()
    }

    pub fn add(&self, by: &User, room: i64, user: &User) {
        let (status, body) = self.call(
            "POST",
            &format!("/api/v1/rooms/{room}/members"),
            by,
            json!({"user_id": user.id}),
        );
        assert_eq!(status, 201, "{body}");
    }

    pub fn send(&self, user: &User, room: i64, content: &str) -> i64 {
        let (status, body) = self.call(
            "POST",
            &format!("/api/v1/rooms/{room}/messages"),
            user,
            json!({"content": content}),
        );
        assert_eq!(status, 201, "{body}");
        body["data"]["id"].as_i64().unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        drop(super::store::Dropped::for_dir(self.dir.path()));
    }
}
