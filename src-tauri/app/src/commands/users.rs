//! Users: the database's service credentials (Manager, Writer) with their passwords in the
//! keychain, its roles as `pg_roles` reports them, login roles made from a recipe, and
//! password changes. SQL runs as the plan's Manager credential through its tunnel. What
//! Onramp keeps in the keychain is journalled, so teardown removes it.

use tauri::State;

use onramp_onboarding::{
    journal::Journal,
    users::{self, CredentialInfo, CredentialRole, Recipe, RoleRow, SqlChange},
    AppError, ErrorCode,
};
use onramp_secrets::Sensitive;

use crate::{
    commands::{
        connect::manager_session,
        provision::{open_journal, read_journal},
    },
    state::AppState,
};

/// Opens the plan's journal for a change, refusing while apply or teardown runs on it (one
/// writer at a time).
async fn journal_for_change(state: &AppState, plan_id: &str) -> Result<Journal, AppError> {
    if state.jobs.busy(plan_id) {
        return Err(AppError::new(
            ErrorCode::Conflict,
            "The plan is being applied or torn down.",
        )
        .hint("Wait until the Provision step shows it finished."));
    }
    let journal = open_journal(state, plan_id).await?;
    if journal.state().teardown_started {
        return Err(AppError::new(
            ErrorCode::Conflict,
            "This plan is being torn down; nothing new is made for it.",
        ));
    }
    Ok(journal)
}

/// The database's service credentials, the plan's own Manager first.
#[tauri::command]
#[specta::specta]
pub async fn list_credentials(
    state: State<'_, AppState>,
    plan_id: String,
) -> Result<Vec<CredentialInfo>, AppError> {
    let session = state.signed_in().await?;
    let journal = read_journal(&state, &plan_id).await?;
    users::list_credentials(&session.cloud(&state.http), &journal, &state.keychain).await
}

/// Creates a Manager or Writer credential; its password goes straight to the keychain.
#[tauri::command]
#[specta::specta]
pub async fn create_credential(
    state: State<'_, AppState>,
    plan_id: String,
    name: String,
    role: CredentialRole,
) -> Result<CredentialInfo, AppError> {
    let session = state.signed_in().await?;
    let mut journal = journal_for_change(&state, &plan_id).await?;
    users::create_credential(
        &session.cloud(&state.http),
        &mut journal,
        &state.keychain,
        &name,
        role,
    )
    .await
}

/// Deletes a credential and its keychain entry.
#[tauri::command]
#[specta::specta]
pub async fn delete_credential(
    state: State<'_, AppState>,
    plan_id: String,
    guid: String,
) -> Result<(), AppError> {
    let session = state.signed_in().await?;
    let mut journal = journal_for_change(&state, &plan_id).await?;
    users::delete_credential(
        &session.cloud(&state.http),
        &mut journal,
        &state.keychain,
        &guid,
    )
    .await
}

/// A credential's password from the keychain, sent only when the user asks (Reveal, Copy).
#[tauri::command]
#[specta::specta]
pub async fn credential_password(
    state: State<'_, AppState>,
    plan_id: String,
    guid: String,
) -> Result<String, AppError> {
    read_journal(&state, &plan_id).await?;
    Ok(users::credential_password(&state.keychain, &guid)
        .await?
        .expose()
        .clone())
}

/// The roles as `pg_roles` reports them (PostgreSQL's predefined `pg_*` only if asked).
#[tauri::command]
#[specta::specta]
pub async fn list_roles(
    state: State<'_, AppState>,
    plan_id: String,
    key_file: Option<String>,
    predefined: bool,
) -> Result<Vec<RoleRow>, AppError> {
    let session = manager_session(&state, &plan_id, key_file.as_deref()).await?;
    users::list_roles(session.client(), predefined).await
}

/// The `ALTER ROLE` a password change runs, password masked, for the user to read first.
#[tauri::command]
#[specta::specta]
pub async fn preview_password_sql(role: String) -> Result<String, AppError> {
    Ok(users::password_sql(&role, None))
}

/// The statements a recipe will run, password masked, for the user to read first.
#[tauri::command]
#[specta::specta]
pub async fn preview_user_sql(role: String, recipe: Recipe) -> Result<Vec<String>, AppError> {
    let (mut first, then) = users::recipe_sql(&role, &recipe, None);
    first.extend(then);
    Ok(first)
}

fn check_typed(password: Option<String>, role: &str) -> Result<Sensitive<String>, AppError> {
    match password.filter(|p| !p.is_empty()) {
        Some(typed) => match users::check_password(&typed, role) {
            Some(problem) => Err(problem),
            None => Ok(Sensitive::new(typed)),
        },
        None => Ok(Sensitive::new(users::generate_password())),
    }
}

/// Creates a login role from a recipe as the Manager. The password (generated unless typed)
/// is in the keychain before the role is committed; a failure leaves nothing behind.
#[tauri::command]
#[specta::specta]
pub async fn create_sql_user(
    state: State<'_, AppState>,
    plan_id: String,
    key_file: Option<String>,
    role: String,
    recipe: Recipe,
    password: Option<String>,
) -> Result<SqlChange, AppError> {
    let password = check_typed(password, &role)?;
    let mut journal = journal_for_change(&state, &plan_id).await?;
    let session = manager_session(&state, &plan_id, key_file.as_deref()).await?;
    users::create_sql_user(
        &mut journal,
        &state.keychain,
        session.client(),
        &role,
        &recipe,
        &password,
    )
    .await
}

/// `ALTER ROLE … WITH PASSWORD` as the Manager; the keychain is updated only after
/// PostgreSQL accepted the new password (the credential's entry for a credential's user,
/// else the SQL user's entry, journalled when it is new).
#[tauri::command]
#[specta::specta]
pub async fn change_password(
    state: State<'_, AppState>,
    plan_id: String,
    key_file: Option<String>,
    role: String,
    password: Option<String>,
) -> Result<SqlChange, AppError> {
    let password = check_typed(password, &role)?;
    let mut journal = journal_for_change(&state, &plan_id).await?;
    let cloud = state.signed_in().await?.cloud(&state.http);
    let session = manager_session(&state, &plan_id, key_file.as_deref()).await?;
    users::change_user_password(
        &mut journal,
        &state.keychain,
        &cloud,
        session.client(),
        &role,
        &password,
    )
    .await
}

/// A SQL user's password from the keychain, sent only when the user asks.
#[tauri::command]
#[specta::specta]
pub async fn sql_user_password(
    state: State<'_, AppState>,
    plan_id: String,
    role: String,
) -> Result<String, AppError> {
    let journal = read_journal(&state, &plan_id).await?;
    Ok(users::sql_user_password(&journal, &state.keychain, &role)
        .await?
        .expose()
        .clone())
}
