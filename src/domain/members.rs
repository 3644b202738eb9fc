//! Room members: list, add (or add oneself), change roles, remove.

use crate::domain::{access, rooms, Actor, Context};
use crate::error::{ApiError, ApiResult, Missing};
use crate::event::Event;
use crate::policy::{RoomAccess, RoomRole};
use crate::store::members::{self, Member};
use crate::store::{rooms as room_store, users, webhooks};

/// Who a new member is: by id or by username.
#[derive(Debug, Clone)]
pub enum Target {
    Id(i64),
    Username(String),
}

/// One member as the API shows them.
pub async fn get(cx: &Context, room_id: i64, user_id: i64) -> ApiResult<Member> {
    Ok(cx
        .db
        .read(move |c| members::get(c, room_id, user_id))
        .await?)
}

/// Who is in the room and with which role (owner first, then moderators).
pub async fn list(
    cx: &Context,
    actor: Actor,
    room_id: i64,
    role: Option<RoomRole>,
    limit: u32,
    offset: u64,
) -> ApiResult<(Vec<Member>, u64)> {
    cx.db
        .read(move |c| -> ApiResult<_> {
            access::room(c, room_id, actor)?;
            Ok(members::list(c, room_id, role, limit, offset)?)
        })
        .await
}

/// Adds a user to the room: moderators add members, the owner adds moderators;
/// anyone adds themself to a public room (as a member). Answers the new member.
pub async fn add(
    cx: &Context,
    actor: Actor,
    ip: Option<String>,
    room_id: i64,
    target: Target,
    role: RoomRole,
) -> ApiResult<Member> {
    let user_id = cx
        .journal
        .write(ip, move |c, events| {
            let user_id = match target {
                Target::Id(id) => id,
                Target::Username(name) => users::active_id_by_username(c, &name)?
                    .ok_or(ApiError::NotFound(Missing::User))?,
            };
            if user_id == actor.id {
                RoomAccess::require_self_add_role(role)?;
                if !rooms::join_in(c, events, room_id, actor)? {
                    return Err(ApiError::conflict(
                        "user_id",
                        "already a member of this room",
                    ));
                }
                return Ok(user_id);
            }
            access::room(c, room_id, actor)?.require_can_grant(role)?;
            match users::by_id(c, user_id)? {
                Some(u) if u.is_active => {}
                _ => return Err(ApiError::NotFound(Missing::User)),
            }
            // A block (either way) keeps the two apart in rooms too: neither can pull
            // the other into a private room to reach them there.
            if crate::store::conversations::blocked_between(c, actor.id, user_id)? {
                return Err(ApiError::UserBlocked);
            }
            if members::role_of(c, room_id, user_id)?.is_some() {
                return Err(ApiError::conflict(
                    "user_id",
                    "already a member of this room",
                ));
            }
            members::add(c, room_id, user_id, role)?;
            events.push(Event::MemberJoined {
                room_id,
                user_id,
                actor_id: actor.id,
                role: role.as_str().into(),
            });
            Ok(user_id)
        })
        .await?;
    get(cx, room_id, user_id).await
}

/// Changes a member's role: the owner only. `Owner` transfers ownership; the old
/// owner becomes a moderator.
pub async fn change_role(
    cx: &Context,
    actor: Actor,
    ip: Option<String>,
    room_id: i64,
    user_id: i64,
    role: RoomRole,
) -> ApiResult<Member> {
    cx.journal
        .write(ip, move |c, events| {
            access::room(c, room_id, actor)?.require_owner()?;
            let current = members::role_of(c, room_id, user_id)?
                .ok_or(ApiError::NotFound(Missing::Member))?;
            if current == role {
                return Ok(());
            }
            RoomAccess::require_role_can_change(current)?;
            let mut changed = |user: i64, from: RoomRole, to: RoomRole| -> ApiResult<()> {
                members::set_role(c, room_id, user, to)?;
                events.push(Event::MemberRoleChanged {
                    room_id,
                    user_id: user,
                    actor_id: actor.id,
                    from: from.as_str().into(),
                    to: to.as_str().into(),
                });
                Ok(())
            };
            if role == RoomRole::Owner {
                let old_owner = room_store::owner_of(c, room_id)?;
                changed(old_owner, RoomRole::Owner, RoomRole::Moderator)?;
                changed(user_id, current, RoomRole::Owner)?;
                room_store::set_owner(c, room_id, user_id)?;
            } else {
                changed(user_id, current, role)?;
            }
            webhooks::disable_unmanaged(c, Some(room_id))?;
            Ok(())
        })
        .await?;
    get(cx, room_id, user_id).await
}

/// Removes a member: moderators remove members, the owner removes moderators,
/// nobody removes the owner; removing oneself is leaving.
pub async fn remove(
    cx: &Context,
    actor: Actor,
    ip: Option<String>,
    room_id: i64,
    user_id: i64,
) -> ApiResult<()> {
    cx.journal
        .write(ip, move |c, events| {
            if user_id == actor.id {
                return rooms::leave_in(c, events, room_id, actor);
            }
            let access = access::room(c, room_id, actor)?;
            access.require_moderator()?;
            let target = members::role_of(c, room_id, user_id)?
                .ok_or(ApiError::NotFound(Missing::Member))?;
            access.require_can_remove(target)?;
            members::remove(c, room_id, user_id)?;
            webhooks::disable_unmanaged(c, Some(room_id))?;
            events.push(Event::MemberLeft {
                room_id,
                user_id,
                actor_id: actor.id,
            });
            Ok(())
        })
        .await
}
