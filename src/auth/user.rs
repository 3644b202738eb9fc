//! `AuthUser`: who a request comes from, with a live session. A plain value (the
//! guard that makes it from a request is `auth::guard`), so the session cache
//! keeps it without depending on Rocket's request machinery.

use crate::store::users::Role;

/// The signed-in user of a request, with a live session.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub id: i64,
    pub username: String,
    /// Kept so a send carries it without a read (refreshed on `UserChanged`).
    pub avatar_url: Option<String>,
    pub role: Role,
    pub session_id: i64,
}

impl AuthUser {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}
