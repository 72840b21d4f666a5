//! The payment state machine, as pure transition functions.
//!
//! ```text
//! processing ──acquirer approved──► approved
//!     │  └──────acquirer declined─► declined
//!     │  └──customer cancelled────► cancelled
//!     ▼
//!  pending ──approved / declined / cancelled / expired──► final
//!
//!  processing / pending / approved ──void──► voided
//! ```
//! A void closes an unfinished payment for good, or reverses an approved one in full.
//! A payment is `processing` from the moment it is recorded until the acquirer's first answer;
//! `pending` while the customer still has to act (PIN entry, scanning a QR) or the acquirer's
//! answer was unknown. Only an explicit acquirer result, a customer action or expiry ends it.

use crate::{AuthCode, DeclineReason, Wallet};

/// How the customer pays in person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PaymentFlow {
    /// The till scans a code the customer shows in the wallet app.
    CustomerPresented,
    /// The till shows a QR code that the customer scans with the wallet app.
    MerchantPresented,
}

impl PaymentFlow {
    /// Stable storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentFlow::CustomerPresented => "customer_presented",
            PaymentFlow::MerchantPresented => "merchant_presented",
        }
    }

    /// The inverse of [`PaymentFlow::as_str`].
    pub fn from_str_opt(name: &str) -> Option<PaymentFlow> {
        [
            PaymentFlow::CustomerPresented,
            PaymentFlow::MerchantPresented,
        ]
        .into_iter()
        .find(|flow| flow.as_str() == name)
    }
}

/// How the customer pays in person, with what the till captured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Presentment {
    /// The till scanned this code from the customer's wallet app.
    CustomerPresented(AuthCode),
    /// The till shows a QR code for the customer to scan with this wallet.
    MerchantPresented(Wallet),
}

impl Presentment {
    /// The flow this presentment follows.
    pub fn flow(&self) -> PaymentFlow {
        match self {
            Presentment::CustomerPresented(_) => PaymentFlow::CustomerPresented,
            Presentment::MerchantPresented(_) => PaymentFlow::MerchantPresented,
        }
    }

    /// The wallet that pays.
    pub fn wallet(&self) -> Wallet {
        match self {
            Presentment::CustomerPresented(code) => code.wallet(),
            Presentment::MerchantPresented(wallet) => *wallet,
        }
    }
}

/// Where a payment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PaymentState {
    /// Recorded; the acquirer has not answered yet.
    Processing,
    /// Waiting for the customer or for an acquirer result that was not known at once.
    Pending,
    /// Paid.
    Approved,
    /// Refused by the acquirer or wallet.
    Declined,
    /// Cancelled by the customer.
    Cancelled,
    /// Not completed in time and closed.
    Expired,
    /// Closed or reversed in full at the merchant's request.
    Voided,
}

/// Something that happened to a payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentEvent {
    /// The acquirer needs more time or the customer's action (PIN, QR scan).
    AcquirerPending,
    /// The acquirer reports the payment paid.
    AcquirerApproved,
    /// The acquirer reports the payment refused.
    AcquirerDeclined(DeclineReason),
    /// The customer cancelled.
    CustomerCancelled,
    /// The payment's time ran out and it was closed at the acquirer.
    Expired,
    /// The merchant voided it: closed at the acquirer if unfinished, reversed if paid.
    Voided,
}

/// A transition the state machine does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("payment in state {from:?} cannot take event {event:?}")]
pub struct TransitionError {
    /// The state the payment was in.
    pub from: PaymentState,
    /// The event that does not apply.
    pub event: PaymentEvent,
}

impl PaymentState {
    /// Every state, for exhaustive tables and tests.
    pub const ALL: [PaymentState; 7] = [
        PaymentState::Processing,
        PaymentState::Pending,
        PaymentState::Approved,
        PaymentState::Declined,
        PaymentState::Cancelled,
        PaymentState::Expired,
        PaymentState::Voided,
    ];

    /// True once the customer's payment has an outcome: nothing but a merchant's void (of an
    /// approved payment) can change it any more.
    pub fn is_final(self) -> bool {
        match self {
            PaymentState::Processing | PaymentState::Pending => false,
            PaymentState::Approved
            | PaymentState::Declined
            | PaymentState::Cancelled
            | PaymentState::Expired
            | PaymentState::Voided => true,
        }
    }

    /// The state after `event`, or an error if the event does not apply.
    pub fn apply(self, event: PaymentEvent) -> Result<PaymentState, TransitionError> {
        let refused = Err(TransitionError { from: self, event });
        match self {
            PaymentState::Processing => Ok(match event {
                PaymentEvent::AcquirerPending => PaymentState::Pending,
                PaymentEvent::AcquirerApproved => PaymentState::Approved,
                PaymentEvent::AcquirerDeclined(_) => PaymentState::Declined,
                PaymentEvent::CustomerCancelled => PaymentState::Cancelled,
                PaymentEvent::Expired => PaymentState::Expired,
                PaymentEvent::Voided => PaymentState::Voided,
            }),
            PaymentState::Pending => match event {
                PaymentEvent::AcquirerPending => refused,
                PaymentEvent::AcquirerApproved => Ok(PaymentState::Approved),
                PaymentEvent::AcquirerDeclined(_) => Ok(PaymentState::Declined),
                PaymentEvent::CustomerCancelled => Ok(PaymentState::Cancelled),
                PaymentEvent::Expired => Ok(PaymentState::Expired),
                PaymentEvent::Voided => Ok(PaymentState::Voided),
            },
            PaymentState::Approved => match event {
                PaymentEvent::Voided => Ok(PaymentState::Voided),
                PaymentEvent::AcquirerPending
                | PaymentEvent::AcquirerApproved
                | PaymentEvent::AcquirerDeclined(_)
                | PaymentEvent::CustomerCancelled
                | PaymentEvent::Expired => refused,
            },
            PaymentState::Declined
            | PaymentState::Cancelled
            | PaymentState::Expired
            | PaymentState::Voided => refused,
        }
    }

    /// Stable storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentState::Processing => "processing",
            PaymentState::Pending => "pending",
            PaymentState::Approved => "approved",
            PaymentState::Declined => "declined",
            PaymentState::Cancelled => "cancelled",
            PaymentState::Expired => "expired",
            PaymentState::Voided => "voided",
        }
    }

    /// The inverse of [`PaymentState::as_str`].
    pub fn from_str_opt(name: &str) -> Option<PaymentState> {
        PaymentState::ALL
            .into_iter()
            .find(|state| state.as_str() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVENTS: [PaymentEvent; 6] = [
        PaymentEvent::AcquirerPending,
        PaymentEvent::AcquirerApproved,
        PaymentEvent::AcquirerDeclined(DeclineReason::Declined),
        PaymentEvent::CustomerCancelled,
        PaymentEvent::Expired,
        PaymentEvent::Voided,
    ];

    #[test]
    fn final_states_change_only_by_voiding_an_approved_payment() {
        for state in PaymentState::ALL.into_iter().filter(|s| s.is_final()) {
            for event in EVENTS {
                let allowed = state == PaymentState::Approved && event == PaymentEvent::Voided;
                assert_eq!(
                    state.apply(event).is_ok(),
                    allowed,
                    "{state:?} with {event:?}"
                );
            }
        }
        assert_eq!(
            PaymentState::Approved.apply(PaymentEvent::Voided),
            Ok(PaymentState::Voided)
        );
    }

    #[test]
    fn open_payments_can_be_voided() {
        for from in [PaymentState::Processing, PaymentState::Pending] {
            assert_eq!(from.apply(PaymentEvent::Voided), Ok(PaymentState::Voided));
        }
    }

    #[test]
    fn open_states_reach_every_outcome() {
        assert_eq!(
            PaymentState::Processing.apply(PaymentEvent::AcquirerPending),
            Ok(PaymentState::Pending)
        );
        for from in [PaymentState::Processing, PaymentState::Pending] {
            assert_eq!(
                from.apply(PaymentEvent::AcquirerApproved),
                Ok(PaymentState::Approved)
            );
            assert_eq!(
                from.apply(PaymentEvent::AcquirerDeclined(
                    DeclineReason::InsufficientFunds
                )),
                Ok(PaymentState::Declined)
            );
            assert_eq!(
                from.apply(PaymentEvent::CustomerCancelled),
                Ok(PaymentState::Cancelled)
            );
            assert_eq!(from.apply(PaymentEvent::Expired), Ok(PaymentState::Expired));
        }
        assert!(PaymentState::Pending
            .apply(PaymentEvent::AcquirerPending)
            .is_err());
    }

    #[test]
    fn storage_names_round_trip() {
        for state in PaymentState::ALL {
            assert_eq!(PaymentState::from_str_opt(state.as_str()), Some(state));
        }
        for flow in [
            PaymentFlow::CustomerPresented,
            PaymentFlow::MerchantPresented,
        ] {
            assert_eq!(PaymentFlow::from_str_opt(flow.as_str()), Some(flow));
        }
    }
}
