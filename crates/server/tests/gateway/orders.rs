//! Order query and offline void, as a till polls and cancels.

use crate::harness::{
    order, payment_infos, signed_form, verifies, Gateway, PayForm, Reply, ACCOUNT, TERMINAL,
    WECHAT_APPROVE,
};
use crate::receiver::{Answer, Receiver};

const QUERY_SIGNED: [&str; 3] = ["account", "terminal", "order_number"];
const INFO_SIGNED: [&str; 9] = [
    "account",
    "terminal",
    "order_number",
    "order_currency",
    "order_amount",
    "order_notes",
    "payment_id",
    "payment_results",
    "payment_details",
];
const VOID_SIGNED: [&str; 4] = ["account", "terminal", "order_number", "payment_authType"];
const VOID_REPLY_SIGNED: [&str; 7] = [
    "account",
    "terminal",
    "order_number",
    "payment_id",
    "payment_authType",
    "payment_status",
    "payment_details",
];

async fn query(gateway: &Gateway, order_numbers: &str) -> (u16, String) {
    let form = signed_form(
        &[
            ("account", ACCOUNT),
            ("terminal", TERMINAL),
            ("order_number", order_numbers),
        ],
        &QUERY_SIGNED,
    );
    gateway.post_form("/service/check/normal", &form).await
}

fn field<'a>(info: &'a [(String, String)], name: &str) -> &'a str {
    info.iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

#[tokio::test]
async fn a_query_reports_every_attempt_newest_first_and_unknown_orders() {
    let gateway = Gateway::start().await;
    let order_number = order("query");
    let declined = gateway
        .pay(&PayForm::customer_presented(&order_number, "134567890123450051").signed())
        .await;
    let approved = gateway
        .pay(&PayForm::customer_presented(&order_number, WECHAT_APPROVE).signed())
        .await;
    let other = order("query-other");
    let qr = gateway
        .pay(&PayForm::merchant_presented(&other, "Alipay_Offline").signed())
        .await;

    let (status, body) = query(&gateway, &format!("{order_number},{other},nope-404")).await;
    assert_eq!(status, 200);
    let infos = payment_infos(&body);
    assert_eq!(infos.len(), 4, "{body}");
    assert_eq!(field(&infos[0], "payment_id"), approved.field("payment_id"));
    assert_eq!(field(&infos[0], "payment_results"), "1");
    assert_eq!(field(&infos[0], "refund_status"), "0");
    assert_eq!(field(&infos[1], "payment_id"), declined.field("payment_id"));
    assert_eq!(field(&infos[1], "payment_results"), "0");
    assert_eq!(
        field(&infos[1], "payment_details"),
        "80022:Not Sufficient Funds"
    );
    assert_eq!(field(&infos[2], "payment_id"), qr.field("payment_id"));
    assert_eq!(field(&infos[2], "payment_results"), "-1");
    assert!(field(&infos[2], "pay_barCode").starts_with("https://qr.alipay.com/"));
    assert_eq!(field(&infos[3], "order_number"), "nope-404");
    assert_eq!(field(&infos[3], "payment_id"), "");
    assert!(field(&infos[3], "payment_details").starts_with("29201:"));
    for info in &infos {
        assert!(
            verifies(info, &INFO_SIGNED, field(info, "signValue")),
            "{info:?}"
        );
        assert!(
            !field(info, "payment_dateTime").is_empty() || field(info, "payment_id").is_empty()
        );
    }
}

#[tokio::test]
async fn a_till_polls_the_query_while_the_customer_enters_a_pin() {
    let gateway = Gateway::start().await;
    let order_number = order("poll");
    let first = gateway
        .pay(&PayForm::customer_presented(&order_number, "134567890123451000").signed())
        .await;
    assert_eq!(first.field("payment_status"), "-1");
    let mut results = Vec::new();
    for _ in 0..100 {
        let (_, body) = query(&gateway, &order_number).await;
        let result = field(&payment_infos(&body)[0], "payment_results").to_owned();
        results.push(result.clone());
        if result != "-1" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(results.first().map(String::as_str), Some("-1"));
    assert_eq!(results.last().map(String::as_str), Some("1"));
}

#[tokio::test]
async fn bad_queries_are_refused_with_a_code() {
    let gateway = Gateway::start().await;
    let mut form = signed_form(
        &[
            ("account", ACCOUNT),
            ("terminal", TERMINAL),
            ("order_number", "A1"),
        ],
        &QUERY_SIGNED,
    );
    form.last_mut().expect("signValue").1 = "0".repeat(64);
    let (status, body) = gateway.post_form("/service/check/normal", &form).await;
    assert_eq!(status, 200);
    assert!(body.contains("<query_details>20013:"), "{body}");
    assert!(payment_infos(&body).is_empty());

    let many: Vec<String> = (0..101).map(|n| format!("o{n}")).collect();
    let (_, body) = query(&gateway, &many.join(",")).await;
    assert!(
        body.contains("<query_details>20018:") || body.contains("<query_details>291"),
        "{body}"
    );
    let (_, body) = query(&gateway, "").await;
    assert!(body.contains("<query_details>20017:"), "{body}");
}

async fn void(gateway: &Gateway, order_number: &str, auth_type: &str) -> Reply {
    let form = signed_form(
        &[
            ("account", ACCOUNT),
            ("terminal", TERMINAL),
            ("order_number", order_number),
            ("payment_authType", auth_type),
        ],
        &VOID_SIGNED,
    );
    let (status, body) = gateway.post_form("/gateway/service/auth", &form).await;
    Reply::parse(status, &body)
}

#[tokio::test]
async fn voiding_a_pending_payment_closes_it_for_good() {
    let gateway = Gateway::start().await;
    let receiver = Receiver::start(vec![Answer::Ack]).await;
    let order_number = order("void-pending");
    let form = PayForm::customer_presented(&order_number, "134567890123451000")
        .set("noticeUrl", &receiver.url);
    let pending = gateway.pay(&form.signed()).await;
    assert_eq!(pending.field("payment_status"), "-1");

    let voided = void(&gateway, &order_number, "3").await;
    assert!(
        voided
            .body
            .starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?><respon>"),
        "{}",
        voided.body
    );
    assert_eq!(voided.field("payment_status"), "1");
    assert_eq!(voided.field("payment_id"), pending.field("payment_id"));
    assert!(verifies(
        &voided.fields,
        &VOID_REPLY_SIGNED,
        voided.field("signValue")
    ));

    // Long after the PIN delay the payment is still voided: a late approval cannot succeed.
    tokio::time::sleep(std::time::Duration::from_millis(900)).await;
    let (_, body) = query(&gateway, &order_number).await;
    let info = &payment_infos(&body)[0];
    assert_eq!(field(info, "payment_results"), "0");
    assert_eq!(field(info, "payment_details"), "80053:Authorisation Void");

    let notice = Reply::parse(200, &receiver.wait_for(1).await[0].body);
    assert_eq!(notice.field("payment_status"), "0");
    assert_eq!(notice.field("payment_details"), "80053:Authorisation Void");

    let again = void(&gateway, &order_number, "3").await;
    assert_eq!(
        again.field("payment_status"),
        "1",
        "voiding twice is answered the same"
    );
    assert_eq!(again.field("payment_id"), pending.field("payment_id"));
}

#[tokio::test]
async fn voiding_an_approved_payment_reverses_it() {
    let gateway = Gateway::start().await;
    let order_number = order("void-approved");
    let paid = gateway
        .pay(&PayForm::customer_presented(&order_number, WECHAT_APPROVE).signed())
        .await;
    assert_eq!(paid.field("payment_status"), "1");
    let voided = void(&gateway, &order_number, "3").await;
    assert_eq!(voided.field("payment_status"), "1");
    let (_, body) = query(&gateway, &order_number).await;
    assert_eq!(field(&payment_infos(&body)[0], "payment_results"), "0");
    // The order number is free again once voided.
    let again = gateway
        .pay(&PayForm::customer_presented(&order_number, "134567890123457000").signed())
        .await;
    assert_eq!(again.field("payment_status"), "1");
}

#[tokio::test]
async fn voiding_an_unknown_result_closes_it() {
    let gateway =
        Gateway::start_with(|config| config.sandbox.unknown_resolves_after_ms = 60_000).await;
    let order_number = order("void-unknown");
    let unknown = gateway
        .pay(&PayForm::customer_presented(&order_number, "134567890123459000").signed())
        .await;
    assert_eq!(unknown.code(), "80700");
    let voided = void(&gateway, &order_number, "3").await;
    assert_eq!(voided.field("payment_status"), "1");
    assert_eq!(voided.field("payment_details"), "80053:Authorisation Void");
}

#[tokio::test]
async fn bad_voids_are_refused() {
    let gateway = Gateway::start().await;
    let unknown = void(&gateway, "never-paid", "3").await;
    assert_eq!(unknown.field("payment_status"), "0");
    assert!(unknown.field("payment_details").starts_with("29201:"));
    // A pre-authorisation capture, signed over its own published formula, is not offered.
    let capture = signed_form(
        &[
            ("account", ACCOUNT),
            ("terminal", TERMINAL),
            ("payment_id", "261123000000000000000"),
            ("payment_authType", "1"),
            ("order_amount", "10"),
        ],
        &[
            "account",
            "terminal",
            "payment_id",
            "payment_authType",
            "order_amount",
        ],
    );
    let (_, body) = gateway.post_form("/gateway/service/auth", &capture).await;
    let capture = Reply::parse(200, &body);
    assert_eq!(capture.field("payment_status"), "0");
    assert!(
        capture.field("payment_details").starts_with("29208:"),
        "{body}"
    );
}

#[tokio::test]
async fn a_void_closes_every_payment_of_the_order() {
    let gateway = Gateway::start().await;
    let order_number = order("void-both");
    let wechat = gateway
        .pay(&PayForm::customer_presented(&order_number, WECHAT_APPROVE).signed())
        .await;
    let alipay = gateway
        .pay(&PayForm::customer_presented(&order_number, crate::harness::ALIPAY_APPROVE).signed())
        .await;
    assert_eq!(
        (
            wechat.field("payment_status"),
            alipay.field("payment_status")
        ),
        ("1", "1")
    );
    assert_eq!(
        void(&gateway, &order_number, "3")
            .await
            .field("payment_status"),
        "1"
    );
    let (_, body) = query(&gateway, &order_number).await;
    let results: Vec<String> = payment_infos(&body)
        .iter()
        .map(|info| field(info, "payment_results").to_owned())
        .collect();
    assert_eq!(results, ["0", "0"], "both payments voided");
}

#[tokio::test]
async fn an_identical_request_after_a_void_starts_a_new_payment() {
    let gateway = Gateway::start().await;
    let order_number = order("qr-again");
    let form = PayForm::merchant_presented(&order_number, "WeChatPay_Offline").signed();
    let first = gateway.pay(&form).await;
    assert_eq!(
        void(&gateway, &order_number, "3")
            .await
            .field("payment_status"),
        "1"
    );
    let again = gateway.pay(&form).await;
    assert_eq!(again.field("payment_status"), "-1");
    assert_ne!(
        again.field("payment_id"),
        first.field("payment_id"),
        "a new QR, not the voided one"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notice_reports_the_state_that_caused_it() {
    let gateway = Gateway::start_with(|config| {
        config.notices.oceanpayment_retry_schedule_ms = vec![300, 300, 300];
    })
    .await;
    let receiver = Receiver::start(vec![Answer::Reply(500, "down")]).await;
    let order_number = order("notice-then-void");
    let form =
        PayForm::customer_presented(&order_number, WECHAT_APPROVE).set("noticeUrl", &receiver.url);
    gateway.pay(&form.signed()).await;
    receiver.wait_for(1).await;
    assert_eq!(
        void(&gateway, &order_number, "3")
            .await
            .field("payment_status"),
        "1"
    );
    receiver.answer_with(vec![Answer::Ack]);
    let received = receiver.wait_for(3).await;
    let details: Vec<String> = received
        .iter()
        .map(|r| {
            Reply::parse(200, &r.body)
                .field("payment_details")
                .to_owned()
        })
        .collect();
    assert_eq!(details[0], "80000:Transaction Approved");
    assert!(
        details.contains(&"80000:Transaction Approved".to_owned())
            && details.contains(&"80053:Authorisation Void".to_owned()),
        "{details:?}"
    );
    let approvals_after_void = details[1..]
        .iter()
        .filter(|d| d.starts_with("80000"))
        .count();
    assert!(
        approvals_after_void >= 1,
        "the approval is retried as an approval, not as a void: {details:?}"
    );
}
