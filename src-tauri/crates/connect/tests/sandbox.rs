//! The whole private path against a real sandbox: a database with a Manager credential, a
//! VPC, subnet, SSH key, a jump VSI whose host key Onramp installed through user_data, a
//! floating IP, a VPE and the security group rules, all made through the `onramp-cloud`
//! clients. Then the doctor walks DNS → TCP → TLS → login → `SELECT 1`, and each broken
//! hop is named. Keys stay in memory; each test stops its sandbox whatever happened.

use std::{future::Future, sync::Arc, time::Duration};

use onramp_cloud::{
    catalog::POSTGRESQL_GEN2_PLAN_ID,
    rc::{CreateResourceInstance, CreateResourceKey},
    vpc::{
        CreateEndpointGateway, CreateFloatingIp, CreateInstance, CreateKey,
        CreateSecurityGroupRule, CreateSubnet, CreateVpc, EndpointGatewayIpPrototype,
        EndpointGatewayTargetPrototype, IdRef, ImageFilter, InstanceStatus, KeyType,
        LifecycleState, NameRef, NetworkInterfacePrototype, ResourceStatus, RuleDirection, RuleEnd,
        RuleProtocol, VpcClient,
    },
    Cloud, Endpoints, HttpClient, Idempotency, Network,
};
use onramp_connect::{
    doctor::{self, DoctorInput, DoctorReport, StageKind, StageStatus},
    generate_host_key, generate_user_key,
    postgres::{PgSession, PgTarget},
    KeyPair, Tunnel, TunnelConfig,
};
use onramp_sandbox::{RunningSandbox, SandboxConfig};
use onramp_secrets::Sensitive;

const REGION: &str = "ca-mon";
const ZONE: &str = "ca-mon-1";

fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_test_writer()
        .try_init();
}

struct Env {
    sandbox: RunningSandbox,
    cloud: Cloud,
    http: HttpClient,
    network: Network,
}

/// Starts a sandbox, runs `body` under a time limit, and stops the sandbox whatever the
/// body did before reporting its panic or time-out.
async fn with_sandbox<F, Fut>(limit: Duration, body: F)
where
    F: FnOnce(Arc<Env>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    init_tracing();
    let state_dir = tempfile::tempdir().unwrap();
    let mut config = SandboxConfig::new(state_dir.path());
    config.provision_seconds = 0.5;
    let sandbox = RunningSandbox::start(config)
        .await
        .expect("the sandbox starts");
    let endpoints = Endpoints::from_file(sandbox.endpoints_path()).unwrap();
    let http = HttpClient::new().unwrap();
    let cloud = Cloud::with_api_key(
        http.clone(),
        endpoints,
        Sensitive::new(sandbox.account().api_key.clone()),
    )
    .unwrap();
    let network = Network::from_endpoints_file(sandbox.endpoints_path()).unwrap();
    let env = Arc::new(Env {
        sandbox,
        cloud,
        http,
        network,
    });
    let mut task = tokio::spawn(body(env.clone()));
    let outcome = tokio::time::timeout(limit, &mut task).await;
    if outcome.is_err() {
        task.abort();
        let _ = task.await;
    }
    let env = Arc::into_inner(env).expect("the body released the sandbox");
    tokio::time::timeout(Duration::from_secs(60), env.sandbox.stop())
        .await
        .expect("the sandbox stops");
    match outcome {
        Ok(Ok(())) => {}
        Ok(Err(joined)) if joined.is_panic() => std::panic::resume_unwind(joined.into_panic()),
        Ok(Err(joined)) => panic!("the body did not finish: {joined}"),
        Err(_) => panic!("the body did not finish within {limit:?}"),
    }
}

async fn eventually<T, Fut>(what: &str, mut check: impl FnMut() -> Fut) -> T
where
    Fut: Future<Output = Option<T>>,
{
    let started = std::time::Instant::now();
    loop {
        if let Some(done) = check().await {
            return done;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{what}: not reached"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Everything the private path is made of.
struct World {
    user_key: KeyPair,
    host_key: String,
    fip: String,
    vpe_ip: String,
    vpe_id: String,
    host_name: String,
    db_user: String,
    database: String,
    password: Sensitive<String>,
    ca_pem: String,
}

async fn build_world(env: &Env) -> World {
    let rc = env.cloud.resource_controller().unwrap();
    let vpc: VpcClient = env.cloud.vpc(REGION).unwrap();
    let group = env
        .cloud
        .resource_manager()
        .unwrap()
        .list_resource_groups(&env.sandbox.account().account_id, Some("Default"))
        .await
        .unwrap()[0]
        .id
        .clone();

    // The database and its first Manager credential.
    let created = rc
        .create_instance(
            &CreateResourceInstance {
                name: "pg-connect".into(),
                target: REGION.into(),
                resource_group: group.clone(),
                resource_plan_id: POSTGRESQL_GEN2_PLAN_ID.into(),
                tags: vec![],
                allow_cleanup: None,
                parameters: None,
            },
            Idempotency::Unsafe,
        )
        .await
        .unwrap();
    let database = eventually("database active", || {
        let (rc, guid) = (&rc, created.guid.as_str());
        async move {
            let got = rc.get_instance(guid).await.unwrap();
            assert!(!got.has_failed(), "{got:?}");
            got.is_ready().then_some(got)
        }
    })
    .await;
    let key = rc
        .create_resource_key(
            &CreateResourceKey {
                name: "onramp-admin".into(),
                source: database.guid.clone(),
                role: Some("Manager".into()),
                parameters: None,
            },
            Idempotency::Unsafe,
        )
        .await
        .unwrap();
    let credentials = key.credentials.expect("credentials");
    let postgres = credentials
        .connection
        .and_then(|c| c.postgres)
        .expect("a postgres connection");
    let host_name = postgres.hosts[0].hostname.clone();
    let database_name = postgres.database.clone().expect("a database name");
    let auth = postgres.authentication.expect("authentication");
    let db_user = auth.username.expect("a user");
    let password = auth.password.expect("a password");
    // The CA as a credential carries it (base64 of the PEM); the sandbox's own copy agrees.
    let ca_b64 = postgres
        .certificate
        .and_then(|c| c.certificate_base64)
        .expect("a CA in the credential");
    let ca_pem = String::from_utf8(base64_decode(&ca_b64).expect("base64")).unwrap();
    assert_eq!(ca_pem.trim(), env.sandbox.ca_pem().trim());

    // VPC, subnet.
    let network = vpc
        .create_vpc(
            &CreateVpc {
                name: Some("onramp-vpc".into()),
                resource_group: Some(IdRef::new(&group)),
                ..CreateVpc::default()
            },
            Idempotency::Unsafe,
        )
        .await
        .unwrap();
    let subnet = vpc
        .create_subnet(
            &CreateSubnet {
                name: Some("onramp-subnet".into()),
                vpc: IdRef::new(&network.id),
                zone: Some(NameRef::new(ZONE)),
                total_ipv4_address_count: Some(256),
                ipv4_cidr_block: None,
                ip_version: None,
                resource_group: Some(IdRef::new(&group)),
                network_acl: None,
                public_gateway: None,
                routing_table: None,
            },
            Idempotency::Unsafe,
        )
        .await
        .unwrap();
    let subnet = eventually("subnet available", || {
        let (vpc, id) = (&vpc, subnet.id.as_str());
        async move {
            let got = vpc.get_subnet(id).await.unwrap();
            (got.status == Some(ResourceStatus::Available)).then_some(got)
        }
    })
    .await;

    // The user's SSH key, made by Onramp's generator.
    let user_key = generate_user_key("onramp-test").unwrap();
    let ssh_key = vpc
        .create_key(
            &CreateKey {
                name: Some("onramp-key".into()),
                public_key: user_key.public_line.clone(),
                kind: Some(KeyType::Ed25519),
                resource_group: Some(IdRef::new(&group)),
            },
            Idempotency::Unsafe,
        )
        .await
        .unwrap();

    // The jump VSI, with the host key Onramp generated installed through user_data.
    let host_key = generate_host_key().unwrap();
    let image = vpc
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
                .and_then(|os| os.family.as_deref())
                == Some("Ubuntu Linux")
        })
        .expect("an Ubuntu image");
    let instance = vpc
        .create_instance(
            &CreateInstance {
                name: Some("onramp-jump".into()),
                zone: NameRef::new(ZONE),
                vpc: Some(IdRef::new(&network.id)),
                profile: Some(NameRef::new("bx2-2x8")),
                image: IdRef::new(&image.id),
                keys: vec![IdRef::new(&ssh_key.id)],
                resource_group: Some(IdRef::new(&group)),
                primary_network_interface: Some(NetworkInterfacePrototype {
                    name: Some("eth0".into()),
                    subnet: IdRef::new(&subnet.id),
                    security_groups: vec![],
                    allow_ip_spoofing: None,
                }),
                boot_volume_attachment: None,
                user_data: Some(host_key.user_data()),
            },
            Idempotency::Unsafe,
        )
        .await
        .unwrap();
    let instance = eventually("instance running", || {
        let (vpc, id) = (&vpc, instance.id.as_str());
        async move {
            let got = vpc.get_instance(id).await.unwrap();
            (got.status == Some(InstanceStatus::Running)).then_some(got)
        }
    })
    .await;
    let nic = instance.primary_network_interface.expect("a NIC");

    // Its floating IP.
    let fip = vpc
        .create_floating_ip(
            &CreateFloatingIp {
                name: Some("onramp-jump-ip".into()),
                target: Some(IdRef::new(&nic.id)),
                zone: None,
                resource_group: Some(IdRef::new(&group)),
            },
            Idempotency::Unsafe,
        )
        .await
        .unwrap();
    let fip = eventually("floating IP available", || {
        let (vpc, id) = (&vpc, fip.id.as_str());
        async move {
            let got = vpc.get_floating_ip(id).await.unwrap();
            (got.status == Some(ResourceStatus::Available)).then_some(got)
        }
    })
    .await;

    // Security group rules: SSH in to the VSI, 5432 from the subnet to the VPE.
    let sg = vpc.default_security_group(&network.id).await.unwrap();
    for (port, cidr) in [
        (22, "0.0.0.0/0".to_owned()),
        (5432, subnet.ipv4_cidr_block.clone().expect("a CIDR")),
    ] {
        vpc.create_security_group_rule(
            &sg.id,
            &CreateSecurityGroupRule {
                direction: RuleDirection::Inbound,
                protocol: RuleProtocol::Tcp,
                port_min: Some(port),
                port_max: Some(port),
                remote: Some(RuleEnd {
                    cidr_block: Some(cidr),
                    ..RuleEnd::default()
                }),
                local: None,
                ip_version: Some("ipv4".into()),
                name: Some(format!("onramp-{port}")),
            },
            Idempotency::Unsafe,
        )
        .await
        .unwrap();
    }

    // The VPE to the database.
    let gateway = vpc
        .create_endpoint_gateway(
            &CreateEndpointGateway {
                name: Some("onramp-vpe".into()),
                vpc: IdRef::new(&network.id),
                target: EndpointGatewayTargetPrototype {
                    crn: Some(database.crn.clone()),
                    name: None,
                    resource_type: "provider_cloud_service".into(),
                },
                ips: vec![EndpointGatewayIpPrototype {
                    subnet: Some(IdRef::new(&subnet.id)),
                    name: Some("onramp-vpe-ip".into()),
                    ..EndpointGatewayIpPrototype::default()
                }],
                security_groups: vec![IdRef::new(&sg.id)],
                resource_group: Some(IdRef::new(&group)),
                dns_resolution_binding_mode: None,
            },
            Idempotency::Unsafe,
        )
        .await
        .unwrap();
    let gateway = eventually("VPE stable", || {
        let (vpc, id) = (&vpc, gateway.id.as_str());
        async move {
            let got = vpc.get_endpoint_gateway(id).await.unwrap();
            (got.lifecycle_state == Some(LifecycleState::Stable)).then_some(got)
        }
    })
    .await;

    World {
        user_key,
        host_key: host_key.public_line().to_owned(),
        fip: fip.address.expect("an address"),
        vpe_ip: gateway.ips[0].address.clone().expect("a VPE IP"),
        vpe_id: gateway.id.clone(),
        host_name,
        db_user,
        database: database_name,
        password,
        ca_pem,
    }
}

fn base64_decode(text: &str) -> Option<Vec<u8>> {
    // A small decoder, so the test needs no base64 crate.
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for c in text
        .bytes()
        .filter(|c| !c.is_ascii_whitespace() && *c != b'=')
    {
        let v = ALPHABET.iter().position(|a| *a == c)? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

impl World {
    fn input(&self, env: &Env) -> DoctorInput {
        DoctorInput {
            network: env.network.clone(),
            http: env.http.clone(),
            jump_host: self.fip.clone(),
            jump_port: 22,
            ssh_user: "root".into(),
            private_key: self.user_key.private_openssh.clone(),
            host_key: self.host_key.clone(),
            vpe_ip: self.vpe_ip.clone(),
            host_name: self.host_name.clone(),
            database: self.database.clone(),
            user: self.db_user.clone(),
            password: self.password.clone(),
            ca_pem: Some(self.ca_pem.clone()),
        }
    }

    /// The same path as IBM Cloud mode sees it (no address map, DNS not checkable), with
    /// the jump's loopback socket standing in for the floating IP.
    fn direct_input(&self, env: &Env) -> DoctorInput {
        let jump = env
            .sandbox
            .addresses()
            .into_iter()
            .find(|a| a.address == self.fip && a.port == 22)
            .expect("the floating IP is mapped")
            .target;
        DoctorInput {
            network: Network::Direct,
            jump_host: jump.ip().to_string(),
            jump_port: jump.port(),
            ..self.input(env)
        }
    }
}

/// Runs the doctor and checks that stages were reported as they ran.
async fn diagnose(input: &DoctorInput) -> DoctorReport {
    let mut seen = Vec::new();
    let report = doctor::run(input, |stage| seen.push((stage.kind, stage.status))).await;
    for stage in &report.stages {
        if stage.status != StageStatus::Skipped {
            assert!(
                seen.contains(&(stage.kind, StageStatus::Running)),
                "{:?} was not reported as running: {seen:?}",
                stage.kind
            );
        }
        assert!(seen.contains(&(stage.kind, stage.status)), "{seen:?}");
    }
    report
}

/// Asserts the doctor stopped at `kind`, and that its cause contains every word given.
fn assert_failed_at(report: &DoctorReport, kind: StageKind, words: &[&str]) {
    let failed = report
        .first_failure()
        .unwrap_or_else(|| panic!("nothing failed: {report:#?}"));
    assert_eq!(failed.kind, kind, "{report:#?}");
    let cause = failed.cause.as_deref().unwrap_or_default();
    for word in words {
        assert!(
            cause.contains(word),
            "cause {cause:?} does not name {word:?}"
        );
    }
    assert!(failed.fix.as_deref().is_some_and(|f| !f.is_empty()));
    let after: Vec<_> = report
        .stages
        .iter()
        .skip_while(|s| s.kind != kind)
        .skip(1)
        .map(|s| s.status)
        .collect();
    assert!(
        after.iter().all(|s| *s == StageStatus::Skipped),
        "{report:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_doctor_passes_through_the_sandbox_and_names_each_broken_hop() {
    with_sandbox(Duration::from_secs(240), |env| async move {
        let world = build_world(&env).await;

        // All five stages pass, and SELECT 1 is 1.
        let report = diagnose(&world.input(&env)).await;
        assert!(report.passed(), "{report:#?}");
        assert_eq!(report.select_one, Some(1));

        // The tunnel by itself, then a session through it as the Manager user.
        let jump = env
            .network
            .resolve(&env.http, &world.fip, 22)
            .await
            .unwrap();
        assert!(jump.ip().is_loopback());
        let tunnel = Tunnel::open(TunnelConfig {
            jump,
            user: "root".into(),
            private_key: world.user_key.private_openssh.clone(),
            host_key: world.host_key.clone(),
            target_host: world.vpe_ip.clone(),
            target_port: 5432,
            idle_timeout: Duration::from_secs(60),
        })
        .await
        .unwrap();
        assert_eq!(tunnel.local_addr().ip().to_string(), "127.0.0.1");
        let session = PgSession::connect(
            tunnel.local_addr(),
            &PgTarget {
                host_name: world.host_name.clone(),
                database: world.database.clone(),
                user: world.db_user.clone(),
                password: world.password.clone(),
                ca_pem: Some(world.ca_pem.clone()),
            },
        )
        .await
        .unwrap();
        let row = session
            .client()
            .query_one(
                "SELECT current_user::text, ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
                &[],
            )
            .await
            .unwrap();
        assert_eq!(row.get::<_, String>(0), world.db_user);
        assert!(row.get::<_, bool>(1), "the session is not TLS");
        drop(session);
        tunnel.close().await;

        // A user key the VSI was not created with.
        let mut input = world.input(&env);
        let stranger = generate_user_key("stranger").unwrap();
        input.private_key = stranger.private_openssh.clone();
        assert_failed_at(
            &diagnose(&input).await,
            StageKind::Tcp,
            &["refused the SSH key", &stranger.fingerprint],
        );

        // A pinned host key that is not the one user_data installed.
        let mut input = world.input(&env);
        let other = generate_host_key().unwrap();
        input.host_key = other.public_line().to_owned();
        assert_failed_at(
            &diagnose(&input).await,
            StageKind::Tcp,
            &["host key", &other.pair.fingerprint],
        );

        // A wrong password: PostgreSQL's 28P01.
        let mut input = world.input(&env);
        input.password = Sensitive::new("not-the-password".into());
        assert_failed_at(
            &diagnose(&input).await,
            StageKind::Login,
            &["28P01", &world.db_user],
        );

        // A floating IP the sandbox does not know: refused without dialling it.
        let mut input = world.input(&env);
        input.jump_host = "198.51.100.77".into();
        assert_failed_at(
            &diagnose(&input).await,
            StageKind::Tcp,
            &["198.51.100.77:22", "not an address in the sandbox"],
        );

        // The wrong host name for TLS (IBM Cloud mode, where DNS cannot be checked from
        // here): verify-full names both the expected name and the certificate's.
        let mut input = world.direct_input(&env);
        input.host_name = "wrong.private.example.appdomain.cloud".into();
        let report = diagnose(&input).await;
        assert_eq!(report.stage(StageKind::Dns).status, StageStatus::Skipped);
        assert_failed_at(
            &report,
            StageKind::Tls,
            &["wrong.private.example.appdomain.cloud", &world.host_name],
        );
        // The right name passes the same way.
        let report = diagnose(&world.direct_input(&env)).await;
        assert_eq!(
            report.stage(StageKind::Query).status,
            StageStatus::Passed,
            "{report:#?}"
        );

        // The VPE deleted: inside the VPC the name no longer leads to it (sandbox), and the
        // jump VSI's channel to 5432 is refused (IBM Cloud mode).
        env.cloud
            .vpc(REGION)
            .unwrap()
            .delete_endpoint_gateway(&world.vpe_id)
            .await
            .unwrap();
        assert_failed_at(
            &diagnose(&world.input(&env)).await,
            StageKind::Dns,
            &["VPE", &world.vpe_ip],
        );
        let report = diagnose(&world.direct_input(&env)).await;
        assert_failed_at(
            &report,
            StageKind::Tcp,
            &[
                "could not open a connection",
                &format!("{}:5432", world.vpe_ip),
            ],
        );
        assert!(report
            .stage(StageKind::Tcp)
            .fix
            .as_deref()
            .unwrap_or_default()
            .contains("VPE"));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_sandbox_mode_nothing_unmapped_is_dialled() {
    with_sandbox(Duration::from_secs(60), |env| async move {
        // A fresh sandbox maps nothing: every stage that would need a socket stops at the
        // address map, before any connection.
        let key = generate_user_key("x").unwrap();
        let host = generate_host_key().unwrap();
        let input = DoctorInput {
            network: env.network.clone(),
            http: env.http.clone(),
            jump_host: "203.0.113.10".into(),
            jump_port: 22,
            ssh_user: "root".into(),
            private_key: key.private_openssh.clone(),
            host_key: host.public_line().to_owned(),
            vpe_ip: "10.240.0.5".into(),
            host_name: "0000.private.uhp.postgresql.ca-mon.dataservices.appdomain.cloud".into(),
            database: "postgres".into(),
            user: "nobody".into(),
            password: Sensitive::new("x".into()),
            ca_pem: None,
        };
        let report = diagnose(&input).await;
        assert_failed_at(&report, StageKind::Dns, &["not an address in the sandbox"]);
        for (host, port) in [
            ("203.0.113.10", 22),
            ("10.240.0.5", 5432),
            ("example.com", 443),
        ] {
            let error = env
                .network
                .resolve(&env.http, host, port)
                .await
                .unwrap_err();
            assert!(
                error.message.contains("not an address in the sandbox"),
                "{}",
                error.message
            );
        }
    })
    .await;
}
