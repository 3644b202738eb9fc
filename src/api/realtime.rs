//! `GET /api/v1/ws`: the real-time WebSocket (protocol in docs/REALTIME.md).

use rocket::{get, routes, Route, Shutdown, State};

use crate::app::App;
use crate::auth::guard::{AccessToken, AuthUser};
use crate::error::ApiError;
use crate::realtime::connection::{self, Context};

pub fn routes() -> Vec<Route> {
    routes![socket]
}

/// Opens the real-time connection. The token (header or `?token=`) is checked
/// before the upgrade: a bad one answers 401 in the envelope, and a user who holds
/// too many connections already gets 429.
#[get("/ws")]
fn socket(
    user: AuthUser,
    token: AccessToken,
    ws: rocket_ws::WebSocket,
    app: &State<App>,
    shutdown: Shutdown,
) -> Result<rocket_ws::Channel<'static>, ApiError> {
    if !app.hub.has_room_for(user.id) {
        return Err(ApiError::TooManyConnections {
            max: crate::realtime::hub::MAX_PER_USER,
        });
    }
    let cx = Context {
        db: app.domain.db.clone(),
        journal: app.domain.journal.clone(),
        hub: app.hub.clone(),
        jwt: app.jwt.clone(),
        actor: user.actor(),
        username: user.username,
        session_id: user.session_id,
        token_expires: token.expires,
        shutdown,
    };
    Ok(ws.config(connection::config()).channel(move |stream| {
        Box::pin(async move {
            connection::serve(stream, cx).await;
            Ok(())
        })
    }))
}
