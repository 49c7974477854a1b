//! Secrets: the one place Onramp touches the OS keychain, and the `Sensitive<T>` type that
//! keeps API keys, passwords and tokens out of logs, errors and IPC replies.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

mod keychain;
mod sensitive;

pub use keychain::{Keychain, KeychainError};
pub use sensitive::Sensitive;
