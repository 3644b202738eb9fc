//! `GET /metrics` (API.md §13): off without `metrics.token`, guarded by it, and
//! counting requests by route template, the writer's batches and the queues.

mod common;

use common::*;
use rocket::http::{Header, Method};

const TOKEN: &str = "metrics-token-0123456789";

async fn scrape(app: &TestApp, token: Option<&str>) -> (u16, String) {
    let mut req = app.client.get("/metrics");
    if let Some(token) = token {
        req.add_header(Header::new("Authorization", format!("Bearer {token}")));
    }
    let res = req.dispatch().await;
    let status = res.status().code;
    let content_type = res
        .content_type()
        .map(|c| c.to_string())
        .unwrap_or_default();
    let body = res.into_string().await.unwrap_or_default();
    if status == 200 {
        assert!(content_type.starts_with("text/plain"), "{content_type}");
        assert!(content_type.contains("version=0.0.4"), "{content_type}");
    }
    (status, body)
}

/// The value of the sample whose line starts with `series`.
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find(|l| l.starts_with(series) && l[series.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no sample {series} in\n{text}"))
}

#[rocket::async_test]
async fn without_a_token_configured_metrics_do_not_exist() {
    let app = TestApp::new().await;
    let res = app.get("/metrics", None).await;
    res.assert_error(404, "NOT_FOUND");
    let res = app.get("/metrics", Some(TOKEN)).await;
    res.assert_error(404, "NOT_FOUND");
}

#[rocket::async_test]
async fn the_token_guards_the_metrics() {
    let app = TestApp::with(|c| c.metrics.token = Some(TOKEN.into())).await;
    app.get("/metrics", None)
        .await
        .assert_error(401, "INVALID_TOKEN");
    app.get("/metrics", Some("metrics-token-0123456788"))
        .await
        .assert_error(401, "INVALID_TOKEN");
    // A user's access token is not the metrics token.
    let user = app.register("ada").await;
    app.get("/metrics", Some(&user.token))
        .await
        .assert_error(401, "INVALID_TOKEN");
    assert_eq!(scrape(&app, Some(TOKEN)).await.0, 200);
}

#[rocket::async_test]
async fn requests_writes_and_queues_are_counted() {
    let app = TestApp::with(|c| {
        c.metrics.token = Some(TOKEN.into());
        // Thumbnails wait in their queue, so the gauge has something to show.
        c.files.thumbnails = false;
    })
    .await;
    let (_, before) = scrape(&app, Some(TOKEN)).await;
    let batches_before = sample(&before, "veza_writer_batch_size_count");

    let ada = app.register("ada").await;
    let room = app.room(&ada, "general", true).await;
    for i in 0..3 {
        app.send(&ada, room, &format!("hello {i}")).await;
    }
    for _ in 0..2 {
        app.get("/api/v1/ping", None).await;
    }
    for path in [
        "/api/v1/no/such/thing",
        "/api/and/another/one",
        "/api/v1/rooms/1/nope",
    ] {
        app.get(path, None).await.assert_error(404, "NOT_FOUND");
    }
    app.call(Method::Get, &format!("/api/v1/rooms/{room}"), None, None)
        .await
        .assert_error(401, "INVALID_TOKEN");
    let room_id = room.to_string();
    app.upload(&ada, "a.png", &png(8, 8), &[("room_id", &room_id)])
        .await;

    let (status, text) = scrape(&app, Some(TOKEN)).await;
    assert_eq!(status, 200);
    let requests = |route: &str, method: &str, status: u16| {
        sample(
            &text,
            &format!(
                r#"veza_http_requests_total{{method="{method}",route="{route}",status="{status}"}}"#
            ),
        )
    };
    assert_eq!(requests("/api/v1/ping", "GET", 200), 2.0);
    assert_eq!(requests("/api/v1/rooms/<id>/messages", "POST", 201), 3.0);
    assert_eq!(requests("/api/v1/rooms/<id>", "GET", 401), 1.0);
    // Unknown paths share one label: clients cannot grow the series.
    assert_eq!(requests("unmatched", "GET", 404), 3.0);
    assert!(!text.contains("no/such/thing"), "{text}");
    assert_eq!(
        sample(
            &text,
            r#"veza_http_request_duration_seconds_count{method="GET",route="/api/v1/ping"}"#
        ),
        2.0
    );
    assert!(
        sample(&text, "veza_writer_batch_size_count") >= batches_before + 5.0,
        "register, room and three sends each committed: {text}"
    );
    assert_eq!(sample(&text, "veza_writer_queue_depth"), 0.0);
    assert_eq!(sample(&text, "veza_websocket_connections"), 0.0);
    assert_eq!(sample(&text, "veza_thumbnails_pending"), 1.0);
    assert_eq!(
        sample(&text, r#"veza_webhook_deliveries{status="pending"}"#),
        0.0
    );
    assert_eq!(
        sample(&text, r#"veza_webhook_deliveries{status="failed"}"#),
        0.0
    );
}
