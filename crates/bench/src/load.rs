//! The load generator and the accounting around it.
//!
//! A run: start (or find) the server, note its approved count, load it for warm-up plus
//! duration (optionally killing and restarting it), replay every request whose outcome was
//! not learnt until it is final, compare the approved count, and with `verify_replays` replay
//! every approved payment. Everything runs on one thread: shared state is `Rc`/`Cell`/`RefCell`
//! and no lock is ever taken on the request path.

use crate::client::{self, Connection, RequestTemplate};
use crate::dialect::{Dialect, Verdict};
use crate::plan::{Plan, Target};
use crate::probe;
use crate::report::{
    micros_to_ms, Counts, KillReport, Latencies, ReplayCheck, Report, Resolution, Second,
    ServerReport, StoreCheck,
};
use crate::spawned::{Program, Spawned};
use anyhow::{bail, Context as _};
use bytes::{Bytes, BytesMut};
use hdrhistogram::Histogram;
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;

/// How early an open-loop request may leave. The runtime's timer counts whole milliseconds
/// and rounds both the deadline (up) and the present (down), so a sleep ends up to about two
/// milliseconds after its deadline. Sleeping until two milliseconds before the due time makes
/// requests leave a little early (their latency is then measured from the actual send)
/// instead of late, which would add the timer's error to every measurement.
const EARLY: Duration = Duration::from_millis(2);

/// First wait before reconnecting to a server that refused; doubles up to [`MAX_BACKOFF`].
const RECONNECT_BACKOFF: Duration = Duration::from_millis(2);

/// Longest wait between connection attempts, short so a restarted gateway is found quickly.
const MAX_BACKOFF: Duration = Duration::from_millis(50);

/// How long unknown outcomes are replayed before they count as unresolved: longer than a
/// restarted gateway's resolver needs to settle what a crash left `processing`.
const RESOLVE_FOR: Duration = Duration::from_secs(60);

/// Between replays of a payment that is still pending.
const RESOLVE_RETRY: Duration = Duration::from_millis(200);

/// Connections used to resolve unknown outcomes and to replay approved payments, at most.
const REPLAY_CONNECTIONS: usize = 32;

/// How long a freshly started (or just unloaded) server is left alone before its idle memory
/// is read.
const SETTLE: Duration = Duration::from_secs(1);

/// How often a spawned server's resident memory is read during the run.
const SAMPLE_EVERY: Duration = Duration::from_millis(100);

/// Body space one request needs at most; below it a new arena is taken.
const BODY_ROOM: usize = 1024;

/// Request bodies are cut from arenas this large, so a request costs no allocation of its own.
const BODY_ARENA: usize = 64 * 1024;

/// The histograms' range: 1 µs to one hour, 3 significant digits.
const MAX_LATENCY_US: u64 = 3_600_000_000;

/// When the run's phases begin and end.
#[derive(Clone, Copy)]
struct Window {
    /// Load starts.
    start: Instant,
    /// Measuring starts (after the warm-up).
    measure_from: Instant,
    /// No request is sent (or due) from here on.
    stop_at: Instant,
}

/// The state every task of the run shares.
struct Shared {
    /// Writes requests and reads replies.
    dialect: Arc<dyn Dialect>,
    /// Method, path and headers.
    template: RequestTemplate,
    /// Where to connect; changes when a killed gateway restarts on another port.
    target: Cell<SocketAddr>,
    /// The next payment's sequence number.
    next_seq: Cell<u64>,
    /// Open loop: payments due per second.
    rate: Option<u64>,
    /// The phases.
    window: Window,
    /// Longest wait for a reply.
    timeout: Duration,
    /// Remember approved payments, to replay them.
    keep_approved: bool,
    /// What happened so far.
    tally: RefCell<Tally>,
}

/// Counters and histograms.
struct Tally {
    /// From due (open loop) or send (closed loop) to reply, µs.
    latency: Histogram<u64>,
    /// From actual send to reply, µs (open loop).
    service: Histogram<u64>,
    /// From due to actual send, µs (open loop).
    lag: Histogram<u64>,
    /// Outcomes.
    counts: Counts,
    /// Successes completed inside the measured window.
    successes_in_window: u64,
    /// All successes, for the progress line.
    successes: u64,
    /// Second by second since the start, by completion time.
    seconds: Vec<Second>,
    /// Payments whose outcome is not known yet.
    unknown: Vec<u64>,
    /// Approved payments: sequence number and payment id.
    approved: Vec<(u64, Box<str>)>,
}

/// How one request went.
enum Exchange {
    /// A complete HTTP reply.
    Reply {
        /// Its status.
        status: u16,
        /// Its body.
        body: Bytes,
    },
    /// The connection failed with the request in flight: it may or may not have been taken.
    Transport,
    /// No reply within the timeout: it may or may not have been taken.
    Timeout,
    /// No connection could be made: nothing was sent.
    NotSent,
}

/// Runs the whole benchmark on the current (single-threaded) runtime.
pub(crate) async fn run(plan: Plan) -> anyhow::Result<Report> {
    let machine = probe::machine();
    let (spawned, target_name) = match &plan.target {
        Target::Running { url, .. } => (None, url.clone()),
        Target::Spawn {
            program,
            config,
            log,
            ..
        } => {
            let which = if plan.ceiling {
                Program::Ceiling
            } else {
                Program::Gateway {
                    config: config.clone(),
                    log: log.clone(),
                    admin_token: plan.admin_token.clone(),
                }
            };
            let path = program.clone();
            let spawned = tokio::task::spawn_blocking(move || Spawned::start(&path, which))
                .await
                .context("starting the server")??;
            (Some(spawned), format!("{} (spawned)", program.display()))
        }
    };
    let addr = match (&plan.target, &spawned) {
        (_, Some(spawned)) => spawned.addr(),
        (Target::Running { addr, .. }, None) => *addr,
        (Target::Spawn { .. }, None) => bail!("the spawned server is missing"),
    };
    let pid = Rc::new(Cell::new(spawned.as_ref().map(Spawned::pid)));
    let server = Rc::new(RefCell::new(spawned));
    let result = measure(&plan, addr, &server, &pid, target_name, machine).await;
    let mut spawned = server.borrow_mut().take();
    if let Some(spawned) = spawned.as_mut() {
        if !result.as_ref().is_ok_and(Report::passed) {
            let tail = spawned.log_tail();
            if !tail.is_empty() {
                eprintln!("tidegate bench: the end of the server's log:\n{tail}");
            }
        }
        // Only when asked: otherwise the directory (database, log) goes with `spawned`.
        if matches!(plan.target, Target::Spawn { keep: true, .. }) {
            if let Some(dir) = spawned.keep() {
                eprintln!(
                    "tidegate bench: kept the server's data and log in {}",
                    dir.display()
                );
            }
        }
    }
    result
}

/// Everything after the server is up.
async fn measure(
    plan: &Plan,
    addr: SocketAddr,
    server: &Rc<RefCell<Option<Spawned>>>,
    pid: &Rc<Cell<Option<u32>>>,
    target_name: String,
    machine: crate::report::Machine,
) -> anyhow::Result<Report> {
    let host = match &plan.target {
        Target::Running { url, .. } => url
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned(),
        Target::Spawn { .. } => addr.to_string(),
    };
    let rss_idle = if let Some(pid) = pid.get() {
        tokio::time::sleep(SETTLE).await;
        probe::status_kib(pid, "VmRSS")
    } else {
        None
    };
    let approved_before = match &plan.admin_token {
        Some(token) => Some(approved_in_store(addr, &host, token).await?),
        None => None,
    };
    let shared = Rc::new(Shared::new(plan, addr, &host)?);
    let rss_peak = Rc::new(Cell::new(0_u64));
    let sampler = pid
        .get()
        .map(|_| tokio::task::spawn_local(sample_rss(Rc::clone(pid), Rc::clone(&rss_peak))));
    let loaded = load(plan, &shared, server, pid).await?;

    let unknown = std::mem::take(&mut shared.tally.borrow_mut().unknown);
    let resolution = resolve(&shared, unknown).await;
    let approved_replies = shared.tally.borrow().counts.approved + resolution.approved;
    let store = match (&plan.admin_token, approved_before) {
        (Some(token), Some(before)) => {
            let after = approved_in_store(shared.target.get(), &host, token).await?;
            Some(StoreCheck {
                approved_before: before,
                approved_after: after,
                approved_replies,
                matches: after.checked_sub(before) == Some(approved_replies),
            })
        }
        (Some(_) | None, _) => None,
    };
    let replays = if plan.verify_replays {
        let approved = std::mem::take(&mut shared.tally.borrow_mut().approved);
        Some(replay_approved(&shared, approved, plan.connections).await)
    } else {
        None
    };
    let server_report = if let Some(current) = pid.get() {
        tokio::time::sleep(SETTLE).await;
        if let Some(sampler) = sampler {
            sampler.abort();
        }
        let peak = rss_peak
            .get()
            .max(probe::status_kib(current, "VmHWM").unwrap_or(0));
        Some(ServerReport {
            rss_idle_kib: rss_idle,
            rss_peak_kib: (peak > 0).then_some(peak),
            rss_after_kib: probe::status_kib(current, "VmRSS"),
            cpu_cores: loaded.server_cpu.filter(|_| loaded.kill.is_none()),
        })
    } else {
        None
    };

    let tally = shared.tally.borrow();
    let open = plan.rate.is_some();
    let mut report = Report {
        target: target_name,
        dialect: plan.dialect.name().to_owned(),
        ceiling: plan.ceiling,
        mode: if open { "open" } else { "closed" }.to_owned(),
        connections: plan.connections,
        rate: plan.rate,
        warmup_s: plan.warmup.as_secs_f64(),
        duration_s: plan.duration.as_secs_f64(),
        successes_in_window: tally.successes_in_window,
        throughput_per_s: per_second(tally.successes_in_window, plan.duration),
        latency_ms: Latencies::of(&tally.latency),
        service_ms: open.then(|| Latencies::of(&tally.service)),
        send_lag_ms: open.then(|| Latencies::of(&tally.lag)),
        timeline: tally.seconds.clone(),
        counts: tally.counts.clone(),
        resolution,
        store,
        replays,
        kill: loaded.kill,
        server: server_report,
        generator_cpu_cores: loaded.generator_cpu,
        machine,
        failures: Vec::new(),
    };
    report.failures = failures(&report);
    Ok(report)
}

/// What the load phase found besides the tally.
struct Loaded {
    /// The SIGKILL, if one was sent.
    kill: Option<KillReport>,
    /// Cores the server used over the window.
    server_cpu: Option<f64>,
    /// Cores the load generator used over the window.
    generator_cpu: Option<f64>,
}

/// The load itself: workers for warm-up plus duration, progress lines, CPU accounting and the
/// SIGKILL; returns once every worker has its last reply (or gave up on it).
async fn load(
    plan: &Plan,
    shared: &Rc<Shared>,
    server: &Rc<RefCell<Option<Spawned>>>,
    pid: &Rc<Cell<Option<u32>>>,
) -> anyhow::Result<Loaded> {
    let window = shared.window;
    let workers: Vec<JoinHandle<()>> = (0..plan.connections)
        .map(|_| tokio::task::spawn_local(worker(Rc::clone(shared))))
        .collect();
    let progress =
        (!plan.quiet).then(|| tokio::task::spawn_local(progress(Rc::clone(shared), plan.ceiling)));
    let cpu = tokio::task::spawn_local(cpu_over(window, Rc::clone(pid)));
    let killer = match &plan.target {
        Target::Spawn {
            kill_after: Some(after),
            ..
        } => Some(tokio::task::spawn_local(kill_and_restart(
            Rc::clone(server),
            Rc::clone(shared),
            Rc::clone(pid),
            window.start + *after,
        ))),
        Target::Spawn {
            kill_after: None, ..
        }
        | Target::Running { .. } => None,
    };
    for worker in workers {
        worker.await.context("a load worker failed")?;
    }
    if let Some(progress) = progress {
        progress.abort();
    }
    let kill = match killer {
        Some(killer) => Some(killer.await.context("the kill task failed")??),
        None => None,
    };
    let (server_cpu, generator_cpu) = cpu.await.context("the CPU sampler failed")?;
    Ok(Loaded {
        kill,
        server_cpu,
        generator_cpu,
    })
}

/// What makes the run fail.
fn failures(report: &Report) -> Vec<String> {
    let mut failures = Vec::new();
    let counts = &report.counts;
    if counts.approved + counts.answered == 0 {
        failures.push("no request succeeded".to_owned());
    }
    if counts.signature_failures > 0 {
        failures.push(format!(
            "{} replies ({} of them approved) carry a signature that does not verify",
            counts.signature_failures, counts.approved_signature_failures
        ));
    }
    let unusable: u64 = counts.unusable.values().sum();
    if unusable > 0 {
        failures.push(format!(
            "{unusable} replies could not be read: {:?}",
            counts.unusable
        ));
    }
    if report.resolution.unresolved > 0 {
        failures.push(format!(
            "{} requests never got a final answer",
            report.resolution.unresolved
        ));
    }
    if let Some(store) = report.store.as_ref().filter(|store| !store.matches) {
        failures.push(format!(
            "the store gained {} approved payments, the replies said {}",
            i128::from(store.approved_after) - i128::from(store.approved_before),
            store.approved_replies
        ));
    }
    if let Some(replays) = report
        .replays
        .as_ref()
        .filter(|replays| replays.confirmed != replays.replayed)
    {
        failures.push(format!(
            "{} of {} approved payments did not replay as the same approved payment ({} mismatched, {} failed)",
            replays.replayed - replays.confirmed,
            replays.replayed,
            replays.mismatched,
            replays.failed
        ));
    }
    failures
}

/// `count` per second of `over`.
#[allow(
    clippy::cast_precision_loss,
    reason = "request counts stay far below 2^52"
)]
fn per_second(count: u64, over: Duration) -> f64 {
    count as f64 / over.as_secs_f64()
}

/// One connection's worth of load: claim the next payment, wait for its due time (open loop),
/// send it, record the outcome; until the window closes.
async fn worker(shared: Rc<Shared>) {
    let mut connection = None;
    let mut buffer = BytesMut::new();
    let give_up = shared.window.stop_at + shared.timeout;
    loop {
        let seq = shared.next_seq.get();
        shared.next_seq.set(seq + 1);
        let due = if let Some(rate) = shared.rate {
            let due = shared.window.start + slot(seq, rate);
            if due >= shared.window.stop_at {
                return;
            }
            if let Some(wake) = due.checked_sub(EARLY).filter(|wake| *wake > Instant::now()) {
                tokio::time::sleep_until(wake.into()).await;
            }
            due
        } else {
            let now = Instant::now();
            if now >= shared.window.stop_at {
                return;
            }
            now
        };
        let (sent, exchange) = shared
            .exchange(&mut connection, &mut buffer, seq, give_up)
            .await;
        shared.record(seq, due, sent, Instant::now(), exchange);
    }
}

/// When payment `seq` is due after the start, at `rate` per second.
fn slot(seq: u64, rate: u64) -> Duration {
    let nanos = u128::from(seq) * 1_000_000_000 / u128::from(rate);
    Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
}

impl Shared {
    /// The state of a run starting now against `addr`.
    fn new(plan: &Plan, addr: SocketAddr, host: &str) -> anyhow::Result<Shared> {
        let start = Instant::now();
        let histogram =
            || Histogram::new_with_bounds(1, MAX_LATENCY_US, 3).context("creating a histogram");
        Ok(Shared {
            template: RequestTemplate::new(plan.dialect.path(), host, plan.dialect.content_type())?,
            dialect: Arc::clone(&plan.dialect),
            target: Cell::new(addr),
            next_seq: Cell::new(0),
            rate: plan.rate,
            window: Window {
                start,
                measure_from: start + plan.warmup,
                stop_at: start + plan.warmup + plan.duration,
            },
            timeout: plan.timeout,
            keep_approved: plan.verify_replays,
            tally: RefCell::new(Tally {
                latency: histogram()?,
                service: histogram()?,
                lag: histogram()?,
                counts: Counts::default(),
                successes_in_window: 0,
                successes: 0,
                seconds: Vec::new(),
                unknown: Vec::new(),
                approved: Vec::new(),
            }),
        })
    }

    /// Sends payment `seq` over `connection` (connecting first if needed, until `give_up`) and
    /// waits for the reply; returns when it was sent and how it went.
    async fn exchange(
        &self,
        connection: &mut Option<Connection>,
        buffer: &mut BytesMut,
        seq: u64,
        give_up: Instant,
    ) -> (Instant, Exchange) {
        let Some(open) = self.connected(connection, give_up).await else {
            return (Instant::now(), Exchange::NotSent);
        };
        if buffer.capacity() < BODY_ROOM {
            buffer.reserve(BODY_ARENA);
        }
        self.dialect.write_request(seq, buffer);
        let body = buffer.split();
        let sent = Instant::now();
        let exchange =
            match tokio::time::timeout(self.timeout, open.post(&self.template, &body)).await {
                Ok(Ok((status, body))) => Exchange::Reply { status, body },
                Ok(Err(_)) => Exchange::Transport,
                Err(_) => Exchange::Timeout,
            };
        if !matches!(exchange, Exchange::Reply { .. }) {
            // The connection's state is unknown (half a reply may still arrive): start afresh.
            *connection = None;
        }
        (sent, exchange)
    }

    /// The open connection, connecting (and reconnecting with backoff) until `give_up`.
    async fn connected<'c>(
        &self,
        connection: &'c mut Option<Connection>,
        give_up: Instant,
    ) -> Option<&'c mut Connection> {
        let mut backoff = RECONNECT_BACKOFF;
        while connection.is_none() {
            if let Ok(Ok(opened)) =
                tokio::time::timeout(self.timeout, Connection::open(self.target.get())).await
            {
                *connection = Some(opened);
            } else {
                self.tally.borrow_mut().counts.connect_errors += 1;
                if Instant::now() + backoff >= give_up {
                    return None;
                }
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
        connection.as_mut()
    }

    /// Counts one request of the load phase.
    fn record(&self, seq: u64, due: Instant, sent: Instant, done: Instant, exchange: Exchange) {
        let mut tally = self.tally.borrow_mut();
        let tally = &mut *tally;
        let measured = due >= self.window.measure_from;
        let latency = micros(done.duration_since(due.min(sent)));
        let second =
            usize::try_from(done.duration_since(self.window.start).as_secs()).unwrap_or(usize::MAX);
        let record_latency = |tally: &mut Tally| {
            if let Some(slot) = tally.second(second) {
                slot.max_latency_ms = slot.max_latency_ms.max(micros_to_ms(latency));
            }
            if measured {
                tally.latency.saturating_record(latency);
                if self.rate.is_some() {
                    tally
                        .service
                        .saturating_record(micros(done.duration_since(sent)));
                    tally
                        .lag
                        .saturating_record(micros(sent.saturating_duration_since(due)));
                }
            }
        };
        let body = match exchange {
            Exchange::NotSent => return,
            Exchange::Transport => {
                tally.counts.sent += 1;
                tally.counts.transport_errors += 1;
                tally.unknown.push(seq);
                return;
            }
            Exchange::Timeout => {
                tally.counts.sent += 1;
                tally.counts.timeouts += 1;
                tally.unknown.push(seq);
                record_latency(tally);
                return;
            }
            Exchange::Reply { status, body } => {
                tally.counts.sent += 1;
                record_latency(tally);
                if status != 200 {
                    bump(&mut tally.counts.http_errors, status);
                    tally.unknown.push(seq);
                    return;
                }
                body
            }
        };
        let verdict = self.dialect.read_reply(seq, &body);
        let succeeded = tally.count(verdict, seq, self.keep_approved);
        if succeeded {
            tally.successes += 1;
            if let Some(slot) = tally.second(second) {
                slot.successes += 1;
            }
            if done >= self.window.measure_from && done < self.window.stop_at {
                tally.successes_in_window += 1;
            }
        } else if matches!(verdict, Verdict::Pending { .. } | Verdict::Unusable(_)) {
            tally.unknown.push(seq);
        }
    }
}

impl Tally {
    /// The timeline's entry for `second`, created (with the ones before it) on first use;
    /// `None` past a day, which no run reaches.
    fn second(&mut self, second: usize) -> Option<&mut Second> {
        if second >= 86_400 {
            return None;
        }
        if self.seconds.len() <= second {
            self.seconds.resize_with(second + 1, || Second {
                at_s: 0,
                successes: 0,
                max_latency_ms: 0.0,
            });
            for (index, slot) in self.seconds.iter_mut().enumerate() {
                slot.at_s = count(index);
            }
        }
        self.seconds.get_mut(second)
    }

    /// Counts a reply; true when it is a success (approved, or answered by the ceiling).
    fn count(&mut self, verdict: Verdict<'_>, seq: u64, keep_approved: bool) -> bool {
        let counts = &mut self.counts;
        let signature_valid = match verdict {
            Verdict::Approved {
                payment_id,
                signature_valid,
            } => {
                counts.approved += 1;
                if !signature_valid {
                    counts.approved_signature_failures += 1;
                }
                if keep_approved {
                    self.approved.push((seq, payment_id.into()));
                }
                signature_valid
            }
            Verdict::Answered => {
                counts.answered += 1;
                return true;
            }
            Verdict::Pending { signature_valid } => {
                counts.pending += 1;
                signature_valid
            }
            Verdict::Refused {
                code,
                signature_valid,
            } => {
                match counts.refused.get_mut(code) {
                    Some(count) => *count += 1,
                    None => {
                        counts.refused.insert(code.to_owned(), 1);
                    }
                }
                signature_valid
            }
            Verdict::Unusable(reason) => {
                match counts.unusable.get_mut(reason) {
                    Some(count) => *count += 1,
                    None => {
                        counts.unusable.insert(reason.to_owned(), 1);
                    }
                }
                return false;
            }
        };
        if !signature_valid {
            counts.signature_failures += 1;
        }
        matches!(verdict, Verdict::Approved { .. })
    }
}

/// Adds one to `key`'s count.
fn bump<K: Ord>(map: &mut BTreeMap<K, u64>, key: K) {
    *map.entry(key).or_default() += 1;
}

/// A length as a count.
fn count(len: usize) -> u64 {
    u64::try_from(len).unwrap_or(u64::MAX)
}

/// A duration in whole microseconds, for the histograms.
fn micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}

/// Prints successes per second to stderr once a second.
async fn progress(shared: Rc<Shared>, ceiling: bool) {
    let what = if ceiling { "replies/s" } else { "approved/s" };
    let mut ticks = tokio::time::interval_at(
        (shared.window.start + Duration::from_secs(1)).into(),
        Duration::from_secs(1),
    );
    let mut last = 0;
    loop {
        let now = ticks.tick().await.into_std();
        let (successes, errors) = {
            let tally = shared.tally.borrow();
            (
                tally.successes,
                tally.counts.errors() + tally.counts.connect_errors,
            )
        };
        let phase = if now <= shared.window.measure_from {
            " (warm-up)"
        } else {
            ""
        };
        eprintln!(
            "[{:>5.1}s] {:>7} {what}  {successes} in all  {errors} errors{phase}",
            now.duration_since(shared.window.start).as_secs_f64(),
            successes - last
        );
        last = successes;
    }
}

/// Keeps the highest resident memory of the spawned server (whichever process it is now).
async fn sample_rss(pid: Rc<Cell<Option<u32>>>, peak: Rc<Cell<u64>>) {
    let mut ticks = tokio::time::interval(SAMPLE_EVERY);
    loop {
        ticks.tick().await;
        if let Some(kib) = pid.get().and_then(|pid| probe::status_kib(pid, "VmRSS")) {
            peak.set(peak.get().max(kib));
        }
    }
}

/// CPU cores used over the measured window by the server (if spawned) and by this thread.
async fn cpu_over(window: Window, pid: Rc<Cell<Option<u32>>>) -> (Option<f64>, Option<f64>) {
    let sample = |pid: Option<u32>| {
        (
            pid.and_then(probe::process_cpu_seconds),
            probe::thread_cpu_seconds(),
        )
    };
    tokio::time::sleep_until(window.measure_from.into()).await;
    let (server_from, generator_from) = sample(pid.get());
    let pid_from = pid.get();
    tokio::time::sleep_until(window.stop_at.into()).await;
    // A restarted server is another process: its CPU time does not continue the first one's.
    let (server_to, generator_to) = sample(pid.get().filter(|pid| Some(*pid) == pid_from));
    let seconds = window
        .stop_at
        .duration_since(window.measure_from)
        .as_secs_f64();
    let cores = |from: Option<f64>, to: Option<f64>| Some((to? - from?) / seconds);
    (
        cores(server_from, server_to),
        cores(generator_from, generator_to),
    )
}

/// SIGKILLs the spawned gateway at `at`, restarts it on the same database and points the
/// workers at its new address.
async fn kill_and_restart(
    server: Rc<RefCell<Option<Spawned>>>,
    shared: Rc<Shared>,
    pid: Rc<Cell<Option<u32>>>,
    at: Instant,
) -> anyhow::Result<KillReport> {
    tokio::time::sleep_until(at.into()).await;
    let mut spawned = server
        .borrow_mut()
        .take()
        .context("the spawned gateway is missing")?;
    let killed = Instant::now();
    spawned.kill()?;
    let (spawned, restarted) = tokio::task::spawn_blocking(move || {
        let restarted = spawned.restart();
        (spawned, restarted)
    })
    .await
    .context("restarting the gateway")?;
    let listening = Instant::now();
    pid.set(Some(spawned.pid()));
    *server.borrow_mut() = Some(spawned);
    shared.target.set(restarted?);
    eprintln!(
        "tidegate bench: SIGKILLed the gateway; it listened again after {:?}",
        listening - killed
    );
    Ok(KillReport {
        at_s: killed.duration_since(shared.window.start).as_secs_f64(),
        restart_ms: listening.duration_since(killed).as_secs_f64() * 1000.0,
    })
}

/// The gateway's count of approved payments (`GET /admin/stats`).
async fn approved_in_store(addr: SocketAddr, host: &str, token: &str) -> anyhow::Result<u64> {
    let (status, body) = client::get(addr, host, "/admin/stats", token)
        .await
        .context("GET /admin/stats")?;
    if status != 200 {
        bail!(
            "GET /admin/stats answered HTTP {status}: {}",
            String::from_utf8_lossy(&body)
        );
    }
    let stats: serde_json::Value =
        serde_json::from_slice(&body).context("GET /admin/stats did not answer JSON")?;
    stats["payments"]["approved"]
        .as_u64()
        .context("GET /admin/stats has no payments.approved count")
}

/// Replays each payment in `seqs` (identical request, as a till does after losing a reply)
/// until its answer is final, and counts the answers into the run's tally.
async fn resolve(shared: &Rc<Shared>, seqs: Vec<u64>) -> Resolution {
    let resolution = Rc::new(RefCell::new(Resolution {
        needed: count(seqs.len()),
        ..Resolution::default()
    }));
    let give_up = Instant::now() + RESOLVE_FOR;
    let queue = Rc::new(RefCell::new(VecDeque::from(seqs)));
    let workers: Vec<JoinHandle<()>> = (0..REPLAY_CONNECTIONS.min(queue.borrow().len()))
        .map(|_| {
            let (shared, queue, resolution) =
                (Rc::clone(shared), Rc::clone(&queue), Rc::clone(&resolution));
            tokio::task::spawn_local(async move {
                let mut connection = None;
                let mut buffer = BytesMut::new();
                // Taken in a statement of its own: a `while let` would hold the borrow across
                // the awaits of the loop body, and the other workers' borrows would panic.
                loop {
                    let next = queue.borrow_mut().pop_front();
                    let Some(seq) = next else { break };
                    let settled =
                        resolve_one(&shared, &mut connection, &mut buffer, seq, give_up).await;
                    // Unresolved payments are what is left over, counted once all are done.
                    let mut resolution = resolution.borrow_mut();
                    match settled {
                        Some(true) => resolution.approved += 1,
                        Some(false) => resolution.refused += 1,
                        None => {}
                    }
                }
            })
        })
        .collect();
    for worker in workers {
        // A panicked worker leaves its payments uncounted, and so unresolved.
        drop(worker.await);
    }
    let mut resolution = resolution.borrow().clone();
    resolution.unresolved = resolution.needed - resolution.approved - resolution.refused;
    resolution
}

/// Replays one payment until final: `Some(true)` approved, `Some(false)` refused, `None` when
/// `give_up` came first.
async fn resolve_one(
    shared: &Shared,
    connection: &mut Option<Connection>,
    buffer: &mut BytesMut,
    seq: u64,
    give_up: Instant,
) -> Option<bool> {
    while Instant::now() < give_up {
        if let (_, Exchange::Reply { status: 200, body }) =
            shared.exchange(connection, buffer, seq, give_up).await
        {
            let verdict = shared.dialect.read_reply(seq, &body);
            if matches!(
                verdict,
                Verdict::Approved { .. } | Verdict::Refused { .. } | Verdict::Answered
            ) {
                let mut tally = shared.tally.borrow_mut();
                // Checked like the load's replies (signatures, the list of approved payments to
                // replay) but counted in the resolution, not as load.
                let approved_by_load = tally.counts.approved;
                tally.count(verdict, seq, shared.keep_approved);
                tally.counts.approved = approved_by_load;
                return Some(matches!(verdict, Verdict::Approved { .. }));
            }
        }
        tokio::time::sleep(RESOLVE_RETRY).await;
    }
    None
}

/// Sends every approved payment's request again: each must come back as the same payment,
/// still approved. After a SIGKILL this is what proves no acknowledged payment was lost.
async fn replay_approved(
    shared: &Rc<Shared>,
    approved: Vec<(u64, Box<str>)>,
    connections: usize,
) -> ReplayCheck {
    let started = Instant::now();
    let check = Rc::new(RefCell::new(ReplayCheck {
        replayed: count(approved.len()),
        ..ReplayCheck::default()
    }));
    let queue = Rc::new(RefCell::new(VecDeque::from(approved)));
    let give_up = Instant::now() + RESOLVE_FOR;
    let workers: Vec<JoinHandle<()>> = (0..connections
        .min(REPLAY_CONNECTIONS)
        .min(queue.borrow().len()))
        .map(|_| {
            let (shared, queue, check) = (Rc::clone(shared), Rc::clone(&queue), Rc::clone(&check));
            tokio::task::spawn_local(async move {
                let mut connection = None;
                let mut buffer = BytesMut::new();
                // Taken in a statement of its own, as in `resolve`.
                loop {
                    let next = queue.borrow_mut().pop_front();
                    let Some((seq, payment_id)) = next else { break };
                    let mut exchange = Exchange::NotSent;
                    // A kept-alive connection the server has just closed fails once; a second
                    // attempt on a fresh one tells that apart from a missing payment.
                    for _ in 0..3 {
                        exchange = shared
                            .exchange(&mut connection, &mut buffer, seq, give_up)
                            .await
                            .1;
                        if matches!(exchange, Exchange::Reply { .. }) {
                            break;
                        }
                    }
                    let mut check = check.borrow_mut();
                    let Exchange::Reply { status: 200, body } = exchange else {
                        check.failed += 1;
                        continue;
                    };
                    match shared.dialect.read_reply(seq, &body) {
                        Verdict::Approved {
                            payment_id: again,
                            signature_valid: true,
                        } if *again == *payment_id => {
                            check.confirmed += 1;
                        }
                        Verdict::Unusable(_) => check.failed += 1,
                        Verdict::Approved { .. }
                        | Verdict::Pending { .. }
                        | Verdict::Refused { .. }
                        | Verdict::Answered => {
                            check.mismatched += 1;
                        }
                    }
                }
            })
        })
        .collect();
    for worker in workers {
        // A panicked worker leaves its payments unconfirmed, which fails the check.
        drop(worker.await);
    }
    let mut check = check.borrow().clone();
    check.seconds = started.elapsed().as_secs_f64();
    check
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_evenly_spaced_at_the_rate() {
        assert_eq!(slot(0, 1000), Duration::ZERO);
        assert_eq!(slot(1, 1000), Duration::from_millis(1));
        assert_eq!(slot(3, 10_000), Duration::from_micros(300));
        assert_eq!(slot(7, 3), Duration::from_nanos(2_333_333_333));
    }
}
