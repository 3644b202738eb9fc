//! Configuration: built-in defaults, then `veza.toml`, then `VEZA_*` environment
//! variables (nested keys joined with `__`, e.g. `VEZA_RATE_LIMIT__REQUESTS_PER_HOUR`).
//! Every key and its default is documented in the repository's `veza.toml`.

mod error;
mod sections;

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};

pub use error::ConfigError;
use error::{describe_figment_error, fail, within};
pub use sections::*;

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
    pub push: PushConfig,
    pub bots: BotsConfig,
    pub database: DatabaseConfig,
    pub files: FilesConfig,
    pub streams: StreamsConfig,
    pub node: NodeConfig,
    /// Where uploaded files live; unset, `data_dir/files`. Several nodes share
    /// one directory they all mount.
    pub files_dir: Option<PathBuf>,
    pub metrics: MetricsConfig,
    pub retention: RetentionConfig,
    /// Sign-in with an OpenID Connect provider; absent, its routes answer 404.
    pub oidc: Option<OidcConfig>,
    /// Outgoing e-mail; absent, verification and reset by e-mail answer 404.
    pub smtp: Option<SmtpConfig>,
    /// The address people reach the server at, which links in answers and
    /// e-mails start with (e.g. `https://chat.example.com`). Unset, it is
    /// `http://{address}:{port}`, and `[smtp]` refuses to start without it.
    pub public_url: Option<String>,
    /// Start even though `veza.db` is missing in a data directory used before
    /// (`veza serve --new-database`); never read from a file or the environment.
    #[serde(skip)]
    pub new_database: bool,
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
            push: PushConfig::default(),
            bots: BotsConfig::default(),
            database: DatabaseConfig::default(),
            files: FilesConfig::default(),
            streams: StreamsConfig::default(),
            node: NodeConfig::default(),
            files_dir: None,
            new_database: false,
            metrics: MetricsConfig::default(),
            retention: RetentionConfig::default(),
            oidc: None,
            smtp: None,
            public_url: None,
        }
    }
}

impl Config {
    /// Where the store is: `database.url`'s PostgreSQL database, else the SQLite
    /// file in the data directory.
    pub fn store_location(&self, sqlite_file: std::path::PathBuf) -> crate::sql::Location {
        match &self.database.url {
            Some(url) => crate::sql::Location::Postgres(url.clone()),
            None => crate::sql::Location::Sqlite(sqlite_file),
        }
    }

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
        // VEZA_CONFIG names the file; VEZA_TEST_* belong to the test suite (its
        // PostgreSQL server, its logs), not to a server's settings.
        let figment = figment.merge(
            Env::prefixed("VEZA_")
                .filter(|key| !key.as_str().to_ascii_lowercase().starts_with("test_"))
                .split("__")
                .ignore(&["config"]),
        );
        let config: Config = figment
            .extract()
            .map_err(|e| ConfigError::new(describe_figment_error(e, path)))?;
        config.validate().map_err(|e| e.located(&figment, path))?;
        Ok(config)
    }

    /// This node's name: `node.id`, else the host name and the port.
    pub fn node_id(&self) -> String {
        match &self.node.id {
            Some(id) => id.clone(),
            None => format!("{}:{}", host_name(), self.port),
        }
    }

    /// Where uploaded files live: `files_dir`, else `data_dir/files`.
    pub fn files_path(&self) -> PathBuf {
        self.files_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("files"))
    }

    /// Where links start: `public_url` without a trailing slash, or the
    /// listening address.
    pub fn public_base(&self) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => match self.address {
                IpAddr::V6(ip) => format!("http://[{ip}]:{}", self.port),
                IpAddr::V4(ip) => format!("http://{ip}:{}", self.port),
            },
        }
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
        if let Some(id) = &self.node.id {
            let printable = id.chars().all(|c| c.is_ascii_graphic());
            if id.is_empty() || id.len() > 64 || !printable {
                return fail(
                    "node.id",
                    "must be 1 to 64 printable ASCII characters, no spaces",
                );
            }
        }
        within("node.lease_secs", self.node.lease_secs, 2, 3600)?;
        within("auth.session_max_days", auth.session_max_days, 1, 3650)?;
        let rate = &self.rate_limit;
        within(
            "rate_limit.requests_per_hour",
            rate.requests_per_hour as u64,
            1,
            u32::MAX as u64,
        )?;
        if let Some(burst) = rate.burst {
            within("rate_limit.burst", burst as u64, 1, u32::MAX as u64)?;
        }
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
        within(
            "limits.body_min_bytes_per_sec",
            limits.body_min_bytes_per_sec,
            1,
            1 << 30,
        )?;
        within(
            "limits.search_budget_ms",
            limits.search_budget_ms,
            1,
            60_000,
        )?;
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
        let push = &self.push;
        if !(push.subject.starts_with("mailto:") || push.subject.starts_with("https:")) {
            return fail("push.subject", "must be a mailto: or https: URL");
        }
        within("push.timeout_secs", push.timeout_secs, 1, 60)?;
        within("push.ttl_secs", push.ttl_secs, 0, 28 * DAY)?;
        within("push.max_attempts", push.max_attempts as u64, 1, 100)?;
        within(
            "push.retry_initial_delay_secs",
            push.retry_initial_delay_secs,
            1,
            DAY,
        )?;
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
        if let Some(url) = &self.database.url {
            let postgres = url.starts_with("postgres://") || url.starts_with("postgresql://");
            if !postgres || url.parse::<postgres::Config>().is_err() {
                return fail(
                    "database.url",
                    "must be a PostgreSQL URL, e.g. postgres://veza:secret@localhost/veza",
                );
            }
        }
        if let Some(oidc) = &self.oidc {
            oidc.validate()?;
        }
        if let Some(url) = &self.public_url {
            let parsed = url::Url::parse(url).ok();
            let usable = parsed.as_ref().is_some_and(|u| {
                matches!(u.scheme(), "http" | "https")
                    && u.host().is_some()
                    && u.query().is_none()
                    && u.fragment().is_none()
            });
            if !usable {
                return fail(
                    "public_url",
                    "must be an http: or https: URL without a query, e.g. https://chat.example.com",
                );
            }
        }
        if let Some(smtp) = &self.smtp {
            if self.public_url.is_none() {
                return fail(
                    "public_url",
                    "must be set with [smtp]: the links in e-mails start with it",
                );
            }
            if smtp.host.trim().is_empty() {
                return fail("smtp.host", "must not be empty");
            }
            if smtp.from.parse::<lettre::message::Mailbox>().is_err() {
                return fail(
                    "smtp.from",
                    "must be an address, e.g. \"Veza <chat@example.com>\"",
                );
            }
            within("smtp.timeout_secs", smtp.timeout_secs, 1, 300)?;
            within("smtp.max_attempts", smtp.max_attempts as u64, 1, 100)?;
            within(
                "smtp.retry_initial_delay_secs",
                smtp.retry_initial_delay_secs,
                1,
                DAY,
            )?;
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

/// The machine's name (Linux's, else `veza`).
fn host_name() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|path| {
            let name = std::fs::read_to_string(path).ok()?;
            let name = name.trim();
            (!name.is_empty()).then(|| name.to_owned())
        })
        .unwrap_or_else(|| "veza".to_owned())
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
