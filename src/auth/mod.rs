//! Authentication: the `AuthUser` guard, access tokens and what a sign-in
//! answers, passwords, the session cache.

pub mod guard;
pub mod jwt;
pub mod password;
pub mod session_cache;
pub mod token_pair;
pub mod user;
