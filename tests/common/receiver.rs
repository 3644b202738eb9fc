//! A webhook receiver on loopback: a real HTTP server on its own thread that
//! records every request and answers as told.

use std::collections::HashMap;
use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How the receiver answers.
#[derive(Debug, Clone)]
pub enum Answer {
    Status(u16),
    /// Never answers (holds the connection open).
    Hang,
    /// 200 with a body that never ends.
    Endless,
    /// A redirect to this URL.
    Redirect(String),
    /// This status, after this long.
    Slow(u16, Duration),
}

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: HashMap<String, String>,
    pub body: String,
}

impl Received {
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).map(String::as_str).unwrap_or("")
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).expect("a JSON body")
    }
}

#[derive(Clone)]
pub struct Receiver {
    pub port: u16,
    pub received: Arc<Mutex<Vec<Received>>>,
    pub answer: Arc<Mutex<Answer>>,
}

impl Receiver {
    /// Starts a receiver on a new port.
    pub fn start(answer: Answer) -> Receiver {
        Receiver::on(TcpListener::bind("127.0.0.1:0").unwrap(), answer)
    }

    /// Starts a receiver on `listener`.
    pub fn on(listener: TcpListener, answer: Answer) -> Receiver {
        let receiver = Receiver {
            port: listener.local_addr().unwrap().port(),
            received: Arc::default(),
            answer: Arc::new(Mutex::new(answer)),
        };
        let serving = receiver.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let serving = serving.clone();
                std::thread::spawn(move || serving.serve(stream));
            }
        });
        receiver
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn set(&self, answer: Answer) {
        *self.answer.lock().unwrap() = answer;
    }

    pub fn all(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Waits (up to 20 s) until at least `n` requests came; returns them all.
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        let started = Instant::now();
        loop {
            let all = self.all();
            if all.len() >= n {
                return all;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "{} of {n} deliveries arrived",
                all.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The requests whose body's `event` is `event`.
    pub fn events(&self, event: &str) -> Vec<Received> {
        self.all()
            .into_iter()
            .filter(|r| r.json()["event"] == event)
            .collect()
    }

    fn serve(&self, mut stream: TcpStream) {
        let Some(request) = super::http1::read_request(&mut stream) else {
            return;
        };
        self.received.lock().unwrap().push(Received {
            headers: request.headers,
            body: request.body,
        });
        let answer = self.answer.lock().unwrap().clone();
        if let Answer::Slow(_, wait) = &answer {
            std::thread::sleep(*wait);
        }
        match answer {
            Answer::Status(status) | Answer::Slow(status, _) => {
                let _ = stream.write_all(
                    format!(
                        "HTTP/1.1 {status} X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
                    )
                    .as_bytes(),
                );
            }
            Answer::Redirect(to) => {
                let _ = stream.write_all(
                    format!(
                        "HTTP/1.1 302 Found\r\nLocation: {to}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    )
                    .as_bytes(),
                );
            }
            Answer::Hang => std::thread::sleep(Duration::from_secs(30)),
            Answer::Endless => {
                let _ = stream.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 10000000000\r\nConnection: close\r\n\r\n",
                );
                let chunk = vec![b'x'; 64 * 1024];
                let started = Instant::now();
                while started.elapsed() < Duration::from_secs(30) {
                    if stream.write_all(&chunk).is_err() {
                        return;
                    }
                }
            }
        }
    }
}

/// Lowercase hex HMAC-SHA256.
pub fn hmac_hex(key: &[u8], message: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
    mac.update(message);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Checks both signatures of a delivery against `secret`.
pub fn assert_signed(received: &Received, secret: &str) {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    assert_eq!(
        received.header("x-webhook-signature"),
        hmac_hex(secret.as_bytes(), received.body.as_bytes()),
        "X-Webhook-Signature"
    );
    let key = match secret.strip_prefix("whsec_") {
        Some(encoded) => b64.decode(encoded).unwrap(),
        None => secret.as_bytes().to_vec(),
    };
    let signed = format!(
        "{}.{}.{}",
        received.header("webhook-id"),
        received.header("webhook-timestamp"),
        received.body
    );
    let mut mac = <hmac::Hmac<sha2::Sha256> as hmac::Mac>::new_from_slice(&key).unwrap();
    hmac::Mac::update(&mut mac, signed.as_bytes());
    let expected = format!("v1,{}", b64.encode(hmac::Mac::finalize(mac).into_bytes()));
    assert_eq!(
        received.header("webhook-signature"),
        expected,
        "webhook-signature"
    );
    assert_eq!(
        received.header("webhook-id"),
        received.header("x-webhook-delivery")
    );
    assert_eq!(
        received.json()["delivery_id"],
        received.header("x-webhook-delivery")
    );
}
