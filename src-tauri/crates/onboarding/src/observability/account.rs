//! The account-wide settings an observability plan may change, as a before/after the user
//! confirms. Metrics Routing's settings are one object for the whole account, replaced
//! whole on update: Onramp changes only an empty primary metadata region (targets and
//! routes are refused without one), sends every other field back as it was, and never
//! touches default targets, permitted regions or the private-endpoint switch.

use serde::{Deserialize, Serialize};
use specta::Type;

use onramp_cloud::{metrics_router::Setting, Cloud};

use super::{field, monitoring, Observability};
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

/// The account-wide changes `plan` makes, read from the cloud now.
pub async fn changes(cloud: &Cloud, plan: &DraftPlan) -> Result<Vec<AccountChange>, AppError> {
    if monitoring(plan).is_none() {
        return Ok(Vec::new());
    }
    let router = cloud
        .metrics_router(&plan.location)
        .map_err(AppError::from_cloud)?;
    let current = router.get_settings().await.map_err(AppError::from_cloud)?;
    Ok(metrics_change(plan, &current).into_iter().collect())
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
                    "The plan changes {}'s account-wide settings. Review the change in the Observability step and confirm it, or turn Monitoring off.",
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
        });
        p
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
