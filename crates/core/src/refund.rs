//! Refunds: part or all of an approved payment's amount given back to the customer.

/// Where a refund stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RefundState {
    /// Recorded and counted against the refundable amount; the acquirer has not confirmed yet.
    Processing,
    /// The acquirer refunded the customer.
    Succeeded,
    /// The acquirer refused; the amount is refundable again.
    Failed,
}

impl RefundState {
    /// Every state, for exhaustive tables and tests.
    pub const ALL: [RefundState; 3] = [
        RefundState::Processing,
        RefundState::Succeeded,
        RefundState::Failed,
    ];

    /// True if the refund's amount counts against what can still be refunded.
    pub fn holds_amount(self) -> bool {
        match self {
            RefundState::Processing | RefundState::Succeeded => true,
            RefundState::Failed => false,
        }
    }

    /// Stable storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            RefundState::Processing => "processing",
            RefundState::Succeeded => "succeeded",
            RefundState::Failed => "failed",
        }
    }

    /// The inverse of [`RefundState::as_str`].
    pub fn from_str_opt(name: &str) -> Option<RefundState> {
        RefundState::ALL
            .into_iter()
            .find(|state| state.as_str() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_refunds_release_their_amount() {
        assert!(RefundState::Processing.holds_amount());
        assert!(RefundState::Succeeded.holds_amount());
        assert!(!RefundState::Failed.holds_amount());
        for state in RefundState::ALL {
            assert_eq!(RefundState::from_str_opt(state.as_str()), Some(state));
        }
    }
}
