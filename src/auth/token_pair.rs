//! What a sign-in answers: the session's refresh token, beside a fresh access
//! token signed with the server's JWT keys (which only the HTTP layer holds).

use serde::Serialize;

use crate::auth::jwt::JwtKeys;
use crate::domain::accounts::SignedIn;
use crate::error::ApiResult;
use crate::store::users::User;

#[derive(Serialize)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: u64,
    pub token_type: &'static str,
    pub user: User,
}

impl TokenPair {
    /// The tokens of `signed`, with an access token made now.
    pub fn issue(keys: &JwtKeys, signed: SignedIn) -> ApiResult<TokenPair> {
        Ok(TokenPair {
            access_token: keys.issue(signed.user.id, signed.session_id)?,
            refresh_token: signed.refresh_token,
            expires_in: keys.access_ttl_secs,
            token_type: "Bearer",
            user: signed.user,
        })
    }
}
