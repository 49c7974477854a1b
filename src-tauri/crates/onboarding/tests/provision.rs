//! The apply engine, its journal and teardown against a real sandbox (real PostgreSQL behind
//! each database) and the real keychain, with the sandbox's faults on: apply completes;
//! the engine process killed at random points resumes with exactly one database and one
//! credential and nothing orphaned; failures keep the cloud's words at their field; and
//! teardown leaves the sandbox empty.

mod support;

use std::time::Duration;

use rand::{Rng, SeedableRng};

use onramp_onboarding::{
    engine::{self, Outcome, StepStatus},
    journal::{Journal, Phase, StepId},
    offerings,
    plan::{self, Authorization, Encryption, KeyProtectChoice},
    review,
    settings::Mode,
    vault::entry::credential as credential_entry,
};

use support::{all_text, Env};

const PROVISION_SECONDS: f64 = 2.0;

async fn keys_of(env: &Env, instance: &str) -> usize {
    let rc = env.cloud.resource_controller().unwrap();
    rc.list_resource_keys_for_instance(instance)
        .await
        .unwrap()
        .len()
}

fn stored_password(env: &Env, key_guid: &str) -> String {
    let stored = env
        .keychain
        .read(&credential_entry(key_guid))
        .unwrap()
        .expect("the credential is in the keychain");
    let value: serde_json::Value = serde_json::from_str(stored.expose()).unwrap();
    value["password"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn apply_under_faults_makes_one_database_and_one_credential_whose_password_is_only_in_the_keychain(
) {
    // 503s, dropped connections, a throttled catalog and an expired token mid-poll.
    let env = Env::start("engine", "rc:status=503@rate=0.2;rc:reset@rate=0.1;rc.GET:expire-token@calls=4;gc:throttle=1@first=1;seed=11", PROVISION_SECONDS)
    .await;
    let plan = env.plan("pg-faults").await;
    let done = env.apply(&plan, false).await;
    assert_eq!(done.outcome, Some(Outcome::Succeeded), "{done:#?}");
    assert!(done.steps.iter().all(|s| s.status == StepStatus::Ready));

    let databases = env.live_databases().await;
    assert_eq!(databases.len(), 1, "exactly one database: {databases:#?}");
    assert_eq!(databases[0].name, "pg-faults");
    assert_eq!(keys_of(&env, &databases[0].guid).await, 1);

    let journal = env.journal(&plan.id);
    let key = journal.step(StepId::ManagerKey);
    assert_eq!(
        journal.step(StepId::Instance).id.as_deref(),
        Some(databases[0].id.as_str())
    );
    let password = stored_password(&env, key.id.as_deref().unwrap());
    assert!(password.len() >= 16);
    let written = all_text(env.data.path());
    assert!(
        !written.contains(&password),
        "the password is in a file Onramp wrote"
    );
    assert!(
        !written.contains(&env.sandbox.account().api_key),
        "the API key is in a file"
    );

    // Teardown: the sandbox is empty and the keychain entry gone.
    let preview = engine::teardown_preview(&journal);
    assert_eq!(
        preview.iter().filter_map(|i| i.step).collect::<Vec<_>>(),
        [StepId::ManagerKey, StepId::Instance],
        "reverse order"
    );
    assert!(preview[1].consequence.contains("sandbox"));
    let gone = env.teardown(&plan.id).await;
    assert_eq!(gone.outcome, Some(Outcome::TornDown), "{gone:#?}");
    assert!(env.live_databases().await.is_empty());
    assert!(env
        .keychain
        .read(&credential_entry(key.id.as_deref().unwrap()))
        .unwrap()
        .is_none());
    assert!(
        Journal::read(&env.journals().join(format!("{}.jsonl", plan.id)))
            .unwrap()
            .closed
    );
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_at_random_points_the_engine_resumes_with_no_duplicate_and_no_orphan() {
    // Long enough a provisioning that most kills land while the database is on its way.
    let env = Env::start(
        "engine",
        "rc:status=503@rate=0.1;rc:reset@rate=0.05;seed=5",
        5.0,
    )
    .await;
    let plan = env.plan("pg-killed").await;
    let plan_file = env.data.path().join("plan.json");
    std::fs::write(&plan_file, serde_json::to_string(&plan).unwrap()).unwrap();
    let seed: u64 = std::env::var("ONRAMP_KILL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| rand::thread_rng().gen());
    eprintln!("kill seed {seed} (ONRAMP_KILL_SEED={seed} repeats it)");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let apply_args = ["apply", "--plan", plan_file.to_str().unwrap()];

    let mut kills = 0;
    for _ in 0..8 {
        let after = Duration::from_millis(rng.gen_range(20..900));
        let ended = tokio::task::block_in_place(|| env.engine_process(&apply_args, Some(after)));
        if ended.is_none() {
            kills += 1;
        }
        let live = env.live_databases().await;
        assert!(live.len() <= 1, "a second database after a kill: {live:#?}");
    }
    assert!(
        kills >= 3,
        "only {kills} kills landed; the test would prove little"
    );
    let ok = tokio::task::block_in_place(|| env.engine_process(&apply_args, None));
    assert_eq!(ok, Some(true), "the last run finishes the plan");

    let live = env.live_databases().await;
    assert_eq!(live.len(), 1, "{live:#?}");
    assert_eq!(
        keys_of(&env, &live[0].guid).await,
        1,
        "exactly one credential"
    );
    let journal = env.journal(&plan.id);
    assert_eq!(
        journal.step(StepId::Instance).id.as_deref(),
        Some(live[0].id.as_str()),
        "the journal knows the one that exists"
    );
    let key = journal.step(StepId::ManagerKey).id.unwrap();
    assert!(!stored_password(&env, &key).is_empty());

    // Teardown, killed too, then finished: nothing left anywhere.
    let teardown_args = ["teardown", "--plan-id", &plan.id];
    for _ in 0..3 {
        let after = Duration::from_millis(rng.gen_range(20..800));
        tokio::task::block_in_place(|| env.engine_process(&teardown_args, Some(after)));
    }
    let ok = tokio::task::block_in_place(|| env.engine_process(&teardown_args, None));
    assert_eq!(ok, Some(true));
    assert!(env.live_databases().await.is_empty(), "an orphan database");
    assert!(env
        .keychain
        .read(&credential_entry(&key))
        .unwrap()
        .is_none());
    env.stop().await;
}

#[tokio::test]
async fn a_failed_provision_keeps_the_clouds_reason_and_a_retry_replaces_it() {
    let env = Env::start(
        "engine",
        "rc.POST:provision-fail@first=1",
        PROVISION_SECONDS,
    )
    .await;
    let plan = env.plan("pg-retry").await;
    let failed = env.apply(&plan, false).await;
    assert_eq!(failed.outcome, Some(Outcome::Failed));
    let instance = &failed
        .steps
        .iter()
        .find(|s| s.step == StepId::Instance)
        .unwrap();
    assert_eq!(instance.status, StepStatus::Failed);
    let error = instance.error.as_ref().unwrap();
    assert!(!error.message.is_empty());
    assert!(instance.next.is_some());
    let key = failed
        .steps
        .iter()
        .find(|s| s.step == StepId::ManagerKey)
        .unwrap();
    assert_eq!(key.status, StepStatus::Blocked);

    // Resuming without retry leaves it failed and creates nothing.
    let again = env.apply(&plan, false).await;
    assert_eq!(again.outcome, Some(Outcome::Failed));
    assert_eq!(env.live_databases().await.len(), 1);

    let retried = env.apply(&plan, true).await;
    assert_eq!(retried.outcome, Some(Outcome::Succeeded), "{retried:#?}");
    let live = env.live_databases().await;
    assert_eq!(
        live.len(),
        1,
        "the failed one was deleted, one made: {live:#?}"
    );
    assert!(live[0].is_ready());
    assert_eq!(
        env.teardown(&plan.id).await.outcome,
        Some(Outcome::TornDown)
    );
    assert!(env.live_databases().await.is_empty());
    env.stop().await;
}

#[tokio::test]
async fn a_broker_refusal_is_kept_verbatim_with_its_field_and_request_id() {
    let env = Env::start("engine", "", PROVISION_SECONDS).await;
    let mut plan = env.plan("pg-refused").await;
    plan.members = 5; // past the wizard's own rules, to reach the broker
    let done = env.apply(&plan, false).await;
    assert_eq!(done.outcome, Some(Outcome::Failed));
    let instance = done
        .steps
        .iter()
        .find(|s| s.step == StepId::Instance)
        .unwrap();
    let error = instance.error.as_ref().unwrap();
    assert!(
        error
            .message
            .contains("invalid members '5', allowed values: 2, 3"),
        "{}",
        error.message
    );
    assert_eq!(error.field.as_deref(), Some("members"));
    assert!(error.request_id.is_some());
    assert!(
        instance
            .next
            .as_deref()
            .unwrap()
            .contains("Change the number of members"),
        "{:?}",
        instance.next
    );
    assert!(env.live_databases().await.is_empty());
    // Nothing was made, so teardown has nothing to delete and closes the journal.
    let journal = env.journal(&plan.id);
    assert!(engine::teardown_preview(&journal)
        .iter()
        .all(|i| i.resource_id.is_none()));
    assert_eq!(
        env.teardown(&plan.id).await.outcome,
        Some(Outcome::TornDown)
    );
    env.stop().await;
}

#[tokio::test]
async fn byok_creates_the_authorization_first_and_teardown_removes_what_onramp_made() {
    let env = Env::start("engine", "", PROVISION_SECONDS).await;
    let options = review::encryption_options(&env.cloud, &env.account_id)
        .await
        .unwrap();
    assert_eq!(options.authorization, Authorization::Missing);
    let kp = &options.instances[0];
    assert!(
        kp.root_keys.len() >= 2,
        "the seeded root keys: {options:#?}"
    );
    let mut plan = env.plan("pg-byok").await;
    let mut choice = KeyProtectChoice {
        instance_guid: kp.guid.clone(),
        instance_name: kp.name.clone(),
        region: kp.region.clone(),
        key_crn: kp.root_keys[0].crn.clone(),
        key_name: kp.root_keys[0].name.clone(),
        authorization: Authorization::Missing,
    };
    plan.encryption = Encryption::KeyProtect(choice.clone());
    let offerings = offerings::load(&env.cloud, &env.account_id).await.unwrap();
    let blocked = review::review(
        &env.cloud,
        Mode::Sandbox,
        &env.account_id,
        &plan,
        &offerings,
        false,
    )
    .await
    .unwrap();
    assert_eq!(blocked.problems[0].field, "encryption.authorization");

    choice.authorization = Authorization::Create;
    plan.encryption = Encryption::KeyProtect(choice);
    let reviewed = review::review(
        &env.cloud,
        Mode::Sandbox,
        &env.account_id,
        &plan,
        &offerings,
        false,
    )
    .await
    .unwrap();
    assert!(reviewed.problems.is_empty(), "{:?}", reviewed.problems);
    assert_eq!(reviewed.resources.len(), 3);
    assert!(reviewed.cost.complete);
    assert!(reviewed.cost.monthly_known > 0.0);

    let done = env.apply(&plan, false).await;
    assert_eq!(done.outcome, Some(Outcome::Succeeded), "{done:#?}");
    assert!(
        review::authorization_exists(&env.cloud, &env.account_id, None)
            .await
            .unwrap()
    );
    let journal = env.journal(&plan.id);
    assert!(!journal.step(StepId::Authorization).adopted);
    assert_eq!(
        env.teardown(&plan.id).await.outcome,
        Some(Outcome::TornDown)
    );
    assert!(
        !review::authorization_exists(&env.cloud, &env.account_id, None)
            .await
            .unwrap()
    );
    assert!(env.live_databases().await.is_empty());
    env.stop().await;
}

#[tokio::test]
async fn review_refuses_a_name_already_taken_and_knows_the_locations() {
    let env = Env::start("engine", "", PROVISION_SECONDS).await;
    let offerings = offerings::load(&env.cloud, &env.account_id).await.unwrap();
    let ids: Vec<_> = offerings.locations.iter().map(|l| l.id.as_str()).collect();
    assert_eq!(ids, ["ca-mon", "in-che", "us-east"]);
    assert!(offerings
        .locations
        .iter()
        .all(|l| l.flavors_source == plan::ListSource::Catalog));
    let first = env.plan("pg-taken").await;
    assert_eq!(
        env.apply(&first, false).await.outcome,
        Some(Outcome::Succeeded)
    );
    let second = env.plan("pg-taken").await;
    let reviewed = review::review(
        &env.cloud,
        Mode::Sandbox,
        &env.account_id,
        &second,
        &offerings,
        false,
    )
    .await
    .unwrap();
    assert_eq!(reviewed.problems.len(), 1);
    assert_eq!(reviewed.problems[0].field, "name");
    assert!(reviewed.problems[0]
        .message
        .contains("already has a service named 'pg-taken'"));
    // The plan's own database is not a conflict for itself.
    let own = review::review(
        &env.cloud,
        Mode::Sandbox,
        &env.account_id,
        &first,
        &offerings,
        true,
    )
    .await
    .unwrap();
    assert!(own.problems.is_empty());
    assert_eq!(
        env.teardown(&first.id).await.outcome,
        Some(Outcome::TornDown)
    );
    env.stop().await;
}

#[tokio::test]
async fn cancel_stops_the_job_and_resume_adopts_the_database_in_flight() {
    let env = Env::start("engine", "", PROVISION_SECONDS).await;
    let plan = env.plan("pg-cancel").await;
    let journal = Journal::create(&env.journals(), &plan, Mode::Sandbox, &env.account_id).unwrap();
    let job = engine::apply(env.ctx(), journal, false);
    let mut progress = job.progress.clone();
    // Cancel once the database exists and is provisioning.
    loop {
        progress.changed().await.unwrap();
        let now = progress.borrow().clone();
        let instance = now
            .steps
            .iter()
            .find(|s| s.step == StepId::Instance)
            .unwrap();
        if instance.resource_id.is_some() {
            break;
        }
    }
    job.cancel.cancel();
    let stopped = job.done.await.unwrap();
    assert_eq!(stopped.outcome, Some(Outcome::Cancelled));
    let journal = env.journal(&plan.id);
    assert!(journal.cancelled);
    assert_eq!(journal.step(StepId::Instance).phase, Phase::Created);
    assert_eq!(
        engine::progress_of(&journal, &env.ctx().timing).outcome,
        Some(Outcome::Cancelled)
    );

    let resumed = env.apply(&plan, false).await;
    assert_eq!(resumed.outcome, Some(Outcome::Succeeded));
    assert_eq!(env.live_databases().await.len(), 1);
    assert_eq!(
        env.teardown(&plan.id).await.outcome,
        Some(Outcome::TornDown)
    );
    env.stop().await;
}
