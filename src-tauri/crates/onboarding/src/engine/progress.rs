//! What the Provision step shows: each step's state in words, with the cloud's messages,
//! ids, elapsed time against the estimate and what the user can do next; and the plan's
//! outcome. Built from the journal, plus what only a running engine knows.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use specta::Type;

use super::{
    graph::{critical_path, graph},
    resources,
    run::since,
    timing::{millis, Timing},
};
use crate::{
    journal::{JournalState, Phase, StepError, StepId},
    plan::field,
    settings::Mode,
};

/// A step's state as the Provision step shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type)]
pub enum StepStatus {
    /// Waits for the steps it depends on.
    Waiting,
    /// A step it depends on failed.
    Blocked,
    Working,
    Ready,
    Failed,
    /// The job was cancelled before this finished; resuming carries on.
    Paused,
    Deleting,
    Deleted,
    DeleteFailed,
    /// Teardown leaves it: it existed before Onramp, or the user chose it.
    Kept,
    /// A resource under its name that this plan did not make: left in place.
    NotOurs,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct StepProgress {
    pub step: StepId,
    /// What kind of resource, e.g. `Databases for PostgreSQL`.
    pub label: String,
    pub name: String,
    pub status: StepStatus,
    /// The CRN, key GUID or policy id, once it exists.
    pub resource_id: Option<String>,
    /// What is happening, in the cloud's words where it has some (`last_operation`).
    pub detail: Option<String>,
    pub error: Option<StepError>,
    pub elapsed_ms: u64,
    pub estimate_ms: u64,
    /// What the user can do next, when something needs them.
    pub next: Option<String>,
    /// Where it sits in the picture of the plan.
    pub place: super::Place,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type)]
pub enum Activity {
    Applying,
    TearingDown,
    Idle,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type)]
pub enum Outcome {
    /// Everything is ready.
    Succeeded,
    /// A step failed; retrying is possible.
    Failed,
    /// The user cancelled; resuming carries on.
    Cancelled,
    /// Interrupted (the app closed); resuming carries on.
    Interrupted,
    /// Teardown deleted everything; the journal is closed.
    TornDown,
    /// Teardown could not delete something; the step says what.
    TeardownIncomplete,
}

/// The whole plan's progress: sent on every change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct PlanProgress {
    pub plan_id: String,
    pub plan_name: String,
    pub mode: Mode,
    pub account_id: String,
    pub activity: Activity,
    /// Set once the activity ended (or, for a journal at rest, how it was left).
    pub outcome: Option<Outcome>,
    pub steps: Vec<StepProgress>,
    /// Since the plan was first applied.
    pub elapsed_ms: u64,
    /// The critical path of the graph, by each step's estimate.
    pub estimate_ms: u64,
    pub started_at: String,
}

/// What is only known while the engine runs: which steps are being worked on, the
/// latest words about each, and how the activity ended.
#[derive(Debug, Clone, Default)]
pub(crate) struct Live {
    pub activity: Option<Activity>,
    pub working: BTreeSet<StepId>,
    pub detail: BTreeMap<StepId, String>,
    pub outcome: Option<Outcome>,
}

/// What the user can do about a step in `status`.
fn next_for(step: StepId, status: StepStatus, error: Option<&StepError>) -> Option<String> {
    let kind = resources::of(step);
    match status {
        StepStatus::Failed if kind.optional() => Some(
            "The database and its private path work without it: IBM's Gen 2 docs disagree on whether context-based restrictions apply. Retry later, or leave it; teardown removes what was made.".to_owned(),
        ),
        StepStatus::Failed => Some(match error.and_then(|e| e.field.as_deref().map(field::label)) {
            Some(f) => format!("Change the {f} in the plan and apply again, or tear down what was created."),
            None => "Retry when the cause is fixed, or tear down what was created.".to_owned(),
        }),
        StepStatus::Blocked => Some("Waits for the step it depends on; retry that one.".to_owned()),
        StepStatus::Paused => Some("Resume to carry on where it stopped.".to_owned()),
        StepStatus::DeleteFailed => Some("Try the teardown again; if it keeps failing, delete it in the IBM Cloud console (the id is shown).".to_owned()),
        StepStatus::NotOurs => Some("Onramp did not make it and leaves it alone; delete it yourself if it is not needed.".to_owned()),
        _ => None,
    }
}

/// The progress a journal shows, with what the engine knows live.
pub(crate) fn snapshot(state: &JournalState, timing: &Timing, live: &Live) -> PlanProgress {
    let graph = graph(&state.plan);
    let mut places = super::places(&graph);
    let teardown = state.teardown_started;
    let mut statuses: BTreeMap<StepId, StepStatus> = BTreeMap::new();
    let mut steps = Vec::new();
    for (step, deps) in &graph {
        let kind = resources::of(*step);
        let record = state.step(*step);
        let deps_failed = deps.iter().any(|d| {
            matches!(
                statuses.get(d),
                Some(StepStatus::Failed | StepStatus::Blocked)
            )
        });
        let kept = kind.chosen(&state.plan) || record.kept();
        let status = if live.working.contains(step) {
            if teardown {
                StepStatus::Deleting
            } else {
                StepStatus::Working
            }
        } else {
            match record.phase {
                Phase::Ready if teardown && kept => StepStatus::Kept,
                Phase::Ready => StepStatus::Ready,
                Phase::Failed => StepStatus::Failed,
                Phase::Deleting => StepStatus::Deleting,
                Phase::Deleted if record.foreign.is_some() => StepStatus::NotOurs,
                Phase::Deleted => StepStatus::Deleted,
                Phase::DeleteFailed => StepStatus::DeleteFailed,
                Phase::Creating | Phase::Created => StepStatus::Paused,
                Phase::NotStarted if deps_failed => StepStatus::Blocked,
                Phase::NotStarted => StepStatus::Waiting,
            }
        };
        statuses.insert(*step, status);
        let foreign = record
            .foreign
            .as_ref()
            .filter(|_| status == StepStatus::NotOurs);
        let detail = live
            .detail
            .get(step)
            .cloned()
            .or_else(|| {
                foreign.map(|f| format!("Not made by this plan, left in place: {}", f.reason))
            })
            .or_else(|| match (&record.last_state, &record.last_message) {
                (Some(s), Some(m)) => Some(format!("{s}: {m}")),
                (Some(s), None) => Some(s.clone()),
                (None, m) => m.clone(),
            });
        steps.push(StepProgress {
            step: *step,
            label: kind.label().to_owned(),
            name: match foreign {
                Some(f) => f.name.clone(),
                None => record
                    .name
                    .clone()
                    .unwrap_or_else(|| kind.name(&state.plan)),
            },
            status,
            resource_id: match foreign {
                Some(f) => Some(f.id.clone()),
                None => record.id.clone(),
            },
            detail,
            error: record.error.clone(),
            elapsed_ms: record
                .started_at
                .as_deref()
                .map(|s| since(s, record.finished_at.as_deref()))
                .unwrap_or(0),
            estimate_ms: millis(kind.estimate(timing)),
            next: next_for(*step, status, record.error.as_ref()),
            place: places.remove(step).unwrap_or_default(),
        });
    }
    let estimate_ms = critical_path(&graph, |s| millis(resources::of(s).estimate(timing)));
    let activity = live.activity.unwrap_or(Activity::Idle);
    let outcome = live.outcome.or_else(|| {
        if activity != Activity::Idle {
            return None;
        }
        Some(if state.closed {
            Outcome::TornDown
        } else if teardown {
            Outcome::TeardownIncomplete
        } else if steps.iter().all(|s| {
            s.status == StepStatus::Ready
                || (resources::of(s.step).optional()
                    && matches!(s.status, StepStatus::Failed | StepStatus::Blocked))
        }) {
            Outcome::Succeeded
        } else if steps.iter().any(|s| s.status == StepStatus::Failed) {
            Outcome::Failed
        } else if state.cancelled {
            Outcome::Cancelled
        } else {
            Outcome::Interrupted
        })
    });
    let finished = steps
        .iter()
        .filter_map(|s| state.step(s.step).finished_at)
        .max();
    let running = activity != Activity::Idle;
    PlanProgress {
        plan_id: state.plan.id.clone(),
        plan_name: state.plan.name.clone(),
        mode: state.mode,
        account_id: state.account_id.clone(),
        activity,
        outcome,
        elapsed_ms: since(
            &state.opened_at,
            if running { None } else { finished.as_deref() },
        ),
        estimate_ms,
        steps,
        started_at: state.opened_at.clone(),
    }
}

/// The progress of a journal at rest (no engine running on it).
pub fn progress_of(state: &JournalState, timing: &Timing) -> PlanProgress {
    snapshot(state, timing, &Live::default())
}
