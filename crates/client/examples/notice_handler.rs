//! A merchant's notice receiver: verifies each notice before believing it, records it, then
//! answers the acknowledgement its dialect expects.
//!
//! ```sh
//! cargo run -p tidegate-client --example notice_handler -- 127.0.0.1:9000
//! ```
//!
//! Then send payments with `noticeUrl=http://127.0.0.1:9000/notices/oceanpayment` (or the
//! PingPong `notificationUrl` `http://127.0.0.1:9000/notices/pingpong`).

use axum::body::Bytes;
use axum::http::StatusCode;
use axum::routing::post;
use axum::Router;
use tidegate_client::{oceanpayment, pingpong};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let address = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9000".to_owned());
    let app = Router::new()
        .route("/notices/oceanpayment", post(oceanpayment_notice))
        .route("/notices/pingpong", post(pingpong_notice));
    let listener = tokio::net::TcpListener::bind(&address).await?;
    println!(
        "receiving notices on http://{}/notices/{{oceanpayment,pingpong}}",
        listener.local_addr()?
    );
    axum::serve(listener, app).await
}

/// Oceanpayment: a 2xx with `receive-ok` acknowledges; anything else is sent again later.
async fn oceanpayment_notice(body: Bytes) -> (StatusCode, &'static str) {
    // In a real shop the credentials come from the terminal named in the notice.
    match oceanpayment::verify_notice(&body, &oceanpayment::Credentials::sandbox_demo()) {
        Ok(oceanpayment::OceanpaymentNotice::Payment(payment)) => {
            // Record it before acknowledging: an acknowledged notice is not sent again.
            println!(
                "order {} is {:?}: {}",
                payment.order_number(),
                payment.status(),
                payment.details()
            );
            (StatusCode::OK, oceanpayment::ACKNOWLEDGEMENT)
        }
        Ok(oceanpayment::OceanpaymentNotice::Refund(refund)) => {
            println!(
                "refund {} succeeded: {}",
                refund.refund_id(),
                refund.succeeded()
            );
            (StatusCode::OK, oceanpayment::ACKNOWLEDGEMENT)
        }
        Err(error) => {
            eprintln!("refused a notice: {error}");
            (StatusCode::BAD_REQUEST, "not verified")
        }
    }
}

/// PingPong: any 2xx whose body is not `FAIL` acknowledges.
async fn pingpong_notice(body: Bytes) -> (StatusCode, &'static str) {
    match pingpong::verify_notice(&body, &pingpong::Credentials::sandbox_demo()) {
        Ok(pingpong::PingPongNotice::Payment(payment)) => {
            println!(
                "order {} is {:?}",
                payment.merchant_transaction_id(),
                payment.status()
            );
            (StatusCode::OK, pingpong::ACKNOWLEDGEMENT)
        }
        Ok(pingpong::PingPongNotice::Refund(refund)) => {
            println!(
                "refund {} is {:?}",
                refund.merchant_refund_id(),
                refund.status()
            );
            (StatusCode::OK, pingpong::ACKNOWLEDGEMENT)
        }
        Err(error) => {
            eprintln!("refused a notification: {error}");
            (StatusCode::BAD_REQUEST, "FAIL")
        }
    }
}
