//! Issue 19: scaling a plan's database against the sandbox. A shrink, a flavor the location
//! does not offer and a database still provisioning are refused at their field, by
//! Onramp's rules before anything is sent and by the sandbox's Resource Controller if sent
//! anyway; a scale goes through `update in progress` to the new size in the instance's
//! extensions and in the journal's plan; a scale cut off by SIGKILL goes on to the same size.

mod support;

use std::time::Duration;

use onramp_cloud::rc::{
    DataServicesParameters, InstanceParameters, OperationState, OperationType,
    PostgresqlParameters, UpdateResourceInstance,
};
use onramp_onboarding::{
    engine::{self, Outcome},
    export::{self, ExportFormat, Known},
    journal::{Journal, Phase, StepId},
    offerings,
    plan::field,
    scale::{self, ScaleStage, Size},
};

use support::Env;

fn storage(gb: u32) -> UpdateResourceInstance {
    UpdateResourceInstance {
        name: None,
        parameters: Some(InstanceParameters {
            dataservices: DataServicesParameters {
                postgresql: Some(PostgresqlParameters {
                    storage_gb: Some(gb),
                    ..PostgresqlParameters::default()
                }),
                ..DataServicesParameters::default()
            },
        }),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scale_is_checked_at_its_fields_then_followed_to_its_size() {
    let env = Env::start("scale", "", 2.0).await;
    let plan = env.plan("pg-scale").await;
    let done = env.apply(&plan, false).await;
    assert_eq!(done.outcome, Some(Outcome::Succeeded), "{done:#?}");
    let offerings = offerings::load(&env.cloud, &env.account_id).await.unwrap();
    let state = env.journal(&plan.id);
    let now = Size::of(&plan);
    assert_eq!(now.storage_gb, 10);

    // A shrink and a flavor Montréal does not offer: refused at their fields, nothing sent.
    let sent_before = env.sandbox.requests().len();
    let shrink = scale::preview(
        &env.cloud,
        &state,
        Size {
            storage_gb: 9,
            ..now.clone()
        },
        &offerings,
    )
    .await
    .unwrap();
    assert_eq!(
        shrink.problems[0].field,
        field::STORAGE,
        "{:?}",
        shrink.problems
    );
    let grown = Size {
        storage_gb: 40,
        ..now.clone()
    };
    let bigger = scale::preview(&env.cloud, &state, grown.clone(), &offerings)
        .await
        .unwrap();
    assert!(bigger.problems.is_empty(), "{:?}", bigger.problems);
    assert!(
        bigger.cost_after.monthly_known > bigger.cost_before.monthly_known,
        "{bigger:#?}"
    );
    let stranger = scale::preview(
        &env.cloud,
        &state,
        Size {
            host_flavor: "bx3d.999x999".into(),
            ..now.clone()
        },
        &offerings,
    )
    .await
    .unwrap();
    assert_eq!(
        stranger.problems[0].field,
        field::HOST_FLAVOR,
        "{:?}",
        stranger.problems
    );
    let writes = env.sandbox.requests()[sent_before..]
        .iter()
        .filter(|c| c.method != "GET")
        .count();
    assert_eq!(writes, 0, "a preview sends nothing but reads");

    // Sent anyway, the sandbox's Resource Controller refuses them too.
    let rc = env.cloud.resource_controller().unwrap();
    let id = scale::database_id(&state).unwrap();
    let refused = rc.update_instance(&id, &storage(5)).await.unwrap_err();
    assert_eq!(refused.status, Some(400), "{refused:?}");
    let mut bad_flavor = storage(40);
    if let Some(p) = bad_flavor.parameters.as_mut() {
        p.dataservices.postgresql.as_mut().unwrap().host_flavor = Some("bx3d.999x999".into());
    }
    assert_eq!(
        rc.update_instance(&id, &bad_flavor)
            .await
            .unwrap_err()
            .status,
        Some(400)
    );

    // 10 → 40 GB: through the update operation to the new size.
    let mut journal = Journal::open(&env.journals(), &plan.id).unwrap();
    let mut stages = Vec::new();
    let reached = scale::run(
        &env.cloud,
        &mut journal,
        Some(grown.clone()),
        &env.ctx().timing,
        |p| stages.push(p.stage.clone()),
    )
    .await
    .unwrap();
    drop(journal);
    assert_eq!(reached, grown);
    assert!(stages.contains(&ScaleStage::InProgress), "{stages:?}");
    assert_eq!(stages.last(), Some(&ScaleStage::Done));
    let instance = rc.get_instance(&id).await.unwrap();
    let allocation = instance
        .extensions
        .unwrap()
        .dataservices
        .unwrap()
        .postgresql
        .unwrap();
    assert_eq!(allocation.storage_gb, Some(40));
    let op = instance.last_operation.unwrap();
    assert_eq!(
        (op.kind, op.state),
        (Some(OperationType::Update), Some(OperationState::Succeeded))
    );
    let after = env.journal(&plan.id);
    assert_eq!(
        after.plan.storage_gb, 40,
        "the journal's plan has the new size"
    );
    assert_eq!(after.scale.as_ref().map(|s| s.phase), Some(Phase::Ready));
    // Handed over to Terraform, the database is at its new size: no change to plan.
    let terraform = export::export(
        &after.plan,
        Some(&after),
        Known {
            resource_group_name: None,
            account_id: None,
        },
        ExportFormat::Terraform,
    )
    .unwrap();
    let parameters = terraform
        .text
        .lines()
        .find(|l| l.trim_start().starts_with("parameters_json"))
        .unwrap_or_default();
    assert!(
        parameters.contains("storage_gb = 40,"),
        "{}",
        terraform.text
    );

    // Now 40 GB is the floor.
    let floor = scale::preview(
        &env.cloud,
        &after,
        Size {
            storage_gb: 20,
            ..grown.clone()
        },
        &offerings,
    )
    .await
    .unwrap();
    assert!(
        floor.problems[0].message.contains("it is 40 GB"),
        "{:?}",
        floor.problems
    );

    let gone = env.teardown(&plan.id).await;
    assert_eq!(gone.outcome, Some(Outcome::TornDown));
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_still_provisioning_cannot_be_scaled() {
    let env = Env::start("scale-early", "", 30.0).await;
    let plan = env.plan("pg-scale-early").await;
    let journal = Journal::create(
        &env.journals(),
        &plan,
        onramp_onboarding::settings::Mode::Sandbox,
        &env.account_id,
    )
    .unwrap();
    let job = engine::apply(env.ctx(), journal, false);
    let mut progress = job.progress.clone();
    // Wait until the database exists (provisioning), then stop the job.
    tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let created = progress
                .borrow()
                .steps
                .iter()
                .any(|s| s.step == StepId::Instance && s.resource_id.is_some());
            if created {
                break;
            }
            progress.changed().await.unwrap();
        }
    })
    .await
    .unwrap();
    job.cancel.cancel();
    let _ = job.done.await;

    let offerings = offerings::load(&env.cloud, &env.account_id).await.unwrap();
    let state = env.journal(&plan.id);
    let target = Size {
        storage_gb: 20,
        ..Size::of(&plan)
    };
    let preview = scale::preview(&env.cloud, &state, target.clone(), &offerings)
        .await
        .unwrap();
    assert_eq!(
        preview.problems[0].field,
        scale::PANEL,
        "{:?}",
        preview.problems
    );
    assert!(
        preview.problems[0].message.contains("provisioning"),
        "{:?}",
        preview.problems
    );
    // The sandbox refuses it too, and run stops at the same words without sending it.
    let rc = env.cloud.resource_controller().unwrap();
    let id = scale::database_id(&state).unwrap();
    assert_eq!(
        rc.update_instance(&id, &storage(20))
            .await
            .unwrap_err()
            .status,
        Some(400)
    );
    let mut journal = Journal::open(&env.journals(), &plan.id).unwrap();
    let error = scale::run(
        &env.cloud,
        &mut journal,
        Some(target),
        &env.ctx().timing,
        |_| {},
    )
    .await
    .unwrap_err();
    assert_eq!(error.field.as_deref(), Some(scale::PANEL));
    drop(journal);
    assert_eq!(env.journal(&plan.id).scale.unwrap().phase, Phase::Failed);
    let gone = env.teardown(&plan.id).await;
    assert_eq!(gone.outcome, Some(Outcome::TornDown));
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scale_cut_off_by_a_kill_goes_on_to_the_same_size() {
    // Databases take 6 s, so a scale takes 1.5 s: long enough to be killed in.
    let env = Env::start("scale-kill", "", 6.0).await;
    let plan = env.plan("pg-scale-kill").await;
    let done = env.apply(&plan, false).await;
    assert_eq!(done.outcome, Some(Outcome::Succeeded), "{done:#?}");
    let args = [
        "scale",
        "--plan-id",
        &plan.id,
        "--storage-gb",
        "30",
        "--members",
        "3",
    ];
    // Killed while the update is under way.
    assert_eq!(
        env.engine_process(&args, Some(Duration::from_millis(700))),
        None
    );
    let cut = env.journal(&plan.id);
    assert_eq!(cut.scale.as_ref().map(|s| s.phase), Some(Phase::Creating));
    assert_eq!(cut.plan.storage_gb, 10, "not the plan's size until reached");

    // Started again with no size: it goes on with the journal's.
    assert_eq!(
        env.engine_process(&["scale", "--plan-id", &plan.id], None),
        Some(true)
    );
    let state = env.journal(&plan.id);
    assert_eq!((state.plan.storage_gb, state.plan.members), (30, 3));
    let rc = env.cloud.resource_controller().unwrap();
    let instance = rc
        .get_instance(&scale::database_id(&state).unwrap())
        .await
        .unwrap();
    let allocation = instance
        .extensions
        .unwrap()
        .dataservices
        .unwrap()
        .postgresql
        .unwrap();
    assert_eq!(
        (allocation.storage_gb, allocation.members),
        (Some(30), Some(3))
    );
    // One PATCH: the resumed run found the update under way or done, and sent none.
    let patches = env
        .sandbox
        .requests()
        .iter()
        .filter(|c| c.method == "PATCH")
        .count();
    assert_eq!(patches, 1);
    let gone = env.teardown(&plan.id).await;
    assert_eq!(gone.outcome, Some(Outcome::TornDown));
    env.stop().await;
}
