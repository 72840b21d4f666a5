//! Reading the notifications the gateway POSTs to a payment's `notificationUrl`.

use super::{biz_object, Credentials, PaymentResult, RefundResult};
use crate::ClientError;
use tidegate_wire::pingpong::Envelope;

/// A body that acknowledges a PingPong notification (with any 2xx status). PingPong counts any
/// 2xx whose body is not `FAIL` as delivered; older guides ask for `OK`, which satisfies both.
/// Answer only once the notification is safely recorded: it may arrive more than once.
pub const ACKNOWLEDGEMENT: &str = "OK";

/// A verified PingPong notification.
#[derive(Debug, Clone, PartialEq)]
pub enum PingPongNotice {
    /// A payment's final result (`notifyType` `RECHARGE`, status `SUCCESS` or `FAILED`).
    Payment(PaymentResult),
    /// A refund's result (`notifyType` `REFUND`).
    Refund(RefundResult),
}

/// Reads a notification body and verifies its envelope `sign` with `credentials`.
///
/// A notification for another store, one that does not parse, or one whose signature does not
/// verify is an error: answer it with a non-2xx status (or `FAIL`) and do not act on it.
///
/// ```
/// use tidegate_client::pingpong::{verify_notice, Credentials};
///
/// let forged = br#"{"accId":"2018092714313010016291","clientId":"2018092714313010016","signType":"SHA256",
///   "sign":"00","version":"1.0","bizContent":"{\"notifyType\":\"RECHARGE\",\"status\":\"SUCCESS\"}"}"#;
/// assert!(verify_notice(forged, &Credentials::sandbox_demo()).is_err());
/// ```
pub fn verify_notice(
    body: &[u8],
    credentials: &Credentials,
) -> Result<PingPongNotice, ClientError> {
    let envelope = Envelope::parse(body).map_err(|error| {
        ClientError::malformed(0, format!("not a notification envelope: {error}"))
    })?;
    if envelope.acc_id != credentials.acc_id() || envelope.client_id != credentials.client_id() {
        return Err(ClientError::malformed(
            0,
            format!(
                "the notification is for store {}/{}, not {}/{}",
                envelope.client_id,
                envelope.acc_id,
                credentials.client_id(),
                credentials.acc_id()
            ),
        ));
    }
    if !envelope.verify(credentials.salt()) {
        return Err(ClientError::BadSignature);
    }
    let biz = biz_object(&envelope.biz_content, 0)?;
    let notify_type = biz
        .get("notifyType")
        .and_then(|value| value.as_str())
        .unwrap_or_default()
        .to_owned();
    match notify_type.as_str() {
        "RECHARGE" => PaymentResult::from_biz(biz).map(PingPongNotice::Payment),
        "REFUND" => RefundResult::from_biz(biz).map(PingPongNotice::Refund),
        other => Err(ClientError::malformed(
            0,
            format!("unknown notifyType {other:?}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pingpong::Status;
    use tidegate_wire::pingpong::{NotificationEnvelope, SignType};

    const SALT: &str = "F78BC96A55548B2319EE68E0";

    fn notification(biz_content: &str, salt: &str) -> String {
        NotificationEnvelope {
            acc_id: "2018092714313010016291".into(),
            client_id: "2018092714313010016".into(),
            sign_type: SignType::Sha256,
            biz_content: biz_content.into(),
        }
        .encode(salt)
    }

    #[test]
    fn a_payment_notification_verifies() {
        let body = notification(
            r#"{"transactionId":"9","merchantTransactionId":"POS-1","amount":"12.30","currency":"CNY","notifyType":"RECHARGE","status":"SUCCESS"}"#,
            SALT,
        );
        let Ok(PingPongNotice::Payment(payment)) =
            verify_notice(body.as_bytes(), &Credentials::sandbox_demo())
        else {
            panic!("expected a payment notice")
        };
        assert_eq!(payment.status(), Some(Status::Success));
        assert_eq!(payment.merchant_transaction_id(), "POS-1");
        let tampered = body.replace("12.30", "12.31");
        assert!(matches!(
            verify_notice(tampered.as_bytes(), &Credentials::sandbox_demo()),
            Err(ClientError::BadSignature)
        ));
    }

    #[test]
    fn a_refund_notification_verifies() {
        let body = notification(
            r#"{"refundId":"7","merchantRefundId":"RF-1","notifyType":"REFUND","status":"FAILED"}"#,
            SALT,
        );
        let Ok(PingPongNotice::Refund(refund)) =
            verify_notice(body.as_bytes(), &Credentials::sandbox_demo())
        else {
            panic!("expected a refund notice")
        };
        assert_eq!(
            (refund.status(), refund.refund_id()),
            (Some(Status::Failed), "7".to_owned())
        );
    }

    #[test]
    fn other_salts_stores_and_types_are_refused() {
        let body = notification(
            r#"{"notifyType":"RECHARGE","status":"SUCCESS"}"#,
            "another salt",
        );
        assert!(matches!(
            verify_notice(body.as_bytes(), &Credentials::sandbox_demo()),
            Err(ClientError::BadSignature)
        ));
        let other_store = Credentials::new("2018092714313010016289", "2018092714313010016", SALT);
        let body = notification(r#"{"notifyType":"RECHARGE","status":"SUCCESS"}"#, SALT);
        assert!(matches!(
            verify_notice(body.as_bytes(), &other_store),
            Err(ClientError::Malformed { .. })
        ));
        let body = notification(r#"{"notifyType":"DISPUTE"}"#, SALT);
        assert!(matches!(
            verify_notice(body.as_bytes(), &Credentials::sandbox_demo()),
            Err(ClientError::Malformed { .. })
        ));
        assert!(verify_notice(b"receive-ok", &Credentials::sandbox_demo()).is_err());
    }
}
