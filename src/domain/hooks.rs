//! Incoming webhooks (API §20): a room's moderators make a secret URL; a POST
//! to it in Slack's shape (or `{"content"}`) writes a message in the room as
//! the hook's own account, through the same path as any send (so the
//! WebSocket, outgoing webhooks and pushes see it like any message).

use serde::Serialize;
use serde_json::{json, Value};

use crate::domain::messages::{self, SendRequest, Sent};
use crate::domain::{access, Actor, Context};
use crate::error::{ApiError, ApiResult};
use crate::event::Event;
use crate::import::markup;
use crate::limiter::WindowCounter;
use crate::policy::RoomRole;
use crate::store::incoming_webhooks::{self, IncomingWebhook};
use crate::store::members;
use crate::store::messages::Container;
use crate::store::users::{self, NewMachine};
use crate::{tokens, validate};

/// Random bytes in a hook's secret (192 bits).
const SECRET_BYTES: usize = 24;
/// Hooks one room may have.
const MAX_PER_ROOM: usize = 20;
/// Messages one hook may post per minute (the limiter's window).
pub const POSTS_PER_MINUTE: u32 = 60;

/// A new (or re-keyed) hook and its URL, shown this once.
#[derive(Serialize)]
pub struct Created {
    #[serde(flatten)]
    pub hook: IncomingWebhook,
    pub url: String,
}

/// What a hook's POST asks for, in Slack's words or Veza's.
#[derive(Default)]
pub struct HookPost {
    pub text: Option<String>,
    pub content: Option<String>,
    /// Shown as a label beside the hook's name.
    pub username: Option<String>,
    pub icon_url: Option<String>,
    /// Slack's legacy attachments: their texts are folded into the message.
    pub attachments: Vec<Value>,
}

fn url(cx: &Context, secret: &str) -> String {
    format!("{}/hooks/{secret}", cx.config.public_base())
}

/// A username for the hook's account from its name: lowercase letters and
/// digits, then a random suffix (names need not be unique; usernames must).
fn username_for(name: &str) -> ApiResult<String> {
    let mut slug: String = name
        .chars()
        .filter_map(|c| match c {
            'a'..='z' | '0'..='9' => Some(c),
            'A'..='Z' => Some(c.to_ascii_lowercase()),
            ' ' | '-' | '_' | '.' => Some('-'),
            _ => None,
        })
        .collect();
    slug.truncate(20);
    let slug = slug.trim_matches('-');
    let slug = if slug.is_empty() { "hook" } else { slug };
    Ok(format!("{slug}-{}", tokens::random_hex(3)?))
}

pub async fn create(cx: &Context, actor: Actor, room_id: i64, name: &str) -> ApiResult<Created> {
    let name = validate::label("name", Some(name), 64)?
        .ok_or_else(|| ApiError::validation("name", "must not be empty"))?;
    let secret = tokens::random_hex(SECRET_BYTES)?;
    let digest = tokens::digest(&secret);
    let username = username_for(&name)?;
    let hook = cx
        .journal
        .write(None, move |c, events| {
            access::room(c, room_id, actor)?.require_moderator()?;
            if incoming_webhooks::in_room(c, room_id)?.len() >= MAX_PER_ROOM {
                return Err(ApiError::conflict(
                    "name",
                    "this room has 20 incoming webhooks already",
                ));
            }
            let user_id = users::insert_machine(
                c,
                &NewMachine {
                    username: &username,
                    display_name: Some(&name),
                    kind: "hook",
                    owner_id: actor.id,
                },
            )?;
            events.push(Event::UserCreated { user_id });
            // The hook writes as a member, like anyone (and leaves with its hook).
            members::add(c, room_id, user_id, RoomRole::Member)?;
            events.push(Event::MemberJoined {
                room_id,
                user_id,
                actor_id: actor.id,
                role: RoomRole::Member.as_str().into(),
            });
            Ok(incoming_webhooks::insert(
                c, room_id, user_id, &name, &digest, actor.id,
            )?)
        })
        .await?;
    Ok(Created {
        hook,
        url: url(cx, &secret),
    })
}

pub async fn list(cx: &Context, actor: Actor, room_id: i64) -> ApiResult<Vec<IncomingWebhook>> {
    cx.db
        .read(move |c| {
            access::room(c, room_id, actor)?.require_moderator()?;
            Ok(incoming_webhooks::in_room(c, room_id)?)
        })
        .await
}

/// The hook `hook_id` of `room_id`, for a moderator of the room.
fn require_hook(
    c: &crate::sql::Connection,
    actor: Actor,
    room_id: i64,
    hook_id: i64,
) -> ApiResult<IncomingWebhook> {
    access::room(c, room_id, actor)?.require_moderator()?;
    incoming_webhooks::get(c, hook_id)?
        .filter(|h| h.room_id == room_id)
        .ok_or(ApiError::NotFoundBecause("no such incoming webhook"))
}

/// Deletes a hook: its URL answers 404 at once; its messages stay, under its
/// account, which leaves the room and is deactivated.
pub async fn delete(cx: &Context, actor: Actor, room_id: i64, hook_id: i64) -> ApiResult<()> {
    cx.journal
        .write(None, move |c, events| {
            let hook = require_hook(c, actor, room_id, hook_id)?;
            incoming_webhooks::delete(c, hook.id)?;
            if members::remove(c, room_id, hook.user_id)? {
                events.push(Event::MemberLeft {
                    room_id,
                    user_id: hook.user_id,
                    actor_id: actor.id,
                });
            }
            users::set_status(c, hook.user_id, Some(false), None)?;
            Ok(())
        })
        .await
}

/// A new secret for a hook: the old URL stops at once.
pub async fn rotate(cx: &Context, actor: Actor, room_id: i64, hook_id: i64) -> ApiResult<Created> {
    let secret = tokens::random_hex(SECRET_BYTES)?;
    let digest = tokens::digest(&secret);
    let hook = cx
        .journal
        .apply(move |c| {
            let hook = require_hook(c, actor, room_id, hook_id)?;
            incoming_webhooks::set_secret(c, hook.id, &digest)?;
            Ok(hook)
        })
        .await?;
    Ok(Created {
        hook,
        url: url(cx, &secret),
    })
}

/// The message a hook's POST makes: `text` (or `content`), then what its
/// attachments say (pretext, title, text or fallback, fields), Slack's markup
/// turned into Markdown as an import turns it.
fn fold(post: &HookPost) -> String {
    // A hook names nobody by Slack's ids: `<@U…>` stays as its label or id.
    let slack_links = |text: &str| markup::slack_to_markdown(text, &|_| None, &|_| None);
    let mut parts: Vec<String> = Vec::new();
    // `text` is Slack's markup; `content`, Veza's own, is Markdown already.
    let text = match (&post.text, &post.content) {
        (Some(text), _) => Some(slack_links(text)),
        (None, Some(content)) => Some(content.clone()),
        (None, None) => None,
    };
    if let Some(text) = text.filter(|t| !t.trim().is_empty()) {
        parts.push(text);
    }
    for attachment in post.attachments.iter().take(20) {
        let field = |name: &str| {
            attachment
                .get(name)
                .and_then(Value::as_str)
                .map(&slack_links)
        };
        let mut lines = Vec::new();
        if let Some(pretext) = field("pretext") {
            lines.push(pretext);
        }
        if let Some(title) = field("title") {
            lines.push(format!("**{title}**"));
        }
        if let Some(text) = field("text").or_else(|| field("fallback")) {
            lines.push(text);
        }
        for f in attachment
            .get("fields")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .take(20)
        {
            let title = f.get("title").and_then(Value::as_str).unwrap_or_default();
            let value = f.get("value").and_then(Value::as_str).unwrap_or_default();
            lines.push(format!(
                "**{}**: {}",
                slack_links(title),
                slack_links(value)
            ));
        }
        let joined = lines.join("\n");
        if !joined.trim().is_empty() {
            parts.push(joined);
        }
    }
    parts.join("\n\n")
}

/// Posts a hook's message. An unknown secret is a 404; a hook over its rate a
/// 429; the message obeys the usual limits.
pub async fn post(
    cx: &Context,
    limits: &WindowCounter,
    ip: Option<String>,
    secret: &str,
    post: HookPost,
) -> ApiResult<Sent> {
    let digest = tokens::digest(secret.trim());
    let hook = cx
        .db
        .read(move |c| incoming_webhooks::by_secret(c, &digest))
        .await?
        .ok_or(ApiError::NotFoundBecause("no such incoming webhook"))?;
    limits
        .hit(&hook.id.to_string())
        .map_err(|refused| ApiError::RateLimited {
            retry_after_secs: refused.retry_after_secs,
        })?;
    let label = validate::label("username", post.username.as_deref(), 64)?;
    let icon_url = match post.icon_url.as_deref().map(str::trim) {
        Some(url)
            if url.len() <= 2048 && (url.starts_with("https://") || url.starts_with("http://")) =>
        {
            Some(url.to_owned())
        }
        Some(_) => return Err(ApiError::validation("icon_url", "must be an http(s) URL")),
        None => None,
    };
    let content = fold(&post);
    if content.trim().is_empty() {
        return Err(ApiError::validation("text", "give `text` (or `content`)"));
    }
    let author = cx.db.read(move |c| users::require(c, hook.user_id)).await?;
    let metadata = json!({"hook": {"name": hook.name, "username": label, "icon_url": icon_url}});
    let request = SendRequest {
        author_name: author.username,
        author_avatar: author.avatar_url,
        author_kind: "hook",
        content,
        parent_message_id: None,
        metadata: Some(metadata),
        attachments: Vec::new(),
        idempotency_key: None,
    };
    let actor = Actor {
        id: hook.user_id,
        is_admin: false,
    };
    let sent = messages::send(cx, actor, ip, Container::Room(hook.room_id), request).await?;
    let hook_id = hook.id;
    cx.journal
        .apply_detached(move |c| incoming_webhooks::touch(c, hook_id));
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attachments_are_folded_into_the_text() {
        let post = HookPost {
            text: Some("*Alert* <https://g.example|see>".into()),
            attachments: vec![json!({
                "fallback": "CPU high", "title": "web-1",
                "fields": [{"title": "load", "value": "9.5"}]
            })],
            ..HookPost::default()
        };
        assert_eq!(
            fold(&post),
            "**Alert** [see](https://g.example)\n\n**web-1**\nCPU high\n**load**: 9.5"
        );
        let veza = HookPost {
            content: Some("already **Markdown**".into()),
            ..HookPost::default()
        };
        assert_eq!(fold(&veza), "already **Markdown**");
        let empty = HookPost::default();
        assert_eq!(fold(&empty), "");
    }
}
