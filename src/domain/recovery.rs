//! E-mail verification and password reset (API §17), and the one-time links an
//! admin hands out. Tokens are random, stored as digests, single use, and bound
//! to their purpose; only the newest link of each kind works.

use serde::Serialize;

use crate::domain::Context;
use crate::error::{ApiError, ApiResult};
use crate::event::{EndedSessions, Event, Work};
use crate::limiter::MailRequests;
use crate::mail::compose;
use crate::sql::Connection;
use crate::store::account_tokens::{self, Purpose};
use crate::store::{mail, sessions, users};
use crate::{tokens, validate};

/// A reset link sent by mail lasts 30 minutes.
pub const RESET_TTL_SECS: u64 = 30 * 60;
/// A verification link lasts a day.
pub const VERIFY_TTL_SECS: u64 = 86_400;
/// A link an admin hands over lasts a day: it goes through a person, not a mailbox.
pub const ADMIN_LINK_TTL_SECS: u64 = 86_400;
/// Random bytes in a token (256 bits).
const TOKEN_BYTES: usize = 32;

/// A one-time link for someone to set a password.
#[derive(Debug, Clone, Serialize)]
pub struct OneTimeLink {
    pub url: String,
    pub expires_at: String,
}

fn require_smtp(cx: &Context) -> ApiResult<()> {
    match cx.config.smtp {
        Some(_) => Ok(()),
        None => Err(ApiError::NotFoundBecause(
            "this server sends no e-mail (no [smtp] section)",
        )),
    }
}

/// Inside a write: queues a verification mail for `user_id` at `email`.
pub(crate) fn queue_verification(
    base: &str,
    c: &Connection,
    events: &mut Vec<Event>,
    user_id: i64,
    username: &str,
    email: &str,
) -> ApiResult<()> {
    let token = tokens::random_hex(TOKEN_BYTES)?;
    account_tokens::insert(
        c,
        user_id,
        Purpose::VerifyEmail,
        &tokens::digest(&token),
        Some(email),
        VERIFY_TTL_SECS,
    )?;
    let link = compose::link(base, "verify-email", &token);
    mail::enqueue(c, &compose::verification(email, username, &link))?;
    events.push(Event::Queued(Work::Mail));
    Ok(())
}

/// Sends the caller a new verification link (when their address is not
/// verified yet); limited like a reset request.
pub async fn resend_verification(
    cx: &Context,
    limits: &MailRequests,
    client_key: &str,
    user_id: i64,
) -> ApiResult<()> {
    require_smtp(cx)?;
    let user = cx.db.read(move |c| users::require(c, user_id)).await?;
    if user.email_verified {
        return Err(ApiError::conflict("email", "is verified already"));
    }
    let email = user.email.unwrap_or_default();
    limits
        .hit(&email, client_key)
        .map_err(|wait| ApiError::RateLimited {
            retry_after_secs: wait,
        })?;
    let base = cx.config.public_base();
    cx.journal
        .write(None, move |c, events| {
            queue_verification(&base, c, events, user_id, &user.username, &email)
        })
        .await
}

/// Spends a verification token: the address it was sent to is verified, if it
/// is still the account's.
pub async fn verify_email(cx: &Context, token: &str) -> ApiResult<()> {
    require_smtp(cx)?;
    let digest = tokens::digest(token.trim());
    cx.journal
        .write(None, move |c, events| {
            let spent = account_tokens::spend(c, Purpose::VerifyEmail, &digest)?;
            let verified = match spent {
                Some(account_tokens::Spent {
                    user_id,
                    email: Some(email),
                }) => users::set_email_verified(c, user_id, &email)?.then_some(user_id),
                _ => None,
            };
            let user_id = verified.ok_or_else(invalid_token)?;
            events.push(Event::UserChanged { user_id });
            Ok(())
        })
        .await
}

fn invalid_token() -> ApiError {
    ApiError::validation(
        "token",
        "is not a valid link (unknown, used, expired, or for another address)",
    )
}

/// Asks for a reset link by mail. The answer never says whether an account has
/// the address: the lookup and the mail happen after it, off the request, and
/// the limits count every request alike.
pub async fn request_reset(
    cx: &Context,
    limits: &MailRequests,
    client_key: &str,
    email: &str,
) -> ApiResult<()> {
    require_smtp(cx)?;
    let email = validate::email(email)?;
    limits
        .hit(&email, client_key)
        .map_err(|wait| ApiError::RateLimited {
            retry_after_secs: wait,
        })?;
    let cx = cx.clone();
    tokio::spawn(async move {
        if let Err(e) = mail_reset_link(&cx, email).await {
            log::warn!("a password reset mail could not be queued: {e:?}");
        }
    });
    Ok(())
}

async fn mail_reset_link(cx: &Context, email: String) -> ApiResult<()> {
    let token = tokens::random_hex(TOKEN_BYTES)?;
    let digest = tokens::digest(&token);
    let link = compose::link(&cx.config.public_base(), "reset-password", &token);
    cx.journal
        .write(None, move |c, events| {
            let Some((user_id, username)) = users::active_by_email(c, &email)? else {
                return Ok(());
            };
            account_tokens::insert(
                c,
                user_id,
                Purpose::ResetPassword,
                &digest,
                Some(&email),
                RESET_TTL_SECS,
            )?;
            mail::enqueue(c, &compose::password_reset(&email, &username, &link))?;
            events.push(Event::Queued(Work::Mail));
            Ok(())
        })
        .await
}

/// Sets a new password with a reset token and ends every session of the
/// account. A token that came by mail also proves the address.
pub async fn confirm_reset(cx: &Context, token: &str, new_password: String) -> ApiResult<()> {
    validate::password("new_password", &new_password)?;
    let digest = tokens::digest(token.trim());
    // Look before hashing, so a wrong token costs no hash; the write spends it.
    let known = digest.clone();
    let usable = cx
        .db
        .read(move |c| account_tokens::peek(c, Purpose::ResetPassword, &known))
        .await?;
    if !usable {
        return Err(invalid_token());
    }
    let hash = cx.passwords.hash(new_password).await?;
    cx.journal
        .write(None, move |c, events| {
            let spent = account_tokens::spend(c, Purpose::ResetPassword, &digest)?
                .ok_or_else(invalid_token)?;
            users::set_password(c, spent.user_id, &hash)?;
            if let Some(email) = &spent.email {
                users::set_email_verified(c, spent.user_id, email)?;
            }
            sessions::revoke_all_but(c, spent.user_id, None, "password reset")?;
            events.push(Event::SessionsEnded(EndedSessions::AllOf {
                user_id: spent.user_id,
                keep: None,
            }));
            events.push(Event::UserChanged {
                user_id: spent.user_id,
            });
            Ok(())
        })
        .await
}

/// Inside a write: a one-time set-password link for `user_id`, made by an admin.
pub(crate) fn admin_link(base: &str, c: &Connection, user_id: i64) -> ApiResult<OneTimeLink> {
    let token = tokens::random_hex(TOKEN_BYTES)?;
    let expires_at = account_tokens::insert(
        c,
        user_id,
        Purpose::ResetPassword,
        &tokens::digest(&token),
        None,
        ADMIN_LINK_TTL_SECS,
    )?;
    Ok(OneTimeLink {
        url: compose::link(base, "reset-password", &token),
        expires_at,
    })
}

/// An admin's one-time reset link for a user (with or without SMTP). The
/// user's sessions end when it is used, not before.
pub async fn admin_reset_link(cx: &Context, user_id: i64) -> ApiResult<OneTimeLink> {
    let base = cx.config.public_base();
    cx.journal
        .apply(move |c| {
            let user = users::require(c, user_id)?;
            if !user.is_active {
                return Err(ApiError::conflict(
                    "is_active",
                    "the account is deactivated: reactivate it first",
                ));
            }
            admin_link(&base, c, user_id)
        })
        .await
}
