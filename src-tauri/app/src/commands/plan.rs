//! Basics, Sizing, Encryption, Connectivity, Observability and Review: the draft plan,
//! what the cloud offers for it, the rules (asked as the user types), and the reviewed plan with its cost.

use tauri::State;

use onramp_backend::Backend;
use onramp_onboarding::{
    connect::ConnectivityOptions,
    observability::{account::AccountChange, options::ObservabilityOptions},
    overview::PlanListing,
    plan::{DraftPlan, Offerings, Problem},
    review::{EncryptionOptions, Review},
    AppError,
};

/// Locations offering Gen 2 (with their flavors and versions) and the account's resource
/// groups, from the live catalog. `refresh` reads them again.
#[tauri::command]
#[specta::specta]
pub async fn plan_offerings(
    state: State<'_, Backend>,
    refresh: bool,
) -> Result<Offerings, AppError> {
    state.plan_offerings(refresh).await
}

/// A new plan with the defaults (first location, default group, smallest flavor, newest
/// version, 2 members, 10 GB) and a fresh id.
#[tauri::command]
#[specta::specta]
pub async fn new_plan(state: State<'_, Backend>) -> Result<DraftPlan, AppError> {
    state.new_plan().await
}

/// Every problem with the plan, each at its field. Fast: asked on every keystroke.
#[tauri::command]
#[specta::specta]
pub async fn validate_plan(
    state: State<'_, Backend>,
    plan: DraftPlan,
) -> Result<Vec<Problem>, AppError> {
    state.validate_plan(plan).await
}

/// Saves the draft so it can be reopened after the app closes (written atomically).
#[tauri::command]
#[specta::specta]
pub async fn save_draft(state: State<'_, Backend>, plan: DraftPlan) -> Result<(), AppError> {
    state.save_draft(plan)
}

/// The saved draft, if any. One that cannot be read is set aside and reported (the window
/// lists it with the other start-up problems) and a new plan starts.
#[tauri::command]
#[specta::specta]
pub async fn load_draft(state: State<'_, Backend>) -> Result<Option<DraftPlan>, AppError> {
    Ok(state.load_draft())
}

/// The account's Key Protect instances and root keys, and whether the service-to-service
/// authorization BYOK needs exists.
#[tauri::command]
#[specta::specta]
pub async fn encryption_options(state: State<'_, Backend>) -> Result<EncryptionOptions, AppError> {
    state.encryption_options().await
}

/// The whole plan: every resource it creates, the cost estimate, and what blocks it.
#[tauri::command]
#[specta::specta]
pub async fn review_plan(state: State<'_, Backend>, plan: DraftPlan) -> Result<Review, AppError> {
    state.review_plan(plan).await
}

/// The VPCs, subnets, zones, SSH keys, stock images and small profiles of the database's
/// region, and the Connectivity step's suggested private path.
#[tauri::command]
#[specta::specta]
pub async fn connectivity_options(
    state: State<'_, Backend>,
    location: String,
    plan_id: String,
) -> Result<ConnectivityOptions, AppError> {
    state.connectivity_options(location, plan_id).await
}

/// The Observability step's choices: Monitoring instances in the region, and plans.
#[tauri::command]
#[specta::specta]
pub async fn observability_options(
    state: State<'_, Backend>,
    location: String,
) -> Result<ObservabilityOptions, AppError> {
    state.observability_options(location).await
}

/// The account-wide settings the plan would change, before and after, for confirmation.
#[tauri::command]
#[specta::specta]
pub async fn account_changes(
    state: State<'_, Backend>,
    plan: DraftPlan,
) -> Result<Vec<AccountChange>, AppError> {
    state.account_changes(plan).await
}

/// Every plan Onramp holds: applied ones (where they stand, resources ready, monthly cost)
/// and drafts, the one being edited marked.
#[tauri::command]
#[specta::specta]
pub async fn plans_overview(state: State<'_, Backend>) -> Result<Vec<PlanListing>, AppError> {
    state.plans_overview().await
}

/// Makes a plan the one the wizard edits (the current one is kept in the list).
#[tauri::command]
#[specta::specta]
pub async fn open_plan(state: State<'_, Backend>, plan_id: String) -> Result<DraftPlan, AppError> {
    state.open_plan(plan_id).await
}

/// Throws away a draft that was never applied.
#[tauri::command]
#[specta::specta]
pub async fn discard_draft(state: State<'_, Backend>, plan_id: String) -> Result<(), AppError> {
    state.discard_draft(plan_id)
}
