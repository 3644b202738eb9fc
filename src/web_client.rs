//! The web client's files (`static/app/`), embedded in the binary at build time,
//! and the page that starts it.
//!
//! `index.html` names its scripts and styles under `/assets/<fingerprint>/`, a
//! digest of every embedded file. Those answers may be cached for a year: a new
//! build has a new fingerprint, so a browser never mixes the files of two versions.
//! `index.html` itself is revalidated on each visit. Any GET that no route serves
//! and that is not an API path answers the page too (see [`serves_client`]), so that
//! deep links such as `/rooms/12` work. The routes are in `api/client.rs`; the
//! catcher (`http/catchers.rs`) serves deep links.

use std::borrow::Cow;
use std::sync::LazyLock;

use rocket::http::{ContentType, Header, Method};
use rocket::{Request, Responder};
use rust_embed::RustEmbed;
use sha2::{Digest, Sha256};

#[derive(RustEmbed)]
#[folder = "static/app/"]
struct Files;

/// The client's own files only: no inline code, nothing from other origins. Media
/// (`blob:` for a picked file's preview) and the WebSocket stay on this origin;
/// `https:` media is a stream's playback URL, served elsewhere.
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

/// The service worker, with this build's asset paths in it.
static SERVICE_WORKER: LazyLock<String> = LazyLock::new(|| {
    let script = Files::get("sw.js")
        .map(|f| String::from_utf8_lossy(&f.data).into_owned())
        .unwrap_or_default();
    script.replace("{{ASSETS}}", &ASSET_PREFIX)
});

#[derive(Responder)]
pub struct Script {
    body: (ContentType, &'static str),
    csp: Header<'static>,
    cache: Header<'static>,
}

/// The service worker, served at `/sw.js` so that its scope is the whole client,
/// and revalidated on every check (a browser looks for a new one at each visit).
pub fn service_worker() -> Script {
    Script {
        body: (ContentType::JavaScript, SERVICE_WORKER.as_str()),
        csp: Header::new("Content-Security-Policy", CSP),
        cache: Header::new("Cache-Control", "no-cache"),
    }
}

#[derive(Responder)]
pub struct Asset {
    body: (ContentType, Cow<'static, [u8]>),
    cache: Header<'static>,
}

/// A file of this build, or `None` for another build's fingerprint (so that a
/// cache never stores today's file under yesterday's name) or an unknown file.
pub fn asset(fingerprint: &str, name: &str) -> Option<Asset> {
    let current = ASSET_PREFIX.trim_start_matches("/assets/");
    if fingerprint != current || name == "index.html" {
        return None;
    }
    let file = Files::get(name)?;
    let content_type = name
        .rsplit_once('.')
        .and_then(|(_, ext)| ContentType::from_extension(ext))
        .unwrap_or(ContentType::Binary);
    Some(Asset {
        body: (content_type, file.data),
        cache: Header::new("Cache-Control", "public, max-age=31536000, immutable"),
    })
}

/// The embedded file an `/assets/…` request path names (its segments, decoded as
/// Rocket routes them), if it is one of this build's: a bounded set, whatever
/// spelling a client invents.
pub fn asset_name<'a>(mut segments: impl Iterator<Item = &'a str>) -> Option<String> {
    let current = ASSET_PREFIX.trim_start_matches("/assets/");
    if segments.next() != Some("assets") || segments.next() != Some(current) {
        return None;
    }
    let name = segments.collect::<Vec<_>>().join("/");
    (name != "index.html" && Files::get(&name).is_some()).then_some(name)
}

/// Whether a request that no route answered should get the client rather than an
/// error: a GET or HEAD of a path that is not the API's, Veza's operations or a
/// file under `/assets/` (nor a file name such as `/favicon.ico`).
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

#[cfg(test)]
mod tests {
    use super::*;
    use rocket::http::uri::Origin;

    fn name_of(path: &str) -> Option<String> {
        asset_name(Origin::parse(path).unwrap().path().segments())
    }

    #[test]
    fn every_spelling_of_an_asset_is_one_name_and_nothing_else_is() {
        let prefix = ASSET_PREFIX.as_str();
        for spelling in [
            format!("{prefix}/js/main.js"),
            format!("{prefix}//js/main.js"),
            format!("{prefix}/js/m%61in.js"),
            format!("{prefix}/%6As/main.js"),
        ] {
            assert_eq!(
                name_of(&spelling).as_deref(),
                Some("js/main.js"),
                "{spelling}"
            );
        }
        for other in [
            format!("{prefix}/js/nothing.js"),
            format!("{prefix}/index.html"),
            "/assets/0000000000000000/js/main.js".to_owned(),
            "/js/main.js".to_owned(),
        ] {
            assert_eq!(name_of(&other), None, "{other}");
        }
    }
}
