//! `TestApp`: a Veza app on its own temporary data directory, driven over HTTP
//! through Rocket's local client, with helpers to sign users up.
#![allow(dead_code)]

pub mod cluster;
pub mod http1;
pub mod oidc_provider;
pub mod process;
pub mod push_service;
pub mod receiver;
pub mod server;
pub mod smtp;
pub mod store;
pub mod ws;

use std::collections::HashMap;

use rocket::http::{ContentType, Header, Method};
use rocket::local::asynchronous::Client;
use serde_json::{json, Value};
use veza::Config;

pub const TEST_SECRET: &str = "test-secret-0123456789-0123456789-0123456789";
pub const PASSWORD: &str = "correct horse battery";

pub struct TestApp {
    pub client: Client,
    pub dir: tempfile::TempDir,
    /// Dropped last: the app's connections are gone by then.
    _database: store::Dropped,
}

/// An answer's headers, names in lower case.
pub fn header_map(res: &rocket::local::asynchronous::LocalResponse<'_>) -> HashMap<String, String> {
    res.headers()
        .iter()
        .map(|h| (h.name().as_str().to_ascii_lowercase(), h.value().to_owned()))
        .collect()
}

/// A status, the headers and the JSON body of one answer.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: HashMap<String, String>,
    pub body: Value,
    pub raw: String,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    pub fn data(&self) -> &Value {
        &self.body["data"]
    }

    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }

    /// Asserts the answer is the error envelope with this status and code.
    #[track_caller]
    /// Asserts a 2xx answer (a setup or follow-up step that must work).
    pub fn succeeded(&self) {
        assert!(
            (200..300).contains(&self.status),
            "expected success, got {}: {}",
            self.status,
            self.raw
        );
    }

    pub fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(self.status, status, "status of {}", self.raw);
        assert_eq!(self.body["success"], json!(false), "{}", self.raw);
        assert_eq!(self.code(), code, "{}", self.raw);
        let err = &self.body["error"];
        assert!(err["message"].is_string(), "{}", self.raw);
        assert!(err["details"].is_object(), "{}", self.raw);
        assert!(
            err["timestamp"].as_str().is_some_and(|t| t.ends_with('Z')),
            "{}",
            self.raw
        );
        assert_eq!(
            err["request_id"].as_str(),
            self.header("x-request-id"),
            "request_id must equal X-Request-Id"
        );
    }
}

/// A signed-up user of a test app.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: i64,
    pub username: String,
    pub token: String,
    pub refresh: String,
}

pub fn test_config(dir: &std::path::Path) -> Config {
    let mut config = Config::default();
    config.data_dir = dir.to_path_buf();
    config.jwt_secret = Some(TEST_SECRET.into());
    // VEZA_TEST_LOG=1 shows the server's log (an internal error's cause).
    config.log_level = match std::env::var_os("VEZA_TEST_LOG") {
        Some(_) => veza::config::LogLevel::Normal,
        None => veza::config::LogLevel::Off,
    };
    config.database.url = store::database_url(dir);
    config
}

impl TestApp {
    pub async fn new() -> TestApp {
        TestApp::with(|_| {}).await
    }

    pub async fn with(tune: impl FnOnce(&mut Config)) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = test_config(dir.path());
        tune(&mut config);
        let rocket = veza::rocket(config).expect("app builds");
        TestApp::from_rocket(rocket, dir).await
    }

    pub async fn from_rocket(
        rocket: rocket::Rocket<rocket::Build>,
        dir: tempfile::TempDir,
    ) -> TestApp {
        let client = Client::tracked(rocket).await.expect("valid rocket");
        let _database = store::Dropped::for_dir(dir.path());
        TestApp {
            client,
            dir,
            _database,
        }
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Resp {
        let body = body.map(|b| b.to_string());
        self.call_raw(method, path, token, body.as_deref()).await
    }

    pub async fn call_raw(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&str>,
    ) -> Resp {
        let mut req = self.client.req(method, path.to_owned());
        if let Some(token) = token {
            req.add_header(Header::new("Authorization", format!("Bearer {token}")));
        }
        if let Some(body) = body {
            req.add_header(ContentType::JSON);
            req = req.body(body);
        }
        let res = req.dispatch().await;
        let status = res.status().code;
        let headers = header_map(&res);
        let raw = res.into_string().await.unwrap_or_default();
        let body = serde_json::from_str(&raw).unwrap_or(Value::Null);
        Resp {
            status,
            headers,
            body,
            raw,
        }
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Resp {
        self.call(Method::Get, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Resp {
        self.call(Method::Post, path, token, Some(body)).await
    }

    pub async fn put(&self, path: &str, token: Option<&str>, body: Value) -> Resp {
        self.call(Method::Put, path, token, Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> Resp {
        self.call(Method::Delete, path, token, None).await
    }

    /// Registers `username` (e-mail `<username>@example.com`, password [`PASSWORD`]).
    pub async fn register(&self, username: &str) -> TestUser {
        let res = self
            .post(
                "/api/v1/auth/register",
                None,
                json!({
                    "username": username,
                    "email": format!("{username}@example.com"),
                    "password": PASSWORD,
                }),
            )
            .await;
        assert_eq!(res.status, 201, "register {username}: {}", res.raw);
        user_of(&res)
    }

    pub async fn login(&self, login: &str, password: &str) -> Resp {
        self.post(
            "/api/v1/auth/login",
            None,
            json!({ "username": login, "password": password }),
        )
        .await
    }

    /// A direct connection to the app's store, for checks the API cannot make.
    pub fn db(&self) -> store::TestDb {
        store::TestDb::of(self.dir.path(), self.dir.path().join("veza.db"))
    }
}

/// The user and tokens of a register, login or refresh answer.
pub fn user_of(res: &Resp) -> TestUser {
    let data = res.data();
    TestUser {
        id: data["user"]["id"].as_i64().expect("user id"),
        username: data["user"]["username"]
            .as_str()
            .expect("username")
            .to_owned(),
        token: data["access_token"]
            .as_str()
            .expect("access token")
            .to_owned(),
        refresh: data["refresh_token"]
            .as_str()
            .expect("refresh token")
            .to_owned(),
    }
}

/// Base64url without padding, to forge tokens by hand.
pub fn b64url(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (*b as u32) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

impl TestApp {
    /// Creates a room as `owner`; returns its id.
    pub async fn room(&self, owner: &TestUser, name: &str, is_public: bool) -> i64 {
        let res = self
            .post(
                "/api/v1/rooms",
                Some(&owner.token),
                json!({"name": name, "is_public": is_public}),
            )
            .await;
        assert_eq!(res.status, 201, "create room {name}: {}", res.raw);
        res.data()["id"].as_i64().expect("room id")
    }

    /// Adds `user` to `room` as `role`, acting as `by`.
    pub async fn add_member(&self, by: &TestUser, room: i64, user: &TestUser, role: &str) {
        let res = self
            .post(
                &format!("/api/v1/rooms/{room}/members"),
                Some(&by.token),
                json!({"user_id": user.id, "role": role}),
            )
            .await;
        assert_eq!(res.status, 201, "add member: {}", res.raw);
    }

    /// Runs `sql` through the app's own writer: for states the API cannot reach
    /// (a timestamp in the past, a change made by hand behind Veza's back), never
    /// on a second connection beside the writer.
    pub async fn write_sql(&self, sql: &'static str, params: Vec<veza::sql::types::Value>) {
        let app = self
            .client
            .rocket()
            .state::<veza::app::App>()
            .expect("app state");
        app.domain
            .journal
            .apply(move |c| {
                c.execute(sql, veza::sql::params_from_iter(params))?;
                Ok(())
            })
            .await
            .expect("write through the writer");
    }

    /// Deactivates `user` through the administration API, as `admin`.
    pub async fn deactivate(&self, admin: &TestUser, user: i64) {
        self.put(
            &format!("/api/v1/admin/users/{user}"),
            Some(&admin.token),
            json!({"is_active": false}),
        )
        .await
        .succeeded();
    }

    /// The number of member rows of a room, straight from the database.
    pub fn member_rows(&self, room: i64) -> i64 {
        self.db()
            .query_row(
                "SELECT count(*) FROM room_members WHERE room_id = ?1",
                [room],
                |r| r.get(0),
            )
            .expect("count members")
    }
}

impl TestApp {
    /// Sends `content` to `room` as `user`; returns the message id.
    pub async fn send(&self, user: &TestUser, room: i64, content: &str) -> i64 {
        let res = self
            .post(
                &format!("/api/v1/rooms/{room}/messages"),
                Some(&user.token),
                json!({"content": content}),
            )
            .await;
        assert_eq!(res.status, 201, "send: {}", res.raw);
        res.data()["id"].as_i64().expect("message id")
    }

    /// Sends a reply to `parent`; returns its id.
    pub async fn reply(&self, user: &TestUser, room: i64, parent: i64, content: &str) -> i64 {
        let res = self
            .post(
                &format!("/api/v1/rooms/{room}/messages"),
                Some(&user.token),
                json!({"content": content, "parent_message_id": parent}),
            )
            .await;
        assert_eq!(res.status, 201, "reply: {}", res.raw);
        res.data()["id"].as_i64().expect("message id")
    }
}

/// The ids of the messages of a list answer, in order.
pub fn ids(res: &Resp) -> Vec<i64> {
    res.data()["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| m["id"].as_i64().expect("id"))
        .collect()
}

/// One part of a multipart form.
pub enum Part<'a> {
    Text(&'a str, &'a str),
    /// Field name, file name, bytes.
    File(&'a str, &'a str, &'a [u8]),
}

pub const BOUNDARY: &str = "veza-test-boundary-7MA4YWxkTrZu0gW";

/// A `multipart/form-data` body of `parts` (boundary [`BOUNDARY`]).
pub fn multipart(parts: &[Part<'_>]) -> Vec<u8> {
    let mut body = Vec::new();
    for part in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match part {
            Part::Text(name, value) => {
                body.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}")
                        .as_bytes(),
                );
            }
            Part::File(name, filename, bytes) => {
                body.extend_from_slice(
                    format!(
                        "Content-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\n\
                         Content-Type: application/octet-stream\r\n\r\n"
                    )
                    .as_bytes(),
                );
                body.extend_from_slice(bytes);
            }
        }
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

impl TestApp {
    /// `POST /api/v1/files/upload` with a multipart body.
    pub async fn upload_form(&self, token: Option<&str>, body: Vec<u8>) -> Resp {
        self.send_form(Method::Post, "/api/v1/files/upload", token, body)
            .await
    }

    /// A multipart body (boundary [`BOUNDARY`]) to any route.
    pub async fn send_form(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Vec<u8>,
    ) -> Resp {
        let mut req = self.client.req(method, path.to_owned());
        if let Some(token) = token {
            req.add_header(Header::new("Authorization", format!("Bearer {token}")));
        }
        req.add_header(Header::new(
            "Content-Type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        ));
        let res = req.body(body).dispatch().await;
        let status = res.status().code;
        let headers = res
            .headers()
            .iter()
            .map(|h| (h.name().as_str().to_ascii_lowercase(), h.value().to_owned()))
            .collect();
        let raw = res.into_string().await.unwrap_or_default();
        let body = serde_json::from_str(&raw).unwrap_or(Value::Null);
        Resp {
            status,
            headers,
            body,
            raw,
        }
    }

    /// Uploads `bytes` as `filename` with the given extra fields; asserts a 201 and
    /// returns the file's id.
    pub async fn upload(
        &self,
        user: &TestUser,
        filename: &str,
        bytes: &[u8],
        fields: &[(&str, &str)],
    ) -> i64 {
        let mut parts: Vec<Part<'_>> = fields.iter().map(|(k, v)| Part::Text(k, v)).collect();
        parts.push(Part::File("file", filename, bytes));
        let res = self.upload_form(Some(&user.token), multipart(&parts)).await;
        assert_eq!(res.status, 201, "upload: {}", res.raw);
        res.data()["file_id"].as_i64().expect("file_id")
    }
}

/// A GET answered with bytes: status, headers, body.
impl TestApp {
    pub async fn get_bytes(
        &self,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
    ) -> (u16, HashMap<String, String>, Vec<u8>) {
        let mut req = self.client.get(path.to_owned());
        if let Some(token) = token {
            req.add_header(Header::new("Authorization", format!("Bearer {token}")));
        }
        for (name, value) in headers {
            req.add_header(Header::new(name.to_string(), value.to_string()));
        }
        let res = req.dispatch().await;
        let status = res.status().code;
        let headers = header_map(&res);
        let bytes = res.into_bytes().await.unwrap_or_default();
        (status, headers, bytes)
    }
}

/// A PNG of `width` × `height` with varied pixels.
pub fn png(width: u32, height: u32) -> Vec<u8> {
    let image = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 251) as u8, (y % 241) as u8, 90])
    });
    let mut bytes = std::io::Cursor::new(Vec::new());
    image.write_to(&mut bytes, image::ImageFormat::Png).unwrap();
    bytes.into_inner()
}

/// Every regular file under `dir`, recursively.
pub fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                found.push(path);
            }
        }
    }
    found
}
