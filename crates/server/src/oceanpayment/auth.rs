//! `POST /gateway/service/auth` with `payment_authType` 3: the offline void a till sends when a
//! customer-presented payment's outcome stays unknown, or to cancel a sale.

use super::{authenticate, XmlReply};
use crate::failure_reply;
use crate::AppState;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use secrecy::ExposeSecret;
use tidegate_core::{GatewayError, PaymentState};
use tidegate_wire::oceanpayment::sign::{OFFLINE_VOID_FIELDS, PRE_AUTH_FIELDS};
use tidegate_wire::oceanpayment::{codes, AuthReply, Form, OfflineVoidRequest, OFFLINE_VOID};

pub(super) async fn service_auth(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> XmlReply {
    // Captures and voids by payment id are signed over other fields; verifying them with their
    // own formula lets a correctly signed request learn that the operation is not offered.
    let signed = |form: &Form| {
        if form.value("payment_authType") == OFFLINE_VOID {
            OFFLINE_VOID_FIELDS
        } else {
            PRE_AUTH_FIELDS
        }
    };
    let request = match authenticate(&state, &headers, body, signed).await {
        Ok(request) => request,
        Err(rejected) => {
            return refused(rejected.status, rejected.form.as_ref(), &rejected.error, "")
        }
    };
    let secure_code = request.secure_code.expose_secret();
    let form = &request.form;
    let void = match OfflineVoidRequest::parse(form) {
        Ok(void) => void,
        Err(error) => return refused(StatusCode::OK, Some(form), &error, secure_code),
    };
    match state
        .engine
        .void_order(&void.account, &void.terminal, &void.order_number)
        .await
    {
        Ok(payment) => {
            // Done means the order can no longer take money: voided, or never paid.
            let done = match payment.state {
                PaymentState::Voided
                | PaymentState::Declined
                | PaymentState::Cancelled
                | PaymentState::Expired => true,
                PaymentState::Processing | PaymentState::Pending | PaymentState::Approved => false,
            };
            let (code, message) = super::pay::details(&payment);
            tracing::info!(
                payment_id = payment.payment_id(),
                state = payment.state.as_str(),
                done,
                "offline void answered"
            );
            let reply = AuthReply {
                account: void.account,
                terminal: void.terminal,
                order_number: void.order_number,
                payment_id: payment.created.payment_id.clone(),
                payment_auth_type: OFFLINE_VOID.to_owned(),
                payment_status: if done { "1" } else { "0" }.to_owned(),
                payment_details: codes::format_details(code, message),
            };
            XmlReply {
                status: StatusCode::OK,
                body: reply.encode(secure_code),
            }
        }
        Err(failure) => {
            let (status, error) = failure_reply(&failure);
            refused(status, Some(form), &error, secure_code)
        }
    }
}

fn refused(
    status: StatusCode,
    form: Option<&Form>,
    error: &GatewayError,
    secure_code: &str,
) -> XmlReply {
    let (code, message) = codes::error_details(error);
    tracing::info!(code, %error, "offline void refused");
    let echo = |name: &str| {
        form.map(|form| form.value(name).to_owned())
            .unwrap_or_default()
    };
    let reply = AuthReply {
        account: echo("account"),
        terminal: echo("terminal"),
        order_number: echo("order_number"),
        payment_auth_type: echo("payment_authType"),
        payment_status: "0".to_owned(),
        payment_details: codes::format_details(code, &message),
        ..AuthReply::default()
    };
    XmlReply {
        status,
        body: reply.encode(secure_code),
    }
}
