//! Resolving open payments: pending customer actions, unknown acquirer results, payments left
//! `processing` by a crash, and expiry. Runs as a background task on every node.

use crate::pay::{acquirer_view, duration_ms};
use crate::{now_ms, Engine, EngineError};
use std::collections::HashMap;
use std::sync::Mutex;
use tidegate_acquirers::{AcquirerError, CloseOutcome};
use tidegate_core::{DeclineReason, PaymentEvent, PaymentState};
use tidegate_store::PaymentRecord;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How many open payments one sweep looks at.
const SWEEP_BATCH: usize = 500;

/// How many open payments are resolved at once.
const RESOLVE_CONCURRENCY: usize = 16;

/// When each open payment may next be queried. In memory only: after a restart every open
/// payment is due at once, which is exactly what recovery wants.
#[derive(Default)]
pub(crate) struct ResolverState {
    next_poll_ms: Mutex<HashMap<String, i64>>,
}

impl ResolverState {
    fn due(&self, payment_id: &str, now: i64, poll_interval_ms: i64) -> bool {
        let mut next = self
            .next_poll_ms
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match next.get(payment_id) {
            Some(at) if *at > now => false,
            Some(_) | None => {
                next.insert(payment_id.to_owned(), now + poll_interval_ms);
                true
            }
        }
    }

    fn forget(&self, payment_id: &str) {
        let mut next = self
            .next_poll_ms
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        next.remove(payment_id);
    }

    /// Drops the entries of payments that are no longer open (finished by their request, a
    /// void or a customer action rather than by the resolver), so the map does not grow.
    fn keep_only(&self, open: &std::collections::HashSet<&str>) {
        let mut next = self
            .next_poll_ms
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        next.retain(|payment_id, _| open.contains(payment_id.as_str()));
    }
}

impl Engine {
    /// Asks the acquirer about one open payment now and commits what it says; closes the
    /// payment if its time ran out. Final payments are returned unchanged.
    pub async fn refresh(&self, payment_id: &str) -> Result<PaymentRecord, EngineError> {
        let record = self
            .inner
            .store
            .payment(payment_id)
            .await?
            .ok_or(EngineError::NotFound)?;
        if record.state.is_final() {
            return Ok(record);
        }
        Ok(self.resolve_one(record, now_ms()).await)
    }

    async fn resolve_one(&self, record: PaymentRecord, now: i64) -> PaymentRecord {
        let before = record.state;
        let resolved = self.query_and_expire(record, now).await;
        if resolved.state != before {
            tracing::info!(
                payment_id = resolved.payment_id(),
                from = before.as_str(),
                to = resolved.state.as_str(),
                reason = resolved.decline_reason.map(DeclineReason::as_str),
                "open payment resolved"
            );
        }
        resolved
    }

    async fn query_and_expire(&self, record: PaymentRecord, now: i64) -> PaymentRecord {
        let query = self.inner.acquirer.query(acquirer_view(&record));
        let outcome = tokio::time::timeout(self.inner.config.acquirer_timeout, query)
            .await
            .unwrap_or(Err(AcquirerError::Timeout));
        let record = self.commit_outcome(record, outcome).await;
        let expired = record.created.expires_at_ms.is_some_and(|at| at <= now);
        if record.state.is_final() || !expired {
            return record;
        }
        self.expire(record).await
    }

    /// Closes an unfinished payment at the acquirer, then records it expired (or approved, if
    /// the customer paid at the last moment). If the acquirer cannot be reached the payment
    /// stays open and the next sweep tries again: it is never marked closed on a guess.
    async fn expire(&self, record: PaymentRecord) -> PaymentRecord {
        let close = self.inner.acquirer.close(acquirer_view(&record));
        match tokio::time::timeout(self.inner.config.acquirer_timeout, close).await {
            Ok(Ok(CloseOutcome::Closed)) => {
                let reason = Some(DeclineReason::Expired);
                self.transition(record, PaymentEvent::Expired, "expired", reason, None, None)
                    .await
            }
            Ok(Ok(CloseOutcome::AlreadyPaid { acquirer_ref })) => {
                let event = PaymentEvent::AcquirerApproved;
                self.transition(
                    record,
                    event,
                    "acquirer_approved",
                    None,
                    Some(acquirer_ref),
                    None,
                )
                .await
            }
            Ok(Err(error)) => {
                tracing::warn!(payment_id = record.payment_id(), %error, "could not close expired payment; will retry");
                record
            }
            Err(_) => {
                tracing::warn!(
                    payment_id = record.payment_id(),
                    "closing expired payment timed out; will retry"
                );
                record
            }
        }
    }

    /// One pass over open payments: queries those that are due, expires those past their time.
    /// Returns how many payments became final.
    pub async fn resolve_open_payments(&self) -> Result<usize, EngineError> {
        let open = self.inner.store.open_payments(SWEEP_BATCH).await?;
        if open.len() < SWEEP_BATCH {
            let ids: std::collections::HashSet<&str> =
                open.iter().map(PaymentRecord::payment_id).collect();
            self.inner.resolver.keep_only(&ids);
        }
        let config = &self.inner.config;
        let poll_interval_ms = duration_ms(config.poll_interval);
        let in_flight_ms = duration_ms(config.acquirer_timeout) + 1_000;
        // Acquirer calls run side by side, a bounded number at once, so one slow or dead
        // acquirer answer does not hold up every other open payment for its whole timeout.
        let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(RESOLVE_CONCURRENCY));
        let mut running = tokio::task::JoinSet::new();
        for record in open {
            let now = now_ms();
            let created = record.created.created_at_ms;
            // A payment this process is still calling the acquirer for is left to that call;
            // one left `processing` by an earlier process (a crash) is resolved at once.
            let in_flight = record.state == PaymentState::Processing
                && created >= self.inner.started_at_ms
                && now - created < in_flight_ms;
            let expired = record.created.expires_at_ms.is_some_and(|at| at <= now);
            if in_flight
                || !(expired
                    || self
                        .inner
                        .resolver
                        .due(record.payment_id(), now, poll_interval_ms))
            {
                continue;
            }
            let Ok(slot) = std::sync::Arc::clone(&slots).acquire_owned().await else {
                break;
            };
            let engine = self.clone();
            running.spawn(async move {
                let resolved = engine.resolve_one(record, now).await;
                drop(slot);
                resolved
            });
        }
        let mut finished = 0;
        while let Some(joined) = running.join_next().await {
            if let Ok(resolved) = joined {
                if resolved.state.is_final() {
                    self.inner.resolver.forget(resolved.payment_id());
                    finished += 1;
                }
            }
        }
        Ok(finished)
    }

    /// Runs [`Engine::resolve_open_payments`] every sweep interval until `shutdown` turns true.
    pub fn spawn_resolver(&self, mut shutdown: watch::Receiver<bool>) -> JoinHandle<()> {
        let engine = self.clone();
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(engine.inner.config.sweep_interval);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = ticker.tick() => {}
                    _ = shutdown.changed() => break,
                }
                if *shutdown.borrow() {
                    break;
                }
                if let Err(error) = engine.resolve_open_payments().await {
                    tracing::warn!(%error, "resolver sweep failed; retrying next interval");
                }
                if let Err(error) = engine.resolve_open_refunds().await {
                    tracing::warn!(%error, "refund sweep failed; retrying next interval");
                }
                if let Err(error) = engine.resolve_reversals().await {
                    tracing::warn!(%error, "reversal sweep failed; retrying next interval");
                }
            }
        })
    }
}
