//! What a till gets for requests that are not well-formed forms, and health.

use crate::harness::{Gateway, Reply};

#[tokio::test]
async fn health_reports_the_database() {
    let gateway = Gateway::start().await;
    let response = gateway
        .client
        .get(format!("{}/healthz", gateway.base_url))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status().as_u16(), 200);
    let body: serde_json::Value =
        serde_json::from_str(&response.text().await.expect("body")).expect("json");
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"], "ok");
}

async fn raw(gateway: &Gateway, content_type: &str, body: Vec<u8>) -> Reply {
    let response = gateway
        .client
        .post(format!("{}/gateway/directservice/pay", gateway.base_url))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("sent");
    let status = response.status().as_u16();
    assert_eq!(
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/xml; charset=utf-8")
    );
    Reply::parse(status, &response.text().await.expect("body"))
}

#[tokio::test]
async fn malformed_bodies_get_400_with_a_code() {
    let gateway = Gateway::start().await;
    for body in [
        &b"account=1&account=2"[..],
        b"order_number=%FF%FE",
        b"\xff\xfe",
    ] {
        let reply = raw(&gateway, "application/x-www-form-urlencoded", body.to_vec()).await;
        assert_eq!(reply.status, 400, "{:?}", String::from_utf8_lossy(body));
        assert_eq!(reply.field("payment_status"), "0");
        assert_eq!(reply.code(), "29108");
    }
}

#[tokio::test]
async fn other_content_types_get_415() {
    let gateway = Gateway::start().await;
    let reply = raw(
        &gateway,
        "application/json",
        b"{\"account\":\"995149\"}".to_vec(),
    )
    .await;
    assert_eq!(reply.status, 415);
    assert_eq!(reply.code(), "29110");
}

#[tokio::test]
async fn oversized_bodies_get_413() {
    let gateway = Gateway::start().await;
    let body = format!("order_notes={}", "x".repeat(70 * 1024)).into_bytes();
    let reply = raw(&gateway, "application/x-www-form-urlencoded", body).await;
    assert_eq!(reply.status, 413);
    assert_eq!(reply.code(), "29109");
}

#[tokio::test]
async fn unknown_routes_are_404() {
    let gateway = Gateway::start().await;
    let response = gateway
        .client
        .get(format!("{}/nope", gateway.base_url))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status().as_u16(), 404);
}

#[tokio::test]
async fn admin_stats_count_payments_by_state() {
    let gateway = Gateway::start().await;
    let form = crate::harness::PayForm::customer_presented(
        &crate::harness::order("stats"),
        crate::harness::WECHAT_APPROVE,
    );
    gateway.pay(&form.signed()).await;
    let (status, body) = gateway.admin("GET", "/admin/stats").await;
    assert_eq!(status, 200);
    assert_eq!(body["payments"]["approved"], 1);
    assert_eq!(body["payments"]["declined"], 0);
}
