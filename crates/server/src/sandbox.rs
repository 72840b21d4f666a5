//! `/sandbox/*`: play the customer of a merchant-presented payment. Exists in sandbox mode only.

use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use serde::Serialize;
use tidegate_acquirers::sandbox::CustomerActionError;
use tidegate_core::PaymentFlow;
use tidegate_engine::EngineError;

/// The answer of a sandbox route: the payment as committed, or why nothing happened.
#[derive(Serialize)]
struct SandboxReply {
    payment_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    state: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
}

#[derive(Clone, Copy)]
enum CustomerAction {
    Pay,
    Decline,
}

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/sandbox/payments/{payment_id}/pay", post(pay))
        .route("/sandbox/payments/{payment_id}/decline", post(decline))
}

async fn pay(state: State<AppState>, payment_id: Path<String>) -> (StatusCode, Json<SandboxReply>) {
    act(state, payment_id, CustomerAction::Pay).await
}

async fn decline(
    state: State<AppState>,
    payment_id: Path<String>,
) -> (StatusCode, Json<SandboxReply>) {
    act(state, payment_id, CustomerAction::Decline).await
}

async fn act(
    State(state): State<AppState>,
    Path(payment_id): Path<String>,
    action: CustomerAction,
) -> (StatusCode, Json<SandboxReply>) {
    let refuse = |status, error, message: String| {
        (
            status,
            Json(SandboxReply {
                payment_id: payment_id.clone(),
                state: None,
                error: Some(error),
                message: Some(message),
            }),
        )
    };
    let Some(sandbox) = state.sandbox.as_ref() else {
        return refuse(
            StatusCode::NOT_FOUND,
            "not_sandbox",
            "the gateway is not in sandbox mode".into(),
        );
    };
    let payment = match state.engine.payment(&payment_id).await {
        Ok(Some(payment)) => payment,
        Ok(None) => {
            return refuse(
                StatusCode::NOT_FOUND,
                "unknown_payment",
                "no payment with this id".into(),
            )
        }
        Err(error) => {
            return refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                error.to_string(),
            )
        }
    };
    if payment.created.flow != PaymentFlow::MerchantPresented || payment.state.is_final() {
        let message = format!(
            "only an open merchant-presented payment waits for the customer; this one is {} and {}",
            payment.created.flow.as_str(),
            payment.state.as_str()
        );
        return refuse(StatusCode::CONFLICT, "not_awaiting_customer", message);
    }
    let acted = match action {
        CustomerAction::Pay => sandbox.customer_pays(&payment_id),
        CustomerAction::Decline => sandbox.customer_refuses(&payment_id),
    };
    if let Err(error) = acted {
        let code = match error {
            CustomerActionError::Closed => "closed",
            CustomerActionError::AlreadyActed => "already_acted",
        };
        return refuse(StatusCode::CONFLICT, code, error.to_string());
    }
    match state.engine.refresh(&payment_id).await {
        Ok(updated) => (
            StatusCode::OK,
            Json(SandboxReply {
                payment_id,
                state: Some(updated.state.as_str()),
                error: None,
                message: None,
            }),
        ),
        Err(EngineError::NotFound) => refuse(
            StatusCode::NOT_FOUND,
            "unknown_payment",
            "no payment with this id".into(),
        ),
        Err(error) => refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            error.to_string(),
        ),
    }
}
