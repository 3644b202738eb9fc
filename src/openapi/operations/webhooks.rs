//! Webhooks and their deliveries.

use super::op::{op, text, Op};
use crate::openapi::schemas::{array, boolean, nullable_integer, object, reference, string};

pub(super) fn webhooks() -> Vec<Op> {
    let webhook = reference("Webhook");
    let create = object(
        &[
            ("url", text(2048)),
            ("events", array(string())),
            ("secret", text(256)),
            ("room_id", nullable_integer()),
        ],
        2,
    );
    let update = object(
        &[
            ("url", text(2048)),
            ("events", array(string())),
            ("secret", text(256)),
            ("is_active", boolean()),
        ],
        0,
    );
    vec![
        op(
            "get",
            "/api/v1/webhooks",
            "webhooks",
            "The webhooks the caller manages",
        )
        .answers(200, object(&[("webhooks", array(webhook.clone()))], 1)),
        op("post", "/api/v1/webhooks", "webhooks", "Register a webhook")
            .body(create)
            .answers(201, webhook.clone()),
        op("get", "/api/v1/webhooks/{id}", "webhooks", "One webhook").answers(200, webhook.clone()),
        op(
            "put",
            "/api/v1/webhooks/{id}",
            "webhooks",
            "Change a webhook",
        )
        .body(update)
        .answers(200, webhook.clone()),
        op(
            "delete",
            "/api/v1/webhooks/{id}",
            "webhooks",
            "Delete a webhook",
        )
        .no_content(),
        op(
            "post",
            "/api/v1/webhooks/{id}/test",
            "webhooks",
            "Send webhook.test now",
        ),
        op(
            "post",
            "/api/v1/webhooks/{id}/rotate-secret",
            "webhooks",
            "A new secret, shown once",
        )
        .answers(200, webhook),
        op(
            "get",
            "/api/v1/webhooks/{id}/deliveries",
            "webhooks",
            "The delivery log",
        )
        .paged(),
    ]
}
