//! The Observability step's part of the plan: where the database's platform metrics go
//! (IBM Cloud Monitoring through Metrics Routing) and where its activity events go (IBM
//! Cloud Logs through Activity Tracker Event Routing), and the account-wide changes they
//! can need, which Onramp never makes unconfirmed: Metrics Routing's primary metadata
//! region, and an Activity Tracker route (routes cover locations, not one database).
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
    pub const ACTIVITY: &str = "observability.activity";
    pub const PLATFORM_LOGS: &str = "observability.platformLogs";

    pub fn label(field: &str) -> Option<&'static str> {
        match field {
            MONITORING => Some("Monitoring"),
            ACTIVITY => Some("activity tracking"),
            PLATFORM_LOGS => Some("platform logs"),
            ACCOUNT_SETTINGS => Some("account-wide settings"),
            _ => None,
        }
    }
}

/// IBM Cloud Logs' service name (Resource Controller's `resource_id`).
pub const LOGS_SERVICE: &str = onramp_cloud::rc::CLOUD_LOGS_RESOURCE_ID;
/// Cloud Logs' one plan, by name (observability-instances.md §2): IBM publishes no id for
/// it, so it is looked up in the Global Catalog.
pub const LOGS_PLAN_NAME: &str = "standard";
/// IBM Cloud Monitoring's service name (Resource Controller's `resource_id`).
pub const MONITORING_SERVICE: &str = "sysdig-monitor";
/// The service whose metrics the route selects (Metrics Routing's `service_name`).
pub const DATABASE_SERVICE: &str = "databases-for-postgresql";

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct Observability {
    #[serde(default)]
    pub monitoring: MonitoringChoice,
    /// The primary metadata region the user agreed Onramp may give Metrics Routing, in an
    /// account that has none (an account-wide setting, shown as a before/after first).
    #[serde(default)]
    pub confirmed_metadata_region: Option<String>,
    /// Where the database's activity events go (older plans: nowhere).
    #[serde(default)]
    pub activity: ActivityChoice,
    /// The location whose account-wide Activity Tracker route the user agreed to (events of
    /// every service there, and global ones, go to the instance).
    #[serde(default)]
    pub confirmed_activity_region: Option<String>,
    /// Whether the database's platform logs go to the same Cloud Logs instance, through
    /// Logs Routing (older plans: no).
    #[serde(default)]
    pub platform_logs: bool,
    /// The location whose account-wide Logs Routing change the user agreed to (a route for
    /// every platform log there, and the settings it needs).
    #[serde(default)]
    pub confirmed_logs_region: Option<String>,
}

/// Where the database's activity events (and the account's global events) go.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(tag = "kind")]
pub enum ActivityChoice {
    #[default]
    Off,
    /// A Cloud Logs instance already in the database's region: used, never deleted.
    #[serde(rename_all = "camelCase")]
    Existing { crn: String, name: String },
    /// A new Cloud Logs instance (its one plan, `standard`; 7 days' retention).
    Create,
}

/// Where the database's platform metrics go.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(tag = "kind")]
pub enum MonitoringChoice {
    /// Nowhere Onramp sets up.
    #[default]
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

/// The plan's activity-tracking choice, when it routes events anywhere.
pub fn activity(plan: &DraftPlan) -> Option<&ActivityChoice> {
    plan.observability
        .as_ref()
        .map(|o| &o.activity)
        .filter(|a| **a != ActivityChoice::Off)
}

/// Whether the plan routes platform logs (to the Cloud Logs instance of activity tracking).
pub fn platform_logs(plan: &DraftPlan) -> bool {
    plan.observability.as_ref().is_some_and(|o| o.platform_logs) && activity(plan).is_some()
}

/// The name of the Logs Routing target and route a plan makes.
pub fn logs_route_name(plan: &DraftPlan) -> String {
    format!("onramp-{}-logs", plan.name)
}

/// The name of the Cloud Logs instance a plan makes.
pub fn logs_instance_name(plan: &DraftPlan) -> String {
    format!("{}-logs", plan.name)
}

/// The name of the Activity Tracker target and route a plan makes.
pub fn activity_name(plan: &DraftPlan) -> String {
    format!("onramp-{}-activity", plan.name)
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

/// Whether `crn` names an instance of `service` in `location`; the message otherwise.
fn check_instance(crn: &str, service: &str, what: &str, location: &str) -> Option<String> {
    let parts: Vec<&str> = crn.split(':').collect();
    if crn.is_empty() {
        Some(format!("Choose the {what} instance, or create a new one."))
    } else if parts.len() < 8 || parts[4] != service || guid_of(crn).is_none() {
        Some(format!(
            "'{crn}' is not the CRN of an IBM Cloud {what} instance."
        ))
    } else if parts[5] != location {
        Some(format!(
            "This {what} instance is in {}; the database's data can go only to an instance in {location}. Choose one there, or create a new one.",
            parts[5]
        ))
    } else {
        None
    }
}

/// The rules that need no cloud: a chosen instance is named by a CRN of its service in the
/// database's region.
pub fn validate(plan: &DraftPlan) -> Vec<Problem> {
    let mut problems = Vec::new();
    if let Some(MonitoringChoice::Existing { crn, .. }) = monitoring(plan) {
        if let Some(message) = check_instance(crn, MONITORING_SERVICE, "Monitoring", &plan.location)
        {
            problems.push(Problem::new(field::MONITORING, message));
        }
    }
    if let Some(ActivityChoice::Existing { crn, .. }) = activity(plan) {
        if let Some(message) = check_instance(crn, LOGS_SERVICE, "Cloud Logs", &plan.location) {
            problems.push(Problem::new(field::ACTIVITY, message));
        }
    }
    if plan.observability.as_ref().is_some_and(|o| o.platform_logs) && activity(plan).is_none() {
        problems.push(Problem::new(
            field::PLATFORM_LOGS,
            "Platform logs go to the Cloud Logs instance of activity tracking: choose or create one there first.",
        ));
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
            activity: ActivityChoice::Off,
            confirmed_activity_region: None,
            ..Default::default()
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

    #[test]
    fn a_chosen_cloud_logs_instance_must_be_in_the_databases_region() {
        let mut p = with(MonitoringChoice::Off);
        let logs =
            "crn:v1:bluemix:public:logs:ca-mon:a/acct:9d2c4b6a-8e1f-4a3b-b5c7-d9e0f1a2b3c4::";
        p.observability.as_mut().unwrap().activity = ActivityChoice::Existing {
            crn: logs.into(),
            name: "l".into(),
        };
        assert!(validate(&p).is_empty());
        assert!(activity(&p).is_some() && monitoring(&p).is_none());
        p.observability.as_mut().unwrap().activity = ActivityChoice::Existing {
            crn: logs.replace("ca-mon", "us-south"),
            name: "l".into(),
        };
        assert_eq!(validate(&p)[0].field, field::ACTIVITY);
        p.observability.as_mut().unwrap().activity = ActivityChoice::Off;
        p.observability.as_mut().unwrap().platform_logs = true;
        assert_eq!(validate(&p)[0].field, field::PLATFORM_LOGS);
        assert!(!platform_logs(&p));
    }
}
