//! Basics' "Use a database I already have".

use tauri::State;

use onramp_backend::Backend;
use onramp_onboarding::{existing::DatabaseListing, plan::DraftPlan, AppError};

/// The account's Gen 2 PostgreSQL databases, in every location.
#[tauri::command]
#[specta::specta]
pub async fn existing_databases(
    state: State<'_, Backend>,
) -> Result<Vec<DatabaseListing>, AppError> {
    state.existing_databases().await
}

/// The plan made to use `database`, or to make its own again when it is null.
#[tauri::command]
#[specta::specta]
pub fn choose_existing_database(
    state: State<'_, Backend>,
    plan: DraftPlan,
    database: Option<DatabaseListing>,
) -> DraftPlan {
    state.choose_existing_database(plan, database)
}
