//! Basics, Sizing, Encryption and Review: the draft plan, what the cloud offers for it, the
//! rules (asked as the user types), and the reviewed plan with its cost.

use tauri::State;

use onramp_onboarding::{
    drafts,
    journal::{journal_dir, Journal},
    offerings,
    plan::{self, DraftPlan, Offerings, Problem},
    review::{self, EncryptionOptions, Review},
    AppError,
};

use crate::state::AppState;

/// The offerings for the signed-in account, read once per account and kept.
pub(crate) async fn current_offerings(state: &AppState) -> Result<Offerings, AppError> {
    let session = state.signed_in().await?;
    let account = session.account.account_id.clone();
    if let Some((cached_for, cached)) = state.offerings.lock().await.as_ref() {
        if *cached_for == account {
            return Ok(cached.clone());
        }
    }
    let loaded = offerings::load(&session.cloud(&state.http), &account).await?;
    *state.offerings.lock().await = Some((account, loaded.clone()));
    Ok(loaded)
}

/// Locations offering Gen 2 (with their flavors and versions) and the account's resource
/// groups, from the live catalog. `refresh` reads them again.
#[tauri::command]
#[specta::specta]
pub async fn plan_offerings(
    state: State<'_, AppState>,
    refresh: bool,
) -> Result<Offerings, AppError> {
    if refresh {
        *state.offerings.lock().await = None;
    }
    current_offerings(&state).await
}

/// A new plan with the defaults (first location, default group, smallest flavor, newest
/// version, 2 members, 10 GB) and a fresh id.
#[tauri::command]
#[specta::specta]
pub async fn new_plan(state: State<'_, AppState>) -> Result<DraftPlan, AppError> {
    let offerings = current_offerings(&state).await?;
    let mut plan = offerings.new_plan(uuid::Uuid::new_v4().to_string());
    // Gen 2 is private-only: a new plan builds the way in unless the user opts out.
    plan.connectivity = Some(onramp_onboarding::connectivity::Connectivity::suggested(
        &plan.location,
        &plan.id,
    ));
    Ok(plan)
}

/// Every problem with the plan, each at its field. Fast: asked on every keystroke.
#[tauri::command]
#[specta::specta]
pub async fn validate_plan(
    state: State<'_, AppState>,
    plan: DraftPlan,
) -> Result<Vec<Problem>, AppError> {
    Ok(plan::validate(&plan, &current_offerings(&state).await?))
}

/// Saves the draft so it can be reopened after the app closes (written atomically).
#[tauri::command]
#[specta::specta]
pub async fn save_draft(state: State<'_, AppState>, plan: DraftPlan) -> Result<(), AppError> {
    drafts::save(&state.data_dir, &plan)
}

/// The saved draft, if any. One that cannot be read is set aside and reported (the window
/// lists it with the other start-up problems) and a new plan starts.
#[tauri::command]
#[specta::specta]
pub async fn load_draft(state: State<'_, AppState>) -> Result<Option<DraftPlan>, AppError> {
    Ok(match drafts::load(&state.data_dir) {
        drafts::Loaded::None => None,
        drafts::Loaded::Draft(plan) => Some(*plan),
        drafts::Loaded::SetAside { kept, why } => {
            state.problem(
                format!("Your saved draft could not be read ({why})."),
                format!(
                    "Onramp kept it as {} and started a new plan.",
                    kept.display()
                ),
            );
            None
        }
    })
}

/// The account's Key Protect instances and root keys, and whether the service-to-service
/// authorization BYOK needs exists.
#[tauri::command]
#[specta::specta]
pub async fn encryption_options(state: State<'_, AppState>) -> Result<EncryptionOptions, AppError> {
    let session = state.signed_in().await?;
    review::encryption_options(&session.cloud(&state.http), &session.account.account_id).await
}

/// The whole plan: every resource it creates, the cost estimate, and what blocks it.
#[tauri::command]
#[specta::specta]
pub async fn review_plan(state: State<'_, AppState>, plan: DraftPlan) -> Result<Review, AppError> {
    let session = state.signed_in().await?;
    let offerings = current_offerings(&state).await?;
    let own = Journal::exists(&journal_dir(&state.data_dir), &plan.id);
    review::review(
        &session.cloud(&state.http),
        session.account.mode,
        &session.account.account_id,
        &plan,
        &offerings,
        own,
    )
    .await
}

/// The VPCs, subnets, zones, SSH keys, stock images and small profiles of the database's
/// region, and the Connectivity step's suggested private path.
#[tauri::command]
#[specta::specta]
pub async fn connectivity_options(
    state: State<'_, AppState>,
    location: String,
    plan_id: String,
) -> Result<onramp_onboarding::connect::ConnectivityOptions, AppError> {
    let session = state.signed_in().await?;
    let sandbox = session.account.mode == onramp_onboarding::settings::Mode::Sandbox
        || session.endpoints.is_loopback();
    onramp_onboarding::connect::connectivity_options(
        &session.cloud(&state.http),
        &location,
        &plan_id,
        sandbox,
    )
    .await
}
