//! Connect: the way from the desktop to the private database of an applied plan: the SSH
//! tunnel, the connection doctor, the commands to do the same with OpenSSH and `psql`, and
//! a first query. The SSH key and the password never reach the window.

use tauri::{ipc::Channel, State};

use onramp_backend::{Backend, ConnectionInfo, TunnelInfo};
use onramp_connect::{
    doctor::{DoctorReport, Stage},
    TunnelStatus,
};
use onramp_onboarding::{connect::QueryResult, AppError};

use crate::channels;

/// Where the database is and how to reach it: the tunnel (if open), and the OpenSSH and
/// `psql` commands. `key_file` is where the user keeps (or will save) the private key.
#[tauri::command]
#[specta::specta]
pub async fn connection_info(
    state: State<'_, Backend>,
    plan_id: String,
    key_file: Option<String>,
) -> Result<ConnectionInfo, AppError> {
    state.connection_info(plan_id, key_file).await
}

/// Saves the SSH key Onramp generated for the plan to `path` (0600), for OpenSSH. Returns
/// the full path written.
#[tauri::command]
#[specta::specta]
pub async fn save_ssh_key(
    state: State<'_, Backend>,
    plan_id: String,
    path: String,
) -> Result<String, AppError> {
    state.save_ssh_key(plan_id, path).await
}

/// Opens (or returns) the plan's tunnel on a free port of 127.0.0.1, and streams its status
/// (open, reconnecting, closed and why) to `on_status`.
#[tauri::command]
#[specta::specta]
pub async fn open_tunnel(
    state: State<'_, Backend>,
    plan_id: String,
    key_file: Option<String>,
    on_status: Channel<TunnelStatus>,
) -> Result<TunnelInfo, AppError> {
    let (info, status) = state.open_tunnel(plan_id, key_file).await?;
    channels::tunnel(status, on_status);
    Ok(info)
}

/// Closes the plan's tunnel (nothing to do when none is open).
#[tauri::command]
#[specta::specta]
pub async fn close_tunnel(state: State<'_, Backend>, plan_id: String) -> Result<(), AppError> {
    state.close_tunnel(plan_id).await
}

/// Checks the way to the database hop by hop (DNS, TCP through the jump server, TLS with
/// verify-full, login, `SELECT 1`), sending each stage to `on_stage` as it starts and ends.
#[tauri::command]
#[specta::specta]
pub async fn run_doctor(
    state: State<'_, Backend>,
    plan_id: String,
    key_file: Option<String>,
    on_stage: Channel<Stage>,
) -> Result<DoctorReport, AppError> {
    let send = |stage: &Stage| drop(on_stage.send(stage.clone()));
    state.run_doctor(plan_id, key_file, send).await
}

/// Runs `sql` as the Manager credential through the plan's tunnel (opened if needed) and
/// returns the last result set as text.
#[tauri::command]
#[specta::specta]
pub async fn run_query(
    state: State<'_, Backend>,
    plan_id: String,
    key_file: Option<String>,
    sql: String,
) -> Result<QueryResult, AppError> {
    state.run_query(plan_id, key_file, sql).await
}

/// Stops the query running for the plan, if one is (PostgreSQL's cancel request).
#[tauri::command]
#[specta::specta]
pub async fn cancel_query(state: State<'_, Backend>, plan_id: String) -> Result<(), AppError> {
    state.cancel_query(plan_id).await
}
