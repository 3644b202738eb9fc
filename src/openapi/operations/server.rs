//! The server itself: health, metrics, real time, this document.

use super::op::{op, Op};
use crate::openapi::schemas::{boolean, integer, object, string};

pub(super) fn operations() -> Vec<Op> {
    vec![
        op(
            "get",
            "/health",
            "operations",
            "Liveness: the database answers",
        )
        .public()
        .raw(200, "application/json"),
        op(
            "get",
            "/api/v1/ping",
            "operations",
            "Liveness without the database",
        )
        .public()
        .answers(200, object(&[("pong", boolean())], 1)),
        op(
            "get",
            "/api/v1/limits",
            "operations",
            "What clients may send: message length, upload size, attachments, metadata",
        )
        .public()
        .answers(
            200,
            object(
                &[
                    ("message_max_length", integer()),
                    ("upload_max_bytes", integer()),
                    ("max_attachments", integer()),
                    ("metadata_max_bytes", integer()),
                ],
                4,
            ),
        ),
        op(
            "get",
            "/metrics",
            "operations",
            "Prometheus metrics, with the metrics token",
        )
        .public()
        .raw(200, "text/plain"),
        op(
            "get",
            "/api/v1/ws",
            "real time",
            "The WebSocket (docs/REALTIME.md); ?token= accepted",
        )
        .query("token", string())
        .raw(101, "application/json"),
        op("get", "/api/v1/openapi.json", "operations", "This document")
            .public()
            .raw(200, "application/json"),
        op("get", "/docs", "operations", "This document, rendered")
            .public()
            .raw(200, "text/html"),
        op(
            "get",
            "/docs/viewer.js",
            "operations",
            "The viewer's script",
        )
        .public()
        .raw(200, "text/javascript"),
        op(
            "get",
            "/docs/viewer.css",
            "operations",
            "The viewer's style sheet",
        )
        .public()
        .raw(200, "text/css"),
    ]
}
