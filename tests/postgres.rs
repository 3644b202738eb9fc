//! What only PostgreSQL can do to Veza: close its connections under it (a restart
//! of the database server, a network blip). Runs when `VEZA_TEST_DATABASE_URL`
//! names a PostgreSQL server (CI's second pass); on SQLite there is nothing to lose.

mod common;

use common::store::{database_url, on_postgres};
use common::*;

/// Ends every connection to the test's database but this one, as a restart does.
fn terminate_connections(dir: &std::path::Path) -> i64 {
    let url = database_url(dir).expect("on PostgreSQL");
    std::thread::spawn(move || {
        let conn = veza::sql::Connection::connect(&url).unwrap();
        conn.query_row(
            "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE datname = current_database() AND pid <> pg_backend_pid()) AS ended",
            [],
            |r| r.get(0),
        )
        .unwrap()
    })
    .join()
    .unwrap()
}

#[rocket::async_test]
async fn connections_the_database_closed_are_replaced() {
    if !on_postgres() {
        eprintln!("skipped: needs VEZA_TEST_DATABASE_URL (a PostgreSQL server)");
        return;
    }
    let app = TestApp::new().await;
    let ada = app.register("ada").await;
    let room = app.room(&ada, "general", true).await;
    app.send(&ada, room, "before the blip").await;
    let ended = terminate_connections(app.dir.path());
    assert!(
        ended >= 2,
        "the writer and a reader were connected: {ended}"
    );

    // A write met by the loss fails as a 500 in the envelope; the next goes through.
    let path = format!("/api/v1/rooms/{room}/messages");
    let mut sent = None;
    for _ in 0..5 {
        let res = app
            .post(
                &path,
                Some(&ada.token),
                serde_json::json!({"content": "after the blip"}),
            )
            .await;
        match res.status {
            201 => {
                sent = res.data()["id"].as_i64();
                break;
            }
            500 => assert_eq!(res.code(), "INTERNAL_ERROR", "{}", res.raw),
            other => panic!("{other}: {}", res.raw),
        }
    }
    let sent = sent.expect("a write after the blip went through");
    let page = app.get(&path, Some(&ada.token)).await;
    page.succeeded();
    let contents: Vec<&str> = page.data()["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["content"].as_str())
        .collect();
    assert!(contents.contains(&"before the blip") && contents.contains(&"after the blip"));
    assert!(ids(&page).contains(&sent));
}

#[test]
fn a_second_node_must_share_the_secret_and_not_the_name() {
    if !on_postgres() {
        eprintln!("skipped: needs VEZA_TEST_DATABASE_URL (a PostgreSQL server)");
        return;
    }
    use common::process::*;
    let first_dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let secret = "a shared secret of the nodes, long enough";
    let mut first = veza(first_dir.path(), port)
        .env("VEZA_JWT_SECRET", secret)
        .env("VEZA_NODE__ID", "alpha")
        .spawn()
        .unwrap();
    wait_healthy(port, &mut first);
    let url = database_url(first_dir.path()).unwrap();
    let second_dir = tempfile::tempdir().unwrap();
    let second = |secret: &str, id: &str, port: u16| {
        let mut cmd = veza_sqlite(second_dir.path(), port);
        cmd.env("VEZA_DATABASE__URL", &url)
            .env("VEZA_JWT_SECRET", secret)
            .env("VEZA_NODE__ID", id);
        cmd
    };
    let out = second(
        "another secret of 32 bytes or more, not shared",
        "beta",
        free_port(),
    )
    .output()
    .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{said}");
    assert!(said.contains("jwt_secret differs"), "{said}");
    let out = second(secret, "alpha", free_port()).output().unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{said}");
    assert!(said.contains("uses node.id \"alpha\""), "{said}");
    // Same secret, its own name: a second node, and each answer says which.
    let port2 = free_port();
    let mut beta = second(secret, "beta", port2).spawn().unwrap();
    wait_healthy(port2, &mut beta);
    for (port, name) in [(port, "alpha"), (port2, "beta")] {
        let (status, headers, _) = common::http1::get(&format!("http://127.0.0.1:{port}/health"));
        assert_eq!(status, 200);
        assert_eq!(headers.get("x-veza-node").map(String::as_str), Some(name));
    }
    // A token signed by one is good on the other.
    let token = register(port, "nodeuser");
    assert_eq!(
        http_as(port2, "GET", "/api/v1/users/me", Some(&token), "").map(|(s, _)| s),
        Some(200)
    );
    for node in [first, beta] {
        sigterm(&node);
        assert!(wait_exit(node).status.success());
    }
    drop(common::store::Dropped::for_dir(first_dir.path()));
}
