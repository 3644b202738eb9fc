//! Prints the time of one password hash with Veza's Argon2id parameters.
//! `cargo run --release --example argon2_time` (release) or without `--release`
//! (the profile `cargo test` uses, where argon2 is still optimised).

use std::time::Instant;

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let passwords = veza::auth::password::Passwords::new(1);
    let rounds = 20;
    passwords.hash("warm-up password".into()).await.unwrap();
    let start = Instant::now();
    for i in 0..rounds {
        passwords
            .hash(format!("password number {i}"))
            .await
            .unwrap();
    }
    let per_hash = start.elapsed() / rounds;
    let profile = if cfg!(debug_assertions) {
        "dev/test"
    } else {
        "release"
    };
    println!("argon2id m=19MiB t=2 p=1: {per_hash:?} per hash ({profile} build, {rounds} hashes)");
}
