//! Ownership by proof, against a real sandbox: Onramp adopts, retries over or deletes only
//! what it can prove this plan made. A namesake someone else made (a colleague, signed in
//! with their own API key) stops apply at its step with a message that names it, is never
//! changed, and outlives teardown with what hangs off it; a create whose answer was lost
//! leaves exactly one resource, adopted by proof; a refused or unclear create followed by
//! someone else's namesake never costs that namesake its life.

mod support;

use onramp_cloud::{
    catalog::POSTGRESQL_GEN2_PLAN_ID,
    cbr::{AddressType, CreateZone, ZoneAddress},
    rc::{CreateResourceInstance, CreateResourceKey, InstanceState, ResourceInstance},
    vpc::{
        CreateEndpointGateway, CreateFloatingIp, CreateInstance, CreateKey,
        CreateSecurityGroupRule, CreateSubnet, CreateVpc, EndpointGatewayIpPrototype,
        EndpointGatewayTargetPrototype, IdRef, KeyType, NameRef, NetworkInterfacePrototype,
        RuleDirection, RuleEnd, RuleProtocol, VpcClient,
    },
    Cloud, Idempotency,
};
use onramp_onboarding::{
    connectivity::{SubnetChoice, VpcChoice},
    engine::{self, Outcome, StepProgress, StepStatus},
    journal::{Owner, StepId},
    plan::DraftPlan,
};

use support::Env;

const PROVISION_SECONDS: f64 = 1.0;

fn step(progress: &engine::PlanProgress, id: StepId) -> &StepProgress {
    progress
        .steps
        .iter()
        .find(|s| s.step == id)
        .unwrap_or_else(|| panic!("no step {id:?} in {progress:#?}"))
}

/// The step stopped at its field, naming the stranger, and made nothing.
fn stopped_at(progress: &engine::PlanProgress, id: StepId, field: &str, stranger_id: &str) {
    let s = step(progress, id);
    assert_eq!(s.status, StepStatus::Failed, "{id:?}: {s:#?}");
    let error = s.error.as_ref().expect("the error");
    assert_eq!(error.field.as_deref(), Some(field), "{id:?}: {error:#?}");
    assert!(
        error.message.contains("this plan did not make it") && error.message.contains(stranger_id),
        "{id:?}: {}",
        error.message
    );
    assert!(s.resource_id.is_none(), "{id:?} recorded a resource");
}

/// A database in the plan's group, made by `cloud` outside Onramp, with a key of its own.
async fn database(cloud: &Cloud, plan: &DraftPlan, name: &str) -> (ResourceInstance, String) {
    let rc = cloud.resource_controller().unwrap();
    let made = rc
        .create_instance(
            &CreateResourceInstance {
                name: name.to_owned(),
                target: plan.location.clone(),
                resource_group: plan.resource_group_id.clone(),
                resource_plan_id: POSTGRESQL_GEN2_PLAN_ID.to_owned(),
                tags: vec![],
                allow_cleanup: None,
                parameters: None,
            },
            Idempotency::Unsafe,
        )
        .await
        .unwrap();
    for _ in 0..100 {
        if rc.get_instance(&made.id).await.unwrap().is_ready() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let key = rc
        .create_resource_key(
            &CreateResourceKey {
                name: "colleagues-key".into(),
                source: made.guid.clone(),
                role: Some("Writer".into()),
                parameters: None,
            },
            Idempotency::Unsafe,
        )
        .await
        .unwrap();
    (made, key.guid)
}

async fn still_there(cloud: &Cloud, instance: &str, key: &str) {
    let rc = cloud.resource_controller().unwrap();
    let i = rc.get_instance(instance).await.unwrap();
    assert_eq!(i.state, Some(InstanceState::Active), "the namesake lives");
    rc.get_resource_key(key).await.expect("its key lives");
}

fn public_line() -> String {
    onramp_connect::keys::generate_user_key("colleague")
        .unwrap()
        .public_line
}

async fn vpc_named(vpc: &VpcClient, plan: &DraftPlan, name: &str) -> String {
    vpc.create_vpc(
        &CreateVpc {
            name: Some(name.to_owned()),
            resource_group: Some(IdRef::new(&plan.resource_group_id)),
            ..CreateVpc::default()
        },
        Idempotency::Unsafe,
    )
    .await
    .unwrap()
    .id
}

async fn subnet_named(vpc: &VpcClient, vpc_id: &str, zone: &str, name: &str) -> String {
    vpc.create_subnet(
        &CreateSubnet {
            name: Some(name.to_owned()),
            vpc: IdRef::new(vpc_id),
            zone: Some(NameRef::new(zone)),
            total_ipv4_address_count: Some(16),
            ipv4_cidr_block: None,
            ip_version: None,
            resource_group: None,
            network_acl: None,
            public_gateway: None,
            routing_table: None,
        },
        Idempotency::Unsafe,
    )
    .await
    .unwrap()
    .id
}

async fn key_named(vpc: &VpcClient, name: &str) -> String {
    vpc.create_key(
        &CreateKey {
            name: Some(name.to_owned()),
            public_key: public_line(),
            kind: Some(KeyType::Ed25519),
            resource_group: None,
        },
        Idempotency::Unsafe,
    )
    .await
    .unwrap()
    .id
}

fn path(plan: &DraftPlan) -> &onramp_onboarding::connectivity::Connectivity {
    plan.connectivity.as_ref().unwrap()
}

#[tokio::test]
async fn a_colleagues_database_vpc_and_key_under_the_plans_names_stop_apply_and_outlive_teardown() {
    let env = Env::start("ownership", "", PROVISION_SECONDS).await;
    let plan = env.path_plan("pg-shared").await;
    let colleague = env.colleague("A Colleague");
    let (theirs, their_key) = database(&colleague, &plan, "pg-shared").await;
    let their_vpc = colleague.vpc(&plan.location).unwrap();
    let vpc_id = vpc_named(&their_vpc, &plan, path(&plan).vpc_name()).await;
    let key_id = key_named(&their_vpc, path(&plan).ssh_key_name()).await;

    let done = env.apply(&plan, false).await;
    assert_eq!(done.outcome, Some(Outcome::Failed));
    stopped_at(&done, StepId::Instance, "name", &theirs.id);
    stopped_at(&done, StepId::Vpc, "connectivity.vpc", &vpc_id);
    stopped_at(&done, StepId::SshKey, "connectivity.sshKey", &key_id);
    assert_eq!(step(&done, StepId::ManagerKey).status, StepStatus::Blocked);
    assert_eq!(step(&done, StepId::Subnet).status, StepStatus::Blocked);
    assert_eq!(
        env.live_databases().await.len(),
        1,
        "apply made no second database"
    );
    // The plan's keychain holds nothing for the key it never made.
    assert!(env
        .keychain
        .read(&onramp_onboarding::vault::entry::ssh_key(&plan.id))
        .unwrap()
        .is_none());

    let preview = engine::teardown_preview(&env.journal(&plan.id));
    assert!(
        preview.iter().all(|i| i.step != Some(StepId::Instance)),
        "the stranger is not in the preview: {preview:#?}"
    );
    let gone = env.teardown(&plan.id).await;
    assert_eq!(gone.outcome, Some(Outcome::TornDown), "{gone:#?}");
    still_there(&colleague, &theirs.id, &their_key).await;
    their_vpc.get_vpc(&vpc_id).await.expect("their VPC lives");
    their_vpc.get_key(&key_id).await.expect("their key lives");
    env.stop().await;
}

#[tokio::test]
async fn namesakes_inside_a_vpc_the_user_chose_stop_their_steps_and_stay() {
    let env = Env::start("ownership", "", PROVISION_SECONDS).await;
    let mut plan = env.path_plan("pg-inside").await;
    let colleague = env.colleague("Team Lead");
    let vpc = colleague.vpc(&plan.location).unwrap();
    let team_vpc = vpc_named(&vpc, &plan, "team-vpc").await;
    let zone = format!("{}-1", plan.location);
    let c = plan.connectivity.as_mut().unwrap();
    c.vpc = VpcChoice::Existing {
        id: team_vpc.clone(),
        name: "team-vpc".into(),
    };
    // A subnet and an SSH rule with the names this plan gives its own.
    let their_subnet = subnet_named(&vpc, &team_vpc, &zone, c.subnet_name()).await;
    let group = vpc.default_security_group(&team_vpc).await.unwrap().id;
    let their_rule = vpc
        .create_security_group_rule(
            &group,
            &CreateSecurityGroupRule {
                direction: RuleDirection::Inbound,
                protocol: RuleProtocol::Tcp,
                port_min: Some(22),
                port_max: Some(22),
                remote: Some(RuleEnd {
                    cidr_block: Some("0.0.0.0/0".into()),
                    ..RuleEnd::default()
                }),
                local: None,
                ip_version: Some("ipv4".into()),
                name: Some(c.ssh_rule_name()),
            },
            Idempotency::Unsafe,
        )
        .await
        .unwrap()
        .id;

    let done = env.apply(&plan, false).await;
    assert_eq!(done.outcome, Some(Outcome::Failed));
    stopped_at(&done, StepId::Subnet, "connectivity.subnet", &their_subnet);
    stopped_at(&done, StepId::SshRule, "connectivity.sshCidr", &their_rule);
    assert_eq!(
        step(&done, StepId::Vpc).status,
        StepStatus::Ready,
        "the chosen VPC is used"
    );
    assert_eq!(step(&done, StepId::PostgresRule).status, StepStatus::Ready);
    let journal = env.journal(&plan.id);
    assert_eq!(journal.step(StepId::Vpc).owner, Some(Owner::Kept));
    assert_eq!(journal.step(StepId::PostgresRule).owner, Some(Owner::Made));

    let gone = env.teardown(&plan.id).await;
    assert_eq!(gone.outcome, Some(Outcome::TornDown), "{gone:#?}");
    assert_eq!(step(&gone, StepId::Vpc).status, StepStatus::Kept);
    vpc.get_vpc(&team_vpc).await.expect("the chosen VPC lives");
    vpc.get_subnet(&their_subnet)
        .await
        .expect("their subnet lives");
    let rules = vpc.get_security_group(&group).await.unwrap().rules;
    assert!(rules.iter().any(|r| r.id == their_rule), "their rule lives");
    assert!(
        !rules
            .iter()
            .any(|r| r.name.as_deref() == Some(path(&plan).postgres_rule_name().as_str())),
        "the rule this plan made is gone"
    );
    assert!(env.live_databases().await.is_empty());
    env.stop().await;
}

#[tokio::test]
async fn namesakes_of_the_jump_server_its_address_the_gateway_and_the_zone_are_left_alone() {
    let env = Env::start("ownership", "", PROVISION_SECONDS).await;
    let mut plan = env.path_plan("pg-around").await;
    let colleague = env.colleague("Ops");
    let vpc = colleague.vpc(&plan.location).unwrap();
    let team_vpc = vpc_named(&vpc, &plan, "team-vpc").await;
    let zone = format!("{}-1", plan.location);
    let team_subnet = subnet_named(&vpc, &team_vpc, &zone, "team-subnet").await;
    let team_key = key_named(&vpc, "team-key").await;
    let (other_db, _) = database(&colleague, &plan, "team-db").await;
    let c = plan.connectivity.as_mut().unwrap();
    c.vpc = VpcChoice::Existing {
        id: team_vpc.clone(),
        name: "team-vpc".into(),
    };
    c.subnet = SubnetChoice::Existing {
        id: team_subnet.clone(),
        name: "team-subnet".into(),
    };
    c.restrict = true;
    let c = c.clone();
    let their_jump = vpc
        .create_instance(
            &CreateInstance {
                name: Some(c.jump.name.clone()),
                zone: NameRef::new(&zone),
                vpc: Some(IdRef::new(&team_vpc)),
                profile: Some(NameRef::new(&c.jump.profile)),
                image: IdRef::new(&c.jump.image_id),
                keys: vec![IdRef::new(&team_key)],
                resource_group: None,
                primary_network_interface: Some(NetworkInterfacePrototype {
                    name: Some("eth0".into()),
                    subnet: IdRef::new(&team_subnet),
                    security_groups: vec![],
                    allow_ip_spoofing: None,
                }),
                boot_volume_attachment: None,
                user_data: None,
            },
            Idempotency::Unsafe,
        )
        .await
        .unwrap()
        .id;
    let their_gateway = vpc
        .create_endpoint_gateway(
            &CreateEndpointGateway {
                name: Some(c.vpe_name.clone()),
                vpc: IdRef::new(&team_vpc),
                target: EndpointGatewayTargetPrototype {
                    crn: Some(other_db.crn.clone()),
                    name: None,
                    resource_type: "provider_cloud_service".into(),
                },
                ips: vec![EndpointGatewayIpPrototype {
                    subnet: Some(IdRef::new(&team_subnet)),
                    ..EndpointGatewayIpPrototype::default()
                }],
                security_groups: vec![],
                resource_group: None,
                dns_resolution_binding_mode: None,
            },
            Idempotency::Unsafe,
        )
        .await
        .unwrap()
        .id;
    let cbr = colleague.cbr().unwrap();
    let team_vpc_crn = vpc.get_vpc(&team_vpc).await.unwrap().crn;
    let their_zone = cbr
        .create_zone(
            &CreateZone {
                name: c.cbr_zone_name(),
                account_id: env.account_id.clone(),
                description: "the team's zone".into(),
                addresses: vec![ZoneAddress::new(AddressType::Vpc, team_vpc_crn)],
                excluded: vec![],
            },
            Idempotency::Unsafe,
        )
        .await
        .unwrap()
        .id;

    let done = env.apply(&plan, false).await;
    assert_eq!(done.outcome, Some(Outcome::Failed));
    stopped_at(&done, StepId::JumpVsi, "connectivity.jumpName", &their_jump);
    stopped_at(&done, StepId::Vpe, "connectivity.vpeName", &their_gateway);
    stopped_at(&done, StepId::CbrZone, "connectivity.restrict", &their_zone);
    assert_eq!(step(&done, StepId::FloatingIp).status, StepStatus::Blocked);

    let gone = env.teardown(&plan.id).await;
    assert_eq!(gone.outcome, Some(Outcome::TornDown), "{gone:#?}");
    vpc.get_instance(&their_jump)
        .await
        .expect("their server lives");
    vpc.get_endpoint_gateway(&their_gateway)
        .await
        .expect("their gateway lives");
    cbr.get_zone(&their_zone).await.expect("their zone lives");
    assert_eq!(env.live_databases().await.len(), 1, "only their database");
    env.stop().await;
}

#[tokio::test]
async fn a_floating_ip_under_the_plans_name_is_someone_elses() {
    let env = Env::start("ownership", "", PROVISION_SECONDS).await;
    let plan = env.path_plan("pg-address").await;
    let colleague = env.colleague("Network Admin");
    let vpc = colleague.vpc(&plan.location).unwrap();
    let theirs = vpc
        .create_floating_ip(
            &CreateFloatingIp {
                name: Some(path(&plan).floating_ip_name()),
                target: None,
                zone: Some(NameRef::new(format!("{}-1", plan.location))),
                resource_group: None,
            },
            Idempotency::Unsafe,
        )
        .await
        .unwrap();
    let done = env.apply(&plan, false).await;
    assert_eq!(done.outcome, Some(Outcome::Failed));
    stopped_at(
        &done,
        StepId::FloatingIp,
        "connectivity.jumpName",
        &theirs.id,
    );
    assert_eq!(step(&done, StepId::JumpVsi).status, StepStatus::Ready);
    let gone = env.teardown(&plan.id).await;
    assert_eq!(gone.outcome, Some(Outcome::TornDown), "{gone:#?}");
    let after = vpc
        .get_floating_ip(&theirs.id)
        .await
        .expect("their address lives");
    assert_eq!(after.address, theirs.address);
    assert!(
        vpc.list_instances(None, None).await.unwrap().is_empty(),
        "the plan's server is gone"
    );
    env.stop().await;
}

#[tokio::test]
async fn creates_whose_answers_were_lost_leave_exactly_one_of_each_adopted_by_proof() {
    // The first create of the database and of the VPC happens, but its answer never comes.
    let env = Env::start(
        "ownership",
        "rc.POST:lose-answer@first=1;vpc.POST:lose-answer@first=1",
        PROVISION_SECONDS,
    )
    .await;
    let plan = env.path_plan("pg-lost").await;
    let done = env.apply(&plan, false).await;
    assert_eq!(done.outcome, Some(Outcome::Succeeded), "{done:#?}");
    let live = env.live_databases().await;
    assert_eq!(live.len(), 1, "exactly one database: {live:#?}");
    let vpc = env.cloud.vpc(&plan.location).unwrap();
    assert_eq!(
        vpc.list_vpcs(None).await.unwrap().len(),
        1,
        "exactly one VPC"
    );
    let journal = env.journal(&plan.id);
    let instance = journal.step(StepId::Instance);
    assert_eq!(instance.id.as_deref(), Some(live[0].id.as_str()));
    assert_eq!(
        instance.owner,
        Some(Owner::Proved),
        "found after the lost answer, and proved this plan's"
    );
    assert_eq!(journal.step(StepId::Vpc).owner, Some(Owner::Proved));
    assert_eq!(
        env.teardown(&plan.id).await.outcome,
        Some(Outcome::TornDown)
    );
    assert!(env.live_databases().await.is_empty());
    assert!(vpc.list_vpcs(None).await.unwrap().is_empty());
    env.stop().await;
}

#[tokio::test]
async fn after_a_refused_or_unclear_create_someone_elses_namesake_survives_teardown() {
    // The database's create is refused outright (400) every time; the VPC's never gets a
    // clear answer (503 before the sandbox acts, every time).
    let env = Env::start(
        "ownership",
        "rc.POST:status=400;vpc.POST:status=503",
        PROVISION_SECONDS,
    )
    .await;
    let plan = env.path_plan("pg-refused").await;
    let done = env.apply(&plan, false).await;
    assert_eq!(done.outcome, Some(Outcome::Failed));
    assert_eq!(step(&done, StepId::Instance).status, StepStatus::Failed);
    assert_eq!(step(&done, StepId::Vpc).status, StepStatus::Failed);
    let journal = env.journal(&plan.id);
    assert!(
        journal.step(StepId::Instance).made_nothing,
        "a 400 made nothing"
    );
    assert!(
        journal.step(StepId::Vpc).maybe_made(),
        "after 503s the create may have happened"
    );

    // A few seconds later a colleague makes both under the plan's names (the faults are
    // lifted): made after every create this plan sent had its answer.
    env.sandbox
        .set_faults(onramp_sandbox::FaultSpec::parse("").unwrap());
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let colleague = env.colleague("Someone Else");
    let (theirs, their_key) = database(&colleague, &plan, &plan.name).await;
    let their_vpc = vpc_named(
        &colleague.vpc(&plan.location).unwrap(),
        &plan,
        path(&plan).vpc_name(),
    )
    .await;

    let gone = env.teardown(&plan.id).await;
    assert_eq!(gone.outcome, Some(Outcome::TornDown), "{gone:#?}");
    still_there(&colleague, &theirs.id, &their_key).await;
    env.cloud
        .vpc(&plan.location)
        .unwrap()
        .get_vpc(&their_vpc)
        .await
        .expect("their VPC lives");
    // The VPC step looked, found the stranger and said so; the database step did not look.
    let vpc_step = step(&gone, StepId::Vpc);
    assert_eq!(vpc_step.status, StepStatus::NotOurs, "{vpc_step:#?}");
    assert_eq!(vpc_step.resource_id.as_deref(), Some(their_vpc.as_str()));
    assert!(vpc_step
        .detail
        .as_deref()
        .is_some_and(|d| d.contains("left in place")));
    env.stop().await;
}
