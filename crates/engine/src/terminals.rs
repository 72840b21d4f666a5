//! Terminals and their secureCodes, cached in memory so authenticating a request costs no query.

use crate::secrets::{SealError, SecretSealer};
use crate::{now_ms, Engine, EngineError};
use secrecy::{ExposeSecret, SecretString};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use tidegate_store::{NewTerminal, Store, StoreError};

/// The cache of active terminals' secrets, filled on first use.
///
/// Terminals are only ever added (deactivation is not offered yet), so a cached entry never
/// goes stale; unknown pairs are not cached, so a terminal added by another process or node is
/// found on its first request.
pub(crate) struct TerminalDirectory {
    store: Arc<dyn Store>,
    sealer: SecretSealer,
    cache: RwLock<HashMap<(String, String), Arc<SecretString>>>,
}

impl TerminalDirectory {
    pub(crate) fn new(store: Arc<dyn Store>, sealer: SecretSealer) -> TerminalDirectory {
        TerminalDirectory {
            store,
            sealer,
            cache: RwLock::new(HashMap::new()),
        }
    }

    fn cached(&self, account: &str, terminal: &str) -> Option<Arc<SecretString>> {
        let cache = self
            .cache
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        cache
            .get(&(account.to_owned(), terminal.to_owned()))
            .cloned()
    }

    async fn secure_code(
        &self,
        account: &str,
        terminal: &str,
    ) -> Result<Option<Arc<SecretString>>, EngineError> {
        if let Some(secret) = self.cached(account, terminal) {
            return Ok(Some(secret));
        }
        let Some(record) = self.store.terminal(account, terminal).await? else {
            return Ok(None);
        };
        if !record.active {
            return Ok(None);
        }
        let secret = self
            .sealer
            .open(&record.secure_code_sealed, &context(account, terminal))
            .map_err(|_| EngineError::SecretUnreadable(format!("{account}/{terminal}")))?;
        let secret = Arc::new(secret);
        let mut cache = self
            .cache
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        cache.insert(
            (account.to_owned(), terminal.to_owned()),
            Arc::clone(&secret),
        );
        Ok(Some(secret))
    }

    fn seal(
        &self,
        secure_code: &SecretString,
        account: &str,
        terminal: &str,
    ) -> Result<Vec<u8>, EngineError> {
        self.sealer
            .seal(secure_code.expose_secret(), &context(account, terminal))
            .map_err(|error: SealError| EngineError::Unavailable(error.to_string()))
    }
}

fn context(account: &str, terminal: &str) -> String {
    format!("terminal:{account}/{terminal}")
}

impl Engine {
    /// The secureCode of an active terminal, or `None` if the pair is unknown or inactive.
    pub async fn terminal_secret(
        &self,
        account: &str,
        terminal: &str,
    ) -> Result<Option<Arc<SecretString>>, EngineError> {
        self.inner.terminals.secure_code(account, terminal).await
    }

    /// Creates a terminal (and its merchant account if new) with the given secureCode, which
    /// is stored only in sealed form.
    pub async fn add_terminal(
        &self,
        account: &str,
        terminal: &str,
        merchant_name: &str,
        secure_code: &SecretString,
    ) -> Result<(), EngineError> {
        let sealed = self.inner.terminals.seal(secure_code, account, terminal)?;
        let new = NewTerminal {
            account: account.to_owned(),
            terminal: terminal.to_owned(),
            merchant_name: merchant_name.to_owned(),
            secure_code_sealed: sealed,
            created_at_ms: now_ms(),
        };
        match self.inner.store.add_terminal(new).await {
            Ok(_) => Ok(()),
            Err(StoreError::AlreadyExists) => Err(EngineError::TerminalExists),
            Err(other) => Err(other.into()),
        }
    }

    /// Creates the terminal unless it exists; returns true if it was created.
    pub async fn ensure_terminal(
        &self,
        account: &str,
        terminal: &str,
        merchant_name: &str,
        secure_code: &SecretString,
    ) -> Result<bool, EngineError> {
        if self
            .inner
            .store
            .terminal(account, terminal)
            .await?
            .is_some()
        {
            return Ok(false);
        }
        match self
            .add_terminal(account, terminal, merchant_name, secure_code)
            .await
        {
            Ok(()) => Ok(true),
            Err(EngineError::TerminalExists) => Ok(false),
            Err(other) => Err(other),
        }
    }

    /// All terminals as (account, terminal, merchant name), without secrets.
    pub async fn list_terminals(&self) -> Result<Vec<(String, String, String)>, EngineError> {
        let records = self.inner.store.terminals().await?;
        Ok(records
            .into_iter()
            .map(|t| (t.account, t.terminal, t.merchant_name))
            .collect())
    }
}
