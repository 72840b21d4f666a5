//! The order query, `POST /service/check/normal`: what a till polls while it waits.

use super::{expect_root, refusal, verify_signed, Details, OceanpaymentClient, PaymentStatus};
use crate::xml::Element;
use crate::ClientError;
use tidegate_wire::oceanpayment::{PaymentInfo, ORDER_QUERY_FIELDS, QUERY_RESULT_FIELDS};

/// One payment attempt of a queried order, verified; or an order the gateway does not know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueriedPayment {
    info: PaymentInfo,
    status: Option<PaymentStatus>,
    details: Details,
}

impl QueriedPayment {
    /// Approved, declined or pending; `None` when the gateway has no payment for the order
    /// (its details then say `29201:Order not found`).
    pub fn status(&self) -> Option<PaymentStatus> {
        self.status
    }

    /// `payment_details`, e.g. `29001:Waiting for the customer to complete the payment`.
    pub fn details(&self) -> &Details {
        &self.details
    }

    /// The payment id; empty when the order was not found.
    pub fn payment_id(&self) -> &str {
        &self.info.payment_id
    }

    /// The order number.
    pub fn order_number(&self) -> &str {
        &self.info.order_number
    }

    /// For a merchant-presented payment, the QR code payload the customer scans.
    pub fn qr_code(&self) -> Option<&str> {
        Some(self.info.pay_bar_code.as_str()).filter(|code| !code.is_empty())
    }

    /// Every field of the `<paymentInfo>`, as the wire showed it.
    pub fn info(&self) -> &PaymentInfo {
        &self.info
    }

    fn from_element(
        block: &Element,
        secure_code: &str,
        http_status: u16,
    ) -> Result<QueriedPayment, ClientError> {
        verify_signed(
            block,
            QUERY_RESULT_FIELDS,
            secure_code,
            "payment_details",
            http_status,
        )?;
        let text = |name: &str| block.value(name).to_owned();
        let info = PaymentInfo {
            order_number: text("order_number"),
            order_currency: text("order_currency"),
            order_amount: text("order_amount"),
            order_notes: text("order_notes"),
            methods: text("methods"),
            payment_id: text("payment_id"),
            payment_results: text("payment_results"),
            payment_details: text("payment_details"),
            payment_date_time: text("payment_dateTime"),
            refund_status: text("refund_status"),
            pay_bar_code: text("pay_barCode"),
        };
        let status = if info.payment_id.is_empty() {
            None
        } else {
            Some(PaymentStatus::parse(&info.payment_results).ok_or_else(|| {
                ClientError::malformed(
                    http_status,
                    format!("payment_results {:?}", info.payment_results),
                )
            })?)
        };
        let details = Details::parse(&info.payment_details);
        Ok(QueriedPayment {
            info,
            status,
            details,
        })
    }
}

impl OceanpaymentClient {
    /// Every payment attempt of the order `order_number`, newest first; one entry without a
    /// status when the gateway knows no payment for it. Up to 100 orders may be asked for at
    /// once, separated by commas.
    ///
    /// ```no_run
    /// # async fn example() -> Result<(), tidegate_client::ClientError> {
    /// use tidegate_client::oceanpayment::{Credentials, OceanpaymentClient, PaymentStatus};
    ///
    /// let client = OceanpaymentClient::new("http://127.0.0.1:8080", Credentials::sandbox_demo())?;
    /// let attempts = client.query("POS-0001").await?;
    /// let paid = attempts.iter().any(|p| p.status() == Some(PaymentStatus::Approved));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn query(&self, order_number: &str) -> Result<Vec<QueriedPayment>, ClientError> {
        let fields = [("order_number", order_number.to_owned())];
        let (answer, root) = self
            .call("/service/check/normal", &fields, ORDER_QUERY_FIELDS)
            .await?;
        read_query_reply(&root, self.credentials.secure_code(), answer.status)
    }
}

/// The verified payments of a query reply; a refusal (`query_details`, never signed) is
/// [`ClientError::Refused`].
fn read_query_reply(
    root: &Element,
    secure_code: &str,
    http_status: u16,
) -> Result<Vec<QueriedPayment>, ClientError> {
    expect_root(root, "response", http_status)?;
    if let Some(details) = root.get("query_details") {
        return Err(refusal(details, http_status));
    }
    root.all("paymentInfo")
        .map(|block| QueriedPayment::from_element(block, secure_code, http_status))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml;
    use tidegate_wire::oceanpayment::{encode_order_query, encode_query_refusal};

    const SECURE_CODE: &str = "12345678";

    fn pending() -> PaymentInfo {
        PaymentInfo {
            order_number: "POS-1".into(),
            order_currency: "CNY".into(),
            order_amount: "12.30".into(),
            methods: "WeChatPay_Offline".into(),
            payment_id: "260101093000123000001".into(),
            payment_results: "-1".into(),
            payment_details: "29001:Waiting for the customer to complete the payment".into(),
            refund_status: "0".into(),
            ..PaymentInfo::default()
        }
    }

    fn not_found() -> PaymentInfo {
        PaymentInfo {
            order_number: "POS-2".into(),
            payment_details: "29201:Order not found".into(),
            ..PaymentInfo::default()
        }
    }

    fn read(document: &str) -> Result<Vec<QueriedPayment>, ClientError> {
        read_query_reply(&xml::parse(document).expect("XML"), SECURE_CODE, 200)
    }

    #[test]
    fn reads_found_and_unknown_orders() {
        let document =
            encode_order_query("995149", "99514901", &[pending(), not_found()], SECURE_CODE);
        let payments = read(&document).expect("verified");
        assert_eq!(payments.len(), 2);
        assert_eq!(payments[0].status(), Some(PaymentStatus::Pending));
        assert_eq!(payments[0].info(), &pending());
        assert_eq!(payments[1].status(), None);
        assert_eq!(payments[1].details().code, "29201");
    }

    #[test]
    fn a_tampered_block_fails_verification() {
        let document = encode_order_query("995149", "99514901", &[pending()], SECURE_CODE)
            .replace("<payment_results>-1<", "<payment_results>1<");
        assert!(matches!(read(&document), Err(ClientError::BadSignature)));
    }

    #[test]
    fn a_refusal_is_an_error_with_its_code() {
        let document = encode_query_refusal("995149", "99514901", "20013:Incorrect sign value");
        assert!(
            matches!(read(&document), Err(ClientError::Refused { code, .. }) if code == "20013")
        );
    }
}
