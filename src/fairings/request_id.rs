//! Every request gets an id, sent back as `X-Request-Id` and as `request_id` in errors.

use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::Header;
use rocket::{Data, Request, Response};

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

pub struct RequestIdFairing;

#[rocket::async_trait]
impl Fairing for RequestIdFairing {
    fn info(&self) -> Info {
        Info {
            name: "request id",
            kind: Kind::Request | Kind::Response,
        }
    }

    async fn on_request(&self, req: &mut Request<'_>, _: &mut Data<'_>) {
        RequestId::of(req);
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
        res.set_header(Header::new(
            "X-Request-Id",
            RequestId::of(req).as_str().to_owned(),
        ));
    }
}
