//! Several nodes on one PostgreSQL database behind nginx (API §22,
//! docs/nodes.md): what one node commits reaches every node's sockets in
//! commit order, ended sessions and failed logins hold on every node, each
//! webhook delivery is sent once, and a killed node loses nothing.
//!
//! Runs with `VEZA_TEST_DATABASE_URL` (a PostgreSQL server); nginx in front
//! when installed (`.ci/run` installs it), else requests go to the nodes.

mod common;

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use common::cluster::{call, register, Cluster, Member};
use common::receiver::{Answer as Reply, Receiver};
use common::ws::{Ended, Ws};
use serde_json::{json, Value};

fn skipped() {
    eprintln!("skipped: needs VEZA_TEST_DATABASE_URL (a PostgreSQL server)");
}

fn room(port: u16, owner: &Member, name: &str) -> i64 {
    let answer = call(
        port,
        "POST",
        "/api/v1/rooms",
        Some(&owner.token),
        json!({"name": name, "is_public": true}),
    );
    assert_eq!(answer.status, 201, "{answer:?}");
    answer.body["data"]["id"].as_i64().unwrap()
}

fn join(port: u16, member: &Member, room: i64) {
    let path = format!("/api/v1/rooms/{room}/join");
    let answer = call(port, "POST", &path, Some(&member.token), Value::Null);
    assert!(matches!(answer.status, 200 | 201), "{answer:?}");
}

fn send(port: u16, member: &Member, room: i64, content: &str) -> i64 {
    let path = format!("/api/v1/rooms/{room}/messages");
    let answer = call(
        port,
        "POST",
        &path,
        Some(&member.token),
        json!({ "content": content }),
    );
    assert_eq!(answer.status, 201, "{answer:?}");
    answer.body["data"]["id"].as_i64().unwrap()
}

fn me(port: u16, token: &str) -> u16 {
    call(port, "GET", "/api/v1/users/me", Some(token), Value::Null).status
}

/// The ids of the next `n` `message.created` frames of room `room`.
async fn created(ws: &mut Ws, room: i64, n: usize) -> Vec<i64> {
    let mut ids = Vec::with_capacity(n);
    while ids.len() < n {
        let frame = ws.expect("message.created").await;
        if frame["room_id"] == room {
            ids.push(frame["data"]["id"].as_i64().unwrap());
        }
    }
    ids
}

#[rocket::async_test]
async fn what_one_node_commits_reaches_every_node_in_commit_order() {
    let Some(cluster) = Cluster::start(3, &[]) else {
        return skipped();
    };
    let lb = cluster.port();
    let alice = register(lb, "alice");
    let bob = register(lb, "bob");
    let carol = register(lb, "carol");
    let general = room(lb, &alice, "general");
    join(lb, &bob, general);
    join(lb, &carol, general);

    // Each on a node of their own.
    let (mut alice_ws, _) = Ws::connect(cluster.node(0), &alice.token).await;
    let (mut bob_ws, _) = Ws::connect(cluster.node(2), &bob.token).await;
    let online = alice_ws.expect("presence").await;
    assert_eq!(online["data"]["user_id"], bob.id);
    assert_eq!(online["data"]["is_online"], true);
    let (mut carol_ws, _) = Ws::connect(cluster.node(1), &carol.token).await;
    // Presence is one for all nodes: bob shows online on the node he is not on.
    let path = format!("/api/v1/users/{}", bob.id);
    let seen = call(
        cluster.node(0),
        "GET",
        &path,
        Some(&alice.token),
        Value::Null,
    );
    assert_eq!(seen.body["data"]["is_online"], true, "{seen:?}");

    // Typing, never written, crosses nodes too.
    bob_ws
        .send(&json!({"type": "typing", "room_id": general}).to_string())
        .await;
    for ws in [&mut alice_ws, &mut carol_ws] {
        let typing = ws.expect("typing").await;
        assert_eq!(typing["data"]["user_id"], bob.id);
    }

    // Through the balancer, the answers come from every node.
    let mut answered_by = HashSet::new();
    for i in 0..6 {
        let path = format!("/api/v1/rooms/{general}/messages");
        let answer = call(
            lb,
            "POST",
            &path,
            Some(&alice.token),
            json!({ "content": format!("through the balancer {i}") }),
        );
        assert_eq!(answer.status, 201, "{answer:?}");
        answered_by.insert(answer.node);
    }
    if cluster.has_balancer() {
        assert_eq!(answered_by.len(), 3, "{answered_by:?}");
    }
    for ws in [&mut alice_ws, &mut bob_ws, &mut carol_ws] {
        assert_eq!(created(ws, general, 6).await.len(), 6);
    }

    // Three writers at once, each on its own node: every socket hears every
    // message once, in the order they committed (their ids).
    let per_node = 20;
    let senders: Vec<_> = [(&alice, 0), (&bob, 1), (&carol, 2)]
        .into_iter()
        .map(|(member, node)| {
            let (port, token) = (cluster.node(node), member.token.clone());
            std::thread::spawn(move || {
                let member = Member { id: 0, token };
                (0..per_node)
                    .map(|i| send(port, &member, general, &format!("node {node} says {i}")))
                    .collect::<Vec<i64>>()
            })
        })
        .collect();
    let mut sent: Vec<i64> = senders
        .into_iter()
        .flat_map(|s| s.join().unwrap())
        .collect();
    sent.sort_unstable();
    let mut heard = Vec::new();
    for ws in [&mut alice_ws, &mut bob_ws, &mut carol_ws] {
        heard.push(created(ws, general, sent.len()).await);
    }
    for ids in &heard {
        assert_eq!(ids, &sent, "in commit order, none missing, none twice");
    }

    // A reaction made on one node, heard on the others.
    let last = *sent.last().unwrap();
    let path = format!("/api/v1/messages/{last}/reactions");
    let reacted = call(
        cluster.node(1),
        "POST",
        &path,
        Some(&carol.token),
        json!({"emoji": "👍"}),
    );
    assert!(matches!(reacted.status, 200 | 201), "{reacted:?}");
    for ws in [&mut alice_ws, &mut bob_ws] {
        let frame = ws.expect("reaction.added").await;
        assert_eq!(frame["data"]["message_id"], last, "{frame}");
    }

    // Stream viewers are counted for all nodes: a heartbeat on each of two
    // nodes, the count read on the third.
    let made = call(
        cluster.node(0),
        "POST",
        "/api/v1/streams",
        Some(&alice.token),
        json!({"title": "all hands"}),
    );
    assert_eq!(made.status, 201, "{made:?}");
    let stream = made.body["data"]["id"].as_i64().unwrap();
    let path = format!("/api/v1/streams/{stream}/start");
    let live = call(
        cluster.node(0),
        "POST",
        &path,
        Some(&alice.token),
        json!({}),
    );
    assert_eq!(live.status, 200, "{live:?}");
    let path = format!("/api/v1/streams/{stream}/watch");
    for (member, node, count) in [(&bob, 1, 1), (&carol, 2, 2)] {
        let watched = call(
            cluster.node(node),
            "POST",
            &path,
            Some(&member.token),
            json!({}),
        );
        assert_eq!(watched.status, 200, "{watched:?}");
        assert_eq!(watched.body["data"]["viewer_count"], count, "{watched:?}");
    }
    let path = format!("/api/v1/streams/{stream}");
    let seen = call(
        cluster.node(0),
        "GET",
        &path,
        Some(&alice.token),
        Value::Null,
    );
    assert_eq!(seen.body["data"]["viewer_count"], 2, "{seen:?}");

    // Bob leaves: his node tells the others he is offline.
    drop(bob_ws);
    let offline = alice_ws.expect("presence").await;
    assert_eq!(offline["data"]["user_id"], bob.id);
    assert_eq!(offline["data"]["is_online"], false);
}

#[rocket::async_test]
async fn an_ended_session_is_refused_on_every_node_at_once() {
    let Some(cluster) = Cluster::start(3, &[]) else {
        return skipped();
    };
    let lb = cluster.port();
    let root = register(lb, "root");
    let bob = register(lb, "bob");
    let login = call(
        lb,
        "POST",
        "/api/v1/auth/login",
        None,
        json!({"username": "bob", "password": "a long password"}),
    );
    assert_eq!(login.status, 200, "{login:?}");
    let second = login.body["data"]["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    for node in 0..3 {
        assert_eq!(me(cluster.node(node), &bob.token), 200);
        assert_eq!(me(cluster.node(node), &second), 200);
    }

    // Logged out on node 1: refused by the others with no wait.
    let out = call(
        cluster.node(0),
        "POST",
        "/api/v1/auth/logout",
        Some(&bob.token),
        Value::Null,
    );
    assert_eq!(out.status, 204, "{out:?}");
    for node in 0..3 {
        assert_eq!(me(cluster.node(node), &bob.token), 401, "node {node}");
        assert_eq!(
            me(cluster.node(node), &second),
            200,
            "the other session stays"
        );
    }

    // Deactivated on node 2: his sockets on nodes 1 and 3 close.
    let (mut on_first, _) = Ws::connect(cluster.node(0), &second).await;
    let (mut on_third, _) = Ws::connect(cluster.node(2), &second).await;
    let path = format!("/api/v1/admin/users/{}", bob.id);
    let off = call(
        cluster.node(1),
        "PUT",
        &path,
        Some(&root.token),
        json!({"is_active": false}),
    );
    assert_eq!(off.status, 200, "{off:?}");
    for node in 0..3 {
        assert_eq!(me(cluster.node(node), &second), 401, "node {node}");
    }
    for ws in [&mut on_first, &mut on_third] {
        assert_eq!(
            ws.ended(Duration::from_secs(5)).await,
            Ended::Closed(Some(4001))
        );
    }
}

#[rocket::async_test]
async fn failed_logins_spread_over_nodes_hit_one_limit() {
    let Some(cluster) = Cluster::start(3, &[]) else {
        return skipped();
    };
    register(cluster.port(), "target");
    let attempt = |node: usize, password: &str| {
        call(
            cluster.node(node),
            "POST",
            "/api/v1/auth/login",
            None,
            json!({"username": "target", "password": password}),
        )
        .status
    };
    for i in 0..10 {
        assert_eq!(attempt(i % 3, "not the password"), 401, "attempt {i}");
    }
    for node in 0..3 {
        assert_eq!(
            attempt(node, "a long password"),
            429,
            "node {node}: ten failures over three nodes are the limit"
        );
    }
}

/// Deliveries the receiver got, by delivery id, for the events of `room`.
fn deliveries_by_id(receiver: &Receiver) -> HashMap<String, usize> {
    let mut by_id = HashMap::new();
    for received in receiver.all() {
        *by_id
            .entry(received.header("x-webhook-delivery").to_owned())
            .or_default() += 1;
    }
    by_id
}

fn webhook(port: u16, owner: &Member, room: i64, receiver: &Receiver) {
    let answer = call(
        port,
        "POST",
        "/api/v1/webhooks",
        Some(&owner.token),
        json!({
            "url": receiver.url("/hook"),
            "events": ["message_sent"],
            "secret": "a webhook secret",
            "room_id": room
        }),
    );
    assert_eq!(answer.status, 201, "{answer:?}");
}

/// Waits until `receiver` has had `n` distinct deliveries and nothing more
/// comes for a moment.
async fn settle(receiver: &Receiver, n: usize) -> HashMap<String, usize> {
    let started = Instant::now();
    loop {
        let by_id = deliveries_by_id(receiver);
        if by_id.len() >= n {
            tokio::time::sleep(Duration::from_secs(2)).await;
            return deliveries_by_id(receiver);
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{} of {n} deliveries",
            by_id.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[rocket::async_test]
async fn each_webhook_delivery_is_sent_once_by_three_nodes() {
    let Some(cluster) = Cluster::start(3, &[]) else {
        return skipped();
    };
    let receiver = Receiver::start(Reply::Status(200));
    let lb = cluster.port();
    let alice = register(lb, "alice");
    let general = room(lb, &alice, "general");
    webhook(lb, &alice, general, &receiver);
    for i in 0..100 {
        send(
            cluster.node(i % 3),
            &alice,
            general,
            &format!("delivery {i}"),
        );
    }
    let by_id = settle(&receiver, 100).await;
    assert_eq!(by_id.len(), 100);
    let twice: Vec<_> = by_id.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "sent more than once: {twice:?}");
    assert!(!by_id.contains_key(""), "every delivery has its id");
}

#[rocket::async_test]
async fn a_killed_node_loses_nothing() {
    let env = [
        ("VEZA_NODE__LEASE_SECS", "3"),
        ("VEZA_WEBHOOKS__TIMEOUT_SECS", "1"),
    ];
    let Some(mut cluster) = Cluster::start(3, &env) else {
        return skipped();
    };
    let receiver = Receiver::start(Reply::Status(200));
    let lb = cluster.port();
    let alice = register(lb, "alice");
    let bob = register(lb, "bob");
    let general = room(lb, &alice, "general");
    join(lb, &bob, general);
    webhook(lb, &alice, general, &receiver);
    // Alice's client is on node 1.
    let (mut alice_ws, _) = Ws::connect(cluster.node(0), &alice.token).await;

    // Node 1 drains the webhook's queue slowly; it is killed mid-delivery.
    receiver.set(Reply::Slow(200, Duration::from_millis(300)));
    let mut sent: Vec<i64> = (0..12)
        .map(|i| send(cluster.node(0), &bob, general, &format!("before {i}")))
        .collect();
    let heard = created(&mut alice_ws, general, sent.len()).await;
    assert_eq!(heard, sent);
    let started = Instant::now();
    while receiver.all().len() < 3 {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no delivery began"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    cluster.kill(0);
    let before_kill = deliveries_by_id(&receiver);
    assert!(before_kill.len() < sent.len(), "killed mid-delivery");
    assert_eq!(alice_ws.ended(Duration::from_secs(5)).await, Ended::Dropped);

    // The dead node's connections are forgotten: alice shows offline elsewhere.
    let path = format!("/api/v1/users/{}", alice.id);
    let started = Instant::now();
    loop {
        let seen = call(cluster.node(1), "GET", &path, Some(&bob.token), Value::Null);
        if seen.body["data"]["is_online"] == false {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "still online: {seen:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // While alice is away, bob goes on writing through what is left.
    let last_heard = *heard.last().unwrap();
    for i in 0..5 {
        sent.push(send(
            lb_or(&cluster, 1),
            &bob,
            general,
            &format!("after {i}"),
        ));
    }
    // She reconnects through the balancer (another node) and catches up.
    let back = lb_or(&cluster, 2);
    let (mut alice_ws, _) = Ws::connect(back, &alice.token).await;
    let path = format!("/api/v1/rooms/{general}/messages?after_id={last_heard}&limit=50");
    let page = call(back, "GET", &path, Some(&alice.token), Value::Null);
    assert_eq!(page.status, 200, "{page:?}");
    let mut missed: Vec<i64> = page.body["data"]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_i64().unwrap())
        .collect();
    missed.sort_unstable();
    assert_eq!(
        missed,
        sent[12..].to_vec(),
        "what she missed, and only that"
    );
    let live = send(cluster.node(1), &bob, general, "live again");
    assert_eq!(created(&mut alice_ws, general, 1).await, vec![live]);
    sent.push(live);

    // The killed node's lease expires; another node delivers the rest. Only
    // what it had in flight may come twice (at least once, never lost).
    receiver.set(Reply::Status(200));
    let by_id = settle(&receiver, sent.len()).await;
    assert_eq!(by_id.len(), sent.len(), "every message delivered");
    for (id, n) in &by_id {
        assert!(
            *n == 1 || before_kill.contains_key(id),
            "delivery {id} sent {n} times though it was not in flight at the kill"
        );
    }
}

/// The balancer when there is one (it passes over the dead node), else node `i`.
fn lb_or(cluster: &Cluster, i: usize) -> u16 {
    if cluster.has_balancer() {
        cluster.port()
    } else {
        cluster.node(i)
    }
}

#[rocket::async_test]
async fn a_node_cut_from_the_database_catches_up_what_it_missed() {
    let Some(cluster) = Cluster::start(2, &[]) else {
        return skipped();
    };
    let alice = register(cluster.node(0), "alice");
    let general = room(cluster.node(0), &alice, "general");
    let (mut on_second, _) = Ws::connect(cluster.node(1), &alice.token).await;
    let first = send(cluster.node(0), &alice, general, "before");
    assert_eq!(created(&mut on_second, general, 1).await, vec![first]);

    // Every connection of both nodes ends (a database restart, a network cut):
    // notifications sent meanwhile are lost to the second node.
    let url = common::store::database_url(cluster.dir()).unwrap();
    let ended: i64 = std::thread::spawn(move || {
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
    .unwrap();
    assert!(ended >= 4, "writers and listeners were connected: {ended}");

    // A write met by the cut may fail (500); the node reconnects and goes on.
    let path = format!("/api/v1/rooms/{general}/messages");
    let mut sent = Vec::new();
    while sent.len() < 5 {
        let answer = call(
            cluster.node(0),
            "POST",
            &path,
            Some(&alice.token),
            json!({ "content": format!("after {}", sent.len()) }),
        );
        match answer.status {
            201 => sent.push(answer.body["data"]["id"].as_i64().unwrap()),
            500 => assert_eq!(answer.body["error"]["code"], "INTERNAL_ERROR"),
            _ => panic!("{answer:?}"),
        }
    }
    // The second node's socket hears every one, in order, once it has
    // reconnected and read what it missed from the table.
    assert_eq!(created(&mut on_second, general, sent.len()).await, sent);
}
