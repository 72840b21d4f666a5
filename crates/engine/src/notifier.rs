//! The notifier: delivers outbox notices to merchants until they acknowledge them.
//!
//! Notices are claimed from the store with a lease, so a crash mid-delivery only delays a
//! notice; delivery is at-least-once. Each notice is sent by its own task under two limits: a
//! global pool and a per-host pool, so one slow or dead merchant endpoint ties up only its own
//! slots. Every attempt is recorded; after the last scheduled attempt the notice is given up
//! (kept, listed and resendable), never dropped.

use crate::{now_ms, Engine, EngineError};
use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tidegate_store::{NoticeAttempt, NoticeNext, NoticeRecord, PaymentRecord, RefundRecord};
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinHandle;

/// A notice's HTTP body, ready to POST.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedNotice {
    /// The `Content-Type` header.
    pub content_type: &'static str,
    /// The body.
    pub body: String,
}

/// A dialect's notices: which payments are noticed, the format, the acknowledgement rule and
/// the retry schedule.
pub trait NoticeEncoder: Send + Sync + 'static {
    /// True if this payment's (final) state is noticed at all: dialects differ, e.g. PingPong
    /// notifies only successes and failures, not closed orders.
    fn notifies(&self, payment: &PaymentRecord) -> bool;

    /// Delay before each retry: the first attempt is immediate, the n-th retry waits
    /// `retry_schedule()[n-1]`; after the last one the notice is given up.
    fn retry_schedule(&self) -> &[Duration];

    /// The body of `notice`, signed with the terminal's secret.
    fn encode(
        &self,
        notice: &NoticeRecord,
        payment: &PaymentRecord,
        refund: Option<&RefundRecord>,
        secret: &str,
    ) -> EncodedNotice;

    /// True if the merchant's answer acknowledges the notice.
    fn acknowledged(&self, http_status: u16, body: &str) -> bool;
}

/// Which addresses notices may be sent to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlPolicy {
    /// Allow loopback, private, link-local and other non-public addresses (sandbox default).
    pub allow_private_addresses: bool,
    /// Host names or IP literals always allowed, whatever they resolve to.
    pub allowed_hosts: Vec<String>,
}

/// Why a notice URL is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlRefusal {
    /// Not an absolute http(s) URL with a host.
    #[error("not an http(s) URL with a host")]
    Malformed,
    /// The host is, or resolves only to, addresses the policy forbids.
    #[error("address {0} is not allowed")]
    AddressNotAllowed(String),
    /// The host name does not resolve.
    #[error("host does not resolve: {0}")]
    Unresolvable(String),
}

impl UrlPolicy {
    /// Checks what can be checked without DNS: the scheme, and hosts that are IP literals or
    /// `localhost`. Used when a request carrying a notice URL arrives.
    pub fn check_syntax(&self, url: &str) -> Result<(), UrlRefusal> {
        let parsed = reqwest::Url::parse(url).map_err(|_| UrlRefusal::Malformed)?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(UrlRefusal::Malformed);
        }
        let host = parsed.host_str().ok_or(UrlRefusal::Malformed)?;
        if self.allow_private_addresses || self.host_allowed(host) {
            return Ok(());
        }
        if host.eq_ignore_ascii_case("localhost")
            || host.to_ascii_lowercase().ends_with(".localhost")
        {
            return Err(UrlRefusal::AddressNotAllowed(host.to_owned()));
        }
        match host
            .trim_matches(|c| c == '[' || c == ']')
            .parse::<IpAddr>()
        {
            Ok(ip) if !is_public(ip) => Err(UrlRefusal::AddressNotAllowed(ip.to_string())),
            Ok(_) | Err(_) => Ok(()),
        }
    }

    /// Resolves the URL's host and returns the addresses a request may go to: all of them, or
    /// only public ones under a strict policy (refusing if none is left). The request is then
    /// pinned to these addresses, so a DNS answer cannot change between check and connect.
    async fn resolve(&self, url: &reqwest::Url) -> Result<Vec<SocketAddr>, UrlRefusal> {
        let host = url.host_str().ok_or(UrlRefusal::Malformed)?;
        let port = url.port_or_known_default().ok_or(UrlRefusal::Malformed)?;
        let bare = host.trim_matches(|c| c == '[' || c == ']');
        let addresses: Vec<SocketAddr> = if let Ok(ip) = bare.parse::<IpAddr>() {
            vec![SocketAddr::new(ip, port)]
        } else {
            let lookup = tokio::net::lookup_host((bare, port));
            tokio::time::timeout(std::time::Duration::from_secs(5), lookup)
                .await
                .map_err(|_| UrlRefusal::Unresolvable(format!("{host}: lookup timed out")))?
                .map_err(|error| UrlRefusal::Unresolvable(format!("{host}: {error}")))?
                .collect()
        };
        if self.allow_private_addresses || self.host_allowed(host) {
            return Ok(addresses);
        }
        // Merchants' notice endpoints are web servers: under a strict policy only the web
        // ports may be called, so a notice cannot probe other services.
        if !matches!(port, 80 | 443) {
            return Err(UrlRefusal::AddressNotAllowed(format!("{host}:{port}")));
        }
        let public: Vec<SocketAddr> = addresses
            .iter()
            .copied()
            .filter(|a| is_public(a.ip()))
            .collect();
        if public.is_empty() {
            let shown = addresses
                .first()
                .map_or_else(|| host.to_owned(), |a| a.ip().to_string());
            return Err(UrlRefusal::AddressNotAllowed(shown));
        }
        Ok(public)
    }

    fn host_allowed(&self, host: &str) -> bool {
        let bare = host.trim_matches(|c| c == '[' || c == ']');
        self.allowed_hosts
            .iter()
            .any(|allowed| allowed.eq_ignore_ascii_case(bare))
    }
}

/// True for addresses on the public internet; false for loopback, private, link-local,
/// carrier-grade NAT, unique-local, multicast, documentation and unspecified ranges.
fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || a >= 240
                || (a == 100 && (64..128).contains(&b))
                || (a == 198 && (18..20).contains(&b))
                || (a == 192 && b == 0 && c == 0))
        }
        IpAddr::V6(v6) => {
            let segments = v6.segments();
            let embedded_v4 = |high: u16, low: u16| {
                let [a, b] = high.to_be_bytes();
                let [c, d] = low.to_be_bytes();
                IpAddr::V4(std::net::Ipv4Addr::new(a, b, c, d))
            };
            // Forms that carry an IPv4 address inside: mapped, compatible, NAT64, 6to4.
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            if segments[..6].iter().all(|s| *s == 0) {
                return !v6.is_unspecified()
                    && !v6.is_loopback()
                    && is_public(embedded_v4(segments[6], segments[7]));
            }
            if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
                return is_public(embedded_v4(segments[6], segments[7]));
            }
            if segments[0] == 0x2002 {
                return is_public(embedded_v4(segments[1], segments[2]));
            }
            let first = segments[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || (first & 0xffc0) == 0xfec0
                || (first == 0x2001 && segments[1] == 0x0db8))
        }
    }
}

/// Each dialect's notice format, by the dialect name stored on payments.
pub type NoticeFormats = HashMap<String, Arc<dyn NoticeEncoder>>;

/// How notices are delivered.
#[derive(Debug, Clone)]
pub struct NotifierConfig {
    /// Notices delivered at once, in all.
    pub concurrency: usize,
    /// Notices delivered at once to one endpoint (host and port).
    pub per_host: usize,
    /// How long one attempt may take.
    pub timeout: Duration,
    /// How often the outbox is checked when nothing wakes the notifier.
    pub poll_interval: Duration,
    /// Which addresses may be called.
    pub url_policy: UrlPolicy,
}

impl Default for NotifierConfig {
    fn default() -> Self {
        NotifierConfig {
            concurrency: 32,
            per_host: 4,
            timeout: Duration::from_secs(10),
            poll_interval: Duration::from_millis(500),
            url_policy: UrlPolicy {
                allow_private_addresses: false,
                allowed_hosts: Vec::new(),
            },
        }
    }
}

/// The answer bytes kept per attempt.
const BODY_PREFIX_CHARS: usize = 256;
/// The most of an answer the notifier reads.
const MAX_ANSWER_BYTES: usize = 4096;

/// Delivers notices for an engine, in the formats the engine was given.
pub struct Notifier {
    engine: Engine,
    config: NotifierConfig,
    global: Arc<Semaphore>,
    hosts: Mutex<HashMap<String, Arc<Semaphore>>>,
    in_flight: Mutex<HashSet<String>>,
}

impl Notifier {
    /// A notifier for `engine`'s notices.
    pub fn new(engine: Engine, config: NotifierConfig) -> Arc<Notifier> {
        let global = Arc::new(Semaphore::new(config.concurrency.max(1)));
        Arc::new(Notifier {
            engine,
            config,
            global,
            hosts: Mutex::new(HashMap::new()),
            in_flight: Mutex::new(HashSet::new()),
        })
    }

    /// Runs until `shutdown` turns true: claims due notices and delivers each in its own task.
    pub fn spawn(self: &Arc<Notifier>, mut shutdown: watch::Receiver<bool>) -> JoinHandle<()> {
        let notifier = Arc::clone(self);
        tokio::spawn(async move {
            loop {
                if *shutdown.borrow() {
                    break;
                }
                if let Err(error) = notifier.dispatch_due().await {
                    tracing::warn!(%error, "notifier could not read the outbox; retrying");
                }
                tokio::select! {
                    () = notifier.engine.inner.notice_signal.notified() => {}
                    () = tokio::time::sleep(notifier.config.poll_interval) => {}
                    _ = shutdown.changed() => {}
                }
            }
        })
    }

    async fn dispatch_due(self: &Arc<Notifier>) -> Result<(), EngineError> {
        let free = self.global.available_permits();
        if free == 0 {
            return Ok(());
        }
        // The lease outlives the longest attempt plus waiting for a host slot, so a notice is
        // claimed again only when its worker is surely gone.
        let lease_ms =
            i64::try_from((self.config.timeout * 4 + Duration::from_secs(30)).as_millis())
                .unwrap_or(i64::MAX);
        let due = self
            .engine
            .inner
            .store
            .claim_due_notices(now_ms(), lease_ms, free)
            .await?;
        for notice in due {
            let id = notice.created.notice_id.clone();
            if !lock(&self.in_flight).insert(id) {
                continue;
            }
            let notifier = Arc::clone(self);
            tokio::spawn(async move {
                let id = notice.created.notice_id.clone();
                notifier.deliver(notice).await;
                lock(&notifier.in_flight).remove(&id);
            });
        }
        Ok(())
    }

    fn host_slots(&self, host: &str) -> Arc<Semaphore> {
        let mut hosts = lock(&self.hosts);
        Arc::clone(
            hosts
                .entry(host.to_owned())
                .or_insert_with(|| Arc::new(Semaphore::new(self.config.per_host.max(1)))),
        )
    }

    async fn deliver(&self, notice: NoticeRecord) {
        // Slots are per endpoint (host and port): that is what one slow merchant server is.
        let endpoint = reqwest::Url::parse(&notice.created.url)
            .ok()
            .and_then(|url| {
                Some(format!(
                    "{}:{}",
                    url.host_str()?,
                    url.port_or_known_default()?
                ))
            })
            .unwrap_or_default();
        let host_slots = self.host_slots(&endpoint);
        let Ok(_host_permit) = host_slots.acquire().await else {
            return;
        };
        let Ok(_permit) = self.global.acquire().await else {
            return;
        };
        let started_ms = now_ms();
        let started = Instant::now();
        let result = self.attempt(&notice).await;
        let latency_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        let (http_status, body, error, acknowledged) = match result {
            Ok((status, body, acknowledged)) => (Some(status), body, None, acknowledged),
            Err(error) => (None, String::new(), Some(error), false),
        };
        let schedule = self
            .engine
            .inner
            .notice_formats
            .get(&notice.created.dialect)
            .map_or(&[][..], |format| format.retry_schedule());
        let next = if acknowledged {
            NoticeNext::Delivered
        } else {
            let retries_done = usize::try_from(notice.attempts).unwrap_or(usize::MAX);
            match schedule.get(retries_done) {
                Some(delay) => NoticeNext::RetryAt(
                    now_ms() + i64::try_from(delay.as_millis()).unwrap_or(i64::MAX),
                ),
                None => NoticeNext::GiveUp,
            }
        };
        let attempt = NoticeAttempt {
            notice_id: notice.created.notice_id.clone(),
            at_ms: started_ms,
            http_status,
            body_prefix: body.chars().take(BODY_PREFIX_CHARS).collect(),
            latency_ms,
            error: error.clone(),
        };
        match next {
            NoticeNext::Delivered => {
                tracing::info!(notice_id = %notice.created.notice_id, payment_id = %notice.created.payment_id, latency_ms, "notice acknowledged");
            }
            NoticeNext::RetryAt(at) => {
                tracing::info!(notice_id = %notice.created.notice_id, http_status, error, retry_in_ms = at - now_ms(), "notice not acknowledged; will retry");
            }
            NoticeNext::GiveUp => {
                tracing::warn!(notice_id = %notice.created.notice_id, payment_id = %notice.created.payment_id, http_status, error, "notice given up after its last scheduled attempt");
            }
        }
        if let Err(error) = self
            .engine
            .inner
            .store
            .record_notice_attempt(attempt, next)
            .await
        {
            tracing::error!(notice_id = %notice.created.notice_id, %error, "could not record notice attempt; the claim will lapse and it is retried");
        }
    }

    /// One HTTP attempt: `Ok((status, answer, acknowledged))`, or why no answer came.
    async fn attempt(&self, notice: &NoticeRecord) -> Result<(u16, String, bool), String> {
        let encoder = self
            .engine
            .inner
            .notice_formats
            .get(&notice.created.dialect)
            .ok_or_else(|| format!("no encoder for dialect {}", notice.created.dialect))?;
        let store = &self.engine.inner.store;
        let mut payment = store
            .payment(&notice.created.payment_id)
            .await
            .map_err(|e| e.to_string())?
            .ok_or("payment not found")?;
        // A notice reports the state its change produced, even if the payment moved on since
        // (an approval voided before its notice got through is still noticed as approved).
        if let Some(reported) =
            tidegate_core::PaymentState::from_str_opt(&notice.created.reported_state)
        {
            payment.state = reported;
        }
        let refund = match &notice.created.refund_id {
            Some(refund_id) => Some(
                store
                    .refund(refund_id)
                    .await
                    .map_err(|e| e.to_string())?
                    .ok_or("refund not found")?,
            ),
            None => None,
        };
        let secret = self
            .engine
            .terminal_secret(&payment.created.account, &payment.created.terminal)
            .await
            .map_err(|e| e.to_string())?
            .ok_or("terminal not found")?;
        let encoded = {
            use secrecy::ExposeSecret as _;
            encoder.encode(notice, &payment, refund.as_ref(), secret.expose_secret())
        };
        let url = reqwest::Url::parse(&notice.created.url)
            .map_err(|_| "malformed notice URL".to_owned())?;
        let addresses = self
            .config
            .url_policy
            .resolve(&url)
            .await
            .map_err(|e| e.to_string())?;
        let host = url.host_str().unwrap_or_default().to_owned();
        let client = reqwest::Client::builder()
            .timeout(self.config.timeout)
            // A proxy would resolve the host itself, around the address check above.
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .resolve_to_addrs(&host, &addresses)
            .build()
            .map_err(|e| e.to_string())?;
        let response = client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, encoded.content_type)
            .body(encoded.body)
            .send()
            .await
            .map_err(|e| describe(&e))?;
        let status = response.status().as_u16();
        let answer = read_prefix(response).await;
        let acknowledged = encoder.acknowledged(status, &answer);
        Ok((status, answer, acknowledged))
    }
}

async fn read_prefix(mut response: reqwest::Response) -> String {
    let mut bytes = Vec::new();
    while bytes.len() < MAX_ANSWER_BYTES {
        match response.chunk().await {
            Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
            Ok(None) | Err(_) => break,
        }
    }
    bytes.truncate(MAX_ANSWER_BYTES);
    String::from_utf8_lossy(&bytes).into_owned()
}

fn describe(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        "timeout".to_owned()
    } else if error.is_connect() {
        "connection failed".to_owned()
    } else {
        error.to_string()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Engine {
    /// A payment's notices with their attempts, oldest first.
    pub async fn notices_of_payment(
        &self,
        payment_id: &str,
    ) -> Result<Vec<(NoticeRecord, Vec<tidegate_store::NoticeAttemptRecord>)>, EngineError> {
        let store = &self.inner.store;
        let mut listed = Vec::new();
        for notice in store.notices_of_payment(payment_id).await? {
            let attempts = store.notice_attempts(&notice.created.notice_id).await?;
            listed.push((notice, attempts));
        }
        Ok(listed)
    }

    /// Makes a notice due again now, whatever its status.
    pub async fn resend_notice(&self, notice_id: &str) -> Result<NoticeRecord, EngineError> {
        let notice = self.inner.store.resend_notice(notice_id, now_ms()).await?;
        self.inner.notice_signal.notify_one();
        tracing::info!(notice_id, "notice queued for resending");
        Ok(notice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strict() -> UrlPolicy {
        UrlPolicy {
            allow_private_addresses: false,
            allowed_hosts: vec!["hooks.internal".into()],
        }
    }

    #[test]
    fn only_public_addresses_pass_a_strict_policy() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "198.18.0.1",
            "192.0.0.8",
            "240.0.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
            "fec0::1",
            "::ffff:127.0.0.1",
            "::127.0.0.1",
            "64:ff9b::a01:203",
            "2002:a00:1::1",
        ] {
            assert!(!is_public(ip.parse().expect("ip")), "{ip}");
        }
        for ip in [
            "8.8.8.8",
            "203.0.114.1",
            "2606:4700::1111",
            "64:ff9b::808:808",
        ] {
            assert!(is_public(ip.parse().expect("ip")), "{ip}");
        }
    }

    #[test]
    fn syntax_checks_refuse_private_literals_and_localhost() {
        let policy = strict();
        assert_eq!(
            policy.check_syntax("http://127.0.0.1:9000/n"),
            Err(UrlRefusal::AddressNotAllowed("127.0.0.1".into()))
        );
        assert!(policy.check_syntax("http://[::1]/n").is_err());
        assert!(policy.check_syntax("http://localhost/n").is_err());
        assert!(policy.check_syntax("ftp://example.com/n").is_err());
        assert!(policy
            .check_syntax("https://shop.example.com/notice")
            .is_ok());
        assert!(policy.check_syntax("http://hooks.internal/n").is_ok());
        let open = UrlPolicy {
            allow_private_addresses: true,
            allowed_hosts: Vec::new(),
        };
        assert!(open.check_syntax("http://127.0.0.1:9000/n").is_ok());
    }

    #[tokio::test]
    async fn resolution_refuses_hosts_with_only_private_addresses() {
        let url = reqwest::Url::parse("http://127.0.0.1:9/n").expect("url");
        assert!(strict().resolve(&url).await.is_err());
        let allowed = UrlPolicy {
            allow_private_addresses: false,
            allowed_hosts: vec!["127.0.0.1".into()],
        };
        assert_eq!(
            allowed.resolve(&url).await,
            Ok(vec!["127.0.0.1:9".parse().expect("addr")])
        );
    }
}
