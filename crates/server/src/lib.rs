//! Tidegate's HTTP server: each dialect's routes, the sandbox controls and health, over one
//! [`Engine`](tidegate_engine::Engine).
//!
//! [`start`] opens the store, prepares the engine, binds the listener and returns a handle
//! that tests and the binary use alike.

mod admin;
pub mod config;
mod health;
mod oceanpayment;
mod pingpong;
mod sandbox;
mod startup;

pub use admin::notice_json;
pub use config::{Config, ConfigError, Mode};
pub use startup::{open_engine, start, RunningServer, StartError};

use axum::http::StatusCode;
use axum::Router;
use std::sync::Arc;
use tidegate_acquirers::sandbox::SandboxAcquirer;
use tidegate_core::{ErrorKind, GatewayError};
use tidegate_engine::{Engine, EngineError};

/// What every handler can reach.
#[derive(Clone)]
pub(crate) struct AppState {
    pub(crate) engine: Engine,
    /// Present in sandbox mode only; the sandbox routes play the customer through it.
    pub(crate) sandbox: Option<Arc<SandboxAcquirer>>,
    pub(crate) max_body_bytes: usize,
    /// Where notices may be sent, checked when a request names a notice URL.
    pub(crate) url_policy: tidegate_engine::UrlPolicy,
    /// Bearer token of the admin API; `None` turns it off.
    pub(crate) admin_token: Option<Arc<secrecy::SecretString>>,
}

/// How an engine failure is answered: business refusals (a duplicate order, a rule the
/// request breaks) with HTTP 200 and their code; anything else (storage down) with 503 and
/// `TemporarilyUnavailable`, logged.
pub(crate) fn failure_reply(failure: &EngineError) -> (StatusCode, GatewayError) {
    match failure {
        EngineError::DuplicateOrder { .. } => {
            (StatusCode::OK, GatewayError::new(ErrorKind::DuplicateOrder))
        }
        EngineError::Refused(kind) => (StatusCode::OK, GatewayError::new(*kind)),
        EngineError::NotFound => (
            StatusCode::OK,
            GatewayError::new(ErrorKind::PaymentNotFound),
        ),
        EngineError::TerminalExists
        | EngineError::SecretUnreadable(_)
        | EngineError::Unavailable(_) => {
            tracing::error!(error = %failure, "request could not be recorded");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                GatewayError::new(ErrorKind::TemporarilyUnavailable),
            )
        }
    }
}

/// The router with every route of this gateway.
pub(crate) fn app(state: AppState) -> Router {
    let mut router = Router::new()
        .merge(health::routes())
        .merge(oceanpayment::routes())
        .merge(pingpong::routes())
        .merge(admin::routes());
    if state.sandbox.is_some() {
        router = router.merge(sandbox::routes());
    }
    router.with_state(state)
}
