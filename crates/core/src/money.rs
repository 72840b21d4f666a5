//! Money as integer minor units; decimal strings are parsed and printed exactly, never via floats.

use crate::Currency;
use std::fmt::Write as _;

/// An amount in a currency's minor units (fen for CNY, yen for JPY, fils for KWD).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    minor: i64,
    currency: Currency,
}

/// Why a decimal amount string was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    /// The string is empty.
    #[error("amount is empty")]
    Empty,
    /// Not digits with at most one decimal point (signs, exponents, spaces and commas included).
    #[error("amount is not a plain decimal number")]
    Format,
    /// More fraction digits than the caller allows or the currency can represent.
    #[error("amount has too many decimal places")]
    TooManyDecimals,
    /// Zero amounts cannot be paid.
    #[error("amount must be greater than zero")]
    Zero,
    /// Larger than the gateway can hold.
    #[error("amount is too large")]
    TooLarge,
}

/// The largest amount, in minor units, that the gateway accepts (well inside `i64`, so sums of
/// refunds and batches cannot overflow).
pub const MAX_MINOR_UNITS: i64 = 1_000_000_000_000_000;

impl Money {
    /// An amount already in minor units. Returns `None` unless `0 < minor <= MAX_MINOR_UNITS`.
    pub fn from_minor(minor: i64, currency: Currency) -> Option<Money> {
        (minor > 0 && minor <= MAX_MINOR_UNITS).then_some(Money { minor, currency })
    }

    /// Parses a positive decimal string such as `"12.30"` into minor units.
    ///
    /// `max_fraction_digits` is the dialect's own limit (Oceanpayment allows two); fraction
    /// digits beyond the currency's exponent are accepted only when they are zeros, so
    /// `"100.00"` JPY is 100 yen while `"100.50"` JPY is refused.
    pub fn parse_decimal(
        text: &str,
        currency: Currency,
        max_fraction_digits: usize,
    ) -> Result<Money, AmountError> {
        if text.is_empty() {
            return Err(AmountError::Empty);
        }
        let (whole, fraction) = match text.split_once('.') {
            Some((whole, fraction)) => (whole, fraction),
            None => (text, ""),
        };
        let all_digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !all_digits(whole) || !all_digits(fraction) {
            return Err(AmountError::Format);
        }
        if text.ends_with('.') {
            return Err(AmountError::Format);
        }
        if fraction.len() > max_fraction_digits {
            return Err(AmountError::TooManyDecimals);
        }
        let exponent = usize::from(currency.exponent());
        let (kept, dropped) = fraction.split_at(fraction.len().min(exponent));
        if dropped.bytes().any(|b| b != b'0') {
            return Err(AmountError::TooManyDecimals);
        }
        let mut minor: i64 = 0;
        let significant = whole.trim_start_matches('0');
        for digit in significant.bytes().chain(kept.bytes()) {
            minor = minor
                .checked_mul(10)
                .and_then(|m| m.checked_add(i64::from(digit - b'0')))
                .ok_or(AmountError::TooLarge)?;
        }
        for _ in kept.len()..exponent {
            minor = minor.checked_mul(10).ok_or(AmountError::TooLarge)?;
        }
        if minor == 0 {
            return Err(AmountError::Zero);
        }
        if minor > MAX_MINOR_UNITS {
            return Err(AmountError::TooLarge);
        }
        Ok(Money { minor, currency })
    }

    /// The amount in minor units.
    pub fn minor_units(&self) -> i64 {
        self.minor
    }

    /// The currency.
    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// The amount as a decimal string with exactly the currency's exponent, e.g. `"12.30"`.
    pub fn to_decimal_string(&self) -> String {
        let exponent = u32::from(self.currency.exponent());
        let divisor = 10_i64.pow(exponent);
        let mut text = (self.minor / divisor).to_string();
        if exponent > 0 {
            let width = usize::from(self.currency.exponent());
            let _ = write!(text, ".{:0width$}", self.minor % divisor);
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn currency(code: &str) -> Currency {
        Currency::parse(code).expect("test currency")
    }

    #[test]
    fn parses_the_amounts_tills_send() {
        let cny = currency("CNY");
        let parse = |text| Money::parse_decimal(text, cny, 2).map(|m| m.minor_units());
        assert_eq!(parse("12.30"), Ok(1230));
        assert_eq!(parse("12.3"), Ok(1230));
        assert_eq!(parse("12"), Ok(1200));
        assert_eq!(parse("0.01"), Ok(1));
        assert_eq!(parse("007.50"), Ok(750));
    }

    #[test]
    fn refuses_what_is_not_an_amount() {
        let cny = currency("CNY");
        let parse = |text| Money::parse_decimal(text, cny, 2);
        assert_eq!(parse(""), Err(AmountError::Empty));
        for bad in [
            "-1", "+1", "1e3", "1,00", " 1", "1.", ".5", "1.2.3", "abc", "１",
        ] {
            assert_eq!(parse(bad), Err(AmountError::Format), "{bad}");
        }
        assert_eq!(parse("1.234"), Err(AmountError::TooManyDecimals));
        assert_eq!(parse("0"), Err(AmountError::Zero));
        assert_eq!(parse("0.00"), Err(AmountError::Zero));
        assert_eq!(parse("99999999999999999999"), Err(AmountError::TooLarge));
    }

    #[test]
    fn respects_the_currency_exponent() {
        let jpy = currency("JPY");
        assert_eq!(
            Money::parse_decimal("100.00", jpy, 2).map(|m| m.minor_units()),
            Ok(100)
        );
        assert_eq!(
            Money::parse_decimal("100.5", jpy, 2),
            Err(AmountError::TooManyDecimals)
        );
        let kwd = currency("KWD");
        assert_eq!(
            Money::parse_decimal("1.25", kwd, 2).map(|m| m.minor_units()),
            Ok(1250)
        );
    }

    #[test]
    fn prints_with_the_currency_exponent() {
        let money = |minor, code| Money::from_minor(minor, currency(code)).expect("positive");
        assert_eq!(money(1230, "CNY").to_decimal_string(), "12.30");
        assert_eq!(money(5, "CNY").to_decimal_string(), "0.05");
        assert_eq!(money(100, "JPY").to_decimal_string(), "100");
        assert_eq!(money(1250, "KWD").to_decimal_string(), "1.250");
    }

    proptest! {
        #[test]
        fn printing_then_parsing_round_trips(minor in 1_i64..=MAX_MINOR_UNITS) {
            for code in ["CNY", "JPY", "HKD"] {
                let money = Money::from_minor(minor, currency(code)).expect("positive");
                let text = money.to_decimal_string();
                prop_assert_eq!(Money::parse_decimal(&text, money.currency(), 2), Ok(money));
            }
        }

        #[test]
        fn parsing_never_panics(text in "\\PC{0,24}") {
            let _ = Money::parse_decimal(&text, currency("CNY"), 2);
        }
    }
}
