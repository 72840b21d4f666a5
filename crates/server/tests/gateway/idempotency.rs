//! Retries, duplicate order numbers and concurrent duplicates.

use crate::harness::{order, Gateway, PayForm, SECURE_CODE, WECHAT_APPROVE};
use std::collections::HashSet;

#[tokio::test]
async fn an_identical_retry_returns_the_same_payment() {
    let gateway = Gateway::start().await;
    let form = PayForm::customer_presented(&order("retry"), WECHAT_APPROVE).signed();
    let first = gateway.pay(&form).await;
    let second = gateway.pay(&form).await;
    assert_eq!(first.field("payment_status"), "1");
    assert_eq!(second.field("payment_id"), first.field("payment_id"));
    assert_eq!(second.field("payment_status"), "1");
    assert_eq!(
        second.field("payment_details"),
        first.field("payment_details")
    );
    let counts = crate::harness::counts(&gateway).await;
    assert_eq!(counts.get("approved"), Some(&1));
}

#[tokio::test]
async fn a_paid_order_number_cannot_be_paid_again() {
    let gateway = Gateway::start().await;
    let order_number = order("dup");
    let first = gateway
        .pay(&PayForm::customer_presented(&order_number, WECHAT_APPROVE).signed())
        .await;
    assert_eq!(first.field("payment_status"), "1");

    let another_code = PayForm::customer_presented(&order_number, "134567890123457770").signed();
    let refused = gateway.pay(&another_code).await;
    assert_eq!(refused.status, 200);
    assert_eq!(refused.field("payment_status"), "0");
    assert_eq!(refused.field("payment_details"), "20061:Duplicate order");
    assert_eq!(refused.field("order_number"), order_number);
    assert!(refused.signature_valid(SECURE_CODE));
}

#[tokio::test]
async fn a_declined_order_number_can_be_tried_again() {
    let gateway = Gateway::start().await;
    let order_number = order("redo");
    let declined = gateway
        .pay(&PayForm::customer_presented(&order_number, "134567890123450051").signed())
        .await;
    assert_eq!(declined.field("payment_status"), "0");
    let retried = gateway
        .pay(&PayForm::customer_presented(&order_number, WECHAT_APPROVE).signed())
        .await;
    assert_eq!(retried.field("payment_status"), "1");
    assert_ne!(retried.field("payment_id"), declined.field("payment_id"));
}

#[tokio::test]
async fn the_duplicate_rule_is_per_wallet() {
    let gateway = Gateway::start().await;
    let order_number = order("wallets");
    let paid = gateway
        .pay(&PayForm::customer_presented(&order_number, WECHAT_APPROVE).signed())
        .await;
    assert_eq!(paid.field("payment_status"), "1");
    // The duplicate rule is per terminal, method and order number (Oceanpayment 20061).
    let alipay = gateway
        .pay(&PayForm::customer_presented(&order_number, crate::harness::ALIPAY_APPROVE).signed())
        .await;
    assert_eq!(alipay.field("payment_status"), "1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_identical_requests_make_one_payment() {
    let gateway = Gateway::start().await;
    let form = PayForm::customer_presented(&order("race"), WECHAT_APPROVE).signed();
    let replies = futures_all(&gateway, vec![form; 20]).await;
    let ids: HashSet<String> = replies
        .iter()
        .map(|r| r.field("payment_id").to_owned())
        .collect();
    assert_eq!(ids.len(), 1, "one payment id for all: {ids:?}");
    assert!(replies.iter().all(|r| r.field("payment_status") == "1"));
    assert_eq!(
        crate::harness::counts(&gateway).await.get("approved"),
        Some(&1)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_different_requests_for_one_order_make_one_payment() {
    let gateway = Gateway::start().await;
    let order_number = order("race-codes");
    let forms: Vec<_> = (0..20)
        .map(|n| {
            PayForm::customer_presented(&order_number, &format!("13456789012{n:02}00000")).signed()
        })
        .collect();
    let replies = futures_all(&gateway, forms).await;
    let approved = replies
        .iter()
        .filter(|r| r.field("payment_status") == "1")
        .count();
    let duplicates = replies
        .iter()
        .filter(|r| r.field("payment_details") == "20061:Duplicate order")
        .count();
    assert_eq!((approved, duplicates), (1, 19));
    assert_eq!(
        crate::harness::counts(&gateway).await.get("approved"),
        Some(&1)
    );
}

async fn futures_all(
    gateway: &Gateway,
    forms: Vec<Vec<(String, String)>>,
) -> Vec<crate::harness::Reply> {
    let mut tasks = tokio::task::JoinSet::new();
    for form in forms {
        let client = gateway.client.clone();
        let url = format!("{}/gateway/directservice/pay", gateway.base_url);
        tasks.spawn(async move {
            let response = client.post(url).form(&form).send().await.expect("sent");
            let status = response.status().as_u16();
            crate::harness::Reply::parse(status, &response.text().await.expect("body"))
        });
    }
    let mut replies = Vec::new();
    while let Some(reply) = tasks.join_next().await {
        replies.push(reply.expect("task"));
    }
    replies
}
