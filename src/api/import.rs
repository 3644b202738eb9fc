//! `POST /api/v1/admin/import`: one batch of an import (API §21) applied by a
//! running server, as `veza import … --url URL --token TOKEN` sends them.

use rocket::data::Data;
use rocket::{post, routes, Route, State};

use crate::app::App;
use crate::auth::guard::AdminUser;
use crate::domain::import::{self, Target};
use crate::error::{ApiError, ApiResult};
use crate::http::respond::{ok, Success};
use crate::import::model::{Batch, Counts};

/// The largest batch (the command sends at most 16 MiB of files in one).
const BATCH_MAX: u64 = 64 << 20;

pub fn routes() -> Vec<Route> {
    routes![import_batch]
}

/// Applies one batch of an import; answers what it did.
#[post("/admin/import", data = "<data>")]
async fn import_batch(
    _admin: AdminUser,
    data: Data<'_>,
    app: &State<App>,
) -> ApiResult<Success<Counts>> {
    let bytes = crate::http::body::read_capped(data, BATCH_MAX).await?;
    let batch: Batch = crate::http::body::parse(&bytes)?;
    if !matches!(batch.source.as_str(), "slack" | "mattermost") {
        return Err(ApiError::validation(
            "source",
            "must be slack or mattermost",
        ));
    }
    let target = Target {
        db: &app.domain.db,
        journal: &app.domain.journal,
        files: &app.domain.files,
        max_file_bytes: app.config.limits.upload_max_bytes,
    };
    Ok(ok(import::apply(&target, batch).await?))
}
