//! Reading the notices the gateway POSTs to a payment's `noticeUrl`.

use super::{expect_root, verify_signed, Credentials, Details, PaymentResult};
use crate::xml;
use crate::ClientError;
use tidegate_wire::oceanpayment::{BusinessNotice, BUSINESS_NOTICE_FIELDS};

/// The body that acknowledges an Oceanpayment notice (with any 2xx status). Answer it only once
/// the notice is safely recorded: anything else makes the gateway send it again later, and a
/// notice may arrive more than once.
pub const ACKNOWLEDGEMENT: &str = "receive-ok";

/// A verified Oceanpayment notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OceanpaymentNotice {
    /// A payment's final result (`notice_type` `transaction`): approved, declined, cancelled,
    /// expired or voided.
    Payment(PaymentResult),
    /// A refund's result (`notice_type` `refund` or `partialRefund`).
    Refund(RefundNotice),
}

/// A verified refund notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundNotice {
    notice: Box<BusinessNotice>,
}

impl RefundNotice {
    /// True when the refund succeeded (`push_status` `1`).
    pub fn succeeded(&self) -> bool {
        self.notice.push_status == "1"
    }

    /// `push_details`.
    pub fn details(&self) -> Details {
        Details::parse(&self.notice.push_details)
    }

    /// The gateway's refund id.
    pub fn refund_id(&self) -> &str {
        &self.notice.push_id
    }

    /// Every field of the notice, as the wire showed it.
    pub fn notice(&self) -> &BusinessNotice {
        &self.notice
    }
}

/// Reads a notice body and verifies its signature with `credentials`.
///
/// A notice for another terminal, one that is not a notice, or one whose signature does not
/// verify is an error: answer it with anything but [`ACKNOWLEDGEMENT`] and do not act on it.
///
/// ```
/// use tidegate_client::oceanpayment::{verify_notice, Credentials};
///
/// let forged = br#"<response><notice_type>transaction</notice_type><account>995149</account>
/// <terminal>99514901</terminal><signValue>00</signValue><payment_status>1</payment_status></response>"#;
/// assert!(verify_notice(forged, &Credentials::sandbox_demo()).is_err());
/// ```
pub fn verify_notice(
    body: &[u8],
    credentials: &Credentials,
) -> Result<OceanpaymentNotice, ClientError> {
    let text = std::str::from_utf8(body)
        .map_err(|_| ClientError::malformed(0, "the notice is not UTF-8"))?;
    let root = xml::parse(text)
        .map_err(|detail| ClientError::malformed(0, format!("not XML: {detail}")))?;
    expect_root(&root, "response", 0)?;
    let (account, terminal) = (root.value("account"), root.value("terminal"));
    if account != credentials.account() || terminal != credentials.terminal() {
        return Err(ClientError::malformed(
            0,
            format!(
                "the notice is for terminal {account}/{terminal}, not {}/{}",
                credentials.account(),
                credentials.terminal()
            ),
        ));
    }
    let secure_code = credentials.secure_code();
    match root.value("notice_type") {
        "transaction" => {
            PaymentResult::from_element(&root, secure_code, 0).map(OceanpaymentNotice::Payment)
        }
        "refund" | "partialRefund" => {
            verify_signed(
                &root,
                BUSINESS_NOTICE_FIELDS,
                secure_code,
                "push_details",
                0,
            )?;
            let text = |name: &str| root.value(name).to_owned();
            let notice = BusinessNotice {
                account: text("account"),
                terminal: text("terminal"),
                payment_date_time: text("payment_dateTime"),
                push_date_time: text("push_dateTime"),
                order_number: text("order_number"),
                order_currency: text("order_currency"),
                order_amount: text("order_amount"),
                order_notes: text("order_notes"),
                card_type: text("card_type"),
                card_country: text("card_country"),
                payment_id: text("payment_id"),
                refund_number: text("refund_number"),
                refund_reference: text("refund_reference"),
                refund_amount: text("refund_amount"),
                notice_type: text("notice_type"),
                push_status: text("push_status"),
                push_details: text("push_details"),
                push_id: text("push_id"),
            };
            Ok(OceanpaymentNotice::Refund(RefundNotice {
                notice: Box::new(notice),
            }))
        }
        other => Err(ClientError::malformed(
            0,
            format!("unknown notice_type {other:?}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tidegate_wire::oceanpayment::{refund_notice_type, PaymentReply};

    fn demo() -> Credentials {
        Credentials::sandbox_demo()
    }

    fn payment() -> PaymentReply {
        PaymentReply {
            notice_type: "transaction".into(),
            push_date_time: "2026-01-01 09:30:00".into(),
            response_type: "1".into(),
            account: "995149".into(),
            terminal: "99514901".into(),
            order_number: "POS-1".into(),
            order_currency: "CNY".into(),
            order_amount: "12.30".into(),
            payment_id: "260101093000123000001".into(),
            payment_auth_type: "0".into(),
            payment_status: "1".into(),
            payment_details: "80000:Transaction Approved".into(),
            ..PaymentReply::default()
        }
    }

    #[test]
    fn a_payment_notice_verifies() {
        let body = payment().encode("12345678");
        match verify_notice(body.as_bytes(), &demo()) {
            Ok(OceanpaymentNotice::Payment(result)) => assert_eq!(result.reply(), &payment()),
            other => panic!("expected a payment notice, got {other:?}"),
        }
        let tampered = body.replace("12.30", "99.30");
        assert!(matches!(
            verify_notice(tampered.as_bytes(), &demo()),
            Err(ClientError::BadSignature)
        ));
    }

    #[test]
    fn a_refund_notice_verifies() {
        let notice = BusinessNotice {
            account: "995149".into(),
            terminal: "99514901".into(),
            order_number: "POS-1".into(),
            payment_id: "260101093000123000001".into(),
            notice_type: refund_notice_type(false).into(),
            push_status: "1".into(),
            push_details: "00:Success".into(),
            push_id: "7".into(),
            ..BusinessNotice::default()
        };
        match verify_notice(notice.encode("12345678").as_bytes(), &demo()) {
            Ok(OceanpaymentNotice::Refund(refund)) => {
                assert!(refund.succeeded());
                assert_eq!(refund.refund_id(), "7");
            }
            other => panic!("expected a refund notice, got {other:?}"),
        }
    }

    #[test]
    fn notices_for_other_terminals_or_of_other_kinds_are_refused() {
        let other = Credentials::new("995149", "99514902", "12345678");
        assert!(matches!(
            verify_notice(payment().encode("12345678").as_bytes(), &other),
            Err(ClientError::Malformed { .. })
        ));
        let odd = PaymentReply {
            notice_type: "chargeback".into(),
            ..payment()
        };
        assert!(matches!(
            verify_notice(odd.encode("12345678").as_bytes(), &demo()),
            Err(ClientError::Malformed { .. })
        ));
        assert!(verify_notice(b"receive-ok", &demo()).is_err());
    }
}
