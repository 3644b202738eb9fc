//! `/api/v1/admin`: the server's statistics and account administration, for site
//! admins only. Direct conversations stay private: admins see how many there are,
//! never what is in them.

use rocket::{get, post, put, routes, Route, State};
use serde::{Deserialize, Serialize};

use crate::app::App;
use crate::auth::guard::AdminUser;
use crate::domain::accounts::{self, AdminCreating};
use crate::domain::recovery::{self, OneTimeLink};
use crate::domain::users;
use crate::error::{ApiError, ApiResult};
use crate::http::body::JsonBody;
use crate::http::pagination::{flag, ListMeta, ListParams, UserList};
use crate::http::respond::{created, ok, Success};
use crate::store::admin::ServerStats;
use crate::store::users::{Role, User, UserFilter};

pub fn routes() -> Vec<Route> {
    routes![stats, list_users, update_user, create_user, reset_link]
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

#[derive(Deserialize)]
pub struct CreateUserBody {
    username: String,
    email: String,
    password: Option<String>,
    role: Option<String>,
}

#[derive(Serialize)]
pub struct CreatedUser {
    #[serde(flatten)]
    user: User,
    /// Present when no password was given: a one-time link for the user to
    /// choose one, shown this once.
    #[serde(skip_serializing_if = "Option::is_none")]
    set_password: Option<OneTimeLink>,
}

/// Makes an account, whatever the registration mode. Without a password, the
/// answer carries a one-time link to hand its owner.
#[post("/admin/users", data = "<body>")]
async fn create_user(
    body: JsonBody<CreateUserBody>,
    _admin: AdminUser,
    app: &State<App>,
) -> ApiResult<Success<CreatedUser>> {
    let body = body.0;
    let form = AdminCreating {
        username: body.username,
        email: body.email,
        password: body.password,
        role: body.role.as_deref().map(parse_role).transpose()?,
    };
    let made = accounts::create_by_admin(&app.domain, form).await?;
    Ok(created(CreatedUser {
        user: made.user,
        set_password: made.set_password,
    }))
}

/// A one-time link for a user to set a new password, shown this once; their
/// sessions end when it is used.
#[post("/admin/users/<id>/password-reset")]
async fn reset_link(
    id: i64,
    _admin: AdminUser,
    app: &State<App>,
) -> ApiResult<Success<OneTimeLink>> {
    Ok(ok(recovery::admin_reset_link(&app.domain, id).await?))
}
