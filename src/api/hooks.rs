//! Incoming webhooks (API §20): managed by a room's moderators under
//! `/api/v1/rooms/{id}/incoming-webhooks`, posted to at `/hooks/{secret}` with
//! Slack's body (`{"text"}`, JSON or the form field `payload`) or `{"content"}`.

use rocket::data::Data;
use rocket::http::ContentType;
use rocket::{delete, get, post, routes, Route, State};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::app::App;
use crate::auth::guard::AuthUser;
use crate::domain::hooks::{self, Created, HookPost};
use crate::error::{ApiError, ApiResult};
use crate::http::body::JsonBody;
use crate::http::client::ClientInfo;
use crate::http::respond::{created, ok, NoContent, Success};
use crate::store::incoming_webhooks::IncomingWebhook;

/// The largest body a hook takes (Slack's own limit is in this range).
const BODY_MAX: u64 = 64 * 1024;

pub fn routes() -> Vec<Route> {
    routes![create, list, delete_hook, rotate]
}

pub fn post_routes() -> Vec<Route> {
    routes![post_message]
}

#[derive(Deserialize)]
pub struct HookBody {
    name: String,
}

#[post("/rooms/<room_id>/incoming-webhooks", data = "<body>")]
async fn create(
    room_id: i64,
    body: JsonBody<HookBody>,
    user: AuthUser,
    app: &State<App>,
) -> ApiResult<Success<Created>> {
    Ok(created(
        hooks::create(&app.domain, user.actor(), room_id, &body.0.name).await?,
    ))
}

#[derive(Serialize)]
pub struct HookList {
    incoming_webhooks: Vec<IncomingWebhook>,
}

#[get("/rooms/<room_id>/incoming-webhooks")]
async fn list(room_id: i64, user: AuthUser, app: &State<App>) -> ApiResult<Success<HookList>> {
    Ok(ok(HookList {
        incoming_webhooks: hooks::list(&app.domain, user.actor(), room_id).await?,
    }))
}

#[delete("/rooms/<room_id>/incoming-webhooks/<id>")]
async fn delete_hook(
    room_id: i64,
    id: i64,
    user: AuthUser,
    app: &State<App>,
) -> ApiResult<NoContent> {
    hooks::delete(&app.domain, user.actor(), room_id, id).await?;
    Ok(NoContent)
}

/// A new secret: the old URL stops at once; the new one is in this answer only.
#[post("/rooms/<room_id>/incoming-webhooks/<id>/rotate-secret")]
async fn rotate(
    room_id: i64,
    id: i64,
    user: AuthUser,
    app: &State<App>,
) -> ApiResult<Success<Created>> {
    Ok(ok(
        hooks::rotate(&app.domain, user.actor(), room_id, id).await?
    ))
}

fn text_field(body: &Value, field: &str) -> Result<Option<String>, ApiError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ApiError::Unprocessable {
            field: field.to_owned(),
            reason: "must be a string".into(),
        }),
    }
}

/// Posts into the hook's room. No token: the secret in the URL is the key.
#[post("/hooks/<secret>", data = "<data>")]
async fn post_message(
    secret: &str,
    content_type: Option<&ContentType>,
    data: Data<'_>,
    app: &State<App>,
    client: ClientInfo,
) -> ApiResult<Success<Value>> {
    let bytes = crate::http::body::read_capped(data, BODY_MAX).await?;
    let form = content_type.is_some_and(|ct| ct.is_form());
    let body: Value = if form {
        // Slack also takes `payload=<json>` as a form.
        let payload = url::form_urlencoded::parse(&bytes)
            .find(|(key, _)| key == "payload")
            .map(|(_, value)| value.into_owned())
            .ok_or_else(|| ApiError::validation("payload", "a form needs the field `payload`"))?;
        crate::http::body::parse(payload.as_bytes())?
    } else {
        crate::http::body::parse(&bytes)?
    };
    if !body.is_object() {
        return Err(ApiError::Unprocessable {
            field: "body".into(),
            reason: "must be a JSON object".into(),
        });
    }
    let attachments = match body.get("attachments") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.clone(),
        Some(_) => {
            return Err(ApiError::Unprocessable {
                field: "attachments".into(),
                reason: "must be an array".into(),
            })
        }
    };
    let post = HookPost {
        text: text_field(&body, "text")?,
        content: text_field(&body, "content")?,
        username: text_field(&body, "username")?,
        icon_url: text_field(&body, "icon_url")?,
        attachments,
    };
    let sent = hooks::post(
        &app.domain,
        &app.hook_posts,
        client.ip.clone(),
        secret,
        post,
    )
    .await?;
    let message: Value = serde_json::from_str(&sent.message)
        .map_err(|e| ApiError::internal(format!("message: {e}")))?;
    Ok(ok(message))
}
