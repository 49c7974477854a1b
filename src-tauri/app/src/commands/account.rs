//! The Account step: Sandbox or IBM Cloud, the API key, and who it belongs to. The key
//! travels from the window to here once, on connect; it never travels back.

use serde::Serialize;
use specta::Type;
use tauri::{AppHandle, State};
use tauri_specta::Event;

use onramp_onboarding::{
    account::{self, Account, Session},
    settings::{Mode, Settings},
    AppError,
};

use onramp_secrets::Sensitive;

use crate::{
    events::AccountChanged,
    state::{load_settings, save_settings, AppState, BuildKind},
};

/// What the Account step shows: the chosen mode, the signed-in account if any, and a
/// problem to explain when signing in with a stored key failed.
#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct AccountStatus {
    pub mode: Mode,
    pub account: Option<Account>,
    pub problem: Option<AppError>,
    pub endpoints_override: Option<String>,
    pub build: BuildKind,
}

/// Signs in for `mode`: the sandbox with its own key, IBM Cloud with the stored key.
async fn sign_in(state: &AppState, mode: Mode) -> Result<Option<Session>, AppError> {
    match mode {
        Mode::Sandbox => state.sandbox_session().await.map(Some),
        Mode::IbmCloud => {
            account::restore(&state.http, &state.keychain, &state.ibm_cloud_endpoints()?).await
        }
    }
}

/// Records the outcome of signing in, tells the window, and returns what it shows.
async fn settle(
    app: &AppHandle,
    state: &AppState,
    mode: Mode,
    signed_in: Result<Option<Session>, AppError>,
) -> AccountStatus {
    let (account, problem) = match signed_in {
        Ok(session) => {
            let account = session.as_ref().map(|s| s.account.clone());
            *state.session.lock().await = session;
            (account, None)
        }
        Err(error) => {
            *state.session.lock().await = None;
            (None, Some(error))
        }
    };
    let status = AccountStatus {
        mode,
        account,
        problem,
        endpoints_override: state.endpoints_override_note(),
        build: state.build,
    };
    let _ = AccountChanged {
        status: status.clone(),
    }
    .emit(app);
    status
}

/// Saves `mode` as the user's choice and signs in for it.
async fn switch_to(
    app: &AppHandle,
    state: &AppState,
    mode: Mode,
) -> Result<AccountStatus, AppError> {
    save_settings(app, &Settings { mode })?;
    Ok(settle(app, state, mode, sign_in(state, mode).await).await)
}

/// The saved mode and its account (signing in with the stored key or the sandbox).
#[tauri::command]
#[specta::specta]
pub async fn account_status(
    app: AppHandle,
    state: State<'_, AppState>,
) -> Result<AccountStatus, AppError> {
    let mode = load_settings(&app).mode;
    Ok(settle(&app, &state, mode, sign_in(&state, mode).await).await)
}

/// Switches to the local sandbox: no account needed, nothing billed.
#[tauri::command]
#[specta::specta]
pub async fn use_sandbox(
    app: AppHandle,
    state: State<'_, AppState>,
) -> Result<AccountStatus, AppError> {
    switch_to(&app, &state, Mode::Sandbox).await
}

/// Switches to IBM Cloud, signing in with the stored key if there is one.
#[tauri::command]
#[specta::specta]
pub async fn use_ibm_cloud(
    app: AppHandle,
    state: State<'_, AppState>,
) -> Result<AccountStatus, AppError> {
    switch_to(&app, &state, Mode::IbmCloud).await
}

/// Checks `api_key` with IAM and, once IAM accepted it, stores it in the OS keychain.
/// On any failure nothing is stored and the mode is unchanged.
#[tauri::command]
#[specta::specta]
pub async fn connect_ibm_cloud(
    app: AppHandle,
    state: State<'_, AppState>,
    api_key: String,
) -> Result<AccountStatus, AppError> {
    let api_key = Sensitive::new(api_key);
    let endpoints = state.ibm_cloud_endpoints()?;
    let session =
        account::connect_with_key(&state.http, &state.keychain, &endpoints, api_key.expose())
            .await?;
    save_settings(
        &app,
        &Settings {
            mode: Mode::IbmCloud,
        },
    )?;
    Ok(settle(&app, &state, Mode::IbmCloud, Ok(Some(session))).await)
}

/// Deletes the stored API key and signs out of IBM Cloud.
#[tauri::command]
#[specta::specta]
pub async fn forget_api_key(
    app: AppHandle,
    state: State<'_, AppState>,
) -> Result<AccountStatus, AppError> {
    account::forget(&state.keychain).await?;
    let mode = load_settings(&app).mode;
    Ok(settle(&app, &state, mode, sign_in(&state, mode).await).await)
}
