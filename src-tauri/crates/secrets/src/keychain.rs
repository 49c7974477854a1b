//! OS keychain access: save, read and delete one secret by name. Entries are namespaced by
//! the app's identifier, which differs between dev, test and release builds, so a test run
//! never reads or overwrites a user's real key. On Linux this is the Secret Service over
//! D-Bus (gnome-keyring, KWallet); a missing or locked keyring becomes `Unavailable`, which
//! the UI explains, rather than a generic failure.

use keyring::{Entry, Error as KeyringError};

use crate::Sensitive;

#[derive(Debug, thiserror::Error)]
pub enum KeychainError {
    /// No keychain can be reached, or it refused access (locked, no Secret Service running).
    #[error("the system keychain is not available: {0}")]
    Unavailable(String),
    /// The keychain answered but the operation failed.
    #[error("the system keychain failed: {0}")]
    Failed(String),
}

/// The keychain entries of one app identifier.
#[derive(Debug, Clone)]
pub struct Keychain {
    service: String,
}

impl Keychain {
    /// `service` is the app identifier, e.g. `cloud.onramp.desktop.test`.
    pub fn new(service: impl Into<String>) -> Self {
        Keychain {
            service: service.into(),
        }
    }

    pub fn service(&self) -> &str {
        &self.service
    }

    fn entry(&self, name: &str) -> Result<Entry, KeychainError> {
        Entry::new(&self.service, name).map_err(classify)
    }

    /// Stores `secret` under `name`, replacing any previous value.
    pub fn save(&self, name: &str, secret: &Sensitive<String>) -> Result<(), KeychainError> {
        self.entry(name)?
            .set_password(secret.expose())
            .map_err(classify)?;
        tracing::info!(service = %self.service, name, "secret saved to keychain");
        Ok(())
    }

    /// The secret under `name`, or `None` when there is no such entry.
    pub fn read(&self, name: &str) -> Result<Option<Sensitive<String>>, KeychainError> {
        match self.entry(name)?.get_password() {
            Ok(value) => Ok(Some(Sensitive::new(value))),
            Err(KeyringError::NoEntry) => Ok(None),
            Err(other) => Err(classify(other)),
        }
    }

    /// Deletes the entry; returns whether there was one.
    pub fn delete(&self, name: &str) -> Result<bool, KeychainError> {
        match self.entry(name)?.delete_credential() {
            Ok(()) => {
                tracing::info!(service = %self.service, name, "secret deleted from keychain");
                Ok(true)
            }
            Err(KeyringError::NoEntry) => Ok(false),
            Err(other) => Err(classify(other)),
        }
    }
}

fn classify(error: KeyringError) -> KeychainError {
    match error {
        KeyringError::NoStorageAccess(inner) => KeychainError::Unavailable(inner.to_string()),
        // The Secret Service backend reports "no D-Bus session" and "no such service" as
        // platform failures; to a user both mean the keychain is not there.
        KeyringError::PlatformFailure(inner) => KeychainError::Unavailable(inner.to_string()),
        other => KeychainError::Failed(other.to_string()),
    }
}
