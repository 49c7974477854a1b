//! Scaling the plan's database from Done: a preview, then the scale with its news.

use tauri::{ipc::Channel, State};

use onramp_backend::Backend;
use onramp_onboarding::{
    scale::{ScalePreview, ScaleProgress, Size},
    AppError,
};

/// The size's problems at their fields and the monthly cost before and after; sends nothing.
#[tauri::command]
#[specta::specta]
pub async fn scale_preview(
    state: State<'_, Backend>,
    plan_id: String,
    target: Size,
) -> Result<ScalePreview, AppError> {
    state.scale_preview(plan_id, target).await
}

/// Scales to `target` (or goes on with the scale under way when it is null), sending each
/// change to `on_progress`; answers the size reached.
#[tauri::command]
#[specta::specta]
pub async fn scale_database(
    state: State<'_, Backend>,
    plan_id: String,
    target: Option<Size>,
    on_progress: Channel<ScaleProgress>,
) -> Result<Size, AppError> {
    let send = |p: &ScaleProgress| drop(on_progress.send(p.clone()));
    state.scale_database(plan_id, target, send).await
}
