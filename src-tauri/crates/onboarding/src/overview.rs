//! Every plan Onramp holds, as the list of plans shows it: the applied ones from their
//! journals (with where they stand and how many resources are ready) and the drafts not
//! applied yet, the one being edited first. Cost is added by the caller, which can ask the
//! catalog.

use serde::{Deserialize, Serialize};
use specta::Type;

use crate::{
    engine::{Activity, Outcome, PlanProgress, StepStatus},
    plan::DraftPlan,
    settings::Mode,
};

/// Where a plan stands, in one word the list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type)]
pub enum PlanState {
    /// Not applied yet: only a draft.
    Draft,
    Applying,
    TearingDown,
    Ready,
    Failed,
    Cancelled,
    Interrupted,
    /// Teardown stopped with something left: it may still bill.
    TeardownIncomplete,
}

/// One plan in the list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct PlanListing {
    pub plan_id: String,
    /// As typed; empty for a draft not named yet.
    pub name: String,
    pub location: String,
    /// The plan being edited in the wizard.
    pub current: bool,
    /// Where it was applied (none for a draft).
    pub mode: Option<Mode>,
    pub account_id: Option<String>,
    pub state: PlanState,
    pub resources_ready: u32,
    pub resources_total: u32,
    /// Per month, when the catalog's prices are known (a lower bound when some are not).
    pub monthly: Option<f64>,
    pub currency: Option<String>,
}

fn state_of(progress: &PlanProgress) -> PlanState {
    match (progress.activity, progress.outcome) {
        (Activity::Applying, _) => PlanState::Applying,
        (Activity::TearingDown, _) => PlanState::TearingDown,
        (_, Some(Outcome::Succeeded)) => PlanState::Ready,
        (_, Some(Outcome::Failed)) => PlanState::Failed,
        (_, Some(Outcome::Cancelled)) => PlanState::Cancelled,
        (_, Some(Outcome::TeardownIncomplete)) => PlanState::TeardownIncomplete,
        _ => PlanState::Interrupted,
    }
}

/// The list: applied plans (newest journal first, as given), then shelved drafts; the one
/// being edited is marked wherever it is, and listed first among drafts if not applied.
pub fn overview(
    applied: &[PlanProgress],
    current: Option<&DraftPlan>,
    shelved: &[DraftPlan],
) -> Vec<PlanListing> {
    let current_id = current.map(|p| p.id.as_str());
    let mut list: Vec<PlanListing> = applied
        .iter()
        .map(|p| PlanListing {
            plan_id: p.plan_id.clone(),
            name: p.plan_name.clone(),
            location: current
                .filter(|c| c.id == p.plan_id)
                .map(|c| c.location.clone())
                .or_else(|| {
                    shelved
                        .iter()
                        .find(|d| d.id == p.plan_id)
                        .map(|d| d.location.clone())
                })
                .unwrap_or_default(),
            current: current_id == Some(p.plan_id.as_str()),
            mode: Some(p.mode),
            account_id: Some(p.account_id.clone()),
            state: state_of(p),
            resources_ready: p
                .steps
                .iter()
                .filter(|s| matches!(s.status, StepStatus::Ready | StepStatus::Kept))
                .count() as u32,
            resources_total: p.steps.len() as u32,
            monthly: None,
            currency: None,
        })
        .collect();
    let applied_ids: Vec<&str> = applied.iter().map(|p| p.plan_id.as_str()).collect();
    let drafts = current
        .into_iter()
        .chain(shelved)
        .filter(|d| !applied_ids.contains(&d.id.as_str()));
    for draft in drafts {
        list.push(PlanListing {
            plan_id: draft.id.clone(),
            name: draft.name.clone(),
            location: draft.location.clone(),
            current: current_id == Some(draft.id.as_str()),
            mode: None,
            account_id: None,
            state: PlanState::Draft,
            resources_ready: 0,
            resources_total: 0,
            monthly: None,
            currency: None,
        });
    }
    list
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Encryption;

    fn draft(id: &str, name: &str) -> DraftPlan {
        DraftPlan {
            id: id.into(),
            name: name.into(),
            location: "ca-mon".into(),
            resource_group_id: "g".into(),
            members: 2,
            host_flavor: "bx3d.4x20".into(),
            storage_gb: 10,
            version: "18".into(),
            encryption: Encryption::ProviderManaged,
            connectivity: None,
            observability: None,
            existing: None,
        }
    }

    fn applied(id: &str, outcome: Outcome) -> PlanProgress {
        PlanProgress {
            plan_id: id.into(),
            plan_name: format!("pg-{id}"),
            mode: Mode::Sandbox,
            account_id: "a1".into(),
            activity: Activity::Idle,
            outcome: Some(outcome),
            steps: Vec::new(),
            elapsed_ms: 0,
            estimate_ms: 0,
            started_at: String::new(),
        }
    }

    #[test]
    fn applied_plans_then_drafts_with_the_current_one_marked() {
        let list = overview(
            &[
                applied("a", Outcome::Succeeded),
                applied("b", Outcome::Failed),
            ],
            Some(&draft("c", "")),
            &[draft("a", "pg-a"), draft("d", "pg-d")],
        );
        let ids: Vec<(&str, PlanState, bool)> = list
            .iter()
            .map(|l| (l.plan_id.as_str(), l.state, l.current))
            .collect();
        assert_eq!(
            ids,
            [
                ("a", PlanState::Ready, false),
                ("b", PlanState::Failed, false),
                ("c", PlanState::Draft, true),
                ("d", PlanState::Draft, false)
            ]
        );
        assert_eq!(list[0].location, "ca-mon");
        assert_eq!(list[0].mode, Some(Mode::Sandbox));
        assert_eq!(list[2].mode, None);
    }
}
