//! Accounts and sessions: register, log in, refresh, log out, change a password.

use serde::Serialize;

use crate::limiter::{LoginRefusal, LoginThrottle};

use crate::config::Registration;
use crate::domain::{invites, recovery, Context};
use crate::error::{ApiError, ApiResult};
use crate::event::{EndedSessions, Event};
use crate::sql::Connection;
use crate::store::sessions::{self, Lifetimes, Rotation, SessionInfo};
use crate::store::users::{self, NewUser, User};
use crate::tokens;
use crate::validate;
use crate::validate::PASSWORD_MAX_LENGTH as PASSWORD_MAX;

/// Where a sign-in comes from, as the network tells.
#[derive(Debug, Clone)]
pub struct Origin {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// The limit key of the client's address.
    pub address_key: String,
}

/// A signed-in session: what register, login, refresh and an identity
/// provider's sign-in give. The HTTP layer adds the access token.
pub struct SignedIn {
    pub user: User,
    pub session_id: i64,
    /// The client's copy of the refresh token (the database keeps its digest).
    pub refresh_token: String,
}

pub(crate) fn lifetimes(cx: &Context) -> Lifetimes {
    Lifetimes {
        refresh_ttl_secs: cx.config.auth.refresh_token_ttl_secs,
        session_max_secs: cx.config.auth.session_max_days * 86_400,
    }
}

/// A new refresh token: the client's copy and the digest the database keeps.
pub(crate) fn new_refresh_token() -> ApiResult<(String, String)> {
    let token = tokens::random_hex(32)?;
    let digest = tokens::digest(&token);
    Ok((token, digest))
}

/// Opens a session for `user_id` inside a write: the one place a login becomes a
/// session, for registration and login alike. Returns the session id.
pub(crate) fn open_session(
    c: &Connection,
    user_id: i64,
    origin: &Origin,
    refresh_digest: &str,
    lifetimes: Lifetimes,
) -> ApiResult<i64> {
    let info = SessionInfo {
        user_id,
        ip_address: origin.ip.as_deref(),
        user_agent: origin.user_agent.as_deref(),
    };
    let session_id = sessions::create(c, info, refresh_digest, lifetimes)?;
    users::record_login(c, user_id)?;
    Ok(session_id)
}

/// The sign-in of a session just opened or renewed.
pub(crate) async fn signed_in(
    cx: &Context,
    user_id: i64,
    session_id: i64,
    refresh_token: String,
) -> ApiResult<SignedIn> {
    let user = cx.db.read(move |c| users::require(c, user_id)).await?;
    Ok(SignedIn {
        user,
        session_id,
        refresh_token,
    })
}

/// What registration asks for, as the client gave it.
pub struct Registering {
    pub username: String,
    pub email: String,
    pub password: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// An invitation's code: needed unless registration is `open`; its rooms
    /// are joined.
    pub invite_code: Option<String>,
}

/// Creates an account and signs it in. The server's first account is its admin.
pub async fn register(cx: &Context, origin: Origin, form: Registering) -> ApiResult<SignedIn> {
    let username = validate::username(&form.username)?;
    let email = validate::email(&form.email)?;
    validate::password("password", &form.password)?;
    let first_name = validate::label("first_name", form.first_name.as_deref(), validate::NAME_MAX)?;
    let last_name = validate::label("last_name", form.last_name.as_deref(), validate::NAME_MAX)?;
    let code = form
        .invite_code
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty());
    let mode = cx.config.registration;
    let needs_invite = mode != Registration::Open;

    // Refuse early what the write would refuse, so no hash is spent on it.
    let (name, mail) = (username.clone(), email.clone());
    let looked_up = code.clone();
    let closed = mode == Registration::Closed;
    cx.db
        .read(move |c| {
            if users::any(c)? {
                match &looked_up {
                    None if needs_invite => return Err(ApiError::RegistrationClosed),
                    None => {}
                    // Checked again, and counted, in the write.
                    Some(code) => invites::check(c, code, closed)?,
                }
            }
            Ok(users::ensure_unique(c, Some(&name), Some(&mail), None)?)
        })
        .await?;

    let password_hash = cx.passwords.hash(form.password).await?;
    let (refresh, digest) = new_refresh_token()?;
    let lifetimes = lifetimes(cx);
    let mails = cx.config.smtp.is_some();
    let base = cx.config.public_base();
    let (user_id, session_id) = cx
        .journal
        .write(None, move |c, events| {
            let first = !users::any(c)?;
            let invite = match &code {
                Some(code) if !first => Some(invites::take(c, code, mode == Registration::Closed)?),
                _ => None,
            };
            if !first && needs_invite && invite.is_none() {
                return Err(ApiError::RegistrationClosed);
            }
            // An invitation mailed to this very address proves it.
            let vouched = mails
                && invite
                    .as_ref()
                    .and_then(|i| i.email.as_deref())
                    .is_some_and(|to| to.eq_ignore_ascii_case(&email));
            let new = NewUser {
                username: username.clone(),
                email: email.clone(),
                password_hash,
                first_name,
                last_name,
                email_verified: vouched,
            };
            let user_id = users::insert(c, new, true)?;
            events.push(Event::UserCreated { user_id });
            if let Some(invite) = &invite {
                invites::join_rooms(c, events, invite, user_id)?;
            }
            if mails && !vouched {
                recovery::queue_verification(&base, c, events, user_id, &username, &email)?;
            }
            Ok((
                user_id,
                open_session(c, user_id, &origin, &digest, lifetimes)?,
            ))
        })
        .await?;
    signed_in(cx, user_id, session_id, refresh).await
}

/// What an admin gives to make an account.
pub struct AdminCreating {
    pub username: String,
    pub email: String,
    /// Absent: the answer carries a one-time link for the user to set one.
    pub password: Option<String>,
    pub role: Option<crate::store::users::Role>,
}

/// An account an admin made, and the link to hand its owner when no password
/// was given.
pub struct AdminCreated {
    pub user: User,
    pub set_password: Option<recovery::OneTimeLink>,
}

/// Makes an account (admins), whatever the registration mode.
pub async fn create_by_admin(cx: &Context, form: AdminCreating) -> ApiResult<AdminCreated> {
    let username = validate::username(&form.username)?;
    let email = validate::email(&form.email)?;
    if let Some(password) = &form.password {
        validate::password("password", password)?;
    }
    let (name, mail) = (username.clone(), email.clone());
    cx.db
        .read(move |c| users::ensure_unique(c, Some(&name), Some(&mail), None))
        .await?;
    let password_hash = match form.password {
        Some(password) => Some(cx.passwords.hash(password).await?),
        None => None,
    };
    let role = form.role;
    let base = cx.config.public_base();
    let mails = cx.config.smtp.is_some();
    let (user_id, set_password) = cx
        .journal
        .write(None, move |c, events| {
            let link_needed = password_hash.is_none();
            let new = NewUser {
                username: username.clone(),
                email: email.clone(),
                // No password yet: nothing can sign in with this until the link is used.
                password_hash: password_hash.unwrap_or_else(|| NO_PASSWORD_YET.into()),
                first_name: None,
                last_name: None,
                email_verified: false,
            };
            let user_id = users::insert(c, new, true)?;
            if let Some(role) = role {
                users::set_status(c, user_id, None, Some(role))?;
            }
            events.push(Event::UserCreated { user_id });
            if mails {
                recovery::queue_verification(&base, c, events, user_id, &username, &email)?;
            }
            let link = match link_needed {
                true => Some(recovery::admin_link(&base, c, user_id)?),
                false => None,
            };
            Ok((user_id, link))
        })
        .await?;
    let user = cx.db.read(move |c| users::require(c, user_id)).await?;
    Ok(AdminCreated { user, set_password })
}

/// The stored hash of an account made without a password: no password matches it.
const NO_PASSWORD_YET: &str = "!unset";

/// Signs in by username or e-mail. An unknown account, a wrong password and a
/// deactivated account answer alike.
pub async fn login(
    cx: &Context,
    logins: &LoginThrottle,
    origin: Origin,
    login: &str,
    password: String,
) -> ApiResult<SignedIn> {
    // Resolve the account first, so its username and e-mail share one count, and
    // count the attempt before the (slow) password check.
    let too_long = password.chars().count() > PASSWORD_MAX;
    let lookup = login.to_owned();
    let account = cx.db.read(move |c| users::credentials(c, &lookup)).await?;
    let attempt = logins
        .attempt(account.as_ref().map(|a| a.id), &origin.address_key)
        .await
        .map_err(refused)?;
    let verified = if too_long {
        None // no account has such a password; do not spend a hash on it
    } else {
        let hash = account.as_ref().map(|a| a.password_hash.clone());
        let matches = cx.passwords.verify(password, hash).await?;
        // A deactivated account answers as a wrong password does, so that the
        // answer never confirms a password (and it counts as a failure).
        account.filter(|a| matches && a.is_active)
    };
    let Some(account) = verified else {
        attempt.failed();
        return Err(ApiError::InvalidCredentials);
    };
    logins.succeeded(attempt).await;
    let (refresh, digest) = new_refresh_token()?;
    let lifetimes = lifetimes(cx);
    let session_id = cx
        .journal
        .apply(move |c| open_session(c, account.id, &origin, &digest, lifetimes))
        .await?;
    signed_in(cx, account.id, session_id, refresh).await
}

/// Trades a refresh token for a new pair. Each refresh token works once; a second
/// use revokes the whole session.
pub async fn refresh(cx: &Context, refresh_token: &str) -> ApiResult<SignedIn> {
    let old = tokens::digest(refresh_token.trim());
    let (refresh, new) = new_refresh_token()?;
    let lifetimes = lifetimes(cx);
    let rotation = cx
        .journal
        .write(None, move |c, events| {
            let rotation = sessions::rotate(c, &old, &new, lifetimes)?;
            if let Rotation::Reused { session_id } = rotation {
                events.push(Event::SessionsEnded(EndedSessions::One(session_id)));
            }
            Ok(rotation)
        })
        .await?;
    match rotation {
        Rotation::Rotated {
            user_id,
            session_id,
        } => signed_in(cx, user_id, session_id, refresh).await,
        Rotation::Reused { .. } => Err(ApiError::InvalidToken(
            "refresh token already used; the session has been revoked",
        )),
        Rotation::Invalid => Err(ApiError::InvalidToken("unknown or expired refresh token")),
    }
}

/// Ends a session: its refresh token and access tokens stop working at once.
pub async fn logout(cx: &Context, session_id: i64) -> ApiResult<()> {
    cx.journal
        .write(None, move |c, events| {
            sessions::revoke(c, session_id, "logout")?;
            events.push(Event::SessionsEnded(EndedSessions::One(session_id)));
            Ok(())
        })
        .await
}

/// What a password change did.
#[derive(Serialize)]
pub struct PasswordChanged {
    pub password_changed: bool,
    pub other_sessions_ended: usize,
}

/// Changes `user_id`'s password and ends their other sessions. A wrong current
/// password counts as a failed login, counted before it is checked.
pub async fn change_password(
    cx: &Context,
    logins: &LoginThrottle,
    user_id: i64,
    keep_session: i64,
    address_key: &str,
    current: String,
    new: String,
) -> ApiResult<PasswordChanged> {
    validate::password("new_password", &new)?;
    let attempt = logins
        .attempt(Some(user_id), address_key)
        .await
        .map_err(refused)?;
    let hash = cx
        .db
        .read(move |c| users::password_hash(c, user_id))
        .await?;
    if !cx.passwords.verify(current, Some(hash)).await? {
        attempt.failed();
        return Err(ApiError::validation("current_password", "is not correct"));
    }
    logins.succeeded(attempt).await;
    let new_hash = cx.passwords.hash(new).await?;
    let ended = cx
        .journal
        .write(None, move |c, events| {
            users::set_password(c, user_id, &new_hash)?;
            let ended =
                sessions::revoke_all_but(c, user_id, Some(keep_session), "password changed")?;
            events.push(Event::SessionsEnded(EndedSessions::AllOf {
                user_id,
                keep: Some(keep_session),
            }));
            Ok(ended)
        })
        .await?;
    Ok(PasswordChanged {
        password_changed: true,
        other_sessions_ended: ended,
    })
}

/// The caller's live sessions (where they are signed in).
pub async fn sessions_of(cx: &Context, user_id: i64) -> ApiResult<Vec<sessions::SessionView>> {
    Ok(cx.db.read(move |c| sessions::live_of(c, user_id)).await?)
}

/// Ends one of the caller's sessions (another browser, a lost phone): its
/// tokens stop at once. Someone else's session is not found.
pub async fn end_session(cx: &Context, user_id: i64, session_id: i64) -> ApiResult<()> {
    cx.journal
        .write(None, move |c, events| {
            if !sessions::is_live_of(c, user_id, session_id)? {
                return Err(ApiError::NotFoundBecause("no such session"));
            }
            sessions::revoke(c, session_id, "signed out from another session")?;
            events.push(Event::SessionsEnded(EndedSessions::One(session_id)));
            Ok(())
        })
        .await
}

/// A login attempt that may not be made.
fn refused(refusal: LoginRefusal) -> ApiError {
    match refusal {
        LoginRefusal::Wait(secs) => ApiError::RateLimited {
            retry_after_secs: secs,
        },
        LoginRefusal::Failed(e) => e.into(),
    }
}
