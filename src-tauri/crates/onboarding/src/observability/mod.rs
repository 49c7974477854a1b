//! The Observability step's part of the plan: where the database's platform metrics go
//! (IBM Cloud Monitoring through Metrics Routing), and the one account-wide change that
//! can need: Metrics Routing's primary metadata region, which an account without one must
//! have before any target or route exists. Onramp never changes it unconfirmed.
//!
//! A plan without this part (`None`, and every plan written before the step) routes nothing.

use serde::{Deserialize, Serialize};
use specta::Type;

use crate::plan::{DraftPlan, Problem};

pub mod account;
pub mod options;

pub mod field {
    pub const MONITORING: &str = "observability.monitoring";
    pub const ACCOUNT_SETTINGS: &str = "observability.accountSettings";

    pub fn label(field: &str) -> Option<&'static str> {
        match field {
            MONITORING => Some("Monitoring"),
            ACCOUNT_SETTINGS => Some("account-wide settings"),
            _ => None,
        }
    }
}

/// IBM Cloud Monitoring's service name (Resource Controller's `resource_id`).
pub const MONITORING_SERVICE: &str = "sysdig-monitor";
/// The service whose metrics the route selects (Metrics Routing's `service_name`).
pub const DATABASE_SERVICE: &str = "databases-for-postgresql";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct Observability {
    pub monitoring: MonitoringChoice,
    /// The primary metadata region the user agreed Onramp may give Metrics Routing, in an
    /// account that has none (an account-wide setting, shown as a before/after first).
    #[serde(default)]
    pub confirmed_metadata_region: Option<String>,
}

/// Where the database's platform metrics go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(tag = "kind")]
pub enum MonitoringChoice {
    /// Nowhere Onramp sets up.
    Off,
    /// An instance already in the account, in the database's region: used, never deleted.
    #[serde(rename_all = "camelCase")]
    Existing { crn: String, name: String },
    /// A new instance of `plan`, made (and deleted by teardown) with the plan.
    #[serde(rename_all = "camelCase")]
    Create { plan: MonitoringPlan },
}

/// IBM Cloud Monitoring's plans (observability-instances.md §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "kebab-case")]
pub enum MonitoringPlan {
    /// Free for 30 days; then it must be upgraded or deleted.
    Lite,
    /// Billed by use: hosts, containers, API calls and time series (platform metrics count
    /// toward time series hours).
    GraduatedTier,
}

impl MonitoringPlan {
    pub fn id(self) -> &'static str {
        match self {
            MonitoringPlan::Lite => onramp_cloud::rc::MONITORING_LITE_PLAN_ID,
            MonitoringPlan::GraduatedTier => onramp_cloud::rc::MONITORING_GRADUATED_TIER_PLAN_ID,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            MonitoringPlan::Lite => "Lite (free for 30 days)",
            MonitoringPlan::GraduatedTier => "Graduated tier (billed by use)",
        }
    }
}

/// The plan's monitoring choice, when it routes metrics anywhere.
pub fn monitoring(plan: &DraftPlan) -> Option<&MonitoringChoice> {
    plan.observability
        .as_ref()
        .map(|o| &o.monitoring)
        .filter(|m| **m != MonitoringChoice::Off)
}

/// The name of the Monitoring instance a plan makes: the database's, so the two are found
/// together in the resource list.
pub fn monitoring_instance_name(plan: &DraftPlan) -> String {
    format!("{}-monitoring", plan.name)
}

/// The name of the Metrics Routing target and route a plan makes.
pub fn metrics_name(plan: &DraftPlan) -> String {
    format!("onramp-{}-metrics", plan.name)
}

/// The GUID of a CRN (its eighth segment), as Metrics Routing's `service_instance` and IAM's
/// `serviceInstance` name an instance.
pub fn guid_of(crn: &str) -> Option<&str> {
    crn.split(':').nth(7).filter(|g| !g.is_empty())
}

/// The rules that need no cloud: a chosen instance is named by a CRN of Monitoring in the
/// database's region.
pub fn validate(plan: &DraftPlan) -> Vec<Problem> {
    let mut problems = Vec::new();
    if let Some(MonitoringChoice::Existing { crn, .. }) = monitoring(plan) {
        let parts: Vec<&str> = crn.split(':').collect();
        if crn.is_empty() {
            problems.push(Problem::new(
                field::MONITORING,
                "Choose the Monitoring instance the metrics go to, or create a new one.",
            ));
        } else if parts.len() < 8 || parts[4] != MONITORING_SERVICE || guid_of(crn).is_none() {
            problems.push(Problem::new(
                field::MONITORING,
                format!("'{crn}' is not the CRN of an IBM Cloud Monitoring instance."),
            ));
        } else if parts[5] != plan.location {
            problems.push(Problem::new(
                field::MONITORING,
                format!(
                    "This Monitoring instance is in {}; the database's metrics can go only to an instance in {}. Choose one there, or create a new one.",
                    parts[5], plan.location
                ),
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::resources::testing::plan;

    fn with(choice: MonitoringChoice) -> DraftPlan {
        let mut p = plan();
        p.observability = Some(Observability {
            monitoring: choice,
            confirmed_metadata_region: None,
        });
        p
    }

    const CRN: &str =
        "crn:v1:bluemix:public:sysdig-monitor:ca-mon:a/acct:5e3f1c7a-2b4d-4e6f-9a8b-0c1d2e3f4a5b::";

    #[test]
    fn off_and_new_instances_need_nothing_chosen() {
        assert!(validate(&with(MonitoringChoice::Off)).is_empty());
        assert!(validate(&with(MonitoringChoice::Create {
            plan: MonitoringPlan::Lite
        }))
        .is_empty());
        assert!(monitoring(&with(MonitoringChoice::Off)).is_none());
        assert!(monitoring(&plan()).is_none());
    }

    #[test]
    fn a_chosen_instance_must_be_monitoring_in_the_databases_region() {
        let ok = with(MonitoringChoice::Existing {
            crn: CRN.into(),
            name: "m".into(),
        });
        assert!(validate(&ok).is_empty());
        assert_eq!(guid_of(CRN), Some("5e3f1c7a-2b4d-4e6f-9a8b-0c1d2e3f4a5b"));
        let elsewhere = with(MonitoringChoice::Existing {
            crn: CRN.replace("ca-mon", "eu-de"),
            name: "m".into(),
        });
        let problems = validate(&elsewhere);
        assert_eq!(problems[0].field, field::MONITORING);
        assert!(problems[0].message.contains("eu-de"), "{problems:?}");
        let logs = with(MonitoringChoice::Existing {
            crn: CRN.replace("sysdig-monitor", "logs"),
            name: "m".into(),
        });
        assert!(validate(&logs)[0].message.contains("not the CRN"));
        let none = with(MonitoringChoice::Existing {
            crn: String::new(),
            name: String::new(),
        });
        assert!(validate(&none)[0].message.starts_with("Choose"));
    }
}
