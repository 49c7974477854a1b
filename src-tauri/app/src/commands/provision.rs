//! Provision and teardown: apply a reviewed plan, watch it, resume it, cancel it, and tear
//! it down. Progress reaches the window over a Channel per job; the work is the
//! `onboarding` engine, whose journal survives the app closing.

use tauri::{ipc::Channel, State};

use onramp_onboarding::{
    engine::{self, Activity, EngineContext, PlanProgress, TeardownItem},
    jobs::Begun,
    journal::journal_dir,
    plans::{self, DamagedJournal, Owner},
    AppError, ErrorCode,
};

use crate::{commands::plan::current_offerings, state::AppState};

/// Sends every progress change to `channel` until the job ends or the window goes;
/// returns the progress now.
fn forward(
    mut progress: tokio::sync::watch::Receiver<PlanProgress>,
    channel: Channel<PlanProgress>,
) -> PlanProgress {
    let now = progress.borrow_and_update().clone();
    let _ = channel.send(now.clone());
    tauri::async_runtime::spawn(async move {
        while progress.changed().await.is_ok() {
            let next = progress.borrow_and_update().clone();
            if channel.send(next).is_err() {
                return;
            }
        }
    });
    now
}

async fn context(state: &AppState) -> Result<EngineContext, AppError> {
    let session = state.signed_in().await?;
    Ok(EngineContext {
        cloud: session.cloud(&state.http),
        keychain: state.keychain.clone(),
        timing: state.timing(&session),
    })
}

/// Who is signed in, as the journals know an owner.
async fn owner(state: &AppState) -> Result<(onramp_onboarding::settings::Mode, String), AppError> {
    let session = state.signed_in().await?;
    Ok((session.account.mode, session.account.account_id.clone()))
}

/// Opens a plan's journal for a change (under its lock), refusing one that belongs to
/// another account.
pub(crate) async fn open_journal(
    state: &AppState,
    plan_id: &str,
) -> Result<onramp_onboarding::journal::Journal, AppError> {
    let (mode, account_id) = owner(state).await?;
    plans::open(
        &journal_dir(&state.data_dir),
        plan_id,
        Owner {
            mode,
            account_id: &account_id,
        },
    )
}

/// Reads a plan's journal (no lock), refusing one that belongs to another account.
pub(crate) async fn read_journal(
    state: &AppState,
    plan_id: &str,
) -> Result<onramp_onboarding::journal::JournalState, AppError> {
    let (mode, account_id) = owner(state).await?;
    plans::read(
        &journal_dir(&state.data_dir),
        plan_id,
        Owner {
            mode,
            account_id: &account_id,
        },
    )
}

/// Applies a reviewed plan: checks it again (a problem refuses it, at its field), writes
/// the journal's first record (or amends an earlier one), and starts the engine. Returns
/// the first progress; the rest arrives on `on_progress`.
#[tauri::command]
#[specta::specta]
pub async fn apply_plan(
    state: State<'_, AppState>,
    plan: onramp_onboarding::plan::DraftPlan,
    on_progress: Channel<PlanProgress>,
) -> Result<PlanProgress, AppError> {
    let reserved = match state.jobs.begin(&plan.id)? {
        Begun::Running(progress) => return Ok(forward(progress, on_progress)),
        Begun::Reserved(reserved) => reserved,
    };
    let (mode, account_id) = owner(&state).await?;
    let cloud = state.signed_in().await?.cloud(&state.http);
    let offerings = current_offerings(&state).await?;
    let dir = journal_dir(&state.data_dir);
    let journal = plans::prepare_apply(
        &cloud,
        &dir,
        Owner {
            mode,
            account_id: &account_id,
        },
        &plan,
        &offerings,
    )
    .await?;
    let job = engine::apply(context(&state).await?, journal, false);
    Ok(forward(reserved.start(job), on_progress))
}

/// Every plan Onramp has applied and not finished tearing down, newest first: running,
/// interrupted (to resume), failed, or provisioned.
#[tauri::command]
#[specta::specta]
pub async fn list_plans(state: State<'_, AppState>) -> Result<Vec<PlanProgress>, AppError> {
    let timing = match state.signed_in().await.ok() {
        Some(s) => state.timing(&s),
        None => engine::Timing::ibm_cloud(),
    };
    Ok(plans::list(
        &journal_dir(&state.data_dir),
        |id| state.jobs.progress(id).map(|p| p.borrow().clone()),
        &timing,
    ))
}

/// Journals Onramp cannot read: their plans may still have resources that bill.
#[tauri::command]
#[specta::specta]
pub async fn damaged_journals(state: State<'_, AppState>) -> Result<Vec<DamagedJournal>, AppError> {
    Ok(plans::damaged(&journal_dir(&state.data_dir)))
}

/// Streams the progress of a plan: live if it runs, else its journal's picture.
#[tauri::command]
#[specta::specta]
pub async fn watch_plan(
    state: State<'_, AppState>,
    plan_id: String,
    on_progress: Channel<PlanProgress>,
) -> Result<PlanProgress, AppError> {
    if let Some(progress) = state.jobs.progress(&plan_id) {
        return Ok(forward(progress, on_progress));
    }
    let journal = read_journal(&state, &plan_id).await?;
    let session = state.signed_in().await?;
    let progress = engine::progress_of(&journal, &state.timing(&session));
    let _ = on_progress.send(progress.clone());
    Ok(progress)
}

/// Carries on with an interrupted or cancelled plan: adopts what exists, polls what is in
/// flight, and (if `retry_failed`) tries failed steps again. Never creates a second copy.
#[tauri::command]
#[specta::specta]
pub async fn resume_plan(
    state: State<'_, AppState>,
    plan_id: String,
    retry_failed: bool,
    on_progress: Channel<PlanProgress>,
) -> Result<PlanProgress, AppError> {
    let reserved = match state.jobs.begin(&plan_id)? {
        Begun::Running(progress) => return Ok(forward(progress, on_progress)),
        Begun::Reserved(reserved) => reserved,
    };
    let (mode, account_id) = owner(&state).await?;
    let journal = plans::prepare_resume(
        &journal_dir(&state.data_dir),
        &plan_id,
        Owner {
            mode,
            account_id: &account_id,
        },
    )?;
    let job = engine::apply(context(&state).await?, journal, retry_failed);
    Ok(forward(reserved.start(job), on_progress))
}

/// Stops a running job after the call in flight; its journal keeps it resumable.
#[tauri::command]
#[specta::specta]
pub async fn cancel_plan(state: State<'_, AppState>, plan_id: String) -> Result<(), AppError> {
    if state.jobs.cancel(&plan_id) {
        Ok(())
    } else {
        Err(AppError::new(
            ErrorCode::NotFound,
            "Nothing is running for this plan.",
        ))
    }
}

/// What teardown would delete, in order, and what deleting each means.
#[tauri::command]
#[specta::specta]
pub async fn teardown_preview(
    state: State<'_, AppState>,
    plan_id: String,
) -> Result<Vec<TeardownItem>, AppError> {
    Ok(engine::teardown_preview(
        &read_journal(&state, &plan_id).await?,
    ))
}

/// Deletes everything the plan created, in reverse order, after the preview was shown.
#[tauri::command]
#[specta::specta]
pub async fn teardown_plan(
    state: State<'_, AppState>,
    plan_id: String,
    on_progress: Channel<PlanProgress>,
) -> Result<PlanProgress, AppError> {
    let reserved = match state.jobs.begin(&plan_id)? {
        Begun::Running(progress) if progress.borrow().activity == Activity::Applying => {
            return Err(
                AppError::new(ErrorCode::Conflict, "This plan is still being applied.")
                    .hint("Cancel it first, then tear it down."),
            )
        }
        Begun::Running(progress) => return Ok(forward(progress, on_progress)),
        Begun::Reserved(reserved) => reserved,
    };
    let journal = open_journal(&state, &plan_id).await?;
    let job = engine::teardown(context(&state).await?, journal);
    Ok(forward(reserved.start(job), on_progress))
}
