//! `POST /gateway/directservice/pay`: in-person WeChat Pay and Alipay payments.

use super::{authenticate, XmlReply};
use crate::failure_reply;
use crate::AppState;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use secrecy::ExposeSecret;
use std::time::Instant;
use tidegate_core::{ErrorKind, GatewayError, PaymentState, Wallet};
use tidegate_engine::PayCommand;
use tidegate_store::PaymentRecord;
use tidegate_wire::oceanpayment::codes;
use tidegate_wire::oceanpayment::sign::PAY_REQUEST_FIELDS;
use tidegate_wire::oceanpayment::{request_fingerprint, Form, PayRequest, PaymentReply};

pub(super) async fn direct_service_pay(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> XmlReply {
    let started = Instant::now();
    let request = match authenticate(&state, &headers, body, |_| PAY_REQUEST_FIELDS).await {
        Ok(request) => request,
        Err(rejected) => {
            return refusal(rejected.status, rejected.form.as_ref(), &rejected.error, "")
        }
    };
    let secure_code = request.secure_code.expose_secret();
    let form = &request.form;
    let pay = match PayRequest::parse(form) {
        Ok(pay) => pay,
        Err(error) => return refusal(StatusCode::OK, Some(form), &error, secure_code),
    };
    if let Some(url) = &pay.notice_url {
        if let Err(refusal_reason) = state.url_policy.check_syntax(url) {
            tracing::info!(%refusal_reason, "noticeUrl refused");
            let error = GatewayError::at(ErrorKind::NoticeUrlNotAllowed, "noticeUrl");
            return refusal(StatusCode::OK, Some(form), &error, secure_code);
        }
    }
    let command = pay_command(pay, request_fingerprint(form));
    match state.engine.pay(command).await {
        Ok(payment) => {
            tracing::info!(
                payment_id = payment.payment_id(),
                order_number = %payment.created.order_number,
                amount = %payment.created.amount_text,
                currency = %payment.created.currency,
                method = %payment.created.method,
                state = payment.state.as_str(),
                reason = payment.decline_reason.map(tidegate_core::DeclineReason::as_str),
                elapsed_ms = started.elapsed().as_millis(),
                "directservice/pay answered"
            );
            XmlReply {
                status: StatusCode::OK,
                body: payment_reply(&payment).encode(secure_code),
            }
        }
        Err(failure) => {
            let (status, error) = failure_reply(&failure);
            refusal(status, Some(form), &error, secure_code)
        }
    }
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
        time_to_live: None,
        dialect_data: String::new(),
        // Oceanpayment's 20061 rule: same terminal, same method, same order number.
        duplicate_per_method: true,
    }
}

/// A refusal in the reply format, echoing what the till sent so it can match the answer to its
/// order. Signed only when the request authenticated (`secure_code` non-empty).
pub(super) fn refusal(
    status: StatusCode,
    form: Option<&Form>,
    error: &GatewayError,
    secure_code: &str,
) -> XmlReply {
    let (code, message) = codes::error_details(error);
    tracing::info!(code, error = %error, http_status = status.as_u16(), "directservice/pay refused");
    let echo = |name: &str| {
        form.map(|form| form.value(name).to_owned())
            .unwrap_or_default()
    };
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
    XmlReply {
        status,
        body: reply.encode(secure_code),
    }
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
        payment_amount: if payment.state == PaymentState::Approved {
            created.amount_text.clone()
        } else {
            String::new()
        },
        pay_bar_code: payment.qr_payload.clone().unwrap_or_default(),
        pay_user_id: created.payer_masked.clone().unwrap_or_default(),
        ..PaymentReply::default()
    }
}

pub(crate) fn details(payment: &PaymentRecord) -> (u32, &'static str) {
    match payment.state {
        PaymentState::Approved => codes::APPROVED,
        PaymentState::Voided => codes::VOIDED,
        PaymentState::Declined | PaymentState::Cancelled | PaymentState::Expired => {
            codes::decline_details(
                payment
                    .decline_reason
                    .unwrap_or(tidegate_core::DeclineReason::Declined),
            )
        }
        // With an acquirer reference the acquirer has the payment and waits for the customer;
        // without one, the acquirer never answered and the result is unknown.
        PaymentState::Pending if payment.acquirer_ref.is_some() => codes::AWAITING_CUSTOMER,
        PaymentState::Pending | PaymentState::Processing => codes::RESULT_UNKNOWN,
    }
}

/// `yyyy-MM-dd HH:mm:ss` in UTC.
pub(crate) fn format_time(unix_ms: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    time::OffsetDateTime::from_unix_timestamp(unix_ms / 1000)
        .ok()
        .and_then(|at| at.format(format).ok())
        .unwrap_or_default()
}
