//! Sign-in with an OpenID Connect provider (API.md §11): discovery, the
//! authorization-code flow with PKCE (S256), the code exchanged at the token
//! endpoint, and the ID token checked against the provider's published keys.
//! The provider is reached over blocking HTTP on the blocking pool.

pub mod discovery;
pub mod http;
pub mod id_token;
pub mod keys;

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use sha2::{Digest, Sha256};

use crate::config::OidcConfig;
use crate::error::ApiError;
use discovery::{ClientAuth, Metadata};
use http::Failure;
use id_token::{Expected, IdClaims};

/// How long a discovery document is trusted before it is fetched again.
const METADATA_TTL: Duration = Duration::from_secs(3600);

pub struct Oidc {
    pub config: OidcConfig,
    client: Arc<http::Client>,
    metadata: tokio::sync::Mutex<Option<(Arc<Metadata>, Instant)>>,
    keys: keys::KeyCache,
}

/// The PKCE challenge of `verifier`: BASE64URL(SHA-256(verifier)), RFC 7636 §4.2.
pub fn pkce_challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn provider_error(failure: Failure) -> ApiError {
    match failure {
        Failure::Unavailable(why) => ApiError::ProviderUnavailable(why),
        Failure::Refused { error, description } => ApiError::ProviderRefused { error, description },
    }
}

/// Runs a blocking exchange with the provider on the blocking pool.
async fn blocking<T, F>(f: F) -> Result<T, ApiError>
where
    F: FnOnce() -> Result<T, Failure> + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::internal(format!("provider call panicked: {e}")))?
        .map_err(provider_error)
}

impl Oidc {
    pub fn new(config: OidcConfig) -> Oidc {
        Oidc {
            config,
            client: Arc::new(http::Client::new()),
            metadata: Default::default(),
            keys: Default::default(),
        }
    }

    /// The provider's discovery document, fetched once an hour at most.
    pub async fn metadata(&self) -> Result<Arc<Metadata>, ApiError> {
        let mut cached = self.metadata.lock().await;
        if let Some((metadata, fetched)) = cached.as_ref() {
            if fetched.elapsed() < METADATA_TTL {
                return Ok(metadata.clone());
            }
        }
        let client = self.client.clone();
        let url = discovery::url_for(&self.config.issuer);
        let metadata: Metadata = blocking(move || client.get_json(&url)).await?;
        metadata
            .check(&self.config.issuer)
            .map_err(ApiError::ProviderUnavailable)?;
        let metadata = Arc::new(metadata);
        *cached = Some((metadata.clone(), Instant::now()));
        Ok(metadata)
    }

    /// Where to send the browser to sign in.
    pub fn authorization_url(
        &self,
        metadata: &Metadata,
        state: &str,
        nonce: &str,
        code_verifier: &str,
    ) -> Result<String, ApiError> {
        let mut url = url::Url::parse(&metadata.authorization_endpoint)
            .map_err(|_| ApiError::ProviderUnavailable("bad authorization endpoint".into()))?;
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.config.client_id)
            .append_pair("redirect_uri", &self.config.redirect_url)
            .append_pair("scope", &self.config.scope_list())
            .append_pair("state", state)
            .append_pair("nonce", nonce)
            .append_pair("code_challenge", &pkce_challenge(code_verifier))
            .append_pair("code_challenge_method", "S256");
        Ok(url.into())
    }

    /// Trades an authorization code for the provider's ID token, proving Veza's
    /// identity the way the provider allows.
    pub async fn exchange(
        &self,
        metadata: &Metadata,
        code: &str,
        code_verifier: &str,
    ) -> Result<String, ApiError> {
        #[derive(serde::Deserialize)]
        struct TokenAnswer {
            id_token: Option<String>,
        }
        let auth = metadata.client_auth().ok_or_else(|| {
            ApiError::ProviderUnavailable("no usable client authentication".into())
        })?;
        let client = self.client.clone();
        let endpoint = metadata.token_endpoint.clone();
        let config = self.config.clone();
        let (code, verifier) = (code.to_owned(), code_verifier.to_owned());
        let answer: TokenAnswer = blocking(move || {
            let mut form = vec![
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", config.redirect_url.as_str()),
                ("code_verifier", verifier.as_str()),
            ];
            let basic;
            let authorization = match auth {
                ClientAuth::Basic => {
                    basic = basic_authorization(&config.client_id, &config.client_secret);
                    Some(basic.as_str())
                }
                ClientAuth::Post => {
                    form.push(("client_id", config.client_id.as_str()));
                    form.push(("client_secret", config.client_secret.as_str()));
                    None
                }
            };
            client.post_form(&endpoint, authorization, &form)
        })
        .await?;
        answer.id_token.ok_or(ApiError::InvalidToken(
            "the provider answered without an ID token",
        ))
    }

    /// Checks `token` and returns its claims. A key id Veza has not seen makes it
    /// fetch the provider's keys again (once, however many sign-ins ask).
    pub async fn verify(
        &self,
        metadata: &Metadata,
        token: &str,
        nonce: &str,
    ) -> Result<IdClaims, ApiError> {
        let header = id_token::header(token)?;
        let kid = header.kid.as_deref();
        let current = self.keys.current();
        let key = match current
            .as_ref()
            .and_then(|(_, set)| keys::select(set, kid, header.alg))
        {
            Some(key) => key,
            None => {
                let client = self.client.clone();
                let url = metadata.jwks_uri.clone();
                let seen = current.map(|(generation, _)| generation);
                let set = self
                    .keys
                    .refresh(seen, || blocking(move || client.get_json(&url)))
                    .await?;
                keys::select(&set, kid, header.alg).ok_or(ApiError::InvalidToken(
                    "the ID token is signed with a key the provider does not publish",
                ))?
            }
        };
        let expected = Expected {
            issuer: &metadata.issuer,
            client_id: &self.config.client_id,
            nonce,
        };
        id_token::verify(token, &header, &key, &expected)
    }
}

/// `Authorization: Basic` for the token endpoint: id and secret form-encoded
/// first, as RFC 6749 §2.3.1 requires.
fn basic_authorization(client_id: &str, client_secret: &str) -> String {
    let encode = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let pair = format!("{}:{}", encode(client_id), encode(client_secret));
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_challenge_matches_rfc_7636_appendix_b() {
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn basic_authorization_encodes_the_pair_first() {
        assert_eq!(
            basic_authorization("veza app", "s:cret"),
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode("veza+app:s%3Acret")
            )
        );
    }
}
