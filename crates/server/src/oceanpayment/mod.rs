//! The Oceanpayment dialect's routes.
//!
//! | route | what |
//! |---|---|
//! | `POST /gateway/directservice/pay` | in-person WeChat Pay / Alipay payments |
//! | `POST /service/check/normal` | order query |
//! | `POST /service/applyRefund` | refund |
//! | `POST /service/queryRefund` | refund query |
//! | `POST /gateway/service/auth` | offline void (`payment_authType` 3) |
//!
//! Every answer is XML a merchant parses, refusals included. HTTP status: 200 for every answer
//! a merchant should act on; 400 for a body that is not a form, 413 for a body over the limit,
//! 415 for another content type, 503 when the gateway could not record the request. Answers to
//! requests that did not authenticate carry an empty `signValue`.

mod auth;
pub(crate) mod notice;
mod pay;
mod query;
mod refund;

use crate::AppState;
use axum::body::{to_bytes, Body};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use secrecy::SecretString;
use std::sync::Arc;
use tidegate_core::{ErrorKind, GatewayError};
use tidegate_wire::oceanpayment::{sign, Credentials, Form};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/gateway/directservice/pay", post(pay::direct_service_pay))
        .route("/service/check/normal", post(query::check_order))
        .route("/service/applyRefund", post(refund::apply_refund))
        .route("/service/queryRefund", post(refund::query_refund))
        .route("/gateway/service/auth", post(auth::service_auth))
}

/// An XML answer with its HTTP status.
pub(crate) struct XmlReply {
    pub(crate) status: StatusCode,
    pub(crate) body: String,
}

impl IntoResponse for XmlReply {
    fn into_response(self) -> Response {
        (
            self.status,
            [(header::CONTENT_TYPE, "application/xml; charset=utf-8")],
            self.body,
        )
            .into_response()
    }
}

/// A request that authenticated: its form, credentials and the terminal's secureCode.
pub(crate) struct Authenticated {
    pub(crate) form: Form,
    pub(crate) credentials: Credentials,
    pub(crate) secure_code: Arc<SecretString>,
}

/// Why a request did not get as far as authenticating, with the HTTP status to answer with
/// and the form when it could be read (refusals echo its fields).
pub(crate) struct Rejected {
    pub(crate) status: StatusCode,
    pub(crate) form: Option<Form>,
    pub(crate) error: GatewayError,
}

/// Reads the body as a form, finds the terminal and verifies the signature over the fields
/// `signed_fields` names for that form. Everything a dialect endpoint must do before it may
/// trust a field.
pub(crate) async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
    signed_fields: impl Fn(&Form) -> &'static [&'static str],
) -> Result<Authenticated, Rejected> {
    let reject = |status, form, kind| {
        Err(Rejected {
            status,
            form,
            error: GatewayError::new(kind),
        })
    };
    if !is_form(headers) {
        return reject(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            None,
            ErrorKind::UnsupportedMediaType,
        );
    }
    let Ok(bytes) = to_bytes(body, state.max_body_bytes).await else {
        return reject(
            StatusCode::PAYLOAD_TOO_LARGE,
            None,
            ErrorKind::RequestTooLarge,
        );
    };
    let form = match Form::parse(&bytes) {
        Ok(form) => form,
        Err(error) => {
            return Err(Rejected {
                status: StatusCode::BAD_REQUEST,
                form: None,
                error,
            })
        }
    };
    let credentials = match Credentials::from_form(&form) {
        Ok(credentials) => credentials,
        Err(error) => {
            return Err(Rejected {
                status: StatusCode::OK,
                form: Some(form),
                error,
            })
        }
    };
    let secure_code = match state
        .engine
        .terminal_secret(&credentials.account, &credentials.terminal)
        .await
    {
        Ok(Some(secret)) => secret,
        Ok(None) => return reject(StatusCode::OK, Some(form), ErrorKind::UnknownTerminal),
        Err(error) => {
            tracing::error!(%error, "terminal lookup failed");
            return reject(
                StatusCode::SERVICE_UNAVAILABLE,
                Some(form),
                ErrorKind::TemporarilyUnavailable,
            );
        }
    };
    let verified = {
        use secrecy::ExposeSecret as _;
        sign::verify(
            &credentials.sign_value,
            &form.values(signed_fields(&form)),
            secure_code.expose_secret(),
        )
    };
    if !verified {
        tracing::info!(account = %credentials.account, terminal = %credentials.terminal, "signature does not verify");
        return reject(StatusCode::OK, Some(form), ErrorKind::BadSignature);
    }
    Ok(Authenticated {
        form,
        credentials,
        secure_code,
    })
}

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|media_type| {
            media_type
                .trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}
