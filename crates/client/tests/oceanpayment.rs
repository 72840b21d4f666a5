//! The SDK against a real gateway, as a till and a shop back-end use it (Oceanpayment dialect).

mod common;

use common::{
    cny, fake_gateway, fast_till, gateway, gateway_with, order_number, receiver, run_till, scanned,
    shown, spawn_till,
};
use std::time::Duration;
use tidegate_client::oceanpayment::{
    verify_notice, Credentials, OceanpaymentClient, OceanpaymentNotice, PayRequest, PaymentStatus,
    RefundRequest, ACKNOWLEDGEMENT,
};
use tidegate_client::till::{Outcome, Progress};
use tidegate_client::ClientError;
use tidegate_core::{AuthCode, RefundState, Wallet};
use tidegate_wire::oceanpayment::PaymentReply;

fn client(base_url: &str) -> OceanpaymentClient {
    OceanpaymentClient::new(base_url, Credentials::sandbox_demo()).expect("client")
}

fn outcome_code(outcome: &Outcome) -> (&'static str, String) {
    match outcome {
        Outcome::Approved(report) => ("approved", report.code.clone()),
        Outcome::Declined(report) => ("declined", report.code.clone()),
        Outcome::Voided(report) => ("voided", report.code.clone()),
        Outcome::Unknown { reason, .. } => ("unknown", reason.clone()),
    }
}

#[tokio::test]
async fn approved_and_declined_at_once() {
    let gateway = gateway().await;
    let (outcome, steps) = run_till(
        client(&gateway.base_url),
        fast_till(),
        &scanned("ok", "134567890123450000"),
    )
    .await;
    assert_eq!(outcome_code(&outcome), ("approved", "80000".into()));
    assert_eq!(steps, [Progress::Paying { resend: false }]);

    let (outcome, _) = run_till(
        client(&gateway.base_url),
        fast_till(),
        &scanned("nsf", "284567890123450051"),
    )
    .await;
    let Outcome::Declined(report) = outcome else {
        panic!("expected a decline, got {outcome:?}")
    };
    assert_eq!(
        (report.code.as_str(), report.message.as_str()),
        ("80022", "Not Sufficient Funds")
    );
}

#[tokio::test]
async fn pin_entry_is_polled_until_paid_or_cancelled() {
    let gateway = gateway().await;
    let (outcome, steps) = run_till(
        client(&gateway.base_url),
        fast_till(),
        &scanned("pin", "134567890123451000"),
    )
    .await;
    assert_eq!(outcome_code(&outcome), ("approved", "80000".into()));
    let pending = steps
        .iter()
        .filter(|step| matches!(step, Progress::Pending { report, .. } if report.code == "29001"))
        .count();
    assert!(
        pending >= 2,
        "the pay answer and at least one query were pending: {steps:?}"
    );

    let (outcome, _) = run_till(
        client(&gateway.base_url),
        fast_till(),
        &scanned("pin-no", "134567890123451001"),
    )
    .await;
    assert_eq!(outcome_code(&outcome), ("declined", "80101".into()));
}

#[tokio::test]
async fn an_unknown_result_still_open_at_the_deadline_is_voided() {
    let gateway = gateway_with(|config| config.sandbox.unknown_resolves_after_ms = 60_000).await;
    let config = tidegate_client::till::TillConfig {
        timeout: Duration::from_millis(700),
        ..fast_till()
    };
    let order = scanned("timeout", "134567890123459000");
    let (outcome, steps) = run_till(client(&gateway.base_url), config, &order).await;
    let Outcome::Voided(report) = &outcome else {
        panic!("expected a void, got {outcome:?}")
    };
    assert_eq!(report.code, "80053");
    assert!(steps
        .iter()
        .any(|step| matches!(step, Progress::Pending { report, .. } if report.code == "80700")));
    assert!(steps.contains(&Progress::Voiding { attempt: 1 }));

    let attempts = client(&gateway.base_url)
        .query(&order.order_number)
        .await
        .expect("query");
    assert_eq!(
        attempts[0].details().code,
        "80053",
        "the gateway agrees: voided"
    );
}

#[tokio::test]
async fn a_merchant_presented_qr_code_paid_by_the_customer() {
    let gateway = gateway().await;
    let (task, mut pending) = spawn_till(
        client(&gateway.base_url),
        fast_till(),
        shown("qr", Wallet::WeChatPay),
    );
    let (payment_id, qr_code) = pending.recv().await.expect("a pending answer");
    assert!(qr_code.expect("a QR code").starts_with("weixin://"));
    gateway.customer(&payment_id, "pay").await;
    let outcome = task.await.expect("till task");
    let Outcome::Approved(report) = outcome else {
        panic!("expected approval, got {outcome:?}")
    };
    assert_eq!(report.payment_id, payment_id);
}

#[tokio::test]
async fn a_merchant_presented_qr_code_left_unpaid_expires() {
    let gateway = gateway_with(|config| config.payments.qr_ttl_seconds = 1).await;
    let (outcome, steps) = run_till(
        client(&gateway.base_url),
        fast_till(),
        &shown("qr-exp", Wallet::Alipay),
    )
    .await;
    assert_eq!(outcome_code(&outcome), ("declined", "80100".into()));
    let qr_codes: Vec<&Progress> = steps
        .iter()
        .filter(|step| matches!(step, Progress::QrCode(_)))
        .collect();
    assert_eq!(qr_codes.len(), 1);
}

#[tokio::test]
async fn a_lost_answer_is_recovered_without_paying_twice() {
    let gateway = gateway().await;
    let api = client(&gateway.base_url);
    let amount = cny("12.30");
    let code = AuthCode::parse("134567890123450000").expect("code");
    let order = order_number("twice");
    let request = PayRequest::customer_presented(order.clone(), amount, code);
    let first = api.pay(&request).await.expect("first");
    let again = api.pay(&request).await.expect("resent");
    assert_eq!(
        first.payment_id(),
        again.payment_id(),
        "an identical request is the same payment"
    );
    assert_eq!(api.query(&order).await.expect("query").len(), 1);
}

#[tokio::test]
async fn refunds_and_refund_queries() {
    let gateway = gateway().await;
    let api = client(&gateway.base_url);
    let code = AuthCode::parse("134567890123450000").expect("code");
    let paid = api
        .pay(&PayRequest::customer_presented(
            order_number("refund"),
            cny("12.30"),
            code,
        ))
        .await
        .expect("paid");
    assert_eq!(paid.status(), PaymentStatus::Approved);

    let partial = RefundRequest::partial(paid.payment_id(), cny("2.00")).with_refund_number("RF-1");
    let refund = api.refund(&partial).await.expect("refund");
    assert!(refund.accepted(), "{:?}", refund.details());
    let status = api
        .refund_query(refund.refund_id())
        .await
        .expect("refund query");
    assert!(matches!(
        status.state(),
        Some(RefundState::Succeeded | RefundState::Processing)
    ));

    let too_much = api
        .refund(&RefundRequest::partial(paid.payment_id(), cny("20.00")))
        .await
        .expect("answer");
    assert!(!too_much.accepted());
    assert_eq!(too_much.details().code, "29204");
    let unknown = api.refund_query("999").await.expect("answer");
    assert_eq!(
        (unknown.state(), unknown.details().code),
        (None, "29206".to_owned())
    );
}

#[tokio::test]
async fn a_wrong_secure_code_is_refused_with_its_code_not_believed() {
    let gateway = gateway().await;
    let wrong = OceanpaymentClient::new(
        &gateway.base_url,
        Credentials::new("995149", "99514901", "87654321"),
    )
    .expect("client");
    let code = AuthCode::parse("134567890123450000").expect("code");
    let error = wrong
        .pay(&PayRequest::customer_presented(
            order_number("wrong"),
            cny("1.00"),
            code,
        ))
        .await
        .expect_err("refused");
    let ClientError::Refused {
        code, http_status, ..
    } = &error
    else {
        panic!("expected a refusal, got {error:?}")
    };
    assert_eq!((code.as_str(), *http_status), ("20013", 200));
    assert!(!error.outcome_unknown());
    assert!(
        matches!(wrong.query("x").await, Err(ClientError::Refused { code, .. }) if code == "20013")
    );
    assert!(
        matches!(wrong.void("x").await, Err(ClientError::Refused { code, .. }) if code == "20013")
    );
}

#[tokio::test]
async fn a_reply_with_one_character_changed_is_rejected() {
    let declined = PaymentReply {
        notice_type: "transaction".into(),
        response_type: "1".into(),
        account: "995149".into(),
        terminal: "99514901".into(),
        methods: "WeChatPay_Offline".into(),
        order_number: "TAMPER-1".into(),
        order_currency: "CNY".into(),
        order_amount: "12.30".into(),
        payment_id: "260101093000123000001".into(),
        payment_auth_type: "0".into(),
        payment_status: "0".into(),
        payment_details: "80012:Payment Declined".into(),
        ..PaymentReply::default()
    };
    let genuine = declined.encode("12345678");
    let tampered = genuine.replacen("<payment_status>0<", "<payment_status>1<", 1);
    assert_eq!(tampered.len(), genuine.len());
    let (url, _server) = fake_gateway(tampered, "application/xml; charset=utf-8").await;
    let code = AuthCode::parse("134567890123450000").expect("code");
    let error = client(&url)
        .pay(&PayRequest::customer_presented(
            "TAMPER-1",
            cny("12.30"),
            code,
        ))
        .await
        .expect_err("not believed");
    assert!(matches!(error, ClientError::BadSignature), "{error:?}");
    assert!(error.outcome_unknown());

    let (url, _server) = fake_gateway(genuine, "application/xml; charset=utf-8").await;
    let code = AuthCode::parse("134567890123450000").expect("code");
    let result = client(&url)
        .pay(&PayRequest::customer_presented(
            "TAMPER-1",
            cny("12.30"),
            code,
        ))
        .await
        .expect("the untouched reply verifies");
    assert_eq!(result.status(), PaymentStatus::Declined);
}

#[tokio::test]
async fn no_gateway_at_all_is_a_transport_error_with_an_unknown_outcome() {
    let unused = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", unused.local_addr().expect("address"));
    drop(unused);
    let error = client(&url).query("x").await.expect_err("nobody listens");
    assert!(matches!(error, ClientError::Transport(_)), "{error:?}");
    assert!(error.outcome_unknown());
}

#[tokio::test]
async fn notices_verify_and_are_acknowledged() {
    let gateway = gateway().await;
    let (url, mut received, _server) =
        receiver(
            |body| match verify_notice(body, &Credentials::sandbox_demo()) {
                Ok(_) => (200, ACKNOWLEDGEMENT),
                Err(_) => (400, "bad notice"),
            },
        )
        .await;
    let order = scanned("noticed", "284567890123450000").with_notice_url(url);
    let (outcome, _) = run_till(client(&gateway.base_url), fast_till(), &order).await;
    let Outcome::Approved(report) = outcome else {
        panic!("expected approval, got {outcome:?}")
    };
    let body = tokio::time::timeout(Duration::from_secs(10), received.recv())
        .await
        .expect("a notice")
        .expect("body");
    let OceanpaymentNotice::Payment(notice) =
        verify_notice(&body, &Credentials::sandbox_demo()).expect("verified")
    else {
        panic!("expected a payment notice")
    };
    assert_eq!(notice.payment_id(), report.payment_id);
    assert_eq!(notice.order_number(), order.order_number);
    assert_eq!(notice.status(), PaymentStatus::Approved);
    let notices = gateway
        .server
        .engine()
        .notices_of_payment(&report.payment_id)
        .await
        .expect("notices");
    assert_eq!(notices.len(), 1);
}
