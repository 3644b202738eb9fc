//! Hex, opaque random tokens (refresh tokens, secrets) and their stored digests.
//! A leaf: everything that needs hex or a token takes it from here.

use sha2::{Digest, Sha256};

/// The OS random source failed.
#[derive(Debug)]
pub struct NoRandomness(pub String);

impl std::fmt::Display for NoRandomness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the OS random source failed: {}", self.0)
    }
}

/// `bytes` random bytes from the OS, as lowercase hex.
pub fn random_hex(bytes: usize) -> Result<String, NoRandomness> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| NoRandomness(e.to_string()))?;
    Ok(to_hex(&buf))
}

/// SHA-256 of `token`, as lowercase hex: what the database keeps instead of the token.
pub fn digest(token: &str) -> String {
    to_hex(&Sha256::digest(token.as_bytes()))
}

/// Personal access tokens (API §20) start with this.
pub const ACCESS_TOKEN_PREFIX: &str = "vz_";

/// SHA-256 of `bytes`, as lowercase hex.
pub fn digest_bytes(bytes: &[u8]) -> String {
    to_hex(&Sha256::digest(bytes))
}

/// `bytes` as lowercase hex.
pub fn to_hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(HEX[(b >> 4) as usize] as char);
        out.push(HEX[(b & 0xf) as usize] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_and_digest() {
        assert_eq!(to_hex(&[0x00, 0xab, 0xff]), "00abff");
        assert_eq!(
            digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let a = random_hex(32).unwrap();
        assert_eq!(a.len(), 64);
        assert_ne!(a, random_hex(32).unwrap());
    }
}
