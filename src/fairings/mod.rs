//! Fairings: request ids, rate limiting, security headers.

pub mod rate_limit;
pub mod request_id;
pub mod security_headers;
