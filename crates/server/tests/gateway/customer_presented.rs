//! The till scans the customer's wallet code: every sandbox outcome, both wallets.

use crate::harness::{order, Gateway, PayForm, ALIPAY_APPROVE, SECURE_CODE, WECHAT_APPROVE};

const REPLY_FIELDS: [&str; 28] = [
    "notice_type",
    "push_dateTime",
    "response_type",
    "account",
    "terminal",
    "signValue",
    "methods",
    "order_number",
    "card_country",
    "order_currency",
    "order_amount",
    "order_notes",
    "card_number",
    "card_type",
    "payment_country",
    "payment_id",
    "payment_authType",
    "payment_status",
    "payment_details",
    "payment_solutions",
    "payment_risk",
    "payment_amount",
    "payment_exchangeRate",
    "pay_barCode",
    "auth_reason",
    "order_operator",
    "auth_code",
    "pay_userId",
];

#[tokio::test]
async fn a_wechat_code_is_approved_with_a_signed_complete_reply() {
    let gateway = Gateway::start().await;
    let order_number = order("wx-approve");
    let form =
        PayForm::customer_presented(&order_number, WECHAT_APPROVE).set("order_amount", "12.3");
    let reply = gateway.pay(&form.signed()).await;

    assert_eq!(reply.status, 200);
    assert!(reply.body.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?><response><notice_type>transaction</notice_type>"));
    let names: Vec<&str> = reply.fields.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, REPLY_FIELDS, "every field of the reply, in order");
    assert_eq!(reply.field("payment_status"), "1");
    assert_eq!(reply.field("payment_details"), "80000:Transaction Approved");
    assert_eq!(reply.field("methods"), "WeChatPay_Offline");
    assert_eq!(reply.field("order_number"), order_number);
    assert_eq!(
        reply.field("order_amount"),
        "12.3",
        "amount echoed exactly as sent"
    );
    assert_eq!(reply.field("order_notes"), "till 7");
    assert_eq!(reply.field("payment_id").len(), 21);
    assert!(reply
        .field("payment_id")
        .bytes()
        .all(|b| b.is_ascii_digit()));
    assert_eq!(reply.field("pay_userId"), "1345**********0000");
    assert!(
        !reply.body.contains(WECHAT_APPROVE),
        "the full payment code is never echoed"
    );
    assert!(reply.signature_valid(SECURE_CODE));
    assert_eq!(
        reply.field("signValue"),
        reply.field("signValue").to_uppercase()
    );
}

#[tokio::test]
async fn an_alipay_code_is_approved_and_named_alipay() {
    let gateway = Gateway::start().await;
    let reply = gateway
        .pay(&PayForm::customer_presented(&order("ali"), ALIPAY_APPROVE).signed())
        .await;
    assert_eq!(reply.field("payment_status"), "1");
    assert_eq!(reply.field("methods"), "Alipay_Offline");
    assert!(reply.signature_valid(SECURE_CODE));
}

#[tokio::test]
async fn declines_carry_the_bank_reason() {
    let gateway = Gateway::start().await;
    for (code, details) in [
        ("134567890123450051", "80022:Not Sufficient Funds"),
        ("284567890123450005", "80012:Payment Declined"),
        ("134567890123450059", "80041:Suspected Fraud/Retain Card"),
    ] {
        let reply = gateway
            .pay(&PayForm::customer_presented(&order("decline"), code).signed())
            .await;
        assert_eq!(reply.field("payment_status"), "0", "{code}");
        assert_eq!(reply.field("payment_details"), details, "{code}");
        assert!(reply.signature_valid(SECURE_CODE));
    }
}

#[tokio::test]
async fn a_customer_entering_a_pin_is_pending_then_approved() {
    let gateway = Gateway::start().await;
    let form = PayForm::customer_presented(&order("pin"), "134567890123451000").signed();
    let first = gateway.pay(&form).await;
    assert_eq!(first.field("payment_status"), "-1");
    assert_eq!(first.code(), "29001");
    assert!(first.signature_valid(SECURE_CODE));

    let last = gateway.pay_until_final(&form).await;
    assert_eq!(last.field("payment_id"), first.field("payment_id"));
    assert_eq!(last.field("payment_status"), "1");
    assert_eq!(last.field("payment_details"), "80000:Transaction Approved");
}

#[tokio::test]
async fn a_customer_entering_a_pin_can_cancel() {
    let gateway = Gateway::start().await;
    let form = PayForm::customer_presented(&order("pin-cancel"), "284567890123451001").signed();
    assert_eq!(gateway.pay(&form).await.field("payment_status"), "-1");
    let last = gateway.pay_until_final(&form).await;
    assert_eq!(last.field("payment_status"), "0");
    assert_eq!(
        last.field("payment_details"),
        "80101:Customer canceled transaction"
    );
}

#[tokio::test]
async fn an_acquirer_timeout_is_unknown_then_resolved() {
    let gateway = Gateway::start().await;
    let form = PayForm::customer_presented(&order("timeout"), "134567890123459000").signed();
    let first = gateway.pay(&form).await;
    assert_eq!(first.field("payment_status"), "-1");
    assert_eq!(
        first.code(),
        "80700",
        "result unknown, not waiting for the customer"
    );
    let last = gateway.pay_until_final(&form).await;
    assert_eq!(last.field("payment_id"), first.field("payment_id"));
    assert_eq!(last.field("payment_status"), "1");
}

#[tokio::test]
async fn a_pin_payment_never_completed_expires() {
    let gateway = Gateway::start_with(|config| {
        config.sandbox.pin_delay_ms = 60_000;
        config.payments.pending_ttl_seconds = 1;
    })
    .await;
    let form = PayForm::customer_presented(&order("pin-expire"), "134567890123451000").signed();
    assert_eq!(gateway.pay(&form).await.field("payment_status"), "-1");
    let last = gateway.pay_until_final(&form).await;
    assert_eq!(last.field("payment_status"), "0");
    assert_eq!(
        last.field("payment_details"),
        "80100:Transaction was not finished"
    );
}

#[tokio::test]
async fn sandbox_latency_is_applied() {
    let gateway = Gateway::start_with(|config| config.sandbox.latency_ms = 300).await;
    let started = std::time::Instant::now();
    let reply = gateway
        .pay(&PayForm::customer_presented(&order("slow"), WECHAT_APPROVE).signed())
        .await;
    assert_eq!(reply.field("payment_status"), "1");
    assert!(started.elapsed() >= std::time::Duration::from_millis(300));
}
