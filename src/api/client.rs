//! The web client's routes: its page at `/`, its service worker at `/sw.js`, its files under
//! `/assets/<fingerprint>/`, and the page for a browser that the identity provider
//! sends back to `/auth/oauth/callback` (see `web_client.rs`).

use rocket::http::Status;
use rocket::request::{FromRequest, Outcome};
use rocket::{get, routes, Request, Route};

use crate::error::{ApiError, Missing};
use crate::web_client::{self, Asset, Page};

pub fn routes() -> Vec<Route> {
    let mut callbacks = routes![oauth_callback_page, oauth_callback_page_v1];
    for route in &mut callbacks {
        // Before the JSON callback (whose static path and query give it -11); the
        // attribute cannot spell a negative rank.
        route.rank = -20;
    }
    let mut all = routes![index, asset, service_worker];
    all.append(&mut callbacks);
    all
}

#[get("/")]
fn index() -> Page {
    web_client::page()
}

#[get("/sw.js")]
fn service_worker() -> web_client::Script {
    web_client::service_worker()
}

#[get("/assets/<fingerprint>/<path..>", rank = 1)]
fn asset(fingerprint: &str, path: std::path::PathBuf) -> Result<Asset, ApiError> {
    let name = path.to_str().unwrap_or_default().replace('\\', "/");
    web_client::asset(fingerprint, &name).ok_or(ApiError::NotFound(Missing::Route))
}

/// A top-level page load in a browser (what `Sec-Fetch-Mode: navigate` or an
/// `Accept` that prefers HTML says), as opposed to an API client's request.
pub struct Navigation;

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Navigation {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        let navigating = req.headers().get_one("Sec-Fetch-Mode") == Some("navigate")
            || req
                .headers()
                .get_one("Accept")
                .is_some_and(|a| a.trim_start().starts_with("text/html"));
        if navigating {
            Outcome::Success(Navigation)
        } else {
            Outcome::Forward(Status::NotFound)
        }
    }
}

/// The identity provider sends the browser back here with `code` and `state`. A
/// browser gets the client, which posts them to `/auth/oauth/token`; an API client
/// (no HTML in its `Accept`) reaches the JSON route, which ranks after this one.
#[get("/auth/oauth/callback")]
fn oauth_callback_page(_browser: Navigation) -> Page {
    web_client::page()
}

#[get("/api/v1/auth/oauth/callback")]
fn oauth_callback_page_v1(_browser: Navigation) -> Page {
    web_client::page()
}
