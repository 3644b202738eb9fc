//! A small OpenID provider on loopback for the sign-in tests: discovery, keys,
//! authorize and token endpoints on a real HTTP server, able to misbehave on
//! purpose. It checks what a real provider checks of Veza: the client's
//! credentials (basic or post, as it advertises), the redirect URI, and PKCE.

use std::collections::HashMap;
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use base64::Engine;
use jsonwebtoken::jwk::{Jwk, JwkSet, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use sha2::Digest;

use super::http1::{self, form_decode, Request};

pub const CLIENT_ID: &str = "veza-test";
/// With characters that basic authentication must form-encode.
pub const CLIENT_SECRET: &str = "s3cret:with+chars";
/// Where the provider sends the browser back (the tests take the code from it).
pub const REDIRECT_URL: &str = "http://chat.example.test/auth/oauth/callback";

/// The provider's signing keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    RsaA,
    RsaB,
    EcA,
}

impl Key {
    fn kid(self) -> &'static str {
        match self {
            Key::RsaA => "rsa-a",
            Key::RsaB => "rsa-b",
            Key::EcA => "ec-a",
        }
    }

    fn alg(self) -> Algorithm {
        match self {
            Key::RsaA | Key::RsaB => Algorithm::RS256,
            Key::EcA => Algorithm::ES256,
        }
    }

    fn encoding(self) -> EncodingKey {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/oidc");
        let pem = std::fs::read(format!("{dir}/{}.pem", self.kid())).expect("test key");
        match self {
            Key::RsaA | Key::RsaB => EncodingKey::from_rsa_pem(&pem).expect("RSA key"),
            Key::EcA => EncodingKey::from_ec_pem(&pem).expect("EC key"),
        }
    }

    fn jwk(self) -> Jwk {
        let mut jwk = Jwk::from_encoding_key(&self.encoding(), self.alg()).expect("jwk");
        jwk.common.key_id = Some(self.kid().into());
        jwk.common.public_key_use = Some(PublicKeyUse::Signature);
        jwk.common.key_algorithm = Some(match self.alg() {
            Algorithm::ES256 => KeyAlgorithm::ES256,
            _ => KeyAlgorithm::RS256,
        });
        jwk
    }
}

/// Ways the provider's ID token can be wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mischief {
    None,
    WrongNonce,
    WrongAudience,
    WrongIssuer,
    Expired,
    /// Signed with a key the provider does not publish.
    UnpublishedKey,
    /// `alg: none`, no signature.
    AlgNone,
    /// The user refuses at the provider: back with `error=access_denied`.
    Deny,
}

struct Grant {
    nonce: String,
    challenge: String,
    redirect_uri: String,
    identity: Value,
}

struct State {
    published: Vec<Key>,
    signing: Key,
    auth_method: &'static str,
    mischief: Mischief,
    identity: Value,
    codes: HashMap<String, Grant>,
    issued: u64,
    /// How each token request authenticated: "basic" or "post".
    token_auth: Vec<&'static str>,
    jwks_fetches: usize,
    /// The query of every authorize request.
    authorize_queries: Vec<HashMap<String, String>>,
}

#[derive(Clone)]
pub struct Provider {
    pub port: u16,
    state: Arc<Mutex<State>>,
}

impl Provider {
    /// A provider publishing and signing with the first RSA key, accepting
    /// `client_secret_basic`, signing in the identity `alice`.
    pub fn start() -> Provider {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let provider = Provider {
            port: listener.local_addr().unwrap().port(),
            state: Arc::new(Mutex::new(State {
                published: vec![Key::RsaA],
                signing: Key::RsaA,
                auth_method: "client_secret_basic",
                mischief: Mischief::None,
                identity: identity("sub-alice", "alice", "alice@corp.example"),
                codes: HashMap::new(),
                issued: 0,
                token_auth: Vec::new(),
                jwks_fetches: 0,
                authorize_queries: Vec::new(),
            })),
        };
        let serving = provider.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let serving = serving.clone();
                std::thread::spawn(move || serving.serve(stream));
            }
        });
        provider
    }

    pub fn issuer(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Veza's `[oidc]` section for this provider.
    pub fn config(&self) -> veza::config::OidcConfig {
        veza::config::OidcConfig {
            issuer: self.issuer(),
            client_id: CLIENT_ID.into(),
            client_secret: CLIENT_SECRET.into(),
            scopes: "openid email profile".into(),
            redirect_url: REDIRECT_URL.into(),
            display_name: "Test SSO".into(),
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.state.lock().unwrap())
    }

    /// Who signs in next.
    pub fn set_identity(&self, identity: Value) {
        self.with(|s| s.identity = identity);
    }

    pub fn set_mischief(&self, mischief: Mischief) {
        self.with(|s| s.mischief = mischief);
    }

    /// The keys in the provider's JWKS, and the one it signs with.
    pub fn set_keys(&self, published: &[Key], signing: Key) {
        self.with(|s| {
            s.published = published.to_vec();
            s.signing = signing;
        });
    }

    /// The token endpoint authentication the provider advertises (and demands).
    pub fn set_auth_method(&self, method: &'static str) {
        self.with(|s| s.auth_method = method);
    }

    pub fn token_auth(&self) -> Vec<&'static str> {
        self.with(|s| s.token_auth.clone())
    }

    pub fn jwks_fetches(&self) -> usize {
        self.with(|s| s.jwks_fetches)
    }

    pub fn authorize_queries(&self) -> Vec<HashMap<String, String>> {
        self.with(|s| s.authorize_queries.clone())
    }

    /// Plays the browser: opens `authorization_url` at the provider and returns
    /// the query of the redirect back to Veza (`code` and `state`, or `error`).
    pub fn approve(&self, authorization_url: &str) -> HashMap<String, String> {
        let (status, headers, body) = http1::get(authorization_url);
        assert_eq!(
            status, 302,
            "the provider's authorize answered {status}: {body}"
        );
        let location = &headers["location"];
        let (before, query) = location.split_once('?').expect("a query on the redirect");
        assert_eq!(before, REDIRECT_URL, "redirected to the registered URL");
        form_decode(query)
    }

    fn serve(&self, mut stream: TcpStream) {
        let Some(request) = http1::read_request(&mut stream) else {
            return;
        };
        let (status, headers, body) = match (request.method.as_str(), request.path()) {
            ("GET", "/.well-known/openid-configuration") => (200, vec![], self.discovery()),
            ("GET", "/jwks") => (200, vec![], self.jwks()),
            ("GET", "/authorize") => self.authorize(&request),
            ("POST", "/token") => self.token(&request),
            _ => (404, vec![], json!({"error": "not_found"})),
        };
        let headers: Vec<(&str, &str)> = headers
            .iter()
            .map(|(k, v): &(String, String)| (k.as_str(), v.as_str()))
            .chain([("Content-Type", "application/json")])
            .collect();
        http1::respond(&mut stream, status, &headers, &body.to_string());
    }

    fn discovery(&self) -> Value {
        let issuer = self.issuer();
        json!({
            "issuer": issuer,
            "authorization_endpoint": format!("{issuer}/authorize"),
            "token_endpoint": format!("{issuer}/token"),
            "jwks_uri": format!("{issuer}/jwks"),
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256", "ES256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": [self.with(|s| s.auth_method)],
        })
    }

    fn jwks(&self) -> Value {
        let published = self.with(|s| {
            s.jwks_fetches += 1;
            s.published.clone()
        });
        serde_json::to_value(JwkSet {
            keys: published.into_iter().map(Key::jwk).collect(),
        })
        .unwrap()
    }

    fn authorize(&self, request: &Request) -> (u16, Vec<(String, String)>, Value) {
        let q = request.query();
        self.with(|s| s.authorize_queries.push(q.clone()));
        let get = |k: &str| q.get(k).cloned().unwrap_or_default();
        if get("client_id") != CLIENT_ID
            || get("response_type") != "code"
            || get("code_challenge_method") != "S256"
            || get("code_challenge").len() != 43
            || get("redirect_uri") != REDIRECT_URL
        {
            return (400, vec![], json!({"error": "invalid_request"}));
        }
        let state = url_encode(&get("state"));
        let back = if self.with(|s| s.mischief) == Mischief::Deny {
            format!("{REDIRECT_URL}?error=access_denied&error_description=The+user+said+no&state={state}")
        } else {
            let code = self.with(|s| {
                s.issued += 1;
                let code = format!("code-{}-{}", s.issued, get("nonce").len());
                s.codes.insert(
                    code.clone(),
                    Grant {
                        nonce: get("nonce"),
                        challenge: get("code_challenge"),
                        redirect_uri: get("redirect_uri"),
                        identity: s.identity.clone(),
                    },
                );
                code
            });
            format!("{REDIRECT_URL}?code={code}&state={state}")
        };
        (302, vec![("Location".into(), back)], json!({}))
    }

    fn token(&self, request: &Request) -> (u16, Vec<(String, String)>, Value) {
        let form = form_decode(&request.body);
        let get = |k: &str| form.get(k).cloned().unwrap_or_default();
        let method = self.with(|s| s.auth_method);
        let authenticated = match method {
            "client_secret_basic" => {
                let expected = format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(format!(
                        "{}:{}",
                        url_encode(CLIENT_ID),
                        url_encode(CLIENT_SECRET)
                    ))
                );
                request.headers.get("authorization") == Some(&expected)
            }
            _ => get("client_id") == CLIENT_ID && get("client_secret") == CLIENT_SECRET,
        };
        if !authenticated {
            return (401, vec![], json!({"error": "invalid_client"}));
        }
        self.with(|s| {
            s.token_auth.push(if method == "client_secret_basic" {
                "basic"
            } else {
                "post"
            })
        });
        let Some(grant) = self.with(|s| s.codes.remove(&get("code"))) else {
            return (
                400,
                vec![],
                json!({"error": "invalid_grant", "error_description": "unknown code"}),
            );
        };
        let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(sha2::Sha256::digest(get("code_verifier").as_bytes()));
        if get("grant_type") != "authorization_code"
            || get("redirect_uri") != grant.redirect_uri
            || challenge != grant.challenge
        {
            return (
                400,
                vec![],
                json!({"error": "invalid_grant", "error_description": "PKCE or redirect mismatch"}),
            );
        }
        let id_token = self.id_token(&grant);
        (
            200,
            vec![],
            json!({"access_token": "opaque", "token_type": "Bearer", "expires_in": 300, "id_token": id_token}),
        )
    }

    fn id_token(&self, grant: &Grant) -> String {
        let (mischief, published, signing) =
            self.with(|s| (s.mischief, s.published.clone(), s.signing));
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let mut claims = grant.identity.clone();
        claims["iss"] = self.issuer().into();
        claims["aud"] = CLIENT_ID.into();
        claims["nonce"] = grant.nonce.clone().into();
        claims["iat"] = now.into();
        claims["exp"] = (now + 300).into();
        let mut key = signing;
        match mischief {
            Mischief::WrongNonce => claims["nonce"] = "not-the-nonce".into(),
            Mischief::WrongAudience => claims["aud"] = "another-client".into(),
            Mischief::WrongIssuer => claims["iss"] = "http://impostor.example".into(),
            Mischief::Expired => {
                claims["iat"] = (now - 7200).into();
                claims["exp"] = (now - 3600).into();
            }
            Mischief::UnpublishedKey => {
                key = [Key::RsaA, Key::RsaB]
                    .into_iter()
                    .find(|k| !published.contains(k))
                    .expect("a key left unpublished");
            }
            Mischief::AlgNone => {
                let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
                return format!(
                    "{}.{}.",
                    b64.encode(r#"{"alg":"none","typ":"JWT"}"#),
                    b64.encode(claims.to_string())
                );
            }
            Mischief::None | Mischief::Deny => {}
        }
        let mut header = Header::new(key.alg());
        header.kid = Some(key.kid().into());
        jsonwebtoken::encode(&header, &claims, &key.encoding()).expect("sign")
    }
}

/// The claims of a person at the provider.
pub fn identity(sub: &str, username: &str, email: &str) -> Value {
    json!({
        "sub": sub,
        "preferred_username": username,
        "email": email,
        "email_verified": true,
        "given_name": "Given",
        "family_name": "Family",
    })
}

fn url_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
