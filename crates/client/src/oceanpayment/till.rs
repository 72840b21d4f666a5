//! The till protocol's calls in the Oceanpayment dialect.

use super::{Details, OceanpaymentClient, PayRequest, PaymentStatus, QueriedPayment, VoidResult};
use crate::till::{Report, Status, TillApi, TillOrder, VoidStep};
use crate::ClientError;
use tidegate_wire::oceanpayment::VOIDED;

impl TillApi for OceanpaymentClient {
    async fn pay(&self, order: &TillOrder) -> Result<Status, ClientError> {
        let request = PayRequest {
            order_number: order.order_number.clone(),
            amount: order.amount,
            presentment: order.presentment.clone(),
            order_notes: order.notes.clone(),
            notice_url: order.notice_url.clone(),
            device_id: order.device_id.clone(),
        };
        let result = OceanpaymentClient::pay(self, &request).await?;
        Ok(status(
            Some(result.status()),
            result.details(),
            result.payment_id(),
            result.qr_code(),
        ))
    }

    async fn query(
        &self,
        order: &TillOrder,
        payment_id: Option<&str>,
    ) -> Result<Status, ClientError> {
        let attempts = OceanpaymentClient::query(self, &order.order_number).await?;
        // Attempts come newest first; the till's own is the one it was told about, if any.
        let attempt = payment_id
            .and_then(|id| attempts.iter().find(|attempt| attempt.payment_id() == id))
            .or_else(|| attempts.first());
        Ok(match attempt {
            Some(attempt) => queried_status(attempt),
            None => Status::NotFound(Report::default()),
        })
    }

    async fn void(&self, order: &TillOrder) -> Result<VoidStep, ClientError> {
        let void = OceanpaymentClient::void(self, &order.order_number).await?;
        Ok(void_step(&void))
    }
}

fn queried_status(attempt: &QueriedPayment) -> Status {
    status(
        attempt.status(),
        attempt.details(),
        attempt.payment_id(),
        attempt.qr_code(),
    )
}

/// The till's view of a payment status; `None` is an order the gateway does not know.
fn status(
    status: Option<PaymentStatus>,
    details: &Details,
    payment_id: &str,
    qr_code: Option<&str>,
) -> Status {
    let report = Report {
        payment_id: payment_id.to_owned(),
        code: details.code.clone(),
        message: details.message.clone(),
        qr_code: qr_code.map(str::to_owned),
    };
    match status {
        Some(PaymentStatus::Approved) => Status::Approved(report),
        Some(PaymentStatus::Declined) if is_void(details) => Status::Voided(report),
        Some(PaymentStatus::Declined) => Status::Declined(report),
        Some(PaymentStatus::Pending) => Status::Pending(report),
        None => Status::NotFound(report),
    }
}

fn is_void(details: &Details) -> bool {
    details.code == VOIDED.0.to_string()
}

fn void_step(void: &VoidResult) -> VoidStep {
    let details = void.details();
    let report = Report {
        payment_id: void.payment_id().to_owned(),
        code: details.code.clone(),
        message: details.message.clone(),
        qr_code: None,
    };
    if void.done() {
        return VoidStep::Done(if is_void(details) {
            Status::Voided(report)
        } else {
            Status::Declined(report)
        });
    }
    match details.code.as_str() {
        // The order has no payment: nothing can be taken, so there is nothing to void.
        "29201" => VoidStep::Done(Status::NotFound(report)),
        _ if void.retry() => VoidStep::Retry(report),
        // Still open at the acquirer, or result unknown: the next attempt may close it.
        "29001" | "80700" => VoidStep::Retry(report),
        _ => VoidStep::Refused(report),
    }
}

impl super::PaymentResult {
    /// This result as the till protocol sees it: approved, declined, voided or pending.
    pub fn till_status(&self) -> Status {
        status(
            Some(self.status()),
            self.details(),
            self.payment_id(),
            self.qr_code(),
        )
    }
}
