//! `GET /api/v1/openapi.json` and `/docs`: the API's description and a viewer for
//! it, served from the binary (no CDN), under a strict Content-Security-Policy.

use rocket::http::{ContentType, Header};
use rocket::{get, routes, Responder, Route};

pub fn routes() -> Vec<Route> {
    routes![openapi, page, script, style]
}

/// Only Veza's own files, no inline code, nothing from elsewhere.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
                   connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; \
                   frame-ancestors 'none'";

#[derive(Responder)]
pub struct Asset {
    body: (ContentType, &'static str),
    csp: Header<'static>,
    cache: Header<'static>,
}

fn asset(content_type: ContentType, body: &'static str) -> Asset {
    Asset {
        body: (content_type, body),
        csp: Header::new("Content-Security-Policy", CSP),
        cache: Header::new("Cache-Control", "no-cache"),
    }
}

#[get("/api/v1/openapi.json")]
fn openapi() -> (ContentType, &'static str) {
    (ContentType::JSON, crate::openapi::DOCUMENT.as_str())
}

#[get("/docs")]
fn page() -> Asset {
    asset(
        ContentType::HTML,
        include_str!("../../static/docs/index.html"),
    )
}

#[get("/docs/viewer.js")]
fn script() -> Asset {
    asset(
        ContentType::JavaScript,
        include_str!("../../static/docs/viewer.js"),
    )
}

#[get("/docs/viewer.css")]
fn style() -> Asset {
    asset(
        ContentType::CSS,
        include_str!("../../static/docs/viewer.css"),
    )
}
