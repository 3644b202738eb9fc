//! Personal access tokens and bots (API §20): `/api/v1/users/me/tokens`,
//! `/api/v1/bots` and `/api/v1/bots/{id}/tokens`. Tokens are managed from a
//! signed-in session only (an access token cannot make or revoke tokens).

use rocket::{delete, get, post, routes, Route, State};
use serde::{Deserialize, Serialize};

use crate::app::App;
use crate::auth::guard::AuthUser;
use crate::domain::access_tokens::{self, Minted, Minting};
use crate::domain::bots;
use crate::error::ApiResult;
use crate::http::body::JsonBody;
use crate::http::respond::{created, ok, NoContent, Success};
use crate::store::access_tokens::AccessToken;
use crate::store::users::User;

pub fn routes() -> Vec<Route> {
    routes![
        create_mine,
        list_mine,
        revoke_mine,
        create_bot,
        list_bots,
        deactivate_bot,
        create_for_bot,
        list_for_bot,
        revoke_for_bot
    ]
}

#[derive(Deserialize)]
pub struct TokenBody {
    name: String,
    scopes: Vec<String>,
    expires_in_days: Option<u32>,
}

impl TokenBody {
    fn minting(self) -> Minting {
        Minting {
            name: self.name,
            scopes: self.scopes,
            expires_in_days: self.expires_in_days,
        }
    }
}

#[derive(Serialize)]
pub struct TokenList {
    tokens: Vec<AccessToken>,
}

/// Makes a token for the caller; the token itself is in this answer only.
#[post("/users/me/tokens", data = "<body>")]
async fn create_mine(
    body: JsonBody<TokenBody>,
    user: AuthUser,
    app: &State<App>,
) -> ApiResult<Success<Minted>> {
    let minted =
        access_tokens::create(&app.domain, user.actor(), user.id, body.0.minting()).await?;
    Ok(created(minted))
}

#[get("/users/me/tokens")]
async fn list_mine(user: AuthUser, app: &State<App>) -> ApiResult<Success<TokenList>> {
    let tokens = access_tokens::list(&app.domain, user.actor(), user.id).await?;
    Ok(ok(TokenList { tokens }))
}

/// Revokes one of the caller's tokens at once.
#[delete("/users/me/tokens/<id>")]
async fn revoke_mine(id: i64, user: AuthUser, app: &State<App>) -> ApiResult<NoContent> {
    access_tokens::revoke(&app.domain, user.actor(), user.id, id).await?;
    Ok(NoContent)
}

#[derive(Deserialize)]
pub struct BotBody {
    username: String,
    display_name: Option<String>,
}

/// Makes a bot owned by the caller (admins; everyone with `bots.users_may_create`).
#[post("/bots", data = "<body>")]
async fn create_bot(
    body: JsonBody<BotBody>,
    user: AuthUser,
    app: &State<App>,
) -> ApiResult<Success<User>> {
    let body = body.0;
    let bot = bots::create(
        &app.domain,
        user.actor(),
        &body.username,
        body.display_name.as_deref(),
    )
    .await?;
    Ok(created(bot))
}

#[derive(Serialize)]
pub struct BotList {
    bots: Vec<User>,
}

/// The caller's bots (admins: every bot).
#[get("/bots")]
async fn list_bots(user: AuthUser, app: &State<App>) -> ApiResult<Success<BotList>> {
    Ok(ok(BotList {
        bots: bots::list(&app.domain, user.actor()).await?,
    }))
}

/// Deactivates a bot: its tokens stop at once.
#[delete("/bots/<id>")]
async fn deactivate_bot(id: i64, user: AuthUser, app: &State<App>) -> ApiResult<NoContent> {
    bots::deactivate(&app.domain, user.actor(), id).await?;
    Ok(NoContent)
}

#[post("/bots/<id>/tokens", data = "<body>")]
async fn create_for_bot(
    id: i64,
    body: JsonBody<TokenBody>,
    user: AuthUser,
    app: &State<App>,
) -> ApiResult<Success<Minted>> {
    let minted = access_tokens::create(&app.domain, user.actor(), id, body.0.minting()).await?;
    Ok(created(minted))
}

#[get("/bots/<id>/tokens")]
async fn list_for_bot(id: i64, user: AuthUser, app: &State<App>) -> ApiResult<Success<TokenList>> {
    let tokens = access_tokens::list(&app.domain, user.actor(), id).await?;
    Ok(ok(TokenList { tokens }))
}

#[delete("/bots/<id>/tokens/<token_id>")]
async fn revoke_for_bot(
    id: i64,
    token_id: i64,
    user: AuthUser,
    app: &State<App>,
) -> ApiResult<NoContent> {
    access_tokens::revoke(&app.domain, user.actor(), id, token_id).await?;
    Ok(NoContent)
}
