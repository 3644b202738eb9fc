//! Rooms: list, create, read, change, delete, join, leave, and the audit log.

use crate::domain::{access, Actor, Context};
use crate::error::{ApiError, ApiResult};
use crate::event::{Event, Work};
use crate::policy::RoomRole;
use crate::sql::Connection;
use crate::store::audit;
use crate::store::members;
use crate::store::rooms::{self, Filter, Namer, NewRoom, Room, RoomChanges};
use crate::store::stats::{self, Period, RoomStats};

pub(crate) fn namer(actor: Actor) -> Namer {
    Namer {
        user_id: actor.id,
        is_admin: actor.is_admin,
    }
}

/// One room as `actor` sees it (with their role and unread count).
pub async fn get(cx: &Context, actor: Actor, room_id: i64) -> ApiResult<Room> {
    cx.db
        .read(move |c| -> ApiResult<_> {
            access::room(c, room_id, actor)?;
            Ok(rooms::get(c, room_id, actor.id)?)
        })
        .await
}

/// The rooms `actor` may see, by name, and how many there are.
pub async fn list(
    cx: &Context,
    actor: Actor,
    filter: Filter,
    search: Option<String>,
    limit: u32,
    offset: u64,
) -> ApiResult<(Vec<Room>, u64)> {
    Ok(cx
        .db
        .read(move |c| {
            rooms::list(
                c,
                actor.id,
                actor.is_admin,
                filter,
                search.as_deref(),
                limit,
                offset,
            )
        })
        .await?)
}

/// Creates a room; `actor` becomes its owner and first member.
pub async fn create(
    cx: &Context,
    actor: Actor,
    ip: Option<String>,
    new: NewRoom,
) -> ApiResult<Room> {
    let room_id = cx
        .journal
        .write(ip, move |c, events| {
            let room_id = rooms::create(c, namer(actor), &new)?;
            events.push(Event::RoomCreated {
                room_id,
                actor_id: actor.id,
            });
            Ok(room_id)
        })
        .await?;
    get(cx, actor, room_id).await
}

/// Changes a room: name and description by moderators, visibility and the member
/// cap by the owner.
pub async fn update(
    cx: &Context,
    actor: Actor,
    ip: Option<String>,
    room_id: i64,
    changes: RoomChanges,
) -> ApiResult<Room> {
    cx.journal
        .write(ip, move |c, events| {
            let touches_settings = changes.is_public.is_some()
                || changes.max_members.is_some()
                || changes.retention_days.is_some();
            access::room(c, room_id, actor)?.require_can_update(touches_settings)?;
            if !changes.is_empty() {
                rooms::update(c, room_id, &changes, namer(actor))?;
                events.push(Event::RoomUpdated {
                    room_id,
                    actor_id: actor.id,
                    changes: changes.to_json(),
                });
            }
            Ok(())
        })
        .await?;
    get(cx, actor, room_id).await
}

/// Deletes a room with its messages and log: the owner (or an admin) only.
pub async fn delete(cx: &Context, actor: Actor, ip: Option<String>, room_id: i64) -> ApiResult<()> {
    cx.journal
        .write(ip, move |c, events| {
            access::room(c, room_id, actor)?.require_owner()?;
            let member_ids = crate::store::members::user_ids(c, room_id)?;
            rooms::delete(c, room_id)?;
            events.push(Event::RoomDeleted {
                room_id,
                actor_id: actor.id,
                member_ids,
            });
            // The room's files went with it; their bytes leave the disk in the background.
            events.push(Event::Queued(Work::FileRemovals));
            Ok(())
        })
        .await
}

/// Adds `actor` to a room they may join, inside a write; false when they were
/// already a member (nothing changes).
pub fn join_in(
    c: &Connection,
    events: &mut Vec<Event>,
    room_id: i64,
    actor: Actor,
) -> ApiResult<bool> {
    let access = access::room(c, room_id, actor)?;
    if access.is_member() {
        return Ok(false);
    }
    if !access.can_join() {
        return Err(ApiError::PermissionDenied("this room is private"));
    }
    members::add(c, room_id, actor.id, RoomRole::Member)?;
    events.push(Event::MemberJoined {
        room_id,
        user_id: actor.id,
        actor_id: actor.id,
        role: RoomRole::Member.as_str().into(),
    });
    Ok(true)
}

/// Joins a public room (a no-op for members); answers the room.
pub async fn join(cx: &Context, actor: Actor, ip: Option<String>, room_id: i64) -> ApiResult<Room> {
    cx.journal
        .write(ip, move |c, events| join_in(c, events, room_id, actor))
        .await?;
    get(cx, actor, room_id).await
}

/// Removes `actor` from a room, inside a write. The owner must hand over ownership
/// first; leaving a room one is not in changes nothing.
pub fn leave_in(
    c: &Connection,
    events: &mut Vec<Event>,
    room_id: i64,
    actor: Actor,
) -> ApiResult<()> {
    match access::room(c, room_id, actor)?.role {
        None => Ok(()),
        Some(RoomRole::Owner) => Err(ApiError::StateConflict(
            "the owner cannot leave; transfer ownership first (PUT /rooms/{id}/members/{user_id} with role owner)",
        )),
        Some(_) => {
            members::remove(c, room_id, actor.id)?;
            crate::store::webhooks::disable_unmanaged(c, Some(room_id))?;
            events.push(Event::MemberLeft {
                room_id,
                user_id: actor.id,
                actor_id: actor.id,
            });
            Ok(())
        }
    }
}

/// Leaves a room.
pub async fn leave(cx: &Context, actor: Actor, ip: Option<String>, room_id: i64) -> ApiResult<()> {
    cx.journal
        .write(ip, move |c, events| leave_in(c, events, room_id, actor))
        .await
}

/// The room's audit log, newest first, optionally of one `action`: moderators,
/// the owner and admins.
pub async fn audit_log(
    cx: &Context,
    actor: Actor,
    room_id: i64,
    action: Option<String>,
    limit: u32,
    offset: u64,
) -> ApiResult<(Vec<audit::Entry>, u64)> {
    cx.db
        .read(move |c| -> ApiResult<_> {
            access::room(c, room_id, actor)?.require_moderator()?;
            Ok(audit::list(c, room_id, action.as_deref(), limit, offset)?)
        })
        .await
}

/// A room's activity over a period: members (and admins) only.
pub async fn statistics(
    cx: &Context,
    actor: Actor,
    room_id: i64,
    period: Period,
) -> ApiResult<RoomStats> {
    cx.db
        .read(move |c| -> ApiResult<_> {
            access::room(c, room_id, actor)?.require_member_or_admin()?;
            Ok(stats::room(c, room_id, period)?)
        })
        .await
}
