//! The Oceanpayment dialect's routes: `POST /gateway/directservice/pay` (in-person wallets).
//!
//! Every answer is the `<response>` XML a till parses, including refusals (`payment_status` 0
//! with `payment_details` `code:message`). HTTP status: 200 for every answer a till should act
//! on (approved, declined, pending, validation and business refusals); 400 for a body that is
//! not a form, 413 for a body over the limit, 415 for another content type, 503 when the
//! payment could not be recorded. Replies to requests that did not authenticate (unknown
//! terminal, bad signature) carry an empty `signValue`.

use crate::AppState;
use axum::body::{to_bytes, Body};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use secrecy::ExposeSecret;
use std::time::Instant;
use tidegate_core::{ErrorKind, GatewayError, PaymentState, Wallet};
use tidegate_engine::{EngineError, PayCommand};
use tidegate_store::PaymentRecord;
use tidegate_wire::oceanpayment::codes;
use tidegate_wire::oceanpayment::sign::{self, PAY_REQUEST_FIELDS};
use tidegate_wire::oceanpayment::{request_fingerprint, Credentials, Form, PayRequest, PaymentReply};

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/gateway/directservice/pay", post(direct_service_pay))
}

/// An XML answer with its HTTP status.
struct XmlReply {
    status: StatusCode,
    body: String,
}

impl IntoResponse for XmlReply {
    fn into_response(self) -> Response {
        (self.status, [(header::CONTENT_TYPE, "application/xml; charset=utf-8")], self.body).into_response()
    }
}

async fn direct_service_pay(State(state): State<AppState>, headers: HeaderMap, body: Body) -> XmlReply {
    let started = Instant::now();
    if !is_form(&headers) {
        return refusal(StatusCode::UNSUPPORTED_MEDIA_TYPE, None, &GatewayError::new(ErrorKind::UnsupportedMediaType), "");
    }
    let Ok(bytes) = to_bytes(body, state.max_body_bytes).await else {
        return refusal(StatusCode::PAYLOAD_TOO_LARGE, None, &GatewayError::new(ErrorKind::RequestTooLarge), "");
    };
    let form = match Form::parse(&bytes) {
        Ok(form) => form,
        Err(error) => return refusal(StatusCode::BAD_REQUEST, None, &error, ""),
    };
    let credentials = match Credentials::from_form(&form) {
        Ok(credentials) => credentials,
        Err(error) => return refusal(StatusCode::OK, Some(&form), &error, ""),
    };
    let secure_code = match state.engine.terminal_secret(&credentials.account, &credentials.terminal).await {
        Ok(Some(secret)) => secret,
        Ok(None) => return refusal(StatusCode::OK, Some(&form), &GatewayError::new(ErrorKind::UnknownTerminal), ""),
        Err(error) => {
            tracing::error!(%error, "terminal lookup failed");
            return refusal(StatusCode::SERVICE_UNAVAILABLE, Some(&form), &GatewayError::new(ErrorKind::TemporarilyUnavailable), "");
        }
    };
    let secure_code = secure_code.expose_secret();
    if !sign::verify(&credentials.sign_value, &form.values(PAY_REQUEST_FIELDS), secure_code) {
        return refusal(StatusCode::OK, Some(&form), &GatewayError::new(ErrorKind::BadSignature), "");
    }
    let request = match PayRequest::parse(&form) {
        Ok(request) => request,
        Err(error) => return refusal(StatusCode::OK, Some(&form), &error, secure_code),
    };
    let command = pay_command(request, request_fingerprint(&form));
    match state.engine.pay(command).await {
        Ok(payment) => {
            tracing::info!(
                payment_id = payment.payment_id(),
                state = payment.state.as_str(),
                elapsed_ms = started.elapsed().as_millis(),
                "directservice/pay answered"
            );
            XmlReply { status: StatusCode::OK, body: payment_reply(&payment).encode(secure_code) }
        }
        Err(EngineError::DuplicateOrder { .. }) => {
            refusal(StatusCode::OK, Some(&form), &GatewayError::new(ErrorKind::DuplicateOrder), secure_code)
        }
        Err(error) => {
            tracing::error!(%error, "payment could not be recorded");
            let unavailable = GatewayError::new(ErrorKind::TemporarilyUnavailable);
            refusal(StatusCode::SERVICE_UNAVAILABLE, Some(&form), &unavailable, secure_code)
        }
    }
}

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|media_type| media_type.trim().eq_ignore_ascii_case("application/x-www-form-urlencoded"))
}

fn pay_command(request: PayRequest, fingerprint: String) -> PayCommand {
    PayCommand {
        account: request.account,
        terminal: request.terminal,
        order_number: request.order_number,
        amount: request.amount,
        amount_text: request.amount_text,
        order_notes: request.order_notes,
        presentment: request.presentment,
        notice_url: request.notice_url,
        fingerprint,
        dialect: "oceanpayment",
    }
}

/// A refusal in the reply format, echoing what the till sent so it can match the answer to its
/// order. Signed only when the request authenticated (`secure_code` non-empty).
fn refusal(status: StatusCode, form: Option<&Form>, error: &GatewayError, secure_code: &str) -> XmlReply {
    let (code, message) = codes::error_details(error);
    tracing::info!(code, error = %error, http_status = status.as_u16(), "directservice/pay refused");
    let echo = |name: &str| form.map(|form| form.value(name).to_owned()).unwrap_or_default();
    let reply = PaymentReply {
        notice_type: "transaction".into(),
        response_type: "1".into(),
        account: echo("account"),
        terminal: echo("terminal"),
        methods: echo("methods"),
        order_number: echo("order_number"),
        order_currency: echo("order_currency"),
        order_amount: echo("order_amount"),
        order_notes: echo("order_notes"),
        payment_auth_type: "0".into(),
        payment_status: "0".into(),
        payment_details: codes::format_details(code, &message),
        ..PaymentReply::default()
    };
    XmlReply { status, body: reply.encode(secure_code) }
}

/// The reply (and later, notice) fields of a payment as committed.
pub(crate) fn payment_reply(payment: &PaymentRecord) -> PaymentReply {
    let created = &payment.created;
    let wallet = Wallet::from_str_opt(&created.method).unwrap_or(Wallet::WeChatPay);
    let (code, message) = details(payment);
    PaymentReply {
        notice_type: "transaction".into(),
        push_date_time: format_time(payment.updated_at_ms),
        response_type: "1".into(),
        account: created.account.clone(),
        terminal: created.terminal.clone(),
        methods: codes::methods_name(wallet).into(),
        order_number: created.order_number.clone(),
        order_currency: created.currency.clone(),
        order_amount: created.amount_text.clone(),
        order_notes: created.order_notes.clone(),
        payment_id: created.payment_id.clone(),
        payment_auth_type: "0".into(),
        payment_status: codes::payment_status(payment.state).into(),
        payment_details: codes::format_details(code, message),
        payment_amount: if payment.state == PaymentState::Approved { created.amount_text.clone() } else { String::new() },
        pay_bar_code: payment.qr_payload.clone().unwrap_or_default(),
        pay_user_id: created.payer_masked.clone().unwrap_or_default(),
        ..PaymentReply::default()
    }
}

fn details(payment: &PaymentRecord) -> (u32, &'static str) {
    match payment.state {
        PaymentState::Approved => codes::APPROVED,
        PaymentState::Declined | PaymentState::Cancelled | PaymentState::Expired => {
            codes::decline_details(payment.decline_reason.unwrap_or(tidegate_core::DeclineReason::Declined))
        }
        // With an acquirer reference the acquirer has the payment and waits for the customer;
        // without one, the acquirer never answered and the result is unknown.
        PaymentState::Pending if payment.acquirer_ref.is_some() => codes::AWAITING_CUSTOMER,
        PaymentState::Pending | PaymentState::Processing => codes::RESULT_UNKNOWN,
    }
}

/// `yyyy-MM-dd HH:mm:ss` in UTC.
fn format_time(unix_ms: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    time::OffsetDateTime::from_unix_timestamp(unix_ms / 1000)
        .ok()
        .and_then(|at| at.format(format).ok())
        .unwrap_or_default()
}
