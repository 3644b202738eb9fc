//! `/api/v1/invites`: invitations (API §17). The public page of a code needs no
//! token; the rest is for admins and room moderators.

use rocket::{delete, get, post, routes, Route, State};
use serde::{Deserialize, Serialize};

use crate::app::App;
use crate::auth::guard::AuthUser;
use crate::domain::invites::{self, Created, Inviting, Preview};
use crate::error::ApiResult;
use crate::http::body::JsonBody;
use crate::http::pagination::{ListMeta, ListParams};
use crate::http::respond::{created, ok, NoContent, Success};
use crate::store::invites::Invite;

pub fn routes() -> Vec<Route> {
    routes![create, list, revoke, preview]
}

#[derive(Deserialize)]
pub struct InviteBody {
    #[serde(default)]
    room_ids: Vec<i64>,
    max_uses: Option<i64>,
    expires_in_secs: Option<u64>,
    email: Option<String>,
}

/// Makes an invitation; its code and link are shown this once.
#[post("/invites", data = "<body>")]
async fn create(
    body: JsonBody<InviteBody>,
    user: AuthUser,
    app: &State<App>,
) -> ApiResult<Success<Created>> {
    let body = body.0;
    let form = Inviting {
        room_ids: body.room_ids,
        max_uses: body.max_uses,
        expires_in_secs: body.expires_in_secs,
        email: body.email.filter(|e| !e.trim().is_empty()),
    };
    Ok(created(
        invites::create(&app.domain, &app.invite_mails, user.actor(), form).await?,
    ))
}

#[derive(Serialize)]
pub struct InviteList {
    invites: Vec<Invite>,
    #[serde(flatten)]
    meta: ListMeta,
}

/// The caller's invitations (an admin sees everyone's), newest first.
#[get("/invites?<list..>")]
async fn list(
    list: ListParams,
    user: AuthUser,
    app: &State<App>,
) -> ApiResult<Success<InviteList>> {
    let window = list.window()?;
    let (invites, total) =
        invites::list(&app.domain, user.actor(), window.limit, window.offset).await?;
    let meta = ListMeta::new(window, invites.len(), total);
    Ok(ok(InviteList { invites, meta }))
}

/// Revokes an invitation at once (its creator or an admin).
#[delete("/invites/<id>")]
async fn revoke(id: i64, user: AuthUser, app: &State<App>) -> ApiResult<NoContent> {
    invites::revoke(&app.domain, user.actor(), id).await?;
    Ok(NoContent)
}

/// What an invitation leads to, for anyone holding its code; 404 when it cannot
/// be used.
#[get("/invites/<code>", rank = 2)]
async fn preview(code: &str, app: &State<App>) -> ApiResult<Success<Preview>> {
    Ok(ok(invites::preview(&app.domain, code).await?))
}
