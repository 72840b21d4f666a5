//! The merchant APIs the benchmark speaks: one module per dialect, each turning a payment's
//! sequence number into a signed request and reading the gateway's reply to it.
//!
//! Adding a dialect means one module here implementing [`Dialect`] and one arm in [`build`];
//! the load generator, the accounting and the kill test work through the trait alone.

mod oceanpayment;
mod pingpong;
mod xml;

use crate::DialectName;
use bytes::BytesMut;
use std::sync::Arc;

/// What every payment of a run has in common.
pub(crate) struct PaymentParams {
    /// Merchant account.
    pub(crate) account: String,
    /// Terminal.
    pub(crate) terminal: String,
    /// The terminal's secret, for request and reply signatures.
    pub(crate) secure_code: String,
    /// The customer's wallet code (the sandbox decides by its last four digits).
    pub(crate) payment_code: String,
    /// ISO 4217 currency.
    pub(crate) currency: String,
    /// The amount, exactly as sent.
    pub(crate) amount: String,
    /// Order numbers are this prefix followed by the payment's sequence number.
    pub(crate) order_prefix: String,
}

/// How the gateway answered one payment, as the dialect reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict<'a> {
    /// Paid.
    Approved {
        /// The gateway's id of the payment.
        payment_id: &'a str,
        /// The reply's signature verified with the terminal's secret.
        signature_valid: bool,
    },
    /// Not final yet (PIN entry, unknown acquirer result): ask again later.
    Pending {
        /// The reply's signature verified.
        signature_valid: bool,
    },
    /// Refused or declined, with the dialect's code.
    Refused {
        /// Why, as the dialect's code (e.g. `20061`).
        code: &'a str,
        /// The reply's signature verified.
        signature_valid: bool,
    },
    /// Answered, with no reading of the answer (the bare-HTTP ceiling).
    Answered,
    /// Not a reply to this payment: unreadable, or about another order.
    Unusable(&'static str),
}

/// One merchant API, as a till speaks it.
///
/// Requests are a pure function of the sequence number, so a payment can be replayed with the
/// identical request later (how a till recovers a lost reply).
pub(crate) trait Dialect: Send + Sync {
    /// The dialect's name in reports.
    fn name(&self) -> &'static str;
    /// The path payments are POSTed to.
    fn path(&self) -> &'static str;
    /// The request body's media type.
    fn content_type(&self) -> &'static str;
    /// Appends the signed body of payment `seq` to `body`.
    fn write_request(&self, seq: u64, body: &mut BytesMut);
    /// Reads an HTTP 200 reply to payment `seq`.
    fn read_reply<'a>(&self, seq: u64, body: &'a [u8]) -> Verdict<'a>;
}

/// The dialect `name` for payments like `params`.
pub(crate) fn build(name: DialectName, params: &PaymentParams) -> anyhow::Result<Arc<dyn Dialect>> {
    match name {
        DialectName::Oceanpayment => Ok(Arc::new(oceanpayment::Oceanpayment::new(params)?)),
        DialectName::Pingpong => Ok(Arc::new(pingpong::Pingpong::new(params)?)),
    }
}

/// The sandbox's demo credentials for `name` as `(account, terminal, secret)`: the terminal
/// every sandbox gateway creates, used when the command line names none.
pub(crate) fn demo_credentials(name: DialectName) -> (&'static str, &'static str, &'static str) {
    match name {
        DialectName::Oceanpayment => ("995149", "99514901", "12345678"),
        DialectName::Pingpong => (
            pingpong::DEMO_CLIENT_ID,
            pingpong::DEMO_ACC_ID,
            pingpong::DEMO_SALT,
        ),
    }
}

/// Another dialect's requests sent to the bare-HTTP ceiling: every reply is a success.
pub(crate) struct Ceiling {
    /// Writes the requests, so the ceiling reads the same bytes a gateway would.
    requests: Arc<dyn Dialect>,
}

impl Ceiling {
    /// Sends `requests`' payments and reads nothing back.
    pub(crate) fn new(requests: Arc<dyn Dialect>) -> Ceiling {
        Ceiling { requests }
    }
}

impl Dialect for Ceiling {
    fn name(&self) -> &'static str {
        self.requests.name()
    }

    fn path(&self) -> &'static str {
        self.requests.path()
    }

    fn content_type(&self) -> &'static str {
        self.requests.content_type()
    }

    fn write_request(&self, seq: u64, body: &mut BytesMut) {
        self.requests.write_request(seq, body);
    }

    fn read_reply<'a>(&self, _seq: u64, _body: &'a [u8]) -> Verdict<'a> {
        Verdict::Answered
    }
}

/// The decimal digits of `value`, written into `buffer` (no allocation: this runs per request).
pub(crate) fn decimal(value: u64, buffer: &mut [u8; 20]) -> &[u8] {
    let mut rest = value;
    let mut start = buffer.len();
    loop {
        start -= 1;
        // `rest % 10` is a single digit, so the narrowing cannot lose anything.
        buffer[start] = b'0' + u8::try_from(rest % 10).unwrap_or(0);
        rest /= 10;
        if rest == 0 {
            return &buffer[start..];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_match_the_standard_formatting() {
        let mut buffer = [0_u8; 20];
        for value in [0, 7, 10, 12_345, u64::MAX] {
            assert_eq!(decimal(value, &mut buffer), value.to_string().as_bytes());
        }
    }

    #[test]
    fn both_dialects_build_with_their_demo_credentials() {
        for name in [DialectName::Oceanpayment, DialectName::Pingpong] {
            let (account, terminal, secret) = demo_credentials(name);
            let params = PaymentParams {
                account: account.into(),
                terminal: terminal.into(),
                secure_code: secret.into(),
                payment_code: "134567890123450000".into(),
                currency: "CNY".into(),
                amount: "12.30".into(),
                order_prefix: "T-".into(),
            };
            let dialect = build(name, &params).map(|dialect| dialect.name()).ok();
            assert_eq!(
                dialect,
                Some(if name == DialectName::Pingpong {
                    "pingpong"
                } else {
                    "oceanpayment"
                })
            );
        }
    }
}
