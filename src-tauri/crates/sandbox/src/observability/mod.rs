//! IBM Cloud Monitoring (`sysdig-monitor`) and IBM Cloud Logs (`logs`) instances, made
//! through Resource Controller like a database but with nothing behind them: their plans,
//! the create parameters their brokers take (contract observability-instances.md), and what
//! an active instance shows under `extensions`. They provision faster than a database (a
//! fifth of `--provision-seconds`) through the same lifecycle. Their Global Catalog entries
//! and prices are in `catalog.rs`.

use serde_json::{json, Map, Value};

use crate::{api::ApiError, server::AppState, store::Instance};

pub(crate) mod catalog;

pub(crate) const MONITORING_SERVICE: &str = "sysdig-monitor";
pub(crate) const LOGS_SERVICE: &str = "logs";
/// MON-DOC `service_plans.md`.
pub(crate) const MONITORING_LITE_PLAN_ID: &str = "367a3918-9efc-43c5-bef9-20553051b7af";
pub(crate) const MONITORING_GRADUATED_PLAN_ID: &str = "231bb072-1b2f-4d7e-ae9e-9574d382be32";
/// Cloud Logs' one plan, `standard`. Its real id is UNVERIFIED (observability-instances.md
/// §2): this one is the sandbox's own; clients read it from the catalog (`/logs/plan`).
pub(crate) const LOGS_STANDARD_PLAN_ID: &str = "logs-standard";

/// Days of retention Cloud Logs offers (LOGS-DOC `service_plans.md`; TIM-LOGS validation).
const RETENTION_DAYS: [u64; 5] = [7, 14, 30, 60, 90];

/// A plan of one of the two services.
pub(crate) struct Offering {
    pub service: &'static str,
    /// What its broker is called in RC's error text.
    pub display_name: &'static str,
    pub plan_id: &'static str,
    pub plan_name: &'static str,
    pub plan_display_name: &'static str,
    pub description: &'static str,
    pub free: bool,
}

pub(crate) const OFFERINGS: [Offering; 3] = [
    Offering {
        service: MONITORING_SERVICE,
        display_name: "IBM Cloud Monitoring",
        plan_id: MONITORING_LITE_PLAN_ID,
        plan_name: "lite",
        plan_display_name: "Lite",
        description: "Free for 30 days; then the instance must be upgraded or deleted.",
        free: true,
    },
    Offering {
        service: MONITORING_SERVICE,
        display_name: "IBM Cloud Monitoring",
        plan_id: MONITORING_GRADUATED_PLAN_ID,
        plan_name: "graduated-tier",
        plan_display_name: "Graduated Tier",
        description: "Billed hourly on hosts, containers, API calls and time series; platform metrics count as time series.",
        free: false,
    },
    Offering {
        service: LOGS_SERVICE,
        display_name: "IBM Cloud Logs",
        plan_id: LOGS_STANDARD_PLAN_ID,
        plan_name: "standard",
        plan_display_name: "Standard",
        description: "Billed per GB ingested, by data pipeline and retention.",
        free: false,
    },
];

/// The plan with this id, if it is one of these services'.
pub(crate) fn offering(plan_id: &str) -> Option<&'static Offering> {
    OFFERINGS.iter().find(|o| o.plan_id == plan_id)
}

/// Where the two services are offered: the regions of the routing APIs (both services run
/// in every one of them, `ca-mon` included: MON-DOC and LOGS-DOC `regions.md`).
pub(crate) fn locations() -> &'static [&'static str] {
    &crate::routing::REGIONS
}

fn broker(offering: &Offering, text: impl std::fmt::Display) -> ApiError {
    ApiError::broker_of(offering.display_name, text)
}

/// The parameters the broker accepts, checked as its documented types and values; keys
/// not documented are kept as sent (the full key sets are UNVERIFIED). `guid` is the
/// instance being updated, if this is an update.
pub(crate) fn check_parameters(
    state: &AppState,
    offering: &Offering,
    region: &str,
    parameters: &Value,
    guid: Option<&str>,
) -> Result<Map<String, Value>, ApiError> {
    let map = match parameters {
        Value::Null => Map::new(),
        Value::Object(map) => map.clone(),
        _ => {
            return Err(broker(
                offering,
                "invalid parameters: expected a JSON object.",
            ))
        }
    };
    if offering.service == MONITORING_SERVICE {
        check_monitoring(state, offering, region, &map, guid)?;
    } else {
        check_logs(state, offering, &map)?;
    }
    Ok(map)
}

fn check_monitoring(
    state: &AppState,
    offering: &Offering,
    region: &str,
    map: &Map<String, Value>,
    guid: Option<&str>,
) -> Result<(), ApiError> {
    if let Some(receiver) = map.get("default_receiver") {
        let enabled = receiver.as_bool().ok_or_else(|| {
            broker(
                offering,
                format!(
                    "invalid parameter 'default_receiver' '{receiver}': expected true or false."
                ),
            )
        })?;
        // "You can configure 1 instance only … per region to collect platform metrics"
        // (MON-DOC). RC's error for a second one is UNVERIFIED: a broker 400 here.
        let other = state.store.read(|w| {
            w.instances
                .values()
                .find(|i| {
                    i.resource_id == MONITORING_SERVICE
                        && i.region == region
                        && i.state != "removed"
                        && Some(i.guid.as_str()) != guid
                        && i.parameters["default_receiver"].as_bool() == Some(true)
                })
                .map(|i| i.name.clone())
        });
        if let (true, Some(other)) = (enabled, other) {
            return Err(broker(
                offering,
                format!("default_receiver: the instance '{other}' already collects the platform metrics of {region}; only one instance per region can."),
            ));
        }
    }
    if let Some(auth) = map.get("external_api_auth") {
        if !matches!(auth.as_str(), Some("ANY" | "IAM_ONLY")) {
            return Err(broker(
                offering,
                format!("invalid parameter 'external_api_auth' '{auth}', allowed values: ANY, IAM_ONLY."),
            ));
        }
    }
    if let Some(crn) = map.get("workload_protection_connected_instance") {
        if !crn.as_str().is_some_and(|c| c.starts_with("crn:v1:")) {
            return Err(broker(
                offering,
                format!("invalid parameter 'workload_protection_connected_instance' '{crn}': expected a Workload Protection instance CRN."),
            ));
        }
    }
    Ok(())
}

/// The retention in days, sent as a number or (as IBM's Terraform sample does) a string.
fn retention_days(value: &Value) -> Option<u64> {
    match value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|d| RETENTION_DAYS.contains(d))
}

fn check_logs(
    state: &AppState,
    offering: &Offering,
    map: &Map<String, Value>,
) -> Result<(), ApiError> {
    if let Some(retention) = map.get("retention_period") {
        if retention_days(retention).is_none() {
            return Err(broker(
                offering,
                format!("invalid parameter 'retention_period' '{retention}', allowed values: 7, 14, 30, 60, 90."),
            ));
        }
    }
    if let Some(private) = map.get("private_endpoints_only") {
        if !private.is_boolean() {
            return Err(broker(
                offering,
                format!("invalid parameter 'private_endpoints_only' '{private}': expected true or false."),
            ));
        }
    }
    for key in ["logs_bucket_crn", "metrics_bucket_crn"] {
        let Some(crn) = map.get(key) else { continue };
        let bucket = crn
            .as_str()
            .filter(|c| c.starts_with("crn:v1:") && c.contains(":cloud-object-storage:"))
            .ok_or_else(|| broker(offering, format!("invalid parameter '{key}' '{crn}': expected a Cloud Object Storage bucket CRN.")))?;
        let instance = bucket.split(':').nth(7).unwrap_or_default();
        // The buckets need `logs → cloud-object-storage` (Writer) first (TIM-LOGS `main.tf`).
        if !crate::iam_policy::authorizes(
            state,
            LOGS_SERVICE,
            "cloud-object-storage",
            instance,
            "Writer",
        ) {
            return Err(broker(
                offering,
                format!("'{key}': IBM Cloud Logs is not authorized to write to {bucket}; create the authorization logs → cloud-object-storage (Writer) first."),
            ));
        }
        let endpoint = key.replace("_crn", "_endpoint");
        if !map.get(&endpoint).is_some_and(Value::is_string) {
            return Err(broker(offering, format!("'{key}' needs '{endpoint}' too.")));
        }
    }
    Ok(())
}

/// An active instance's `extensions`: Cloud Logs' ingress hosts and retention (the keys
/// TIM-LOGS and LOGS-DOC read; the type of `retention_period` is UNVERIFIED, a string as in
/// the contract's fixture). Monitoring's are UNVERIFIED, so it shows none.
pub(crate) fn extensions(instance: &Instance) -> Option<Value> {
    if instance.resource_id != LOGS_SERVICE || instance.state != "active" {
        return None;
    }
    let days = retention_days(&instance.parameters["retention_period"]).unwrap_or(7);
    let (guid, region) = (&instance.guid, &instance.region);
    Some(json!({
        "external_ingress": format!("{guid}.ingress.{region}.logs.cloud.ibm.com"),
        "external_ingress_private": format!("{guid}.ingress.private.{region}.logs.cloud.ibm.com"),
        "retention_period": days.to_string(),
    }))
}

pub(crate) fn is_observability(instance: &Instance) -> bool {
    instance.resource_id == MONITORING_SERVICE || instance.resource_id == LOGS_SERVICE
}
