//! The till shows a QR code and the (simulated) customer scans it.

use crate::harness::{order, Gateway, PayForm, SECURE_CODE};

#[tokio::test]
async fn a_wechat_qr_waits_for_the_customer_then_is_paid() {
    let gateway = Gateway::start().await;
    let form = PayForm::merchant_presented(&order("qr-wx"), "WeChatPay_Offline").signed();
    let first = gateway.pay(&form).await;
    assert_eq!(first.field("payment_status"), "-1");
    assert_eq!(first.code(), "29001");
    assert!(
        first
            .field("pay_barCode")
            .starts_with("weixin://wxpay/bizpayurl?pr="),
        "{}",
        first.body
    );
    assert_eq!(first.field("methods"), "WeChatPay_Offline");
    assert!(first.signature_valid(SECURE_CODE));

    let payment_id = first.field("payment_id");
    let (status, body) = gateway.sandbox(payment_id, "pay").await;
    assert_eq!(status, 200);
    assert_eq!(body["state"], "approved");

    let replay = gateway.pay(&form).await;
    assert_eq!(replay.field("payment_id"), payment_id);
    assert_eq!(replay.field("payment_status"), "1");
    assert_eq!(replay.field("pay_barCode"), first.field("pay_barCode"));
}

#[tokio::test]
async fn an_alipay_qr_refused_by_the_customer_is_cancelled() {
    let gateway = Gateway::start().await;
    let form = PayForm::merchant_presented(&order("qr-ali"), "Alipay_Offline").signed();
    let first = gateway.pay(&form).await;
    assert!(
        first
            .field("pay_barCode")
            .starts_with("https://qr.alipay.com/"),
        "{}",
        first.body
    );
    let (status, body) = gateway.sandbox(first.field("payment_id"), "decline").await;
    assert_eq!(status, 200);
    assert_eq!(body["state"], "cancelled");
    let replay = gateway.pay(&form).await;
    assert_eq!(replay.field("payment_status"), "0");
    assert_eq!(
        replay.field("payment_details"),
        "80101:Customer canceled transaction"
    );
}

#[tokio::test]
async fn an_unpaid_qr_expires_and_can_no_longer_be_paid() {
    let gateway = Gateway::start_with(|config| config.payments.qr_ttl_seconds = 1).await;
    let form = PayForm::merchant_presented(&order("qr-expire"), "WeChatPay_Offline").signed();
    let first = gateway.pay(&form).await;
    let last = gateway.pay_until_final(&form).await;
    assert_eq!(last.field("payment_status"), "0");
    assert_eq!(
        last.field("payment_details"),
        "80100:Transaction was not finished"
    );

    let (status, body) = gateway.sandbox(first.field("payment_id"), "pay").await;
    assert_eq!(status, 409);
    assert_eq!(body["error"], "not_awaiting_customer");
}

#[tokio::test]
async fn sandbox_routes_refuse_unknown_and_customer_presented_payments() {
    let gateway = Gateway::start().await;
    let (status, body) = gateway.sandbox("261123000000000000000", "pay").await;
    assert_eq!(status, 404);
    assert_eq!(body["error"], "unknown_payment");

    let reply = gateway
        .pay(&PayForm::customer_presented(&order("cp"), crate::harness::WECHAT_APPROVE).signed())
        .await;
    let (status, body) = gateway.sandbox(reply.field("payment_id"), "decline").await;
    assert_eq!(status, 409);
    assert_eq!(body["error"], "not_awaiting_customer");
}
