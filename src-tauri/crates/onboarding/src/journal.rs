//! The journal: one file per applied plan, `<data>/journals/<plan id>.jsonl`, recording the
//! intent before and the outcome after every call that creates or deletes a resource.
//!
//! Each record is one JSON line, written with a single `write` and flushed to disk
//! (`fsync`) before the call it announces is made. A crash can therefore only tear the
//! last line; reading ignores a torn last line, and opening for append cuts it off first,
//! so the file is always a sequence of whole records. Secrets are never recorded: the
//! records hold ids, names, states and the cloud's messages.

use std::{
    collections::BTreeMap,
    fs::{self, File, OpenOptions},
    io::Write,
    path::{Path, PathBuf},
};

use serde::{Deserialize, Serialize};
use specta::Type;

use crate::{plan::DraftPlan, settings::Mode, AppError, ErrorCode};

/// A resource the plan creates.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Type,
)]
#[serde(rename_all = "kebab-case")]
pub enum StepId {
    /// The service-to-service authorization databases-for-postgresql → kms (BYOK only).
    Authorization,
    /// The Databases for PostgreSQL instance.
    Instance,
    /// Its first Manager service credential.
    ManagerKey,
    // The private path (only when the plan has one); new variants go last so older
    // journals keep their meaning.
    /// The VPC (created, or the user's existing one, which teardown keeps).
    Vpc,
    Subnet,
    /// The SSH login key registered in the VPC (generated, or the user's existing one).
    SshKey,
    /// Inbound TCP 22 from the user's CIDR on the VPC's default security group.
    SshRule,
    /// Inbound TCP 5432 from the default security group itself (the jump VSI → the VPE).
    PostgresRule,
    /// The jump VSI, with the SSH host key Onramp generated.
    JumpVsi,
    FloatingIp,
    /// The VPE gateway to the database, with a reserved IP in the subnet.
    Vpe,
    /// The context-based-restriction network zone holding the VPC (optional, preview).
    CbrZone,
    /// The CBR rule that lets only that zone reach the database's data plane.
    CbrRule,
    // Observability (only when the plan routes metrics).
    /// The IBM Cloud Monitoring instance (created, or the user's existing one, kept).
    MonitoringInstance,
    /// The authorization metrics-router → sysdig-monitor on that instance.
    MetricsAuthorization,
    /// Metrics Routing's account settings: a primary metadata region where none was set.
    MetricsSettings,
    /// The Metrics Routing target: the Monitoring instance.
    MetricsTarget,
    /// The route sending this database's metrics (and no other's) to the target.
    MetricsRoute,
    /// The IBM Cloud Logs instance for activity events (created, or the user's, kept).
    LogsInstance,
    /// The authorization atracker → logs on that instance.
    ActivityAuthorization,
    /// The Activity Tracker target: the Cloud Logs instance.
    ActivityTarget,
    /// The route sending the location's and global events to the target.
    ActivityRoute,
    /// The authorization logs-router → logs on the Cloud Logs instance.
    LogsRouterAuthorization,
    /// Logs Routing's account settings: version 3 and a metadata region, where needed.
    LogsSettings,
    /// The Logs Routing target: the Cloud Logs instance.
    LogsTarget,
    /// The route sending the location's platform logs to the target.
    LogsRoute,
}

impl StepId {
    pub fn as_str(self) -> &'static str {
        match self {
            StepId::Authorization => "authorization",
            StepId::Instance => "instance",
            StepId::ManagerKey => "manager-key",
            StepId::Vpc => "vpc",
            StepId::Subnet => "subnet",
            StepId::SshKey => "ssh-key",
            StepId::SshRule => "ssh-rule",
            StepId::PostgresRule => "postgres-rule",
            StepId::JumpVsi => "jump-vsi",
            StepId::FloatingIp => "floating-ip",
            StepId::Vpe => "vpe",
            StepId::CbrZone => "cbr-zone",
            StepId::CbrRule => "cbr-rule",
            StepId::MonitoringInstance => "monitoring-instance",
            StepId::MetricsAuthorization => "metrics-authorization",
            StepId::MetricsSettings => "metrics-settings",
            StepId::MetricsTarget => "metrics-target",
            StepId::MetricsRoute => "metrics-route",
            StepId::LogsInstance => "logs-instance",
            StepId::ActivityAuthorization => "activity-authorization",
            StepId::ActivityTarget => "activity-target",
            StepId::ActivityRoute => "activity-route",
            StepId::LogsRouterAuthorization => "logs-router-authorization",
            StepId::LogsSettings => "logs-settings",
            StepId::LogsTarget => "logs-target",
            StepId::LogsRoute => "logs-route",
        }
    }
}

/// A cloud failure as the journal keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct StepError {
    pub message: String,
    pub request_id: Option<String>,
    /// The plan field it concerns, when the cloud's words name one (the broker's 400s).
    pub field: Option<String>,
    pub hint: Option<String>,
}

impl From<&AppError> for StepError {
    fn from(error: &AppError) -> Self {
        StepError {
            message: error.message.clone(),
            request_id: error.request_id.clone(),
            field: error.field.clone(),
            hint: error.hint.clone(),
        }
    }
}

/// Whose a resource the journal names is: what teardown may do with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "kebab-case")]
pub enum Owner {
    /// This plan's create call made it.
    Made,
    /// Found after a create whose answer was lost, and proved this plan's (DESIGN,
    /// "Ownership by proof").
    Proved,
    /// Found and used, but not this plan's: an authorization that was already in the
    /// account, or a resource the user chose. Teardown keeps it.
    Kept,
    /// Recorded by an Onramp from before ownership was proved: "adopted" then meant only
    /// "found by name". Teardown proves it again before deleting it.
    Legacy,
}

/// What the journal says of a resource that is not this plan's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ForeignResource {
    pub id: String,
    pub name: String,
    pub reason: String,
}

/// One line of the journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum Record {
    /// The plan as applied, and where: the first record.
    Opened {
        plan: Box<DraftPlan>,
        mode: Mode,
        account_id: String,
    },
    /// About to create the resource (older journals: about to look for it, then create).
    CreateIntent {
        step: StepId,
    },
    /// The create's answer left open whether it happened (none, a 5xx, a 409): a resource
    /// it made exists from before this record, if at all.
    CreateUnclear {
        step: StepId,
        message: String,
    },
    /// The resource exists: created now, or found after an interrupted create and proved
    /// this plan's, or found and used without being this plan's (kept by teardown).
    Created {
        step: StepId,
        id: String,
        name: String,
        /// Found rather than made by this call.
        adopted: bool,
        /// Whose it is (absent in journals written before ownership was recorded: see
        /// [`Owner::Legacy`]).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        owner: Option<Owner>,
        /// Where its secrets went, e.g. the keychain entry of a credential.
        keychain_entry: Option<String>,
        /// Public facts worth keeping (a security group id, an address, a public key).
        /// Absent in journals written before it existed.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        detail: BTreeMap<String, String>,
    },
    /// Public facts learnt before or after the create, e.g. the jump VSI's SSH host public
    /// key, written before the create that installs it so that an adopted VSI's key is known.
    Noted {
        step: StepId,
        detail: BTreeMap<String, String>,
    },
    /// The resource reported a new state while Onramp waited for it.
    Observed {
        step: StepId,
        state: String,
        message: Option<String>,
    },
    Ready {
        step: StepId,
    },
    Failed {
        step: StepId,
        error: StepError,
        /// The create was answered with a refusal (or never sent), so nothing exists for this
        /// step; teardown need not look for it. Absent (false) in older journals and after an
        /// unclear answer: then the create may have happened.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        made_nothing: bool,
    },
    /// A resource under the step's name that this plan cannot prove it made: named to the
    /// user and left in place (apply stops at it; teardown does not delete it).
    Foreign {
        step: StepId,
        id: String,
        name: String,
        /// Why it is not this plan's, in the user's words.
        reason: String,
    },
    /// The user changed the plan where nothing was made yet (a rename after a namesake
    /// stopped apply): the journal's plan from here on.
    Amended {
        plan: Box<DraftPlan>,
    },
    /// The user asked to try a failed step again.
    Retry {
        step: StepId,
    },
    /// The user cancelled the job; it can be resumed.
    Cancelled,
    /// The user confirmed the teardown preview: apply will not run on this plan again.
    TeardownStarted,
    /// About to delete the resource (in teardown, or to replace a failed one on retry).
    DeleteIntent {
        step: StepId,
    },
    Deleted {
        step: StepId,
    },
    DeleteFailed {
        step: StepId,
        error: StepError,
    },
    /// Teardown finished with nothing left: the journal is closed.
    Closed,
    /// About to make an extra (Users step); a new intent for a deleted one starts it over.
    ExtraIntent {
        kind: ExtraKind,
        name: String,
    },
    /// The extra exists, and where its secret went.
    ExtraCreated {
        kind: ExtraKind,
        name: String,
        id: String,
        keychain_entry: Option<String>,
    },
    /// The extra and its keychain entry are gone.
    ExtraDeleted {
        kind: ExtraKind,
        name: String,
    },
    /// About to scale the database to `size` (the Scale panel); until `Scaled`, opening
    /// the plan carries on with it.
    ScaleIntent {
        size: crate::scale::Size,
    },
    /// The database runs at `size`: the plan's size from here on.
    Scaled {
        size: crate::scale::Size,
    },
    /// The scale stopped short of its size.
    ScaleFailed {
        error: StepError,
    },
}

/// A record with its sequence number and time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub seq: u64,
    /// RFC 3339.
    pub at: String,
    #[serde(flatten)]
    pub record: Record,
}

/// Where a step is, by the journal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type)]
pub enum Phase {
    NotStarted,
    /// Intent recorded, outcome not: the create may or may not have happened.
    Creating,
    /// Exists; not yet ready.
    Created,
    Ready,
    Failed,
    Deleting,
    Deleted,
    DeleteFailed,
}

/// One create call a step announced: when, and when an unclear answer came back (none if
/// none came). A resource that call made was made in between.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateCall {
    pub asked_at: String,
    pub answered_at: Option<String>,
}

/// What the journal knows of one step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepRecord {
    pub phase: Phase,
    pub id: Option<String>,
    pub name: Option<String>,
    pub adopted: bool,
    /// Whose the resource is, once it exists.
    pub owner: Option<Owner>,
    /// The last failure was a clear refusal: nothing was made.
    pub made_nothing: bool,
    /// A namesake found and left in place, the last time one was looked for.
    pub foreign: Option<ForeignResource>,
    /// The create calls announced since the resource was last replaced.
    pub creates: Vec<CreateCall>,
    pub keychain_entry: Option<String>,
    /// The merged `detail` of its `Created` and `Noted` records.
    pub detail: BTreeMap<String, String>,
    pub last_state: Option<String>,
    pub last_message: Option<String>,
    pub error: Option<StepError>,
    /// When the first intent was recorded (RFC 3339): elapsed time survives restarts.
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
}

impl StepRecord {
    /// Teardown leaves it: found and used, not made by this plan. (A resource the user chose
    /// in the wizard is kept too; the plan says so, see `engine::resources`.)
    pub fn kept(&self) -> bool {
        self.owner == Some(Owner::Kept)
    }

    /// Its create was announced and no clear answer says nothing was made: a resource may
    /// exist that the journal has no id for.
    pub fn maybe_made(&self) -> bool {
        self.id.is_none()
            && self.started_at.is_some()
            && !self.made_nothing
            && matches!(
                self.phase,
                Phase::Creating | Phase::Failed | Phase::Deleting | Phase::DeleteFailed
            )
    }
}

impl Default for StepRecord {
    fn default() -> Self {
        StepRecord {
            phase: Phase::NotStarted,
            id: None,
            name: None,
            adopted: false,
            owner: None,
            made_nothing: false,
            foreign: None,
            creates: Vec::new(),
            keychain_entry: None,
            detail: BTreeMap::new(),
            last_state: None,
            last_message: None,
            error: None,
            started_at: None,
            finished_at: None,
        }
    }
}

/// What the user makes after apply, in the Users step: a service credential (its password
/// and connection data in the keychain), or a SQL login role whose password Onramp keeps
/// in the keychain. Journalled so that teardown removes their keychain entries too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "kebab-case")]
pub enum ExtraKind {
    Credential,
    SqlUser,
}

/// One extra, by the journal. `name` identifies it within its kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extra {
    pub kind: ExtraKind,
    pub name: String,
    /// `Creating` (intent only), `Created`, or `Deleted`.
    pub phase: Phase,
    pub id: Option<String>,
    pub keychain_entry: Option<String>,
}

/// The journal folded into what it means now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalState {
    pub plan: DraftPlan,
    pub mode: Mode,
    pub account_id: String,
    pub opened_at: String,
    pub steps: BTreeMap<StepId, StepRecord>,
    pub cancelled: bool,
    pub closed: bool,
    pub teardown_started: bool,
    /// What the Users step made, in the order it was first announced.
    pub extras: Vec<Extra>,
    /// The last scale asked for, if any.
    pub scale: Option<crate::scale::ScaleRecord>,
}

impl JournalState {
    /// The extras that may still exist (announced or created, not deleted).
    pub fn live_extras(&self, kind: ExtraKind) -> impl Iterator<Item = &Extra> {
        self.extras
            .iter()
            .filter(move |e| e.kind == kind && e.phase != Phase::Deleted)
    }

    fn extra(&mut self, kind: ExtraKind, name: &str) -> &mut Extra {
        let at = match self
            .extras
            .iter()
            .position(|e| e.kind == kind && e.name == name)
        {
            Some(at) => at,
            None => {
                self.extras.push(Extra {
                    kind,
                    name: name.to_owned(),
                    phase: Phase::Creating,
                    id: None,
                    keychain_entry: None,
                });
                self.extras.len() - 1
            }
        };
        &mut self.extras[at]
    }

    pub fn step(&self, id: StepId) -> StepRecord {
        self.steps.get(&id).cloned().unwrap_or_default()
    }

    fn fold(entries: &[Entry]) -> Result<JournalState, String> {
        let (first, rest) = entries.split_first().ok_or("the journal is empty")?;
        let Record::Opened {
            plan,
            mode,
            account_id,
        } = &first.record
        else {
            return Err("the journal does not start with the plan".to_owned());
        };
        let mut state = JournalState {
            plan: (**plan).clone(),
            mode: *mode,
            account_id: account_id.clone(),
            opened_at: first.at.clone(),
            steps: BTreeMap::new(),
            cancelled: false,
            closed: false,
            teardown_started: false,
            extras: Vec::new(),
            scale: None,
        };
        for entry in rest {
            state.apply(entry);
        }
        Ok(state)
    }

    fn apply(&mut self, entry: &Entry) {
        let at = entry.at.clone();
        fn step(state: &mut JournalState, id: StepId) -> &mut StepRecord {
            state.steps.entry(id).or_default()
        }
        match &entry.record {
            Record::Opened { .. } => {}
            Record::CreateIntent { step: id } => {
                self.cancelled = false;
                let s = step(self, *id);
                if s.started_at.is_none() {
                    s.started_at = Some(at.clone());
                }
                if s.phase == Phase::Deleted {
                    // A failed resource was deleted to be made again.
                    *s = StepRecord {
                        started_at: s.started_at.take(),
                        ..StepRecord::default()
                    };
                }
                if s.id.is_none() {
                    s.phase = Phase::Creating;
                }
                // A new create call is about to be made: it may make something.
                s.made_nothing = false;
                s.creates.push(CreateCall {
                    asked_at: at,
                    answered_at: None,
                });
            }
            Record::CreateUnclear { step: id, .. } => {
                if let Some(call) = step(self, *id).creates.last_mut() {
                    call.answered_at.get_or_insert(at);
                }
            }
            Record::Created {
                step: id,
                id: resource,
                name,
                adopted,
                owner,
                keychain_entry,
                detail,
            } => {
                let s = step(self, *id);
                s.phase = Phase::Created;
                s.id = Some(resource.clone());
                s.name = Some(name.clone());
                s.adopted = *adopted;
                s.owner = Some(match owner {
                    Some(owner) => *owner,
                    None if !*adopted => Owner::Made,
                    // Older Onramps recorded an authorization that was already in the
                    // account as adopted, and kept it: it still is.
                    None if *id == StepId::Authorization => Owner::Kept,
                    None => Owner::Legacy,
                });
                s.made_nothing = false;
                s.foreign = None;
                s.keychain_entry = keychain_entry.clone();
                s.detail.extend(detail.clone());
                s.error = None;
            }
            Record::Noted { step: id, detail } => {
                step(self, *id).detail.extend(detail.clone());
            }
            Record::Observed {
                step: id,
                state,
                message,
            } => {
                let s = step(self, *id);
                s.last_state = Some(state.clone());
                s.last_message = message.clone();
            }
            Record::Ready { step: id } => {
                let s = step(self, *id);
                s.phase = Phase::Ready;
                s.finished_at = Some(at);
                s.error = None;
            }
            Record::Failed {
                step: id,
                error,
                made_nothing,
            } => {
                let s = step(self, *id);
                s.phase = Phase::Failed;
                s.error = Some(error.clone());
                s.finished_at = Some(at);
                s.made_nothing = *made_nothing;
            }
            Record::Foreign {
                step: id,
                id: resource,
                name,
                reason,
            } => {
                step(self, *id).foreign = Some(ForeignResource {
                    id: resource.clone(),
                    name: name.clone(),
                    reason: reason.clone(),
                });
            }
            Record::Retry { step: id } => {
                let s = step(self, *id);
                s.error = None;
                s.finished_at = None;
                s.made_nothing = false;
                s.foreign = None;
                s.phase = if s.id.is_some() {
                    Phase::Created
                } else {
                    Phase::NotStarted
                };
            }
            Record::Amended { plan } => self.plan = (**plan).clone(),
            Record::Cancelled => self.cancelled = true,
            Record::TeardownStarted => {
                self.teardown_started = true;
                self.cancelled = false;
            }
            Record::DeleteIntent { step: id } => step(self, *id).phase = Phase::Deleting,
            Record::Deleted { step: id } => {
                let s = step(self, *id);
                s.phase = Phase::Deleted;
                s.finished_at = Some(at);
            }
            Record::DeleteFailed { step: id, error } => {
                let s = step(self, *id);
                s.phase = Phase::DeleteFailed;
                s.error = Some(error.clone());
            }
            Record::Closed => self.closed = true,
            Record::ExtraIntent { kind, name } => {
                let e = self.extra(*kind, name);
                if e.phase == Phase::Deleted {
                    *e = Extra {
                        kind: *kind,
                        name: name.clone(),
                        phase: Phase::Creating,
                        id: None,
                        keychain_entry: None,
                    };
                }
            }
            Record::ExtraCreated {
                kind,
                name,
                id,
                keychain_entry,
            } => {
                let e = self.extra(*kind, name);
                e.phase = Phase::Created;
                e.id = Some(id.clone());
                e.keychain_entry = keychain_entry.clone();
            }
            Record::ExtraDeleted { kind, name } => self.extra(*kind, name).phase = Phase::Deleted,
            Record::ScaleIntent { size } => {
                self.scale = Some(crate::scale::ScaleRecord {
                    target: size.clone(),
                    phase: Phase::Creating,
                    error: None,
                })
            }
            Record::Scaled { size } => {
                self.plan = size.on(&self.plan);
                self.scale = Some(crate::scale::ScaleRecord {
                    target: size.clone(),
                    phase: Phase::Ready,
                    error: None,
                });
            }
            Record::ScaleFailed { error } => {
                if let Some(scale) = self.scale.as_mut() {
                    scale.phase = Phase::Failed;
                    scale.error = Some(error.clone());
                }
            }
        }
    }
}

/// An open journal file, held under an exclusive advisory lock (`flock`) so that one
/// process at a time writes it: a second window or `onramp-engine` gets "in use".
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    file: File,
    /// The length of the whole records written: a failed write is cut back to it.
    len: u64,
    next_seq: u64,
    state: JournalState,
    /// Tests: the next write puts half its line down, then fails (as a full disk would).
    #[cfg(test)]
    fail_next_write: bool,
}

/// Where journals live under the app's data dir.
pub fn journal_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("journals")
}

/// A plan id must be a UUID before it names a file: anything else (a path, `..`, a NUL)
/// never reaches the file system.
pub fn check_plan_id(plan_id: &str) -> Result<(), AppError> {
    let ok = plan_id.len() == 36
        && plan_id.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        });
    if ok {
        Ok(())
    } else {
        Err(AppError::new(
            ErrorCode::InvalidInput,
            "A plan id is a UUID (8-4-4-4-12 hexadecimal digits).",
        ))
    }
}

fn journal_path(dir: &Path, plan_id: &str) -> Result<PathBuf, AppError> {
    check_plan_id(plan_id)?;
    Ok(dir.join(format!("{plan_id}.jsonl")))
}

/// The file naming who holds a journal's lock, for the message a second writer gets.
fn holder_path(journal: &Path) -> PathBuf {
    journal.with_extension("holder")
}

fn io_error(path: &Path, error: std::io::Error) -> AppError {
    AppError::internal(format!("journal {}: {error}", path.display()))
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Why a journal cannot be read, as the user should read it.
fn damaged(path: &Path, why: impl std::fmt::Display) -> AppError {
    AppError::internal(format!("journal {} is damaged: {why}", path.display())).hint(
        "Onramp will not act on a damaged journal. Keep the file for support; the resources it lists may still exist in your account, so look for them in the IBM Cloud console.",
    )
}

/// Parses whole lines; a torn (unterminated) last line is dropped, whatever it holds (even
/// half a UTF-8 character). Returns the entries and the length of the whole-record prefix.
fn parse(bytes: &[u8], path: &Path) -> Result<(Vec<Entry>, usize), AppError> {
    let mut entries = Vec::new();
    let mut good = 0;
    for (index, line) in bytes.split_inclusive(|b| *b == b'\n').enumerate() {
        let Some(body) = line.strip_suffix(b"\n") else {
            // Written but not terminated: the crash came mid-write.
            break;
        };
        let entry = std::str::from_utf8(body)
            .map_err(|e| e.to_string())
            .and_then(|text| serde_json::from_str::<Entry>(text).map_err(|e| e.to_string()))
            .map_err(|why| damaged(path, format!("line {}: {why}", index + 1)))?;
        entries.push(entry);
        good += line.len();
    }
    Ok((entries, good))
}

/// Takes the journal's lock, or says who holds it.
fn lock(file: &File, path: &Path) -> Result<(), AppError> {
    match file.try_lock() {
        Ok(()) => {
            let me = std::env::current_exe()
                .ok()
                .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
                .unwrap_or_else(|| "onramp".into());
            let _ = fs::write(
                holder_path(path),
                format!("{me}, process {}", std::process::id()),
            );
            Ok(())
        }
        Err(fs::TryLockError::WouldBlock) => {
            let holder =
                fs::read_to_string(holder_path(path)).unwrap_or_else(|_| "another Onramp".into());
            Err(AppError::new(
                ErrorCode::Conflict,
                format!("This plan is in use by {holder}."),
            )
            .hint("Only one window or onramp-engine works on a plan at a time. Close the other, or wait until it finishes."))
        }
        Err(fs::TryLockError::Error(e)) => Err(io_error(path, e)),
    }
}

impl Journal {
    /// Starts the journal of `plan`; fails if one exists (resume it instead).
    pub fn create(
        dir: &Path,
        plan: &DraftPlan,
        mode: Mode,
        account_id: &str,
    ) -> Result<Journal, AppError> {
        let path = journal_path(dir, &plan.id)?;
        fs::create_dir_all(dir).map_err(|e| io_error(dir, e))?;
        let file = OpenOptions::new()
            .create_new(true)
            .append(true)
            .open(&path)
            .map_err(|e| io_error(&path, e))?;
        lock(&file, &path)?;
        let opened_at = now();
        let mut journal = Journal {
            path,
            file,
            len: 0,
            next_seq: 1,
            #[cfg(test)]
            fail_next_write: false,
            state: JournalState {
                plan: plan.clone(),
                mode,
                account_id: account_id.to_owned(),
                opened_at,
                steps: BTreeMap::new(),
                cancelled: false,
                closed: false,
                teardown_started: false,
                extras: Vec::new(),
                scale: None,
            },
        };
        journal.write(Record::Opened {
            plan: Box::new(plan.clone()),
            mode,
            account_id: account_id.to_owned(),
        })?;
        Ok(journal)
    }

    /// Opens the journal of `plan_id` for more records, under its lock, cutting off a torn
    /// last line.
    pub fn open(dir: &Path, plan_id: &str) -> Result<Journal, AppError> {
        let path = journal_path(dir, plan_id)?;
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .open(&path)
            .map_err(|e| io_error(&path, e))?;
        lock(&file, &path)?;
        let bytes = fs::read(&path).map_err(|e| io_error(&path, e))?;
        let (entries, good) = parse(&bytes, &path)?;
        if entries.is_empty() {
            return Err(empty(&path));
        }
        let state = JournalState::fold(&entries).map_err(|why| damaged(&path, why))?;
        if good < bytes.len() {
            tracing::warn!(path = %path.display(), torn = bytes.len() - good, "cutting a torn record off the journal");
            file.set_len(good as u64).map_err(|e| io_error(&path, e))?;
            file.sync_all().map_err(|e| io_error(&path, e))?;
        }
        let next_seq = entries.last().map_or(1, |e| e.seq + 1);
        Ok(Journal {
            path,
            file,
            len: good as u64,
            next_seq,
            state,
            #[cfg(test)]
            fail_next_write: false,
        })
    }

    /// Reads a journal without opening it for writing (no lock: readers never block).
    pub fn read(path: &Path) -> Result<JournalState, AppError> {
        let bytes = fs::read(path).map_err(|e| io_error(path, e))?;
        let (entries, _) = parse(&bytes, path)?;
        if entries.is_empty() {
            return Err(empty(path));
        }
        JournalState::fold(&entries).map_err(|why| damaged(path, why))
    }

    /// Reads the journal of `plan_id` in `dir`.
    pub fn read_plan(dir: &Path, plan_id: &str) -> Result<JournalState, AppError> {
        Journal::read(&journal_path(dir, plan_id)?)
    }

    /// True when the plan's journal exists but holds no whole record: its first write
    /// failed or was torn, so nothing was made under it.
    pub fn is_empty(dir: &Path, plan_id: &str) -> bool {
        journal_path(dir, plan_id)
            .ok()
            .and_then(|path| fs::read(&path).ok().map(|bytes| (path, bytes)))
            .is_some_and(|(path, bytes)| parse(&bytes, &path).is_ok_and(|(e, _)| e.is_empty()))
    }

    /// Sets aside the journal of a plan that created nothing, so an edited plan can start
    /// over; the old file is kept beside it as `<id>.<unix seconds>.superseded`.
    pub fn supersede(dir: &Path, plan_id: &str) -> Result<(), AppError> {
        let old = journal_path(dir, plan_id)?;
        let seconds = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        let kept = dir.join(format!("{plan_id}.{seconds}.superseded"));
        fs::rename(&old, &kept).map_err(|e| io_error(&old, e))
    }

    /// Every journal in `dir`, newest first, with those that cannot be read as errors.
    pub fn list(dir: &Path) -> Vec<(PathBuf, Result<JournalState, AppError>)> {
        let Ok(read) = fs::read_dir(dir) else {
            return Vec::new();
        };
        let mut all: Vec<_> = read
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
            .map(|p| {
                let state = Journal::read(&p);
                (p, state)
            })
            .collect();
        all.sort_by(|a, b| {
            let key = |s: &Result<JournalState, AppError>| {
                s.as_ref().map(|s| s.opened_at.clone()).unwrap_or_default()
            };
            key(&b.1).cmp(&key(&a.1))
        });
        all
    }

    pub fn exists(dir: &Path, plan_id: &str) -> bool {
        journal_path(dir, plan_id).is_ok_and(|p| p.exists())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn state(&self) -> &JournalState {
        &self.state
    }

    /// Appends `record` and flushes it to disk before returning. A write that fails is cut
    /// back to the last whole record, so the next one never lands after half a line.
    pub fn write(&mut self, record: Record) -> Result<(), AppError> {
        let entry = Entry {
            seq: self.next_seq,
            at: now(),
            record,
        };
        let mut line = serde_json::to_string(&entry)
            .map_err(|e| AppError::internal(format!("journal record: {e}")))?;
        line.push('\n');
        #[cfg(test)]
        let written = if std::mem::take(&mut self.fail_next_write) {
            self.file
                .write_all(&line.as_bytes()[..line.len() / 2])
                .and_then(|_| Err(std::io::Error::other("no space left on device (test)")))
        } else {
            self.file.write_all(line.as_bytes())
        };
        #[cfg(not(test))]
        let written = self.file.write_all(line.as_bytes());
        if let Err(e) = written.and_then(|_| self.file.sync_data()) {
            let _ = self.file.set_len(self.len);
            let _ = self.file.sync_data();
            return Err(io_error(&self.path, e));
        }
        self.len += line.len() as u64;
        self.next_seq += 1;
        if self.next_seq == 2 {
            // The first record: make the new file's name durable too.
            if let Some(dir) = self.path.parent() {
                if let Ok(dir) = File::open(dir) {
                    let _ = dir.sync_all();
                }
            }
        }
        self.state.apply(&entry);
        Ok(())
    }
}

impl Drop for Journal {
    /// Forgets who held the lock while it is still held; closing the file releases it.
    fn drop(&mut self) {
        let _ = fs::remove_file(holder_path(&self.path));
    }
}

/// A journal with no whole record: nothing was made under it.
fn empty(path: &Path) -> AppError {
    AppError::new(
        ErrorCode::NotFound,
        format!(
            "The journal {} holds no record yet: nothing was made for this plan.",
            path.display()
        ),
    )
    .hint("Apply the plan again.")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Encryption;

    fn plan() -> DraftPlan {
        DraftPlan {
            id: "11111111-2222-3333-4444-555555555555".into(),
            name: "pg-demo".into(),
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

    fn created(step: StepId, id: &str) -> Record {
        Record::Created {
            step,
            id: id.into(),
            name: "pg-demo".into(),
            adopted: false,
            owner: Some(Owner::Made),
            keychain_entry: None,
            detail: BTreeMap::new(),
        }
    }

    #[test]
    fn a_created_record_without_detail_still_reads_and_notes_merge_into_it() {
        let old = r#"{"seq":2,"at":"2026-01-01T00:00:00.000Z","event":"created","step":"instance","id":"crn:1","name":"pg","adopted":false,"keychain_entry":null}"#;
        let entry: Entry = serde_json::from_str(old).unwrap();
        assert!(matches!(&entry.record, Record::Created { detail, .. } if detail.is_empty()));
        assert!(
            !serde_json::to_string(&entry).unwrap().contains("detail"),
            "an empty detail is not written"
        );
        let dir = tempfile::tempdir().unwrap();
        let mut journal = Journal::create(dir.path(), &plan(), Mode::Sandbox, "acct").unwrap();
        let note = |k: &str, v: &str| BTreeMap::from([(k.to_owned(), v.to_owned())]);
        journal
            .write(Record::Noted {
                step: StepId::JumpVsi,
                detail: note("hostKey", "ssh-ed25519 AAAA"),
            })
            .unwrap();
        journal
            .write(Record::Created {
                step: StepId::JumpVsi,
                id: "vsi-1".into(),
                name: "onramp-jump".into(),
                adopted: true,
                owner: Some(Owner::Proved),
                keychain_entry: None,
                detail: note("networkInterfaceId", "nic-1"),
            })
            .unwrap();
        let state = Journal::read_plan(dir.path(), &plan().id).unwrap();
        let jump = state.step(StepId::JumpVsi);
        assert_eq!(
            jump.detail.get("hostKey").map(String::as_str),
            Some("ssh-ed25519 AAAA")
        );
        assert_eq!(
            jump.detail.get("networkInterfaceId").map(String::as_str),
            Some("nic-1")
        );
        assert_eq!(StepId::JumpVsi.as_str(), "jump-vsi");
        assert_eq!(
            serde_json::to_value(StepId::FloatingIp).unwrap(),
            "floating-ip"
        );
    }

    #[test]
    fn older_records_say_whose_a_resource_is_as_they_meant_it() {
        let line = |step: &str, adopted: bool| {
            format!(
                r#"{{"seq":2,"at":"2026-01-01T00:00:00.000Z","event":"created","step":"{step}","id":"x","name":"n","adopted":{adopted},"keychain_entry":null}}"#
            )
        };
        let owner = |step: &str, adopted: bool| {
            let entry: Entry = serde_json::from_str(&line(step, adopted)).unwrap();
            let mut state = JournalState::fold(&[Entry {
                seq: 1,
                at: "2026-01-01T00:00:00.000Z".into(),
                record: Record::Opened {
                    plan: Box::new(plan()),
                    mode: Mode::Sandbox,
                    account_id: "a".into(),
                },
            }])
            .unwrap();
            state.apply(&entry);
            let id: StepId =
                serde_json::from_value(serde_json::Value::String(step.into())).unwrap();
            state.step(id).owner
        };
        assert_eq!(owner("instance", false), Some(Owner::Made));
        assert_eq!(
            owner("instance", true),
            Some(Owner::Legacy),
            "found by name alone: proved again before teardown deletes it"
        );
        assert_eq!(
            owner("authorization", true),
            Some(Owner::Kept),
            "an authorization that was there before was always kept"
        );
    }

    #[test]
    fn create_calls_are_remembered_with_their_unclear_answers_and_what_may_exist() {
        let dir = tempfile::tempdir().unwrap();
        let mut j = Journal::create(dir.path(), &plan(), Mode::Sandbox, "acct").unwrap();
        let step = StepId::Vpc;
        assert!(!j.state().step(step).maybe_made());
        j.write(Record::CreateIntent { step }).unwrap();
        assert!(
            j.state().step(step).maybe_made(),
            "an intent without an answer"
        );
        j.write(Record::CreateUnclear {
            step,
            message: "503".into(),
        })
        .unwrap();
        j.write(Record::CreateIntent { step }).unwrap();
        let calls = j.state().step(step).creates;
        assert_eq!(calls.len(), 2);
        assert!(calls[0].answered_at.is_some() && calls[1].answered_at.is_none());
        j.write(Record::Failed {
            step,
            error: StepError {
                message: "refused".into(),
                request_id: None,
                field: None,
                hint: None,
            },
            made_nothing: true,
        })
        .unwrap();
        assert!(
            !j.state().step(step).maybe_made(),
            "a clear refusal made nothing"
        );
        j.write(Record::Foreign {
            step,
            id: "r-9".into(),
            name: "theirs".into(),
            reason: "made before".into(),
        })
        .unwrap();
        assert_eq!(
            j.state().step(step).foreign.as_ref().map(|f| f.id.as_str()),
            Some("r-9")
        );
        let mut renamed = plan();
        renamed.name = "pg-other".into();
        j.write(Record::Amended {
            plan: Box::new(renamed.clone()),
        })
        .unwrap();
        let read = Journal::read(j.path()).unwrap();
        assert_eq!(
            read.plan, renamed,
            "the amended plan is the journal's from then on"
        );
        assert_eq!(read.step(step).creates.len(), 2);
    }

    #[test]
    fn intent_then_outcome_folds_into_phases_and_survives_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let mut journal = Journal::create(dir.path(), &plan(), Mode::Sandbox, "acct").unwrap();
        journal
            .write(Record::CreateIntent {
                step: StepId::Instance,
            })
            .unwrap();
        assert_eq!(
            journal.state().step(StepId::Instance).phase,
            Phase::Creating
        );
        journal.write(created(StepId::Instance, "crn:1")).unwrap();
        journal
            .write(Record::Observed {
                step: StepId::Instance,
                state: "provisioning".into(),
                message: Some("Started create instance".into()),
            })
            .unwrap();
        drop(journal);
        let mut again = Journal::open(dir.path(), &plan().id).unwrap();
        let instance = again.state().step(StepId::Instance);
        assert_eq!(instance.phase, Phase::Created);
        assert_eq!(instance.id.as_deref(), Some("crn:1"));
        assert_eq!(instance.last_state.as_deref(), Some("provisioning"));
        again
            .write(Record::Ready {
                step: StepId::Instance,
            })
            .unwrap();
        let read = Journal::read(again.path()).unwrap();
        assert_eq!(read.step(StepId::Instance).phase, Phase::Ready);
        assert_eq!(read.plan, plan());
        let text = fs::read_to_string(again.path()).unwrap();
        let seqs: Vec<u64> = text
            .lines()
            .map(|l| serde_json::from_str::<Entry>(l).unwrap().seq)
            .collect();
        assert_eq!(seqs, [1, 2, 3, 4, 5]);
    }

    #[test]
    fn a_torn_last_record_is_ignored_then_cut_off_before_appending() {
        let dir = tempfile::tempdir().unwrap();
        let mut journal = Journal::create(dir.path(), &plan(), Mode::Sandbox, "acct").unwrap();
        journal
            .write(Record::CreateIntent {
                step: StepId::Instance,
            })
            .unwrap();
        let path = journal.path().to_owned();
        drop(journal);
        // A crash in the middle of writing the outcome.
        let whole = fs::read_to_string(&path).unwrap();
        let torn = r#"{"seq":3,"at":"2026-11-24T00:00:00Z","event":"created","step":"instance","id":"crn:"#;
        fs::write(&path, format!("{whole}{torn}")).unwrap();

        let read = Journal::read(&path).unwrap();
        assert_eq!(
            read.step(StepId::Instance).phase,
            Phase::Creating,
            "the torn outcome is not believed"
        );
        let mut reopened = Journal::open(dir.path(), &plan().id).unwrap();
        assert_eq!(
            fs::read_to_string(&path).unwrap(),
            whole,
            "the torn tail is cut off"
        );
        reopened.write(created(StepId::Instance, "crn:2")).unwrap();
        let read = Journal::read(&path).unwrap();
        assert_eq!(read.step(StepId::Instance).id.as_deref(), Some("crn:2"));
        assert!(fs::read_to_string(&path)
            .unwrap()
            .lines()
            .all(|l| serde_json::from_str::<Entry>(l).is_ok()));
    }

    #[test]
    fn a_second_writer_is_told_who_holds_the_plan_and_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let first = Journal::create(dir.path(), &plan(), Mode::Sandbox, "acct").unwrap();
        let before = fs::read(first.path()).unwrap();
        let refused = Journal::open(dir.path(), &plan().id).unwrap_err();
        assert_eq!(refused.code, ErrorCode::Conflict);
        assert!(
            refused.message.contains("in use by")
                && refused.message.contains(&std::process::id().to_string()),
            "{}",
            refused.message
        );
        assert_eq!(fs::read(first.path()).unwrap(), before, "nothing written");
        drop(first);
        Journal::open(dir.path(), &plan().id).expect("free once the first is closed");
    }

    #[test]
    fn a_failed_write_is_cut_back_so_the_next_record_is_whole() {
        let dir = tempfile::tempdir().unwrap();
        let mut j = Journal::create(dir.path(), &plan(), Mode::Sandbox, "acct").unwrap();
        j.fail_next_write = true;
        assert!(j
            .write(Record::CreateIntent {
                step: StepId::Instance
            })
            .is_err());
        j.write(Record::CreateIntent { step: StepId::Vpc }).unwrap();
        let read = Journal::read(j.path()).expect("no damaged middle line");
        assert_eq!(read.step(StepId::Instance).phase, Phase::NotStarted);
        assert_eq!(read.step(StepId::Vpc).phase, Phase::Creating);
    }

    #[test]
    fn a_torn_tail_inside_a_character_is_cut_like_any_torn_line() {
        let dir = tempfile::tempdir().unwrap();
        let j = Journal::create(dir.path(), &plan(), Mode::Sandbox, "acct").unwrap();
        let path = j.path().to_owned();
        drop(j);
        let whole = fs::read(&path).unwrap();
        let mut torn = whole.clone();
        // Half of "é" (0xC3 0xA9): the crash came in the middle of the character.
        torn.extend_from_slice(b"{\"seq\":2,\"at\":\"2026\",\"event\":\"noted\",\"caf\xC3");
        fs::write(&path, &torn).unwrap();
        Journal::read(&path).expect("read, torn tail ignored");
        drop(Journal::open(dir.path(), &plan().id).unwrap());
        assert_eq!(fs::read(&path).unwrap(), whole, "cut off");
    }

    #[test]
    fn an_empty_journal_means_nothing_was_made() {
        let dir = tempfile::tempdir().unwrap();
        let id = plan().id;
        fs::write(dir.path().join(format!("{id}.jsonl")), b"{\"seq\":1").unwrap();
        assert!(Journal::is_empty(dir.path(), &id));
        assert_eq!(
            Journal::read_plan(dir.path(), &id).unwrap_err().code,
            ErrorCode::NotFound
        );
        assert!(!Journal::is_empty(
            dir.path(),
            "11111111-2222-3333-4444-000000000000"
        ));
    }

    #[test]
    fn plan_ids_are_uuids_before_they_name_a_file() {
        for bad in [
            "../../etc/passwd",
            "",
            "x",
            "11111111-2222-3333-4444-55555555555\u{0}",
            "11111111_2222_3333_4444_555555555555",
        ] {
            assert_eq!(
                check_plan_id(bad).unwrap_err().code,
                ErrorCode::InvalidInput,
                "{bad:?}"
            );
            assert!(Journal::open(Path::new("/tmp"), bad).is_err());
            assert!(!Journal::exists(Path::new("/"), bad));
        }
        check_plan_id("3f2a9c1e-7b4d-4e2a-9f10-5c6d7e8f9a0b").unwrap();
    }

    #[test]
    fn a_damaged_middle_line_is_an_error_not_a_guess() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::create(dir.path(), &plan(), Mode::Sandbox, "acct").unwrap();
        let path = journal.path().to_owned();
        drop(journal);
        let whole = fs::read_to_string(&path).unwrap();
        fs::write(&path, format!("{whole}garbage\n{whole}")).unwrap();
        let error = Journal::read(&path).unwrap_err();
        assert!(
            error.message.contains("damaged: line 2"),
            "{}",
            error.message
        );
        assert!(Journal::open(dir.path(), &plan().id).is_err());
    }

    #[test]
    fn a_second_journal_for_the_same_plan_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        Journal::create(dir.path(), &plan(), Mode::Sandbox, "acct").unwrap();
        assert!(Journal::create(dir.path(), &plan(), Mode::Sandbox, "acct").is_err());
        assert!(Journal::exists(dir.path(), &plan().id));
        assert_eq!(Journal::list(dir.path()).len(), 1);
    }

    #[test]
    fn a_superseded_journal_is_kept_aside_and_no_longer_listed() {
        let dir = tempfile::tempdir().unwrap();
        Journal::create(dir.path(), &plan(), Mode::Sandbox, "acct").unwrap();
        Journal::supersede(dir.path(), &plan().id).unwrap();
        assert!(!Journal::exists(dir.path(), &plan().id));
        assert!(Journal::list(dir.path()).is_empty());
        let kept: Vec<_> = fs::read_dir(dir.path()).unwrap().flatten().collect();
        assert_eq!(kept.len(), 1);
        assert!(kept[0]
            .file_name()
            .to_string_lossy()
            .ends_with(".superseded"));
        Journal::create(dir.path(), &plan(), Mode::Sandbox, "acct").unwrap();
        assert_eq!(
            Journal::read_plan(dir.path(), &plan().id).unwrap().plan,
            plan()
        );
    }

    #[test]
    fn failure_retry_delete_and_close() {
        let dir = tempfile::tempdir().unwrap();
        let mut j = Journal::create(dir.path(), &plan(), Mode::IbmCloud, "acct").unwrap();
        j.write(Record::CreateIntent {
            step: StepId::Instance,
        })
        .unwrap();
        j.write(Record::Failed {
            step: StepId::Instance,
            error: StepError {
                message: "invalid members '5', allowed values: 2, 3".into(),
                request_id: Some("rid".into()),
                field: Some("members".into()),
                hint: None,
            },
            made_nothing: true,
        })
        .unwrap();
        assert_eq!(j.state().step(StepId::Instance).phase, Phase::Failed);
        j.write(Record::Retry {
            step: StepId::Instance,
        })
        .unwrap();
        assert_eq!(j.state().step(StepId::Instance).phase, Phase::NotStarted);
        j.write(created(StepId::Instance, "crn:3")).unwrap();
        j.write(Record::DeleteIntent {
            step: StepId::Instance,
        })
        .unwrap();
        j.write(Record::Deleted {
            step: StepId::Instance,
        })
        .unwrap();
        assert!(
            !j.state().teardown_started,
            "deleting to replace is not teardown"
        );
        j.write(Record::CreateIntent {
            step: StepId::Instance,
        })
        .unwrap();
        let again = j.state().step(StepId::Instance);
        assert_eq!(
            (again.phase, again.id.as_deref()),
            (Phase::Creating, None),
            "the replaced resource is forgotten"
        );
        j.write(created(StepId::Instance, "crn:4")).unwrap();
        j.write(Record::TeardownStarted).unwrap();
        assert!(j.state().teardown_started);
        j.write(Record::DeleteIntent {
            step: StepId::Instance,
        })
        .unwrap();
        j.write(Record::Deleted {
            step: StepId::Instance,
        })
        .unwrap();
        j.write(Record::Closed).unwrap();
        let read = Journal::read(j.path()).unwrap();
        assert!(read.closed);
        assert_eq!(read.mode, Mode::IbmCloud);
        assert_eq!(read.step(StepId::Instance).phase, Phase::Deleted);
    }
}
