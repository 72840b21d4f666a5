//! What a run found, as text for people and JSON for scripts.

use hdrhistogram::Histogram;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Everything one run measured and checked.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// What was driven: a URL, or the binary that was spawned.
    pub target: String,
    /// The API spoken.
    pub dialect: String,
    /// True when the bare-HTTP ceiling was driven instead of a gateway.
    pub ceiling: bool,
    /// `closed` (each connection sends when its reply arrives) or `open` (fixed arrival rate).
    pub mode: String,
    /// Closed-loop workers, or the open loop's connection pool.
    pub connections: usize,
    /// Open loop: payments due per second.
    pub rate: Option<u64>,
    /// Seconds of unmeasured load first.
    pub warmup_s: f64,
    /// Seconds measured.
    pub duration_s: f64,
    /// Successes (approved payments, or ceiling replies) completed in the measured window.
    pub successes_in_window: u64,
    /// Successes per second over the measured window.
    pub throughput_per_s: f64,
    /// Latency of the requests due in the window, in milliseconds: from the moment each was
    /// due (open loop) or sent (closed loop) to its complete reply.
    pub latency_ms: Latencies,
    /// Open loop: from the actual send to the reply, without the wait for a free connection.
    pub service_ms: Option<Latencies>,
    /// Open loop: how late requests left after their due time (the generator's own lag, or
    /// every connection busy).
    pub send_lag_ms: Option<Latencies>,
    /// Second by second from the start (warm-up included): successes completed and the slowest
    /// reply, to see stalls and collapses that percentiles average away.
    pub timeline: Vec<Second>,
    /// Outcomes of every request of the run, warm-up included.
    pub counts: Counts,
    /// Requests whose outcome was unknown (lost reply, timeout, pending, HTTP error) replayed
    /// after the run until final.
    pub resolution: Resolution,
    /// The gateway's approved count against the approved replies.
    pub store: Option<StoreCheck>,
    /// Replaying every approved payment (always with `--kill-after`).
    pub replays: Option<ReplayCheck>,
    /// The SIGKILL and restart.
    pub kill: Option<KillReport>,
    /// A spawned server's memory and CPU.
    pub server: Option<ServerReport>,
    /// CPU the load generator itself used over the window, in cores.
    pub generator_cpu_cores: Option<f64>,
    /// Where it ran.
    pub machine: Machine,
    /// Problems that make the run fail, empty when every check passed.
    pub failures: Vec<String>,
}

/// Percentiles of a latency histogram, in milliseconds.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Latencies {
    /// Requests recorded.
    pub count: u64,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// 99.9th percentile.
    pub p999: f64,
    /// Largest.
    pub max: f64,
    /// Mean.
    pub mean: f64,
}

impl Latencies {
    /// Summarises a histogram of microseconds.
    pub(crate) fn of(histogram: &Histogram<u64>) -> Latencies {
        let ms = |micros: u64| micros_to_ms(micros);
        Latencies {
            count: histogram.len(),
            p50: ms(histogram.value_at_quantile(0.50)),
            p90: ms(histogram.value_at_quantile(0.90)),
            p99: ms(histogram.value_at_quantile(0.99)),
            p999: ms(histogram.value_at_quantile(0.999)),
            max: ms(histogram.max()),
            mean: histogram.mean() / 1000.0,
        }
    }
}

/// One second of a run.
#[derive(Debug, Clone, Serialize)]
pub struct Second {
    /// Seconds since the start of the load at which this second begins (0 is the first).
    pub at_s: u64,
    /// Successes completed in this second.
    pub successes: u64,
    /// The slowest reply completed in this second, in milliseconds.
    pub max_latency_ms: f64,
}

/// Microseconds as milliseconds.
#[allow(
    clippy::cast_precision_loss,
    reason = "latencies stay far below 2^52 microseconds"
)]
pub(crate) fn micros_to_ms(micros: u64) -> f64 {
    micros as f64 / 1000.0
}

/// What happened to the requests of a run (warm-up included).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Counts {
    /// Requests put on the wire.
    pub sent: u64,
    /// Replies saying approved.
    pub approved: u64,
    /// Ceiling: replies with HTTP 200.
    pub answered: u64,
    /// Replies saying refused or declined, by code.
    pub refused: BTreeMap<String, u64>,
    /// Replies saying pending.
    pub pending: u64,
    /// Replies with an HTTP status other than 200, by status.
    pub http_errors: BTreeMap<u16, u64>,
    /// Connections that failed or closed with a request in flight.
    pub transport_errors: u64,
    /// Requests with no reply within `--timeout`.
    pub timeouts: u64,
    /// Failed attempts to connect (e.g. while a killed gateway restarts).
    pub connect_errors: u64,
    /// Replies that could not be read or were about another order, by reason.
    pub unusable: BTreeMap<String, u64>,
    /// Signed replies whose signature did not verify.
    pub signature_failures: u64,
    /// Of those, approved replies.
    pub approved_signature_failures: u64,
}

impl Counts {
    /// Every kind of failed request, except refusals (which are answers).
    pub fn errors(&self) -> u64 {
        self.http_errors.values().sum::<u64>()
            + self.transport_errors
            + self.timeouts
            + self.unusable.values().sum::<u64>()
            + self.signature_failures
    }
}

/// Replaying the requests whose outcome a run did not learn.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Resolution {
    /// Requests that needed it.
    pub needed: u64,
    /// Found approved.
    pub approved: u64,
    /// Found refused or declined.
    pub refused: u64,
    /// Still without a final answer when the resolution gave up.
    pub unresolved: u64,
}

/// The gateway's count of approved payments, before and after.
#[derive(Debug, Clone, Serialize)]
pub struct StoreCheck {
    /// Approved payments in the store before the run.
    pub approved_before: u64,
    /// After the run and the resolution.
    pub approved_after: u64,
    /// Approved replies received, the resolution's included.
    pub approved_replies: u64,
    /// True when the store gained exactly as many approved payments as replies said.
    pub matches: bool,
}

/// Every approved payment's request sent again.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ReplayCheck {
    /// Approved payments replayed.
    pub replayed: u64,
    /// Answered with the same payment_id, approved.
    pub confirmed: u64,
    /// Answered with another payment_id or another status (lost or changed payments).
    pub mismatched: u64,
    /// No usable answer.
    pub failed: u64,
    /// Seconds the replays took.
    pub seconds: f64,
}

/// The SIGKILL in the middle of the run.
#[derive(Debug, Clone, Serialize)]
pub struct KillReport {
    /// Seconds into the run it was sent.
    pub at_s: f64,
    /// Milliseconds from the SIGKILL to the restarted gateway listening.
    pub restart_ms: f64,
}

/// A spawned server's resources.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ServerReport {
    /// Resident memory after start-up, before any load, in KiB.
    pub rss_idle_kib: Option<u64>,
    /// Highest resident memory seen during the run, in KiB.
    pub rss_peak_kib: Option<u64>,
    /// Resident memory a second after the load stopped, in KiB.
    pub rss_after_kib: Option<u64>,
    /// CPU the server used over the measured window, in cores (2.0 = both of two cores).
    pub cpu_cores: Option<f64>,
}

/// The machine.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Machine {
    /// CPUs this process may use.
    pub cpus: usize,
    /// From /proc/cpuinfo.
    pub cpu_model: String,
    /// Total memory.
    pub memory_kib: Option<u64>,
    /// Kernel release.
    pub kernel: String,
    /// 1-, 5- and 15-minute load before the run: other work on the machine skews results.
    pub load_average_at_start: String,
}

impl Report {
    /// True when every check passed.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }

    /// The report for people.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let what = if self.ceiling {
            "replies"
        } else {
            "approved payments"
        };
        let mode = match self.rate {
            Some(rate) => format!("open loop, {rate}/s over {} connections", self.connections),
            None => format!("closed loop, {} connections", self.connections),
        };
        let _ = writeln!(
            out,
            "tidegate bench: {}{} against {}, {mode}, {:.0} s measured after {:.0} s warm-up",
            self.dialect,
            if self.ceiling {
                " requests (ceiling)"
            } else {
                ""
            },
            self.target,
            self.duration_s,
            self.warmup_s
        );
        let _ = writeln!(
            out,
            "  throughput      {:.0} {what}/s ({} in the window)",
            self.throughput_per_s, self.successes_in_window
        );
        let latency_note = if self.rate.is_some() {
            "from each request's due time"
        } else {
            "from send"
        };
        line(&mut out, "latency", &self.latency_ms, latency_note);
        if let Some(service) = &self.service_ms {
            line(&mut out, "service time", service, "from the actual send");
        }
        if let Some(lag) = &self.send_lag_ms {
            line(&mut out, "send lag", lag, "actual send after due time");
        }
        let measured: Vec<&Second> = self
            .timeline
            .iter()
            .filter(|second| {
                // Whole seconds inside the measured window only: the first and last are partial.
                let begins = seconds(second.at_s);
                begins >= self.warmup_s && begins + 1.0 <= self.warmup_s + self.duration_s
            })
            .collect();
        if let (Some(slowest), Some(fastest)) = (
            measured.iter().min_by_key(|second| second.successes),
            measured.iter().max_by_key(|second| second.successes),
        ) {
            let _ = writeln!(
                out,
                "  per second      {} to {} {what} (slowest second {}, whose worst reply took {:.1} ms)",
                slowest.successes, fastest.successes, slowest.at_s, slowest.max_latency_ms
            );
        }
        let counts = &self.counts;
        let refused: u64 = counts.refused.values().sum();
        let _ = writeln!(
            out,
            "  requests        {} sent: {} approved, {} answered, {refused} refused ({}), {} pending",
            counts.sent,
            counts.approved,
            counts.answered,
            listed(&counts.refused),
            counts.pending
        );
        let _ = writeln!(
            out,
            "  errors          {}: HTTP ({}), transport {}, timeouts {}, unreadable ({}), bad signatures {} ({} approved); connect failures {}",
            counts.errors(),
            listed(&counts.http_errors),
            counts.transport_errors,
            counts.timeouts,
            listed(&counts.unusable),
            counts.signature_failures,
            counts.approved_signature_failures,
            counts.connect_errors
        );
        self.render_checks(&mut out);
        let machine = &self.machine;
        let _ = writeln!(
            out,
            "  machine         {} CPUs, {}, kernel {}, load average at start {}",
            machine.cpus, machine.cpu_model, machine.kernel, machine.load_average_at_start
        );
        if self.failures.is_empty() {
            let _ = writeln!(out, "  checks          passed");
        } else {
            for failure in &self.failures {
                let _ = writeln!(out, "  FAILED          {failure}");
            }
        }
        out
    }
}

impl Report {
    /// The lines about what was checked and what the server used.
    fn render_checks(&self, out: &mut String) {
        let resolution = &self.resolution;
        if resolution.needed > 0 {
            let _ = writeln!(
                out,
                "  resolved        {} unknown outcomes replayed: {} approved, {} refused, {} unresolved",
                resolution.needed, resolution.approved, resolution.refused, resolution.unresolved
            );
        }
        match &self.store {
            Some(store) => {
                let _ = writeln!(
                    out,
                    "  store           approved {} -> {} (+{}), approved replies {}: {}",
                    store.approved_before,
                    store.approved_after,
                    store.approved_after.saturating_sub(store.approved_before),
                    store.approved_replies,
                    if store.matches { "match" } else { "MISMATCH" }
                );
            }
            None if !self.ceiling => {
                let _ = writeln!(
                    out,
                    "  store           not checked (pass --admin-token, or use --spawn)"
                );
            }
            None => {}
        }
        if let Some(kill) = &self.kill {
            let _ = writeln!(
                out,
                "  kill            SIGKILL at {:.1} s, listening again after {:.0} ms",
                kill.at_s, kill.restart_ms
            );
        }
        if let Some(replays) = &self.replays {
            let _ = writeln!(
                    out,
                    "  replays         {} approved payments replayed in {:.1} s: {} same payment approved, {} mismatched, {} failed",
                    replays.replayed, replays.seconds, replays.confirmed, replays.mismatched, replays.failed
                );
        }
        if let Some(server) = &self.server {
            let mb = |kib: Option<u64>| {
                kib.map_or_else(|| "?".to_owned(), |kib| format!("{:.1} MB", kib_to_mb(kib)))
            };
            let cpu = server
                .cpu_cores
                .map_or_else(|| "?".to_owned(), |cores| format!("{cores:.2}"));
            let _ = writeln!(
                out,
                "  server          RSS idle {}, peak {}, after {}; CPU {cpu} cores",
                mb(server.rss_idle_kib),
                mb(server.rss_peak_kib),
                mb(server.rss_after_kib)
            );
        }
        if let Some(cores) = self.generator_cpu_cores {
            let _ = writeln!(out, "  load generator  CPU {cores:.2} cores");
        }
    }
}

/// `key: count, ...`, or `none`.
fn listed<K: std::fmt::Display>(counts: &BTreeMap<K, u64>) -> String {
    if counts.is_empty() {
        return "none".to_owned();
    }
    counts
        .iter()
        .map(|(key, count)| format!("{key}: {count}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One latency line.
fn line(out: &mut String, name: &str, latencies: &Latencies, note: &str) {
    let _ = writeln!(
        out,
        "  {name:<15} ms  p50 {:.3}  p90 {:.3}  p99 {:.3}  p99.9 {:.3}  max {:.3}  ({note})",
        latencies.p50, latencies.p90, latencies.p99, latencies.p999, latencies.max
    );
}

/// Whole seconds as a float.
#[allow(
    clippy::cast_precision_loss,
    reason = "run lengths stay far below 2^52 seconds"
)]
fn seconds(whole: u64) -> f64 {
    whole as f64
}

/// KiB as (decimal) megabytes.
#[allow(
    clippy::cast_precision_loss,
    reason = "memory sizes stay far below 2^52 KiB"
)]
fn kib_to_mb(kib: u64) -> f64 {
    kib as f64 * 1024.0 / 1_000_000.0
}
