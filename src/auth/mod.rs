//! Authentication: the `AuthUser` guard, access tokens, passwords, opaque tokens.

pub mod guard;
pub mod jwt;
pub mod password;
pub mod session_cache;
pub mod tokens;
pub mod user;
