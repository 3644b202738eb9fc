//! Avatars (API §17): an upload is decoded, cut square, scaled and re-encoded
//! (never served as sent); bombs, SVG and non-images are refused; the URL names
//! the digest and the answer is cacheable; removal clears it. And thumbnails:
//! small, never larger than the image, with the image's size on the file.

mod common;

use common::{multipart, Part, TestApp};
use rocket::http::Method;

async fn set_avatar(app: &TestApp, token: &str, name: &str, bytes: &[u8]) -> common::Resp {
    let body = multipart(&[Part::File("file", name, bytes)]);
    app.send_form(Method::Put, "/api/v1/users/me/avatar", Some(token), body)
        .await
}

/// A PNG that claims `side` × `side` pixels of zeros: a few kilobytes that
/// would decode to gigabytes.
fn bomb(side: u32) -> Vec<u8> {
    use std::io::Write;
    let mut out = std::io::Cursor::new(Vec::new());
    {
        let mut encoder = png::Encoder::new(&mut out, side, side);
        encoder.set_color(png::ColorType::Grayscale);
        let mut writer = encoder.write_header().unwrap();
        let mut stream = writer.stream_writer().unwrap();
        let row = vec![0u8; side as usize + 1];
        for _ in 0..side {
            stream.write_all(&row[1..]).unwrap();
        }
        stream.finish().unwrap();
    }
    out.into_inner()
}

#[tokio::test]
async fn an_avatar_is_reencoded_square_and_served_with_its_digest() {
    let app = TestApp::new().await;
    let ann = app.register("ann").await;
    let bob = app.register("bob").await;
    let me = app.get("/api/v1/users/me", Some(&ann.token)).await;
    assert_eq!(me.data()["avatar_url"], serde_json::Value::Null);

    let uploaded = common::png(640, 400);
    let res = set_avatar(&app, &ann.token, "me.png", &uploaded).await;
    assert_eq!(res.status, 200, "{}", res.raw);
    let url = res.data()["avatar_url"].as_str().unwrap().to_owned();
    assert!(
        url.starts_with(&format!("/api/v1/users/{}/avatar?v=", ann.id)),
        "{url}"
    );

    // Anyone signed in sees it; nobody without a token.
    let (status, _, _) = app.get_bytes(&url, None, &[]).await;
    assert_eq!(status, 401);
    let (status, headers, bytes) = app.get_bytes(&url, Some(&bob.token), &[]).await;
    assert_eq!(status, 200);
    assert_ne!(bytes, uploaded, "never the bytes as sent");
    let content_type = headers["content-type"].clone();
    assert!(
        content_type == "image/png" || content_type == "image/webp",
        "{content_type}"
    );
    assert_eq!(
        headers["cache-control"],
        "private, max-age=31536000, immutable"
    );
    let decoded = image::load_from_memory(&bytes).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (256, 256));
    // Revalidation answers 304 without the bytes.
    let etag = headers["etag"].clone();
    let (status, _, bytes) = app
        .get_bytes(&url, Some(&bob.token), &[("If-None-Match", &etag)])
        .await;
    assert_eq!((status, bytes.len()), (304, 0));

    // Others see the URL on the user object; a new avatar is a new URL.
    let seen = app
        .get(&format!("/api/v1/users/{}", ann.id), Some(&bob.token))
        .await;
    assert_eq!(seen.data()["avatar_url"], url.as_str());
    let res = set_avatar(&app, &ann.token, "small.png", &common::png(40, 40)).await;
    let second = res.data()["avatar_url"].as_str().unwrap().to_owned();
    assert_ne!(second, url);
    let (_, _, bytes) = app.get_bytes(&second, Some(&bob.token), &[]).await;
    let decoded = image::load_from_memory(&bytes).unwrap();
    assert_eq!(
        (decoded.width(), decoded.height()),
        (40, 40),
        "small images are not scaled up"
    );

    let res = app
        .delete("/api/v1/users/me/avatar", Some(&ann.token))
        .await;
    assert_eq!(res.status, 204);
    let me = app.get("/api/v1/users/me", Some(&ann.token)).await;
    assert_eq!(me.data()["avatar_url"], serde_json::Value::Null);
    let (status, _, _) = app.get_bytes(&second, Some(&bob.token), &[]).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn bombs_svg_and_other_bytes_are_refused_and_change_nothing() {
    let app = TestApp::new().await;
    let ann = app.register("ann").await;
    let res = set_avatar(&app, &ann.token, "ok.png", &common::png(64, 64)).await;
    let kept = res.data()["avatar_url"].as_str().unwrap().to_owned();

    let bomb = bomb(30_000);
    assert!(
        bomb.len() < 2 << 20,
        "a bomb is small: {} bytes",
        bomb.len()
    );
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>"#;
    let truncated = &common::png(100, 100)[..200];
    for (name, bytes) in [
        ("bomb.png", bomb.as_slice()),
        ("evil.svg", svg.as_slice()),
        ("notes.txt", b"hello, I am text".as_slice()),
        ("cut.png", truncated),
    ] {
        let res = set_avatar(&app, &ann.token, name, bytes).await;
        res.assert_error(400, "VALIDATION_FAILED");
        assert_eq!(
            res.body["error"]["details"]["field"], "file",
            "{name}: {}",
            res.raw
        );
    }
    // Over 5 MiB is refused as it streams in.
    let huge = vec![0u8; 5 * 1024 * 1024 + 1];
    let res = set_avatar(&app, &ann.token, "huge.png", &huge).await;
    res.assert_error(413, "PAYLOAD_TOO_LARGE");
    let me = app.get("/api/v1/users/me", Some(&ann.token)).await;
    assert_eq!(me.data()["avatar_url"], kept.as_str());
    // No staging file is left behind.
    let staging = app.dir.path().join("files").join("tmp");
    let left = std::fs::read_dir(&staging)
        .expect("the staging directory")
        .count();
    assert_eq!(left, 0, "{staging:?}");
}
