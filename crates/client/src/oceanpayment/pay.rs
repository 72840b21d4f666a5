//! In-person payments: `POST /gateway/directservice/pay`.

use super::{expect_root, verify_signed, Details, OceanpaymentClient, PaymentStatus};
use crate::xml::Element;
use crate::ClientError;
use tidegate_core::{AuthCode, Money, Presentment, Wallet};
use tidegate_wire::oceanpayment::{
    methods_name, PaymentReply, PAYMENT_RESULT_FIELDS, PAY_REQUEST_FIELDS,
};

/// An in-person payment: the customer's scanned code, or a QR code for the customer to scan.
///
/// Sending the same request again is safe: the gateway answers an identical request with the
/// same payment in its current state, so a till that lost an answer resends it unchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayRequest {
    /// The merchant's order number, at most 50 characters; unique per sale.
    pub order_number: String,
    /// How much to charge; sent as a decimal with the currency's digits (`12.30`).
    pub amount: Money,
    /// Customer-presented (the scanned code) or merchant-presented (the wallet whose QR code
    /// the till shows).
    pub presentment: Presentment,
    /// Free text echoed in replies and notices.
    pub order_notes: String,
    /// Where the gateway POSTs the final result; `None` for no notices.
    pub notice_url: Option<String>,
    /// The till's device id.
    pub device_id: Option<String>,
}

impl PayRequest {
    /// The customer shows their wallet's payment code and the till scanned `code`.
    pub fn customer_presented(
        order_number: impl Into<String>,
        amount: Money,
        code: AuthCode,
    ) -> PayRequest {
        PayRequest::new(
            order_number.into(),
            amount,
            Presentment::CustomerPresented(code),
        )
    }

    /// The till shows a QR code of `wallet` for the customer to scan; the reply carries it.
    pub fn merchant_presented(
        order_number: impl Into<String>,
        amount: Money,
        wallet: Wallet,
    ) -> PayRequest {
        PayRequest::new(
            order_number.into(),
            amount,
            Presentment::MerchantPresented(wallet),
        )
    }

    fn new(order_number: String, amount: Money, presentment: Presentment) -> PayRequest {
        PayRequest {
            order_number,
            amount,
            presentment,
            order_notes: String::new(),
            notice_url: None,
            device_id: None,
        }
    }

    /// With `notes` as `order_notes`.
    #[must_use]
    pub fn with_notes(mut self, notes: impl Into<String>) -> PayRequest {
        self.order_notes = notes.into();
        self
    }

    /// With notices of the result sent to `url`.
    #[must_use]
    pub fn with_notice_url(mut self, url: impl Into<String>) -> PayRequest {
        self.notice_url = Some(url.into());
        self
    }

    /// With the till's device id.
    #[must_use]
    pub fn with_device_id(mut self, device_id: impl Into<String>) -> PayRequest {
        self.device_id = Some(device_id.into());
        self
    }

    /// The wallet paying: the code's issuer, or the wallet of the QR code.
    pub fn wallet(&self) -> Wallet {
        match &self.presentment {
            Presentment::CustomerPresented(code) => code.wallet(),
            Presentment::MerchantPresented(wallet) => *wallet,
        }
    }

    /// The form fields besides the credentials and the signature, in the order sent.
    fn fields(&self) -> Vec<(&'static str, String)> {
        let mut fields = vec![
            ("order_number", self.order_number.clone()),
            ("order_currency", self.amount.currency().code().to_owned()),
            ("order_amount", self.amount.to_decimal_string()),
            ("methods", methods_name(self.wallet()).to_owned()),
        ];
        if let Presentment::CustomerPresented(code) = &self.presentment {
            fields.push(("pay_accountNumber", code.expose().to_owned()));
        }
        let optional = [
            (
                "order_notes",
                Some(&self.order_notes).filter(|notes| !notes.is_empty()),
            ),
            ("noticeUrl", self.notice_url.as_ref()),
            ("deviceId", self.device_id.as_ref()),
        ];
        fields.extend(
            optional
                .into_iter()
                .filter_map(|(name, value)| value.map(|value| (name, value.clone()))),
        );
        fields
    }
}

/// A verified answer to a pay request, or a verified payment notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentResult {
    reply: Box<PaymentReply>,
    status: PaymentStatus,
    details: Details,
}

impl PaymentResult {
    /// Reads and verifies a `<response>` payment result (a pay reply or a transaction notice).
    pub(crate) fn from_element(
        root: &Element,
        secure_code: &str,
        http_status: u16,
    ) -> Result<PaymentResult, ClientError> {
        expect_root(root, "response", http_status)?;
        verify_signed(
            root,
            PAYMENT_RESULT_FIELDS,
            secure_code,
            "payment_details",
            http_status,
        )?;
        let reply = Box::new(payment_reply(root));
        let status = PaymentStatus::parse(&reply.payment_status).ok_or_else(|| {
            ClientError::malformed(
                http_status,
                format!("payment_status {:?}", reply.payment_status),
            )
        })?;
        let details = Details::parse(&reply.payment_details);
        Ok(PaymentResult {
            reply,
            status,
            details,
        })
    }

    /// Approved, declined or pending.
    pub fn status(&self) -> PaymentStatus {
        self.status
    }

    /// `payment_details`, e.g. `80000:Transaction Approved`.
    pub fn details(&self) -> &Details {
        &self.details
    }

    /// The gateway's payment id; empty when the request was refused.
    pub fn payment_id(&self) -> &str {
        &self.reply.payment_id
    }

    /// The order number, echoed.
    pub fn order_number(&self) -> &str {
        &self.reply.order_number
    }

    /// For a merchant-presented payment, the QR code payload to show the customer.
    pub fn qr_code(&self) -> Option<&str> {
        Some(self.reply.pay_bar_code.as_str()).filter(|code| !code.is_empty())
    }

    /// Every field of the reply, as the wire showed it.
    pub fn reply(&self) -> &PaymentReply {
        &self.reply
    }
}

impl OceanpaymentClient {
    /// Sends an in-person payment and verifies the answer.
    ///
    /// A customer-presented payment may answer [`PaymentStatus::Pending`] (the customer is
    /// entering a PIN, or the acquirer's result is unknown); a merchant-presented one always
    /// does, with the QR code in [`PaymentResult::qr_code`]. [`crate::till`] runs the whole
    /// protocol (poll, then void) for you.
    ///
    /// ```no_run
    /// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
    /// use tidegate_client::oceanpayment::{Credentials, OceanpaymentClient, PayRequest};
    /// use tidegate_core::{AuthCode, Currency, Money};
    ///
    /// let client = OceanpaymentClient::new("http://127.0.0.1:8080", Credentials::sandbox_demo())?;
    /// let cny = Currency::parse("CNY").ok_or("currency")?;
    /// let amount = Money::parse_decimal("12.30", cny, 2)?;
    /// let code = AuthCode::parse("134567890123450000")?;
    /// let result = client.pay(&PayRequest::customer_presented("POS-0001", amount, code)).await?;
    /// println!("{:?} {}", result.status(), result.details());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn pay(&self, request: &PayRequest) -> Result<PaymentResult, ClientError> {
        let (answer, root) = self
            .call(
                "/gateway/directservice/pay",
                &request.fields(),
                PAY_REQUEST_FIELDS,
            )
            .await?;
        PaymentResult::from_element(&root, self.credentials.secure_code(), answer.status)
    }
}

/// Every element of a `<response>` payment result, absent ones empty.
fn payment_reply(root: &Element) -> PaymentReply {
    let text = |name: &str| root.value(name).to_owned();
    PaymentReply {
        notice_type: text("notice_type"),
        push_date_time: text("push_dateTime"),
        response_type: text("response_type"),
        account: text("account"),
        terminal: text("terminal"),
        methods: text("methods"),
        order_number: text("order_number"),
        card_country: text("card_country"),
        order_currency: text("order_currency"),
        order_amount: text("order_amount"),
        order_notes: text("order_notes"),
        card_number: text("card_number"),
        card_type: text("card_type"),
        payment_country: text("payment_country"),
        payment_id: text("payment_id"),
        payment_auth_type: text("payment_authType"),
        payment_status: text("payment_status"),
        payment_details: text("payment_details"),
        payment_solutions: text("payment_solutions"),
        payment_risk: text("payment_risk"),
        payment_amount: text("payment_amount"),
        payment_exchange_rate: text("payment_exchangeRate"),
        pay_bar_code: text("pay_barCode"),
        auth_reason: text("auth_reason"),
        order_operator: text("order_operator"),
        auth_code: text("auth_code"),
        pay_user_id: text("pay_userId"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml;
    use tidegate_core::Currency;

    const SECURE_CODE: &str = "12345678";

    fn approved() -> PaymentReply {
        PaymentReply {
            notice_type: "transaction".into(),
            response_type: "1".into(),
            account: "995149".into(),
            terminal: "99514901".into(),
            methods: "WeChatPay_Offline".into(),
            order_number: "POS-1".into(),
            order_currency: "CNY".into(),
            order_amount: "12.30".into(),
            order_notes: "a\r\nb & <c>".into(),
            payment_id: "260101093000123000001".into(),
            payment_auth_type: "0".into(),
            payment_status: "1".into(),
            payment_details: "80000:Transaction Approved".into(),
            ..PaymentReply::default()
        }
    }

    fn read(document: &str) -> Result<PaymentResult, ClientError> {
        let root = xml::parse(document).expect("XML");
        PaymentResult::from_element(&root, SECURE_CODE, 200)
    }

    #[test]
    fn a_reply_the_gateway_encoded_reads_back_verified() {
        let result = read(&approved().encode(SECURE_CODE)).expect("verified");
        assert_eq!(result.reply(), &approved());
        assert_eq!(result.status(), PaymentStatus::Approved);
        assert_eq!(result.details().code, "80000");
        assert_eq!(result.qr_code(), None);
    }

    #[test]
    fn a_changed_character_fails_verification() {
        let document = approved().encode(SECURE_CODE).replace("12.30", "12.31");
        assert!(matches!(read(&document), Err(ClientError::BadSignature)));
        assert!(matches!(
            PaymentResult::from_element(
                &xml::parse(&approved().encode(SECURE_CODE)).expect("XML"),
                "other",
                200
            ),
            Err(ClientError::BadSignature)
        ));
    }

    #[test]
    fn an_unsigned_refusal_is_an_error_with_its_code() {
        let refusal = PaymentReply {
            payment_status: "0".into(),
            payment_details: "20013:Incorrect sign value".into(),
            payment_id: String::new(),
            ..approved()
        };
        match read(&refusal.encode("")) {
            Err(ClientError::Refused {
                code,
                message,
                http_status,
            }) => {
                assert_eq!(
                    (code.as_str(), message.as_str(), http_status),
                    ("20013", "Incorrect sign value", 200)
                );
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn another_root_or_status_is_malformed() {
        let document = approved()
            .encode(SECURE_CODE)
            .replace("response>", "respon>");
        assert!(matches!(
            read(&document),
            Err(ClientError::Malformed { .. })
        ));
        let odd = PaymentReply {
            payment_status: "7".into(),
            ..approved()
        };
        assert!(matches!(
            read(&odd.encode(SECURE_CODE)),
            Err(ClientError::Malformed { .. })
        ));
    }

    #[test]
    fn fields_are_those_the_gateway_signs_and_reads() {
        let cny = Currency::parse("CNY").expect("CNY");
        let amount = Money::parse_decimal("12.3", cny, 2).expect("amount");
        let code = AuthCode::parse("134567890123450000").expect("code");
        let request = PayRequest::customer_presented("POS-1", amount, code)
            .with_notes("till 7")
            .with_notice_url("http://127.0.0.1:9000/notices");
        let fields = request.fields();
        let value = |name: &str| {
            fields
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(value("order_amount"), Some("12.30"));
        assert_eq!(value("methods"), Some("WeChatPay_Offline"));
        assert_eq!(value("pay_accountNumber"), Some("134567890123450000"));
        assert_eq!(value("order_notes"), Some("till 7"));
        assert_eq!(value("noticeUrl"), Some("http://127.0.0.1:9000/notices"));
        assert_eq!(value("deviceId"), None);
        let qr = PayRequest::merchant_presented("POS-2", amount, Wallet::Alipay);
        assert_eq!(qr.wallet(), Wallet::Alipay);
        assert!(!qr
            .fields()
            .iter()
            .any(|(name, _)| *name == "pay_accountNumber"));
    }
}
