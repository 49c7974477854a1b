//! Issue 19: a plan that starts from a database the user already has. A Gen 2 database
//! made through the sandbox's API (with a key of its own) is listed, chosen, and used: the
//! plan makes its private path and a Manager credential, the connection doctor passes
//! through the path, and teardown removes what the plan made and keeps the database and its
//! own key. A database that is not there any more stops apply at the field, deleting nothing.

mod support;

use onramp_cloud::{
    catalog::POSTGRESQL_GEN2_PLAN_ID,
    rc::{
        CreateResourceInstance, CreateResourceKey, DataServicesParameters, InstanceParameters,
        InstanceState, PostgresqlParameters,
    },
    Idempotency,
};
use onramp_onboarding::{
    engine::{self, Outcome, StepStatus},
    existing,
    export::{self, ExportFormat, Known},
    journal::{Owner, StepId},
    plan::field,
};

use support::Env;

/// A database made outside Onramp, as the console or the CLI would, once active.
async fn made_elsewhere(env: &Env, name: &str) -> String {
    let rc = env.cloud.resource_controller().unwrap();
    let offerings = onramp_onboarding::offerings::load(&env.cloud, &env.account_id)
        .await
        .unwrap();
    let group = offerings.resource_groups[0].id.clone();
    let made = rc
        .create_instance(
            &CreateResourceInstance {
                name: name.to_owned(),
                target: "ca-mon".into(),
                resource_group: group,
                resource_plan_id: POSTGRESQL_GEN2_PLAN_ID.into(),
                tags: Vec::new(),
                allow_cleanup: None,
                parameters: Some(InstanceParameters {
                    dataservices: DataServicesParameters {
                        postgresql: Some(PostgresqlParameters {
                            storage_gb: Some(20),
                            ..PostgresqlParameters::default()
                        }),
                        ..DataServicesParameters::default()
                    },
                }),
            },
            Idempotency::Unsafe,
        )
        .await
        .unwrap();
    for _ in 0..200 {
        let now = rc.get_instance(&made.guid).await.unwrap();
        if now.state == Some(InstanceState::Active) {
            return made.crn;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the database made elsewhere never became active");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_uses_a_database_it_did_not_make_and_teardown_keeps_it() {
    let env = Env::start("existing", "", 2.0).await;
    let crn = made_elsewhere(&env, "team-db").await;
    let rc = env.cloud.resource_controller().unwrap();
    let theirs = rc
        .create_resource_key(
            &CreateResourceKey {
                name: "team-app".into(),
                source: crn.clone(),
                role: Some("Writer".into()),
                parameters: None,
            },
            Idempotency::Unsafe,
        )
        .await
        .unwrap();

    // Listed with its location, state and size.
    let listed = existing::list(&env.cloud).await.unwrap();
    let team = listed.iter().find(|d| d.crn == crn).expect("listed");
    assert_eq!(
        (
            team.name.as_str(),
            team.location.as_str(),
            team.state.as_str()
        ),
        ("team-db", "ca-mon", "active")
    );
    assert_eq!(team.size.storage_gb, 20);

    // Chosen into a plan with a private path: the rules accept it, its name and size copied.
    let base = env.path_plan("pg-unused-name").await;
    let plan = existing::choose(&base, team);
    assert_eq!((plan.name.as_str(), plan.storage_gb), ("team-db", 20));
    let offerings = onramp_onboarding::offerings::load(&env.cloud, &env.account_id)
        .await
        .unwrap();
    assert!(onramp_onboarding::plan::validate(&plan, &offerings).is_empty());

    let done = env.apply(&plan, false).await;
    assert_eq!(done.outcome, Some(Outcome::Succeeded), "{done:#?}");
    let state = env.journal(&plan.id);
    let database = state.step(StepId::Instance);
    assert_eq!(database.owner, Some(Owner::Kept));
    assert_eq!(database.id.as_deref(), Some(crn.as_str()));
    let keys = rc.list_resource_keys_for_instance(&crn).await.unwrap();
    assert!(keys.iter().any(|k| k.name == "onramp-manager"), "{keys:?}");
    // No second database was made.
    assert_eq!(env.live_databases().await.len(), 1);

    // Handed over to Terraform or a script, the database is named, never created.
    let known = Known {
        resource_group_name: None,
        account_id: None,
    };
    let terraform = export::export(&state.plan, Some(&state), known, ExportFormat::Terraform)
        .unwrap()
        .text;
    assert!(terraform.contains(&crn), "{terraform}");
    assert!(
        !terraform.contains("resource \"ibm_resource_instance\" \"database\""),
        "{terraform}"
    );
    assert!(
        terraform.contains("local.database_crn"),
        "the VPE and the key point at it: {terraform}"
    );
    let cli = export::export(&state.plan, Some(&state), known, ExportFormat::Cli)
        .unwrap()
        .text;
    assert!(!cli.contains("service-instance-create"), "{cli}");
    assert!(cli.contains(&crn), "{cli}");

    // The way in works through the path the plan built.
    let doctor = env.doctor(&state).await;
    assert!(doctor.passed(), "{doctor:#?}");

    // Teardown: the preview says it is kept; afterwards it and its own key are there.
    let preview = engine::teardown_preview(&state);
    let kept = preview
        .iter()
        .find(|i| i.name == "team-db")
        .expect("in the preview");
    assert!(!kept.deletes, "{kept:?}");
    let gone = env.teardown(&plan.id).await;
    assert_eq!(gone.outcome, Some(Outcome::TornDown), "{gone:#?}");
    let instance = gone
        .steps
        .iter()
        .find(|s| s.step == StepId::Instance)
        .unwrap();
    assert_eq!(instance.status, StepStatus::Kept);
    let after = rc.get_instance(&crn).await.unwrap();
    assert_eq!(after.state, Some(InstanceState::Active));
    let keys = rc.list_resource_keys_for_instance(&crn).await.unwrap();
    assert_eq!(
        keys.iter().map(|k| k.guid.as_str()).collect::<Vec<_>>(),
        vec![theirs.guid.as_str()],
        "its own key lives, Onramp's is gone"
    );
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chosen_database_that_is_gone_stops_apply_at_the_field() {
    let env = Env::start("existing-gone", "", 1.0).await;
    let crn = made_elsewhere(&env, "old-db").await;
    let listed = existing::list(&env.cloud).await.unwrap();
    let old = listed.iter().find(|d| d.crn == crn).unwrap().clone();
    let rc = env.cloud.resource_controller().unwrap();
    rc.delete_instance(&crn, true).await.unwrap();
    // While it is being deleted, and once it is gone: refused either way.
    let plan = existing::choose(&env.plan("pg-y").await, &old);
    let done = env.apply(&plan, false).await;
    assert_eq!(done.outcome, Some(Outcome::Failed), "{done:#?}");
    for _ in 0..200 {
        if rc.get_instance(&crn).await.unwrap().state == Some(InstanceState::Removed) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let plan = existing::choose(&env.plan("pg-x").await, &old);
    let done = env.apply(&plan, false).await;
    assert_eq!(done.outcome, Some(Outcome::Failed), "{done:#?}");
    let step = done
        .steps
        .iter()
        .find(|s| s.step == StepId::Instance)
        .unwrap();
    let error = step.error.as_ref().expect("an error");
    assert_eq!(error.field.as_deref(), Some(field::NAME), "{error:?}");
    assert!(env.live_databases().await.is_empty(), "nothing was made");
    env.stop().await;
}
