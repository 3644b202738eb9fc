//! `GET /api/v1/search`: full-text search of the messages the caller may read.

use rocket::{get, routes, Route, State};
use serde::Serialize;

use crate::app::App;
use crate::auth::guard::AuthUser;
use crate::domain::search::{self as domain, Query};
use crate::error::ApiResult;
use crate::http::pagination::{optional_id, ListParams};
use crate::http::respond::{ok, Success};
use crate::store::messages::Message;

pub fn routes() -> Vec<Route> {
    routes![search_messages]
}

/// A message found, with its text highlighted.
#[derive(Serialize)]
struct Found {
    #[serde(flatten)]
    message: Message,
    highlight: String,
}

#[derive(Serialize)]
struct Results {
    messages: Vec<Found>,
    has_more: bool,
}

/// Words, `"phrases"` and `prefix*`, all of which must match; best match first,
/// ties newest first; `room_id` or `conversation_id` narrows, `before_id` searches
/// older messages only.
#[get("/search?<q>&<room_id>&<conversation_id>&<before_id>&<list..>")]
async fn search_messages(
    q: Option<String>,
    room_id: Option<&str>,
    conversation_id: Option<&str>,
    before_id: Option<&str>,
    list: ListParams,
    user: AuthUser,
    app: &State<App>,
) -> ApiResult<Success<Results>> {
    let query = Query {
        q: q.unwrap_or_default(),
        room_id: optional_id("room_id", room_id)?,
        conversation_id: optional_id("conversation_id", conversation_id)?,
        before_id: optional_id("before_id", before_id)?,
        limit: list.window_with_default(20)?.limit,
    };
    let (hits, has_more) = domain::search(&app.domain, user.actor(), query).await?;
    let messages = hits
        .into_iter()
        .map(|hit| Found {
            message: hit.message,
            highlight: hit.highlight,
        })
        .collect();
    Ok(ok(Results { messages, has_more }))
}
