//! `GET /health`: 200 `{"status":"ok"}` when the database answers and SQLite has
//! not reported its file damaged; 503 otherwise. No token needed.

use rocket::serde::json::{json, Value};
use rocket::{get, routes, Route, State};

use crate::app::App;
use crate::error::ApiError;

pub fn routes() -> Vec<Route> {
    routes![health]
}

#[get("/health")]
async fn health(app: &State<App>) -> Result<Value, ApiError> {
    if app.domain.db.is_damaged() {
        return Err(ApiError::Unavailable(
            "the database file is damaged; restore a backup (see the log)",
        ));
    }
    app.domain
        .db
        .read(|c| Ok::<_, ApiError>(c.query_row("SELECT 1", [], |r| r.get::<_, i64>(0))?))
        .await?;
    Ok(json!({ "status": "ok" }))
}
