//! `/api/v1/users`: the caller's profile and password, other users, search.

use rocket::{get, put, routes, Route, State};
use serde::Deserialize;

use crate::app::App;
use crate::auth::guard::AuthUser;
use crate::domain::{accounts, users};
use crate::error::{ApiError, ApiResult};
use crate::http::body::{nullable, JsonBody};
use crate::http::client::ClientInfo;
use crate::http::pagination::{ListMeta, ListParams, UserList};
use crate::http::respond::{ok, Success};
use crate::store::users::{ProfileChanges, User};
use crate::validate;

pub fn routes() -> Vec<Route> {
    routes![me, update_me, change_password, search, by_id]
}

/// `GET /api/users/me`, the platform API's spelling of `me`.
pub fn alias_routes() -> Vec<Route> {
    routes![me]
}

/// The caller's own profile, e-mail included.
#[get("/me")]
async fn me(user: AuthUser, app: &State<App>) -> ApiResult<Success<User>> {
    Ok(ok(users::get(&app.domain, user.actor(), user.id).await?))
}

#[derive(Deserialize)]
pub struct ProfileBody {
    username: Option<String>,
    email: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    first_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    last_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    status_message: Option<Option<String>>,
}

fn optional(
    field: &str,
    value: Option<Option<String>>,
    max: usize,
) -> Result<Option<Option<String>>, ApiError> {
    value
        .map(|v| validate::label(field, v.as_deref(), max))
        .transpose()
}

/// Changes the caller's profile; fields left out stay as they are, `null` clears.
#[put("/me", data = "<body>")]
async fn update_me(
    user: AuthUser,
    body: JsonBody<ProfileBody>,
    app: &State<App>,
) -> ApiResult<Success<User>> {
    let body = body.0;
    let changes = ProfileChanges {
        username: body
            .username
            .as_deref()
            .map(validate::username)
            .transpose()?,
        email: body.email.as_deref().map(validate::email).transpose()?,
        first_name: optional("first_name", body.first_name, validate::NAME_MAX)?,
        last_name: optional("last_name", body.last_name, validate::NAME_MAX)?,
        status_message: optional(
            "status_message",
            body.status_message,
            validate::STATUS_MESSAGE_MAX,
        )?,
    };
    Ok(ok(users::update_profile(
        &app.domain,
        user.actor(),
        changes,
    )
    .await?))
}

#[derive(Deserialize)]
pub struct PasswordBody {
    current_password: String,
    new_password: String,
}

/// Changes the caller's password and ends every other session of the account.
#[put("/me/password", data = "<body>")]
async fn change_password(
    user: AuthUser,
    body: JsonBody<PasswordBody>,
    app: &State<App>,
    client: ClientInfo,
) -> ApiResult<Success<accounts::PasswordChanged>> {
    let body = body.0;
    let changed = accounts::change_password(
        &app.domain,
        &app.logins,
        user.id,
        user.session_id,
        &client.ip_key,
        body.current_password,
        body.new_password,
    )
    .await?;
    Ok(ok(changed))
}

/// One user's public profile (the e-mail only for the user and admins).
#[get("/<id>", rank = 3)]
async fn by_id(id: i64, viewer: AuthUser, app: &State<App>) -> ApiResult<Success<User>> {
    Ok(ok(users::get(&app.domain, viewer.actor(), id).await?))
}

/// Active users whose username or name contains `q`; all active users without `q`.
#[get("/search?<q>&<list..>")]
async fn search(
    q: Option<String>,
    list: ListParams,
    viewer: AuthUser,
    app: &State<App>,
) -> ApiResult<Success<UserList>> {
    let window = list.window()?;
    let q = q.unwrap_or_default().trim().to_owned();
    if q.chars().count() > validate::USERNAME_MAX * 4 {
        return Err(ApiError::length(
            "q",
            0,
            validate::USERNAME_MAX * 4,
            q.chars().count(),
        ));
    }
    let (users, total) =
        users::search(&app.domain, viewer.actor(), q, window.limit, window.offset).await?;
    let meta = ListMeta::new(window, users.len(), total);
    Ok(ok(UserList { users, meta }))
}
