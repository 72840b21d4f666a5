//! Refunds and refund queries.

use crate::harness::{
    order, signed_form, verifies, Gateway, PayForm, Reply, ACCOUNT, TERMINAL, WECHAT_APPROVE,
};
use crate::receiver::{Answer, Receiver};

const REFUND_SIGNED: [&str; 7] = [
    "account",
    "terminal",
    "payment_id",
    "refund_number",
    "refund_type",
    "refund_amount",
    "refund_description",
];
const REFUND_REPLY_SIGNED: [&str; 6] = [
    "account",
    "terminal",
    "payment_id",
    "refund_number",
    "refund_id",
    "refund_results",
];
const REFUND_QUERY_SIGNED: [&str; 3] = ["account", "terminal", "refund_id"];
const BUSINESS_NOTICE_SIGNED: [&str; 9] = [
    "account",
    "terminal",
    "order_number",
    "order_currency",
    "order_amount",
    "payment_id",
    "notice_type",
    "push_status",
    "push_id",
];

async fn paid(gateway: &Gateway, amount: &str, notice_url: Option<&str>) -> String {
    let mut form = PayForm::customer_presented(&order("refundable"), WECHAT_APPROVE)
        .set("order_amount", amount);
    if let Some(url) = notice_url {
        form = form.set("noticeUrl", url);
    }
    let reply = gateway.pay(&form.signed()).await;
    assert_eq!(reply.field("payment_status"), "1");
    reply.field("payment_id").to_owned()
}

async fn refund(
    gateway: &Gateway,
    payment_id: &str,
    refund_number: &str,
    refund_type: &str,
    amount: &str,
) -> Reply {
    let form = signed_form(
        &[
            ("account", ACCOUNT),
            ("terminal", TERMINAL),
            ("payment_id", payment_id),
            ("refund_number", refund_number),
            ("refund_type", refund_type),
            ("refund_amount", amount),
            ("refund_description", "ProductDamage"),
        ],
        &REFUND_SIGNED,
    );
    let (status, body) = gateway.post_form("/service/applyRefund", &form).await;
    Reply::parse(status, &body)
}

async fn refund_query(gateway: &Gateway, refund_id: &str) -> Reply {
    let form = signed_form(
        &[
            ("account", ACCOUNT),
            ("terminal", TERMINAL),
            ("refund_id", refund_id),
        ],
        &REFUND_QUERY_SIGNED,
    );
    let (status, body) = gateway.post_form("/service/queryRefund", &form).await;
    Reply::parse(status, &body)
}

#[tokio::test]
async fn a_full_refund_is_accepted_and_signed() {
    let gateway = Gateway::start().await;
    let payment_id = paid(&gateway, "10.00", None).await;
    let reply = refund(&gateway, &payment_id, "R-1", "1", "10.00").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.field("refund_results"), "00", "{}", reply.body);
    assert_eq!(reply.field("refund_id").len(), 21);
    assert!(verifies(
        &reply.fields,
        &REFUND_REPLY_SIGNED,
        reply.field("signValue")
    ));

    let status = refund_query(&gateway, reply.field("refund_id")).await;
    assert_eq!(status.field("refund_check"), "00");
    assert_eq!(status.field("payment_id"), payment_id);
    assert!(verifies(
        &status.fields,
        &["account", "terminal", "refund_id", "refund_check"],
        status.field("signValue")
    ));

    let again = refund(&gateway, &payment_id, "R-2", "2", "0.01").await;
    assert_eq!(again.field("refund_results"), "01");
    assert!(
        again.field("refund_description").starts_with("29204:"),
        "{}",
        again.body
    );
}

#[tokio::test]
async fn partial_refunds_add_up_to_the_amount_and_no_further() {
    let gateway = Gateway::start().await;
    let payment_id = paid(&gateway, "10.00", None).await;
    assert_eq!(
        refund(&gateway, &payment_id, "P-1", "2", "3.00")
            .await
            .field("refund_results"),
        "00"
    );
    assert_eq!(
        refund(&gateway, &payment_id, "P-2", "2", "7.00")
            .await
            .field("refund_results"),
        "00"
    );
    let over = refund(&gateway, &payment_id, "P-3", "2", "0.01").await;
    assert_eq!(over.field("refund_results"), "01");
    assert!(over.field("refund_description").starts_with("29204:"));
    let full_after_partial = refund(&gateway, &payment_id, "P-4", "1", "10.00").await;
    assert!(
        full_after_partial
            .field("refund_description")
            .starts_with("29205:"),
        "{}",
        full_after_partial.body
    );
}

#[tokio::test]
async fn a_repeated_refund_number_replays_instead_of_refunding_twice() {
    let gateway = Gateway::start().await;
    let payment_id = paid(&gateway, "10.00", None).await;
    let first = refund(&gateway, &payment_id, "SAME", "2", "4.00").await;
    let second = refund(&gateway, &payment_id, "SAME", "2", "4.00").await;
    assert_eq!(second.field("refund_id"), first.field("refund_id"));
    assert_eq!(
        refund(&gateway, &payment_id, "OTHER", "2", "6.00")
            .await
            .field("refund_results"),
        "00"
    );
    assert_eq!(
        refund(&gateway, &payment_id, "MORE", "2", "0.01")
            .await
            .field("refund_results"),
        "01"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_refunds_never_exceed_the_amount() {
    let gateway = Gateway::start().await;
    let payment_id = paid(&gateway, "5.00", None).await;
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..12 {
        let form = signed_form(
            &[
                ("account", ACCOUNT),
                ("terminal", TERMINAL),
                ("payment_id", &payment_id),
                ("refund_number", &format!("C-{n}")),
                ("refund_type", "2"),
                ("refund_amount", "1.00"),
                ("refund_description", ""),
            ],
            &REFUND_SIGNED,
        );
        let client = gateway.client.clone();
        let url = format!("{}/service/applyRefund", gateway.base_url);
        tasks.spawn(async move {
            let response = client.post(url).form(&form).send().await.expect("sent");
            Reply::parse(200, &response.text().await.expect("body"))
        });
    }
    let mut accepted = 0;
    while let Some(reply) = tasks.join_next().await {
        if reply.expect("task").field("refund_results") == "00" {
            accepted += 1;
        }
    }
    assert_eq!(accepted, 5);
}

#[tokio::test]
async fn refunds_of_unpaid_unknown_or_foreign_payments_are_refused() {
    let gateway = Gateway::start().await;
    let declined = gateway
        .pay(&PayForm::customer_presented(&order("unpaid"), "134567890123450051").signed())
        .await;
    let reply = refund(&gateway, declined.field("payment_id"), "", "1", "12.30").await;
    assert!(
        reply.field("refund_description").starts_with("29203:"),
        "{}",
        reply.body
    );
    let reply = refund(&gateway, "261123000000000000000", "", "1", "12.30").await;
    assert!(
        reply.field("refund_description").starts_with("29202:"),
        "{}",
        reply.body
    );
    let reply = refund(&gateway, "abc", "", "1", "12.30").await;
    assert_eq!(reply.field("refund_results"), "01");
    let reply = refund_query(&gateway, "261123000000000000000").await;
    assert!(
        reply.field("refund_description").starts_with("29206:"),
        "{}",
        reply.body
    );
}

#[tokio::test]
async fn a_declined_refund_is_reported_and_releases_its_amount() {
    let gateway = Gateway::start().await;
    let payment_id = paid(&gateway, "10.00", None).await;
    let declined = refund(&gateway, &payment_id, "D-1", "2", "0.51").await;
    assert_eq!(declined.field("refund_results"), "01");
    assert_eq!(
        declined.field("refund_description"),
        "80022:Not Sufficient Funds"
    );
    let status = refund_query(&gateway, declined.field("refund_id")).await;
    assert_eq!(status.field("refund_check"), "01");
    assert_eq!(
        refund(&gateway, &payment_id, "D-2", "1", "10.00")
            .await
            .field("refund_results"),
        "00"
    );
}

#[tokio::test]
async fn refund_results_are_noticed_as_business_notices() {
    let gateway = Gateway::start().await;
    let receiver = Receiver::start(vec![Answer::Ack]).await;
    let payment_id = paid(&gateway, "10.00", Some(&receiver.url)).await;
    receiver.wait_for(1).await;
    let partial = refund(&gateway, &payment_id, "N-1", "2", "2.50").await;
    let received = receiver.wait_for(2).await;
    let notice = Reply::parse(200, &received[1].body);
    assert_eq!(notice.field("notice_type"), "partialRefund");
    assert_eq!(notice.field("push_status"), "1");
    assert_eq!(notice.field("push_id"), partial.field("refund_id"));
    assert_eq!(notice.field("payment_id"), payment_id);
    assert!(verifies(
        &notice.fields,
        &BUSINESS_NOTICE_SIGNED,
        notice.field("signValue")
    ));
}

#[tokio::test]
async fn a_refunded_payment_cannot_be_voided() {
    let gateway = Gateway::start().await;
    let order_number = order("refund-void");
    let reply = gateway
        .pay(&PayForm::customer_presented(&order_number, WECHAT_APPROVE).signed())
        .await;
    refund(&gateway, reply.field("payment_id"), "V-1", "2", "1.00").await;
    let form = signed_form(
        &[
            ("account", ACCOUNT),
            ("terminal", TERMINAL),
            ("order_number", &order_number),
            ("payment_authType", "3"),
        ],
        &["account", "terminal", "order_number", "payment_authType"],
    );
    let (_, body) = gateway.post_form("/gateway/service/auth", &form).await;
    let void = Reply::parse(200, &body);
    assert_eq!(void.field("payment_status"), "0");
    assert!(
        void.field("payment_details").starts_with("29207:"),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refund_during_a_void_is_refused_so_nothing_is_paid_back_twice() {
    let gateway = Gateway::start_with(|config| config.sandbox.latency_ms = 600).await;
    let order_number = order("void-race");
    let paid = gateway
        .pay(&PayForm::customer_presented(&order_number, WECHAT_APPROVE).signed())
        .await;
    assert_eq!(paid.field("payment_status"), "1");
    let void_form = signed_form(
        &[
            ("account", ACCOUNT),
            ("terminal", TERMINAL),
            ("order_number", &order_number),
            ("payment_authType", "3"),
        ],
        &["account", "terminal", "order_number", "payment_authType"],
    );
    let client = gateway.client.clone();
    let url = format!("{}/gateway/service/auth", gateway.base_url);
    let void = tokio::spawn(async move {
        client
            .post(url)
            .form(&void_form)
            .send()
            .await
            .expect("sent")
            .text()
            .await
            .expect("body")
    });
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let refund = refund(&gateway, paid.field("payment_id"), "RACE-1", "2", "3.00").await;
    assert_eq!(refund.field("refund_results"), "01", "{}", refund.body);
    assert!(
        refund.field("refund_description").starts_with("29203:"),
        "{}",
        refund.body
    );
    let void = Reply::parse(200, &void.await.expect("void task"));
    assert_eq!(void.field("payment_status"), "1", "{}", void.body);
}
