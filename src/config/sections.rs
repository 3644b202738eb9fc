//! The sections of the configuration (`[auth]`, `[limits]`, `[oidc]`…), each with
//! its defaults.

use serde::{Deserialize, Serialize};

use super::error::{fail, ConfigError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Registration {
    Open,
    Closed,
    /// New accounts only through an invitation (the first account aside).
    Invite,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    Debug,
    Normal,
    Critical,
    Off,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    pub access_token_ttl_secs: u64,
    pub refresh_token_ttl_secs: u64,
    /// Password hashes computed at once; more wait. Defaults to the number of cores.
    pub max_concurrent_hashes: Option<usize>,
    /// How long a checked session is trusted from memory (0: check the database on
    /// every request). Veza evicts sessions it ends itself at once.
    pub session_cache_secs: u64,
    /// A session ends this many days after its login, however often it is refreshed.
    pub session_max_days: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimitConfig {
    pub requests_per_hour: u32,
    /// The most requests a client may make at once before the hourly rate applies
    /// (the bucket's size); unset, a whole hour's worth.
    pub burst: Option<u32>,
    pub failed_logins_per_15min: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    pub message_max_length: usize,
    pub upload_max_bytes: u64,
    /// Images with more pixels than this get no thumbnail and are never decoded.
    pub thumbnail_max_pixels: u64,
    pub json_max_bytes: u64,
    /// Connections open at once; more are refused with 503 at once.
    pub max_connections: usize,
    /// Connections open at once from one client address (IPv6: one /64).
    pub max_connections_per_address: usize,
    /// A request head must be complete this long after it began.
    pub head_timeout_secs: u64,
    /// An idle keep-alive connection closes after this long.
    pub keep_alive_secs: u64,
    /// A request body that stalls (or a client that stops reading) this long is cut.
    pub body_stall_secs: u64,
    /// After `body_stall_secs` of grace, a body must arrive at this average rate.
    pub body_min_bytes_per_sec: u64,
    /// An upgraded (WebSocket) connection silent both ways this long is closed.
    pub tunnel_idle_secs: u64,
    /// How long one search may run before it is stopped (400, "too broad").
    pub search_budget_ms: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebhooksConfig {
    pub allow_private_targets: bool,
    pub retry_initial_delay_secs: u64,
    pub max_attempts: u32,
    /// How long one delivery may take, answer included (connecting: at most 5 s).
    pub timeout_secs: u64,
}

/// Web Push notifications (API §16).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PushConfig {
    /// Off, the push routes answer 404 and nothing is queued.
    pub enabled: bool,
    /// The operator's contact given to push services (`mailto:` or `https:`).
    pub subject: String,
    /// Accept endpoints on loopback or private addresses, and plain `http:` (tests).
    pub allow_private_endpoints: bool,
    /// How long one request to a push service may take.
    pub timeout_secs: u64,
    /// How long a push service keeps a notification for a browser that is offline
    /// (its `TTL`), and how long an undelivered one stays queued here.
    pub ttl_secs: u64,
    /// Tries of a push the service refused with 429/5xx or did not answer.
    pub max_attempts: u32,
    /// First wait before a retry (unless the service said `Retry-After`), doubling.
    pub retry_initial_delay_secs: u64,
}

impl Default for PushConfig {
    fn default() -> Self {
        PushConfig {
            enabled: true,
            subject: "mailto:postmaster@localhost".into(),
            allow_private_endpoints: false,
            timeout_secs: 10,
            ttl_secs: 86_400,
            max_attempts: 8,
            retry_initial_delay_secs: 5,
        }
    }
}

/// Bot accounts (API §20).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BotsConfig {
    /// Whether every user may make bots (otherwise only administrators).
    pub users_may_create: bool,
}

/// How mail leaves for the SMTP server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain connection upgraded with STARTTLS (required; port 587).
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only for a relay on the same machine or in tests.
    None,
}

/// Outgoing e-mail (API §17); absent, the e-mail routes answer 404.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    pub host: String,
    #[serde(default = "default_smtp_port")]
    pub port: u16,
    pub username: Option<String>,
    pub password: Option<String>,
    /// The sender, e.g. `Veza <chat@example.com>`.
    pub from: String,
    #[serde(default = "default_smtp_tls")]
    pub tls: SmtpTls,
    /// How long one conversation with the server may take.
    #[serde(default = "default_smtp_timeout")]
    pub timeout_secs: u64,
    /// Tries of a mail the server refused for now or did not answer.
    #[serde(default = "default_smtp_attempts")]
    pub max_attempts: u32,
    /// First wait before another try, doubling up to an hour.
    #[serde(default = "default_smtp_retry_delay")]
    pub retry_initial_delay_secs: u64,
}

fn default_smtp_port() -> u16 {
    587
}
fn default_smtp_tls() -> SmtpTls {
    SmtpTls::Starttls
}
fn default_smtp_timeout() -> u64 {
    30
}
fn default_smtp_attempts() -> u32 {
    10
}
fn default_smtp_retry_delay() -> u64 {
    30
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// Read-only connections in the pool.
    pub read_connections: u32,
    /// A PostgreSQL database (`postgres://user:pass@host/db`) instead of the SQLite
    /// file in `data_dir`.
    pub url: Option<String>,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            access_token_ttl_secs: 900,
            refresh_token_ttl_secs: 2_592_000,
            max_concurrent_hashes: None,
            session_cache_secs: 10,
            session_max_days: 90,
        }
    }
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        RateLimitConfig {
            requests_per_hour: 1000,
            burst: None,
            failed_logins_per_15min: 10,
        }
    }
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            message_max_length: 2000,
            upload_max_bytes: 26_214_400,
            thumbnail_max_pixels: 25_000_000,
            json_max_bytes: 1_048_576,
            max_connections: 512,
            max_connections_per_address: 128,
            head_timeout_secs: 10,
            keep_alive_secs: 5,
            body_stall_secs: 30,
            body_min_bytes_per_sec: 1024,
            tunnel_idle_secs: 300,
            search_budget_ms: 2000,
        }
    }
}

impl Default for WebhooksConfig {
    fn default() -> Self {
        WebhooksConfig {
            allow_private_targets: false,
            retry_initial_delay_secs: 10,
            max_attempts: 10,
            timeout_secs: 10,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FilesConfig {
    /// Make thumbnails of uploaded images in the background. Off, they wait in
    /// their queue (`pending`) until it is on again.
    pub thumbnails: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    /// The bearer token `GET /metrics` demands; unset, the route answers 404.
    pub token: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetentionConfig {
    /// Messages older than this many days are deleted, with their files; unset,
    /// kept forever. A room's own `retention_days` may only shorten it.
    pub messages_days: Option<u32>,
    /// How often the retention task looks for expired messages, in seconds.
    pub interval_secs: u64,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        RetentionConfig {
            messages_days: None,
            interval_secs: 3600,
        }
    }
}

/// The identity provider users may sign in with (API.md §11).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcConfig {
    /// The provider's issuer URL; discovery is at `{issuer}/.well-known/openid-configuration`.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    /// Scopes asked for, separated by spaces; `openid` is always among them.
    #[serde(default = "default_oidc_scopes")]
    pub scopes: String,
    /// The public URL the provider sends the browser back to: Veza's
    /// `/auth/oauth/callback`, or a page of a client that posts the code to
    /// `/auth/oauth/token`. Registered with the provider as is.
    pub redirect_url: String,
    /// The provider's name as the web client shows it ("Sign in with …").
    #[serde(default = "default_oidc_display_name")]
    pub display_name: String,
}

fn default_oidc_scopes() -> String {
    "openid email profile".into()
}

fn default_oidc_display_name() -> String {
    "single sign-on".into()
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StreamsConfig {
    /// A viewer counts while their last heartbeat is this recent.
    pub viewer_window_secs: u64,
}

/// This process among several on one PostgreSQL database (docs/nodes.md).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NodeConfig {
    /// The name this process answers under (`X-Veza-Node`) and holds leases
    /// and connections under; unset, the host name and the port.
    pub id: Option<String>,
    /// How long a node holds a piece of background work (a webhook's queue, a
    /// mail, a thumbnail) without renewing it before another node may take it.
    pub lease_secs: u64,
}

impl Default for NodeConfig {
    fn default() -> Self {
        NodeConfig {
            id: None,
            lease_secs: 30,
        }
    }
}

impl Default for StreamsConfig {
    fn default() -> Self {
        StreamsConfig {
            viewer_window_secs: 60,
        }
    }
}

impl Default for FilesConfig {
    fn default() -> Self {
        FilesConfig { thumbnails: true }
    }
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        DatabaseConfig {
            read_connections: 8,
            url: None,
        }
    }
}

impl OidcConfig {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        for (key, value) in [
            ("oidc.issuer", &self.issuer),
            ("oidc.redirect_url", &self.redirect_url),
        ] {
            match url::Url::parse(value) {
                Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {}
                _ => return fail(key, "must be an absolute http:// or https:// URL"),
            }
        }
        if self.client_id.trim().is_empty() {
            return fail("oidc.client_id", "must not be empty");
        }
        if self.client_secret.is_empty() {
            return fail("oidc.client_secret", "must not be empty");
        }
        if self.display_name.trim().is_empty() || self.display_name.chars().count() > 64 {
            return fail("oidc.display_name", "must be 1 to 64 characters long");
        }
        Ok(())
    }

    /// The scopes to ask for, `openid` first and always present.
    pub fn scope_list(&self) -> String {
        let mut scopes = vec!["openid"];
        scopes.extend(self.scopes.split_whitespace().filter(|s| *s != "openid"));
        scopes.join(" ")
    }
}
