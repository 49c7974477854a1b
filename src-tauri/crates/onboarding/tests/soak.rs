//! The soak: many whole flows (a plan with its private path, applied, then torn down)
//! against one sandbox that misbehaves at random (5xx, 429, dropped connections, answers
//! lost after the work was done, expired tokens, latency), and kill-and-restart runs of the
//! engine process, each ending in teardown. It prints one line: flows complete, duplicates,
//! orphans, kills resumed, secrets found in written files; duplicates and orphans are
//! counted through the sandbox's own API.
//!
//! `cargo test` runs a short one; `./onramp.sh soak` a long one (`ONRAMP_SOAK_FLOWS`,
//! default 100, and `ONRAMP_SOAK_KILLS`, default 20). `ONRAMP_SOAK_SEED` repeats a run.

mod support;

use std::{collections::BTreeSet, time::Duration};

use futures_util::future::join_all;
use rand::{Rng, SeedableRng};

use onramp_onboarding::{
    credential::StoredCredential, engine::Outcome, journal::StepId, plan::DraftPlan, vault::entry,
};

use support::{all_logs, all_text, Env};

/// Flows run this many at a time.
const AT_ONCE: usize = 4;

fn setting(name: &str, short: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(short)
}

fn faults(seed: u64) -> String {
    [
        "rc:status=503@rate=0.05",
        "rc:throttle=1@rate=0.02",
        "rc:reset@rate=0.02",
        "rc.POST:lose-answer@rate=0.05",
        "rc.GET:expire-token@rate=0.02",
        "vpc:status=500@rate=0.04",
        "vpc:reset@rate=0.02",
        "vpc.POST:lose-answer@rate=0.04",
        "search:status=503@rate=0.05",
        "iam:status=503@rate=0.02",
        "*:latency=20@rate=0.1",
    ]
    .join(";")
        + &format!(";seed={seed}")
}

/// What the sandbox holds under one plan's names: more than one of anything is a duplicate.
async fn duplicates(env: &Env, plan: &DraftPlan) -> usize {
    let c = plan.connectivity.as_ref().expect("a path");
    let vpc = env.cloud.vpc(&plan.location).unwrap();
    let databases = env
        .live_databases()
        .await
        .into_iter()
        .filter(|i| i.name == plan.name)
        .count();
    let vpcs = vpc
        .list_vpcs(None)
        .await
        .unwrap()
        .into_iter()
        .filter(|v| v.name == c.vpc_name())
        .count();
    let keys = vpc
        .list_keys()
        .await
        .unwrap()
        .into_iter()
        .filter(|k| k.name == c.ssh_key_name())
        .count();
    let servers = vpc
        .list_instances(None, Some(&c.jump.name))
        .await
        .unwrap()
        .len();
    let addresses = vpc
        .list_floating_ips()
        .await
        .unwrap()
        .into_iter()
        .filter(|f| f.name == c.floating_ip_name())
        .count();
    let gateways = vpc
        .list_endpoint_gateways(None, Some(&c.vpe_name))
        .await
        .unwrap()
        .len();
    [databases, vpcs, keys, servers, addresses, gateways]
        .iter()
        .map(|n| n.saturating_sub(1))
        .sum()
}

/// Everything the sandbox still holds, after every plan was torn down.
async fn orphans(env: &Env, region: &str) -> Vec<String> {
    let vpc = env.cloud.vpc(region).unwrap();
    let mut left = Vec::new();
    left.extend(
        env.live_databases()
            .await
            .into_iter()
            .map(|i| format!("database {}", i.name)),
    );
    left.extend(
        vpc.list_vpcs(None)
            .await
            .unwrap()
            .into_iter()
            .map(|v| format!("VPC {}", v.name)),
    );
    left.extend(
        vpc.list_subnets(None, None)
            .await
            .unwrap()
            .into_iter()
            .map(|s| format!("subnet {}", s.name)),
    );
    left.extend(
        vpc.list_keys()
            .await
            .unwrap()
            .into_iter()
            .map(|k| format!("key {}", k.name)),
    );
    left.extend(
        vpc.list_instances(None, None)
            .await
            .unwrap()
            .into_iter()
            .map(|i| format!("server {}", i.name)),
    );
    left.extend(
        vpc.list_floating_ips()
            .await
            .unwrap()
            .into_iter()
            .map(|f| format!("floating IP {}", f.name)),
    );
    left.extend(
        vpc.list_endpoint_gateways(None, None)
            .await
            .unwrap()
            .into_iter()
            .map(|g| format!("gateway {}", g.name)),
    );
    left
}

/// The secrets a plan's run handled, read from the keychain while they exist.
fn secrets_of(env: &Env, plan: &DraftPlan) -> Vec<String> {
    let state = env.journal(&plan.id);
    let mut found = Vec::new();
    if let Some(key) = state.step(StepId::ManagerKey).id {
        if let Ok(Some(stored)) = env.keychain.read(&entry::credential(&key)) {
            if let Ok(c) = StoredCredential::parse(&stored) {
                found.push(c.password.expose().clone());
            }
        }
    }
    if let Ok(Some(private)) = env.keychain.read(&entry::ssh_key(&plan.id)) {
        found.push(private.expose().clone());
    }
    found
}

/// Applies until it succeeds, retrying failed steps.
async fn apply(env: &Env, plan: &DraftPlan) -> bool {
    let mut done = env.apply(plan, false).await;
    for _ in 0..6 {
        if done.outcome == Some(Outcome::Succeeded) {
            break;
        }
        done = env.apply(plan, true).await;
    }
    if done.outcome != Some(Outcome::Succeeded) {
        eprintln!("soak: {} apply ended {:?}", plan.name, done.outcome);
    }
    done.outcome == Some(Outcome::Succeeded)
}

/// Tears down until it is gone.
async fn teardown(env: &Env, plan: &DraftPlan) -> bool {
    let mut gone = env.teardown(&plan.id).await;
    for _ in 0..6 {
        if gone.outcome == Some(Outcome::TornDown) {
            break;
        }
        gone = env.teardown(&plan.id).await;
    }
    if gone.outcome != Some(Outcome::TornDown) {
        eprintln!("soak: {} teardown ended {:?}", plan.name, gone.outcome);
    }
    gone.outcome == Some(Outcome::TornDown)
}

/// The sandbox misbehaves while Onramp works, and answers straight while the soak itself
/// makes plans and counts what exists (it is the referee, not the player).
struct Weather<'a> {
    env: &'a Env,
    seed: u64,
    storms: std::cell::Cell<u64>,
    /// Requests the sandbox failed on purpose (5xx, 429, resets, lost answers, expired tokens).
    injected: std::cell::Cell<u64>,
}

impl Weather<'_> {
    /// Faults on, each storm with a seed of its own (so storms differ, and a run repeats).
    fn stormy(&self) {
        let n = self.storms.get();
        self.storms.set(n + 1);
        let spec = faults(self.seed.wrapping_add(n));
        self.env
            .sandbox
            .set_faults(onramp_sandbox::FaultSpec::parse(&spec).unwrap());
    }
    fn calm(&self) {
        self.injected
            .set(self.injected.get() + self.env.sandbox.faults_injected());
        self.env
            .sandbox
            .set_faults(onramp_sandbox::FaultSpec::parse("").unwrap());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn flows_under_random_faults_and_kills_leave_no_duplicate_no_orphan_and_no_secret() {
    let flows = setting("ONRAMP_SOAK_FLOWS", 3);
    let kills = setting("ONRAMP_SOAK_KILLS", 2);
    let seed: u64 = std::env::var("ONRAMP_SOAK_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| rand::thread_rng().gen());
    eprintln!("soak seed {seed} (ONRAMP_SOAK_SEED={seed} repeats it)");
    let env = Env::start("soak", "", 0.5).await;
    let weather = Weather {
        env: &env,
        seed,
        storms: std::cell::Cell::new(0),
        injected: std::cell::Cell::new(0),
    };
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut complete = 0;
    let mut duplicated = 0;
    let mut secrets: BTreeSet<String> = BTreeSet::new();
    let mut region = String::new();

    let mut numbers = (0..flows).collect::<Vec<_>>();
    while !numbers.is_empty() {
        let batch: Vec<usize> = numbers.drain(..numbers.len().min(AT_ONCE)).collect();
        let mut plans = Vec::new();
        for n in &batch {
            plans.push(env.path_plan(&format!("pg-soak-{n}")).await);
        }
        region = plans[0].location.clone();
        weather.stormy();
        let applied = join_all(plans.iter().map(|plan| apply(&env, plan))).await;
        weather.calm();
        for plan in &plans {
            duplicated += duplicates(&env, plan).await;
            secrets.extend(secrets_of(&env, plan));
        }
        weather.stormy();
        let gone = join_all(plans.iter().map(|plan| teardown(&env, plan))).await;
        weather.calm();
        complete += applied
            .iter()
            .zip(&gone)
            .filter(|(applied, gone)| **applied && **gone)
            .count();
    }

    // Kill-and-restart runs: the engine as a process, SIGKILLed at random moments of apply
    // and of teardown, then run to the end.
    let mut resumed = 0;
    for n in 0..kills {
        let plan = env.path_plan(&format!("pg-soak-kill-{n}")).await;
        region = plan.location.clone();
        weather.stormy();
        let file = env.data.path().join(format!("soak-kill-{n}.json"));
        std::fs::write(&file, serde_json::to_string(&plan).unwrap()).unwrap();
        let apply = ["apply", "--plan", file.to_str().unwrap(), "--retry-failed"];
        let mut killed = false;
        for _ in 0..3 {
            let after = Duration::from_millis(rng.gen_range(50..1500));
            killed |=
                tokio::task::block_in_place(|| env.engine_process(&apply, Some(after))).is_none();
        }
        let mut finished = false;
        for _ in 0..5 {
            if tokio::task::block_in_place(|| env.engine_process(&apply, None)) == Some(true) {
                finished = true;
                break;
            }
        }
        weather.calm();
        duplicated += duplicates(&env, &plan).await;
        secrets.extend(secrets_of(&env, &plan));
        weather.stormy();
        let teardown = ["teardown", "--plan-id", plan.id.as_str()];
        let after = Duration::from_millis(rng.gen_range(20..800));
        killed |=
            tokio::task::block_in_place(|| env.engine_process(&teardown, Some(after))).is_none();
        let mut gone = false;
        for _ in 0..5 {
            if tokio::task::block_in_place(|| env.engine_process(&teardown, None)) == Some(true) {
                gone = true;
                break;
            }
        }
        weather.calm();
        if finished && gone {
            resumed += 1;
        } else {
            eprintln!("soak: kill run {n} did not finish (applied {finished}, torn down {gone}; killed {killed})");
        }
    }

    let left = if region.is_empty() {
        Vec::new()
    } else {
        orphans(&env, &region).await
    };
    secrets.insert(env.sandbox.account().api_key.clone());
    let written = all_text(env.data.path()) + &all_logs(&env);
    let mut leaked: Vec<&str> = secrets
        .iter()
        .filter(|s| s.len() >= 8 && written.contains(s.as_str()))
        .map(|s| &s[..4])
        .collect();
    if written.contains("PRIVATE KEY-----") {
        leaked.push("a private key");
    }
    println!(
        "soak: flows complete {complete}/{flows}, duplicates {duplicated}, orphans {}, kills resumed {resumed}/{kills}, secrets found in written files {}; {} faults injected (seed {seed})",
        left.len(),
        leaked.len(),
        weather.injected.get()
    );
    assert_eq!(complete, flows, "flows that did not complete");
    assert_eq!(duplicated, 0, "duplicates");
    assert!(left.is_empty(), "orphans: {left:?}");
    assert_eq!(resumed, kills, "kill runs that did not resume to the end");
    assert!(leaked.is_empty(), "secrets in written files: {leaked:?}");
    assert!(weather.injected.get() > 0, "the sandbox never misbehaved");
    env.stop().await;
}
