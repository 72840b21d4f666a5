//! The Oceanpayment dialect: form-encoded requests signed with the terminal's `secureCode`,
//! XML replies whose `signValue` is verified before anything in them is believed.
//!
//! | call | method | request | result |
//! |------|--------|---------|--------|
//! | `POST /gateway/directservice/pay` | [`OceanpaymentClient::pay`] | [`PayRequest`] | [`PaymentResult`] |
//! | `POST /service/check/normal` | [`OceanpaymentClient::query`] | order numbers | [`QueriedPayment`]s |
//! | `POST /service/applyRefund` | [`OceanpaymentClient::refund`] | [`RefundRequest`] | [`RefundResult`] |
//! | `POST /service/queryRefund` | [`OceanpaymentClient::refund_query`] | a refund id | [`RefundQueryResult`] |
//! | `POST /gateway/service/auth` (`payment_authType` 3) | [`OceanpaymentClient::void`] | an order number | [`VoidResult`] |
//!
//! Signatures use `tidegate-wire`'s field lists ([`tidegate_wire::oceanpayment::sign`](mod@tidegate_wire::oceanpayment::sign)), the
//! same ones the gateway checks, so the two cannot drift apart. Notices are read with
//! [`verify_notice`].

mod notice;
mod pay;
mod query;
mod refund;
mod till;
mod void;

pub use notice::{verify_notice, OceanpaymentNotice, ACKNOWLEDGEMENT};
pub use pay::{PayRequest, PaymentResult};
pub use query::QueriedPayment;
pub use refund::{RefundQueryResult, RefundRequest, RefundResult};
pub use void::VoidResult;

use crate::http::{form_body, Answer, Http, DEFAULT_TIMEOUT};
use crate::xml::{self, Element};
use crate::ClientError;
use secrecy::{ExposeSecret, SecretString};
use std::fmt;
use std::time::Duration;
use tidegate_wire::oceanpayment::sign;

/// A terminal's credentials: account, terminal and the `secureCode` that signs for it.
#[derive(Clone)]
pub struct Credentials {
    account: String,
    terminal: String,
    secure_code: SecretString,
}

impl Credentials {
    /// Credentials of the terminal `terminal` of account `account`.
    pub fn new(
        account: impl Into<String>,
        terminal: impl Into<String>,
        secure_code: impl Into<String>,
    ) -> Credentials {
        Credentials {
            account: account.into(),
            terminal: terminal.into(),
            secure_code: SecretString::from(secure_code.into()),
        }
    }

    /// The sandbox demo terminal every `tidegate serve` has: Oceanpayment's public test
    /// credentials, account `995149`, terminal `99514901`, secureCode `12345678`.
    pub fn sandbox_demo() -> Credentials {
        Credentials::new("995149", "99514901", "12345678")
    }

    /// The merchant account.
    pub fn account(&self) -> &str {
        &self.account
    }

    /// The terminal.
    pub fn terminal(&self) -> &str {
        &self.terminal
    }

    fn secure_code(&self) -> &str {
        self.secure_code.expose_secret()
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("account", &self.account)
            .field("terminal", &self.terminal)
            .field("secure_code", &"[redacted]")
            .finish()
    }
}

/// A client for one terminal of an Oceanpayment-speaking gateway.
///
/// ```no_run
/// # async fn example() -> Result<(), tidegate_client::ClientError> {
/// use tidegate_client::oceanpayment::{Credentials, OceanpaymentClient};
///
/// let client = OceanpaymentClient::new("http://127.0.0.1:8080", Credentials::sandbox_demo())?;
/// for payment in client.query("POS-0001").await? {
///     println!("{} {:?}", payment.payment_id(), payment.status());
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct OceanpaymentClient {
    http: Http,
    credentials: Credentials,
}

impl OceanpaymentClient {
    /// A client for the gateway at `base_url` (`http://` or `https://`), signing as
    /// `credentials`; each call may take up to 40 seconds.
    pub fn new(
        base_url: &str,
        credentials: Credentials,
    ) -> Result<OceanpaymentClient, ClientError> {
        OceanpaymentClient::with_timeout(base_url, credentials, DEFAULT_TIMEOUT)
    }

    /// As [`OceanpaymentClient::new`], with another limit on how long one call may take.
    pub fn with_timeout(
        base_url: &str,
        credentials: Credentials,
        timeout: Duration,
    ) -> Result<OceanpaymentClient, ClientError> {
        Ok(OceanpaymentClient {
            http: Http::new(base_url, timeout)?,
            credentials,
        })
    }

    /// The credentials this client signs with.
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// The gateway's base URL.
    pub fn base_url(&self) -> &str {
        self.http.base_url()
    }

    /// Signs `fields` over `signed` (a `tidegate-wire` field list, `account` and `terminal`
    /// included), POSTs them to `path` and reads the XML answer's root element.
    async fn call(
        &self,
        path: &str,
        fields: &[(&'static str, String)],
        signed: &[&str],
    ) -> Result<(Answer, Element), ClientError> {
        let mut all: Vec<(&str, &str)> = vec![
            ("account", self.credentials.account()),
            ("terminal", self.credentials.terminal()),
        ];
        all.extend(fields.iter().map(|(name, value)| (*name, value.as_str())));
        let value_of = |name: &str| {
            all.iter()
                .find(|(candidate, _)| *candidate == name)
                .map_or("", |(_, value)| *value)
        };
        let parts: Vec<&str> = signed.iter().map(|name| value_of(name)).collect();
        let sign_value = sign::sign(&parts, self.credentials.secure_code());
        all.push(("signValue", &sign_value));
        let answer = self
            .http
            .post(path, "application/x-www-form-urlencoded", form_body(&all))
            .await?;
        let root = xml::parse(&answer.body).map_err(|detail| {
            ClientError::malformed(answer.status, format!("not XML: {detail}"))
        })?;
        Ok((answer, root))
    }
}

/// A `payment_details`-style `code:message` pair.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Details {
    /// The code, e.g. `80000`.
    pub code: String,
    /// The message, e.g. `Transaction Approved`.
    pub message: String,
}

impl Details {
    /// Splits `code:message` at the first colon; text without one is all message.
    pub fn parse(text: &str) -> Details {
        match text.split_once(':') {
            Some((code, message)) => Details {
                code: code.trim().to_owned(),
                message: message.trim().to_owned(),
            },
            None => Details {
                code: String::new(),
                message: text.trim().to_owned(),
            },
        }
    }
}

impl fmt::Display for Details {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.code.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}:{}", self.code, self.message)
        }
    }
}

/// Checks the `signValue` of `element` over `signed`.
///
/// An empty `signValue` is the gateway's refusal of a request it could not authenticate:
/// [`ClientError::Refused`] with the code from `details_field`. A signature that does not
/// verify is [`ClientError::BadSignature`].
fn verify_signed(
    element: &Element,
    signed: &[&str],
    secure_code: &str,
    details_field: &str,
    http_status: u16,
) -> Result<(), ClientError> {
    let sign_value = element.value("signValue");
    if sign_value.is_empty() {
        return Err(refusal(element.value(details_field), http_status));
    }
    if sign::verify(sign_value, &element.values(signed), secure_code) {
        Ok(())
    } else {
        Err(ClientError::BadSignature)
    }
}

/// The unsigned refusal whose details are `details`.
fn refusal(details: &str, http_status: u16) -> ClientError {
    let Details { code, message } = Details::parse(details);
    ClientError::Refused {
        code,
        message,
        http_status,
    }
}

/// The root must be `expected`: a reply to another call is no answer to this one.
fn expect_root(root: &Element, expected: &str, http_status: u16) -> Result<(), ClientError> {
    if root.name == expected {
        Ok(())
    } else {
        Err(ClientError::malformed(
            http_status,
            format!("expected <{expected}>, got <{}>", root.name),
        ))
    }
}

/// Oceanpayment's `1` / `0` / `-1` for a payment's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentStatus {
    /// `1`: paid.
    Approved,
    /// `0`: not paid and final (declined, cancelled, expired, voided or refused); the details
    /// say which.
    Declined,
    /// `-1`: not final yet (the customer is entering a PIN or has yet to scan the QR code, or
    /// the acquirer's result is unknown).
    Pending,
}

impl PaymentStatus {
    /// Reads the wire value.
    pub fn parse(text: &str) -> Option<PaymentStatus> {
        match text {
            "1" => Some(PaymentStatus::Approved),
            "0" => Some(PaymentStatus::Declined),
            "-1" => Some(PaymentStatus::Pending),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_split_at_the_first_colon() {
        assert_eq!(
            Details::parse("80000:Transaction Approved"),
            Details {
                code: "80000".into(),
                message: "Transaction Approved".into()
            }
        );
        assert_eq!(
            Details::parse("29105:Field too long: a:b").message,
            "Field too long: a:b"
        );
        assert_eq!(Details::parse("Success").code, "");
        assert_eq!(Details::parse("Success").to_string(), "Success");
        assert_eq!(Details::parse("1:x").to_string(), "1:x");
    }

    #[test]
    fn credentials_never_print_the_secure_code() {
        let printed = format!("{:?}", Credentials::new("1", "2", "s3cret-code"));
        assert!(!printed.contains("s3cret-code"));
        assert!(printed.contains("redacted"));
    }

    #[test]
    fn payment_status_values() {
        assert_eq!(PaymentStatus::parse("1"), Some(PaymentStatus::Approved));
        assert_eq!(PaymentStatus::parse("0"), Some(PaymentStatus::Declined));
        assert_eq!(PaymentStatus::parse("-1"), Some(PaymentStatus::Pending));
        assert_eq!(PaymentStatus::parse("2"), None);
        assert_eq!(PaymentStatus::parse(""), None);
    }
}
