//! A Web Push service on loopback, as a browser vendor runs one: it takes pushes
//! for the browsers subscribed through it, checks each request's VAPID token
//! (ES256 against the server's advertised key, `aud` = its own origin, `exp`
//! within 24 h, `sub`) and decrypts the payload with the browser's private key
//! (RFC 8291), written here from the RFCs and independently of Veza's code.
//! Anything wrong is recorded as a problem for the test to assert on.

use std::collections::{HashMap, VecDeque};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes128Gcm, Nonce};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hkdf::Hkdf;
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::{PublicKey, SecretKey};
use serde_json::{json, Value};
use sha2::Sha256;

use super::http1::{read_request, respond};

/// A browser's side of a subscription: its key pair and auth secret.
#[derive(Clone)]
pub struct Browser {
    pub path: String,
    secret: SecretKey,
    auth: [u8; 16],
}

/// A push the service accepted, decrypted.
#[derive(Debug, Clone)]
pub struct Push {
    pub path: String,
    pub headers: HashMap<String, String>,
    pub payload: Value,
    /// Size of the encrypted body.
    pub encrypted_bytes: usize,
}

#[derive(Default)]
struct State {
    browsers: HashMap<String, Browser>,
    server_key: Option<String>,
    subject: String,
    pushes: Vec<Push>,
    /// Requests per path, whatever the answer.
    requests: HashMap<String, usize>,
    problems: Vec<String>,
    /// Answers to give a path before the default 201: (status, Retry-After).
    scripted: HashMap<String, VecDeque<(u16, Option<u64>)>>,
}

#[derive(Clone)]
pub struct PushService {
    pub port: u16,
    state: Arc<Mutex<State>>,
}

impl PushService {
    pub fn start(subject: &str) -> PushService {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let service = PushService {
            port: listener.local_addr().unwrap().port(),
            state: Arc::new(Mutex::new(State {
                subject: subject.to_owned(),
                ..State::default()
            })),
        };
        let serving = service.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let serving = serving.clone();
                std::thread::spawn(move || {
                    let mut stream = stream;
                    if let Some(request) = read_request(&mut stream) {
                        let (status, retry_after) = serving.take(request);
                        let retry = retry_after.map(|s| s.to_string());
                        let headers: Vec<(&str, &str)> = retry
                            .as_deref()
                            .map(|r| vec![("Retry-After", r)])
                            .unwrap_or_default();
                        respond(&mut stream, status, &headers, "");
                    }
                });
            }
        });
        service
    }

    pub fn origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The key Veza advertises (`GET /push/vapid-public-key`): tokens must verify
    /// against it.
    pub fn expect_server_key(&self, key: &str) {
        self.state.lock().unwrap().server_key = Some(key.to_owned());
    }

    /// A new browser subscribed through this service.
    pub fn browser(&self, name: &str) -> Browser {
        let mut bytes = [0u8; 32];
        let secret = loop {
            getrandom::fill(&mut bytes).unwrap();
            if let Ok(key) = SecretKey::from_slice(&bytes) {
                break key;
            }
        };
        let mut auth = [0u8; 16];
        getrandom::fill(&mut auth).unwrap();
        let browser = Browser {
            path: format!("/push/{name}"),
            secret,
            auth,
        };
        self.state
            .lock()
            .unwrap()
            .browsers
            .insert(browser.path.clone(), browser.clone());
        browser
    }

    /// The subscription JSON the browser's `PushSubscription.toJSON()` gives.
    pub fn subscription(&self, browser: &Browser) -> Value {
        let public = browser.secret.public_key().to_encoded_point(false);
        json!({
            "endpoint": format!("{}{}", self.origin(), browser.path),
            "expirationTime": null,
            "keys": {
                "p256dh": URL_SAFE_NO_PAD.encode(public.as_bytes()),
                "auth": URL_SAFE_NO_PAD.encode(browser.auth),
            }
        })
    }

    /// Answers the next requests for `browser` with these, then 201 again.
    pub fn script(&self, browser: &Browser, answers: &[(u16, Option<u64>)]) {
        self.state
            .lock()
            .unwrap()
            .scripted
            .insert(browser.path.clone(), answers.iter().copied().collect());
    }

    pub fn pushes_to(&self, browser: &Browser) -> Vec<Push> {
        let state = self.state.lock().unwrap();
        state
            .pushes
            .iter()
            .filter(|p| p.path == browser.path)
            .cloned()
            .collect()
    }

    pub fn requests_to(&self, browser: &Browser) -> usize {
        let state = self.state.lock().unwrap();
        state.requests.get(&browser.path).copied().unwrap_or(0)
    }

    pub fn problems(&self) -> Vec<String> {
        self.state.lock().unwrap().problems.clone()
    }

    /// Waits (up to 15 s) for a push to `browser` whose body contains `text`.
    pub fn wait_for(&self, browser: &Browser, text: &str) -> Push {
        let started = Instant::now();
        loop {
            let found = self
                .pushes_to(browser)
                .into_iter()
                .find(|p| p.payload["body"].as_str().is_some_and(|b| b.contains(text)));
            if let Some(push) = found {
                return push;
            }
            assert!(
                started.elapsed() < Duration::from_secs(15),
                "no push to {} containing {text:?}; got {:?}; problems {:?}",
                browser.path,
                self.pushes_to(browser)
                    .iter()
                    .map(|p| p.payload.clone())
                    .collect::<Vec<_>>(),
                self.problems()
            );
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// Waits until `n` requests reached `browser`.
    pub fn wait_for_requests(&self, browser: &Browser, n: usize) {
        let started = Instant::now();
        while self.requests_to(browser) < n {
            assert!(
                started.elapsed() < Duration::from_secs(15),
                "{} requests to {}, expected {n}",
                self.requests_to(browser),
                browser.path
            );
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// Records one request and decides its answer.
    fn take(&self, request: super::http1::Request) -> (u16, Option<u64>) {
        let path = request.path().to_owned();
        let mut state = self.state.lock().unwrap();
        *state.requests.entry(path.clone()).or_default() += 1;
        let answer = state
            .scripted
            .get_mut(&path)
            .and_then(|q| q.pop_front())
            .unwrap_or((201, None));
        let Some(browser) = state.browsers.get(&path).cloned() else {
            state.problems.push(format!("a push to unknown {path}"));
            return (404, None);
        };
        match self.check(&state, &browser, &request) {
            Ok(payload) => {
                if (200..300).contains(&answer.0) {
                    state.pushes.push(Push {
                        path,
                        headers: request.headers.clone(),
                        payload,
                        encrypted_bytes: request.bytes.len(),
                    });
                }
            }
            Err(problem) => state.problems.push(format!("{path}: {problem}")),
        }
        answer
    }

    fn check(
        &self,
        state: &State,
        browser: &Browser,
        request: &super::http1::Request,
    ) -> Result<Value, String> {
        if request.method != "POST" {
            return Err(format!("method {}", request.method));
        }
        for (header, want) in [
            ("content-encoding", Some("aes128gcm")),
            ("ttl", None),
            ("urgency", None),
        ] {
            let got = request
                .headers
                .get(header)
                .ok_or(format!("no {header} header"))?;
            if want.is_some_and(|w| w != got) {
                return Err(format!("{header}: {got}"));
            }
        }
        if request.bytes.len() > 4096 {
            return Err(format!(
                "an encrypted payload of {} bytes",
                request.bytes.len()
            ));
        }
        self.check_vapid(
            state,
            request.headers.get("authorization").map(String::as_str),
        )?;
        let plaintext = decrypt(browser, &request.bytes)?;
        serde_json::from_slice(&plaintext).map_err(|e| format!("payload is not JSON: {e}"))
    }

    fn check_vapid(&self, state: &State, header: Option<&str>) -> Result<(), String> {
        let header = header.ok_or("no Authorization header")?;
        let (t, k) = header
            .strip_prefix("vapid t=")
            .and_then(|rest| rest.split_once(", k="))
            .ok_or(format!("not a VAPID header: {header}"))?;
        if state.server_key.as_deref() != Some(k) {
            return Err("k= is not the key the server advertises".into());
        }
        let key = VerifyingKey::from_sec1_bytes(&b64(k)?).map_err(|_| "k= is not a P-256 key")?;
        let (signed, signature) = t.rsplit_once('.').ok_or("the token has no signature")?;
        let signature =
            Signature::from_slice(&b64(signature)?).map_err(|_| "bad signature form")?;
        key.verify(signed.as_bytes(), &signature)
            .map_err(|_| "the token's ES256 signature does not verify")?;
        let mut parts = signed.split('.');
        let header: Value = serde_json::from_slice(&b64(parts.next().unwrap_or(""))?)
            .map_err(|_| "token header")?;
        if header["alg"] != "ES256" {
            return Err(format!("alg {}", header["alg"]));
        }
        let claims: Value = serde_json::from_slice(&b64(parts.next().unwrap_or(""))?)
            .map_err(|_| "token claims")?;
        if claims["aud"] != self.origin() {
            return Err(format!("aud {} is not {}", claims["aud"], self.origin()));
        }
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let exp = claims["exp"].as_u64().ok_or("no exp")?;
        if exp <= now || exp > now + 24 * 3600 {
            return Err(format!("exp {exp} is not within 24 h of {now}"));
        }
        if claims["sub"] != state.subject.as_str() {
            return Err(format!("sub {}", claims["sub"]));
        }
        Ok(())
    }
}

fn b64(text: &str) -> Result<Vec<u8>, String> {
    URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| format!("not base64url: {text}"))
}

/// RFC 8291 decryption of an `aes128gcm` body with one record.
fn decrypt(browser: &Browser, body: &[u8]) -> Result<Vec<u8>, String> {
    if body.len() < 21 {
        return Err("body shorter than its header".into());
    }
    let salt = &body[..16];
    let id_len = body[20] as usize;
    let key_id = body.get(21..21 + id_len).ok_or("truncated key id")?;
    let sealed = &body[21 + id_len..];
    let server_public =
        PublicKey::from_sec1_bytes(key_id).map_err(|_| "key id is not a P-256 point")?;
    let shared = p256::ecdh::diffie_hellman(
        browser.secret.to_nonzero_scalar(),
        server_public.as_affine(),
    );
    let mut info = b"WebPush: info\0".to_vec();
    info.extend_from_slice(
        browser
            .secret
            .public_key()
            .to_encoded_point(false)
            .as_bytes(),
    );
    info.extend_from_slice(key_id);
    let mut ikm = [0u8; 32];
    Hkdf::<Sha256>::new(Some(&browser.auth), &shared.raw_secret_bytes()[..])
        .expand(&info, &mut ikm)
        .unwrap();
    let content = Hkdf::<Sha256>::new(Some(salt), &ikm);
    let (mut key, mut nonce) = ([0u8; 16], [0u8; 12]);
    content
        .expand(b"Content-Encoding: aes128gcm\0", &mut key)
        .unwrap();
    content
        .expand(b"Content-Encoding: nonce\0", &mut nonce)
        .unwrap();
    let mut record = Aes128Gcm::new_from_slice(&key)
        .unwrap()
        .decrypt(&Nonce::from(nonce), sealed)
        .map_err(|_| "the payload does not decrypt with the browser's key")?;
    while record.last() == Some(&0) {
        record.pop();
    }
    if record.pop() != Some(2) {
        return Err("the last record does not end with the delimiter 2".into());
    }
    Ok(record)
}
