//! `/api/v1/rooms`: list, create, read, update, delete, join, leave, and the
//! audit log.

use rocket::{delete, get, post, put, routes, Route, State};
use serde::{Deserialize, Serialize};

use crate::app::App;
use crate::auth::guard::AuthUser;
use crate::domain::rooms;
use crate::error::{ApiError, ApiResult};
use crate::http::body::{nullable, JsonBody};
use crate::http::client::ClientInfo;
use crate::http::pagination::{ListMeta, ListParams};
use crate::http::respond::{created, ok, NoContent, Success};
use crate::store::audit;
use crate::store::rooms::{Filter, NewRoom, Room, RoomChanges};
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
) -> ApiResult<Success<RoomList>> {
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
    let (rooms, total) = rooms::list(
        &app.domain,
        user.actor(),
        filter,
        search,
        window.limit,
        window.offset,
    )
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
) -> ApiResult<Success<Room>> {
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
    Ok(created(
        rooms::create(&app.domain, user.actor(), client.ip, new).await?,
    ))
}

/// One room, with the caller's role and unread count.
#[get("/rooms/<id>")]
async fn get_room(id: i64, user: AuthUser, app: &State<App>) -> ApiResult<Success<Room>> {
    Ok(ok(rooms::get(&app.domain, user.actor(), id).await?))
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
    #[serde(default, deserialize_with = "nullable")]
    retention_days: Option<Option<i64>>,
}

/// Changes a room. Name and description: moderators and the owner; visibility,
/// the member cap and retention: the owner.
#[put("/rooms/<id>", data = "<body>")]
async fn update(
    id: i64,
    body: JsonBody<UpdateRoomBody>,
    user: AuthUser,
    app: &State<App>,
    client: ClientInfo,
) -> ApiResult<Success<Room>> {
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
        retention_days: body
            .retention_days
            .map(|d| d.map(validate::retention_days).transpose())
            .transpose()?,
    };
    let room = rooms::update(&app.domain, user.actor(), client.ip, id, changes).await?;
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
    rooms::delete(&app.domain, user.actor(), client.ip, id).await?;
    Ok(NoContent)
}

/// Joins a public room; answers the room.
#[post("/rooms/<id>/join")]
async fn join(
    id: i64,
    user: AuthUser,
    app: &State<App>,
    client: ClientInfo,
) -> ApiResult<Success<Room>> {
    Ok(ok(
        rooms::join(&app.domain, user.actor(), client.ip, id).await?
    ))
}

/// Leaves a room.
#[post("/rooms/<id>/leave")]
async fn leave(
    id: i64,
    user: AuthUser,
    app: &State<App>,
    client: ClientInfo,
) -> ApiResult<NoContent> {
    rooms::leave(&app.domain, user.actor(), client.ip, id).await?;
    Ok(NoContent)
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
) -> ApiResult<Success<AuditList>> {
    let window = list.window()?;
    let action = action
        .map(|a| a.trim().to_owned())
        .filter(|a| !a.is_empty());
    let (logs, total) = rooms::audit_log(
        &app.domain,
        user.actor(),
        id,
        action,
        window.limit,
        window.offset,
    )
    .await?;
    let meta = ListMeta::new(window, logs.len(), total);
    Ok(ok(AuditList { logs, meta }))
}
