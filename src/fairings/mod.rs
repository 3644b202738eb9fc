//! Fairings: request ids, the request log and metrics, rate limiting, query and
//! encoding checks, security headers, compressed answers, the answering node.

pub mod compression;
pub mod node_header;
pub mod query_guard;
pub mod rate_limit;
pub mod request_id;
pub mod request_log;
pub mod security_headers;
