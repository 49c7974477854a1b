//! Resource Controller (`/v2/resource_instances`, `/v2/resource_keys`) and Resource Manager
//! (`/v2/resource_groups`), which share a host on the real cloud and here.
//!
//! A database create is checked the way the Databases for PostgreSQL broker checks it (with
//! its exact messages where the docs give them), answered `202` with `state: provisioning`,
//! and finished in the background: a real PostgreSQL cluster is made, and once
//! `--provision-seconds` have passed the instance turns `active` with the Gen 2
//! `extensions`. The create's `tags` become the instance's user tags (Global Tagging), and
//! a name already used is accepted, as RC allows duplicates. A resource key makes a
//! PostgreSQL login role; deleting it drops the role. Instances and keys record the caller
//! as their creator. Monitoring and Cloud Logs instances (`observability/`) are made here
//! too, with their own brokers' checks and nothing behind them.

use std::sync::Arc;

use axum::{
    body::Bytes,
    extract::{Path, Query, State},
    http::StatusCode,
    response::Response,
};
use base64::Engine;
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::{
    account::Caller,
    api::{hex_id, no_content, now, ok, timestamp, uuid, with_status, Api, ApiError, ApiResult},
    catalog::{self, PLAN_ID, SERVICE_ID},
    observability,
    server::AppState,
    store::{Instance, ResourceGroup, ResourceKey},
};

const API: Api = Api::ResourceController;

fn bad(code: &str, message: impl Into<String>) -> ApiError {
    ApiError::bad_request(API, code, message)
}

fn parse_body<T: serde::de::DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| {
        bad(
            "RC-BadRequest",
            format!("The request body is not valid JSON for this operation: {e}"),
        )
    })
}

// ---------------------------------------------------------------- resource groups

pub(crate) fn seed_groups(state: &AppState) {
    state.store.write(|world| {
        if world.resource_groups.is_empty() {
            world.resource_groups.push(ResourceGroup {
                id: hex_id(16),
                name: "Default".into(),
                default: true,
                created_at: now(),
            });
        }
    });
}

fn group_json(state: &AppState, group: &ResourceGroup) -> Value {
    let account = &state.account.account_id;
    json!({
        "id": group.id,
        "crn": format!("crn:v1:bluemix:public:resource-controller::a/{account}::resource-group:{}", group.id),
        "account_id": account,
        "name": group.name,
        "state": "ACTIVE",
        "default": group.default,
        "enable_reclamation": false,
        "quota_id": "a3d7b8d01e261c24677937c29ab33f3c",
        "quota_url": "/v2/quota_definitions/a3d7b8d01e261c24677937c29ab33f3c",
        "payment_methods_url": format!("/v2/resource_groups/{}/payment_methods", group.id),
        "resource_linkages": [],
        "teams_url": format!("/v2/resource_groups/{}/teams", group.id),
        "created_at": timestamp(group.created_at),
        "updated_at": timestamp(group.created_at),
    })
}

#[derive(Debug, Deserialize)]
pub(crate) struct GroupQuery {
    account_id: Option<String>,
    name: Option<String>,
    default: Option<bool>,
}

pub(crate) async fn list_groups(
    State(state): State<Arc<AppState>>,
    Query(query): Query<GroupQuery>,
) -> Response {
    let foreign = query
        .account_id
        .as_deref()
        .is_some_and(|a| a != state.account.account_id);
    let groups: Vec<Value> = state.store.read(|world| {
        world
            .resource_groups
            .iter()
            .filter(|_| !foreign)
            .filter(|g| query.name.as_deref().is_none_or(|n| n == g.name))
            .filter(|g| query.default.is_none_or(|d| d == g.default))
            .map(|g| group_json(&state, g))
            .collect()
    });
    ok(json!({ "resources": groups }))
}

pub(crate) async fn get_group(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult {
    state
        .store
        .read(|w| w.resource_groups.iter().find(|g| g.id == id).cloned())
        .map(|g| ok(group_json(&state, &g)))
        .ok_or_else(|| ApiError::not_found(API, "resource group", &id))
}

#[derive(Debug, Deserialize)]
struct CreateGroup {
    name: Option<String>,
}

pub(crate) async fn create_group(State(state): State<Arc<AppState>>, body: Bytes) -> ApiResult {
    let request: CreateGroup = parse_body(&body)?;
    let name = request
        .name
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| bad("RC-BadRequest", "The resource group name is required."))?;
    let group = ResourceGroup {
        id: hex_id(16),
        name,
        default: false,
        created_at: now(),
    };
    state.store.write(|w| w.resource_groups.push(group.clone()));
    let account = &state.account.account_id;
    Ok(with_status(
        StatusCode::CREATED,
        json!({"id": group.id, "crn": format!("crn:v1:bluemix:public:resource-controller::a/{account}::resource-group:{}", group.id)}),
    ))
}

// ---------------------------------------------------------------- instances

pub(crate) fn private_hostname(guid: &str, region: &str) -> String {
    format!("{guid}.private.uhp.postgresql.{region}.dataservices.appdomain.cloud")
}

fn connection_block(hostname: &str, user: &str, password: &str, pgsslrootcert: &str) -> Value {
    let encoded = utf8_percent_encode(password, NON_ALPHANUMERIC).to_string();
    let user_arg = if user == "$PGUSER" {
        String::new()
    } else {
        format!(" user={user}")
    };
    json!({
        "cli": {
            "arguments": [format!("host={hostname} port=5432 dbname=postgres{user_arg} sslmode=verify-full")],
            "bin": "psql",
            "composed": [format!("PGUSER={user} PGPASSWORD=$PGPASSWORD PGSSLMODE=verify-full PGSSLROOTCERT={pgsslrootcert} psql 'host={hostname} port=5432 dbname=postgres'")],
            "environment": {"PGPASSWORD": password, "PGSSLMODE": "verify-full", "PGSSLROOTCERT": pgsslrootcert, "PGUSER": user},
            "type": "cli",
        },
        "postgres": {
            "authentication": {"method": "direct", "password": password, "username": user},
            "composed": [format!("postgres://{user}:{}@{hostname}:5432/postgres?sslmode=verify-full", if password == "$PGPASSWORD" { password.to_owned() } else { encoded })],
            "database": "postgres",
            "hosts": [{"hostname": hostname, "port": 5432}],
            "path": "/postgres",
            "port": 5432,
            "query_options": {"sslmode": "verify-full"},
            "scheme": "postgres",
            "type": "uri",
        }
    })
}

fn sizing(instance: &Instance) -> (u64, u64, String, String) {
    let pg = &instance.parameters["dataservices"]["postgresql"];
    let members = pg["members"].as_u64().unwrap_or(2);
    let storage = pg["storage_gb"].as_u64().unwrap_or(10);
    let flavor = pg["host_flavor"]
        .as_str()
        .map(str::to_owned)
        .or_else(|| {
            catalog::flavors_in(&instance.region).and_then(|f| f.first().map(|f| f.name.to_owned()))
        })
        .unwrap_or_else(|| "bx3d.4x20".into());
    let version = match &pg["version"] {
        Value::String(v) => v.clone(),
        Value::Number(n) => n.to_string(),
        _ => catalog::VERSIONS[0].to_owned(),
    };
    (members, storage, flavor, version)
}

pub(crate) fn instance_json(state: &AppState, instance: &Instance) -> Value {
    let account = &state.account.account_id;
    let crn = instance.crn(account);
    let mut body = json!({
        "id": crn,
        "guid": instance.guid,
        "url": format!("/v2/resource_instances/{}", instance.guid),
        "created_at": timestamp(instance.created_at),
        "updated_at": timestamp(instance.updated_at),
        "deleted_at": instance.deleted_at.map(timestamp),
        "created_by": instance.created_by,
        "updated_by": "",
        "deleted_by": match (&instance.deleted_at, &instance.deleted_by) {
            (None, _) => String::new(),
            (Some(_), Some(by)) => by.clone(),
            (Some(_), None) => instance.created_by.clone(),
        },
        "scheduled_reclaim_at": null,
        "restored_at": null,
        "scheduled_reclaim_by": "",
        "restored_by": "",
        "name": instance.name,
        "region_id": instance.region,
        "account_id": account,
        "reseller_channel_id": "",
        "resource_plan_id": instance.resource_plan_id,
        "resource_group_id": instance.resource_group_id,
        "resource_group_crn": format!("crn:v1:bluemix:public:resource-controller::a/{account}::resource-group:{}", instance.resource_group_id),
        "target_crn": instance.target_crn,
        "parameters": instance.parameters,
        "allow_cleanup": false,
        "crn": crn,
        "state": instance.state,
        "type": "service_instance",
        "sub_type": "Public",
        "resource_id": instance.resource_id,
        "dashboard_url": null,
        "last_operation": {
            "type": instance.op_type,
            "state": instance.op_state,
            "async": true,
            "description": instance.op_description,
            "cancelable": instance.op_state == "in progress" && instance.op_type == "create",
            "poll": instance.op_state == "in progress",
        },
        "resource_keys_url": format!("/v2/resource_instances/{}/resource_keys", instance.guid),
        "plan_history": [{"resource_plan_id": instance.resource_plan_id, "start_date": timestamp(instance.created_at), "requestor_id": instance.created_by}],
        "migrated": false,
        "controlled_by": "",
        "locked": false,
        "onetime_credentials": false,
        "tags": instance.tags,
    });
    if instance.op_state == "in progress" {
        body["last_operation"]["poll_after"] = json!(state.poll_after_seconds());
    }
    if let Some(extensions) = observability::extensions(instance) {
        body["extensions"] = extensions;
    }
    if instance.is_database() && instance.state == "active" {
        let (members, storage, flavor, version) = sizing(instance);
        let spec = catalog::flavor_named(&flavor);
        let hostname = private_hostname(&instance.guid, &instance.region);
        body["extensions"] = json!({
            "dataservices": {
                "$schema": {"version": "1.0.0"},
                "connection": connection_block(&hostname, "$PGUSER", "$PGPASSWORD", "system"),
                "postgresql": {
                    "configuration": {"max_connections": 115},
                    "cpu_count": spec.map(|f| f.cpu).unwrap_or(4),
                    "host_flavor": flavor,
                    "members": members,
                    "memory_gb": spec.map(|f| f.memory_gb).unwrap_or(20),
                    "storage_gb": storage,
                    "version": version,
                },
            },
            "virtual_private_endpoints": {
                "dns_domain": hostname,
                "dns_hosts": ["", "*"],
                "endpoints": instance.vpe_ips.iter().map(|(ip, zone)| json!({"ip_address": ip, "zone": zone})).collect::<Vec<_>>(),
                "origin_type": "vpc",
                "ports": [{"port_max": 5432, "port_min": 5432}],
            },
        });
    }
    body
}

/// Finds an instance by GUID or (URL-decoded) CRN.
pub(crate) fn find_instance(state: &AppState, id: &str) -> Option<Instance> {
    let guid = guid_of(id);
    state.store.read(|w| w.instances.get(&guid).cloned())
}

fn guid_of(id: &str) -> String {
    let decoded = percent_encoding::percent_decode_str(id)
        .decode_utf8_lossy()
        .into_owned();
    if decoded.starts_with("crn:") {
        decoded.split(':').nth(7).unwrap_or_default().to_owned()
    } else {
        decoded
    }
}

pub(crate) async fn get_instance(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult {
    let instance = find_instance(&state, &id)
        .ok_or_else(|| ApiError::not_found(API, "resource instance", &id))?;
    if !state.access.may_read(&caller, &instance.guid) {
        // RC's own error code for this is UNVERIFIED (contract/resource-controller.md).
        return Err(ApiError::new(
            API,
            StatusCode::FORBIDDEN,
            "RC-AccessDenied",
            format!("You are not authorized to view the resource instance with id {id}."),
        ));
    }
    Ok(ok(instance_json(&state, &instance)))
}

#[derive(Debug, Deserialize)]
struct CreateInstance {
    name: Option<String>,
    target: Option<String>,
    resource_group: Option<String>,
    resource_plan_id: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    parameters: Option<Value>,
}

fn valid_name(name: &str) -> bool {
    !name.trim().is_empty()
        && name.chars().count() <= 180
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || " -._:".contains(c))
}

fn show(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The broker's checks of `parameters`, with its documented messages.
fn check_parameters(state: &AppState, location: &str, parameters: &Value) -> Result<(), ApiError> {
    let Some(top) = parameters.as_object() else {
        if parameters.is_null() {
            return Ok(());
        }
        return Err(ApiError::broker(
            "invalid parameters: expected a JSON object.",
        ));
    };
    let unknown = |path: &str, allowed: &[&str]| {
        ApiError::broker(format!(
            "invalid parameter '{path}', supported parameters: {}.",
            allowed.join(", ")
        ))
    };
    for key in top.keys() {
        if key != "dataservices" {
            return Err(unknown(key, &["dataservices"]));
        }
    }
    let Some(ds) = top.get("dataservices") else {
        return Ok(());
    };
    let ds = ds
        .as_object()
        .ok_or_else(|| ApiError::broker("invalid parameter 'dataservices': expected an object."))?;
    for key in ds.keys() {
        if key != "postgresql" && key != "encryption" {
            return Err(unknown(
                &format!("dataservices.{key}"),
                &["postgresql", "encryption"],
            ));
        }
    }
    let empty = Map::new();
    let pg = match ds.get("postgresql") {
        Some(Value::Object(pg)) => pg,
        Some(_) => {
            return Err(ApiError::broker(
                "invalid parameter 'dataservices.postgresql': expected an object.",
            ))
        }
        None => &empty,
    };
    const PG_KEYS: [&str; 4] = ["members", "storage_gb", "host_flavor", "version"];
    for key in pg.keys() {
        if !PG_KEYS.contains(&key.as_str()) {
            return Err(unknown(&format!("dataservices.postgresql.{key}"), &PG_KEYS));
        }
    }
    if let Some(members) = pg.get("members") {
        if !matches!(members.as_u64(), Some(2 | 3)) || !members.is_u64() {
            return Err(ApiError::broker(format!(
                "invalid members '{}', allowed values: 2, 3.",
                show(members)
            )));
        }
    }
    if let Some(storage) = pg.get("storage_gb") {
        if !storage.as_u64().is_some_and(|s| (10..=9600).contains(&s)) {
            return Err(ApiError::broker(format!(
                "invalid storage size '{}', only integer values between 10 and 9600 are allowed.",
                show(storage)
            )));
        }
    }
    if let Some(flavor) = pg.get("host_flavor") {
        let offered = catalog::flavors_in(location).unwrap_or_default();
        let name = flavor.as_str().unwrap_or_default();
        if !offered.iter().any(|f| f.name == name) {
            return Err(ApiError::broker(format!(
                "invalid host flavor '{}' for location '{location}', allowed values: {}.",
                show(flavor),
                offered
                    .iter()
                    .map(|f| f.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
    }
    if let Some(version) = pg.get("version") {
        if !catalog::VERSIONS.contains(&show(version).as_str()) {
            return Err(ApiError::broker(format!(
                "invalid version '{}', allowed values: {}.",
                show(version),
                catalog::VERSIONS.join(", ")
            )));
        }
    }
    if let Some(encryption) = ds.get("encryption") {
        let encryption = encryption.as_object().ok_or_else(|| {
            ApiError::broker("invalid parameter 'dataservices.encryption': expected an object.")
        })?;
        for key in encryption.keys() {
            if key != "disk" {
                return Err(unknown(
                    &format!("dataservices.encryption.{key}"),
                    &["disk"],
                ));
            }
        }
        if let Some(disk) = encryption.get("disk") {
            crate::kms::check_byok(state, disk.as_str().unwrap_or_default())?;
        }
    }
    Ok(())
}

pub(crate) async fn create_instance(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    body: Bytes,
) -> ApiResult {
    let request: CreateInstance = parse_body(&body)?;
    let name = request
        .name
        .clone()
        .ok_or_else(|| bad("RC-BadRequest", "The 'name' field is required."))?;
    if !valid_name(&name) {
        return Err(bad(
            "RC-BadRequest",
            format!("The name '{name}' is not valid: use at most 180 letters, digits, spaces and the characters - . _ :"),
        ));
    }
    let plan = request
        .resource_plan_id
        .clone()
        .ok_or_else(|| bad("RC-BadRequest", "The 'resource_plan_id' field is required."))?;
    if let Some(offering) = observability::offering(&plan) {
        return create_observability(state, caller, name, offering, request);
    }
    if plan != PLAN_ID {
        let others: Vec<String> = observability::OFFERINGS
            .iter()
            .map(|o| format!("{} ({} {})", o.plan_id, o.service, o.plan_name))
            .collect();
        return Err(bad(
            "RC-ResourcePlanNotFound",
            format!("The plan '{plan}' cannot be provisioned here: the sandbox offers Databases for PostgreSQL Gen 2 (plan {PLAN_ID}, named standard-gen2) and {}.", others.join(", ")),
        ));
    }
    let target = request
        .target
        .ok_or_else(|| bad("RC-BadRequest", "The 'target' field is required."))?;
    let location = catalog::LOCATIONS
        .iter()
        .map(|(l, _)| *l)
        .find(|l| target == *l || target == catalog::deployment_crn(l))
        .ok_or_else(|| {
            bad(
                "RC-BadRequest",
                format!(
                    "No deployment found for service plan {PLAN_ID} at location {target}. Valid location(s) are: {}.",
                    catalog::LOCATIONS.iter().map(|(l, _)| *l).collect::<Vec<_>>().join(", ")
                ),
            )
        })?;
    let group_id = resolve_group(&state, request.resource_group)?;
    let parameters = request.parameters.unwrap_or(Value::Null);
    check_parameters(&state, location, &parameters)?;
    let tags = user_tags(&request.tags)?;

    let created = now();
    let guid = uuid();
    let instance = Instance {
        guid: guid.clone(),
        name: name.clone(),
        region: location.to_owned(),
        resource_group_id: group_id.clone(),
        resource_plan_id: PLAN_ID.into(),
        resource_id: SERVICE_ID.into(),
        target_crn: catalog::deployment_crn(location),
        parameters: if parameters.is_null() {
            json!({})
        } else {
            parameters
        },
        tags: request.tags,
        created_at: created,
        updated_at: created,
        created_by: caller.iam_id,
        state: "provisioning".into(),
        op_type: "create".into(),
        op_state: "in progress".into(),
        op_description: "Provision in progress".into(),
        ready_at: created + chrono::Duration::milliseconds(state.provision_ms() as i64),
        fail_provision: state.faults.provision_fails(),
        deleted_at: None,
        deleted_by: None,
        postgres: None,
        vpe_ips: vpe_ips(location),
        pending_update: None,
    };
    // No name check: RC has no client token and allows two instances of one name in a
    // group (contract resource-controller.md §1), so a lost answer's retry can duplicate.
    let crn = instance.crn(&state.account.account_id);
    state.store.write(|w| {
        w.instances.insert(guid.clone(), instance.clone());
        crate::tagging::attach(w, &crn, &tags);
    });
    tracing::info!(guid, name, location, "database provisioning");
    crate::lifecycle::spawn_provision(state.clone(), guid);
    Ok(with_status(
        StatusCode::ACCEPTED,
        instance_json(&state, &instance),
    ))
}

/// The resource group a create names, or the account's default one.
fn resolve_group(state: &AppState, group: Option<String>) -> Result<String, ApiError> {
    let group_id = match group {
        Some(group) => group,
        None => state
            .store
            .read(|w| {
                w.resource_groups
                    .iter()
                    .find(|g| g.default)
                    .map(|g| g.id.clone())
            })
            .unwrap_or_default(),
    };
    state
        .store
        .read(|w| w.resource_groups.iter().find(|g| g.id == group_id).cloned())
        .ok_or_else(|| {
            bad(
                "RC-ResourceGroupNotFound",
                format!(
                    "The resource group '{group_id}' was not found in account {}.",
                    state.account.account_id
                ),
            )
        })?;
    Ok(group_id)
}

/// RC attaches `tags` as user tags; one it cannot take fails the create (the real text for
/// that case is not documented).
fn user_tags(tags: &[String]) -> Result<Vec<String>, ApiError> {
    tags.iter()
        .map(|t| crate::tagging::normalize_tag(t))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|message| bad("RC-BadRequest", message))
}

/// A Monitoring or Cloud Logs create: checked as its broker checks it, answered `202` with
/// `state: provisioning`, and `active` after a fifth of the database's provisioning time,
/// with no server behind it.
fn create_observability(
    state: Arc<AppState>,
    caller: Caller,
    name: String,
    offering: &'static observability::Offering,
    request: CreateInstance,
) -> ApiResult {
    let target = request
        .target
        .ok_or_else(|| bad("RC-BadRequest", "The 'target' field is required."))?;
    let location = observability::catalog::location_of(offering, &target).ok_or_else(|| {
        bad(
            "RC-BadRequest",
            format!(
                "No deployment found for service plan {} at location {target}. Valid location(s) are: {}.",
                offering.plan_id,
                observability::locations().join(", ")
            ),
        )
    })?;
    let group_id = resolve_group(&state, request.resource_group)?;
    let parameters = observability::check_parameters(
        &state,
        offering,
        location,
        &request.parameters.unwrap_or(Value::Null),
        None,
    )?;
    let tags = user_tags(&request.tags)?;
    let created = now();
    let guid = uuid();
    let instance = Instance {
        guid: guid.clone(),
        name: name.clone(),
        region: location.to_owned(),
        resource_group_id: group_id,
        resource_plan_id: offering.plan_id.into(),
        resource_id: offering.service.into(),
        target_crn: observability::catalog::deployment_crn(offering, location),
        parameters: Value::Object(parameters),
        tags: request.tags,
        created_at: created,
        updated_at: created,
        created_by: caller.iam_id,
        state: "provisioning".into(),
        op_type: "create".into(),
        op_state: "in progress".into(),
        op_description: "Provision in progress".into(),
        ready_at: created + chrono::Duration::milliseconds(state.provision_ms() as i64 / 5),
        fail_provision: state.faults.provision_fails(),
        deleted_at: None,
        deleted_by: None,
        postgres: None,
        vpe_ips: Vec::new(),
        pending_update: None,
    };
    let crn = instance.crn(&state.account.account_id);
    state.store.write(|w| {
        w.instances.insert(guid.clone(), instance.clone());
        crate::tagging::attach(w, &crn, &tags);
    });
    tracing::info!(
        guid,
        name,
        location,
        service = offering.service,
        "instance provisioning"
    );
    crate::lifecycle::spawn_provision(state.clone(), guid);
    Ok(with_status(
        StatusCode::ACCEPTED,
        instance_json(&state, &instance),
    ))
}

fn vpe_ips(region: &str) -> Vec<(String, String)> {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    [0u8, 64, 128]
        .iter()
        .enumerate()
        .map(|(i, third)| {
            (
                format!("10.63.{third}.{}", rng.gen_range(4..250)),
                format!("{region}-{}", i + 1),
            )
        })
        .collect()
}

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub(crate) struct InstanceQuery {
    #[serde(skip_serializing_if = "Option::is_none")]
    guid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource_group_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource_plan_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", rename = "type")]
    kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sub_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    state: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    limit: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    start: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    offset: Option<usize>,
}

/// A `start` token: the query and the offset, so "other parameters are ignored once
/// `start` is given" holds as on the real API.
fn encode_start(query: &InstanceQuery) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(serde_json::to_vec(query).unwrap_or_default())
}

fn decode_start(token: &str) -> Result<InstanceQuery, ApiError> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| {
            bad(
                "RC-BadRequest",
                format!("The start token '{token}' is not valid."),
            )
        })
}

fn page_of(items: Vec<Value>, query: &InstanceQuery, path: &str) -> Result<Value, ApiError> {
    let limit = query.limit.unwrap_or(100);
    if !(1..=100).contains(&limit) {
        return Err(bad(
            "RC-BadRequest",
            format!("The limit {limit} is not valid: use 1 to 100."),
        ));
    }
    let offset = query.offset.unwrap_or(0);
    let total = items.len();
    let rows: Vec<Value> = items.into_iter().skip(offset).take(limit).collect();
    let next_url = if offset + rows.len() < total {
        let mut next = query.clone();
        next.offset = Some(offset + rows.len());
        next.start = None;
        Value::String(format!(
            "{path}?limit={limit}&start={}",
            encode_start(&next)
        ))
    } else {
        Value::Null
    };
    Ok(json!({"rows_count": rows.len(), "next_url": next_url, "resources": rows}))
}

pub(crate) async fn list_instances(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Query(query): Query<InstanceQuery>,
) -> ApiResult {
    let query = match &query.start {
        Some(token) => {
            let mut decoded = decode_start(token)?;
            decoded.limit = query.limit.or(decoded.limit);
            decoded
        }
        None => query,
    };
    let states: Vec<String> = match &query.state {
        Some(s) => s.split(',').map(str::to_owned).collect(),
        None => vec!["active".into(), "provisioning".into()],
    };
    let items: Vec<Value> = state.store.read(|w| {
        let mut matching: Vec<&Instance> = w
            .instances
            .values()
            .filter(|i| state.access.may_read(&caller, &i.guid))
            .filter(|i| query.guid.as_deref().is_none_or(|g| g == i.guid))
            .filter(|i| query.name.as_deref().is_none_or(|n| n == i.name))
            .filter(|i| {
                query
                    .resource_group_id
                    .as_deref()
                    .is_none_or(|g| g == i.resource_group_id)
            })
            .filter(|i| {
                query
                    .resource_id
                    .as_deref()
                    .is_none_or(|r| r == i.resource_id)
            })
            .filter(|i| {
                query
                    .resource_plan_id
                    .as_deref()
                    .is_none_or(|p| p == i.resource_plan_id)
            })
            .filter(|_| {
                query
                    .kind
                    .as_deref()
                    .is_none_or(|t| t == "service_instance")
            })
            .filter(|_| query.sub_type.as_deref().is_none_or(|t| t == "Public"))
            .filter(|i| states.contains(&i.state))
            .collect();
        matching.sort_by_key(|i| i.created_at);
        matching.iter().map(|i| instance_json(&state, i)).collect()
    });
    Ok(ok(page_of(items, &query, "/v2/resource_instances")?))
}

#[derive(Debug, Deserialize)]
pub(crate) struct DeleteQuery {
    recursive: Option<bool>,
}

pub(crate) async fn delete_instance(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
    Query(query): Query<DeleteQuery>,
) -> ApiResult {
    let instance = find_instance(&state, &id)
        .ok_or_else(|| ApiError::not_found(API, "resource instance", &id))?;
    if instance.state == "removed" {
        return Err(ApiError::new(
            API,
            StatusCode::GONE,
            "RC-ResourceInstanceGone",
            format!(
                "The resource instance {} has already been deleted.",
                instance.guid
            ),
        ));
    }
    if instance.op_type == "delete" {
        return Ok(with_status(
            StatusCode::ACCEPTED,
            instance_json(&state, &instance),
        ));
    }
    if instance.resource_id == catalog::KMS_SERVICE_ID {
        return Err(bad(
            "RC-BadRequest",
            "The sandbox's Key Protect instance cannot be deleted.",
        ));
    }
    let has_keys = state
        .store
        .read(|w| w.keys.values().any(|k| k.instance_guid == instance.guid));
    if has_keys && !query.recursive.unwrap_or(false) {
        return Err(ApiError::new(
            API,
            StatusCode::UNPROCESSABLE_ENTITY,
            "RC-ServiceBrokerErrorResponse",
            "The broker for 'Databases for PostgreSQL' service returned error, [409, Conflict] CONTAINS_ACTIVE_KEYS: Remove all keys before de-provisioning the instance, or delete with recursive=true.",
        ));
    }
    let updated = state.store.write(|w| {
        let i = w.instances.get_mut(&instance.guid)?;
        i.op_type = "delete".into();
        i.op_state = "in progress".into();
        i.op_description = "Deprovision in progress".into();
        i.updated_at = now();
        i.deleted_by = Some(caller.iam_id);
        Some(i.clone())
    });
    crate::lifecycle::spawn_delete(state.clone(), instance.guid.clone());
    let body = updated
        .map(|i| instance_json(&state, &i))
        .unwrap_or(Value::Null);
    Ok(with_status(StatusCode::ACCEPTED, body))
}

#[derive(Debug, Deserialize)]
struct UpdateInstance {
    name: Option<String>,
    parameters: Option<Value>,
}

/// `PATCH`: rename, or scale (members up, storage up, flavor). The disk never shrinks.
pub(crate) async fn update_instance(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let request: UpdateInstance = parse_body(&body)?;
    let instance = find_instance(&state, &id)
        .ok_or_else(|| ApiError::not_found(API, "resource instance", &id))?;
    if instance.state != "active" {
        return Err(bad(
            "RC-BadRequest",
            format!(
                "The instance is {}; it can be changed once it is active.",
                instance.state
            ),
        ));
    }
    if observability::is_observability(&instance) {
        return update_observability(&state, &instance, request);
    }
    // Sandbox wording: the broker's text for a change during a change is not documented.
    if instance.op_state == "in progress" {
        return Err(ApiError::new(
            API,
            StatusCode::CONFLICT,
            "RC-ServiceBrokerErrorResponse",
            format!(
                "The instance's last operation ({}) is still in progress; try again once it has finished.",
                instance.op_type
            ),
        ));
    }
    if let Some(parameters) = &request.parameters {
        check_parameters(&state, &instance.region, parameters)?;
        let new = &parameters["dataservices"]["postgresql"];
        let (_, storage, _, version) = sizing(&instance);
        if new["storage_gb"].as_u64().is_some_and(|s| s < storage) {
            return Err(ApiError::broker(format!(
                "invalid storage size '{}', the disk cannot be scaled down (current size {storage}).",
                new["storage_gb"]
            )));
        }
        if new.get("version").is_some_and(|v| show(v) != version) {
            return Err(ApiError::broker(
                "the version can only be set when the instance is created.",
            ));
        }
    }
    let scale = request
        .parameters
        .as_ref()
        .map(|p| p["dataservices"]["postgresql"].clone())
        .filter(|pg| pg.as_object().is_some_and(|o| !o.is_empty()));
    let updated = state.store.write(|w| {
        let i = w.instances.get_mut(&instance.guid)?;
        if let Some(name) = request.name.filter(|n| valid_name(n)) {
            i.name = name;
        }
        i.updated_at = now();
        if let Some(pg) = &scale {
            // The deployment changes behind the scenes: the instance stays `active`, its
            // last operation is the update until it is done (lifecycle::update).
            i.pending_update = Some(pg.clone());
            i.op_type = "update".into();
            i.op_state = "in progress".into();
            i.op_description = "Update in progress".into();
            i.ready_at = now()
                + chrono::Duration::milliseconds(crate::lifecycle::update_ms(state.provision_ms()));
        }
        Some(i.clone())
    });
    let body = updated
        .map(|i| instance_json(&state, &i))
        .unwrap_or(Value::Null);
    if scale.is_some() {
        crate::lifecycle::spawn_update(state.clone(), instance.guid.clone());
        return Ok(with_status(StatusCode::ACCEPTED, body));
    }
    Ok(ok(body))
}

/// `PATCH` of a Monitoring or Cloud Logs instance: rename, or change parameters (e.g.
/// `default_receiver`), checked as at create and merged over the current ones.
fn update_observability(
    state: &AppState,
    instance: &Instance,
    request: UpdateInstance,
) -> ApiResult {
    let offering = observability::offering(&instance.resource_plan_id)
        .ok_or_else(|| ApiError::internal(API, "The instance's plan is unknown."))?;
    let changes = match &request.parameters {
        Some(parameters) => Some(observability::check_parameters(
            state,
            offering,
            &instance.region,
            parameters,
            Some(&instance.guid),
        )?),
        None => None,
    };
    let updated = state.store.write(|w| {
        let i = w.instances.get_mut(&instance.guid)?;
        if let Some(name) = request.name.filter(|n| valid_name(n)) {
            i.name = name;
        }
        if let Some(changes) = changes {
            if !i.parameters.is_object() {
                i.parameters = json!({});
            }
            for (k, v) in changes {
                i.parameters[k] = v;
            }
        }
        i.updated_at = now();
        Some(i.clone())
    });
    Ok(ok(updated
        .map(|i| instance_json(state, &i))
        .unwrap_or(Value::Null)))
}

// ---------------------------------------------------------------- resource keys

fn key_crn(state: &AppState, instance: &Instance, key_guid: &str) -> String {
    format!(
        "crn:v1:bluemix:public:{}:{}:a/{}:{}:resource-key:{key_guid}",
        instance.resource_id, instance.region, state.account.account_id, instance.guid
    )
}

pub(crate) fn key_json(state: &AppState, key: &ResourceKey, instance: &Instance) -> Value {
    let account = &state.account.account_id;
    let crn = key_crn(state, instance, &key.guid);
    let hostname = private_hostname(&instance.guid, &instance.region);
    let ca_path = state.ca.pem_path().display().to_string();
    let password = state.key_password(key);
    let mut connection = connection_block(&hostname, &key.username, &password, &ca_path);
    connection["postgres"]["certificate"] = json!({
        "name": "onramp-sandbox-ca",
        "certificate_base64": base64::engine::general_purpose::STANDARD.encode(state.ca.pem()),
    });
    json!({
        "id": crn,
        "guid": key.guid,
        "url": format!("/v2/resource_keys/{}", key.guid),
        "created_at": timestamp(key.created_at),
        "updated_at": timestamp(key.created_at),
        "deleted_at": null,
        "created_by": if key.created_by.is_empty() { &state.account.iam_id } else { &key.created_by },
        "updated_by": "",
        "deleted_by": "",
        "source_crn": instance.crn(account),
        "name": key.name,
        "crn": crn,
        "state": "active",
        "account_id": account,
        "resource_group_id": instance.resource_group_id,
        "resource_id": instance.resource_id,
        "onetime_credentials": false,
        "credentials": {
            "connection": connection,
            "username": key.username,
            "password": password,
            "iam_apikey_description": format!("Auto-generated for key {crn}"),
            "iam_apikey_name": key.name,
            "iam_role_crn": format!("crn:v1:bluemix:public:iam::::serviceRole:{}", key.role),
            "iam_serviceid_crn": format!("crn:v1:bluemix:public:iam-identity::a/{account}::serviceid:ServiceId-{}", key.guid),
        },
        "iam_compatible": true,
        "migrated": false,
        "resource_instance_url": format!("/v2/resource_instances/{}", instance.guid),
        "resource_alias_url": null,
    })
}

#[derive(Debug, Deserialize)]
struct CreateKey {
    name: Option<String>,
    source: Option<String>,
    role: Option<String>,
    #[serde(default)]
    parameters: Option<Value>,
}

fn role_name(role: &str) -> Option<&'static str> {
    let short = role.rsplit(':').next().unwrap_or(role);
    match short {
        "Manager" => Some("Manager"),
        "Writer" => Some("Writer"),
        _ => None,
    }
}

pub(crate) async fn create_key(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    body: Bytes,
) -> ApiResult {
    let request: CreateKey = parse_body(&body)?;
    let name = request
        .name
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| bad("RC-BadRequest", "The 'name' field is required."))?;
    let source = request
        .source
        .ok_or_else(|| bad("RC-BadRequest", "The 'source' field is required."))?;
    let instance = find_instance(&state, &source)
        .filter(|i| i.state != "removed")
        .ok_or_else(|| ApiError::not_found(API, "resource instance", &source))?;
    if !instance.is_database() {
        return Err(bad(
            "RC-BadRequest",
            "The sandbox makes service credentials for Databases for PostgreSQL instances only.",
        ));
    }
    if instance.state != "active" {
        return Err(bad(
            "RC-ResourceInstanceNotActive",
            format!(
                "The instance {} is {}; service credentials can be created once it is active.",
                instance.guid, instance.state
            ),
        ));
    }
    let requested = request.role.clone().or_else(|| {
        request
            .parameters
            .as_ref()
            .and_then(|p| p["role_crn"].as_str().map(str::to_owned))
    });
    let role = match requested {
        None => "Manager",
        Some(role) => role_name(&role).ok_or_else(|| {
            bad(
                "RC-BadRequest",
                format!("The role '{role}' is not valid for Databases for PostgreSQL: use Manager or Writer."),
            )
        })?,
    };
    let record = instance.postgres.clone().ok_or_else(|| {
        ApiError::internal(
            API,
            "The instance has no database server; it may still be starting.",
        )
    })?;
    let pg = state
        .postgres
        .as_ref()
        .ok_or_else(|| ApiError::internal(API, "PostgreSQL is not installed on this machine."))?;
    let key = ResourceKey {
        guid: uuid(),
        name,
        instance_guid: instance.guid.clone(),
        role: role.to_owned(),
        username: format!("ibmcloud_{}", hex_id(16)),
        password: String::new(),
        created_at: now(),
        parameters: request.parameters.unwrap_or(Value::Null),
        created_by: caller.iam_id,
    };
    pg.create_login(&record, &key.username, &state.key_password(&key), role)
        .await
        .map_err(|e| ApiError::internal(API, format!("Creating the database user failed: {e}")))?;
    state
        .store
        .write(|w| w.keys.insert(key.guid.clone(), key.clone()));
    tracing::info!(
        key = key.guid,
        instance = instance.guid,
        role,
        user = key.username,
        "service credential created"
    );
    Ok(with_status(
        StatusCode::CREATED,
        key_json(&state, &key, &instance),
    ))
}

fn find_key(state: &AppState, id: &str) -> Option<(ResourceKey, Instance)> {
    let decoded = percent_encoding::percent_decode_str(id)
        .decode_utf8_lossy()
        .into_owned();
    let guid = decoded.rsplit(':').next().unwrap_or(&decoded).to_owned();
    state.store.read(|w| {
        let key = w.keys.get(&guid)?.clone();
        let instance = w.instances.get(&key.instance_guid)?.clone();
        Some((key, instance))
    })
}

pub(crate) async fn get_key(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult {
    find_key(&state, &id)
        .map(|(k, i)| ok(key_json(&state, &k, &i)))
        .ok_or_else(|| ApiError::not_found(API, "resource key", &id))
}

pub(crate) async fn delete_key(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult {
    let (key, instance) =
        find_key(&state, &id).ok_or_else(|| ApiError::not_found(API, "resource key", &id))?;
    if let (Some(pg), Some(record)) = (state.postgres.as_ref(), instance.postgres.as_ref()) {
        if instance.state == "active" {
            pg.drop_login(record, &key.username).await.map_err(|e| {
                ApiError::internal(API, format!("Dropping the database user failed: {e}"))
            })?;
        }
    }
    state.store.write(|w| w.keys.remove(&key.guid));
    tracing::info!(
        key = key.guid,
        user = key.username,
        "service credential deleted"
    );
    Ok(no_content())
}

pub(crate) async fn list_instance_keys(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    Query(query): Query<InstanceQuery>,
) -> ApiResult {
    let instance = find_instance(&state, &id)
        .ok_or_else(|| ApiError::not_found(API, "resource instance", &id))?;
    let query = match &query.start {
        Some(token) => decode_start(token)?,
        None => query,
    };
    let items = keys_where(&state, |k| k.instance_guid == instance.guid);
    Ok(ok(page_of(
        items,
        &query,
        &format!("/v2/resource_instances/{}/resource_keys", instance.guid),
    )?))
}

pub(crate) async fn list_keys(
    State(state): State<Arc<AppState>>,
    Query(query): Query<InstanceQuery>,
) -> ApiResult {
    let query = match &query.start {
        Some(token) => decode_start(token)?,
        None => query,
    };
    let items = keys_where(&state, |k| {
        query.name.as_deref().is_none_or(|n| n == k.name)
            && query.guid.as_deref().is_none_or(|g| g == k.guid)
    });
    Ok(ok(page_of(items, &query, "/v2/resource_keys")?))
}

fn keys_where(state: &AppState, keep: impl Fn(&ResourceKey) -> bool) -> Vec<Value> {
    state.store.read(|w| {
        let mut keys: Vec<&ResourceKey> = w.keys.values().filter(|k| keep(k)).collect();
        keys.sort_by_key(|k| k.created_at);
        keys.iter()
            .filter_map(|k| {
                let instance = w.instances.get(&k.instance_guid)?;
                Some(key_json(state, k, instance))
            })
            .collect()
    })
}
