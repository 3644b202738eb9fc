//! Limits kept in memory: the request rate limit (a token bucket per user or client
//! address) and the failed-login limit (per account and per address). Counts live
//! in memory: a restart forgives everyone, which is acceptable for limits measured
//! in minutes and hours. Every map here is bounded, whatever the number of clients.

mod bucket;
mod keys;
mod logins;
mod mail_requests;
mod window;

pub use bucket::{RequestLimiter, Verdict};
pub use keys::{address_key, client_block};
pub use logins::{LoginAttempt, LoginThrottle};
pub use mail_requests::MailRequests;
pub use window::WindowCounter;
