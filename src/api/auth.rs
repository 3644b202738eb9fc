//! `/api/v1/auth`: register, login, refresh, logout (also served under `/auth`).

use rocket::{post, routes, Route, State};
use serde::{Deserialize, Serialize};

use crate::app::App;
use crate::auth::guard::AuthUser;
use crate::auth::password::MAX_LENGTH as PASSWORD_MAX;
use crate::auth::tokens;
use crate::config::Registration;
use crate::error::{ApiError, ApiResult};
use crate::http::body::JsonBody;
use crate::http::client::ClientInfo;
use crate::http::respond::{created, ok, Answer, NoContent};
use crate::store::sessions::{self, Lifetimes, Rotation, SessionInfo};
use crate::store::users::{self, NewUser, User};
use crate::validate;

pub fn routes() -> Vec<Route> {
    routes![register, login, refresh, logout]
}

/// What register, login and refresh answer.
#[derive(Serialize)]
pub struct TokenPair {
    access_token: String,
    refresh_token: String,
    expires_in: u64,
    token_type: &'static str,
    user: User,
}

fn token_pair(app: &App, user: User, session_id: i64, refresh: String) -> ApiResult<TokenPair> {
    Ok(TokenPair {
        access_token: app.jwt.issue(user.id, session_id)?,
        refresh_token: refresh,
        expires_in: app.jwt.access_ttl_secs,
        token_type: "Bearer",
        user,
    })
}

fn lifetimes(app: &App) -> Lifetimes {
    Lifetimes {
        refresh_ttl_secs: app.config.auth.refresh_token_ttl_secs,
        session_max_secs: app.config.auth.session_max_days * 86_400,
    }
}

#[derive(Deserialize)]
pub struct RegisterBody {
    username: String,
    email: String,
    password: String,
    first_name: Option<String>,
    last_name: Option<String>,
}

/// Creates an account and signs it in. The server's first account is its admin.
#[post("/register", data = "<body>")]
async fn register(
    body: JsonBody<RegisterBody>,
    app: &State<App>,
    client: ClientInfo,
) -> Answer<TokenPair> {
    let body = body.0;
    let username = validate::username(&body.username)?;
    let email = validate::email(&body.email)?;
    validate::password("password", &body.password)?;
    let first_name = validate::label("first_name", body.first_name.as_deref(), validate::NAME_MAX)?;
    let last_name = validate::label("last_name", body.last_name.as_deref(), validate::NAME_MAX)?;
    let open = app.config.registration == Registration::Open;

    // Refuse early what the write would refuse, so no hash is spent on it.
    let (name, mail) = (username.clone(), email.clone());
    app.db
        .read(move |c| {
            let any: bool = c.query_row("SELECT EXISTS (SELECT 1 FROM users)", [], |r| r.get(0))?;
            if any && !open {
                return Err(ApiError::RegistrationClosed);
            }
            users::ensure_unique(c, Some(&name), Some(&mail), None)
        })
        .await?;

    let password_hash = app.passwords.hash(body.password).await?;
    let refresh = tokens::random_hex(32)?;
    let digest = tokens::digest(&refresh);
    let ttl = lifetimes(app);
    let new = NewUser {
        username,
        email,
        password_hash,
        first_name,
        last_name,
    };
    let (user, session_id) = app
        .db
        .write(move |c| {
            let user = users::insert(c, new, open)?;
            let info = SessionInfo {
                user_id: user.id,
                ip_address: client.ip.as_deref(),
                user_agent: client.user_agent.as_deref(),
            };
            let session_id = sessions::create(c, info, &digest, ttl)?;
            users::record_login(c, user.id)?;
            Ok((users::require(c, user.id)?, session_id))
        })
        .await?;
    Ok(created(token_pair(app, user, session_id, refresh)?))
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
) -> Answer<TokenPair> {
    let body = body.0;
    let login = body
        .username
        .or(body.email)
        .map(|l| l.trim().to_owned())
        .filter(|l| !l.is_empty())
        .ok_or_else(|| ApiError::validation("username", "give a username or an e-mail"))?;
    // Resolve the account first, so its username and e-mail share one count, and
    // count the attempt before the (slow) password check.
    let too_long = body.password.chars().count() > PASSWORD_MAX;
    let lookup = login.clone();
    let account = app.db.read(move |c| users::credentials(c, &lookup)).await?;
    let attempt = app
        .logins
        .attempt(account.as_ref().map(|a| a.id), &client.ip_key)
        .map_err(|wait| ApiError::RateLimited {
            retry_after_secs: wait,
        })?;
    let verified = if too_long {
        None // no account has such a password; do not spend a hash on it
    } else {
        let hash = account.as_ref().map(|a| a.password_hash.clone());
        let matches = app.passwords.verify(body.password, hash).await?;
        account.filter(|_| matches)
    };
    let Some(account) = verified else {
        attempt.failed();
        return Err(ApiError::InvalidCredentials);
    };
    app.logins.succeeded(attempt);
    if !account.is_active {
        return Err(ApiError::PermissionDenied("this account is deactivated"));
    }

    let refresh = tokens::random_hex(32)?;
    let digest = tokens::digest(&refresh);
    let ttl = lifetimes(app);
    let (user, session_id) = app
        .db
        .write(move |c| {
            let info = SessionInfo {
                user_id: account.id,
                ip_address: client.ip.as_deref(),
                user_agent: client.user_agent.as_deref(),
            };
            let session_id = sessions::create(c, info, &digest, ttl)?;
            users::record_login(c, account.id)?;
            Ok((users::require(c, account.id)?, session_id))
        })
        .await?;
    Ok(ok(token_pair(app, user, session_id, refresh)?))
}

#[derive(Deserialize)]
pub struct RefreshBody {
    refresh_token: String,
}

/// Trades a refresh token for a new pair. Each refresh token works once; a second
/// use revokes the whole session.
#[post("/refresh", data = "<body>")]
async fn refresh(body: JsonBody<RefreshBody>, app: &State<App>) -> Answer<TokenPair> {
    let old = tokens::digest(body.0.refresh_token.trim());
    let refresh = tokens::random_hex(32)?;
    let new = tokens::digest(&refresh);
    let ttl = lifetimes(app);
    let rotated = app
        .db
        .write(move |c| {
            Ok(match sessions::rotate(c, &old, &new, ttl)? {
                Rotation::Rotated {
                    user_id,
                    session_id,
                } => Ok((users::require(c, user_id)?, session_id)),
                Rotation::Reused { session_id } => Err(session_id),
                Rotation::Invalid => {
                    return Err(ApiError::InvalidToken("unknown or expired refresh token"))
                }
            })
        })
        .await?;
    match rotated {
        Ok((user, session_id)) => Ok(ok(token_pair(app, user, session_id, refresh)?)),
        Err(revoked) => {
            app.sessions.forget_session(revoked);
            Err(ApiError::InvalidToken(
                "refresh token already used; the session has been revoked",
            ))
        }
    }
}

/// Ends the caller's session: its refresh token and access tokens stop working.
#[post("/logout")]
async fn logout(user: AuthUser, app: &State<App>) -> ApiResult<NoContent> {
    let session_id = user.session_id;
    app.db
        .write(move |c| sessions::revoke(c, session_id, "logout"))
        .await?;
    app.sessions.forget_session(session_id);
    Ok(NoContent)
}
