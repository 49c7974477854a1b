//! The apply engine (DESIGN §3): a reviewed plan becomes a graph of resource steps; steps
//! whose dependencies are ready run in parallel; each step looks for the resource Onramp
//! names before creating it, and the journal records intent before and outcome after every
//! call. The same code resumes an interrupted apply (it adopts what exists and polls what
//! is in flight) and tears a plan down in reverse order.

use std::{
    collections::{BTreeMap, BTreeSet},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use serde::{Deserialize, Serialize};
use specta::Type;
use tokio::{sync::watch, task::JoinSet};
use tokio_util::sync::CancellationToken;

use onramp_cloud::{
    catalog::POSTGRESQL_GEN2_PLAN_ID,
    iam_policy::{CreatePolicy, AUTHORIZATION_DELEGATOR_ROLE, READER_ROLE},
    rc::{
        CreateResourceInstance, CreateResourceKey, DataServicesParameters, EncryptionParameters,
        InstanceFilter, InstanceParameters, InstanceState, PostgresqlParameters, ResourceKey,
    },
    Cloud, CloudError, ErrorKind, Idempotency,
};
use onramp_secrets::{Keychain, Sensitive};

use crate::{
    journal::{Journal, JournalState, Phase, Record, StepError, StepId},
    plan::{field, Authorization, DraftPlan, Encryption, MANAGER_KEY_NAME},
    settings::Mode,
    AppError, ErrorCode,
};

/// The source of the BYOK authorization, and its target.
pub const DATABASE_SERVICE: &str = "databases-for-postgresql";
pub const KMS_SERVICE: &str = "kms";

/// How often to poll, and what to expect.
#[derive(Debug, Clone)]
pub struct Timing {
    /// Between polls during the first [`Timing::fast_for`] of waiting for a resource.
    pub poll_fast: Duration,
    /// Between polls after that: never less than 10 s (DESIGN §8).
    pub poll_slow: Duration,
    pub fast_for: Duration,
    /// How long a database usually takes to provision: the estimate shown.
    pub instance_estimate: Duration,
    /// The longest teardown waits for a database to be removed.
    pub removal_timeout: Duration,
    /// Pauses between attempts after a failure that may be temporary.
    pub retry_pauses: Vec<Duration>,
}

impl Timing {
    /// IBM Cloud: Gen 2 takes 15–20 minutes.
    pub fn ibm_cloud() -> Self {
        Timing {
            poll_fast: Duration::from_secs(5),
            poll_slow: Duration::from_secs(15),
            fast_for: Duration::from_secs(60),
            instance_estimate: Duration::from_secs(18 * 60),
            removal_timeout: Duration::from_secs(15 * 60),
            retry_pauses: vec![
                Duration::from_secs(2),
                Duration::from_secs(5),
                Duration::from_secs(15),
            ],
        }
    }

    /// The sandbox, whose databases take `provision` to come up.
    pub fn sandbox(provision: Duration) -> Self {
        Timing {
            poll_fast: Duration::from_millis(500),
            poll_slow: Duration::from_secs(10),
            fast_for: Duration::from_secs(60),
            instance_estimate: provision,
            removal_timeout: Duration::from_secs(120),
            retry_pauses: vec![
                Duration::from_millis(200),
                Duration::from_millis(500),
                Duration::from_secs(1),
            ],
        }
    }

    fn estimate(&self, step: StepId) -> Duration {
        match step {
            StepId::Authorization => Duration::from_secs(3),
            StepId::Instance => self.instance_estimate,
            StepId::ManagerKey => Duration::from_secs(10),
            StepId::Vpc | StepId::Subnet | StepId::FloatingIp => Duration::from_secs(10),
            StepId::SshKey | StepId::SshRule | StepId::PostgresRule => Duration::from_secs(2),
            StepId::JumpVsi => Duration::from_secs(60),
            StepId::Vpe => Duration::from_secs(30),
            StepId::CbrZone | StepId::CbrRule => Duration::from_secs(2),
        }
    }

    /// The pause before the next poll of something waited on for `waited`.
    pub fn poll_interval(&self, waited: Duration, hint: Option<Duration>) -> Duration {
        let base = if waited < self.fast_for {
            self.poll_fast
        } else {
            self.poll_slow.max(Duration::from_secs(10))
        };
        match hint {
            Some(hint) if hint > base => hint.min(Duration::from_secs(60)),
            _ => base,
        }
    }
}

/// The resources a plan creates, each with the steps it waits for.
pub fn graph(plan: &DraftPlan) -> Vec<(StepId, Vec<StepId>)> {
    let mut steps = Vec::new();
    let creates_authorization = matches!(
        &plan.encryption,
        Encryption::KeyProtect(choice) if choice.authorization == Authorization::Create
    );
    if creates_authorization {
        steps.push((StepId::Authorization, vec![]));
    }
    steps.push((
        StepId::Instance,
        if creates_authorization {
            vec![StepId::Authorization]
        } else {
            vec![]
        },
    ));
    steps.push((StepId::ManagerKey, vec![StepId::Instance]));
    if plan.connectivity.is_some() {
        // The VPC chain waits for nothing of the database's: it is built while the
        // database provisions. Only the VPE needs the database (its CRN, active).
        steps.extend([
            (StepId::Vpc, vec![]),
            (StepId::Subnet, vec![StepId::Vpc]),
            (StepId::SshKey, vec![]),
            (StepId::SshRule, vec![StepId::Vpc]),
            (StepId::PostgresRule, vec![StepId::Vpc]),
            (StepId::JumpVsi, vec![StepId::Subnet, StepId::SshKey]),
            (StepId::FloatingIp, vec![StepId::JumpVsi]),
            (StepId::Vpe, vec![StepId::Instance, StepId::Subnet]),
        ]);
        if plan.connectivity.as_ref().is_some_and(|c| c.restrict) {
            // The zone holds the VPC (its CRN); the rule names the instance (its GUID).
            steps.extend([
                (StepId::CbrZone, vec![StepId::Vpc]),
                (StepId::CbrRule, vec![StepId::CbrZone, StepId::Instance]),
            ]);
        }
    }
    steps
}

/// Whether the plan succeeds without the step: the context-based restriction is a preview
/// that IBM may refuse for Gen 2 (gen2-facts §6); the database and its path work without it.
pub fn optional(step: StepId) -> bool {
    matches!(step, StepId::CbrZone | StepId::CbrRule)
}

/// Whether teardown leaves the step's resource: it was there before Onramp (an existing
/// authorization, or the VPC, subnet or SSH key the user chose).
pub fn kept(plan: &DraftPlan, step: StepId, adopted: bool) -> bool {
    use crate::connectivity::{SshKeyChoice, SubnetChoice, VpcChoice};
    let path = plan.connectivity.as_ref();
    match step {
        StepId::Authorization => adopted,
        StepId::Vpc => path.is_some_and(|c| matches!(c.vpc, VpcChoice::Existing { .. })),
        StepId::Subnet => path.is_some_and(|c| matches!(c.subnet, SubnetChoice::Existing { .. })),
        StepId::SshKey => path.is_some_and(|c| matches!(c.ssh_key, SshKeyChoice::Existing { .. })),
        _ => false,
    }
}

/// What resuming does with a step, from what the journal says of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Ready: nothing to do.
    Done,
    /// Failed earlier and the user did not ask to retry: leave it (and its dependents).
    LeaveFailed,
    /// Nothing recorded, or an intent without an outcome (the create may have happened):
    /// look for it by name, adopt it if found, else create it.
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
    /// Teardown leaves it: it existed before Onramp (adopted), e.g. an authorization.
    Kept,
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

/// What the engine needs: the signed-in cloud, the keychain, and the pace.
#[derive(Clone)]
pub struct EngineContext {
    pub cloud: Cloud,
    pub keychain: Keychain,
    pub timing: Timing,
}

/// The keychain entry of a credential's secrets.
pub fn credential_entry(key_guid: &str) -> String {
    format!("credential:{key_guid}")
}

fn label(step: StepId) -> &'static str {
    match step {
        StepId::Authorization => "Service authorization (PostgreSQL → Key Protect)",
        StepId::Instance => "Databases for PostgreSQL (Gen 2)",
        StepId::ManagerKey => "Manager service credential",
        StepId::Vpc => "VPC",
        StepId::Subnet => "Subnet",
        StepId::SshKey => "SSH key",
        StepId::SshRule => "Security-group rule: SSH to the jump server",
        StepId::PostgresRule => "Security-group rule: jump server to the database (5432)",
        StepId::JumpVsi => "Jump server (virtual server instance)",
        StepId::FloatingIp => "Floating IP of the jump server",
        StepId::Vpe => "Endpoint gateway (VPE) to the database",
        StepId::CbrZone => "Context-based restriction: network zone (preview)",
        StepId::CbrRule => "Context-based restriction: rule for the database (preview)",
    }
}

fn resource_name(plan: &DraftPlan, step: StepId) -> String {
    match step {
        StepId::Authorization => "databases-for-postgresql → kms".to_owned(),
        StepId::Instance => plan.name.clone(),
        StepId::ManagerKey => MANAGER_KEY_NAME.to_owned(),
        other => {
            let Some(c) = plan.connectivity.as_ref() else {
                return String::new();
            };
            match other {
                StepId::Vpc => c.vpc_name().to_owned(),
                StepId::Subnet => c.subnet_name().to_owned(),
                StepId::SshKey => c.ssh_key_name().to_owned(),
                StepId::SshRule => c.ssh_rule_name(),
                StepId::PostgresRule => c.postgres_rule_name(),
                StepId::JumpVsi => c.jump.name.clone(),
                StepId::FloatingIp => c.floating_ip_name(),
                StepId::CbrZone => c.cbr_zone_name(),
                StepId::CbrRule => c.cbr_rule_description(&plan.name),
                _ => c.vpe_name.clone(),
            }
        }
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn parse_time(at: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc3339(at)
        .ok()
        .map(|t| t.with_timezone(&chrono::Utc))
}

fn since(start: &str, end: Option<&str>) -> u64 {
    let Some(start) = parse_time(start) else {
        return 0;
    };
    let end = end.and_then(parse_time).unwrap_or_else(chrono::Utc::now);
    u64::try_from((end - start).num_milliseconds().max(0)).unwrap_or(0)
}

/// What is only known while the engine runs: which steps are being worked on, the
/// latest words about each, and how the activity ended.
#[derive(Debug, Clone, Default)]
struct Live {
    activity: Option<Activity>,
    working: BTreeSet<StepId>,
    detail: BTreeMap<StepId, String>,
    outcome: Option<Outcome>,
}

/// The progress a journal shows, with what the engine knows live.
fn snapshot(state: &JournalState, timing: &Timing, live: &Live) -> PlanProgress {
    let graph = graph(&state.plan);
    let teardown = state.teardown_started;
    let mut statuses: BTreeMap<StepId, StepStatus> = BTreeMap::new();
    let mut steps = Vec::new();
    for (step, deps) in &graph {
        let record = state.step(*step);
        let deps_failed = deps.iter().any(|d| {
            matches!(
                statuses.get(d),
                Some(StepStatus::Failed | StepStatus::Blocked)
            )
        });
        let status = if live.working.contains(step) {
            if teardown {
                StepStatus::Deleting
            } else {
                StepStatus::Working
            }
        } else {
            match record.phase {
                Phase::Ready if teardown && kept(&state.plan, *step, record.adopted) => {
                    StepStatus::Kept
                }
                Phase::Ready => StepStatus::Ready,
                Phase::Failed => StepStatus::Failed,
                Phase::Deleting => StepStatus::Deleting,
                Phase::Deleted => StepStatus::Deleted,
                Phase::DeleteFailed => StepStatus::DeleteFailed,
                Phase::Creating | Phase::Created => StepStatus::Paused,
                Phase::NotStarted if deps_failed => StepStatus::Blocked,
                Phase::NotStarted => StepStatus::Waiting,
            }
        };
        statuses.insert(*step, status);
        let detail = live.detail.get(step).cloned().or_else(|| {
            match (&record.last_state, &record.last_message) {
                (Some(s), Some(m)) => Some(format!("{s}: {m}")),
                (Some(s), None) => Some(s.clone()),
                (None, m) => m.clone(),
            }
        });
        let next = match status {
            StepStatus::Failed if optional(*step) => Some(
                "The database and its private path work without it: IBM's Gen 2 docs disagree on whether context-based restrictions apply. Retry later, or leave it; teardown removes what was made.".to_owned(),
            ),
            StepStatus::Failed => Some(match record.error.as_ref().and_then(|e| e.field.as_deref().map(field::label)) {
                Some(f) => format!("Change the {f} in the plan and apply again, or tear down what was created."),
                None => "Retry when the cause is fixed, or tear down what was created.".to_owned(),
            }),
            StepStatus::Blocked => Some("Waits for the step it depends on; retry that one.".to_owned()),
            StepStatus::Paused => Some("Resume to carry on where it stopped.".to_owned()),
            StepStatus::DeleteFailed => Some("Try the teardown again; if it keeps failing, delete it in the IBM Cloud console (the id is shown).".to_owned()),
            _ => None,
        };
        steps.push(StepProgress {
            step: *step,
            label: label(*step).to_owned(),
            name: record
                .name
                .clone()
                .unwrap_or_else(|| resource_name(&state.plan, *step)),
            status,
            resource_id: record.id.clone(),
            detail,
            error: record.error.clone(),
            elapsed_ms: record
                .started_at
                .as_deref()
                .map(|s| since(s, record.finished_at.as_deref()))
                .unwrap_or(0),
            estimate_ms: millis(timing.estimate(*step)),
            next,
        });
    }
    let estimate_ms = critical_path(&graph, |s| millis(timing.estimate(s)));
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
                || (optional(s.step)
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

fn critical_path(graph: &[(StepId, Vec<StepId>)], cost: impl Fn(StepId) -> u64) -> u64 {
    let mut finish: BTreeMap<StepId, u64> = BTreeMap::new();
    for (step, deps) in graph {
        let start = deps
            .iter()
            .filter_map(|d| finish.get(d))
            .max()
            .copied()
            .unwrap_or(0);
        finish.insert(*step, start + cost(*step));
    }
    finish.values().max().copied().unwrap_or(0)
}

/// Why a step stopped without success.
enum Stop {
    Failed(AppError),
    /// It failed in an earlier run and the user did not ask to retry.
    FailedBefore,
    Cancelled,
}

impl From<AppError> for Stop {
    fn from(error: AppError) -> Self {
        Stop::Failed(error)
    }
}

/// The engine working on one journal.
struct Run {
    ctx: EngineContext,
    journal: Mutex<Journal>,
    live: Mutex<Live>,
    progress: watch::Sender<PlanProgress>,
    cancel: CancellationToken,
}

type StepResult = Result<(), Stop>;

impl Run {
    fn state(&self) -> JournalState {
        self.journal.lock().expect("journal lock").state().clone()
    }

    fn plan(&self) -> DraftPlan {
        self.journal
            .lock()
            .expect("journal lock")
            .state()
            .plan
            .clone()
    }

    /// Deletes what the Users step made (service credentials; SQL users' keychain entries,
    /// whose roles go with the database), recording each deletion.
    async fn teardown_extras(&self) -> Result<(), AppError> {
        let extras: Vec<crate::journal::Extra> = self
            .state()
            .extras
            .into_iter()
            .filter(|e| e.phase != Phase::Deleted)
            .collect();
        let mut first_error = None;
        for extra in extras {
            let result: Result<(), AppError> = async {
                if let (crate::journal::ExtraKind::Credential, Some(id)) = (extra.kind, &extra.id) {
                    let rc = self
                        .ctx
                        .cloud
                        .resource_controller()
                        .map_err(AppError::from_cloud)?;
                    match rc.delete_resource_key(id).await {
                        Ok(()) => {}
                        Err(e) if e.is_not_found() || e.status == Some(410) => {}
                        Err(e) => return Err(AppError::from_cloud(e)),
                    }
                }
                if let Some(entry) = extra.keychain_entry.clone() {
                    let keychain = self.ctx.keychain.clone();
                    tokio::task::spawn_blocking(move || keychain.delete(&entry))
                        .await
                        .map_err(|e| AppError::internal(format!("keychain task: {e}")))?
                        .map_err(AppError::from_keychain)?;
                }
                self.record(Record::ExtraDeleted {
                    kind: extra.kind,
                    name: extra.name.clone(),
                })
            }
            .await;
            if let Err(e) = result {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    fn record(&self, record: Record) -> Result<(), AppError> {
        let result = self.journal.lock().expect("journal lock").write(record);
        self.publish();
        result
    }

    fn publish(&self) {
        let state = self.state();
        let live = self.live.lock().expect("live lock").clone();
        let _ = self
            .progress
            .send(snapshot(&state, &self.ctx.timing, &live));
    }

    fn say(&self, step: StepId, detail: impl Into<String>) {
        self.live
            .lock()
            .expect("live lock")
            .detail
            .insert(step, detail.into());
        self.publish();
    }

    fn set_working(&self, step: StepId, working: bool) {
        let mut live = self.live.lock().expect("live lock");
        if working {
            live.working.insert(step);
        } else {
            live.working.remove(&step);
            live.detail.remove(&step);
        }
        drop(live);
        self.publish();
    }

    /// Sleeps, unless cancelled first.
    async fn pause(&self, for_: Duration) -> StepResult {
        tokio::select! {
            _ = self.cancel.cancelled() => Err(Stop::Cancelled),
            _ = tokio::time::sleep(for_) => Ok(()),
        }
    }

    fn fail(&self, step: StepId, error: &AppError) {
        let _ = self.record(Record::Failed {
            step,
            error: StepError::from(error),
        });
    }

    // ---- apply ----

    async fn apply_step(self: Arc<Self>, step: StepId, retry_failed: bool) -> (StepId, bool) {
        self.set_working(step, true);
        let result = self.apply_step_inner(step, retry_failed).await;
        let ok = match result {
            Ok(()) => true,
            Err(Stop::Cancelled | Stop::FailedBefore) => false,
            Err(Stop::Failed(error)) => {
                tracing::warn!(step = step.as_str(), error = %error, "step failed");
                self.fail(step, &error);
                false
            }
        };
        self.set_working(step, false);
        (step, ok)
    }

    async fn apply_step_inner(&self, step: StepId, retry_failed: bool) -> StepResult {
        let record = self.state().step(step);
        match decide(record.phase, retry_failed) {
            Decision::Done => return Ok(()),
            Decision::LeaveFailed => return Err(Stop::FailedBefore),
            Decision::Retry => {
                self.record(Record::Retry { step })?;
            }
            Decision::LookThenCreate | Decision::Poll => {}
        }
        match step {
            StepId::Authorization => self.authorization().await,
            StepId::Instance => self.instance().await,
            StepId::ManagerKey => self.manager_key().await,
            StepId::CbrZone => self.cbr_zone().await,
            StepId::CbrRule => self.cbr_rule().await,
            path => self.private_path_step(path).await,
        }
    }

    /// Runs `attempt` again after a failure that may be temporary (network, 5xx, 429),
    /// with the pauses of the timing; gives up with the last error.
    async fn persist<T, F, Fut>(&self, step: StepId, what: &str, mut attempt: F) -> Result<T, Stop>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, CloudError>>,
    {
        let pauses = self.ctx.timing.retry_pauses.clone();
        let mut tries = 0;
        loop {
            if self.cancel.is_cancelled() {
                return Err(Stop::Cancelled);
            }
            match attempt().await {
                Ok(value) => return Ok(value),
                Err(error) if tries < pauses.len() && temporary(&error) => {
                    self.say(
                        step,
                        format!("{what} did not get through ({error}); trying again"),
                    );
                    self.pause(pauses[tries]).await?;
                    tries += 1;
                }
                Err(error) => return Err(Stop::Failed(AppError::from_cloud(error))),
            }
        }
    }

    /// A delete through [`Run::persist`], where "not found" or "gone" means done.
    async fn delete<F, Fut>(&self, step: StepId, what: &str, mut call: F) -> StepResult
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<(), CloudError>>,
    {
        self.persist(step, what, || {
            let call = call();
            async move {
                match call.await {
                    Err(e) if e.is_not_found() => Ok(()),
                    other => other,
                }
            }
        })
        .await
    }

    async fn authorization(&self) -> StepResult {
        let step = StepId::Authorization;
        let state = self.state();
        if state.step(step).phase == Phase::Created {
            return Ok(self.record(Record::Ready { step })?);
        }
        let account = state.account_id.clone();
        let policies = self
            .ctx
            .cloud
            .iam_policies()
            .map_err(AppError::from_cloud)?;
        self.record(Record::CreateIntent { step })?;
        let find = || async {
            let all = policies
                .list_policies(&account, Some("authorization"))
                .await?;
            Ok::<_, CloudError>(all.into_iter().find(|p| {
                p.authorizes(DATABASE_SERVICE, KMS_SERVICE, None, READER_ROLE)
                    && p.authorizes(
                        DATABASE_SERVICE,
                        KMS_SERVICE,
                        None,
                        AUTHORIZATION_DELEGATOR_ROLE,
                    )
            }))
        };
        self.say(step, "Looking for an existing authorization");
        if let Some(existing) = self.persist(step, "Listing policies", find).await? {
            self.record(Record::Created {
                step,
                id: existing.id.unwrap_or_default(),
                name: resource_name(&state.plan, step),
                adopted: true,
                keychain_entry: None,
                detail: BTreeMap::new(),
            })?;
            return Ok(self.record(Record::Ready { step })?);
        }
        self.say(step, "Creating the authorization");
        let body = CreatePolicy::authorization(
            &account,
            DATABASE_SERVICE,
            KMS_SERVICE,
            None,
            &[READER_ROLE, AUTHORIZATION_DELEGATOR_ROLE],
            Some(format!(
                "Created by Onramp for the database '{}'",
                state.plan.name
            )),
        );
        let created = match policies.create_policy(&body, Idempotency::Unsafe).await {
            Ok(policy) => Some(policy),
            // Someone (or an earlier, interrupted attempt) made it meanwhile.
            Err(e) if e.status == Some(409) => None,
            Err(e) if temporary(&e) => None,
            Err(e) => return Err(Stop::Failed(AppError::from_cloud(e))),
        };
        let (id, adopted) = match created {
            Some(policy) => (policy.id.unwrap_or_default(), false),
            None => match self.persist(step, "Listing policies", find).await? {
                Some(policy) => (policy.id.unwrap_or_default(), false),
                None => {
                    return Err(Stop::Failed(AppError::new(
                        ErrorCode::CloudRejected,
                        "IAM did not create the authorization and it is not in the account.",
                    )))
                }
            },
        };
        self.record(Record::Created {
            step,
            id,
            name: resource_name(&state.plan, step),
            adopted,
            keychain_entry: None,
            detail: BTreeMap::new(),
        })?;
        Ok(self.record(Record::Ready { step })?)
    }

    fn create_body(plan: &DraftPlan) -> CreateResourceInstance {
        let encryption = match &plan.encryption {
            Encryption::ProviderManaged => None,
            Encryption::KeyProtect(choice) => Some(EncryptionParameters {
                disk: Some(choice.key_crn.clone()),
            }),
        };
        CreateResourceInstance {
            name: plan.name.clone(),
            target: plan.location.clone(),
            resource_group: plan.resource_group_id.clone(),
            resource_plan_id: POSTGRESQL_GEN2_PLAN_ID.to_owned(),
            tags: vec!["onramp".to_owned(), format!("onramp-plan:{}", plan.id)],
            allow_cleanup: None,
            parameters: Some(InstanceParameters {
                dataservices: DataServicesParameters {
                    postgresql: Some(PostgresqlParameters {
                        members: u32::try_from(plan.members).ok(),
                        storage_gb: u32::try_from(plan.storage_gb).ok(),
                        host_flavor: Some(plan.host_flavor.clone()),
                        version: Some(plan.version.clone()),
                    }),
                    encryption,
                    restore_backup_id: None,
                },
            }),
        }
    }

    /// The database of this plan, if one exists: same name, group and plan, not removed.
    async fn find_instance(&self, plan: &DraftPlan) -> Result<Option<String>, Stop> {
        let rc = self
            .ctx
            .cloud
            .resource_controller()
            .map_err(AppError::from_cloud)?;
        let mut found = None;
        for state in [None, Some("failed")] {
            let filter = InstanceFilter {
                name: Some(plan.name.clone()),
                resource_group_id: Some(plan.resource_group_id.clone()),
                resource_plan_id: Some(POSTGRESQL_GEN2_PLAN_ID.to_owned()),
                state: state.map(str::to_owned),
                ..InstanceFilter::default()
            };
            let list = self
                .persist(StepId::Instance, "Looking for the database", || {
                    rc.list_instances(&filter)
                })
                .await?;
            found = list
                .into_iter()
                .find(|i| i.name == plan.name && i.state != Some(InstanceState::Removed))
                .map(|i| i.id);
            if found.is_some() {
                break;
            }
        }
        Ok(found)
    }

    async fn instance(&self) -> StepResult {
        let step = StepId::Instance;
        let plan = self.plan();
        let rc = self
            .ctx
            .cloud
            .resource_controller()
            .map_err(AppError::from_cloud)?;
        let mut record = self.state().step(step);
        // A failed database being retried is deleted first: its name is taken until it is.
        if let (Some(id), true) = (record.id.clone(), record.phase == Phase::Created) {
            if let Ok(existing) = rc.get_instance(&id).await {
                if existing.has_failed() {
                    self.say(
                        step,
                        "Deleting the failed database before creating it again",
                    );
                    self.record(Record::DeleteIntent { step })?;
                    self.delete_instance(&id).await?;
                    self.record(Record::Deleted { step })?;
                    record = self.state().step(step);
                }
            }
        }
        if record.phase == Phase::Deleting {
            if let Some(id) = record.id.clone() {
                self.delete_instance(&id).await?;
                self.record(Record::Deleted { step })?;
            }
        }
        let now = self.state().step(step);
        let id = match (now.phase, now.id) {
            (Phase::Created, Some(id)) => id,
            _ => self.create_instance(&plan).await?,
        };
        self.wait_for_instance(&id).await
    }

    async fn create_instance(&self, plan: &DraftPlan) -> Result<String, Stop> {
        let step = StepId::Instance;
        let rc = self
            .ctx
            .cloud
            .resource_controller()
            .map_err(AppError::from_cloud)?;
        self.record(Record::CreateIntent { step })?;
        let pauses = self.ctx.timing.retry_pauses.clone();
        for attempt in 0..=pauses.len() {
            self.say(
                step,
                "Looking for a database of this plan that already exists",
            );
            if let Some(id) = self.find_instance(plan).await? {
                self.record(Record::Created {
                    step,
                    id: id.clone(),
                    name: plan.name.clone(),
                    adopted: true,
                    keychain_entry: None,
                    detail: BTreeMap::new(),
                })?;
                return Ok(id);
            }
            self.say(step, "Asking Resource Controller to create the database");
            match rc
                .create_instance(&Self::create_body(plan), Idempotency::Unsafe)
                .await
            {
                Ok(instance) => {
                    self.record(Record::Created {
                        step,
                        id: instance.id.clone(),
                        name: instance.name.clone(),
                        adopted: false,
                        keychain_entry: None,
                        detail: BTreeMap::new(),
                    })?;
                    return Ok(instance.id);
                }
                // The create may have happened: the next round looks for it first.
                Err(e) if (temporary(&e) || e.status == Some(409)) && attempt < pauses.len() => {
                    self.say(step, format!("The create did not get a clear answer ({e}); checking whether it happened"));
                    self.pause(pauses[attempt]).await?;
                }
                Err(e) => return Err(Stop::Failed(broker_error(e))),
            }
        }
        Err(Stop::Failed(AppError::new(
            ErrorCode::Network,
            "Resource Controller did not answer the create clearly after several attempts.",
        )))
    }

    async fn wait_for_instance(&self, id: &str) -> StepResult {
        let step = StepId::Instance;
        let rc = self
            .ctx
            .cloud
            .resource_controller()
            .map_err(AppError::from_cloud)?;
        let started = Instant::now();
        // Waited so far, counting earlier runs: a resumed wait polls at the slow pace.
        let earlier = self
            .state()
            .step(step)
            .started_at
            .map(|s| Duration::from_millis(since(&s, None)))
            .unwrap_or_default();
        let mut last: Option<(String, Option<String>)> = None;
        loop {
            let waited = earlier.max(started.elapsed());
            match rc.get_instance(id).await {
                Ok(instance) => {
                    let state = instance
                        .state
                        .as_ref()
                        .map(|s| s.as_str().to_owned())
                        .unwrap_or_else(|| "unknown".to_owned());
                    let description = instance
                        .last_operation
                        .as_ref()
                        .and_then(|op| op.description.clone());
                    let now = (state.clone(), description.clone());
                    if last.as_ref() != Some(&now) {
                        self.record(Record::Observed {
                            step,
                            state: state.clone(),
                            message: description.clone(),
                        })?;
                        last = Some(now);
                    }
                    if instance.is_ready() {
                        return Ok(self.record(Record::Ready { step })?);
                    }
                    if instance.has_failed() || instance.state == Some(InstanceState::Removed) {
                        let message = description.unwrap_or_else(|| {
                            format!("The database is {state} and will not become active.")
                        });
                        return Err(Stop::Failed(
                            AppError::new(ErrorCode::CloudRejected, message).hint(
                                "Retry to delete it and create it again, or tear the plan down.",
                            ),
                        ));
                    }
                    self.live.lock().expect("live lock").detail.remove(&step);
                    let hint = instance
                        .last_operation
                        .as_ref()
                        .and_then(|op| op.poll_after());
                    self.pause(self.ctx.timing.poll_interval(waited, hint))
                        .await?;
                }
                Err(e) if e.is_not_found() => {
                    return Err(Stop::Failed(
                        AppError::new(
                            ErrorCode::NotFound,
                            "The database was deleted outside Onramp while it was being created.",
                        )
                        .hint("Retry to create it again, or tear the plan down."),
                    ))
                }
                Err(e) => {
                    // Polling is safe to repeat: keep going, and say why it is slow.
                    self.say(
                        step,
                        format!("Could not check the database ({e}); trying again"),
                    );
                    self.pause(self.ctx.timing.poll_interval(waited, None))
                        .await?;
                }
            }
        }
    }

    async fn delete_instance(&self, id: &str) -> StepResult {
        let step = StepId::Instance;
        let rc = self
            .ctx
            .cloud
            .resource_controller()
            .map_err(AppError::from_cloud)?;
        self.delete(step, "Deleting the database", || {
            rc.delete_instance(id, true)
        })
        .await?;
        let started = Instant::now();
        loop {
            match rc.get_instance(id).await {
                Ok(i) if i.state == Some(InstanceState::Removed) => return Ok(()),
                Err(e) if e.is_not_found() => return Ok(()),
                Ok(i) => {
                    if let Some(op) = i
                        .last_operation
                        .as_ref()
                        .and_then(|op| op.description.clone())
                    {
                        self.say(step, op);
                    }
                }
                Err(e) => self.say(
                    step,
                    format!("Could not check the deletion ({e}); trying again"),
                ),
            }
            if started.elapsed() > self.ctx.timing.removal_timeout {
                return Err(Stop::Failed(AppError::new(
                    ErrorCode::Network,
                    "The database was asked to delete but has not been removed yet.",
                )
                .hint("Try the teardown again later; Onramp keeps it on the list until it is gone.")));
            }
            self.pause(self.ctx.timing.poll_interval(started.elapsed(), None))
                .await?;
        }
    }

    async fn manager_key(&self) -> StepResult {
        let step = StepId::ManagerKey;
        let state = self.state();
        if state.step(step).phase == Phase::Created {
            return Ok(self.record(Record::Ready { step })?);
        }
        let instance = state
            .step(StepId::Instance)
            .id
            .ok_or_else(|| AppError::internal("the database's id is not in the journal"))?;
        let rc = self
            .ctx
            .cloud
            .resource_controller()
            .map_err(AppError::from_cloud)?;
        self.record(Record::CreateIntent { step })?;
        self.say(step, "Looking for the credential");
        let existing = self
            .persist(step, "Listing credentials", || {
                rc.list_resource_keys_for_instance(&instance)
            })
            .await?
            .into_iter()
            .find(|k| k.name == MANAGER_KEY_NAME);
        let (key, adopted) = match existing {
            Some(found) => {
                let full = self
                    .persist(step, "Reading the credential", || {
                        rc.get_resource_key(&found.id)
                    })
                    .await?;
                if password_of(&full).is_some() {
                    (full, true)
                } else {
                    // Its password is not readable any more (and was never stored): make a
                    // new one rather than leave the user without it.
                    self.say(
                        step,
                        "The credential's password cannot be read again; replacing it",
                    );
                    self.delete(step, "Deleting the old credential", || {
                        rc.delete_resource_key(&found.id)
                    })
                    .await?;
                    (self.create_key(&instance).await?, false)
                }
            }
            None => (self.create_key(&instance).await?, false),
        };
        let entry = credential_entry(&key.guid);
        let secret = stored_credential(&key).ok_or_else(|| {
            AppError::new(
                ErrorCode::CloudRejected,
                "The new credential came without a password (REDACTED): your API key may lack the Manager role on the database.",
            )
        })?;
        let keychain = self.ctx.keychain.clone();
        let name = entry.clone();
        tokio::task::spawn_blocking(move || keychain.save(&name, &secret))
            .await
            .map_err(|e| AppError::internal(format!("keychain task: {e}")))?
            .map_err(AppError::from_keychain)?;
        self.record(Record::Created {
            step,
            id: key.guid.clone(),
            name: key.name.clone(),
            adopted,
            keychain_entry: Some(entry),
            detail: BTreeMap::new(),
        })?;
        Ok(self.record(Record::Ready { step })?)
    }

    /// Creates the Manager credential; after an answer that may hide a create (no answer,
    /// a 5xx) it looks for the key by name before trying again.
    async fn create_key(&self, instance: &str) -> Result<ResourceKey, Stop> {
        let step = StepId::ManagerKey;
        let rc = self
            .ctx
            .cloud
            .resource_controller()
            .map_err(AppError::from_cloud)?;
        let body = CreateResourceKey {
            name: MANAGER_KEY_NAME.to_owned(),
            source: instance.to_owned(),
            role: Some("Manager".to_owned()),
            parameters: None,
        };
        let pauses = self.ctx.timing.retry_pauses.clone();
        for attempt in 0..=pauses.len() {
            if attempt > 0 {
                let found = self
                    .persist(step, "Listing credentials", || {
                        rc.list_resource_keys_for_instance(instance)
                    })
                    .await?
                    .into_iter()
                    .find(|k| k.name == MANAGER_KEY_NAME);
                if let Some(k) = found {
                    return self
                        .persist(step, "Reading the credential", || {
                            rc.get_resource_key(&k.id)
                        })
                        .await;
                }
            }
            self.say(step, "Creating the Manager credential");
            match rc.create_resource_key(&body, Idempotency::Unsafe).await {
                Ok(key) => return Ok(key),
                Err(e) if temporary(&e) && attempt < pauses.len() => {
                    self.say(step, format!("The create did not get a clear answer ({e}); checking whether it happened"));
                    self.pause(pauses[attempt]).await?;
                }
                Err(e) => return Err(Stop::Failed(AppError::from_cloud(e))),
            }
        }
        Err(Stop::Failed(AppError::new(
            ErrorCode::Network,
            "Resource Controller did not answer the credential's create clearly after several attempts.",
        )))
    }

    // ---- teardown ----

    async fn teardown_step(&self, step: StepId) -> StepResult {
        let record = self.state().step(step);
        let plan = self.plan();
        match record.phase {
            // A login key may be in the keychain before its create was announced.
            Phase::NotStarted if step == StepId::SshKey && !kept(&plan, step, false) => {
                return self.forget_ssh_key(&plan.id).await;
            }
            Phase::Deleted | Phase::NotStarted => return Ok(()),
            _ => {}
        }
        if kept(&plan, step, record.adopted) {
            // It was there before Onramp: other databases (or the user) may rely on it.
            return Ok(());
        }
        if optional(step) {
            return self.teardown_restriction(step, &record).await;
        }
        if !matches!(
            step,
            StepId::Authorization | StepId::Instance | StepId::ManagerKey
        ) {
            return self.teardown_private_path(step, &record).await;
        }
        // An intent with no outcome: the create may have happened. Find it by name.
        let id = match record.id.clone() {
            Some(id) => Some(id),
            None => match step {
                StepId::Instance => self.find_instance(&plan).await?,
                _ => None,
            },
        };
        let Some(id) = id else {
            return Ok(self.record(Record::Deleted { step })?);
        };
        self.record(Record::DeleteIntent { step })?;
        let rc = self
            .ctx
            .cloud
            .resource_controller()
            .map_err(AppError::from_cloud)?;
        match step {
            StepId::ManagerKey => {
                self.delete(step, "Deleting the credential", || {
                    rc.delete_resource_key(&id)
                })
                .await?;
                let keychain = self.ctx.keychain.clone();
                let entry = record
                    .keychain_entry
                    .clone()
                    .unwrap_or_else(|| credential_entry(&id));
                tokio::task::spawn_blocking(move || keychain.delete(&entry))
                    .await
                    .map_err(|e| AppError::internal(format!("keychain task: {e}")))?
                    .map_err(AppError::from_keychain)?;
            }
            StepId::Instance => {
                self.say(step, "Deleting the database");
                self.delete_instance(&id).await?;
            }
            _ => {
                let policies = self
                    .ctx
                    .cloud
                    .iam_policies()
                    .map_err(AppError::from_cloud)?;
                self.delete(step, "Deleting the authorization", || {
                    policies.delete_policy(&id)
                })
                .await?;
            }
        }
        Ok(self.record(Record::Deleted { step })?)
    }
}

/// A failure worth trying again: no answer, a 5xx, or a 429.
fn temporary(error: &CloudError) -> bool {
    matches!(error.kind, ErrorKind::Network | ErrorKind::Timeout)
        || matches!(error.status, Some(429 | 500..=599))
}

/// The broker's 400s name the parameter they refuse; the UI shows them at that field.
fn broker_error(error: CloudError) -> AppError {
    let lower = error.message.to_lowercase();
    let field = if error.status == Some(409) || lower.contains("name") && !lower.contains("flavor")
    {
        Some(field::NAME)
    } else if lower.contains("member") {
        Some(field::MEMBERS)
    } else if lower.contains("storage") || lower.contains("between 10 and 9600") {
        Some(field::STORAGE)
    } else if lower.contains("flavor") {
        Some(field::HOST_FLAVOR)
    } else if lower.contains("version") {
        Some(field::VERSION)
    } else if lower.contains("encryption") || lower.contains("kms") || lower.contains("key protect")
    {
        Some(field::ENCRYPTION_KEY)
    } else if lower.contains("location") || lower.contains("deployment") {
        Some(field::LOCATION)
    } else if lower.contains("resource group") {
        Some(field::RESOURCE_GROUP)
    } else {
        None
    };
    let error = AppError::from_cloud(error);
    match field {
        Some(f) if error.code != ErrorCode::Network => error.at(f),
        _ => error,
    }
}

fn password_of(key: &ResourceKey) -> Option<String> {
    let credentials = key.credentials.as_ref()?;
    let password = credentials
        .password
        .as_ref()
        .map(|p| p.expose().clone())
        .or_else(|| {
            credentials
                .connection
                .as_ref()?
                .postgres
                .as_ref()?
                .authentication
                .as_ref()?
                .password
                .as_ref()
                .map(|p| p.expose().clone())
        })?;
    (!password.is_empty() && password != "REDACTED").then_some(password)
}

/// What the keychain keeps for a credential: the password and how to reach the database,
/// as one JSON text. The journal keeps only the entry's name.
pub(crate) fn stored_credential(key: &ResourceKey) -> Option<Sensitive<String>> {
    let password = password_of(key)?;
    let credentials = key.credentials.as_ref()?;
    let postgres = credentials
        .connection
        .as_ref()
        .and_then(|c| c.postgres.as_ref());
    let username = credentials
        .username
        .clone()
        .or_else(|| postgres?.authentication.as_ref()?.username.clone());
    let host = postgres.and_then(|p| p.hosts.first());
    let value = serde_json::json!({
        "keyGuid": key.guid,
        "name": key.name,
        "username": username,
        "password": password,
        "host": host.map(|h| h.hostname.clone()),
        "port": host.and_then(|h| h.port),
        "database": postgres.and_then(|p| p.database.clone()),
        "certificateBase64": postgres.and_then(|p| p.certificate.as_ref()?.certificate_base64.clone()),
    });
    Some(Sensitive::new(value.to_string()))
}

/// The running engine's handle: its progress, and a way to cancel it.
pub struct Job {
    pub progress: watch::Receiver<PlanProgress>,
    pub cancel: CancellationToken,
    pub done: tokio::task::JoinHandle<PlanProgress>,
}

fn start(
    ctx: EngineContext,
    journal: Journal,
    activity: Activity,
    work: impl FnOnce(Arc<Run>) -> std::pin::Pin<Box<dyn std::future::Future<Output = Outcome> + Send>>
        + Send
        + 'static,
) -> Job {
    let live = Live {
        activity: Some(activity),
        ..Live::default()
    };
    let (tx, rx) = watch::channel(snapshot(journal.state(), &ctx.timing, &live));
    let cancel = CancellationToken::new();
    let run = Arc::new(Run {
        ctx,
        journal: Mutex::new(journal),
        live: Mutex::new(live),
        progress: tx,
        cancel: cancel.clone(),
    });
    let done = tokio::spawn(async move {
        let outcome = work(run.clone()).await;
        if outcome == Outcome::Cancelled {
            let _ = run.record(Record::Cancelled);
        }
        {
            let mut live = run.live.lock().expect("live lock");
            live.activity = None;
            live.outcome = Some(outcome);
            live.working.clear();
        }
        run.publish();
        run.progress.borrow().clone()
    });
    Job {
        progress: rx,
        cancel,
        done,
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

/// Deletes what the journal's plan created, in reverse order; what cannot be deleted stays
/// in the journal as `DeleteFailed`, and the journal closes only when nothing is left.
pub fn teardown(ctx: EngineContext, journal: Journal) -> Job {
    start(ctx, journal, Activity::TearingDown, move |run| {
        Box::pin(async move {
            if !run.state().teardown_started {
                if let Err(error) = run.record(Record::TeardownStarted) {
                    tracing::error!(%error, "teardown could not be journalled");
                    return Outcome::TeardownIncomplete;
                }
            }
            let graph = graph(&run.plan());
            // What the Users step made first: it depends on the database.
            let mut complete = match run.teardown_extras().await {
                Ok(()) => true,
                Err(error) => {
                    tracing::warn!(message = %error.message, "an extra could not be deleted");
                    false
                }
            };
            for (step, _) in graph.iter().rev() {
                if run.cancel.is_cancelled() {
                    return Outcome::Cancelled;
                }
                run.set_working(*step, true);
                let result = run.teardown_step(*step).await;
                run.set_working(*step, false);
                match result {
                    Ok(()) => {}
                    Err(Stop::Cancelled) => return Outcome::Cancelled,
                    Err(Stop::FailedBefore) => complete = false,
                    Err(Stop::Failed(error)) => {
                        complete = false;
                        let _ = run.record(Record::DeleteFailed {
                            step: *step,
                            error: StepError::from(&error),
                        });
                    }
                }
            }
            if complete && run.record(Record::Closed).is_ok() {
                Outcome::TornDown
            } else {
                Outcome::TeardownIncomplete
            }
        })
    })
}

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
    // What the Users step made goes first, as teardown does it first.
    let extras = state
        .extras
        .iter()
        .filter(|e| e.phase != Phase::Deleted)
        .map(|extra| {
            let (kind, label, consequence) = match extra.kind {
                crate::journal::ExtraKind::Credential => (
                    "credential",
                    "Service credential (made in Users)",
                    "Deletes the credential: the PostgreSQL user it created is dropped, and its password is removed from your keychain.",
                ),
                crate::journal::ExtraKind::SqlUser => (
                    "sql-user",
                    "SQL user's password (made in Users)",
                    "Removes the password from your keychain; the user itself goes with the database.",
                ),
            };
            TeardownItem {
                key: format!("{kind}:{}", extra.name),
                step: None,
                label: label.to_owned(),
                name: extra.name.clone(),
                // A SQL user's id is its name; a credential's is its GUID.
                resource_id: match extra.kind {
                    crate::journal::ExtraKind::Credential => extra.id.clone(),
                    crate::journal::ExtraKind::SqlUser => None,
                },
                deletes: true,
                consequence: consequence.to_owned(),
            }
        });
    let graph = graph(&state.plan);
    let steps = graph
        .iter()
        .rev()
        .filter_map(|(step, _)| {
            let record = state.step(*step);
            if matches!(record.phase, Phase::NotStarted | Phase::Deleted) {
                return None;
            }
            let kept = kept(&state.plan, *step, record.adopted);
            let consequence = match step {
                StepId::ManagerKey => "Deletes the credential: the PostgreSQL user it created is dropped, and its password is removed from your keychain.".to_owned(),
                StepId::Instance if sandbox => "Deletes the sandbox database and its data. Nothing is billed in the sandbox.".to_owned(),
                StepId::Instance => "Deletes the database, its data and its backups; billing stops. IBM Cloud keeps a deleted instance for 3 days (soft deletion), during which it can be reclaimed from the resource reclamations list; after that it is gone for good.".to_owned(),
                StepId::Authorization if kept => "Kept: it existed before Onramp, and other databases may rely on it.".to_owned(),
                StepId::Authorization => "Removes the authorization Onramp created. Other databases with Key Protect keys in this account would lose access to their keys, so keep it if you made any.".to_owned(),
                _ if kept => "Kept: you chose this existing resource, and it stays as it was.".to_owned(),
                StepId::Vpe => "Deletes the endpoint gateway and releases its reserved IP; the database is no longer reachable from the VPC.".to_owned(),
                StepId::FloatingIp => "Releases the public address of the jump server.".to_owned(),
                StepId::JumpVsi => "Deletes the jump server and its boot disk.".to_owned(),
                StepId::SshRule | StepId::PostgresRule => "Removes the rule Onramp added to the VPC's default security group.".to_owned(),
                StepId::SshKey => "Deletes the SSH key from the VPC and its private half from your keychain.".to_owned(),
                StepId::Subnet => "Deletes the subnet (once nothing uses it).".to_owned(),
                StepId::Vpc => "Deletes the VPC and its default security group, ACL and routing table.".to_owned(),
                StepId::CbrRule => "Deletes the rule: the database's data plane is no longer limited to the VPC's zone.".to_owned(),
                StepId::CbrZone => "Deletes the network zone (after the rule that uses it).".to_owned(),
            };
            let consequence = if record.id.is_none() && !kept {
                format!("{consequence} (Its creation was interrupted; Onramp looks for it by name.)")
            } else {
                consequence
            };
            Some(TeardownItem {
                key: step.as_str().to_owned(),
                step: Some(*step),
                label: label(*step).to_owned(),
                name: record.name.clone().unwrap_or_else(|| resource_name(&state.plan, *step)),
                resource_id: record.id.clone(),
                deletes: !kept,
                consequence,
            })
        });
    extras.chain(steps).collect()
}

pub(crate) mod private_path;
mod restriction;
pub use private_path::{private_path_of, PrivatePath};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::KeyProtectChoice;

    fn plan(encryption: Encryption) -> DraftPlan {
        DraftPlan {
            id: "p".into(),
            name: "pg-demo".into(),
            location: "ca-mon".into(),
            resource_group_id: "g".into(),
            members: 2,
            host_flavor: "bx3d.4x20".into(),
            storage_gb: 10,
            version: "18".into(),
            encryption,
            connectivity: None,
        }
    }

    fn byok(authorization: Authorization) -> Encryption {
        Encryption::KeyProtect(KeyProtectChoice {
            instance_guid: "kp".into(),
            instance_name: "keys".into(),
            region: "ca-mon".into(),
            key_crn: "crn:key".into(),
            key_name: "root".into(),
            authorization,
        })
    }

    #[test]
    fn the_graph_has_the_authorization_only_when_the_plan_creates_it() {
        let steps = |e| graph(&plan(e));
        assert_eq!(
            steps(Encryption::ProviderManaged),
            vec![
                (StepId::Instance, vec![]),
                (StepId::ManagerKey, vec![StepId::Instance])
            ]
        );
        assert_eq!(
            steps(byok(Authorization::Exists)).len(),
            2,
            "an existing authorization is not Onramp's to create or delete"
        );
        assert_eq!(
            steps(byok(Authorization::Create)),
            vec![
                (StepId::Authorization, vec![]),
                (StepId::Instance, vec![StepId::Authorization]),
                (StepId::ManagerKey, vec![StepId::Instance])
            ]
        );
    }

    #[test]
    fn the_vpc_chain_does_not_wait_for_the_database_and_the_vpe_does() {
        use crate::connectivity::{Connectivity, VpcChoice};
        let mut p = plan(Encryption::ProviderManaged);
        p.connectivity = Some(Connectivity::suggested("ca-mon"));
        let g = graph(&p);
        let deps = |s: StepId| g.iter().find(|(x, _)| *x == s).unwrap().1.clone();
        // Everything a step waits for, transitively.
        fn upstream(g: &[(StepId, Vec<StepId>)], s: StepId, out: &mut BTreeSet<StepId>) {
            for d in &g.iter().find(|(x, _)| *x == s).unwrap().1 {
                out.insert(*d);
                upstream(g, *d, out);
            }
        }
        for step in [
            StepId::Vpc,
            StepId::Subnet,
            StepId::SshKey,
            StepId::SshRule,
            StepId::PostgresRule,
            StepId::JumpVsi,
            StepId::FloatingIp,
        ] {
            let mut up = BTreeSet::new();
            upstream(&g, step, &mut up);
            assert!(
                !up.contains(&StepId::Instance),
                "{step:?} waits for the database"
            );
        }
        assert_eq!(deps(StepId::Vpe), [StepId::Instance, StepId::Subnet]);
        assert_eq!(deps(StepId::JumpVsi), [StepId::Subnet, StepId::SshKey]);
        // Teardown goes in reverse: the path before the database, the VPE first.
        let reverse: Vec<StepId> = g.iter().rev().map(|(s, _)| *s).collect();
        assert_eq!(reverse[0], StepId::Vpe);
        assert_eq!(
            &reverse[7..],
            [StepId::Vpc, StepId::ManagerKey, StepId::Instance]
        );
        // The estimate runs the chain beside the database, not after it.
        let timing = Timing::sandbox(Duration::from_secs(600));
        assert_eq!(
            critical_path(&g, |s| millis(timing.estimate(s))),
            millis(timing.estimate(StepId::Instance) + timing.estimate(StepId::Vpe))
        );
        // A chosen VPC is kept by teardown; a created one is not.
        assert!(!kept(&p, StepId::Vpc, true));
        if let Some(c) = p.connectivity.as_mut() {
            c.vpc = VpcChoice::Existing {
                id: "v".into(),
                name: "mine".into(),
            };
        }
        assert!(kept(&p, StepId::Vpc, true));
        assert!(!kept(&p, StepId::JumpVsi, true));
    }

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

    #[test]
    fn polling_slows_to_at_most_one_per_10s_after_the_first_minute() {
        for timing in [
            Timing::sandbox(Duration::from_secs(30)),
            Timing::ibm_cloud(),
        ] {
            assert!(timing.poll_interval(Duration::from_secs(5), None) < Duration::from_secs(10));
            assert!(timing.poll_interval(Duration::from_secs(61), None) >= Duration::from_secs(10));
            assert_eq!(
                timing.poll_interval(Duration::from_secs(5), Some(Duration::from_secs(600))),
                Duration::from_secs(60),
                "the service's hint is honoured up to a minute"
            );
        }
        let mut odd = Timing::sandbox(Duration::from_secs(1));
        odd.poll_slow = Duration::from_secs(1);
        assert_eq!(
            odd.poll_interval(Duration::from_secs(120), None),
            Duration::from_secs(10)
        );
    }

    #[test]
    fn the_estimate_is_the_critical_path() {
        let g = graph(&plan(byok(Authorization::Create)));
        assert_eq!(critical_path(&g, |_| 1), 3);
        let parallel = vec![
            (StepId::Authorization, vec![]),
            (StepId::Instance, vec![]),
            (StepId::ManagerKey, vec![StepId::Instance]),
        ];
        assert_eq!(
            critical_path(&parallel, |s| if s == StepId::Authorization {
                10
            } else {
                2
            }),
            10
        );
    }

    #[test]
    fn broker_messages_land_on_their_fields() {
        let rejected = |message: &str, status| CloudError {
            kind: ErrorKind::Http,
            status: Some(status),
            code: None,
            message: message.into(),
            request_id: Some("rid".into()),
            retryable: false,
        };
        for (message, status, expect) in [
            (
                "invalid members '5', allowed values: 2, 3",
                400,
                field::MEMBERS,
            ),
            (
                "invalid storage_gb '5', only integer values between 10 and 9600 are allowed",
                400,
                field::STORAGE,
            ),
            (
                "host_flavor 'x' is not available in in-che",
                400,
                field::HOST_FLAVOR,
            ),
            (
                "A Databases for PostgreSQL instance named 'a' already exists",
                409,
                field::NAME,
            ),
        ] {
            let error = broker_error(rejected(message, status));
            assert_eq!(error.field.as_deref(), Some(expect), "{message}");
            assert_eq!(error.message, message, "verbatim");
            assert_eq!(error.request_id.as_deref(), Some("rid"));
        }
    }
}
