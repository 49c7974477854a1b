//! Events the back end emits to the window.

use serde::Serialize;
use specta::Type;
use tauri_specta::Event;

use crate::commands::account::AccountStatus;

/// The account, its mode or its stored key changed.
#[derive(Debug, Clone, Serialize, Type, Event)]
#[serde(rename_all = "camelCase")]
pub struct AccountChanged {
    pub status: AccountStatus,
}
