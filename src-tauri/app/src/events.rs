//! Events the back end emits to the window.

use serde::Serialize;
use specta::Type;
use tauri::AppHandle;
use tauri_specta::Event;

use onramp_backend::AccountStatus;

/// The account, its mode or its stored key changed.
#[derive(Debug, Clone, Serialize, Type, Event)]
#[serde(rename_all = "camelCase")]
pub struct AccountChanged {
    pub status: AccountStatus,
}

/// Tells the window the account's status, and answers it.
pub fn announce(app: &AppHandle, status: AccountStatus) -> AccountStatus {
    let _ = AccountChanged {
        status: status.clone(),
    }
    .emit(app);
    status
}
