//! Bounded fuzzing on stable (proptest), run by `cargo test`: hostile input to
//! the parsers that face clients never panics and never yields something unsafe.
//! Token parsing, JSON bodies of the main routes, upload file names, webhook
//! URLs, mentions, search queries and ID-token headers. `PROPTEST_CASES` raises
//! the number of cases for a longer local run.

mod common;

use std::net::IpAddr;

use common::*;
use proptest::prelude::*;
use rocket::http::Method;
use serde_json::{json, Value};

fn cases(default: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Any text, with the characters that break parsers made likely.
fn hostile_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[@./\\\\:\"'<>%*?|#&=\\u{0}-\\u{1f}\\u{202e}\\u{200b}a-zA-Z0-9 ]{0,80}",
        "(https?|ftp|javascript|file)://[a-z0-9.:@\\[\\]%/-]{0,60}",
    ]
}

/// Any JSON value, nested a few levels.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        hostile_text().prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            prop::collection::btree_map(
                prop_oneof![
                    Just("content".to_owned()),
                    Just("name".to_owned()),
                    Just("username".to_owned()),
                    Just("password".to_owned()),
                    Just("email".to_owned()),
                    Just("url".to_owned()),
                    Just("events".to_owned()),
                    Just("title".to_owned()),
                    Just("metadata".to_owned()),
                    Just("parent_message_id".to_owned()),
                    Just("attachments".to_owned()),
                    "[a-z_]{1,12}",
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// One connection for the property tests run on PostgreSQL (never dropped: its
/// client cannot close while the test harness tears its threads down).
static POSTGRES: std::sync::OnceLock<std::sync::Mutex<veza::sql::Connection>> =
    std::sync::OnceLock::new();

proptest! {
    #![proptest_config(cases(512))]

    #[test]
    fn mentions_are_valid_distinct_usernames_written_in_the_text(text in hostile_text()) {
        let names = veza::mentions::usernames(&text);
        for (i, name) in names.iter().enumerate() {
            prop_assert!(veza::validate::username(name).is_ok(), "{name:?}");
            let written = format!("@{name}");
            prop_assert!(text.contains(&written));
            prop_assert!(!names[..i].iter().any(|n| n.eq_ignore_ascii_case(name)));
        }
    }

    #[test]
    fn upload_names_are_safe_to_store_and_to_send_in_a_header(raw in proptest::option::of(hostile_text())) {
        let (filename, original) = veza::files::names::from_client(raw.as_deref());
        prop_assert!(!filename.is_empty() && filename.len() <= 255);
        prop_assert!(original.len() <= 255);
        prop_assert!(!filename.contains(['/', '\\']));
        prop_assert!(!filename.starts_with('.'));
        for name in [&filename, &original] {
            prop_assert!(!name.chars().any(|c| c.is_control() || veza::validate::is_deceptive(c)), "{name:?}");
        }
        for inline in [true, false] {
            let header = veza::files::names::content_disposition(inline, &filename);
            prop_assert!(header.is_ascii(), "{header:?}");
            prop_assert!(!header.contains(['\r', '\n']));
        }
    }

    #[test]
    fn webhook_urls_that_parse_are_plain_http_urls(raw in hostile_text()) {
        if let Ok(url) = veza::webhooks::target::parse(&raw) {
            prop_assert!(matches!(url.scheme(), "http" | "https"));
            prop_assert!(url.host().is_some());
            prop_assert!(url.username().is_empty() && url.password().is_none());
        }
    }

    #[test]
    fn private_addresses_are_refused_however_they_are_spelled(bits in any::<u32>(), spelling in 0..3u8) {
        let ip = std::net::Ipv4Addr::from(bits);
        // The same address as dotted quad, as one number, and in hex.
        let host = match spelling {
            0 => ip.to_string(),
            1 => bits.to_string(),
            _ => format!("0x{bits:x}"),
        };
        let url = veza::webhooks::target::parse(&format!("http://{host}/hook")).unwrap();
        let allowed = veza::webhooks::target::resolve(&url, false).is_ok();
        prop_assert_eq!(allowed, veza::webhooks::target::is_public(IpAddr::V4(ip)), "{}", host);
    }

    #[test]
    fn search_queries_are_always_valid_fts5(q in hostile_text()) {
        // A refused query (too many terms) never reaches FTS5.
        if let Ok(Some(query)) = veza::store::search::fts_query(&q) {
            let conn = veza::rusqlite::Connection::open_in_memory().unwrap();
            conn.execute_batch("CREATE VIRTUAL TABLE t USING fts5(content, tokenize = 'unicode61 remove_diacritics 2'); INSERT INTO t VALUES ('hello world');").unwrap();
            let counted: Result<i64, _> = conn.query_row("SELECT count(*) FROM t WHERE t MATCH ?1", [&query], |r| r.get(0));
            prop_assert!(counted.is_ok(), "{q:?} gave {query:?}: {counted:?}");
        }
    }

    #[test]
    fn search_queries_are_always_valid_tsqueries(q in hostile_text()) {
        // On PostgreSQL (`VEZA_TEST_DATABASE_URL`), the same query as a tsquery.
        if let (Some(url), Ok(Some(query))) = (
            std::env::var("VEZA_TEST_DATABASE_URL").ok(),
            veza::store::search::fts_query(&q),
        ) {
            let tsquery = veza::store::search::tsquery_of_fts(&query);
            let conn = POSTGRES.get_or_init(|| {
                std::sync::Mutex::new(veza::sql::Connection::connect(&url).unwrap())
            });
            let parsed: Result<i64, _> = conn.lock().unwrap().query_row(
                "SELECT numnode(to_tsquery('simple', ?1))",
                [&tsquery],
                |r| r.get(0),
            );
            prop_assert!(parsed.is_ok(), "{q:?} gave {tsquery:?}: {parsed:?}");
        }
    }

    #[test]
    fn no_forged_token_is_ever_accepted(token in prop_oneof![
        hostile_text(),
        "[A-Za-z0-9_-]{10,40}\\.[A-Za-z0-9_-]{10,80}\\.[A-Za-z0-9_-]{0,50}",
    ]) {
        let keys = veza::auth::jwt::JwtKeys::new(TEST_SECRET.as_bytes(), 900);
        prop_assert!(keys.verify(&token).is_err());
        // An ID token's header: malformed ones are refused, never a panic.
        let _ = veza::oidc::id_token::header(&token);
    }
}

/// The routes whose JSON bodies are fuzzed, with the status a well-formed,
/// acceptable body would get.
const ROUTES: &[(Method, &str)] = &[
    (Method::Post, "/api/v1/auth/register"),
    (Method::Post, "/api/v1/auth/login"),
    (Method::Post, "/api/v1/auth/refresh"),
    (Method::Put, "/api/v1/users/me"),
    (Method::Post, "/api/v1/rooms"),
    (Method::Put, "/api/v1/rooms/1"),
    (Method::Post, "/api/v1/rooms/1/messages"),
    (Method::Put, "/api/v1/messages/1"),
    (Method::Post, "/api/v1/messages/1/reactions"),
    (Method::Post, "/api/v1/conversations"),
    (Method::Post, "/api/v1/webhooks"),
    (Method::Post, "/api/v1/streams"),
    (Method::Post, "/api/v1/rooms/1/members"),
];

#[test]
fn json_bodies_of_the_main_routes_never_get_a_server_error() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (app, token) = runtime.block_on(async {
        let app = TestApp::with(|c| c.rate_limit.requests_per_hour = 10_000_000).await;
        let owner = app.register("owner").await;
        let room = app.room(&owner, "general", true).await;
        app.send(&owner, room, "hello").await;
        (app, owner.token)
    });
    let mut runner = proptest::test_runner::TestRunner::new(cases(48));
    for (method, path) in ROUTES {
        runner
            .run(&any_json(), |body| {
                let res =
                    runtime.block_on(app.call(*method, path, Some(&token), Some(body.clone())));
                prop_assert!(res.status < 500, "{method} {path} with {body}: {}", res.raw);
                if res.status >= 400 {
                    prop_assert_eq!(&res.body["success"], &json!(false), "{}", res.raw);
                    prop_assert!(res.body["error"]["code"].is_string());
                }
                Ok(())
            })
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
    }
}
