//! The till protocol's calls in the PingPong dialect.

use super::{
    PaymentQuery, PaymentResult, PingPongClient, Status as WireStatus, UnifiedPayRequest,
    VoidRequest,
};
use crate::till::{Report, Status, TillApi, TillOrder, VoidStep};
use crate::ClientError;
use tidegate_core::Presentment;
use tidegate_wire::pingpong::{CLOSED, PROCESSING, QUERY_OK, SUCCESS};

/// The cash register named in merchant-presented payments when the order names none:
/// PingPong requires one (`cashierDeviceId`).
const DEFAULT_CASHIER_DEVICE: &str = "tidegate-till";

/// The longest merchant id PingPong accepts.
const MAX_ID: usize = 64;

/// Codes of signed refusals that say nothing about the payment's state.
const NOT_FOUND: &str = "107001";
const UPSTREAM_UNAVAILABLE: &str = "600000";
const SERVICE_UNAVAILABLE: &str = "500000";

impl TillApi for PingPongClient {
    async fn pay(&self, order: &TillOrder) -> Result<Status, ClientError> {
        let request = UnifiedPayRequest {
            merchant_transaction_id: order.order_number.clone(),
            request_id: order.request_id.clone(),
            amount: order.amount,
            presentment: order.presentment.clone(),
            method_type: None,
            cashier_device_id: match order.presentment {
                Presentment::MerchantPresented(_) => Some(
                    order
                        .device_id
                        .clone()
                        .unwrap_or_else(|| DEFAULT_CASHIER_DEVICE.to_owned()),
                ),
                Presentment::CustomerPresented(_) => order.device_id.clone(),
            },
            notification_url: order.notice_url.clone(),
            remark: order.notes.clone(),
        };
        // A refusal without a payment (invalid code, duplicate order, gateway busy) took no money.
        Ok(self.unified_pay(&request).await?.till_status())
    }

    async fn query(
        &self,
        order: &TillOrder,
        _payment_id: Option<&str>,
    ) -> Result<Status, ClientError> {
        let query = PaymentQuery::by_order(&order.order_number).with_request_id(&order.request_id);
        let result = PingPongClient::query(self, &query).await?;
        Ok(match status(&result) {
            Some(status) => status,
            None if result.code() == NOT_FOUND => Status::NotFound(report(&result)),
            // Any other refusal of a query is no news about the payment.
            None => Status::Pending(report(&result)),
        })
    }

    async fn void(&self, order: &TillOrder) -> Result<VoidStep, ClientError> {
        let request = VoidRequest::new(&order.order_number, void_id(&order.order_number));
        let void = PingPongClient::void(self, &request).await?;
        let report = Report {
            payment_id: void.transaction_id(),
            code: void.code().to_owned(),
            message: void.description().to_owned(),
            qr_code: None,
        };
        Ok(match (void.status(), void.code()) {
            (Some(WireStatus::Success | WireStatus::Closed), _) => {
                VoidStep::Done(self.closed(order, report).await)
            }
            // FAILED: the payment is still open (or its reversal did not happen): not done yet.
            (Some(WireStatus::Processing | WireStatus::Failed), _)
            | (None, UPSTREAM_UNAVAILABLE | SERVICE_UNAVAILABLE) => VoidStep::Retry(report),
            (None, NOT_FOUND) => VoidStep::Done(Status::NotFound(report)),
            (None, _) => VoidStep::Refused(report),
        })
    }
}

impl PingPongClient {
    /// How a definitively voided order ended: a void succeeds also when the payment had
    /// already failed, and only the payment says which. Voided when it cannot be asked.
    async fn closed(&self, order: &TillOrder, void: Report) -> Status {
        let query = PaymentQuery::by_order(&order.order_number).with_request_id(&order.request_id);
        match PingPongClient::query(self, &query)
            .await
            .as_ref()
            .map(status)
        {
            Ok(Some(Status::Declined(report))) => Status::Declined(report),
            Ok(Some(Status::Voided(report))) => Status::Voided(report),
            Ok(Some(Status::Approved(_) | Status::Pending(_) | Status::NotFound(_)) | None)
            | Err(_) => Status::Voided(void),
        }
    }
}

impl PaymentResult {
    /// This result as the till protocol sees it: approved, declined, voided or pending; an
    /// answer that describes no payment took no money and counts as declined.
    pub fn till_status(&self) -> Status {
        status(self).unwrap_or_else(|| Status::Declined(report(self)))
    }
}

/// The merchant's void id for an order: stable, so a retried void is the same void.
fn void_id(order_number: &str) -> String {
    const SUFFIX: &str = "-void";
    let keep = order_number.chars().count().min(MAX_ID - SUFFIX.len());
    let tail: String = order_number
        .chars()
        .skip(order_number.chars().count() - keep)
        .collect();
    format!("{tail}{SUFFIX}")
}

/// The till's view of a payment answer; `None` when the answer describes no payment.
fn status(result: &PaymentResult) -> Option<Status> {
    let report = report(result);
    Some(match result.status()? {
        WireStatus::Success => Status::Approved(report),
        WireStatus::Failed => Status::Declined(report),
        WireStatus::Processing => Status::Pending(report),
        // A closed payment that failed (expired unpaid) says why; a voided one does not.
        WireStatus::Closed if result.issuer().is_some() => Status::Declined(report),
        WireStatus::Closed => Status::Voided(report),
    })
}

/// The code and message that explain a payment: the issuer's when it declined; for a query
/// (whose code only says it was answered) the code of its status; else the reply's.
fn report(result: &PaymentResult) -> Report {
    let status_code = match result.status() {
        Some(WireStatus::Success) => Some(SUCCESS),
        Some(WireStatus::Processing) => Some(PROCESSING),
        Some(WireStatus::Closed) => Some(CLOSED),
        Some(WireStatus::Failed) | None => None,
    };
    let (code, message) = match (result.issuer(), status_code) {
        (Some(issuer), _) => issuer,
        (None, Some((code, message)))
            if result.code() == QUERY_OK.0 || result.code().is_empty() =>
        {
            (code.to_owned(), message.to_owned())
        }
        (None, _) => (result.code().to_owned(), result.description().to_owned()),
    };
    Report {
        payment_id: result.transaction_id(),
        code,
        message,
        qr_code: result.qr_code(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn void_ids_are_stable_and_fit() {
        assert_eq!(void_id("POS-1"), "POS-1-void");
        let long = "x".repeat(70);
        assert_eq!(void_id(&long).len(), MAX_ID);
        assert_eq!(void_id(&long), void_id(&long));
    }
}
