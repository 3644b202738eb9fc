//! `GET /api/v1/ws`: the real-time WebSocket (protocol in docs/REALTIME.md).

use rocket::{get, routes, Route, Shutdown, State};

use crate::app::App;
use crate::auth::guard::AuthUser;
use crate::realtime::connection::{self, Context};

pub fn routes() -> Vec<Route> {
    routes![socket]
}

/// Opens the real-time connection. The token (header or `?token=`) is checked
/// before the upgrade: a bad one answers 401 in the envelope.
#[get("/ws")]
fn socket(
    user: AuthUser,
    ws: rocket_ws::WebSocket,
    app: &State<App>,
    shutdown: Shutdown,
) -> rocket_ws::Channel<'static> {
    let cx = Context {
        db: app.db.clone(),
        hub: app.hub.clone(),
        actor: user.actor(),
        username: user.username,
        shutdown,
    };
    ws.config(connection::config()).channel(move |stream| {
        Box::pin(async move {
            connection::serve(stream, cx).await;
            Ok(())
        })
    })
}
