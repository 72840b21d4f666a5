//! The PingPong Checkout v4 dialect's routes: offline barcode and QR payments, query, refund,
//! refund query, void and void query, over the same engine as every other dialect.
//!
//! A PingPong store is a terminal whose account is the `clientId` and whose terminal number is
//! the `accId`; its salt is the terminal's secret. Answers are JSON envelopes; HTTP status as
//! for the Oceanpayment dialect: 200 for every answer a merchant acts on, 400 for a body that is
//! not a JSON envelope, 413 over the size limit, 415 for another content type, 503 when the
//! gateway could not record the request.

mod notice;
mod views;

pub(crate) use notice::PingPongNotices;

use crate::AppState;
use axum::body::{to_bytes, Body};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use secrecy::{ExposeSecret, SecretString};
use std::sync::Arc;
use std::time::Duration;
use tidegate_core::{ErrorKind, GatewayError, PaymentState};
use tidegate_engine::{EngineError, PayCommand, RefundCommand};
use tidegate_store::{PaymentRecord, RefundRecord};
use tidegate_wire::pingpong::codes::{
    error_code, payment_result_code, refund_result_code, QUERY_OK, SUCCESS,
};
use tidegate_wire::pingpong::envelope::{client_id_matches, Envelope, ReplyEnvelope, SignType};
use tidegate_wire::pingpong::replies::{
    payment_biz, refund_biz, void_biz, VoidView, ERROR_BIZ, STATUS_FAILED, STATUS_SUCCESS,
};
use tidegate_wire::pingpong::requests::{
    QueryRequest, RefundQueryRequest, RefundRequest, UnifiedPayRequest, VoidQueryRequest,
    VoidRequest,
};
use tidegate_wire::pingpong::{
    QUERY_PATH, REFUND_PATH, REFUND_QUERY_PATH, UNIFIED_PAY_PATH, VOID_PATH, VOID_QUERY_PATH,
};
use views::{money, payment_view, refund_view, DialectData};

/// The shortest and longest `timeExpire` PingPong allows.
const MIN_TIME_TO_LIVE: Duration = Duration::from_secs(60);
const MAX_TIME_TO_LIVE: Duration = Duration::from_secs(3 * 24 * 3600);

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(UNIFIED_PAY_PATH, post(unified_pay))
        .route(QUERY_PATH, post(query))
        .route(REFUND_PATH, post(refund))
        .route(REFUND_QUERY_PATH, post(refund_query))
        .route(VOID_PATH, post(void))
        .route(VOID_QUERY_PATH, post(void_query))
}

/// A JSON answer with its HTTP status.
struct JsonReply {
    status: StatusCode,
    body: String,
}

impl IntoResponse for JsonReply {
    fn into_response(self) -> Response {
        (
            self.status,
            [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
            self.body,
        )
            .into_response()
    }
}

/// A verified envelope and the store's salt.
struct Authenticated {
    envelope: Envelope,
    salt: Arc<SecretString>,
}

impl Authenticated {
    fn account(&self) -> &str {
        &self.envelope.client_id
    }

    fn terminal(&self) -> &str {
        &self.envelope.acc_id
    }

    /// A signed answer with this code and business content.
    fn answer(&self, (code, description): (&str, &str), biz_content: String) -> JsonReply {
        let reply = ReplyEnvelope::answering(&self.envelope, code, description, biz_content);
        JsonReply {
            status: StatusCode::OK,
            body: reply.encode(self.salt.expose_secret()),
        }
    }

    /// A signed answer about a payment.
    fn answer_payment(&self, code: (&str, &str), payment: &PaymentRecord) -> JsonReply {
        match payment_view(payment) {
            Some(view) => self.answer(code, payment_biz(&view)),
            None => self.failed(&corrupt(payment.payment_id())),
        }
    }

    /// A signed answer about a refund.
    fn answer_refund(
        &self,
        code: (&str, &str),
        refund: &RefundRecord,
        payment: &PaymentRecord,
    ) -> JsonReply {
        match refund_view(refund, payment) {
            Some(view) => self.answer(code, refund_biz(&view)),
            None => self.failed(&corrupt(payment.payment_id())),
        }
    }

    /// A signed refusal.
    fn refuse(&self, error: &GatewayError) -> JsonReply {
        let (code, description) = error_code(error);
        tracing::info!(code, %error, "pingpong request refused");
        self.answer((code, &description), ERROR_BIZ.to_owned())
    }

    /// The answer to an engine failure.
    fn failed(&self, failure: &EngineError) -> JsonReply {
        let (status, error) = crate::failure_reply(failure);
        let mut reply = self.refuse(&error);
        reply.status = status;
        reply
    }
}

fn corrupt(payment_id: &str) -> EngineError {
    EngineError::Unavailable(format!(
        "payment {payment_id} has an unreadable amount or currency"
    ))
}

/// An unsigned refusal for a caller that could not be authenticated.
fn unauthenticated(
    status: StatusCode,
    envelope: Option<&Envelope>,
    error: &GatewayError,
) -> JsonReply {
    let (code, description) = error_code(error);
    tracing::info!(code, %error, http_status = status.as_u16(), "pingpong request refused before authentication");
    let reply = ReplyEnvelope {
        acc_id: envelope.map(|e| e.acc_id.clone()).unwrap_or_default(),
        client_id: envelope.map(|e| e.client_id.clone()).unwrap_or_default(),
        sign_type: envelope.map_or(SignType::Sha256, |e| e.sign_type),
        code: code.to_owned(),
        description,
        biz_content: ERROR_BIZ.to_owned(),
    };
    JsonReply {
        status,
        body: reply.encode(""),
    }
}

/// Reads the envelope, finds the store and verifies the signature.
async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
) -> Result<Authenticated, JsonReply> {
    let refuse = |status, envelope: Option<&Envelope>, kind| {
        Err(unauthenticated(status, envelope, &GatewayError::new(kind)))
    };
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|media_type| media_type.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            None,
            ErrorKind::UnsupportedMediaType,
        );
    }
    let Ok(bytes) = to_bytes(body, state.max_body_bytes).await else {
        return refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            None,
            ErrorKind::RequestTooLarge,
        );
    };
    let envelope = match Envelope::parse(&bytes) {
        Ok(envelope) => envelope,
        Err(error) => {
            let status = if error.kind == ErrorKind::MalformedRequest {
                StatusCode::BAD_REQUEST
            } else {
                StatusCode::OK
            };
            return Err(unauthenticated(status, None, &error));
        }
    };
    if !client_id_matches(&envelope.acc_id, &envelope.client_id) {
        return refuse(StatusCode::OK, Some(&envelope), ErrorKind::UnknownTerminal);
    }
    let salt = match state
        .engine
        .terminal_secret(&envelope.client_id, &envelope.acc_id)
        .await
    {
        Ok(Some(salt)) => salt,
        Ok(None) => return refuse(StatusCode::OK, Some(&envelope), ErrorKind::UnknownTerminal),
        Err(error) => {
            tracing::error!(%error, "store lookup failed");
            return refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                Some(&envelope),
                ErrorKind::TemporarilyUnavailable,
            );
        }
    };
    if !envelope.verify(salt.expose_secret()) {
        tracing::info!(acc_id = %envelope.acc_id, "pingpong signature does not verify");
        return refuse(StatusCode::OK, Some(&envelope), ErrorKind::BadSignature);
    }
    Ok(Authenticated { envelope, salt })
}

async fn unified_pay(State(state): State<AppState>, headers: HeaderMap, body: Body) -> JsonReply {
    let request = match authenticate(&state, &headers, body).await {
        Ok(request) => request,
        Err(reply) => return reply,
    };
    let pay = match UnifiedPayRequest::parse(&request.envelope.biz_content) {
        Ok(pay) => pay,
        Err(error) => return request.refuse(&error),
    };
    if let Some(url) = &pay.notification_url {
        if let Err(reason) = state.url_policy.check_syntax(url) {
            tracing::info!(%reason, "notificationUrl refused");
            return request.refuse(&GatewayError::at(
                ErrorKind::NoticeUrlNotAllowed,
                "notificationUrl",
            ));
        }
    }
    let time_to_live = match pay.time_expire_seconds.map(time_to_live).transpose() {
        Ok(ttl) => ttl,
        Err(error) => return request.refuse(&error),
    };
    let dialect_data = DialectData {
        request_id: pay.request_id.clone(),
        method_type: pay.method_type.clone(),
        sign_type: request.envelope.sign_type.as_str().to_owned(),
    };
    let command = PayCommand {
        account: request.account().to_owned(),
        terminal: request.terminal().to_owned(),
        order_number: pay.merchant_transaction_id.clone(),
        amount: pay.amount,
        amount_text: pay.amount_text.clone(),
        order_notes: pay.remark.clone(),
        presentment: pay.presentment.clone(),
        notice_url: pay.notification_url.clone(),
        fingerprint: pay.fingerprint(),
        dialect: "pingpong",
        time_to_live,
        dialect_data: dialect_data.encode(),
        // One requestId is one payment attempt of the order, whatever the wallet: a second
        // wallet cannot pay an order that is paid or being paid.
        duplicate_per_method: false,
    };
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
                "unifiedPay answered"
            );
            let code = payment_result_code(payment.state, payment.decline_reason);
            request.answer_payment(code, &payment)
        }
        Err(failure) => request.failed(&failure),
    }
}

/// `timeExpire` (epoch seconds) as a time to live, within what PingPong allows.
fn time_to_live(time_expire_seconds: i64) -> Result<Duration, GatewayError> {
    let now_seconds = tidegate_engine::now_ms() / 1000;
    let ttl = u64::try_from(time_expire_seconds - now_seconds).map(Duration::from_secs);
    match ttl {
        Ok(ttl) if (MIN_TIME_TO_LIVE..=MAX_TIME_TO_LIVE).contains(&ttl) => Ok(ttl),
        Ok(_) | Err(_) => Err(GatewayError::at(
            ErrorKind::InvalidFormat(tidegate_core::Field::Other),
            "timeExpire",
        )),
    }
}

/// The payment a query names: by `transactionId`, or the order's attempt with `requestId`, or
/// the order's newest attempt.
async fn find_payment(
    state: &AppState,
    request: &Authenticated,
    query: &QueryRequest,
) -> Result<PaymentRecord, EngineError> {
    let (account, terminal) = (request.account(), request.terminal());
    if let Some(transaction_id) = &query.transaction_id {
        let payment = state
            .engine
            .terminal_payment(account, terminal, transaction_id)
            .await?;
        let same_order = query
            .merchant_transaction_id
            .as_ref()
            .is_none_or(|order| *order == payment.created.order_number);
        return if same_order {
            Ok(payment)
        } else {
            Err(EngineError::Refused(ErrorKind::PaymentNotFound))
        };
    }
    let order = query.merchant_transaction_id.as_deref().unwrap_or_default();
    let attempts = state
        .engine
        .order_attempts(account, terminal, order)
        .await?;
    let wanted = attempts
        .into_iter()
        .map(|attempt| attempt.payment)
        .find(|payment| {
            query.request_id.as_ref().is_none_or(|id| {
                DialectData::decode(&payment.created.dialect_data).request_id == *id
            })
        });
    wanted.ok_or(EngineError::Refused(ErrorKind::OrderNotFound))
}

async fn query(State(state): State<AppState>, headers: HeaderMap, body: Body) -> JsonReply {
    let request = match authenticate(&state, &headers, body).await {
        Ok(request) => request,
        Err(reply) => return reply,
    };
    let query = match QueryRequest::parse(&request.envelope.biz_content) {
        Ok(query) => query,
        Err(error) => return request.refuse(&error),
    };
    match find_payment(&state, &request, &query).await {
        Ok(payment) => request.answer_payment(QUERY_OK, &payment),
        Err(failure) => request.failed(&failure),
    }
}

/// The order's approved payment, which is what PingPong refunds and voids address.
async fn approved_payment_of(
    state: &AppState,
    request: &Authenticated,
    order: &str,
) -> Result<PaymentRecord, EngineError> {
    let attempts = state
        .engine
        .order_attempts(request.account(), request.terminal(), order)
        .await?;
    if attempts.is_empty() {
        return Err(EngineError::Refused(ErrorKind::OrderNotFound));
    }
    attempts
        .into_iter()
        .map(|attempt| attempt.payment)
        .find(|payment| payment.state == PaymentState::Approved)
        .ok_or(EngineError::Refused(ErrorKind::PaymentNotRefundable))
}

async fn refund(State(state): State<AppState>, headers: HeaderMap, body: Body) -> JsonReply {
    let request = match authenticate(&state, &headers, body).await {
        Ok(request) => request,
        Err(reply) => return reply,
    };
    let refund = match RefundRequest::parse(&request.envelope.biz_content) {
        Ok(refund) => refund,
        Err(error) => return request.refuse(&error),
    };
    if let Some(url) = &refund.notification_url {
        if state.url_policy.check_syntax(url).is_err() {
            return request.refuse(&GatewayError::at(
                ErrorKind::NoticeUrlNotAllowed,
                "notificationUrl",
            ));
        }
    }
    let payment = match approved_payment_of(&state, &request, &refund.merchant_transaction_id).await
    {
        Ok(payment) => payment,
        Err(failure) => return request.failed(&failure),
    };
    let Some(currency) = money(&payment).map(|amount| amount.currency()) else {
        return request.failed(&corrupt(payment.payment_id()));
    };
    if let Err(error) = refund.refund_amount(currency) {
        return request.refuse(&error);
    }
    let command = RefundCommand {
        account: request.account().to_owned(),
        terminal: request.terminal().to_owned(),
        payment_id: payment.created.payment_id.clone(),
        refund_number: Some(refund.merchant_refund_id.clone()),
        full: false,
        amount_text: refund.amount_text.clone(),
        max_fraction_digits: usize::from(currency.exponent()),
        description: refund.remark.clone(),
        notice_url: refund.notification_url.clone(),
    };
    match state.engine.refund(command).await {
        Ok((refund, payment)) => {
            request.answer_refund(refund_result_code(refund.state), &refund, &payment)
        }
        Err(failure) => request.failed(&failure),
    }
}

async fn refund_query(State(state): State<AppState>, headers: HeaderMap, body: Body) -> JsonReply {
    let request = match authenticate(&state, &headers, body).await {
        Ok(request) => request,
        Err(reply) => return reply,
    };
    let query = match RefundQueryRequest::parse(&request.envelope.biz_content) {
        Ok(query) => query,
        Err(error) => return request.refuse(&error),
    };
    match find_refund(&state, &request, &query).await {
        Ok((refund, payment)) => request.answer_refund(QUERY_OK, &refund, &payment),
        Err(failure) => request.failed(&failure),
    }
}

async fn find_refund(
    state: &AppState,
    request: &Authenticated,
    query: &RefundQueryRequest,
) -> Result<(RefundRecord, PaymentRecord), EngineError> {
    let not_found = || EngineError::Refused(ErrorKind::RefundNotFound);
    let attempts = state
        .engine
        .order_attempts(
            request.account(),
            request.terminal(),
            &query.merchant_transaction_id,
        )
        .await?;
    for attempt in attempts {
        for refund in state
            .engine
            .refunds_of_payment(attempt.payment.payment_id())
            .await?
        {
            let by_id = query
                .refund_id
                .as_ref()
                .is_some_and(|id| *id == refund.created.refund_id);
            let by_number = query.merchant_refund_id.is_some()
                && query.merchant_refund_id == refund.created.refund_number;
            if by_id || by_number {
                return Ok((refund, attempt.payment));
            }
        }
    }
    Err(not_found())
}

async fn void(State(state): State<AppState>, headers: HeaderMap, body: Body) -> JsonReply {
    let request = match authenticate(&state, &headers, body).await {
        Ok(request) => request,
        Err(reply) => return reply,
    };
    let void = match VoidRequest::parse(&request.envelope.biz_content) {
        Ok(void) => void,
        Err(error) => return request.refuse(&error),
    };
    let order = &void.merchant_transaction_id;
    let attempts = match state
        .engine
        .order_attempts(request.account(), request.terminal(), order)
        .await
    {
        Ok(attempts) => attempts,
        Err(failure) => return request.failed(&failure),
    };
    if let Some(amount) = attempts.first().and_then(|newest| money(&newest.payment)) {
        if let Err(error) = void.check_amount(amount) {
            return request.refuse(&error);
        }
    }
    match state
        .engine
        .void_order(request.account(), request.terminal(), order)
        .await
    {
        Ok(payment) => match void_view(&payment, &void.merchant_void_id) {
            Some(view) => request.answer(SUCCESS, void_biz(&view)),
            None => request.failed(&corrupt(payment.payment_id())),
        },
        Err(failure) => request.failed(&failure),
    }
}

async fn void_query(State(state): State<AppState>, headers: HeaderMap, body: Body) -> JsonReply {
    let request = match authenticate(&state, &headers, body).await {
        Ok(request) => request,
        Err(reply) => return reply,
    };
    let query = match VoidQueryRequest::parse(&request.envelope.biz_content) {
        Ok(query) => query,
        Err(error) => return request.refuse(&error),
    };
    let attempts = match state
        .engine
        .order_attempts(
            request.account(),
            request.terminal(),
            &query.merchant_transaction_id,
        )
        .await
    {
        Ok(attempts) => attempts,
        Err(failure) => return request.failed(&failure),
    };
    // Voids are not stored apart from their payment: a void "exists" when the order's payment
    // was voided.
    match attempts
        .into_iter()
        .map(|attempt| attempt.payment)
        .find(|p| p.state == PaymentState::Voided)
    {
        Some(payment) => match void_view(&payment, &query.merchant_void_id) {
            Some(view) => request.answer(QUERY_OK, void_biz(&view)),
            None => request.failed(&corrupt(payment.payment_id())),
        },
        None => request.refuse(&GatewayError::new(ErrorKind::OrderNotFound)),
    }
}

/// A void's view: done when the order can no longer take money.
fn void_view(payment: &PaymentRecord, merchant_void_id: &str) -> Option<VoidView> {
    let done = match payment.state {
        PaymentState::Voided
        | PaymentState::Declined
        | PaymentState::Cancelled
        | PaymentState::Expired => true,
        PaymentState::Processing | PaymentState::Pending | PaymentState::Approved => false,
    };
    Some(VoidView {
        merchant_void_id: merchant_void_id.to_owned(),
        merchant_transaction_id: payment.created.order_number.clone(),
        transaction_id: payment.created.payment_id.clone(),
        amount: money(payment)?,
        status: if done { STATUS_SUCCESS } else { STATUS_FAILED },
    })
}
