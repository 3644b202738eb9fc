//! Password hashing with Argon2id at OWASP's minimum (m = 19 MiB, t = 2, p = 1).
//!
//! Hashing is deliberately slow and memory-hungry, so it runs on a small, fixed set
//! of hasher threads, each reusing one 19 MiB block of memory for every hash: a
//! flood of logins queues (asynchronously, holding no thread) instead of starving
//! the server, and memory stays at 19 MiB per hasher instead of growing with every
//! thread that ever hashed (glibc keeps freed blocks in per-thread arenas).

use std::sync::{Arc, Mutex, OnceLock};

use argon2::password_hash::{rand_core::OsRng, Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use tokio::sync::{mpsc, oneshot};

use crate::error::ApiError;

const MEMORY_KIB: u32 = 19 * 1024;
const PASSES: u32 = 2;
const OUTPUT_BYTES: usize = 32;
/// Hash requests waiting for a hasher; more wait to enqueue, asynchronously.
const QUEUE: usize = 256;

enum Work {
    Hash(String),
    Verify { password: String, hash: String },
}

struct Job {
    work: Work,
    reply: oneshot::Sender<Result<Outcome, ApiError>>,
}

enum Outcome {
    Hashed(String),
    Matches(bool),
}

#[derive(Clone)]
pub struct Passwords {
    jobs: mpsc::Sender<Job>,
    /// A hash verified against when the user does not exist, so that "no such user"
    /// costs the same time as "wrong password". Its password need not be secret:
    /// the outcome of that check is thrown away.
    dummy_hash: Arc<OnceLock<String>>,
}

/// The parameters new hashes are made with. Constants within argon2's ranges, but
/// a refusal is still an error, not a panic on a hasher thread.
fn params() -> Result<Params, ApiError> {
    Params::new(MEMORY_KIB, PASSES, 1, Some(OUTPUT_BYTES))
        .map_err(|e| ApiError::internal(format!("argon2 parameters: {e}")))
}

/// One hasher thread: its memory is allocated at its first hash and reused.
fn hasher(jobs: Arc<Mutex<mpsc::Receiver<Job>>>) {
    let mut memory: Vec<Block> = Vec::new();
    loop {
        // Whoever holds the lock waits for the next job; the others wait for the lock.
        let job = match jobs.lock() {
            Ok(mut jobs) => jobs.blocking_recv(),
            Err(_) => None,
        };
        let Some(job) = job else { return }; // the server is gone
        let outcome = match job.work {
            Work::Hash(password) => hash_with(&mut memory, &password).map(Outcome::Hashed),
            Work::Verify { password, hash } => {
                Ok(Outcome::Matches(verify_with(&mut memory, &password, &hash)))
            }
        };
        let _ = job.reply.send(outcome);
    }
}

/// `memory` grown to `blocks` blocks, once.
fn blocks(memory: &mut Vec<Block>, blocks: usize) -> &mut [Block] {
    if memory.len() < blocks {
        memory.resize(blocks, Block::default());
    }
    &mut memory[..blocks]
}

fn hash_with(memory: &mut Vec<Block>, password: &str) -> Result<String, ApiError> {
    let fail = |e: &dyn std::fmt::Display| ApiError::internal(format!("argon2: {e}"));
    let params = params()?;
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt
        .as_salt()
        .decode_b64(&mut salt_bytes)
        .map_err(|e| fail(&e))?;
    let mut out = [0u8; OUTPUT_BYTES];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password_into_with_memory(
            password.as_bytes(),
            salt_bytes,
            &mut out,
            blocks(memory, params.block_count()),
        )
        .map_err(|e| fail(&e))?;
    let hash = PasswordHash {
        algorithm: argon2::ARGON2ID_IDENT,
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|e| fail(&e))?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).map_err(|e| fail(&e))?),
    };
    Ok(hash.to_string())
}

/// Whether `password` matches the PHC string `hash`, with the hash's own
/// algorithm and parameters; false for anything unreadable.
fn verify_with(memory: &mut Vec<Block>, password: &str, hash: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    let (Ok(algorithm), Ok(params), Some(expected), Some(salt)) = (
        Algorithm::try_from(parsed.algorithm),
        Params::try_from(&parsed),
        parsed.hash,
        parsed.salt,
    ) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from).transpose() {
        Ok(version) => version.unwrap_or_default(),
        Err(_) => return false,
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt_bytes) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let mut out = vec![0u8; expected.len()];
    let block_count = params.block_count();
    let computed = Argon2::new(algorithm, version, params).hash_password_into_with_memory(
        password.as_bytes(),
        salt_bytes,
        &mut out,
        blocks(memory, block_count),
    );
    // `Output`'s equality runs in constant time.
    computed.is_ok() && Output::new(&out).is_ok_and(|out| out == expected)
}

impl Passwords {
    /// Starts `hashers` hasher threads; they end when the last `Passwords` is dropped.
    pub fn new(hashers: usize) -> Passwords {
        let (jobs, queue) = mpsc::channel(QUEUE);
        let queue = Arc::new(Mutex::new(queue));
        for i in 0..hashers.max(1) {
            let queue = queue.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("veza-hasher-{i}"))
                .spawn(move || hasher(queue));
            if let Err(e) = spawned {
                log::error!("cannot start a password hasher: {e}");
            }
        }
        Passwords {
            jobs,
            dummy_hash: Arc::new(OnceLock::new()),
        }
    }

    async fn run(&self, work: Work) -> Result<Outcome, ApiError> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job { work, reply })
            .await
            .map_err(|_| ApiError::internal("password hashers stopped"))?;
        answer
            .await
            .map_err(|_| ApiError::internal("password hasher failed"))?
    }

    pub async fn hash(&self, password: String) -> Result<String, ApiError> {
        match self.run(Work::Hash(password)).await? {
            Outcome::Hashed(hash) => Ok(hash),
            Outcome::Matches(_) => Err(ApiError::internal("hasher answered a verify")),
        }
    }

    /// Checks `password` against `hash`; with `None` (no such user) it does the same
    /// work against a dummy hash and answers false.
    pub async fn verify(&self, password: String, hash: Option<String>) -> Result<bool, ApiError> {
        let (hash, real) = match hash {
            Some(hash) => (hash, true),
            None => (self.dummy().await?, false),
        };
        match self.run(Work::Verify { password, hash }).await? {
            Outcome::Matches(matches) => Ok(matches && real),
            Outcome::Hashed(_) => Err(ApiError::internal("hasher answered a hash")),
        }
    }

    /// The dummy hash, made on first use. Kept only once made: a failed attempt is
    /// retried next time rather than leaving an empty hash that verifies in no time.
    async fn dummy(&self) -> Result<String, ApiError> {
        if let Some(hash) = self.dummy_hash.get() {
            return Ok(hash.clone());
        }
        let hash = self.hash("veza: not anyone's password".into()).await?;
        Ok(self.dummy_hash.get_or_init(|| hash).clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::PasswordHasher;

    #[tokio::test]
    async fn hash_then_verify() {
        let p = Passwords::new(2);
        let h = p.hash("correct horse".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(p
            .verify("correct horse".into(), Some(h.clone()))
            .await
            .unwrap());
        assert!(!p.verify("wrong horse".into(), Some(h)).await.unwrap());
        assert!(!p.verify("anything".into(), None).await.unwrap());
        assert!(!p
            .verify("x".into(), Some("not a hash".into()))
            .await
            .unwrap());
    }

    #[tokio::test]
    async fn hashes_made_by_the_argon2_crate_itself_verify() {
        // Hashes stored by earlier versions (made with `PasswordHasher`) still work,
        // whatever their parameters.
        let salt = SaltString::generate(&mut OsRng);
        let weaker = Params::new(8 * 1024, 1, 1, None).unwrap();
        let stored = Argon2::new(Algorithm::Argon2id, Version::V0x13, weaker)
            .hash_password(b"old password", &salt)
            .unwrap()
            .to_string();
        let p = Passwords::new(1);
        assert!(p
            .verify("old password".into(), Some(stored.clone()))
            .await
            .unwrap());
        assert!(!p.verify("old passwore".into(), Some(stored)).await.unwrap());
    }
}
