//! Users: profiles, search, and what administrators do to accounts.

use crate::domain::{Actor, Context};
use crate::error::ApiResult;
use crate::event::{EndedSessions, Event};
use crate::store::sessions;
use crate::store::users::{self, ProfileChanges, Role, User, UserFilter};

/// A user's profile as `actor` may see it (the e-mail only for themself and admins).
pub async fn get(cx: &Context, actor: Actor, user_id: i64) -> ApiResult<User> {
    let user = cx.db.read(move |c| users::require(c, user_id)).await?;
    Ok(user.visible_to(actor.id, actor.is_admin))
}

/// Changes `actor`'s own profile; answers it.
pub async fn update_profile(
    cx: &Context,
    actor: Actor,
    changes: ProfileChanges,
) -> ApiResult<User> {
    let id = actor.id;
    let mails = cx.config.smtp.is_some();
    let base = cx.config.public_base();
    cx.journal
        .write(None, move |c, events| {
            let before = users::require(c, id)?;
            users::update_profile(c, id, changes)?;
            // The cached username may have changed.
            events.push(Event::UserChanged { user_id: id });
            let after = users::require(c, id)?;
            // A new address is unverified until its owner opens the link sent to it.
            let email = after.email.unwrap_or_default();
            let changed = !before
                .email
                .is_some_and(|old| old.eq_ignore_ascii_case(&email));
            if mails && changed && !after.email_verified {
                crate::domain::recovery::queue_verification(
                    &base,
                    c,
                    events,
                    id,
                    &after.username,
                    &email,
                )?;
            }
            Ok(())
        })
        .await?;
    get(cx, actor, id).await
}

/// Active users matching `q`, as `actor` may see them, and how many there are.
pub async fn search(
    cx: &Context,
    actor: Actor,
    q: String,
    limit: u32,
    offset: u64,
) -> ApiResult<(Vec<User>, u64)> {
    let (found, total) = cx
        .db
        .read(move |c| users::search(c, &q, limit, offset))
        .await?;
    let visible = found
        .into_iter()
        .map(|u| u.visible_to(actor.id, actor.is_admin))
        .collect();
    Ok((visible, total))
}

/// Every account, inactive ones included (administrators).
pub async fn list_all(
    cx: &Context,
    filter: UserFilter,
    limit: u32,
    offset: u64,
) -> ApiResult<(Vec<User>, u64)> {
    Ok(cx
        .db
        .read(move |c| users::list_all(c, &filter, limit, offset))
        .await?)
}

/// Deactivates (ending every session at once), reactivates, promotes or demotes an
/// account (administrators). The server always keeps one active admin.
pub async fn set_status(
    cx: &Context,
    user_id: i64,
    is_active: Option<bool>,
    role: Option<Role>,
) -> ApiResult<User> {
    cx.journal
        .write(None, move |c, events| {
            if role == Some(Role::Admin) && users::require(c, user_id)?.is_bot {
                return Err(crate::error::ApiError::conflict(
                    "role",
                    "a bot or a hook cannot be an admin",
                ));
            }
            users::set_status(c, user_id, is_active, role)?;
            if is_active == Some(false) {
                sessions::revoke_all_but(c, user_id, None, "account deactivated")?;
                events.push(Event::SessionsEnded(EndedSessions::AllOf {
                    user_id,
                    keep: None,
                }));
            } else {
                // The cached role may have changed.
                events.push(Event::UserChanged { user_id });
            }
            crate::store::webhooks::disable_unmanaged(c, None)?;
            Ok(())
        })
        .await?;
    Ok(cx.db.read(move |c| users::require(c, user_id)).await?)
}

/// The server's statistics (administrators), `uptime` seconds after its start.
pub async fn server_stats(
    cx: &Context,
    uptime: u64,
) -> ApiResult<crate::store::admin::ServerStats> {
    let data_dir = cx.config.data_dir.clone();
    Ok(cx
        .db
        .read(move |c| crate::store::admin::server(c, &data_dir, uptime))
        .await?)
}
