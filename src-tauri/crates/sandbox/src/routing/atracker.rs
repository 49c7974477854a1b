//! Activity Tracker Event Routing v2 (`/atracker/<region>` + `/api/v2/…`): targets (a
//! Cloud Logs instance, or COS, Event Streams, App Configuration), routes of
//! `{target_ids, locations}` rules (`global` carries the account's global events, `*`
//! everything else), and the account's settings (contract atracker.md).
//!
//! It differs from the other two routing APIs where the contract says it does: updates are
//! PUT (a full replace), settings PUT answers 201, settings are `metadata_region_primary`
//! and `default_targets` as plain ids, errors are `{trace, errors[{code, message,
//! recovery?}]}`, and the first target sets the primary metadata region instead of a 409.

use std::sync::Arc;

use axum::{
    body::Bytes,
    extract::{Path, Query, State},
    http::StatusCode,
};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{
    all, check_name, check_region, conflict, count, find, ids_of, instance_crn, is_region,
    managed_by, name_taken, not_found, parse, remove, save, write_status, MAX_DEFAULT_TARGETS,
    MAX_ROUTES, MAX_RULES, MAX_TARGETS, MAX_TARGETS_PER_RULE,
};
use crate::{
    api::{no_content, now, ok, timestamp, uuid, with_status, Api, ApiError, ApiResult},
    iam_roles::SENDER,
    server::AppState,
};

const API: Api = Api::Atracker;
const TARGET: &str = "at_target";
const ROUTE: &str = "at_route";
const SETTINGS: &str = "at_settings";
/// Locations per rule (AT-DOC `config_limits.md`).
const MAX_LOCATIONS: usize = 8;
/// "A maximum of two permitted target regions" (AT-DOC `settings.md`).
const MAX_PERMITTED_REGIONS: usize = 2;
const TARGET_TYPES: [(&str, &str); 4] = [
    ("cloud_logs", "cloudlogs_endpoint"),
    ("cloud_object_storage", "cos_endpoint"),
    ("event_streams", "eventstreams_endpoint"),
    ("app_config", "appconfig_endpoint"),
];
/// What a `cloud_logs` target shows while IAM has no `atracker → logs` (Sender). The
/// service's own text is not published; LR-DOC shows this form for the same failure.
const NOT_AUTHORIZED: &str =
    "Logs endpoint is not reachable. Received status code: 403 (no service-to-service authorization atracker -> logs with the Sender role).";

/// The documented codes (AT-DOC troubleshooting); their HTTP statuses are UNVERIFIED, and
/// the sandbox answers 400 ("most likely 400", atracker.md §4).
fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::bad_request(API, "invalid_value", message)
}

// ---------------------------------------------------------------- settings

fn stored_settings(state: &AppState) -> Value {
    find(state, SETTINGS, SETTINGS).unwrap_or_else(|| {
        json!({
            "default_targets": [],
            "permitted_target_regions": [],
            "metadata_region_primary": "",
            "private_api_endpoint_only": false,
        })
    })
}

/// The settings' body. A fresh account's is UNVERIFIED: the sandbox shows an empty
/// primary region, as the other two APIs document.
fn settings_json(state: &AppState) -> Value {
    let mut body = stored_settings(state);
    body["api_version"] = json!(2);
    body["message"] = json!("The route and target audit logs can be found in the metadata primary region and everything else can be found in the region it is being called from.");
    body
}

pub(crate) async fn get_settings(
    State(state): State<Arc<AppState>>,
    Path(region): Path<String>,
) -> ApiResult {
    check_region(API, &region)?;
    Ok(ok(settings_json(&state)))
}

fn region_list(value: &Value, field: &str) -> Result<Vec<String>, ApiError> {
    match value {
        Value::Null => Ok(Vec::new()),
        Value::Array(items) => items
            .iter()
            .map(|r| match r.as_str() {
                Some(r) if is_region(r) => Ok(r.to_owned()),
                _ => Err(invalid(format!(
                    "Your request has failed because {field} has a region that is not valid: {r}."
                ))),
            })
            .collect(),
        _ => Err(invalid(format!("{field} must be a list of regions."))),
    }
}

/// `PUT /settings` → 201: a full replace; `metadata_region_primary` and
/// `private_api_endpoint_only` are required.
pub(crate) async fn put_settings(
    State(state): State<Arc<AppState>>,
    Path(region): Path<String>,
    body: Bytes,
) -> ApiResult {
    check_region(API, &region)?;
    let request = parse(API, &body)?;
    let primary = match request["metadata_region_primary"].as_str() {
        Some(r) if is_region(r) => r.to_owned(),
        Some(r) => {
            return Err(invalid(format!(
            "Your request has failed because metadata_region_primary '{r}' is not a valid region."
        )))
        }
        None => {
            return Err(invalid(
                "Your request has failed because metadata_region_primary is required.",
            ))
        }
    };
    let private = request["private_api_endpoint_only"]
        .as_bool()
        .ok_or_else(|| {
            invalid("Your request has failed because private_api_endpoint_only is required.")
        })?;
    let defaults = match &request["default_targets"] {
        Value::Null => Vec::new(),
        Value::Array(items) => {
            if items.len() > MAX_DEFAULT_TARGETS {
                // AT-DOC ts-11, verbatim.
                return Err(invalid(format!("Your request has failed because default_targets per setting limit {MAX_DEFAULT_TARGETS} is reached.")));
            }
            let ids: Vec<String> = items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_owned))
                .collect();
            if ids.len() != items.len() {
                return Err(invalid(
                    "Your request has failed because default_targets must be a list of target ids.",
                ));
            }
            if let Some(id) = ids.iter().find(|id| find(&state, TARGET, id).is_none()) {
                // AT-DOC troubleshooting: code `not_found` (status UNVERIFIED; 400 here).
                return Err(ApiError::bad_request(
                    API,
                    "not_found",
                    format!("Your request has failed because the target id {id} is not valid."),
                ));
            }
            ids
        }
        _ => {
            return Err(invalid(
                "Your request has failed because default_targets must be a list.",
            ))
        }
    };
    let permitted = region_list(
        &request["permitted_target_regions"],
        "permitted_target_regions",
    )?;
    if permitted.len() > MAX_PERMITTED_REGIONS {
        return Err(invalid(format!("Your request has failed because permitted_target_regions can have at most {MAX_PERMITTED_REGIONS} regions.")));
    }
    let mut stored = json!({
        "default_targets": defaults,
        "permitted_target_regions": permitted,
        "metadata_region_primary": primary,
        "private_api_endpoint_only": private,
    });
    match request["metadata_region_backup"].as_str() {
        None | Some("") => {}
        Some(backup) if backup == primary => {
            return Err(invalid("Your request has failed because metadata_region_backup must be a different region from metadata_region_primary."))
        }
        Some(backup) if is_region(backup) => stored["metadata_region_backup"] = json!(backup),
        Some(backup) => return Err(invalid(format!("Your request has failed because metadata_region_backup '{backup}' is not a valid region."))),
    }
    save(&state, SETTINGS, SETTINGS, None, stored);
    Ok(with_status(StatusCode::CREATED, settings_json(&state)))
}

// ---------------------------------------------------------------- targets

fn target_json(state: &AppState, stored: &Value) -> Value {
    let mut body = stored.clone();
    body["write_status"] = match stored["cloudlogs_endpoint"]["target_crn"].as_str() {
        Some(crn) => {
            let guid = instance_crn(crn, "logs")
                .map(|(_, g)| g)
                .unwrap_or_default();
            write_status(state, "atracker", "logs", guid, SENDER, NOT_AUTHORIZED)
        }
        // Other kinds authenticate with their own credentials, which the sandbox does not
        // check.
        None => json!({"status": "success"}),
    };
    body
}

/// The endpoint object of `kind`, checked: a `cloud_logs` target needs the CRN of a Cloud
/// Logs instance; the others an object (their contents are not modelled).
fn check_endpoint(kind: &str, field: &str, value: &Value) -> Result<Value, ApiError> {
    if !value.is_object() {
        return Err(invalid(format!(
            "Your request has failed because a {kind} target needs {field}."
        )));
    }
    if kind == "cloud_logs" {
        let crn = value["target_crn"].as_str().unwrap_or_default();
        if instance_crn(crn, "logs").is_none() {
            return Err(invalid(format!("Your request has failed because cloudlogs_endpoint.target_crn '{crn}' is not the CRN of an IBM Cloud Logs instance.")));
        }
        return Ok(json!({"target_crn": crn}));
    }
    Ok(value.clone())
}

pub(crate) async fn create_target(
    State(state): State<Arc<AppState>>,
    Path(endpoint_region): Path<String>,
    body: Bytes,
) -> ApiResult {
    check_region(API, &endpoint_region)?;
    let request = parse(API, &body)?;
    let name = check_name(API, &request["name"], "target")?;
    let kind = request["target_type"].as_str().unwrap_or_default();
    let (kind, field) = TARGET_TYPES
        .iter()
        .find(|(k, _)| *k == kind)
        .copied()
        .ok_or_else(|| invalid(format!("Your request has failed because target_type '{kind}' is not valid: use cloud_logs, cloud_object_storage, event_streams or app_config.")))?;
    let endpoint = check_endpoint(kind, field, &request[field])?;
    let region = match &request["region"] {
        Value::Null => endpoint_region.clone(),
        Value::String(r) if is_region(r) => r.clone(),
        other => {
            return Err(invalid(format!(
                "Your request has failed because region {other} is not valid."
            )))
        }
    };
    // "For a Cloud Logs instance in ca-mon, the region of the target must also be ca-mon"
    // (AT-DOC `target_v2_icl.md`; code and status UNVERIFIED).
    if let Some((logs_region, _)) = endpoint["target_crn"]
        .as_str()
        .and_then(|c| instance_crn(c, "logs"))
    {
        if logs_region == "ca-mon" && region != "ca-mon" {
            return Err(invalid(format!("Your request has failed because a target for a Cloud Logs instance in ca-mon must be in region ca-mon, not {region}.")));
        }
    }
    let settings = stored_settings(&state);
    let permitted: Vec<&str> = settings["permitted_target_regions"]
        .as_array()
        .map(|l| l.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if !permitted.is_empty() && !permitted.contains(&region.as_str()) {
        // AT-DOC ts-10, verbatim form.
        return Err(ApiError::bad_request(
            API,
            "region_not_allowed",
            format!("Your request has failed due to the region requested not being permitted. Requested: {region}, Permitted: [{}]", permitted.join(" ")),
        ));
    }
    let managed = managed_by(API, &request["managed_by"])?;
    if count(&state, TARGET) >= MAX_TARGETS {
        return Err(ApiError::bad_request(
            API,
            "target_limit_reached",
            "You have reached the limit of targets that you can define in your account. Remove unused targets, then try again.",
        ));
    }
    if name_taken(&state, TARGET, &name, None) {
        return Err(conflict(
            API,
            format!("A target named '{name}' already exists."),
        ));
    }
    let id = uuid();
    let at = timestamp(now());
    let mut target = json!({
        "id": id,
        "name": name,
        "crn": format!("crn:v1:bluemix:public:atracker:{region}:a/{}::target:{id}", state.account.account_id),
        "target_type": kind,
        "region": region,
        "created_at": at,
        "updated_at": at,
        "api_version": 2,
        "managed_by": managed,
    });
    target[field] = endpoint;
    save(&state, TARGET, &id, Some(&region), target.clone());
    // "the location where the first target is created is automatically configured as the
    // metadata location" (AT-DOC `planning.md`): no 409 here.
    if settings["metadata_region_primary"]
        .as_str()
        .unwrap_or_default()
        .is_empty()
    {
        let mut settings = settings;
        settings["metadata_region_primary"] = json!(region);
        save(&state, SETTINGS, SETTINGS, None, settings);
    }
    Ok(with_status(
        StatusCode::CREATED,
        target_json(&state, &target),
    ))
}

#[derive(Debug, Deserialize)]
pub(crate) struct TargetQuery {
    region: Option<String>,
}

pub(crate) async fn list_targets(
    State(state): State<Arc<AppState>>,
    Path(region): Path<String>,
    Query(query): Query<TargetQuery>,
) -> ApiResult {
    check_region(API, &region)?;
    let targets: Vec<Value> = all(&state, TARGET)
        .iter()
        .filter(|t| {
            query
                .region
                .as_deref()
                .is_none_or(|r| t["region"].as_str() == Some(r))
        })
        .map(|t| target_json(&state, t))
        .collect();
    Ok(ok(json!({ "targets": targets })))
}

fn stored_target(state: &AppState, id: &str) -> Result<Value, ApiError> {
    find(state, TARGET, id).ok_or_else(|| not_found(API, "target", id))
}

pub(crate) async fn get_target(
    State(state): State<Arc<AppState>>,
    Path((region, id)): Path<(String, String)>,
) -> ApiResult {
    check_region(API, &region)?;
    Ok(ok(target_json(&state, &stored_target(&state, &id)?)))
}

/// `POST /targets/{id}/validate`: the target with its `write_status` checked again.
pub(crate) async fn validate_target(
    State(state): State<Arc<AppState>>,
    Path((region, id)): Path<(String, String)>,
) -> ApiResult {
    check_region(API, &region)?;
    Ok(ok(target_json(&state, &stored_target(&state, &id)?)))
}

/// `PUT /targets/{id}`: `name?` and the endpoint of the target's own type; the type itself
/// cannot change.
pub(crate) async fn replace_target(
    State(state): State<Arc<AppState>>,
    Path((region, id)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    check_region(API, &region)?;
    let mut target = stored_target(&state, &id)?;
    let request = parse(API, &body)?;
    if !request["name"].is_null() {
        let name = check_name(API, &request["name"], "target")?;
        if name_taken(&state, TARGET, &name, Some(&id)) {
            return Err(conflict(
                API,
                format!("A target named '{name}' already exists."),
            ));
        }
        target["name"] = json!(name);
    }
    let kind = target["target_type"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    for (other, field) in TARGET_TYPES {
        if request[field].is_null() {
            continue;
        }
        if other != kind {
            return Err(invalid(format!("Your request has failed because a {kind} target cannot take {field}; the target type cannot change.")));
        }
        target[field] = check_endpoint(&kind, field, &request[field])?;
    }
    target["updated_at"] = json!(timestamp(now()));
    let target_region = target["region"].as_str().map(str::to_owned);
    save(
        &state,
        TARGET,
        &id,
        target_region.as_deref(),
        target.clone(),
    );
    Ok(ok(target_json(&state, &target)))
}

/// `DELETE /targets/{id}` → 204. A default target, or one a route still names, cannot go
/// (400): the contract says nothing for this API, so the sandbox keeps Metrics Routing's
/// documented rule.
pub(crate) async fn delete_target(
    State(state): State<Arc<AppState>>,
    Path((region, id)): Path<(String, String)>,
) -> ApiResult {
    check_region(API, &region)?;
    stored_target(&state, &id)?;
    if ids_of(&stored_settings(&state)["default_targets"]).contains(&id) {
        return Err(invalid(format!("Your request has failed because the target {id} is a default target; remove it from the settings first.")));
    }
    let used = all(&state, ROUTE).iter().any(|r| {
        r["rules"].as_array().is_some_and(|rules| {
            rules
                .iter()
                .any(|rule| ids_of(&rule["target_ids"]).contains(&id))
        })
    });
    if used {
        return Err(invalid(format!("Your request has failed because the target {id} is used by a route; change or delete the route first.")));
    }
    remove(&state, &id);
    Ok(no_content())
}

// ---------------------------------------------------------------- routes

/// A location in a rule: a region, one of its zones (`eu-de-1`), `global` or `*`.
fn valid_location(location: &str) -> bool {
    location == "global"
        || location == "*"
        || is_region(location)
        || location
            .rsplit_once('-')
            .is_some_and(|(region, zone)| is_region(region) && zone.parse::<u8>().is_ok())
}

fn check_rules(state: &AppState, rules: &Value) -> Result<Vec<Value>, ApiError> {
    let rules = rules
        .as_array()
        .filter(|r| !r.is_empty() && r.len() <= MAX_RULES)
        .ok_or_else(|| {
            invalid(format!(
                "Your request has failed because a route needs 1 to {MAX_RULES} rules."
            ))
        })?;
    rules
        .iter()
        .map(|rule| {
            // "If TARGET_ID is empty, any events matching the rule will be discarded."
            let targets = match &rule["target_ids"] {
                Value::Array(items) if items.iter().all(Value::is_string) => ids_of(&rule["target_ids"]),
                _ => return Err(invalid("Your request has failed because each rule needs target_ids, a list of target ids.")),
            };
            if targets.len() > MAX_TARGETS_PER_RULE {
                return Err(invalid(format!("Your request has failed because a rule can have at most {MAX_TARGETS_PER_RULE} targets.")));
            }
            if let Some(id) = targets.iter().find(|id| find(state, TARGET, id).is_none()) {
                // 400 (GO-SDK integration test "Returns 400 when input validation fails").
                return Err(ApiError::bad_request(API, "not_found", format!("Your request has failed because the target id {id} is not valid.")));
            }
            let locations: Vec<String> = match &rule["locations"] {
                Value::Null => Vec::new(),
                Value::Array(items) if items.len() <= MAX_LOCATIONS => items
                    .iter()
                    .map(|l| match l.as_str() {
                        Some(l) if valid_location(l) => Ok(l.to_owned()),
                        _ => Err(invalid(format!("Your request has failed because the location {l} is not valid: use a region, a zone, global or *."))),
                    })
                    .collect::<Result<_, _>>()?,
                _ => return Err(invalid(format!("Your request has failed because a rule can have at most {MAX_LOCATIONS} locations."))),
            };
            Ok(json!({"target_ids": targets, "locations": locations}))
        })
        .collect()
}

pub(crate) async fn create_route(
    State(state): State<Arc<AppState>>,
    Path(region): Path<String>,
    body: Bytes,
) -> ApiResult {
    check_region(API, &region)?;
    let request = parse(API, &body)?;
    let name = check_name(API, &request["name"], "route")?;
    let rules = check_rules(&state, &request["rules"])?;
    let managed = managed_by(API, &request["managed_by"])?;
    if count(&state, ROUTE) >= MAX_ROUTES {
        return Err(invalid(format!("Your request has failed because the account already has {MAX_ROUTES} routes, the limit.")));
    }
    if name_taken(&state, ROUTE, &name, None) {
        return Err(conflict(
            API,
            format!("A route named '{name}' already exists."),
        ));
    }
    let id = uuid();
    let at = timestamp(now());
    let route = json!({
        "id": id,
        "name": name,
        "crn": format!("crn:v1:bluemix:public:atracker:global:a/{}::route:{id}", state.account.account_id),
        "version": 0,
        "rules": rules,
        "created_at": at,
        "updated_at": at,
        "api_version": 2,
        "managed_by": managed,
    });
    save(&state, ROUTE, &id, None, route.clone());
    let mut body = route;
    body["message"] = json!("Route was created successfully.");
    Ok(with_status(StatusCode::CREATED, body))
}

pub(crate) async fn list_routes(
    State(state): State<Arc<AppState>>,
    Path(region): Path<String>,
) -> ApiResult {
    check_region(API, &region)?;
    Ok(ok(json!({ "routes": all(&state, ROUTE) })))
}

pub(crate) async fn get_route(
    State(state): State<Arc<AppState>>,
    Path((region, id)): Path<(String, String)>,
) -> ApiResult {
    check_region(API, &region)?;
    find(&state, ROUTE, &id)
        .map(ok)
        .ok_or_else(|| not_found(API, "route", &id))
}

/// `PUT /routes/{id}`: "An update will discard the existing rule set and replace it";
/// `version` goes up by one.
pub(crate) async fn replace_route(
    State(state): State<Arc<AppState>>,
    Path((region, id)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    check_region(API, &region)?;
    let mut route = find(&state, ROUTE, &id).ok_or_else(|| not_found(API, "route", &id))?;
    let request = parse(API, &body)?;
    let name = check_name(API, &request["name"], "route")?;
    if name_taken(&state, ROUTE, &name, Some(&id)) {
        return Err(conflict(
            API,
            format!("A route named '{name}' already exists."),
        ));
    }
    route["name"] = json!(name);
    route["rules"] = json!(check_rules(&state, &request["rules"])?);
    route["version"] = json!(route["version"].as_u64().unwrap_or(0) + 1);
    route["updated_at"] = json!(timestamp(now()));
    save(&state, ROUTE, &id, None, route.clone());
    let mut body = route;
    body["message"] = json!("Route was updated successfully.");
    Ok(ok(body))
}

pub(crate) async fn delete_route(
    State(state): State<Arc<AppState>>,
    Path((region, id)): Path<(String, String)>,
) -> ApiResult {
    check_region(API, &region)?;
    find(&state, ROUTE, &id).ok_or_else(|| not_found(API, "route", &id))?;
    remove(&state, &id);
    Ok(no_content())
}
