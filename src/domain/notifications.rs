//! Notifications (API §16): the server's push key, a user's push subscriptions,
//! their preferences and do-not-disturb, and their settings per room.

use serde::Serialize;

use crate::domain::{access, Actor, Context};
use crate::error::{ApiError, ApiResult, Missing};
use crate::policy::NotificationLevel;
use crate::push::subscription::{self, Keys};
use crate::store::push::{self, NewSubscription, Preferences, RoomSetting, Subscription};
use crate::webhooks::target;

/// Push subscriptions one user may hold (browsers and devices).
pub const MAX_SUBSCRIPTIONS: i64 = 20;

fn push_enabled(cx: &Context) -> ApiResult<&crate::push::keys::VapidKey> {
    cx.vapid
        .as_deref()
        .ok_or(ApiError::NotFound(Missing::Route))
}

/// The public key browsers subscribe with (`applicationServerKey`).
pub fn vapid_public_key(cx: &Context) -> ApiResult<String> {
    Ok(push_enabled(cx)?.public_key().to_owned())
}

/// A browser's subscription, as it sends it.
pub struct SubscriptionRequest {
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
}

/// Records a subscription of `actor`'s browser, made in session `session_id`
/// (ending the session removes it); `true` when it is new.
pub async fn subscribe(
    cx: &Context,
    actor: Actor,
    session_id: i64,
    request: SubscriptionRequest,
) -> ApiResult<(Subscription, bool)> {
    push_enabled(cx)?;
    let allow_private = cx.config.push.allow_private_endpoints;
    let refuse = |(field, why): subscription::Refused| ApiError::validation(field, why);
    let url = subscription::endpoint(&request.endpoint, allow_private).map_err(refuse)?;
    let (p256dh, auth) = subscription::keys(&Keys {
        p256dh: &request.p256dh,
        auth: &request.auth,
    })
    .map_err(refuse)?;
    // The same address checks as webhook targets (§7); resolving blocks.
    let checked = url.clone();
    tokio::task::spawn_blocking(move || target::resolve(&checked, allow_private))
        .await
        .map_err(|e| ApiError::internal(format!("resolve task failed: {e}")))?
        .map_err(|why| ApiError::validation("endpoint", why))?;
    let origin = subscription::origin(&url);
    let endpoint = url.to_string();
    cx.journal
        .apply(move |c| {
            let new = NewSubscription {
                user_id: actor.id,
                session_id,
                endpoint: &endpoint,
                origin: &origin,
                p256dh: &p256dh,
                auth: &auth,
            };
            Ok(push::subscribe(c, &new, MAX_SUBSCRIPTIONS)?)
        })
        .await
}

pub async fn subscriptions(cx: &Context, actor: Actor) -> ApiResult<Vec<Subscription>> {
    push_enabled(cx)?;
    Ok(cx
        .db
        .read(move |c| push::subscriptions_of(c, actor.id))
        .await?)
}

pub async fn unsubscribe(cx: &Context, actor: Actor, id: i64) -> ApiResult<()> {
    push_enabled(cx)?;
    let removed = cx
        .journal
        .apply(move |c| Ok(push::unsubscribe(c, actor.id, id)?))
        .await?;
    match removed {
        true => Ok(()),
        false => Err(ApiError::NotFound(Missing::Resource)),
    }
}

pub async fn preferences(cx: &Context, actor: Actor) -> ApiResult<Preferences> {
    Ok(cx.db.read(move |c| push::preferences(c, actor.id)).await?)
}

/// A change of preferences: a field left out stays, `dnd_until: null` ends
/// do-not-disturb.
pub struct PreferencesChange {
    pub default_level: Option<NotificationLevel>,
    pub dnd_until: Option<Option<String>>,
}

pub async fn set_preferences(
    cx: &Context,
    actor: Actor,
    change: PreferencesChange,
) -> ApiResult<Preferences> {
    cx.journal
        .apply(move |c| {
            let mut preferences = push::preferences(c, actor.id)?;
            if let Some(level) = change.default_level {
                preferences.default_level = level;
            }
            if let Some(until) = change.dnd_until {
                preferences.dnd_until = until;
            }
            push::set_preferences(c, actor.id, &preferences)?;
            Ok(preferences)
        })
        .await
}

/// A room's notification settings for the caller.
#[derive(Debug, Serialize)]
pub struct RoomNotifications {
    pub room_id: i64,
    pub level: String,
    pub muted_until: Option<String>,
}

/// The caller's settings in a room they can see (not a member: the defaults).
pub async fn room_setting(
    cx: &Context,
    actor: Actor,
    room_id: i64,
) -> ApiResult<RoomNotifications> {
    cx.db
        .read(move |c| {
            access::room(c, room_id, actor)?;
            let setting = push::room_setting(c, room_id, actor.id)?.unwrap_or(RoomSetting {
                level: "default".into(),
                muted_until: None,
            });
            Ok(RoomNotifications {
                room_id,
                level: setting.level,
                muted_until: setting.muted_until,
            })
        })
        .await
}

/// A change of a room's settings: `level` is `default`, `all`, `mentions` or
/// `none`; a field left out stays, `muted_until: null` unmutes.
pub struct RoomChange {
    pub level: Option<String>,
    pub muted_until: Option<Option<String>>,
}

pub async fn set_room_setting(
    cx: &Context,
    actor: Actor,
    room_id: i64,
    change: RoomChange,
) -> ApiResult<RoomNotifications> {
    cx.journal
        .apply(move |c| {
            let room = access::room(c, room_id, actor)?;
            room.require_member()?;
            let mut setting = push::room_setting(c, room_id, actor.id)?
                .ok_or(ApiError::NotFound(Missing::Member))?;
            if let Some(level) = change.level {
                setting.level = level;
            }
            if let Some(until) = change.muted_until {
                setting.muted_until = until;
            }
            push::set_room_setting(c, room_id, actor.id, &setting)?;
            Ok(RoomNotifications {
                room_id,
                level: setting.level,
                muted_until: setting.muted_until,
            })
        })
        .await
}
