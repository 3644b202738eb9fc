//! Requests that make the server send a mail to an address someone typed (a
//! password reset, a new verification link): limited per address and per
//! client, so nobody can make Veza flood a mailbox or a mail server. Counted
//! alike whether an account has the address or not, so the limit tells nothing.

use super::window::WindowCounter;

const WINDOW_SECS: u64 = 3600;
/// Mails one address may be sent per hour.
const PER_ADDRESS: u32 = 3;
/// Requests one client may make per hour.
const PER_CLIENT: u32 = 10;
/// Distinct keys tracked at most per map.
const MAX_KEYS: usize = 100_000;

pub struct MailRequests {
    by_address: WindowCounter,
    by_client: WindowCounter,
}

impl Default for MailRequests {
    fn default() -> Self {
        MailRequests::new(PER_ADDRESS, PER_CLIENT)
    }
}

impl MailRequests {
    /// At most `per_address` mails an hour to one address, and `per_client`
    /// requests an hour from one client (an address, or a user for
    /// invitations).
    pub fn new(per_address: u32, per_client: u32) -> MailRequests {
        MailRequests {
            by_address: WindowCounter::new(per_address, WINDOW_SECS, MAX_KEYS),
            by_client: WindowCounter::new(per_client, WINDOW_SECS, MAX_KEYS),
        }
    }

    /// Counts a request for `email` from `client`; `Err(seconds to wait)` when
    /// either has none left.
    pub fn hit(&self, email: &str, client: &str) -> Result<(), u64> {
        self.by_client.hit(client).map_err(|r| r.retry_after_secs)?;
        self.by_address
            .hit(&email.to_lowercase())
            .map_err(|r| r.retry_after_secs)?;
        Ok(())
    }
}
