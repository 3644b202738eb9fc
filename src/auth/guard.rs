//! `AuthUser`: the request guard for every authenticated route.
//!
//! The bearer token is decoded once per request and cached (the rate-limit fairing
//! decodes it first, to count the request against the user); the guard then checks
//! in the database that the session is live and the account active.

use std::time::Duration;

use rocket::http::Status;
use rocket::request::{FromRequest, Outcome, Request};

use crate::app::App;
use crate::auth::jwt::Claims;
use crate::error::ApiError;
use crate::http::error::stash;
use crate::store::sessions;

/// What the `Authorization` header of this request holds.
pub enum Bearer {
    Missing,
    Invalid(&'static str),
    Valid(Claims),
    /// A personal access token (`vz_…`), as the SHA-256 the database keeps.
    Personal(String),
}

use crate::tokens::ACCESS_TOKEN_PREFIX as PERSONAL_PREFIX;

/// The holder of the request's personal access token, read once per request
/// (the rate limit and the guard both ask) and never cached across requests:
/// a revoked token is refused by the very next request.
pub async fn personal_holder<'r>(
    req: &'r Request<'_>,
) -> &'r Option<crate::store::access_tokens::Holder> {
    req.local_cache_async(async {
        let Bearer::Personal(digest) = bearer(req) else {
            return None;
        };
        let app = req.rocket().state::<App>()?;
        let digest = digest.clone();
        app.domain
            .db
            .read(move |c| crate::store::access_tokens::holder(c, &digest))
            .await
            .ok()
            .flatten()
    })
    .await
}

/// The decoded bearer token of `req`, computed once and cached for the request.
pub fn bearer<'r>(req: &'r Request<'_>) -> &'r Bearer {
    req.local_cache(|| {
        let Some(value) = req.headers().get_one("Authorization") else {
            return match query_token(req) {
                Some(token) => verify(req, token),
                None => Bearer::Missing,
            };
        };
        let Some(token) = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
        else {
            return Bearer::Invalid("the Authorization header must be `Bearer <token>`");
        };
        verify(req, token)
    })
}

fn verify(req: &Request<'_>, token: &str) -> Bearer {
    let token = token.trim();
    if token.starts_with(PERSONAL_PREFIX) {
        return Bearer::Personal(crate::tokens::digest(token));
    }
    let Some(app) = req.rocket().state::<App>() else {
        return Bearer::Invalid("token keys unavailable");
    };
    match app.jwt.verify(token.trim()) {
        Ok(claims) => Bearer::Valid(claims),
        Err(why) => Bearer::Invalid(why),
    }
}

/// The `?token=` of a request that a browser makes without headers of its own: an
/// `<img>`, `<audio>` or `<video>` source (file downloads and thumbnails), and the
/// WebSocket (browsers cannot set headers on it). Any other route takes its token
/// from the `Authorization` header only.
fn query_token<'r>(req: &'r Request<'_>) -> Option<&'r str> {
    let path = req.uri().path();
    let segments: Vec<&str> = path.as_str().trim_end_matches('/').split('/').collect();
    let media = matches!(
        segments.as_slice(),
        ["", "api", "v1", "files", _, "download" | "thumbnail"] | ["", "api", "v1", "ws"]
    );
    if !media {
        return None;
    }
    req.query_value::<&str>("token").and_then(Result::ok)
}

/// The valid access token of a request (checked against its session by
/// [`AuthUser`], which a route takes beside it).
pub struct AccessToken {
    /// When it expires, in Unix seconds.
    pub expires: u64,
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for AccessToken {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        match bearer(req) {
            Bearer::Valid(claims) => Outcome::Success(AccessToken {
                expires: claims.exp,
            }),
            Bearer::Missing => refuse(req, ApiError::InvalidToken("no bearer token")),
            Bearer::Invalid(why) => refuse(req, ApiError::InvalidToken(why)),
            Bearer::Personal(_) => refuse(
                req,
                ApiError::PermissionDenied(
                    "an access token cannot do this: sign in with a password",
                ),
            ),
        }
    }
}

pub use crate::auth::user::AuthUser;

impl AuthUser {
    /// The user as the domain layer sees an actor (here, where HTTP meets the
    /// domain: the plain `AuthUser` knows nothing of the layers above it).
    pub fn actor(&self) -> crate::domain::Actor {
        crate::domain::Actor {
            id: self.id,
            is_admin: self.is_admin(),
        }
    }
}

/// `last_seen` is refreshed at most this often per user, to keep writes rare.
const LAST_SEEN_PRECISION_SECS: u64 = 60;

#[rocket::async_trait]
impl<'r> FromRequest<'r> for AuthUser {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        let claims = match bearer(req) {
            Bearer::Valid(claims) => claims.clone(),
            Bearer::Missing => return refuse(req, ApiError::InvalidToken("no bearer token")),
            Bearer::Invalid(why) => return refuse(req, ApiError::InvalidToken(why)),
            Bearer::Personal(_) => return personal_user(req).await,
        };
        let Some(app) = req.rocket().state::<App>() else {
            return refuse(req, ApiError::internal("app state not managed"));
        };
        let user_id = claims.user_id().unwrap_or(-1);
        let seen_every = Duration::from_secs(LAST_SEEN_PRECISION_SECS);
        if let Some((user, seen_due)) = app.sessions.get(claims.sid, user_id, seen_every) {
            if seen_due {
                let id = user.id;
                app.domain
                    .journal
                    .apply_detached(move |c| crate::store::users::touch_last_seen(c, id));
            }
            return Outcome::Success(user);
        }
        // Taken before the read: a session evicted while it runs must not be cached.
        let generation = app.sessions.generation();
        let found = app
            .domain
            .db
            .read(move |c| sessions::live_session_user(c, claims.sid, user_id))
            .await;
        app.sessions.before_fill().await;
        match found {
            Ok(Some(live)) => {
                let stale = live.last_seen.as_deref().is_none_or(|seen| {
                    seen < crate::time::ago_secs(LAST_SEEN_PRECISION_SECS).as_str()
                });
                if stale {
                    let id = live.user_id;
                    app.domain
                        .journal
                        .apply_detached(move |c| crate::store::users::touch_last_seen(c, id));
                }
                let user = AuthUser {
                    id: live.user_id,
                    username: live.username,
                    avatar_url: live.avatar_url,
                    role: live.role,
                    session_id: claims.sid,
                    kind: "user",
                    access: crate::auth::user::Access::Session,
                };
                app.sessions.put_if_unchanged(&user, generation);
                Outcome::Success(user)
            }
            Ok(None) => refuse(req, ApiError::InvalidToken("the session has ended")),
            Err(e) => refuse(req, e.into()),
        }
    }
}

/// The user behind a personal access token, if the token is live and its
/// scopes allow this request.
async fn personal_user(req: &Request<'_>) -> Outcome<AuthUser, ()> {
    let Some(holder) = personal_holder(req).await.clone() else {
        return refuse(
            req,
            ApiError::InvalidToken("unknown, revoked or expired access token"),
        );
    };
    if let Err(e) = crate::policy::token_may(
        req.method().as_str(),
        req.uri().path().as_str(),
        holder.scopes,
    ) {
        return refuse(req, e);
    }
    let stale = holder
        .last_used_at
        .as_deref()
        .is_none_or(|used| used < crate::time::ago_secs(LAST_SEEN_PRECISION_SECS).as_str());
    if let (true, Some(app)) = (stale, req.rocket().state::<App>()) {
        let id = holder.token_id;
        app.domain
            .journal
            .apply_detached(move |c| crate::store::access_tokens::touch(c, id));
    }
    Outcome::Success(AuthUser {
        id: holder.user_id,
        username: holder.username,
        avatar_url: holder.avatar_url,
        role: holder.role,
        session_id: 0,
        kind: crate::store::messages::author_kind(&holder.kind),
        access: crate::auth::user::Access::Token {
            id: holder.token_id,
            scopes: holder.scopes,
        },
    })
}

/// The signed-in user when the request carries a token, `None` when it carries
/// none. A token that does not check out is refused, not taken for "nobody".
pub struct MaybeUser(pub Option<AuthUser>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for MaybeUser {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        if matches!(bearer(req), Bearer::Missing) {
            return Outcome::Success(MaybeUser(None));
        }
        AuthUser::from_request(req)
            .await
            .map(|user| MaybeUser(Some(user)))
    }
}

fn refuse<T>(req: &Request<'_>, err: ApiError) -> Outcome<T, ()> {
    let status: Status = stash(req, err);
    Outcome::Error((status, ()))
}

/// A signed-in site admin; anyone else gets 403 `PERMISSION_DENIED`.
pub struct AdminUser(pub AuthUser);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for AdminUser {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        match AuthUser::from_request(req).await {
            Outcome::Success(user) if user.is_admin() => Outcome::Success(AdminUser(user)),
            Outcome::Success(_) => refuse(req, ApiError::PermissionDenied("administrators only")),
            Outcome::Error(e) => Outcome::Error(e),
            Outcome::Forward(f) => Outcome::Forward(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use rocket::http::{ContentType, Header};
    use rocket::local::asynchronous::Client;
    use serde_json::{json, Value};

    use crate::app::App;

    /// A guard that read a live session just before a logout committed must not
    /// put that session back in the cache: the next request is refused. The test
    /// stops the guard exactly between its read and its fill (the cache's hook,
    /// compiled for tests only).
    #[rocket::async_test]
    async fn a_logout_during_a_guards_read_is_not_undone_by_the_session_cache() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = crate::Config::default();
        config.data_dir = dir.path().to_path_buf();
        config.jwt_secret = Some("a-test-secret-of-at-least-32-bytes-long!".into());
        config.log_level = crate::config::LogLevel::Off;
        let client = Client::tracked(crate::rocket(config).unwrap())
            .await
            .unwrap();
        let registered = client
            .post("/api/v1/auth/register")
            .header(ContentType::JSON)
            .body(r#"{"username":"sol","email":"sol@example.com","password":"a long password"}"#)
            .dispatch()
            .await
            .into_json::<Value>()
            .await
            .unwrap();
        let token = registered["data"]["access_token"]
            .as_str()
            .unwrap()
            .to_owned();
        let bearer = || Header::new("Authorization", format!("Bearer {token}"));
        let state = client.rocket().state::<App>().unwrap();
        let (reached_tx, reached_rx) = tokio::sync::oneshot::channel::<()>();
        let (go_tx, go_rx) = tokio::sync::oneshot::channel::<()>();
        state.sessions.pause_next_fill(Box::new(move || {
            Box::pin(async move {
                let _ = reached_tx.send(());
                let _ = go_rx.await;
            })
        }));
        let paused = client.get("/api/v1/users/me").header(bearer()).dispatch();
        let meanwhile = async {
            reached_rx.await.unwrap();
            let res = client
                .post("/api/v1/auth/logout")
                .header(bearer())
                .header(ContentType::JSON)
                .body(json!({}).to_string())
                .dispatch()
                .await;
            assert_eq!(res.status().code, 204);
            go_tx.send(()).unwrap();
        };
        let (paused, ()) = tokio::join!(paused, meanwhile);
        assert_eq!(
            paused.status().code,
            200,
            "it read the session before the logout"
        );
        // The paused guard's stale read did not land in the cache.
        let after = client
            .get("/api/v1/users/me")
            .header(bearer())
            .dispatch()
            .await;
        assert_eq!(after.status().code, 401);
    }
}
