//! The plan as an `ibmcloud` script or a Terraform configuration, and saving one to a file.

use tauri::State;

use onramp_backend::Backend;
use onramp_onboarding::{
    export::{ExportFormat, PlanExport},
    plan::DraftPlan,
    AppError,
};

/// The plan in `format`; after apply, Terraform's also imports what the plan made.
#[tauri::command]
#[specta::specta]
pub async fn export_plan(
    state: State<'_, Backend>,
    plan: DraftPlan,
    format: ExportFormat,
) -> Result<PlanExport, AppError> {
    state.export_plan(plan, format).await
}

/// Writes the export to the file the user typed; returns the full path written.
#[tauri::command]
#[specta::specta]
pub async fn save_export(
    state: State<'_, Backend>,
    plan: DraftPlan,
    format: ExportFormat,
    path: String,
) -> Result<String, AppError> {
    state.save_export(plan, format, path).await
}
