//! What can go wrong between a merchant and the gateway, sorted by what it means for the money.
//!
//! The distinction that matters to a till is whether the gateway may have acted on a request.
//! [`ClientError::outcome_unknown`] says so: after a transport failure, an unreadable answer or
//! an answer whose signature does not verify, the payment may exist and must be looked up (and
//! if need be voided); after a refusal or an invalid request, nothing was done.

/// An error from a call to the gateway or from reading a notice.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The request could not be built: nothing was sent.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The request was sent but no complete answer came back (connection refused or reset,
    /// timeout). The gateway may or may not have acted on it.
    #[error("no answer from the gateway: {0}")]
    Transport(String),
    /// The gateway refused the request with an unsigned answer: it could not authenticate the
    /// request (unknown terminal, wrong secret or signature, unreadable body), or, for an order
    /// query, refused it before looking anything up. Nothing was done; the code says why.
    #[error("refused by the gateway (HTTP {http_status}): {code}:{message}")]
    Refused {
        /// The dialect's error code, e.g. `20013` or `104000`.
        code: String,
        /// The message that came with it.
        message: String,
        /// The HTTP status of the answer.
        http_status: u16,
    },
    /// The answer is signed but the signature does not verify: it was altered on the way, or
    /// the gateway holds another secret for this terminal. Its content must not be trusted.
    #[error("the answer's signature does not verify; its content is not trusted")]
    BadSignature,
    /// The answer could not be read as the dialect's reply (not XML or JSON, missing fields,
    /// values outside their range).
    #[error("unreadable answer (HTTP {http_status}): {detail}")]
    Malformed {
        /// The HTTP status of the answer (0 for a notice body).
        http_status: u16,
        /// What was wrong with it.
        detail: String,
    },
}

impl ClientError {
    /// True when the gateway may have acted on the request although no trusted answer says
    /// so: the payment must be looked up before anything else is tried, never paid again with
    /// a different request.
    pub fn outcome_unknown(&self) -> bool {
        match self {
            ClientError::Transport(_)
            | ClientError::BadSignature
            | ClientError::Malformed { .. } => true,
            ClientError::InvalidRequest(_) | ClientError::Refused { .. } => false,
        }
    }

    pub(crate) fn malformed(http_status: u16, detail: impl Into<String>) -> ClientError {
        ClientError::Malformed {
            http_status,
            detail: detail.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_answers_that_cannot_be_trusted_leave_the_outcome_unknown() {
        assert!(ClientError::Transport("reset".into()).outcome_unknown());
        assert!(ClientError::BadSignature.outcome_unknown());
        assert!(ClientError::malformed(502, "html").outcome_unknown());
        assert!(!ClientError::InvalidRequest("amount".into()).outcome_unknown());
        let refused = ClientError::Refused {
            code: "20013".into(),
            message: "Incorrect sign value".into(),
            http_status: 200,
        };
        assert!(!refused.outcome_unknown());
    }
}
