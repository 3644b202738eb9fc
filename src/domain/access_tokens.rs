//! Personal access tokens (API §20), for a person's scripts or for a bot (made
//! by the bot's owner). Each is shown once; the database keeps its digest.

use serde::Serialize;

use crate::domain::{Actor, Context};
use crate::error::{ApiError, ApiResult, Missing};
use crate::event::Event;
use crate::policy::Scopes;
use crate::sql::Connection;
use crate::store::access_tokens::{self, AccessToken};
use crate::store::users;
use crate::{time, tokens, validate};

/// Random bytes in a token (192 bits), after `vz_`.
const TOKEN_BYTES: usize = 24;
/// Tokens one account may hold.
const MAX_PER_USER: i64 = 50;
const MAX_DAYS: u32 = 3650;

pub struct Minting {
    pub name: String,
    pub scopes: Vec<String>,
    pub expires_in_days: Option<u32>,
}

/// A new token: its record and, this once, the secret.
#[derive(Serialize)]
pub struct Minted {
    #[serde(flatten)]
    pub record: AccessToken,
    pub token: String,
}

/// Whose tokens `actor` manages at `owner_id`: their own, or a bot they own
/// (admins: any bot). Anything else is not found.
fn require_manages(c: &Connection, actor: Actor, owner_id: i64) -> ApiResult<users::User> {
    let user = users::by_id(c, owner_id)?.ok_or(ApiError::NotFound(Missing::User))?;
    let mine = owner_id == actor.id;
    let my_bot = user.is_bot
        && user.bot_owner_id.is_some()
        && (user.bot_owner_id == Some(actor.id) || actor.is_admin);
    if mine || my_bot {
        Ok(user)
    } else {
        Err(ApiError::NotFound(Missing::User))
    }
}

pub async fn create(cx: &Context, actor: Actor, owner_id: i64, form: Minting) -> ApiResult<Minted> {
    let name = validate::label("name", Some(&form.name), 64)?
        .ok_or_else(|| ApiError::validation("name", "must not be empty"))?;
    let scopes = Scopes::parse(form.scopes.iter().map(String::as_str))
        .map_err(|why| ApiError::validation("scopes", why))?;
    if scopes == Scopes::default() {
        return Err(ApiError::validation(
            "scopes",
            "name at least one: read, write, admin",
        ));
    }
    let expires_at = match form.expires_in_days {
        Some(days) if !(1..=MAX_DAYS).contains(&days) => {
            return Err(ApiError::validation(
                "expires_in_days",
                "must be between 1 and 3650",
            ))
        }
        Some(days) => Some(time::in_secs(u64::from(days) * 86_400)),
        None => None,
    };
    let secret = format!(
        "{}{}",
        tokens::ACCESS_TOKEN_PREFIX,
        tokens::random_hex(TOKEN_BYTES)?
    );
    let digest = tokens::digest(&secret);
    let record = cx
        .journal
        .write(None, move |c, events| {
            let owner = require_manages(c, actor, owner_id)?;
            if scopes.admin && owner.role != users::Role::Admin {
                return Err(ApiError::PermissionDenied(
                    "only an administrator's own tokens may have the admin scope",
                ));
            }
            if access_tokens::count(c, owner_id)? >= MAX_PER_USER {
                return Err(ApiError::conflict(
                    "name",
                    "50 tokens already: revoke some first",
                ));
            }
            let record =
                access_tokens::insert(c, owner_id, &name, &digest, scopes, expires_at.as_deref())?;
            events.push(Event::UserChanged { user_id: owner_id });
            Ok(record)
        })
        .await?;
    Ok(Minted {
        record,
        token: secret,
    })
}

pub async fn list(cx: &Context, actor: Actor, owner_id: i64) -> ApiResult<Vec<AccessToken>> {
    cx.db
        .read(move |c| {
            require_manages(c, actor, owner_id)?;
            Ok(access_tokens::list(c, owner_id)?)
        })
        .await
}

/// Revokes a token: the next request with it is refused.
pub async fn revoke(cx: &Context, actor: Actor, owner_id: i64, id: i64) -> ApiResult<()> {
    cx.journal
        .apply(move |c| {
            require_manages(c, actor, owner_id)?;
            if !access_tokens::delete(c, owner_id, id)? {
                return Err(ApiError::NotFoundBecause("no such token"));
            }
            Ok(())
        })
        .await
}
