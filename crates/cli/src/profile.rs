//! Where a till finds its gateway and credentials: flags, then environment, then a profile
//! file, then the sandbox demo values, so `tidegate pos` works against `tidegate serve` with no
//! set-up at all.

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tidegate_client::{oceanpayment, pingpong};

/// The gateway a till talks to when none is named.
pub const DEFAULT_GATEWAY: &str = "http://127.0.0.1:8080";

/// The merchant API dialect a till speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    /// Oceanpayment: form requests, XML replies.
    Oceanpayment,
    /// PingPong Checkout v4: JSON envelopes.
    Pingpong,
}

/// PingPong's signature algorithms, as flags spell them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Deserialize)]
pub enum SignTypeArg {
    /// SHA-256 (the default).
    #[value(name = "SHA256")]
    #[serde(rename = "SHA256")]
    Sha256,
    /// MD5.
    #[value(name = "MD5")]
    #[serde(rename = "MD5")]
    Md5,
}

impl SignTypeArg {
    /// The client library's value.
    pub fn sign_type(self) -> pingpong::SignType {
        match self {
            SignTypeArg::Sha256 => pingpong::SignType::Sha256,
            SignTypeArg::Md5 => pingpong::SignType::Md5,
        }
    }
}

/// Credentials of both dialects, and the profile file that may hold them.
#[derive(Args, Clone, Debug)]
pub struct CredentialArgs {
    /// Profile file (TOML) with gateway, dialect and credentials; flags and environment win.
    #[arg(long, value_name = "FILE", env = "TIDEGATE_PROFILE")]
    pub profile: Option<PathBuf>,
    /// Oceanpayment account [default: 995149, the sandbox demo terminal's].
    #[arg(long, env = "TIDEGATE_ACCOUNT")]
    pub account: Option<String>,
    /// Oceanpayment terminal [default: 99514901].
    #[arg(long, env = "TIDEGATE_TERMINAL")]
    pub terminal: Option<String>,
    /// Oceanpayment secureCode [default: 12345678].
    #[arg(long, env = "TIDEGATE_SECURE_CODE", hide_env_values = true)]
    pub secure_code: Option<String>,
    /// PingPong store id [default: 2018092714313010016291, the public sandbox store].
    #[arg(long, env = "TIDEGATE_PINGPONG_ACC_ID")]
    pub acc_id: Option<String>,
    /// PingPong merchant id [default: 2018092714313010016].
    #[arg(long, env = "TIDEGATE_PINGPONG_CLIENT_ID")]
    pub client_id: Option<String>,
    /// PingPong salt [default: F78BC96A55548B2319EE68E0].
    #[arg(long, env = "TIDEGATE_PINGPONG_SALT", hide_env_values = true)]
    pub salt: Option<String>,
    /// PingPong signature algorithm [default: SHA256].
    #[arg(long, value_enum, env = "TIDEGATE_PINGPONG_SIGN_TYPE")]
    pub sign_type: Option<SignTypeArg>,
}

/// The gateway, its dialect and the credentials to use with it.
#[derive(Args, Clone, Debug)]
pub struct GatewayArgs {
    /// The gateway's base URL [default: from the profile, else http://127.0.0.1:8080].
    #[arg(long, value_name = "URL", env = "TIDEGATE_GATEWAY")]
    pub gateway: Option<String>,
    /// The dialect to speak [default: from the profile, else oceanpayment].
    #[arg(long, value_enum, env = "TIDEGATE_DIALECT")]
    pub dialect: Option<Dialect>,
    /// How long one call to the gateway may take, e.g. 40s.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "40s")]
    pub request_timeout: Duration,
    #[command(flatten)]
    pub credentials: CredentialArgs,
}

/// A profile file.
#[derive(Deserialize, Default, Debug)]
#[serde(deny_unknown_fields)]
struct Profile {
    gateway: Option<String>,
    dialect: Option<Dialect>,
    #[serde(default)]
    oceanpayment: OceanpaymentProfile,
    #[serde(default)]
    pingpong: PingPongProfile,
}

#[derive(Deserialize, Default, Debug)]
#[serde(deny_unknown_fields)]
struct OceanpaymentProfile {
    account: Option<String>,
    terminal: Option<String>,
    secure_code: Option<String>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(deny_unknown_fields)]
struct PingPongProfile {
    acc_id: Option<String>,
    client_id: Option<String>,
    salt: Option<String>,
    sign_type: Option<SignTypeArg>,
}

/// Everything resolved: what a till or a notice receiver needs.
pub struct Resolved {
    /// The gateway's base URL.
    pub gateway: String,
    /// The dialect.
    pub dialect: Dialect,
    /// The Oceanpayment terminal.
    pub oceanpayment: oceanpayment::Credentials,
    /// The PingPong store.
    pub pingpong: pingpong::Credentials,
}

impl GatewayArgs {
    /// Flags and environment over the profile over the sandbox defaults.
    pub fn resolve(&self) -> anyhow::Result<Resolved> {
        let (profile, credentials) = self.credentials.resolve_with_profile()?;
        Ok(Resolved {
            gateway: self
                .gateway
                .clone()
                .or(profile.gateway)
                .unwrap_or_else(|| DEFAULT_GATEWAY.to_owned()),
            dialect: self
                .dialect
                .or(profile.dialect)
                .unwrap_or(Dialect::Oceanpayment),
            oceanpayment: credentials.0,
            pingpong: credentials.1,
        })
    }
}

impl CredentialArgs {
    /// Both dialects' credentials.
    pub fn resolve(&self) -> anyhow::Result<(oceanpayment::Credentials, pingpong::Credentials)> {
        Ok(self.resolve_with_profile()?.1)
    }

    fn resolve_with_profile(
        &self,
    ) -> anyhow::Result<(Profile, (oceanpayment::Credentials, pingpong::Credentials))> {
        let profile = match &self.profile {
            Some(path) => read_profile(path)?,
            None => Profile::default(),
        };
        let pick = |flag: &Option<String>, stored: &Option<String>, default: &str| {
            flag.clone()
                .or_else(|| stored.clone())
                .unwrap_or_else(|| default.to_owned())
        };
        let demo = oceanpayment::Credentials::sandbox_demo();
        let ocean = &profile.oceanpayment;
        let oceanpayment = oceanpayment::Credentials::new(
            pick(&self.account, &ocean.account, demo.account()),
            pick(&self.terminal, &ocean.terminal, demo.terminal()),
            pick(&self.secure_code, &ocean.secure_code, "12345678"),
        );
        let store = pingpong::Credentials::sandbox_demo();
        let pp = &profile.pingpong;
        let sign_type = self
            .sign_type
            .or(pp.sign_type)
            .unwrap_or(SignTypeArg::Sha256);
        let pingpong = pingpong::Credentials::new(
            pick(&self.acc_id, &pp.acc_id, store.acc_id()),
            pick(&self.client_id, &pp.client_id, store.client_id()),
            pick(&self.salt, &pp.salt, "F78BC96A55548B2319EE68E0"),
        )
        .with_sign_type(sign_type.sign_type());
        Ok((profile, (oceanpayment, pingpong)))
    }
}

fn read_profile(path: &Path) -> anyhow::Result<Profile> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the profile {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("the profile {} is not valid", path.display()))
}

/// Reads `500ms`, `5s`, `2m` or a plain number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit() && c != '.') {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let value: f64 = number
        .parse()
        .map_err(|_| format!("not a duration: {text:?} (try 500ms, 5s or 2m)"))?;
    let seconds = match unit {
        "ms" => value / 1000.0,
        "s" => value,
        "m" | "min" => value * 60.0,
        _ => return Err(format!("unknown unit in {text:?}: use ms, s or m")),
    };
    Duration::try_from_secs_f64(seconds).map_err(|_| format!("not a duration: {text:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("45"), Ok(Duration::from_secs(45)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert!(parse_duration("5h").is_err());
        assert!(parse_duration("fast").is_err());
        assert!(parse_duration("-1s").is_err());
    }

    #[test]
    fn profiles_refuse_unknown_keys() {
        assert!(toml::from_str::<Profile>(
            "gateway = \"http://x\"\n[oceanpayment]\naccount = \"1\"\n"
        )
        .is_ok());
        assert!(toml::from_str::<Profile>("gatway = \"http://x\"\n").is_err());
        assert!(toml::from_str::<Profile>("[pingpong]\nsign_type = \"MD5\"\n").is_ok());
    }
}
