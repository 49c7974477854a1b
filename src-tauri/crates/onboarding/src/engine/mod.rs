//! The apply engine (DESIGN §3): a reviewed plan becomes a graph of resource steps; steps
//! whose dependencies are ready run in parallel; each step looks for its resource before
//! creating it and adopts only what it can prove this plan made; the journal records
//! intent before and outcome after every call. The same code resumes an interrupted apply
//! (it adopts what exists and polls what is in flight) and tears a plan down in reverse.
//!
//! Each kind of resource is one file in `resources/` behind [`resource::Resource`]; the
//! graph (`graph.rs`), the run machinery (`run.rs`), the ownership rule (`ownership.rs`),
//! the progress view (`progress.rs`), timing and teardown are modules of their own.

use std::{
    collections::{BTreeMap, BTreeSet},
    sync::Arc,
};

use tokio::{sync::watch, task::JoinSet};
use tokio_util::sync::CancellationToken;

use onramp_cloud::Cloud;
use onramp_secrets::Keychain;

use crate::journal::{Journal, Phase, Record, StepId};

mod graph;
mod ownership;
mod place;
mod progress;
mod resource;
pub(crate) mod resources;
mod run;
mod teardown;
mod timing;
mod way_in;

pub use graph::graph;
pub use ownership::{plan_tag, CLOCK_SKEW};
pub use place::{places, Place};
pub use progress::{progress_of, Activity, Outcome, PlanProgress, StepProgress, StepStatus};
pub use resources::authorization::{DATABASE_SERVICE, KMS_SERVICE};
pub use teardown::{teardown_preview, TeardownItem};
pub use timing::Timing;
pub use way_in::{private_path_of, PrivatePath};

use progress::Live;
use run::Run;
pub(crate) use run::Stop;

/// What the engine needs: the signed-in cloud, the keychain, and the pace.
#[derive(Clone)]
pub struct EngineContext {
    pub cloud: Cloud,
    pub keychain: Keychain,
    pub timing: Timing,
}

/// Whether the plan succeeds without the step (the context-based restriction, a preview
/// IBM may refuse for Gen 2).
pub fn optional(step: StepId) -> bool {
    resources::of(step).optional()
}

/// A step's line in Review: what it makes (or uses), with its settings.
pub fn planned(
    step: StepId,
    plan: &crate::plan::DraftPlan,
    offerings: &crate::plan::Offerings,
) -> crate::review::PlannedResource {
    resources::of(step).planned(plan, offerings)
}

/// What resuming does with a step, from what the journal says of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Ready: nothing to do.
    Done,
    /// Failed earlier and the user did not ask to retry: leave it (and its dependents).
    LeaveFailed,
    /// Nothing recorded, or an intent without an outcome (the create may have happened):
    /// look for it, adopt it if proved this plan's, else create it.
    LookThenCreate,
    /// It exists: wait for it to be ready.
    Poll,
    /// It failed and the user asked to retry.
    Retry,
}

pub fn decide(phase: Phase, retry_failed: bool) -> Decision {
    match phase {
        Phase::Ready => Decision::Done,
        Phase::Failed if retry_failed => Decision::Retry,
        Phase::Failed => Decision::LeaveFailed,
        Phase::Created => Decision::Poll,
        Phase::NotStarted | Phase::Creating | Phase::Deleted => Decision::LookThenCreate,
        // A replacement's delete was interrupted: find out where it got to.
        Phase::Deleting | Phase::DeleteFailed => Decision::Retry,
    }
}

/// The running engine's handle: its progress, and a way to cancel it.
pub struct Job {
    pub progress: watch::Receiver<PlanProgress>,
    pub cancel: CancellationToken,
    pub done: tokio::task::JoinHandle<PlanProgress>,
}

type Work = std::pin::Pin<Box<dyn std::future::Future<Output = Outcome> + Send>>;

fn start(
    ctx: EngineContext,
    journal: Journal,
    activity: Activity,
    work: impl FnOnce(Arc<Run>) -> Work + Send + 'static,
) -> Job {
    let live = Live {
        activity: Some(activity),
        ..Live::default()
    };
    let (run, progress) = Run::new(ctx, journal, live);
    let cancel = run.cancel.clone();
    let done = tokio::spawn(async move {
        let outcome = work(run.clone()).await;
        if outcome == Outcome::Cancelled {
            let _ = run.record(Record::Cancelled);
        }
        {
            let mut live = run.live();
            live.activity = None;
            live.outcome = Some(outcome);
            live.working.clear();
        }
        run.publish();
        run.progress_now()
    });
    Job {
        progress,
        cancel,
        done,
    }
}

impl Run {
    async fn apply_step(self: Arc<Self>, step: StepId, retry_failed: bool) -> (StepId, bool) {
        self.set_working(step, true);
        let result = self.apply_step_inner(step, retry_failed).await;
        let ok = match result {
            Ok(()) => true,
            Err(Stop::Cancelled | Stop::FailedBefore) => false,
            Err(Stop::Failed(error)) => {
                tracing::warn!(step = step.as_str(), error = %error, "step failed");
                self.fail(step, &error, false);
                false
            }
            Err(Stop::Refused(error)) => {
                tracing::warn!(step = step.as_str(), error = %error, "step refused; nothing made");
                self.fail(step, &error, true);
                false
            }
        };
        self.set_working(step, false);
        (step, ok)
    }

    async fn apply_step_inner(&self, step: StepId, retry_failed: bool) -> Result<(), Stop> {
        match decide(self.state().step(step).phase, retry_failed) {
            Decision::Done => return Ok(()),
            Decision::LeaveFailed => return Err(Stop::FailedBefore),
            Decision::Retry => self.record(Record::Retry { step })?,
            Decision::LookThenCreate | Decision::Poll => {}
        }
        resources::of(step).apply(self).await
    }
}

/// Applies (or resumes) the plan in `journal`. `retry_failed` retries steps that failed
/// before; otherwise they stay failed and block their dependents.
pub fn apply(ctx: EngineContext, journal: Journal, retry_failed: bool) -> Job {
    start(ctx, journal, Activity::Applying, move |run| {
        Box::pin(async move {
            let graph = graph(&run.plan());
            let mut finished: BTreeMap<StepId, bool> = BTreeMap::new();
            let mut started: BTreeSet<StepId> = BTreeSet::new();
            let mut tasks = JoinSet::new();
            loop {
                for (step, deps) in &graph {
                    if started.contains(step) || run.cancel.is_cancelled() {
                        continue;
                    }
                    if deps.iter().all(|d| finished.get(d) == Some(&true)) {
                        started.insert(*step);
                        tasks.spawn(run.clone().apply_step(*step, retry_failed));
                    }
                }
                match tasks.join_next().await {
                    Some(Ok((step, ok))) => {
                        finished.insert(step, ok);
                    }
                    Some(Err(panic)) => {
                        tracing::error!(%panic, "an apply step panicked");
                        return Outcome::Failed;
                    }
                    None => break,
                }
            }
            if run.cancel.is_cancelled() {
                Outcome::Cancelled
            } else if graph
                .iter()
                .all(|(s, _)| finished.get(s) == Some(&true) || optional(*s))
            {
                Outcome::Succeeded
            } else {
                Outcome::Failed
            }
        })
    })
}

/// Deletes what the journal's plan made, in reverse order; what cannot be deleted stays in
/// the journal as `DeleteFailed`, and the journal closes only when nothing is left.
pub fn teardown(ctx: EngineContext, journal: Journal) -> Job {
    start(ctx, journal, Activity::TearingDown, move |run| {
        Box::pin(async move { run.teardown_all().await })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resume_decisions() {
        assert_eq!(decide(Phase::NotStarted, false), Decision::LookThenCreate);
        assert_eq!(
            decide(Phase::Creating, false),
            Decision::LookThenCreate,
            "an intent without outcome looks first"
        );
        assert_eq!(decide(Phase::Created, false), Decision::Poll);
        assert_eq!(decide(Phase::Ready, true), Decision::Done);
        assert_eq!(decide(Phase::Failed, false), Decision::LeaveFailed);
        assert_eq!(decide(Phase::Failed, true), Decision::Retry);
        assert_eq!(decide(Phase::Deleting, false), Decision::Retry);
    }
}
