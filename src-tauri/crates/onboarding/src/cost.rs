//! The Review step's cost estimate, from the Global Catalog's pricing for the plan's
//! location: the host flavor per member-month and the disk per GB-month, for each member.
//! A price the catalog does not list is reported as unknown, never guessed.

use serde::{Deserialize, Serialize};
use specta::Type;

use onramp_cloud::catalog::{PriceMetric, Pricing};

use crate::plan::DraftPlan;

/// Hours in the month that IBM's monthly prices assume.
pub const HOURS_PER_MONTH: f64 = 730.0;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct CostLine {
    /// e.g. `Host flavor bx3d.4x20 × 2 members`.
    pub label: String,
    /// Price of one unit per month, when the catalog lists it.
    pub unit_monthly: Option<f64>,
    pub quantity: f64,
    /// `unit_monthly × quantity`, when known.
    pub monthly: Option<f64>,
    /// Why it is unknown, when it is.
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct CostEstimate {
    pub currency: String,
    pub lines: Vec<CostLine>,
    /// The sum of the known lines.
    pub monthly_known: f64,
    pub hourly_known: f64,
    /// False when any line's price is unknown: the total is then a lower bound.
    pub complete: bool,
    /// What the estimate leaves out or where it comes from.
    pub notes: Vec<String>,
}

fn unit_price(metric: &PriceMetric, country: &str) -> Option<(f64, String)> {
    let amount = metric
        .amounts
        .iter()
        .find(|a| a.country.as_deref() == Some(country))
        .or(metric.amounts.first())?;
    let price = amount.prices.first()?.price?;
    let per = metric
        .charge_unit_quantity
        .filter(|q| *q > 0.0)
        .unwrap_or(1.0);
    Some((
        price / per,
        amount.currency.clone().unwrap_or_else(|| "USD".to_owned()),
    ))
}

/// The monthly estimate for `plan` from `pricing` (None when the catalog had no pricing
/// for the location at all).
pub fn estimate(plan: &DraftPlan, pricing: Option<&Pricing>, sandbox: bool) -> CostEstimate {
    let members = plan.members.max(0) as f64;
    let storage = plan.storage_gb.max(0) as f64;
    let metrics: &[PriceMetric] = pricing.map(|p| p.metrics.as_slice()).unwrap_or(&[]);
    let flavor_metric = metrics.iter().find(|m| {
        m.metric_id
            .as_deref()
            .is_some_and(|id| id.contains(&plan.host_flavor))
            && !plan.host_flavor.is_empty()
    });
    let disk_metric = metrics.iter().find(|m| {
        m.charge_unit_name
            .as_deref()
            .is_some_and(|u| u.contains("GIGABYTE"))
    });
    let mut currency = "USD".to_owned();
    let mut line = |label: String, metric: Option<&PriceMetric>, quantity: f64, missing: &str| {
        let price = metric.and_then(|m| unit_price(m, "USA"));
        if let Some((_, c)) = &price {
            currency = c.clone();
        }
        let unit = price.map(|(p, _)| p);
        CostLine {
            label,
            unit_monthly: unit,
            quantity,
            monthly: unit.map(|u| (u * quantity * 100.0).round() / 100.0),
            note: unit.is_none().then(|| missing.to_owned()),
        }
    };
    let lines = vec![
        line(
            format!(
                "Host flavor {} × {} members",
                plan.host_flavor, plan.members
            ),
            flavor_metric,
            members,
            "The catalog lists no price for this flavor in this location.",
        ),
        line(
            format!("Disk {} GB × {} members", plan.storage_gb, plan.members),
            disk_metric,
            storage * members,
            "The catalog lists no disk price for this location.",
        ),
    ];
    let monthly_known: f64 = lines.iter().filter_map(|l| l.monthly).sum();
    let complete = lines.iter().all(|l| l.monthly.is_some());
    let mut notes = vec![
        "Backup storage beyond the included amount, and data transfer, are billed separately and not in this estimate.".to_owned(),
        "The private path (VPC, jump server, floating IP) is billed by VPC and not in this estimate.".to_owned(),
    ];
    if let Some(existing) = &plan.existing {
        notes.insert(
            0,
            format!(
                "{} is a database you already have: this is what it costs each month, billed already; the plan adds only what it makes around it.",
                existing.name
            ),
        );
    }
    match crate::observability::monitoring(plan) {
        Some(crate::observability::MonitoringChoice::Create { plan: tier }) => notes.push(match tier {
            crate::observability::MonitoringPlan::Lite => "The new Monitoring instance (Lite) is free for 30 days; then it must be upgraded or deleted.".to_owned(),
            crate::observability::MonitoringPlan::GraduatedTier => "The new Monitoring instance (graduated tier) is billed by use (hosts, time series, API calls) and not in this estimate; the Observability step shows its unit prices.".to_owned(),
        }),
        Some(_) => notes.push("Metrics sent to the Monitoring instance you chose count toward its own bill.".to_owned()),
        None => {}
    }
    match crate::observability::activity(plan) {
        Some(crate::observability::ActivityChoice::Create) => notes.push("The new Cloud Logs instance is billed by the GB ingested and not in this estimate; the Observability step shows its prices.".to_owned()),
        Some(_) => notes.push("Events sent to the Cloud Logs instance you chose count toward its own bill.".to_owned()),
        None => {}
    }
    if pricing.is_none() {
        notes.insert(
            0,
            "The catalog has no pricing for this location.".to_owned(),
        );
    }
    if sandbox {
        notes.insert(
            0,
            "Sandbox prices are illustrative, for rehearsal; they are not IBM's prices and nothing is billed.".to_owned(),
        );
    }
    CostEstimate {
        currency,
        monthly_known: (monthly_known * 100.0).round() / 100.0,
        hourly_known: (monthly_known / HOURS_PER_MONTH * 1000.0).round() / 1000.0,
        lines,
        complete,
        notes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Encryption;

    fn plan() -> DraftPlan {
        DraftPlan {
            id: "p".into(),
            name: "pg".into(),
            location: "ca-mon".into(),
            resource_group_id: "g".into(),
            members: 3,
            host_flavor: "bx3d.4x20".into(),
            storage_gb: 100,
            version: "18".into(),
            encryption: Encryption::ProviderManaged,
            connectivity: None,
            observability: None,
            existing: None,
        }
    }

    fn pricing() -> Pricing {
        serde_json::from_value(serde_json::json!({"metrics": [
            {"metric_id": "part-is-storage-gigabyte-months", "charge_unit_name": "GIGABYTE_MONTHS", "charge_unit_quantity": 1,
             "amounts": [{"country": "USA", "currency": "USD", "prices": [{"quantity_tier": 1, "price": 0.25}]}]},
            {"metric_id": "part-host-flavor-bx3d.4x20-member-months", "charge_unit_name": "MEMBER_MONTHS", "charge_unit_quantity": "1",
             "amounts": [{"country": "USA", "currency": "USD", "prices": [{"quantity_tier": 1, "price": 237.0}]}]}
        ]}))
        .unwrap()
    }

    #[test]
    fn members_times_flavor_plus_disk_per_member() {
        let cost = estimate(&plan(), Some(&pricing()), false);
        assert!(cost.complete);
        assert_eq!(cost.lines[0].monthly, Some(711.0));
        assert_eq!(cost.lines[1].quantity, 300.0);
        assert_eq!(cost.lines[1].monthly, Some(75.0));
        assert_eq!(cost.monthly_known, 786.0);
        assert_eq!(cost.hourly_known, 1.077);
    }

    #[test]
    fn a_missing_price_is_unknown_not_zero() {
        let mut p = plan();
        p.host_flavor = "bx3d.48x240".into();
        let cost = estimate(&p, Some(&pricing()), false);
        assert!(!cost.complete);
        assert_eq!(cost.lines[0].monthly, None);
        assert!(cost.lines[0].note.as_deref().unwrap().contains("no price"));
        assert_eq!(cost.monthly_known, 75.0);
        let none = estimate(&p, None, true);
        assert!(!none.complete);
        assert!(none.notes[0].contains("illustrative"));
        assert!(none.notes[1].contains("no pricing"));
    }
}
