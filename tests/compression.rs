//! Compressed traffic: answers in gzip or brotli when asked (never file downloads
//! or ranges), the web client's assets compressed, gzip request bodies decoded
//! with the size limits on the decoded bytes (a gzip bomb is a 413 in bounded
//! memory), and any other request encoding a 415.

mod common;

use std::collections::HashMap;

use async_compression::tokio::bufread::{BrotliDecoder, GzipDecoder, GzipEncoder};
use common::*;
use rocket::http::{ContentType, Header};
use serde_json::{json, Value};
use tokio::io::AsyncReadExt;

async fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut decoder = GzipDecoder::new(bytes);
    decoder.multiple_members(true);
    decoder.read_to_end(&mut out).await.expect("valid gzip");
    out
}

async fn unbrotli(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    BrotliDecoder::new(bytes)
        .read_to_end(&mut out)
        .await
        .expect("valid brotli");
    out
}

async fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    GzipEncoder::new(bytes).read_to_end(&mut out).await.unwrap();
    out
}

/// `GET path` with `Accept-Encoding: encoding`: status, headers, raw body.
async fn fetch(
    app: &TestApp,
    path: &str,
    token: &str,
    encoding: Option<&str>,
    extra: Option<Header<'static>>,
) -> (u16, HashMap<String, String>, Vec<u8>) {
    let mut req = app.client.get(path.to_owned());
    req.add_header(Header::new("Authorization", format!("Bearer {token}")));
    if let Some(encoding) = encoding {
        req.add_header(Header::new("Accept-Encoding", encoding.to_owned()));
    }
    if let Some(extra) = extra {
        req.add_header(extra);
    }
    let res = req.dispatch().await;
    let status = res.status().code;
    let headers = header_map(&res);
    let body = res.into_bytes().await.unwrap_or_default();
    (status, headers, body)
}

fn header<'a>(headers: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    headers.get(name).map(String::as_str)
}

#[rocket::async_test]
async fn gzip_and_brotli_answers_decode_to_the_same_json() {
    let app = TestApp::new().await;
    let ann = app.register("ann").await;
    let room = app.room(&ann, "lobby", true).await;
    for i in 0..50 {
        app.send(&ann, room, &format!("message number {i} with some words"))
            .await;
    }
    for path in [
        "/api/v1/openapi.json".to_owned(),
        format!("/api/v1/rooms/{room}/messages?limit=50"),
    ] {
        let (status, headers, plain) = fetch(&app, &path, &ann.token, None, None).await;
        assert_eq!(status, 200);
        assert_eq!(header(&headers, "content-encoding"), None);
        assert_eq!(header(&headers, "vary"), Some("Accept-Encoding"));
        let plain: Value = serde_json::from_slice(&plain).unwrap();

        let (_, headers, zipped) = fetch(&app, &path, &ann.token, Some("gzip"), None).await;
        assert_eq!(header(&headers, "content-encoding"), Some("gzip"), "{path}");
        let unzipped: Value = serde_json::from_slice(&gunzip(&zipped).await).unwrap();
        assert_eq!(unzipped, plain, "{path}");

        let (_, headers, brotli) =
            fetch(&app, &path, &ann.token, Some("gzip, deflate, br"), None).await;
        assert_eq!(header(&headers, "content-encoding"), Some("br"), "{path}");
        let unbrotlied: Value = serde_json::from_slice(&unbrotli(&brotli).await).unwrap();
        assert_eq!(unbrotlied, plain, "{path}");
        assert!(zipped.len() * 2 < serde_json::to_vec(&plain).unwrap().len());
    }
    // Small answers go out as they are.
    let (_, headers, _) = fetch(&app, "/api/v1/users/me", &ann.token, Some("gzip"), None).await;
    assert_eq!(header(&headers, "content-encoding"), None);
}

#[rocket::async_test]
async fn downloads_ranges_and_the_web_client() {
    let app = TestApp::new().await;
    let ann = app.register("ann").await;
    let text = "plain text that would compress very well. ".repeat(200);
    let id = app.upload(&ann, "notes.txt", text.as_bytes(), &[]).await;
    let path = format!("/api/v1/files/{id}/download");
    let (status, headers, body) = fetch(&app, &path, &ann.token, Some("gzip, br"), None).await;
    assert_eq!(status, 200);
    assert_eq!(
        header(&headers, "content-encoding"),
        None,
        "downloads are byte-exact"
    );
    assert_eq!(body, text.as_bytes());
    let range = Header::new("Range", "bytes=0-99");
    let (status, headers, body) = fetch(&app, &path, &ann.token, Some("gzip"), Some(range)).await;
    assert_eq!(status, 206);
    assert_eq!(header(&headers, "content-encoding"), None);
    assert_eq!(body, &text.as_bytes()[..100]);

    // The web client's scripts, compressed once and served the same each time.
    let page = app
        .client
        .get("/")
        .dispatch()
        .await
        .into_string()
        .await
        .unwrap();
    let script = page
        .split('"')
        .find(|s| s.starts_with("/assets/") && s.ends_with(".js"))
        .expect("a script in the page")
        .to_owned();
    let (status, _, plain) = fetch(&app, &script, &ann.token, None, None).await;
    assert_eq!(status, 200);
    for _ in 0..2 {
        let (_, headers, zipped) = fetch(&app, &script, &ann.token, Some("gzip"), None).await;
        assert_eq!(header(&headers, "content-encoding"), Some("gzip"));
        assert_eq!(gunzip(&zipped).await, plain);
        let (_, headers, brotli) = fetch(&app, &script, &ann.token, Some("br"), None).await;
        assert_eq!(header(&headers, "content-encoding"), Some("br"));
        assert_eq!(unbrotli(&brotli).await, plain);
    }
}

async fn post_encoded(
    app: &TestApp,
    path: &str,
    token: &str,
    encoding: &str,
    body: Vec<u8>,
) -> (u16, Value) {
    let res = app
        .client
        .post(path.to_owned())
        .header(ContentType::JSON)
        .header(Header::new("Authorization", format!("Bearer {token}")))
        .header(Header::new("Content-Encoding", encoding.to_owned()))
        .body(body)
        .dispatch()
        .await;
    let status = res.status().code;
    let body = res.into_json::<Value>().await.unwrap_or(Value::Null);
    (status, body)
}

#[rocket::async_test]
async fn gzip_request_bodies_are_decoded_and_other_encodings_refused() {
    let app = TestApp::new().await;
    let ann = app.register("ann").await;
    let room = app.room(&ann, "lobby", true).await;
    let path = format!("/api/v1/rooms/{room}/messages");
    let body = json!({"content": "sent in gzip"}).to_string();
    let (status, sent) =
        post_encoded(&app, &path, &ann.token, "gzip", gzip(body.as_bytes()).await).await;
    assert_eq!(status, 201, "{sent}");
    assert_eq!(sent["data"]["content"], "sent in gzip");

    let (status, refused) = post_encoded(
        &app,
        &path,
        &ann.token,
        "deflate",
        body.clone().into_bytes(),
    )
    .await;
    assert_eq!(status, 415, "{refused}");
    assert_eq!(refused["error"]["code"], "VALIDATION_FAILED");
    assert_eq!(refused["error"]["details"]["field"], "Content-Encoding");
    let (status, _) = post_encoded(&app, &path, &ann.token, "br", body.into_bytes()).await;
    assert_eq!(status, 415);

    // Broken gzip is bad input, not a fault.
    let (status, broken) =
        post_encoded(&app, &path, &ann.token, "gzip", b"not gzip".to_vec()).await;
    assert_eq!(status, 400, "{broken}");
    assert_eq!(broken["error"]["code"], "VALIDATION_FAILED");

    // A gzip upload is decoded too.
    let file = "hello, compressed upload ".repeat(100);
    let form = multipart(&[Part::File("file", "hello.txt", file.as_bytes())]);
    let res = app
        .client
        .post("/api/v1/files/upload")
        .header(ContentType::new("multipart", "form-data").with_params(("boundary", BOUNDARY)))
        .header(Header::new(
            "Authorization",
            format!("Bearer {}", ann.token),
        ))
        .header(Header::new("Content-Encoding", "gzip"))
        .body(gzip(&form).await)
        .dispatch()
        .await;
    assert_eq!(res.status().code, 201);
    let uploaded: Value = res.into_json().await.unwrap();
    assert_eq!(uploaded["data"]["size"], file.len());
}

/// The resident size of process `pid`, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

#[tokio::test]
async fn a_gzip_bomb_is_413_in_bounded_memory() {
    use std::io::{Read, Write};
    let server = common::server::Server::start(&[]);
    let ann = server.register("ann");
    let room = server.room(&ann, "lobby", true);
    // One member decoding to 64 MiB of zeros, repeated: 10 GiB from about 10 MB.
    let member = gzip(&vec![0u8; 64 * 1024 * 1024]).await;
    let copies = 160;
    let before = rss_kib(server.child.id());
    let mut s = std::net::TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    let head = format!(
        "POST /api/v1/rooms/{room}/messages HTTP/1.1\r\nHost: x\r\n\
         Authorization: Bearer {}\r\nContent-Type: application/json\r\n\
         Content-Encoding: gzip\r\nContent-Length: {}\r\n\r\n",
        ann.token,
        member.len() * copies
    );
    s.write_all(head.as_bytes()).unwrap();
    // The server answers once the decoded bytes pass the limit; what it does not
    // read is dropped by the gate's lingering close.
    for _ in 0..copies {
        if s.write_all(&member).is_err() {
            break;
        }
    }
    let mut answer = String::new();
    s.read_to_string(&mut answer).expect("the answer");
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer:.300}");
    assert!(answer.contains("PAYLOAD_TOO_LARGE"));
    let after = rss_kib(server.child.id());
    assert!(
        after < before + 64 * 1024,
        "resident size grew from {before} KiB to {after} KiB"
    );
}
