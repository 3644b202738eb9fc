//! Fairings: request ids, the request log and metrics, rate limiting, query checks, security headers.

pub mod query_guard;
pub mod rate_limit;
pub mod request_id;
pub mod request_log;
pub mod security_headers;
