//! Decides who is pushed about each new message, after it is committed.
//!
//! The journal rings the planner for every message; the planner reads the
//! messages after the last one it planned (a cursor kept in the database, so a
//! restart resumes where it stopped and a burst is read in batches), asks
//! `policy::should_push` for everyone who could be told, and queues the pushes
//! together with the cursor's move in one write. A send never waits for any of
//! this. Messages older than [`STALE_SECS`] when the planner reaches them (the
//! server was down) are passed over: a notification that late is noise.

use std::collections::HashMap;
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
const BATCH: u32 = 256;
/// How long the planner lets new messages gather after a wake-up: a burst is
/// planned together (one write per browser, not per message and browser).
const GATHER: Duration = Duration::from_millis(100);
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

/// A push decided: to which browser, about which message of the batch, why.
struct Decision {
    subscription_id: i64,
    /// The message's index in the batch.
    message: usize,
    reason: Reason,
    /// A more urgent push of the same tag was collapsed into this one.
    urgent: bool,
}

/// A push to queue.
struct Planned {
    subscription_id: i64,
    message_id: i64,
    tag: String,
    urgency: &'static str,
    payload: Arc<str>,
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
                _ = self.messages.notified() => tokio::time::sleep(GATHER).await,
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
                // Everyone who could hear a plain message (no mention, not a
                // reply) depends only on its place and author: read once.
                let mut plain: HashMap<(Container, i64), Arc<[Reachable]>> = HashMap::new();
                for message in sent {
                    let reachable: Arc<[Reachable]> = if message.deleted
                        || message.created_at < stale_before
                    {
                        Arc::new([])
                    } else if message.parent_id.is_none() && !push::has_mentions(c, message.id)? {
                        match plain.get(&(message.place, message.author_id)) {
                            Some(known) => known.clone(),
                            None => {
                                let read: Arc<[Reachable]> = push::reachable(c, &message)?.into();
                                plain.insert((message.place, message.author_id), read.clone());
                                read
                            }
                        }
                    } else {
                        push::reachable(c, &message)?.into()
                    };
                    batch.push((message, reachable));
                }
                Ok::<_, ApiError>((after, batch))
            })
            .await?;
        let (after, batch) = batch;
        let Some(last) = batch.last().map(|(message, _)| message.id) else {
            return Ok(false);
        };
        let now = time::now_rfc3339();
        let decisions = batch
            .iter()
            .enumerate()
            .flat_map(|(i, (message, reachable))| self.decide(i, message, reachable, &now));
        let planned = payloads(&batch, collapse(&batch, decisions));
        let full = batch.len() == BATCH as usize;
        let any = !planned.is_empty();
        let queued = self
            .journal
            .apply(move |c| {
                // Another node's planner may have planned these meanwhile
                // (several nodes): then they are its to queue.
                if push::planned_up_to(c)? != after {
                    return Ok(false);
                }
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
                Ok(true)
            })
            .await?;
        if !queued {
            return Ok(true);
        }
        if any {
            self.queued.notify_one();
        }
        Ok(full)
    }

    /// Who of `reachable` is pushed about `message` (the batch's `index`th).
    fn decide(
        &self,
        index: usize,
        message: &Sent,
        reachable: &[Reachable],
        now: &str,
    ) -> Vec<Decision> {
        let mut decided = Vec::new();
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
            if policy::should_push(&candidate) {
                decided.push(Decision {
                    subscription_id: target.subscription_id,
                    message: index,
                    reason,
                    urgent: false,
                });
            }
        }
        decided
    }
}

/// One push per subscription and tag: of a batch's messages in one room, each
/// browser is sent the latest (as the queue would collapse them), keeping the
/// urgency of the most urgent. A burst costs one write per browser, not one per
/// message and browser.
fn collapse(
    batch: &[(Sent, Arc<[Reachable]>)],
    decisions: impl Iterator<Item = Decision>,
) -> Vec<Decision> {
    let mut latest: HashMap<(i64, Container), Decision> = HashMap::new();
    for mut decision in decisions {
        let key = (decision.subscription_id, batch[decision.message].0.place);
        if let Some(earlier) = latest.get(&key) {
            decision.urgent |= earlier.urgent || earlier.reason.urgency() == "high";
        }
        latest.insert(key, decision);
    }
    latest.into_values().collect()
}

/// The pushes of the decisions, each payload made once per message and reason.
fn payloads(batch: &[(Sent, Arc<[Reachable]>)], decisions: Vec<Decision>) -> Vec<Planned> {
    let mut made: HashMap<(usize, Reason), Arc<str>> = HashMap::new();
    let mut planned: Vec<Planned> = decisions
        .into_iter()
        .map(|decision| {
            let message = &batch[decision.message].0;
            let payload = made
                .entry((decision.message, decision.reason))
                .or_insert_with(|| notification(message, decision.reason).to_json().into())
                .clone();
            let urgency = match decision.urgent {
                true => "high",
                false => decision.reason.urgency(),
            };
            Planned {
                subscription_id: decision.subscription_id,
                message_id: message.id,
                tag: payload::tag(message.place.room_id(), message.place.conversation_id()),
                urgency,
                payload,
            }
        })
        .collect();
    planned.sort_by_key(|p| (p.message_id, p.subscription_id));
    planned
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
