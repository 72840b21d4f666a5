//! A real gateway on port 0 with its own database, and small servers a merchant would run.

#![allow(dead_code, clippy::field_reassign_with_default)]

use axum::body::Bytes;
use axum::http::StatusCode;
use axum::routing::post;
use axum::Router;
use std::time::Duration;
use tempfile::TempDir;
use tidegate_client::till::{Outcome, Progress, Till, TillApi, TillConfig, TillOrder};
use tidegate_core::{AuthCode, Currency, Money, Presentment, Wallet};
use tidegate_server::{Config, RunningServer};
use tokio::sync::mpsc;

/// A running sandbox gateway.
pub struct Gateway {
    pub server: RunningServer,
    pub base_url: String,
    _dir: TempDir,
}

/// Test timings: short, but long enough to see pending states.
pub async fn gateway_with(tweak: impl FnOnce(&mut Config)) -> Gateway {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = Config::default();
    config.listen = "127.0.0.1:0".parse().expect("address");
    config.database_url = format!("sqlite:{}", dir.path().join("tidegate.db").display());
    config.payments.sweep_interval_ms = 50;
    config.payments.poll_interval_ms = 50;
    config.payments.acquirer_timeout_ms = 2_000;
    config.sandbox.pin_delay_ms = 600;
    config.sandbox.unknown_resolves_after_ms = 800;
    config.notices.oceanpayment_retry_schedule_ms = vec![100, 100, 100];
    config.notices.pingpong_retry_schedule_ms = vec![100, 100, 100];
    config.notices.timeout_ms = 1_000;
    config.notices.poll_interval_ms = 50;
    tweak(&mut config);
    let server = tidegate_server::start(config)
        .await
        .expect("gateway starts");
    let base_url = format!("http://{}", server.local_addr());
    Gateway {
        server,
        base_url,
        _dir: dir,
    }
}

pub async fn gateway() -> Gateway {
    gateway_with(|_| {}).await
}

impl Gateway {
    /// Plays the customer of a merchant-presented payment: `pay` or `decline`.
    pub async fn customer(&self, payment_id: &str, action: &str) {
        let response = reqwest::Client::new()
            .post(format!(
                "{}/sandbox/payments/{payment_id}/{action}",
                self.base_url
            ))
            .send()
            .await
            .expect("sandbox route answers");
        assert_eq!(
            response.status().as_u16(),
            200,
            "{}",
            response.text().await.unwrap_or_default()
        );
    }
}

/// Till timings for tests: polls often, gives up fast.
pub fn fast_till() -> TillConfig {
    TillConfig {
        poll_interval: Duration::from_millis(100),
        timeout: Duration::from_secs(5),
        qr_timeout: Duration::from_secs(10),
        void_interval: Duration::from_millis(100),
        void_timeout: Duration::from_secs(3),
    }
}

pub fn cny(amount: &str) -> Money {
    Money::parse_decimal(amount, Currency::parse("CNY").expect("CNY"), 2).expect("amount")
}

/// A unique order number.
pub fn order_number(tag: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!(
        "{tag}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// A customer-presented sale of 12.30 CNY with the sandbox code `code`.
pub fn scanned(tag: &str, code: &str) -> TillOrder {
    let code = AuthCode::parse(code).expect("wallet code");
    TillOrder::new(
        order_number(tag),
        cny("12.30"),
        Presentment::CustomerPresented(code),
    )
}

/// A merchant-presented sale of 12.30 CNY.
pub fn shown(tag: &str, wallet: Wallet) -> TillOrder {
    TillOrder::new(
        order_number(tag),
        cny("12.30"),
        Presentment::MerchantPresented(wallet),
    )
}

/// Runs the till protocol, collecting its progress.
pub async fn run_till<A: TillApi + Sync>(
    api: A,
    config: TillConfig,
    order: &TillOrder,
) -> (Outcome, Vec<Progress>) {
    let till = Till::new(api, config);
    let mut steps = Vec::new();
    let outcome = till
        .run(order, &mut |step| steps.push(step))
        .await
        .expect("the gateway took the request");
    (outcome, steps)
}

/// Runs the till protocol in a task; the payment id of the first pending answer and the QR code
/// come back on the channel so the test can play the customer.
pub fn spawn_till<A: TillApi + Sync + Send + 'static>(
    api: A,
    config: TillConfig,
    order: TillOrder,
) -> (
    tokio::task::JoinHandle<Outcome>,
    mpsc::UnboundedReceiver<(String, Option<String>)>,
) {
    let (sender, pending) = mpsc::unbounded_channel();
    let task = tokio::spawn(async move {
        let till = Till::new(api, config);
        let mut qr_code = None;
        let mut progress = |step: Progress| match step {
            Progress::QrCode(code) => qr_code = Some(code),
            Progress::Pending { report, .. } => {
                let _ = sender.send((report.payment_id, qr_code.clone()));
            }
            Progress::Paying { .. }
            | Progress::NoAnswer { .. }
            | Progress::Voiding { .. }
            | Progress::VoidNotDone { .. } => {}
        };
        till.run(&order, &mut progress)
            .await
            .expect("the gateway took the request")
    });
    (task, pending)
}

/// A server answering every POST with `body` (status 200, `content_type`), for replies the
/// client must refuse.
pub async fn fake_gateway(
    body: String,
    content_type: &'static str,
) -> (String, tokio::task::JoinHandle<()>) {
    let app = Router::new().fallback(post(move || {
        let body = body.clone();
        async move { (StatusCode::OK, [("content-type", content_type)], body) }
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, task)
}

/// A notice receiver: every body received goes to the channel, and each is answered by
/// `answer(body)` (status, body).
pub async fn receiver(
    answer: fn(&[u8]) -> (u16, &'static str),
) -> (
    String,
    mpsc::UnboundedReceiver<Vec<u8>>,
    tokio::task::JoinHandle<()>,
) {
    let (sender, received) = mpsc::unbounded_channel();
    let app = Router::new().route(
        "/notices",
        post(move |body: Bytes| {
            let sender = sender.clone();
            async move {
                let _ = sender.send(body.to_vec());
                let (status, text) = answer(&body);
                (StatusCode::from_u16(status).expect("status"), text)
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/notices", listener.local_addr().expect("address"));
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, received, task)
}
