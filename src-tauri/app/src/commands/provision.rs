//! Provision and teardown: apply a reviewed plan, watch it, resume it, cancel it, and tear
//! it down. Progress reaches the window over a Channel per job.

use tauri::{ipc::Channel, State};

use onramp_backend::Backend;
use onramp_onboarding::{
    engine::{PlanProgress, TeardownItem},
    plan::DraftPlan,
    plans::DamagedJournal,
    AppError,
};

use crate::channels;

/// Applies a reviewed plan: checks it again (a problem refuses it, at its field), writes
/// the journal's first record (or amends an earlier one), and starts the engine. Returns
/// the first progress; the rest arrives on `on_progress`.
#[tauri::command]
#[specta::specta]
pub async fn apply_plan(
    state: State<'_, Backend>,
    plan: DraftPlan,
    on_progress: Channel<PlanProgress>,
) -> Result<PlanProgress, AppError> {
    Ok(channels::plan(state.apply_plan(plan).await?, on_progress))
}

/// Every plan Onramp has applied and not finished tearing down, newest first: running,
/// interrupted (to resume), failed, or provisioned.
#[tauri::command]
#[specta::specta]
pub async fn list_plans(state: State<'_, Backend>) -> Result<Vec<PlanProgress>, AppError> {
    Ok(state.list_plans().await)
}

/// Journals Onramp cannot read: their plans may still have resources that bill.
#[tauri::command]
#[specta::specta]
pub async fn damaged_journals(state: State<'_, Backend>) -> Result<Vec<DamagedJournal>, AppError> {
    Ok(state.damaged_journals())
}

/// Streams the progress of a plan: live if it runs, else its journal's picture.
#[tauri::command]
#[specta::specta]
pub async fn watch_plan(
    state: State<'_, Backend>,
    plan_id: String,
    on_progress: Channel<PlanProgress>,
) -> Result<PlanProgress, AppError> {
    Ok(channels::plan(
        state.watch_plan(plan_id).await?,
        on_progress,
    ))
}

/// Carries on with an interrupted or cancelled plan: adopts what exists, polls what is in
/// flight, and (if `retry_failed`) tries failed steps again. Never creates a second copy.
#[tauri::command]
#[specta::specta]
pub async fn resume_plan(
    state: State<'_, Backend>,
    plan_id: String,
    retry_failed: bool,
    on_progress: Channel<PlanProgress>,
) -> Result<PlanProgress, AppError> {
    Ok(channels::plan(
        state.resume_plan(plan_id, retry_failed).await?,
        on_progress,
    ))
}

/// Stops a running job after the call in flight; its journal keeps it resumable.
#[tauri::command]
#[specta::specta]
pub async fn cancel_plan(state: State<'_, Backend>, plan_id: String) -> Result<(), AppError> {
    state.cancel_plan(plan_id)
}

/// What teardown would delete, in order, and what deleting each means.
#[tauri::command]
#[specta::specta]
pub async fn teardown_preview(
    state: State<'_, Backend>,
    plan_id: String,
) -> Result<Vec<TeardownItem>, AppError> {
    state.teardown_preview(plan_id).await
}

/// Deletes everything the plan created, in reverse order, after the preview was shown.
#[tauri::command]
#[specta::specta]
pub async fn teardown_plan(
    state: State<'_, Backend>,
    plan_id: String,
    on_progress: Channel<PlanProgress>,
) -> Result<PlanProgress, AppError> {
    Ok(channels::plan(
        state.teardown_plan(plan_id).await?,
        on_progress,
    ))
}

/// What Done shows of a finished plan: everything it made (id, location, state, console
/// link), its monthly cost, where its secrets live, and what it left out.
#[tauri::command]
#[specta::specta]
pub async fn plan_summary(
    state: State<'_, Backend>,
    plan_id: String,
) -> Result<onramp_onboarding::done::PlanSummary, AppError> {
    state.plan_summary(plan_id).await
}
