//! A request's id: made on first use, sent back as `X-Request-Id` (by
//! `fairings::request_id`) and as `request_id` in error envelopes.

use rocket::Request;

pub struct RequestId(String);

impl RequestId {
    /// The id of this request, made on first use and cached for its lifetime.
    pub fn of<'r>(req: &'r Request<'_>) -> &'r RequestId {
        req.local_cache(|| RequestId(RequestId::fresh()))
    }

    /// A new id, for answers made outside Rocket (the connection gate).
    pub fn fresh() -> String {
        format!("req_{}", uuid::Uuid::new_v4().simple())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}
