//! The outbox: inside the transaction of a change, one delivery row per webhook
//! that listens for it, holding the exact body that will be signed and sent. Only
//! room and account events are delivered; direct conversations never are.

use serde_json::json;

use crate::error::ApiError;
use crate::event::Committed;
use crate::sql::Connection;
use crate::store::webhooks;
use crate::webhooks::{js_json, names};

/// Queues the deliveries `event` calls for; returns how many.
pub fn record(conn: &Connection, event: &Committed) -> Result<usize, ApiError> {
    let spec = event.event.spec();
    let (Some(name), Some(data)) = (spec.webhook, event.payload.as_deref()) else {
        return Ok(0);
    };
    // Room events go to the room's webhooks and the server-wide ones; account
    // events to the server-wide ones.
    let room_id = spec.place.and_then(|place| place.room_id());
    // A webhook whose creator lost the right to manage it hears nothing more
    // (`listening` switches it off).
    let listening = webhooks::listening(conn, room_id)?;
    let mut queued = 0;
    for (webhook_id, spelled) in listening
        .iter()
        .filter_map(|(id, list)| names::spelling(list, name).map(|s| (*id, s)))
    {
        let uuid = uuid::Uuid::new_v4().to_string();
        let body = body(spelled, webhook_id, &uuid, data);
        webhooks::insert_delivery(conn, &uuid, webhook_id, spelled, &body)?;
        queued += 1;
    }
    Ok(queued)
}

/// A delivery's body: `{"event", "timestamp", "webhook_id", "delivery_id", "data"}`,
/// written as JavaScript writes it back (see [`js_json`]); `data` is already so.
pub fn body(event: &str, webhook_id: i64, delivery_id: &str, data: &str) -> String {
    let head = json!({
        "event": event,
        "timestamp": crate::time::now_rfc3339(),
        "webhook_id": webhook_id,
        "delivery_id": delivery_id,
    });
    let head = js_json::to_string(&head);
    // `head` is an object: put `data` last, inside its braces.
    format!("{},\"data\":{data}}}", &head[..head.len() - 1])
}
