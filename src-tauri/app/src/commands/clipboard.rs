//! Copy a password: from the keychain to the clipboard, never through the window, and off
//! the clipboard a minute later if it is still there.

use std::sync::Arc;

use tauri::{AppHandle, State};

use onramp_onboarding::{
    clipboard::{self, PasswordOf},
    AppError,
};

use crate::{clipboard::Platform, commands::provision::read_journal, state::AppState};

/// Copies one of the plan's passwords to the clipboard; the window never sees it.
#[tauri::command]
#[specta::specta]
pub async fn copy_password(
    app: AppHandle,
    state: State<'_, AppState>,
    plan_id: String,
    which: PasswordOf,
) -> Result<(), AppError> {
    let journal = read_journal(&state, &plan_id).await?;
    let password = clipboard::password_of(&journal, &state.keychain, &which).await?;
    clipboard::copy_then_clear(
        Arc::new(Platform::new(app)),
        password,
        clipboard::clear_after(),
    )
    .await
}
