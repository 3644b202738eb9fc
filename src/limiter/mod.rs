//! Limits kept in memory: the request rate limit (a token bucket per user or client
//! address) and the failed-login limit (per account and per address). Counts live
//! in memory: a restart forgives everyone, which is acceptable for limits measured
//! in minutes and hours. Failed logins are counted in the database when several
//! nodes share it (the request rate limit stays per node: docs/nodes.md). Every map here is bounded, whatever the number of clients.

mod bucket;
mod keys;
mod logins;
mod mail_requests;
mod shared_window;
mod window;

pub use bucket::{RequestLimiter, Verdict};
pub use keys::{address_key, client_block};
pub use logins::{LoginAttempt, LoginThrottle, Refusal as LoginRefusal};
pub use mail_requests::MailRequests;
pub use window::WindowCounter;
