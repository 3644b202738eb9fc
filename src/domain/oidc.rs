//! Sign-in with the identity provider (API.md §11): starting one, finishing it,
//! and the account it lands in.
//!
//! Accounts are found by the provider's (issuer, `sub`), never by e-mail. A first
//! sign-in creates an account when registration is open; if a local account
//! already has the provider's e-mail, nothing is created and the person is told to
//! sign in with their password and link the provider from there (a sign-in started
//! with a bearer token links the identity to that account).

use serde::Serialize;
use unicode_normalization::UnicodeNormalization;

use crate::config::Registration;
use crate::domain::accounts::{self, Origin, SignedIn};
use crate::domain::Context;
use crate::error::{ApiError, ApiResult, Missing};
use crate::event::Event;
use crate::oidc::id_token::IdClaims;
use crate::oidc::Oidc;
use crate::sql::Connection;
use crate::store::oidc::{self as identities, Pending, STATE_TTL_SECS};
use crate::store::users::{self, NewUser};
use crate::tokens;
use crate::validate;

/// The password hash of an account made by the provider: not a hash at all, so
/// no password ever matches it; such an account signs in through the provider.
const NO_PASSWORD: &str = "!sso";

/// Where a sign-in goes next.
#[derive(Serialize)]
pub struct Started {
    pub authorization_url: String,
    pub state: String,
    /// Seconds the sign-in may take before its state expires.
    pub expires_in: u64,
}

/// What the provider sent back, as the callback or the client relays it.
#[derive(Default)]
pub struct Returned {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

/// The configured provider; 404 when there is none.
pub fn provider(cx: &Context) -> ApiResult<&Oidc> {
    cx.oidc.as_deref().ok_or(ApiError::NotFound(Missing::Route))
}

/// Starts a sign-in: a fresh state, nonce and PKCE verifier kept server-side,
/// and the provider's URL to send the browser to. With `link_user_id`, the
/// identity the provider vouches for is linked to that account.
pub async fn start(cx: &Context, link_user_id: Option<i64>) -> ApiResult<Started> {
    let oidc = provider(cx)?;
    let metadata = oidc.metadata().await?;
    let state = tokens::random_hex(32)?;
    let pending = Pending {
        nonce: tokens::random_hex(32)?,
        code_verifier: tokens::random_hex(48)?,
        link_user_id,
    };
    let authorization_url =
        oidc.authorization_url(&metadata, &state, &pending.nonce, &pending.code_verifier)?;
    let digest = tokens::digest(&state);
    cx.journal
        .apply(move |c| {
            Ok(identities::begin(
                c,
                &digest,
                &pending,
                crate::time::unix_now(),
            )?)
        })
        .await?;
    Ok(Started {
        authorization_url,
        state,
        expires_in: STATE_TTL_SECS,
    })
}

/// The longest `code` or `state` taken from a client.
const MAX_PARAMETER: usize = 2048;

fn required(field: &str, value: Option<String>) -> ApiResult<String> {
    let value = value.unwrap_or_default();
    if value.is_empty() {
        return Err(ApiError::validation(field, "is required"));
    }
    if value.len() > MAX_PARAMETER {
        return Err(ApiError::length(
            field,
            1,
            MAX_PARAMETER,
            value.chars().count(),
        ));
    }
    Ok(value)
}

/// Finishes a sign-in: takes its state (once), exchanges the code, checks the
/// ID token and signs the account in, with the same answer as a password login.
pub async fn finish(cx: &Context, origin: Origin, returned: Returned) -> ApiResult<SignedIn> {
    let oidc = provider(cx)?;
    let state = required("state", returned.state)?;
    let digest = tokens::digest(&state);
    let now = crate::time::unix_now();
    let pending = cx
        .journal
        .apply(move |c| Ok(identities::take(c, &digest, now)?))
        .await?
        .ok_or_else(|| {
            ApiError::validation(
                "state",
                "is unknown, already used, or older than 10 minutes",
            )
        })?;
    if let Some(error) = returned.error {
        return Err(ApiError::ProviderRefused {
            error,
            description: returned.error_description,
        });
    }
    let code = required("code", returned.code)?;
    let metadata = oidc.metadata().await?;
    let id_token = oidc
        .exchange(&metadata, &code, &pending.code_verifier)
        .await?;
    let claims = oidc.verify(&metadata, &id_token, &pending.nonce).await?;

    let issuer = metadata.issuer.clone();
    let open = cx.config.registration == Registration::Open;
    let link_user_id = pending.link_user_id;
    let (refresh, refresh_digest) = accounts::new_refresh_token()?;
    let lifetimes = accounts::lifetimes(cx);
    let ip = origin.ip.clone();
    let (user_id, session_id) = cx
        .journal
        .write(ip, move |c, events| {
            let user_id = account_for(c, events, &issuer, &claims, link_user_id, open)?;
            if !users::require(c, user_id)?.is_active {
                return Err(ApiError::PermissionDenied("this account is deactivated"));
            }
            let session = accounts::open_session(c, user_id, &origin, &refresh_digest, lifetimes)?;
            Ok((user_id, session))
        })
        .await?;
    accounts::signed_in(cx, user_id, session_id, refresh).await
}

/// The account the provider's identity signs in to: the linked one, the one being
/// linked, or a new one.
fn account_for(
    c: &Connection,
    events: &mut Vec<Event>,
    issuer: &str,
    claims: &IdClaims,
    link_user_id: Option<i64>,
    open: bool,
) -> ApiResult<i64> {
    let email = claims
        .email
        .as_deref()
        .and_then(|e| validate::email(e).ok());
    if let Some(user_id) = identities::user_of(c, issuer, &claims.sub)? {
        if link_user_id.is_some_and(|linking| linking != user_id) {
            return Err(ApiError::conflict(
                "identity",
                "this identity is already linked to another account",
            ));
        }
        identities::signed_in(c, issuer, &claims.sub, email.as_deref())?;
        return Ok(user_id);
    }
    if let Some(user_id) = link_user_id {
        identities::link(c, issuer, &claims.sub, user_id, email.as_deref())?;
        return Ok(user_id);
    }
    // Checked before the e-mail, so a closed server says nothing of its accounts.
    if users::any(c)? && !open {
        return Err(ApiError::RegistrationClosed);
    }
    let Some(email) = email else {
        return Err(ApiError::validation(
            "email",
            "the identity provider shared no usable e-mail address (is the `email` scope allowed?)",
        ));
    };
    if users::email_taken(c, &email)? {
        return Err(ApiError::conflict(
            "email",
            "an account already uses this e-mail address; sign in with its password and \
             link the identity provider from that account",
        ));
    }
    let new = NewUser {
        username: unique_username(c, &username_base(claims))?,
        email: email.clone(),
        password_hash: NO_PASSWORD.into(),
        first_name: display_name(claims.given_name.as_deref()),
        last_name: display_name(claims.family_name.as_deref()),
        email_verified: claims.email_verified,
    };
    let user_id = users::insert(c, new, open)?;
    events.push(Event::UserCreated { user_id });
    identities::link(c, issuer, &claims.sub, user_id, Some(&email))?;
    Ok(user_id)
}

/// A name from the provider, cut to the length Veza keeps; dropped if unusable.
fn display_name(value: Option<&str>) -> Option<String> {
    let cut: String = value?.trim().chars().take(validate::NAME_MAX).collect();
    validate::label("name", Some(&cut), validate::NAME_MAX)
        .ok()
        .flatten()
        .filter(|n| !n.is_empty())
}

/// A valid username from what the provider says of the person: the
/// `preferred_username`, else the e-mail's local part, else the name; accents
/// dropped, spaces made `_`, other characters left out.
fn username_base(claims: &IdClaims) -> String {
    let local_part = claims
        .email
        .as_deref()
        .and_then(|e| e.split('@').next())
        .map(str::to_owned);
    [
        claims.preferred_username.clone(),
        local_part,
        claims.name.clone(),
    ]
    .into_iter()
    .flatten()
    .map(|candidate| sanitize(&candidate))
    .find(|name| name.len() >= validate::USERNAME_MIN)
    .unwrap_or_else(|| "user".into())
}

fn sanitize(candidate: &str) -> String {
    candidate
        .trim()
        .nfkd()
        .filter_map(|c| match c {
            c if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') => Some(c),
            c if c.is_whitespace() => Some('_'),
            _ => None,
        })
        .take(validate::USERNAME_MAX)
        .collect()
}

/// `base`, or `base` with the smallest number from 2 that makes it free.
fn unique_username(c: &Connection, base: &str) -> ApiResult<String> {
    if !users::username_taken(c, base)? {
        return Ok(base.to_owned());
    }
    for n in 2..1000u32 {
        let suffix = n.to_string();
        let stem: String = base
            .chars()
            .take(validate::USERNAME_MAX - suffix.len())
            .collect();
        let candidate = format!("{stem}{suffix}");
        if !users::username_taken(c, &candidate)? {
            return Ok(candidate);
        }
    }
    let stem: String = base.chars().take(validate::USERNAME_MAX - 9).collect();
    Ok(format!("{stem}_{}", tokens::random_hex(4)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(json: serde_json::Value) -> IdClaims {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn usernames_are_made_valid() {
        let cases = [
            (
                serde_json::json!({"sub": "1", "preferred_username": "Élodie Dupont"}),
                "Elodie_Dupont",
            ),
            (
                serde_json::json!({"sub": "1", "preferred_username": "ab", "email": "ada.l@x.org"}),
                "ada.l",
            ),
            (
                serde_json::json!({"sub": "1", "preferred_username": "日本", "name": "Grace Hopper"}),
                "Grace_Hopper",
            ),
            (serde_json::json!({"sub": "1"}), "user"),
            (
                serde_json::json!({"sub": "1", "preferred_username": "a".repeat(40)}),
                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            ),
        ];
        for (c, expected) in cases {
            let name = username_base(&claims(c));
            assert_eq!(name, expected);
            assert!(validate::username(&name).is_ok(), "{name}");
        }
    }
}
