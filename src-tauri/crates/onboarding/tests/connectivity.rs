//! The private path built by the engine against a real sandbox (a real sshd behind the jump
//! VSI, a real PostgreSQL behind the VPE) and the real keychain: it is built while the
//! database provisions; the VPE targets the database; the jump server presents exactly the
//! host key Onramp generated and pinned; a `SELECT 1` goes through it as the Manager with
//! verify-full; killed at random points the engine leaves exactly one of each resource; and
//! teardown leaves the VPC lists empty and the keychain entries gone.

mod support;

use std::time::Duration;

use rand::{Rng, SeedableRng};

use onramp_cloud::vpc::{ImageFilter, VpcClient};
use onramp_connect::{
    postgres::{PgSession, PgTarget},
    Tunnel, TunnelConfig,
};
use onramp_onboarding::{
    connectivity::Connectivity,
    engine::{self, private_path_of, Outcome, StepStatus},
    journal::{JournalState, StepId},
    offerings, plan,
    plan::DraftPlan,
    vault::entry::credential as credential_entry,
    vault::entry::ssh_key as ssh_key_entry,
};
use onramp_secrets::Sensitive;

use support::{all_text, Env};

fn vpc(env: &Env, region: &str) -> VpcClient {
    env.cloud.vpc(region).unwrap()
}

/// A plan with a new VPC and everything in it, SSH from one documentation address.
async fn path_plan(env: &Env, name: &str) -> DraftPlan {
    let offerings = offerings::load(&env.cloud, &env.account_id).await.unwrap();
    let mut plan = env.plan(name).await;
    let mut path = Connectivity::suggested(&plan.location, &plan.id);
    let image = vpc(env, &plan.location)
        .list_images(&ImageFilter {
            visibility: Some("public".into()),
            status: Some("available".into()),
            ..ImageFilter::default()
        })
        .await
        .unwrap()
        .into_iter()
        .find(|i| {
            i.operating_system
                .as_ref()
                .and_then(|o| o.family.as_deref())
                == Some("Ubuntu Linux")
        })
        .expect("a stock Ubuntu image");
    path.jump.image_id = image.id;
    path.jump.image_name = image.name;
    path.ssh_cidr = "198.51.100.7/32".into();
    plan.connectivity = Some(path);
    let problems = plan::validate(&plan, &offerings);
    assert!(problems.is_empty(), "{problems:?}");
    plan
}

/// How many of each VPC resource the region has, and the rules Onramp named.
async fn census(env: &Env, region: &str) -> Census {
    let vpc = vpc(env, region);
    let vpcs = vpc.list_vpcs(None).await.unwrap();
    let mut rules = Vec::new();
    for v in &vpcs {
        let sg = vpc.default_security_group(&v.id).await.unwrap();
        rules.extend(sg.rules.into_iter().filter_map(|r| r.name));
    }
    rules.retain(|r| r.starts_with("onramp-"));
    rules.sort();
    Census {
        vpcs: vpcs.len(),
        subnets: vpc.list_subnets(None, None).await.unwrap().len(),
        keys: vpc.list_keys().await.unwrap().len(),
        instances: vpc.list_instances(None, None).await.unwrap().len(),
        floating_ips: vpc.list_floating_ips().await.unwrap().len(),
        gateways: vpc.list_endpoint_gateways(None, None).await.unwrap().len(),
        rules,
    }
}

#[derive(Debug, PartialEq, Eq)]
struct Census {
    vpcs: usize,
    subnets: usize,
    keys: usize,
    instances: usize,
    floating_ips: usize,
    gateways: usize,
    rules: Vec<String>,
}

impl Census {
    /// One of each resource of `plan`'s path, whose rules carry its names.
    fn one_of_each(plan: &DraftPlan) -> Census {
        let c = plan.connectivity.as_ref().unwrap();
        Census {
            vpcs: 1,
            subnets: 1,
            keys: 1,
            instances: 1,
            floating_ips: 1,
            gateways: 1,
            rules: vec![c.postgres_rule_name(), c.ssh_rule_name()],
        }
    }

    fn empty() -> Census {
        Census {
            vpcs: 0,
            subnets: 0,
            keys: 0,
            instances: 0,
            floating_ips: 0,
            gateways: 0,
            rules: vec![],
        }
    }
}

fn at(state: &JournalState, step: StepId) -> chrono::DateTime<chrono::Utc> {
    let finished = state.step(step).finished_at.expect("finished");
    chrono::DateTime::parse_from_rfc3339(&finished)
        .unwrap()
        .with_timezone(&chrono::Utc)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_private_path_is_built_while_the_database_provisions_and_reaches_it() {
    // A database slow enough that the whole VPC chain has time to finish before it.
    let env = Env::start("connectivity", "", 8.0).await;
    let plan = path_plan(&env, "pg-private").await;
    let region = plan.location.clone();
    let done = env.apply(&plan, false).await;
    assert_eq!(done.outcome, Some(Outcome::Succeeded), "{done:#?}");
    assert!(done.steps.iter().all(|s| s.status == StepStatus::Ready));
    assert_eq!(
        done.steps.len(),
        10,
        "database, credential and 8 path steps"
    );

    // Parallel: the chain to the floating IP finished before the database was active.
    let state = env.journal(&plan.id);
    for step in [
        StepId::Vpc,
        StepId::Subnet,
        StepId::SshKey,
        StepId::SshRule,
        StepId::PostgresRule,
        StepId::JumpVsi,
        StepId::FloatingIp,
    ] {
        assert!(
            at(&state, step) < at(&state, StepId::Instance),
            "{step:?} waited for the database"
        );
    }
    assert!(at(&state, StepId::Vpe) >= at(&state, StepId::Instance));
    assert_eq!(census(&env, &region).await, Census::one_of_each(&plan));

    // The VPE targets the database.
    let database = env.live_databases().await.remove(0);
    let vpc = vpc(&env, &region);
    let gateway = vpc
        .get_endpoint_gateway(state.step(StepId::Vpe).id.as_deref().unwrap())
        .await
        .unwrap();
    assert_eq!(
        gateway.target.as_ref().and_then(|t| t.crn.as_deref()),
        Some(database.crn.as_str())
    );

    // The address map has the jump server's SSH and the VPE's PostgreSQL.
    let path = private_path_of(&state).expect("a private path");
    let jump_address = path.jump_address.clone().expect("a floating IP");
    let vpe_address = path.vpe_address.clone().expect("a VPE address");
    let mapped = env.sandbox.addresses();
    let jump = mapped
        .iter()
        .find(|m| m.address == jump_address && m.port == 22)
        .unwrap_or_else(|| panic!("{jump_address}:22 is not mapped: {mapped:?}"))
        .target;
    assert!(
        mapped
            .iter()
            .any(|m| m.address == vpe_address && m.port == 5432),
        "{mapped:?}"
    );

    // The login key is in the keychain only; the host key's private half is nowhere.
    assert_eq!(path.ssh_key_entry, Some(ssh_key_entry(&plan.id)));
    let user_key = env
        .keychain
        .read(&ssh_key_entry(&plan.id))
        .unwrap()
        .expect("the login key is in the keychain");
    let written = all_text(env.data.path());
    assert!(!written.contains("PRIVATE KEY"), "a private key in a file");
    assert!(!written.contains(user_key.expose().as_str()));
    let host_key = path.host_key.clone().expect("the pinned host key");
    assert!(host_key.starts_with("ssh-ed25519 "));
    assert!(written.contains(&host_key), "the public line is journalled");

    // The jump server presents exactly that key: another pinned key is refused.
    let config = |pinned: String| TunnelConfig {
        jump,
        user: path.ssh_user.clone(),
        private_key: user_key.clone(),
        host_key: pinned,
        target_host: vpe_address.clone(),
        target_port: 5432,
        idle_timeout: Duration::from_secs(60),
    };
    let stranger = onramp_connect::generate_host_key().unwrap();
    assert!(
        Tunnel::open(config(stranger.public_line().to_owned()))
            .await
            .is_err(),
        "a host key other than the pinned one was accepted"
    );
    let tunnel = Tunnel::open(config(host_key)).await.unwrap();

    // A query through it as the Manager credential, verify-full on the private host name.
    let key_guid = state.step(StepId::ManagerKey).id.unwrap();
    let stored = env
        .keychain
        .read(&credential_entry(&key_guid))
        .unwrap()
        .unwrap();
    let credential: serde_json::Value = serde_json::from_str(stored.expose()).unwrap();
    let host_name = credential["host"].as_str().unwrap().to_owned();
    assert_eq!(path.host_name.as_deref(), Some(host_name.as_str()));
    let session = PgSession::connect(
        tunnel.local_addr(),
        &PgTarget {
            host_name,
            database: credential["database"].as_str().unwrap().to_owned(),
            user: credential["username"].as_str().unwrap().to_owned(),
            password: Sensitive::new(credential["password"].as_str().unwrap().to_owned()),
            ca_pem: Some(env.sandbox.ca_pem().to_owned()),
        },
    )
    .await
    .unwrap();
    assert_eq!(session.select_one().await.unwrap(), 1);
    drop(session);
    tunnel.close().await;

    // Teardown: the private path first, in reverse, then the database.
    let preview = engine::teardown_preview(&state);
    assert_eq!(
        preview.iter().filter_map(|i| i.step).collect::<Vec<_>>(),
        [
            StepId::Vpe,
            StepId::FloatingIp,
            StepId::JumpVsi,
            StepId::PostgresRule,
            StepId::SshRule,
            StepId::SshKey,
            StepId::Subnet,
            StepId::Vpc,
            StepId::ManagerKey,
            StepId::Instance,
        ]
    );
    assert!(preview.iter().all(|i| i.deletes));
    let gone = env.teardown(&plan.id).await;
    assert_eq!(gone.outcome, Some(Outcome::TornDown), "{gone:#?}");
    assert_eq!(census(&env, &region).await, Census::empty());
    assert!(env.live_databases().await.is_empty());
    assert!(env
        .keychain
        .read(&ssh_key_entry(&plan.id))
        .unwrap()
        .is_none());
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_at_random_points_the_engine_leaves_exactly_one_of_each_resource() {
    let env = Env::start(
        "connectivity",
        "vpc:status=503@rate=0.1;vpc:reset@rate=0.05;seed=3",
        3.0,
    )
    .await;
    let plan = path_plan(&env, "pg-path-killed").await;
    let region = plan.location.clone();
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
        let after = Duration::from_millis(rng.gen_range(50..1500));
        if tokio::task::block_in_place(|| env.engine_process(&apply_args, Some(after))).is_none() {
            kills += 1;
        }
        let census = census(&env, &region).await;
        assert!(
            census.vpcs <= 1
                && census.subnets <= 1
                && census.keys <= 1
                && census.instances <= 1
                && census.floating_ips <= 1
                && census.gateways <= 1,
            "a duplicate after a kill: {census:?}"
        );
    }
    assert!(kills >= 3, "only {kills} kills landed");
    let ok = tokio::task::block_in_place(|| env.engine_process(&apply_args, None));
    assert_eq!(ok, Some(true), "the last run finishes the plan");
    assert_eq!(census(&env, &region).await, Census::one_of_each(&plan));
    assert_eq!(env.live_databases().await.len(), 1);
    let state = env.journal(&plan.id);
    let path = private_path_of(&state).unwrap();
    assert!(path.host_key.is_some() && path.jump_address.is_some() && path.vpe_address.is_some());
    // The one VSI that exists has the host key the journal pins.
    let jump = env
        .sandbox
        .addresses()
        .into_iter()
        .find(|m| Some(&m.address) == path.jump_address.as_ref() && m.port == 22)
        .unwrap()
        .target;
    let tunnel = Tunnel::open(TunnelConfig {
        jump,
        user: path.ssh_user.clone(),
        private_key: env
            .keychain
            .read(&ssh_key_entry(&plan.id))
            .unwrap()
            .unwrap(),
        host_key: path.host_key.clone().unwrap(),
        target_host: path.vpe_address.clone().unwrap(),
        target_port: 5432,
        idle_timeout: Duration::from_secs(30),
    })
    .await
    .expect("the adopted jump server has the pinned host key and the stored login key");
    tunnel.close().await;

    let teardown_args = ["teardown", "--plan-id", &plan.id];
    for _ in 0..3 {
        let after = Duration::from_millis(rng.gen_range(20..600));
        tokio::task::block_in_place(|| env.engine_process(&teardown_args, Some(after)));
    }
    let ok = tokio::task::block_in_place(|| env.engine_process(&teardown_args, None));
    assert_eq!(ok, Some(true));
    assert_eq!(census(&env, &region).await, Census::empty());
    assert!(env.live_databases().await.is_empty());
    assert!(env
        .keychain
        .read(&ssh_key_entry(&plan.id))
        .unwrap()
        .is_none());
    env.stop().await;
}

/// The CBR network zones and rules of the account, as the CBR API lists them.
async fn restrictions(
    env: &Env,
) -> (
    Vec<onramp_cloud::cbr::NetworkZoneSummary>,
    Vec<onramp_cloud::cbr::Rule>,
) {
    let cbr = env.cloud.cbr().unwrap();
    let zones = cbr.list_zones(&env.account_id, None).await.unwrap();
    let rules = cbr
        .list_rules(&onramp_cloud::cbr::RuleFilter {
            account_id: env.account_id.clone(),
            ..Default::default()
        })
        .await
        .unwrap();
    (zones, rules)
}

fn attribute<'a>(attributes: &'a [onramp_cloud::cbr::Attribute], name: &str) -> Option<&'a str> {
    attributes
        .iter()
        .find(|a| a.name == name)
        .map(|a| a.value.as_str())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_context_based_restriction_lets_only_the_vpc_reach_the_database_and_teardown_removes_it()
{
    let env = Env::start("restriction", "", 2.0).await;
    let mut plan = path_plan(&env, "pg-restricted").await;
    plan.connectivity.as_mut().unwrap().restrict = true;
    let region = plan.location.clone();
    let done = env.apply(&plan, false).await;
    assert_eq!(done.outcome, Some(Outcome::Succeeded), "{done:#?}");
    assert_eq!(
        done.steps.len(),
        12,
        "database, credential, 8 path steps, zone and rule"
    );
    assert!(done.steps.iter().all(|s| s.status == StepStatus::Ready));

    // Read back from the CBR API, not from the engine: one zone holding the VPC's CRN, one
    // rule tying that zone to this instance's GUID, data plane only, enforced.
    let state = env.journal(&plan.id);
    let vpc_crn = vpc(&env, &region)
        .get_vpc(state.step(StepId::Vpc).id.as_deref().unwrap())
        .await
        .unwrap()
        .crn;
    let database = env.live_databases().await.remove(0);
    let (zones, rules) = restrictions(&env).await;
    assert_eq!(zones.len(), 1, "{zones:?}");
    assert_eq!(
        zones[0].name,
        plan.connectivity.as_ref().unwrap().cbr_zone_name()
    );
    assert_eq!(
        state.step(StepId::CbrZone).id.as_deref(),
        Some(zones[0].id.as_str())
    );
    let zone = env
        .cloud
        .cbr()
        .unwrap()
        .get_zone(&zones[0].id)
        .await
        .unwrap();
    assert_eq!(
        zone.addresses,
        vec![onramp_cloud::cbr::ZoneAddress::new(
            onramp_cloud::cbr::AddressType::Vpc,
            vpc_crn
        )]
    );
    assert_eq!(rules.len(), 1, "{rules:?}");
    let rule = &rules[0];
    let resource = &rule.resources[0].attributes;
    assert_eq!(
        attribute(resource, "serviceName"),
        Some("databases-for-postgresql")
    );
    assert_eq!(
        attribute(resource, "serviceInstance"),
        Some(database.guid.as_str())
    );
    assert_eq!(
        attribute(resource, "accountId"),
        Some(env.account_id.as_str())
    );
    let context = &rule.contexts[0].attributes;
    assert_eq!(
        attribute(context, "networkZoneId"),
        Some(zones[0].id.as_str())
    );
    assert_eq!(attribute(context, "endpointType"), Some("private"));
    assert_eq!(
        rule.operations.as_ref().unwrap().api_types[0].api_type_id,
        onramp_cloud::cbr::DATA_PLANE_API_TYPE
    );
    assert_eq!(
        rule.enforcement_mode,
        Some(onramp_cloud::cbr::EnforcementMode::Enabled)
    );
    // Journalled before and after each call: the intent precedes the zone's creation.
    let zone_record = state.step(StepId::CbrZone);
    assert!(zone_record.started_at.is_some() && zone_record.finished_at.is_some());

    // Teardown deletes the rule, then the zone, then the path.
    let preview = engine::teardown_preview(&state);
    assert_eq!(
        preview
            .iter()
            .filter_map(|i| i.step)
            .take(3)
            .collect::<Vec<_>>(),
        [StepId::CbrRule, StepId::CbrZone, StepId::Vpe]
    );
    let gone = env.teardown(&plan.id).await;
    assert_eq!(gone.outcome, Some(Outcome::TornDown), "{gone:#?}");
    let (zones, rules) = restrictions(&env).await;
    assert!(zones.is_empty() && rules.is_empty(), "{zones:?} {rules:?}");
    assert_eq!(census(&env, &region).await, Census::empty());
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_restriction_shows_ibms_answer_and_the_plan_still_succeeds() {
    // The second CBR create (the rule) is refused, as IBM may for Gen 2.
    let env = Env::start("restriction-refused", "cbr.POST:status=400@calls=2", 2.0).await;
    let mut plan = path_plan(&env, "pg-unrestricted").await;
    plan.connectivity.as_mut().unwrap().restrict = true;
    let region = plan.location.clone();
    let done = env.apply(&plan, false).await;
    assert_eq!(done.outcome, Some(Outcome::Succeeded), "{done:#?}");
    let rule = done
        .steps
        .iter()
        .find(|s| s.step == StepId::CbrRule)
        .unwrap();
    assert_eq!(rule.status, StepStatus::Failed);
    let error = rule.error.as_ref().expect("the refusal");
    assert!(error.message.contains("Bad Request"), "{error:?}");
    assert_eq!(error.field.as_deref(), Some("connectivity.restrict"));
    assert!(
        rule.next.as_deref().unwrap().contains("work without it"),
        "{rule:?}"
    );
    assert!(done
        .steps
        .iter()
        .filter(|s| !engine::optional(s.step))
        .all(|s| s.status == StepStatus::Ready));
    // The journal at rest says the same.
    let state = env.journal(&plan.id);
    assert_eq!(
        engine::progress_of(&state, &env.ctx().timing).outcome,
        Some(Outcome::Succeeded)
    );
    let (zones, rules) = restrictions(&env).await;
    assert_eq!((zones.len(), rules.len()), (1, 0));

    // Teardown removes the zone that was made; there is no rule to remove.
    let gone = env.teardown(&plan.id).await;
    assert_eq!(gone.outcome, Some(Outcome::TornDown), "{gone:#?}");
    let (zones, _) = restrictions(&env).await;
    assert!(zones.is_empty(), "{zones:?}");
    assert_eq!(census(&env, &region).await, Census::empty());
    env.stop().await;
}
