//! `/api/v1/rooms`: list, create, read, update, delete, join, leave, read markers,
//! and the audit log.

use rocket::{delete, get, post, put, routes, Route, State};
use serde::{Deserialize, Serialize};

use crate::api::body::{nullable, JsonBody, OptionalJsonBody};
use crate::api::client::ClientInfo;
use crate::api::pagination::{ListMeta, ListParams};
use crate::api::respond::{created, ok, Answer, NoContent};
use crate::app::App;
use crate::auth::guard::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::events::{self, Event};
use crate::policy::RoomRole;
use crate::rusqlite::Connection;
use crate::store::audit;
use crate::store::members::{self, ReadState};
use crate::store::rooms::{self, Filter, NewRoom, Room, RoomChanges};
use crate::validate;

pub fn routes() -> Vec<Route> {
    routes![
        list,
        create,
        get_room,
        update,
        delete_room,
        join,
        leave,
        mark_read,
        audit_log
    ]
}

/// `GET /api/chat/rooms`, the platform API's spelling of the room list.
pub fn alias_routes() -> Vec<Route> {
    routes![list]
}

#[derive(Serialize)]
struct RoomList {
    rooms: Vec<Room>,
    #[serde(flatten)]
    meta: ListMeta,
}

/// The rooms the caller may see, by name: `filter` = public|private|joined|owned,
/// `search` matches the name.
#[get("/rooms?<filter>&<search>&<list..>")]
async fn list(
    filter: Option<String>,
    search: Option<String>,
    list: ListParams,
    user: AuthUser,
    app: &State<App>,
) -> Answer<RoomList> {
    let window = list.window()?;
    let filter = match filter.as_deref().map(str::trim).filter(|f| !f.is_empty()) {
        None => Filter::All,
        Some(f) => Filter::parse(f).ok_or_else(|| {
            ApiError::validation("filter", "must be one of public, private, joined, owned")
        })?,
    };
    let search = search
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty());
    if let Some(s) = &search {
        let len = s.chars().count();
        if len > validate::ROOM_NAME_MAX {
            return Err(ApiError::length("search", 1, validate::ROOM_NAME_MAX, len));
        }
    }
    let (id, admin) = (user.id, user.is_admin());
    let (rooms, total) = app
        .db
        .read(move |c| {
            rooms::list(
                c,
                id,
                admin,
                filter,
                search.as_deref(),
                window.limit,
                window.offset,
            )
        })
        .await?;
    let meta = ListMeta::new(window, rooms.len(), total);
    Ok(ok(RoomList { rooms, meta }))
}

#[derive(Deserialize)]
pub struct CreateRoomBody {
    name: String,
    description: Option<String>,
    is_public: Option<bool>,
    is_private: Option<bool>,
    max_members: Option<i64>,
}

/// Creates a room; the caller becomes its owner and first member.
#[post("/rooms", data = "<body>")]
async fn create(
    body: JsonBody<CreateRoomBody>,
    user: AuthUser,
    app: &State<App>,
    client: ClientInfo,
) -> Answer<Room> {
    let body = body.0;
    let new = NewRoom {
        name: validate::room_name(&body.name)?,
        description: validate::optional_text(
            "description",
            body.description.as_deref(),
            validate::ROOM_DESCRIPTION_MAX,
        )?,
        is_public: validate::visibility(body.is_public, body.is_private)?.unwrap_or(true),
        max_members: body.max_members.map(validate::max_members).transpose()?,
    };
    let owner = user.id;
    let namer = rooms::Namer {
        user_id: user.id,
        is_admin: user.is_admin(),
    };
    let room = events::write(app, client.ip, move |c, events| {
        let room_id = rooms::create(c, namer, &new)?;
        events.push(Event::RoomCreated {
            room_id,
            actor_id: owner,
        });
        rooms::get(c, room_id, owner)
    })
    .await?;
    Ok(created(room))
}

/// One room, with the caller's role and unread count.
#[get("/rooms/<id>")]
async fn get_room(id: i64, user: AuthUser, app: &State<App>) -> Answer<Room> {
    let (viewer, admin) = (user.id, user.is_admin());
    let room = app
        .db
        .read(move |c| {
            rooms::access(c, id, viewer, admin)?;
            rooms::get(c, id, viewer)
        })
        .await?;
    Ok(ok(room))
}

#[derive(Deserialize)]
pub struct UpdateRoomBody {
    name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    description: Option<Option<String>>,
    is_public: Option<bool>,
    is_private: Option<bool>,
    #[serde(default, deserialize_with = "nullable")]
    max_members: Option<Option<i64>>,
}

/// Changes a room. Name and description: moderators and the owner; visibility and
/// the member cap: the owner.
#[put("/rooms/<id>", data = "<body>")]
async fn update(
    id: i64,
    body: JsonBody<UpdateRoomBody>,
    user: AuthUser,
    app: &State<App>,
    client: ClientInfo,
) -> Answer<Room> {
    let body = body.0;
    let changes = RoomChanges {
        name: body.name.as_deref().map(validate::room_name).transpose()?,
        description: body
            .description
            .map(|d| {
                validate::optional_text("description", d.as_deref(), validate::ROOM_DESCRIPTION_MAX)
            })
            .transpose()?,
        is_public: validate::visibility(body.is_public, body.is_private)?,
        max_members: body
            .max_members
            .map(|m| m.map(validate::max_members).transpose())
            .transpose()?,
    };
    let (actor, admin) = (user.id, user.is_admin());
    let room = events::write(app, client.ip, move |c, events| {
        let access = rooms::access(c, id, actor, admin)?;
        access.require_moderator()?;
        if changes.is_public.is_some() || changes.max_members.is_some() {
            access.require_owner()?;
        }
        if !changes.is_empty() {
            let namer = rooms::Namer {
                user_id: actor,
                is_admin: admin,
            };
            rooms::update(c, id, &changes, namer)?;
            events.push(Event::RoomUpdated {
                room_id: id,
                actor_id: actor,
                changes: changes.to_json(),
            });
        }
        rooms::get(c, id, actor)
    })
    .await?;
    Ok(ok(room))
}

/// Deletes a room with its messages and log: the owner (or an admin) only.
#[delete("/rooms/<id>")]
async fn delete_room(
    id: i64,
    user: AuthUser,
    app: &State<App>,
    client: ClientInfo,
) -> ApiResult<NoContent> {
    let (actor, admin) = (user.id, user.is_admin());
    events::write(app, client.ip, move |c, events| {
        rooms::access(c, id, actor, admin)?.require_owner()?;
        rooms::delete(c, id)?;
        events.push(Event::RoomDeleted {
            room_id: id,
            actor_id: actor,
        });
        Ok(())
    })
    .await?;
    Ok(NoContent)
}

/// Adds the caller to a room they may join; a no-op for members. Shared with
/// `POST /rooms/{id}/members` when a user adds themself.
pub fn join_room(
    c: &Connection,
    events: &mut Vec<Event>,
    room_id: i64,
    user: (i64, bool),
) -> ApiResult<bool> {
    let access = rooms::access(c, room_id, user.0, user.1)?;
    if access.is_member() {
        return Ok(false);
    }
    if !access.can_join() {
        return Err(ApiError::PermissionDenied("this room is private"));
    }
    members::add(c, room_id, user.0, RoomRole::Member)?;
    events.push(Event::MemberJoined {
        room_id,
        user_id: user.0,
        actor_id: user.0,
        role: RoomRole::Member.as_str().into(),
    });
    Ok(true)
}

/// Removes the caller from a room. The owner must hand over ownership first.
/// Shared with `DELETE /rooms/{id}/members/{own id}`.
pub fn leave_room(
    c: &Connection,
    events: &mut Vec<Event>,
    room_id: i64,
    user: (i64, bool),
) -> ApiResult<()> {
    let access = rooms::access(c, room_id, user.0, user.1)?;
    match access.role {
        None => Ok(()), // leaving a room one is not in changes nothing
        Some(RoomRole::Owner) => Err(ApiError::StateConflict(
            "the owner cannot leave; transfer ownership first (PUT /rooms/{id}/members/{user_id} with role owner)",
        )),
        Some(_) => {
            members::remove(c, room_id, user.0)?;
            events.push(Event::MemberLeft {
                room_id,
                user_id: user.0,
                actor_id: user.0,
            });
            Ok(())
        }
    }
}

/// Joins a public room; answers the room.
#[post("/rooms/<id>/join")]
async fn join(id: i64, user: AuthUser, app: &State<App>, client: ClientInfo) -> Answer<Room> {
    let who = (user.id, user.is_admin());
    let room = events::write(app, client.ip, move |c, events| {
        join_room(c, events, id, who)?;
        rooms::get(c, id, who.0)
    })
    .await?;
    Ok(ok(room))
}

/// Leaves a room.
#[post("/rooms/<id>/leave")]
async fn leave(
    id: i64,
    user: AuthUser,
    app: &State<App>,
    client: ClientInfo,
) -> ApiResult<NoContent> {
    let who = (user.id, user.is_admin());
    events::write(app, client.ip, move |c, events| {
        leave_room(c, events, id, who)
    })
    .await?;
    Ok(NoContent)
}

#[derive(Deserialize)]
pub struct ReadBody {
    message_id: Option<i64>,
}

/// Moves the caller's read marker to `message_id` (default: the latest message).
#[post("/rooms/<id>/read", data = "<body>")]
async fn mark_read(
    id: i64,
    body: OptionalJsonBody<ReadBody>,
    user: AuthUser,
    app: &State<App>,
) -> Answer<ReadState> {
    let message_id = body.0.and_then(|b| b.message_id);
    let (reader, admin) = (user.id, user.is_admin());
    let state = app
        .db
        .write(move |c| {
            rooms::access(c, id, reader, admin)?.require_member()?;
            members::mark_read(c, id, reader, message_id)
        })
        .await?;
    Ok(ok(state))
}

#[derive(Serialize)]
struct AuditList {
    logs: Vec<audit::Entry>,
    #[serde(flatten)]
    meta: ListMeta,
}

/// The room's audit log, newest first, optionally of one `action`: moderators,
/// the owner and admins.
#[get("/rooms/<id>/audit?<action>&<list..>")]
async fn audit_log(
    id: i64,
    action: Option<String>,
    list: ListParams,
    user: AuthUser,
    app: &State<App>,
) -> Answer<AuditList> {
    let window = list.window()?;
    let action = action
        .map(|a| a.trim().to_owned())
        .filter(|a| !a.is_empty());
    let (viewer, admin) = (user.id, user.is_admin());
    let (logs, total) = app
        .db
        .read(move |c| {
            rooms::access(c, id, viewer, admin)?.require_moderator()?;
            audit::list(c, id, action.as_deref(), window.limit, window.offset)
        })
        .await?;
    let meta = ListMeta::new(window, logs.len(), total);
    Ok(ok(AuditList { logs, meta }))
}
