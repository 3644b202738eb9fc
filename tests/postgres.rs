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
fn a_second_server_on_the_same_database_is_refused() {
    if !on_postgres() {
        eprintln!("skipped: needs VEZA_TEST_DATABASE_URL (a PostgreSQL server)");
        return;
    }
    use common::process::*;
    let first_dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut first = veza(first_dir.path(), port).spawn().unwrap();
    wait_healthy(port, &mut first);
    let url = database_url(first_dir.path()).unwrap();
    let second_dir = tempfile::tempdir().unwrap();
    let out = veza_sqlite(second_dir.path(), free_port())
        .env("VEZA_DATABASE__URL", &url)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{said}");
    assert!(
        said.contains("another Veza server is using this PostgreSQL database"),
        "{said}"
    );
    // The first goes on serving; once it stops, the database is free again.
    assert_eq!(http(port, "GET", "/health", "").map(|(s, _)| s), Some(200));
    sigterm(&first);
    assert!(wait_exit(first).status.success());
    let port = free_port();
    let mut again = veza_sqlite(second_dir.path(), port)
        .env("VEZA_DATABASE__URL", &url)
        .spawn()
        .unwrap();
    wait_healthy(port, &mut again);
    sigterm(&again);
    assert!(wait_exit(again).status.success());
    drop(common::store::Dropped::for_dir(first_dir.path()));
}
