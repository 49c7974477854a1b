//! Issue 18: applying a plan takes at most 1.05× the critical path of its resource graph.
//! Runs the engine against an in-process sandbox whose databases take a known time to
//! provision, and prints the wall time of apply over the graph's critical path (the
//! sandbox's provisioning plus the credential's create). `cargo bench -p onramp-onboarding`.
//! Needs a keychain (run it in a D-Bus session with an unlocked Secret Service).

use std::time::{Duration, Instant};

use onramp_cloud::{Cloud, Endpoints, HttpClient};
use onramp_onboarding::{
    engine::{self, EngineContext, Outcome, Timing},
    journal::Journal,
    offerings,
    settings::Mode,
};
use onramp_sandbox::{RunningSandbox, SandboxConfig};
use onramp_secrets::{Keychain, Sensitive};

const PROVISION: Duration = Duration::from_secs(4);
const RUNS: usize = 3;

#[tokio::main]
async fn main() {
    let state = tempfile::tempdir().unwrap();
    let mut config = SandboxConfig::new(state.path());
    config.provision_seconds = PROVISION.as_secs_f64();
    let sandbox = RunningSandbox::start(config).await.unwrap();
    let endpoints = Endpoints::from_file(sandbox.endpoints_path()).unwrap();
    let cloud = Cloud::with_api_key(
        HttpClient::new().unwrap(),
        endpoints,
        Sensitive::new(sandbox.account().api_key.clone()),
    )
    .unwrap();
    let account = sandbox.account().account_id.clone();
    let keychain = Keychain::new(format!("cloud.onramp.desktop.bench.{}", std::process::id()));
    let offerings = offerings::load(&cloud, &account).await.unwrap();
    let data = tempfile::tempdir().unwrap();
    let mut ratios = Vec::new();
    for run in 0..RUNS {
        let mut plan = offerings.new_plan(uuid::Uuid::new_v4().to_string());
        plan.name = format!("pg-bench-{run}");
        let journal = Journal::create(data.path(), &plan, Mode::Sandbox, &account).unwrap();
        let ctx = EngineContext {
            cloud: cloud.clone(),
            keychain: keychain.clone(),
            timing: Timing::sandbox(PROVISION),
        };
        let started = Instant::now();
        let done = engine::apply(ctx.clone(), journal, false)
            .done
            .await
            .unwrap();
        let took = started.elapsed();
        assert_eq!(done.outcome, Some(Outcome::Succeeded));
        // The critical path: the database's provisioning, then one credential create,
        // measured here as a lone call so the ratio isolates the engine's own overhead.
        let key_started = Instant::now();
        let guid = done.steps[0].resource_id.clone().unwrap();
        let rc = cloud.resource_controller().unwrap();
        let probe = rc
            .create_resource_key(
                &onramp_cloud::rc::CreateResourceKey {
                    name: "probe".into(),
                    source: guid,
                    role: Some("Writer".into()),
                    parameters: None,
                },
                onramp_cloud::Idempotency::Unsafe,
            )
            .await
            .unwrap();
        let key_time = key_started.elapsed();
        rc.delete_resource_key(&probe.guid).await.unwrap();
        let critical = PROVISION + key_time;
        let ratio = took.as_secs_f64() / critical.as_secs_f64();
        println!(
            "apply {run}: {:.2} s; critical path {:.2} s (provision {:.1} s + credential {:.2} s); ratio {ratio:.3}",
            took.as_secs_f64(),
            critical.as_secs_f64(),
            PROVISION.as_secs_f64(),
            key_time.as_secs_f64()
        );
        ratios.push(ratio);
        let journal = Journal::open(data.path(), &plan.id).unwrap();
        engine::teardown(ctx, journal).done.await.unwrap();
    }
    ratios.sort_by(f64::total_cmp);
    let median = ratios[ratios.len() / 2];
    println!("median ratio {median:.3} (budget ≤ 1.05)");
    sandbox.stop().await;
}
