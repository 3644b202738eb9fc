//! `/api/v1/auth/oauth` (also under `/auth/oauth`): sign-in with the identity
//! provider configured under `[oidc]`; without it every route answers 404.

use rocket::{get, post, routes, Route, State};
use serde::{Deserialize, Serialize};

use crate::app::App;
use crate::auth::guard::MaybeUser;
use crate::auth::token_pair::TokenPair;
use crate::domain::oidc::{self, Returned, Started};
use crate::error::ApiResult;
use crate::http::body::JsonBody;
use crate::http::client::ClientInfo;
use crate::http::respond::{found, ok, Success};

pub fn routes() -> Vec<Route> {
    routes![provider, authorize_get, authorize_post, callback, token]
}

#[derive(Serialize)]
struct Provider {
    display_name: String,
}

/// Whether sign-in with a provider is offered, and under which name.
#[get("/oauth/provider")]
fn provider(app: &State<App>) -> ApiResult<Success<Provider>> {
    Ok(ok(Provider {
        display_name: oidc::provider(&app.domain)?.config.display_name.clone(),
    }))
}

async fn authorize(app: &App, user: MaybeUser) -> ApiResult<Success<Started>> {
    let started = oidc::start(&app.domain, user.0.map(|u| u.id)).await?;
    Ok(found(started.authorization_url.clone(), started))
}

/// Starts a sign-in: 302 to the provider (the answer's body also holds the URL
/// and the state). With a bearer token, the provider's identity is linked to the
/// caller's account instead of signing in to its own.
#[get("/oauth/authorize")]
async fn authorize_get(app: &State<App>, user: MaybeUser) -> ApiResult<Success<Started>> {
    authorize(app, user).await
}

/// The seed's spelling of [`authorize_get`].
#[post("/oauth/authorize")]
async fn authorize_post(app: &State<App>, user: MaybeUser) -> ApiResult<Success<Started>> {
    authorize(app, user).await
}

/// Where the provider sends the browser back; answers the same as a login.
#[get("/oauth/callback?<code>&<state>&<error>&<error_description>")]
async fn callback(
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
    app: &State<App>,
    client: ClientInfo,
) -> ApiResult<Success<TokenPair>> {
    let returned = Returned {
        code,
        state,
        error,
        error_description,
    };
    let signed = oidc::finish(&app.domain, client.origin(), returned).await?;
    Ok(ok(TokenPair::issue(&app.jwt, signed)?))
}

#[derive(Deserialize)]
pub struct TokenBody {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// The seed's spelling of the callback, for clients that received the provider's
/// redirect themselves: `{code, state}` in, the same as a login out.
#[post("/oauth/token", data = "<body>")]
async fn token(
    body: JsonBody<TokenBody>,
    app: &State<App>,
    client: ClientInfo,
) -> ApiResult<Success<TokenPair>> {
    let body = body.0;
    let returned = Returned {
        code: body.code,
        state: body.state,
        error: body.error,
        error_description: body.error_description,
    };
    let signed = oidc::finish(&app.domain, client.origin(), returned).await?;
    Ok(ok(TokenPair::issue(&app.jwt, signed)?))
}
