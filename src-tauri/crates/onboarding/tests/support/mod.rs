//! What the engine's sandbox tests share: a running sandbox with a signed-in cloud, a test
//! keychain service and a data dir for journals; apply and teardown to completion; the
//! engine as a process the tests can kill; and a read of every file Onramp wrote.

#![allow(dead_code)] // each test file uses its own part of this

use std::{
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use onramp_cloud::{
    rc::{InstanceFilter, InstanceState, ResourceInstance},
    Cloud, Endpoints, HttpClient,
};
use onramp_onboarding::{
    engine::{self, EngineContext, PlanProgress, Timing},
    journal::{Journal, JournalState},
    offerings,
    plan::{self, DraftPlan},
    settings::Mode,
};
use onramp_sandbox::{FaultSpec, RunningSandbox, SandboxConfig};
use onramp_secrets::{Keychain, Sensitive};

/// How long apply or teardown may take before a test gives up on it.
const JOB_LIMIT: Duration = Duration::from_secs(180);

pub struct Env {
    pub sandbox: RunningSandbox,
    pub cloud: Cloud,
    pub account_id: String,
    pub keychain: Keychain,
    /// The app's data dir stand-in: journals live under it.
    pub data: tempfile::TempDir,
    _state: tempfile::TempDir,
    pub provision_seconds: f64,
}

impl Env {
    /// A sandbox with `faults` whose databases take `provision_seconds`, and a keychain
    /// service of this test's own (`purpose` names it).
    pub async fn start(purpose: &str, faults: &str, provision_seconds: f64) -> Env {
        Env::start_in(purpose, faults, provision_seconds, |_| {}).await
    }

    /// [`Env::start`] on a state dir `prepare` fills first (a world from a fixture).
    pub async fn start_in(
        purpose: &str,
        faults: &str,
        provision_seconds: f64,
        prepare: impl FnOnce(&Path),
    ) -> Env {
        Env::start_with(purpose, faults, provision_seconds, prepare, |_| {}).await
    }

    /// [`Env::start_in`] with the sandbox configured further (an account on older APIs).
    pub async fn start_with(
        purpose: &str,
        faults: &str,
        provision_seconds: f64,
        prepare: impl FnOnce(&Path),
        configure: impl FnOnce(&mut SandboxConfig),
    ) -> Env {
        let state = tempfile::tempdir().unwrap();
        prepare(state.path());
        let mut config = SandboxConfig::new(state.path());
        configure(&mut config);
        config.provision_seconds = provision_seconds;
        config.faults = FaultSpec::parse(faults).unwrap();
        let sandbox = RunningSandbox::start(config).await.unwrap();
        let endpoints = Endpoints::from_file(sandbox.endpoints_path()).unwrap();
        let cloud = Cloud::with_api_key(
            HttpClient::new().unwrap(),
            endpoints,
            Sensitive::new(sandbox.account().api_key.clone()),
        )
        .unwrap();
        let account_id = sandbox.account().account_id.clone();
        let keychain = Keychain::new(format!(
            "cloud.onramp.desktop.test.{purpose}.{}.{}",
            std::process::id(),
            uuid::Uuid::new_v4()
        ));
        Env {
            sandbox,
            cloud,
            account_id,
            keychain,
            data: tempfile::tempdir().unwrap(),
            _state: state,
            provision_seconds,
        }
    }

    /// The sandbox's state dir (its world, its database clusters and their logs).
    pub fn state_dir(&self) -> &Path {
        self._state.path()
    }

    pub fn ctx(&self) -> EngineContext {
        EngineContext {
            cloud: self.cloud.clone(),
            keychain: self.keychain.clone(),
            timing: Timing::sandbox(Duration::from_secs_f64(self.provision_seconds)),
        }
    }

    pub fn journals(&self) -> PathBuf {
        self.data.path().join("journals")
    }

    pub fn journal(&self, plan_id: &str) -> JournalState {
        Journal::read_plan(&self.journals(), plan_id).unwrap()
    }

    /// A new plan with the defaults and `name`, which the rules accept.
    pub async fn plan(&self, name: &str) -> DraftPlan {
        let offerings = offerings::load(&self.cloud, &self.account_id)
            .await
            .unwrap();
        let mut plan = offerings.new_plan(uuid::Uuid::new_v4().to_string());
        plan.name = name.to_owned();
        assert!(plan::validate(&plan, &offerings).is_empty());
        plan
    }

    /// A plan with the private path the Connectivity step suggests in the sandbox (new
    /// VPC, subnet, key, jump server and VPE, named after the plan), which the rules accept.
    pub async fn path_plan(&self, name: &str) -> DraftPlan {
        let mut plan = self.plan(name).await;
        let options = onramp_onboarding::connect::connectivity_options(
            &self.cloud,
            &plan.location,
            &plan.id,
            true,
        )
        .await
        .unwrap();
        plan.connectivity = Some(options.suggested);
        let offerings = offerings::load(&self.cloud, &self.account_id)
            .await
            .unwrap();
        let problems = plan::validate(&plan, &offerings);
        assert!(problems.is_empty(), "{problems:?}");
        plan
    }

    /// Another user of the same account (a colleague), signed in with their own API key.
    pub fn colleague(&self, name: &str) -> Cloud {
        let member = self.sandbox.add_member(Some(name)).unwrap();
        let endpoints = Endpoints::from_file(self.sandbox.endpoints_path()).unwrap();
        Cloud::with_api_key(
            HttpClient::new().unwrap(),
            endpoints,
            Sensitive::new(member.api_key.clone()),
        )
        .unwrap()
    }

    /// Every database that is not removed (RC lists active and provisioning by default).
    pub async fn live_databases(&self) -> Vec<ResourceInstance> {
        let rc = self.cloud.resource_controller().unwrap();
        let mut all = Vec::new();
        for state in [None, Some("failed")] {
            let filter = InstanceFilter {
                resource_plan_id: Some(onramp_cloud::catalog::POSTGRESQL_GEN2_PLAN_ID.into()),
                state: state.map(str::to_owned),
                ..InstanceFilter::default()
            };
            all.extend(rc.list_instances(&filter).await.unwrap());
        }
        all.retain(|i| i.state != Some(InstanceState::Removed));
        all
    }

    /// The connection doctor on the plan's way in, as the Connect step runs it (the private
    /// key from the keychain, the sandbox's address map).
    pub async fn doctor(&self, state: &JournalState) -> onramp_connect::doctor::DoctorReport {
        let target = onramp_onboarding::connect::Target::load(state, &self.keychain, None, true)
            .await
            .unwrap();
        let network =
            onramp_cloud::Network::from_endpoints_file(self.sandbox.endpoints_path()).unwrap();
        let input = target.doctor_input(network, HttpClient::new().unwrap());
        onramp_onboarding::connect::run_doctor(&self.cloud, state, &input, |_| {}).await
    }

    pub async fn stop(self) {
        self.sandbox.stop().await;
    }

    /// Applies (or resumes) `plan` to its end.
    pub async fn apply(&self, plan: &DraftPlan, retry: bool) -> PlanProgress {
        let dir = self.journals();
        let journal = if Journal::exists(&dir, &plan.id) {
            Journal::open(&dir, &plan.id).unwrap()
        } else {
            Journal::create(&dir, plan, Mode::Sandbox, &self.account_id).unwrap()
        };
        let job = engine::apply(self.ctx(), journal, retry);
        tokio::time::timeout(JOB_LIMIT, job.done)
            .await
            .expect("apply finishes")
            .unwrap()
    }

    /// Tears the plan down to its end.
    pub async fn teardown(&self, plan_id: &str) -> PlanProgress {
        let journal = Journal::open(&self.journals(), plan_id).unwrap();
        let job = engine::teardown(self.ctx(), journal);
        tokio::time::timeout(JOB_LIMIT, job.done)
            .await
            .expect("teardown finishes")
            .unwrap()
    }

    /// Runs the `onramp-engine` binary with `args`; kills it (SIGKILL, no chance to tidy
    /// up) after `kill_after` if given. Returns whether it succeeded, or None when killed.
    pub fn engine_process(&self, args: &[&str], kill_after: Option<Duration>) -> Option<bool> {
        let mut child = Command::new(env!("CARGO_BIN_EXE_onramp-engine"))
            .env("ONRAMP_API_KEY", &self.sandbox.account().api_key)
            .args(args)
            .args([
                "--endpoints",
                self.sandbox.endpoints_path().to_str().unwrap(),
                "--journals",
                self.journals().to_str().unwrap(),
                "--keychain-service",
                self.keychain.service(),
                "--provision-seconds",
                &self.provision_seconds.to_string(),
            ])
            // An unkilled run keeps its progress and shows it only if it fails, so a
            // failure shows where it stopped and a long soak stays readable.
            .stdout(if kill_after.is_some() {
                Stdio::null()
            } else {
                Stdio::piped()
            })
            .stderr(if kill_after.is_some() {
                Stdio::null()
            } else {
                Stdio::piped()
            })
            .spawn()
            .unwrap();
        match kill_after {
            Some(after) => {
                let deadline = Instant::now() + after;
                while Instant::now() < deadline {
                    if let Some(status) = child.try_wait().unwrap() {
                        return Some(status.success());
                    }
                    std::thread::sleep(Duration::from_millis(10));
                }
                child.kill().unwrap();
                child.wait().unwrap();
                None
            }
            None => {
                let out = child.wait_with_output().unwrap();
                if !out.status.success() {
                    eprintln!(
                        "engine {args:?} failed:\n{}{}",
                        String::from_utf8_lossy(&out.stdout),
                        String::from_utf8_lossy(&out.stderr)
                    );
                }
                Some(out.status.success())
            }
        }
    }
}

/// The sandbox's PostgreSQL server logs, all of them, as text.
pub fn all_logs(env: &Env) -> String {
    let instances = env.state_dir().join("instances");
    let mut text = String::new();
    for entry in std::fs::read_dir(instances).into_iter().flatten().flatten() {
        if let Ok(log) = std::fs::read(entry.path().join("postgres.log")) {
            text.push_str(&String::from_utf8_lossy(&log));
        }
    }
    text
}

/// Every file under `dir`, as text.
pub fn all_text(dir: &Path) -> String {
    let mut text = String::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            text.push_str(&all_text(&path));
        } else {
            text.push_str(&String::from_utf8_lossy(&std::fs::read(&path).unwrap()));
        }
    }
    text
}
