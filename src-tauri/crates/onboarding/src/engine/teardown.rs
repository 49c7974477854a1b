//! Teardown: what the Users step made first, then the graph in reverse. Each step deletes
//! only what this plan made (the journal's id, or a namesake proved this plan's); what the
//! user chose and what was there before stays, and a stranger under the step's name is
//! named and left. The journal closes only when nothing of the plan's is left. The preview
//! says all of this before anything is deleted.

use serde::{Deserialize, Serialize};
use specta::Type;

use super::{
    graph::graph,
    progress::Outcome,
    resources::{self, extras},
    run::{Run, StepResult, Stop},
};
use crate::{
    journal::{JournalState, Owner, Phase, Record, StepError, StepId},
    settings::Mode,
};

/// One line of the teardown preview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct TeardownItem {
    /// Unique in the list: the step's id, or `<kind>:<name>` for what the Users step made.
    pub key: String,
    /// The plan's step, or `None` for what the Users step made.
    pub step: Option<StepId>,
    pub label: String,
    pub name: String,
    pub resource_id: Option<String>,
    /// Whether teardown deletes it (false: it is kept, and why is in `consequence`).
    pub deletes: bool,
    /// What deleting it means.
    pub consequence: String,
}

/// What teardown will do, in the order it does it.
pub fn teardown_preview(state: &JournalState) -> Vec<TeardownItem> {
    let sandbox = state.mode == Mode::Sandbox;
    let steps = graph(&state.plan).into_iter().rev().filter_map(|(step, _)| {
        let kind = resources::of(step);
        let record = state.step(step);
        if matches!(record.phase, Phase::NotStarted | Phase::Deleted) {
            return None;
        }
        if record.id.is_none() && !record.maybe_made() {
            return None;
        }
        let kept = kind.chosen(&state.plan) || record.kept();
        let consequence = if kept {
            kind.kept_wording().to_owned()
        } else if record.id.is_none() {
            format!("{} (Its creation was interrupted: Onramp deletes what it finds only if it can prove this plan made it.)", kind.teardown_wording(sandbox))
        } else if record.owner == Some(Owner::Legacy) {
            format!("{} (An older Onramp found it by name: it is deleted only if Onramp can prove this plan made it.)", kind.teardown_wording(sandbox))
        } else {
            kind.teardown_wording(sandbox)
        };
        Some(TeardownItem {
            key: step.as_str().to_owned(),
            step: Some(step),
            label: kind.label().to_owned(),
            name: record.name.clone().unwrap_or_else(|| kind.name(&state.plan)),
            resource_id: record.id.clone(),
            deletes: !kept,
            consequence,
        })
    });
    // What the Users step made goes first, as teardown does it first.
    extras::preview(state).chain(steps).collect()
}

impl Run {
    /// Tears one step down: nothing to do for what was never made, what the user chose
    /// or what was there before; otherwise its resource (the journal's, or the one proved
    /// this plan's) is deleted.
    async fn teardown_step(&self, step: StepId) -> StepResult {
        let kind = resources::of(step);
        let plan = self.plan();
        let record = self.state().step(step);
        if kind.chosen(&plan) || record.kept() {
            return Ok(());
        }
        if matches!(record.phase, Phase::NotStarted | Phase::Deleted) {
            // A login key may be in the keychain before its create was announced.
            return kind.forget(self).await;
        }
        let id = match record.id.clone() {
            Some(id) if record.owner == Some(Owner::Legacy) => {
                self.reprove(kind, &id).await?.then_some(id)
            }
            Some(id) => Some(id),
            None if record.maybe_made() => self.find_ours(kind).await?,
            None => None,
        };
        if let Some(id) = id {
            self.record(Record::DeleteIntent { step })?;
            self.say(step, format!("Deleting the {}", kind.noun()));
            kind.delete(self, &id, &record).await?;
        }
        kind.forget(self).await?;
        Ok(self.record(Record::Deleted { step })?)
    }

    /// The whole teardown; returns how it ended.
    pub(crate) async fn teardown_all(&self) -> Outcome {
        if !self.state().teardown_started {
            if let Err(error) = self.record(Record::TeardownStarted) {
                tracing::error!(%error, "teardown could not be journalled");
                return Outcome::TeardownIncomplete;
            }
        }
        let graph = graph(&self.plan());
        // What the Users step made first: it depends on the database.
        let mut complete = match extras::teardown(self).await {
            Ok(()) => true,
            Err(error) => {
                tracing::warn!(message = %error.message, "an extra could not be deleted");
                false
            }
        };
        for (step, _) in graph.iter().rev() {
            if self.cancel.is_cancelled() {
                return Outcome::Cancelled;
            }
            self.set_working(*step, true);
            let result = self.teardown_step(*step).await;
            self.set_working(*step, false);
            match result {
                Ok(()) => {}
                Err(Stop::Cancelled) => return Outcome::Cancelled,
                Err(Stop::FailedBefore) => complete = false,
                Err(Stop::Failed(error) | Stop::Refused(error)) => {
                    complete = false;
                    let _ = self.record(Record::DeleteFailed {
                        step: *step,
                        error: StepError::from(&error),
                    });
                }
            }
        }
        if complete && self.record(Record::Closed).is_ok() {
            Outcome::TornDown
        } else {
            Outcome::TeardownIncomplete
        }
    }
}
