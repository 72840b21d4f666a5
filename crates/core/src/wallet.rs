//! The wallets a till accepts in person, and the payment codes their customers present.

use std::fmt;

/// A mobile wallet that pays in person by code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Wallet {
    /// WeChat Pay: payment codes of 18 digits starting 10 to 15.
    WeChatPay,
    /// Alipay (mainland and Hong Kong wallets): payment codes of 16 to 24 digits starting 25 to 30.
    Alipay,
}

impl Wallet {
    /// Every wallet, for exhaustive tables and tests.
    pub const ALL: [Wallet; 2] = [Wallet::WeChatPay, Wallet::Alipay];

    /// A stable lower-case name used in storage and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Wallet::WeChatPay => "wechatpay",
            Wallet::Alipay => "alipay",
        }
    }

    /// The inverse of [`Wallet::as_str`].
    pub fn from_str_opt(name: &str) -> Option<Wallet> {
        Wallet::ALL
            .into_iter()
            .find(|wallet| wallet.as_str() == name)
    }
}

impl fmt::Display for Wallet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A customer's one-time payment code, as scanned by the till, known to belong to a wallet.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthCode {
    digits: String,
    wallet: Wallet,
}

/// Why a scanned code was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AuthCodeError {
    /// Not a WeChat Pay or Alipay payment code at all.
    #[error("payment code is not a WeChat Pay or Alipay code")]
    Unrecognised,
    /// A valid code of another wallet than the one the till asked for.
    #[error("payment code does not belong to {expected}")]
    WrongWallet {
        /// The wallet the request named.
        expected: Wallet,
    },
}

impl AuthCode {
    /// Recognises the wallet from the code alone.
    pub fn parse(code: &str) -> Result<AuthCode, AuthCodeError> {
        let wallet = classify(code).ok_or(AuthCodeError::Unrecognised)?;
        Ok(AuthCode {
            digits: code.to_owned(),
            wallet,
        })
    }

    /// Accepts the code only if it belongs to `expected`.
    pub fn parse_for(code: &str, expected: Wallet) -> Result<AuthCode, AuthCodeError> {
        let code = AuthCode::parse(code)?;
        if code.wallet == expected {
            Ok(code)
        } else {
            Err(AuthCodeError::WrongWallet { expected })
        }
    }

    /// The wallet that issued the code.
    pub fn wallet(&self) -> Wallet {
        self.wallet
    }

    /// The code itself, for the acquirer call only: never log it.
    pub fn expose(&self) -> &str {
        &self.digits
    }

    /// The code with all but its first 4 and last 4 digits hidden, safe to show and log.
    pub fn masked(&self) -> String {
        mask_code(&self.digits)
    }
}

/// Hides all but the first 4 and last 4 characters: `134567890123451234` -> `1345**********1234`.
pub fn mask_code(code: &str) -> String {
    let chars: Vec<char> = code.chars().collect();
    if chars.len() <= 8 {
        return "*".repeat(chars.len());
    }
    let hidden = chars.len() - 8;
    let mut masked: String = chars[..4].iter().collect();
    masked.extend(std::iter::repeat_n('*', hidden));
    masked.extend(&chars[chars.len() - 4..]);
    masked
}

impl fmt::Debug for AuthCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AuthCode({}, {})", self.wallet, self.masked())
    }
}

fn classify(code: &str) -> Option<Wallet> {
    if !code.bytes().all(|b| b.is_ascii_digit()) || code.len() < 2 {
        return None;
    }
    let prefix: u8 = code[..2].parse().ok()?;
    match (code.len(), prefix) {
        (18, 10..=15) => Some(Wallet::WeChatPay),
        (16..=24, 25..=30) => Some(Wallet::Alipay),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn recognises_wechat_and_alipay_codes() {
        assert_eq!(
            AuthCode::parse("134567890123450000").map(|c| c.wallet()),
            Ok(Wallet::WeChatPay)
        );
        assert_eq!(
            AuthCode::parse("104567890123450000").map(|c| c.wallet()),
            Ok(Wallet::WeChatPay)
        );
        assert_eq!(
            AuthCode::parse("284567890123450000").map(|c| c.wallet()),
            Ok(Wallet::Alipay)
        );
        assert_eq!(
            AuthCode::parse("2545678901230000").map(|c| c.wallet()),
            Ok(Wallet::Alipay)
        );
        assert_eq!(
            AuthCode::parse("304567890123456789010000").map(|c| c.wallet()),
            Ok(Wallet::Alipay)
        );
    }

    #[test]
    fn refuses_other_codes() {
        for code in [
            "",
            "1",
            "164567890123450000",
            "13456789012345000",
            "1345678901234500000",
            "094567890123450000",
            "314567890123450000",
            "254567890123450",
            "2545678901234567890123456",
            "13456789012345000a",
            "6212345678901234567",
            " 134567890123450000",
        ] {
            assert_eq!(
                AuthCode::parse(code),
                Err(AuthCodeError::Unrecognised),
                "{code:?}"
            );
        }
    }

    #[test]
    fn a_code_must_match_the_requested_wallet() {
        assert_eq!(
            AuthCode::parse_for("284567890123450000", Wallet::WeChatPay),
            Err(AuthCodeError::WrongWallet {
                expected: Wallet::WeChatPay
            })
        );
        assert!(AuthCode::parse_for("284567890123450000", Wallet::Alipay).is_ok());
    }

    #[test]
    fn masking_keeps_only_the_ends() {
        assert_eq!(mask_code("134567890123451234"), "1345**********1234");
        assert_eq!(mask_code("12345678"), "********");
        let code = AuthCode::parse("134567890123451234").expect("valid");
        assert!(!format!("{code:?}").contains("67890123"));
    }

    proptest! {
        #[test]
        fn classification_matches_the_published_rules(code in "[0-9]{0,26}") {
            let prefix: Option<u8> = code.get(..2).and_then(|p| p.parse().ok());
            let expected = match (code.len(), prefix) {
                (18, Some(10..=15)) => Some(Wallet::WeChatPay),
                (16..=24, Some(25..=30)) => Some(Wallet::Alipay),
                _ => None,
            };
            prop_assert_eq!(AuthCode::parse(&code).ok().map(|c| c.wallet()), expected);
        }
    }
}
