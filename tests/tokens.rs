//! Hostile tokens: every forged, altered, expired or misused token is a 401
//! `INVALID_TOKEN` in the envelope, and never reaches a handler.

mod common;

use common::*;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

fn claims(user_id: i64, session_id: i64) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({"iss": "veza", "aud": "veza-api", "sub": user_id.to_string(), "sid": session_id,
           "iat": now, "exp": now + 600, "typ": "access"})
}

fn sign(claims: &Value, secret: &str) -> String {
    encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

/// The session id inside a real token of ours.
fn session_of(token: &str) -> i64 {
    let payload = token.split('.').nth(1).unwrap();
    let bytes = b64url_decode(payload);
    serde_json::from_slice::<Value>(&bytes).unwrap()["sid"]
        .as_i64()
        .unwrap()
}

fn b64url_decode(s: &str) -> Vec<u8> {
    const A: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let vals: Vec<u32> = s
        .bytes()
        .map(|c| A.find(c as char).unwrap() as u32)
        .collect();
    let mut out = Vec::new();
    for chunk in vals.chunks(4) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, v)| n | v << (18 - 6 * i));
        for i in 0..chunk.len() - 1 {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    out
}

async fn assert_refused(app: &TestApp, token: &str) {
    let res = app.get("/api/v1/users/me", Some(token)).await;
    res.assert_error(401, "INVALID_TOKEN");
    assert!(res.data().is_null(), "no data leaks: {}", res.raw);
}

#[rocket::async_test]
async fn a_well_formed_token_with_the_right_key_works() {
    // The control case: the forging helpers below do produce accepted tokens when
    // nothing is wrong, so each refusal is about the one thing changed.
    let app = TestApp::new().await;
    let user = app.register("kim").await;
    let token = sign(&claims(user.id, session_of(&user.token)), TEST_SECRET);
    assert_eq!(app.get("/api/v1/users/me", Some(&token)).await.status, 200);
}

#[rocket::async_test]
async fn alg_none_is_refused() {
    let app = TestApp::new().await;
    let user = app.register("leo").await;
    let c = claims(user.id, session_of(&user.token));
    for alg in ["none", "None", "NONE"] {
        let header = b64url(json!({"alg": alg, "typ": "JWT"}).to_string().as_bytes());
        let body = b64url(c.to_string().as_bytes());
        assert_refused(&app, &format!("{header}.{body}.")).await;
        assert_refused(&app, &format!("{header}.{body}")).await;
    }
}

#[rocket::async_test]
async fn other_algorithms_and_keys_are_refused() {
    let app = TestApp::new().await;
    let user = app.register("mia").await;
    let c = claims(user.id, session_of(&user.token));
    assert_refused(&app, &sign(&c, "another-secret-another-secret-another")).await;
    for alg in [Algorithm::HS384, Algorithm::HS512] {
        let token = encode(
            &Header::new(alg),
            &c,
            &EncodingKey::from_secret(TEST_SECRET.as_bytes()),
        )
        .unwrap();
        assert_refused(&app, &token).await;
    }
}

#[rocket::async_test]
async fn tampered_claims_are_refused() {
    let app = TestApp::new().await;
    app.register("admin").await;
    let user = app.register("ned").await;
    // Swap in a payload naming the admin (id 1), keeping the original signature.
    let parts: Vec<&str> = user.token.split('.').collect();
    let mut forged = claims(1, session_of(&user.token));
    forged["exp"] = json!(chrono::Utc::now().timestamp() + 600);
    let token = format!(
        "{}.{}.{}",
        parts[0],
        b64url(forged.to_string().as_bytes()),
        parts[2]
    );
    assert_refused(&app, &token).await;
    // A validly signed token for another user but this user's session: refused too.
    let token = sign(&claims(1, session_of(&user.token)), TEST_SECRET);
    assert_refused(&app, &token).await;
    // Truncated signature, garbage, empty.
    assert_refused(&app, &user.token[..user.token.len() - 2]).await;
    assert_refused(&app, "garbage").await;
    assert_refused(&app, "a.b.c").await;
}

#[rocket::async_test]
async fn missing_or_mistyped_claims_are_refused() {
    let app = TestApp::new().await;
    let user = app.register("olga").await;
    let sid = session_of(&user.token);
    let mut cases = Vec::new();
    let mut c = claims(user.id, sid);
    c["exp"] = json!((chrono::Utc::now().timestamp() + 600).to_string());
    cases.push(c);
    for key in ["exp", "iss", "aud", "sub", "sid", "typ"] {
        let mut c = claims(user.id, sid);
        c.as_object_mut().unwrap().remove(key);
        cases.push(c);
    }
    let mut c = claims(user.id, sid);
    c["iss"] = json!("someone-else");
    cases.push(c);
    let mut c = claims(user.id, sid);
    c["aud"] = json!("another-api");
    cases.push(c);
    let mut c = claims(user.id, sid);
    c["typ"] = json!("refresh");
    cases.push(c);
    let mut c = claims(user.id, sid);
    c["sub"] = json!("not-a-number");
    cases.push(c);
    for c in cases {
        assert_refused(&app, &sign(&c, TEST_SECRET)).await;
    }
}

#[rocket::async_test]
async fn expired_tokens_are_refused() {
    let app = TestApp::new().await;
    let user = app.register("pat").await;
    let mut c = claims(user.id, session_of(&user.token));
    c["exp"] = json!(chrono::Utc::now().timestamp() - 1);
    let res = app
        .get("/api/v1/users/me", Some(&sign(&c, TEST_SECRET)))
        .await;
    res.assert_error(401, "INVALID_TOKEN");
    assert!(res.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("expired"));
}

#[rocket::async_test]
async fn a_short_lived_token_expires() {
    let app = TestApp::with(|c| c.auth.access_token_ttl_secs = 1).await;
    let user = app.register("quinn").await;
    assert_eq!(
        app.get("/api/v1/users/me", Some(&user.token)).await.status,
        200
    );
    std::thread::sleep(std::time::Duration::from_millis(2100));
    assert_refused(&app, &user.token).await;
}

#[rocket::async_test]
async fn refresh_and_access_tokens_are_not_interchangeable() {
    let app = TestApp::new().await;
    let user = app.register("rita").await;
    assert_refused(&app, &user.refresh).await;
    let res = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": user.token}),
        )
        .await;
    res.assert_error(401, "INVALID_TOKEN");
    // Neither attempt harmed the real tokens.
    let res = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": user.refresh}),
        )
        .await;
    assert_eq!(res.status, 200);
}

#[rocket::async_test]
async fn malformed_authorization_headers_are_refused() {
    let app = TestApp::new().await;
    let user = app.register("sam").await;
    for value in [
        format!("Basic {}", user.token),
        user.token.clone(),
        "Bearer".into(),
        "Bearer ".into(),
    ] {
        let mut req = app.client.get("/api/v1/users/me");
        req.add_header(rocket::http::Header::new("Authorization", value));
        let res = req.dispatch().await;
        assert_eq!(res.status().code, 401);
        let body: Value = serde_json::from_str(&res.into_string().await.unwrap()).unwrap();
        assert_eq!(body["error"]["code"], "INVALID_TOKEN");
    }
}

#[rocket::async_test]
async fn tokens_issued_or_valid_only_in_the_future_are_refused() {
    let app = TestApp::new().await;
    let user = app.register("rae").await;
    let later = chrono::Utc::now().timestamp() + 120;
    let mut c = claims(user.id, session_of(&user.token));
    c["iat"] = json!(later);
    assert_refused(&app, &sign(&c, TEST_SECRET)).await;
    let mut c = claims(user.id, session_of(&user.token));
    c["nbf"] = json!(later);
    assert_refused(&app, &sign(&c, TEST_SECRET)).await;
    let mut c = claims(user.id, session_of(&user.token));
    c["nbf"] = json!(chrono::Utc::now().timestamp() - 5);
    let res = app
        .get("/api/v1/users/me", Some(&sign(&c, TEST_SECRET)))
        .await;
    assert_eq!(res.status, 200, "a past nbf is fine: {}", res.raw);
}
