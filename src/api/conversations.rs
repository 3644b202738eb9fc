//! `/api/v1/conversations`: direct conversations between two users, with the same
//! messages as rooms (the message handlers take the container as a parameter).

use rocket::{get, post, routes, Route, State};
use serde::{Deserialize, Serialize};

use crate::app::App;
use crate::auth::guard::AuthUser;
use crate::domain::conversations;
use crate::error::ApiResult;
use crate::http::body::{JsonBody, OptionalJsonBody};
use crate::http::pagination::{flag, ListMeta, ListParams};
use crate::http::respond::{created, ok, Success};
use crate::store::conversations::Conversation;

pub fn routes() -> Vec<Route> {
    routes![list, open, get_one, block]
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
) -> ApiResult<Success<ConversationList>> {
    let window = list.window()?;
    let with_last =
        include_last_message.is_none() || flag("include_last_message", include_last_message)?;
    let (conversations, total) = conversations::list(
        &app.domain,
        user.actor(),
        with_last,
        window.limit,
        window.offset,
    )
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
async fn open(
    body: JsonBody<OpenBody>,
    user: AuthUser,
    app: &State<App>,
) -> ApiResult<Success<Conversation>> {
    let (conversation, is_new) =
        conversations::open(&app.domain, user.actor(), body.0.user_id).await?;
    Ok(if is_new {
        created(conversation)
    } else {
        ok(conversation)
    })
}

/// One conversation; 404 for anyone but its two participants.
#[get("/conversations/<id>")]
async fn get_one(id: i64, user: AuthUser, app: &State<App>) -> ApiResult<Success<Conversation>> {
    Ok(ok(conversations::get(&app.domain, user.actor(), id).await?))
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
    Ok(ok(conversations::set_blocked(
        &app.domain,
        user.actor(),
        id,
        blocked,
    )
    .await?))
}
