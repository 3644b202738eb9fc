//! `/api/v1/admin`: the server's statistics and account administration, for site
//! admins only. Direct conversations stay private: admins see how many there are,
//! never what is in them.

use rocket::{get, put, routes, Route, State};
use serde::Deserialize;

use crate::app::App;
use crate::auth::guard::AdminUser;
use crate::domain::users;
use crate::error::{ApiError, ApiResult};
use crate::http::body::JsonBody;
use crate::http::pagination::{flag, ListMeta, ListParams, UserList};
use crate::http::respond::{ok, Success};
use crate::store::admin::ServerStats;
use crate::store::users::{Role, User, UserFilter};

pub fn routes() -> Vec<Route> {
    routes![stats, list_users, update_user]
}

/// Users, rooms, messages, files, database size, uptime and version.
#[get("/admin/stats")]
async fn stats(_admin: AdminUser, app: &State<App>) -> ApiResult<Success<ServerStats>> {
    Ok(ok(users::server_stats(
        &app.domain,
        app.started_at.elapsed().as_secs(),
    )
    .await?))
}

fn parse_role(value: &str) -> Result<Role, ApiError> {
    match value.trim() {
        "user" => Ok(Role::User),
        "admin" => Ok(Role::Admin),
        _ => Err(ApiError::validation("role", "must be user or admin")),
    }
}

/// Every account, inactive ones included, with e-mails; `q`, `is_active` and
/// `role` filter.
#[get("/admin/users?<q>&<is_active>&<role>&<list..>")]
async fn list_users(
    q: Option<String>,
    is_active: Option<&str>,
    role: Option<&str>,
    list: ListParams,
    _admin: AdminUser,
    app: &State<App>,
) -> ApiResult<Success<UserList>> {
    let window = list.window()?;
    let filter = UserFilter {
        q: q.map(|q| q.trim().to_owned()).filter(|q| !q.is_empty()),
        is_active: is_active.map(|v| flag("is_active", Some(v))).transpose()?,
        role: role.map(parse_role).transpose()?,
    };
    let (users, total) = users::list_all(&app.domain, filter, window.limit, window.offset).await?;
    let meta = ListMeta::new(window, users.len(), total);
    Ok(ok(UserList { users, meta }))
}

#[derive(Deserialize)]
pub struct UpdateUserBody {
    is_active: Option<bool>,
    role: Option<String>,
}

/// Deactivates (ending every session at once), reactivates, promotes or demotes an
/// account. The server always keeps one active admin.
#[put("/admin/users/<id>", data = "<body>")]
async fn update_user(
    id: i64,
    body: JsonBody<UpdateUserBody>,
    _admin: AdminUser,
    app: &State<App>,
) -> ApiResult<Success<User>> {
    let body = body.0;
    let role = body.role.as_deref().map(parse_role).transpose()?;
    Ok(ok(
        users::set_status(&app.domain, id, body.is_active, role).await?
    ))
}
