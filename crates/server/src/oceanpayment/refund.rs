//! `POST /service/applyRefund` and `POST /service/queryRefund`.

use super::{authenticate, XmlReply};
use crate::failure_reply;
use crate::AppState;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use secrecy::ExposeSecret;
use tidegate_core::{GatewayError, RefundState};
use tidegate_engine::RefundCommand;
use tidegate_store::RefundRecord;
use tidegate_wire::oceanpayment::sign::{REFUND_FIELDS, REFUND_QUERY_FIELDS};
use tidegate_wire::oceanpayment::{
    codes, refund_check, refund_check_description, Form, RefundQueryReply, RefundQueryRequest,
    RefundReply, RefundRequest, REFUND_ACCEPTED, REFUND_REFUSED,
};

pub(super) async fn apply_refund(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> XmlReply {
    let request = match authenticate(&state, &headers, body, |_| REFUND_FIELDS).await {
        Ok(request) => request,
        Err(rejected) => {
            return refused(rejected.status, rejected.form.as_ref(), &rejected.error, "")
        }
    };
    let secure_code = request.secure_code.expose_secret();
    let form = &request.form;
    let refund = match RefundRequest::parse(form) {
        Ok(refund) => refund,
        Err(error) => return refused(StatusCode::OK, Some(form), &error, secure_code),
    };
    let command = RefundCommand {
        account: refund.account,
        terminal: refund.terminal,
        payment_id: refund.payment_id,
        refund_number: refund.refund_number,
        full: refund.full,
        amount_text: refund.amount_text,
        max_fraction_digits: 2,
        description: refund.description,
        notice_url: None,
    };
    match state.engine.refund(command).await {
        Ok((refund, _payment)) => {
            let accepted = refund.state != RefundState::Failed;
            let reply = RefundReply {
                account: request.credentials.account.clone(),
                terminal: request.credentials.terminal.clone(),
                payment_id: refund.created.payment_id.clone(),
                refund_number: refund.created.refund_number.clone().unwrap_or_default(),
                refund_id: refund.created.refund_id.clone(),
                refund_results: if accepted {
                    REFUND_ACCEPTED
                } else {
                    REFUND_REFUSED
                }
                .to_owned(),
                refund_amount: refund.created.amount_text.clone(),
                refund_description: outcome_description(&refund),
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

fn outcome_description(refund: &RefundRecord) -> String {
    match (refund.state, refund.decline_reason) {
        (RefundState::Failed, Some(reason)) => {
            let (code, message) = codes::decline_details(reason);
            codes::format_details(code, message)
        }
        (RefundState::Failed | RefundState::Processing | RefundState::Succeeded, _) => {
            refund_check_description(refund.state).to_owned()
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
    tracing::info!(code, %error, "refund refused");
    let echo = |name: &str| {
        form.map(|form| form.value(name).to_owned())
            .unwrap_or_default()
    };
    let reply = RefundReply {
        account: echo("account"),
        terminal: echo("terminal"),
        payment_id: echo("payment_id"),
        refund_number: echo("refund_number"),
        refund_results: REFUND_REFUSED.to_owned(),
        refund_amount: echo("refund_amount"),
        refund_description: codes::format_details(code, &message),
        ..RefundReply::default()
    };
    XmlReply {
        status,
        body: reply.encode(secure_code),
    }
}

pub(super) async fn query_refund(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> XmlReply {
    let request = match authenticate(&state, &headers, body, |_| REFUND_QUERY_FIELDS).await {
        Ok(request) => request,
        Err(rejected) => {
            return query_refused(rejected.status, rejected.form.as_ref(), &rejected.error, "")
        }
    };
    let secure_code = request.secure_code.expose_secret();
    let form = &request.form;
    let query = match RefundQueryRequest::parse(form) {
        Ok(query) => query,
        Err(error) => return query_refused(StatusCode::OK, Some(form), &error, secure_code),
    };
    match state
        .engine
        .terminal_refund(&query.account, &query.terminal, &query.refund_id)
        .await
    {
        Ok((refund, _payment)) => {
            let reply = RefundQueryReply {
                account: query.account,
                terminal: query.terminal,
                refund_id: refund.created.refund_id.clone(),
                payment_id: refund.created.payment_id.clone(),
                refund_number: refund.created.refund_number.clone().unwrap_or_default(),
                refund_amount: refund.created.amount_text.clone(),
                refund_check: refund_check(refund.state).to_owned(),
                refund_description: outcome_description(&refund),
            };
            XmlReply {
                status: StatusCode::OK,
                body: reply.encode(secure_code),
            }
        }
        Err(failure) => {
            let (status, error) = failure_reply(&failure);
            query_refused(status, Some(form), &error, secure_code)
        }
    }
}

fn query_refused(
    status: StatusCode,
    form: Option<&Form>,
    error: &GatewayError,
    secure_code: &str,
) -> XmlReply {
    let (code, message) = codes::error_details(error);
    tracing::info!(code, %error, "refund query refused");
    let echo = |name: &str| {
        form.map(|form| form.value(name).to_owned())
            .unwrap_or_default()
    };
    let reply = RefundQueryReply {
        account: echo("account"),
        terminal: echo("terminal"),
        refund_id: echo("refund_id"),
        refund_description: codes::format_details(code, &message),
        ..RefundQueryReply::default()
    };
    XmlReply {
        status,
        body: reply.encode(secure_code),
    }
}
