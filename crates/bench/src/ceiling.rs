//! The ceiling: the least an HTTP server can do per payment request (read it, answer a fixed
//! reply of a real reply's size) on hyper's HTTP/1, the stack the gateway runs on. What the
//! load generator gets from it is what HTTP alone allows on this machine; the gateway's
//! throughput is reported as a fraction of it.

use anyhow::Context as _;
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::{header, Request, Response};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::net::SocketAddr;
use tidegate_wire::oceanpayment::PaymentReply;
use tokio::net::TcpListener;

/// Serves the fixed reply on `listen` until Ctrl-C; prints `listening on http://ADDR` first,
/// as `tidegate serve` does, so scripts can use port 0.
pub(crate) async fn serve(listen: SocketAddr) -> anyhow::Result<()> {
    let listener = TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    println!(
        "listening on http://{}",
        listener.local_addr().context("the bound address")?
    );
    let reply = Bytes::from(fixed_reply());
    let shutdown = tokio::signal::ctrl_c();
    tokio::pin!(shutdown);
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // Out of descriptors or a connection reset before accept: the listener is fine.
                Err(_) => continue,
            },
            _ = &mut shutdown => return Ok(()),
        };
        // Without it small replies wait for the peer's delayed ACK, as they would not on the
        // gateway (axum's listener turns Nagle off as well).
        drop(stream.set_nodelay(true));
        let reply = reply.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| answer(request, reply.clone()));
            // A client closing its connection is the normal end.
            drop(
                hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await,
            );
        });
    }
}

/// Reads the whole request, as the gateway must before it can check a signature, and answers
/// the fixed reply.
async fn answer(
    request: Request<Incoming>,
    reply: Bytes,
) -> Result<Response<Full<Bytes>>, Infallible> {
    // An unreadable body still gets the fixed answer: the ceiling measures transport only.
    drop(request.into_body().collect().await);
    let mut response = Response::new(Full::new(reply));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/xml; charset=utf-8"),
    );
    Ok(response)
}

/// An approved Oceanpayment reply, signed: the same size and shape as the gateway's answers.
fn fixed_reply() -> String {
    PaymentReply {
        notice_type: "transaction".into(),
        push_date_time: "2026-01-01 09:30:00".into(),
        response_type: "1".into(),
        account: "995149".into(),
        terminal: "99514901".into(),
        methods: "WeChatPay_Offline".into(),
        order_number: "TB0000000000-1000000".into(),
        order_currency: "CNY".into(),
        order_amount: "12.30".into(),
        payment_id: "260101093000123000001".into(),
        payment_auth_type: "0".into(),
        payment_status: "1".into(),
        payment_details: "80000:Transaction Approved".into(),
        payment_amount: "12.30".into(),
        pay_user_id: "1345****0000".into(),
        ..PaymentReply::default()
    }
    .encode("12345678")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fixed_reply_is_a_real_replys_size() {
        let reply = fixed_reply();
        assert!(reply.contains("<payment_status>1</payment_status>"));
        assert!((800..1500).contains(&reply.len()), "{}", reply.len());
    }
}
