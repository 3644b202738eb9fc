//! Rate limits: headers on every API answer, 429 with `Retry-After` over the limit,
//! counted per user (per address before login), and failed logins limited apart.

mod common;

use common::*;
use rocket::http::Header;
use serde_json::json;

#[rocket::async_test]
async fn every_api_answer_carries_the_headers() {
    let app = TestApp::with(|c| c.rate_limit.requests_per_hour = 50).await;
    let user = app.register("amy").await;
    let answers = [
        app.get("/api/v1/users/me", Some(&user.token)).await,
        app.get("/api/v1/nope", None).await,
        app.login("amy", "wrong password").await,
        app.get("/api/users/me", Some(&user.token)).await,
    ];
    for res in &answers {
        assert_eq!(res.header("x-ratelimit-limit"), Some("50"), "{res:?}");
        let remaining: u32 = res
            .header("x-ratelimit-remaining")
            .unwrap()
            .parse()
            .unwrap();
        assert!(remaining < 50);
        let reset: u64 = res.header("x-ratelimit-reset").unwrap().parse().unwrap();
        assert!(reset > chrono::Utc::now().timestamp() as u64);
    }
    let first: u32 = answers[0]
        .header("x-ratelimit-remaining")
        .unwrap()
        .parse()
        .unwrap();
    let last: u32 = answers[3]
        .header("x-ratelimit-remaining")
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        first - last,
        1,
        "the user's own count went down by one request"
    );
}

#[rocket::async_test]
async fn over_the_limit_is_429_with_retry_after_per_user() {
    let app = TestApp::with(|c| c.rate_limit.requests_per_hour = 5).await;
    let a = app.register("ann").await;
    let b = app.register("ben").await;
    for _ in 0..5 {
        assert_eq!(
            app.get("/api/v1/users/me", Some(&a.token)).await.status,
            200
        );
    }
    let res = app.get("/api/v1/users/me", Some(&a.token)).await;
    res.assert_error(429, "RATE_LIMIT_EXCEEDED");
    let retry: u64 = res.header("retry-after").unwrap().parse().unwrap();
    assert!(retry > 3500 && retry <= 3600, "retry after {retry}");
    assert_eq!(res.header("x-ratelimit-remaining"), Some("0"));
    // A write refused by the limit does not happen.
    let res = app
        .put(
            "/api/v1/users/me",
            Some(&a.token),
            json!({"status_message": "hi"}),
        )
        .await;
    res.assert_error(429, "RATE_LIMIT_EXCEEDED");
    // Another user has their own budget.
    let res = app.get("/api/v1/users/me", Some(&b.token)).await;
    assert_eq!(res.status, 200);
    assert!(res.data()["status_message"].is_null());
    let res = app
        .get(&format!("/api/v1/users/{}", a.id), Some(&b.token))
        .await;
    assert!(
        res.data()["status_message"].is_null(),
        "the refused write did not land"
    );
    // The internal 429 path is not reachable on its own.
    assert_eq!(app.get("/__veza/rate-limited", None).await.status, 404);
}

#[rocket::async_test]
async fn before_login_requests_count_per_address() {
    let app = TestApp::with(|c| c.rate_limit.requests_per_hour = 3).await;
    let from = |ip: &str| {
        let mut req = app.client.get("/api/v1/nope");
        req.set_remote(format!("{ip}:4000").parse().unwrap());
        req
    };
    for _ in 0..3 {
        assert_eq!(from("10.0.0.1").dispatch().await.status().code, 404);
    }
    assert_eq!(from("10.0.0.1").dispatch().await.status().code, 429);
    assert_eq!(from("10.0.0.2").dispatch().await.status().code, 404);
    // Without trusted_proxy_header, a forged X-Real-IP changes nothing.
    let mut req = from("10.0.0.1");
    req.add_header(Header::new("X-Real-IP", "10.9.9.9"));
    assert_eq!(req.dispatch().await.status().code, 429);
}

#[rocket::async_test]
async fn failed_logins_are_limited_per_account_and_per_address() {
    let app = TestApp::with(|c| c.rate_limit.failed_logins_per_15min = 3).await;
    app.register("cleo").await;
    for _ in 0..3 {
        app.login("cleo", "wrong password")
            .await
            .assert_error(401, "INVALID_CREDENTIALS");
    }
    // The account is out of tries, even with the right password.
    let res = app.login("CLEO", PASSWORD).await;
    res.assert_error(429, "RATE_LIMIT_EXCEEDED");
    assert!(res.header("retry-after").unwrap().parse::<u64>().unwrap() > 800);
    // The address is out of tries too, for any account.
    app.register("dora").await;
    app.login("dora", PASSWORD)
        .await
        .assert_error(429, "RATE_LIMIT_EXCEEDED");
    // From another address, another account still logs in.
    let mut req = app.client.post("/api/v1/auth/login");
    req.set_remote("192.0.2.7:5000".parse().unwrap());
    let req = req
        .header(rocket::http::ContentType::JSON)
        .body(json!({"username": "dora", "password": PASSWORD}).to_string());
    assert_eq!(req.dispatch().await.status().code, 200);
}

#[rocket::async_test]
async fn a_successful_login_resets_the_account_count() {
    let app = TestApp::with(|c| c.rate_limit.failed_logins_per_15min = 3).await;
    app.register("eve").await;
    for _ in 0..2 {
        app.login("eve", "wrong password")
            .await
            .assert_error(401, "INVALID_CREDENTIALS");
    }
    assert_eq!(app.login("eve", PASSWORD).await.status, 200);
    // The address has one try left (2 failures of 3), the account a fresh count.
    app.login("eve", "wrong password")
        .await
        .assert_error(401, "INVALID_CREDENTIALS");
    app.login("eve", PASSWORD)
        .await
        .assert_error(429, "RATE_LIMIT_EXCEEDED");
}
