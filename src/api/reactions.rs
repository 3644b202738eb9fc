//! `/api/v1/messages/{id}/reactions`: list, react, take back.

use rocket::{delete, get, post, routes, Route, State};
use serde::Deserialize;

use crate::app::App;
use crate::auth::guard::AuthUser;
use crate::domain::reactions;
use crate::error::ApiResult;
use crate::http::body::JsonBody;
use crate::http::client::ClientInfo;
use crate::http::respond::{created, ok, NoContent, Success};
use crate::store::reactions::MessageReactions;

pub fn routes() -> Vec<Route> {
    routes![list, add, remove]
}

/// A message's reactions, grouped by emoji, with who reacted.
#[get("/messages/<id>/reactions")]
async fn list(id: i64, user: AuthUser, app: &State<App>) -> ApiResult<Success<MessageReactions>> {
    Ok(ok(reactions::list(&app.domain, user.actor(), id).await?))
}

#[derive(Deserialize)]
pub struct ReactionBody {
    emoji: String,
}

/// Reacts to a message: 201 when new, 200 when the caller had already reacted so
/// (a reaction counts once). Members only.
#[post("/messages/<id>/reactions", data = "<body>")]
async fn add(
    id: i64,
    body: JsonBody<ReactionBody>,
    user: AuthUser,
    app: &State<App>,
    client: ClientInfo,
) -> ApiResult<Success<MessageReactions>> {
    let (added, found) =
        reactions::add(&app.domain, user.actor(), client.ip, id, &body.0.emoji).await?;
    Ok(if added { created(found) } else { ok(found) })
}

/// Takes back the caller's reaction; the emoji comes percent-encoded in the path.
#[delete("/messages/<id>/reactions/<emoji>")]
async fn remove(
    id: i64,
    emoji: &str,
    user: AuthUser,
    app: &State<App>,
    client: ClientInfo,
) -> ApiResult<NoContent> {
    reactions::remove(&app.domain, user.actor(), client.ip, id, emoji).await?;
    Ok(NoContent)
}
