//! Refunds (`POST /service/applyRefund`) and the refund status query
//! (`POST /service/queryRefund`).

use super::{expect_root, verify_signed, Details, OceanpaymentClient};
use crate::xml::Element;
use crate::ClientError;
use tidegate_core::{Money, RefundState};
use tidegate_wire::oceanpayment::{
    RefundQueryReply, RefundReply, REFUND_ACCEPTED, REFUND_FIELDS, REFUND_QUERY_FIELDS,
    REFUND_QUERY_REPLY_FIELDS, REFUND_REFUSED, REFUND_REPLY_FIELDS,
};

/// `RF-` and 16 random hex digits: unique enough to tell refunds apart, stable across retries
/// of one request value.
fn random_refund_number() -> String {
    let mut bytes = [0_u8; 8];
    // Without OS randomness the refund still works; it only loses retry protection, which a
    // caller can restore with `with_refund_number`.
    let _ = getrandom::getrandom(&mut bytes);
    format!("RF-{}", hex::encode_upper(bytes))
}

/// A full or partial refund of an approved payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRequest {
    /// The payment to refund.
    pub payment_id: String,
    /// The merchant's own id for the refund: sending the same one again returns the first
    /// refund instead of refunding twice. A random one is set when the request is built, so
    /// retrying the same `RefundRequest` is always safe; set your own to tie it to your books.
    pub refund_number: Option<String>,
    /// True for the whole payment amount, false for part of it.
    pub full: bool,
    /// The amount, in the payment's currency.
    pub amount: Money,
    /// Why, free text.
    pub description: String,
}

impl RefundRequest {
    /// A refund of the whole `amount` of the payment `payment_id`.
    pub fn full(payment_id: impl Into<String>, amount: Money) -> RefundRequest {
        RefundRequest::new(payment_id.into(), true, amount)
    }

    /// A refund of `amount`, part of the payment `payment_id`.
    pub fn partial(payment_id: impl Into<String>, amount: Money) -> RefundRequest {
        RefundRequest::new(payment_id.into(), false, amount)
    }

    fn new(payment_id: String, full: bool, amount: Money) -> RefundRequest {
        RefundRequest {
            payment_id,
            refund_number: Some(random_refund_number()),
            full,
            amount,
            description: String::new(),
        }
    }

    /// With the merchant's refund id instead of the random one.
    #[must_use]
    pub fn with_refund_number(mut self, refund_number: impl Into<String>) -> RefundRequest {
        self.refund_number = Some(refund_number.into());
        self
    }

    /// With a reason.
    #[must_use]
    pub fn with_description(mut self, description: impl Into<String>) -> RefundRequest {
        self.description = description.into();
        self
    }

    fn fields(&self) -> Vec<(&'static str, String)> {
        vec![
            ("payment_id", self.payment_id.clone()),
            (
                "refund_number",
                self.refund_number.clone().unwrap_or_default(),
            ),
            ("refund_type", if self.full { "1" } else { "2" }.to_owned()),
            ("refund_amount", self.amount.to_decimal_string()),
            ("refund_description", self.description.clone()),
        ]
    }
}

/// The verified answer to a refund request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundResult {
    reply: RefundReply,
    accepted: bool,
}

impl RefundResult {
    /// True when the refund was recorded (it may still be processing: see
    /// [`OceanpaymentClient::refund_query`]); false when it was refused or failed at once.
    pub fn accepted(&self) -> bool {
        self.accepted
    }

    /// The gateway's refund id, for [`OceanpaymentClient::refund_query`]; empty when refused.
    pub fn refund_id(&self) -> &str {
        &self.reply.refund_id
    }

    /// `refund_description`: `Success` or `Pending` when accepted, `code:message` otherwise.
    pub fn details(&self) -> Details {
        Details::parse(&self.reply.refund_description)
    }

    /// Every field of the reply, as the wire showed it.
    pub fn reply(&self) -> &RefundReply {
        &self.reply
    }
}

/// The verified answer to a refund status query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundQueryResult {
    reply: RefundQueryReply,
    state: Option<RefundState>,
}

impl RefundQueryResult {
    /// Succeeded, failed or still processing; `None` when the query was refused (the details
    /// say why, e.g. `29206:Refund not found`).
    pub fn state(&self) -> Option<RefundState> {
        self.state
    }

    /// `refund_description`.
    pub fn details(&self) -> Details {
        Details::parse(&self.reply.refund_description)
    }

    /// Every field of the reply, as the wire showed it.
    pub fn reply(&self) -> &RefundQueryReply {
        &self.reply
    }
}

impl OceanpaymentClient {
    /// Refunds all or part of an approved payment.
    ///
    /// ```no_run
    /// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
    /// use tidegate_client::oceanpayment::{Credentials, OceanpaymentClient, RefundRequest};
    /// use tidegate_core::{Currency, Money};
    ///
    /// let client = OceanpaymentClient::new("http://127.0.0.1:8080", Credentials::sandbox_demo())?;
    /// let amount = Money::parse_decimal("2.00", Currency::parse("CNY").ok_or("currency")?, 2)?;
    /// let request = RefundRequest::partial("260101093000123000001", amount).with_refund_number("RF-1");
    /// let refund = client.refund(&request).await?;
    /// println!("accepted: {} ({})", refund.accepted(), refund.details());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn refund(&self, request: &RefundRequest) -> Result<RefundResult, ClientError> {
        let (answer, root) = self
            .call("/service/applyRefund", &request.fields(), REFUND_FIELDS)
            .await?;
        read_refund_reply(&root, self.credentials.secure_code(), answer.status)
    }

    /// The state of the refund `refund_id`.
    ///
    /// ```no_run
    /// # async fn example() -> Result<(), tidegate_client::ClientError> {
    /// use tidegate_client::oceanpayment::{Credentials, OceanpaymentClient};
    ///
    /// let client = OceanpaymentClient::new("http://127.0.0.1:8080", Credentials::sandbox_demo())?;
    /// let status = client.refund_query("260101120000000000007").await?;
    /// println!("{:?} {}", status.state(), status.details());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn refund_query(&self, refund_id: &str) -> Result<RefundQueryResult, ClientError> {
        let fields = [("refund_id", refund_id.to_owned())];
        let (answer, root) = self
            .call("/service/queryRefund", &fields, REFUND_QUERY_FIELDS)
            .await?;
        read_refund_query_reply(&root, self.credentials.secure_code(), answer.status)
    }
}

fn read_refund_reply(
    root: &Element,
    secure_code: &str,
    http_status: u16,
) -> Result<RefundResult, ClientError> {
    expect_root(root, "response", http_status)?;
    verify_signed(
        root,
        REFUND_REPLY_FIELDS,
        secure_code,
        "refund_description",
        http_status,
    )?;
    let text = |name: &str| root.value(name).to_owned();
    let reply = RefundReply {
        account: text("account"),
        terminal: text("terminal"),
        payment_id: text("payment_id"),
        refund_number: text("refund_number"),
        refund_id: text("refund_id"),
        refund_results: text("refund_results"),
        refund_amount: text("refund_amount"),
        refund_description: text("refund_description"),
    };
    let accepted = match reply.refund_results.as_str() {
        REFUND_ACCEPTED => true,
        REFUND_REFUSED => false,
        other => {
            return Err(ClientError::malformed(
                http_status,
                format!("refund_results {other:?}"),
            ))
        }
    };
    Ok(RefundResult { reply, accepted })
}

fn read_refund_query_reply(
    root: &Element,
    secure_code: &str,
    http_status: u16,
) -> Result<RefundQueryResult, ClientError> {
    expect_root(root, "response", http_status)?;
    verify_signed(
        root,
        REFUND_QUERY_REPLY_FIELDS,
        secure_code,
        "refund_description",
        http_status,
    )?;
    let text = |name: &str| root.value(name).to_owned();
    let reply = RefundQueryReply {
        account: text("account"),
        terminal: text("terminal"),
        refund_id: text("refund_id"),
        payment_id: text("payment_id"),
        refund_number: text("refund_number"),
        refund_amount: text("refund_amount"),
        refund_check: text("refund_check"),
        refund_description: text("refund_description"),
    };
    let state = match reply.refund_check.as_str() {
        "00" => Some(RefundState::Succeeded),
        "01" => Some(RefundState::Failed),
        "02" => Some(RefundState::Processing),
        "" => None,
        other => {
            return Err(ClientError::malformed(
                http_status,
                format!("refund_check {other:?}"),
            ))
        }
    };
    Ok(RefundQueryResult { reply, state })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml;
    use tidegate_wire::oceanpayment::refund_check;

    const SECURE_CODE: &str = "12345678";

    #[test]
    fn refund_replies_read_back_verified() {
        let reply = RefundReply {
            account: "995149".into(),
            terminal: "99514901".into(),
            payment_id: "260101093000123000001".into(),
            refund_number: "RF-1".into(),
            refund_id: "260101120000000000007".into(),
            refund_results: REFUND_ACCEPTED.into(),
            refund_amount: "2.00".into(),
            refund_description: "Success".into(),
        };
        let root = xml::parse(&reply.encode(SECURE_CODE)).expect("XML");
        let result = read_refund_reply(&root, SECURE_CODE, 200).expect("verified");
        assert!(result.accepted());
        assert_eq!(result.reply(), &reply);
        let tampered = reply.encode(SECURE_CODE).replace(">00<", ">01<");
        let root = xml::parse(&tampered).expect("XML");
        assert!(matches!(
            read_refund_reply(&root, SECURE_CODE, 200),
            Err(ClientError::BadSignature)
        ));
    }

    #[test]
    fn refund_query_replies_read_back_verified() {
        for state in [
            RefundState::Succeeded,
            RefundState::Failed,
            RefundState::Processing,
        ] {
            let reply = RefundQueryReply {
                account: "995149".into(),
                terminal: "99514901".into(),
                refund_id: "7".into(),
                refund_check: refund_check(state).into(),
                ..RefundQueryReply::default()
            };
            let root = xml::parse(&reply.encode(SECURE_CODE)).expect("XML");
            let result = read_refund_query_reply(&root, SECURE_CODE, 200).expect("verified");
            assert_eq!(result.state(), Some(state));
        }
    }
}
