//! `GET /api/v1/rooms/{id}/stats?period=24h|7d|30d|all`, and the bare ping route.

use rocket::{get, routes, Route, State};
use serde_json::{json, Value};

use crate::api::respond::{ok, Answer};
use crate::app::App;
use crate::auth::guard::AuthUser;
use crate::error::ApiError;
use crate::store::rooms;
use crate::store::stats::{self, Period, RoomStats};

pub fn routes() -> Vec<Route> {
    routes![room_stats, ping]
}

/// A room's activity over a period: members (and admins) only.
#[get("/rooms/<id>/stats?<period>")]
async fn room_stats(
    id: i64,
    period: Option<&str>,
    user: AuthUser,
    app: &State<App>,
) -> Answer<RoomStats> {
    let period = match period.map(str::trim).filter(|p| !p.is_empty()) {
        None => Period::Week,
        Some(p) => Period::parse(p)
            .ok_or_else(|| ApiError::validation("period", "must be one of 24h, 7d, 30d, all"))?,
    };
    let who = (user.id, user.is_admin());
    let found = app
        .db
        .read(move |c| {
            rooms::access(c, id, who.0, who.1)?.require_member_or_admin()?;
            stats::room(c, id, period)
        })
        .await?;
    Ok(ok(found))
}

/// Answers without touching the database or checking a token: a liveness probe,
/// and the baseline the benchmark compares every route with.
#[get("/ping")]
fn ping() -> Answer<Value> {
    Ok(ok(json!({ "pong": true })))
}
