//! The Connect step against a real sandbox (a real sshd behind the jump VSI, a real
//! PostgreSQL behind the VPE) and the real keychain, the way the app does it: the target
//! comes from the journal and the keychain; the commands the step shows are run as shown,
//! with OpenSSH's `ssh -L` and `psql`; the doctor passes, then each broken hop is provoked
//! for real (a security-group rule removed, the floating IP unbound, the VPE deleted, a
//! wrong key, a wrong host key) and the doctor names it with the cloud's confirmation.

mod support;

use std::{
    net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream},
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use onramp_cloud::{
    vpc::{CreateSecurityGroupRule, RuleDirection, RuleEnd, RuleProtocol, VpcClient},
    Network,
};
use onramp_connect::{
    doctor::{DoctorReport, StageKind, StageStatus},
    postgres::{PgSession, PgTarget},
    Tunnel, TunnelConfig,
};
use onramp_onboarding::{
    connect::{self, CommandInputs, ConnectFiles, Target},
    engine::Outcome,
    journal::{JournalState, StepId},
    plan::DraftPlan,
};

use support::{all_text, Env};

fn vpc(env: &Env, region: &str) -> VpcClient {
    env.cloud.vpc(region).unwrap()
}

async fn path_plan(env: &Env, name: &str) -> DraftPlan {
    let mut plan = env.plan(name).await;
    let options = connect::connectivity_options(&env.cloud, &plan.location, &plan.id, true)
        .await
        .unwrap();
    // What the Connectivity step starts from in the sandbox needs nothing more.
    assert!(!options.suggested.jump.image_id.is_empty());
    assert_eq!(options.suggested.ssh_cidr, "127.0.0.1/32");
    assert!(
        options.images[0].name.starts_with("ibm-ubuntu"),
        "{:?}",
        options.images
    );
    assert_eq!(options.profiles[0].name, "bx2-2x8");
    plan.connectivity = Some(options.suggested);
    plan
}

fn network(env: &Env) -> Network {
    Network::from_endpoints_file(env.sandbox.endpoints_path()).unwrap()
}

fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_for_port(port: u16, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("ssh exited early: {status}");
        }
        if TcpStream::connect(SocketAddr::from(([127, 0, 0, 1], port))).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("nothing listens on 127.0.0.1:{port}");
}

/// Runs a command line the Connect step shows, plus `extra`, with the password in the
/// environment (as a user would type it at psql's prompt).
fn shell(line: &str, extra: &str, password: &str) -> std::process::Output {
    Command::new("sh")
        .arg("-c")
        .arg(format!("{line} {extra}"))
        .env("PGPASSWORD", password)
        .env("PGCONNECT_TIMEOUT", "15")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

const WHO: &str =
    "-At -c \"SELECT current_user, s.ssl FROM pg_stat_ssl s WHERE s.pid = pg_backend_pid()\"";

async fn doctor(env: &Env, state: &JournalState, target: &Target) -> DoctorReport {
    let input = target.doctor_input(network(env), onramp_cloud::HttpClient::new().unwrap());
    let mut seen = Vec::new();
    let report = connect::run_doctor(&env.cloud, state, &input, |s| seen.push(s.clone())).await;
    // Every stage was announced as running before its outcome.
    for stage in &report.stages {
        if stage.status != StageStatus::Skipped {
            assert!(
                seen.iter()
                    .any(|s| s.kind == stage.kind && s.status == StageStatus::Running),
                "{:?} was not announced",
                stage.kind
            );
        }
    }
    report
}

fn failed_at(report: &DoctorReport, kind: StageKind, words: &[&str]) {
    let failure = report
        .first_failure()
        .unwrap_or_else(|| panic!("the doctor passed: {report:#?}"));
    assert_eq!(failure.kind, kind, "{report:#?}");
    let text = format!(
        "{} {}",
        failure.cause.as_deref().unwrap_or_default(),
        failure.fix.as_deref().unwrap_or_default()
    );
    for word in words {
        assert!(text.contains(word), "{word:?} not in {text:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_the_connect_step_shows_works_and_the_doctor_names_each_broken_hop() {
    let env = Env::start("connect", "", 1.0).await;
    let plan = path_plan(&env, "pg-connect").await;
    let region = plan.location.clone();
    let done = env.apply(&plan, false).await;
    assert_eq!(done.outcome, Some(Outcome::Succeeded), "{done:#?}");
    let state = env.journal(&plan.id);

    // Before anything else: the commands need no secret, the tunnel and doctor need both.
    let public = Target::load(&state, &env.keychain, None, false)
        .await
        .unwrap();
    assert!(public.private_key.expose().is_empty());
    let target = Target::load(&state, &env.keychain, None, true)
        .await
        .unwrap();
    assert!(target.private_key.expose().contains("PRIVATE KEY"));

    let files = ConnectFiles::write(env.data.path(), &target).unwrap();
    let jump_socket = network(&env)
        .resolve(
            &onramp_cloud::HttpClient::new().unwrap(),
            &target.jump_address,
            22,
        )
        .await
        .unwrap();
    assert!(jump_socket.ip().is_loopback());

    // OpenSSH: save the key where the step suggests, then run its ssh and psql lines.
    let home = tempfile::tempdir().unwrap();
    let key_file = connect::default_key_file(home.path(), &plan.id);
    connect::save_private_key(&key_file, &target.private_key).unwrap();
    let port = free_port();
    let shown = connect::commands(&CommandInputs {
        target: &target,
        files: &files,
        jump_socket,
        local_port: port,
        key_file: Some(&key_file),
    });
    let ssh_line = shown.ssh.clone().expect("an ssh command");
    assert!(ssh_line.contains(&format!("HostKeyAlias={}", target.jump_address)));
    assert!(shown.psql.contains(&format!("host={}", target.host_name)));
    assert!(shown.psql.contains("hostaddr=127.0.0.1"));
    assert!(shown.psql.contains("sslmode=verify-full"));
    let mut ssh = Command::new("sh")
        .arg("-c")
        .arg(format!("exec {ssh_line} -o BatchMode=yes"))
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_port(port, &mut ssh);
    let password = target.credential.password.expose().clone();
    let out = shell(&shown.psql, WHO, &password);
    let _ = ssh.kill();
    let _ = ssh.wait();
    assert!(
        out.status.success(),
        "psql failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("{}|t", target.credential.username)
    );
    // The connection string says the same to libpq.
    let out = shell(
        &format!("psql '{}'", shown.connection_string),
        WHO,
        &password,
    );
    assert!(
        !out.status.success(),
        "the tunnel is closed, so this must fail"
    );

    // Onramp's own tunnel with the psql line shown for it.
    let tunnel = Tunnel::open(TunnelConfig {
        jump: jump_socket,
        user: target.path.ssh_user.clone(),
        private_key: target.private_key.clone(),
        host_key: target.host_key.clone(),
        target_host: target.vpe_address.clone(),
        target_port: 5432,
        idle_timeout: Duration::from_secs(60),
    })
    .await
    .unwrap();
    let through = connect::commands(&CommandInputs {
        target: &target,
        files: &files,
        jump_socket,
        local_port: tunnel.local_addr().port(),
        key_file: None,
    });
    assert!(through.ssh.is_none());
    for line in [
        through.psql.clone(),
        format!("psql '{}'", through.connection_string),
    ] {
        let out = shell(&line, WHO, &password);
        assert!(
            out.status.success(),
            "{line}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            format!("{}|t", target.credential.username)
        );
    }
    // Verify-full is real: the same line with another host name fails on the certificate.
    let wrong = through
        .psql
        .replace(&target.host_name, "another.private.example.appdomain.cloud");
    let out = shell(&wrong, WHO, &password);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("another.private.example.appdomain.cloud"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The first query, as the step runs it.
    let session = PgSession::connect(
        tunnel.local_addr(),
        &PgTarget {
            host_name: target.host_name.clone(),
            database: target.credential.database.clone(),
            user: target.credential.username.clone(),
            password: target.credential.password.clone(),
            ca_pem: target.credential.ca_pem.clone(),
        },
    )
    .await
    .unwrap();
    let go = tokio_util::sync::CancellationToken::new();
    let first = connect::run_query(&session, connect::FIRST_QUERY, &go)
        .await
        .unwrap();
    assert_eq!(
        first.columns,
        ["user", "database", "server", "tls", "cipher"]
    );
    assert_eq!(first.row_count, 1);
    assert_eq!(
        first.rows[0][0].as_deref(),
        Some(target.credential.username.as_str())
    );
    assert!(first.rows[0][2]
        .as_deref()
        .unwrap_or_default()
        .starts_with("PostgreSQL "));
    assert!(first.rows[0][3]
        .as_deref()
        .unwrap_or_default()
        .starts_with("TLSv1."));
    // A query with no end is stopped after the rows the window shows.
    let started = Instant::now();
    let many = connect::run_query(
        &session,
        "SELECT generate_series(1, 1000000000) AS g, NULL AS nothing",
        &go,
    )
    .await
    .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "stopped, not run to the end"
    );
    assert_eq!(many.rows.len(), connect::QUERY_ROW_LIMIT);
    assert!(
        many.stopped
            .as_deref()
            .is_some_and(|s| s.contains("more than 200 rows")),
        "{many:?}"
    );
    assert_eq!(many.rows[0], [Some("1".to_owned()), None]);
    // Wide rows stop at the byte limit; a long cell is cut and says by how much.
    let wide = connect::run_query(
        &session,
        "SELECT repeat('x', 5000) AS a, repeat('y', 5000) AS b FROM generate_series(1, 1000)",
        &go,
    )
    .await
    .unwrap();
    assert!(
        wide.rows.len() < connect::QUERY_ROW_LIMIT,
        "{}",
        wide.rows.len()
    );
    assert!(wide
        .stopped
        .as_deref()
        .is_some_and(|s| s.contains("KB of text")));
    assert!(wide.rows[0][0]
        .as_deref()
        .unwrap()
        .ends_with("(904 more characters)"));
    // The user stops a long statement; the session stays usable.
    let stop = tokio_util::sync::CancellationToken::new();
    let stopper = {
        let stop = stop.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            stop.cancel();
        })
    };
    let started = Instant::now();
    let slept = connect::run_query(&session, "SELECT pg_sleep(30)", &stop)
        .await
        .unwrap();
    stopper.await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(slept.stopped.as_deref(), Some("You stopped the query."));
    let after = connect::run_query(&session, "SELECT 1", &go).await.unwrap();
    assert_eq!(after.rows, [[Some("1".to_owned())]]);
    let bad = connect::run_query(&session, "SELEC 1", &go)
        .await
        .unwrap_err();
    assert_eq!(bad.field.as_deref(), Some(connect::QUERY_FIELD));
    assert!(bad.message.contains("42601"), "{}", bad.message);
    drop(session);
    tunnel.close().await;

    // The doctor: all five stages pass.
    let report = doctor(&env, &state, &target).await;
    assert!(report.passed(), "{report:#?}");
    assert_eq!(report.select_one, Some(1));

    // A wrong login key, and a host key other than the pinned one.
    let mut wrong_key = Target::load(&state, &env.keychain, None, true)
        .await
        .unwrap();
    wrong_key.private_key = onramp_connect::generate_user_key("x")
        .unwrap()
        .private_openssh;
    failed_at(
        &doctor(&env, &state, &wrong_key).await,
        StageKind::Tcp,
        &["refused the SSH key"],
    );
    let mut wrong_host = Target::load(&state, &env.keychain, None, true)
        .await
        .unwrap();
    wrong_host.host_key = onramp_connect::generate_host_key()
        .unwrap()
        .public_line()
        .to_owned();
    failed_at(
        &doctor(&env, &state, &wrong_host).await,
        StageKind::Tcp,
        &["host key", "Do not connect"],
    );

    // The rules that let the jump server reach the VPE on 5432 removed: Onramp's own and
    // the default group's "from this group" rule. The jump host can no longer reach the
    // VPE, and the doctor says which rule is missing.
    let vpc = vpc(&env, &region);
    let sg = state.step(StepId::PostgresRule).detail["securityGroupId"].clone();
    let group = vpc.get_security_group(&sg).await.unwrap();
    let removed: Vec<_> = group
        .rules
        .iter()
        .filter(|r| {
            r.direction == Some(RuleDirection::Inbound)
                && r.remote.as_ref().and_then(|e| e.id.as_deref()) == Some(sg.as_str())
        })
        .cloned()
        .collect();
    assert_eq!(removed.len(), 2, "{:?}", group.rules);
    for rule in &removed {
        vpc.delete_security_group_rule(&sg, &rule.id).await.unwrap();
    }
    let report = doctor(&env, &state, &target).await;
    failed_at(
        &report,
        StageKind::Tcp,
        &[
            "5432",
            "security-group rule",
            &plan.connectivity.as_ref().unwrap().postgres_rule_name(),
        ],
    );
    assert!(report
        .stage(StageKind::Tcp)
        .detail
        .contains("What the client saw"));
    // Put Onramp's rule back: the path works again.
    vpc.create_security_group_rule(
        &sg,
        &CreateSecurityGroupRule {
            direction: RuleDirection::Inbound,
            protocol: RuleProtocol::Tcp,
            port_min: Some(5432),
            port_max: Some(5432),
            remote: Some(RuleEnd {
                id: Some(sg.clone()),
                ..RuleEnd::default()
            }),
            local: None,
            ip_version: Some("ipv4".into()),
            name: Some(plan.connectivity.as_ref().unwrap().postgres_rule_name()),
        },
        onramp_cloud::Idempotency::Unsafe,
    )
    .await
    .unwrap();
    assert!(doctor(&env, &state, &target).await.passed());

    // The floating IP unbound from the jump server.
    let fip = state.step(StepId::FloatingIp).id.clone().unwrap();
    let jump = state.step(StepId::JumpVsi).id.clone().unwrap();
    let nic = state.step(StepId::JumpVsi).detail["networkInterfaceId"].clone();
    vpc.unbind_floating_ip(&jump, &nic, &fip).await.unwrap();
    failed_at(
        &doctor(&env, &state, &target).await,
        StageKind::Tcp,
        &["not bound", &target.jump_address],
    );
    vpc.bind_floating_ip(&jump, &nic, &fip).await.unwrap();
    assert!(doctor(&env, &state, &target).await.passed());

    // The VPE deleted.
    vpc.delete_endpoint_gateway(state.step(StepId::Vpe).id.as_deref().unwrap())
        .await
        .unwrap();
    let report = doctor(&env, &state, &target).await;
    failed_at(
        &report,
        StageKind::Dns,
        &[&format!(
            "VPE {} was deleted",
            plan.connectivity.as_ref().unwrap().vpe_name
        )],
    );
    assert!(report.stages[1..]
        .iter()
        .all(|s| s.status == StageStatus::Skipped));

    // Nothing Onramp wrote holds a secret, but the key file the user chose.
    let written = all_text(env.data.path());
    assert!(!written.contains("PRIVATE KEY"));
    assert!(!written.contains(&password));
    assert!(
        all_text(Path::new(&files.known_hosts.parent().unwrap())).contains(&target.jump_address)
    );
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_plans_with_default_names_in_one_region_never_meet_and_one_teardown_spares_the_other() {
    let env = Env::start("connect", "", 1.0).await;
    let first = path_plan(&env, "pg-first").await;
    let second = path_plan(&env, "pg-second").await;
    let (a, b) = (
        first.connectivity.as_ref().unwrap(),
        second.connectivity.as_ref().unwrap(),
    );
    assert_eq!(first.location, second.location, "one region");
    assert_ne!(
        a.vpc_name(),
        b.vpc_name(),
        "default names carry each plan's suffix"
    );
    assert_ne!(a.ssh_rule_name(), b.ssh_rule_name());

    let (one, two) = tokio::join!(env.apply(&first, false), env.apply(&second, false));
    assert_eq!(one.outcome, Some(Outcome::Succeeded), "{one:#?}");
    assert_eq!(two.outcome, Some(Outcome::Succeeded), "{two:#?}");

    let gone = env.teardown(&first.id).await;
    assert_eq!(gone.outcome, Some(Outcome::TornDown), "{gone:#?}");
    let state = env.journal(&second.id);
    let target = Target::load(&state, &env.keychain, None, true)
        .await
        .unwrap();
    let report = doctor(&env, &state, &target).await;
    assert!(
        report.passed(),
        "the second plan still reaches its database: {report:#?}"
    );
    let vpc = vpc(&env, &second.location);
    let left = vpc.list_vpcs(None).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].name, b.vpc_name());
    let rules: Vec<String> = vpc
        .default_security_group(&left[0].id)
        .await
        .unwrap()
        .rules
        .into_iter()
        .filter_map(|r| r.name)
        .collect();
    assert!(rules.contains(&b.ssh_rule_name()) && rules.contains(&b.postgres_rule_name()));
    assert_eq!(
        env.teardown(&second.id).await.outcome,
        Some(Outcome::TornDown)
    );
    env.stop().await;
}
