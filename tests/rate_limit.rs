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
    // A bucket of 5 an hour regains a request every 720 s, and is full again an
    // hour after it was emptied.
    assert!(retry > 700 && retry <= 720, "retry after {retry}");
    assert_eq!(res.header("x-ratelimit-remaining"), Some("0"));
    let reset: u64 = res.header("x-ratelimit-reset").unwrap().parse().unwrap();
    let now = chrono::Utc::now().timestamp() as u64;
    assert!(reset > now + 3500 && reset <= now + 3601, "reset {reset}");
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

fn login_from<'a>(
    app: &'a TestApp,
    ip: &str,
    body: serde_json::Value,
) -> rocket::local::asynchronous::LocalRequest<'a> {
    let mut req = app.client.post("/api/v1/auth/login");
    req.set_remote(format!("{ip}:5000").parse().unwrap());
    req.header(rocket::http::ContentType::JSON)
        .body(body.to_string())
}

#[rocket::async_test]
async fn concurrent_wrong_guesses_cannot_pass_the_limit() {
    let app = TestApp::with(|c| c.rate_limit.failed_logins_per_15min = 3).await;
    app.register("fay").await;
    // 30 guesses at once, from 30 addresses, all wrong: the account allows 3.
    let guesses = (0..30).map(|i| {
        login_from(
            &app,
            &format!("10.1.0.{i}"),
            json!({"username": "fay", "password": format!("guess {i:02}!")}),
        )
        .dispatch()
    });
    let answers = futures_join_all(guesses).await;
    let statuses: Vec<u16> = answers.iter().map(|r| r.status().code).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 401).count(),
        3,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        27,
        "{statuses:?}"
    );
}

/// Polls every future to the end, concurrently, in one task.
async fn futures_join_all<F: std::future::Future>(
    futures: impl Iterator<Item = F>,
) -> Vec<F::Output> {
    let handles: Vec<_> = futures.map(Box::pin).collect();
    let mut outputs = Vec::new();
    let mut pending: Vec<_> = handles.into_iter().map(Some).collect();
    let mut results: Vec<Option<F::Output>> = pending.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut all_done = true;
        for (slot, result) in pending.iter_mut().zip(results.iter_mut()) {
            if let Some(fut) = slot {
                match fut.as_mut().poll(cx) {
                    std::task::Poll::Ready(out) => {
                        *result = Some(out);
                        *slot = None;
                    }
                    std::task::Poll::Pending => all_done = false,
                }
            }
        }
        if all_done {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    outputs.extend(results.into_iter().map(|r| r.expect("done")));
    outputs
}

#[rocket::async_test]
async fn username_and_email_of_one_account_share_one_count() {
    let app = TestApp::with(|c| c.rate_limit.failed_logins_per_15min = 4).await;
    app.register("gus").await;
    let email = "gus@example.com".to_owned();
    for (i, body) in [
        json!({"username": "gus", "password": "wrong one"}),
        json!({"username": "GUS", "password": "wrong one"}),
        json!({"email": email, "password": "wrong one"}),
        json!({"username": email.to_uppercase(), "password": "wrong one"}),
    ]
    .into_iter()
    .enumerate()
    {
        let res = login_from(&app, &format!("10.2.0.{i}"), body)
            .dispatch()
            .await;
        assert_eq!(res.status().code, 401);
    }
    let res = login_from(
        &app,
        "10.2.0.9",
        json!({"email": email, "password": PASSWORD}),
    )
    .dispatch()
    .await;
    assert_eq!(
        res.status().code,
        429,
        "four failures by either name spend the account's four"
    );
    // Unknown names are counted by address only: they cannot lock anyone out.
    for i in 0..4 {
        let res = login_from(
            &app,
            &format!("10.3.0.{i}"),
            json!({"username": "nobody", "password": "x password"}),
        )
        .dispatch()
        .await;
        assert_eq!(res.status().code, 401);
    }
}

#[rocket::async_test]
async fn concurrent_wrong_current_passwords_cannot_pass_the_limit() {
    let app = TestApp::with(|c| c.rate_limit.failed_logins_per_15min = 2).await;
    let hal = app.register("hal").await;
    let changes = (0..10).map(|i| {
        let mut req = app.client.put("/api/v1/users/me/password");
        req.set_remote(format!("10.4.0.{i}:5000").parse().unwrap());
        req.header(rocket::http::ContentType::JSON)
            .header(Header::new("Authorization", format!("Bearer {}", hal.token)))
            .body(json!({"current_password": format!("guess {i:02}!!"), "new_password": "another password"}).to_string())
            .dispatch()
    });
    let statuses: Vec<u16> = futures_join_all(changes)
        .await
        .iter()
        .map(|r| r.status().code)
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 400).count(),
        2,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        8,
        "{statuses:?}"
    );
}

/// Rocket routes `//api/…` and `/%61pi/…` to the API's handlers: the limit counts
/// every spelling, over real sockets to the real server.
#[test]
fn every_spelling_of_an_api_path_counts_against_the_limit() {
    let server = common::server::Server::start(&[("VEZA_RATE_LIMIT__REQUESTS_PER_HOUR", "4")]);
    let spellings = [
        "//api/v1/users/me",
        "/%61pi/v1/users/me",
        "/%61%70%69/v1/users/me",
        "///api//v1/users/me",
        "//%61uth/refresh",
        "/api/v1/users/me",
    ];
    let mut statuses = Vec::new();
    for path in spellings.iter().cycle().take(12) {
        let (status, body) = common::process::http(server.port, "GET", path, "").unwrap();
        // Each spelling reaches the API (an envelope), not the web client's page.
        assert!(body.contains("\"success\":false"), "{path}: {body:.200}");
        statuses.push(status);
    }
    assert!(
        statuses[..4].iter().all(|s| *s != 429),
        "the first four are within the limit: {statuses:?}"
    );
    assert!(
        statuses[4..].iter().all(|s| *s == 429),
        "then every spelling is limited: {statuses:?}"
    );
}

#[rocket::async_test]
async fn a_query_with_thousands_of_parameters_is_refused_whole() {
    let app = TestApp::new().await;
    let user = app.register("amy").await;
    let query: Vec<String> = (0..15_500).map(|i| format!("k{i}=v")).collect();
    let res = app
        .get(
            &format!("/api/v1/rooms?{}", query.join("&")),
            Some(&user.token),
        )
        .await;
    res.assert_error(400, "VALIDATION_FAILED");
    assert_eq!(res.body["error"]["details"]["field"], "query");
    let few: Vec<String> = (0..10).map(|i| format!("k{i}=v")).collect();
    app.get(
        &format!("/api/v1/rooms?{}", few.join("&")),
        Some(&user.token),
    )
    .await
    .succeeded();
}

#[rocket::async_test]
async fn a_burst_smaller_than_the_hour_is_refilled_at_the_hourly_rate() {
    let app = TestApp::with(|c| {
        c.rate_limit.requests_per_hour = 3600;
        c.rate_limit.burst = Some(3);
    })
    .await;
    let user = app.register("amy").await;
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(app.get("/api/v1/users/me", Some(&user.token)).await);
    }
    assert!(
        statuses[..3].iter().all(|r| r.status == 200),
        "{statuses:?}"
    );
    let over = &statuses[3];
    over.assert_error(429, "RATE_LIMIT_EXCEEDED");
    assert_eq!(over.header("x-ratelimit-limit"), Some("3"));
    assert_eq!(over.header("retry-after"), Some("1"), "one token a second");
}
