//! `/api/v1/rooms/{id}/members`: list, add, change role (and transfer ownership),
//! remove.

use rocket::{delete, get, post, put, routes, Route, State};
use serde::{Deserialize, Serialize};

use crate::app::App;
use crate::auth::guard::AuthUser;
use crate::domain::members::{self, Target};
use crate::error::{ApiError, ApiResult};
use crate::http::body::JsonBody;
use crate::http::client::ClientInfo;
use crate::http::pagination::{ListMeta, ListParams};
use crate::http::respond::{created, ok, NoContent, Success};
use crate::policy::RoomRole;
use crate::store::members::Member;

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
) -> ApiResult<Success<MemberList>> {
    let window = list.window()?;
    let role = match role.as_deref().map(str::trim) {
        None | Some("") | Some("all") => None,
        Some(r) => Some(parse_role("role", r)?),
    };
    let (members, total) = members::list(
        &app.domain,
        user.actor(),
        id,
        role,
        window.limit,
        window.offset,
    )
    .await?;
    let meta = ListMeta::new(window, members.len(), total);
    Ok(ok(MemberList { members, meta }))
}

#[derive(Deserialize)]
pub struct AddMemberBody {
    user_id: Option<i64>,
    username: Option<String>,
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
) -> ApiResult<Success<Member>> {
    let body = body.0;
    let role = match body.role.as_deref() {
        None => RoomRole::Member,
        Some(r) => parse_role("role", r)?,
    };
    let target = match (body.user_id, body.username) {
        (Some(id), _) => Target::Id(id),
        (None, Some(name)) => Target::Username(name),
        (None, None) => {
            return Err(ApiError::validation(
                "user_id",
                "give the user's `user_id` or `username`",
            ))
        }
    };
    let member = members::add(&app.domain, user.actor(), client.ip, id, target, role).await?;
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
) -> ApiResult<Success<Member>> {
    let role = parse_role("role", &body.0.role)?;
    let member =
        members::change_role(&app.domain, user.actor(), client.ip, id, user_id, role).await?;
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
    members::remove(&app.domain, user.actor(), client.ip, id, user_id).await?;
    Ok(NoContent)
}
