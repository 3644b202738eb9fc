//! `/api/v1/messages/{id}/reactions`: list, add, remove.

use rocket::{delete, get, post, routes, Route, State};
use serde::Deserialize;

use crate::api::body::JsonBody;
use crate::api::client::ClientInfo;
use crate::api::messages::message_access;
use crate::api::respond::{created, ok, Answer, NoContent};
use crate::app::App;
use crate::auth::guard::AuthUser;
use crate::error::{ApiError, ApiResult, Missing};
use crate::events::{self, Event};
use crate::store::reactions::{self, MessageReactions};
use crate::validate;

pub fn routes() -> Vec<Route> {
    routes![list, add, remove]
}

/// A message's reactions, grouped by emoji, with who reacted.
#[get("/messages/<id>/reactions")]
async fn list(id: i64, user: AuthUser, app: &State<App>) -> Answer<MessageReactions> {
    let who = (user.id, user.is_admin());
    let found = app
        .db
        .read(move |c| {
            message_access(c, id, who)?;
            reactions::list(c, id)
        })
        .await?;
    Ok(ok(found))
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
) -> Answer<MessageReactions> {
    let emoji = validate::emoji(&body.0.emoji)?;
    let who = (user.id, user.is_admin());
    let (added, found) = events::write(app, client.ip, move |c, events| {
        let (message, access) = message_access(c, id, who)?;
        access.require_can_write()?;
        let added = reactions::add(c, id, who.0, &emoji)?;
        if added {
            events.push(Event::ReactionAdded {
                container: message.container,
                message_id: id,
                user_id: who.0,
                emoji,
            });
        }
        Ok((added, reactions::list(c, id)?))
    })
    .await?;
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
    let emoji = validate::emoji(emoji)?;
    let who = (user.id, user.is_admin());
    events::write(app, client.ip, move |c, events| {
        let (message, _) = message_access(c, id, who)?;
        if !reactions::remove(c, id, who.0, &emoji)? {
            return Err(ApiError::NotFound(Missing::Resource));
        }
        events.push(Event::ReactionRemoved {
            container: message.container,
            message_id: id,
            user_id: who.0,
            emoji,
        });
        Ok(())
    })
    .await?;
    Ok(NoContent)
}
