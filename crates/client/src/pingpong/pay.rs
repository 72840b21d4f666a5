//! Payments (`POST /v4/payment/unifiedPay`) and the payment query (`POST /v4/payment/query`).

use super::{biz_text, PingPongClient, Reply, Status};
use crate::ClientError;
use serde_json::{json, Map, Value};
use tidegate_core::{AuthCode, Currency, Money, Presentment, Wallet};
use tidegate_wire::pingpong::{QUERY_PATH, UNIFIED_PAY_PATH};

/// An in-person payment: the customer's scanned code, or a QR code for the customer to scan.
///
/// One `request_id` is one payment attempt: sending the same request again returns that
/// attempt in its current state, so a till that lost an answer resends it unchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnifiedPayRequest {
    /// The merchant's order id, at most 64 characters.
    pub merchant_transaction_id: String,
    /// The attempt's idempotency key, at most 64 characters.
    pub request_id: String,
    /// How much to charge; sent with the currency's digits (`12.30`).
    pub amount: Money,
    /// Customer-presented (the scanned code) or merchant-presented (the wallet).
    pub presentment: Presentment,
    /// `paymentMethod.type`; `None` picks it from the wallet and currency (see
    /// [`UnifiedPayRequest::method_type`]).
    pub method_type: Option<String>,
    /// The cash register (`cashierDeviceId`); required for merchant-presented payments.
    pub cashier_device_id: Option<String>,
    /// Where the gateway POSTs the final result (no query string or fragment).
    pub notification_url: Option<String>,
    /// Free text echoed back.
    pub remark: String,
}

impl UnifiedPayRequest {
    /// The customer shows their wallet's payment code and the till scanned `code`.
    pub fn customer_presented(
        merchant_transaction_id: impl Into<String>,
        amount: Money,
        code: AuthCode,
    ) -> UnifiedPayRequest {
        UnifiedPayRequest::new(
            merchant_transaction_id.into(),
            amount,
            Presentment::CustomerPresented(code),
        )
    }

    /// The till `cashier_device_id` shows a QR code of `wallet` for the customer to scan.
    pub fn merchant_presented(
        merchant_transaction_id: impl Into<String>,
        amount: Money,
        wallet: Wallet,
        cashier_device_id: impl Into<String>,
    ) -> UnifiedPayRequest {
        let mut request = UnifiedPayRequest::new(
            merchant_transaction_id.into(),
            amount,
            Presentment::MerchantPresented(wallet),
        );
        request.cashier_device_id = Some(cashier_device_id.into());
        request
    }

    fn new(
        merchant_transaction_id: String,
        amount: Money,
        presentment: Presentment,
    ) -> UnifiedPayRequest {
        UnifiedPayRequest {
            request_id: merchant_transaction_id.clone(),
            merchant_transaction_id,
            amount,
            presentment,
            method_type: None,
            cashier_device_id: None,
            notification_url: None,
            remark: String::new(),
        }
    }

    /// With the attempt's idempotency key (by default the order id).
    #[must_use]
    pub fn with_request_id(mut self, request_id: impl Into<String>) -> UnifiedPayRequest {
        self.request_id = request_id.into();
        self
    }

    /// With notices of the result sent to `url`.
    #[must_use]
    pub fn with_notification_url(mut self, url: impl Into<String>) -> UnifiedPayRequest {
        self.notification_url = Some(url.into());
        self
    }

    /// With `remark` echoed back.
    #[must_use]
    pub fn with_remark(mut self, remark: impl Into<String>) -> UnifiedPayRequest {
        self.remark = remark.into();
        self
    }

    /// The `paymentMethod.type` sent: the one set, else `Wechat-Offline` for WeChat Pay, and
    /// for Alipay `AlipayHK-Offline` in HKD, `AlipayCN-Offline` otherwise (the two wallets'
    /// codes cannot be told apart, so the currency decides).
    pub fn method_type(&self) -> String {
        if let Some(method_type) = &self.method_type {
            return method_type.clone();
        }
        let wallet = match &self.presentment {
            Presentment::CustomerPresented(code) => code.wallet(),
            Presentment::MerchantPresented(wallet) => *wallet,
        };
        default_method_type(wallet, self.amount.currency()).to_owned()
    }

    /// The `bizContent` object.
    pub(crate) fn biz(&self) -> Value {
        let mut method = Map::new();
        method.insert("type".into(), Value::String(self.method_type()));
        if let Presentment::CustomerPresented(code) = &self.presentment {
            method.insert("scanCodeId".into(), Value::String(code.expose().to_owned()));
        }
        let mut biz = Map::new();
        biz.insert(
            "merchantTransactionId".into(),
            json!(self.merchant_transaction_id),
        );
        biz.insert("requestId".into(), json!(self.request_id));
        biz.insert("amount".into(), json!(self.amount.to_decimal_string()));
        biz.insert("currency".into(), json!(self.amount.currency().code()));
        biz.insert("captureDelayHours".into(), json!(0));
        biz.insert("paymentMethod".into(), Value::Object(method));
        let optional = [
            ("cashierDeviceId", self.cashier_device_id.as_ref()),
            ("notificationUrl", self.notification_url.as_ref()),
            (
                "remark",
                Some(&self.remark).filter(|remark| !remark.is_empty()),
            ),
        ];
        for (name, value) in optional {
            if let Some(value) = value {
                biz.insert(name.into(), json!(value));
            }
        }
        Value::Object(biz)
    }
}

/// The default `paymentMethod.type` of `wallet` in `currency`.
pub(crate) fn default_method_type(wallet: Wallet, currency: Currency) -> &'static str {
    match wallet {
        Wallet::WeChatPay => "Wechat-Offline",
        Wallet::Alipay if currency.code() == "HKD" => "AlipayHK-Offline",
        Wallet::Alipay => "AlipayCN-Offline",
    }
}

/// Which payment a query asks about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentQuery {
    /// The merchant's order id.
    pub merchant_transaction_id: Option<String>,
    /// The gateway's transaction id.
    pub transaction_id: Option<String>,
    /// The attempt, among several of one order.
    pub request_id: Option<String>,
}

impl PaymentQuery {
    /// The latest attempt of the order `merchant_transaction_id`.
    pub fn by_order(merchant_transaction_id: impl Into<String>) -> PaymentQuery {
        PaymentQuery {
            merchant_transaction_id: Some(merchant_transaction_id.into()),
            transaction_id: None,
            request_id: None,
        }
    }

    /// The payment `transaction_id`.
    pub fn by_transaction(transaction_id: impl Into<String>) -> PaymentQuery {
        PaymentQuery {
            merchant_transaction_id: None,
            transaction_id: Some(transaction_id.into()),
            request_id: None,
        }
    }

    /// Narrowed to the attempt `request_id`.
    #[must_use]
    pub fn with_request_id(mut self, request_id: impl Into<String>) -> PaymentQuery {
        self.request_id = Some(request_id.into());
        self
    }

    fn biz(&self) -> Value {
        let fields = [
            ("merchantTransactionId", &self.merchant_transaction_id),
            ("transactionId", &self.transaction_id),
            ("requestId", &self.request_id),
        ];
        Value::Object(
            fields
                .into_iter()
                .filter_map(|(name, value)| {
                    value.as_ref().map(|value| (name.to_owned(), json!(value)))
                })
                .collect(),
        )
    }
}

/// A verified answer about a payment: to a unifiedPay, a query, or a payment notice.
#[derive(Debug, Clone, PartialEq)]
pub struct PaymentResult {
    code: String,
    description: String,
    status: Option<Status>,
    biz: Map<String, Value>,
}

impl PaymentResult {
    pub(crate) fn from_reply(reply: Reply) -> Result<PaymentResult, ClientError> {
        let status = Status::of(&reply.biz, reply.http_status)?;
        Ok(PaymentResult {
            code: reply.code,
            description: reply.description,
            status,
            biz: reply.biz,
        })
    }

    /// The reply `code`: `000000` paid, `002000` processing, `001000` a query answered, a
    /// decline code (`3xxxxx`, `105000`), or why the request was refused (`102000`, `107000`,
    /// `107001` no such payment, ...). Empty for a notice.
    pub fn code(&self) -> &str {
        &self.code
    }

    /// The reply `description`.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// The payment's status; `None` when the request was refused and no payment is described.
    pub fn status(&self) -> Option<Status> {
        self.status
    }

    /// The gateway's transaction id; empty when none.
    pub fn transaction_id(&self) -> String {
        self.text("transactionId")
    }

    /// The merchant's order id.
    pub fn merchant_transaction_id(&self) -> String {
        self.text("merchantTransactionId")
    }

    /// Why the payment failed, from `issuerInfo`: `(issuerResultCode, issuerResultMsg)`.
    pub fn issuer(&self) -> Option<(String, String)> {
        let issuer = self.biz.get("issuerInfo")?.as_object()?;
        let code = biz_text(issuer, "issuerResultCode")?.into_owned();
        let message = biz_text(issuer, "issuerResultMsg")
            .unwrap_or_default()
            .into_owned();
        Some((code, message))
    }

    /// For a merchant-presented payment, the QR code payload the customer scans
    /// (`action.qrCode`).
    pub fn qr_code(&self) -> Option<String> {
        let action = self.biz.get("action")?.as_object()?;
        biz_text(action, "qrCode")
            .map(std::borrow::Cow::into_owned)
            .filter(|code| !code.is_empty())
    }

    /// The whole `bizContent`.
    pub fn biz_content(&self) -> &Map<String, Value> {
        &self.biz
    }

    fn text(&self, name: &str) -> String {
        biz_text(&self.biz, name).unwrap_or_default().into_owned()
    }

    pub(crate) fn from_biz(biz: Map<String, Value>) -> Result<PaymentResult, ClientError> {
        let status = Status::of(&biz, 0)?;
        Ok(PaymentResult {
            code: String::new(),
            description: String::new(),
            status,
            biz,
        })
    }
}

impl PingPongClient {
    /// Sends a payment and verifies the answer.
    ///
    /// A customer-presented payment may answer [`Status::Processing`] (PIN entry, unknown
    /// acquirer result); a merchant-presented one does, with [`PaymentResult::qr_code`].
    /// [`crate::till`] runs the whole protocol (poll, then void) for you.
    ///
    /// ```no_run
    /// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
    /// use tidegate_client::pingpong::{Credentials, PingPongClient, UnifiedPayRequest};
    /// use tidegate_core::{AuthCode, Currency, Money};
    ///
    /// let client = PingPongClient::new("http://127.0.0.1:8080", Credentials::sandbox_demo())?;
    /// let amount = Money::parse_decimal("12.30", Currency::parse("CNY").ok_or("currency")?, 2)?;
    /// let code = AuthCode::parse("284567890123450000")?;
    /// let result = client.unified_pay(&UnifiedPayRequest::customer_presented("POS-0001", amount, code)).await?;
    /// println!("{} {:?}", result.code(), result.status());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn unified_pay(
        &self,
        request: &UnifiedPayRequest,
    ) -> Result<PaymentResult, ClientError> {
        let reply = self.call(UNIFIED_PAY_PATH, &request.biz()).await?;
        PaymentResult::from_reply(reply)
    }

    /// Looks a payment up. An unknown payment answers code `107001` without a status.
    ///
    /// ```no_run
    /// # async fn example() -> Result<(), tidegate_client::ClientError> {
    /// use tidegate_client::pingpong::{Credentials, PaymentQuery, PingPongClient, Status};
    ///
    /// let client = PingPongClient::new("http://127.0.0.1:8080", Credentials::sandbox_demo())?;
    /// let payment = client.query(&PaymentQuery::by_order("POS-0001")).await?;
    /// let paid = payment.status() == Some(Status::Success);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn query(&self, query: &PaymentQuery) -> Result<PaymentResult, ClientError> {
        let reply = self.call(QUERY_PATH, &query.biz()).await?;
        PaymentResult::from_reply(reply)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tidegate_wire::pingpong::UnifiedPayRequest as Parsed;

    fn money(amount: &str, currency: &str) -> Money {
        let currency = Currency::parse(currency).expect("currency");
        Money::parse_decimal(amount, currency, usize::from(currency.exponent())).expect("amount")
    }

    #[test]
    fn the_gateway_reads_what_the_client_sends() {
        let code = AuthCode::parse("134567890123450000").expect("code");
        let request = UnifiedPayRequest::customer_presented("POS-1", money("12.3", "CNY"), code)
            .with_notification_url("http://127.0.0.1:9000/notices")
            .with_remark("till 7");
        let parsed = Parsed::parse(&request.biz().to_string()).expect("valid bizContent");
        assert_eq!(parsed.merchant_transaction_id, "POS-1");
        assert_eq!(parsed.request_id, "POS-1");
        assert_eq!(parsed.amount_text, "12.30");
        assert_eq!(parsed.method_type, "Wechat-Offline");
        assert_eq!(
            parsed.notification_url.as_deref(),
            Some("http://127.0.0.1:9000/notices")
        );
        assert_eq!(parsed.remark, "till 7");

        let qr = UnifiedPayRequest::merchant_presented(
            "POS-2",
            money("5", "HKD"),
            Wallet::Alipay,
            "till-7",
        );
        let parsed = Parsed::parse(&qr.biz().to_string()).expect("valid bizContent");
        assert_eq!(parsed.method_type, "AlipayHK-Offline");
        assert_eq!(
            parsed.presentment,
            Presentment::MerchantPresented(Wallet::Alipay)
        );
        assert_eq!(qr.method_type(), "AlipayHK-Offline");
    }

    #[test]
    fn queries_name_only_what_is_set() {
        let query = PaymentQuery::by_order("POS-1").with_request_id("R-1");
        assert_eq!(
            query.biz(),
            json!({"merchantTransactionId": "POS-1", "requestId": "R-1"})
        );
        assert_eq!(
            PaymentQuery::by_transaction("9").biz(),
            json!({"transactionId": "9"})
        );
    }
}
