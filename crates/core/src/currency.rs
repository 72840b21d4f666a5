//! ISO 4217 currencies and their minor-unit exponents.

use std::fmt;

/// A currency from ISO 4217 that Tidegate accepts, with the number of digits of its minor unit.
///
/// Constructed only through [`Currency::parse`], so a `Currency` is always a known code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency {
    code: [u8; 3],
    exponent: u8,
}

/// Active ISO 4217 codes with a non-default exponent (digits after the decimal point).
/// Every other code in [`CODES`] has two.
const EXPONENTS: &[(&str, u8)] = &[
    ("BIF", 0),
    ("CLP", 0),
    ("DJF", 0),
    ("GNF", 0),
    ("ISK", 0),
    ("JPY", 0),
    ("KMF", 0),
    ("KRW", 0),
    ("PYG", 0),
    ("RWF", 0),
    ("UGX", 0),
    ("UYI", 0),
    ("VND", 0),
    ("VUV", 0),
    ("XAF", 0),
    ("XOF", 0),
    ("XPF", 0),
    ("BHD", 3),
    ("IQD", 3),
    ("JOD", 3),
    ("KWD", 3),
    ("LYD", 3),
    ("OMR", 3),
    ("TND", 3),
    ("CLF", 4),
    ("UYW", 4),
];

/// Active ISO 4217 codes for money (precious metals, bond units and test codes are left out).
const CODES: &str = "AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV \
BRL BSD BTN BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUP CVE CZK DJF DKK DOP DZD \
EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK \
JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT \
MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR \
RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP \
TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR \
ZMW ZWG";

impl Currency {
    /// Parses an upper-case three-letter ISO 4217 code; `None` for anything else.
    pub fn parse(code: &str) -> Option<Currency> {
        let bytes: [u8; 3] = code.as_bytes().try_into().ok()?;
        if !bytes.iter().all(u8::is_ascii_uppercase) {
            return None;
        }
        let known = CODES
            .split_ascii_whitespace()
            .any(|candidate| candidate == code);
        if !known {
            return None;
        }
        let exponent = EXPONENTS
            .iter()
            .find(|(candidate, _)| *candidate == code)
            .map_or(2, |(_, exponent)| *exponent);
        Some(Currency {
            code: bytes,
            exponent,
        })
    }

    /// The three-letter code, e.g. `"CNY"`.
    pub fn code(&self) -> &str {
        // Only ASCII upper-case letters are ever stored.
        std::str::from_utf8(&self.code).unwrap_or("XXX")
    }

    /// Digits of the minor unit: 2 for CNY, 0 for JPY, 3 for KWD.
    pub fn exponent(&self) -> u8 {
        self.exponent
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_codes_carry_their_exponent() {
        assert_eq!(Currency::parse("CNY").map(|c| c.exponent()), Some(2));
        assert_eq!(Currency::parse("JPY").map(|c| c.exponent()), Some(0));
        assert_eq!(Currency::parse("KWD").map(|c| c.exponent()), Some(3));
        assert_eq!(
            Currency::parse("HKD").map(|c| c.code().to_owned()),
            Some("HKD".into())
        );
    }

    #[test]
    fn unknown_or_malformed_codes_are_refused() {
        for code in ["", "cny", "CN", "CNYY", "ABC", "XAU", "C1Y", "ÄBC"] {
            assert_eq!(Currency::parse(code), None, "{code}");
        }
    }

    #[test]
    fn every_special_exponent_names_a_listed_code() {
        for (code, _) in EXPONENTS {
            assert!(Currency::parse(code).is_some(), "{code} missing from CODES");
        }
    }
}
