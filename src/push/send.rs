//! Handing one encrypted notification to a push service (RFC 8030), blocking (run
//! it on the blocking pool): the same guarded HTTP client as webhooks (every
//! address checked as it is connected to, no redirects, no proxy from the
//! environment, timeouts), the answer's body not read.

use std::time::{Duration, Instant};

use crate::push::keys::VapidKey;
use crate::webhooks::target;

/// The longest a connection may take to open.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest `Retry-After` honoured; a service asking for more is retried then.
const MAX_RETRY_AFTER_SECS: u64 = 6 * 3600;

/// One push to make.
pub struct Push<'a> {
    pub endpoint: &'a str,
    pub origin: &'a str,
    /// The encrypted payload (`aes128gcm`).
    pub body: &'a [u8],
    /// How long the service keeps it for an offline browser.
    pub ttl_secs: u64,
    pub urgency: &'a str,
    /// Replaces a pending push of the same topic at the service.
    pub topic: &'a str,
}

/// What the push service answered.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: Option<u16>,
    /// `Retry-After`, in seconds, when the service sent one.
    pub retry_after_secs: Option<u64>,
    pub error: Option<String>,
    pub duration_ms: u64,
}

impl Answer {
    pub fn delivered(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }

    /// The subscription is gone for good (expired or unsubscribed).
    pub fn gone(&self) -> bool {
        matches!(self.status, Some(404 | 410))
    }

    /// Worth trying again later: too many requests, a server error, no answer.
    pub fn retryable(&self) -> bool {
        match self.status {
            None => true,
            Some(status) => status == 429 || status >= 500,
        }
    }
}

pub struct Pusher {
    agent: ureq::Agent,
}

impl Pusher {
    pub fn new(allow_private: bool, timeout: Duration) -> Pusher {
        let config = ureq::Agent::config_builder()
            .timeout_connect(Some(CONNECT_TIMEOUT.min(timeout)))
            .timeout_global(Some(timeout))
            .max_redirects(0)
            .max_redirects_will_error(false)
            .http_status_as_error(false)
            .proxy(None)
            .user_agent(concat!("Veza-Push/", env!("CARGO_PKG_VERSION")))
            .build();
        let agent = ureq::Agent::with_parts(
            config,
            ureq::unversioned::transport::DefaultConnector::new(),
            target::CheckedResolver { allow_private },
        );
        Pusher { agent }
    }

    /// Makes one request. Blocking.
    pub fn send(&self, key: &VapidKey, push: &Push<'_>) -> Answer {
        let started = Instant::now();
        let result = self
            .agent
            .post(push.endpoint)
            .header("Authorization", key.authorization(push.origin))
            .header("Content-Encoding", "aes128gcm")
            .header("Content-Type", "application/octet-stream")
            .header("TTL", push.ttl_secs.to_string())
            .header("Urgency", push.urgency)
            .header("Topic", push.topic)
            .send(push.body);
        let duration_ms = started.elapsed().as_millis().min(u64::MAX as u128) as u64;
        match result {
            Ok(response) => {
                let status = response.status().as_u16();
                let retry_after_secs = response
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(retry_after);
                Answer {
                    status: Some(status),
                    retry_after_secs,
                    error: (!(200..300).contains(&status))
                        .then(|| format!("the push service answered {status}")),
                    duration_ms,
                }
            }
            Err(e) => Answer {
                status: None,
                retry_after_secs: None,
                error: Some(e.to_string()),
                duration_ms,
            },
        }
    }
}

/// `Retry-After` as seconds from now: a number of seconds or an HTTP date.
pub fn retry_after(value: &str) -> Option<u64> {
    let value = value.trim();
    let secs = match value.parse::<u64>() {
        Ok(secs) => secs,
        Err(_) => {
            let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
            (at.timestamp() - chrono::Utc::now().timestamp()).max(0) as u64
        }
    };
    Some(secs.min(MAX_RETRY_AFTER_SECS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        assert_eq!(retry_after("120"), Some(120));
        assert_eq!(retry_after("99999999"), Some(MAX_RETRY_AFTER_SECS));
        assert_eq!(retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), Some(0));
        assert_eq!(retry_after("soon"), None);
        let later = chrono::Utc::now() + chrono::Duration::seconds(600);
        let secs = retry_after(&later.to_rfc2822()).unwrap();
        assert!((595..=600).contains(&secs), "{secs}");
    }
}
