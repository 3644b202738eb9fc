//! Files: uploads, downloads, thumbnails.

use serde_json::json;

use super::op::{op, Op};
use crate::openapi::schemas::{integer, list_of, object, reference, string};

pub(super) fn files() -> Vec<Op> {
    let file = reference("File");
    let upload = json!({"multipart": object(
        &[
            ("file", json!({"type": "string", "contentMediaType": "application/octet-stream"})),
            ("room_id", integer()),
            ("conversation_id", integer()),
            ("description", string()),
        ],
        1,
    )});
    vec![
        op(
            "post",
            "/api/v1/files/upload",
            "files",
            "Upload a file (multipart, streamed)",
        )
        .body(upload)
        .answers(201, file.clone()),
        op("get", "/api/v1/files/{id}", "files", "A file's metadata").answers(200, file.clone()),
        op(
            "delete",
            "/api/v1/files/{id}",
            "files",
            "Delete a file and its bytes",
        )
        .no_content(),
        op(
            "get",
            "/api/v1/files/{id}/download",
            "files",
            "The bytes (Range, ETag); ?token= accepted",
        )
        .query("token", string())
        .raw(200, "*/*")
        .also(
            206,
            json!({"description": "the requested range", "content": {"*/*": {"schema": {}}}}),
        )
        .also(304, json!({"description": "not modified (If-None-Match)"})),
        op(
            "get",
            "/api/v1/files/{id}/thumbnail",
            "files",
            "A PNG thumbnail; ?token= accepted",
        )
        .query("token", string())
        .raw(200, "image/*"),
        op("get", "/api/v1/rooms/{id}/files", "files", "A room's files")
            .paged()
            .answers(200, list_of("files", file)),
    ]
}
