//! Order-level operations: what a till sees when it asks about an order, and the offline void.

use crate::pay::acquirer_view;
use crate::{now_ms, Engine, EngineError};
use tidegate_acquirers::CloseOutcome;
use tidegate_core::{ErrorKind, PaymentEvent, PaymentState};
use tidegate_store::{PaymentRecord, StoreError};

/// One payment attempt of an order, with how much of it was refunded.
#[derive(Debug, Clone)]
pub struct OrderAttempt {
    /// The payment.
    pub payment: PaymentRecord,
    /// Sum of succeeded refunds, in minor units.
    pub refunded_minor: i64,
}

/// Reversals retried per resolver sweep.
const REVERSAL_BATCH: usize = 100;

impl Engine {
    /// Every payment attempt of an order on a terminal, newest first (empty if unknown).
    pub async fn order_attempts(
        &self,
        account: &str,
        terminal: &str,
        order_number: &str,
    ) -> Result<Vec<OrderAttempt>, EngineError> {
        let payments = self
            .inner
            .store
            .payments_by_order(account, terminal, order_number)
            .await?;
        let mut attempts = Vec::with_capacity(payments.len());
        for payment in payments {
            let refunded_minor = if payment.state == PaymentState::Approved {
                let refunds = self
                    .inner
                    .store
                    .refunds_of_payment(payment.payment_id())
                    .await?;
                refunds
                    .iter()
                    .filter(|refund| refund.state == tidegate_core::RefundState::Succeeded)
                    .map(|refund| refund.created.amount_minor)
                    .sum()
            } else {
                0
            };
            attempts.push(OrderAttempt {
                payment,
                refunded_minor,
            });
        }
        Ok(attempts)
    }

    /// Voids an in-person order for good: every unfinished payment of it is closed at the
    /// acquirer so it can no longer succeed, and every approved one is reversed in full.
    /// Idempotent: an order with nothing left to void is returned as it is. Returns the newest
    /// payment voided (or, with nothing to void, the newest payment).
    ///
    /// If the acquirer cannot confirm, `Refused(AcquirerUnavailable)` asks the till to try
    /// again; an approved payment whose reversal was asked for takes no refunds meanwhile, and
    /// the resolver keeps asking the acquirer to reverse it.
    pub async fn void_order(
        &self,
        account: &str,
        terminal: &str,
        order_number: &str,
    ) -> Result<PaymentRecord, EngineError> {
        let payments = self
            .inner
            .store
            .payments_by_order(account, terminal, order_number)
            .await?;
        let Some(newest) = payments.first().cloned() else {
            return Err(EngineError::Refused(ErrorKind::OrderNotFound));
        };
        let targets: Vec<PaymentRecord> = payments
            .into_iter()
            .filter(|payment| !closed(payment.state))
            .collect();
        if targets.is_empty() {
            tracing::info!(
                order_number,
                payment_id = newest.payment_id(),
                state = newest.state.as_str(),
                "void: nothing left to void"
            );
            return Ok(newest);
        }
        let mut voided = Vec::with_capacity(targets.len());
        for payment in targets {
            voided.push(self.void_payment(payment).await?);
        }
        Ok(voided.into_iter().next().unwrap_or(newest))
    }

    async fn void_payment(&self, mut payment: PaymentRecord) -> Result<PaymentRecord, EngineError> {
        if payment.state != PaymentState::Approved {
            let close = self.inner.acquirer.close(acquirer_view(&payment));
            match tokio::time::timeout(self.inner.config.acquirer_timeout, close).await {
                Ok(Ok(CloseOutcome::Closed)) => {
                    return Ok(self
                        .transition(payment, PaymentEvent::Voided, "voided", None, None, None)
                        .await);
                }
                Ok(Ok(CloseOutcome::AlreadyPaid { acquirer_ref })) => {
                    // The customer paid while the till gave up: record the payment, then reverse it.
                    payment = self
                        .transition(
                            payment,
                            PaymentEvent::AcquirerApproved,
                            "acquirer_approved",
                            None,
                            Some(acquirer_ref),
                            None,
                        )
                        .await;
                }
                Ok(Err(error)) => {
                    tracing::warn!(payment_id = payment.payment_id(), %error, "void: acquirer did not confirm the close");
                    return Err(EngineError::Refused(ErrorKind::AcquirerUnavailable));
                }
                Err(_) => {
                    tracing::warn!(payment_id = payment.payment_id(), "void: close timed out");
                    return Err(EngineError::Refused(ErrorKind::AcquirerUnavailable));
                }
            }
        }
        if payment.state != PaymentState::Approved {
            return Ok(payment);
        }
        // Recorded before the acquirer is asked, so no refund can be taken while the reversal
        // is under way: the customer is never paid back twice.
        match self
            .inner
            .store
            .request_reversal(payment.payment_id(), now_ms())
            .await
        {
            Ok(current) => payment = current,
            Err(StoreError::HasRefunds) => {
                return Err(EngineError::Refused(ErrorKind::PaymentHasRefunds))
            }
            Err(StoreError::Conflict { current }) => return Ok(*current),
            Err(other) => return Err(other.into()),
        }
        self.reverse(payment)
            .await
            .ok_or(EngineError::Refused(ErrorKind::AcquirerUnavailable))
    }

    /// Asks the acquirer to reverse an approved payment whose reversal is recorded, and on
    /// success records it voided. `None` when the acquirer did not confirm.
    async fn reverse(&self, payment: PaymentRecord) -> Option<PaymentRecord> {
        let reverse = self.inner.acquirer.reverse(acquirer_view(&payment));
        match tokio::time::timeout(self.inner.config.acquirer_timeout, reverse).await {
            Ok(Ok(())) => Some(
                self.transition(payment, PaymentEvent::Voided, "reversed", None, None, None)
                    .await,
            ),
            Ok(Err(error)) => {
                tracing::warn!(payment_id = payment.payment_id(), %error, "acquirer did not confirm the reversal; will retry");
                None
            }
            Err(_) => {
                tracing::warn!(
                    payment_id = payment.payment_id(),
                    "reversal timed out; will retry"
                );
                None
            }
        }
    }

    /// Retries reversals that were asked for and not confirmed.
    pub(crate) async fn resolve_reversals(&self) -> Result<(), EngineError> {
        for payment in self.inner.store.reversing_payments(REVERSAL_BATCH).await? {
            if let Some(voided) = self.reverse(payment).await {
                tracing::info!(
                    payment_id = voided.payment_id(),
                    state = voided.state.as_str(),
                    "pending reversal finished"
                );
            }
        }
        Ok(())
    }
}

/// True once a payment can no longer take money.
fn closed(state: PaymentState) -> bool {
    match state {
        PaymentState::Declined
        | PaymentState::Cancelled
        | PaymentState::Expired
        | PaymentState::Voided => true,
        PaymentState::Processing | PaymentState::Pending | PaymentState::Approved => false,
    }
}
