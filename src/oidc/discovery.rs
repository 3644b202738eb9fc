//! The provider's metadata, from `{issuer}/.well-known/openid-configuration`.

use serde::Deserialize;

/// The parts of the discovery document Veza uses.
#[derive(Debug, Clone, Deserialize)]
pub struct Metadata {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    /// Absent means `client_secret_basic` (OpenID Connect Discovery 1.0, §3).
    #[serde(default)]
    pub token_endpoint_auth_methods_supported: Option<Vec<String>>,
    #[serde(default)]
    pub code_challenge_methods_supported: Option<Vec<String>>,
}

/// How Veza proves itself to the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuth {
    /// `Authorization: Basic` with the id and secret.
    Basic,
    /// `client_id` and `client_secret` in the form.
    Post,
}

/// Where the discovery document of `issuer` is.
pub fn url_for(issuer: &str) -> String {
    format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    )
}

impl Metadata {
    /// Checks the document against the configured issuer: the spec requires the
    /// two to be the same string, which is what ID tokens are compared against.
    pub fn check(&self, configured_issuer: &str) -> Result<(), String> {
        if self.issuer.trim_end_matches('/') != configured_issuer.trim_end_matches('/') {
            return Err(format!(
                "the discovery document names the issuer {:?}, not the configured {:?}",
                self.issuer, configured_issuer
            ));
        }
        for (name, value) in [
            ("authorization_endpoint", &self.authorization_endpoint),
            ("token_endpoint", &self.token_endpoint),
            ("jwks_uri", &self.jwks_uri),
        ] {
            match url::Url::parse(value) {
                Ok(u) if matches!(u.scheme(), "http" | "https") => {}
                _ => return Err(format!("the discovery document's {name} is not a URL")),
            }
        }
        if let Some(methods) = &self.code_challenge_methods_supported {
            if !methods.iter().any(|m| m == "S256") {
                return Err("the provider does not support PKCE with S256".into());
            }
        }
        if self.client_auth().is_none() {
            return Err(
                "the provider supports neither client_secret_basic nor client_secret_post".into(),
            );
        }
        Ok(())
    }

    /// The client authentication to use: basic when allowed, else post.
    pub fn client_auth(&self) -> Option<ClientAuth> {
        let Some(methods) = &self.token_endpoint_auth_methods_supported else {
            return Some(ClientAuth::Basic);
        };
        if methods.iter().any(|m| m == "client_secret_basic") {
            Some(ClientAuth::Basic)
        } else if methods.iter().any(|m| m == "client_secret_post") {
            Some(ClientAuth::Post)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metadata(methods: Option<Vec<&str>>) -> Metadata {
        Metadata {
            issuer: "https://sso.example.com/realms/team".into(),
            authorization_endpoint: "https://sso.example.com/auth".into(),
            token_endpoint: "https://sso.example.com/token".into(),
            jwks_uri: "https://sso.example.com/certs".into(),
            token_endpoint_auth_methods_supported: methods
                .map(|m| m.into_iter().map(String::from).collect()),
            code_challenge_methods_supported: None,
        }
    }

    #[test]
    fn client_auth_follows_the_methods_the_provider_lists() {
        assert_eq!(metadata(None).client_auth(), Some(ClientAuth::Basic));
        assert_eq!(
            metadata(Some(vec!["client_secret_post", "client_secret_basic"])).client_auth(),
            Some(ClientAuth::Basic)
        );
        assert_eq!(
            metadata(Some(vec!["private_key_jwt", "client_secret_post"])).client_auth(),
            Some(ClientAuth::Post)
        );
        assert_eq!(metadata(Some(vec!["private_key_jwt"])).client_auth(), None);
    }

    #[test]
    fn the_document_must_name_the_configured_issuer() {
        let m = metadata(None);
        assert!(m.check("https://sso.example.com/realms/team/").is_ok());
        assert!(m.check("https://evil.example.com/realms/team").is_err());
    }

    #[test]
    fn discovery_is_under_the_issuer() {
        assert_eq!(
            url_for("https://sso.example.com/realms/team/"),
            "https://sso.example.com/realms/team/.well-known/openid-configuration"
        );
    }
}
