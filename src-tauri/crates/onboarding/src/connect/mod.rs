//! What the Connect step needs: the way in (`target`), the doctor and why a hop is down
//! (`diagnose`), the commands to copy (`commands`), and the first query (`query`).
//!
//! Secrets (the SSH login key, the credential's password) are read from the keychain and
//! handed only to the tunnel and the PostgreSQL session; nothing this module returns to the
//! window carries one.

mod commands;
mod diagnose;
mod query;
mod target;

pub use crate::connectivity::options::{connectivity_options, ConnectivityOptions};
pub use commands::*;
pub use diagnose::*;
pub use query::*;
pub use target::*;
