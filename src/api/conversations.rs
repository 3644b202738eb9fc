//! `/api/v1/conversations`: direct conversations between two users, with the same
//! messages as rooms (the message handlers take the container as a parameter).

use rocket::{get, post, routes, Route, State};
use serde::{Deserialize, Serialize};

use crate::api::body::{JsonBody, OptionalJsonBody};
use crate::api::client::ClientInfo;
use crate::api::messages::{
    list_messages, send_message, IdempotencyKey, MessagePage, PageParams, SendBody, Sent,
};
use crate::api::pagination::{flag, ListMeta, ListParams};
use crate::api::respond::{created, ok, Answer, Success};
use crate::app::App;
use crate::auth::guard::AuthUser;
use crate::error::{ApiError, ApiResult, Missing};
use crate::store::conversations::{self, Conversation};
use crate::store::members::ReadState;
use crate::store::messages::Container;
use crate::store::users;

pub fn routes() -> Vec<Route> {
    routes![list, open, get_one, messages, send, block, mark_read]
}

#[derive(Serialize)]
struct ConversationList {
    conversations: Vec<Conversation>,
    #[serde(flatten)]
    meta: ListMeta,
}

/// The caller's conversations, most recently active first, each with the other
/// user, the unread count and (unless `include_last_message=false`) the last message.
#[get("/conversations?<include_last_message>&<list..>")]
async fn list(
    include_last_message: Option<&str>,
    list: ListParams,
    user: AuthUser,
    app: &State<App>,
) -> Answer<ConversationList> {
    let window = list.window()?;
    let with_last =
        include_last_message.is_none() || flag("include_last_message", include_last_message)?;
    let me = user.id;
    let (conversations, total) = app
        .db
        .read(move |c| conversations::list(c, me, with_last, window.limit, window.offset))
        .await?;
    let meta = ListMeta::new(window, conversations.len(), total);
    Ok(ok(ConversationList {
        conversations,
        meta,
    }))
}

#[derive(Deserialize)]
pub struct OpenBody {
    user_id: i64,
}

/// Opens the conversation with a user: 201 when new, 200 with the existing one
/// (one per pair, whoever opens it).
#[post("/conversations", data = "<body>")]
async fn open(body: JsonBody<OpenBody>, user: AuthUser, app: &State<App>) -> Answer<Conversation> {
    let (me, other) = (user.id, body.0.user_id);
    if me == other {
        return Err(ApiError::validation(
            "user_id",
            "a conversation needs another user",
        ));
    }
    let (conversation, is_new) = app
        .db
        .write(move |c| {
            match users::by_id(c, other)? {
                Some(u) if u.is_active => {}
                _ => return Err(ApiError::NotFound(Missing::User)),
            }
            let (id, is_new) = conversations::open(c, me, other)?;
            Ok((conversations::get(c, id, me)?, is_new))
        })
        .await?;
    Ok(if is_new {
        created(conversation)
    } else {
        ok(conversation)
    })
}

/// One conversation; 404 for anyone but its two participants.
#[get("/conversations/<id>")]
async fn get_one(id: i64, user: AuthUser, app: &State<App>) -> Answer<Conversation> {
    let me = user.id;
    let conversation = app
        .db
        .read(move |c| {
            conversations::access(c, id, me)?;
            conversations::get(c, id, me)
        })
        .await?;
    Ok(ok(conversation))
}

/// The conversation's messages, newest first, paged as room messages are.
#[get("/conversations/<id>/messages?<params..>")]
async fn messages(
    id: i64,
    params: PageParams,
    user: AuthUser,
    app: &State<App>,
) -> Answer<MessagePage> {
    list_messages(app, &user, Container::Conversation(id), &params).await
}

/// Sends a direct message: 403 `USER_BLOCKED` while either side has blocked the other.
#[post("/conversations/<id>/messages", data = "<body>")]
async fn send(
    id: i64,
    body: JsonBody<SendBody>,
    key: IdempotencyKey,
    user: AuthUser,
    app: &State<App>,
    client: ClientInfo,
) -> ApiResult<Sent> {
    send_message(
        app,
        &user,
        client.ip,
        Container::Conversation(id),
        body.0,
        key,
    )
    .await
}

#[derive(Deserialize)]
pub struct BlockBody {
    blocked: Option<bool>,
}

/// Blocks (`{"blocked": true}`, the default) or unblocks the other participant;
/// answers the conversation.
#[post("/conversations/<id>/block", data = "<body>")]
async fn block(
    id: i64,
    body: OptionalJsonBody<BlockBody>,
    user: AuthUser,
    app: &State<App>,
) -> ApiResult<Success<Conversation>> {
    let blocked = body.0.and_then(|b| b.blocked).unwrap_or(true);
    let me = user.id;
    let conversation = app
        .db
        .write(move |c| {
            conversations::access(c, id, me)?;
            conversations::set_blocked(c, id, me, blocked)?;
            conversations::get(c, id, me)
        })
        .await?;
    Ok(ok(conversation))
}

#[derive(Deserialize)]
pub struct ReadBody {
    message_id: Option<i64>,
}

/// Moves the caller's read marker to `message_id` (default: the latest message).
#[post("/conversations/<id>/read", data = "<body>")]
async fn mark_read(
    id: i64,
    body: OptionalJsonBody<ReadBody>,
    user: AuthUser,
    app: &State<App>,
) -> Answer<ReadState> {
    let message_id = body.0.and_then(|b| b.message_id);
    let me = user.id;
    let state = app
        .db
        .write(move |c| {
            conversations::access(c, id, me)?;
            conversations::mark_read(c, id, me, message_id)
        })
        .await?;
    Ok(ok(state))
}
