//! Files: uploads streamed to disk, downloads with ranges and revalidation, who
//! may see what, thumbnails, attachments, and bytes leaving the disk with their rows.

mod common;

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use common::{files_under, multipart, png, Part, TestApp, TestUser};
use rocket::http::Header;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// Bytes that compress badly and differ at every offset.
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

struct Fetched {
    status: u16,
    headers: HashMap<String, String>,
    bytes: Vec<u8>,
}

impl Fetched {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }
}

/// A GET with the token and extra headers; the raw bytes of the answer.
async fn fetch(app: &TestApp, path: &str, token: &str, extra: &[(&str, &str)]) -> Fetched {
    let mut req = app.client.get(path.to_owned());
    req.add_header(Header::new("Authorization", format!("Bearer {token}")));
    for (name, value) in extra {
        req.add_header(Header::new(name.to_string(), value.to_string()));
    }
    let res = req.dispatch().await;
    let status = res.status().code;
    let headers = common::header_map(&res);
    let bytes = res.into_bytes().await.unwrap_or_default();
    Fetched {
        status,
        headers,
        bytes,
    }
}

async fn download(app: &TestApp, id: i64, user: &TestUser, extra: &[(&str, &str)]) -> Fetched {
    fetch(
        app,
        &format!("/api/v1/files/{id}/download"),
        &user.token,
        extra,
    )
    .await
}

fn stored_bytes(app: &TestApp, uuid: &str) -> PathBuf {
    app.dir.path().join("files").join(&uuid[..2]).join(uuid)
}

/// Waits (up to 20 s) until `check` holds, asking again every 50 ms.
async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..400 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("never happened: {what}");
}

async fn metadata(app: &TestApp, id: i64, user: &TestUser) -> Value {
    let res = app
        .get(&format!("/api/v1/files/{id}"), Some(&user.token))
        .await;
    assert_eq!(res.status, 200, "{}", res.raw);
    res.data().clone()
}

#[rocket::async_test]
async fn the_seed_upload_works_as_printed() {
    let app = TestApp::new().await;
    let alice = app.register("alice").await;
    let room = app.room(&alice, "general", true).await;
    assert_eq!(room, 1);
    let pdf = b"%PDF-1.7\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n".repeat(100);
    let mut body = Vec::new();
    body.extend_from_slice(
        b"--boundary123\r\nContent-Disposition: form-data; name=\"file\"; filename=\"document.pdf\"\r\n\
          Content-Type: application/pdf\r\n\r\n",
    );
    body.extend_from_slice(&pdf);
    body.extend_from_slice(
        b"\r\n--boundary123\r\nContent-Disposition: form-data; name=\"room_id\"\r\n\r\n1\r\n\
          --boundary123\r\nContent-Disposition: form-data; name=\"description\"\r\n\r\n\
          Document important\r\n--boundary123--\r\n",
    );
    let res = app
        .client
        .post("/api/v1/files/upload")
        .header(Header::new(
            "Authorization",
            format!("Bearer {}", alice.token),
        ))
        .header(Header::new(
            "Content-Type",
            "multipart/form-data; boundary=boundary123",
        ))
        .body(body)
        .dispatch()
        .await;
    assert_eq!(res.status().code, 201);
    let answer: Value = serde_json::from_str(&res.into_string().await.unwrap()).unwrap();
    assert_eq!(answer["success"], true);
    let file = &answer["data"];
    let id = file["file_id"].as_i64().unwrap();
    assert_eq!(file["id"], id);
    assert_eq!(file["filename"], "document.pdf");
    assert_eq!(file["original_filename"], "document.pdf");
    assert_eq!(file["size"], pdf.len());
    assert_eq!(file["mime_type"], "application/pdf");
    assert_eq!(file["url"], format!("/api/v1/files/{id}/download"));
    assert_eq!(file["thumbnail_status"], "none");
    assert_eq!(file["thumbnail_url"], Value::Null);
    assert!(file["uploaded_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(file["description"], "Document important");
    assert_eq!(file["room_id"], 1);
    assert_eq!(file["sha256"], sha256(&pdf));
    assert_eq!(file["uuid"].as_str().unwrap().len(), 36);
}

#[rocket::async_test]
async fn several_megabytes_go_up_and_come_back_byte_for_byte() {
    let app = TestApp::new().await;
    let alice = app.register("alice").await;
    let bytes = noise(5 * 1024 * 1024 + 13, 7);
    let id = app.upload(&alice, "data.bin", &bytes, &[]).await;
    let file = metadata(&app, id, &alice).await;
    assert_eq!(file["size"], bytes.len());
    assert_eq!(file["sha256"], sha256(&bytes));
    assert_eq!(file["mime_type"], "application/octet-stream");
    assert_eq!(file["room_id"], Value::Null);

    let got = download(&app, id, &alice, &[]).await;
    assert_eq!(got.status, 200);
    assert!(got.bytes == bytes, "the download differs from the upload");
    assert_eq!(
        got.header("content-length"),
        Some(bytes.len().to_string().as_str())
    );
    assert_eq!(
        got.header("etag"),
        Some(format!("\"{}\"", sha256(&bytes)).as_str())
    );
    assert_eq!(got.header("accept-ranges"), Some("bytes"));
    assert_eq!(got.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(got.header("content-security-policy"), Some("sandbox"));
    assert_eq!(got.header("content-type"), Some("application/octet-stream"));
    assert!(got
        .header("content-disposition")
        .unwrap()
        .starts_with("attachment;"));
    assert_eq!(got.header("cache-control"), Some("private, no-cache"));

    // Stored under a generated name, readable by Veza's user only.
    let path = stored_bytes(&app, file["uuid"].as_str().unwrap());
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[rocket::async_test]
async fn an_upload_over_the_limit_is_413_and_leaves_nothing() {
    let app = TestApp::with(|c| c.limits.upload_max_bytes = 1024 * 1024).await;
    let alice = app.register("alice").await;
    let room = app.room(&alice, "general", true).await;
    let big = noise(1024 * 1024 + 1, 3);
    let room_field = room.to_string();
    let body = multipart(&[
        Part::Text("room_id", &room_field),
        Part::File("file", "big.bin", &big),
    ]);
    let res = app.upload_form(Some(&alice.token), body).await;
    res.assert_error(413, "PAYLOAD_TOO_LARGE");
    assert_eq!(res.body["error"]["details"]["max_bytes"], 1024 * 1024);
    // Exactly at the limit is fine.
    let id = app
        .upload(&alice, "fits.bin", &big[..1024 * 1024], &[])
        .await;
    assert!(id > 0);
    let files = files_under(&app.dir.path().join("files"));
    assert_eq!(
        files.len(),
        1,
        "only the upload that fit is on disk: {files:?}"
    );
    let res = app
        .get(&format!("/api/v1/rooms/{room}/files"), Some(&alice.token))
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(res.data()["total"], 0);
}

#[rocket::async_test]
async fn malformed_forms_are_clear_400s() {
    let app = TestApp::new().await;
    let alice = app.register("alice").await;
    // No file part.
    let res = app
        .upload_form(
            Some(&alice.token),
            multipart(&[Part::Text("description", "x")]),
        )
        .await;
    res.assert_error(400, "VALIDATION_FAILED");
    assert_eq!(res.body["error"]["details"]["field"], "file");
    // An unknown field.
    let res = app
        .upload_form(
            Some(&alice.token),
            multipart(&[Part::Text("owner", "1"), Part::File("file", "a", b"a")]),
        )
        .await;
    res.assert_error(400, "VALIDATION_FAILED");
    assert_eq!(res.body["error"]["details"]["field"], "owner");
    // Not a number, and both places at once.
    for (fields, field) in [
        (vec![Part::Text("room_id", "one")], "room_id"),
        (
            vec![
                Part::Text("room_id", "1"),
                Part::Text("conversation_id", "1"),
            ],
            "room_id",
        ),
    ] {
        let mut parts = fields;
        parts.push(Part::File("file", "a.txt", b"hello"));
        let res = app.upload_form(Some(&alice.token), multipart(&parts)).await;
        res.assert_error(400, "VALIDATION_FAILED");
        assert_eq!(res.body["error"]["details"]["field"], field, "{}", res.raw);
    }
    // Two files.
    let res = app
        .upload_form(
            Some(&alice.token),
            multipart(&[Part::File("file", "a", b"a"), Part::File("file", "b", b"b")]),
        )
        .await;
    res.assert_error(400, "VALIDATION_FAILED");
    // Not multipart at all, and a body cut short.
    let res = app
        .post(
            "/api/v1/files/upload",
            Some(&alice.token),
            json!({"file": "x"}),
        )
        .await;
    res.assert_error(400, "VALIDATION_FAILED");
    let mut cut = multipart(&[Part::File("file", "a.bin", &noise(10_000, 1))]);
    cut.truncate(5000);
    let res = app.upload_form(Some(&alice.token), cut).await;
    res.assert_error(400, "VALIDATION_FAILED");
    // No token: 401 before anything is read.
    let res = app
        .upload_form(None, multipart(&[Part::File("file", "a", b"a")]))
        .await;
    res.assert_error(401, "INVALID_TOKEN");
    // A description with a direction override.
    let res = app
        .upload_form(
            Some(&alice.token),
            multipart(&[
                Part::Text("description", "evil\u{202E}txt.exe"),
                Part::File("file", "a", b"a"),
            ]),
        )
        .await;
    res.assert_error(400, "VALIDATION_FAILED");
    assert_eq!(res.body["error"]["details"]["field"], "description");
    assert!(
        files_under(&app.dir.path().join("files")).is_empty(),
        "no refused upload left bytes behind"
    );
}

#[rocket::async_test]
async fn client_names_are_metadata_never_paths() {
    let app = TestApp::new().await;
    let alice = app.register("alice").await;
    for (given, shown) in [
        ("../../etc/passwd", "passwd"),
        ("a.php%00.png", "a.php%00.png"),
        ("..\\..\\boot.ini", "boot.ini"),
        ("", "file"),
    ] {
        let id = app.upload(&alice, given, b"plain text", &[]).await;
        let file = metadata(&app, id, &alice).await;
        assert_eq!(file["filename"], shown, "{given}");
        let uuid = file["uuid"].as_str().unwrap();
        assert!(stored_bytes(&app, uuid).exists());
        let got = download(&app, id, &alice, &[]).await;
        let disposition = got.header("content-disposition").unwrap();
        assert!(
            !disposition.contains('/') && !disposition.contains('\\'),
            "{disposition}"
        );
    }
    assert!(!app.dir.path().join("etc").exists());
    for path in files_under(&app.dir.path().join("files")) {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        assert_eq!(name.len(), 36, "stored names are uuids, not {name}");
    }
}

#[rocket::async_test]
async fn html_and_svg_dressed_as_png_are_never_served_inline() {
    let app = TestApp::new().await;
    let alice = app.register("alice").await;
    for (name, content, sniffed) in [
        (
            "cat.png",
            "<!DOCTYPE html><script>alert(document.cookie)</script>",
            "text/html",
        ),
        (
            "dog.png",
            "<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>",
            "text/html",
        ),
        (
            "cow.png",
            "<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\"/>",
            "text/xml",
        ),
    ] {
        let id = app.upload(&alice, name, content.as_bytes(), &[]).await;
        let file = metadata(&app, id, &alice).await;
        assert_eq!(file["mime_type"], sniffed, "{name}");
        assert_eq!(file["thumbnail_status"], "none", "{name}");
        let got = download(&app, id, &alice, &[]).await;
        assert_eq!(got.status, 200);
        assert_eq!(
            got.header("content-type"),
            Some("application/octet-stream"),
            "{name}"
        );
        assert!(got
            .header("content-disposition")
            .unwrap()
            .starts_with("attachment;"));
        assert_eq!(got.header("content-security-policy"), Some("sandbox"));
        assert_eq!(got.header("x-content-type-options"), Some("nosniff"));
    }
    // A real image is shown inline, as what it is.
    let id = app.upload(&alice, "real.png", &png(4, 4), &[]).await;
    let got = download(&app, id, &alice, &[]).await;
    assert_eq!(got.header("content-type"), Some("image/png"));
    assert!(got
        .header("content-disposition")
        .unwrap()
        .starts_with("inline;"));
}

#[rocket::async_test]
async fn ranges_and_revalidation() {
    let app = TestApp::new().await;
    let alice = app.register("alice").await;
    let bytes = noise(10_000, 11);
    let id = app.upload(&alice, "r.bin", &bytes, &[]).await;
    let etag = format!("\"{}\"", sha256(&bytes));

    let part = |range: &str| (range.to_owned(),);
    for (range, first, last) in [
        ("bytes=0-99", 0usize, 99usize),
        ("bytes=9990-", 9990, 9999),
        ("bytes=-100", 9900, 9999),
        ("bytes=9000-20000", 9000, 9999),
        ("bytes=-20000", 0, 9999),
        ("bytes=5000-5000", 5000, 5000),
    ] {
        let (range,) = part(range);
        let got = download(&app, id, &alice, &[("Range", &range)]).await;
        assert_eq!(got.status, 206, "{range}");
        assert_eq!(got.bytes, &bytes[first..=last], "{range}");
        assert_eq!(
            got.header("content-range"),
            Some(format!("bytes {first}-{last}/10000").as_str()),
            "{range}"
        );
        assert_eq!(
            got.header("content-length"),
            Some((last - first + 1).to_string().as_str())
        );
    }
    // Past the end: 416 in the envelope, with the size.
    for range in ["bytes=10000-", "bytes=20000-30000", "bytes=-0"] {
        let res = app
            .client
            .get(format!("/api/v1/files/{id}/download"))
            .header(Header::new(
                "Authorization",
                format!("Bearer {}", alice.token),
            ))
            .header(Header::new("Range", range))
            .dispatch()
            .await;
        assert_eq!(res.status().code, 416, "{range}");
        assert_eq!(
            res.headers().get_one("Content-Range"),
            Some("bytes */10000")
        );
        let body: Value = serde_json::from_str(&res.into_string().await.unwrap()).unwrap();
        assert_eq!(body["error"]["code"], "RANGE_NOT_SATISFIABLE");
    }
    // What does not parse, or asks for several ranges, gets the whole file.
    for range in [
        "bytes=5-1",
        "bytes=abc",
        "lines=1-2",
        "bytes=0-1,5-9",
        "bytes=--5",
    ] {
        let got = download(&app, id, &alice, &[("Range", range)]).await;
        assert_eq!(got.status, 200, "{range}");
        assert_eq!(got.bytes.len(), 10_000, "{range}");
    }
    // The client already holds it.
    let got = download(&app, id, &alice, &[("If-None-Match", &etag)]).await;
    assert_eq!(got.status, 304);
    assert!(got.bytes.is_empty());
    assert_eq!(got.header("etag"), Some(etag.as_str()));
    let got = download(&app, id, &alice, &[("If-None-Match", "\"other\"")]).await;
    assert_eq!(got.status, 200);
    // If-Range: the range only while the client's copy is current.
    let got = download(
        &app,
        id,
        &alice,
        &[("Range", "bytes=0-9"), ("If-Range", &etag)],
    )
    .await;
    assert_eq!(got.status, 206);
    let got = download(
        &app,
        id,
        &alice,
        &[("Range", "bytes=0-9"), ("If-Range", "\"old\"")],
    )
    .await;
    assert_eq!(got.status, 200);
    assert_eq!(got.bytes.len(), 10_000);
    // HEAD: the length, no body.
    let res = app
        .client
        .head(format!("/api/v1/files/{id}/download"))
        .header(Header::new(
            "Authorization",
            format!("Bearer {}", alice.token),
        ))
        .dispatch()
        .await;
    assert_eq!(res.status().code, 200);
    assert_eq!(res.headers().get_one("Content-Length"), Some("10000"));
}

#[rocket::async_test]
async fn only_those_who_may_read_the_place_see_the_file() {
    let app = TestApp::new().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let eve = app.register("eve").await;
    let private = app.room(&alice, "private", false).await;
    app.add_member(&alice, private, &bob, "member").await;
    let public = app.room(&alice, "public", true).await;
    let res = app
        .post(
            "/api/v1/conversations",
            Some(&alice.token),
            json!({"user_id": bob.id}),
        )
        .await;
    let conversation = res.data()["id"].as_i64().unwrap();

    let in_private = app
        .upload(
            &alice,
            "p.txt",
            b"private",
            &[("room_id", &private.to_string())],
        )
        .await;
    let in_public = app
        .upload(
            &alice,
            "q.txt",
            b"public",
            &[("room_id", &public.to_string())],
        )
        .await;
    let in_conversation = app
        .upload(
            &bob,
            "c.txt",
            b"dm",
            &[("conversation_id", &conversation.to_string())],
        )
        .await;
    let unplaced = app.upload(&alice, "u.txt", b"mine", &[]).await;

    let sees = |file: i64, user: &TestUser| {
        let user = user.clone();
        let app = &app;
        async move {
            let meta = app
                .get(&format!("/api/v1/files/{file}"), Some(&user.token))
                .await;
            let got = download(app, file, &user, &[]).await;
            let thumb = fetch(
                app,
                &format!("/api/v1/files/{file}/thumbnail"),
                &user.token,
                &[],
            )
            .await;
            match meta.status {
                200 => {
                    assert_eq!(got.status, 200);
                    true
                }
                _ => {
                    meta.assert_error(404, "FILE_NOT_FOUND");
                    assert_eq!(got.status, 404);
                    assert_eq!(thumb.status, 404);
                    false
                }
            }
        }
    };
    assert!(sees(in_private, &alice).await);
    assert!(sees(in_private, &bob).await);
    assert!(!sees(in_private, &eve).await);
    assert!(
        sees(in_public, &eve).await,
        "a public room is readable by all"
    );
    assert!(sees(in_conversation, &alice).await);
    assert!(sees(in_conversation, &bob).await);
    assert!(!sees(in_conversation, &eve).await);
    assert!(sees(unplaced, &alice).await);
    assert!(!sees(unplaced, &bob).await);
    assert!(!sees(999_999, &alice).await);

    // Eve cannot upload where she may not write, nor learn that a room exists.
    let res = app
        .upload_form(
            Some(&eve.token),
            multipart(&[
                Part::Text("room_id", &private.to_string()),
                Part::File("file", "x", b"x"),
            ]),
        )
        .await;
    res.assert_error(404, "ROOM_NOT_FOUND");
    let res = app
        .upload_form(
            Some(&eve.token),
            multipart(&[
                Part::Text("room_id", &public.to_string()),
                Part::File("file", "x", b"x"),
            ]),
        )
        .await;
    res.assert_error(403, "PERMISSION_DENIED");
    // The place may also follow the file part: refused all the same.
    let res = app
        .upload_form(
            Some(&eve.token),
            multipart(&[
                Part::File("file", "x", b"x"),
                Part::Text("conversation_id", &conversation.to_string()),
            ]),
        )
        .await;
    res.assert_error(404, "CONVERSATION_NOT_FOUND");
    let res = app
        .get(&format!("/api/v1/rooms/{private}/files"), Some(&eve.token))
        .await;
    res.assert_error(404, "ROOM_NOT_FOUND");
    assert_eq!(files_under(&app.dir.path().join("files")).len(), 4);
}

#[rocket::async_test]
async fn a_blocked_conversation_takes_no_uploads() {
    let app = TestApp::new().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let res = app
        .post(
            "/api/v1/conversations",
            Some(&alice.token),
            json!({"user_id": bob.id}),
        )
        .await;
    let conversation = res.data()["id"].as_i64().unwrap();
    app.post(
        &format!("/api/v1/conversations/{conversation}/block"),
        Some(&bob.token),
        json!({}),
    )
    .await
    .succeeded();
    let res = app
        .upload_form(
            Some(&alice.token),
            multipart(&[
                Part::Text("conversation_id", &conversation.to_string()),
                Part::File("file", "x", b"x"),
            ]),
        )
        .await;
    res.assert_error(403, "USER_BLOCKED");
}

#[rocket::async_test]
async fn media_sources_may_carry_the_token_in_the_query() {
    let app = TestApp::new().await;
    let alice = app.register("alice").await;
    let id = app.upload(&alice, "song.bin", b"la la la", &[]).await;
    let res = app
        .client
        .get(format!("/api/v1/files/{id}/download?token={}", alice.token))
        .dispatch()
        .await;
    assert_eq!(res.status().code, 200);
    assert_eq!(res.into_bytes().await.unwrap(), b"la la la");
    let res = app
        .client
        .get(format!("/api/v1/files/{id}/download?token=forged"))
        .dispatch()
        .await;
    assert_eq!(res.status().code, 401);
    // Only media routes take it: everything else wants the header.
    let res = app
        .get(&format!("/api/v1/files/{id}?token={}", alice.token), None)
        .await;
    res.assert_error(401, "INVALID_TOKEN");
    let res = app
        .get(&format!("/api/v1/users/me?token={}", alice.token), None)
        .await;
    res.assert_error(401, "INVALID_TOKEN");
}

#[rocket::async_test]
async fn thumbnails_appear_for_images_and_bombs_are_refused() {
    let app = TestApp::new().await;
    let alice = app.register("alice").await;
    let id = app.upload(&alice, "wide.png", &png(800, 400), &[]).await;
    let file = metadata(&app, id, &alice).await;
    assert_eq!(file["mime_type"], "image/png");
    assert_eq!(
        file["thumbnail_url"],
        format!("/api/v1/files/{id}/thumbnail")
    );
    eventually("the thumbnail is ready", || async {
        metadata(&app, id, &alice).await["thumbnail_status"] == "ready"
    })
    .await;
    let file = metadata(&app, id, &alice).await;
    assert_eq!(
        (file["width"].as_i64(), file["height"].as_i64()),
        (Some(800), Some(400))
    );
    let thumb = fetch(
        &app,
        &format!("/api/v1/files/{id}/thumbnail"),
        &alice.token,
        &[],
    )
    .await;
    assert_eq!(thumb.status, 200);
    let format = image::guess_format(&thumb.bytes).unwrap();
    let expected = match format {
        image::ImageFormat::Png => "image/png",
        image::ImageFormat::WebP => "image/webp",
        image::ImageFormat::Jpeg => "image/jpeg",
        other => panic!("a thumbnail in {other:?}"),
    };
    assert_eq!(thumb.header("content-type"), Some(expected));
    let image = image::load_from_memory(&thumb.bytes).unwrap();
    assert_eq!((image.width(), image.height()), (320, 160));
    assert!(thumb.bytes.len() < png(800, 400).len());

    // A screenshot-like image (few colours, already small as PNG) and a
    // photograph-like one (noise): neither thumbnail is larger than its image.
    let flat = {
        let image = image::RgbImage::from_fn(640, 480, |x, y| {
            if (x / 80 + y / 60) % 2 == 0 {
                image::Rgb([240, 240, 240])
            } else {
                image::Rgb([30, 90, 200])
            }
        });
        let mut bytes = std::io::Cursor::new(Vec::new());
        image.write_to(&mut bytes, image::ImageFormat::Png).unwrap();
        bytes.into_inner()
    };
    let photo = {
        let mut seed = 7u32;
        let image = image::RgbImage::from_fn(640, 480, |x, y| {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            let n = (seed >> 24) as u8 / 8;
            image::Rgb([(x / 3) as u8 + n, (y / 3) as u8 + n, 120 + n])
        });
        let mut bytes = std::io::Cursor::new(Vec::new());
        image.write_to(&mut bytes, image::ImageFormat::Png).unwrap();
        bytes.into_inner()
    };
    for (name, original) in [("flat.png", flat), ("photo.png", photo)] {
        let id = app.upload(&alice, name, &original, &[]).await;
        eventually("the thumbnail is ready", || async {
            metadata(&app, id, &alice).await["thumbnail_status"] == "ready"
        })
        .await;
        let file = metadata(&app, id, &alice).await;
        assert_eq!(
            (file["width"].as_i64(), file["height"].as_i64()),
            (Some(640), Some(480))
        );
        let thumb = fetch(
            &app,
            &format!("/api/v1/files/{id}/thumbnail"),
            &alice.token,
            &[],
        )
        .await;
        assert!(
            thumb.bytes.len() <= original.len(),
            "{name}: a thumbnail of {} bytes for {} bytes",
            thumb.bytes.len(),
            original.len()
        );
        image::load_from_memory(&thumb.bytes).unwrap();
    }

    // A header claiming 100,000 × 100,000 pixels: refused as a thumbnail.
    let mut bomb = png(1, 1);
    bomb[16..20].copy_from_slice(&100_000u32.to_be_bytes());
    bomb[20..24].copy_from_slice(&100_000u32.to_be_bytes());
    let crc = crc32(&bomb[12..29]);
    bomb[29..33].copy_from_slice(&crc.to_be_bytes());
    let bomb_id = app.upload(&alice, "bomb.png", &bomb, &[]).await;
    eventually("the bomb's thumbnail fails", || async {
        metadata(&app, bomb_id, &alice).await["thumbnail_status"] == "failed"
    })
    .await;
    let thumb = fetch(
        &app,
        &format!("/api/v1/files/{bomb_id}/thumbnail"),
        &alice.token,
        &[],
    )
    .await;
    assert_eq!(thumb.status, 404);
    // The file itself is still there, as uploaded.
    assert_eq!(download(&app, bomb_id, &alice, &[]).await.bytes, bomb);
}

/// CRC-32 as PNG chunks use it.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = (crc >> 1) ^ (0xEDB8_8320 & (crc & 1).wrapping_neg());
        }
    }
    !crc
}

#[rocket::async_test]
async fn files_attach_to_messages() {
    let app = TestApp::new().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let room = app.room(&alice, "general", true).await;
    let other = app.room(&alice, "other", true).await;
    app.add_member(&alice, room, &bob, "member").await;
    let mine = app.upload(&alice, "a.txt", b"a", &[]).await;
    let in_room = app
        .upload(&alice, "b.txt", b"b", &[("room_id", &room.to_string())])
        .await;
    let elsewhere = app
        .upload(&alice, "c.txt", b"c", &[("room_id", &other.to_string())])
        .await;
    let bobs = app.upload(&bob, "d.txt", b"d", &[]).await;

    let path = format!("/api/v1/rooms/{room}/messages");
    for (ids, why) in [
        (vec![bobs], "someone else's file"),
        (vec![elsewhere], "a file of another room"),
        (vec![424242], "no such file"),
        ((1..=11).collect(), "too many"),
    ] {
        let res = app
            .post(
                &path,
                Some(&alice.token),
                json!({"content": "see", "attachments": ids}),
            )
            .await;
        res.assert_error(400, "VALIDATION_FAILED");
        assert_eq!(
            res.body["error"]["details"]["field"], "attachments",
            "{why}"
        );
    }
    let res = app
        .post(
            &path,
            Some(&alice.token),
            json!({"content": "see", "attachments": [mine, in_room]}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.raw);
    let message = res.data()["id"].as_i64().unwrap();
    let attached: Vec<i64> = res.data()["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["file_id"].as_i64().unwrap())
        .collect();
    assert_eq!(attached, vec![mine, in_room]);
    assert_eq!(res.data()["attachments"][0]["filename"], "a.txt");
    // Attached, the file belongs to the room: its members may fetch it.
    let file = metadata(&app, mine, &bob).await;
    assert_eq!(file["message_id"], message);
    assert_eq!(file["room_id"], room);
    // A file attaches once.
    let res = app
        .post(
            &path,
            Some(&alice.token),
            json!({"content": "again", "attachments": [mine]}),
        )
        .await;
    res.assert_error(400, "VALIDATION_FAILED");
    // Lists carry attachments.
    let res = app.get(&path, Some(&bob.token)).await;
    assert_eq!(
        res.data()["messages"][0]["attachments"][1]["file_id"],
        in_room
    );
    let res = app
        .get(&format!("/api/v1/rooms/{room}/files"), Some(&bob.token))
        .await;
    assert_eq!(res.data()["total"], 2);
    assert_eq!(
        res.data()["files"][0]["file_id"],
        in_room,
        "newest upload first"
    );
    let res = app
        .get(
            &format!("/api/v1/rooms/{room}/files?limit=1&page=2"),
            Some(&bob.token),
        )
        .await;
    assert_eq!(res.data()["files"][0]["file_id"], mine);
    assert_eq!(res.data()["has_more"], false);
}

#[rocket::async_test]
async fn deleting_removes_the_bytes() {
    let app = TestApp::new().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let room = app.room(&alice, "general", false).await;
    app.add_member(&alice, room, &bob, "member").await;
    app.add_member(&alice, room, &carol, "moderator").await;
    let room_field = room.to_string();

    let uuid_of = |file: &Value| file["uuid"].as_str().unwrap().to_owned();
    // By the uploader: gone at the 204.
    let id = app
        .upload(&alice, "a.png", &png(64, 64), &[("room_id", &room_field)])
        .await;
    eventually("thumbnail", || async {
        metadata(&app, id, &alice).await["thumbnail_status"] == "ready"
    })
    .await;
    let uuid = uuid_of(&metadata(&app, id, &alice).await);
    let thumb = stored_bytes(&app, &uuid).with_extension("thumb.png");
    assert!(thumb.exists(), "{thumb:?}");
    // A member who did not upload it may not.
    app.delete(&format!("/api/v1/files/{id}"), Some(&bob.token))
        .await
        .assert_error(403, "PERMISSION_DENIED");
    let res = app
        .delete(&format!("/api/v1/files/{id}"), Some(&alice.token))
        .await;
    assert_eq!(res.status, 204);
    assert!(!stored_bytes(&app, &uuid).exists());
    assert!(!thumb.exists());
    app.get(&format!("/api/v1/files/{id}"), Some(&alice.token))
        .await
        .assert_error(404, "FILE_NOT_FOUND");

    // By a moderator.
    let id = app
        .upload(&bob, "b.txt", b"b", &[("room_id", &room_field)])
        .await;
    let uuid = uuid_of(&metadata(&app, id, &bob).await);
    assert_eq!(
        app.delete(&format!("/api/v1/files/{id}"), Some(&carol.token))
            .await
            .status,
        204
    );
    assert!(!stored_bytes(&app, &uuid).exists());

    // With the message it is attached to.
    let id = app.upload(&bob, "c.txt", b"c", &[]).await;
    let uuid = uuid_of(&metadata(&app, id, &bob).await);
    let res = app
        .post(
            &format!("/api/v1/rooms/{room}/messages"),
            Some(&bob.token),
            json!({"content": "file", "attachments": [id]}),
        )
        .await;
    let message = res.data()["id"].as_i64().unwrap();
    assert_eq!(
        app.delete(&format!("/api/v1/messages/{message}"), Some(&bob.token))
            .await
            .status,
        204
    );
    app.get(&format!("/api/v1/files/{id}"), Some(&bob.token))
        .await
        .assert_error(404, "FILE_NOT_FOUND");
    eventually("the attachment's bytes go", || async {
        !stored_bytes(&app, &uuid).exists()
    })
    .await;

    // With the room.
    let id = app
        .upload(&bob, "d.txt", b"d", &[("room_id", &room_field)])
        .await;
    let uuid = uuid_of(&metadata(&app, id, &bob).await);
    assert_eq!(
        app.delete(&format!("/api/v1/rooms/{room}"), Some(&alice.token))
            .await
            .status,
        204
    );
    eventually("the room's bytes go", || async {
        !stored_bytes(&app, &uuid).exists()
    })
    .await;
    let left = files_under(&app.dir.path().join("files"));
    assert!(left.is_empty(), "{left:?}");
    let stats = app.get("/api/v1/admin/stats", Some(&alice.token)).await;
    assert_eq!(stats.data()["files"]["count"], 0);
}

#[rocket::async_test]
async fn an_admin_may_delete_any_readable_file_but_not_see_others_conversations() {
    let app = TestApp::new().await;
    let root = app.register("root").await; // the first account: admin
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let room = app.room(&alice, "private", false).await;
    app.add_member(&alice, room, &bob, "member").await;
    let id = app
        .upload(&bob, "b.txt", b"b", &[("room_id", &room.to_string())])
        .await;
    let uuid = metadata(&app, id, &bob).await["uuid"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        app.delete(&format!("/api/v1/files/{id}"), Some(&root.token))
            .await
            .status,
        204
    );
    assert!(!stored_bytes(&app, &uuid).exists());
    // Direct conversations stay private, admins included.
    let res = app
        .post(
            "/api/v1/conversations",
            Some(&alice.token),
            json!({"user_id": bob.id}),
        )
        .await;
    let conversation = res.data()["id"].as_i64().unwrap().to_string();
    let dm = app
        .upload(&bob, "dm.txt", b"dm", &[("conversation_id", &conversation)])
        .await;
    app.delete(&format!("/api/v1/files/{dm}"), Some(&root.token))
        .await
        .assert_error(404, "FILE_NOT_FOUND");
}
