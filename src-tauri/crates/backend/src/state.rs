//! What the back end keeps while the app runs: who it is (identifier, so keychain entries
//! and data dirs are per build kind), the shared HTTP client, the signed-in session, the
//! embedded sandbox once Sandbox mode needs it, the registries of running work, and the
//! problems the window should show.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    time::Duration,
};

use serde::Serialize;
use specta::Type;
use tokio::sync::Mutex;

use onramp_cloud::{Endpoints, HttpClient, Network};
use onramp_onboarding::{
    account::{self, Session},
    engine::Timing,
    plan::Offerings,
    settings::{self, Mode, Settings},
    AppError, ErrorCode,
};
use onramp_sandbox::{RunningSandbox, SandboxConfig};
use onramp_secrets::Keychain;

/// Points IBM Cloud mode at other endpoints (a sandbox, a staging IAM): a path to an
/// `endpoints.json`. Every URL in it must still be HTTPS or loopback.
pub const ENDPOINTS_ENV: &str = "ONRAMP_CLOUD_ENDPOINTS";
/// How long the embedded sandbox takes to provision a database, in seconds (default 30).
pub const SANDBOX_PROVISION_ENV: &str = "ONRAMP_SANDBOX_PROVISION_SECONDS";

/// Which build this is, from its identifier; dev and test builds never share keychain
/// entries or data with a release build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Type)]
pub enum BuildKind {
    Release,
    Dev,
    Test,
}

pub struct Backend {
    pub identifier: String,
    pub build: BuildKind,
    pub keychain: Keychain,
    pub http: HttpClient,
    pub data_dir: PathBuf,
    /// `Some(Ok)` when ENDPOINTS_ENV is set and valid, `Some(Err(why))` when it is set but
    /// unusable (reported when IBM Cloud mode is used, not as a crash at start).
    endpoints_override: Option<Result<(PathBuf, Endpoints), String>>,
    pub session: Mutex<Option<Session>>,
    sandbox: Mutex<Option<RunningSandbox>>,
    /// Signed in to the embedded sandbox once: its token renews itself, so the page's
    /// first question, asked while the window opens, does not wait for an IAM exchange.
    sandbox_signed_in: Mutex<Option<Session>>,
    sandbox_provision_seconds: f64,
    /// The catalog and account data the plan is checked against, per account.
    pub offerings: Mutex<Option<(String, Offerings)>>,
    /// Apply and teardown jobs that are running, by plan id.
    pub jobs: onramp_onboarding::jobs::Jobs,
    /// Open SSH tunnels to plans' databases, by plan id. Closed on exit.
    pub tunnels: crate::Tunnels,
    /// The Connect step's running query, by plan id: its stop switch.
    pub queries: Mutex<HashMap<String, tokio_util::sync::CancellationToken>>,
    /// What went wrong while starting that the user should know (the window lists it).
    problems: std::sync::Mutex<Vec<StartupProblem>>,
    /// Told of every change of every job this back end starts (the shell sets the
    /// window's title and notifies from it).
    progress_hook: std::sync::Mutex<Option<ProgressHook>>,
}

/// Hears a job's progress change: what it was (none at the start) and what it is now.
pub type ProgressHook = std::sync::Arc<
    dyn Fn(
            Option<&onramp_onboarding::engine::PlanProgress>,
            &onramp_onboarding::engine::PlanProgress,
        ) + Send
        + Sync,
>;

/// Something wrong that did not stop Onramp from opening: what, and what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct StartupProblem {
    pub message: String,
    pub hint: String,
}

impl Backend {
    /// The back end of the app whose identifier is `identifier`, keeping its files in
    /// `data_dir`. A data dir it cannot write is a problem the window shows, not a crash.
    pub fn new(identifier: String, data_dir: PathBuf) -> Result<Self, AppError> {
        let build = if identifier.ends_with(".test") {
            BuildKind::Test
        } else if identifier.ends_with(".dev") {
            BuildKind::Dev
        } else {
            BuildKind::Release
        };
        let endpoints_override = std::env::var_os(ENDPOINTS_ENV).map(|path| {
            let path = PathBuf::from(path);
            Endpoints::from_file(&path)
                .map(|e| (path, e))
                .map_err(|e| e.message)
        });
        if let Some(Ok((path, endpoints))) = &endpoints_override {
            tracing::warn!(path = %path.display(), iam = %endpoints.iam, "IBM Cloud endpoints overridden by {ENDPOINTS_ENV}");
        }
        let backend = Backend {
            keychain: Keychain::new(identifier.clone()),
            identifier,
            build,
            http: HttpClient::new().map_err(AppError::from_cloud)?,
            data_dir,
            endpoints_override,
            session: Mutex::new(None),
            sandbox: Mutex::new(None),
            sandbox_signed_in: Mutex::new(None),
            sandbox_provision_seconds: std::env::var(SANDBOX_PROVISION_ENV)
                .ok()
                .and_then(|v| v.parse::<f64>().ok())
                .filter(|s| s.is_finite() && *s >= 0.0)
                .unwrap_or(30.0),
            offerings: Mutex::new(None),
            jobs: onramp_onboarding::jobs::Jobs::default(),
            tunnels: crate::Tunnels::default(),
            queries: Mutex::new(HashMap::new()),
            problems: std::sync::Mutex::new(Vec::new()),
            progress_hook: std::sync::Mutex::new(None),
        };
        if let Err(why) = writable(&backend.data_dir) {
            backend.problem(
                format!("Onramp cannot write to its data folder {} ({why}).", backend.data_dir.display()),
                "Plans cannot be saved or applied until it can: their journals live there. Check that folder's permissions and free space.",
            );
        }
        Ok(backend)
    }

    /// Sets what hears every job's progress (one hook; a later one replaces it).
    pub fn on_progress(&self, hook: ProgressHook) {
        *self.progress_hook.lock().unwrap_or_else(|p| p.into_inner()) = Some(hook);
    }

    /// Follows a job this back end started, telling the hook of each change until it ends.
    pub(crate) fn watch_job(
        &self,
        mut live: tokio::sync::watch::Receiver<onramp_onboarding::engine::PlanProgress>,
    ) {
        let hook = self
            .progress_hook
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let Some(hook) = hook else { return };
        tokio::spawn(async move {
            let mut before = None;
            loop {
                let now = live.borrow_and_update().clone();
                hook(before.as_ref(), &now);
                let ended = now.activity == onramp_onboarding::engine::Activity::Idle;
                before = Some(now);
                if ended || live.changed().await.is_err() {
                    return;
                }
            }
        });
    }

    /// Notes that the log could not be written where it should be.
    pub fn log_unwritable(&self, log_dir: &Path, why: &dyn std::fmt::Display) {
        self.problem(
            format!(
                "Onramp cannot write its log to {} ({why}).",
                log_dir.display()
            ),
            "It logs to the terminal instead. Check that folder's permissions and free space.",
        );
    }

    /// The saved settings; unreadable ones are set aside (and the window told) for the defaults.
    pub fn settings(&self) -> Settings {
        match settings::load(&self.data_dir) {
            settings::Loaded::Settings(settings) => settings,
            settings::Loaded::SetAside { kept, why } => {
                self.problem(
                    format!("Onramp's settings could not be read ({why})."),
                    format!(
                        "They were kept as {} and the defaults are used: Sandbox mode.",
                        kept.display()
                    ),
                );
                Settings::default()
            }
        }
    }

    pub fn save_settings(&self, settings: &Settings) -> Result<(), AppError> {
        settings::save(&self.data_dir, settings)
    }

    /// Notes a problem the window should show (start-up and after).
    pub fn problem(&self, message: impl Into<String>, hint: impl Into<String>) {
        let problem = StartupProblem {
            message: message.into(),
            hint: hint.into(),
        };
        tracing::warn!(message = %problem.message, "problem shown in the window");
        let mut problems = self.problems.lock().unwrap_or_else(|p| p.into_inner());
        if !problems.contains(&problem) {
            problems.push(problem);
        }
    }

    pub fn problems(&self) -> Vec<StartupProblem> {
        self.problems
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The endpoints for IBM Cloud mode: IBM's public ones unless overridden.
    pub fn ibm_cloud_endpoints(&self) -> Result<Endpoints, AppError> {
        match &self.endpoints_override {
            None => Ok(Endpoints::ibm_cloud()),
            Some(Ok((_, endpoints))) => Ok(endpoints.clone()),
            Some(Err(why)) => Err(AppError::internal(format!(
                "{ENDPOINTS_ENV} is set but cannot be used: {why}"
            ))
            .hint(format!(
                "Unset {ENDPOINTS_ENV} to use IBM Cloud's public endpoints."
            ))),
        }
    }

    /// A description of the override, when there is one, for the UI to show.
    pub fn endpoints_override_note(&self) -> Option<String> {
        self.endpoints_override.as_ref().map(|o| match o {
            Ok((path, endpoints)) => format!(
                "IBM Cloud mode uses the endpoints in {} (IAM at {})",
                path.display(),
                endpoints.iam
            ),
            Err(why) => format!("{ENDPOINTS_ENV} is set but unusable: {why}"),
        })
    }

    /// The signed-in session, or the error the wizard's later steps show without one.
    pub async fn signed_in(&self) -> Result<Session, AppError> {
        self.session.lock().await.clone().ok_or_else(|| {
            AppError::new(ErrorCode::SignedOut, "Onramp is not signed in to a cloud.")
                .hint("Go back to the Account step and choose the sandbox or connect IBM Cloud.")
        })
    }

    /// The pace of the engine: the sandbox's (or a sandbox behind the endpoints override,
    /// which is always on loopback) or IBM Cloud's.
    pub fn timing(&self, session: &Session) -> Timing {
        let loopback = session
            .endpoints
            .iam
            .host_str()
            .is_some_and(|h| h == "127.0.0.1" || h == "localhost" || h == "[::1]");
        if session.account.mode == Mode::Sandbox || loopback {
            Timing::sandbox(Duration::from_secs_f64(self.sandbox_provision_seconds))
        } else {
            Timing::ibm_cloud()
        }
    }

    /// How the session's addresses are reached: the sandbox's address map (only loopback
    /// sockets, nothing else is ever dialled) or, for IBM Cloud, the real network. A
    /// loopback cloud without an address map is refused rather than dialled directly.
    pub async fn network(&self, session: &Session) -> Result<Network, AppError> {
        let file = if session.account.mode == Mode::Sandbox {
            let sandbox = self.sandbox.lock().await;
            let running = sandbox
                .as_ref()
                .ok_or_else(|| AppError::internal("the sandbox is not running"))?;
            Some(running.endpoints_path().to_path_buf())
        } else {
            match &self.endpoints_override {
                Some(Ok((path, _))) => Some(path.clone()),
                _ => None,
            }
        };
        let network = match file {
            Some(path) => Network::from_endpoints_file(&path).map_err(AppError::from_cloud)?,
            None => Network::Direct,
        };
        if network == Network::Direct && session.endpoints.is_loopback() {
            return Err(AppError::internal(
                "the cloud is on this machine but has no sandbox address map; Onramp will not dial its addresses",
            ));
        }
        Ok(network)
    }

    /// The embedded sandbox's databases take `seconds` to provision (tests; the app reads
    /// [`SANDBOX_PROVISION_ENV`]), without touching the process's environment.
    pub fn with_sandbox_provision_seconds(mut self, seconds: f64) -> Self {
        self.sandbox_provision_seconds = seconds;
        self
    }

    /// Stops the embedded sandbox, if it runs, (running jobs are left to end with the
    /// process: their journals say where they were, and the next start resumes them) and the servers behind its resources.
    pub async fn shutdown(&self) {
        self.tunnels.close_all().await;
        if let Some(sandbox) = self.sandbox.lock().await.take() {
            *self.sandbox_signed_in.lock().await = None;
            sandbox.stop().await;
        }
    }

    /// Starts the embedded sandbox on first use (its state lives in the app's data dir)
    /// and signs in with the sandbox's own key.
    pub async fn sandbox_session(&self) -> Result<Session, AppError> {
        let mut sandbox = self.sandbox.lock().await;
        if sandbox.is_none() {
            let mut config = SandboxConfig::new(self.data_dir.join("sandbox"));
            config.provision_seconds = self.sandbox_provision_seconds;
            let started = RunningSandbox::start(config)
                .await
                .map_err(|e| AppError::internal(format!("the sandbox could not start: {e}")))?;
            *sandbox = Some(started);
        }
        let running = sandbox
            .as_ref()
            .ok_or_else(|| AppError::internal("sandbox missing after start"))?;
        let mut signed_in = self.sandbox_signed_in.lock().await;
        if let Some(session) = signed_in.as_ref() {
            return Ok(session.clone());
        }
        let endpoints =
            Endpoints::from_file(running.endpoints_path()).map_err(AppError::from_cloud)?;
        let key = running.account().api_key.clone().into();
        let session = account::sign_in(&self.http, &endpoints, Mode::Sandbox, key).await?;
        *signed_in = Some(session.clone());
        Ok(session)
    }
}

/// Whether a file can be made in `dir` (made if missing).
fn writable(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let probe = dir.join(format!(".onramp-write-{}", std::process::id()));
    std::fs::write(&probe, b"")?;
    std::fs::remove_file(probe)
}
