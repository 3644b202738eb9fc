//! Failed logins, limited per account and per client address.
//!
//! An attempt is counted *before* the password is checked, in one step with the
//! check of the limit, and given back when the password was right: so concurrent
//! guesses cannot slip past the limit while their hashes are computed. The account
//! is the resolved one (its username and e-mail share one count); a name that is no
//! account is counted by address only, as there is nothing to protect and its
//! names must not be able to fill the per-account map.

use super::window::WindowCounter;

const WINDOW_SECS: u64 = 15 * 60;
/// Distinct keys tracked at most per map (accounts, addresses).
const MAX_KEYS: usize = 100_000;

pub struct LoginThrottle {
    by_account: WindowCounter,
    by_address: WindowCounter,
}

/// An attempt counted against an account (if any) and an address.
#[must_use = "settle the attempt with `succeeded` so a right password is not counted"]
pub struct LoginAttempt {
    account: Option<String>,
    address: String,
}

impl LoginThrottle {
    pub fn new(failures_per_15min: u32) -> LoginThrottle {
        LoginThrottle {
            by_account: WindowCounter::new(failures_per_15min, WINDOW_SECS, MAX_KEYS),
            by_address: WindowCounter::new(failures_per_15min, WINDOW_SECS, MAX_KEYS),
        }
    }

    /// Counts an attempt on `account_id` (when the name is an account) and on the
    /// address; `Err(seconds to wait)` when either has no attempts left, in which
    /// case nothing is counted.
    pub fn attempt(&self, account_id: Option<i64>, address: &str) -> Result<LoginAttempt, u64> {
        let address = self
            .by_address
            .hit(address)
            .map_err(|r| r.retry_after_secs)?;
        let account = match account_id {
            None => None,
            Some(id) => match self.by_account.hit(&format!("user:{id}")) {
                Ok(key) => Some(key),
                Err(refused) => {
                    self.by_address.refund(&address);
                    return Err(refused.retry_after_secs);
                }
            },
        };
        Ok(LoginAttempt { account, address })
    }

    /// The password was right: the attempt is not a failure, and the account's
    /// failures are forgiven.
    pub fn succeeded(&self, attempt: LoginAttempt) {
        self.by_address.refund(&attempt.address);
        if let Some(account) = attempt.account {
            self.by_account.clear(&account);
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

    #[test]
    fn attempts_count_before_the_outcome_and_success_refunds() {
        let t = LoginThrottle::new(2);
        let a = t.attempt(Some(1), "ip1").unwrap();
        let b = t.attempt(Some(1), "ip2").unwrap();
        assert!(
            t.attempt(Some(1), "ip3").is_err(),
            "two attempts in flight use the account's two tries"
        );
        a.failed();
        t.succeeded(b);
        assert!(
            t.attempt(Some(1), "ip3").is_ok(),
            "a success forgives the account"
        );
    }

    #[test]
    fn addresses_are_limited_across_accounts_and_unknown_names() {
        let t = LoginThrottle::new(2);
        t.attempt(None, "ip1").unwrap().failed();
        t.attempt(Some(7), "ip1").unwrap().failed();
        assert!(t.attempt(Some(8), "ip1").is_err(), "ip1 failed twice");
        assert!(t.attempt(Some(8), "ip2").is_ok());
    }

    #[test]
    fn a_refused_account_does_not_spend_the_address() {
        let t = LoginThrottle::new(1);
        t.attempt(Some(1), "ip1").unwrap().failed();
        assert!(t.attempt(Some(1), "ip2").is_err());
        assert!(t.attempt(Some(2), "ip2").is_ok(), "ip2 was refunded");
    }
}
