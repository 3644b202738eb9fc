//! Bot accounts (API §20): made by admins (or anyone, with
//! `bots.users_may_create`), owned by their maker, driven by access tokens.

use crate::domain::{Actor, Context};
use crate::error::{ApiError, ApiResult, Missing};
use crate::event::{EndedSessions, Event};
use crate::store::users::{self, NewMachine, User};
use crate::validate;

pub async fn create(
    cx: &Context,
    actor: Actor,
    username: &str,
    display_name: Option<&str>,
) -> ApiResult<User> {
    if !actor.is_admin && !cx.config.bots.users_may_create {
        return Err(ApiError::PermissionDenied(
            "only administrators make bots here",
        ));
    }
    let username = validate::username(username)?;
    let display_name = validate::label("display_name", display_name, validate::NAME_MAX)?;
    let id = cx
        .journal
        .write(None, move |c, events| {
            let id = users::insert_machine(
                c,
                &NewMachine {
                    username: &username,
                    display_name: display_name.as_deref(),
                    kind: "bot",
                    owner_id: actor.id,
                },
            )?;
            events.push(Event::UserCreated { user_id: id });
            Ok(id)
        })
        .await?;
    Ok(cx.db.read(move |c| users::require(c, id)).await?)
}

/// The caller's bots (an admin's list holds every bot).
pub async fn list(cx: &Context, actor: Actor) -> ApiResult<Vec<User>> {
    let owner = (!actor.is_admin).then_some(actor.id);
    Ok(cx.db.read(move |c| users::bots(c, owner)).await?)
}

/// Deactivates a bot (its owner or an admin): its tokens stop at once; its
/// messages stay.
pub async fn deactivate(cx: &Context, actor: Actor, bot_id: i64) -> ApiResult<()> {
    cx.journal
        .write(None, move |c, events| {
            let bot = users::by_id(c, bot_id)?.ok_or(ApiError::NotFound(Missing::User))?;
            let manages = bot.is_bot
                && bot.bot_owner_id.is_some()
                && (bot.bot_owner_id == Some(actor.id) || actor.is_admin);
            if !manages {
                return Err(ApiError::NotFound(Missing::User));
            }
            users::set_status(c, bot_id, Some(false), None)?;
            events.push(Event::SessionsEnded(EndedSessions::AllOf {
                user_id: bot_id,
                keep: None,
            }));
            Ok(())
        })
        .await
}
