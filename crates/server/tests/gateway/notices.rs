//! Notices: delivered to a real receiver, verified as the official plugins verify them, retried
//! until acknowledged, given up after the schedule, kept across restarts, resendable.

use crate::harness::{order, test_config, Gateway, PayForm, Reply, SECURE_CODE, WECHAT_APPROVE};
use crate::receiver::{Answer, Receiver};
use std::time::Duration;

fn notice(body: &str) -> Reply {
    Reply::parse(200, body)
}

#[tokio::test]
async fn an_approved_payment_is_noticed_and_the_notice_verifies() {
    let gateway = Gateway::start().await;
    let receiver = Receiver::start(vec![Answer::Ack]).await;
    let form = PayForm::customer_presented(&order("notice"), WECHAT_APPROVE)
        .set("noticeUrl", &receiver.url);
    let reply = gateway.pay(&form.signed()).await;
    assert_eq!(reply.field("payment_status"), "1");

    let received = receiver.wait_for(1).await;
    assert_eq!(received[0].content_type, "application/xml; charset=utf-8");
    let notice = notice(&received[0].body);
    assert_eq!(notice.field("notice_type"), "transaction");
    assert_eq!(notice.field("response_type"), "1");
    assert!(!notice.field("push_dateTime").is_empty());
    assert_eq!(notice.field("payment_id"), reply.field("payment_id"));
    assert_eq!(notice.field("payment_status"), "1");
    assert_eq!(
        notice.field("payment_details"),
        "80000:Transaction Approved"
    );
    assert!(
        notice.signature_valid(SECURE_CODE),
        "verifies exactly as the plugins do"
    );

    let notices = gateway
        .notices_until(reply.field("payment_id"), |n| n[0]["status"] == "delivered")
        .await;
    assert_eq!(notices.as_array().map(Vec::len), Some(1));
    assert_eq!(notices[0]["attempts"], 1);
    assert_eq!(notices[0]["attempt_log"][0]["http_status"], 200);
    assert_eq!(notices[0]["attempt_log"][0]["body_prefix"], "receive-ok");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        receiver.received().len(),
        1,
        "an acknowledged notice is not sent again"
    );
}

#[tokio::test]
async fn only_final_states_are_noticed() {
    let gateway = Gateway::start().await;
    let receiver = Receiver::start(vec![Answer::Ack]).await;
    let pin = PayForm::customer_presented(&order("pin-notice"), "134567890123451000")
        .set("noticeUrl", &receiver.url);
    assert_eq!(
        gateway.pay(&pin.signed()).await.field("payment_status"),
        "-1"
    );
    let declined = PayForm::customer_presented(&order("declined-notice"), "134567890123450051")
        .set("noticeUrl", &receiver.url);
    gateway.pay(&declined.signed()).await;

    let received = receiver.wait_for(2).await;
    let statuses: Vec<(String, String)> = received
        .iter()
        .map(|r| {
            let n = notice(&r.body);
            (
                n.field("payment_status").to_owned(),
                n.field("payment_details").to_owned(),
            )
        })
        .collect();
    assert!(
        statuses.contains(&("0".into(), "80022:Not Sufficient Funds".into())),
        "{statuses:?}"
    );
    assert!(
        statuses.contains(&("1".into(), "80000:Transaction Approved".into())),
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|(status, _)| status != "-1"),
        "no notice for the pending step"
    );
}

#[tokio::test]
async fn expired_and_cancelled_qr_payments_are_noticed() {
    let gateway = Gateway::start_with(|config| config.payments.qr_ttl_seconds = 1).await;
    let receiver = Receiver::start(vec![Answer::Ack]).await;
    let expiring = PayForm::merchant_presented(&order("qr-exp"), "WeChatPay_Offline")
        .set("noticeUrl", &receiver.url);
    gateway.pay(&expiring.signed()).await;
    let refused = PayForm::merchant_presented(&order("qr-no"), "Alipay_Offline")
        .set("noticeUrl", &receiver.url);
    let refused_reply = gateway.pay(&refused.signed()).await;
    gateway
        .sandbox(refused_reply.field("payment_id"), "decline")
        .await;

    let received = receiver.wait_for(2).await;
    let details: Vec<String> = received
        .iter()
        .map(|r| notice(&r.body).field("payment_details").to_owned())
        .collect();
    assert!(
        details.contains(&"80101:Customer canceled transaction".to_owned()),
        "{details:?}"
    );
    assert!(
        details.contains(&"80100:Transaction was not finished".to_owned()),
        "{details:?}"
    );
}

#[tokio::test]
async fn unacknowledged_notices_are_retried_until_acknowledged() {
    let gateway = Gateway::start().await;
    let receiver = Receiver::start(vec![
        Answer::Reply(500, "oops"),
        Answer::Reply(200, "receive-no"),
        Answer::Ack,
    ])
    .await;
    let form = PayForm::customer_presented(&order("retry-notice"), WECHAT_APPROVE)
        .set("noticeUrl", &receiver.url);
    let payment_id = gateway
        .pay(&form.signed())
        .await
        .field("payment_id")
        .to_owned();

    let notices = gateway
        .notices_until(&payment_id, |n| n[0]["status"] == "delivered")
        .await;
    assert_eq!(notices[0]["attempts"], 3);
    let log = &notices[0]["attempt_log"];
    assert_eq!(log[0]["http_status"], 500);
    assert_eq!(log[0]["body_prefix"], "oops");
    assert_eq!(log[1]["http_status"], 200);
    assert_eq!(log[1]["body_prefix"], "receive-no");
    assert_eq!(log[2]["body_prefix"], "receive-ok");
    let bodies: Vec<String> = receiver.received().iter().map(|r| r.body.clone()).collect();
    assert_eq!(bodies.len(), 3);
    assert!(bodies
        .iter()
        .all(|b| notice(b).field("payment_id") == payment_id));
}

#[tokio::test]
async fn a_notice_is_given_up_after_its_schedule_and_can_be_resent() {
    let gateway = Gateway::start().await;
    let receiver = Receiver::start(vec![Answer::Reply(503, "down")]).await;
    let form = PayForm::customer_presented(&order("give-up"), WECHAT_APPROVE)
        .set("noticeUrl", &receiver.url);
    let payment_id = gateway
        .pay(&form.signed())
        .await
        .field("payment_id")
        .to_owned();

    let notices = gateway
        .notices_until(&payment_id, |n| n[0]["status"] == "given_up")
        .await;
    assert_eq!(
        notices[0]["attempts"], 4,
        "first attempt plus the three scheduled retries"
    );
    assert!(
        notices[0]["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("503")),
        "{notices}"
    );

    receiver.answer_with(vec![Answer::Ack]);
    let notice_id = notices[0]["notice_id"].as_str().expect("id").to_owned();
    let (status, _) = gateway
        .admin("POST", &format!("/admin/notices/{notice_id}/resend"))
        .await;
    assert_eq!(status, 202);
    let notices = gateway
        .notices_until(&payment_id, |n| n[0]["status"] == "delivered")
        .await;
    assert_eq!(notices[0]["attempts"], 5);
}

#[tokio::test]
async fn a_silent_receiver_times_out_and_is_recorded() {
    let gateway = Gateway::start_with(|config| config.notices.timeout_ms = 200).await;
    let receiver = Receiver::start(vec![Answer::Slow(Duration::from_secs(5)), Answer::Ack]).await;
    let form = PayForm::customer_presented(&order("silent"), WECHAT_APPROVE)
        .set("noticeUrl", &receiver.url);
    let payment_id = gateway
        .pay(&form.signed())
        .await
        .field("payment_id")
        .to_owned();
    let notices = gateway
        .notices_until(&payment_id, |n| n[0]["status"] == "delivered")
        .await;
    assert_eq!(notices[0]["attempt_log"][0]["error"], "timeout");
    assert!(notices[0]["attempt_log"][0]["http_status"].is_null());
}

#[tokio::test]
async fn a_refused_connection_is_retried() {
    let gateway = Gateway::start().await;
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/notice", closed.local_addr().expect("addr"));
    drop(closed);
    let form =
        PayForm::customer_presented(&order("refused"), WECHAT_APPROVE).set("noticeUrl", &url);
    let payment_id = gateway
        .pay(&form.signed())
        .await
        .field("payment_id")
        .to_owned();
    let notices = gateway
        .notices_until(&payment_id, |n| n[0]["status"] == "given_up")
        .await;
    assert_eq!(notices[0]["attempt_log"][0]["error"], "connection failed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_receiver_does_not_delay_another() {
    let gateway = Gateway::start_with(|config| config.notices.timeout_ms = 5_000).await;
    let slow = Receiver::start(vec![Answer::Slow(Duration::from_secs(2))]).await;
    let fast = Receiver::start(vec![Answer::Ack]).await;
    for n in 0..6 {
        let form = PayForm::customer_presented(&order(&format!("slow-{n}")), WECHAT_APPROVE)
            .set("noticeUrl", &slow.url);
        gateway.pay(&form.signed()).await;
    }
    let form =
        PayForm::customer_presented(&order("fast"), WECHAT_APPROVE).set("noticeUrl", &fast.url);
    gateway.pay(&form.signed()).await;

    let fast_notice = fast.wait_for(1).await[0].clone();
    let slow_answers: Vec<_> = slow
        .received()
        .iter()
        .filter_map(|r| r.answered_at)
        .collect();
    assert!(
        slow_answers.is_empty(),
        "the fast receiver was served while every slow one still waited"
    );
    assert!(fast_notice.answered_at.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_notices_survive_a_restart() {
    let gateway = Gateway::start_with(|config| {
        config.notices.oceanpayment_retry_schedule_ms = vec![400, 400, 400, 400];
    })
    .await;
    let receiver = Receiver::start(vec![Answer::Reply(500, "not yet")]).await;
    let form = PayForm::customer_presented(&order("restart-notice"), WECHAT_APPROVE)
        .set("noticeUrl", &receiver.url);
    let payment_id = gateway
        .pay(&form.signed())
        .await
        .field("payment_id")
        .to_owned();
    receiver.wait_for(1).await;

    let dir = gateway.stop().await;
    receiver.answer_with(vec![Answer::Ack]);
    let mut config = test_config(&dir);
    config.notices.oceanpayment_retry_schedule_ms = vec![400, 400, 400, 400];
    let gateway = Gateway::start_in(dir, config).await;
    let notices = gateway
        .notices_until(&payment_id, |n| n[0]["status"] == "delivered")
        .await;
    assert!(notices[0]["attempts"].as_i64().is_some_and(|n| n >= 2));
}

#[tokio::test]
async fn private_notice_urls_are_refused_unless_allowed() {
    let gateway =
        Gateway::start_with(|config| config.notices.allow_private_addresses = Some(false)).await;
    let form = PayForm::customer_presented(&order("private"), WECHAT_APPROVE)
        .set("noticeUrl", "http://127.0.0.1:9/notice");
    let reply = gateway.pay(&form.signed()).await;
    assert_eq!(reply.field("payment_status"), "0");
    assert_eq!(reply.code(), "29209");

    let receiver = Receiver::start(vec![Answer::Ack]).await;
    let gateway = Gateway::start_with(|config| {
        config.notices.allow_private_addresses = Some(false);
        config.notices.allowed_hosts = vec!["127.0.0.1".into()];
    })
    .await;
    let form = PayForm::customer_presented(&order("allowed"), WECHAT_APPROVE)
        .set("noticeUrl", &receiver.url);
    assert_eq!(
        gateway.pay(&form.signed()).await.field("payment_status"),
        "1"
    );
    receiver.wait_for(1).await;
}

#[tokio::test]
async fn the_admin_api_needs_its_token() {
    let gateway = Gateway::start().await;
    let url = format!(
        "{}/admin/payments/261123000000000000000/notices",
        gateway.base_url
    );
    let response = gateway.client.get(&url).send().await.expect("sent");
    assert_eq!(response.status().as_u16(), 401);
    let response = gateway
        .client
        .get(&url)
        .bearer_auth("wrong")
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status().as_u16(), 401);

    let gateway = Gateway::start_with(|config| config.admin_token = None).await;
    let url = format!(
        "{}/admin/payments/261123000000000000000/notices",
        gateway.base_url
    );
    let response = gateway
        .client
        .get(&url)
        .bearer_auth("anything")
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status().as_u16(), 404);
}
