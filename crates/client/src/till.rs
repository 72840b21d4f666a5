//! The till's protocol for an in-person wallet payment, as WeChat Pay and Alipay require it.
//!
//! A payment is not done when the first answer says pending: the customer may be entering a
//! PIN, or the acquirer's result may be unknown. So a till:
//!
//! 1. **pays**; an approved or declined answer ends the sale;
//! 2. on **pending**, polls the order query (every 5 s by default) until the answer is final
//!    or the time is up (45 s for a scanned code, 5 minutes for a QR code the customer scans);
//!    the last query comes right before the void, with no gap;
//! 3. if it is still not final, **voids** the order (offline void, PingPong void), which closes
//!    it at the acquirer so a late payment can never succeed (or reverses one that just did),
//!    retrying the void until the answer is definitive.
//!
//! A pay call that gets no trusted answer (network error, timeout, unverifiable reply) is
//! treated as pending with an unknown result: the till queries first and never pays twice.
//! If the query shows the gateway has no payment for the order, the identical request is sent
//! again; the gateway treats identical requests as one, so this too cannot charge twice.
//!
//! [`Till::run`] does all of this over any dialect implementing [`TillApi`] and reports each
//! step to a [`Progress`] callback, so a user interface can show what is happening.
//!
//! ```no_run
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! use tidegate_client::oceanpayment::{Credentials, OceanpaymentClient};
//! use tidegate_client::till::{Outcome, Till, TillConfig, TillOrder};
//! use tidegate_core::{AuthCode, Currency, Money, Presentment};
//!
//! let client = OceanpaymentClient::new("http://127.0.0.1:8080", Credentials::sandbox_demo())?;
//! let amount = Money::parse_decimal("12.30", Currency::parse("CNY").ok_or("currency")?, 2)?;
//! let code = AuthCode::parse("134567890123451000")?; // sandbox: PIN entry, then paid
//! let order = TillOrder::new("POS-0001", amount, Presentment::CustomerPresented(code));
//! let till = Till::new(client, TillConfig::default());
//! match till.run(&order, &mut |step| eprintln!("{step:?}")).await? {
//!     Outcome::Approved(report) => println!("paid: {}", report.payment_id),
//!     Outcome::Declined(report) => println!("declined: {}:{}", report.code, report.message),
//!     Outcome::Voided(report) => println!("voided: {}", report.payment_id),
//!     Outcome::Unknown { reason, .. } => println!("unknown, check later: {reason}"),
//! }
//! # Ok(())
//! # }
//! ```

use crate::ClientError;
use std::future::Future;
use std::time::Duration;
use tidegate_core::{Money, Presentment};
use tokio::sync::mpsc;
use tokio::time::Instant;

/// How long a till waits and how often it asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TillConfig {
    /// Between two order queries; also before the first one, as WeChat Pay asks (5 s).
    pub poll_interval: Duration,
    /// How long a customer-presented payment may stay pending before it is voided (45 s,
    /// WeChat Pay's current rule; it also satisfies its "not within 15 s of paying").
    pub timeout: Duration,
    /// How long a merchant-presented QR code may wait for the customer before the order is
    /// voided (5 minutes, the gateway's default QR lifetime).
    pub qr_timeout: Duration,
    /// Between two void attempts that were not definitive (5 s).
    pub void_interval: Duration,
    /// How long to keep retrying the void before giving up with [`Outcome::Unknown`] (2 min).
    pub void_timeout: Duration,
}

impl Default for TillConfig {
    fn default() -> TillConfig {
        TillConfig {
            poll_interval: Duration::from_secs(5),
            timeout: Duration::from_secs(45),
            qr_timeout: Duration::from_secs(300),
            void_interval: Duration::from_secs(5),
            void_timeout: Duration::from_secs(120),
        }
    }
}

/// One sale as the till knows it. Every request the protocol sends for it is built from this,
/// so resending is always the identical request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TillOrder {
    /// The merchant's order number, unique per sale.
    pub order_number: String,
    /// How much to charge.
    pub amount: Money,
    /// The scanned code, or the wallet whose QR code the till shows.
    pub presentment: Presentment,
    /// Where the gateway should POST the result, if anywhere.
    pub notice_url: Option<String>,
    /// Free text echoed in replies and notices.
    pub notes: String,
    /// The idempotency key of the payment attempt where the dialect has one (PingPong's
    /// `requestId`): the order number unless set otherwise.
    pub request_id: String,
    /// The till's device id (Oceanpayment `deviceId`, PingPong `cashierDeviceId`, which a
    /// merchant-presented PingPong payment requires).
    pub device_id: Option<String>,
}

impl TillOrder {
    /// A sale of `amount` under `order_number`, without notes or notices.
    pub fn new(
        order_number: impl Into<String>,
        amount: Money,
        presentment: Presentment,
    ) -> TillOrder {
        let order_number = order_number.into();
        TillOrder {
            request_id: order_number.clone(),
            order_number,
            amount,
            presentment,
            notice_url: None,
            notes: String::new(),
            device_id: None,
        }
    }

    /// With the till's device id.
    #[must_use]
    pub fn with_device_id(mut self, device_id: impl Into<String>) -> TillOrder {
        self.device_id = Some(device_id.into());
        self
    }

    /// With notices of the result sent to `url`.
    #[must_use]
    pub fn with_notice_url(mut self, url: impl Into<String>) -> TillOrder {
        self.notice_url = Some(url.into());
        self
    }

    /// With `notes` echoed in replies and notices.
    #[must_use]
    pub fn with_notes(mut self, notes: impl Into<String>) -> TillOrder {
        self.notes = notes.into();
        self
    }
}

/// What the gateway said about a payment, in the dialect's terms reduced to what a till needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// The gateway's payment (transaction) id; empty when there is none.
    pub payment_id: String,
    /// The dialect's code, e.g. `80000` or `000000`.
    pub code: String,
    /// Its message.
    pub message: String,
    /// For a merchant-presented payment, the QR code payload the customer scans.
    pub qr_code: Option<String>,
}

/// The state of a till's payment in one answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Paid.
    Approved(Report),
    /// Not paid, final: declined, cancelled by the customer, or expired.
    Declined(Report),
    /// Closed or reversed by a void: no money taken, or given back.
    Voided(Report),
    /// Not final yet.
    Pending(Report),
    /// The gateway has no payment for the order.
    NotFound(Report),
}

/// The answer to one void attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VoidStep {
    /// Definitive: the order can no longer take money. Holds [`Status::Voided`],
    /// [`Status::Declined`] (the payment had failed already) or [`Status::NotFound`].
    Done(Status),
    /// Not done, try again (the acquirer did not confirm, the gateway was busy).
    Retry(Report),
    /// Definitively refused (e.g. the payment has refunds): a person must look at it.
    Refused(Report),
}

/// How the sale ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The customer paid.
    Approved(Report),
    /// The customer did not pay: declined, cancelled or expired; the report says why.
    Declined(Report),
    /// The till voided the order: no money was taken, or it was given back.
    Voided(Report),
    /// No definitive answer, even to the void: the order must be checked and voided later.
    Unknown {
        /// The payment id, when one was seen.
        payment_id: String,
        /// Why the outcome is unknown.
        reason: String,
    },
}

/// A step of the protocol, for showing progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// The pay request is being sent (again, after a query found no payment, when `resend`).
    Paying {
        /// True when this is the identical request sent again.
        resend: bool,
    },
    /// A merchant-presented payment's QR code: show it to the customer. Reported once.
    QrCode(String),
    /// The payment is pending; waiting until the next look.
    Pending {
        /// The gateway's latest word on it.
        report: Report,
        /// Since the pay request was first sent.
        elapsed: Duration,
    },
    /// A call got no trusted answer; the protocol carries on.
    NoAnswer {
        /// What went wrong.
        error: String,
        /// Since the pay request was first sent.
        elapsed: Duration,
    },
    /// Still not final when time ran out: voiding the order.
    Voiding {
        /// 1 for the first attempt.
        attempt: u32,
    },
    /// A void attempt was not definitive; another follows.
    VoidNotDone {
        /// Why.
        reason: String,
    },
}

/// The calls a till makes, implemented by each dialect's client.
pub trait TillApi {
    /// Sends the order's pay request; the same order always gives the identical request.
    fn pay(&self, order: &TillOrder) -> impl Future<Output = Result<Status, ClientError>> + Send;

    /// Looks the order up; `payment_id` (when known) picks the attempt among several.
    fn query(
        &self,
        order: &TillOrder,
        payment_id: Option<&str>,
    ) -> impl Future<Output = Result<Status, ClientError>> + Send;

    /// Voids the order.
    fn void(&self, order: &TillOrder)
        -> impl Future<Output = Result<VoidStep, ClientError>> + Send;
}

/// Runs the till protocol over a dialect's client.
#[derive(Debug, Clone)]
pub struct Till<A> {
    api: A,
    config: TillConfig,
}

impl<A: TillApi + Sync> Till<A> {
    /// A till speaking through `api` with `config`'s timings.
    pub fn new(api: A, config: TillConfig) -> Till<A> {
        Till { api, config }
    }

    /// The dialect client.
    pub fn api(&self) -> &A {
        &self.api
    }

    /// The timings.
    pub fn config(&self) -> &TillConfig {
        &self.config
    }

    /// Pays, polls while pending, voids when time runs out; reports each step to `progress`.
    ///
    /// Returns an error only when the gateway definitively did nothing with the pay request
    /// (it refused to authenticate it, or the request could not be built); every other path
    /// ends in an [`Outcome`].
    pub async fn run(
        &self,
        order: &TillOrder,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<Outcome, ClientError> {
        self.run_waiting(order, None, progress).await
    }

    /// As [`Till::run`], but while pending it waits for the result to arrive on `notices`
    /// (statuses from verified notices of this order) instead of polling; the order is queried
    /// once when time runs out, right before the void.
    pub async fn run_with_notices(
        &self,
        order: &TillOrder,
        notices: &mut mpsc::Receiver<Status>,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<Outcome, ClientError> {
        self.run_waiting(order, Some(notices), progress).await
    }

    async fn run_waiting(
        &self,
        order: &TillOrder,
        mut notices: Option<&mut mpsc::Receiver<Status>>,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<Outcome, ClientError> {
        let started = Instant::now();
        let timeout = match order.presentment {
            Presentment::CustomerPresented(_) => self.config.timeout,
            Presentment::MerchantPresented(_) => self.config.qr_timeout,
        };
        let deadline = started + timeout;
        let mut seen = Seen::default();
        progress(Progress::Paying { resend: false });
        match self.api.pay(order).await {
            Ok(status) => {
                if let Some(outcome) = seen.take(status, started, progress) {
                    return Ok(outcome);
                }
            }
            Err(error) if error.outcome_unknown() => no_answer(&error, started, progress),
            Err(error) => return Err(error),
        }
        loop {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            let noticed = if let Some(notices) = notices.as_deref_mut() {
                let noticed = tokio::time::timeout_at(deadline, notices.recv())
                    .await
                    .ok()
                    .flatten();
                if noticed.is_none() {
                    // No notice by the deadline (or the receiver is gone): one last query,
                    // then the void.
                    tokio::time::sleep_until(deadline).await;
                }
                noticed
            } else {
                tokio::time::sleep((deadline - now).min(self.config.poll_interval)).await;
                None
            };
            let status = match noticed {
                Some(status) => Ok(status),
                None => self.api.query(order, seen.payment_id()).await,
            };
            match status {
                Ok(Status::NotFound(_)) => {
                    // The pay request never arrived: sending the identical one is safe.
                    progress(Progress::Paying { resend: true });
                    match self.api.pay(order).await {
                        Ok(status) => {
                            if let Some(outcome) = seen.take(status, started, progress) {
                                return Ok(outcome);
                            }
                        }
                        Err(error) => no_answer(&error, started, progress),
                    }
                }
                Ok(status) => {
                    if let Some(outcome) = seen.take(status, started, progress) {
                        return Ok(outcome);
                    }
                }
                Err(error) => no_answer(&error, started, progress),
            }
        }
        Ok(self.void_until_definitive(order, &seen, progress).await)
    }

    async fn void_until_definitive(
        &self,
        order: &TillOrder,
        seen: &Seen,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Outcome {
        let give_up = Instant::now() + self.config.void_timeout;
        let mut attempt = 0;
        loop {
            attempt += 1;
            progress(Progress::Voiding { attempt });
            let last_reason = match self.api.void(order).await {
                Ok(VoidStep::Done(status)) => return void_outcome(status),
                Ok(VoidStep::Retry(report)) => format!("{}:{}", report.code, report.message),
                Ok(VoidStep::Refused(report)) => {
                    return Outcome::Unknown {
                        payment_id: seen.payment_id().unwrap_or_default().to_owned(),
                        reason: format!("the void was refused: {}:{}", report.code, report.message),
                    }
                }
                Err(error) => error.to_string(),
            };
            progress(Progress::VoidNotDone {
                reason: last_reason.clone(),
            });
            if Instant::now() + self.config.void_interval > give_up {
                return Outcome::Unknown {
                    payment_id: seen.payment_id().unwrap_or_default().to_owned(),
                    reason: format!(
                        "the void was not confirmed after {attempt} attempts: {last_reason}"
                    ),
                };
            }
            tokio::time::sleep(self.config.void_interval).await;
        }
    }
}

/// What the protocol has learned so far.
#[derive(Default)]
struct Seen {
    payment_id: Option<String>,
    qr_shown: bool,
}

impl Seen {
    fn payment_id(&self) -> Option<&str> {
        self.payment_id.as_deref()
    }

    /// Records a status; a final one ends the sale.
    fn take(
        &mut self,
        status: Status,
        started: Instant,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Option<Outcome> {
        match status {
            Status::Approved(report) => Some(Outcome::Approved(report)),
            Status::Declined(report) => Some(Outcome::Declined(report)),
            Status::Voided(report) => Some(Outcome::Voided(report)),
            Status::Pending(report) => {
                if !report.payment_id.is_empty() {
                    self.payment_id = Some(report.payment_id.clone());
                }
                if let (false, Some(qr_code)) = (self.qr_shown, &report.qr_code) {
                    self.qr_shown = true;
                    progress(Progress::QrCode(qr_code.clone()));
                }
                progress(Progress::Pending {
                    report,
                    elapsed: started.elapsed(),
                });
                None
            }
            // Only a query finds nothing, and the caller resends the payment then; a pay
            // answer saying so is no answer at all.
            Status::NotFound(report) => {
                progress(Progress::NoAnswer {
                    error: format!("no payment found: {}:{}", report.code, report.message),
                    elapsed: started.elapsed(),
                });
                None
            }
        }
    }
}

fn no_answer(error: &ClientError, started: Instant, progress: &mut (dyn FnMut(Progress) + Send)) {
    progress(Progress::NoAnswer {
        error: error.to_string(),
        elapsed: started.elapsed(),
    });
}

/// The outcome of a definitive void.
fn void_outcome(status: Status) -> Outcome {
    match status {
        Status::Approved(report) => Outcome::Approved(report),
        Status::Declined(report) => Outcome::Declined(report),
        // Nothing was recorded for the order, so nothing was taken: closed all the same.
        Status::Voided(report) | Status::NotFound(report) => Outcome::Voided(report),
        Status::Pending(report) => Outcome::Unknown {
            payment_id: report.payment_id.clone(),
            reason: format!(
                "the void left the payment pending: {}:{}",
                report.code, report.message
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use tidegate_core::{AuthCode, Currency, Wallet};

    /// A dialect whose answers are scripted, recording every call.
    #[derive(Default)]
    struct Scripted {
        pays: Mutex<Vec<Result<Status, ClientError>>>,
        queries: Mutex<Vec<Result<Status, ClientError>>>,
        voids: Mutex<Vec<Result<VoidStep, ClientError>>>,
        calls: Mutex<Vec<String>>,
    }

    fn next<T>(script: &Mutex<Vec<Result<T, ClientError>>>) -> Result<T, ClientError> {
        let mut script = script.lock().expect("lock");
        assert!(!script.is_empty(), "unscripted call");
        script.remove(0)
    }

    impl TillApi for Scripted {
        async fn pay(&self, _order: &TillOrder) -> Result<Status, ClientError> {
            self.calls.lock().expect("lock").push("pay".into());
            next(&self.pays)
        }

        async fn query(
            &self,
            _order: &TillOrder,
            payment_id: Option<&str>,
        ) -> Result<Status, ClientError> {
            self.calls
                .lock()
                .expect("lock")
                .push(format!("query {}", payment_id.unwrap_or("-")));
            next(&self.queries)
        }

        async fn void(&self, _order: &TillOrder) -> Result<VoidStep, ClientError> {
            self.calls.lock().expect("lock").push("void".into());
            next(&self.voids)
        }
    }

    fn report(payment_id: &str, code: &str) -> Report {
        Report {
            payment_id: payment_id.into(),
            code: code.into(),
            message: String::new(),
            qr_code: None,
        }
    }

    fn fast() -> TillConfig {
        TillConfig {
            poll_interval: Duration::from_millis(2),
            timeout: Duration::from_millis(40),
            qr_timeout: Duration::from_millis(40),
            void_interval: Duration::from_millis(2),
            void_timeout: Duration::from_millis(20),
        }
    }

    fn order() -> TillOrder {
        let amount =
            Money::parse_decimal("1.00", Currency::parse("CNY").expect("CNY"), 2).expect("amount");
        let code = AuthCode::parse("134567890123450000").expect("code");
        TillOrder::new("T-1", amount, Presentment::CustomerPresented(code))
    }

    async fn run(
        api: Scripted,
        config: TillConfig,
    ) -> (Result<Outcome, ClientError>, Vec<String>, Vec<Progress>) {
        let till = Till::new(api, config);
        let mut steps = Vec::new();
        let outcome = till.run(&order(), &mut |step| steps.push(step)).await;
        let calls = till.api().calls.lock().expect("lock").clone();
        (outcome, calls, steps)
    }

    fn with(
        pays: Vec<Result<Status, ClientError>>,
        queries: Vec<Result<Status, ClientError>>,
        voids: Vec<Result<VoidStep, ClientError>>,
    ) -> Scripted {
        Scripted {
            pays: Mutex::new(pays),
            queries: Mutex::new(queries),
            voids: Mutex::new(voids),
            calls: Mutex::default(),
        }
    }

    #[tokio::test]
    async fn a_final_answer_to_the_pay_call_ends_the_sale() {
        let (outcome, calls, _) = run(
            with(
                vec![Ok(Status::Approved(report("1", "80000")))],
                vec![],
                vec![],
            ),
            fast(),
        )
        .await;
        assert_eq!(
            outcome.expect("outcome"),
            Outcome::Approved(report("1", "80000"))
        );
        assert_eq!(calls, ["pay"]);
    }

    #[tokio::test]
    async fn pending_is_polled_until_final() {
        let api = with(
            vec![Ok(Status::Pending(report("1", "29001")))],
            vec![
                Ok(Status::Pending(report("1", "29001"))),
                Ok(Status::Declined(report("1", "80101"))),
            ],
            vec![],
        );
        let config = TillConfig {
            timeout: Duration::from_secs(5),
            ..fast()
        };
        let (outcome, calls, _) = run(api, config).await;
        assert_eq!(
            outcome.expect("outcome"),
            Outcome::Declined(report("1", "80101"))
        );
        assert_eq!(calls, ["pay", "query 1", "query 1"]);
    }

    #[tokio::test]
    async fn a_lost_pay_answer_is_queried_and_resent_only_when_nothing_arrived() {
        let api = with(
            vec![
                Err(ClientError::Transport("connection reset".into())),
                Ok(Status::Approved(report("9", "80000"))),
            ],
            vec![Ok(Status::NotFound(report("", "29201")))],
            vec![],
        );
        let config = TillConfig {
            timeout: Duration::from_secs(5),
            ..fast()
        };
        let (outcome, calls, steps) = run(api, config).await;
        assert_eq!(
            outcome.expect("outcome"),
            Outcome::Approved(report("9", "80000"))
        );
        assert_eq!(calls, ["pay", "query -", "pay"]);
        assert!(steps.contains(&Progress::Paying { resend: true }));
    }

    #[tokio::test]
    async fn a_definitive_refusal_of_the_pay_call_is_an_error() {
        let refused = ClientError::Refused {
            code: "20013".into(),
            message: "Incorrect sign value".into(),
            http_status: 200,
        };
        let (outcome, calls, _) = run(with(vec![Err(refused)], vec![], vec![]), fast()).await;
        assert!(matches!(outcome, Err(ClientError::Refused { .. })));
        assert_eq!(calls, ["pay"]);
    }

    #[tokio::test]
    async fn still_pending_at_the_deadline_is_voided_until_definitive() {
        let pending = || Ok(Status::Pending(report("1", "80700")));
        let api = with(
            vec![pending()],
            (0..100).map(|_| pending()).collect(),
            vec![
                Err(ClientError::Transport("timeout".into())),
                Ok(VoidStep::Retry(report("1", "29210"))),
                Ok(VoidStep::Done(Status::Voided(report("1", "80053")))),
            ],
        );
        let config = TillConfig {
            void_timeout: Duration::from_secs(5),
            ..fast()
        };
        let (outcome, calls, steps) = run(api, config).await;
        assert_eq!(
            outcome.expect("outcome"),
            Outcome::Voided(report("1", "80053"))
        );
        assert_eq!(calls.iter().filter(|call| *call == "void").count(), 3);
        let last_query = calls
            .iter()
            .rposition(|call| call.starts_with("query"))
            .expect("queried");
        assert_eq!(
            calls[last_query + 1],
            "void",
            "the void follows the last query at once"
        );
        assert!(steps.contains(&Progress::Voiding { attempt: 3 }));
    }

    #[tokio::test]
    async fn a_void_that_never_confirms_ends_unknown() {
        let pending = || Ok(Status::Pending(report("1", "80700")));
        let api = with(
            vec![pending()],
            (0..100).map(|_| pending()).collect(),
            (0..100)
                .map(|_| Ok(VoidStep::Retry(report("1", "29210"))))
                .collect(),
        );
        let (outcome, _, _) = run(api, fast()).await;
        let Outcome::Unknown { payment_id, reason } = outcome.expect("outcome") else {
            panic!("expected an unknown outcome");
        };
        assert_eq!(payment_id, "1");
        assert!(reason.contains("29210"), "{reason}");
    }

    #[tokio::test]
    async fn a_qr_code_is_reported_once_and_notices_replace_polling() {
        let amount =
            Money::parse_decimal("1.00", Currency::parse("CNY").expect("CNY"), 2).expect("amount");
        let order = TillOrder::new(
            "T-2",
            amount,
            Presentment::MerchantPresented(Wallet::Alipay),
        );
        let qr = Report {
            qr_code: Some("https://qr.alipay.com/x".into()),
            ..report("2", "29001")
        };
        let api = with(vec![Ok(Status::Pending(qr))], vec![], vec![]);
        let config = TillConfig {
            qr_timeout: Duration::from_secs(5),
            ..fast()
        };
        let till = Till::new(api, config);
        let (sender, mut notices) = mpsc::channel(1);
        sender
            .send(Status::Approved(report("2", "80000")))
            .await
            .expect("sent");
        let mut steps = Vec::new();
        let outcome = till
            .run_with_notices(&order, &mut notices, &mut |step| steps.push(step))
            .await;
        assert_eq!(
            outcome.expect("outcome"),
            Outcome::Approved(report("2", "80000"))
        );
        assert_eq!(*till.api().calls.lock().expect("lock"), ["pay"]);
        let shown = steps
            .iter()
            .filter(|step| matches!(step, Progress::QrCode(_)))
            .count();
        assert_eq!(shown, 1);
    }
}
