//! One line in the log and one sample in the metrics per answered request:
//! method, route template (never the path: no ids, no query, no token), status,
//! duration and request id.

use std::time::Instant;

use rocket::fairing::{Fairing, Info, Kind};
use rocket::{Data, Request, Response};

use crate::app::App;
use crate::http::request_id::RequestId;
use crate::metrics::UNMATCHED;

pub struct RequestLog;

/// When the request's head was handed to Rocket.
struct Began(Instant);

#[rocket::async_trait]
impl Fairing for RequestLog {
    fn info(&self) -> Info {
        Info {
            name: "request log",
            kind: Kind::Request | Kind::Response,
        }
    }

    async fn on_request(&self, req: &mut Request<'_>, _: &mut Data<'_>) {
        req.local_cache(|| Began(Instant::now()));
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
        let elapsed = req.local_cache(|| Began(Instant::now())).0.elapsed();
        let route = req.route().map_or(UNMATCHED, |r| r.uri.path());
        let method = req.method().as_str();
        let status = res.status().code;
        if let Some(app) = req.rocket().state::<App>() {
            app.metrics.observe_request(method, route, status, elapsed);
        }
        log::info!(
            target: "veza::request",
            "{method} {route} {status} {:.1}ms {}",
            elapsed.as_secs_f64() * 1000.0,
            RequestId::of(req).as_str()
        );
    }
}
