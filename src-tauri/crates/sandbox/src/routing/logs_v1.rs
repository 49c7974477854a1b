//! Logs Routing v1 tenants (`/logs-router/<region>/v1`, IBM's
//! `management.<region>.logs-router.cloud.ibm.com/v1`): one tenant per region per account,
//! each with targets that send the region's platform logs to a Cloud Logs instance's
//! ingress host (contract logs-router.md §5). Every call needs the `IBM-API-Version: DATE`
//! header.
//!
//! Tenants answer with an `etag`; whether updates need `If-Match` is UNVERIFIED, so the
//! sandbox does not ask for it. Whether v1 refuses changes after the account moved to v3
//! is UNVERIFIED too: the sandbox refuses them (409) once `api_version` is 3, and keeps
//! reads working.

use std::sync::Arc;

use axum::{
    body::Bytes,
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode},
};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{
    all, bad, check_region, conflict, instance_crn, not_found, parse, remove, save, write_status,
};
use crate::{
    api::{no_content, now, ok, timestamp, uuid, with_status, Api, ApiError, ApiResult},
    iam_roles::SENDER,
    server::AppState,
};

const API: Api = Api::LogsRouter;
const TENANT: &str = "lr_tenant";
/// Tenant and target names: ≤35 characters (LR-DOC `tenant-create.md`).
const MAX_NAME: usize = 35;
const NOT_REACHABLE: &str = "Logs endpoint is not reachable. Received status code: 403";

/// The names of the account's tenants, in every region.
pub(crate) fn tenant_names(state: &AppState) -> Vec<String> {
    all(state, TENANT)
        .iter()
        .filter_map(|t| t["name"].as_str().map(str::to_owned))
        .collect()
}

/// `IBM-API-Version: YYYY-MM-DD`, "any date up to the current date".
fn check_version_header(headers: &HeaderMap) -> Result<(), ApiError> {
    let given = headers
        .get("ibm-api-version")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let date = chrono::NaiveDate::parse_from_str(given, "%Y-%m-%d").map_err(|_| {
        bad(
            API,
            "The IBM-API-Version header is required: a date such as 2024-06-15.",
        )
    })?;
    if date > now().date_naive() {
        return Err(bad(
            API,
            format!("IBM-API-Version {given} is in the future."),
        ));
    }
    Ok(())
}

/// Before a change: the header, and an account still at version 1.
fn check_writable(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    check_version_header(headers)?;
    if super::logs::api_version(state) == 3 {
        return Err(conflict(
            API,
            "This account was migrated to Logs Routing v3 (api_version 3): v1 tenants can no longer be changed; use the v3 targets and routes.",
        ));
    }
    Ok(())
}

fn etag(body: &Value) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(body.to_string().as_bytes());
    format!(
        "\"{}\"",
        digest[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    )
}

fn check_name(value: &Value, what: &str) -> Result<String, ApiError> {
    let name = value.as_str().unwrap_or_default();
    let valid = !name.is_empty()
        && name.chars().count() <= MAX_NAME
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-./".contains(c));
    if !valid {
        return Err(bad(
            API,
            format!("The {what} name '{name}' is not valid: use 1 to {MAX_NAME} characters a-z, 0-9, - . /"),
        ));
    }
    Ok(name.to_owned())
}

/// A target as stored, from its request.
fn check_target(request: &Value) -> Result<Value, ApiError> {
    let name = check_name(&request["name"], "target")?;
    let crn = request["log_sink_crn"].as_str().unwrap_or_default();
    if instance_crn(crn, "logs").is_none() {
        return Err(bad(
            API,
            format!("log_sink_crn '{crn}' is not the CRN of an IBM Cloud Logs instance."),
        ));
    }
    let host = request["parameters"]["host"]
        .as_str()
        .filter(|h| !h.is_empty());
    let port = request["parameters"]["port"]
        .as_u64()
        .filter(|p| (1..=65535).contains(p));
    let (Some(host), Some(port)) = (host, port) else {
        return Err(bad(
            API,
            "A target needs parameters.host (the Cloud Logs ingress host) and parameters.port.",
        ));
    };
    let at = timestamp(now());
    Ok(json!({
        "id": uuid(),
        "log_sink_crn": crn,
        "name": name,
        "type": "logs",
        "created_at": at,
        "updated_at": at,
        "parameters": {"host": host, "port": port},
    }))
}

fn target_json(state: &AppState, stored: &Value) -> Value {
    let mut body = stored.clone();
    body["etag"] = json!(etag(stored));
    let guid = stored["log_sink_crn"]
        .as_str()
        .and_then(|c| instance_crn(c, "logs"))
        .map(|(_, g)| g)
        .unwrap_or_default();
    body["write_status"] = write_status(state, "logs-router", "logs", guid, SENDER, NOT_REACHABLE);
    body
}

fn tenant_json(state: &AppState, stored: &Value) -> Value {
    let mut body = stored.clone();
    body["etag"] = json!(etag(stored));
    let targets: Vec<Value> = stored["targets"]
        .as_array()
        .map(|t| t.iter().map(|t| target_json(state, t)).collect())
        .unwrap_or_default();
    body["targets"] = json!(targets);
    body
}

fn stored_tenant(state: &AppState, region: &str, id: &str) -> Result<Value, ApiError> {
    state
        .store
        .read(|w| {
            w.docs
                .get(id)
                .filter(|d| d.kind == TENANT && d.region.as_deref() == Some(region))
                .map(|d| d.body.clone())
        })
        .ok_or_else(|| not_found(API, "tenant", id))
}

fn save_tenant(state: &AppState, region: &str, mut tenant: Value) -> Value {
    tenant["updated_at"] = json!(timestamp(now()));
    let id = tenant["id"].as_str().unwrap_or_default().to_owned();
    save(state, TENANT, &id, Some(region), tenant.clone());
    tenant
}

#[derive(Debug, Deserialize)]
pub(crate) struct TenantQuery {
    name: Option<String>,
}

pub(crate) async fn list_tenants(
    State(state): State<Arc<AppState>>,
    Path(region): Path<String>,
    headers: HeaderMap,
    Query(query): Query<TenantQuery>,
) -> ApiResult {
    check_region(API, &region)?;
    check_version_header(&headers)?;
    let tenants: Vec<Value> = state.store.read(|w| {
        let mut docs: Vec<_> = w.docs_of(TENANT, Some(&region)).collect();
        docs.sort_by_key(|d| d.created_at);
        docs.into_iter().map(|d| d.body.clone()).collect()
    });
    let tenants: Vec<Value> = tenants
        .iter()
        .filter(|t| {
            query
                .name
                .as_deref()
                .is_none_or(|n| t["name"].as_str() == Some(n))
        })
        .map(|t| tenant_json(&state, t))
        .collect();
    Ok(ok(json!({ "tenants": tenants })))
}

/// `POST /tenants` → 201; a second tenant in the region is 409 Conflict (LR-DOC
/// `ts-terraform.md`).
pub(crate) async fn create_tenant(
    State(state): State<Arc<AppState>>,
    Path(region): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    check_region(API, &region)?;
    check_writable(&state, &headers)?;
    let request = parse(API, &body)?;
    let name = check_name(&request["name"], "tenant")?;
    let targets = request["targets"]
        .as_array()
        .filter(|t| !t.is_empty())
        .ok_or_else(|| bad(API, "A tenant needs at least one target."))?
        .iter()
        .map(check_target)
        .collect::<Result<Vec<_>, _>>()?;
    let mut sinks: Vec<&str> = targets
        .iter()
        .filter_map(|t| t["log_sink_crn"].as_str())
        .collect();
    sinks.sort_unstable();
    if sinks.windows(2).any(|w| w[0] == w[1]) {
        return Err(bad(
            API,
            "A tenant can have only one target per log_sink_crn.",
        ));
    }
    let existing = state
        .store
        .read(|w| w.docs_of(TENANT, Some(&region)).count());
    if existing > 0 {
        return Err(conflict(API, format!("Conflict: the account already has a tenant in {region}; one tenant per region is allowed.")));
    }
    let id = uuid();
    let at = timestamp(now());
    let tenant = json!({
        "id": id,
        "created_at": at,
        "updated_at": at,
        "crn": format!("crn:v1:bluemix:public:logs-router:{region}:a/{}::tenant:{id}", state.account.account_id),
        "name": name,
        "targets": targets,
    });
    let tenant = save_tenant(&state, &region, tenant);
    Ok(with_status(
        StatusCode::CREATED,
        tenant_json(&state, &tenant),
    ))
}

pub(crate) async fn get_tenant(
    State(state): State<Arc<AppState>>,
    Path((region, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult {
    check_region(API, &region)?;
    check_version_header(&headers)?;
    Ok(ok(tenant_json(
        &state,
        &stored_tenant(&state, &region, &id)?,
    )))
}

/// `PATCH /tenants/{id}` with `name?`.
pub(crate) async fn update_tenant(
    State(state): State<Arc<AppState>>,
    Path((region, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    check_region(API, &region)?;
    check_writable(&state, &headers)?;
    let mut tenant = stored_tenant(&state, &region, &id)?;
    let request = parse(API, &body)?;
    if !request["name"].is_null() {
        tenant["name"] = json!(check_name(&request["name"], "tenant")?);
    }
    let tenant = save_tenant(&state, &region, tenant);
    Ok(ok(tenant_json(&state, &tenant)))
}

pub(crate) async fn delete_tenant(
    State(state): State<Arc<AppState>>,
    Path((region, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult {
    check_region(API, &region)?;
    check_writable(&state, &headers)?;
    stored_tenant(&state, &region, &id)?;
    remove(&state, &id);
    Ok(no_content())
}

pub(crate) async fn list_targets(
    State(state): State<Arc<AppState>>,
    Path((region, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult {
    check_region(API, &region)?;
    check_version_header(&headers)?;
    let tenant = tenant_json(&state, &stored_tenant(&state, &region, &id)?);
    Ok(ok(json!({ "targets": tenant["targets"] })))
}

/// `POST /tenants/{id}/targets` → 201; at most one target per `log_sink_crn`.
pub(crate) async fn create_target(
    State(state): State<Arc<AppState>>,
    Path((region, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    check_region(API, &region)?;
    check_writable(&state, &headers)?;
    let mut tenant = stored_tenant(&state, &region, &id)?;
    let target = check_target(&parse(API, &body)?)?;
    let targets = tenant["targets"]
        .as_array_mut()
        .ok_or_else(|| not_found(API, "tenant", &id))?;
    if targets
        .iter()
        .any(|t| t["log_sink_crn"] == target["log_sink_crn"])
    {
        return Err(conflict(
            API,
            "Conflict: the tenant already has a target for this log_sink_crn.",
        ));
    }
    targets.push(target.clone());
    save_tenant(&state, &region, tenant);
    Ok(with_status(
        StatusCode::CREATED,
        target_json(&state, &target),
    ))
}

fn target_of<'a>(tenant: &'a mut Value, id: &str, target: &str) -> Result<&'a mut Value, ApiError> {
    tenant["targets"]
        .as_array_mut()
        .and_then(|t| t.iter_mut().find(|t| t["id"].as_str() == Some(target)))
        .ok_or_else(|| not_found(API, "target", &format!("{id}/{target}")))
}

pub(crate) async fn get_target(
    State(state): State<Arc<AppState>>,
    Path((region, id, target)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> ApiResult {
    check_region(API, &region)?;
    check_version_header(&headers)?;
    let mut tenant = stored_tenant(&state, &region, &id)?;
    Ok(ok(target_json(
        &state,
        target_of(&mut tenant, &id, &target)?,
    )))
}

/// `PATCH /tenants/{id}/targets/{target}` with `name?`, `log_sink_crn?`, `parameters?`.
pub(crate) async fn update_target(
    State(state): State<Arc<AppState>>,
    Path((region, id, target)): Path<(String, String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    check_region(API, &region)?;
    check_writable(&state, &headers)?;
    let mut tenant = stored_tenant(&state, &region, &id)?;
    let request = parse(API, &body)?;
    let current = target_of(&mut tenant, &id, &target)?;
    let mut merged = current.clone();
    for key in ["name", "log_sink_crn", "parameters"] {
        if !request[key].is_null() {
            merged[key] = request[key].clone();
        }
    }
    let checked = check_target(&merged)?;
    for key in ["name", "log_sink_crn", "parameters"] {
        current[key] = checked[key].clone();
    }
    current["updated_at"] = json!(timestamp(now()));
    let updated = current.clone();
    save_tenant(&state, &region, tenant);
    Ok(ok(target_json(&state, &updated)))
}

pub(crate) async fn delete_target(
    State(state): State<Arc<AppState>>,
    Path((region, id, target)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> ApiResult {
    check_region(API, &region)?;
    check_writable(&state, &headers)?;
    let mut tenant = stored_tenant(&state, &region, &id)?;
    target_of(&mut tenant, &id, &target)?;
    if let Some(targets) = tenant["targets"].as_array_mut() {
        targets.retain(|t| t["id"].as_str() != Some(target.as_str()));
    }
    save_tenant(&state, &region, tenant);
    Ok(no_content())
}
