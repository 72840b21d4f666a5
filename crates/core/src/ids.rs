//! Payment identifiers in the 21-digit shape merchants' systems already store.

use std::fmt;

/// A payment id: 21 digits, `yyMMddHHmmss` + milliseconds (3) + a 6-digit sequence.
///
/// The shape matches the identifiers Oceanpayment issues, so existing merchant databases and
/// reports keep working. Time and sequence are inputs: core does no I/O.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PaymentId(String);

/// A UTC timestamp broken into calendar fields, as the caller's clock reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdClock {
    /// Full year, e.g. 2026.
    pub year: u16,
    /// 1 to 12.
    pub month: u8,
    /// 1 to 31.
    pub day: u8,
    /// 0 to 23.
    pub hour: u8,
    /// 0 to 59.
    pub minute: u8,
    /// 0 to 59.
    pub second: u8,
    /// 0 to 999.
    pub millisecond: u16,
}

impl PaymentId {
    /// Builds the id for `clock` and a sequence number (only its last six digits are used).
    pub fn new(clock: IdClock, sequence: u32) -> PaymentId {
        PaymentId(format!(
            "{:02}{:02}{:02}{:02}{:02}{:02}{:03}{:06}",
            clock.year % 100,
            clock.month,
            clock.day,
            clock.hour,
            clock.minute,
            clock.second,
            clock.millisecond % 1000,
            sequence % 1_000_000
        ))
    }

    /// Accepts exactly 21 ASCII digits.
    pub fn parse(text: &str) -> Option<PaymentId> {
        (text.len() == 21 && text.bytes().all(|b| b.is_ascii_digit()))
            .then(|| PaymentId(text.to_owned()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PaymentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_21_digits_led_by_the_timestamp() {
        let clock = IdClock {
            year: 2026,
            month: 11,
            day: 3,
            hour: 9,
            minute: 5,
            second: 7,
            millisecond: 42,
        };
        let id = PaymentId::new(clock, 1_234_567);
        assert_eq!(id.as_str(), "261103090507042234567");
        assert_eq!(PaymentId::parse(id.as_str()), Some(id));
        assert_eq!(PaymentId::parse("26110309050704223456"), None);
        assert_eq!(PaymentId::parse("26110309050704223456x"), None);
    }
}
