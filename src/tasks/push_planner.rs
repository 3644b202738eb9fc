//! Decides who is pushed about each new message, after it is committed.
//!
//! The journal rings the planner for every message; the planner reads the
//! messages after the last one it planned (a cursor kept in the database, so a
//! restart resumes where it stopped and a burst is read in batches), asks
//! `policy::should_push` for everyone who could be told, and queues the pushes
//! together with the cursor's move in one write. A send never waits for any of
//! this. Messages older than [`STALE_SECS`] when the planner reaches them (the
//! server was down) are passed over: a notification that late is noise.

use std::sync::Arc;
use std::time::Duration;

use rocket::Shutdown;
use tokio::sync::Notify;

use crate::config::PushConfig;
use crate::error::ApiError;
use crate::journal::Journal;
use crate::policy::{self, NotificationLevel, PushCandidate};
use crate::push::payload::{self, Notification, Reason};
use crate::realtime::Hub;
use crate::store::messages::Container;
use crate::store::push::{self, Reachable, Sent};
use crate::time;

/// A connection that said "visible" this recently means its user is reading.
pub const READING_WINDOW: Duration = Duration::from_secs(60);
/// Messages read per batch.
const BATCH: u32 = 64;
/// Messages older than this are not pushed.
const STALE_SECS: u64 = 600;

pub struct Planner {
    pub journal: Journal,
    pub hub: Arc<Hub>,
    /// Rung by the journal when a message is committed.
    pub messages: Arc<Notify>,
    /// Rung for the delivery worker when pushes are queued.
    pub queued: Arc<Notify>,
    pub config: PushConfig,
}

/// A push to queue, decided.
struct Planned {
    subscription_id: i64,
    message_id: i64,
    tag: String,
    urgency: &'static str,
    payload: String,
}

impl Planner {
    pub async fn run(self, shutdown: Shutdown) {
        tokio::pin!(shutdown);
        loop {
            loop {
                match self.plan_batch().await {
                    Ok(true) => continue,
                    Ok(false) => break,
                    Err(e) => {
                        log::warn!("push planning: {e:?}");
                        break;
                    }
                }
            }
            tokio::select! {
                _ = &mut shutdown => break,
                _ = self.messages.notified() => {}
                _ = tokio::time::sleep(Duration::from_secs(60)) => {}
            }
        }
    }

    /// Plans the next batch of messages; `true` when there may be more.
    async fn plan_batch(&self) -> Result<bool, ApiError> {
        let stale_before = time::ago_secs(STALE_SECS);
        let batch = self
            .journal
            .db()
            .read(move |c| {
                let after = push::planned_up_to(c)?;
                let sent = push::sent_after(c, after, BATCH)?;
                let mut batch = Vec::with_capacity(sent.len());
                for message in sent {
                    let reachable = if message.deleted || message.created_at < stale_before {
                        Vec::new()
                    } else {
                        push::reachable(c, &message)?
                    };
                    batch.push((message, reachable));
                }
                Ok::<_, ApiError>(batch)
            })
            .await?;
        let Some(last) = batch.last().map(|(message, _)| message.id) else {
            return Ok(false);
        };
        let now = time::now_rfc3339();
        let planned = collapse(
            batch
                .iter()
                .flat_map(|(message, reachable)| self.plan(message, reachable, &now)),
        );
        let full = batch.len() == BATCH as usize;
        let any = !planned.is_empty();
        self.journal
            .apply(move |c| {
                for push in &planned {
                    push::queue(
                        c,
                        &push::Queued {
                            subscription_id: push.subscription_id,
                            message_id: push.message_id,
                            tag: &push.tag,
                            urgency: push.urgency,
                            payload: &push.payload,
                        },
                    )?;
                }
                push::set_planned_up_to(c, last)?;
                Ok(())
            })
            .await?;
        if any {
            self.queued.notify_one();
        }
        Ok(full)
    }

    /// The pushes one message calls for.
    fn plan(&self, message: &Sent, reachable: &[Reachable], now: &str) -> Vec<Planned> {
        let mut planned = Vec::new();
        // One payload per reason (the JSON differs only by its `type`).
        let mut payloads: Vec<(Reason, String)> = Vec::new();
        for target in reachable {
            let reason = reason(message, target);
            let silenced =
                later_than(&target.dnd_until, now) || later_than(&target.muted_until, now);
            let level = match target.room_level.as_str() {
                "default" => target.default_level,
                other => NotificationLevel::parse(other).unwrap_or(target.default_level),
            };
            let candidate = PushCandidate {
                reason,
                level,
                can_read: target.member || target.room_public,
                blocked_author: target.blocked_author,
                silenced,
                reading: self.hub.is_reading(target.user_id, READING_WINDOW),
            };
            if !policy::should_push(&candidate) {
                continue;
            }
            let payload = match payloads.iter().find(|(r, _)| *r == reason) {
                Some((_, json)) => json.clone(),
                None => {
                    let json = notification(message, reason).to_json();
                    payloads.push((reason, json.clone()));
                    json
                }
            };
            planned.push(Planned {
                subscription_id: target.subscription_id,
                message_id: message.id,
                tag: payload::tag(message.place.room_id(), message.place.conversation_id()),
                urgency: reason.urgency(),
                payload,
            });
        }
        planned
    }
}

/// One push per subscription and tag: of a batch's messages in one room, each
/// browser is sent the latest (as the queue would collapse them), the most
/// urgent reason's urgency kept. A burst of messages costs one write per
/// browser, not one per message and browser.
fn collapse(planned: impl Iterator<Item = Planned>) -> Vec<Planned> {
    let mut latest: std::collections::HashMap<(i64, String), Planned> =
        std::collections::HashMap::new();
    for push in planned {
        let key = (push.subscription_id, push.tag.clone());
        let urgent = latest.get(&key).is_some_and(|p| p.urgency == "high");
        let mut push = push;
        if urgent {
            push.urgency = "high";
        }
        latest.insert(key, push);
    }
    let mut pushes: Vec<Planned> = latest.into_values().collect();
    pushes.sort_by_key(|p| p.message_id);
    pushes
}

/// Why `target` would be told of `message`.
fn reason(message: &Sent, target: &Reachable) -> Reason {
    if matches!(message.place, Container::Conversation(_)) {
        Reason::Direct
    } else if target.mentioned {
        Reason::Mention
    } else if message.parent_author_id == Some(target.user_id) {
        Reason::Reply
    } else {
        Reason::Message
    }
}

/// Whether the stored timestamp `until` is set and after `now`.
fn later_than(until: &Option<String>, now: &str) -> bool {
    until.as_deref().is_some_and(|until| until > now)
}

/// The notification of `message`, as its recipients see it.
fn notification(message: &Sent, reason: Reason) -> Notification {
    let text = payload::plain_text(&message.content);
    let body = match (text.is_empty(), message.attachments) {
        (false, _) => text,
        (true, 1) => "sent a file".to_owned(),
        (true, n) if n > 1 => format!("sent {n} files"),
        (true, _) => String::new(),
    };
    // The page opens at the message (a reply: at its thread's first message).
    let at = message.parent_id.unwrap_or(message.id);
    let (title, url) = match message.place {
        Container::Room(id) => {
            let room = message.room_name.as_deref().unwrap_or("a room");
            let title = match reason {
                Reason::Reply => format!("{} replied in #{room}", message.author),
                _ => format!("{} in #{room}", message.author),
            };
            (title, format!("/rooms/{id}?at={at}"))
        }
        Container::Conversation(id) => (message.author.clone(), format!("/dm/{id}?at={at}")),
    };
    Notification {
        reason,
        title,
        body,
        url,
        tag: payload::tag(message.place.room_id(), message.place.conversation_id()),
        room_id: message.place.room_id(),
        conversation_id: message.place.conversation_id(),
        message_id: message.id,
    }
}
