//! Notifications (API §16): `/push/vapid-public-key`, `/push/subscriptions`,
//! `/users/me/notifications` and `/rooms/{id}/notifications`.

use rocket::{delete, get, post, put, routes, Route, State};
use serde::{Deserialize, Serialize};

use crate::app::App;
use crate::auth::guard::AuthUser;
use crate::domain::notifications::{
    self, PreferencesChange, RoomChange, RoomNotifications, SubscriptionRequest,
};
use crate::error::{ApiError, ApiResult};
use crate::http::body::{nullable, JsonBody};
use crate::http::respond::{created, ok, NoContent, Success};
use crate::policy::NotificationLevel;
use crate::store::push::{Preferences, Subscription};
use crate::time;

pub fn routes() -> Vec<Route> {
    routes![
        vapid_public_key,
        subscribe,
        subscriptions,
        unsubscribe,
        preferences,
        set_preferences,
        room_setting,
        set_room_setting
    ]
}

#[derive(Serialize)]
struct PublicKey {
    public_key: String,
}

/// The key browsers subscribe with (base64url, uncompressed point).
#[get("/push/vapid-public-key")]
fn vapid_public_key(app: &State<App>) -> ApiResult<Success<PublicKey>> {
    Ok(ok(PublicKey {
        public_key: notifications::vapid_public_key(&app.domain)?,
    }))
}

#[derive(Deserialize)]
struct SubscriptionKeys {
    p256dh: String,
    auth: String,
}

/// `PushSubscription.toJSON()`: `expirationTime` is accepted and not kept.
#[derive(Deserialize)]
struct SubscriptionBody {
    endpoint: String,
    keys: SubscriptionKeys,
    #[serde(default, rename = "expirationTime")]
    _expiration_time: Option<serde_json::Value>,
}

/// 201 for a new subscription, 200 for one the caller had already.
#[post("/push/subscriptions", data = "<body>")]
async fn subscribe(
    user: AuthUser,
    body: JsonBody<SubscriptionBody>,
    app: &State<App>,
) -> ApiResult<Success<Subscription>> {
    let body = body.0;
    let (subscription, new) = notifications::subscribe(
        &app.domain,
        user.actor(),
        user.session_id,
        SubscriptionRequest {
            endpoint: body.endpoint,
            p256dh: body.keys.p256dh,
            auth: body.keys.auth,
        },
    )
    .await?;
    Ok(if new {
        created(subscription)
    } else {
        ok(subscription)
    })
}

#[get("/push/subscriptions")]
async fn subscriptions(user: AuthUser, app: &State<App>) -> ApiResult<Success<Vec<Subscription>>> {
    Ok(ok(
        notifications::subscriptions(&app.domain, user.actor()).await?
    ))
}

#[delete("/push/subscriptions/<id>")]
async fn unsubscribe(id: i64, user: AuthUser, app: &State<App>) -> ApiResult<NoContent> {
    notifications::unsubscribe(&app.domain, user.actor(), id).await?;
    Ok(NoContent)
}

#[get("/users/me/notifications")]
async fn preferences(user: AuthUser, app: &State<App>) -> ApiResult<Success<Preferences>> {
    Ok(ok(
        notifications::preferences(&app.domain, user.actor()).await?
    ))
}

#[derive(Deserialize)]
struct PreferencesBody {
    default_level: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    dnd_until: Option<Option<String>>,
}

/// A timestamp field: absent, `null`, or RFC 3339 text.
fn until(field: &str, value: Option<Option<String>>) -> ApiResult<Option<Option<String>>> {
    value
        .map(|v| {
            v.map(|text| {
                time::parse_client(&text).ok_or_else(|| {
                    ApiError::validation(field, "must be an RFC 3339 timestamp or null")
                })
            })
            .transpose()
        })
        .transpose()
}

#[put("/users/me/notifications", data = "<body>")]
async fn set_preferences(
    user: AuthUser,
    body: JsonBody<PreferencesBody>,
    app: &State<App>,
) -> ApiResult<Success<Preferences>> {
    let body = body.0;
    let default_level = body
        .default_level
        .map(|level| {
            NotificationLevel::parse(&level).ok_or_else(|| {
                ApiError::validation("default_level", "must be all, mentions or none")
            })
        })
        .transpose()?;
    let change = PreferencesChange {
        default_level,
        dnd_until: until("dnd_until", body.dnd_until)?,
    };
    Ok(ok(notifications::set_preferences(
        &app.domain,
        user.actor(),
        change,
    )
    .await?))
}

#[get("/rooms/<id>/notifications")]
async fn room_setting(
    id: i64,
    user: AuthUser,
    app: &State<App>,
) -> ApiResult<Success<RoomNotifications>> {
    Ok(ok(notifications::room_setting(
        &app.domain,
        user.actor(),
        id,
    )
    .await?))
}

#[derive(Deserialize)]
struct RoomBody {
    level: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    muted_until: Option<Option<String>>,
}

#[put("/rooms/<id>/notifications", data = "<body>")]
async fn set_room_setting(
    id: i64,
    user: AuthUser,
    body: JsonBody<RoomBody>,
    app: &State<App>,
) -> ApiResult<Success<RoomNotifications>> {
    let body = body.0;
    if let Some(level) = &body.level {
        if !matches!(level.as_str(), "default" | "all" | "mentions" | "none") {
            return Err(ApiError::validation(
                "level",
                "must be default, all, mentions or none",
            ));
        }
    }
    let change = RoomChange {
        level: body.level,
        muted_until: until("muted_until", body.muted_until)?,
    };
    Ok(ok(notifications::set_room_setting(
        &app.domain,
        user.actor(),
        id,
        change,
    )
    .await?))
}
