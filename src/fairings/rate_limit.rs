//! The request rate limit: a token bucket per user (per client address before
//! login), taken from in `on_request`; an over-limit request is rerouted to an
//! internal route that answers 429, and every API response carries the
//! `X-RateLimit-*` headers (`Reset`: when the bucket is full again).
//!
//! A fairing cannot refuse a request itself, hence the reroute.

use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::{uri::Origin, Header, Method};
use rocket::request::{FromRequest, Outcome, Request};
use rocket::{Data, Response};

use crate::auth::guard::{bearer, Bearer};
use crate::error::ApiError;
use crate::limiter::{address_key, RequestLimiter, Verdict};

/// Users and addresses with a bucket at once; see [`RequestLimiter`].
const MAX_TRACKED_CLIENTS: usize = 50_000;

pub const LIMITED_PATH: &str = "/__veza/rate-limited";

pub struct RateLimit {
    buckets: RequestLimiter,
}

impl RateLimit {
    pub fn new(requests_per_hour: u32, burst: Option<u32>) -> RateLimit {
        RateLimit {
            buckets: RequestLimiter::new(requests_per_hour, burst, MAX_TRACKED_CLIENTS),
        }
    }
}

/// This request's verdict, when it was counted.
struct Counted(Option<Verdict>);

/// Paths whose requests count against the limit, however they are spelled: Rocket
/// routes `//api/…` and `/%61pi/…` to the same handler as `/api/…`, so the first
/// segment is read as routing reads it (Rocket's own decoded segments).
pub fn is_limited_path(path: &rocket::http::uri::Path<'_>) -> bool {
    matches!(path.segments().next(), Some("api" | "auth"))
}

#[rocket::async_trait]
impl Fairing for RateLimit {
    fn info(&self) -> Info {
        Info {
            name: "rate limit",
            kind: Kind::Request | Kind::Response,
        }
    }

    async fn on_request(&self, req: &mut Request<'_>, _: &mut Data<'_>) {
        if !is_limited_path(&req.uri().path()) {
            return;
        }
        let key = match bearer(req) {
            Bearer::Valid(claims) => format!("user:{}", claims.sub),
            // A token counts against its owner's limit.
            Bearer::Personal(_) => match crate::auth::guard::personal_holder(req).await {
                Some(holder) => format!("user:{}", holder.user_id),
                None => address_key(req.client_ip()),
            },
            _ => address_key(req.client_ip()),
        };
        let verdict = self.buckets.check(&key);
        req.local_cache(|| Counted(Some(verdict)));
        if !verdict.allowed {
            req.set_method(Method::Get);
            req.set_uri(Origin::const_new(LIMITED_PATH, None));
        }
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
        if let Counted(Some(v)) = req.local_cache(|| Counted(None)) {
            res.set_header(Header::new("X-RateLimit-Limit", v.limit.to_string()));
            res.set_header(Header::new(
                "X-RateLimit-Remaining",
                v.remaining.to_string(),
            ));
            res.set_header(Header::new("X-RateLimit-Reset", v.reset_at.to_string()));
        }
    }
}

/// Guard of the internal 429 route: passes only for requests the fairing rerouted,
/// so calling the path directly is an ordinary 404.
pub struct OverLimit(Verdict);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for OverLimit {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        match req.local_cache(|| Counted(None)) {
            Counted(Some(v)) if !v.allowed => Outcome::Success(OverLimit(*v)),
            _ => Outcome::Forward(rocket::http::Status::NotFound),
        }
    }
}

#[rocket::get("/__veza/rate-limited")]
pub fn rate_limited(over: OverLimit) -> ApiError {
    ApiError::RateLimited {
        retry_after_secs: over.0.retry_after_secs,
    }
}

#[cfg(test)]
mod tests {
    use rocket::http::uri::Origin;

    fn is_limited_path(path: &str) -> bool {
        super::is_limited_path(&Origin::parse(path).unwrap().path())
    }

    #[test]
    fn every_spelling_of_an_api_path_is_limited() {
        for path in [
            "/api/v1/rooms",
            "//api/v1/rooms",
            "///api//v1",
            "/%61pi/v1/rooms",
            "/%61%70%69/v1",
            "/auth/login",
            "//%61uth/login",
            "/api",
        ] {
            assert!(is_limited_path(path), "{path}");
        }
        for path in ["/", "/health", "/apix/v1", "/app.js", "/%2Fapi/v1"] {
            assert!(!is_limited_path(path), "{path}");
        }
    }
}
