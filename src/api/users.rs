//! `/api/v1/users`: the caller's profile and password, other users, search.

use rocket::data::Data;
use rocket::http::{ContentType, Header, Status};
use rocket::{delete, get, post, put, routes, Route, State};
use serde::Deserialize;

use crate::app::App;
use crate::auth::guard::AuthUser;
use crate::domain::{accounts, avatars, recovery, users};
use crate::error::{ApiError, ApiResult};
use crate::http::body::{nullable, JsonBody};
use crate::http::client::ClientInfo;
use crate::http::pagination::{ListMeta, ListParams, UserList};
use crate::http::respond::{accepted, ok, NoContent, Success};
use crate::http::upload::{read_form, UploadHead, UploadLimits};
use crate::store::users::{ProfileChanges, User};
use crate::validate;

pub fn routes() -> Vec<Route> {
    routes![
        me,
        update_me,
        change_password,
        search,
        by_id,
        set_avatar,
        remove_avatar,
        avatar,
        resend_verification,
        sessions,
        end_session
    ]
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

/// Sets the caller's avatar (multipart `file`: a PNG, JPEG, GIF or WebP image
/// up to 5 MiB), re-encoded as a square of at most 256 px.
#[put("/me/avatar", data = "<data>")]
async fn set_avatar(
    user: AuthUser,
    head: UploadHead,
    data: Data<'_>,
    app: &State<App>,
) -> ApiResult<Success<User>> {
    let limits = UploadLimits {
        store: &app.domain.files,
        max_bytes: avatars::MAX_BYTES,
    };
    let form = read_form(head, data, limits, |_, _| async { Ok(()) }).await?;
    Ok(ok(avatars::set(&app.domain, user.id, form.staged).await?))
}

/// Removes the caller's avatar.
#[delete("/me/avatar")]
async fn remove_avatar(user: AuthUser, app: &State<App>) -> ApiResult<NoContent> {
    avatars::remove(&app.domain, user.id).await?;
    Ok(NoContent)
}

/// An avatar's image, as Veza encoded it. Its URL names its digest, so it may
/// be kept for good.
pub struct AvatarImage {
    content_type: ContentType,
    etag: String,
    bytes: Vec<u8>,
    not_modified: bool,
}

impl<'r> rocket::response::Responder<'r, 'static> for AvatarImage {
    fn respond_to(self, _: &'r rocket::Request<'_>) -> rocket::response::Result<'static> {
        let mut response = rocket::Response::build();
        response
            .header(Header::new("ETag", self.etag))
            .header(Header::new(
                "Cache-Control",
                "private, max-age=31536000, immutable",
            ));
        if self.not_modified {
            return response.status(Status::NotModified).ok();
        }
        response
            .header(self.content_type)
            .sized_body(self.bytes.len(), std::io::Cursor::new(self.bytes))
            .ok()
    }
}

/// The `If-None-Match` header, when a client revalidates.
pub struct IfNoneMatch(Option<String>);

#[rocket::async_trait]
impl<'r> rocket::request::FromRequest<'r> for IfNoneMatch {
    type Error = ();
    async fn from_request(req: &'r rocket::Request<'_>) -> rocket::request::Outcome<Self, ()> {
        rocket::request::Outcome::Success(IfNoneMatch(
            req.headers().get_one("If-None-Match").map(str::to_owned),
        ))
    }
}

/// A user's avatar, for anyone signed in.
#[get("/<id>/avatar?<v>", rank = 2)]
async fn avatar(
    id: i64,
    v: Option<&str>,
    _viewer: AuthUser,
    if_none_match: IfNoneMatch,
    app: &State<App>,
) -> ApiResult<AvatarImage> {
    let _ = v; // the digest only makes each avatar's URL its own
    let found = avatars::get(&app.domain, id).await?;
    let etag = format!("\"{}\"", found.digest);
    let not_modified = if_none_match
        .0
        .is_some_and(|tags| tags.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let content_type = ContentType::parse_flexible(&found.content_type).unwrap_or(ContentType::PNG);
    Ok(AvatarImage {
        content_type,
        etag,
        bytes: found.bytes,
        not_modified,
    })
}

/// Sends the caller a new link to verify their e-mail address (404 without
/// `[smtp]`; 409 when it is verified already).
#[post("/me/verify-email")]
async fn resend_verification(
    user: AuthUser,
    app: &State<App>,
    client: ClientInfo,
) -> ApiResult<Success<Sent>> {
    recovery::resend_verification(&app.domain, &app.mail_requests, &client.ip_key, user.id).await?;
    Ok(accepted(Sent { sent: true }))
}

#[derive(serde::Serialize)]
pub struct Sent {
    sent: bool,
}

#[derive(serde::Serialize)]
pub struct SessionList {
    sessions: Vec<crate::store::sessions::SessionView>,
    /// The session this request comes from.
    current_session_id: i64,
}

/// Where the caller is signed in.
#[get("/me/sessions")]
async fn sessions(user: AuthUser, app: &State<App>) -> ApiResult<Success<SessionList>> {
    Ok(ok(SessionList {
        sessions: accounts::sessions_of(&app.domain, user.id).await?,
        current_session_id: user.session_id,
    }))
}

/// Signs one of the caller's sessions out.
#[delete("/me/sessions/<id>")]
async fn end_session(id: i64, user: AuthUser, app: &State<App>) -> ApiResult<NoContent> {
    accounts::end_session(&app.domain, user.id, id).await?;
    Ok(NoContent)
}
