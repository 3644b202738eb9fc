//! The provider's signing keys (its JWKS), kept in memory and fetched again when
//! an ID token names a key Veza has not seen: providers rotate keys, and the new
//! one shows in the set before tokens are signed with it.

use std::sync::{Arc, RwLock};

use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, JwkSet, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};

/// Whether `jwk` can check a signature made with `alg`: the key's type matches the
/// algorithm's family, and a key that names its algorithm or use names these.
fn fits(jwk: &Jwk, alg: Algorithm) -> bool {
    use Algorithm::*;
    let family_fits = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => matches!(alg, RS256 | RS384 | RS512 | PS256 | PS384 | PS512),
        AlgorithmParameters::EllipticCurve(_) => matches!(alg, ES256 | ES384),
        AlgorithmParameters::OctetKeyPair(_) => alg == EdDSA,
        // A shared secret is never a provider's published key; other kinds are unknown.
        _ => false,
    };
    let alg_fits = match jwk.common.key_algorithm {
        None => true,
        Some(named) => key_algorithm(alg) == Some(named),
    };
    let use_fits = !matches!(
        jwk.common.public_key_use,
        Some(PublicKeyUse::Encryption | PublicKeyUse::Other(_))
    );
    family_fits && alg_fits && use_fits
}

fn key_algorithm(alg: Algorithm) -> Option<KeyAlgorithm> {
    use Algorithm::*;
    Some(match alg {
        RS256 => KeyAlgorithm::RS256,
        RS384 => KeyAlgorithm::RS384,
        RS512 => KeyAlgorithm::RS512,
        PS256 => KeyAlgorithm::PS256,
        PS384 => KeyAlgorithm::PS384,
        PS512 => KeyAlgorithm::PS512,
        ES256 => KeyAlgorithm::ES256,
        ES384 => KeyAlgorithm::ES384,
        EdDSA => KeyAlgorithm::EdDSA,
        _ => return None,
    })
}

/// The key of `set` that checks a token signed with `alg` under `kid`: the key
/// with that id, or, for a token without one, the only key that fits.
pub fn select(set: &JwkSet, kid: Option<&str>, alg: Algorithm) -> Option<DecodingKey> {
    let jwk = match kid {
        Some(kid) => set
            .keys
            .iter()
            .find(|k| k.common.key_id.as_deref() == Some(kid))
            .filter(|k| fits(k, alg))?,
        None => {
            let mut fitting = set.keys.iter().filter(|k| fits(k, alg));
            let only = fitting.next()?;
            if fitting.next().is_some() {
                return None;
            }
            only
        }
    };
    DecodingKey::from_jwk(jwk).ok()
}

/// The last key set fetched, and a count of fetches so that callers racing to
/// fetch again after a miss fetch once.
#[derive(Default)]
pub struct KeyCache {
    current: RwLock<Option<(u64, Arc<JwkSet>)>>,
    refreshing: tokio::sync::Mutex<()>,
}

impl KeyCache {
    /// The set in memory and its generation, if any was fetched.
    pub fn current(&self) -> Option<(u64, Arc<JwkSet>)> {
        self.current.read().ok().and_then(|g| g.clone())
    }

    /// Fetches the set again unless another caller did since `seen` (the
    /// generation the caller looked at), and returns the newest set.
    pub async fn refresh<F, Fut, E>(&self, seen: Option<u64>, fetch: F) -> Result<Arc<JwkSet>, E>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<JwkSet, E>>,
    {
        let _one_at_a_time = self.refreshing.lock().await;
        if let Some((generation, set)) = self.current() {
            if Some(generation) != seen {
                return Ok(set);
            }
        }
        let set = Arc::new(fetch().await?);
        let generation = seen.map_or(0, |g| g + 1);
        if let Ok(mut current) = self.current.write() {
            *current = Some((generation, set.clone()));
        }
        Ok(set)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(json: &str) -> JwkSet {
        serde_json::from_str(json).unwrap()
    }

    const RSA_N: &str = "sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw";

    #[test]
    fn a_key_is_chosen_by_id_and_must_fit_the_algorithm() {
        let keys = set(&format!(
            r#"{{"keys":[{{"kty":"RSA","kid":"a","alg":"RS256","use":"sig","n":"{RSA_N}","e":"AQAB"}}]}}"#
        ));
        assert!(select(&keys, Some("a"), Algorithm::RS256).is_some());
        assert!(select(&keys, Some("b"), Algorithm::RS256).is_none());
        // The key says RS256: a token claiming RS512 under it is refused.
        assert!(select(&keys, Some("a"), Algorithm::RS512).is_none());
        // An RSA key never checks an EC signature.
        assert!(select(&keys, Some("a"), Algorithm::ES256).is_none());
        // Without a kid, the only fitting key is used.
        assert!(select(&keys, None, Algorithm::RS256).is_some());
    }

    #[test]
    fn shared_secrets_and_encryption_keys_are_never_used() {
        let keys = set(r#"{"keys":[{"kty":"oct","kid":"s","k":"c2VjcmV0"},
                        {"kty":"RSA","kid":"e","use":"enc","n":"AQAB","e":"AQAB"}]}"#);
        assert!(select(&keys, Some("s"), Algorithm::HS256).is_none());
        assert!(select(&keys, Some("e"), Algorithm::RS256).is_none());
    }

    #[test]
    fn without_a_kid_two_fitting_keys_are_ambiguous() {
        let keys = set(&format!(
            r#"{{"keys":[{{"kty":"RSA","kid":"a","n":"{RSA_N}","e":"AQAB"}},
                        {{"kty":"RSA","kid":"b","n":"{RSA_N}","e":"AQAB"}}]}}"#
        ));
        assert!(select(&keys, None, Algorithm::RS256).is_none());
    }

    #[tokio::test]
    async fn racing_refreshes_fetch_once() {
        let cache = KeyCache::default();
        let fetches = std::sync::atomic::AtomicUsize::new(0);
        let fetch = || async {
            fetches.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok::<_, ()>(JwkSet { keys: vec![] })
        };
        cache.refresh(None, fetch).await.unwrap();
        let (seen, _) = cache.current().unwrap();
        // Two callers missed on the same generation: the second finds the first's set.
        cache.refresh(Some(seen), fetch).await.unwrap();
        cache.refresh(Some(seen), fetch).await.unwrap();
        assert_eq!(fetches.load(std::sync::atomic::Ordering::SeqCst), 2);
    }
}
