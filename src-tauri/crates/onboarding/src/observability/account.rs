//! The account-wide settings an observability plan may change, as a before/after the user
//! confirms. Metrics Routing's settings are one object for the whole account, replaced
//! whole on update: Onramp changes only an empty primary metadata region (targets and
//! routes are refused without one), sends every other field back as it was, and never
//! touches default targets, permitted regions or the private-endpoint switch. An Activity
//! Tracker route covers locations, not one database, so adding one is an account-wide
//! change too (and the account's first target sets its metadata region).

use serde::{Deserialize, Serialize};
use specta::Type;

use onramp_cloud::{atracker, logs_router, metrics_router::Setting, Cloud};

use super::{
    activity, activity_name, field, logs_route_name, monitoring, platform_logs, Observability,
};
use crate::{
    plan::{DraftPlan, Problem},
    AppError,
};

/// One setting of the account, before and after the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct SettingChange {
    pub label: String,
    pub before: String,
    pub after: String,
    pub changed: bool,
}

/// A service's account-wide settings, whole, before and after the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct AccountChange {
    /// Which change: `metrics-router` or `atracker`.
    pub key: String,
    /// The API whose settings these are, e.g. "Metrics Routing".
    pub service: String,
    pub settings: Vec<SettingChange>,
    /// Why the plan changes them, and what it leaves alone.
    pub why: String,
    /// Whether the plan carries the user's confirmation of exactly this change.
    pub confirmed: bool,
}

fn shown(value: &str) -> String {
    if value.is_empty() {
        "(not set)".to_owned()
    } else {
        value.to_owned()
    }
}

fn list(values: impl Iterator<Item = String>) -> String {
    let all: Vec<String> = values.collect();
    if all.is_empty() {
        "(none)".to_owned()
    } else {
        all.join(", ")
    }
}

pub const METRICS_KEY: &str = "metrics-router";
pub const ACTIVITY_KEY: &str = "atracker";
pub const LOGS_KEY: &str = "logs-router";

/// The region the plan would set as Metrics Routing's primary metadata region: only when
/// the account has none and the plan routes metrics.
pub fn metadata_region_to_set(plan: &DraftPlan, current: &Setting) -> Option<String> {
    (monitoring(plan).is_some() && current.primary_metadata_region.is_empty())
        .then(|| plan.location.clone())
}

/// Metrics Routing's settings before and after `plan`, when the plan changes them.
pub fn metrics_change(plan: &DraftPlan, current: &Setting) -> Option<AccountChange> {
    let region = metadata_region_to_set(plan, current)?;
    let confirmed = plan
        .observability
        .as_ref()
        .and_then(|o: &Observability| o.confirmed_metadata_region.as_deref())
        == Some(region.as_str());
    let same = |label: &str, value: String| SettingChange {
        label: label.to_owned(),
        before: value.clone(),
        after: value,
        changed: false,
    };
    Some(AccountChange {
        key: METRICS_KEY.to_owned(),
        service: "Metrics Routing".to_owned(),
        settings: vec![
            SettingChange {
                label: "Primary metadata region".to_owned(),
                before: shown(&current.primary_metadata_region),
                after: region.clone(),
                changed: true,
            },
            same(
                "Backup metadata region",
                shown(current.backup_metadata_region.as_deref().unwrap_or_default()),
            ),
            same(
                "Default targets",
                list(current.default_targets.iter().map(|t| t.name.clone())),
            ),
            same(
                "Permitted target regions",
                list(current.permitted_target_regions.iter().cloned()),
            ),
            same(
                "Private API endpoint only",
                if current.private_api_endpoint_only { "yes" } else { "no" }.to_owned(),
            ),
        ],
        why: format!(
            "This account has no Metrics Routing metadata region, and Metrics Routing refuses targets and routes until it has one. Onramp would set it to {region}, where this database is; it is where Metrics Routing keeps its configuration for the whole account. Everything else stays as it is. Metrics Routing cannot unset it later, so teardown leaves it."
        ),
        confirmed,
    })
}

/// Activity Tracker's settings and routes before and after `plan`, when it routes events.
pub fn activity_change(
    plan: &DraftPlan,
    current: &atracker::Settings,
    routes: &[atracker::Route],
) -> Option<AccountChange> {
    activity(plan)?;
    let location = &plan.location;
    let name = activity_name(plan);
    let confirmed = plan
        .observability
        .as_ref()
        .and_then(|o| o.confirmed_activity_region.as_deref())
        == Some(location.as_str());
    let unset = current.metadata_region_primary.is_empty();
    let others = routes.iter().filter(|r| r.name != name).count();
    let same = |label: &str, value: String| SettingChange {
        label: label.to_owned(),
        before: value.clone(),
        after: value,
        changed: false,
    };
    let first_target = if unset {
        format!(" The account has no Activity Tracker metadata region, so the target Onramp creates sets it to {location}; Activity Tracker offers no way to unset it, so teardown leaves it.")
    } else {
        String::new()
    };
    Some(AccountChange {
        key: ACTIVITY_KEY.to_owned(),
        service: "Activity Tracker Event Routing".to_owned(),
        settings: vec![
            SettingChange {
                label: "Routes".to_owned(),
                before: format!("{others} route{}", if others == 1 { "" } else { "s" }),
                after: format!("adds '{name}': every event in {location} and every global event, to the Cloud Logs instance"),
                changed: true,
            },
            SettingChange {
                label: "Metadata region".to_owned(),
                before: shown(&current.metadata_region_primary),
                after: if unset { location.clone() } else { current.metadata_region_primary.clone() },
                changed: unset,
            },
            same("Default targets", list(current.default_targets.iter().cloned())),
            same(
                "Permitted target regions",
                list(current.permitted_target_regions.iter().cloned()),
            ),
        ],
        why: format!(
            "Activity Tracker routes cover locations, not one database. The route Onramp adds sends the activity events of every service in {location}, and the account's global events (this database's create and delete are global events), to the Cloud Logs instance, in addition to wherever other routes send them. Cloud Logs bills by the GB ingested. Teardown deletes the route and its target.{first_target}"
        ),
        confirmed,
    })
}

/// Logs Routing's settings and routes before and after `plan`, when it routes platform logs.
/// An account still on the v1 tenants API (`api_version` 1) is moved to v3 only as part of
/// this confirmed change, and Logs Routing refuses it where v1 tenants are in use.
pub fn logs_change(
    plan: &DraftPlan,
    current: &logs_router::Setting,
    routes: &[logs_router::Route],
) -> Option<AccountChange> {
    if !platform_logs(plan) {
        return None;
    }
    let location = &plan.location;
    let name = logs_route_name(plan);
    let confirmed = plan
        .observability
        .as_ref()
        .and_then(|o| o.confirmed_logs_region.as_deref())
        == Some(location.as_str());
    let v1 = current.api_version != 3;
    let unset = current.primary_metadata_region.is_empty();
    let others = routes.iter().filter(|r| r.name != name).count();
    let same = |label: &str, value: String| SettingChange {
        label: label.to_owned(),
        before: value.clone(),
        after: value,
        changed: false,
    };
    let version = if v1 {
        " The account still uses Logs Routing's older API (v1 tenants); routes need version 3, so Onramp would move the account to it. That cannot be undone, and Logs Routing refuses it while v1 tenants are in use: then Onramp stops here and changes nothing."
    } else {
        ""
    };
    let region = if unset {
        format!(" Logs Routing has no metadata region in this account; Onramp would set it to {location}, and teardown leaves it.")
    } else {
        String::new()
    };
    Some(AccountChange {
        key: LOGS_KEY.to_owned(),
        service: "Logs Routing".to_owned(),
        settings: vec![
            SettingChange {
                label: "Routes".to_owned(),
                before: format!("{others} route{}", if others == 1 { "" } else { "s" }),
                after: format!("adds '{name}': every platform log in {location}, to the Cloud Logs instance"),
                changed: true,
            },
            SettingChange {
                label: "API version".to_owned(),
                before: if v1 { "1 (v1 tenants)".to_owned() } else { "3".to_owned() },
                after: "3".to_owned(),
                changed: v1,
            },
            SettingChange {
                label: "Primary metadata region".to_owned(),
                before: shown(&current.primary_metadata_region),
                after: if unset { location.clone() } else { current.primary_metadata_region.clone() },
                changed: unset,
            },
            same(
                "Default targets",
                list(current.default_targets.iter().map(|t| t.name.clone())),
            ),
            same(
                "Permitted target regions",
                list(current.permitted_target_regions.iter().cloned()),
            ),
        ],
        why: format!(
            "Logs Routing routes by location, not by instance: the route Onramp adds sends the platform logs of every service in {location} to the Cloud Logs instance. Cloud Logs bills by the GB ingested. Teardown deletes the route and its target.{version}{region}"
        ),
        confirmed,
    })
}

/// The account-wide changes `plan` makes, read from the cloud now.
pub async fn changes(cloud: &Cloud, plan: &DraftPlan) -> Result<Vec<AccountChange>, AppError> {
    let mut all = Vec::new();
    if monitoring(plan).is_some() {
        let router = cloud
            .metrics_router(&plan.location)
            .map_err(AppError::from_cloud)?;
        let current = router.get_settings().await.map_err(AppError::from_cloud)?;
        all.extend(metrics_change(plan, &current));
    }
    if activity(plan).is_some() {
        let tracker = cloud
            .atracker(&plan.location)
            .map_err(AppError::from_cloud)?;
        let (settings, routes) = tokio::join!(tracker.get_settings(), tracker.list_routes());
        let settings = settings.map_err(AppError::from_cloud)?;
        let routes = routes.map_err(AppError::from_cloud)?;
        all.extend(activity_change(plan, &settings, &routes));
    }
    if platform_logs(plan) {
        let router = cloud
            .logs_router(&plan.location)
            .map_err(AppError::from_cloud)?;
        let (settings, routes) = tokio::join!(router.get_settings(), router.list_routes());
        let settings = settings.map_err(AppError::from_cloud)?;
        // A v1 account may refuse v3 reads; it then has no v3 routes.
        let routes = routes.unwrap_or_default();
        all.extend(logs_change(plan, &settings, &routes));
    }
    Ok(all)
}

/// Apply refuses a plan whose account-wide change the user has not confirmed.
pub fn unconfirmed(changes: &[AccountChange]) -> Vec<Problem> {
    changes
        .iter()
        .filter(|c| !c.confirmed)
        .map(|c| {
            Problem::new(
                field::ACCOUNT_SETTINGS,
                format!(
                    "The plan changes {}'s account-wide settings. Review the change in the Observability step and confirm it, or turn it off.",
                    c.service
                ),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        engine::resources::testing::plan,
        observability::{MonitoringChoice, MonitoringPlan},
    };

    fn settings(primary: &str) -> Setting {
        serde_json::from_value(serde_json::json!({
            "default_targets": [], "permitted_target_regions": ["us-south"],
            "primary_metadata_region": primary, "private_api_endpoint_only": false
        }))
        .unwrap()
    }

    fn monitored(confirmed: Option<&str>) -> DraftPlan {
        let mut p = plan();
        p.observability = Some(Observability {
            monitoring: MonitoringChoice::Create {
                plan: MonitoringPlan::Lite,
            },
            confirmed_metadata_region: confirmed.map(str::to_owned),
            ..Default::default()
        });
        p
    }

    fn tracker(primary: &str) -> atracker::Settings {
        serde_json::from_value(serde_json::json!({
            "metadata_region_primary": primary, "private_api_endpoint_only": false,
            "default_targets": [], "permitted_target_regions": [], "api_version": 2
        }))
        .unwrap()
    }

    #[test]
    fn an_activity_route_is_always_an_account_wide_change_and_says_why() {
        let mut p = plan();
        assert_eq!(activity_change(&p, &tracker(""), &[]), None);
        p.observability = Some(Observability {
            activity: crate::observability::ActivityChoice::Create,
            ..Default::default()
        });
        let change = activity_change(&p, &tracker("us-south"), &[]).unwrap();
        assert!(!change.confirmed);
        let changed: Vec<_> = change
            .settings
            .iter()
            .filter(|s| s.changed)
            .map(|s| s.label.as_str())
            .collect();
        assert_eq!(changed, ["Routes"], "a set metadata region stays");
        assert!(change.why.contains("every service in ca-mon"));
        let fresh = activity_change(&p, &tracker(""), &[]).unwrap();
        assert!(fresh
            .settings
            .iter()
            .any(|s| s.label == "Metadata region" && s.changed && s.after == "ca-mon"));
        p.observability.as_mut().unwrap().confirmed_activity_region = Some("ca-mon".into());
        assert!(activity_change(&p, &tracker(""), &[]).unwrap().confirmed);
    }

    #[test]
    fn an_account_with_a_metadata_region_is_left_alone() {
        assert_eq!(
            metrics_change(&monitored(None), &settings("us-south")),
            None
        );
        assert_eq!(metrics_change(&plan(), &settings("")), None);
    }

    #[test]
    fn an_empty_region_is_a_change_shown_whole_and_needs_a_confirmation_of_that_region() {
        let change = metrics_change(&monitored(None), &settings("")).unwrap();
        assert!(!change.confirmed);
        let changed: Vec<_> = change.settings.iter().filter(|s| s.changed).collect();
        assert_eq!(changed.len(), 1);
        assert_eq!(changed[0].before, "(not set)");
        assert_eq!(changed[0].after, "ca-mon");
        assert_eq!(
            change.settings.len(),
            5,
            "the whole settings object is shown"
        );
        assert_eq!(unconfirmed(&[change])[0].field, field::ACCOUNT_SETTINGS);
        // A confirmation of another region does not count.
        assert!(
            !metrics_change(&monitored(Some("eu-de")), &settings(""))
                .unwrap()
                .confirmed
        );
        let ok = metrics_change(&monitored(Some("ca-mon")), &settings("")).unwrap();
        assert!(ok.confirmed);
        assert!(unconfirmed(&[ok]).is_empty());
    }
}
