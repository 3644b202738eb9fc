//! The server's VAPID key pair (RFC 8292): made at first start and kept in the
//! data directory (0600), like the JWT secret. Browsers bind each subscription to
//! its public key, so it must outlive restarts (and be kept with backups).
//!
//! Each push carries a token signed with it (ES256) naming the push service's
//! origin (`aud`), an expiry and the operator's contact (`sub`). Tokens are made
//! once per origin and reused until close to expiry.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::SecretKey;

/// File holding the private key (base64url of the 32-byte scalar).
pub const KEY_FILE: &str = "vapid_private_key";
/// Tokens are valid this long (RFC 8292 allows up to 24 h; API §16 asks ≤ 12 h)...
const TOKEN_LIFETIME_SECS: u64 = 12 * 3600;
/// ...and are made anew once less than this remains.
const TOKEN_RENEW_SECS: u64 = 3600;
/// Origins whose token is kept. Origins come from subscriptions (any client can
/// name one), so the cache is bounded and simply cleared when full.
const CACHED_ORIGINS: usize = 256;

pub struct VapidKey {
    signing: SigningKey,
    /// The uncompressed public point, base64url: `applicationServerKey` and `k=`.
    public_key: String,
    subject: String,
    tokens: Mutex<HashMap<String, (String, u64)>>,
}

impl VapidKey {
    /// The key kept in `data_dir`, made (0600) when there is none yet.
    pub fn load_or_create(data_dir: &Path, subject: &str) -> Result<VapidKey, String> {
        let path = data_dir.join(KEY_FILE);
        let secret = if path.exists() {
            crate::datadir::restrict_to_owner(&path)?;
            let text = std::fs::read_to_string(&path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            URL_SAFE_NO_PAD
                .decode(text.trim())
                .ok()
                .and_then(|bytes| SecretKey::from_slice(&bytes).ok())
                .ok_or_else(|| format!("{} does not hold a P-256 private key", path.display()))?
        } else {
            let secret = super::encrypt::random_secret()?;
            let text = URL_SAFE_NO_PAD.encode(secret.to_bytes());
            crate::datadir::write_private_file(&path, text.as_bytes())?;
            secret
        };
        Ok(VapidKey::from_secret(&secret, subject))
    }

    pub fn from_secret(secret: &SecretKey, subject: &str) -> VapidKey {
        let public = secret.public_key().to_encoded_point(false);
        VapidKey {
            signing: SigningKey::from(secret),
            public_key: URL_SAFE_NO_PAD.encode(public.as_bytes()),
            subject: subject.to_owned(),
            tokens: Mutex::new(HashMap::new()),
        }
    }

    pub fn public_key(&self) -> &str {
        &self.public_key
    }

    /// The `Authorization` header for a push service at `origin`
    /// (`https://host[:port]`).
    pub fn authorization(&self, origin: &str) -> String {
        let now = crate::time::unix_now();
        let cached = self.tokens.lock().ok().and_then(|tokens| {
            tokens
                .get(origin)
                .filter(|(_, exp)| *exp > now + TOKEN_RENEW_SECS)
                .map(|(token, _)| token.clone())
        });
        let token = cached.unwrap_or_else(|| {
            let exp = now + TOKEN_LIFETIME_SECS;
            let token = self.token(origin, exp);
            if let Ok(mut tokens) = self.tokens.lock() {
                if tokens.len() >= CACHED_ORIGINS {
                    tokens.clear();
                }
                tokens.insert(origin.to_owned(), (token.clone(), exp));
            }
            token
        });
        format!("vapid t={token}, k={}", self.public_key)
    }

    /// A JWT (ES256) for `aud` = `origin`, expiring at `exp` (Unix seconds).
    fn token(&self, origin: &str, exp: u64) -> String {
        let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"ES256"}"#);
        let claims = serde_json::json!({"aud": origin, "exp": exp, "sub": self.subject});
        let claims = URL_SAFE_NO_PAD.encode(claims.to_string());
        let signed = format!("{header}.{claims}");
        let signature: Signature = self.signing.sign(signed.as_bytes());
        format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::signature::Verifier;
    use p256::ecdsa::VerifyingKey;

    #[test]
    fn tokens_verify_against_the_public_key_and_are_reused_per_origin() {
        let key = VapidKey::from_secret(
            &crate::push::encrypt::random_secret().unwrap(),
            "mailto:ops@example.com",
        );
        let header = key.authorization("https://push.example.net");
        let (t, k) = header
            .strip_prefix("vapid t=")
            .and_then(|rest| rest.split_once(", k="))
            .unwrap();
        assert_eq!(k, key.public_key());
        let (signed, signature) = t.rsplit_once('.').unwrap();
        let verifying = VerifyingKey::from_sec1_bytes(&URL_SAFE_NO_PAD.decode(k).unwrap()).unwrap();
        let signature = Signature::from_slice(&URL_SAFE_NO_PAD.decode(signature).unwrap()).unwrap();
        verifying.verify(signed.as_bytes(), &signature).unwrap();
        let claims: serde_json::Value = serde_json::from_slice(
            &URL_SAFE_NO_PAD
                .decode(signed.split('.').nth(1).unwrap())
                .unwrap(),
        )
        .unwrap();
        assert_eq!(claims["aud"], "https://push.example.net");
        assert_eq!(claims["sub"], "mailto:ops@example.com");
        assert!(claims["exp"].as_u64().unwrap() <= crate::time::unix_now() + 12 * 3600);
        assert_eq!(key.authorization("https://push.example.net"), header);
        assert_ne!(key.authorization("https://other.example.net"), header);
    }
}
