//! Logs Routing v3 (`/logs-router/<region>/v3`): targets that send platform logs to an IBM
//! Cloud Logs instance, routes whose only filter operand is `location`, the account's
//! settings with `api_version`, and `GET /migrate` (contract logs-router.md §1–§4).
//!
//! An account uses v1 tenants or v3, and `api_version` says which. A fresh account reads
//! `api_version: 1` (LR-DOC's verbatim fresh settings) and, with no tenant, may set 3
//! directly. An account that uses v1 (`--logs-routing-v1`, or one with v1 tenants while at
//! version 1) cannot switch by PATCH ("only permitted as part of the migration process"),
//! and its v3 targets and routes cannot be changed: the docs do not say how the service
//! refuses those, so the sandbox answers 409 naming the tenants (its own choice).

use std::sync::Arc;

use axum::{
    body::Bytes,
    extract::{Path, State},
};
use serde_json::{json, Map, Value};

use super::{
    check_region, conflict, parse,
    v3::{self, Flavor},
};
use crate::{
    api::{ok, Api, ApiError, ApiResult},
    iam_roles::SENDER,
    server::AppState,
};

pub(crate) const FLAVOR: Flavor = Flavor {
    api: Api::LogsRouter,
    service: "logs-router",
    target_kind: "lr_target",
    route_kind: "lr_route",
    settings_id: "lr_settings",
    target_type: "cloud_logs",
    destination_service: "logs",
    role: SENDER,
    // LR-DOC `ts-target-disabled.md`: what a missing s2s policy looks like.
    failure_reason: "Logs endpoint is not reachable. Received status code: 403",
    operands: &["location"],
    versioned: true,
};

const F: &Flavor = &FLAVOR;

/// The account's `api_version`: 1 or 3.
pub(crate) fn api_version(state: &AppState) -> u64 {
    if state.logs_routing_v1 {
        return 1;
    }
    v3::stored_settings(state, F)["api_version"]
        .as_u64()
        .unwrap_or(1)
}

/// Whether the account routes with v1 tenants, so v3 must not be changed.
fn uses_v1(state: &AppState) -> bool {
    state.logs_routing_v1
        || (api_version(state) == 1 && !super::logs_v1::tenant_names(state).is_empty())
}

/// The sandbox's refusal of a v3 change in a v1 account (logs-router.md is silent on it).
fn v1_refusal(state: &AppState, what: &str) -> ApiError {
    let tenants = super::logs_v1::tenant_names(state);
    let named = if tenants.is_empty() {
        String::new()
    } else {
        format!(" (tenants: {})", tenants.join(", "))
    };
    conflict(
        F.api,
        format!("This account uses Logs Routing v1 tenants{named}, api_version 1: {what} is not possible until the account is migrated to v3 (see /migrate). The v1 tenants API is at management.<region>.logs-router.cloud.ibm.com/v1."),
    )
}

fn require_v3(state: &AppState, what: &str) -> Result<(), ApiError> {
    if uses_v1(state) {
        return Err(v1_refusal(state, what));
    }
    Ok(())
}

fn settings_json(state: &AppState) -> Value {
    let mut body = v3::settings_json(state, F);
    body["api_version"] = json!(api_version(state));
    body
}

pub(crate) async fn create_target(
    State(state): State<Arc<AppState>>,
    Path(region): Path<String>,
    body: Bytes,
) -> ApiResult {
    check_region(F.api, &region)?;
    let request = parse(F.api, &body)?;
    require_v3(&state, "creating a v3 target")?;
    v3::create_target(&state, F, &region, &request)
}

pub(crate) async fn list_targets(
    State(state): State<Arc<AppState>>,
    Path(region): Path<String>,
) -> ApiResult {
    check_region(F.api, &region)?;
    v3::list_targets(&state, F)
}

pub(crate) async fn get_target(
    State(state): State<Arc<AppState>>,
    Path((region, id)): Path<(String, String)>,
) -> ApiResult {
    check_region(F.api, &region)?;
    v3::get_target(&state, F, &id)
}

pub(crate) async fn update_target(
    State(state): State<Arc<AppState>>,
    Path((region, id)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    check_region(F.api, &region)?;
    let request = parse(F.api, &body)?;
    require_v3(&state, "changing a v3 target")?;
    v3::update_target(&state, F, &id, &request)
}

pub(crate) async fn delete_target(
    State(state): State<Arc<AppState>>,
    Path((region, id)): Path<(String, String)>,
) -> ApiResult {
    check_region(F.api, &region)?;
    require_v3(&state, "deleting a v3 target")?;
    v3::delete_target(&state, F, &id)
}

pub(crate) async fn create_route(
    State(state): State<Arc<AppState>>,
    Path(region): Path<String>,
    body: Bytes,
) -> ApiResult {
    check_region(F.api, &region)?;
    let request = parse(F.api, &body)?;
    require_v3(&state, "creating a v3 route")?;
    v3::create_route(&state, F, &request)
}

pub(crate) async fn list_routes(
    State(state): State<Arc<AppState>>,
    Path(region): Path<String>,
) -> ApiResult {
    check_region(F.api, &region)?;
    v3::list_routes(&state, F)
}

pub(crate) async fn get_route(
    State(state): State<Arc<AppState>>,
    Path((region, id)): Path<(String, String)>,
) -> ApiResult {
    check_region(F.api, &region)?;
    v3::get_route(&state, F, &id)
}

pub(crate) async fn update_route(
    State(state): State<Arc<AppState>>,
    Path((region, id)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    check_region(F.api, &region)?;
    let request = parse(F.api, &body)?;
    require_v3(&state, "changing a v3 route")?;
    v3::update_route(&state, F, &id, &request)
}

pub(crate) async fn delete_route(
    State(state): State<Arc<AppState>>,
    Path((region, id)): Path<(String, String)>,
) -> ApiResult {
    check_region(F.api, &region)?;
    require_v3(&state, "deleting a v3 route")?;
    v3::delete_route(&state, F, &id)
}

pub(crate) async fn get_settings(
    State(state): State<Arc<AppState>>,
    Path(region): Path<String>,
) -> ApiResult {
    check_region(F.api, &region)?;
    Ok(ok(settings_json(&state)))
}

/// `PATCH /settings` → 200: the documented replace, plus `api_version` ("If not specified,
/// the current version is preserved"; only 3 may be set, and not by a v1 account).
pub(crate) async fn update_settings(
    State(state): State<Arc<AppState>>,
    Path(region): Path<String>,
    body: Bytes,
) -> ApiResult {
    check_region(F.api, &region)?;
    let request = parse(F.api, &body)?;
    let current = api_version(&state);
    let wanted = match &request["api_version"] {
        Value::Null => current,
        value => match value.as_u64() {
            Some(3) => 3,
            Some(1) if current == 1 => 1,
            _ => {
                return Err(super::bad(
                    F.api,
                    format!(
                    "api_version {value} is not valid: only version 3 is supported for migration."
                ),
                ))
            }
        },
    };
    if wanted != current {
        require_v3(&state, "changing api_version outside the migration process")?;
    }
    let mut extra = Map::new();
    extra.insert("api_version".into(), json!(wanted));
    v3::update_settings(&state, F, &request, extra)?;
    Ok(ok(settings_json(&state)))
}

/// `GET /migrate`: the GO-SDK's `MigrationState` (`api_version` as an integer; LR-DOC's
/// `version` string form is the other UNVERIFIED candidate). The sandbox has no migration
/// in progress: an account is `BEFORE` at version 1 and `COMPLETE` at 3.
pub(crate) async fn get_migration(
    State(state): State<Arc<AppState>>,
    Path(region): Path<String>,
) -> ApiResult {
    check_region(F.api, &region)?;
    let version = api_version(&state);
    let (step, message) = if version == 3 {
        (
            "COMPLETE",
            "The account uses Logs Routing v3 targets and routes.",
        )
    } else {
        (
            "BEFORE",
            "The account uses Logs Routing v1 tenants; the migration to v3 has not started.",
        )
    };
    Ok(ok(
        json!({"api_version": version, "state": step, "message": message}),
    ))
}
