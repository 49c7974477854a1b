//! The Done step: what a finished plan made, where each of its secrets lives, what was left
//! out and how to go back to it, in the user's words and from the journal alone. Cost and
//! the way in are added by the caller, which can reach the cloud and the keychain.

use serde::{Deserialize, Serialize};
use specta::Type;

use crate::{
    cost::CostEstimate,
    engine::{self, resources, PlanProgress, StepStatus, Timing},
    journal::{ExtraKind, JournalState, Owner, Phase, StepId},
    settings::Mode,
    vault::entry,
};

/// One resource of the plan as Done lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct DoneResource {
    pub step: StepId,
    pub label: String,
    pub name: String,
    /// The CRN, id or key GUID the cloud gave it.
    pub id: Option<String>,
    /// Its region (`global` for account-wide ones).
    pub location: String,
    pub status: StepStatus,
    /// False for what the plan used but did not make (the user's choice, or what was there).
    pub made_by_plan: bool,
    /// Where IBM Cloud's console shows it (none in the sandbox).
    pub console_url: Option<String>,
}

/// A secret of the plan: what it is and the keychain entry that holds it (never its value).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct SecretPlace {
    pub what: String,
    pub keychain_entry: String,
}

/// Something the plan left out, and the step where the user can go back to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct Skipped {
    pub what: String,
    pub why: String,
    /// The wizard step that changes it, if one does.
    pub step: Option<String>,
}

/// Everything Done shows of a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct PlanSummary {
    pub plan_id: String,
    pub plan_name: String,
    pub mode: Mode,
    pub account_id: String,
    pub location: String,
    pub progress: PlanProgress,
    pub resources: Vec<DoneResource>,
    /// The OS keychain's service all the entries are under (the app's identifier).
    pub keychain_service: String,
    pub secrets: Vec<SecretPlace>,
    pub skipped: Vec<Skipped>,
    /// The database's private host name, once the way in is ready.
    pub host_name: Option<String>,
    /// The monthly estimate, when the catalog could be read.
    pub cost: Option<CostEstimate>,
    /// The database's size by the journal (the plan's, or the last scale's).
    pub size: crate::scale::Size,
}

/// Done's picture of the plan, from its journal.
pub fn summary(state: &JournalState, timing: &Timing, keychain_service: &str) -> PlanSummary {
    let progress = engine::progress_of(state, timing);
    let sandbox = state.mode == Mode::Sandbox;
    let resources = progress
        .steps
        .iter()
        .filter(|s| !matches!(s.status, StepStatus::Waiting | StepStatus::Blocked))
        .map(|s| {
            let kind = resources::of(s.step);
            let record = state.step(s.step);
            let made = matches!(
                record.owner,
                Some(Owner::Made | Owner::Proved | Owner::Legacy)
            ) && !kind.chosen(&state.plan);
            DoneResource {
                step: s.step,
                label: s.label.clone(),
                name: s.name.clone(),
                id: s.resource_id.clone(),
                location: if s.step == StepId::Authorization {
                    "global".to_owned()
                } else {
                    state.plan.location.clone()
                },
                status: s.status,
                made_by_plan: made,
                console_url: match (&s.resource_id, sandbox) {
                    (Some(id), false) => kind.console(state, id),
                    _ => None,
                },
            }
        })
        .collect();
    let way_in = engine::private_path_of(state);
    PlanSummary {
        plan_id: state.plan.id.clone(),
        plan_name: state.plan.name.clone(),
        mode: state.mode,
        account_id: state.account_id.clone(),
        location: state.plan.location.clone(),
        resources,
        keychain_service: keychain_service.to_owned(),
        secrets: secrets(state),
        skipped: skipped(state, &progress),
        host_name: way_in.and_then(|p| p.host_name),
        cost: None,
        size: crate::scale::Size::of(&state.plan),
        progress,
    }
}

fn secrets(state: &JournalState) -> Vec<SecretPlace> {
    let mut found = Vec::new();
    if state.mode == Mode::IbmCloud {
        found.push(SecretPlace {
            what: "Your IBM Cloud API key".into(),
            keychain_entry: entry::API_KEY.into(),
        });
    }
    if let Some(guid) = state.step(StepId::ManagerKey).id {
        found.push(SecretPlace {
            what: "The Manager credential's password and connection data".into(),
            keychain_entry: entry::credential(&guid),
        });
    }
    if engine::private_path_of(state).is_some_and(|p| p.ssh_key_entry.is_some()) {
        found.push(SecretPlace {
            what: "The private half of the jump server's SSH key".into(),
            keychain_entry: entry::ssh_key(&state.plan.id),
        });
    }
    for extra in state.extras.iter().filter(|e| e.phase != Phase::Deleted) {
        let Some(keychain_entry) = extra.keychain_entry.clone() else {
            continue;
        };
        let what = match extra.kind {
            ExtraKind::Credential => format!("The password of the credential {}", extra.name),
            ExtraKind::SqlUser => format!("The password of the SQL user {}", extra.name),
        };
        found.push(SecretPlace {
            what,
            keychain_entry,
        });
    }
    found
}

fn skipped(state: &JournalState, progress: &PlanProgress) -> Vec<Skipped> {
    let mut left = Vec::new();
    match &state.plan.connectivity {
        None => left.push(Skipped {
            what: "The private path (VPC, jump server, endpoint gateway)".into(),
            why: "You opted out in Connectivity. Gen 2 has only a private endpoint, so this computer has no way to the database: Connect and Users need one.".into(),
            step: Some("connectivity".into()),
        }),
        Some(c) if !c.restrict => left.push(Skipped {
            what: "The context-based restriction (preview)".into(),
            why: "Off: any network that reaches the database's private endpoint may try to log in; the credentials still guard it.".into(),
            step: Some("connectivity".into()),
        }),
        Some(_) => {}
    }
    for step in progress
        .steps
        .iter()
        .filter(|s| s.status == StepStatus::Failed && resources::of(s.step).optional())
    {
        left.push(Skipped {
            what: format!("{} ({})", step.label, step.name),
            why: "It failed, and the plan works without it.".into(),
            step: Some("provision".into()),
        });
    }
    if crate::observability::monitoring(&state.plan).is_none() {
        left.push(Skipped {
            what: "Monitoring of the database's platform metrics".into(),
            why: "You did not choose it. The Observability step sends them to a Monitoring instance through Metrics Routing.".into(),
            step: Some("observability".into()),
        });
    }
    if crate::observability::activity(&state.plan).is_none() {
        left.push(Skipped {
            what: "Activity tracking of the database's events".into(),
            why: "You did not choose it. The Observability step sends them, with the account's global events, to a Cloud Logs instance through Activity Tracker Event Routing.".into(),
            step: Some("observability".into()),
        });
    }
    if !crate::observability::platform_logs(&state.plan) {
        left.push(Skipped {
            what: "Platform logs".into(),
            why: "You did not choose them. The Observability step sends them through Logs Routing to the Cloud Logs instance activity tracking uses.".into(),
            step: Some("observability".into()),
        });
    }
    left
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        connectivity::Connectivity,
        journal::StepRecord,
        plan::{DraftPlan, Encryption},
    };

    fn state(mode: Mode, connectivity: Option<Connectivity>) -> JournalState {
        let plan = DraftPlan {
            id: "3f2a9c1e-7b4d-4e2a-9f10-5c6d7e8f9a0b".into(),
            name: "pg-demo".into(),
            location: "ca-mon".into(),
            resource_group_id: "g".into(),
            members: 2,
            host_flavor: "bx3d.4x20".into(),
            storage_gb: 10,
            version: "18".into(),
            encryption: Encryption::ProviderManaged,
            connectivity,
            observability: None,
            existing: None,
        };
        let made = |id: &str| StepRecord {
            phase: Phase::Ready,
            id: Some(id.into()),
            owner: Some(Owner::Made),
            started_at: Some("2026-12-07T10:00:00Z".into()),
            ..StepRecord::default()
        };
        JournalState {
            plan,
            mode,
            account_id: "a1".into(),
            opened_at: "2026-12-07T10:00:00Z".into(),
            steps: [
                (
                    StepId::Instance,
                    made("crn:v1:bluemix:public:databases-for-postgresql:ca-mon:a/a1:guid-1::"),
                ),
                (StepId::ManagerKey, made("key-guid")),
            ]
            .into_iter()
            .collect(),
            cancelled: false,
            closed: false,
            teardown_started: false,
            extras: Vec::new(),
            scale: None,
        }
    }

    #[test]
    fn a_finished_plan_lists_what_it_made_with_console_links_and_where_its_secrets_are() {
        let s = summary(
            &state(Mode::IbmCloud, None),
            &Timing::ibm_cloud(),
            "cloud.onramp.desktop",
        );
        let database = &s.resources[0];
        assert_eq!(database.step, StepId::Instance);
        assert!(database.made_by_plan);
        assert_eq!(database.location, "ca-mon");
        assert_eq!(
            database.console_url.as_deref(),
            Some("https://cloud.ibm.com/services/databases-for-postgresql/crn%3Av1%3Abluemix%3Apublic%3Adatabases-for-postgresql%3Aca-mon%3Aa%2Fa1%3Aguid-1%3A%3A")
        );
        assert!(s.resources[1]
            .console_url
            .as_deref()
            .unwrap()
            .ends_with("?paneId=credentials"));
        let entries: Vec<&str> = s
            .secrets
            .iter()
            .map(|p| p.keychain_entry.as_str())
            .collect();
        assert_eq!(entries, ["ibmcloud-api-key", "credential:key-guid"]);
        assert_eq!(s.skipped[0].step.as_deref(), Some("connectivity"));
        assert!(s.skipped.iter().any(|k| k.what.starts_with("Monitoring")));
    }

    #[test]
    fn the_sandbox_has_no_console_and_no_api_key_entry() {
        let s = summary(
            &state(
                Mode::Sandbox,
                Some(Connectivity::suggested("ca-mon", "3f2a")),
            ),
            &Timing::sandbox(std::time::Duration::from_secs(1)),
            "cloud.onramp.desktop.test",
        );
        assert!(s.resources.iter().all(|r| r.console_url.is_none()));
        assert!(!s
            .secrets
            .iter()
            .any(|p| p.keychain_entry == "ibmcloud-api-key"));
        assert!(s
            .skipped
            .iter()
            .any(|k| k.what.contains("context-based restriction")));
    }
}
