//! `AuthUser`: who a request comes from, with a live session. A plain value (the
//! guard that makes it from a request is `auth::guard`), so the session cache
//! keeps it without depending on Rocket's request machinery.

use crate::policy::Scopes;
use crate::store::users::Role;

/// How a request proves who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// A signed-in session (a person, in a browser or an app).
    Session,
    /// A personal access token (`vz_…`): only what its scopes allow, and never
    /// what needs a session (see `policy::token_may`).
    Token { id: i64, scopes: Scopes },
}

/// The signed-in user of a request, with a live session.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub id: i64,
    pub username: String,
    /// Kept so a send carries it without a read (refreshed on `UserChanged`).
    pub avatar_url: Option<String>,
    pub role: Role,
    /// The session (0 for an access token, which has none).
    pub session_id: i64,
    /// `user`, or `bot` for a bot's token.
    pub kind: &'static str,
    pub access: Access,
}

impl AuthUser {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}
