//! Refunds (`POST /v4/payment/refund`) and the refund query (`POST /v4/refund/query`).

use super::{biz_text, PingPongClient, Reply, Status};
use crate::ClientError;
use serde_json::{json, Map, Value};
use tidegate_core::Money;
use tidegate_wire::pingpong::{REFUND_PATH, REFUND_QUERY_PATH};

/// A refund of all or part of an approved payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRequest {
    /// The paid order.
    pub merchant_transaction_id: String,
    /// The merchant's id for this refund: the same id again returns the first refund instead
    /// of refunding twice.
    pub merchant_refund_id: String,
    /// The amount, in the payment's currency.
    pub amount: Money,
    /// Where the gateway POSTs the refund's result.
    pub notification_url: Option<String>,
    /// Why, free text.
    pub remark: String,
}

impl RefundRequest {
    /// A refund of `amount` of the order `merchant_transaction_id`, keyed by `merchant_refund_id`.
    pub fn new(
        merchant_transaction_id: impl Into<String>,
        merchant_refund_id: impl Into<String>,
        amount: Money,
    ) -> RefundRequest {
        RefundRequest {
            merchant_transaction_id: merchant_transaction_id.into(),
            merchant_refund_id: merchant_refund_id.into(),
            amount,
            notification_url: None,
            remark: String::new(),
        }
    }

    fn biz(&self) -> Value {
        let mut biz = Map::new();
        biz.insert(
            "merchantTransactionId".into(),
            json!(self.merchant_transaction_id),
        );
        biz.insert("merchantRefundId".into(), json!(self.merchant_refund_id));
        biz.insert("amount".into(), json!(self.amount.to_decimal_string()));
        biz.insert("currency".into(), json!(self.amount.currency().code()));
        if let Some(url) = &self.notification_url {
            biz.insert("notificationUrl".into(), json!(url));
        }
        if !self.remark.is_empty() {
            biz.insert("remark".into(), json!(self.remark));
        }
        Value::Object(biz)
    }
}

/// Which refund a refund query asks about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundQuery {
    /// The refunded order.
    pub merchant_transaction_id: String,
    /// The gateway's refund id.
    pub refund_id: Option<String>,
    /// The merchant's refund id.
    pub merchant_refund_id: Option<String>,
}

impl RefundQuery {
    /// The refund the merchant called `merchant_refund_id` on the order.
    pub fn by_merchant_refund_id(
        merchant_transaction_id: impl Into<String>,
        merchant_refund_id: impl Into<String>,
    ) -> RefundQuery {
        RefundQuery {
            merchant_transaction_id: merchant_transaction_id.into(),
            refund_id: None,
            merchant_refund_id: Some(merchant_refund_id.into()),
        }
    }

    /// The refund the gateway calls `refund_id` on the order.
    pub fn by_refund_id(
        merchant_transaction_id: impl Into<String>,
        refund_id: impl Into<String>,
    ) -> RefundQuery {
        RefundQuery {
            merchant_transaction_id: merchant_transaction_id.into(),
            refund_id: Some(refund_id.into()),
            merchant_refund_id: None,
        }
    }

    fn biz(&self) -> Value {
        let mut biz = Map::new();
        biz.insert(
            "merchantTransactionId".into(),
            json!(self.merchant_transaction_id),
        );
        if let Some(id) = &self.refund_id {
            biz.insert("refundId".into(), json!(id));
        }
        if let Some(id) = &self.merchant_refund_id {
            biz.insert("merchantRefundId".into(), json!(id));
        }
        Value::Object(biz)
    }
}

/// A verified answer about a refund: to a refund, a refund query, or a refund notice.
#[derive(Debug, Clone, PartialEq)]
pub struct RefundResult {
    code: String,
    description: String,
    status: Option<Status>,
    biz: Map<String, Value>,
}

impl RefundResult {
    fn from_reply(reply: Reply) -> Result<RefundResult, ClientError> {
        let status = Status::of(&reply.biz, reply.http_status)?;
        Ok(RefundResult {
            code: reply.code,
            description: reply.description,
            status,
            biz: reply.biz,
        })
    }

    pub(crate) fn from_biz(biz: Map<String, Value>) -> Result<RefundResult, ClientError> {
        let status = Status::of(&biz, 0)?;
        Ok(RefundResult {
            code: String::new(),
            description: String::new(),
            status,
            biz,
        })
    }

    /// The reply `code` (`000000`, `002000`, `001000`, `300000` refused, `108000` too much,
    /// ...); empty for a notice.
    pub fn code(&self) -> &str {
        &self.code
    }

    /// The reply `description`.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// Succeeded, failed or processing; `None` when the request was refused outright.
    pub fn status(&self) -> Option<Status> {
        self.status
    }

    /// The gateway's refund id.
    pub fn refund_id(&self) -> String {
        biz_text(&self.biz, "refundId")
            .unwrap_or_default()
            .into_owned()
    }

    /// The merchant's refund id.
    pub fn merchant_refund_id(&self) -> String {
        biz_text(&self.biz, "merchantRefundId")
            .unwrap_or_default()
            .into_owned()
    }

    /// The whole `bizContent`.
    pub fn biz_content(&self) -> &Map<String, Value> {
        &self.biz
    }
}

impl PingPongClient {
    /// Refunds all or part of an approved payment.
    ///
    /// ```no_run
    /// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
    /// use tidegate_client::pingpong::{Credentials, PingPongClient, RefundRequest};
    /// use tidegate_core::{Currency, Money};
    ///
    /// let client = PingPongClient::new("http://127.0.0.1:8080", Credentials::sandbox_demo())?;
    /// let amount = Money::parse_decimal("2.00", Currency::parse("CNY").ok_or("currency")?, 2)?;
    /// let refund = client.refund(&RefundRequest::new("POS-0001", "RF-1", amount)).await?;
    /// println!("{} {:?}", refund.code(), refund.status());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn refund(&self, request: &RefundRequest) -> Result<RefundResult, ClientError> {
        RefundResult::from_reply(self.call(REFUND_PATH, &request.biz()).await?)
    }

    /// Looks a refund up.
    ///
    /// ```no_run
    /// # async fn example() -> Result<(), tidegate_client::ClientError> {
    /// use tidegate_client::pingpong::{Credentials, PingPongClient, RefundQuery};
    ///
    /// let client = PingPongClient::new("http://127.0.0.1:8080", Credentials::sandbox_demo())?;
    /// let refund = client.refund_query(&RefundQuery::by_merchant_refund_id("POS-0001", "RF-1")).await?;
    /// println!("{:?}", refund.status());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn refund_query(&self, query: &RefundQuery) -> Result<RefundResult, ClientError> {
        RefundResult::from_reply(self.call(REFUND_QUERY_PATH, &query.biz()).await?)
    }
}
