//! The web client (API.md §14): served by the binary at `/` and at deep links,
//! its files under a fingerprinted path with long caching, a strict CSP that the
//! client's own files respect, and API paths that keep answering JSON.

mod common;

use common::*;
use rocket::http::{Header, Method};

/// The page and the path prefix of this build's assets.
async fn index(app: &TestApp) -> (Resp, String) {
    let res = app.get("/", None).await;
    assert_eq!(res.status, 200);
    let start = res.raw.find("/assets/").expect("index names its assets");
    let prefix: String = res.raw[start..]
        .splitn(4, '/')
        .take(3)
        .collect::<Vec<_>>()
        .join("/");
    (res, prefix)
}

#[rocket::async_test]
async fn root_serves_the_client_under_a_strict_policy() {
    let app = TestApp::new().await;
    let (res, prefix) = index(&app).await;
    assert_eq!(res.header("content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(res.header("cache-control"), Some("no-cache"));
    let csp = res.header("content-security-policy").expect("a CSP");
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert!(csp.contains("script-src 'self';"), "{csp}");
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
        "{csp}"
    );
    assert!(res.raw.contains(&format!(r#"src="{prefix}/js/main.js""#)));
    assert!(
        !res.raw.contains("{{ASSETS}}"),
        "the placeholder was replaced"
    );
    // The fingerprint is 16 hex digits.
    let fingerprint = prefix.trim_start_matches("/assets/");
    assert_eq!(fingerprint.len(), 16, "{prefix}");
    assert!(fingerprint.chars().all(|c| c.is_ascii_hexdigit()));
}

#[rocket::async_test]
async fn assets_are_cached_for_a_year_and_only_under_this_builds_fingerprint() {
    let app = TestApp::new().await;
    let (_, prefix) = index(&app).await;
    for (file, content_type) in [
        ("js/main.js", "text/javascript"),
        ("app.css", "text/css; charset=utf-8"),
        ("icon.svg", "image/svg+xml"),
    ] {
        let res = app.get(&format!("{prefix}/{file}"), None).await;
        assert_eq!(res.status, 200, "{file}");
        assert_eq!(res.header("content-type"), Some(content_type), "{file}");
        assert_eq!(
            res.header("cache-control"),
            Some("public, max-age=31536000, immutable")
        );
        assert_eq!(res.header("x-content-type-options"), Some("nosniff"));
    }
    // Another build's fingerprint, a missing file, a path escape: the JSON 404.
    for path in [
        "/assets/0123456789abcdef/js/main.js".to_owned(),
        format!("{prefix}/js/nope.js"),
        format!("{prefix}/../../Cargo.toml"),
        format!("{prefix}/%2e%2e/%2e%2e/Cargo.toml"),
        format!("{prefix}/index.html"),
    ] {
        let res = app.get(&path, None).await;
        res.assert_error(404, "NOT_FOUND");
    }
}

#[rocket::async_test]
async fn deep_links_serve_the_client_and_api_paths_stay_json() {
    let app = TestApp::new().await;
    for path in ["/rooms/12", "/dm/3", "/streams", "/browse", "/rooms/12?x=1"] {
        let res = app.get(path, None).await;
        assert_eq!(res.status, 200, "{path}");
        assert!(res.raw.contains("js/main.js"), "{path}");
        assert!(res.header("content-security-policy").is_some(), "{path}");
    }
    // API and operations paths that do not exist answer the envelope, not the page.
    for path in [
        "/api/v1/nope",
        "/api/nope",
        "/auth/nope",
        "/metrics/x",
        "/health/x",
        "/favicon.ico",
    ] {
        app.get(path, None).await.assert_error(404, "NOT_FOUND");
    }
    // Other methods on a client path are not pages either.
    let res = app.post("/rooms/12", None, serde_json::json!({})).await;
    res.assert_error(404, "NOT_FOUND");
    // An id that is not a number on an API route keeps its own error.
    let user = app.register("alice").await;
    let res = app.get("/api/v1/rooms/abc", Some(&user.token)).await;
    assert_eq!(res.status, 422);
    assert_eq!(res.code(), "VALIDATION_FAILED");
}

#[rocket::async_test]
async fn the_provider_callback_gives_a_browser_the_client_and_an_api_client_json() {
    let app = TestApp::new().await;
    // A browser arriving from the provider gets the page, which finishes sign-in.
    for path in [
        "/auth/oauth/callback?code=c&state=s",
        "/api/v1/auth/oauth/callback?code=c&state=s",
    ] {
        let res = app
            .client
            .get(path)
            .header(Header::new("Accept", "text/html,application/xhtml+xml"))
            .header(Header::new("Sec-Fetch-Mode", "navigate"))
            .dispatch()
            .await;
        assert_eq!(res.status().code, 200, "{path}");
        assert!(res.into_string().await.unwrap().contains("js/main.js"));
    }
    // An API client reaches the JSON route (404: no provider is configured here).
    let res = app
        .call(
            Method::Get,
            "/auth/oauth/callback?code=c&state=s",
            None,
            None,
        )
        .await;
    res.assert_error(404, "NOT_FOUND");
}

/// The client's files, as the binary embeds them.
fn client_files() -> Vec<(String, String)> {
    fn walk(dir: &std::path::Path, out: &mut Vec<(String, String)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                let text = std::fs::read_to_string(&path).unwrap();
                out.push((path.display().to_string(), text));
            }
        }
    }
    let mut out = Vec::new();
    walk(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("static/app"),
        &mut out,
    );
    out
}

#[test]
fn the_client_stays_small_and_keeps_to_its_policy() {
    let files = client_files();
    let total: usize = files.iter().map(|(_, text)| text.len()).sum();
    // Uncompressed, so the compressed size is surely under the 200 KB budget.
    assert!(total < 200 * 1024, "the client weighs {total} bytes");
    for (path, text) in &files {
        // No inline code for the CSP to refuse, and user text never parsed as HTML.
        for banned in [
            "innerHTML",
            "outerHTML",
            "insertAdjacentHTML",
            "document.write",
            "eval(",
            "new Function",
            " style=\"",
            "<style",
            "https://cdn",
        ] {
            assert!(!text.contains(banned), "{path} contains {banned:?}");
        }
        if path.ends_with(".html") {
            assert!(!text.contains("<script>"), "{path} has an inline script");
        }
    }
}

#[rocket::async_test]
async fn every_module_the_client_imports_is_served() {
    let app = TestApp::new().await;
    let (_, prefix) = index(&app).await;
    for (path, text) in client_files() {
        if !path.ends_with(".js") {
            continue;
        }
        for line in text.lines().filter(|l| l.contains(" from './")) {
            let name = line
                .split("from './")
                .nth(1)
                .unwrap()
                .split('\'')
                .next()
                .unwrap();
            let res = app.get(&format!("{prefix}/js/{name}"), None).await;
            assert_eq!(res.status, 200, "{name}, imported by {path}");
        }
    }
}

#[rocket::async_test]
async fn head_of_the_page_answers_without_a_body() {
    let app = TestApp::new().await;
    let res = app.call(Method::Head, "/rooms/1", None, None).await;
    assert_eq!(res.status, 200);
    assert!(res.raw.is_empty());
}
