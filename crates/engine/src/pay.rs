//! Taking a payment: record it, call the acquirer, commit the outcome.

use crate::{now_ms, Engine, EngineError};
use std::time::Duration;
use tidegate_acquirers::{AcquirerError, AcquirerOutcome, AcquirerPayment};
use tidegate_core::{
    AuthCode, Money, PaymentEvent, PaymentFlow, PaymentState, Presentment, Wallet,
};
use tidegate_store::{DuplicateRule, NewPayment, PaymentRecord, Reservation, StateChange};

/// A validated, authenticated request to pay.
#[derive(Debug, Clone)]
pub struct PayCommand {
    /// Merchant account.
    pub account: String,
    /// Terminal.
    pub terminal: String,
    /// The merchant's order number.
    pub order_number: String,
    /// The amount.
    pub amount: Money,
    /// The amount exactly as sent.
    pub amount_text: String,
    /// Merchant's free text.
    pub order_notes: String,
    /// How the customer pays.
    pub presentment: Presentment,
    /// Where notices go.
    pub notice_url: Option<String>,
    /// Identifies the request: an equal fingerprint on the same order is a retry.
    pub fingerprint: String,
    /// The dialect that carried the request.
    pub dialect: &'static str,
    /// How long the payment may stay unfinished, if the request says (else the configured
    /// QR or pending lifetime).
    pub time_to_live: Option<Duration>,
    /// What the dialect must echo later (opaque to the engine).
    pub dialect_data: String,
    /// Whether only payments with the same wallet make an order a duplicate (Oceanpayment's
    /// rule) or any open or paid payment of the order does (PingPong's).
    pub duplicate_per_method: bool,
}

/// While a replayed payment is still being processed by its first request, check this often.
const REPLAY_POLL: Duration = Duration::from_millis(20);

impl Engine {
    /// Takes a payment and returns it as committed.
    ///
    /// A retry of an identical request returns the same payment (waiting for its first
    /// request's acquirer call to finish); another request for an order that is already paid
    /// or being paid with the same wallet is refused with [`EngineError::DuplicateOrder`].
    pub async fn pay(&self, command: PayCommand) -> Result<PaymentRecord, EngineError> {
        let created_at_ms = now_ms();
        let new = self.new_payment(&command, created_at_ms);
        let rule = DuplicateRule {
            since_ms: created_at_ms - duration_ms(self.inner.config.duplicate_window),
            per_method: command.duplicate_per_method,
        };
        match self.inner.store.reserve_payment_with(new, rule).await? {
            Reservation::Created(record) => {
                // One info line per request is written by the dialect when it answers; the
                // steps inside are debug, so a busy gateway's log stays readable and cheap.
                tracing::debug!(
                    payment_id = record.payment_id(),
                    account = %command.account,
                    terminal = %command.terminal,
                    order_number = %command.order_number,
                    amount = %command.amount_text,
                    currency = %command.amount.currency(),
                    method = %record.created.method,
                    flow = record.created.flow.as_str(),
                    "payment recorded as processing"
                );
                Ok(self.start_at_acquirer(record).await)
            }
            Reservation::Replay(record) => {
                tracing::info!(
                    payment_id = record.payment_id(),
                    "identical request replayed"
                );
                self.settled(record).await
            }
            Reservation::Duplicate(existing) => {
                tracing::info!(
                    payment_id = existing.payment_id(),
                    order_number = %command.order_number,
                    state = existing.state.as_str(),
                    "order number already paid or in progress"
                );
                Err(EngineError::DuplicateOrder {
                    existing: Box::new(existing),
                })
            }
        }
    }

    fn new_payment(&self, command: &PayCommand, created_at_ms: i64) -> NewPayment {
        let config = &self.inner.config;
        let (wallet, flow, code, ttl) = match &command.presentment {
            Presentment::CustomerPresented(code) => (
                code.wallet(),
                PaymentFlow::CustomerPresented,
                Some(code),
                config.pending_ttl,
            ),
            Presentment::MerchantPresented(wallet) => {
                (*wallet, PaymentFlow::MerchantPresented, None, config.qr_ttl)
            }
        };
        NewPayment {
            payment_id: self.inner.ids.next(created_at_ms).to_string(),
            account: command.account.clone(),
            terminal: command.terminal.clone(),
            order_number: command.order_number.clone(),
            method: wallet.as_str().to_owned(),
            flow,
            amount_minor: command.amount.minor_units(),
            currency: command.amount.currency().code().to_owned(),
            amount_text: command.amount_text.clone(),
            order_notes: command.order_notes.clone(),
            notice_url: command.notice_url.clone(),
            payment_code: code.map(|c| c.expose().to_owned()),
            payer_masked: code.map(AuthCode::masked),
            fingerprint: command.fingerprint.clone(),
            dialect: command.dialect.to_owned(),
            created_at_ms,
            expires_at_ms: Some(created_at_ms + duration_ms(command.time_to_live.unwrap_or(ttl))),
            dialect_data: command.dialect_data.clone(),
        }
    }

    /// Makes the first acquirer call for a freshly recorded payment and commits its outcome.
    /// Whatever happens, the payment returned is what the store now holds.
    async fn start_at_acquirer(&self, record: PaymentRecord) -> PaymentRecord {
        let acquirer = &self.inner.acquirer;
        let payment = acquirer_view(&record);
        let call = async {
            match record.created.flow {
                PaymentFlow::CustomerPresented => acquirer.authorize(payment).await,
                PaymentFlow::MerchantPresented => acquirer.create_qr_order(payment).await,
            }
        };
        let outcome = tokio::time::timeout(self.inner.config.acquirer_timeout, call)
            .await
            .unwrap_or(Err(AcquirerError::Timeout));
        self.commit_outcome(record, outcome).await
    }

    /// Waits until a payment has left `processing` (its first request is still calling the
    /// acquirer) or the acquirer timeout passed, and returns it as stored. A failed re-read
    /// answers with the payment as last seen: still open, never a refusal, because the payment
    /// exists and may yet be approved.
    async fn settled(&self, mut record: PaymentRecord) -> Result<PaymentRecord, EngineError> {
        let deadline = tokio::time::Instant::now() + self.inner.config.acquirer_timeout;
        while record.state == PaymentState::Processing && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(REPLAY_POLL).await;
            match self.inner.store.payment(record.payment_id()).await {
                Ok(Some(fresh)) => record = fresh,
                Ok(None) | Err(_) => break,
            }
        }
        Ok(record)
    }

    /// Applies an acquirer answer to a payment. Answers that change nothing (still waiting,
    /// still unknown) leave it as it is; a store failure leaves it open for the resolver.
    pub(crate) async fn commit_outcome(
        &self,
        record: PaymentRecord,
        outcome: Result<AcquirerOutcome, AcquirerError>,
    ) -> PaymentRecord {
        let (event, name, decline_reason, acquirer_ref, qr_payload) = match outcome {
            Ok(AcquirerOutcome::Approved { acquirer_ref }) => (
                PaymentEvent::AcquirerApproved,
                "acquirer_approved",
                None,
                Some(acquirer_ref),
                None,
            ),
            Ok(AcquirerOutcome::Declined {
                reason,
                acquirer_ref,
            }) => (
                PaymentEvent::AcquirerDeclined(reason),
                "acquirer_declined",
                Some(reason),
                acquirer_ref,
                None,
            ),
            Ok(AcquirerOutcome::Cancelled { acquirer_ref }) => (
                PaymentEvent::CustomerCancelled,
                "customer_cancelled",
                Some(tidegate_core::DeclineReason::CustomerCancelled),
                Some(acquirer_ref),
                None,
            ),
            Ok(AcquirerOutcome::AwaitingCustomer {
                acquirer_ref,
                qr_payload,
            }) => (
                PaymentEvent::AcquirerPending,
                "awaiting_customer",
                None,
                Some(acquirer_ref),
                qr_payload,
            ),
            Err(error) => {
                tracing::warn!(payment_id = record.payment_id(), %error, "acquirer result unknown");
                (
                    PaymentEvent::AcquirerPending,
                    "result_unknown",
                    None,
                    None,
                    None,
                )
            }
        };
        self.transition(
            record,
            event,
            name,
            decline_reason,
            acquirer_ref,
            qr_payload,
        )
        .await
    }

    /// Commits one state change if the state machine allows it; returns the payment as stored.
    pub(crate) async fn transition(
        &self,
        record: PaymentRecord,
        event: PaymentEvent,
        event_name: &str,
        decline_reason: Option<tidegate_core::DeclineReason>,
        acquirer_ref: Option<String>,
        qr_payload: Option<String>,
    ) -> PaymentRecord {
        let Ok(new_state) = record.state.apply(event) else {
            return record;
        };
        let at_ms = now_ms();
        // Merchants hear about outcomes, not intermediate steps: only final states are noticed,
        // and only those the payment's dialect notifies.
        let notices = match (&record.created.notice_url, new_state.is_final()) {
            (Some(url), true) if self.dialect_notifies(&record, new_state) => {
                vec![self.new_notice(&record, None, Some(new_state), url, at_ms)]
            }
            (Some(_) | None, _) => Vec::new(),
        };
        let change = StateChange {
            payment_id: record.payment_id().to_owned(),
            expected: record.state,
            new_state,
            event: event_name.to_owned(),
            decline_reason,
            acquirer_ref,
            qr_payload,
            at_ms,
            notices,
        };
        match self.inner.store.apply_change(change).await {
            Ok(updated) => {
                self.inner.notice_signal.notify_one();
                tracing::debug!(
                    payment_id = updated.payment_id(),
                    from = record.state.as_str(),
                    to = updated.state.as_str(),
                    event = event_name,
                    reason = updated
                        .decline_reason
                        .map(tidegate_core::DeclineReason::as_str),
                    "payment state changed"
                );
                updated
            }
            Err(tidegate_store::StoreError::Conflict { current }) => *current,
            Err(tidegate_store::StoreError::HasRefunds) => record,
            Err(error) => {
                tracing::error!(payment_id = record.payment_id(), %error, "could not record state change; resolver will retry");
                record
            }
        }
    }
}

impl Engine {
    fn dialect_notifies(&self, record: &PaymentRecord, new_state: PaymentState) -> bool {
        let mut after = record.clone();
        after.state = new_state;
        self.inner
            .notice_formats
            .get(&record.created.dialect)
            .is_some_and(|format| format.notifies(&after))
    }

    /// An outbox row for a notice about `payment` (and `refund_id`, for refund notices).
    pub(crate) fn new_notice(
        &self,
        payment: &PaymentRecord,
        refund_id: Option<&str>,
        reported_state: Option<PaymentState>,
        url: &str,
        at_ms: i64,
    ) -> tidegate_store::NewNotice {
        tidegate_store::NewNotice {
            notice_id: self.inner.ids.next(at_ms).to_string(),
            payment_id: payment.payment_id().to_owned(),
            refund_id: refund_id.map(str::to_owned),
            kind: if refund_id.is_some() {
                "refund"
            } else {
                "transaction"
            }
            .to_owned(),
            dialect: payment.created.dialect.clone(),
            url: url.to_owned(),
            created_at_ms: at_ms,
            reported_state: reported_state
                .map(PaymentState::as_str)
                .unwrap_or_default()
                .to_owned(),
        }
    }
}

/// The facts an acquirer gets about a stored payment.
pub(crate) fn acquirer_view(record: &PaymentRecord) -> AcquirerPayment<'_> {
    AcquirerPayment {
        payment_id: &record.created.payment_id,
        wallet: Wallet::from_str_opt(&record.created.method).unwrap_or(Wallet::WeChatPay),
        flow: record.created.flow,
        amount_minor: record.created.amount_minor,
        currency: &record.created.currency,
        payment_code: record.created.payment_code.as_deref(),
        created_at_ms: record.created.created_at_ms,
        acquirer_ref: record.acquirer_ref.as_deref(),
    }
}

pub(crate) fn duration_ms(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}
