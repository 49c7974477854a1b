//! Users: the database's service credentials (Manager, Writer) with their passwords in the
//! keychain, its roles as `pg_roles` reports them, login roles made from a recipe, and
//! password changes. SQL runs as the plan's Manager credential through its tunnel.

use tauri::State;

use onramp_backend::Backend;
use onramp_onboarding::{
    users::{self, CredentialInfo, CredentialRole, Recipe, RoleRow, SqlChange},
    AppError,
};

/// The database's service credentials, the plan's own Manager first.
#[tauri::command]
#[specta::specta]
pub async fn list_credentials(
    state: State<'_, Backend>,
    plan_id: String,
) -> Result<Vec<CredentialInfo>, AppError> {
    state.list_credentials(plan_id).await
}

/// Creates a Manager or Writer credential; its password goes straight to the keychain.
#[tauri::command]
#[specta::specta]
pub async fn create_credential(
    state: State<'_, Backend>,
    plan_id: String,
    name: String,
    role: CredentialRole,
) -> Result<CredentialInfo, AppError> {
    state.create_credential(plan_id, name, role).await
}

/// Deletes a credential and its keychain entry.
#[tauri::command]
#[specta::specta]
pub async fn delete_credential(
    state: State<'_, Backend>,
    plan_id: String,
    guid: String,
) -> Result<(), AppError> {
    state.delete_credential(plan_id, guid).await
}

/// A credential's password from the keychain, sent only when the user asks to see it.
#[tauri::command]
#[specta::specta]
pub async fn credential_password(
    state: State<'_, Backend>,
    plan_id: String,
    guid: String,
) -> Result<String, AppError> {
    state.credential_password(plan_id, guid).await
}

/// The roles as `pg_roles` reports them (PostgreSQL's predefined `pg_*` only if asked).
#[tauri::command]
#[specta::specta]
pub async fn list_roles(
    state: State<'_, Backend>,
    plan_id: String,
    key_file: Option<String>,
    predefined: bool,
) -> Result<Vec<RoleRow>, AppError> {
    state.list_roles(plan_id, key_file, predefined).await
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
    Ok(users::recipe_preview(&role, &recipe))
}

/// Creates a login role from a recipe as the Manager. The password (generated unless typed)
/// is in the keychain before the role is committed; a failure leaves nothing behind.
#[tauri::command]
#[specta::specta]
pub async fn create_sql_user(
    state: State<'_, Backend>,
    plan_id: String,
    key_file: Option<String>,
    role: String,
    recipe: Recipe,
    password: Option<String>,
) -> Result<SqlChange, AppError> {
    state
        .create_sql_user(plan_id, key_file, role, recipe, password)
        .await
}

/// `ALTER ROLE … WITH PASSWORD` as the Manager, in one transaction with the keychain's
/// update (the credential's entry for a credential's user, else the SQL user's entry,
/// journalled when it is new).
#[tauri::command]
#[specta::specta]
pub async fn change_password(
    state: State<'_, Backend>,
    plan_id: String,
    key_file: Option<String>,
    role: String,
    password: Option<String>,
) -> Result<SqlChange, AppError> {
    state
        .change_password(plan_id, key_file, role, password)
        .await
}

/// A SQL user's password from the keychain, sent only when the user asks to see it.
#[tauri::command]
#[specta::specta]
pub async fn sql_user_password(
    state: State<'_, Backend>,
    plan_id: String,
    role: String,
) -> Result<String, AppError> {
    state.sql_user_password(plan_id, role).await
}
