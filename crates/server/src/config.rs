//! Gateway configuration: defaults, then a TOML file, then `TIDEGATE_*` environment variables,
//! then command-line flags (applied by the binary).

use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tidegate_acquirers::sandbox::SandboxConfig;
use tidegate_engine::{EngineConfig, NotifierConfig, UrlPolicy};

/// Where the gateway keeps its data when nothing else is configured.
pub const DEFAULT_DATABASE_URL: &str = "sqlite:tidegate-data/tidegate.db";

/// Everything `tidegate serve` can be told.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// `sqlite:PATH` (created if missing).
    pub database_url: String,
    /// `sandbox` (the built-in test acquirer and demo terminal) or `production`.
    pub mode: Mode,
    /// 64 hex characters (32 bytes) that encrypt terminal secrets at rest. Prefer the
    /// `TIDEGATE_MASTER_KEY` environment variable. In sandbox mode a key file beside the
    /// database is created when none is given.
    pub master_key: Option<String>,
    /// Bearer token of the admin API (`/admin/*`); the admin API is off without one. Prefer the
    /// `TIDEGATE_ADMIN_TOKEN` environment variable.
    pub admin_token: Option<String>,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Payment lifecycle timings.
    pub payments: PaymentsSection,
    /// Sandbox acquirer knobs.
    pub sandbox: SandboxSection,
    /// Notice delivery.
    pub notices: NoticesSection,
}

/// `[notices]` in the config file.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NoticesSection {
    /// Milliseconds before each retry of an Oceanpayment notice; the first attempt is immediate
    /// and the notice is given up after the last retry.
    pub oceanpayment_retry_schedule_ms: Vec<u64>,
    /// The same for PingPong notifications.
    pub pingpong_retry_schedule_ms: Vec<u64>,
    /// Notices delivered at once, in all.
    pub concurrency: usize,
    /// Notices delivered at once to one host.
    pub per_host: usize,
    /// Milliseconds one delivery attempt may take.
    pub timeout_ms: u64,
    /// Milliseconds between outbox checks when nothing new was committed.
    pub poll_interval_ms: u64,
    /// Allow notices to loopback, private and link-local addresses. Default: allowed in sandbox
    /// mode (local development), refused in production mode.
    pub allow_private_addresses: Option<bool>,
    /// Hosts always allowed, whatever they resolve to.
    pub allowed_hosts: Vec<String>,
}

impl Default for NoticesSection {
    fn default() -> Self {
        let notifier = NotifierConfig::default();
        let seconds = |list: &[u64]| list.iter().map(|s| s * 1_000).collect();
        NoticesSection {
            // Eight attempts over about a day: now, 15 s, 1 min, 5 min, 30 min, 2 h, 6 h, 15 h.
            oceanpayment_retry_schedule_ms: seconds(&[15, 60, 300, 1_800, 7_200, 21_600, 54_000]),
            // PingPong's own published schedule: 5 s, 5 s, 3 min, 10 min, 20 min, 30 min x3,
            // 60 min, 3 h x3.
            pingpong_retry_schedule_ms: seconds(&[
                5, 5, 180, 600, 1_200, 1_800, 1_800, 1_800, 3_600, 10_800, 10_800, 10_800,
            ]),
            concurrency: notifier.concurrency,
            per_host: notifier.per_host,
            timeout_ms: millis(notifier.timeout),
            poll_interval_ms: millis(notifier.poll_interval),
            allow_private_addresses: None,
            allowed_hosts: Vec::new(),
        }
    }
}

/// Which acquirer the gateway uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// The built-in sandbox acquirer; a demo terminal is created; `/sandbox/*` routes exist.
    Sandbox,
    /// Real acquirers only.
    Production,
}

/// `[payments]` in the config file.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PaymentsSection {
    /// Seconds a merchant-presented QR can be paid.
    pub qr_ttl_seconds: u64,
    /// Seconds a customer-presented payment may stay pending before it is closed.
    pub pending_ttl_seconds: u64,
    /// Milliseconds one acquirer call may take before its result counts as unknown.
    pub acquirer_timeout_ms: u64,
    /// Milliseconds between resolver sweeps over open payments.
    pub sweep_interval_ms: u64,
    /// Milliseconds between acquirer queries of one open payment.
    pub poll_interval_ms: u64,
}

/// `[sandbox]` in the config file.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SandboxSection {
    /// Milliseconds added to every sandbox acquirer call.
    pub latency_ms: u64,
    /// Milliseconds the simulated customer takes to enter a PIN.
    pub pin_delay_ms: u64,
    /// Milliseconds an acquirer timeout stays unknown before queries report the result.
    pub unknown_resolves_after_ms: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: DEFAULT_DATABASE_URL.to_owned(),
            mode: Mode::Sandbox,
            master_key: None,
            admin_token: None,
            max_body_bytes: 64 * 1024,
            payments: PaymentsSection::default(),
            sandbox: SandboxSection::default(),
            notices: NoticesSection::default(),
        }
    }
}

impl Default for PaymentsSection {
    fn default() -> Self {
        let engine = EngineConfig::default();
        PaymentsSection {
            qr_ttl_seconds: engine.qr_ttl.as_secs(),
            pending_ttl_seconds: engine.pending_ttl.as_secs(),
            acquirer_timeout_ms: millis(engine.acquirer_timeout),
            sweep_interval_ms: millis(engine.sweep_interval),
            poll_interval_ms: millis(engine.poll_interval),
        }
    }
}

impl Default for SandboxSection {
    fn default() -> Self {
        let sandbox = SandboxConfig::default();
        SandboxSection {
            latency_ms: millis(sandbox.latency),
            pin_delay_ms: millis(sandbox.pin_delay),
            unknown_resolves_after_ms: millis(sandbox.unknown_resolves_after),
        }
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// Why the configuration could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The config file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The config file is not valid TOML for this schema.
    #[error("invalid config file {path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's explanation, with line and column.
        message: String,
    },
    /// A value is out of range or inconsistent.
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

impl Config {
    /// Defaults, overlaid with `file` if given, then with `TIDEGATE_MASTER_KEY`.
    pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
        let mut config = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.to_owned(),
                    source,
                })?;
                toml::from_str(&text).map_err(|error| ConfigError::Parse {
                    path: path.to_owned(),
                    message: error.to_string(),
                })?
            }
            None => Config::default(),
        };
        if let Ok(key) = std::env::var("TIDEGATE_MASTER_KEY") {
            if !key.trim().is_empty() {
                config.master_key = Some(key);
            }
        }
        if let Ok(token) = std::env::var("TIDEGATE_ADMIN_TOKEN") {
            if !token.trim().is_empty() {
                config.admin_token = Some(token);
            }
        }
        // An empty token would let an empty bearer token in: refuse it rather than guess.
        if config
            .admin_token
            .as_deref()
            .is_some_and(|token| token.trim().len() < 16)
        {
            return Err(ConfigError::Invalid(
                "admin_token must be at least 16 characters; remove it to turn the admin API off"
                    .into(),
            ));
        }
        Ok(config)
    }

    /// The SQLite file behind `database_url`.
    pub fn sqlite_path(&self) -> Result<PathBuf, ConfigError> {
        let path = self
            .database_url
            .strip_prefix("sqlite://")
            .or_else(|| self.database_url.strip_prefix("sqlite:"))
            .filter(|path| !path.is_empty())
            .ok_or_else(|| {
                ConfigError::Invalid(format!(
                    "database_url {:?} is not a sqlite:PATH URL (the only backend available so far)",
                    self.database_url
                ))
            })?;
        Ok(PathBuf::from(path))
    }

    /// The engine's timings.
    pub fn engine(&self) -> EngineConfig {
        let payments = &self.payments;
        EngineConfig {
            qr_ttl: Duration::from_secs(payments.qr_ttl_seconds),
            pending_ttl: Duration::from_secs(payments.pending_ttl_seconds),
            acquirer_timeout: Duration::from_millis(payments.acquirer_timeout_ms),
            sweep_interval: Duration::from_millis(payments.sweep_interval_ms.max(10)),
            poll_interval: Duration::from_millis(payments.poll_interval_ms),
            ..EngineConfig::default()
        }
    }

    /// Which addresses notices may go to.
    pub fn url_policy(&self) -> UrlPolicy {
        UrlPolicy {
            allow_private_addresses: self
                .notices
                .allow_private_addresses
                .unwrap_or(self.mode == Mode::Sandbox),
            allowed_hosts: self.notices.allowed_hosts.clone(),
        }
    }

    /// How notices are delivered.
    pub fn notifier(&self) -> NotifierConfig {
        let notices = &self.notices;
        NotifierConfig {
            concurrency: notices.concurrency,
            per_host: notices.per_host,
            timeout: Duration::from_millis(notices.timeout_ms),
            poll_interval: Duration::from_millis(notices.poll_interval_ms.max(10)),
            url_policy: self.url_policy(),
        }
    }

    /// Retry delays of one dialect's notices.
    pub fn retry_schedule(&self, dialect: &str) -> Vec<Duration> {
        let list = match dialect {
            "pingpong" => &self.notices.pingpong_retry_schedule_ms,
            _ => &self.notices.oceanpayment_retry_schedule_ms,
        };
        list.iter().map(|ms| Duration::from_millis(*ms)).collect()
    }

    /// The sandbox acquirer's knobs.
    pub fn sandbox_acquirer(&self) -> SandboxConfig {
        SandboxConfig {
            latency: Duration::from_millis(self.sandbox.latency_ms),
            pin_delay: Duration::from_millis(self.sandbox.pin_delay_ms),
            unknown_resolves_after: Duration::from_millis(self.sandbox.unknown_resolves_after_ms),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_config_file_overrides_defaults_and_rejects_typos() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("tidegate.toml");
        std::fs::write(
            &path,
            "listen = \"127.0.0.1:9000\"\n[payments]\nqr_ttl_seconds = 60\n",
        )
        .expect("write");
        let config = Config::load(Some(&path)).expect("valid");
        assert_eq!(config.listen.port(), 9000);
        assert_eq!(config.engine().qr_ttl, Duration::from_secs(60));
        assert_eq!(config.database_url, DEFAULT_DATABASE_URL);

        std::fs::write(&path, "lisen = \"127.0.0.1:9000\"\n").expect("write");
        let error = Config::load(Some(&path)).expect_err("typo refused");
        assert!(error.to_string().contains("lisen"), "{error}");
    }

    #[test]
    fn only_sqlite_urls_are_accepted_for_now() {
        let mut config = Config::default();
        assert_eq!(
            config.sqlite_path().expect("default"),
            PathBuf::from("tidegate-data/tidegate.db")
        );
        config.database_url = "sqlite:///var/lib/tidegate.db".into();
        assert_eq!(
            config.sqlite_path().expect("absolute"),
            PathBuf::from("/var/lib/tidegate.db")
        );
        config.database_url = "postgres://localhost/tidegate".into();
        assert!(config.sqlite_path().is_err());
    }
}
