//! `POST /service/check/normal`: what a till polls while a customer enters a PIN.

use super::pay::{details, format_time};
use super::{authenticate, XmlReply};
use crate::failure_reply;
use crate::AppState;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use secrecy::ExposeSecret;
use tidegate_core::{ErrorKind, GatewayError, Wallet};
use tidegate_engine::OrderAttempt;
use tidegate_wire::oceanpayment::sign::ORDER_QUERY_FIELDS;
use tidegate_wire::oceanpayment::{
    codes, encode_order_query, encode_query_refusal, OrderQueryRequest, PaymentInfo,
};

pub(super) async fn check_order(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> XmlReply {
    let request = match authenticate(&state, &headers, body, |_| ORDER_QUERY_FIELDS).await {
        Ok(request) => request,
        Err(rejected) => {
            let echo = |name: &str| {
                rejected
                    .form
                    .as_ref()
                    .map(|f| f.value(name).to_owned())
                    .unwrap_or_default()
            };
            return refusal(
                rejected.status,
                &echo("account"),
                &echo("terminal"),
                &rejected.error,
            );
        }
    };
    let (account, terminal) = (&request.credentials.account, &request.credentials.terminal);
    let query = match OrderQueryRequest::parse(&request.form) {
        Ok(query) => query,
        Err(error) => return refusal(StatusCode::OK, account, terminal, &error),
    };
    let mut infos = Vec::new();
    for order_number in &query.order_numbers {
        match state
            .engine
            .order_attempts(account, terminal, order_number)
            .await
        {
            Ok(attempts) if attempts.is_empty() => infos.push(not_found(order_number)),
            Ok(attempts) => infos.extend(attempts.iter().map(payment_info)),
            Err(error) => {
                let (status, error) = failure_reply(&error);
                return refusal(status, account, terminal, &error);
            }
        }
    }
    tracing::info!(
        orders = query.order_numbers.len(),
        attempts = infos.len(),
        "order query answered"
    );
    XmlReply {
        status: StatusCode::OK,
        body: encode_order_query(
            account,
            terminal,
            &infos,
            request.secure_code.expose_secret(),
        ),
    }
}

fn refusal(status: StatusCode, account: &str, terminal: &str, error: &GatewayError) -> XmlReply {
    let (code, message) = codes::error_details(error);
    tracing::info!(code, %error, "order query refused");
    XmlReply {
        status,
        body: encode_query_refusal(account, terminal, &codes::format_details(code, &message)),
    }
}

fn not_found(order_number: &str) -> PaymentInfo {
    let (code, message) = codes::error_details(&GatewayError::new(ErrorKind::OrderNotFound));
    PaymentInfo {
        order_number: order_number.to_owned(),
        payment_details: codes::format_details(code, &message),
        ..PaymentInfo::default()
    }
}

fn payment_info(attempt: &OrderAttempt) -> PaymentInfo {
    let payment = &attempt.payment;
    let created = &payment.created;
    let wallet = Wallet::from_str_opt(&created.method).unwrap_or(Wallet::WeChatPay);
    let (code, message) = details(payment);
    PaymentInfo {
        order_number: created.order_number.clone(),
        order_currency: created.currency.clone(),
        order_amount: created.amount_text.clone(),
        order_notes: created.order_notes.clone(),
        methods: codes::methods_name(wallet).to_owned(),
        payment_id: created.payment_id.clone(),
        payment_results: codes::payment_status(payment.state).to_owned(),
        payment_details: codes::format_details(code, message),
        payment_date_time: format_time(created.created_at_ms),
        refund_status: codes::refund_status(attempt.refunded_minor, created.amount_minor)
            .to_owned(),
        pay_bar_code: payment.qr_payload.clone().unwrap_or_default(),
    }
}
