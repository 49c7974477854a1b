//! What the app says about itself: problems found while starting (a log folder it cannot
//! write, a draft it could not read) that did not stop the window from opening.

use tauri::State;

use onramp_backend::{Backend, StartupProblem};
use onramp_onboarding::AppError;

/// Everything wrong that the window should show at the top.
#[tauri::command]
#[specta::specta]
pub async fn startup_problems(state: State<'_, Backend>) -> Result<Vec<StartupProblem>, AppError> {
    Ok(state.problems())
}
