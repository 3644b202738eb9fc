//! The web client: `static/app/`, embedded in the binary at build time.
//!
//! `GET /` answers `index.html`, which names its scripts and styles under
//! `/assets/<fingerprint>/`, a digest of every embedded file. Those answers may be
//! cached for a year: a new build has a new fingerprint, so a browser never mixes
//! the files of two versions. `index.html` itself is revalidated on each visit.
//! Any other GET that no route serves and that is not an API path answers the
//! client too (see [`serves_client`]), so that deep links such as `/rooms/12` work.

use std::borrow::Cow;
use std::sync::LazyLock;

use rocket::http::{ContentType, Header, Method, Status};
use rocket::request::{FromRequest, Outcome};
use rocket::{get, routes, Request, Responder, Route};
use rust_embed::RustEmbed;
use sha2::{Digest, Sha256};

use crate::error::{ApiError, Missing};

#[derive(RustEmbed)]
#[folder = "static/app/"]
struct Files;

pub fn routes() -> Vec<Route> {
    let mut callbacks = routes![oauth_callback_page, oauth_callback_page_v1];
    for route in &mut callbacks {
        // Before the JSON callback (whose static path and query give it -11); the
        // attribute cannot spell a negative rank.
        route.rank = -20;
    }
    let mut all = routes![index, asset];
    all.append(&mut callbacks);
    all
}

/// The client's own files only: no inline code, nothing from other origins. Media
/// (`blob:` for a picked file's preview) and the WebSocket stay on this origin.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
                   img-src 'self' blob: data:; media-src 'self' blob: https:; \
                   connect-src 'self'; font-src 'self'; manifest-src 'self'; \
                   base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Where this build's assets live: `/assets/` and the first 16 hex digits of a
/// SHA-256 over every embedded file's name and digest.
static ASSET_PREFIX: LazyLock<String> = LazyLock::new(|| {
    let mut names: Vec<Cow<'static, str>> = Files::iter().collect();
    names.sort();
    let mut hasher = Sha256::new();
    for name in names {
        if let Some(file) = Files::get(&name) {
            hasher.update(name.as_bytes());
            hasher.update(file.metadata.sha256_hash());
        }
    }
    let digest = hasher.finalize();
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("/assets/{hex}")
});

/// `index.html` with its asset paths pointing at this build's prefix.
static INDEX: LazyLock<String> = LazyLock::new(|| {
    let page = Files::get("index.html")
        .map(|f| String::from_utf8_lossy(&f.data).into_owned())
        .unwrap_or_default();
    page.replace("{{ASSETS}}", &ASSET_PREFIX)
});

#[derive(Responder)]
pub struct Page {
    body: (ContentType, &'static str),
    csp: Header<'static>,
    cache: Header<'static>,
    referrer: Header<'static>,
}

/// The client's page, for `/` and every deep link.
pub fn page() -> Page {
    Page {
        body: (ContentType::HTML, INDEX.as_str()),
        csp: Header::new("Content-Security-Policy", CSP),
        cache: Header::new("Cache-Control", "no-cache"),
        referrer: Header::new("Referrer-Policy", "no-referrer"),
    }
}

#[derive(Responder)]
pub struct Asset {
    body: (ContentType, Cow<'static, [u8]>),
    cache: Header<'static>,
}

#[get("/")]
fn index() -> Page {
    page()
}

/// A file of this build; another build's fingerprint is 404, so that a cache never
/// stores today's file under yesterday's name.
#[get("/assets/<fingerprint>/<path..>", rank = 1)]
fn asset(fingerprint: &str, path: std::path::PathBuf) -> Result<Asset, ApiError> {
    let current = ASSET_PREFIX.trim_start_matches("/assets/");
    let name = path.to_str().unwrap_or_default().replace('\\', "/");
    let file = (fingerprint == current && name != "index.html")
        .then(|| Files::get(&name))
        .flatten()
        .ok_or(ApiError::NotFound(Missing::Route))?;
    let content_type = name
        .rsplit_once('.')
        .and_then(|(_, ext)| ContentType::from_extension(ext))
        .unwrap_or(ContentType::Binary);
    Ok(Asset {
        body: (content_type, file.data),
        cache: Header::new("Cache-Control", "public, max-age=31536000, immutable"),
    })
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
    page()
}

#[get("/api/v1/auth/oauth/callback")]
fn oauth_callback_page_v1(_browser: Navigation) -> Page {
    page()
}

/// Whether a request that no route answered should get the client rather than an
/// error: a GET or HEAD of a path that is not the API's, Veza's operations or a
/// file under `/assets/`.
pub fn serves_client(req: &Request<'_>) -> bool {
    if !matches!(req.method(), Method::Get | Method::Head) {
        return false;
    }
    let path = req.uri().path();
    let first = path
        .as_str()
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or_default();
    !matches!(
        first,
        "api" | "auth" | "assets" | "docs" | "metrics" | "health" | "__veza"
    ) && !first.contains('.')
}
