//! The OpenAPI 3.1 description of the API (API.md §13), built from the list of
//! operations in `operations.rs`, served at `GET /api/v1/openapi.json` and
//! rendered at `/docs` by a small viewer served by Veza itself.

mod operations;
mod schemas;

use std::sync::LazyLock;

use serde_json::{json, Map, Value};

pub use operations::{all as operations, Op};

/// The document, built once.
pub static DOCUMENT: LazyLock<String> = LazyLock::new(|| document().to_string());

/// The whole document.
pub fn document() -> Value {
    let mut paths: Map<String, Value> = Map::new();
    for op in operations::all() {
        let item = paths.entry(op.path.clone()).or_insert_with(|| json!({}));
        item[op.method] = op.to_json();
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Veza",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "A self-hosted team chat server. Every answer is \
                `{\"success\": true, \"data\": …}` or the error envelope; every \
                answer carries `X-Request-Id`. Lists take `limit` (at most 100), \
                `offset` or `page`. Answers come in gzip or br when `Accept-Encoding` \
                asks; a request body may be sent with `Content-Encoding: gzip` (any \
                other encoding is 415). Real time: `GET /api/v1/ws` (see docs/REALTIME.md).",
            "license": {"name": "see the repository"},
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
            },
            "schemas": schemas::all(),
        },
    })
}
