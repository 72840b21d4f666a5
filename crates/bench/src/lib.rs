//! `tidegate bench`: drives a gateway over HTTP with signed customer-presented payments and
//! reports what a till would see (approved payments per second, latency) and whether anything
//! was lost (every reply's signature, the store's approved count, and with `--kill-after`,
//! every approved payment surviving a SIGKILL).
//!
//! Two ways to load a gateway:
//!
//! - **closed loop** (default): `--connections N` workers, each with one keep-alive HTTP/1
//!   connection, each sending its next payment as soon as the previous reply arrives;
//! - **open loop** (`--rate R`): payments are due at fixed intervals whatever the gateway does,
//!   spread over a pool of `--connections` connections, and each latency is measured from the
//!   payment's *due* time, so a stalled gateway shows up as latency instead of as fewer
//!   requests (coordinated omission).
//!
//! The load generator runs on one thread of its own with a current-thread runtime, because it
//! shares the machine with the gateway it measures: whatever it spends is taken from the
//! gateway. `tidegate bench ceiling` serves a fixed reply over bare hyper, so that a run against
//! it (`--ceiling`) tells what HTTP alone allows on the same machine.

mod ceiling;
mod client;
mod dialect;
mod load;
mod plan;
mod probe;
mod report;
mod spawned;

pub use report::{
    Counts, KillReport, Latencies, Machine, ReplayCheck, Report, Resolution, ServerReport,
    StoreCheck,
};

use anyhow::Context as _;
use clap::{Args, Subcommand, ValueEnum};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// `tidegate bench`: measure a gateway under load, or (`tidegate bench ceiling`) serve the
/// bare-HTTP ceiling to compare it with.
#[derive(Debug, Clone, Args)]
#[command(args_conflicts_with_subcommands = true)]
#[allow(clippy::struct_excessive_bools, reason = "command-line switches")]
pub struct BenchArgs {
    /// Instead of measuring, serve the bare-HTTP ceiling.
    #[command(subcommand)]
    pub mode: Option<BenchMode>,

    /// Base URL of a running gateway (plain http).
    #[arg(
        long,
        value_name = "URL",
        default_value = "http://127.0.0.1:8080",
        conflicts_with = "spawn"
    )]
    pub url: String,

    /// Start `PATH serve` (or with --ceiling, `PATH bench ceiling`) on a temporary database
    /// and port, measure it, and sample its memory and CPU.
    #[arg(long, value_name = "PATH")]
    pub spawn: Option<PathBuf>,

    /// With --spawn: SIGKILL the gateway this many seconds into the run, restart it on the same
    /// database, and check that every payment whose approval was received survived.
    #[arg(long, value_name = "SECS", requires = "spawn", conflicts_with = "ceiling", value_parser = parse_duration)]
    pub kill_after: Option<Duration>,

    /// The API to drive.
    #[arg(long, value_enum, default_value_t = DialectName::Oceanpayment)]
    pub dialect: DialectName,

    /// Closed loop: the number of workers, one connection each. Open loop: the connection
    /// pool that due payments are sent over [default: 16 closed, 1024 open].
    #[arg(long, value_name = "N")]
    pub connections: Option<usize>,

    /// Open loop: payments per second, each due at a fixed time whatever the gateway does.
    #[arg(long, value_name = "PER_SEC")]
    pub rate: Option<u64>,

    /// How long to measure, after the warm-up (`60`, `60s`, `500ms`, `2m`).
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = parse_duration)]
    pub duration: Duration,

    /// Load sent before measuring starts, not counted in latency or throughput.
    #[arg(long, value_name = "SECS", default_value = "2", value_parser = parse_duration)]
    pub warmup: Duration,

    /// Print the report as JSON on stdout (progress still goes to stderr unless --quiet).
    #[arg(long)]
    pub json: bool,

    /// No progress lines on stderr.
    #[arg(long)]
    pub quiet: bool,

    /// The gateway's admin token, to compare its approved count before and after the run
    /// (`GET /admin/stats`). Not needed with --spawn.
    #[arg(
        long,
        value_name = "TOKEN",
        env = "TIDEGATE_ADMIN_TOKEN",
        hide_env_values = true
    )]
    pub admin_token: Option<String>,

    /// Drive the bare-HTTP ceiling (`tidegate bench ceiling`) instead of a gateway: the same
    /// requests, every HTTP 200 counted as a success, no reply checks.
    #[arg(long)]
    pub ceiling: bool,

    /// After the run, replay every approved payment's identical request and check that it
    /// returns the same payment_id (PingPong: transactionId), approved (always done with
    /// --kill-after).
    #[arg(long)]
    pub verify_replays: bool,

    /// Merchant account of the paying terminal; with --dialect pingpong, the store's clientId
    /// [default: the sandbox demo terminal's, 995149, or the PingPong sandbox store's,
    /// 2018092714313010016].
    #[arg(long)]
    pub account: Option<String>,

    /// The paying terminal; with --dialect pingpong, the store's accId [default: 99514901, or
    /// 2018092714313010016291].
    #[arg(long)]
    pub terminal: Option<String>,

    /// The terminal's secureCode; with --dialect pingpong, the store's salt [default: the
    /// sandbox demo terminal's, or the PingPong sandbox store's].
    #[arg(long, env = "TIDEGATE_SECURE_CODE", hide_env_values = true)]
    pub secure_code: Option<String>,

    /// The customer's payment code; the sandbox approves codes ending 0000.
    #[arg(long, value_name = "CODE", default_value = "134567890123450000")]
    pub payment_code: String,

    /// The currency of every payment (order_currency, or bizContent.currency).
    #[arg(long, default_value = "CNY")]
    pub currency: String,

    /// The amount of every payment (order_amount, or bizContent.amount), exactly as sent.
    #[arg(long, default_value = "12.30")]
    pub amount: String,

    /// Give up on one request after this long; it is then resolved by replaying it.
    #[arg(long, value_name = "SECS", default_value = "30", value_parser = parse_duration)]
    pub timeout: Duration,

    /// With --spawn: a config file for the gateway (`--config`).
    #[arg(long, value_name = "FILE", requires = "spawn")]
    pub server_config: Option<PathBuf>,

    /// With --spawn: the gateway's RUST_LOG. `tidegate serve` logs every payment at `info`.
    #[arg(
        long,
        value_name = "FILTER",
        default_value = "info",
        requires = "spawn"
    )]
    pub server_log: String,

    /// With --spawn: keep the temporary database directory (and the gateway's log) and print
    /// where it is.
    #[arg(long, requires = "spawn")]
    pub keep: bool,
}

/// What `tidegate bench` does instead of measuring.
#[derive(Debug, Clone, Subcommand)]
pub enum BenchMode {
    /// Serve a fixed Oceanpayment-sized XML reply to every request over bare hyper HTTP/1,
    /// the most any gateway could answer on this machine; measure it with `--ceiling`.
    Ceiling(CeilingArgs),
}

/// `tidegate bench ceiling`.
#[derive(Debug, Clone, Args)]
pub struct CeilingArgs {
    /// Address to listen on (port 0 picks one); the first stdout line names it.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8090")]
    pub listen: SocketAddr,
}

/// The merchant APIs the benchmark can speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DialectName {
    /// `POST /gateway/directservice/pay`, form-encoded, SHA-256 signatures, XML replies.
    Oceanpayment,
    /// PingPong Checkout v4: `POST /v4/payment/unifiedPay`, JSON envelopes signed with SHA-256
    /// over the salt and sorted fields, JSON replies.
    Pingpong,
}

/// Runs `tidegate bench` as the command line asked: prints the report (text, or JSON with
/// `--json`) and exits with failure when a check failed (a bad signature, a lost or extra
/// payment, an unresolved request).
pub async fn run(args: BenchArgs) -> anyhow::Result<ExitCode> {
    if let Some(BenchMode::Ceiling(ceiling)) = &args.mode {
        ceiling::serve(ceiling.listen).await?;
        return Ok(ExitCode::SUCCESS);
    }
    let json = args.json;
    let report = measure(args).await?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).context("encoding the report")?
        );
    } else {
        print!("{}", report.render());
    }
    Ok(if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Runs the benchmark `args` describe and returns its report without printing it (progress
/// lines still go to stderr unless `quiet`).
///
/// The load generator gets a thread and a current-thread runtime of its own whatever runtime
/// calls this, so it never competes with the caller's tasks and never uses more than one core.
pub async fn measure(args: BenchArgs) -> anyhow::Result<Report> {
    let plan = plan::Plan::from_args(args)?;
    let (sender, receiver) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("tidegate-bench".to_owned())
        .spawn(move || {
            let result = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .context("starting the load generator's runtime")
                .and_then(|runtime| {
                    tokio::task::LocalSet::new().block_on(&runtime, load::run(plan))
                });
            // The caller may have stopped waiting; then nobody wants the report.
            drop(sender.send(result));
        })
        .context("starting the load generator's thread")?;
    receiver
        .await
        .context("the load generator stopped without a report")?
}

/// Parses `60`, `60s`, `1.5`, `500ms` or `2m` as a duration.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, scale) = if let Some(ms) = text.strip_suffix("ms") {
        (ms, 0.001)
    } else if let Some(s) = text.strip_suffix('s') {
        (s, 1.0)
    } else if let Some(m) = text.strip_suffix('m') {
        (m, 60.0)
    } else {
        (text, 1.0)
    };
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a duration like 60, 60s, 500ms or 2m"))?;
    Duration::try_from_secs_f64(value * scale)
        .map_err(|_| format!("{text:?} is not a duration of zero or more"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_seconds_by_default_and_common_units() {
        assert_eq!(parse_duration("60"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert!(parse_duration("-1").is_err());
        assert!(parse_duration("soon").is_err());
    }
}
