//! Sign-in with an identity provider (API.md §11), against a real OpenID provider
//! on loopback (`common::oidc_provider`) that can misbehave on purpose.

mod common;

use common::oidc_provider::{identity, Key, Mischief, Provider, CLIENT_ID, REDIRECT_URL};
use common::*;
use rocket::http::Method;
use serde_json::{json, Value};

async fn app_with(provider: &Provider) -> TestApp {
    let config = provider.config();
    TestApp::with(move |c| c.oidc = Some(config)).await
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Starts a sign-in (with `token`, a link to that account) and checks the redirect.
async fn start(app: &TestApp, token: Option<&str>) -> String {
    let res = app.get("/api/v1/auth/oauth/authorize", token).await;
    assert_eq!(res.status, 302, "{}", res.raw);
    let location = res.header("location").expect("a Location").to_owned();
    assert_eq!(res.data()["authorization_url"], location.as_str());
    assert_eq!(res.data()["expires_in"], 600);
    location
}

/// The whole flow through the GET callback; the answer of the callback.
async fn sign_in(app: &TestApp, provider: &Provider) -> Resp {
    let location = start(app, None).await;
    let back = provider.approve(&location);
    callback(app, &back["code"], &back["state"]).await
}

async fn callback(app: &TestApp, code: &str, state: &str) -> Resp {
    app.get(
        &format!(
            "/api/v1/auth/oauth/callback?code={}&state={}",
            enc(code),
            enc(state)
        ),
        None,
    )
    .await
}

fn count(app: &TestApp, table: &str) -> i64 {
    app.db()
        .query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

#[rocket::async_test]
async fn the_whole_flow_with_client_secret_basic_signs_in_like_a_login() {
    let provider = Provider::start();
    let app = app_with(&provider).await;
    let admin = app.register("admin").await;

    let location = start(&app, None).await;
    assert!(location.starts_with(&format!("{}/authorize?", provider.issuer())));
    let back = provider.approve(&location);
    let query = &provider.authorize_queries()[0];
    assert_eq!(query["client_id"], CLIENT_ID);
    assert_eq!(query["redirect_uri"], REDIRECT_URL);
    assert_eq!(query["scope"], "openid email profile");
    assert_eq!(query["code_challenge_method"], "S256");
    assert_eq!(query["state"].len(), 64);
    assert_eq!(query["nonce"].len(), 64);
    assert_ne!(query["state"], query["nonce"]);

    let res = callback(&app, &back["code"], &back["state"]).await;
    assert_eq!(res.status, 200, "{}", res.raw);
    let data = res.data();
    assert_eq!(data["token_type"], "Bearer");
    assert_eq!(data["expires_in"], 900);
    assert_eq!(data["refresh_token"].as_str().unwrap().len(), 64);
    let user = &data["user"];
    assert_eq!(user["username"], "alice");
    assert_eq!(user["email"], "alice@corp.example");
    assert_eq!(user["email_verified"], true);
    assert_eq!(user["first_name"], "Given");
    assert_eq!(
        user["role"], "user",
        "only the server's first account is admin"
    );
    assert_eq!(provider.token_auth(), vec!["basic"]);

    // The tokens are Veza's own: they work, and refresh like a password login's.
    let alice = user_of(&res);
    let me = app.get("/api/v1/users/me", Some(&alice.token)).await;
    assert_eq!(me.data()["id"], alice.id, "{}", me.raw);
    let refreshed = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": alice.refresh}),
        )
        .await;
    assert_eq!(refreshed.status, 200, "{}", refreshed.raw);
    // An account made by the provider has no password to log in with.
    app.login("alice", PASSWORD)
        .await
        .assert_error(401, "INVALID_CREDENTIALS");
    assert_ne!(admin.id, alice.id);
}

#[rocket::async_test]
async fn the_seed_spelling_with_client_secret_post_and_an_ec_key() {
    let provider = Provider::start();
    provider.set_auth_method("client_secret_post");
    provider.set_keys(&[Key::EcA], Key::EcA);
    let app = app_with(&provider).await;

    // POST /auth/oauth/authorize, then POST /auth/oauth/token {code, state}.
    let started = app.post("/auth/oauth/authorize", None, json!({})).await;
    assert_eq!(started.status, 302, "{}", started.raw);
    let back = provider.approve(started.header("location").unwrap());
    assert_eq!(started.data()["state"], back["state"].as_str());
    let res = app
        .post(
            "/auth/oauth/token",
            None,
            json!({"code": back["code"], "state": back["state"]}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.raw);
    assert_eq!(res.data()["user"]["username"], "alice");
    assert_eq!(
        res.data()["user"]["role"],
        "admin",
        "the first account is admin"
    );
    assert_eq!(provider.token_auth(), vec!["post"]);
}

#[rocket::async_test]
async fn the_same_subject_finds_the_same_account() {
    let provider = Provider::start();
    let app = app_with(&provider).await;
    let first = sign_in(&app, &provider).await;
    assert_eq!(first.status, 200, "{}", first.raw);
    // The provider now says another e-mail and name: still the same person.
    let mut changed = identity("sub-alice", "alice.renamed", "alice@new.example");
    changed["email_verified"] = false.into();
    provider.set_identity(changed);
    let second = sign_in(&app, &provider).await;
    assert_eq!(second.status, 200, "{}", second.raw);
    assert_eq!(second.data()["user"]["id"], first.data()["user"]["id"]);
    assert_eq!(second.data()["user"]["username"], "alice");
    assert_eq!(count(&app, "users"), 1);
    assert_eq!(count(&app, "oidc_identities"), 1);
    let stored: String = app
        .db()
        .query_row("SELECT email FROM oidc_identities", [], |r| r.get(0))
        .unwrap();
    assert_eq!(stored, "alice@new.example", "the provider's e-mail is kept");
}

#[rocket::async_test]
async fn a_taken_username_gets_a_number() {
    let provider = Provider::start();
    let app = app_with(&provider).await;
    app.register("alice").await;
    app.register("alice2").await;
    let res = sign_in(&app, &provider).await;
    assert_eq!(res.status, 200, "{}", res.raw);
    assert_eq!(res.data()["user"]["username"], "alice3");
}

#[rocket::async_test]
async fn an_account_with_the_same_email_is_not_taken_over_but_can_link() {
    let provider = Provider::start();
    let app = app_with(&provider).await;
    app.register("admin").await;
    let bob = app.register("bob").await;
    provider.set_identity(identity("sub-bob", "bobby", "bob@example.com"));

    let res = sign_in(&app, &provider).await;
    res.assert_error(409, "RESOURCE_CONFLICT");
    assert_eq!(res.body["error"]["details"]["field"], "email");
    assert_eq!(count(&app, "users"), 2, "no account was created");
    assert_eq!(count(&app, "oidc_identities"), 0);
    assert_eq!(count(&app, "sessions"), 2, "no session was opened");

    // Bob, signed in with his password, links the provider to his account.
    let location = start(&app, Some(&bob.token)).await;
    let back = provider.approve(&location);
    let linked = callback(&app, &back["code"], &back["state"]).await;
    assert_eq!(linked.status, 200, "{}", linked.raw);
    assert_eq!(linked.data()["user"]["id"], bob.id);
    // From now on the provider signs him in to his own account.
    let again = sign_in(&app, &provider).await;
    assert_eq!(again.status, 200, "{}", again.raw);
    assert_eq!(again.data()["user"]["id"], bob.id);
    assert_eq!(again.data()["user"]["username"], "bob");

    // A forged bearer token is refused, not taken for "nobody".
    app.get("/api/v1/auth/oauth/authorize", Some("not.a.token"))
        .await
        .assert_error(401, "INVALID_TOKEN");
    // Nor can another account link an identity already linked to Bob.
    let carol = app.register("carol").await;
    let location = start(&app, Some(&carol.token)).await;
    let back = provider.approve(&location);
    callback(&app, &back["code"], &back["state"])
        .await
        .assert_error(409, "RESOURCE_CONFLICT");
}

#[rocket::async_test]
async fn a_state_works_once_and_for_ten_minutes() {
    let provider = Provider::start();
    let app = app_with(&provider).await;
    let location = start(&app, None).await;
    let back = provider.approve(&location);
    let first = callback(&app, &back["code"], &back["state"]).await;
    assert_eq!(first.status, 200, "{}", first.raw);
    let replay = callback(&app, &back["code"], &back["state"]).await;
    replay.assert_error(400, "VALIDATION_FAILED");
    assert_eq!(replay.body["error"]["details"]["field"], "state");

    // Unknown and missing states.
    callback(&app, &back["code"], "f00")
        .await
        .assert_error(400, "VALIDATION_FAILED");
    let missing = app.get("/api/v1/auth/oauth/callback?code=abc", None).await;
    missing.assert_error(400, "VALIDATION_FAILED");
    assert_eq!(missing.body["error"]["details"]["field"], "state");

    // A state older than ten minutes is refused, and the code never reaches the provider.
    let location = start(&app, None).await;
    let back = provider.approve(&location);
    app.write_sql(
        "UPDATE oidc_states SET created_at = created_at - 601",
        vec![],
    )
    .await;
    callback(&app, &back["code"], &back["state"])
        .await
        .assert_error(400, "VALIDATION_FAILED");
    assert_eq!(provider.token_auth().len(), 1, "one exchange only");
    assert_eq!(count(&app, "users"), 1);
}

#[rocket::async_test]
async fn bad_id_tokens_are_refused_and_create_nothing() {
    let provider = Provider::start();
    let app = app_with(&provider).await;
    for mischief in [
        Mischief::WrongNonce,
        Mischief::WrongAudience,
        Mischief::WrongIssuer,
        Mischief::Expired,
        Mischief::UnpublishedKey,
        Mischief::AlgNone,
    ] {
        provider.set_mischief(mischief);
        let res = sign_in(&app, &provider).await;
        res.assert_error(401, "INVALID_TOKEN");
        let message = res.body["error"]["message"].as_str().unwrap().to_owned();
        let expected = match mischief {
            Mischief::WrongNonce => "nonce",
            Mischief::WrongAudience => "not meant for this server",
            Mischief::WrongIssuer => "issuer",
            Mischief::Expired => "expired",
            Mischief::UnpublishedKey => "does not publish",
            _ => "unsigned",
        };
        assert!(message.contains(expected), "{mischief:?}: {message}");
    }
    assert_eq!(count(&app, "users"), 0);
    assert_eq!(count(&app, "oidc_identities"), 0);
    assert_eq!(count(&app, "sessions"), 0);
    // The provider behaving again, the same person signs in.
    provider.set_mischief(Mischief::None);
    assert_eq!(sign_in(&app, &provider).await.status, 200);
}

#[rocket::async_test]
async fn a_rotated_key_is_fetched_when_a_token_names_it() {
    let provider = Provider::start();
    let app = app_with(&provider).await;
    assert_eq!(sign_in(&app, &provider).await.status, 200);
    assert_eq!(provider.jwks_fetches(), 1);
    assert_eq!(sign_in(&app, &provider).await.status, 200);
    assert_eq!(provider.jwks_fetches(), 1, "known keys are kept");
    provider.set_keys(&[Key::RsaA, Key::RsaB], Key::RsaB);
    let res = sign_in(&app, &provider).await;
    assert_eq!(res.status, 200, "{}", res.raw);
    assert_eq!(provider.jwks_fetches(), 2);
}

#[rocket::async_test]
async fn the_provider_saying_no_is_a_clear_refusal() {
    let provider = Provider::start();
    let app = app_with(&provider).await;
    provider.set_mischief(Mischief::Deny);
    let location = start(&app, None).await;
    let back = provider.approve(&location);
    assert_eq!(back["error"], "access_denied");
    let res = app
        .get(
            &format!(
                "/api/v1/auth/oauth/callback?error=access_denied&error_description=The+user+said+no&state={}",
                enc(&back["state"])
            ),
            None,
        )
        .await;
    res.assert_error(401, "INVALID_CREDENTIALS");
    assert_eq!(
        res.body["error"]["details"]["provider_error"],
        "access_denied"
    );
    assert_eq!(
        res.body["error"]["details"]["provider_description"],
        "The user said no"
    );
    // The state is spent.
    callback(&app, "x", &back["state"])
        .await
        .assert_error(400, "VALIDATION_FAILED");
    assert_eq!(count(&app, "users"), 0);

    // A code the provider refuses (a forged one) is its refusal too.
    provider.set_mischief(Mischief::None);
    let location = start(&app, None).await;
    let back = provider.approve(&location);
    let res = callback(&app, "forged-code", &back["state"]).await;
    res.assert_error(401, "INVALID_CREDENTIALS");
    assert_eq!(
        res.body["error"]["details"]["provider_error"],
        "invalid_grant"
    );
}

#[rocket::async_test]
async fn closed_registration_refuses_unknown_people_but_not_linked_ones() {
    let provider = Provider::start();
    let config = provider.config();
    let app = TestApp::with(move |c| {
        c.oidc = Some(config);
        c.registration = veza::config::Registration::Closed;
    })
    .await;
    let admin = app.register("admin").await;
    let res = sign_in(&app, &provider).await;
    res.assert_error(403, "REGISTRATION_CLOSED");
    assert_eq!(count(&app, "users"), 1);
    assert_eq!(count(&app, "oidc_identities"), 0);
    // The admin links the identity; it then signs in to the admin's account.
    let location = start(&app, Some(&admin.token)).await;
    let back = provider.approve(&location);
    assert_eq!(
        callback(&app, &back["code"], &back["state"]).await.status,
        200
    );
    let res = sign_in(&app, &provider).await;
    assert_eq!(res.data()["user"]["id"], admin.id, "{}", res.raw);
}

#[rocket::async_test]
async fn a_deactivated_account_cannot_sign_in_through_the_provider() {
    let provider = Provider::start();
    let app = app_with(&provider).await;
    let admin = app.register("admin").await;
    let alice = sign_in(&app, &provider).await;
    let alice_id = alice.data()["user"]["id"].as_i64().unwrap();
    app.deactivate(&admin, alice_id).await;
    sign_in(&app, &provider)
        .await
        .assert_error(403, "PERMISSION_DENIED");
}

#[rocket::async_test]
async fn without_configuration_the_routes_answer_404() {
    let app = TestApp::new().await;
    for (method, path) in [
        (Method::Get, "/api/v1/auth/oauth/authorize"),
        (Method::Post, "/api/v1/auth/oauth/authorize"),
        (Method::Get, "/auth/oauth/authorize"),
        (Method::Post, "/auth/oauth/authorize"),
        (Method::Get, "/api/v1/auth/oauth/callback?code=a&state=b"),
        (Method::Post, "/auth/oauth/token"),
        (Method::Get, "/api/v1/auth/oauth/provider"),
    ] {
        let body = (method == Method::Post).then(|| json!({"code": "a", "state": "b"}));
        app.call(method, path, None, body)
            .await
            .assert_error(404, "NOT_FOUND");
    }
    // What a sign-in page asks answers either way.
    let methods = app.get("/api/v1/auth/methods", None).await;
    methods.succeeded();
    assert_eq!(methods.data()["identity_provider"], serde_json::Value::Null);
    assert_eq!(methods.data()["password"], true);
}

#[rocket::async_test]
async fn an_unreachable_provider_answers_502_in_the_envelope() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let app = TestApp::with(move |c| {
        c.oidc = Some(veza::config::OidcConfig {
            issuer: format!("http://127.0.0.1:{port}"),
            client_id: "x".into(),
            client_secret: "y".into(),
            scopes: "openid".into(),
            redirect_url: REDIRECT_URL.into(),
            display_name: "Gone".into(),
        })
    })
    .await;
    app.get("/api/v1/auth/oauth/authorize", None)
        .await
        .assert_error(502, "PROVIDER_UNAVAILABLE");
    let provider = app.get("/api/v1/auth/oauth/provider", None).await;
    assert_eq!(provider.data()["display_name"], "Gone", "{}", provider.raw);
    let methods = app.get("/auth/methods", None).await;
    assert_eq!(
        methods.data()["identity_provider"],
        "Gone",
        "{}",
        methods.raw
    );
}

#[rocket::async_test]
async fn hostile_bodies_get_clear_errors() {
    let provider = Provider::start();
    let app = app_with(&provider).await;
    let cases: [(Value, u16); 4] = [
        (json!({"code": 1, "state": "x"}), 422),
        (json!({"code": "a", "state": "s".repeat(5000)}), 400),
        (json!({"code": "a"}), 400),
        (json!([]), 422),
    ];
    for (body, status) in cases {
        let res = app
            .post("/api/v1/auth/oauth/token", None, body.clone())
            .await;
        res.assert_error(status, "VALIDATION_FAILED");
    }
    let res = app
        .call_raw(
            Method::Post,
            "/api/v1/auth/oauth/token",
            None,
            Some("{nope"),
        )
        .await;
    res.assert_error(400, "VALIDATION_FAILED");
    assert_eq!(count(&app, "users"), 0);
}
