//! The plan's exports (issue 17), checked against the contract's oracle rather than by eye:
//! the Terraform form against the provider 2.5.0 schema (arguments, blocks, timeouts,
//! drift after import, `terraform fmt` layout), the CLI form against the `ibmcloud`
//! reference and shellcheck, and every form for secrets. After a real apply on the
//! sandbox, every resource the journal says the plan made has exactly one `import` block,
//! with the id in the provider's form.

mod support;

use onramp_export_oracle::{
    check_cli, check_terraform, imports, shellcheck, CliReference, TerraformSchema,
};
use onramp_onboarding::{
    connectivity::{SshKeyChoice, SubnetChoice, VpcChoice},
    engine::{Outcome, StepStatus},
    export::{export, ExportFormat, Known},
    journal::{Owner, Phase, StepId},
    observability::{ActivityChoice, MonitoringChoice, MonitoringPlan, Observability},
    plan::{Authorization, DraftPlan, Encryption, KeyProtectChoice},
    vault,
};

use support::Env;

/// Everything the plan can route, confirmed.
fn observed(plan: &mut DraftPlan) {
    plan.observability = Some(Observability {
        monitoring: MonitoringChoice::Create {
            plan: MonitoringPlan::GraduatedTier,
        },
        confirmed_metadata_region: Some(plan.location.clone()),
        activity: ActivityChoice::Create,
        confirmed_activity_region: Some(plan.location.clone()),
        platform_logs: true,
        confirmed_logs_region: Some(plan.location.clone()),
    });
}

/// The same plan using what the user already has: VPC, subnet, key and instances.
fn chosen(plan: &DraftPlan) -> DraftPlan {
    let mut p = plan.clone();
    let c = p.connectivity.as_mut().unwrap();
    c.vpc = VpcChoice::Existing {
        id: "r038-team-vpc".into(),
        name: "team-vpc".into(),
    };
    c.subnet = SubnetChoice::Existing {
        id: "0737-team-subnet".into(),
        name: "team-subnet".into(),
    };
    c.ssh_key = SshKeyChoice::Existing {
        id: "r038-team-key".into(),
        name: "team-key".into(),
    };
    let o = p.observability.as_mut().unwrap();
    o.monitoring = MonitoringChoice::Existing {
        crn: "crn:v1:bluemix:public:sysdig-monitor:ca-mon:a/acc:1111aaaa-0000-4000-8000-000000000001::"
            .into(),
        name: "team-monitoring".into(),
    };
    o.activity = ActivityChoice::Existing {
        crn: "crn:v1:bluemix:public:logs:ca-mon:a/acc:2222bbbb-0000-4000-8000-000000000002::"
            .into(),
        name: "team-logs".into(),
    };
    p
}

fn assert_clean(what: &str, problems: Vec<String>, text: &str) {
    assert!(
        problems.is_empty(),
        "{what}:\n{}\n---\n{text}",
        problems.join("\n")
    );
}

fn check_forms(
    plan: &DraftPlan,
    state: Option<&onramp_onboarding::journal::JournalState>,
) -> (String, String) {
    let known = Known {
        resource_group_name: Some("Default"),
        account_id: Some("acc"),
    };
    let tf = export(plan, state, known, ExportFormat::Terraform).unwrap();
    assert_clean(
        "terraform",
        check_terraform(&tf.text, &TerraformSchema::vendored()),
        &tf.text,
    );
    let cli = export(plan, state, known, ExportFormat::Cli).unwrap();
    assert_clean(
        "cli",
        check_cli(&cli.text, &CliReference::vendored()),
        &cli.text,
    );
    let lint =
        shellcheck(&cli.text).expect("shellcheck is installed (./onramp.sh test installs it)");
    assert_clean("shellcheck", lint, &cli.text);
    (tf.text, cli.text)
}

#[tokio::test]
async fn every_form_of_a_plan_passes_the_oracle_before_apply() {
    let env = Env::start("export-before", "", 1.0).await;
    let mut plan = env.path_plan("pg-exported").await;
    plan.connectivity.as_mut().unwrap().restrict = true;
    observed(&mut plan);
    let (tf, cli) = check_forms(&plan, None);
    // Before apply nothing is imported, and every resource the plan makes is declared.
    assert!(imports(&tf).unwrap().is_empty());
    for kind in [
        "ibm_resource_instance\" \"database",
        "ibm_resource_key\" \"manager",
        "ibm_is_vpc\" \"vpc",
        "ibm_is_instance\" \"jump",
        "ibm_is_virtual_endpoint_gateway",
        "ibm_cbr_rule",
        "ibm_metrics_router_route",
        "ibm_atracker_route",
        "ibm_logs_router_route",
    ] {
        assert!(tf.contains(kind), "{kind} missing:\n{tf}");
    }
    assert!(cli.contains("ibmcloud resource service-instance-create pg-exported databases-for-postgresql standard-gen2"));

    // Bring your own key: the authorization the plan creates, and the key in the body.
    let mut byok = plan.clone();
    byok.encryption = Encryption::KeyProtect(KeyProtectChoice {
        instance_guid: "5c1a3f2e-0000-4000-8000-00000000aaaa".into(),
        instance_name: "team-keys".into(),
        region: plan.location.clone(),
        key_crn:
            "crn:v1:bluemix:public:kms:ca-mon:a/acc:5c1a3f2e-0000-4000-8000-00000000aaaa:key:root-1"
                .into(),
        key_name: "root".into(),
        authorization: Authorization::Create,
    });
    let (tf, cli) = check_forms(&byok, None);
    assert!(
        tf.contains("resource \"ibm_iam_authorization_policy\" \"kms\""),
        "{tf}"
    );
    assert!(tf.contains("key:root-1") && cli.contains("key:root-1"));
    assert!(cli.contains("authorization-policy-create databases-for-postgresql kms"));

    // What the user chose is used by id and never declared as a resource.
    let (tf, cli) = check_forms(&chosen(&plan), None);
    for id in ["r038-team-vpc", "0737-team-subnet", "r038-team-key"] {
        assert!(tf.contains(id) && cli.contains(id), "{id}");
    }
    assert!(!tf.contains("resource \"ibm_is_vpc\""));
    assert!(!tf.contains("resource \"ibm_resource_instance\" \"monitoring\""));
    assert!(!cli.contains("is vpc-create"));
    env.stop().await;
}

#[tokio::test]
async fn after_apply_terraform_imports_exactly_what_the_plan_made_and_no_secret_leaks() {
    let env = Env::start("export-after", "", 1.0).await;
    let mut plan = env.path_plan("pg-handover").await;
    plan.connectivity.as_mut().unwrap().restrict = true;
    observed(&mut plan);
    let progress = env.apply(&plan, false).await;
    assert_eq!(progress.outcome, Some(Outcome::Succeeded), "{progress:#?}");
    let state = env.journal(&plan.id);
    let (tf, cli) = check_forms(&state.plan, Some(&state));

    let imported = imports(&tf).unwrap();
    let made: Vec<(StepId, String)> = state
        .steps
        .iter()
        .filter(|(_, r)| {
            matches!(r.owner, Some(Owner::Made | Owner::Proved)) && r.phase == Phase::Ready
        })
        .map(|(s, r)| (*s, r.id.clone().unwrap()))
        .collect();
    assert!(made.len() >= 20, "{made:?}");
    for (step, id) in &made {
        let record = state.step(*step);
        let expected = match step {
            StepId::SshRule | StepId::PostgresRule => {
                format!("{}.{id}", record.detail["securityGroupId"])
            }
            StepId::ManagerKey => record.detail["crn"].clone(),
            _ => id.clone(),
        };
        let hits: Vec<_> = imported.iter().filter(|(_, i)| *i == expected).collect();
        assert_eq!(
            hits.len(),
            1,
            "{step:?} ({expected}) imported {hits:?}:\n{tf}"
        );
    }
    assert_eq!(
        imported.len(),
        made.len(),
        "an import for something not made: {imported:?}"
    );
    // Settings are account-wide and kept: never imported.
    assert!(!tf.contains("ibm_metrics_router_settings"));

    // No secret in any form: the API key, the generated private key, the credential's
    // password.
    let mut secrets = vec![env.sandbox.account().api_key.clone()];
    let ssh = vault::read(&env.keychain, &vault::entry::ssh_key(&plan.id))
        .await
        .unwrap()
        .expect("the generated private key is in the keychain");
    secrets.push(ssh.expose().clone());
    let key = state.step(StepId::ManagerKey);
    let credential = vault::read(&env.keychain, key.keychain_entry.as_deref().unwrap())
        .await
        .unwrap()
        .expect("the credential is in the keychain");
    let password = serde_json::from_str::<serde_json::Value>(credential.expose())
        .ok()
        .and_then(|v| v["password"].as_str().map(str::to_owned))
        .expect("the credential holds a password");
    secrets.push(password);
    for text in [&tf, &cli] {
        for secret in &secrets {
            assert!(!text.contains(secret.as_str()), "a secret is in an export");
        }
        assert!(!text.contains("PRIVATE KEY"));
    }
    let ready = progress
        .steps
        .iter()
        .filter(|s| s.status == StepStatus::Ready)
        .count();
    assert!(ready >= made.len());
    env.stop().await;
}

/// Runs the curl export with bash, curl and jq against the sandbox, as a user would with
/// the sandbox's endpoints: what it prints on failure is the script's own stderr. (Async:
/// the sandbox answers on this test's runtime.)
async fn run_script(env: &Env, script: &str, dir: &std::path::Path) -> std::process::Output {
    let path = dir.join("plan-curl.sh");
    std::fs::write(&path, script).unwrap();
    let endpoints: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(env.sandbox.endpoints_path()).unwrap())
            .unwrap();
    let region = &endpoints["regions"]["ca-mon"];
    let url = |v: &serde_json::Value| v.as_str().unwrap().to_owned();
    tokio::process::Command::new("bash")
        .arg(&path)
        .env("IBMCLOUD_API_KEY", &env.sandbox.account().api_key)
        .env("IAM_URL", url(&endpoints["iam"]))
        .env("RC_URL", url(&endpoints["resource_controller"]))
        .env("GC_URL", url(&endpoints["global_catalog"]))
        .env("CBR_URL", url(&endpoints["cbr"]))
        .env("VPC_URL", url(&region["vpc"]))
        .env("METRICS_ROUTER_URL", url(&region["metrics_router"]))
        .env("ATRACKER_URL", url(&region["atracker"]))
        .env("LOGS_ROUTER_URL", url(&region["logs_router"]))
        .env("SSH_PUBLIC_KEY_FILE", dir.join("login.pub"))
        .env("WAIT_SECONDS", "0.2")
        .output()
        .await
        .unwrap()
}

/// How many of each thing the plan makes carry its names in the sandbox.
async fn made(env: &Env, plan: &DraftPlan) -> Vec<(&'static str, usize)> {
    use onramp_cloud::rc::InstanceFilter;
    let rc = env.cloud.resource_controller().unwrap();
    let named = |name: String| InstanceFilter {
        name: Some(name),
        ..InstanceFilter::default()
    };
    let c = plan.connectivity.as_ref().unwrap();
    let vpc = env.cloud.vpc(&plan.location).unwrap();
    let count_rc = |n: Vec<onramp_cloud::rc::ResourceInstance>| n.len();
    vec![
        (
            "database",
            count_rc(rc.list_instances(&named(plan.name.clone())).await.unwrap()),
        ),
        (
            "monitoring",
            count_rc(
                rc.list_instances(&named(format!("{}-monitoring", plan.name)))
                    .await
                    .unwrap(),
            ),
        ),
        (
            "logs",
            count_rc(
                rc.list_instances(&named(format!("{}-logs", plan.name)))
                    .await
                    .unwrap(),
            ),
        ),
        (
            "vpc",
            vpc.list_vpcs(None)
                .await
                .unwrap()
                .iter()
                .filter(|v| v.name == c.vpc_name())
                .count(),
        ),
        (
            "floating ip",
            vpc.list_floating_ips()
                .await
                .unwrap()
                .iter()
                .filter(|f| f.name == format!("{}-ip", c.jump.name))
                .count(),
        ),
        (
            "metrics route",
            env.cloud
                .metrics_router(&plan.location)
                .unwrap()
                .list_routes()
                .await
                .unwrap()
                .len(),
        ),
        (
            "activity route",
            env.cloud
                .atracker(&plan.location)
                .unwrap()
                .list_routes()
                .await
                .unwrap()
                .len(),
        ),
        (
            "logs route",
            env.cloud
                .logs_router(&plan.location)
                .unwrap()
                .list_routes()
                .await
                .unwrap()
                .len(),
        ),
    ]
}

#[tokio::test]
async fn the_curl_script_makes_the_plan_on_the_sandbox_and_a_second_run_stops_clearly() {
    let env = Env::start("export-curl", "", 1.0).await;
    let mut plan = env.path_plan("pg-curl").await;
    plan.connectivity.as_mut().unwrap().restrict = true;
    observed(&mut plan);
    let known = Known {
        resource_group_name: None,
        account_id: Some(&env.account_id),
    };
    let script = export(&plan, None, known, ExportFormat::Curl).unwrap().text;
    let dir = tempfile::tempdir().unwrap();
    let keygen = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(dir.path().join("login"))
        .status()
        .unwrap();
    assert!(keygen.success());

    let first = run_script(&env, &script, dir.path()).await;
    assert!(
        first.status.success(),
        "the script failed:\n{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let after_first = made(&env, &plan).await;
    for (what, n) in &after_first {
        assert_eq!(*n, 1, "{what}: {after_first:?}");
    }
    // The jump server is running and the gateway reaches the database, as apply leaves them.
    let vpc = env.cloud.vpc(&plan.location).unwrap();
    let gateways = vpc.list_endpoint_gateways(None, None).await.unwrap();
    let vpe = gateways
        .iter()
        .find(|g| g.name == plan.connectivity.as_ref().unwrap().vpe_name)
        .expect("the VPE exists");
    let database = env
        .cloud
        .resource_controller()
        .unwrap()
        .list_instances(&onramp_cloud::rc::InstanceFilter {
            name: Some(plan.name.clone()),
            ..Default::default()
        })
        .await
        .unwrap()
        .remove(0);
    assert_eq!(
        vpe.target.as_ref().and_then(|t| t.crn.clone()),
        Some(database.crn.clone())
    );
    assert!(database.is_ready(), "{database:?}");

    // A second run stops at the first thing that exists, saying so, and makes nothing.
    let second = run_script(&env, &script, dir.path()).await;
    assert!(!second.status.success());
    let said = String::from_utf8_lossy(&second.stderr);
    assert!(said.contains("already exists"), "{said}");
    assert_eq!(made(&env, &plan).await, after_first);
    assert!(!String::from_utf8_lossy(&first.stdout).contains(&env.sandbox.account().api_key));
    env.stop().await;
}
