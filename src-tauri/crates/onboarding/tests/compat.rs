//! A journal written by the Onramp before ownership was proved (`tests/fixtures/legacy`)
//! still loads, resumes and tears down with today's engine, against a sandbox holding the
//! world that apply left.

mod support;

use std::path::Path;

use onramp_onboarding::{
    engine::{self, Outcome, StepStatus},
    journal::{Journal, Owner, Phase},
};

use support::Env;

const PLAN_ID: &str = "3f2a9c1e-7b4d-4e2a-9f10-5c6d7e8f9a0b";

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/legacy")
        .join(name)
}

/// The fixture's world, under an account with the fixture's ids and fresh secrets.
fn seed(state: &Path) {
    let account: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("account.json")).unwrap()).unwrap();
    let secret = |n: usize| {
        (0..n)
            .map(|_| format!("{:02x}", rand::random::<u8>()))
            .collect::<String>()
    };
    let state_json = serde_json::json!({
        "account_id": account["account_id"],
        "iam_id": account["iam_id"],
        "user_name": account["user_name"],
        "email": account["email"],
        "api_key": secret(22),
        "signing_secret": secret(32),
    });
    std::fs::write(state.join("state.json"), state_json.to_string()).unwrap();
    std::fs::copy(fixture("world.json"), state.join("resources.json")).unwrap();
}

#[tokio::test]
async fn a_journal_from_before_ownership_was_proved_loads_resumes_and_tears_down() {
    let env = Env::start_in("compat", "", 1.0, seed).await;
    std::fs::create_dir_all(env.journals()).unwrap();
    std::fs::copy(
        fixture("journal.jsonl"),
        env.journals().join(format!("{PLAN_ID}.jsonl")),
    )
    .unwrap();

    let state = env.journal(PLAN_ID);
    let graph = engine::graph(&state.plan);
    assert_eq!(
        graph.len(),
        12,
        "database, key, eight path steps, zone and rule"
    );
    for (step, _) in &graph {
        let record = state.step(*step);
        assert_eq!(record.phase, Phase::Ready, "{step:?}");
        assert_eq!(
            record.owner,
            Some(Owner::Made),
            "{step:?}: made by that apply"
        );
        assert!(record.id.is_some(), "{step:?}");
    }
    let at_rest = engine::progress_of(&state, &env.ctx().timing);
    assert_eq!(at_rest.outcome, Some(Outcome::Succeeded));
    let path = engine::private_path_of(&state).expect("the way in");
    assert!(path.host_key.is_some() && path.vpe_address.is_some());

    // Resuming finds everything ready and makes nothing.
    let before = std::fs::read_to_string(env.journals().join(format!("{PLAN_ID}.jsonl"))).unwrap();
    let resumed = env.apply(&state.plan, false).await;
    assert_eq!(resumed.outcome, Some(Outcome::Succeeded), "{resumed:#?}");
    let after = std::fs::read_to_string(env.journals().join(format!("{PLAN_ID}.jsonl"))).unwrap();
    assert_eq!(
        before.lines().filter(|l| l.contains("\"created\"")).count(),
        after.lines().filter(|l| l.contains("\"created\"")).count(),
        "nothing new was made"
    );

    let preview = engine::teardown_preview(&env.journal(PLAN_ID));
    assert_eq!(preview.len(), 12);
    assert!(preview.iter().all(|i| i.deletes), "{preview:#?}");
    let gone = env.teardown(PLAN_ID).await;
    assert_eq!(gone.outcome, Some(Outcome::TornDown), "{gone:#?}");
    assert!(gone.steps.iter().all(|s| s.status == StepStatus::Deleted));
    assert!(env.live_databases().await.is_empty());
    let vpc = env.cloud.vpc(&state.plan.location).unwrap();
    assert!(vpc.list_vpcs(None).await.unwrap().is_empty());
    assert!(vpc.list_instances(None, None).await.unwrap().is_empty());
    assert!(vpc.list_floating_ips().await.unwrap().is_empty());
    let cbr = env.cloud.cbr().unwrap();
    assert!(cbr
        .list_zones(&env.account_id, None)
        .await
        .unwrap()
        .is_empty());
    assert!(Journal::read_plan(&env.journals(), PLAN_ID).unwrap().closed);
    env.stop().await;
}
