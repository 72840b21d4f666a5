//! Order-level operations: what a till sees when it asks about an order, and the offline void.

use crate::pay::acquirer_view;
use crate::{Engine, EngineError};
use tidegate_acquirers::CloseOutcome;
use tidegate_core::{ErrorKind, PaymentEvent, PaymentState};
use tidegate_store::PaymentRecord;

/// One payment attempt of an order, with how much of it was refunded.
#[derive(Debug, Clone)]
pub struct OrderAttempt {
    /// The payment.
    pub payment: PaymentRecord,
    /// Sum of succeeded refunds, in minor units.
    pub refunded_minor: i64,
}

impl Engine {
    /// Every payment attempt of an order on a terminal, newest first (empty if unknown).
    pub async fn order_attempts(
        &self,
        account: &str,
        terminal: &str,
        order_number: &str,
    ) -> Result<Vec<OrderAttempt>, EngineError> {
        let payments = self.inner.store.payments_by_order(account, terminal, order_number).await?;
        let mut attempts = Vec::with_capacity(payments.len());
        for payment in payments {
            let refunded_minor = if payment.state == PaymentState::Approved {
                let refunds = self.inner.store.refunds_of_payment(payment.payment_id()).await?;
                refunds
                    .iter()
                    .filter(|refund| refund.state == tidegate_core::RefundState::Succeeded)
                    .map(|refund| refund.created.amount_minor)
                    .sum()
            } else {
                0
            };
            attempts.push(OrderAttempt { payment, refunded_minor });
        }
        Ok(attempts)
    }

    /// Voids an in-person order for good: an unfinished payment is closed at the acquirer so it
    /// can no longer succeed; an approved one is reversed in full. Idempotent: an order whose
    /// payments are already voided, declined, cancelled or expired is returned as it is.
    ///
    /// If the acquirer cannot confirm, nothing changes and `Refused(AcquirerUnavailable)` asks
    /// the till to try again.
    pub async fn void_order(
        &self,
        account: &str,
        terminal: &str,
        order_number: &str,
    ) -> Result<PaymentRecord, EngineError> {
        let payments = self.inner.store.payments_by_order(account, terminal, order_number).await?;
        let Some(newest) = payments.first().cloned() else {
            return Err(EngineError::Refused(ErrorKind::OrderNotFound));
        };
        let target = payments.into_iter().find(|payment| match payment.state {
            PaymentState::Processing | PaymentState::Pending | PaymentState::Approved => true,
            PaymentState::Declined | PaymentState::Cancelled | PaymentState::Expired | PaymentState::Voided => false,
        });
        let Some(mut payment) = target else {
            tracing::info!(order_number, payment_id = newest.payment_id(), state = newest.state.as_str(), "void: nothing left to void");
            return Ok(newest);
        };
        if payment.state != PaymentState::Approved {
            let close = self.inner.acquirer.close(acquirer_view(&payment));
            match tokio::time::timeout(self.inner.config.acquirer_timeout, close).await {
                Ok(Ok(CloseOutcome::Closed)) => {
                    return self.voided(payment, "voided").await;
                }
                Ok(Ok(CloseOutcome::AlreadyPaid { acquirer_ref })) => {
                    // The customer paid while the till gave up: record the payment, then reverse it.
                    payment = self
                        .transition(payment, PaymentEvent::AcquirerApproved, "acquirer_approved", None, Some(acquirer_ref), None)
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
        let refunds = self.inner.store.refunds_of_payment(payment.payment_id()).await?;
        if refunds.iter().any(|refund| refund.state.holds_amount()) {
            return Err(EngineError::Refused(ErrorKind::PaymentHasRefunds));
        }
        let reverse = self.inner.acquirer.reverse(acquirer_view(&payment));
        match tokio::time::timeout(self.inner.config.acquirer_timeout, reverse).await {
            Ok(Ok(())) => self.voided(payment, "reversed").await,
            Ok(Err(error)) => {
                tracing::warn!(payment_id = payment.payment_id(), %error, "void: acquirer did not confirm the reversal");
                Err(EngineError::Refused(ErrorKind::AcquirerUnavailable))
            }
            Err(_) => {
                tracing::warn!(payment_id = payment.payment_id(), "void: reversal timed out");
                Err(EngineError::Refused(ErrorKind::AcquirerUnavailable))
            }
        }
    }

    async fn voided(&self, payment: PaymentRecord, event_name: &str) -> Result<PaymentRecord, EngineError> {
        let expected = payment.state;
        let updated = self.transition(payment, PaymentEvent::Voided, event_name, None, None, None).await;
        if updated.state != PaymentState::Approved || expected != PaymentState::Approved {
            return Ok(updated);
        }
        // Still approved: the store refused the void, either because a refund slipped in
        // between the check and the commit, or because it could not write.
        let refunds = self.inner.store.refunds_of_payment(updated.payment_id()).await?;
        if refunds.iter().any(|refund| refund.state.holds_amount()) {
            Err(EngineError::Refused(ErrorKind::PaymentHasRefunds))
        } else {
            Err(EngineError::Unavailable(format!("could not record the void of {}", updated.payment_id())))
        }
    }
}
