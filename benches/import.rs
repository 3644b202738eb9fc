//! `cargo bench --bench import`: `veza import slack` of a generated export,
//! 100,000 messages over 50 channels (`BENCH_MESSAGES` changes the count), into
//! a fresh data directory. Prints messages per second and the import's peak
//! resident memory, also for a quarter of the export: memory must not grow
//! with the export's length.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CHANNELS: usize = 50;
const USERS: usize = 20;
const PER_DAY: usize = 100;

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut file = std::fs::File::create(path).unwrap();
    file.write_all(text.as_bytes()).unwrap();
}

/// A Slack export of `messages` messages: every tenth a thread reply, every
/// seventh with a reaction, a mention in every fifth.
fn generate(dir: &Path, messages: usize) {
    let users: Vec<serde_json::Value> = (0..USERS)
        .map(|i| serde_json::json!({"id": format!("U{i}"), "name": format!("user{i}"), "profile": {"email": format!("user{i}@example.com")}}))
        .collect();
    write(
        dir,
        "users.json",
        &serde_json::Value::Array(users).to_string(),
    );
    let members: Vec<String> = (0..USERS).map(|i| format!("U{i}")).collect();
    let channels: Vec<serde_json::Value> = (0..CHANNELS)
        .map(|c| serde_json::json!({"id": format!("C{c}"), "name": format!("channel-{c}"), "creator": "U0", "members": members}))
        .collect();
    write(
        dir,
        "channels.json",
        &serde_json::Value::Array(channels).to_string(),
    );
    let per_channel = messages / CHANNELS;
    let start = 1_700_000_000u64;
    for c in 0..CHANNELS {
        let mut day = Vec::new();
        let mut root = String::new();
        for i in 0..per_channel {
            let ts = format!("{}.{:06}", start + (i as u64) * 60, c);
            let mut m = serde_json::json!({
                "type": "message", "user": format!("U{}", i % USERS), "ts": ts,
                "text": if i % 5 == 0 { format!("hello <@U{}> number {i} with *some* text", (i + 1) % USERS) } else { format!("message {i} in channel {c}: the quick brown fox") },
            });
            if i % 10 == 0 {
                root = ts.clone();
            } else if i % 10 == 5 {
                m["thread_ts"] = root.clone().into();
            }
            if i % 7 == 0 {
                m["reactions"] =
                    serde_json::json!([{"name": "thumbsup", "users": ["U1", "U2"], "count": 2}]);
            }
            day.push(m);
            if day.len() == PER_DAY || i + 1 == per_channel {
                let date = i / PER_DAY;
                write(
                    dir,
                    &format!(
                        "channel-{c}/2024-{:02}-{:02}.json",
                        1 + date / 28,
                        1 + date % 28
                    ),
                    &serde_json::Value::Array(std::mem::take(&mut day)).to_string(),
                );
            }
        }
    }
}

fn peak_rss_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
}

fn import(messages: usize) {
    let export = tempfile::tempdir().unwrap();
    generate(export.path(), messages);
    let data = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_veza"))
        .current_dir(data.path())
        .args(["import", "slack"])
        .arg(export.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut peak: f64 = 0.0;
    while child.try_wait().unwrap().is_none() {
        if let Some(now) = peak_rss_mib(child.id()) {
            peak = peak.max(now);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let secs = started.elapsed().as_secs_f64();
    let output = child.wait_with_output().unwrap();
    let report = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{report}");
    assert!(
        report.contains(&format!(" {messages} messages")),
        "{report}"
    );
    println!(
        "{messages:>7} messages over {CHANNELS} channels: {secs:>5.1} s, {:>7.0} messages/s, peak resident {peak:.1} MiB",
        messages as f64 / secs
    );
}

fn main() {
    let messages: usize = std::env::var("BENCH_MESSAGES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    println!(
        "veza import slack, {} cores",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    import(messages / 4);
    import(messages);
}
