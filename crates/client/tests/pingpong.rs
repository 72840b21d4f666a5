//! The SDK against a real gateway, as a till and a shop back-end use it (PingPong dialect).

mod common;

use common::{
    cny, fake_gateway, fast_till, gateway, gateway_with, order_number, receiver, run_till, scanned,
    shown, spawn_till,
};
use std::time::Duration;
use tidegate_client::pingpong::{
    verify_notice, Credentials, PaymentQuery, PingPongClient, PingPongNotice, RefundQuery,
    RefundRequest, SignType, Status, UnifiedPayRequest, VoidQuery, VoidRequest, ACKNOWLEDGEMENT,
};
use tidegate_client::till::{Outcome, Progress, TillConfig};
use tidegate_client::ClientError;
use tidegate_core::{AuthCode, Wallet};

fn client(base_url: &str) -> PingPongClient {
    PingPongClient::new(base_url, Credentials::sandbox_demo()).expect("client")
}

fn code_of(outcome: &Outcome) -> (&'static str, String) {
    match outcome {
        Outcome::Approved(report) => ("approved", report.code.clone()),
        Outcome::Declined(report) => ("declined", report.code.clone()),
        Outcome::Voided(report) => ("voided", report.code.clone()),
        Outcome::Unknown { reason, .. } => ("unknown", reason.clone()),
    }
}

#[tokio::test]
async fn approved_declined_and_pin_entry() {
    let gateway = gateway().await;
    let cases = [
        ("134567890123450000", ("approved", "000000")),
        ("284567890123450051", ("declined", "301051")),
        ("134567890123451000", ("approved", "000000")),
        ("284567890123451001", ("declined", "301099")),
    ];
    for (code, (outcome, detail)) in cases {
        let (result, _) =
            run_till(client(&gateway.base_url), fast_till(), &scanned("pp", code)).await;
        assert_eq!(
            code_of(&result),
            (outcome, detail.to_owned()),
            "code {code}"
        );
    }
}

#[tokio::test]
async fn an_unknown_result_still_open_at_the_deadline_is_voided() {
    let gateway = gateway_with(|config| config.sandbox.unknown_resolves_after_ms = 60_000).await;
    let config = TillConfig {
        timeout: Duration::from_millis(700),
        ..fast_till()
    };
    let order = scanned("pp-timeout", "134567890123459000");
    let (outcome, steps) = run_till(client(&gateway.base_url), config, &order).await;
    assert_eq!(code_of(&outcome), ("voided", "105000".into()));
    assert!(steps.contains(&Progress::Voiding { attempt: 1 }));
    let payment = client(&gateway.base_url)
        .query(&PaymentQuery::by_order(&order.order_number))
        .await
        .expect("query");
    assert_eq!(payment.status(), Some(Status::Closed));
    let void = client(&gateway.base_url)
        .void_query(&VoidQuery {
            merchant_transaction_id: order.order_number.clone(),
            merchant_void_id: format!("{}-void", order.order_number),
        })
        .await
        .expect("void query");
    assert_eq!(void.status(), Some(Status::Success));
}

#[tokio::test]
async fn a_qr_code_paid_by_the_customer_or_left_to_expire() {
    let gateway = gateway().await;
    let (task, mut pending) = spawn_till(
        client(&gateway.base_url),
        fast_till(),
        shown("pp-qr", Wallet::Alipay),
    );
    let (payment_id, qr_code) = pending.recv().await.expect("a pending answer");
    assert!(qr_code
        .expect("a QR code")
        .starts_with("https://qr.alipay.com/"));
    gateway.customer(&payment_id, "pay").await;
    assert_eq!(
        code_of(&task.await.expect("till")),
        ("approved", "000000".into())
    );

    let expiring = gateway_with(|config| config.payments.qr_ttl_seconds = 1).await;
    let (outcome, _) = run_till(
        client(&expiring.base_url),
        fast_till(),
        &shown("pp-qr-exp", Wallet::WeChatPay),
    )
    .await;
    assert_eq!(code_of(&outcome), ("declined", "105000".into()));
}

#[tokio::test]
async fn refunds_voids_and_their_queries() {
    let gateway = gateway().await;
    let api = client(&gateway.base_url);
    let order = order_number("pp-refund");
    let code = AuthCode::parse("284567890123450000").expect("code");
    let paid = api
        .unified_pay(&UnifiedPayRequest::customer_presented(
            &order,
            cny("12.30"),
            code,
        ))
        .await
        .expect("paid");
    assert_eq!(
        (paid.code(), paid.status()),
        ("000000", Some(Status::Success))
    );

    let refund = api
        .refund(&RefundRequest::new(&order, "RF-1", cny("2.00")))
        .await
        .expect("refund");
    assert!(
        matches!(refund.status(), Some(Status::Success | Status::Processing)),
        "{refund:?}"
    );
    let again = api
        .refund(&RefundRequest::new(&order, "RF-1", cny("2.00")))
        .await
        .expect("repeated");
    assert_eq!(
        again.refund_id(),
        refund.refund_id(),
        "a repeated merchantRefundId is the same refund"
    );
    let queried = api
        .refund_query(&RefundQuery::by_merchant_refund_id(&order, "RF-1"))
        .await
        .expect("query");
    assert_eq!(queried.refund_id(), refund.refund_id());
    let too_much = api
        .refund(&RefundRequest::new(&order, "RF-2", cny("20.00")))
        .await
        .expect("answer");
    assert_eq!((too_much.code(), too_much.status()), ("108000", None));

    let void = api
        .void(&VoidRequest::new(&order, "V-1"))
        .await
        .expect("void");
    assert_eq!(void.code(), "109000", "a refunded payment cannot be voided");
    let unknown = api
        .void(&VoidRequest::new("no-such-order", "V-2"))
        .await
        .expect("answer");
    assert_eq!(unknown.code(), "107001");
}

#[tokio::test]
async fn md5_envelopes_work_as_well() {
    let gateway = gateway().await;
    let md5 = PingPongClient::new(
        &gateway.base_url,
        Credentials::sandbox_demo().with_sign_type(SignType::Md5),
    )
    .expect("client");
    let (outcome, _) = run_till(md5, fast_till(), &scanned("pp-md5", "134567890123450000")).await;
    assert_eq!(code_of(&outcome), ("approved", "000000".into()));
}

#[tokio::test]
async fn a_wrong_salt_is_refused_with_its_code() {
    let gateway = gateway().await;
    let wrong = PingPongClient::new(
        &gateway.base_url,
        Credentials::new(
            "2018092714313010016291",
            "2018092714313010016",
            "not the salt",
        ),
    )
    .expect("client");
    let error = wrong
        .query(&PaymentQuery::by_order("x"))
        .await
        .expect_err("refused");
    assert!(
        matches!(&error, ClientError::Refused { code, .. } if code == "104000"),
        "{error:?}"
    );
    assert!(!error.outcome_unknown());
}

#[tokio::test]
async fn a_reply_with_one_character_changed_is_rejected() {
    let reply = tidegate_wire::pingpong::ReplyEnvelope {
        acc_id: "2018092714313010016291".into(),
        client_id: "2018092714313010016".into(),
        sign_type: SignType::Sha256,
        code: "301002".into(),
        description: "Do not honor".into(),
        biz_content: r#"{"transactionId":"1","merchantTransactionId":"T-1","status":"FAILED"}"#
            .into(),
    }
    .encode("F78BC96A55548B2319EE68E0");
    let tampered = reply.replacen("FAILED", "SUCCESS", 1);
    let (url, _server) = fake_gateway(tampered, "application/json").await;
    let error = client(&url)
        .query(&PaymentQuery::by_order("T-1"))
        .await
        .expect_err("not believed");
    assert!(matches!(error, ClientError::BadSignature), "{error:?}");
    let (url, _server) = fake_gateway(reply, "application/json").await;
    let genuine = client(&url)
        .query(&PaymentQuery::by_order("T-1"))
        .await
        .expect("verifies");
    assert_eq!(genuine.status(), Some(Status::Failed));
}

#[tokio::test]
async fn notifications_verify_and_are_acknowledged() {
    let gateway = gateway().await;
    let (url, mut received, _server) =
        receiver(
            |body| match verify_notice(body, &Credentials::sandbox_demo()) {
                Ok(_) => (200, ACKNOWLEDGEMENT),
                Err(_) => (400, "FAIL"),
            },
        )
        .await;
    let order = scanned("pp-notice", "134567890123450000").with_notice_url(url);
    let (outcome, _) = run_till(client(&gateway.base_url), fast_till(), &order).await;
    let Outcome::Approved(report) = outcome else {
        panic!("expected approval, got {outcome:?}")
    };
    let body = tokio::time::timeout(Duration::from_secs(10), received.recv())
        .await
        .expect("a notification")
        .expect("body");
    let PingPongNotice::Payment(payment) =
        verify_notice(&body, &Credentials::sandbox_demo()).expect("verified")
    else {
        panic!("expected a payment notification")
    };
    assert_eq!(payment.transaction_id(), report.payment_id);
    assert_eq!(payment.merchant_transaction_id(), order.order_number);
    assert_eq!(payment.status(), Some(Status::Success));
    let mut delivered = false;
    for _ in 0..100 {
        let notices = gateway
            .server
            .engine()
            .notices_of_payment(&report.payment_id)
            .await
            .expect("notices");
        if notices
            .first()
            .is_some_and(|(notice, _)| notice.status.as_str() == "delivered")
        {
            delivered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(delivered, "the gateway counted `OK` as an acknowledgement");
}
