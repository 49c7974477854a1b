//! The jump hosts: each VPC instance (VSI) is a real SSH server on loopback that accepts the
//! keys given at create and forwards only to its VPC's endpoint gateways.
//! (Placeholder until the SSH server crate lands: records no server.)

use crate::server::AppState;

pub(crate) async fn start_for_instance(
    _state: &std::sync::Arc<AppState>,
    _id: &str,
    _keys: Vec<String>,
) -> Result<(), String> {
    Ok(())
}

pub(crate) async fn stop_for_instance(_state: &AppState, _id: &str) {}

pub(crate) async fn resume(_state: &std::sync::Arc<AppState>) {}

pub(crate) async fn stop_all(_state: &AppState) {}

#[derive(Default)]
pub(crate) struct JumpHosts;
