//! Provision and teardown: apply a reviewed plan, watch it, resume it, cancel it, and tear
//! it down. Progress reaches the window over a Channel per job; the work is the
//! `onboarding` engine, whose journal survives the app closing.

use tauri::{ipc::Channel, State};

use onramp_onboarding::{
    engine::{self, EngineContext, Job, PlanProgress, TeardownItem},
    journal::{journal_dir, Journal},
    plans::{self, Owner},
    AppError, ErrorCode,
};

use crate::{
    commands::plan::current_offerings,
    state::{AppState, RunningJob},
};

/// Sends every progress change to `channel` until the job ends or the window goes.
fn forward(
    mut progress: tokio::sync::watch::Receiver<PlanProgress>,
    channel: Channel<PlanProgress>,
) {
    tauri::async_runtime::spawn(async move {
        let first = progress.borrow_and_update().clone();
        if channel.send(first).is_err() {
            return;
        }
        while progress.changed().await.is_ok() {
            let next = progress.borrow_and_update().clone();
            if channel.send(next).is_err() {
                return;
            }
        }
    });
}

/// Streams the running job of `plan_id`, if there is one, to `channel`; returns its
/// progress now, or None when nothing runs for the plan.
async fn attach(
    state: &AppState,
    plan_id: &str,
    channel: &Channel<PlanProgress>,
) -> Option<PlanProgress> {
    let jobs = state.jobs.lock().await;
    let job = jobs.get(plan_id)?;
    forward(job.progress.clone(), channel.clone());
    let progress = job.progress.borrow().clone();
    Some(progress)
}

/// Keeps `job` in the registry while it runs, and streams it to `channel`.
async fn register(
    state: &AppState,
    plan_id: String,
    job: Job,
    channel: Channel<PlanProgress>,
) -> PlanProgress {
    let first = job.progress.borrow().clone();
    forward(job.progress.clone(), channel);
    state.jobs.lock().await.insert(
        plan_id.clone(),
        RunningJob {
            progress: job.progress.clone(),
            cancel: job.cancel.clone(),
        },
    );
    let jobs = state.jobs.clone();
    tauri::async_runtime::spawn(async move {
        let _ = job.done.await;
        jobs.lock().await.remove(&plan_id);
    });
    first
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

/// Opens a plan's journal for work, refusing one that belongs to another account.
pub(crate) async fn open_journal(state: &AppState, plan_id: &str) -> Result<Journal, AppError> {
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
    if let Some(progress) = attach(&state, &plan.id, &on_progress).await {
        return Ok(progress);
    }
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
    Ok(register(&state, plan.id.clone(), job, on_progress).await)
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
    let jobs = state.jobs.lock().await;
    Ok(plans::list(
        &journal_dir(&state.data_dir),
        |id| jobs.get(id).map(|j| j.progress.borrow().clone()),
        &timing,
    ))
}

/// Streams the progress of a plan: live if it runs, else its journal's picture.
#[tauri::command]
#[specta::specta]
pub async fn watch_plan(
    state: State<'_, AppState>,
    plan_id: String,
    on_progress: Channel<PlanProgress>,
) -> Result<PlanProgress, AppError> {
    if let Some(progress) = attach(&state, &plan_id, &on_progress).await {
        return Ok(progress);
    }
    let journal = Journal::read_plan(&journal_dir(&state.data_dir), &plan_id)?;
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
    if let Some(progress) = attach(&state, &plan_id, &on_progress).await {
        return Ok(progress);
    }
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
    Ok(register(&state, plan_id, job, on_progress).await)
}

/// Stops a running job after the call in flight; its journal keeps it resumable.
#[tauri::command]
#[specta::specta]
pub async fn cancel_plan(state: State<'_, AppState>, plan_id: String) -> Result<(), AppError> {
    match state.jobs.lock().await.get(&plan_id) {
        Some(job) => {
            job.cancel.cancel();
            Ok(())
        }
        None => Err(AppError::new(
            ErrorCode::NotFound,
            "Nothing is running for this plan.",
        )),
    }
}

/// What teardown would delete, in order, and what deleting each means.
#[tauri::command]
#[specta::specta]
pub async fn teardown_preview(
    state: State<'_, AppState>,
    plan_id: String,
) -> Result<Vec<TeardownItem>, AppError> {
    let journal = Journal::read_plan(&journal_dir(&state.data_dir), &plan_id)?;
    Ok(engine::teardown_preview(&journal))
}

/// Deletes everything the plan created, in reverse order, after the preview was shown.
#[tauri::command]
#[specta::specta]
pub async fn teardown_plan(
    state: State<'_, AppState>,
    plan_id: String,
    on_progress: Channel<PlanProgress>,
) -> Result<PlanProgress, AppError> {
    if let Some(job) = state.jobs.lock().await.get(&plan_id) {
        if job.progress.borrow().activity == engine::Activity::Applying {
            return Err(
                AppError::new(ErrorCode::Conflict, "This plan is still being applied.")
                    .hint("Cancel it first, then tear it down."),
            );
        }
    }
    if let Some(progress) = attach(&state, &plan_id, &on_progress).await {
        return Ok(progress);
    }
    let journal = open_journal(&state, &plan_id).await?;
    let job = engine::teardown(context(&state).await?, journal);
    Ok(register(&state, plan_id, job, on_progress).await)
}
