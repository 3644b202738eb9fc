//! Password hashing with Argon2id at OWASP's minimum (m = 19 MiB, t = 2, p = 1).
//!
//! Hashing is deliberately slow and memory-hungry, so it runs on blocking threads
//! behind a semaphore: a flood of logins queues here instead of starving the rest
//! of the server of CPU and memory.

use std::sync::{Arc, OnceLock};

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Params, PasswordVerifier, Version};
use tokio::sync::Semaphore;

use crate::error::ApiError;

pub const MIN_LENGTH: usize = 8;
pub const MAX_LENGTH: usize = 128;

#[derive(Clone)]
pub struct Passwords {
    permits: Arc<Semaphore>,
    /// A hash verified against when the user does not exist, so that "no such user"
    /// costs the same time as "wrong password". Its password need not be secret:
    /// the outcome of that check is thrown away.
    dummy_hash: Arc<OnceLock<String>>,
}

fn argon2() -> Argon2<'static> {
    // 19 MiB, 2 passes, 1 lane: valid constants, so `Params::new` cannot fail.
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

fn hash_now(password: &str) -> Result<String, ApiError> {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ApiError::internal(format!("argon2: {e}")))
}

fn verify_now(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// The dummy hash, made on first use. Kept only once made: a failed attempt is
/// retried next time rather than leaving an empty hash that verifies in no time.
fn dummy_hash(cell: &OnceLock<String>) -> Option<&String> {
    if cell.get().is_none() {
        if let Ok(hash) = hash_now("veza: not anyone's password") {
            let _ = cell.set(hash);
        }
    }
    cell.get()
}

impl Passwords {
    pub fn new(max_concurrent: usize) -> Passwords {
        Passwords {
            permits: Arc::new(Semaphore::new(max_concurrent.max(1))),
            dummy_hash: Arc::new(OnceLock::new()),
        }
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| ApiError::internal("password hasher closed"))?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| ApiError::internal(format!("password task failed: {e}")))
    }

    pub async fn hash(&self, password: String) -> Result<String, ApiError> {
        self.run(move || hash_now(&password)).await?
    }

    /// Checks `password` against `hash`; with `None` (no such user) it does the same
    /// work against a dummy hash and answers false.
    pub async fn verify(&self, password: String, hash: Option<String>) -> Result<bool, ApiError> {
        let dummy = self.dummy_hash.clone();
        self.run(move || match hash {
            Some(hash) => verify_now(&password, &hash),
            None => {
                if let Some(dummy) = dummy_hash(&dummy) {
                    verify_now(&password, dummy);
                }
                false
            }
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_then_verify() {
        let p = Passwords::new(2);
        let h = p.hash("correct horse".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
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
}
