//! Stored payments and refunds as PingPong shows them.

use serde::{Deserialize, Serialize};
use tidegate_core::{Currency, DeclineReason, Money, PaymentFlow, PaymentState};
use tidegate_store::{PaymentRecord, RefundRecord};
use tidegate_wire::pingpong::codes::decline_code;
use tidegate_wire::pingpong::replies::{refund_status, status, PaymentView, RefundView};

/// What a PingPong payment must echo later and has no column of its own.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct DialectData {
    /// The merchant's id of the attempt.
    pub(crate) request_id: String,
    /// `paymentMethod.type` as sent.
    pub(crate) method_type: String,
    /// The hash the merchant signs with, used again for notifications.
    pub(crate) sign_type: String,
}

impl DialectData {
    pub(crate) fn encode(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads what [`DialectData::encode`] wrote; an unreadable value reads as empty fields.
    pub(crate) fn decode(text: &str) -> DialectData {
        serde_json::from_str(text).unwrap_or_default()
    }
}

/// The payment's amount, rebuilt from what the store holds; `None` only for a corrupt row
/// (stored currencies and amounts were validated when the payment was taken).
pub(crate) fn money(payment: &PaymentRecord) -> Option<Money> {
    let currency = Currency::parse(&payment.created.currency)?;
    Money::from_minor(payment.created.amount_minor, currency)
}

/// A payment as unifiedPay and query replies and notifications show it.
pub(crate) fn payment_view(payment: &PaymentRecord) -> Option<PaymentView> {
    let created = &payment.created;
    let data = DialectData::decode(&created.dialect_data);
    let issuer = match payment.state {
        PaymentState::Declined | PaymentState::Cancelled | PaymentState::Expired => Some(
            decline_code(payment.decline_reason.unwrap_or(DeclineReason::Declined)),
        ),
        PaymentState::Processing
        | PaymentState::Pending
        | PaymentState::Approved
        | PaymentState::Voided => None,
    };
    let merchant_presented = created.flow == PaymentFlow::MerchantPresented;
    Some(PaymentView {
        transaction_id: created.payment_id.clone(),
        merchant_transaction_id: created.order_number.clone(),
        request_id: data.request_id,
        amount: money(payment)?,
        status: status(payment.state),
        remark: created.order_notes.clone(),
        method_type: data.method_type,
        transaction_time: created.created_at_ms,
        ending_time: payment.state.is_final().then_some(payment.updated_at_ms),
        issuer,
        qr_code: payment.qr_payload.clone(),
        qr_expires_at_ms: if merchant_presented {
            created.expires_at_ms
        } else {
            None
        },
    })
}

/// A refund as refund replies and notifications show it.
pub(crate) fn refund_view(refund: &RefundRecord, payment: &PaymentRecord) -> Option<RefundView> {
    let currency = money(payment)?.currency();
    let amount = Money::from_minor(refund.created.amount_minor, currency)?;
    Some(RefundView {
        refund_id: refund.created.refund_id.clone(),
        merchant_refund_id: refund.created.refund_number.clone().unwrap_or_default(),
        merchant_transaction_id: payment.created.order_number.clone(),
        transaction_id: payment.created.payment_id.clone(),
        amount,
        status: refund_status(refund.state),
        remark: refund.created.description.clone(),
        refund_time: refund.created.created_at_ms,
        ending_time: (refund.state != tidegate_core::RefundState::Processing)
            .then_some(refund.updated_at_ms),
    })
}
