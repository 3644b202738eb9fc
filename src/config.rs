//! Configuration: built-in defaults, then `veza.toml`, then `VEZA_*` environment
//! variables (nested keys joined with `__`, e.g. `VEZA_RATE_LIMIT__REQUESTS_PER_HOUR`).
//! Every key and its default is documented in the repository's `veza.toml`.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub address: IpAddr,
    pub port: u16,
    pub data_dir: PathBuf,
    /// HS256 key for access tokens; when absent, one is generated and kept in `data_dir`.
    pub jwt_secret: Option<String>,
    pub registration: Registration,
    pub log_level: LogLevel,
    /// Header holding the client address when behind a reverse proxy (e.g. `X-Real-IP`).
    /// Unset, the socket's peer address is used and no header is trusted.
    pub trusted_proxy_header: Option<String>,
    pub auth: AuthConfig,
    pub rate_limit: RateLimitConfig,
    pub limits: LimitsConfig,
    pub webhooks: WebhooksConfig,
    pub database: DatabaseConfig,
    pub files: FilesConfig,
    pub streams: StreamsConfig,
    pub metrics: MetricsConfig,
    pub retention: RetentionConfig,
    /// Sign-in with an OpenID Connect provider; absent, its routes answer 404.
    pub oidc: Option<OidcConfig>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Registration {
    Open,
    Closed,
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
    /// An upgraded (WebSocket) connection silent both ways this long is closed.
    pub tunnel_idle_secs: u64,
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

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// Read-only connections in the pool.
    pub read_connections: u32,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            address: IpAddr::from([127, 0, 0, 1]),
            port: 8080,
            data_dir: PathBuf::from("./data"),
            jwt_secret: None,
            registration: Registration::Open,
            log_level: LogLevel::Normal,
            trusted_proxy_header: None,
            auth: AuthConfig::default(),
            rate_limit: RateLimitConfig::default(),
            limits: LimitsConfig::default(),
            webhooks: WebhooksConfig::default(),
            database: DatabaseConfig::default(),
            files: FilesConfig::default(),
            streams: StreamsConfig::default(),
            metrics: MetricsConfig::default(),
            retention: RetentionConfig::default(),
            oidc: None,
        }
    }
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
            tunnel_idle_secs: 300,
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
        }
    }
}

/// A configuration that cannot be used; the message names the key.
#[derive(Debug)]
pub struct ConfigError {
    /// The key at fault, spelled as in `veza.toml`, when the rule is about one.
    key: Option<String>,
    message: String,
}

impl ConfigError {
    fn new(message: String) -> ConfigError {
        ConfigError { key: None, message }
    }

    /// Names the key where the operator set it: `VEZA_…` or the file as given.
    fn located(self, figment: &Figment, file: &Path) -> ConfigError {
        let Some(key) = &self.key else {
            return self;
        };
        let from_env = figment
            .find_metadata(key)
            .is_some_and(|m| m.name.contains("environment"));
        let from_file = figment
            .find_metadata(key)
            .is_some_and(|m| m.source.as_ref().is_some_and(|s| s.file_path().is_some()));
        let name = if from_env {
            format!("VEZA_{}", key.replace('.', "__").to_uppercase())
        } else if from_file {
            format!("`{key}` in {}", file.display())
        } else {
            format!("`{key}`")
        };
        ConfigError {
            key: None,
            message: format!("{name} {}", self.message),
        }
    }
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.key {
            Some(key) => write!(f, "invalid configuration: `{key}` {}", self.message),
            None => write!(f, "invalid configuration: {}", self.message),
        }
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Defaults, then the TOML file at `path` (optional unless `required`), then `VEZA_*`.
    pub fn load(path: &Path, required: bool) -> Result<Config, ConfigError> {
        if required && !path.is_file() {
            return Err(ConfigError::new(format!(
                "the configuration file {} does not exist",
                path.display()
            )));
        }
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if path.is_file() {
            figment = figment.merge(Toml::file_exact(path));
        }
        let figment = figment.merge(Env::prefixed("VEZA_").split("__").ignore(&["config"]));
        let config: Config = figment
            .extract()
            .map_err(|e| ConfigError::new(describe_figment_error(e, path)))?;
        config.validate().map_err(|e| e.located(&figment, path))?;
        Ok(config)
    }

    /// Checks the rules that types alone cannot express: every number within a
    /// range that makes sense, so no setting can overflow a time or a size.
    pub fn validate(&self) -> Result<(), ConfigError> {
        const DAY: u64 = 86_400;
        let auth = &self.auth;
        let limits = &self.limits;
        within(
            "auth.access_token_ttl_secs",
            auth.access_token_ttl_secs,
            1,
            DAY,
        )?;
        within(
            "auth.refresh_token_ttl_secs",
            auth.refresh_token_ttl_secs,
            1,
            365 * DAY,
        )?;
        if auth.refresh_token_ttl_secs < auth.access_token_ttl_secs {
            return fail(
                "auth.refresh_token_ttl_secs",
                "must not be shorter than auth.access_token_ttl_secs",
            );
        }
        if let Some(n) = auth.max_concurrent_hashes {
            within("auth.max_concurrent_hashes", n as u64, 1, 64)?;
        }
        within("auth.session_cache_secs", auth.session_cache_secs, 0, 3600)?;
        within("auth.session_max_days", auth.session_max_days, 1, 3650)?;
        let rate = &self.rate_limit;
        within(
            "rate_limit.requests_per_hour",
            rate.requests_per_hour as u64,
            1,
            u32::MAX as u64,
        )?;
        within(
            "rate_limit.failed_logins_per_15min",
            rate.failed_logins_per_15min as u64,
            1,
            10_000,
        )?;
        within(
            "limits.message_max_length",
            limits.message_max_length as u64,
            1,
            100_000,
        )?;
        within(
            "limits.upload_max_bytes",
            limits.upload_max_bytes,
            1,
            1 << 40,
        )?;
        within(
            "limits.thumbnail_max_pixels",
            limits.thumbnail_max_pixels,
            1,
            100_000_000,
        )?;
        within(
            "limits.json_max_bytes",
            limits.json_max_bytes,
            4096,
            64 << 20,
        )?;
        within(
            "limits.max_connections",
            limits.max_connections as u64,
            1,
            1_000_000,
        )?;
        within(
            "limits.max_connections_per_address",
            limits.max_connections_per_address as u64,
            1,
            1_000_000,
        )?;
        within(
            "limits.head_timeout_secs",
            limits.head_timeout_secs,
            1,
            3600,
        )?;
        within("limits.keep_alive_secs", limits.keep_alive_secs, 1, 3600)?;
        within("limits.body_stall_secs", limits.body_stall_secs, 1, 3600)?;
        within("limits.tunnel_idle_secs", limits.tunnel_idle_secs, 1, DAY)?;
        let hooks = &self.webhooks;
        within(
            "webhooks.retry_initial_delay_secs",
            hooks.retry_initial_delay_secs,
            1,
            DAY,
        )?;
        within("webhooks.max_attempts", hooks.max_attempts as u64, 1, 100)?;
        within("webhooks.timeout_secs", hooks.timeout_secs, 1, 60)?;
        within(
            "streams.viewer_window_secs",
            self.streams.viewer_window_secs,
            1,
            3600,
        )?;
        within(
            "database.read_connections",
            self.database.read_connections as u64,
            1,
            256,
        )?;
        if let Some(secret) = &self.jwt_secret {
            if secret.len() < 32 {
                return fail("jwt_secret", "must be at least 32 bytes long");
            }
        }
        if self.data_dir.as_os_str().is_empty() {
            return fail("data_dir", "must not be empty");
        }
        if let Some(oidc) = &self.oidc {
            oidc.validate()?;
        }
        if let Some(token) = &self.metrics.token {
            if token.len() < 16 {
                return fail("metrics.token", "must be at least 16 characters long");
            }
        }
        if let Some(days) = self.retention.messages_days {
            within("retention.messages_days", days as u64, 1, 36_500)?;
        }
        within(
            "retention.interval_secs",
            self.retention.interval_secs,
            1,
            DAY,
        )?;
        Ok(())
    }
}

impl OidcConfig {
    fn validate(&self) -> Result<(), ConfigError> {
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

fn fail(key: &str, why: &str) -> Result<(), ConfigError> {
    Err(ConfigError {
        key: Some(key.to_owned()),
        message: why.to_owned(),
    })
}

fn within(key: &str, value: u64, min: u64, max: u64) -> Result<(), ConfigError> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        fail(key, &format!("must be between {min} and {max}"))
    }
}

/// Figment's error in an operator's words: the key as they wrote it (`port` in
/// the file as given, or `VEZA_PORT`), the value found, and what is expected.
fn describe_figment_error(e: figment::Error, file: &Path) -> String {
    use figment::error::Kind;
    let from_env = e
        .metadata
        .as_ref()
        .is_some_and(|m| m.name.contains("environment"));
    let mut path: Vec<String> = e.path.clone();
    if let Kind::UnknownField(field, _) = &e.kind {
        if path.last() != Some(field) {
            path.push(field.clone());
        }
    }
    let key = if from_env {
        format!("VEZA_{}", path.join("__").to_uppercase())
    } else {
        format!("`{}` in {}", path.join("."), file.display())
    };
    match &e.kind {
        Kind::InvalidType(found, expected) | Kind::InvalidValue(found, expected) => {
            format!("{key} is {found}; expected {}", plain_words(expected))
        }
        Kind::UnknownField(_, known) => {
            let known = known.join(", ");
            format!("{key} is not a setting Veza knows; the settings here are: {known}")
        }
        Kind::UnknownVariant(found, known) => {
            format!(
                "{key} is \"{found}\"; expected one of: {}",
                known.join(", ")
            )
        }
        Kind::MissingField(field) => {
            let section = if from_env {
                format!("VEZA_{}", e.path.join("__").to_uppercase())
            } else {
                format!("[{}] in {}", e.path.join("."), file.display())
            };
            format!("{section} needs `{field}`")
        }
        Kind::Message(message) if message.contains("IP address") => {
            format!("{key} is not an IP address; expected e.g. 127.0.0.1, 0.0.0.0 or ::")
        }
        _ => format!("{key}: {}", e.kind),
    }
}

/// Serde's name of an expected type, as a sentence would say it.
fn plain_words(expected: &str) -> String {
    match expected {
        "u16" => "a whole number from 0 to 65535".into(),
        "u32" | "u64" | "usize" => "a whole number, 0 or more".into(),
        "a boolean" | "bool" => "true or false".into(),
        "IP address" => "an IP address such as 127.0.0.1 or ::".into(),
        other if other.starts_with("struct ") => "a section (a table of settings)".into(),
        other => other.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_number_has_an_upper_bound_named_in_the_error() {
        type Breaks = fn(&mut Config);
        let cases: [(&str, Breaks); 6] = [
            ("auth.access_token_ttl_secs", |c| {
                c.auth.access_token_ttl_secs = u64::MAX
            }),
            ("auth.session_max_days", |c| {
                c.auth.session_max_days = 1 << 40
            }),
            ("limits.upload_max_bytes", |c| {
                c.limits.upload_max_bytes = u64::MAX
            }),
            ("limits.max_connections", |c| {
                c.limits.max_connections = usize::MAX
            }),
            ("limits.keep_alive_secs", |c| c.limits.keep_alive_secs = 0),
            ("webhooks.retry_initial_delay_secs", |c| {
                c.webhooks.retry_initial_delay_secs = u64::MAX
            }),
        ];
        for (key, break_it) in cases {
            let mut config = Config::default();
            break_it(&mut config);
            let error = config.validate().unwrap_err().to_string();
            assert!(error.contains(key), "{key}: {error}");
        }
        assert!(Config::default().validate().is_ok());
    }

    #[test]
    fn an_oidc_section_is_read_from_the_file_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("veza.toml");
        let section = "[oidc]\nissuer = \"https://sso.example.com/realms/team\"\n\
                       client_id = \"veza\"\nclient_secret = \"s\"\n";
        std::fs::write(
            &path,
            format!("{section}redirect_url = \"https://chat.example.com/auth/oauth/callback\"\n"),
        )
        .unwrap();
        let config = Config::load(&path, true).unwrap();
        let oidc = config.oidc.unwrap();
        assert_eq!(oidc.scope_list(), "openid email profile");
        assert_eq!(oidc.display_name, "single sign-on");

        std::fs::write(&path, format!("{section}redirect_url = \"/callback\"\n")).unwrap();
        let error = Config::load(&path, true).unwrap_err().to_string();
        assert!(error.contains("oidc.redirect_url"), "{error}");
        std::fs::write(&path, section).unwrap();
        let error = Config::load(&path, true).unwrap_err().to_string();
        assert!(error.contains("redirect_url"), "{error}");
    }
}
