//! Terminal secrets at rest: sealed with AES-256-GCM under the gateway's master key.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use secrecy::SecretString;

const NONCE_LEN: usize = 12;

/// Encrypts and decrypts secrets with the master key. The key never leaves this type.
#[derive(Clone)]
pub struct SecretSealer {
    cipher: Aes256Gcm,
}

/// Why a key or a sealed secret was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// The master key is not 64 hex characters (32 bytes).
    #[error("the master key must be 64 hex characters (32 bytes)")]
    BadKey,
    /// The sealed bytes do not decrypt under this key (wrong key, or tampered).
    #[error("secret does not decrypt under this master key")]
    Unreadable,
    /// The operating system gave no randomness.
    #[error("no randomness available")]
    NoRandomness,
}

impl std::fmt::Debug for SecretSealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretSealer(..)")
    }
}

impl SecretSealer {
    /// A sealer for a 32-byte key given as 64 hex characters.
    pub fn from_hex(key_hex: &str) -> Result<SecretSealer, SealError> {
        let bytes = hex::decode(key_hex.trim()).map_err(|_| SealError::BadKey)?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| SealError::BadKey)?;
        Ok(SecretSealer {
            cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&key)),
        })
    }

    /// A fresh random master key, as 64 hex characters.
    pub fn generate_key_hex() -> Result<String, SealError> {
        let mut key = [0_u8; 32];
        getrandom::getrandom(&mut key).map_err(|_| SealError::NoRandomness)?;
        Ok(hex::encode(key))
    }

    /// Encrypts `secret`, bound to `context` (e.g. `account/terminal`) so a sealed value cannot
    /// be moved to another row. Returns nonce followed by ciphertext.
    pub fn seal(&self, secret: &str, context: &str) -> Result<Vec<u8>, SealError> {
        let mut nonce = [0_u8; NONCE_LEN];
        getrandom::getrandom(&mut nonce).map_err(|_| SealError::NoRandomness)?;
        let ciphertext = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: secret.as_bytes(),
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| SealError::Unreadable)?;
        let mut sealed = nonce.to_vec();
        sealed.extend_from_slice(&ciphertext);
        Ok(sealed)
    }

    /// Decrypts what [`SecretSealer::seal`] produced for the same `context`.
    pub fn open(&self, sealed: &[u8], context: &str) -> Result<SecretString, SealError> {
        if sealed.len() <= NONCE_LEN {
            return Err(SealError::Unreadable);
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        let plain = self
            .cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| SealError::Unreadable)?;
        let text = String::from_utf8(plain).map_err(|_| SealError::Unreadable)?;
        Ok(SecretString::from(text))
    }
}

/// A new random terminal secureCode: 16 characters from `[A-Za-z0-9]`.
pub fn generate_secure_code() -> Result<SecretString, SealError> {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    let mut code = String::with_capacity(16);
    while code.len() < 16 {
        let mut byte = [0_u8; 1];
        getrandom::getrandom(&mut byte).map_err(|_| SealError::NoRandomness)?;
        // Rejection sampling keeps every character equally likely.
        let limit = u8::try_from(256 - 256 % ALPHABET.len()).unwrap_or(0);
        if byte[0] < limit {
            code.push(char::from(ALPHABET[usize::from(byte[0]) % ALPHABET.len()]));
        }
    }
    Ok(SecretString::from(code))
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn sealed_secrets_open_only_with_the_same_key_and_context() {
        let sealer = SecretSealer::from_hex(&SecretSealer::generate_key_hex().expect("key"))
            .expect("valid key");
        let ciphertext = sealer.seal("12345678", "995149/99514901").expect("seal");
        assert!(!ciphertext.windows(8).any(|w| w == b"12345678"));
        let opened = sealer.open(&ciphertext, "995149/99514901").expect("open");
        assert_eq!(opened.expose_secret(), "12345678");
        assert_eq!(
            sealer.open(&ciphertext, "995149/99514902").err(),
            Some(SealError::Unreadable)
        );
        let other = SecretSealer::from_hex(&SecretSealer::generate_key_hex().expect("key"))
            .expect("valid key");
        assert_eq!(
            other.open(&ciphertext, "995149/99514901").err(),
            Some(SealError::Unreadable)
        );
    }

    #[test]
    fn keys_must_be_32_bytes_of_hex() {
        assert_eq!(
            SecretSealer::from_hex("abcd").err(),
            Some(SealError::BadKey)
        );
        assert_eq!(
            SecretSealer::from_hex(&"zz".repeat(32)).err(),
            Some(SealError::BadKey)
        );
    }

    #[test]
    fn generated_secure_codes_are_16_alphanumerics() {
        let code = generate_secure_code().expect("random");
        assert_eq!(code.expose_secret().len(), 16);
        assert!(code
            .expose_secret()
            .bytes()
            .all(|b| b.is_ascii_alphanumeric()));
    }
}
