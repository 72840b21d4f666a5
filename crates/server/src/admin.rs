//! The admin API: inspect payments and their notices, resend a notice, count payments.
//!
//! | route | answer |
//! |---|---|
//! | `GET /admin/payments/{payment_id}` | the payment as JSON |
//! | `GET /admin/payments/{payment_id}/notices` | its notices, each with every delivery attempt |
//! | `POST /admin/notices/{notice_id}/resend` | 202: the notice is due again now |
//! | `GET /admin/stats` | `{"payments": {state: count}}` |
//!
//! Every route needs `Authorization: Bearer <admin_token>`. Without an `admin_token` in the
//! configuration (or `TIDEGATE_ADMIN_TOKEN`) the admin API is off and answers 404.

use crate::AppState;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use secrecy::ExposeSecret;
use serde::Serialize;
use serde_json::{json, Value};
use subtle::ConstantTimeEq;
use tidegate_engine::EngineError;
use tidegate_store::{NoticeAttemptRecord, NoticeRecord, PaymentRecord};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/payments/{payment_id}", get(payment))
        .route("/admin/payments/{payment_id}/notices", get(notices))
        .route("/admin/notices/{notice_id}/resend", post(resend))
        .route("/admin/stats", get(stats))
}

type Answer = (StatusCode, Json<Value>);

fn error(status: StatusCode, code: &str, message: &str) -> Answer {
    (status, Json(json!({ "error": code, "message": message })))
}

fn authorised(state: &AppState, headers: &HeaderMap) -> Result<(), Answer> {
    let Some(expected) = &state.admin_token else {
        return Err(error(
            StatusCode::NOT_FOUND,
            "admin_disabled",
            "set admin_token to enable the admin API",
        ));
    };
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .unwrap_or("");
    if bool::from(
        presented
            .as_bytes()
            .ct_eq(expected.expose_secret().as_bytes()),
    ) {
        Ok(())
    } else {
        Err(error(
            StatusCode::UNAUTHORIZED,
            "unauthorised",
            "missing or wrong bearer token",
        ))
    }
}

fn engine_error(failure: &EngineError) -> Answer {
    match failure {
        EngineError::NotFound => error(StatusCode::NOT_FOUND, "not_found", "no such record"),
        EngineError::DuplicateOrder { .. }
        | EngineError::Refused(_)
        | EngineError::TerminalExists
        | EngineError::SecretUnreadable(_)
        | EngineError::Unavailable(_) => {
            tracing::error!(error = %failure, "admin request failed");
            error(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                &failure.to_string(),
            )
        }
    }
}

#[derive(Serialize)]
struct PaymentView<'a> {
    payment_id: &'a str,
    account: &'a str,
    terminal: &'a str,
    order_number: &'a str,
    dialect: &'a str,
    method: &'a str,
    flow: &'a str,
    amount: &'a str,
    amount_minor: i64,
    currency: &'a str,
    state: &'a str,
    decline_reason: Option<&'a str>,
    payer: Option<&'a str>,
    notice_url: Option<&'a str>,
    created_at_ms: i64,
    updated_at_ms: i64,
}

fn payment_view(payment: &PaymentRecord) -> PaymentView<'_> {
    let created = &payment.created;
    PaymentView {
        payment_id: &created.payment_id,
        account: &created.account,
        terminal: &created.terminal,
        order_number: &created.order_number,
        dialect: &created.dialect,
        method: &created.method,
        flow: created.flow.as_str(),
        amount: &created.amount_text,
        amount_minor: created.amount_minor,
        currency: &created.currency,
        state: payment.state.as_str(),
        decline_reason: payment
            .decline_reason
            .map(tidegate_core::DeclineReason::as_str),
        payer: created.payer_masked.as_deref(),
        notice_url: created.notice_url.as_deref(),
        created_at_ms: created.created_at_ms,
        updated_at_ms: payment.updated_at_ms,
    }
}

/// A notice and its attempts as JSON (shared with the CLI's output format).
pub fn notice_json(notice: &NoticeRecord, attempts: &[NoticeAttemptRecord]) -> Value {
    json!({
        "notice_id": notice.created.notice_id,
        "payment_id": notice.created.payment_id,
        "refund_id": notice.created.refund_id,
        "kind": notice.created.kind,
        "url": notice.created.url,
        "status": notice.status.as_str(),
        "attempts": notice.attempts,
        "next_attempt_at_ms": notice.next_attempt_at_ms,
        "delivered_at_ms": notice.delivered_at_ms,
        "last_error": notice.last_error,
        "attempt_log": attempts.iter().map(|record| json!({
            "attempt": record.attempt_no,
            "at_ms": record.attempt.at_ms,
            "http_status": record.attempt.http_status,
            "body_prefix": record.attempt.body_prefix,
            "latency_ms": record.attempt.latency_ms,
            "error": record.attempt.error,
        })).collect::<Vec<_>>(),
    })
}

async fn payment(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(payment_id): Path<String>,
) -> Answer {
    if let Err(refused) = authorised(&state, &headers) {
        return refused;
    }
    match state.engine.payment(&payment_id).await {
        Ok(Some(payment)) => (StatusCode::OK, Json(json!(payment_view(&payment)))),
        Ok(None) => error(StatusCode::NOT_FOUND, "not_found", "no such payment"),
        Err(failure) => engine_error(&failure),
    }
}

async fn notices(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(payment_id): Path<String>,
) -> Answer {
    if let Err(refused) = authorised(&state, &headers) {
        return refused;
    }
    match state.engine.notices_of_payment(&payment_id).await {
        Ok(notices) => {
            let listed: Vec<Value> = notices
                .iter()
                .map(|(notice, attempts)| notice_json(notice, attempts))
                .collect();
            (
                StatusCode::OK,
                Json(json!({ "payment_id": payment_id, "notices": listed })),
            )
        }
        Err(failure) => engine_error(&failure),
    }
}

async fn stats(State(state): State<AppState>, headers: HeaderMap) -> Answer {
    if let Err(refused) = authorised(&state, &headers) {
        return refused;
    }
    match state.engine.count_by_state().await {
        Ok(counts) => {
            let payments: serde_json::Map<String, Value> = counts
                .into_iter()
                .map(|(state, count)| (state, Value::from(count)))
                .collect();
            (StatusCode::OK, Json(json!({ "payments": payments })))
        }
        Err(failure) => engine_error(&failure),
    }
}

async fn resend(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(notice_id): Path<String>,
) -> Answer {
    if let Err(refused) = authorised(&state, &headers) {
        return refused;
    }
    match state.engine.resend_notice(&notice_id).await {
        Ok(notice) => (StatusCode::ACCEPTED, Json(notice_json(&notice, &[]))),
        Err(failure) => engine_error(&failure),
    }
}
