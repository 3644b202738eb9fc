//! A browser's push subscription (`PushSubscription.toJSON()`), checked: an
//! endpoint the server may call, a P-256 public key and a 16-byte auth secret.

use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine;
use p256::PublicKey;
use url::Url;

use crate::push::encrypt::Recipient;
use crate::webhooks::target;

/// A subscription's keys as sent (base64url, padded or not).
pub struct Keys<'a> {
    pub p256dh: &'a str,
    pub auth: &'a str,
}

/// Why a subscription is refused: the field, and the reason.
pub type Refused = (&'static str, String);

/// The endpoint, parsed: an `https:` URL with a host and no credentials (any
/// scheme `http(s)` when private endpoints are allowed, for tests on loopback).
/// Its addresses are checked apart, by [`target::resolve`] (blocking).
pub fn endpoint(raw: &str, allow_private: bool) -> Result<Url, Refused> {
    let url = target::parse(raw).map_err(|why| ("endpoint", why))?;
    if url.scheme() != "https" && !allow_private {
        return Err(("endpoint", "must be an https URL".into()));
    }
    Ok(url)
}

/// `scheme://host[:port]` of an endpoint: the VAPID token's audience, and the
/// unit the worker limits its requests by.
pub fn origin(url: &Url) -> String {
    url.origin().ascii_serialization()
}

/// The keys decoded and checked; normalised to unpadded base64url.
pub fn keys(keys: &Keys<'_>) -> Result<(String, String), Refused> {
    let p256dh = decode(keys.p256dh).ok_or(("keys.p256dh", "must be base64url".to_owned()))?;
    if p256dh.len() != 65 || PublicKey::from_sec1_bytes(&p256dh).is_err() {
        return Err((
            "keys.p256dh",
            "must be an uncompressed P-256 public key (65 bytes)".into(),
        ));
    }
    let auth = decode(keys.auth).ok_or(("keys.auth", "must be base64url".to_owned()))?;
    if auth.len() != 16 {
        return Err(("keys.auth", "must be a 16-byte secret".into()));
    }
    Ok((URL_SAFE_NO_PAD.encode(p256dh), URL_SAFE_NO_PAD.encode(auth)))
}

/// Stored keys (as [`keys`] left them) made ready to encrypt to.
pub fn recipient(p256dh: &str, auth: &str) -> Option<Recipient> {
    let public_key = PublicKey::from_sec1_bytes(&decode(p256dh)?).ok()?;
    let auth_secret = decode(auth)?.try_into().ok()?;
    Some(Recipient {
        public_key,
        auth_secret,
    })
}

fn decode(text: &str) -> Option<Vec<u8>> {
    let text = text.trim();
    if text.len() > 200 {
        return None;
    }
    URL_SAFE_NO_PAD
        .decode(text)
        .or_else(|_| URL_SAFE.decode(text))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_must_be_a_point_and_a_16_byte_secret() {
        let point = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
        let good = Keys {
            p256dh: point,
            auth: "BTBZMqHH6r4Tts7J_aSIgg",
        };
        assert!(keys(&good).is_ok());
        assert!(recipient(point, "BTBZMqHH6r4Tts7J_aSIgg").is_some());
        let off_curve = format!("{}A", &point[..point.len() - 1]);
        for (p256dh, auth, field) in [
            (off_curve.as_str(), "BTBZMqHH6r4Tts7J_aSIgg", "keys.p256dh"),
            ("BCVx", "BTBZMqHH6r4Tts7J_aSIgg", "keys.p256dh"),
            ("not base64!", "BTBZMqHH6r4Tts7J_aSIgg", "keys.p256dh"),
            (point, "BTBZMqHH6r4Tts7J", "keys.auth"),
        ] {
            let refused = keys(&Keys { p256dh, auth }).unwrap_err();
            assert_eq!(refused.0, field, "{p256dh} {auth}");
        }
    }

    #[test]
    fn endpoints_are_https_unless_private_ones_are_allowed() {
        assert!(endpoint("https://push.example.net/send/abc", false).is_ok());
        assert!(endpoint("http://push.example.net/send/abc", false).is_err());
        assert!(endpoint("http://127.0.0.1:9/send", true).is_ok());
        assert!(endpoint("https://user:pw@push.example.net/", false).is_err());
        assert_eq!(
            origin(&endpoint("https://push.example.net:8443/a/b", false).unwrap()),
            "https://push.example.net:8443"
        );
    }
}
