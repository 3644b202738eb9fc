//! Serving stored bytes: `Range` (one range, 206; 416 when nothing of the file is
//! asked for), `ETag` from the content's SHA-256 with `If-None-Match` (304) and
//! `If-Range`, `Accept-Ranges`, and a `Content-Length` on every answer. The headers
//! keep a download from ever running as a page: `nosniff`, `Content-Security-Policy:
//! sandbox`, and `attachment` for everything but safe raster images.

use std::io::{self, SeekFrom};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use rocket::http::{Header, Status};
use rocket::request::{FromRequest, Outcome, Request};
use rocket::response::{self, Responder, Response};
use tokio::fs::File;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncSeek, AsyncSeekExt, ReadBuf, Take};

use crate::error::ApiError;

/// Bytes read from the file and handed to the connection at a time.
const CHUNK_BYTES: usize = 256 * 1024;

/// The conditional and range headers of a download request.
pub struct DownloadRequest {
    range: Option<String>,
    if_range: Option<String>,
    if_none_match: Option<String>,
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for DownloadRequest {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        let header = |name| req.headers().get_one(name).map(str::to_owned);
        Outcome::Success(DownloadRequest {
            range: header("Range"),
            if_range: header("If-Range"),
            if_none_match: header("If-None-Match"),
        })
    }
}

/// What to serve: a file's bytes and how to present them.
pub struct Served {
    pub path: std::path::PathBuf,
    pub size: u64,
    /// The entity tag's value, without quotes.
    pub tag: String,
    pub content_type: String,
    pub disposition: String,
}

/// A download's answer: bytes (all or one range), or "not modified".
pub enum Download {
    NotModified {
        etag: String,
    },
    Bytes {
        body: Box<Window>,
        range: Option<(u64, u64)>,
        size: u64,
        etag: String,
        content_type: String,
        disposition: String,
    },
}

impl Download {
    /// Opens what `served` names for `request`: a 304 when the client holds it, the
    /// range asked for when it is satisfiable and still current.
    pub async fn open(served: Served, request: &DownloadRequest) -> Result<Download, ApiError> {
        let etag = format!("\"{}\"", served.tag);
        if request
            .if_none_match
            .as_deref()
            .is_some_and(|tags| matches_any(tags, &etag))
        {
            return Ok(Download::NotModified { etag });
        }
        let current = request
            .if_range
            .as_deref()
            .is_none_or(|tag| tag.trim() == etag);
        let range = match request.range.as_deref().filter(|_| current) {
            Some(header) => byte_range(header, served.size)?,
            None => None,
        };
        let mut file = File::open(&served.path).await.map_err(|e| {
            ApiError::internal(format!("cannot open {}: {e}", served.path.display()))
        })?;
        let (start, len) = match range {
            Some((first, last)) => (first, last - first + 1),
            None => (0, served.size),
        };
        file.seek(SeekFrom::Start(start))
            .await
            .map_err(|e| ApiError::internal(format!("cannot seek: {e}")))?;
        Ok(Download::Bytes {
            body: Box::new(Window {
                inner: file.take(len),
                base: start,
                len,
                seeking_to: None,
            }),
            range,
            size: served.size,
            etag,
            content_type: served.content_type,
            disposition: served.disposition,
        })
    }
}

/// Whether an `If-None-Match` list names `etag` (weak comparison, as RFC 9110 asks).
fn matches_any(tags: &str, etag: &str) -> bool {
    let bare = etag.trim_start_matches("W/");
    tags.split(',')
        .map(|t| t.trim())
        .any(|t| t == "*" || t.trim_start_matches("W/") == bare)
}

/// The byte range (first, last; inclusive) of a `Range` header over `size` bytes.
/// `None` means "serve it all": no bytes unit, several ranges, or a header that
/// does not parse are ignored, as RFC 9110 allows. A range that starts past the
/// end is 416.
pub fn byte_range(header: &str, size: u64) -> Result<Option<(u64, u64)>, ApiError> {
    let Some(spec) = header.trim().strip_prefix("bytes=") else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return Ok(None);
    };
    let number = |s: &str| -> Option<u64> {
        let s = s.trim();
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok())?
    };
    let unsatisfiable = ApiError::RangeNotSatisfiable { size };
    match (first.trim().is_empty(), number(first), number(last)) {
        // `-n`: the last n bytes.
        (true, _, Some(n)) => {
            if n == 0 || size == 0 {
                return Err(unsatisfiable);
            }
            Ok(Some((size.saturating_sub(n), size - 1)))
        }
        // `a-` and `a-b`.
        (false, Some(a), last) => {
            if !last_parses(last, spec) {
                return Ok(None);
            }
            if let Some(b) = last {
                if b < a {
                    return Ok(None);
                }
            }
            if a >= size {
                return Err(unsatisfiable);
            }
            Ok(Some((a, last.map_or(size - 1, |b| b.min(size - 1)))))
        }
        _ => Ok(None),
    }
}

/// After `a-`, the last position is either absent or a number.
fn last_parses(last: Option<u64>, spec: &str) -> bool {
    last.is_some() || spec.trim().ends_with('-')
}

impl<'r> Responder<'r, 'static> for Download {
    fn respond_to(self, _: &'r Request<'_>) -> response::Result<'static> {
        match self {
            Download::NotModified { etag } => Response::build()
                .status(Status::NotModified)
                .header(Header::new("ETag", etag))
                .header(Header::new("Cache-Control", "private, no-cache"))
                .ok(),
            Download::Bytes {
                body,
                range,
                size,
                etag,
                content_type,
                disposition,
            } => {
                let mut response = Response::build();
                response
                    .header(Header::new("Content-Type", content_type))
                    .header(Header::new("Content-Disposition", disposition))
                    .header(Header::new("ETag", etag))
                    .header(Header::new("Accept-Ranges", "bytes"))
                    .header(Header::new("X-Content-Type-Options", "nosniff"))
                    .header(Header::new("Content-Security-Policy", "sandbox"))
                    // Private data: only the browser's own cache, and revalidated.
                    .header(Header::new("Cache-Control", "private, no-cache"));
                if let Some((first, last)) = range {
                    response.status(Status::PartialContent).header(Header::new(
                        "Content-Range",
                        format!("bytes {first}-{last}/{size}"),
                    ));
                }
                let len = usize::try_from(body.len).unwrap_or(usize::MAX);
                // Rocket's server sets it from the sized body too; set here, every
                // layer (tests, HEAD answers) sees the same length.
                response.header(Header::new("Content-Length", len.to_string()));
                // Rocket's default 4 KiB chunks would cost a write each.
                response
                    .sized_body(len, *body)
                    .max_chunk_size(CHUNK_BYTES)
                    .ok()
            }
        }
    }
}

/// A window of a file: reads stop at its end; seeks are relative to its start.
pub struct Window {
    inner: Take<File>,
    base: u64,
    len: u64,
    seeking_to: Option<u64>,
}

impl AsyncRead for Window {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncSeek for Window {
    fn start_seek(mut self: Pin<&mut Self>, position: SeekFrom) -> io::Result<()> {
        let here = self.len - self.inner.limit();
        let target = match position {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => here.checked_add_signed(d),
        }
        .filter(|t| *t <= self.len)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek outside the window"))?;
        self.seeking_to = Some(target);
        let absolute = self.base + target;
        Pin::new(self.inner.get_mut()).start_seek(SeekFrom::Start(absolute))
    }

    fn poll_complete(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        ready!(Pin::new(self.inner.get_mut()).poll_complete(cx))?;
        if let Some(target) = self.seeking_to.take() {
            let remaining = self.len - target;
            self.inner.set_limit(remaining);
        }
        Poll::Ready(Ok(self.len - self.inner.limit()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(header: &str, size: u64) -> Option<(u64, u64)> {
        byte_range(header, size).expect("satisfiable")
    }

    #[test]
    fn ranges_as_rfc_9110_reads_them() {
        assert_eq!(range("bytes=0-99", 1000), Some((0, 99)));
        assert_eq!(range("bytes=900-", 1000), Some((900, 999)));
        assert_eq!(range("bytes=-100", 1000), Some((900, 999)));
        assert_eq!(range("bytes=-5000", 1000), Some((0, 999)));
        assert_eq!(range("bytes=990-5000", 1000), Some((990, 999)));
        assert_eq!(range("bytes=999-999", 1000), Some((999, 999)));
    }

    #[test]
    fn what_cannot_be_read_is_ignored() {
        for header in [
            "bytes=5-1",
            "bytes=a-b",
            "bytes=1-2-3",
            "bytes=0-1,5-9",
            "items=0-1",
            "bytes=",
            "bytes=-",
            "bytes=+1-2",
            "bytes=1-+2",
        ] {
            assert_eq!(range(header, 1000), None, "{header}");
        }
    }

    #[test]
    fn ranges_past_the_end_are_unsatisfiable() {
        for (header, size) in [
            ("bytes=1000-", 1000),
            ("bytes=5000-6000", 1000),
            ("bytes=-0", 1000),
            ("bytes=0-", 0),
            ("bytes=-1", 0),
        ] {
            assert!(
                matches!(
                    byte_range(header, size),
                    Err(ApiError::RangeNotSatisfiable { .. })
                ),
                "{header} over {size}"
            );
        }
    }

    #[test]
    fn if_none_match_lists() {
        assert!(matches_any("\"abc\"", "\"abc\""));
        assert!(matches_any("W/\"abc\", \"x\"", "\"abc\""));
        assert!(matches_any("*", "\"abc\""));
        assert!(!matches_any("\"abd\"", "\"abc\""));
    }
}
