//! Failed logins, limited per account and per client address.
//!
//! An attempt is counted *before* the password is checked, in one step with the
//! check of the limit, and given back when the password was right: so concurrent
//! guesses cannot slip past the limit while their hashes are computed. The account
//! is the resolved one (its username and e-mail share one count); a name that is no
//! account is counted by address only, as there is nothing to protect and its
//! names must not be able to fill the per-account map.

//!
//! With several nodes (PostgreSQL) the counts are kept in the database, so the
//! limit holds whichever node is asked.

use super::shared_window::{Hit, SharedWindows};
use super::window::WindowCounter;
use crate::db::shared::Shared;
use crate::db::StoreError;

const WINDOW_SECS: u64 = 15 * 60;
/// Distinct keys tracked at most per map (accounts, addresses).
const MAX_KEYS: usize = 100_000;

pub struct LoginThrottle {
    by_account: Windows,
    by_address: Windows,
}

/// Where the counts are kept.
enum Windows {
    Memory(WindowCounter),
    Shared(SharedWindows),
}

impl Windows {
    async fn hit(&self, key: &str) -> Result<String, Refusal> {
        match self {
            Windows::Memory(w) => w.hit(key).map_err(|r| Refusal::Wait(r.retry_after_secs)),
            Windows::Shared(w) => w.hit(key).await.map_err(|hit| match hit {
                Hit::Refused(r) => Refusal::Wait(r.retry_after_secs),
                Hit::Failed(e) => Refusal::Failed(e),
            }),
        }
    }

    async fn refund(&self, key: &str) {
        match self {
            Windows::Memory(w) => w.refund(key),
            Windows::Shared(w) => w.refund(key).await,
        }
    }

    async fn clear(&self, key: &str) {
        match self {
            Windows::Memory(w) => w.clear(key),
            Windows::Shared(w) => w.clear(key).await,
        }
    }
}

/// Why an attempt may not be made.
#[derive(Debug)]
pub enum Refusal {
    /// Too many failures: seconds to wait.
    Wait(u64),
    /// The shared counts could not be read.
    Failed(StoreError),
}

/// An attempt counted against an account (if any) and an address.
#[must_use = "settle the attempt with `succeeded` so a right password is not counted"]
pub struct LoginAttempt {
    account: Option<String>,
    address: String,
}

impl LoginThrottle {
    /// Counts kept in this process's memory (one node).
    pub fn new(failures_per_15min: u32) -> LoginThrottle {
        let window = || WindowCounter::new(failures_per_15min, WINDOW_SECS, MAX_KEYS);
        LoginThrottle {
            by_account: Windows::Memory(window()),
            by_address: Windows::Memory(window()),
        }
    }

    /// Counts kept in the database every node shares.
    pub fn shared(failures_per_15min: u32, shared: Shared) -> LoginThrottle {
        let window = || SharedWindows::new(shared.clone(), failures_per_15min, WINDOW_SECS);
        LoginThrottle {
            by_account: Windows::Shared(window()),
            by_address: Windows::Shared(window()),
        }
    }

    /// Counts an attempt on `account_id` (when the name is an account) and on the
    /// address; refused when either has no attempts left, in which case nothing
    /// is counted.
    pub async fn attempt(
        &self,
        account_id: Option<i64>,
        address: &str,
    ) -> Result<LoginAttempt, Refusal> {
        let address = self.by_address.hit(&format!("address:{address}")).await?;
        let account = match account_id {
            None => None,
            Some(id) => match self.by_account.hit(&format!("user:{id}")).await {
                Ok(key) => Some(key),
                Err(refused) => {
                    self.by_address.refund(&address).await;
                    return Err(refused);
                }
            },
        };
        Ok(LoginAttempt { account, address })
    }

    /// The password was right: the attempt is not a failure, and the account's
    /// failures are forgiven.
    pub async fn succeeded(&self, attempt: LoginAttempt) {
        self.by_address.refund(&attempt.address).await;
        if let Some(account) = attempt.account {
            self.by_account.clear(&account).await;
        }
    }
}

impl LoginAttempt {
    /// The password was wrong: the counted attempt stays.
    pub fn failed(self) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[rocket::async_test]
    async fn attempts_count_before_the_outcome_and_success_refunds() {
        let t = LoginThrottle::new(2);
        let a = t.attempt(Some(1), "ip1").await.unwrap();
        let b = t.attempt(Some(1), "ip2").await.unwrap();
        assert!(
            t.attempt(Some(1), "ip3").await.is_err(),
            "two attempts in flight use the account's two tries"
        );
        a.failed();
        t.succeeded(b).await;
        assert!(
            t.attempt(Some(1), "ip3").await.is_ok(),
            "a success forgives the account"
        );
    }

    #[rocket::async_test]
    async fn addresses_are_limited_across_accounts_and_unknown_names() {
        let t = LoginThrottle::new(2);
        t.attempt(None, "ip1").await.unwrap().failed();
        t.attempt(Some(7), "ip1").await.unwrap().failed();
        assert!(t.attempt(Some(8), "ip1").await.is_err(), "ip1 failed twice");
        assert!(t.attempt(Some(8), "ip2").await.is_ok());
    }

    #[rocket::async_test]
    async fn a_refused_account_does_not_spend_the_address() {
        let t = LoginThrottle::new(1);
        t.attempt(Some(1), "ip1").await.unwrap().failed();
        assert!(t.attempt(Some(1), "ip2").await.is_err());
        assert!(t.attempt(Some(2), "ip2").await.is_ok(), "ip2 was refunded");
    }
}
