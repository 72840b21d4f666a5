//! `tidegate merchant add` and `tidegate terminal add`: credentials for new tills.
//!
//! An Oceanpayment terminal is an account (6 digits) and a terminal number (the account plus
//! two digits) with a 16-character secureCode. A PingPong store is a clientId (19 digits) and an
//! accId (the clientId plus three digits) with a 24-character hex salt. Either secret is shown
//! once and stored only encrypted.

use anyhow::{bail, Context as _};
use secrecy::{ExposeSecret as _, SecretString};
use tidegate_engine::{generate_secure_code, Engine, EngineError};

/// Which API a merchant's tills speak.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Dialect {
    /// Oceanpayment: account, terminal, secureCode.
    Oceanpayment,
    /// PingPong Checkout v4: clientId, accId, salt.
    Pingpong,
}

impl Dialect {
    /// Digits of a generated account number.
    fn account_digits(self) -> u32 {
        match self {
            Dialect::Oceanpayment => 6,
            Dialect::Pingpong => 19,
        }
    }

    /// Digits a terminal number adds to its account number.
    fn suffix_digits(self) -> usize {
        match self {
            Dialect::Oceanpayment => 2,
            Dialect::Pingpong => 3,
        }
    }

    /// The longest account number accepted.
    fn max_account_len(self) -> usize {
        match self {
            Dialect::Oceanpayment => 12,
            Dialect::Pingpong => 61,
        }
    }
}

fn random_digits(count: u32) -> anyhow::Result<String> {
    let mut digits = String::new();
    while digits.len() < usize::try_from(count).unwrap_or(0) {
        let mut byte = [0_u8; 1];
        getrandom::getrandom(&mut byte)
            .map_err(|error| anyhow::anyhow!("no randomness available: {error}"))?;
        // Rejection sampling keeps every digit equally likely; no leading zero.
        if byte[0] < 250 {
            let digit = byte[0] % 10;
            if !(digits.is_empty() && digit == 0) {
                digits.push(char::from(b'0' + digit));
            }
        }
    }
    Ok(digits)
}

/// An account number no terminal uses yet.
pub(crate) async fn free_account(engine: &Engine, dialect: Dialect) -> anyhow::Result<String> {
    let taken: Vec<String> = engine
        .list_terminals()
        .await?
        .into_iter()
        .map(|(account, _, _)| account)
        .collect();
    for _ in 0..100 {
        let account = random_digits(dialect.account_digits())?;
        if !taken.contains(&account) {
            return Ok(account);
        }
    }
    bail!("could not find a free account number; pass --account")
}

/// Creates a terminal (or store) and prints its credentials, the secret once.
pub(crate) async fn add_terminal(
    engine: &Engine,
    dialect: Dialect,
    account: &str,
    terminal: Option<String>,
    name: &str,
) -> anyhow::Result<()> {
    let digits_only = |text: &str| !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    if !digits_only(account) || account.len() > dialect.max_account_len() {
        bail!("account must be 1 to {} digits", dialect.max_account_len());
    }
    let terminal = match terminal {
        Some(terminal) => terminal,
        None => next_terminal(engine, dialect, account).await?,
    };
    if !digits_only(&terminal)
        || terminal.len() > dialect.max_account_len() + dialect.suffix_digits()
    {
        bail!("terminal must be digits");
    }
    if dialect == Dialect::Pingpong
        && terminal.get(..terminal.len().saturating_sub(3)) != Some(account)
    {
        bail!("a PingPong accId is its clientId followed by three digits");
    }
    let secret = match dialect {
        Dialect::Oceanpayment => generate_secure_code().context("no randomness available")?,
        Dialect::Pingpong => generate_salt()?,
    };
    match engine.add_terminal(account, &terminal, name, &secret).await {
        Ok(()) => {}
        Err(EngineError::TerminalExists) => bail!("terminal {account}/{terminal} exists already"),
        Err(error) => return Err(error.into()),
    }
    match dialect {
        Dialect::Oceanpayment => {
            println!("account:    {account}");
            println!("terminal:   {terminal}");
            println!("secureCode: {}", secret.expose_secret());
        }
        Dialect::Pingpong => {
            println!("clientId: {account}");
            println!("accId:    {terminal}");
            println!("salt:     {}", secret.expose_secret());
        }
    }
    eprintln!("The secret is shown only this once and stored encrypted; keep it now.");
    Ok(())
}

/// 12 random bytes as 24 upper-case hex characters, the shape of PingPong's salts.
fn generate_salt() -> anyhow::Result<SecretString> {
    let mut bytes = [0_u8; 12];
    getrandom::getrandom(&mut bytes)
        .map_err(|error| anyhow::anyhow!("no randomness available: {error}"))?;
    Ok(SecretString::from(hex::encode_upper(bytes)))
}

async fn next_terminal(engine: &Engine, dialect: Dialect, account: &str) -> anyhow::Result<String> {
    let existing: Vec<String> = engine
        .list_terminals()
        .await?
        .into_iter()
        .filter(|(owner, _, _)| owner == account)
        .map(|(_, terminal, _)| terminal)
        .collect();
    let width = dialect.suffix_digits();
    let limit = 10_usize.pow(u32::try_from(width).unwrap_or(2));
    (1..limit)
        .map(|n| format!("{account}{n:0width$}"))
        .find(|candidate| !existing.contains(candidate))
        .context("the account has no free terminal number left; pass --terminal")
}
