//! Global Catalog entries for Monitoring (`sysdig-monitor`) and Cloud Logs (`logs`): the
//! service, its plans, one deployment per location, and each plan's pricing, in the shapes
//! the PostgreSQL entries use, so a client reads a plan's price the same way.
//!
//! Cloud Logs' prices per GB are LOGS-DOC `service_plans.md`'s. Monitoring's documented
//! metrics are per host and per time series (MON-DOC `pricing.md`), with no published
//! numbers here: the sandbox's are illustrative.

use serde_json::{json, Value};

use super::{locations, Offering, LOGS_SERVICE, MONITORING_SERVICE, OFFERINGS};
use crate::{catalog::entry, server::AppState};

pub(crate) fn deployment_id(offering: &Offering, location: &str) -> String {
    format!("{}-{}:{location}", offering.service, offering.plan_name)
}

pub(crate) fn deployment_crn(offering: &Offering, location: &str) -> String {
    format!(
        "crn:v1:bluemix:public:globalcatalog::::deployment:{}",
        deployment_id(offering, location).replace(':', "%3A")
    )
}

/// The location an RC `target` names for this plan: a location name or a deployment CRN.
pub(crate) fn location_of(offering: &Offering, target: &str) -> Option<&'static str> {
    locations()
        .iter()
        .find(|l| target == **l || target == deployment_crn(offering, l))
        .copied()
}

fn service_display(service: &str) -> (&'static str, &'static str) {
    if service == MONITORING_SERVICE {
        ("IBM Cloud Monitoring", "Monitor the health of services and applications; receives platform metrics (sandbox catalog).")
    } else {
        (
            "IBM Cloud Logs",
            "Collect, search and analyse logs and platform events (sandbox catalog).",
        )
    }
}

/// Every entry of the two services.
pub(crate) fn entries(state: &AppState) -> Vec<Value> {
    let mut all = Vec::new();
    for service in [MONITORING_SERVICE, LOGS_SERVICE] {
        let (display, description) = service_display(service);
        let mut service_entry = entry(
            state,
            service,
            service,
            "service",
            None,
            display,
            description,
            json!({"rc_compatible": true, "service": {"rc_provisionable": true, "iam_compatible": true, "bindable": true}}),
        );
        service_entry["tags"] = json!(["ibm_created", "rc_compatible", "observability"]);
        service_entry["images"] = json!({"image": format!("{}/gc/api/v1/{service}/artifacts/{service}.svg", state.base_url)});
        all.push(service_entry);
        for offering in OFFERINGS.iter().filter(|o| o.service == service) {
            all.push(entry(
                state,
                offering.plan_id,
                offering.plan_name,
                "plan",
                Some(service),
                offering.plan_display_name,
                offering.description,
                json!({"rc_compatible": true, "pricing": {"type": if offering.free { "free" } else { "paid" }}}),
            ));
            for location in locations() {
                let mut deployment = entry(
                    state,
                    &deployment_id(offering, location),
                    location,
                    "deployment",
                    Some(offering.plan_id),
                    location,
                    &format!("{} {} in {location}", display, offering.plan_display_name),
                    json!({
                        "rc_compatible": true,
                        "deployment": {
                            "location": location,
                            "location_url": format!("{}/gc/api/v1/{location}", state.base_url),
                            "target_crn": format!("crn:v1:bluemix:public::{location}::::"),
                        },
                    }),
                );
                deployment["catalog_crn"] = json!(deployment_crn(offering, location));
                all.push(deployment);
            }
        }
    }
    all
}

fn amount(price: f64) -> Value {
    json!([{"country": "USA", "currency": "USD", "prices": [{"quantity_tier": 1, "price": price}]}])
}

fn metric(
    part: &str,
    unit: &str,
    per: u32,
    display: &str,
    unit_display: &str,
    price: f64,
) -> Value {
    json!({
        "part_ref": format!("sandbox-{part}"),
        "metric_id": format!("part-{part}"),
        "tier_model": "Linear",
        "charge_unit_name": unit,
        "charge_unit_quantity": per,
        "resource_display_name": display,
        "charge_unit_display_name": unit_display,
        "usage_cap_qty": 0,
        "amounts": amount(price),
    })
}

/// `GET /{id}/pricing` for a plan or one of its deployments; `None` if `id` is neither.
pub(crate) fn pricing(id: &str) -> Option<Value> {
    let (offering, location) = OFFERINGS.iter().find_map(|o| {
        if o.plan_id == id {
            return Some((o, "ca-mon"));
        }
        locations()
            .iter()
            .find(|l| deployment_id(o, l) == id)
            .map(|l| (o, *l))
    })?;
    let metrics = match (offering.service, offering.free) {
        (_, true) => vec![metric(
            "sysdig-monitor-lite-instance",
            "INSTANCES",
            1,
            "Lite instance (30 days)",
            "instance",
            0.0,
        )],
        (MONITORING_SERVICE, false) => vec![
            // Monthly, as the PostgreSQL prices are: per 730 hours. Illustrative.
            metric(
                "sysdig-monitor-node-hours",
                "NODE_HOURS",
                730,
                "Monitored host (month)",
                "host-month",
                35.0,
            ),
            metric(
                "sysdig-monitor-time-series-hours",
                "TIME_SERIES_HOURS",
                730,
                "Time series, platform metrics included (month)",
                "time-series-month",
                0.08,
            ),
            metric(
                "sysdig-monitor-api-calls",
                "API_CALLS",
                1000,
                "API calls (thousand)",
                "thousand calls",
                0.0,
            ),
        ],
        _ => {
            let mut m = vec![
                metric(
                    "logs-store-search-gigabytes",
                    "GIGABYTES",
                    1,
                    "Store and search (GB ingested)",
                    "GB",
                    0.48,
                ),
                metric(
                    "logs-analyze-alert-gigabytes",
                    "GIGABYTES",
                    1,
                    "Analyze and alert (GB ingested)",
                    "GB",
                    0.75,
                ),
            ];
            for (days, price) in [(7, 1.20), (14, 1.75), (30, 2.25), (60, 2.75), (90, 3.25)] {
                m.push(metric(
                    &format!("logs-priority-insights-{days}d-gigabytes"),
                    "GIGABYTES",
                    1,
                    &format!("Priority insights, {days}-day retention (GB ingested)"),
                    "GB",
                    price,
                ));
            }
            m
        }
    };
    Some(json!({
        "deployment_id": deployment_id(offering, location),
        "deployment_location": location,
        "deployment_region": location,
        "origin": "pricing_catalog",
        "type": if offering.free { "free" } else { "paid" },
        "i18n": {},
        "starting_price": {},
        "effective_from": "2026-01-01T00:00:00Z",
        "metrics": metrics,
        "sandbox_note": "Illustrative prices for rehearsal; not IBM's prices (Cloud Logs' per-GB prices are its documented list prices).",
    }))
}
