//! Messages: `/api/v1/rooms/{id}/messages` (list, send) and `/api/v1/messages/{id}`
//! (read, edit, delete, thread, history, pin).

use rocket::http::Header;
use rocket::request::{self, FromRequest, Request};
use rocket::{delete, get, post, put, routes, Route, State};
use serde::{Deserialize, Serialize};

use crate::api::body::{JsonBody, OptionalJsonBody};
use crate::api::client::ClientInfo;
use crate::api::pagination::{flag, optional_id, ListParams};
use crate::api::respond::{ok, Answer, NoContent, Success};
use crate::app::App;
use crate::auth::guard::AuthUser;
use crate::error::{stash, ApiError, ApiResult, Missing};
use crate::events::{self, Event};
use crate::mentions;
use crate::policy::Access;
use crate::rusqlite::Connection;
use crate::store::messages::{self, Container, Cursor, Edit, Message, MessageRef, NewMessage};
use crate::store::{conversations, rooms};
use crate::validate;
use rocket::form::FromForm;

pub fn routes() -> Vec<Route> {
    routes![
        list,
        send,
        get_message,
        edit,
        delete_message,
        thread,
        history,
        pin
    ]
}

/// What the caller is to a room or conversation: 404 (`ROOM_NOT_FOUND`,
/// `CONVERSATION_NOT_FOUND`) when they may not know it exists.
pub fn container_access(
    c: &Connection,
    container: Container,
    user: (i64, bool),
) -> ApiResult<Access> {
    Ok(match container {
        Container::Room(id) => Access::Room(rooms::access(c, id, user.0, user.1)?),
        Container::Conversation(id) => Access::Conversation(conversations::access(c, id, user.0)?),
    })
}

/// A live message and what the caller is to its room or conversation; a message
/// the caller may not see is not found.
pub fn message_access(
    c: &Connection,
    message_id: i64,
    user: (i64, bool),
) -> ApiResult<(MessageRef, Access)> {
    let message = messages::locate(c, message_id)?;
    let access = container_access(c, message.container, user).map_err(|e| match e {
        ApiError::NotFound(_) => ApiError::NotFound(Missing::Message),
        other => other,
    })?;
    Ok((message, access))
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
pub async fn list_messages(
    app: &App,
    user: &AuthUser,
    container: Container,
    params: &PageParams,
) -> Answer<MessagePage> {
    let cursor = params.cursor()?;
    let who = (user.id, user.is_admin());
    let page = app
        .db
        .read(move |c| {
            container_access(c, container, who)?;
            messages::list(c, container, cursor)
        })
        .await?;
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
) -> Answer<MessagePage> {
    list_messages(app, &user, Container::Room(id), &params).await
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
    message: Message,
    replayed: bool,
}

impl<'r> rocket::response::Responder<'r, 'static> for Sent {
    fn respond_to(self, req: &'r Request<'_>) -> rocket::response::Result<'static> {
        let mut res = crate::api::respond::created(self.message).respond_to(req)?;
        if self.replayed {
            res.set_header(Header::new("Idempotent-Replayed", "true"));
        }
        Ok(res)
    }
}

/// Posts a message where the caller may write (a room they belong to, a
/// conversation nobody has blocked).
pub async fn send_message(
    app: &App,
    user: &AuthUser,
    ip: Option<String>,
    container: Container,
    body: SendBody,
    key: IdempotencyKey,
) -> ApiResult<Sent> {
    if !body.attachments.is_empty() {
        return Err(ApiError::validation(
            "attachments",
            "file attachments are not available on this server yet",
        ));
    }
    let content = validate::message_content(&body.content, app.config.limits.message_max_length)?;
    let new = NewMessage {
        container,
        author_id: user.id,
        author_name: user.username.clone(),
        mentioned_names: mentions::usernames(&content),
        content,
        parent_message_id: body.parent_message_id,
        metadata: validate::metadata(body.metadata)?,
        idempotency_key: key.0,
    };
    let who = (user.id, user.is_admin());
    events::write(app, ip, move |c, events| {
        container_access(c, container, who)?.require_can_write()?;
        if let Some(existing) = messages::find_idempotent(c, &new)? {
            return Ok(Sent {
                message: messages::get(c, existing)?,
                replayed: true,
            });
        }
        let message = messages::insert(c, new)?;
        events.push(Event::MessageCreated {
            container,
            message_id: message.id,
            author_id: message.author_id,
        });
        Ok(Sent {
            message,
            replayed: false,
        })
    })
    .await
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
    send_message(app, &user, client.ip, Container::Room(id), body.0, key).await
}

/// One message.
#[get("/messages/<id>")]
async fn get_message(id: i64, user: AuthUser, app: &State<App>) -> Answer<Message> {
    let who = (user.id, user.is_admin());
    let message = app
        .db
        .read(move |c| {
            message_access(c, id, who)?;
            messages::get(c, id)
        })
        .await?;
    Ok(ok(message))
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
) -> Answer<Message> {
    let body = body.0;
    let content = validate::message_content(&body.content, app.config.limits.message_max_length)?;
    let reason = validate::optional_text(
        "edit_reason",
        body.edit_reason.as_deref(),
        validate::EDIT_REASON_MAX,
    )?;
    let names = mentions::usernames(&content);
    let who = (user.id, user.is_admin());
    let message = events::write(app, client.ip, move |c, events| {
        let (message, access) = message_access(c, id, who)?;
        access.require_author(who.0, message.author_id)?;
        access.require_can_write()?;
        messages::edit(c, &message, &content, reason.as_deref(), &names)?;
        events.push(Event::MessageUpdated {
            container: message.container,
            message_id: id,
            author_id: message.author_id,
        });
        messages::get(c, id)
    })
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
    let reason = validate::optional_text("reason", reason.as_deref(), validate::EDIT_REASON_MAX)?;
    let who = (user.id, user.is_admin());
    events::write(app, client.ip, move |c, events| {
        let (message, access) = message_access(c, id, who)?;
        access.require_author_or_moderator(who.0, message.author_id)?;
        messages::delete(c, id)?;
        events.push(Event::MessageDeleted {
            container: message.container,
            message_id: id,
            author_id: message.author_id,
            actor_id: who.0,
            content: message.content,
            reason,
        });
        Ok(())
    })
    .await?;
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
) -> Answer<Thread> {
    let after_id = optional_id("after_id", after_id)?;
    let limit = list.window()?.limit;
    let who = (user.id, user.is_admin());
    let (messages, has_more) = app
        .db
        .read(move |c| {
            message_access(c, id, who)?;
            messages::thread(c, id, after_id, limit)
        })
        .await?;
    Ok(ok(Thread { messages, has_more }))
}

#[derive(Serialize)]
struct History {
    history: Vec<Edit>,
}

/// Earlier versions of a message, newest first: its author and moderators.
#[get("/messages/<id>/history")]
async fn history(id: i64, user: AuthUser, app: &State<App>) -> Answer<History> {
    let who = (user.id, user.is_admin());
    let history = app
        .db
        .read(move |c| {
            let (message, access) = message_access(c, id, who)?;
            access.require_author_or_moderator(who.0, message.author_id)?;
            messages::history(c, id)
        })
        .await?;
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
    let who = (user.id, user.is_admin());
    let message = events::write(app, client.ip, move |c, events| {
        let (message, access) = message_access(c, id, who)?;
        access.require_can_pin()?;
        if message.is_pinned != pinned {
            messages::set_pinned(c, id, pinned)?;
            events.push(Event::MessagePinned {
                container: message.container,
                message_id: id,
                actor_id: who.0,
                pinned,
            });
        }
        messages::get(c, id)
    })
    .await?;
    Ok(ok(message))
}
