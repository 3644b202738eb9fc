//! Messages: `/api/v1/rooms/{id}/messages` (list, send) and `/api/v1/messages/{id}`
//! (read, edit, delete, thread, history, pin).

use rocket::form::FromForm;
use rocket::http::Header;
use rocket::request::{self, FromRequest, Request};
use rocket::{delete, get, post, put, routes, Route, State};
use serde::{Deserialize, Serialize};

use crate::app::App;
use crate::auth::guard::AuthUser;
use crate::domain::messages::{self, SendRequest};
use crate::error::ApiResult;
use crate::http::body::{JsonBody, OptionalJsonBody};
use crate::http::client::ClientInfo;
use crate::http::error::stash;
use crate::http::pagination::{flag, optional_id, ListParams};
use crate::http::respond::{ok, NoContent, Success};
use crate::store::edits::Edit;
use crate::store::messages::{Container, Cursor, Message};
use crate::validate;

/// Messages of rooms and of conversations: one set of handlers for both.
pub fn routes() -> Vec<Route> {
    routes![
        list,
        send,
        conversation_list,
        conversation_send,
        get_message,
        edit,
        delete_message,
        thread,
        history,
        pin
    ]
}

#[derive(Serialize)]
pub struct MessagePage {
    messages: Vec<Message>,
    has_more: bool,
    total_count: i64,
}

/// The query of a message page: cursors, filters and `limit`.
#[derive(Debug, Default, FromForm)]
pub struct PageParams {
    before_id: Option<String>,
    after_id: Option<String>,
    include_threads: Option<String>,
    pinned_only: Option<String>,
    limit: Option<String>,
}

impl PageParams {
    fn cursor(&self) -> ApiResult<Cursor> {
        let list = ListParams {
            limit: self.limit.clone(),
            ..Default::default()
        };
        Ok(Cursor {
            before_id: optional_id("before_id", self.before_id.as_deref())?,
            after_id: optional_id("after_id", self.after_id.as_deref())?,
            limit: list.window()?.limit,
            include_threads: flag("include_threads", self.include_threads.as_deref())?,
            pinned_only: flag("pinned_only", self.pinned_only.as_deref())?,
        })
    }
}

/// A page of a room's or conversation's messages, newest first.
async fn page(
    app: &App,
    user: &AuthUser,
    container: Container,
    params: &PageParams,
) -> ApiResult<Success<MessagePage>> {
    let page = messages::page(&app.domain, user.actor(), container, params.cursor()?).await?;
    Ok(ok(MessagePage {
        messages: page.messages,
        has_more: page.has_more,
        total_count: page.total_count,
    }))
}

/// A room's messages, newest first, paged by `before_id` / `after_id`.
#[get("/rooms/<id>/messages?<params..>")]
async fn list(
    id: i64,
    params: PageParams,
    user: AuthUser,
    app: &State<App>,
) -> ApiResult<Success<MessagePage>> {
    page(app, &user, Container::Room(id), &params).await
}

/// A conversation's messages, paged as a room's.
#[get("/conversations/<id>/messages?<params..>")]
async fn conversation_list(
    id: i64,
    params: PageParams,
    user: AuthUser,
    app: &State<App>,
) -> ApiResult<Success<MessagePage>> {
    page(app, &user, Container::Conversation(id), &params).await
}

/// The `Idempotency-Key` header of a send, if any.
pub struct IdempotencyKey(Option<String>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for IdempotencyKey {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, ()> {
        match req.headers().get_one("Idempotency-Key") {
            None => request::Outcome::Success(IdempotencyKey(None)),
            Some(key) => match validate::idempotency_key(key) {
                Ok(key) => request::Outcome::Success(IdempotencyKey(Some(key))),
                Err(e) => request::Outcome::Error((stash(req, e), ())),
            },
        }
    }
}

#[derive(Deserialize)]
pub struct SendBody {
    content: String,
    parent_message_id: Option<i64>,
    metadata: Option<serde_json::Value>,
    #[serde(default)]
    attachments: Vec<i64>,
}

/// 201 with the message; a retry with the same `Idempotency-Key` answers the
/// first message again, marked `Idempotent-Replayed: true`.
pub struct Sent {
    message: std::sync::Arc<str>,
    replayed: bool,
}

impl<'r> rocket::response::Responder<'r, 'static> for Sent {
    fn respond_to(self, req: &'r Request<'_>) -> rocket::response::Result<'static> {
        let mut res = crate::http::respond::CreatedRaw(self.message).respond_to(req)?;
        if self.replayed {
            res.set_header(Header::new("Idempotent-Replayed", "true"));
        }
        Ok(res)
    }
}

async fn send_to(
    app: &App,
    user: &AuthUser,
    client: ClientInfo,
    container: Container,
    body: SendBody,
    key: IdempotencyKey,
) -> ApiResult<Sent> {
    let request = SendRequest {
        author_name: user.username.clone(),
        author_avatar: user.avatar_url.clone(),
        author_kind: user.kind,
        content: body.content,
        parent_message_id: body.parent_message_id,
        metadata: body.metadata,
        attachments: body.attachments,
        idempotency_key: key.0,
    };
    let sent = messages::send(&app.domain, user.actor(), client.ip, container, request).await?;
    Ok(Sent {
        message: sent.message,
        replayed: sent.replayed,
    })
}

/// Posts a message in a room the caller belongs to.
#[post("/rooms/<id>/messages", data = "<body>")]
async fn send(
    id: i64,
    body: JsonBody<SendBody>,
    key: IdempotencyKey,
    user: AuthUser,
    app: &State<App>,
    client: ClientInfo,
) -> ApiResult<Sent> {
    send_to(app, &user, client, Container::Room(id), body.0, key).await
}

/// Sends a direct message: 403 `USER_BLOCKED` while either side has blocked the other.
#[post("/conversations/<id>/messages", data = "<body>")]
async fn conversation_send(
    id: i64,
    body: JsonBody<SendBody>,
    key: IdempotencyKey,
    user: AuthUser,
    app: &State<App>,
    client: ClientInfo,
) -> ApiResult<Sent> {
    send_to(app, &user, client, Container::Conversation(id), body.0, key).await
}

/// One message.
#[get("/messages/<id>")]
async fn get_message(id: i64, user: AuthUser, app: &State<App>) -> ApiResult<Success<Message>> {
    Ok(ok(messages::get(&app.domain, user.actor(), id).await?))
}

#[derive(Deserialize)]
pub struct EditBody {
    content: String,
    edit_reason: Option<String>,
}

/// Rewrites a message: its author only (not while a conversation is blocked). The previous text is kept in its history.
#[put("/messages/<id>", data = "<body>")]
async fn edit(
    id: i64,
    body: JsonBody<EditBody>,
    user: AuthUser,
    app: &State<App>,
    client: ClientInfo,
) -> ApiResult<Success<Message>> {
    let body = body.0;
    let message = messages::edit(
        &app.domain,
        user.actor(),
        client.ip,
        id,
        &body.content,
        body.edit_reason.as_deref(),
    )
    .await?;
    Ok(ok(message))
}

#[derive(Deserialize)]
pub struct DeleteBody {
    reason: Option<String>,
}

/// Deletes a message: its author, the room's moderators and owner, admins. A
/// delete by someone else is written to the room's audit log with its reason.
#[delete("/messages/<id>?<reason>", data = "<body>")]
async fn delete_message(
    id: i64,
    reason: Option<String>,
    body: OptionalJsonBody<DeleteBody>,
    user: AuthUser,
    app: &State<App>,
    client: ClientInfo,
) -> ApiResult<NoContent> {
    let reason = body.0.and_then(|b| b.reason).or(reason);
    messages::delete(&app.domain, user.actor(), client.ip, id, reason.as_deref()).await?;
    Ok(NoContent)
}

#[derive(Serialize)]
struct Thread {
    messages: Vec<Message>,
    has_more: bool,
}

/// The replies to a message, oldest first, paged by `after_id`.
#[get("/messages/<id>/thread?<after_id>&<list..>")]
async fn thread(
    id: i64,
    after_id: Option<&str>,
    list: ListParams,
    user: AuthUser,
    app: &State<App>,
) -> ApiResult<Success<Thread>> {
    let after_id = optional_id("after_id", after_id)?;
    let limit = list.window()?.limit;
    let (messages, has_more) =
        messages::thread(&app.domain, user.actor(), id, after_id, limit).await?;
    Ok(ok(Thread { messages, has_more }))
}

#[derive(Serialize)]
struct History {
    history: Vec<Edit>,
}

/// Earlier versions of a message, newest first: its author and moderators.
#[get("/messages/<id>/history")]
async fn history(id: i64, user: AuthUser, app: &State<App>) -> ApiResult<Success<History>> {
    let history = messages::history(&app.domain, user.actor(), id).await?;
    Ok(ok(History { history }))
}

#[derive(Deserialize)]
pub struct PinBody {
    pinned: Option<bool>,
}

/// Pins (`{"pinned": true}`, the default) or unpins a message: room moderators and
/// owner, either participant of a conversation.
#[post("/messages/<id>/pin", data = "<body>")]
async fn pin(
    id: i64,
    body: OptionalJsonBody<PinBody>,
    user: AuthUser,
    app: &State<App>,
    client: ClientInfo,
) -> ApiResult<Success<Message>> {
    let pinned = body.0.and_then(|b| b.pinned).unwrap_or(true);
    let message = messages::pin(&app.domain, user.actor(), client.ip, id, pinned).await?;
    Ok(ok(message))
}
