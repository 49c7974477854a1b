//! The Account step: Sandbox or IBM Cloud, the API key, and who it belongs to. The key
//! travels from the window to the back end once, on connect; it never travels back. Every
//! change is also announced to the window.

use tauri::{AppHandle, State};

use onramp_backend::{AccountStatus, Backend};
use onramp_onboarding::AppError;

use crate::events::announce;

/// The saved mode, signed in (the sandbox started if it is the mode).
#[tauri::command]
#[specta::specta]
pub async fn account_status(
    app: AppHandle,
    state: State<'_, Backend>,
) -> Result<AccountStatus, AppError> {
    Ok(announce(&app, state.account_status().await))
}

/// Switches to the sandbox and signs in to it.
#[tauri::command]
#[specta::specta]
pub async fn use_sandbox(
    app: AppHandle,
    state: State<'_, Backend>,
) -> Result<AccountStatus, AppError> {
    Ok(announce(&app, state.use_sandbox().await?))
}

/// Switches to IBM Cloud, signed in with the stored key if there is one.
#[tauri::command]
#[specta::specta]
pub async fn use_ibm_cloud(
    app: AppHandle,
    state: State<'_, Backend>,
) -> Result<AccountStatus, AppError> {
    Ok(announce(&app, state.use_ibm_cloud().await?))
}

/// Checks the API key with IAM, keeps it in the keychain once accepted, and switches to
/// IBM Cloud. A refused key changes nothing; its error names the `apiKey` field.
#[tauri::command]
#[specta::specta]
pub async fn connect_ibm_cloud(
    app: AppHandle,
    state: State<'_, Backend>,
    api_key: String,
) -> Result<AccountStatus, AppError> {
    Ok(announce(&app, state.connect_ibm_cloud(api_key).await?))
}

/// Removes the stored key from the keychain.
#[tauri::command]
#[specta::specta]
pub async fn forget_api_key(
    app: AppHandle,
    state: State<'_, Backend>,
) -> Result<AccountStatus, AppError> {
    Ok(announce(&app, state.forget_api_key().await?))
}
