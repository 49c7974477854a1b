//! The observability routing APIs: Metrics Routing v3 (`/metrics-router/<region>/api/v3`),
//! Activity Tracker Event Routing v2 (`/atracker/<region>` + `/api/v2/…`) and Logs Routing
//! (`/logs-router/<region>/v3`, and the older tenants at `/logs-router/<region>/v1`).
//!
//! Their targets, routes and settings are account-wide: every regional endpoint reads and
//! writes the same objects (contract metrics-router.md §1, atracker.md §1). Objects are
//! stored as the sandbox's docs, kept in the form the API answers with (targets) or in a
//! stored form that is expanded on every read (routes and settings name targets by id),
//! and a target's `write_status` is worked out again on every read from the IAM
//! authorizations in force, so creating the missing policy later fixes it, as on the real
//! service.
//!
//! This file holds what the three share; `v3.rs` is the engine Metrics and Logs Routing
//! have in common, and each API's own rules are in its file.

use serde_json::{json, Value};

use crate::{
    api::{now, timestamp, Api, ApiError},
    server::AppState,
    store::Doc,
};

pub(crate) mod atracker;
pub(crate) mod logs;
pub(crate) mod logs_v1;
pub(crate) mod metrics;
mod v3;

/// Targets, routes and default targets per account, and rules per route (MR-DOC, AT-DOC
/// `config_limits.md`, LR-DOC: the same numbers for all three).
pub(crate) const MAX_TARGETS: usize = 16;
pub(crate) const MAX_DEFAULT_TARGETS: usize = 2;
pub(crate) const MAX_ROUTES: usize = 30;
pub(crate) const MAX_RULES: usize = 10;
pub(crate) const MAX_TARGETS_PER_RULE: usize = 3;

/// Where the routing APIs answer: the regions of the SDKs' `GetServiceURLForRegion` (and,
/// for Logs Routing, of LR-DOC `endpoints-v3.md`). The sandbox serves them in the regions
/// it lists in `endpoints.json`.
pub(crate) const REGIONS: [&str; 14] = [
    "au-syd", "br-sao", "ca-mon", "ca-tor", "eu-de", "eu-es", "eu-fr2", "eu-gb", "in-che",
    "in-mum", "jp-osa", "jp-tok", "us-east", "us-south",
];

pub(crate) fn is_region(name: &str) -> bool {
    REGIONS.contains(&name)
}

/// The body as JSON, or the API's 400 for a body that is not (`binding_error` is Activity
/// Tracker's documented code; the others' codes are UNVERIFIED).
pub(crate) fn parse(api: Api, body: &[u8]) -> Result<Value, ApiError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| match api {
        Api::Atracker => ApiError::bad_request(
            api,
            "binding_error",
            format!("The input parameters in the request body are either incomplete or in the wrong format. See detailed error: {e}."),
        ),
        _ => ApiError::bad_request(api, "bad_request", format!("The request body is not valid JSON: {e}")),
    })?;
    if !value.is_object() {
        return Err(ApiError::bad_request(
            api,
            if api == Api::Atracker {
                "binding_error"
            } else {
                "bad_request"
            },
            "The request body must be a JSON object.",
        ));
    }
    Ok(value)
}

/// The endpoint's region, or 404: the service has no endpoint there.
pub(crate) fn check_region(api: Api, region: &str) -> Result<(), ApiError> {
    if is_region(region) {
        Ok(())
    } else {
        Err(ApiError::new(
            api,
            axum::http::StatusCode::NOT_FOUND,
            "not_found",
            format!("There is no {} endpoint in region '{region}'.", api.name()),
        ))
    }
}

/// Names: 1–1000 letters, digits, spaces and `- . _ :` (the SDKs' rule; the docs' 256 and
/// 180 are stricter and UNVERIFIED, so the sandbox takes the SDKs' limit).
pub(crate) fn check_name(api: Api, value: &Value, what: &str) -> Result<String, ApiError> {
    let name = value.as_str().ok_or_else(|| {
        ApiError::bad_request(api, bad_code(api), format!("The {what} name is required."))
    })?;
    let valid = !name.trim().is_empty()
        && name.chars().count() <= 1000
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || " -._:".contains(c));
    if !valid {
        return Err(ApiError::bad_request(
            api,
            bad_code(api),
            format!("The {what} name '{name}' is not valid: use 1 to 1000 letters, digits, spaces and the characters - . _ :"),
        ));
    }
    Ok(name.to_owned())
}

/// The 400 code of a validation error: Activity Tracker documents `invalid_value`; the
/// other two publish none (UNVERIFIED), and the sandbox says `bad_request`.
pub(crate) fn bad_code(api: Api) -> &'static str {
    if api == Api::Atracker {
        "invalid_value"
    } else {
        "bad_request"
    }
}

pub(crate) fn bad(api: Api, message: impl Into<String>) -> ApiError {
    ApiError::bad_request(api, bad_code(api), message)
}

pub(crate) fn not_found(api: Api, what: &str, id: &str) -> ApiError {
    ApiError::new(
        api,
        axum::http::StatusCode::NOT_FOUND,
        "not_found",
        format!("The requested {what} was not found: {id}."),
    )
}

pub(crate) fn conflict(api: Api, message: impl Into<String>) -> ApiError {
    ApiError::new(api, axum::http::StatusCode::CONFLICT, "conflict", message)
}

/// `managed_by`: `account` (the default) or `enterprise`.
pub(crate) fn managed_by(api: Api, value: &Value) -> Result<String, ApiError> {
    match value {
        Value::Null => Ok("account".into()),
        Value::String(s) if s == "account" || s == "enterprise" => Ok(s.clone()),
        other => Err(bad(
            api,
            format!("managed_by '{other}' is not valid: use account or enterprise."),
        )),
    }
}

/// A service instance's CRN, `crn:v1:<cloud>:<type>:<service>:<region>:a/<account>:<guid>::`:
/// its region and GUID, when it names an instance of `service`.
pub(crate) fn instance_crn<'a>(crn: &'a str, service: &str) -> Option<(&'a str, &'a str)> {
    let parts: Vec<&str> = crn.split(':').collect();
    let well_formed = parts.len() >= 8
        && parts[0] == "crn"
        && parts[1] == "v1"
        && parts[4] == service
        && !parts[5].is_empty()
        && parts[6].starts_with("a/")
        && !parts[7].is_empty();
    well_formed.then(|| (parts[5], parts[7]))
}

/// `write_status` of a target: `success` while IAM lets `source` write to the destination
/// instance with `role`; otherwise `failed`, as a missing service-to-service policy reads.
pub(crate) fn write_status(
    state: &AppState,
    source: &str,
    destination_service: &str,
    destination_guid: &str,
    role: &str,
    reason: &str,
) -> Value {
    if crate::iam_policy::authorizes(state, source, destination_service, destination_guid, role) {
        json!({"status": "success"})
    } else {
        json!({
            "status": "failed",
            "last_failure": timestamp(now()),
            "reason_for_last_failure": reason,
        })
    }
}

/// The objects of one kind, oldest first.
pub(crate) fn all(state: &AppState, kind: &str) -> Vec<Value> {
    state.store.read(|w| {
        let mut docs: Vec<&Doc> = w.docs_of(kind, None).collect();
        docs.sort_by_key(|d| d.created_at);
        docs.into_iter().map(|d| d.body.clone()).collect()
    })
}

pub(crate) fn count(state: &AppState, kind: &str) -> usize {
    state.store.read(|w| w.docs_of(kind, None).count())
}

pub(crate) fn find(state: &AppState, kind: &str, id: &str) -> Option<Value> {
    state.store.read(|w| {
        w.docs
            .get(id)
            .filter(|d| d.kind == kind)
            .map(|d| d.body.clone())
    })
}

/// Stores `body` under `id`, keeping the original creation time of an update.
pub(crate) fn save(state: &AppState, kind: &str, id: &str, region: Option<&str>, body: Value) {
    state.store.write(|w| {
        let created_at = w.docs.get(id).map_or_else(now, |d| d.created_at);
        w.docs.insert(
            id.to_owned(),
            Doc {
                kind: kind.to_owned(),
                region: region.map(str::to_owned),
                body,
                created_at,
            },
        );
    });
}

pub(crate) fn remove(state: &AppState, id: &str) {
    state.store.write(|w| w.docs.remove(id));
}

/// Whether another object of `kind` than `except` is named `name`.
pub(crate) fn name_taken(state: &AppState, kind: &str, name: &str, except: Option<&str>) -> bool {
    state.store.read(|w| {
        w.docs_of(kind, None)
            .any(|d| d.body["name"].as_str() == Some(name) && d.body["id"].as_str() != except)
    })
}

/// The target ids a list of `{id}` objects (or of plain ids) names.
pub(crate) fn ids_of(list: &Value) -> Vec<String> {
    list.as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|item| item.as_str().or_else(|| item["id"].as_str()))
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_instance_crn_gives_its_region_and_guid() {
        let crn = "crn:v1:bluemix:public:sysdig-monitor:ca-mon:a/a1b2:5e3f1c7a-2b4d::";
        assert_eq!(
            instance_crn(crn, "sysdig-monitor"),
            Some(("ca-mon", "5e3f1c7a-2b4d"))
        );
        assert_eq!(instance_crn(crn, "logs"), None);
        assert_eq!(
            instance_crn("crn:v1:bluemix:public:logs::a/x:::", "logs"),
            None
        );
    }
}
