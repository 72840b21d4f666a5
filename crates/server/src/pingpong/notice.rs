//! PingPong notifications: signed envelopes for successful and failed payments and refunds.

use super::views::{payment_view, refund_view, DialectData};
use std::time::Duration;
use tidegate_core::PaymentState;
use tidegate_engine::{EncodedNotice, NoticeEncoder};
use tidegate_store::{NoticeRecord, PaymentRecord, RefundRecord};
use tidegate_wire::pingpong::envelope::{NotificationEnvelope, SignType};
use tidegate_wire::pingpong::replies::{
    acknowledged, payment_biz, payment_notification_biz, refund_biz, refund_notification_biz,
};

/// Encodes PingPong notifications; acknowledged by any 2xx whose body is not `FAIL`.
pub(crate) struct PingPongNotices {
    /// Delays before each retry.
    pub(crate) retry_schedule: Vec<Duration>,
}

impl NoticeEncoder for PingPongNotices {
    fn notifies(&self, payment: &PaymentRecord) -> bool {
        // PingPong notifies SUCCESS and FAILED only; closed (expired, voided) orders are not.
        match payment.state {
            PaymentState::Approved | PaymentState::Declined | PaymentState::Cancelled => true,
            PaymentState::Processing
            | PaymentState::Pending
            | PaymentState::Expired
            | PaymentState::Voided => false,
        }
    }

    fn retry_schedule(&self) -> &[Duration] {
        &self.retry_schedule
    }

    fn encode(
        &self,
        _notice: &NoticeRecord,
        payment: &PaymentRecord,
        refund: Option<&RefundRecord>,
        secret: &str,
    ) -> EncodedNotice {
        let biz_content = match refund {
            None => payment_view(payment)
                .map(|view| payment_notification_biz(&view).unwrap_or_else(|| payment_biz(&view)))
                .unwrap_or_default(),
            Some(refund) => refund_view(refund, payment)
                .map(|view| refund_notification_biz(&view).unwrap_or_else(|| refund_biz(&view)))
                .unwrap_or_default(),
        };
        let data = DialectData::decode(&payment.created.dialect_data);
        let envelope = NotificationEnvelope {
            acc_id: payment.created.terminal.clone(),
            client_id: payment.created.account.clone(),
            sign_type: SignType::parse(&data.sign_type).unwrap_or(SignType::Sha256),
            biz_content,
        };
        EncodedNotice {
            content_type: "application/json; charset=utf-8",
            body: envelope.encode(secret),
        }
    }

    fn acknowledged(&self, http_status: u16, body: &str) -> bool {
        acknowledged(http_status, body)
    }
}
