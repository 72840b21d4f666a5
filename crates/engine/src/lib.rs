//! Tidegate's application services: the operations a merchant can ask for, independent of the
//! API dialect that carried the request.
//!
//! The engine records a payment durably as `processing` before it calls the acquirer, commits
//! every state change before the caller can reply, and keeps resolving payments that are still
//! open (pending customer action, unknown results, crashes mid-call) until each one is final.

mod clock;
mod error;
pub mod notifier;
mod orders;
mod pay;
mod refund;
mod resolve;
pub mod secrets;
mod terminals;

pub use clock::now_ms;
pub use error::EngineError;
pub use notifier::{EncodedNotice, NoticeEncoder, NoticeFormats, NotifierConfig, UrlPolicy};
pub use orders::OrderAttempt;
pub use pay::PayCommand;
pub use refund::RefundCommand;
pub use secrets::{generate_secure_code, SecretSealer};

use clock::IdGenerator;
use std::sync::Arc;
use std::time::Duration;
use terminals::TerminalDirectory;
use tidegate_acquirers::Acquirer;
use tidegate_store::Store;

/// Timings of the payment lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EngineConfig {
    /// How long a merchant-presented QR can be paid before it expires.
    pub qr_ttl: Duration,
    /// How long a customer-presented payment may stay pending (PIN entry, unknown result)
    /// before it is closed at the acquirer and expires.
    pub pending_ttl: Duration,
    /// How long one acquirer call may take before its result counts as unknown.
    pub acquirer_timeout: Duration,
    /// How often the resolver looks at open payments.
    pub sweep_interval: Duration,
    /// How often one open payment is queried at the acquirer.
    pub poll_interval: Duration,
    /// How far back an approved payment blocks reuse of its order number (Oceanpayment: 30 days).
    pub duplicate_window: Duration,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            qr_ttl: Duration::from_secs(300),
            pending_ttl: Duration::from_secs(300),
            acquirer_timeout: Duration::from_secs(30),
            sweep_interval: Duration::from_secs(1),
            poll_interval: Duration::from_secs(2),
            duplicate_window: Duration::from_secs(30 * 24 * 3600),
        }
    }
}

/// The payment engine. Cheap to clone; clones share everything.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn Store>,
    acquirer: Arc<dyn Acquirer>,
    terminals: TerminalDirectory,
    config: EngineConfig,
    ids: IdGenerator,
    resolver: resolve::ResolverState,
    started_at_ms: i64,
    /// Woken after every commit that may have queued a notice, so delivery starts at once.
    notice_signal: tokio::sync::Notify,
    /// Each dialect's notices.
    notice_formats: NoticeFormats,
}

impl Engine {
    /// An engine over a store and an acquirer; terminal secrets are sealed with `sealer`;
    /// payments of a dialect in `notice_formats` are noticed in that dialect's format.
    pub fn new(
        store: Arc<dyn Store>,
        acquirer: Arc<dyn Acquirer>,
        sealer: SecretSealer,
        config: EngineConfig,
        notice_formats: NoticeFormats,
    ) -> Engine {
        Engine {
            inner: Arc::new(Inner {
                terminals: TerminalDirectory::new(Arc::clone(&store), sealer),
                store,
                acquirer,
                config,
                ids: IdGenerator::new(),
                resolver: resolve::ResolverState::default(),
                started_at_ms: now_ms(),
                notice_signal: tokio::sync::Notify::new(),
                notice_formats,
            }),
        }
    }

    /// The engine's timings.
    pub fn config(&self) -> &EngineConfig {
        &self.inner.config
    }

    /// Succeeds when the database answers.
    pub async fn ping(&self) -> Result<(), EngineError> {
        self.inner.store.ping().await.map_err(EngineError::from)
    }

    /// One payment by id.
    pub async fn payment(
        &self,
        payment_id: &str,
    ) -> Result<Option<tidegate_store::PaymentRecord>, EngineError> {
        self.inner
            .store
            .payment(payment_id)
            .await
            .map_err(EngineError::from)
    }

    /// Number of payments in each state.
    pub async fn count_by_state(&self) -> Result<Vec<(String, i64)>, EngineError> {
        self.inner
            .store
            .count_by_state()
            .await
            .map_err(EngineError::from)
    }
}
