//! Global Catalog (Monitoring's and Cloud Logs' entries are in `observability/catalog.rs`):
//! the `databases-for-postgresql` service, its plans (the Gen 2 plan is
//! `databases-for-postgresql-gen2-standard`, named `standard-gen2`), the plan's deployments
//! (one per location where Gen 2 is offered) and a pricing entry.
//!
//! What the real catalog does not publish (contract/global-catalog.md), the sandbox keeps
//! under each deployment's `metadata.other`: `host_flavors` and `versions` for that
//! location. Onramp reads them when present and otherwise falls back to the documented
//! lists. The prices are illustrative, derived from Gen 1 list prices (gen2-facts.md §9).

use std::sync::Arc;

use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    response::Response,
};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::{
    api::{ok, Api, ApiError, ApiResult},
    server::AppState,
};

pub(crate) const SERVICE_ID: &str = "databases-for-postgresql";
pub(crate) const PLAN_ID: &str = "databases-for-postgresql-gen2-standard";
pub(crate) const PLAN_NAME: &str = "standard-gen2";
pub(crate) const GEN1_PLAN_ID: &str = "databases-for-postgresql-standard";
/// Key Protect's catalog id (`kms`).
pub(crate) const KMS_SERVICE_ID: &str = "ee41347f-b18e-4ca6-bf80-b5467c63f9a6";
pub(crate) const VERSIONS: [&str; 1] = ["18"];

/// A host flavor: name, vCPUs and GB of RAM per member.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Flavor {
    pub name: &'static str,
    pub cpu: u32,
    pub memory_gb: u32,
}

const fn flavor(name: &'static str, cpu: u32, memory_gb: u32) -> Flavor {
    Flavor {
        name,
        cpu,
        memory_gb,
    }
}

const ALL_FLAVORS: [Flavor; 6] = [
    flavor("bx3d.4x20", 4, 20),
    flavor("bx3d.8x40", 8, 40),
    flavor("mx3d.8x80", 8, 80),
    flavor("bx3d.16x80", 16, 80),
    flavor("bx3d.32x160", 32, 160),
    flavor("bx3d.48x240", 48, 240),
];

/// Where the sandbox offers Gen 2, and which flavors each location has. `in-che` lacks the
/// memory-intensive and largest flavors so that "unknown flavor for this location" can be
/// rehearsed.
pub(crate) const LOCATIONS: [(&str, &[&str]); 3] = [
    (
        "ca-mon",
        &[
            "bx3d.4x20",
            "bx3d.8x40",
            "mx3d.8x80",
            "bx3d.16x80",
            "bx3d.32x160",
            "bx3d.48x240",
        ],
    ),
    ("in-che", &["bx3d.4x20", "bx3d.8x40", "bx3d.16x80"]),
    (
        "us-east",
        &["bx3d.4x20", "bx3d.8x40", "bx3d.16x80", "bx3d.32x160"],
    ),
];

pub(crate) fn flavors_in(location: &str) -> Option<Vec<Flavor>> {
    LOCATIONS
        .iter()
        .find(|(name, _)| *name == location)
        .map(|(_, names)| {
            ALL_FLAVORS
                .iter()
                .filter(|f| names.contains(&f.name))
                .copied()
                .collect()
        })
}

pub(crate) fn flavor_named(name: &str) -> Option<Flavor> {
    ALL_FLAVORS.iter().find(|f| f.name == name).copied()
}

pub(crate) fn deployment_id(location: &str) -> String {
    format!("databases-for-postgresql-standard-gen2:{location}")
}

pub(crate) fn deployment_crn(location: &str) -> String {
    format!("crn:v1:bluemix:public:globalcatalog::::deployment:databases-for-postgresql-standard-gen2%3A{location}")
}

// Every field is one the catalog entry needs; a struct would only rename them.
#[allow(clippy::too_many_arguments)]
pub(crate) fn entry(
    state: &AppState,
    id: &str,
    name: &str,
    kind: &str,
    parent: Option<&str>,
    display: &str,
    description: &str,
    metadata: Value,
) -> Value {
    let gc = format!("{}/gc/api/v1", state.base_url);
    let mut entry = json!({
        "id": id,
        "name": name,
        "kind": kind,
        "overview_ui": {"en": {"display_name": display, "long_description": description, "description": description}},
        "images": {"image": format!("{gc}/{SERVICE_ID}/artifacts/postgresql.svg")},
        "disabled": false,
        "tags": if kind == "service" { json!(["databases", "ibm_created", "rc_compatible"]) } else { json!([]) },
        "provider": {"email": "cloud-databases@ibm.com", "name": "IBM"},
        "active": true,
        "url": format!("{gc}/{}", id.replace(':', "%3A")),
        "children_url": format!("{gc}/{}/*", id.replace(':', "%3A")),
        "catalog_crn": match kind {
            "deployment" => deployment_crn(name),
            _ => format!("crn:v1:bluemix:public:globalcatalog::::{kind}:{id}"),
        },
        "geo_tags": [],
        "pricing_tags": [],
        "created": "2025-09-30T12:00:00.000Z",
        "updated": "2026-07-01T12:00:00.000Z",
        "metadata": metadata,
    });
    if let Some(parent) = parent {
        entry["parent_id"] = json!(parent);
    }
    entry
}

fn service_entry(state: &AppState) -> Value {
    entry(
        state,
        SERVICE_ID,
        SERVICE_ID,
        "service",
        None,
        "Databases for PostgreSQL",
        "PostgreSQL is a powerful, open source object-relational database (sandbox catalog).",
        json!({"rc_compatible": true, "service": {"rc_provisionable": true, "iam_compatible": true, "bindable": true}}),
    )
}

fn plan_entries(state: &AppState) -> Vec<Value> {
    vec![
        entry(
            state,
            GEN1_PLAN_ID,
            "standard",
            "plan",
            Some(SERVICE_ID),
            "Standard",
            "Gen 1 (Classic) standard plan",
            json!({"rc_compatible": true}),
        ),
        entry(
            state,
            PLAN_ID,
            PLAN_NAME,
            "plan",
            Some(SERVICE_ID),
            "Standard Gen 2",
            "Gen 2 standard plan: private endpoints only, isolated compute",
            json!({"rc_compatible": true}),
        ),
    ]
}

fn deployment_entries(state: &AppState) -> Vec<Value> {
    LOCATIONS
        .iter()
        .map(|(location, _)| {
            let flavors: Vec<Value> = flavors_in(location)
                .unwrap_or_default()
                .iter()
                .map(|f| json!({"id": f.name, "cpu_count": f.cpu, "memory_gb": f.memory_gb}))
                .collect();
            let metadata = json!({
                "rc_compatible": true,
                "deployment": {
                    "location": location,
                    "location_url": format!("{}/gc/api/v1/{location}", state.base_url),
                    "target_crn": format!("crn:v1:bluemix:public::{location}::::"),
                },
                "other": {
                    "resources": [{
                        "id": "member",
                        "count": 2,
                        "memory": {"units": "gb", "minimum_gb": 20, "step_size_gb": 1, "is_adjustable": false, "can_scale_down": true},
                        "cpu": {"units": "count", "minimum_count": 4, "step_size_count": 1, "is_adjustable": false, "can_scale_down": true},
                        "disk": {"units": "gb", "minimum_gb": 10, "maximum_gb": 9600, "step_size_gb": 1, "is_adjustable": true, "can_scale_down": false},
                    }],
                    "host_flavors": flavors,
                    "versions": VERSIONS.iter().map(|v| json!({"version": v, "is_preferred": true})).collect::<Vec<_>>(),
                    "members": {"allowed": [2, 3], "default": 2},
                },
            });
            entry(
                state,
                &deployment_id(location),
                location,
                "deployment",
                Some(PLAN_ID),
                location,
                &format!("Standard Gen 2 in {location}"),
                metadata,
            )
        })
        .collect()
}

fn all_entries(state: &AppState) -> Vec<Value> {
    let mut all = vec![service_entry(state)];
    all.extend(plan_entries(state));
    all.extend(deployment_entries(state));
    all.extend(crate::observability::catalog::entries(state));
    all
}

#[derive(Debug, Deserialize)]
pub(crate) struct ListQuery {
    q: Option<String>,
    #[serde(rename = "_offset")]
    offset: Option<usize>,
    #[serde(rename = "_limit")]
    limit: Option<usize>,
}

fn page(entries: Vec<Value>, query: &ListQuery) -> Value {
    let offset = query.offset.unwrap_or(0);
    let limit = query.limit.unwrap_or(50).clamp(1, 200);
    let count = entries.len();
    let resources: Vec<Value> = entries.into_iter().skip(offset).take(limit).collect();
    json!({
        "offset": offset,
        "limit": limit,
        "count": count,
        "resource_count": resources.len(),
        "resources": resources,
    })
}

/// `GET /api/v1?q=…`: a search over the sandbox's entries (matches names and kinds).
pub(crate) async fn search(
    State(state): State<Arc<AppState>>,
    Query(query): Query<ListQuery>,
) -> Response {
    let words: Vec<String> = query
        .q
        .as_deref()
        .unwrap_or("")
        .split_whitespace()
        .map(str::to_lowercase)
        .collect();
    let entries = all_entries(&state)
        .into_iter()
        .filter(|e| {
            words.iter().all(|w| {
                let (key, value) = w.split_once(':').unwrap_or(("name", w));
                match key {
                    "kind" => e["kind"].as_str() == Some(value),
                    _ => e["name"].as_str().is_some_and(|n| n.contains(value)),
                }
            })
        })
        .collect();
    ok(page(entries, &query))
}

fn not_found(id: &str) -> ApiError {
    ApiError::new(
        Api::GlobalCatalog,
        StatusCode::NOT_FOUND,
        "GC-EntryNotFound",
        format!("Catalog entry {id} was not found."),
    )
}

/// `GET /api/v1/{id}`
pub(crate) async fn get_entry(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult {
    all_entries(&state)
        .into_iter()
        .find(|e| e["id"].as_str() == Some(id.as_str()))
        .map(ok)
        .ok_or_else(|| not_found(&id))
}

/// `GET /api/v1/{id}/{kind}`: the children of an entry, or its pricing.
pub(crate) async fn children(
    State(state): State<Arc<AppState>>,
    Path((id, kind)): Path<(String, String)>,
    Query(query): Query<ListQuery>,
) -> ApiResult {
    if kind == "pricing" {
        if let Some(body) = crate::observability::catalog::pricing(&id) {
            return Ok(ok(body));
        }
        return pricing(&state, &id);
    }
    let all = all_entries(&state);
    if !all.iter().any(|e| e["id"].as_str() == Some(id.as_str())) {
        return Err(not_found(&id));
    }
    let entries = all
        .into_iter()
        .filter(|e| e["parent_id"].as_str() == Some(id.as_str()))
        .filter(|e| kind == "*" || e["kind"].as_str() == Some(kind.as_str()))
        .collect();
    Ok(ok(page(entries, &query)))
}

/// Illustrative monthly prices in USD: Gen 1 list prices per vCPU and GB of RAM (gen2-facts
/// §9), and Gen 1's disk price less the ~60% Gen 2 saving the FAQ claims. Not IBM's prices.
pub(crate) const PRICE_PER_VCPU_MONTH: f64 = 32.35;
pub(crate) const PRICE_PER_GB_RAM_MONTH: f64 = 5.39;
pub(crate) const PRICE_PER_GB_DISK_MONTH: f64 = 0.25;

fn pricing(state: &AppState, id: &str) -> ApiResult {
    let location = LOCATIONS
        .iter()
        .map(|(l, _)| *l)
        .find(|l| deployment_id(l) == id)
        .or_else(|| (id == PLAN_ID).then_some("ca-mon"))
        .ok_or_else(|| not_found(id))?;
    let amount = |price: f64| json!([{"country": "USA", "currency": "USD", "prices": [{"quantity_tier": 1, "price": price}]}]);
    let mut metrics = vec![json!({
        "part_ref": "sandbox-disk",
        "metric_id": "part-is-storage-gigabyte-months",
        "tier_model": "Linear",
        "charge_unit_name": "GIGABYTE_MONTHS",
        "charge_unit_quantity": 1,
        "resource_display_name": "Disk per member (GB-month)",
        "charge_unit_display_name": "GB-month",
        "usage_cap_qty": 0,
        "amounts": amount(PRICE_PER_GB_DISK_MONTH),
    })];
    for flavor in flavors_in(location).unwrap_or_default() {
        let monthly = f64::from(flavor.cpu) * PRICE_PER_VCPU_MONTH
            + f64::from(flavor.memory_gb) * PRICE_PER_GB_RAM_MONTH;
        metrics.push(json!({
            "part_ref": format!("sandbox-{}", flavor.name),
            "metric_id": format!("part-host-flavor-{}-member-months", flavor.name),
            "tier_model": "Linear",
            "charge_unit_name": "MEMBER_MONTHS",
            "charge_unit_quantity": 1,
            "resource_display_name": format!("{} member (month)", flavor.name),
            "charge_unit_display_name": "member-month",
            "usage_cap_qty": 0,
            "amounts": amount((monthly * 100.0).round() / 100.0),
        }));
    }
    let _ = state;
    Ok(ok(json!({
        "deployment_id": deployment_id(location),
        "deployment_location": location,
        "deployment_region": location,
        "origin": "pricing_catalog",
        "type": "paid",
        "i18n": {},
        "starting_price": {},
        "effective_from": "2026-01-01T00:00:00Z",
        "metrics": metrics,
        "sandbox_note": "Illustrative prices for rehearsal; not IBM's prices.",
    })))
}
