//! `GET /metrics`: the Prometheus text format, behind `metrics.token` (API.md §13).
//! Without a token configured the route answers 404, as if it did not exist.

use rocket::http::ContentType;
use rocket::request::{FromRequest, Outcome, Request};
use rocket::{get, routes, Route, State};
use sha2::{Digest, Sha256};

use crate::app::App;
use crate::domain::operations;
use crate::error::{ApiError, Missing};
use crate::http::error::stash;

pub fn routes() -> Vec<Route> {
    routes![metrics]
}

/// A scrape that showed the configured token.
pub struct Scraper;

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Scraper {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        let refuse = |err: ApiError| Outcome::Error((stash(req, err), ()));
        let Some(app) = req.rocket().state::<App>() else {
            return refuse(ApiError::internal("app state not managed"));
        };
        let Some(token) = app.config.metrics.token.as_deref() else {
            return refuse(ApiError::NotFound(Missing::Route));
        };
        let given = req
            .headers()
            .get_one("Authorization")
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        // Digests compared, so the time taken says nothing of the token.
        if Sha256::digest(given.as_bytes()) == Sha256::digest(token.as_bytes()) {
            Outcome::Success(Scraper)
        } else {
            refuse(ApiError::InvalidToken(
                "the metrics token is missing or wrong",
            ))
        }
    }
}

#[get("/metrics")]
async fn metrics(_scraper: Scraper, app: &State<App>) -> Result<(ContentType, String), ApiError> {
    let text =
        operations::metrics_text(&app.domain, &app.metrics, app.hub.connection_count()).await?;
    let format =
        ContentType::new("text", "plain").with_params([("version", "0.0.4"), ("charset", "utf-8")]);
    Ok((format, text))
}
