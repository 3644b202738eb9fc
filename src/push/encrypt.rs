//! RFC 8291 message encryption for Web Push, in the `aes128gcm` content coding
//! of RFC 8188, as one record.
//!
//! A fresh ephemeral P-256 key and a random salt per message; the shared secret
//! of ECDH with the subscription's key, mixed with its 16-byte auth secret, gives
//! the content key and nonce through HKDF-SHA-256.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes128Gcm, Nonce};
use hkdf::Hkdf;
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::{PublicKey, SecretKey};
use sha2::Sha256;

/// The record size announced in the header: one record holds the whole message.
const RECORD_SIZE: u32 = 4096;
/// Bytes of the header: salt (16), record size (4), key id length (1), key (65).
pub const HEADER_BYTES: usize = 16 + 4 + 1 + 65;
/// Bytes the encryption adds to a plaintext: the header, the padding delimiter
/// and the AES-GCM tag.
pub const OVERHEAD: usize = HEADER_BYTES + 1 + 16;

/// A subscription's keys, decoded.
#[derive(Clone)]
pub struct Recipient {
    pub public_key: PublicKey,
    pub auth_secret: [u8; 16],
}

/// `plaintext` encrypted for `to`: the body of a push request.
pub fn encrypt(to: &Recipient, plaintext: &[u8]) -> Result<Vec<u8>, String> {
    let ephemeral = random_secret()?;
    let salt: [u8; 16] = random_bytes()?;
    encrypt_with(to, plaintext, &ephemeral, &salt)
}

/// The encryption with a given ephemeral key and salt (random in [`encrypt`]).
fn encrypt_with(
    to: &Recipient,
    plaintext: &[u8],
    ephemeral: &SecretKey,
    salt: &[u8; 16],
) -> Result<Vec<u8>, String> {
    if plaintext.len() + OVERHEAD > RECORD_SIZE as usize + HEADER_BYTES {
        return Err("the payload does not fit in one record".into());
    }
    let user_agent_key = to.public_key.to_encoded_point(false);
    let server_key = ephemeral.public_key().to_encoded_point(false);
    let shared =
        p256::ecdh::diffie_hellman(ephemeral.to_nonzero_scalar(), to.public_key.as_affine());

    // IKM = HKDF(auth secret, ECDH secret, "WebPush: info" || 0 || ua key || as key)
    let mut key_info = Vec::with_capacity(14 + 65 + 65);
    key_info.extend_from_slice(b"WebPush: info\0");
    key_info.extend_from_slice(user_agent_key.as_bytes());
    key_info.extend_from_slice(server_key.as_bytes());
    let mut ikm = [0u8; 32];
    Hkdf::<Sha256>::new(Some(&to.auth_secret), &shared.raw_secret_bytes()[..])
        .expand(&key_info, &mut ikm)
        .map_err(|_| "key derivation failed")?;

    let content = Hkdf::<Sha256>::new(Some(salt), &ikm);
    let mut key = [0u8; 16];
    let mut nonce = [0u8; 12];
    content
        .expand(b"Content-Encoding: aes128gcm\0", &mut key)
        .and_then(|()| content.expand(b"Content-Encoding: nonce\0", &mut nonce))
        .map_err(|_| "key derivation failed")?;

    // One record, the last: the plaintext, then the delimiter 2, no padding.
    let mut record = Vec::with_capacity(plaintext.len() + 1);
    record.extend_from_slice(plaintext);
    record.push(2);
    let cipher = Aes128Gcm::new_from_slice(&key).map_err(|_| "bad content key")?;
    let sealed = cipher
        .encrypt(&Nonce::from(nonce), record.as_slice())
        .map_err(|_| "encryption failed")?;

    let mut body = Vec::with_capacity(HEADER_BYTES + sealed.len());
    body.extend_from_slice(salt);
    body.extend_from_slice(&RECORD_SIZE.to_be_bytes());
    body.push(65);
    body.extend_from_slice(server_key.as_bytes());
    body.extend_from_slice(&sealed);
    Ok(body)
}

fn random_bytes<const N: usize>() -> Result<[u8; N], String> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| format!("no randomness: {e}"))?;
    Ok(bytes)
}

/// A random P-256 secret key (a random 32 bytes is a valid scalar but for a
/// chance of about 2^-32; those are drawn again).
pub fn random_secret() -> Result<SecretKey, String> {
    for _ in 0..8 {
        if let Ok(key) = SecretKey::from_slice(&random_bytes::<32>()?) {
            return Ok(key);
        }
    }
    Err("could not draw a P-256 key".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 8291, section 5: the example's keys, salt and plaintext give its body.
    #[test]
    fn the_rfc_example_encrypts_to_its_body() {
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        use base64::Engine;
        let b64 = |s: &str| URL_SAFE_NO_PAD.decode(s).unwrap();
        let recipient = Recipient {
            public_key: PublicKey::from_sec1_bytes(&b64(
                "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4",
            ))
            .unwrap(),
            auth_secret: b64("BTBZMqHH6r4Tts7J_aSIgg").try_into().unwrap(),
        };
        let ephemeral =
            SecretKey::from_slice(&b64("yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw")).unwrap();
        let salt: [u8; 16] = b64("DGv6ra1nlYgDCS1FRnbzlw").try_into().unwrap();
        let body = encrypt_with(
            &recipient,
            b"When I grow up, I want to be a watermelon",
            &ephemeral,
            &salt,
        )
        .unwrap();
        assert_eq!(
            URL_SAFE_NO_PAD.encode(body),
            "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN"
        );
    }
}
