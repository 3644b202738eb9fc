//! Access tokens: JWT, HS256 only, with `exp`, `iss`, `aud` and `sub` required and
//! checked. A token names its session (`sid`); the guard also checks that the session
//! is still live, so logging out kills its access tokens at once.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

pub const ISSUER: &str = "veza";
pub const AUDIENCE: &str = "veza-api";
const ACCESS_TYPE: &str = "access";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    /// The user id, as a string as RFC 7519 wants.
    pub sub: String,
    /// The session id.
    pub sid: i64,
    pub iat: u64,
    pub exp: u64,
    /// Not before; Veza does not set it, but a token carrying one is held to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
    /// Always "access": refuses any other kind of token signed with the same key.
    pub typ: String,
}

impl Claims {
    pub fn user_id(&self) -> Option<i64> {
        self.sub.parse().ok()
    }
}

pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    pub access_ttl_secs: u64,
}

impl JwtKeys {
    pub fn new(secret: &[u8], access_ttl_secs: u64) -> JwtKeys {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.leeway = 0;
        validation.validate_nbf = true;
        JwtKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            access_ttl_secs,
        }
    }

    pub fn issue(&self, user_id: i64, session_id: i64) -> Result<String, ApiError> {
        let now = crate::time::unix_now();
        let claims = Claims {
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            sub: user_id.to_string(),
            sid: session_id,
            iat: now,
            exp: now + self.access_ttl_secs,
            nbf: None,
            typ: ACCESS_TYPE.into(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| ApiError::internal(format!("jwt encode: {e}")))
    }

    /// The claims of a valid access token, or why it is not one.
    pub fn verify(&self, token: &str) -> Result<Claims, &'static str> {
        use jsonwebtoken::errors::ErrorKind;
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => "the token has expired",
                ErrorKind::ImmatureSignature => "the token is not valid yet",
                ErrorKind::InvalidSignature => "bad signature",
                ErrorKind::InvalidAlgorithm => "algorithm not allowed",
                ErrorKind::InvalidIssuer | ErrorKind::InvalidAudience => "not a Veza token",
                _ => "malformed token",
            })?;
        if data.claims.typ != ACCESS_TYPE || data.claims.user_id().is_none() {
            return Err("not an access token");
        }
        // A token issued in the future was not issued by this server's clock.
        if data.claims.iat > crate::time::unix_now() {
            return Err("the token is not valid yet");
        }
        Ok(data.claims)
    }
}
