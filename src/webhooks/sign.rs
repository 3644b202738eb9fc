//! Signatures of a delivery: Veza's (`X-Webhook-Signature`, lowercase hex
//! HMAC-SHA256 of the exact body with the secret's bytes) and the Standard Webhooks
//! one (`webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`), whose
//! key is the base64 part of a `whsec_…` secret (as that spec's libraries read
//! it), or the secret's own bytes otherwise (their "raw" format).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The prefix of secrets in the Standard Webhooks format.
pub const SECRET_PREFIX: &str = "whsec_";

fn hmac(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
    let mut mac = match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => return Vec::new(),
    };
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().to_vec()
}

/// `X-Webhook-Signature`: hex HMAC-SHA256 of `body` with the secret as given.
pub fn veza_signature(secret: &str, body: &str) -> String {
    crate::tokens::to_hex(&hmac(secret.as_bytes(), &[body.as_bytes()]))
}

/// The key Standard Webhooks receivers derive from `secret`.
fn standard_key(secret: &str) -> Vec<u8> {
    secret
        .strip_prefix(SECRET_PREFIX)
        .and_then(|b64| STANDARD.decode(b64).ok())
        .unwrap_or_else(|| secret.as_bytes().to_vec())
}

/// `webhook-signature` for message `id` sent at `timestamp` (Unix seconds).
pub fn standard_signature(secret: &str, id: &str, timestamp: u64, body: &str) -> String {
    let signed = format!("{id}.{timestamp}.");
    let mac = hmac(&standard_key(secret), &[signed.as_bytes(), body.as_bytes()]);
    format!("v1,{}", STANDARD.encode(mac))
}

/// A new secret: 32 random bytes in the Standard Webhooks format.
pub fn new_secret() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(format!("{SECRET_PREFIX}{}", STANDARD.encode(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_standard_webhooks_example_verifies() {
        // The example of the Standard Webhooks specification.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
        let body = r#"{"test": 2432232314}"#;
        assert_eq!(
            standard_signature(secret, id, 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn veza_signature_is_hex_hmac_of_the_body() {
        // HMAC-SHA256("key", "The quick brown fox jumps over the lazy dog").
        assert_eq!(
            veza_signature("key", "The quick brown fox jumps over the lazy dog"),
            "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
        );
        assert!(new_secret().unwrap().starts_with("whsec_"));
    }
}
