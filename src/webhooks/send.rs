//! Sending one delivery, blocking (run it on the blocking pool): connect and total
//! timeouts, no redirects, no proxy from the environment, the answer's body read no
//! further than a short excerpt (a receiver answering gigabytes is cut off), and
//! every address checked by [`target::CheckedResolver`] before it is connected to.

use std::io::Read;
use std::time::{Duration, Instant};

use crate::webhooks::{sign, target};

/// The longest a connection may take to open.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Bytes of a receiver's answer kept (for the delivery log); the rest is not read.
const EXCERPT_BYTES: u64 = 512;

/// One delivery to make.
pub struct Delivery<'a> {
    pub url: &'a str,
    pub secret: &'a str,
    /// The delivery's id (`X-Webhook-Delivery`, `webhook-id`).
    pub id: &'a str,
    /// The event as the webhook spells it (`X-Webhook-Event`).
    pub event: &'a str,
    pub body: &'a str,
}

/// What came of one attempt.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub status: Option<u16>,
    pub duration_ms: u64,
    pub error: Option<String>,
}

impl Outcome {
    pub fn succeeded(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }

    /// The receiver said the webhook is gone for good (410).
    pub fn gone(&self) -> bool {
        self.status == Some(410)
    }
}

/// The HTTP client of deliveries, shared (its connection pool and TLS setup).
pub struct Sender {
    agent: ureq::Agent,
}

impl Sender {
    /// A client whose deliveries take at most `timeout` each.
    pub fn new(allow_private: bool, timeout: Duration) -> Sender {
        let config = ureq::Agent::config_builder()
            .timeout_connect(Some(CONNECT_TIMEOUT.min(timeout)))
            .timeout_global(Some(timeout))
            .max_redirects(0)
            .max_redirects_will_error(false)
            .http_status_as_error(false)
            .proxy(None)
            .user_agent(concat!("Veza-Webhooks/", env!("CARGO_PKG_VERSION")))
            .build();
        let agent = ureq::Agent::with_parts(
            config,
            ureq::unversioned::transport::DefaultConnector::new(),
            target::CheckedResolver { allow_private },
        );
        Sender { agent }
    }

    /// Makes one attempt. Blocking.
    pub fn send(&self, delivery: &Delivery<'_>) -> Outcome {
        let started = Instant::now();
        let result = self.attempt(delivery);
        let duration_ms = started.elapsed().as_millis().min(u64::MAX as u128) as u64;
        match result {
            Ok((status, excerpt)) => Outcome {
                status: Some(status),
                duration_ms,
                error: (!(200..300).contains(&status))
                    .then(|| format!("answered {status}: {excerpt}")),
            },
            Err(error) => Outcome {
                status: None,
                duration_ms,
                error: Some(error),
            },
        }
    }

    fn attempt(&self, delivery: &Delivery<'_>) -> Result<(u16, String), String> {
        // Parsed as at creation: the URL normalised (`127.1` is 127.0.0.1), its
        // scheme and form checked again; its addresses are checked by the resolver.
        let url = target::parse(delivery.url)?;
        let timestamp = crate::time::unix_now();
        let response = self
            .agent
            .post(url.as_str())
            .header("Content-Type", "application/json")
            .header(
                "X-Webhook-Signature",
                sign::veza_signature(delivery.secret, delivery.body),
            )
            .header("X-Webhook-Event", delivery.event)
            .header("X-Webhook-Delivery", delivery.id)
            .header("webhook-id", delivery.id)
            .header("webhook-timestamp", timestamp.to_string())
            .header(
                "webhook-signature",
                sign::standard_signature(delivery.secret, delivery.id, timestamp, delivery.body),
            )
            .send(delivery.body)
            .map_err(describe)?;
        let status = response.status().as_u16();
        let mut excerpt = Vec::new();
        let _ = response
            .into_body()
            .into_reader()
            .take(EXCERPT_BYTES)
            .read_to_end(&mut excerpt);
        Ok((status, String::from_utf8_lossy(&excerpt).trim().to_owned()))
    }
}

fn describe(e: ureq::Error) -> String {
    match e {
        ureq::Error::Timeout(_) => "timed out".into(),
        ureq::Error::Other(why) => why.to_string(),
        ureq::Error::Io(io) => format!("connection failed: {io}"),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_targets_are_refused_when_connecting() {
        let sender = Sender::new(false, Duration::from_secs(2));
        for url in [
            "http://127.0.0.1:9/",
            "http://localhost:9/",
            "http://127.1:9/",
            "http://[::1]:9/",
        ] {
            let outcome = sender.send(&Delivery {
                url,
                secret: "secret-secret",
                id: "d1",
                event: "webhook.test",
                body: "{}",
            });
            assert_eq!(outcome.status, None, "{url}");
            let error = outcome.error.unwrap_or_default();
            assert!(error.contains("internal address"), "{url}: {error}");
        }
    }
}
