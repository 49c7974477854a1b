//! The engine working on one journal: what every step shares. It records intent and
//! outcome, publishes progress, pauses (unless cancelled), makes one cloud call at a time
//! (the HTTP client alone retries what is safe to retry), waits for a resource to be ready
//! or gone, and runs the standard apply of a kind: use the chosen one, or obtain one with
//! proof, then wait for it.

use std::{
    any::Any,
    collections::BTreeMap,
    future::Future,
    sync::{Arc, Mutex, MutexGuard},
    time::{Duration, Instant},
};

use chrono::{DateTime, Utc};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use onramp_cloud::{CloudError, ErrorKind};

use super::{
    progress::{snapshot, Live, PlanProgress},
    resource::Found,
    resources, EngineContext,
};
use crate::{
    connectivity::Connectivity,
    journal::{Journal, JournalState, Owner, Phase, Record, StepError, StepId},
    plan::DraftPlan,
    vault, AppError, ErrorCode,
};

/// Why a step stopped without success.
#[derive(Debug)]
pub(crate) enum Stop {
    /// It failed; something may have been made (an unclear answer, or after the create).
    Failed(AppError),
    /// The cloud refused the create, or a stranger holds the name: nothing was made.
    Refused(AppError),
    /// It failed in an earlier run and the user did not ask to retry.
    FailedBefore,
    Cancelled,
}

impl From<AppError> for Stop {
    fn from(error: AppError) -> Self {
        Stop::Failed(error)
    }
}

pub(crate) type StepResult = Result<(), Stop>;

/// What a poll learnt about a resource.
pub(crate) enum Readiness {
    Ready,
    Waiting,
    Failed(String),
}

pub(crate) struct Run {
    pub(crate) ctx: EngineContext,
    journal: Mutex<Journal>,
    live: Mutex<Live>,
    progress: watch::Sender<PlanProgress>,
    pub(crate) cancel: CancellationToken,
    /// What a step made for itself and must reuse across its create attempts in this run
    /// (the jump server's host key), by step.
    scratch: Mutex<BTreeMap<StepId, Arc<dyn Any + Send + Sync>>>,
}

/// A failure worth trying again: no answer, a 5xx, or a 429.
pub(crate) fn temporary(error: &CloudError) -> bool {
    matches!(error.kind, ErrorKind::Network | ErrorKind::Timeout)
        || matches!(error.status, Some(429 | 500..=599))
}

pub(crate) fn parse_time(at: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(at)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Milliseconds from `start` to `end` (or now).
pub(crate) fn since(start: &str, end: Option<&str>) -> u64 {
    let Some(start) = parse_time(start) else {
        return 0;
    };
    let end = end.and_then(parse_time).unwrap_or_else(Utc::now);
    u64::try_from((end - start).num_milliseconds().max(0)).unwrap_or(0)
}

pub(crate) fn one(key: &str, value: impl Into<String>) -> BTreeMap<String, String> {
    BTreeMap::from([(key.to_owned(), value.into())])
}

impl Run {
    pub(crate) fn new(
        ctx: EngineContext,
        journal: Journal,
        live: Live,
    ) -> (Arc<Run>, watch::Receiver<PlanProgress>) {
        let (tx, rx) = watch::channel(snapshot(journal.state(), &ctx.timing, &live));
        let run = Arc::new(Run {
            ctx,
            journal: Mutex::new(journal),
            live: Mutex::new(live),
            progress: tx,
            cancel: CancellationToken::new(),
            scratch: Mutex::new(BTreeMap::new()),
        });
        (run, rx)
    }

    fn journal(&self) -> MutexGuard<'_, Journal> {
        // A panic while holding the lock cannot leave the journal half-written (each
        // write is one call), so a poisoned lock is still safe to use.
        self.journal.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn live(&self) -> MutexGuard<'_, Live> {
        self.live.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn state(&self) -> JournalState {
        self.journal().state().clone()
    }

    pub(crate) fn plan(&self) -> DraftPlan {
        self.journal().state().plan.clone()
    }

    pub(crate) fn connectivity(&self) -> Result<Connectivity, Stop> {
        self.plan()
            .connectivity
            .ok_or_else(|| Stop::Failed(AppError::internal("the plan has no private path")))
    }

    /// The id a step this one depends on recorded.
    pub(crate) fn id_of(&self, step: StepId) -> Result<String, Stop> {
        self.state().step(step).id.ok_or_else(|| {
            Stop::Failed(AppError::internal(format!(
                "the {}'s id is not in the journal",
                step.as_str()
            )))
        })
    }

    pub(crate) fn record(&self, record: Record) -> Result<(), AppError> {
        let result = self.journal().write(record);
        self.publish();
        result
    }

    pub(crate) fn note(&self, step: StepId, detail: BTreeMap<String, String>) -> StepResult {
        Ok(self.record(Record::Noted { step, detail })?)
    }

    pub(crate) fn ready(&self, step: StepId) -> StepResult {
        Ok(self.record(Record::Ready { step })?)
    }

    pub(crate) fn publish(&self) {
        let state = self.state();
        let live = self.live().clone();
        let _ = self
            .progress
            .send(snapshot(&state, &self.ctx.timing, &live));
    }

    pub(crate) fn progress_now(&self) -> PlanProgress {
        self.progress.borrow().clone()
    }

    /// Says what is happening to a step (shown live, not journalled).
    pub(crate) fn say(&self, step: StepId, detail: impl Into<String>) {
        self.live().detail.insert(step, detail.into());
        self.publish();
    }

    pub(crate) fn set_working(&self, step: StepId, working: bool) {
        {
            let mut live = self.live();
            if working {
                live.working.insert(step);
            } else {
                live.working.remove(&step);
                live.detail.remove(&step);
            }
        }
        self.publish();
    }

    /// Sleeps, unless cancelled first.
    pub(crate) async fn pause(&self, for_: Duration) -> StepResult {
        tokio::select! {
            _ = self.cancel.cancelled() => Err(Stop::Cancelled),
            _ = tokio::time::sleep(for_) => Ok(()),
        }
    }

    /// One cloud call, unless cancelled first. Not retried here: the HTTP client has
    /// already retried what is safe to retry (DESIGN §3: one retry layer).
    pub(crate) async fn call<T>(
        &self,
        call: impl Future<Output = Result<T, CloudError>>,
    ) -> Result<T, Stop> {
        if self.cancel.is_cancelled() {
            return Err(Stop::Cancelled);
        }
        call.await
            .map_err(|e| Stop::Failed(AppError::from_cloud(e)))
    }

    /// A delete where "not found" or "gone" means done.
    pub(crate) async fn delete_once(
        &self,
        call: impl Future<Output = Result<(), CloudError>>,
    ) -> StepResult {
        self.call(async {
            match call.await {
                Err(e) if e.is_not_found() || e.status == Some(410) => Ok(()),
                other => other,
            }
        })
        .await
    }

    /// The value `step` made earlier in this run, or a new one from `make` (then `true`).
    pub(crate) fn remember<T: Any + Clone + Send + Sync>(
        &self,
        step: StepId,
        make: impl FnOnce() -> Result<T, Stop>,
    ) -> Result<(T, bool), Stop> {
        let mut scratch = self.scratch.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(value) = scratch.get(&step).and_then(|v| v.downcast_ref::<T>()) {
            return Ok((value.clone(), false));
        }
        let value = make()?;
        scratch.insert(step, Arc::new(value.clone()));
        Ok((value, true))
    }

    pub(crate) fn vpc_client(&self) -> Result<onramp_cloud::vpc::VpcClient, Stop> {
        let location = self.plan().location;
        Ok(self
            .ctx
            .cloud
            .vpc(&location)
            .map_err(AppError::from_cloud)?)
    }

    /// Records what the step made or found.
    pub(crate) async fn created(&self, step: StepId, found: Found, owner: Owner) -> StepResult {
        let mut keychain_entry = found.keychain_entry;
        if let Some((entry, secret)) = found.secret {
            vault::save(&self.ctx.keychain, &entry, secret).await?;
            keychain_entry = Some(entry);
        }
        Ok(self.record(Record::Created {
            step,
            id: found.id,
            name: found.name,
            adopted: owner != Owner::Made,
            owner: Some(owner),
            keychain_entry,
            detail: found.detail,
        })?)
    }

    /// The standard apply of a kind: the chosen one is checked and used; otherwise the
    /// journal's resource is waited for, or one is obtained with proof (found or made).
    pub(crate) async fn standard_apply(&self, step: StepId) -> StepResult {
        let kind = resources::of(step);
        let plan = self.plan();
        let record = self.state().step(step);
        if kind.chosen(&plan) {
            self.record(Record::CreateIntent { step })?;
            let found = match kind.adopt_chosen(self).await {
                Err(Stop::Failed(e)) if e.code == ErrorCode::NotFound => {
                    return Err(Stop::Refused(
                        AppError::new(
                            ErrorCode::NotFound,
                            format!(
                                "The chosen {} is not in the region (any more).",
                                kind.noun()
                            ),
                        )
                        .at(kind.field())
                        .hint(
                            if kind.field().starts_with("observability") {
                                "Choose another one in the Observability step."
                            } else if kind.step() == StepId::Instance {
                                "Choose another one in Basics, or create a new database."
                            } else {
                                "Choose another one in the Connectivity step."
                            },
                        ),
                    ))
                }
                other => other?,
            };
            let id = found.id.clone();
            self.created(step, found, Owner::Kept).await?;
            kind.wait(self, &id).await?;
            return self.ready(step);
        }
        let id = match (record.phase, record.id) {
            (Phase::Created, Some(id)) => id,
            _ => {
                let obtained = self.obtain(kind).await?;
                let id = obtained.found.id.clone();
                self.created(step, obtained.found, obtained.owner).await?;
                id
            }
        };
        kind.wait(self, &id).await?;
        self.ready(step)
    }

    /// Polls `get` until `judge` says ready (or failed), journalling each new state.
    /// `earlier` is how long earlier runs already waited (a resumed wait polls slowly).
    pub(crate) async fn wait_until<T, G, GFut>(
        &self,
        step: StepId,
        what: &str,
        earlier: Duration,
        mut get: G,
        judge: impl Fn(&T) -> (String, Option<String>, Readiness, Option<Duration>),
    ) -> Result<T, Stop>
    where
        G: FnMut() -> GFut,
        GFut: Future<Output = Result<T, CloudError>>,
    {
        let started = Instant::now();
        let mut last: Option<(String, Option<String>)> = None;
        loop {
            let waited = earlier.max(started.elapsed());
            if self.cancel.is_cancelled() {
                return Err(Stop::Cancelled);
            }
            let mut hint = None;
            match get().await {
                Ok(resource) => {
                    let (state, message, readiness, poll_after) = judge(&resource);
                    hint = poll_after;
                    let now = (state.clone(), message.clone());
                    if last.as_ref() != Some(&now) {
                        self.record(Record::Observed {
                            step,
                            state: state.clone(),
                            message: message.clone(),
                        })?;
                        last = Some(now);
                    }
                    match readiness {
                        Readiness::Ready => return Ok(resource),
                        Readiness::Failed(why) => {
                            return Err(Stop::Failed(
                                AppError::new(ErrorCode::CloudRejected, why).hint(
                                    "Retry to replace it, or tear the plan down; the IBM Cloud console shows more.",
                                ),
                            ))
                        }
                        Readiness::Waiting => {
                            self.live().detail.remove(&step);
                        }
                    }
                }
                Err(e) if e.is_not_found() => {
                    return Err(Stop::Failed(
                        AppError::new(
                            ErrorCode::NotFound,
                            format!(
                                "The {what} was deleted outside Onramp while it was being created."
                            ),
                        )
                        .hint("Retry to create it again, or tear the plan down."),
                    ))
                }
                // Polling is safe to repeat: keep going, and say why it is slow.
                Err(e) => self.say(
                    step,
                    format!("Could not check the {what} ({e}); trying again"),
                ),
            }
            self.pause(self.ctx.timing.poll_interval(waited, hint))
                .await?;
        }
    }

    /// Deletes, asking again while the API says it is still in use (a subnet whose server
    /// is still going away) or gives no answer, then waits until `gone` says so.
    pub(crate) async fn delete_and_wait<D, DFut, G, GFut, T>(
        &self,
        step: StepId,
        what: &str,
        mut delete: D,
        mut get: G,
        gone: impl Fn(&T) -> bool,
    ) -> StepResult
    where
        D: FnMut() -> DFut,
        DFut: Future<Output = Result<(), CloudError>>,
        G: FnMut() -> GFut,
        GFut: Future<Output = Result<T, CloudError>>,
    {
        let started = Instant::now();
        let timeout = self.ctx.timing.removal_timeout;
        let too_long = |e: &str| {
            Stop::Failed(
                AppError::new(
                    ErrorCode::Network,
                    format!("The {what} has not gone yet: {e}"),
                )
                .hint(
                    "Try the teardown again later; Onramp keeps it on the list until it is gone.",
                ),
            )
        };
        loop {
            if self.cancel.is_cancelled() {
                return Err(Stop::Cancelled);
            }
            self.say(step, format!("Deleting the {what}"));
            match delete().await {
                Ok(()) => break,
                Err(e) if e.is_not_found() || e.status == Some(410) => return Ok(()),
                Err(e) if e.status == Some(409) || temporary(&e) => {
                    if started.elapsed() > timeout {
                        return Err(too_long(&e.to_string()));
                    }
                    self.say(step, format!("Waiting to delete the {what} ({e})"));
                }
                Err(e) => return Err(Stop::Failed(AppError::from_cloud(e))),
            }
            self.pause(self.ctx.timing.poll_interval(started.elapsed(), None))
                .await?;
        }
        loop {
            match get().await {
                Err(e) if e.is_not_found() || e.status == Some(410) => return Ok(()),
                Ok(resource) if gone(&resource) => return Ok(()),
                Ok(_) => self.say(step, format!("The {what} is being deleted")),
                Err(e) => self.say(
                    step,
                    format!("Could not check the deletion ({e}); trying again"),
                ),
            }
            if started.elapsed() > timeout {
                return Err(too_long("it still answers"));
            }
            self.pause(self.ctx.timing.poll_interval(started.elapsed(), None))
                .await?;
        }
    }

    /// Records a step's failure.
    pub(crate) fn fail(&self, step: StepId, error: &AppError, made_nothing: bool) {
        let _ = self.record(Record::Failed {
            step,
            error: StepError::from(error),
            made_nothing,
        });
    }

    /// How long the step waited in earlier runs (from its first intent).
    pub(crate) fn waited_before(&self, step: StepId) -> Duration {
        self.state()
            .step(step)
            .started_at
            .map(|s| Duration::from_millis(since(&s, None)))
            .unwrap_or_default()
    }
}
