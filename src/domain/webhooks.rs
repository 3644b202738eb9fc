//! Webhooks: registering, changing and removing them, their delivery log, and the
//! test button. A room's webhooks are its moderators' and owner's (and admins');
//! server-wide ones are admins'. To anyone else a webhook does not exist.

use std::sync::Arc;

use serde_json::json;

use crate::domain::{access, Actor, Context};
use crate::error::{ApiError, ApiResult, Missing};
use crate::event::{Event, Work};
use crate::policy;
use crate::sql::Connection;
use crate::store::webhooks::{self, Attempt, Changes, DeliveryView, Then, Webhook};
use crate::webhooks::send::{Delivery, Outcome};
use crate::webhooks::{names, outbox, sign, target};

/// Most webhooks per room, and server-wide.
pub const MAX_PER_PLACE: i64 = 20;
/// Most event names in one subscription list.
const MAX_EVENTS: usize = 20;
/// Length of a secret a client chooses.
const SECRET_LENGTH: std::ops::RangeInclusive<usize> = 8..=256;

/// A webhook as the client asked for it.
pub struct NewWebhook {
    pub url: String,
    pub events: Vec<String>,
    pub secret: Option<String>,
    pub room_id: Option<i64>,
}

/// What `actor` may do with webhooks of `room_id` (server-wide: `None`).
fn require_manager(c: &Connection, room_id: Option<i64>, actor: Actor) -> ApiResult<()> {
    let room = room_id.map(|id| access::room(c, id, actor)).transpose()?;
    policy::require_can_manage_webhooks(room.as_ref(), actor.is_admin)
}

/// A webhook `actor` manages; any other is not found.
fn managed(c: &Connection, id: i64, actor: Actor) -> ApiResult<Webhook> {
    let webhook = webhooks::get(c, id)?;
    require_manager(c, webhook.room_id, actor)
        .map_err(|_| ApiError::NotFound(Missing::Resource))?;
    Ok(webhook)
}

/// The URL, checked: a web URL whose host resolves to public addresses only
/// (unless private targets are allowed). Resolving is blocking: off the async threads.
async fn checked_url(cx: &Context, raw: &str) -> ApiResult<String> {
    let url = target::parse(raw).map_err(|why| ApiError::validation("url", why))?;
    let allow = cx.config.webhooks.allow_private_targets;
    let checked = url.clone();
    tokio::task::spawn_blocking(move || target::resolve(&checked, allow))
        .await
        .map_err(|e| ApiError::internal(format!("resolve task failed: {e}")))?
        .map_err(|why| ApiError::validation("url", why))?;
    Ok(url.to_string())
}

/// The subscription list: known names (aliases kept as given), each once.
fn checked_events(events: Vec<String>) -> ApiResult<Vec<String>> {
    if events.is_empty() {
        return Err(ApiError::validation("events", "list at least one event"));
    }
    if events.len() > MAX_EVENTS {
        return Err(ApiError::validation(
            "events",
            format!("at most {MAX_EVENTS} events"),
        ));
    }
    let mut unique = Vec::with_capacity(events.len());
    for name in events {
        let name = name.trim().to_owned();
        if names::canonical(&name).is_none() {
            return Err(ApiError::validation(
                "events",
                format!(
                    "unknown event `{}`; known: *, {}, and the aliases message_sent, \
                     chat.message, user_joined, user_left",
                    name.chars().take(64).collect::<String>(),
                    names::EVENTS.join(", ")
                ),
            ));
        }
        if !unique.contains(&name) {
            unique.push(name);
        }
    }
    Ok(unique)
}

fn checked_secret(secret: &str) -> ApiResult<String> {
    let length = secret.chars().count();
    if !SECRET_LENGTH.contains(&length) {
        return Err(ApiError::length(
            "secret",
            *SECRET_LENGTH.start(),
            *SECRET_LENGTH.end(),
            length,
        ));
    }
    if secret.chars().any(char::is_control) {
        return Err(ApiError::validation(
            "secret",
            "must not contain control characters",
        ));
    }
    Ok(secret.to_owned())
}

fn generated_secret() -> ApiResult<String> {
    sign::new_secret().map_err(|e| ApiError::internal(format!("no randomness: {e}")))
}

/// Registers a webhook; the answer shows its secret, this once.
pub async fn create(cx: &Context, actor: Actor, new: NewWebhook) -> ApiResult<Webhook> {
    let events = checked_events(new.events)?;
    let secret = match new.secret.as_deref() {
        Some(s) => checked_secret(s)?,
        None => generated_secret()?,
    };
    let room_id = new.room_id;
    // Who may, before any DNS lookup is spent on the URL.
    cx.db
        .read(move |c| require_manager(c, room_id, actor))
        .await?;
    let url = checked_url(cx, &new.url).await?;
    let stored = secret.clone();
    let id = cx
        .journal
        .apply(move |c| {
            require_manager(c, room_id, actor)?;
            if webhooks::count_in(c, room_id)? >= MAX_PER_PLACE {
                return Err(ApiError::StateConflict(
                    "this room has as many webhooks as it may",
                ));
            }
            Ok(webhooks::insert(
                c, &url, &events, &stored, room_id, actor.id,
            )?)
        })
        .await?;
    let mut webhook = cx.db.read(move |c| webhooks::get(c, id)).await?;
    webhook.secret = Some(secret);
    Ok(webhook)
}

/// The webhooks `actor` manages, newest first.
pub async fn list(cx: &Context, actor: Actor) -> ApiResult<Vec<Webhook>> {
    Ok(cx
        .db
        .read(move |c| webhooks::managed_by(c, actor.id, actor.is_admin))
        .await?)
}

pub async fn get(cx: &Context, actor: Actor, id: i64) -> ApiResult<Webhook> {
    cx.db.read(move |c| managed(c, id, actor)).await
}

/// What a client may change of a webhook.
#[derive(Default)]
pub struct Update {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    pub secret: Option<String>,
    pub is_active: Option<bool>,
}

/// Changes a webhook. Switching it back on clears why it was switched off, and
/// makes the one who did it its creator: it delivers while they may manage it.
pub async fn update(cx: &Context, actor: Actor, id: i64, update: Update) -> ApiResult<Webhook> {
    cx.db.read(move |c| managed(c, id, actor)).await?;
    let changes = Changes {
        url: match update.url {
            Some(url) => Some(checked_url(cx, &url).await?),
            None => None,
        },
        events: update.events.map(checked_events).transpose()?,
        secret: update.secret.as_deref().map(checked_secret).transpose()?,
        is_active: update.is_active,
        switched_on_by: actor.id,
    };
    cx.journal
        .write(None, move |c, events| {
            managed(c, id, actor)?;
            if changes.is_active == Some(true) {
                // Deliveries held while it was off may go now.
                events.push(Event::Queued(Work::WebhookDeliveries));
            }
            Ok(webhooks::update(c, id, &changes)?)
        })
        .await?;
    Ok(cx.db.read(move |c| webhooks::get(c, id)).await?)
}

/// A new secret for a webhook, shown this once.
pub async fn rotate_secret(cx: &Context, actor: Actor, id: i64) -> ApiResult<Webhook> {
    let secret = generated_secret()?;
    let stored = secret.clone();
    cx.journal
        .apply(move |c| {
            managed(c, id, actor)?;
            Ok(webhooks::update(
                c,
                id,
                &Changes {
                    secret: Some(stored),
                    ..Changes::default()
                },
            )?)
        })
        .await?;
    let mut webhook = cx.db.read(move |c| webhooks::get(c, id)).await?;
    webhook.secret = Some(secret);
    Ok(webhook)
}

/// Removes a webhook with its delivery log (pending deliveries are dropped).
pub async fn delete(cx: &Context, actor: Actor, id: i64) -> ApiResult<()> {
    cx.journal
        .apply(move |c| {
            managed(c, id, actor)?;
            Ok(webhooks::delete(c, id)?)
        })
        .await
}

/// A webhook's deliveries, newest first, each with its attempts.
pub async fn deliveries(
    cx: &Context,
    actor: Actor,
    id: i64,
    limit: u32,
    offset: u64,
) -> ApiResult<(Vec<DeliveryView>, u64)> {
    cx.db
        .read(move |c| -> ApiResult<_> {
            managed(c, id, actor)?;
            Ok(webhooks::deliveries(c, id, limit, offset)?)
        })
        .await
}

/// What the test button shows.
#[derive(Debug, serde::Serialize)]
pub struct TestResult {
    pub delivery_id: String,
    pub success: bool,
    pub status_code: Option<u16>,
    pub duration_ms: u64,
    pub error: Option<String>,
}

/// Sends a `webhook.test` event now, records it in the delivery log, and tells how
/// it went. Sent even to a switched-off webhook: that is how one checks a fix.
pub async fn test(cx: &Context, actor: Actor, id: i64) -> ApiResult<TestResult> {
    let webhook = cx.db.read(move |c| managed(c, id, actor)).await?;
    let uuid = uuid::Uuid::new_v4().to_string();
    let data = json!({
        "webhook_id": webhook.id,
        "room_id": webhook.room_id,
        "message": "This is a test delivery from Veza.",
        "user_id": actor.id,
    });
    let data = crate::webhooks::js_json::to_string(&data);
    let body = outbox::body("webhook.test", webhook.id, &uuid, &data);
    let sender = Arc::clone(&cx.webhook_sender);
    let (url, secret, id_sent, body_sent) = (
        webhook.url.clone(),
        webhook.stored_secret.clone(),
        uuid.clone(),
        body.clone(),
    );
    let outcome: Outcome = tokio::task::spawn_blocking(move || {
        sender.send(&Delivery {
            url: &url,
            secret: &secret,
            id: &id_sent,
            event: "webhook.test",
            body: &body_sent,
        })
    })
    .await
    .map_err(|e| ApiError::internal(format!("delivery task failed: {e}")))?;
    let recorded = outcome.clone();
    let delivery_uuid = uuid.clone();
    cx.journal
        .apply(move |c| {
            let delivery = webhooks::insert_delivery(c, &delivery_uuid, id, "webhook.test", &body)?;
            let then = if recorded.succeeded() {
                Then::Delivered
            } else {
                Then::Failed
            };
            let attempt = Attempt {
                status_code: recorded.status,
                duration_ms: recorded.duration_ms,
                error: recorded.error.as_deref(),
            };
            Ok(webhooks::record_attempt(c, delivery, id, &attempt, &then)?)
        })
        .await?;
    Ok(TestResult {
        delivery_id: uuid,
        success: outcome.succeeded(),
        status_code: outcome.status,
        duration_ms: outcome.duration_ms,
        error: outcome.error,
    })
}
