//! Checking an ID token: its signature against the provider's keys (jsonwebtoken
//! does the cryptography), then `iss`, `aud`, `exp`, `iat`, `azp` and `nonce`.

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Header, Validation};
use serde::{Deserialize, Deserializer};

use crate::error::ApiError;

/// Clock difference tolerated between the provider and Veza.
const LEEWAY_SECS: u64 = 60;

/// Signature algorithms accepted; `none` and shared-secret (HS*) ones never are.
const ACCEPTED: &[Algorithm] = &[
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

/// The claims Veza reads from an ID token.
#[derive(Debug, Clone, Deserialize)]
pub struct IdClaims {
    pub sub: String,
    #[serde(default)]
    iat: Option<f64>,
    #[serde(default)]
    nonce: Option<String>,
    #[serde(default)]
    azp: Option<String>,
    #[serde(default)]
    aud: Audience,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default, deserialize_with = "lenient_bool")]
    pub email_verified: bool,
    #[serde(default)]
    pub preferred_username: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub given_name: Option<String>,
    #[serde(default)]
    pub family_name: Option<String>,
}

/// The `aud` claim; jsonwebtoken checks that it names this client, and Veza only
/// needs to know whether it names others too.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(untagged)]
enum Audience {
    #[default]
    None,
    Many(Vec<String>),
    One(serde::de::IgnoredAny),
}

/// Some providers send `"email_verified": "true"`.
fn lenient_bool<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::Bool(b) => b,
        serde_json::Value::String(s) => s == "true",
        _ => false,
    })
}

/// What the token must say to be accepted.
pub struct Expected<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub nonce: &'a str,
}

/// The token's header, once its algorithm is one Veza accepts.
pub fn header(token: &str) -> Result<Header, ApiError> {
    let header = jsonwebtoken::decode_header(token)
        .map_err(|_| ApiError::InvalidToken("the ID token is malformed or unsigned"))?;
    if !ACCEPTED.contains(&header.alg) {
        return Err(ApiError::InvalidToken(
            "the ID token's signature algorithm is not accepted",
        ));
    }
    Ok(header)
}

/// Checks `token` (whose header is `header`) with `key` and returns its claims.
pub fn verify(
    token: &str,
    header: &Header,
    key: &DecodingKey,
    expected: &Expected<'_>,
) -> Result<IdClaims, ApiError> {
    let mut validation = Validation::new(header.alg);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    validation.set_issuer(&[expected.issuer]);
    validation.set_audience(&[expected.client_id]);
    validation.leeway = LEEWAY_SECS;
    let claims = jsonwebtoken::decode::<IdClaims>(token, key, &validation)
        .map_err(|e| ApiError::InvalidToken(describe(e.kind())))?
        .claims;
    check_claims(&claims, expected, crate::time::unix_now())?;
    Ok(claims)
}

/// The checks jsonwebtoken does not make: the issue time, the authorized party
/// of a token with several audiences, the nonce, and a usable subject.
fn check_claims(claims: &IdClaims, expected: &Expected<'_>, now: u64) -> Result<(), ApiError> {
    let Some(iat) = claims.iat else {
        return Err(ApiError::InvalidToken("the ID token has no issue time"));
    };
    if iat > (now + LEEWAY_SECS) as f64 {
        return Err(ApiError::InvalidToken(
            "the ID token is issued in the future",
        ));
    }
    let several_audiences = matches!(&claims.aud, Audience::Many(list) if list.len() > 1);
    match claims.azp.as_deref() {
        Some(azp) if azp != expected.client_id => {
            return Err(ApiError::InvalidToken(
                "the ID token was issued to another client",
            ))
        }
        None if several_audiences => {
            return Err(ApiError::InvalidToken(
                "the ID token has several audiences and no authorized party",
            ))
        }
        _ => {}
    }
    if claims.nonce.as_deref() != Some(expected.nonce) {
        return Err(ApiError::InvalidToken(
            "the ID token's nonce is not the one this sign-in sent",
        ));
    }
    if claims.sub.is_empty() || claims.sub.len() > 255 {
        return Err(ApiError::InvalidToken("the ID token's subject is unusable"));
    }
    Ok(())
}

fn describe(kind: &ErrorKind) -> &'static str {
    match kind {
        ErrorKind::ExpiredSignature => "the ID token has expired",
        ErrorKind::InvalidIssuer => "the ID token's issuer is not the provider",
        ErrorKind::InvalidAudience => "the ID token is not meant for this server",
        ErrorKind::InvalidSignature => "the ID token's signature does not verify",
        ErrorKind::InvalidAlgorithm => "the ID token's algorithm does not fit its key",
        ErrorKind::MissingRequiredClaim(_) => "the ID token lacks a required claim",
        ErrorKind::ImmatureSignature => "the ID token is not valid yet",
        _ => "the ID token is malformed",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(json: serde_json::Value) -> IdClaims {
        serde_json::from_value(json).unwrap()
    }

    const EXPECTED: Expected<'static> = Expected {
        issuer: "https://sso",
        client_id: "veza",
        nonce: "n1",
    };

    #[test]
    fn the_nonce_must_be_the_one_sent() {
        let now = 1_000_000;
        let base = serde_json::json!({"sub": "s", "iat": now, "aud": "veza", "nonce": "n1"});
        assert!(check_claims(&claims(base.clone()), &EXPECTED, now).is_ok());
        let mut other = base.clone();
        other["nonce"] = "n2".into();
        assert!(check_claims(&claims(other), &EXPECTED, now).is_err());
        let mut missing = base;
        missing.as_object_mut().unwrap().remove("nonce");
        assert!(check_claims(&claims(missing), &EXPECTED, now).is_err());
    }

    #[test]
    fn issue_time_is_required_and_not_in_the_future() {
        let now = 1_000_000;
        let c = |iat: serde_json::Value| {
            claims(serde_json::json!({"sub": "s", "iat": iat, "nonce": "n1"}))
        };
        assert!(check_claims(&c((now + 30).into()), &EXPECTED, now).is_ok());
        assert!(check_claims(&c((now + 3600).into()), &EXPECTED, now).is_err());
        assert!(check_claims(&c(serde_json::Value::Null), &EXPECTED, now).is_err());
    }

    #[test]
    fn several_audiences_need_this_client_as_authorized_party() {
        let now = 1_000_000;
        let c = |azp: Option<&str>| {
            let mut v = serde_json::json!({"sub": "s", "iat": now, "nonce": "n1", "aud": ["veza", "other"]});
            if let Some(azp) = azp {
                v["azp"] = azp.into();
            }
            claims(v)
        };
        assert!(check_claims(&c(Some("veza")), &EXPECTED, now).is_ok());
        assert!(check_claims(&c(Some("other")), &EXPECTED, now).is_err());
        assert!(check_claims(&c(None), &EXPECTED, now).is_err());
    }

    #[test]
    fn email_verified_may_be_a_string() {
        let c = claims(serde_json::json!({"sub": "s", "email_verified": "true"}));
        assert!(c.email_verified);
        let c = claims(serde_json::json!({"sub": "s", "email_verified": 1}));
        assert!(!c.email_verified);
    }

    #[test]
    fn none_and_shared_secret_algorithms_are_refused() {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        for alg in ["none", "HS256"] {
            let token = format!(
                "{}.{}.",
                b64.encode(format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#)),
                b64.encode(r#"{"sub":"s"}"#)
            );
            assert!(header(&token).is_err(), "{alg}");
        }
    }
}
