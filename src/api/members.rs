//! `/api/v1/rooms/{id}/members`: list, add, change role (and transfer ownership),
//! remove.

use rocket::{delete, get, post, put, routes, Route, State};
use serde::{Deserialize, Serialize};

use crate::api::body::JsonBody;
use crate::api::client::ClientInfo;
use crate::api::pagination::{ListMeta, ListParams};
use crate::api::respond::{created, ok, Answer, NoContent};
use crate::api::rooms::{join_room, leave_room};
use crate::app::App;
use crate::auth::guard::AuthUser;
use crate::error::{ApiError, ApiResult, Missing};
use crate::events::{self, Event};
use crate::policy::RoomRole;
use crate::store::members::{self, Member};
use crate::store::{rooms, users};

pub fn routes() -> Vec<Route> {
    routes![list, add, change_role, remove]
}

fn parse_role(field: &str, value: &str) -> ApiResult<RoomRole> {
    RoomRole::parse(value.trim())
        .ok_or_else(|| ApiError::validation(field, "must be one of owner, moderator, member"))
}

#[derive(Serialize)]
struct MemberList {
    members: Vec<Member>,
    #[serde(flatten)]
    meta: ListMeta,
}

/// Who is in the room and with which role: owner first, then moderators.
/// `role` = owner|moderator|member|all.
#[get("/rooms/<id>/members?<role>&<list..>")]
async fn list(
    id: i64,
    role: Option<String>,
    list: ListParams,
    user: AuthUser,
    app: &State<App>,
) -> Answer<MemberList> {
    let window = list.window()?;
    let role = match role.as_deref().map(str::trim) {
        None | Some("") | Some("all") => None,
        Some(r) => Some(parse_role("role", r)?),
    };
    let (viewer, admin) = (user.id, user.is_admin());
    let (members, total) = app
        .db
        .read(move |c| {
            rooms::access(c, id, viewer, admin)?;
            members::list(c, id, role, window.limit, window.offset)
        })
        .await?;
    let meta = ListMeta::new(window, members.len(), total);
    Ok(ok(MemberList { members, meta }))
}

#[derive(Deserialize)]
pub struct AddMemberBody {
    user_id: i64,
    role: Option<String>,
}

/// Adds a user to the room: moderators add members, the owner adds moderators;
/// anyone adds themself to a public room.
#[post("/rooms/<id>/members", data = "<body>")]
async fn add(
    id: i64,
    body: JsonBody<AddMemberBody>,
    user: AuthUser,
    app: &State<App>,
    client: ClientInfo,
) -> Answer<Member> {
    let body = body.0;
    let role = match body.role.as_deref() {
        None => RoomRole::Member,
        Some(r) => parse_role("role", r)?,
    };
    let target = body.user_id;
    let (actor, admin) = (user.id, user.is_admin());
    let member = events::write(app, client.ip, move |c, events| {
        if target == actor {
            if role != RoomRole::Member {
                return Err(ApiError::PermissionDenied(
                    "you can only add yourself as a member",
                ));
            }
            if !join_room(c, events, id, (actor, admin))? {
                return Err(ApiError::conflict(
                    "user_id",
                    "already a member of this room",
                ));
            }
            return members::get(c, id, target);
        }
        let access = rooms::access(c, id, actor, admin)?;
        access.require_can_grant(role)?;
        match users::by_id(c, target)? {
            Some(u) if u.is_active => {}
            _ => return Err(ApiError::NotFound(Missing::User)),
        }
        members::add(c, id, target, role)?;
        events.push(Event::MemberJoined {
            room_id: id,
            user_id: target,
            actor_id: actor,
            role: role.as_str().into(),
        });
        members::get(c, id, target)
    })
    .await?;
    Ok(created(member))
}

#[derive(Deserialize)]
pub struct RoleBody {
    role: String,
}

/// Changes a member's role: the owner only. `owner` transfers ownership; the old
/// owner becomes a moderator.
#[put("/rooms/<id>/members/<user_id>", data = "<body>")]
async fn change_role(
    id: i64,
    user_id: i64,
    body: JsonBody<RoleBody>,
    user: AuthUser,
    app: &State<App>,
    client: ClientInfo,
) -> Answer<Member> {
    let role = parse_role("role", &body.0.role)?;
    let (actor, admin) = (user.id, user.is_admin());
    let member = events::write(app, client.ip, move |c, events| {
        rooms::access(c, id, actor, admin)?.require_owner()?;
        let current =
            members::role_of(c, id, user_id)?.ok_or(ApiError::NotFound(Missing::Member))?;
        if current == role {
            return members::get(c, id, user_id);
        }
        let mut changed = |user: i64, from: RoomRole, to: RoomRole| -> ApiResult<()> {
            members::set_role(c, id, user, to)?;
            events.push(Event::MemberRoleChanged {
                room_id: id,
                user_id: user,
                actor_id: actor,
                from: from.as_str().into(),
                to: to.as_str().into(),
            });
            Ok(())
        };
        if current == RoomRole::Owner {
            return Err(ApiError::StateConflict(
                "the owner keeps that role until ownership is transferred to another member",
            ));
        }
        if role == RoomRole::Owner {
            let old_owner = rooms::owner_of(c, id)?;
            changed(old_owner, RoomRole::Owner, RoomRole::Moderator)?;
            changed(user_id, current, RoomRole::Owner)?;
            rooms::set_owner(c, id, user_id)?;
        } else {
            changed(user_id, current, role)?;
        }
        members::get(c, id, user_id)
    })
    .await?;
    Ok(ok(member))
}

/// Removes a member: moderators remove members, the owner removes moderators,
/// nobody removes the owner; removing oneself is leaving.
#[delete("/rooms/<id>/members/<user_id>")]
async fn remove(
    id: i64,
    user_id: i64,
    user: AuthUser,
    app: &State<App>,
    client: ClientInfo,
) -> ApiResult<NoContent> {
    let (actor, admin) = (user.id, user.is_admin());
    events::write(app, client.ip, move |c, events| {
        if user_id == actor {
            return leave_room(c, events, id, (actor, admin));
        }
        let access = rooms::access(c, id, actor, admin)?;
        access.require_moderator()?;
        let target =
            members::role_of(c, id, user_id)?.ok_or(ApiError::NotFound(Missing::Member))?;
        access.require_can_remove(target)?;
        members::remove(c, id, user_id)?;
        events.push(Event::MemberLeft {
            room_id: id,
            user_id,
            actor_id: actor,
        });
        Ok(())
    })
    .await?;
    Ok(NoContent)
}
