//! Voids (`POST /v4/payment/void`) and the void query (`POST /v4/void/query`): how a till
//! closes an order whose outcome it could not learn, or cancels a sale.

use super::{biz_text, PingPongClient, Reply, Status};
use crate::ClientError;
use serde_json::{json, Map, Value};
use tidegate_core::Money;
use tidegate_wire::pingpong::{VOID_PATH, VOID_QUERY_PATH};

/// A void of a whole payment: an open one is closed so it can never be paid, a paid one is
/// reversed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoidRequest {
    /// The order to void.
    pub merchant_transaction_id: String,
    /// The merchant's id for this void: the same id again returns the first void, so retrying
    /// with it is safe.
    pub merchant_void_id: String,
    /// The payment's amount, when the merchant wants it checked.
    pub amount: Option<Money>,
    /// Where the gateway POSTs the payment's final result.
    pub notification_url: Option<String>,
}

impl VoidRequest {
    /// A void of the order `merchant_transaction_id`, keyed by `merchant_void_id`.
    pub fn new(
        merchant_transaction_id: impl Into<String>,
        merchant_void_id: impl Into<String>,
    ) -> VoidRequest {
        VoidRequest {
            merchant_transaction_id: merchant_transaction_id.into(),
            merchant_void_id: merchant_void_id.into(),
            amount: None,
            notification_url: None,
        }
    }

    /// With the payment's amount, which the gateway checks.
    #[must_use]
    pub fn with_amount(mut self, amount: Money) -> VoidRequest {
        self.amount = Some(amount);
        self
    }

    fn biz(&self) -> Value {
        let mut biz = Map::new();
        biz.insert(
            "merchantTransactionId".into(),
            json!(self.merchant_transaction_id),
        );
        biz.insert("merchantVoidId".into(), json!(self.merchant_void_id));
        if let Some(amount) = &self.amount {
            biz.insert("amount".into(), json!(amount.to_decimal_string()));
            biz.insert("currency".into(), json!(amount.currency().code()));
        }
        if let Some(url) = &self.notification_url {
            biz.insert("notificationUrl".into(), json!(url));
        }
        Value::Object(biz)
    }
}

/// Which void a void query asks about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoidQuery {
    /// The voided order.
    pub merchant_transaction_id: String,
    /// The merchant's id for the void.
    pub merchant_void_id: String,
}

/// A verified answer about a void.
#[derive(Debug, Clone, PartialEq)]
pub struct VoidResult {
    code: String,
    description: String,
    status: Option<Status>,
    biz: Map<String, Value>,
}

impl VoidResult {
    fn from_reply(reply: Reply) -> Result<VoidResult, ClientError> {
        let status = Status::of(&reply.biz, reply.http_status)?;
        Ok(VoidResult {
            code: reply.code,
            description: reply.description,
            status,
            biz: reply.biz,
        })
    }

    /// The reply `code`: `000000` or `001000` answered (see [`VoidResult::status`]), `600000`
    /// the acquirer did not confirm (void again), `107001` no such payment, `109000` the
    /// payment has refunds, ...
    pub fn code(&self) -> &str {
        &self.code
    }

    /// The reply `description`.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// The void's status; `None` when the void was refused outright.
    pub fn status(&self) -> Option<Status> {
        self.status
    }

    /// The voided payment's transaction id.
    pub fn transaction_id(&self) -> String {
        biz_text(&self.biz, "transactionId")
            .unwrap_or_default()
            .into_owned()
    }

    /// The whole `bizContent`.
    pub fn biz_content(&self) -> &Map<String, Value> {
        &self.biz
    }
}

impl PingPongClient {
    /// Voids a payment. Voiding again with the same `merchant_void_id` is harmless.
    ///
    /// ```no_run
    /// # async fn example() -> Result<(), tidegate_client::ClientError> {
    /// use tidegate_client::pingpong::{Credentials, PingPongClient, VoidRequest};
    ///
    /// let client = PingPongClient::new("http://127.0.0.1:8080", Credentials::sandbox_demo())?;
    /// let void = client.void(&VoidRequest::new("POS-0001", "POS-0001-void")).await?;
    /// println!("{} {:?}", void.code(), void.status());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn void(&self, request: &VoidRequest) -> Result<VoidResult, ClientError> {
        VoidResult::from_reply(self.call(VOID_PATH, &request.biz()).await?)
    }

    /// Looks a void up.
    ///
    /// ```no_run
    /// # async fn example() -> Result<(), tidegate_client::ClientError> {
    /// use tidegate_client::pingpong::{Credentials, PingPongClient, VoidQuery};
    ///
    /// let client = PingPongClient::new("http://127.0.0.1:8080", Credentials::sandbox_demo())?;
    /// let query = VoidQuery { merchant_transaction_id: "POS-0001".into(), merchant_void_id: "POS-0001-void".into() };
    /// println!("{:?}", client.void_query(&query).await?.status());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn void_query(&self, query: &VoidQuery) -> Result<VoidResult, ClientError> {
        let biz = json!({
            "merchantTransactionId": query.merchant_transaction_id,
            "merchantVoidId": query.merchant_void_id,
        });
        VoidResult::from_reply(self.call(VOID_QUERY_PATH, &biz).await?)
    }
}
