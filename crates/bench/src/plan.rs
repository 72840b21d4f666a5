//! The command line checked and turned into what the load generator needs.

use crate::dialect::{self, Dialect, PaymentParams};
use crate::BenchArgs;
use anyhow::{bail, Context as _};
use std::net::{SocketAddr, ToSocketAddrs as _};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Closed-loop workers when `--connections` is not given: enough concurrent payments for the
/// gateway's group commit to batch, few enough for two cores.
const DEFAULT_CLOSED_CONNECTIONS: usize = 16;

/// Open-loop connection pool when `--connections` is not given. An open loop stands for
/// arrivals that do not wait for each other (10,000 payments a second come from thousands of
/// tills, each on its own connection); a small pool turns it back into a closed loop as soon
/// as rate × latency exceeds it (64 connections at 10,000/s allow 6.4 ms on average). 1,024
/// leave room for 100 ms of stall at that rate before due payments queue in the generator,
/// where they are still timed from their due time.
const DEFAULT_OPEN_CONNECTIONS: usize = 1024;

/// Most connections one run may open: the generator keeps a task and a socket per connection.
const MAX_CONNECTIONS: usize = 10_000;

/// Where the load goes.
pub(crate) enum Target {
    /// A server someone else runs.
    Running {
        /// What was asked for, for the report.
        url: String,
        /// Where to connect.
        addr: SocketAddr,
    },
    /// A server the benchmark starts (and may kill and restart).
    Spawn {
        /// The `tidegate` binary.
        program: PathBuf,
        /// `--config` for the gateway.
        config: Option<PathBuf>,
        /// RUST_LOG for the gateway.
        log: String,
        /// Seconds into the run to SIGKILL it.
        kill_after: Option<Duration>,
        /// Leave the temporary directory behind.
        keep: bool,
    },
}

/// Everything a run needs, checked.
pub(crate) struct Plan {
    /// Where the load goes.
    pub(crate) target: Target,
    /// The API spoken.
    pub(crate) dialect: Arc<dyn Dialect>,
    /// True when driving the bare-HTTP ceiling rather than a gateway.
    pub(crate) ceiling: bool,
    /// Workers (closed loop) or pool size (open loop).
    pub(crate) connections: usize,
    /// Payments per second in the open loop; `None` for the closed loop.
    pub(crate) rate: Option<u64>,
    /// Unmeasured load first.
    pub(crate) warmup: Duration,
    /// The measured window.
    pub(crate) duration: Duration,
    /// Longest wait for one reply.
    pub(crate) timeout: Duration,
    /// For `/admin/stats`; generated for spawned gateways.
    pub(crate) admin_token: Option<String>,
    /// Replay every approved payment afterwards.
    pub(crate) verify_replays: bool,
    /// No progress lines.
    pub(crate) quiet: bool,
}

impl Plan {
    /// Checks the arguments and builds the plan; fails on combinations that cannot run.
    pub(crate) fn from_args(args: BenchArgs) -> anyhow::Result<Plan> {
        let (account, terminal, secret) = dialect::demo_credentials(args.dialect);
        let params = PaymentParams {
            account: args.account.unwrap_or_else(|| account.to_owned()),
            terminal: args.terminal.unwrap_or_else(|| terminal.to_owned()),
            secure_code: args.secure_code.unwrap_or_else(|| secret.to_owned()),
            payment_code: args.payment_code,
            currency: args.currency,
            amount: args.amount,
            order_prefix: order_prefix()?,
        };
        let mut dialect = dialect::build(args.dialect, &params)?;
        if args.ceiling {
            dialect = Arc::new(dialect::Ceiling::new(dialect));
        }
        if args.rate == Some(0) {
            bail!("--rate must be at least 1 payment per second");
        }
        let connections = args.connections.unwrap_or(if args.rate.is_some() {
            DEFAULT_OPEN_CONNECTIONS
        } else {
            DEFAULT_CLOSED_CONNECTIONS
        });
        if connections == 0 || connections > MAX_CONNECTIONS {
            bail!("--connections must be between 1 and {MAX_CONNECTIONS}");
        }
        if args.duration.is_zero() {
            bail!("--duration must be more than zero");
        }
        if let Some(kill_after) = args.kill_after {
            if kill_after >= args.warmup + args.duration {
                bail!("--kill-after must fall inside the run (warm-up plus duration)");
            }
        }
        let (target, admin_token) = if let Some(program) = args.spawn {
            let target = Target::Spawn {
                program,
                config: args.server_config,
                log: args.server_log,
                kill_after: args.kill_after,
                keep: args.keep,
            };
            (target, (!args.ceiling).then(random_token).transpose()?)
        } else {
            let addr = resolve(&args.url)?;
            (
                Target::Running {
                    url: args.url,
                    addr,
                },
                args.admin_token.filter(|_| !args.ceiling),
            )
        };
        Ok(Plan {
            target,
            dialect,
            ceiling: args.ceiling,
            connections,
            rate: args.rate,
            warmup: args.warmup,
            duration: args.duration,
            timeout: args.timeout,
            admin_token,
            verify_replays: (args.verify_replays || args.kill_after.is_some()) && !args.ceiling,
            quiet: args.quiet,
        })
    }
}

/// The socket address of an `http://HOST:PORT[/]` URL.
fn resolve(url: &str) -> anyhow::Result<SocketAddr> {
    let Some(rest) = url.strip_prefix("http://") else {
        bail!("--url must start with http:// (the benchmark speaks plain HTTP/1.1)");
    };
    let authority = rest.trim_end_matches('/');
    if authority.contains('/') {
        bail!("--url is the gateway's base URL, without a path");
    }
    let with_port = if authority
        .rsplit_once(':')
        .is_some_and(|(_, port)| port.parse::<u16>().is_ok())
    {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    };
    with_port
        .to_socket_addrs()
        .with_context(|| format!("resolving {authority}"))?
        .next()
        .with_context(|| format!("{authority} has no address"))
}

/// A prefix that makes this run's order numbers unique on a gateway that keeps earlier runs'
/// payments (an order number reused within 30 days would be refused as a duplicate).
fn order_prefix() -> anyhow::Result<String> {
    let mut bytes = [0_u8; 5];
    getrandom::getrandom(&mut bytes)
        .map_err(|error| anyhow::anyhow!("no randomness available: {error}"))?;
    Ok(format!("TB{}-", hex::encode_upper(bytes)))
}

/// An admin token for a spawned gateway that nothing else knows.
fn random_token() -> anyhow::Result<String> {
    let mut bytes = [0_u8; 16];
    getrandom::getrandom(&mut bytes)
        .map_err(|error| anyhow::anyhow!("no randomness available: {error}"))?;
    Ok(hex::encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_resolve_with_or_without_a_port() {
        assert_eq!(
            resolve("http://127.0.0.1:9000/").ok(),
            Some(SocketAddr::from(([127, 0, 0, 1], 9000)))
        );
        assert_eq!(
            resolve("http://127.0.0.1").ok(),
            Some(SocketAddr::from(([127, 0, 0, 1], 80)))
        );
        assert!(resolve("https://127.0.0.1").is_err());
        assert!(resolve("http://127.0.0.1:9000/gateway").is_err());
    }

    #[test]
    fn order_prefixes_differ_between_runs() {
        let (first, second) = (order_prefix().ok(), order_prefix().ok());
        assert!(first.is_some());
        assert_ne!(first, second);
    }
}
