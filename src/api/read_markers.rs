//! `POST /rooms/{id}/read` and `POST /conversations/{id}/read`: one handler for
//! the read markers of both kinds of place.

use rocket::{post, routes, Route, State};

use crate::app::App;
use crate::auth::guard::AuthUser;
use crate::domain::read_markers;
use crate::error::ApiResult;
use crate::http::body::{OptionalJsonBody, ReadBody};
use crate::http::respond::{ok, Success};
use crate::store::messages::Container;
use crate::store::read_markers::ReadState;

pub fn routes() -> Vec<Route> {
    routes![room, conversation]
}

/// Moves the caller's read marker to `message_id` (default: the latest message).
async fn mark_read(
    app: &App,
    user: &AuthUser,
    container: Container,
    body: OptionalJsonBody<ReadBody>,
) -> ApiResult<Success<ReadState>> {
    let message_id = body.0.and_then(|b| b.message_id);
    Ok(ok(read_markers::mark_read(
        &app.domain,
        user.actor(),
        container,
        message_id,
    )
    .await?))
}

/// A room member's read marker.
#[post("/rooms/<id>/read", data = "<body>")]
async fn room(
    id: i64,
    body: OptionalJsonBody<ReadBody>,
    user: AuthUser,
    app: &State<App>,
) -> ApiResult<Success<ReadState>> {
    mark_read(app, &user, Container::Room(id), body).await
}

/// A conversation participant's read marker.
#[post("/conversations/<id>/read", data = "<body>")]
async fn conversation(
    id: i64,
    body: OptionalJsonBody<ReadBody>,
    user: AuthUser,
    app: &State<App>,
) -> ApiResult<Success<ReadState>> {
    mark_read(app, &user, Container::Conversation(id), body).await
}
