//! What the Observability step offers, read live: the Monitoring and Cloud Logs instances
//! already in the database's region (which the user may choose, and Onramp then keeps),
//! and the plans of new ones with their prices from the Global Catalog. Both bill by use,
//! so a price is a unit price, never a guessed monthly total.

use serde::{Deserialize, Serialize};
use specta::Type;

use onramp_cloud::{
    catalog::{GlobalCatalogClient, PriceMetric, Pricing},
    rc::{InstanceFilter, ResourceInstance, MONITORING_RESOURCE_ID},
    Cloud,
};

use super::{MonitoringPlan, LOGS_PLAN_NAME, LOGS_SERVICE};
use crate::AppError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct InstanceOffer {
    pub crn: String,
    pub name: String,
    /// The plan's name, e.g. "graduated-tier", when the catalog id is one Onramp knows.
    pub plan: Option<String>,
    pub state: String,
    /// Whether it is the region's platform-metrics receiver (RC echoes the parameter).
    pub default_receiver: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct MonitoringPlanOffer {
    pub plan: MonitoringPlan,
    pub label: String,
    /// The catalog's unit prices in this location, one line each; empty when it lists none.
    pub prices: Vec<String>,
    /// What the price means for this plan.
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ObservabilityOptions {
    pub monitoring_instances: Vec<InstanceOffer>,
    pub monitoring_plans: Vec<MonitoringPlanOffer>,
    pub logs_instances: Vec<InstanceOffer>,
    /// The catalog's unit prices of Cloud Logs' plan in this location (empty: none listed).
    pub logs_prices: Vec<String>,
}

fn plan_name(id: &str) -> Option<String> {
    [MonitoringPlan::Lite, MonitoringPlan::GraduatedTier]
        .into_iter()
        .find(|p| p.id() == id)
        .map(|p| match p {
            MonitoringPlan::Lite => "lite".to_owned(),
            MonitoringPlan::GraduatedTier => "graduated-tier".to_owned(),
        })
}

/// One metric's unit price, as a user reads it: "Monitored host (month): USD 35.00 per
/// 730 node hours". The catalog prices `charge_unit_quantity` units of `charge_unit_name`.
pub fn price_line(metric: &PriceMetric) -> Option<String> {
    let amount = metric
        .amounts
        .iter()
        .find(|a| a.country.as_deref() == Some("USA"))
        .or(metric.amounts.first())?;
    let price = amount.prices.first()?.price?;
    let currency = amount.currency.as_deref().unwrap_or("USD");
    let unit = metric
        .charge_unit_name
        .as_deref()
        .map(|u| u.to_lowercase().replace('_', " "))
        .or_else(|| metric.charge_unit_display_name.clone())
        .unwrap_or_else(|| "units".to_owned());
    let per = match metric.charge_unit_quantity.filter(|q| *q > 1.0) {
        Some(q) => format!("{q} {unit}"),
        None => unit,
    };
    let amount = if price == 0.0 {
        "no charge".to_owned()
    } else if price < 0.01 {
        format!("{currency} {price:.4} per {per}")
    } else {
        format!("{currency} {price:.2} per {per}")
    };
    Some(match &metric.resource_display_name {
        Some(what) => format!("{what}: {amount}"),
        None => amount,
    })
}

fn plan_offer(plan: MonitoringPlan, pricing: Option<&Pricing>) -> MonitoringPlanOffer {
    let prices = pricing
        .map(|p| p.metrics.iter().filter_map(price_line).collect())
        .unwrap_or_default();
    let note = match plan {
        MonitoringPlan::Lite => "Free for 30 days; after that the instance must be upgraded or deleted.".to_owned(),
        MonitoringPlan::GraduatedTier => "Billed by use: this database's platform metrics count toward time series hours. The monthly cost depends on how many metrics it sends.".to_owned(),
    };
    MonitoringPlanOffer {
        plan,
        label: plan.label().to_owned(),
        prices,
        note,
    }
}

/// Monitoring's plans, each with the catalog's prices (when it had any) and what they mean.
pub fn plan_offers(
    lite: Option<&Pricing>,
    graduated: Option<&Pricing>,
) -> Vec<MonitoringPlanOffer> {
    vec![
        plan_offer(MonitoringPlan::Lite, lite),
        plan_offer(MonitoringPlan::GraduatedTier, graduated),
    ]
}

/// The active instances of one service in `location`, by name.
fn offers(listed: Vec<ResourceInstance>, location: &str) -> Vec<InstanceOffer> {
    let mut all: Vec<InstanceOffer> = listed
        .into_iter()
        .filter(|i| i.region_id.as_deref() == Some(location) && i.is_ready())
        .map(|i| InstanceOffer {
            default_receiver: i
                .parameters
                .as_ref()
                .and_then(|p| p.get("default_receiver"))
                .and_then(|v| v.as_bool())
                .unwrap_or(false),
            plan: i.resource_plan_id.as_deref().and_then(plan_name),
            state: i
                .state
                .as_ref()
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default(),
            crn: i.crn,
            name: i.name,
        })
        .collect();
    all.sort_by(|a, b| a.name.cmp(&b.name));
    all
}

/// The catalog's prices of Cloud Logs' plan (found by name: IBM publishes no id for it).
async fn logs_prices(catalog: &GlobalCatalogClient, location: &str) -> Vec<String> {
    let Ok(plans) = catalog.plans(LOGS_SERVICE).await else {
        return Vec::new();
    };
    let Some(standard) = plans.iter().find(|p| p.name == LOGS_PLAN_NAME) else {
        return Vec::new();
    };
    match catalog.pricing(&standard.id, Some(location)).await {
        Ok(pricing) => pricing.metrics.iter().filter_map(price_line).collect(),
        Err(_) => Vec::new(),
    }
}

/// The Monitoring and Cloud Logs instances in `location`, and what new ones would be.
pub async fn options(cloud: &Cloud, location: &str) -> Result<ObservabilityOptions, AppError> {
    let rc = cloud.resource_controller().map_err(AppError::from_cloud)?;
    let catalog = cloud.global_catalog().map_err(AppError::from_cloud)?;
    let of = |service: &str| InstanceFilter {
        resource_id: Some(service.to_owned()),
        ..InstanceFilter::default()
    };
    let (monitoring_filter, logs_filter) = (of(MONITORING_RESOURCE_ID), of(LOGS_SERVICE));
    let (monitoring, logs, lite, graduated, logs_prices) = tokio::join!(
        rc.list_instances(&monitoring_filter),
        rc.list_instances(&logs_filter),
        catalog.pricing(MonitoringPlan::Lite.id(), Some(location)),
        catalog.pricing(MonitoringPlan::GraduatedTier.id(), Some(location)),
        logs_prices(&catalog, location),
    );
    Ok(ObservabilityOptions {
        monitoring_instances: offers(monitoring.map_err(AppError::from_cloud)?, location),
        monitoring_plans: plan_offers(lite.ok().as_ref(), graduated.ok().as_ref()),
        logs_instances: offers(logs.map_err(AppError::from_cloud)?, location),
        logs_prices,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_unit_price_says_its_unit_and_quantity() {
        let metric: PriceMetric = serde_json::from_value(serde_json::json!({
            "charge_unit_display_name": "time series hours", "charge_unit_quantity": 1000,
            "amounts": [{"country": "USA", "currency": "USD", "prices": [{"quantity_tier": 1, "price": 0.08}]}]
        }))
        .unwrap();
        assert_eq!(
            price_line(&metric).unwrap(),
            "USD 0.08 per 1000 time series hours"
        );
        let host: PriceMetric = serde_json::from_value(serde_json::json!({
            "resource_display_name": "Monitored host (month)", "charge_unit_name": "NODE_HOURS",
            "charge_unit_display_name": "host-month", "charge_unit_quantity": 730,
            "amounts": [{"country": "USA", "currency": "USD", "prices": [{"price": 35.0}]}]
        }))
        .unwrap();
        assert_eq!(
            price_line(&host).unwrap(),
            "Monitored host (month): USD 35.00 per 730 node hours"
        );
        let free: PriceMetric = serde_json::from_value(serde_json::json!({
            "resource_display_name": "API calls", "charge_unit_name": "API_CALLS",
            "amounts": [{"currency": "USD", "prices": [{"price": 0.0}]}]
        }))
        .unwrap();
        assert_eq!(price_line(&free).unwrap(), "API calls: no charge");
        let empty: PriceMetric = serde_json::from_value(serde_json::json!({})).unwrap();
        assert_eq!(price_line(&empty), None);
        assert!(plan_offer(MonitoringPlan::GraduatedTier, None)
            .prices
            .is_empty());
    }
}
