//! A notice receiver for development: verifies every notice of both dialects, prints it in one
//! readable line and answers the acknowledgement its dialect expects. `tidegate notices listen`
//! runs one on its own; `tidegate pos qr --listen` runs one to learn a payment's outcome.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::Router;
use std::net::SocketAddr;
use std::sync::Arc;
use tidegate_client::till::Status;
use tidegate_client::{oceanpayment, pingpong};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// The path notices are received on (any other path works too).
pub const NOTICE_PATH: &str = "/notices";

/// A verified notice.
#[derive(Debug, Clone)]
pub struct Received {
    /// The order it is about.
    pub order_number: String,
    /// For a payment notice, the payment's status as the till sees it.
    pub status: Option<Status>,
    /// One readable line describing it.
    pub line: String,
}

/// What each handler needs.
struct Shared {
    oceanpayment: oceanpayment::Credentials,
    pingpong: pingpong::Credentials,
    sink: mpsc::UnboundedSender<Received>,
}

/// A running receiver; stops when dropped.
pub struct Receiver {
    address: SocketAddr,
    task: JoinHandle<()>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Receiver {
    /// Listens on `address` (port 0 picks a free port); verified notices go to `sink`.
    pub async fn start(
        address: SocketAddr,
        oceanpayment: oceanpayment::Credentials,
        pingpong: pingpong::Credentials,
        sink: mpsc::UnboundedSender<Received>,
    ) -> anyhow::Result<Receiver> {
        let shared = Arc::new(Shared {
            oceanpayment,
            pingpong,
            sink,
        });
        let app = Router::new().fallback(post(receive)).with_state(shared);
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .map_err(|error| anyhow::anyhow!("cannot listen on {address}: {error}"))?;
        let address = listener.local_addr()?;
        let task = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, app).await {
                eprintln!("error: the notice receiver stopped: {error}");
            }
        });
        Ok(Receiver { address, task })
    }

    /// The URL to give the gateway as `noticeUrl` / `notificationUrl`.
    pub fn notice_url(&self) -> String {
        format!("http://{}{NOTICE_PATH}", self.address)
    }
}

async fn receive(State(shared): State<Arc<Shared>>, body: Bytes) -> (StatusCode, &'static str) {
    match read(&shared, &body) {
        Ok((received, acknowledgement)) => {
            let _ = shared.sink.send(received);
            (StatusCode::OK, acknowledgement)
        }
        Err(reason) => {
            eprintln!("rejected a notice: {reason}");
            // Not 2xx and `FAIL`: neither dialect counts this as delivered.
            (StatusCode::BAD_REQUEST, "FAIL")
        }
    }
}

/// The dialect is told by the body: Oceanpayment notices are XML, PingPong ones JSON.
fn read(shared: &Shared, body: &[u8]) -> Result<(Received, &'static str), String> {
    match body.iter().find(|byte| !byte.is_ascii_whitespace()) {
        Some(b'<') => oceanpayment::verify_notice(body, &shared.oceanpayment)
            .map(|notice| {
                (
                    oceanpayment_received(&notice),
                    oceanpayment::ACKNOWLEDGEMENT,
                )
            })
            .map_err(|error| format!("oceanpayment: {error}")),
        Some(b'{') => pingpong::verify_notice(body, &shared.pingpong)
            .map(|notice| (pingpong_received(&notice), pingpong::ACKNOWLEDGEMENT))
            .map_err(|error| format!("pingpong: {error}")),
        Some(_) | None => Err("neither an Oceanpayment nor a PingPong notice".to_owned()),
    }
}

fn oceanpayment_received(notice: &oceanpayment::OceanpaymentNotice) -> Received {
    match notice {
        oceanpayment::OceanpaymentNotice::Payment(payment) => {
            let status = payment.till_status();
            Received {
                order_number: payment.order_number().to_owned(),
                line: format!(
                    "oceanpayment payment: order {}, payment {}, {}",
                    payment.order_number(),
                    payment.payment_id(),
                    status_word(&status),
                ),
                status: Some(status),
            }
        }
        oceanpayment::OceanpaymentNotice::Refund(refund) => {
            let notice = refund.notice();
            Received {
                order_number: notice.order_number.clone(),
                line: format!(
                    "oceanpayment refund: order {}, payment {}, refund {}, {} {}, {}",
                    notice.order_number,
                    notice.payment_id,
                    refund.refund_id(),
                    notice.refund_amount,
                    notice.order_currency,
                    if refund.succeeded() {
                        "succeeded"
                    } else {
                        "failed"
                    },
                ),
                status: None,
            }
        }
    }
}

fn pingpong_received(notice: &pingpong::PingPongNotice) -> Received {
    match notice {
        pingpong::PingPongNotice::Payment(payment) => {
            let status = payment.till_status();
            let order_number = payment.merchant_transaction_id();
            Received {
                line: format!(
                    "pingpong payment: order {order_number}, transaction {}, {}",
                    payment.transaction_id(),
                    status_word(&status),
                ),
                order_number,
                status: Some(status),
            }
        }
        pingpong::PingPongNotice::Refund(refund) => {
            let text = |name: &str| {
                refund
                    .biz_content()
                    .get(name)
                    .and_then(|value| value.as_str())
                    .unwrap_or_default()
                    .to_owned()
            };
            let order_number = text("merchantTransactionId");
            Received {
                line: format!(
                    "pingpong refund: order {order_number}, refund {} ({}), {} {}, {:?}",
                    refund.refund_id(),
                    refund.merchant_refund_id(),
                    text("amount"),
                    text("currency"),
                    refund.status(),
                ),
                order_number,
                status: None,
            }
        }
    }
}

/// How the CLI names a status, with the gateway's code and message where it gave one.
pub fn status_word(status: &Status) -> String {
    let (word, report) = match status {
        Status::Approved(report) => ("approved", report),
        Status::Declined(report) => ("declined", report),
        Status::Voided(report) => ("voided", report),
        Status::Pending(report) => ("pending", report),
        Status::NotFound(report) => ("not found", report),
    };
    if report.code.is_empty() {
        word.to_owned()
    } else {
        format!("{word} ({}:{})", report.code, report.message)
    }
}

/// `tidegate notices listen`: receive until interrupted, printing each notice.
pub async fn listen(
    address: SocketAddr,
    oceanpayment: oceanpayment::Credentials,
    pingpong: pingpong::Credentials,
) -> anyhow::Result<()> {
    let (sink, mut received) = mpsc::unbounded_channel();
    let receiver = Receiver::start(address, oceanpayment, pingpong, sink).await?;
    // The first line names the bound address, so scripts using port 0 can find it.
    println!("listening on {}", receiver.notice_url());
    loop {
        tokio::select! {
            notice = received.recv() => match notice {
                Some(notice) => println!("{}", notice.line),
                None => return Ok(()),
            },
            _ = tokio::signal::ctrl_c() => return Ok(()),
        }
    }
}
