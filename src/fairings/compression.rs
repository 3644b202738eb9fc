//! Compressed answers: `gzip`, or `br` when the client prefers it, for JSON, text
//! and the web client's files over 1 KiB, when the client's `Accept-Encoding` asks.
//!
//! The body is compressed as it streams out (a long export is never held whole),
//! at the fastest level. The web client's fingerprinted assets are compressed once,
//! at the best level, and kept: they never change while the server runs. Never
//! compressed: file downloads and thumbnails (they are served byte-exact, with
//! `Range` and `ETag`), a `Range` answer, an answer that already has an encoding,
//! and WebSocket upgrades.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_compression::tokio::bufread::{BrotliEncoder, GzipEncoder};
use async_compression::Level;
use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::{Header, Method};
use rocket::{Request, Response};
use tokio::io::{AsyncReadExt, BufReader};

/// Smaller answers are not worth the header.
const MIN_BYTES: usize = 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    Gzip,
    Brotli,
}

impl Encoding {
    fn name(self) -> &'static str {
        match self {
            Encoding::Gzip => "gzip",
            Encoding::Brotli => "br",
        }
    }
}

/// The encoding to answer in, from an `Accept-Encoding` value: `br` when offered,
/// else `gzip`; a coding with `q=0` is refused.
pub fn negotiate(accept: &str) -> Option<Encoding> {
    let offered = |name: &str| {
        accept.split(',').any(|part| {
            let mut pieces = part.split(';');
            let coding = pieces.next().unwrap_or("").trim();
            let refused = pieces.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            coding.eq_ignore_ascii_case(name) && !refused
        })
    };
    if offered("br") {
        Some(Encoding::Brotli)
    } else if offered("gzip") {
        Some(Encoding::Gzip)
    } else {
        None
    }
}

fn compressible(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or("").trim();
    essence.starts_with("text/")
        || matches!(
            essence,
            "application/json"
                | "application/javascript"
                | "image/svg+xml"
                | "application/manifest+json"
        )
}

/// The routes whose bytes go out exactly as stored.
fn is_file_route(path: &str) -> bool {
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    matches!(
        segments.as_slice(),
        ["", "api", "v1", "files", _, "download" | "thumbnail"]
    )
}

/// Compressed web client assets, by embedded file name and encoding: a fixed set,
/// however the paths that reach them are spelled.
type AssetCache = Mutex<HashMap<(String, Encoding), Arc<[u8]>>>;

#[derive(Default)]
pub struct Compression {
    assets: AssetCache,
}

#[rocket::async_trait]
impl Fairing for Compression {
    fn info(&self) -> Info {
        Info {
            name: "compression",
            kind: Kind::Response,
        }
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
        let content_type = res.content_type().map(|c| c.to_string());
        if !content_type.as_deref().is_some_and(compressible)
            || req.method() == Method::Head
            || !matches!(res.status().code, 200 | 201)
            || res.headers().contains("Content-Encoding")
            || req.headers().contains("Range")
            || is_file_route(req.uri().path().as_str())
        {
            return;
        }
        res.adjoin_header(Header::new("Vary", "Accept-Encoding"));
        let Some(encoding) = req.headers().get_one("Accept-Encoding").and_then(negotiate) else {
            return;
        };
        if res.body().preset_size().is_some_and(|n| n < MIN_BYTES) {
            return;
        }
        if let Some(name) = crate::web_client::asset_name(req.uri().path().segments()) {
            if let Some(bytes) = self.asset(name, encoding, res).await {
                res.set_header(Header::new("Content-Encoding", encoding.name()));
                res.set_sized_body(bytes.len(), std::io::Cursor::new(bytes));
            }
            return;
        }
        let body = BufReader::new(res.body_mut().take());
        res.set_header(Header::new("Content-Encoding", encoding.name()));
        match encoding {
            Encoding::Gzip => {
                res.set_streamed_body(GzipEncoder::with_quality(body, Level::Fastest))
            }
            Encoding::Brotli => {
                res.set_streamed_body(BrotliEncoder::with_quality(body, Level::Fastest))
            }
        }
    }
}

impl Compression {
    /// The asset's compressed bytes, made at the best level on first use.
    async fn asset(
        &self,
        name: String,
        encoding: Encoding,
        res: &mut Response<'_>,
    ) -> Option<Arc<[u8]>> {
        let key = (name, encoding);
        if let Some(bytes) = self.cached(&key) {
            return Some(bytes);
        }
        let raw = res.body_mut().to_bytes().await.ok()?;
        let mut out = Vec::new();
        let read = match encoding {
            Encoding::Gzip => {
                GzipEncoder::with_quality(&raw[..], Level::Best)
                    .read_to_end(&mut out)
                    .await
            }
            Encoding::Brotli => {
                BrotliEncoder::with_quality(&raw[..], Level::Best)
                    .read_to_end(&mut out)
                    .await
            }
        };
        if read.is_err() {
            // Leave the answer as it was.
            res.set_sized_body(raw.len(), std::io::Cursor::new(raw));
            return None;
        }
        let bytes: Arc<[u8]> = out.into();
        if let Ok(mut cache) = self.assets.lock() {
            cache.insert(key, bytes.clone());
        }
        Some(bytes)
    }

    fn cached(&self, key: &(String, Encoding)) -> Option<Arc<[u8]>> {
        self.assets.lock().ok()?.get(key).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_prefers_brotli_and_honours_refusals() {
        assert_eq!(negotiate("gzip, deflate, br"), Some(Encoding::Brotli));
        assert_eq!(negotiate("gzip"), Some(Encoding::Gzip));
        assert_eq!(negotiate("GZIP;q=0.5"), Some(Encoding::Gzip));
        assert_eq!(negotiate("br;q=0, gzip"), Some(Encoding::Gzip));
        assert_eq!(negotiate("identity"), None);
        assert_eq!(negotiate("gzip;q=0"), None);
        assert_eq!(negotiate(""), None);
    }

    #[test]
    fn only_text_like_answers_and_never_files() {
        assert!(compressible("application/json"));
        assert!(compressible("text/html; charset=utf-8"));
        assert!(!compressible("image/png"));
        assert!(!compressible("application/octet-stream"));
        assert!(is_file_route("/api/v1/files/3/download"));
        assert!(is_file_route("/api/v1/files/3/thumbnail"));
        assert!(!is_file_route("/api/v1/files/3"));
    }
}
