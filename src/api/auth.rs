//! `/api/v1/auth`: register, login, refresh, logout (also served under `/auth`).

use rocket::{get, post, routes, Route, State};
use serde::{Deserialize, Serialize};

use crate::app::App;
use crate::auth::guard::AuthUser;
use crate::auth::token_pair::TokenPair;
use crate::domain::accounts::{self, Registering};
use crate::domain::recovery;
use crate::error::{ApiError, ApiResult};
use crate::http::body::JsonBody;
use crate::http::client::ClientInfo;
use crate::http::respond::{accepted, created, ok, NoContent, Success};

pub fn routes() -> Vec<Route> {
    routes![
        methods,
        register,
        login,
        refresh,
        logout,
        verify_email,
        password_reset,
        password_reset_confirm
    ]
}

#[derive(Serialize)]
pub struct SignInMethods {
    /// Username or e-mail and password.
    password: bool,
    /// Whether anyone may register (otherwise only the first account could).
    registration_open: bool,
    /// `open`, `invite` (an invitation's code is needed) or `closed`.
    registration: crate::config::Registration,
    /// Whether the server sends e-mail: a forgotten password can be reset by mail.
    email: bool,
    /// The identity provider's name on its button, when one is configured.
    identity_provider: Option<String>,
}

/// How one may sign in here: what a sign-in page shows, asked without a 404.
#[get("/methods")]
fn methods(app: &State<App>) -> Success<SignInMethods> {
    ok(SignInMethods {
        password: true,
        registration_open: app.config.registration == crate::config::Registration::Open,
        registration: app.config.registration,
        email: app.config.smtp.is_some(),
        identity_provider: app.config.oidc.as_ref().map(|o| o.display_name.clone()),
    })
}

#[derive(Deserialize)]
pub struct RegisterBody {
    username: String,
    email: String,
    password: String,
    first_name: Option<String>,
    last_name: Option<String>,
    invite_code: Option<String>,
}

/// Creates an account and signs it in. The server's first account is its admin.
#[post("/register", data = "<body>")]
async fn register(
    body: JsonBody<RegisterBody>,
    app: &State<App>,
    client: ClientInfo,
) -> ApiResult<Success<TokenPair>> {
    let body = body.0;
    let form = Registering {
        username: body.username,
        email: body.email,
        password: body.password,
        first_name: body.first_name,
        last_name: body.last_name,
        invite_code: body.invite_code,
    };
    let signed = accounts::register(&app.domain, client.origin(), form).await?;
    Ok(created(TokenPair::issue(&app.jwt, signed)?))
}

#[derive(Deserialize)]
pub struct LoginBody {
    username: Option<String>,
    email: Option<String>,
    password: String,
}

/// Signs in by username or e-mail. Unknown account and wrong password answer alike.
#[post("/login", data = "<body>")]
async fn login(
    body: JsonBody<LoginBody>,
    app: &State<App>,
    client: ClientInfo,
) -> ApiResult<Success<TokenPair>> {
    let body = body.0;
    let login = body
        .username
        .or(body.email)
        .map(|l| l.trim().to_owned())
        .filter(|l| !l.is_empty())
        .ok_or_else(|| ApiError::validation("username", "give a username or an e-mail"))?;
    let signed = accounts::login(
        &app.domain,
        &app.logins,
        client.origin(),
        &login,
        body.password,
    )
    .await?;
    Ok(ok(TokenPair::issue(&app.jwt, signed)?))
}

#[derive(Deserialize)]
pub struct RefreshBody {
    refresh_token: String,
}

/// Trades a refresh token for a new pair. Each refresh token works once; a second
/// use revokes the whole session.
#[post("/refresh", data = "<body>")]
async fn refresh(body: JsonBody<RefreshBody>, app: &State<App>) -> ApiResult<Success<TokenPair>> {
    let signed = accounts::refresh(&app.domain, &body.0.refresh_token).await?;
    Ok(ok(TokenPair::issue(&app.jwt, signed)?))
}

/// Ends the caller's session: its refresh token and access tokens stop working.
#[post("/logout")]
async fn logout(user: AuthUser, app: &State<App>) -> ApiResult<NoContent> {
    accounts::logout(&app.domain, user.session_id).await?;
    Ok(NoContent)
}

#[derive(Deserialize)]
pub struct TokenBody {
    token: String,
}

#[derive(Serialize)]
pub struct Verified {
    email_verified: bool,
}

/// Spends an e-mail verification link's token (404 without `[smtp]`).
#[post("/verify-email", data = "<body>")]
async fn verify_email(body: JsonBody<TokenBody>, app: &State<App>) -> ApiResult<Success<Verified>> {
    recovery::verify_email(&app.domain, &body.0.token).await?;
    Ok(ok(Verified {
        email_verified: true,
    }))
}

#[derive(Deserialize)]
pub struct ResetBody {
    email: String,
}

#[derive(Serialize)]
pub struct ResetAccepted {
    message: &'static str,
}

/// Mails a password reset link if an account has this address; the answer is
/// the same either way (404 without `[smtp]`).
#[post("/password-reset", data = "<body>")]
async fn password_reset(
    body: JsonBody<ResetBody>,
    app: &State<App>,
    client: ClientInfo,
) -> ApiResult<Success<ResetAccepted>> {
    recovery::request_reset(
        &app.domain,
        &app.mail_requests,
        &client.ip_key,
        &body.0.email,
    )
    .await?;
    Ok(accepted(ResetAccepted {
        message: "if an account has this address, a link to reset its password is on its way",
    }))
}

#[derive(Deserialize)]
pub struct ResetConfirmBody {
    token: String,
    new_password: String,
}

/// Sets a new password with a reset link's token; every session of the
/// account ends.
#[post("/password-reset/confirm", data = "<body>")]
async fn password_reset_confirm(
    body: JsonBody<ResetConfirmBody>,
    app: &State<App>,
) -> ApiResult<NoContent> {
    let body = body.0;
    recovery::confirm_reset(&app.domain, &body.token, body.new_password).await?;
    Ok(NoContent)
}
