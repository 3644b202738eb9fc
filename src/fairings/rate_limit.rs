//! The request rate limit: counted in `on_request` per user (per client address
//! before login); an over-limit request is rerouted to an internal route that answers
//! 429, and every API response carries the `X-RateLimit-*` headers.
//!
//! A fairing cannot refuse a request itself, hence the reroute.

use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::{uri::Origin, Header, Method};
use rocket::request::{FromRequest, Outcome, Request};
use rocket::{Data, Response};

use crate::auth::guard::{bearer, Bearer};
use crate::error::ApiError;
use crate::limiter::{Verdict, WindowCounter};

pub const LIMITED_PATH: &str = "/__veza/rate-limited";

pub struct RateLimit {
    counter: WindowCounter,
}

impl RateLimit {
    pub fn new(requests_per_hour: u32) -> RateLimit {
        RateLimit {
            counter: WindowCounter::new(requests_per_hour, 3600),
        }
    }
}

/// This request's verdict, when it was counted.
struct Counted(Option<Verdict>);

/// Paths whose requests count against the limit.
pub fn is_limited_path(path: &str) -> bool {
    path.starts_with("/api/") || path.starts_with("/auth/")
}

/// The client's address, as the rate limits key it.
pub fn client_key(req: &Request<'_>) -> String {
    match req.client_ip() {
        Some(ip) => format!("ip:{ip}"),
        None => "ip:unknown".into(),
    }
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
        if !is_limited_path(req.uri().path().as_str()) {
            return;
        }
        let key = match bearer(req) {
            Bearer::Valid(claims) => format!("user:{}", claims.sub),
            _ => client_key(req),
        };
        let verdict = self.counter.hit(&key);
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
        retry_after_secs: over.0.retry_after_secs(),
    }
}
