//! `GET /api/v1/limits`: the limits a client should know before it sends, so that
//! a composer can count and refuse early instead of losing text to a 400.

use rocket::{get, routes, Route, State};
use serde::Serialize;

use crate::app::App;
use crate::http::respond::{ok, Success};

pub fn routes() -> Vec<Route> {
    routes![limits]
}

#[derive(Serialize)]
pub struct Limits {
    /// A message's `content`, in characters after trimming.
    pub message_max_length: usize,
    /// One uploaded file, in bytes.
    pub upload_max_bytes: u64,
    /// Files one message may carry.
    pub max_attachments: usize,
    /// A message's `metadata`, in bytes of JSON.
    pub metadata_max_bytes: usize,
}

/// The server's limits on what clients send; public (a sign-in page may show them).
#[get("/limits")]
fn limits(app: &State<App>) -> Success<Limits> {
    ok(Limits {
        message_max_length: app.config.limits.message_max_length,
        upload_max_bytes: app.config.limits.upload_max_bytes,
        max_attachments: crate::validate::MAX_ATTACHMENTS,
        metadata_max_bytes: crate::validate::METADATA_MAX_BYTES,
    })
}
