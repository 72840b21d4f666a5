//! Oceanpayment notices: the transaction `<response>` XML, and business notices for refunds.

use super::pay::{format_time, payment_reply};
use std::time::Duration;
use tidegate_core::RefundState;
use tidegate_engine::{EncodedNotice, NoticeEncoder};
use tidegate_store::{NoticeRecord, PaymentRecord, RefundRecord};
use tidegate_wire::oceanpayment::{acknowledged, codes, refund_notice_type, BusinessNotice};

/// Encodes Oceanpayment notices; acknowledged by 2xx with the body `receive-ok`.
pub(crate) struct OceanpaymentNotices {
    /// Delays before each retry.
    pub(crate) retry_schedule: Vec<Duration>,
}

impl NoticeEncoder for OceanpaymentNotices {
    fn notifies(&self, _payment: &PaymentRecord) -> bool {
        // Every final state of an Oceanpayment payment is noticed, voids and expiries included.
        true
    }

    fn retry_schedule(&self) -> &[Duration] {
        &self.retry_schedule
    }

    fn encode(
        &self,
        notice: &NoticeRecord,
        payment: &PaymentRecord,
        refund: Option<&RefundRecord>,
        secret: &str,
    ) -> EncodedNotice {
        let body = match refund {
            None => {
                let mut reply = payment_reply(payment);
                reply.push_date_time = format_time(tidegate_engine::now_ms());
                reply.encode(secret)
            }
            Some(refund) => business_notice(notice, payment, refund).encode(secret),
        };
        EncodedNotice {
            content_type: "application/xml; charset=utf-8",
            body,
        }
    }

    fn acknowledged(&self, http_status: u16, body: &str) -> bool {
        acknowledged(http_status, body)
    }
}

fn business_notice(
    notice: &NoticeRecord,
    payment: &PaymentRecord,
    refund: &RefundRecord,
) -> BusinessNotice {
    let created = &payment.created;
    let (push_status, push_details) = match (refund.state, refund.decline_reason) {
        (RefundState::Succeeded, _) => ("1", "Refund succeeded".to_owned()),
        (RefundState::Failed, Some(reason)) => {
            let (code, message) = codes::decline_details(reason);
            ("0", codes::format_details(code, message))
        }
        (RefundState::Failed | RefundState::Processing, _) => ("0", "Refund failed".to_owned()),
    };
    BusinessNotice {
        account: created.account.clone(),
        terminal: created.terminal.clone(),
        payment_date_time: format_time(created.created_at_ms),
        push_date_time: format_time(tidegate_engine::now_ms()),
        order_number: created.order_number.clone(),
        order_currency: created.currency.clone(),
        order_amount: created.amount_text.clone(),
        order_notes: created.order_notes.clone(),
        payment_id: created.payment_id.clone(),
        refund_number: refund.created.refund_number.clone().unwrap_or_default(),
        refund_reference: notice.created.notice_id.clone(),
        refund_amount: refund.created.amount_text.clone(),
        notice_type: refund_notice_type(refund.created.full).to_owned(),
        push_status: push_status.to_owned(),
        push_details,
        push_id: refund.created.refund_id.clone(),
        ..BusinessNotice::default()
    }
}
