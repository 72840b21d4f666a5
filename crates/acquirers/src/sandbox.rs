//! The sandbox acquirer: deterministic outcomes chosen by the test data a developer types.
//!
//! Customer-presented payments are decided by the last four digits of the payment code:
//!
//! | code ends in | outcome |
//! |---|---|
//! | `0051` | declined: insufficient funds |
//! | `0005` | declined: payment declined |
//! | `0059` | declined: suspected fraud |
//! | `1000` | customer is entering a PIN: pending, approved after `pin_delay` |
//! | `1001` | customer is entering a PIN: pending, cancelled by the customer after `pin_delay` |
//! | `9000` | acquirer timeout: result unknown, approved when queried after `unknown_resolves_after` |
//! | anything else (e.g. `0000`) | approved |
//!
//! Refunds succeed, except amounts whose minor units end in `51` (e.g. `0.51`, `3.51` CNY),
//! which fail as if the merchant's balance could not cover them.
//!
//! Merchant-presented payments stay pending until [`SandboxAcquirer::customer_pays`] or
//! [`SandboxAcquirer::customer_refuses`] plays the customer, or the engine closes them.
//!
//! Outcomes are computed from the code and the payment's creation time, so answers stay the
//! same across gateway restarts; only QR customer actions and closes are held in memory.

use crate::{
    AcquirerError, AcquirerOutcome, AcquirerPayment, AcquirerRefund, CloseOutcome, RefundOutcome,
};
use async_trait::async_trait;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tidegate_core::{DeclineReason, PaymentFlow, Wallet};

/// The sandbox's knobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SandboxConfig {
    /// Added to every call, to make load tests honest about acquirer latency.
    pub latency: Duration,
    /// How long the simulated customer takes to enter a PIN.
    pub pin_delay: Duration,
    /// How long an acquirer timeout stays unknown before queries report the result.
    pub unknown_resolves_after: Duration,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            latency: Duration::ZERO,
            pin_delay: Duration::from_secs(10),
            unknown_resolves_after: Duration::from_secs(60),
        }
    }
}

/// What a payment code's last digits ask the sandbox to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// Approve at once.
    Approve,
    /// Decline at once for this reason.
    Decline(DeclineReason),
    /// Pending while the customer enters a PIN, then approved.
    PinThenApprove,
    /// Pending while the customer enters a PIN, then cancelled.
    PinThenCancel,
    /// No answer; the result becomes known (approved) later.
    Timeout,
}

impl Scenario {
    /// The scenario a customer-presented payment code selects.
    pub fn for_code(code: &str) -> Scenario {
        let suffix = code.get(code.len().saturating_sub(4)..).unwrap_or("");
        match suffix {
            "0051" => Scenario::Decline(DeclineReason::InsufficientFunds),
            "0005" => Scenario::Decline(DeclineReason::Declined),
            "0059" => Scenario::Decline(DeclineReason::SuspectedFraud),
            "1000" => Scenario::PinThenApprove,
            "1001" => Scenario::PinThenCancel,
            "9000" => Scenario::Timeout,
            _ => Scenario::Approve,
        }
    }
}

/// What the simulated customer did with a merchant-presented QR, or that it was closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum QrState {
    Paid,
    Refused,
    Closed,
}

/// Why a simulated customer action was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CustomerActionError {
    /// The order was closed (expired or voided) before the customer acted.
    #[error("the order is closed")]
    Closed,
    /// The customer already paid or refused.
    #[error("the customer already acted on this order")]
    AlreadyActed,
}

/// The built-in test acquirer.
#[derive(Debug, Default)]
pub struct SandboxAcquirer {
    config: SandboxConfig,
    qr_orders: Mutex<HashMap<String, QrState>>,
    closed_codes: Mutex<HashSet<String>>,
}

impl SandboxAcquirer {
    /// A sandbox with the given knobs.
    pub fn new(config: SandboxConfig) -> SandboxAcquirer {
        SandboxAcquirer {
            config,
            ..SandboxAcquirer::default()
        }
    }

    /// The simulated customer pays a merchant-presented order.
    pub fn customer_pays(&self, payment_id: &str) -> Result<(), CustomerActionError> {
        self.act_on_qr(payment_id, QrState::Paid)
    }

    /// The simulated customer refuses a merchant-presented order.
    pub fn customer_refuses(&self, payment_id: &str) -> Result<(), CustomerActionError> {
        self.act_on_qr(payment_id, QrState::Refused)
    }

    fn act_on_qr(&self, payment_id: &str, action: QrState) -> Result<(), CustomerActionError> {
        let mut orders = lock(&self.qr_orders);
        match orders.get(payment_id) {
            Some(QrState::Closed) => Err(CustomerActionError::Closed),
            Some(QrState::Paid | QrState::Refused) => Err(CustomerActionError::AlreadyActed),
            None => {
                orders.insert(payment_id.to_owned(), action);
                Ok(())
            }
        }
    }

    async fn simulate_latency(&self) {
        if !self.config.latency.is_zero() {
            tokio::time::sleep(self.config.latency).await;
        }
    }

    fn customer_presented_state(
        &self,
        payment: &AcquirerPayment<'_>,
    ) -> Result<AcquirerOutcome, AcquirerError> {
        let code = payment.payment_code.unwrap_or("");
        let acquirer_ref = sandbox_ref(payment.payment_id);
        let elapsed = elapsed_since(payment.created_at_ms);
        match Scenario::for_code(code) {
            Scenario::Decline(reason) => Ok(AcquirerOutcome::Declined {
                reason,
                acquirer_ref: Some(acquirer_ref),
            }),
            Scenario::PinThenApprove | Scenario::PinThenCancel
                if elapsed < self.config.pin_delay =>
            {
                Ok(AcquirerOutcome::AwaitingCustomer {
                    acquirer_ref,
                    qr_payload: None,
                })
            }
            Scenario::PinThenCancel => Ok(AcquirerOutcome::Cancelled { acquirer_ref }),
            Scenario::Timeout if elapsed < self.config.unknown_resolves_after => {
                Err(AcquirerError::Timeout)
            }
            Scenario::Approve | Scenario::PinThenApprove | Scenario::Timeout => {
                Ok(AcquirerOutcome::Approved { acquirer_ref })
            }
        }
    }

    fn merchant_presented_state(&self, payment: &AcquirerPayment<'_>) -> AcquirerOutcome {
        let acquirer_ref = sandbox_ref(payment.payment_id);
        match lock(&self.qr_orders).get(payment.payment_id) {
            Some(QrState::Paid) => AcquirerOutcome::Approved { acquirer_ref },
            Some(QrState::Refused) => AcquirerOutcome::Cancelled { acquirer_ref },
            Some(QrState::Closed) | None => AcquirerOutcome::AwaitingCustomer {
                qr_payload: Some(qr_payload(payment.wallet, payment.payment_id)),
                acquirer_ref,
            },
        }
    }
}

#[async_trait]
impl crate::Acquirer for SandboxAcquirer {
    fn name(&self) -> &'static str {
        "sandbox"
    }

    async fn authorize(
        &self,
        payment: AcquirerPayment<'_>,
    ) -> Result<AcquirerOutcome, AcquirerError> {
        self.simulate_latency().await;
        self.customer_presented_state(&payment)
    }

    async fn create_qr_order(
        &self,
        payment: AcquirerPayment<'_>,
    ) -> Result<AcquirerOutcome, AcquirerError> {
        self.simulate_latency().await;
        Ok(self.merchant_presented_state(&payment))
    }

    async fn query(&self, payment: AcquirerPayment<'_>) -> Result<AcquirerOutcome, AcquirerError> {
        self.simulate_latency().await;
        match payment.flow {
            PaymentFlow::CustomerPresented => {
                if lock(&self.closed_codes).contains(payment.payment_id) {
                    return Ok(AcquirerOutcome::Declined {
                        reason: DeclineReason::Expired,
                        acquirer_ref: Some(sandbox_ref(payment.payment_id)),
                    });
                }
                self.customer_presented_state(&payment)
            }
            PaymentFlow::MerchantPresented => Ok(self.merchant_presented_state(&payment)),
        }
    }

    async fn close(&self, payment: AcquirerPayment<'_>) -> Result<CloseOutcome, AcquirerError> {
        self.simulate_latency().await;
        match payment.flow {
            PaymentFlow::CustomerPresented => match self.customer_presented_state(&payment) {
                Ok(AcquirerOutcome::Approved { acquirer_ref }) => {
                    Ok(CloseOutcome::AlreadyPaid { acquirer_ref })
                }
                Ok(
                    AcquirerOutcome::Declined { .. }
                    | AcquirerOutcome::Cancelled { .. }
                    | AcquirerOutcome::AwaitingCustomer { .. },
                )
                | Err(AcquirerError::Timeout | AcquirerError::Unavailable(_)) => {
                    lock(&self.closed_codes).insert(payment.payment_id.to_owned());
                    Ok(CloseOutcome::Closed)
                }
            },
            PaymentFlow::MerchantPresented => {
                let mut orders = lock(&self.qr_orders);
                match orders.get(payment.payment_id) {
                    Some(QrState::Paid) => Ok(CloseOutcome::AlreadyPaid {
                        acquirer_ref: sandbox_ref(payment.payment_id),
                    }),
                    Some(QrState::Refused | QrState::Closed) | None => {
                        orders.insert(payment.payment_id.to_owned(), QrState::Closed);
                        Ok(CloseOutcome::Closed)
                    }
                }
            }
        }
    }

    async fn reverse(&self, _payment: AcquirerPayment<'_>) -> Result<(), AcquirerError> {
        self.simulate_latency().await;
        Ok(())
    }

    async fn refund(
        &self,
        _payment: AcquirerPayment<'_>,
        refund: AcquirerRefund<'_>,
    ) -> Result<RefundOutcome, AcquirerError> {
        self.simulate_latency().await;
        Ok(refund_outcome(refund))
    }

    async fn query_refund(
        &self,
        _payment: AcquirerPayment<'_>,
        refund: AcquirerRefund<'_>,
    ) -> Result<RefundOutcome, AcquirerError> {
        self.simulate_latency().await;
        Ok(refund_outcome(refund))
    }
}

/// The sandbox's verdict on a refund: decided by the amount alone, so it is the same on retry.
fn refund_outcome(refund: AcquirerRefund<'_>) -> RefundOutcome {
    if refund.amount_minor % 100 == 51 {
        RefundOutcome::Failed {
            reason: DeclineReason::InsufficientFunds,
        }
    } else {
        RefundOutcome::Succeeded {
            acquirer_ref: format!("sbx_refund_{}", refund.refund_id),
        }
    }
}

/// The QR payload a wallet's merchant-presented order would carry, derived from the payment id.
pub fn qr_payload(wallet: Wallet, payment_id: &str) -> String {
    let token = base62_token(payment_id, 22);
    match wallet {
        Wallet::WeChatPay => format!("weixin://wxpay/bizpayurl?pr={}", &token[..7]),
        Wallet::Alipay => format!("https://qr.alipay.com/bax{}", token.to_ascii_lowercase()),
    }
}

fn sandbox_ref(payment_id: &str) -> String {
    format!("sbx_{payment_id}")
}

fn base62_token(seed: &str, length: usize) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    Sha256::digest(seed.as_bytes())
        .iter()
        .cycle()
        .take(length)
        .map(|byte| char::from(ALPHABET[usize::from(*byte) % ALPHABET.len()]))
        .collect()
}

fn elapsed_since(created_at_ms: i64) -> Duration {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
        });
    Duration::from_millis(u64::try_from(now_ms.saturating_sub(created_at_ms)).unwrap_or(0))
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding this lock cannot leave the maps half-updated (single inserts), so a
    // poisoned lock is still safe to use.
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Acquirer;

    fn payment(code: Option<&str>, flow: PaymentFlow, created_at_ms: i64) -> AcquirerPayment<'_> {
        AcquirerPayment {
            payment_id: "261123190000000000001",
            wallet: Wallet::WeChatPay,
            flow,
            amount_minor: 1230,
            currency: "CNY",
            payment_code: code,
            created_at_ms,
            acquirer_ref: None,
        }
    }

    fn now_ms() -> i64 {
        i64::try_from(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_millis()),
        )
        .unwrap_or(0)
    }

    #[test]
    fn the_last_four_digits_choose_the_scenario() {
        assert_eq!(Scenario::for_code("134567890123450000"), Scenario::Approve);
        assert_eq!(
            Scenario::for_code("134567890123450051"),
            Scenario::Decline(DeclineReason::InsufficientFunds)
        );
        assert_eq!(
            Scenario::for_code("134567890123450005"),
            Scenario::Decline(DeclineReason::Declined)
        );
        assert_eq!(
            Scenario::for_code("134567890123451000"),
            Scenario::PinThenApprove
        );
        assert_eq!(
            Scenario::for_code("134567890123451001"),
            Scenario::PinThenCancel
        );
        assert_eq!(Scenario::for_code("134567890123459000"), Scenario::Timeout);
    }

    #[tokio::test]
    async fn pin_entry_resolves_after_the_delay() {
        let sandbox = SandboxAcquirer::new(SandboxConfig {
            pin_delay: Duration::from_secs(5),
            ..SandboxConfig::default()
        });
        let fresh = payment(
            Some("134567890123451000"),
            PaymentFlow::CustomerPresented,
            now_ms(),
        );
        assert!(matches!(
            sandbox.authorize(fresh).await,
            Ok(AcquirerOutcome::AwaitingCustomer { .. })
        ));
        let old = payment(
            Some("134567890123451000"),
            PaymentFlow::CustomerPresented,
            now_ms() - 6_000,
        );
        assert!(matches!(
            sandbox.query(old).await,
            Ok(AcquirerOutcome::Approved { .. })
        ));
        let old_cancel = payment(
            Some("134567890123451001"),
            PaymentFlow::CustomerPresented,
            now_ms() - 6_000,
        );
        assert!(matches!(
            sandbox.query(old_cancel).await,
            Ok(AcquirerOutcome::Cancelled { .. })
        ));
    }

    #[tokio::test]
    async fn a_closed_pin_payment_can_no_longer_succeed() {
        let sandbox = SandboxAcquirer::new(SandboxConfig {
            pin_delay: Duration::from_secs(5),
            ..SandboxConfig::default()
        });
        let created = now_ms();
        let fresh = payment(
            Some("134567890123451000"),
            PaymentFlow::CustomerPresented,
            created,
        );
        assert_eq!(sandbox.close(fresh).await, Ok(CloseOutcome::Closed));
        let later = payment(
            Some("134567890123451000"),
            PaymentFlow::CustomerPresented,
            created - 6_000,
        );
        assert!(matches!(
            sandbox.query(later).await,
            Ok(AcquirerOutcome::Declined { .. })
        ));
    }

    #[tokio::test]
    async fn qr_orders_follow_the_customer() {
        let sandbox = SandboxAcquirer::default();
        let qr = payment(None, PaymentFlow::MerchantPresented, now_ms());
        let Ok(AcquirerOutcome::AwaitingCustomer {
            qr_payload: Some(payload),
            ..
        }) = sandbox.create_qr_order(qr).await
        else {
            panic!("expected a QR payload");
        };
        assert!(payload.starts_with("weixin://wxpay/bizpayurl?pr="));
        sandbox.customer_pays(qr.payment_id).expect("first action");
        assert_eq!(
            sandbox.customer_refuses(qr.payment_id),
            Err(CustomerActionError::AlreadyActed)
        );
        assert!(matches!(
            sandbox.query(qr).await,
            Ok(AcquirerOutcome::Approved { .. })
        ));
        assert!(matches!(
            sandbox.close(qr).await,
            Ok(CloseOutcome::AlreadyPaid { .. })
        ));
    }

    #[tokio::test]
    async fn a_closed_qr_cannot_be_paid() {
        let sandbox = SandboxAcquirer::default();
        let qr = payment(None, PaymentFlow::MerchantPresented, now_ms());
        assert_eq!(sandbox.close(qr).await, Ok(CloseOutcome::Closed));
        assert_eq!(
            sandbox.customer_pays(qr.payment_id),
            Err(CustomerActionError::Closed)
        );
    }

    #[tokio::test]
    async fn refunds_fail_only_for_amounts_ending_in_51() {
        let sandbox = SandboxAcquirer::default();
        let paid = payment(
            Some("134567890123450000"),
            PaymentFlow::CustomerPresented,
            now_ms(),
        );
        let refund = |amount_minor| AcquirerRefund {
            refund_id: "261123190000000000009",
            amount_minor,
        };
        assert!(matches!(
            sandbox.refund(paid, refund(100)).await,
            Ok(RefundOutcome::Succeeded { .. })
        ));
        assert_eq!(
            sandbox.refund(paid, refund(351)).await,
            Ok(RefundOutcome::Failed {
                reason: DeclineReason::InsufficientFunds
            })
        );
        assert_eq!(
            sandbox.query_refund(paid, refund(351)).await,
            sandbox.refund(paid, refund(351)).await
        );
    }

    #[test]
    fn qr_payloads_have_the_wallets_shapes() {
        let alipay = qr_payload(Wallet::Alipay, "261123190000000000001");
        assert!(alipay.starts_with("https://qr.alipay.com/bax"));
        assert_eq!(qr_payload(Wallet::Alipay, "261123190000000000001"), alipay);
        assert_ne!(qr_payload(Wallet::Alipay, "261123190000000000002"), alipay);
    }
}
