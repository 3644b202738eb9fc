//! Live streams.

use super::op::{nullable_text, op, text, Op};
use crate::openapi::schemas::{boolean, integer, list_of, nullable_integer, object, reference};

pub(super) fn streams() -> Vec<Op> {
    let stream = reference("Stream");
    let create = object(
        &[
            ("title", text(200)),
            ("description", nullable_text(2000)),
            ("playback_url", nullable_text(2048)),
            ("file_id", nullable_integer()),
        ],
        1,
    );
    let update = object(
        &[
            ("title", text(200)),
            ("description", nullable_text(2000)),
            ("playback_url", nullable_text(2048)),
            ("file_id", nullable_integer()),
        ],
        0,
    );
    vec![
        op("get", "/api/v1/streams", "streams", "Streams, live first")
            .query("live", boolean())
            .paged()
            .answers(200, list_of("streams", stream.clone())),
        op(
            "get",
            "/api/streams",
            "streams",
            "Streams (platform API: `id` is the uuid)",
        )
        .query("live", boolean())
        .paged(),
        op("post", "/api/v1/streams", "streams", "Announce a stream")
            .body(create)
            .answers(201, stream.clone()),
        op("get", "/api/v1/streams/{id}", "streams", "One stream").answers(200, stream.clone()),
        op("put", "/api/v1/streams/{id}", "streams", "Change a stream")
            .body(update)
            .answers(200, stream.clone()),
        op(
            "delete",
            "/api/v1/streams/{id}",
            "streams",
            "Delete a stream and its room",
        )
        .no_content(),
        op(
            "post",
            "/api/v1/streams/{id}/start",
            "streams",
            "Go live (owner)",
        )
        .answers(200, stream.clone()),
        op(
            "post",
            "/api/v1/streams/{id}/stop",
            "streams",
            "Stop (owner, admins)",
        )
        .answers(200, stream),
        op(
            "post",
            "/api/v1/streams/{id}/watch",
            "streams",
            "A viewer's heartbeat",
        )
        .answers(200, object(&[("viewer_count", integer())], 1)),
    ]
}
