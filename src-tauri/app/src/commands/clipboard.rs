//! Copy a password: from the keychain to the clipboard, never through the window, and off
//! the clipboard a minute later if it is still there.

use std::sync::Arc;

use tauri::{AppHandle, State};

use onramp_backend::Backend;
use onramp_onboarding::{clipboard::PasswordOf, AppError};

use crate::clipboard::Platform;

/// Copies one of the plan's passwords to the clipboard; the window never sees it.
#[tauri::command]
#[specta::specta]
pub async fn copy_password(
    app: AppHandle,
    state: State<'_, Backend>,
    plan_id: String,
    which: PasswordOf,
) -> Result<(), AppError> {
    state
        .copy_password(plan_id, which, Arc::new(Platform::new(app)))
        .await
}
