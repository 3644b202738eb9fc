//! `/api/v1/webhooks`: register, list, read, change, delete, test, rotate the
//! secret, and the delivery log.

use rocket::{delete, get, post, put, routes, Route, State};
use serde::{Deserialize, Serialize};

use crate::app::App;
use crate::auth::guard::AuthUser;
use crate::domain::webhooks::{self, NewWebhook, TestResult, Update};
use crate::error::ApiResult;
use crate::http::body::JsonBody;
use crate::http::pagination::{ListMeta, ListParams};
use crate::http::respond::{created, ok, NoContent, Success};
use crate::store::webhooks::{DeliveryView, Webhook};

pub fn routes() -> Vec<Route> {
    routes![
        create,
        list,
        get_webhook,
        update,
        delete_webhook,
        test,
        rotate_secret,
        deliveries
    ]
}

#[derive(Deserialize)]
pub struct CreateBody {
    url: String,
    events: Vec<String>,
    secret: Option<String>,
    room_id: Option<i64>,
}

/// Registers a webhook (`room_id`: the room's moderators and owner; without it,
/// server-wide: admins). 201 with the webhook and its secret, shown this once.
#[post("/webhooks", data = "<body>")]
async fn create(
    body: JsonBody<CreateBody>,
    user: AuthUser,
    app: &State<App>,
) -> ApiResult<Success<Webhook>> {
    let body = body.0;
    let new = NewWebhook {
        url: body.url,
        events: body.events,
        secret: body.secret,
        room_id: body.room_id,
    };
    Ok(created(
        webhooks::create(&app.domain, user.actor(), new).await?,
    ))
}

#[derive(Serialize)]
struct WebhookList {
    webhooks: Vec<Webhook>,
}

/// The webhooks the caller manages.
#[get("/webhooks")]
async fn list(user: AuthUser, app: &State<App>) -> ApiResult<Success<WebhookList>> {
    let webhooks = webhooks::list(&app.domain, user.actor()).await?;
    Ok(ok(WebhookList { webhooks }))
}

#[get("/webhooks/<id>")]
async fn get_webhook(id: i64, user: AuthUser, app: &State<App>) -> ApiResult<Success<Webhook>> {
    Ok(ok(webhooks::get(&app.domain, user.actor(), id).await?))
}

#[derive(Deserialize)]
pub struct UpdateBody {
    url: Option<String>,
    events: Option<Vec<String>>,
    secret: Option<String>,
    is_active: Option<bool>,
}

/// Changes a webhook's URL, events, secret, or switches it on or off.
#[put("/webhooks/<id>", data = "<body>")]
async fn update(
    id: i64,
    body: JsonBody<UpdateBody>,
    user: AuthUser,
    app: &State<App>,
) -> ApiResult<Success<Webhook>> {
    let body = body.0;
    let update = Update {
        url: body.url,
        events: body.events,
        secret: body.secret,
        is_active: body.is_active,
    };
    Ok(ok(
        webhooks::update(&app.domain, user.actor(), id, update).await?
    ))
}

/// Removes a webhook and its delivery log.
#[delete("/webhooks/<id>")]
async fn delete_webhook(id: i64, user: AuthUser, app: &State<App>) -> ApiResult<NoContent> {
    webhooks::delete(&app.domain, user.actor(), id).await?;
    Ok(NoContent)
}

/// Sends a `webhook.test` event now; answers how it went.
#[post("/webhooks/<id>/test")]
async fn test(id: i64, user: AuthUser, app: &State<App>) -> ApiResult<Success<TestResult>> {
    Ok(ok(webhooks::test(&app.domain, user.actor(), id).await?))
}

/// A new secret, shown this once; the old one stops signing at once.
#[post("/webhooks/<id>/rotate-secret")]
async fn rotate_secret(id: i64, user: AuthUser, app: &State<App>) -> ApiResult<Success<Webhook>> {
    Ok(ok(
        webhooks::rotate_secret(&app.domain, user.actor(), id).await?
    ))
}

#[derive(Serialize)]
struct DeliveryList {
    deliveries: Vec<DeliveryView>,
    #[serde(flatten)]
    meta: ListMeta,
}

/// The delivery log, newest first, each delivery with its attempts.
#[get("/webhooks/<id>/deliveries?<list..>")]
async fn deliveries(
    id: i64,
    list: ListParams,
    user: AuthUser,
    app: &State<App>,
) -> ApiResult<Success<DeliveryList>> {
    let window = list.window()?;
    let (deliveries, total) =
        webhooks::deliveries(&app.domain, user.actor(), id, window.limit, window.offset).await?;
    let meta = ListMeta::new(window, deliveries.len(), total);
    Ok(ok(DeliveryList { deliveries, meta }))
}
