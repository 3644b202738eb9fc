//! Fairings: request ids, rate limiting, query checks, security headers.

pub mod query_guard;
pub mod rate_limit;
pub mod request_id;
pub mod security_headers;
