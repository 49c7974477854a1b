//! Metrics Routing v3 (`/metrics-router/<region>/api/v3`): targets that send platform
//! metrics to an IBM Cloud Monitoring (`sysdig-monitor`) instance, routes that pick the
//! metrics, and the account's settings (contract metrics-router.md).
//!
//! Create is 201, delete 204, settings PATCH 200 and replaces the settings. Targets and
//! routes cannot be created before the settings have a primary metadata region (409). A
//! target writes (`write_status: success`) only while IAM has an authorization
//! `metrics-router → sysdig-monitor` with Supertenant Metrics Publisher on its instance.

use std::sync::Arc;

use axum::{
    body::Bytes,
    extract::{Path, State},
};
use serde_json::Map;

use super::{
    check_region, parse,
    v3::{self, Flavor},
};
use crate::{
    api::{ok, Api, ApiResult},
    iam_roles::SUPERTENANT_METRICS_PUBLISHER,
    server::AppState,
};

pub(crate) const FLAVOR: Flavor = Flavor {
    api: Api::MetricsRouter,
    service: "metrics-router",
    target_kind: "mr_target",
    route_kind: "mr_route",
    settings_id: "mr_settings",
    target_type: "sysdig_monitor",
    destination_service: "sysdig-monitor",
    role: SUPERTENANT_METRICS_PUBLISHER,
    // The GO-SDK mock's reason, which is what a missing s2s policy looks like. The field is
    // a string in the SDK; the mock shows an object, so its JSON is sent as the text.
    failure_reason: r#"{"message":"AUTH0001:Authorization","reason":"S2S token not authorized"}"#,
    operands: &[
        "location",
        "service_name",
        "service_instance",
        "resource_type",
        "resource",
    ],
    versioned: false,
};

const F: &Flavor = &FLAVOR;

pub(crate) async fn create_target(
    State(state): State<Arc<AppState>>,
    Path(region): Path<String>,
    body: Bytes,
) -> ApiResult {
    check_region(F.api, &region)?;
    v3::create_target(&state, F, &region, &parse(F.api, &body)?)
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
    v3::update_target(&state, F, &id, &parse(F.api, &body)?)
}

pub(crate) async fn delete_target(
    State(state): State<Arc<AppState>>,
    Path((region, id)): Path<(String, String)>,
) -> ApiResult {
    check_region(F.api, &region)?;
    v3::delete_target(&state, F, &id)
}

pub(crate) async fn create_route(
    State(state): State<Arc<AppState>>,
    Path(region): Path<String>,
    body: Bytes,
) -> ApiResult {
    check_region(F.api, &region)?;
    v3::create_route(&state, F, &parse(F.api, &body)?)
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
    v3::update_route(&state, F, &id, &parse(F.api, &body)?)
}

pub(crate) async fn delete_route(
    State(state): State<Arc<AppState>>,
    Path((region, id)): Path<(String, String)>,
) -> ApiResult {
    check_region(F.api, &region)?;
    v3::delete_route(&state, F, &id)
}

pub(crate) async fn get_settings(
    State(state): State<Arc<AppState>>,
    Path(region): Path<String>,
) -> ApiResult {
    check_region(F.api, &region)?;
    Ok(ok(v3::settings_json(&state, F)))
}

/// `PATCH /settings` → 200 with the new settings (a replace, see [`v3::update_settings`]).
pub(crate) async fn update_settings(
    State(state): State<Arc<AppState>>,
    Path(region): Path<String>,
    body: Bytes,
) -> ApiResult {
    check_region(F.api, &region)?;
    v3::update_settings(&state, F, &parse(F.api, &body)?, Map::new())?;
    Ok(ok(v3::settings_json(&state, F)))
}
