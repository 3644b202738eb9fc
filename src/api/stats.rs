//! `GET /api/v1/rooms/{id}/stats?period=24h|7d|30d|all`, and the bare ping route.

use rocket::{get, routes, Route, State};
use serde_json::{json, Value};

use crate::app::App;
use crate::auth::guard::AuthUser;
use crate::domain::rooms;
use crate::error::{ApiError, ApiResult};
use crate::http::respond::{ok, Success};
use crate::store::stats::{Period, RoomStats};

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
) -> ApiResult<Success<RoomStats>> {
    let period = match period.map(str::trim).filter(|p| !p.is_empty()) {
        None => Period::Week,
        Some(p) => Period::parse(p)
            .ok_or_else(|| ApiError::validation("period", "must be one of 24h, 7d, 30d, all"))?,
    };
    Ok(ok(
        rooms::statistics(&app.domain, user.actor(), id, period).await?
    ))
}

/// Answers without touching the database or checking a token: a liveness probe,
/// and the baseline the benchmark compares every route with.
#[get("/ping")]
fn ping() -> ApiResult<Success<Value>> {
    Ok(ok(json!({ "pong": true })))
}
