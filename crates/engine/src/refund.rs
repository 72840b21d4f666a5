//! Refunds: recorded against the refundable amount before the acquirer is asked, completed
//! with the acquirer's verdict and a notice in one transaction.

use crate::pay::{acquirer_view, duration_ms};
use crate::{now_ms, Engine, EngineError};
use tidegate_acquirers::{AcquirerError, AcquirerRefund, RefundOutcome};
use tidegate_core::{Currency, ErrorKind, Money, RefundState};
use tidegate_store::{
    NewRefund, PaymentRecord, RefundCompletion, RefundRecord, RefundRefusal, RefundReservation,
};

/// A validated, authenticated refund request.
#[derive(Debug, Clone)]
pub struct RefundCommand {
    /// Merchant account.
    pub account: String,
    /// Terminal.
    pub terminal: String,
    /// The payment to refund.
    pub payment_id: String,
    /// The merchant's own refund id: a repeat replays the first refund.
    pub refund_number: Option<String>,
    /// Full refund: must be the whole amount with nothing refunded before.
    pub full: bool,
    /// The amount as sent, in the payment's currency.
    pub amount_text: String,
    /// The most fraction digits the dialect allows in `amount_text` (Oceanpayment: 2).
    pub max_fraction_digits: usize,
    /// The merchant's reason.
    pub description: String,
    /// Where the refund's notice goes, if not to the payment's notice URL.
    pub notice_url: Option<String>,
}

impl Engine {
    /// A payment of this terminal, or `Refused(PaymentNotFound)`: a terminal never sees or
    /// touches another terminal's payments.
    pub async fn terminal_payment(
        &self,
        account: &str,
        terminal: &str,
        payment_id: &str,
    ) -> Result<PaymentRecord, EngineError> {
        match self.inner.store.payment(payment_id).await? {
            Some(payment)
                if payment.created.account == account && payment.created.terminal == terminal =>
            {
                Ok(payment)
            }
            Some(_) | None => Err(EngineError::Refused(ErrorKind::PaymentNotFound)),
        }
    }

    /// Refunds part or all of an approved payment and returns the refund as committed
    /// (`processing` if the acquirer's verdict is not known yet; the resolver finishes it).
    pub async fn refund(
        &self,
        command: RefundCommand,
    ) -> Result<(RefundRecord, PaymentRecord), EngineError> {
        let payment = self
            .terminal_payment(&command.account, &command.terminal, &command.payment_id)
            .await?;
        let currency = Currency::parse(&payment.created.currency).ok_or_else(|| {
            EngineError::Unavailable(format!(
                "payment {} has an unknown currency",
                command.payment_id
            ))
        })?;
        let amount =
            Money::parse_decimal(&command.amount_text, currency, command.max_fraction_digits)
                .map_err(|_| EngineError::Refused(ErrorKind::InvalidAmount))?;
        let created_at_ms = now_ms();
        let new = NewRefund {
            refund_id: self.inner.ids.next(created_at_ms).to_string(),
            payment_id: command.payment_id.clone(),
            refund_number: command.refund_number.clone(),
            amount_minor: amount.minor_units(),
            amount_text: command.amount_text.clone(),
            full: command.full,
            description: command.description.clone(),
            created_at_ms,
        };
        let refund = match self.inner.store.reserve_refund(new).await? {
            RefundReservation::Created(refund) => refund,
            RefundReservation::Replay(refund) => {
                tracing::info!(refund_id = %refund.created.refund_id, "refund request replayed");
                return Ok((refund, payment));
            }
            RefundReservation::Refused(refusal) => {
                tracing::info!(payment_id = %command.payment_id, ?refusal, "refund refused");
                return Err(EngineError::Refused(refusal_kind(&refusal)));
            }
        };
        tracing::info!(
            refund_id = %refund.created.refund_id,
            payment_id = %command.payment_id,
            amount = %command.amount_text,
            "refund recorded as processing"
        );
        let call = self
            .inner
            .acquirer
            .refund(acquirer_view(&payment), acquirer_refund(&refund));
        let outcome = tokio::time::timeout(self.inner.config.acquirer_timeout, call)
            .await
            .unwrap_or(Err(AcquirerError::Timeout));
        let refund = self
            .complete_refund(&payment, refund, outcome, command.notice_url.as_deref())
            .await;
        Ok((refund, payment))
    }

    /// A refund of this terminal with its payment, or `Refused(RefundNotFound)`.
    pub async fn terminal_refund(
        &self,
        account: &str,
        terminal: &str,
        refund_id: &str,
    ) -> Result<(RefundRecord, PaymentRecord), EngineError> {
        let not_found = EngineError::Refused(ErrorKind::RefundNotFound);
        let refund = self.inner.store.refund(refund_id).await?.ok_or(not_found)?;
        let payment = self
            .terminal_payment(account, terminal, &refund.created.payment_id)
            .await
            .map_err(|_| EngineError::Refused(ErrorKind::RefundNotFound))?;
        Ok((refund, payment))
    }

    /// A payment's refunds, oldest first.
    pub async fn refunds_of_payment(
        &self,
        payment_id: &str,
    ) -> Result<Vec<RefundRecord>, EngineError> {
        Ok(self.inner.store.refunds_of_payment(payment_id).await?)
    }

    /// Commits an acquirer verdict on a refund (with its notice, to `notice_url` or else the
    /// payment's); an unknown verdict leaves the refund `processing` for the resolver.
    pub(crate) async fn complete_refund(
        &self,
        payment: &PaymentRecord,
        refund: RefundRecord,
        outcome: Result<RefundOutcome, AcquirerError>,
        notice_url: Option<&str>,
    ) -> RefundRecord {
        let (new_state, decline_reason, acquirer_ref) = match outcome {
            Ok(RefundOutcome::Succeeded { acquirer_ref }) => {
                (RefundState::Succeeded, None, Some(acquirer_ref))
            }
            Ok(RefundOutcome::Failed { reason }) => (RefundState::Failed, Some(reason), None),
            Err(error) => {
                tracing::warn!(refund_id = %refund.created.refund_id, %error, "refund result unknown; will query");
                return refund;
            }
        };
        let at_ms = now_ms();
        let notices = match notice_url.or(payment.created.notice_url.as_deref()) {
            Some(url) => {
                vec![self.new_notice(payment, Some(&refund.created.refund_id), None, url, at_ms)]
            }
            None => Vec::new(),
        };
        let completion = RefundCompletion {
            refund_id: refund.created.refund_id.clone(),
            new_state,
            decline_reason,
            acquirer_ref,
            at_ms,
            notices,
        };
        match self.inner.store.complete_refund(completion).await {
            Ok(completed) => {
                self.inner.notice_signal.notify_one();
                tracing::info!(
                    refund_id = %completed.created.refund_id,
                    state = completed.state.as_str(),
                    reason = completed.decline_reason.map(tidegate_core::DeclineReason::as_str),
                    "refund completed"
                );
                completed
            }
            Err(error) => {
                tracing::error!(refund_id = %refund.created.refund_id, %error, "could not record refund result; will retry");
                refund
            }
        }
    }

    /// Queries the acquirer about refunds left `processing` (unknown verdicts, crashes).
    pub(crate) async fn resolve_open_refunds(&self) -> Result<(), EngineError> {
        let in_flight_ms = duration_ms(self.inner.config.acquirer_timeout) + 1_000;
        for refund in self.inner.store.open_refunds(100).await? {
            if now_ms() - refund.created.created_at_ms < in_flight_ms
                && refund.created.created_at_ms >= self.inner.started_at_ms
            {
                continue;
            }
            let Some(payment) = self.inner.store.payment(&refund.created.payment_id).await? else {
                continue;
            };
            let query = self
                .inner
                .acquirer
                .query_refund(acquirer_view(&payment), acquirer_refund(&refund));
            let outcome = tokio::time::timeout(self.inner.config.acquirer_timeout, query)
                .await
                .unwrap_or(Err(AcquirerError::Timeout));
            // The request's own notice URL is not stored; a refund finished by the resolver is
            // noticed to the payment's notice URL.
            self.complete_refund(&payment, refund, outcome, None).await;
        }
        Ok(())
    }
}

fn acquirer_refund(refund: &RefundRecord) -> AcquirerRefund<'_> {
    AcquirerRefund {
        refund_id: &refund.created.refund_id,
        amount_minor: refund.created.amount_minor,
    }
}

fn refusal_kind(refusal: &RefundRefusal) -> ErrorKind {
    match refusal {
        RefundRefusal::PaymentNotFound => ErrorKind::PaymentNotFound,
        RefundRefusal::NotRefundable { .. } => ErrorKind::PaymentNotRefundable,
        RefundRefusal::ExceedsRefundable { .. } => ErrorKind::RefundExceedsRefundable,
        RefundRefusal::FullAmountMismatch { .. } => ErrorKind::FullRefundAmountMismatch,
    }
}
