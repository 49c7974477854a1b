//! The typed clients against a real, in-process sandbox: every public method of every client
//! round-trips (create → get → list → delete where the API has them), the retry and
//! token-refresh rules hold under the sandbox's injected faults, and errors arrive mapped.
//!
//! Each test starts its own sandbox in a temporary state dir, runs its body under a time
//! limit, and always stops the sandbox afterwards (pass, fail or time-out), so no PostgreSQL
//! or SSH server outlives the test.

use std::{
    collections::BTreeSet,
    future::Future,
    path::Path,
    sync::Arc,
    time::{Duration, Instant},
};

use onramp_cloud::{
    catalog::{EntryKind, POSTGRESQL_GEN2_PLAN_ID, POSTGRESQL_SERVICE_ID},
    cbr::{
        AddressType, ApiType, Attribute, CreateRule, CreateZone, EnforcementMode, RuleContext,
        RuleFilter, RuleOperations, RuleResource, ZoneAddress, DATA_PLANE_API_TYPE,
    },
    iam_policy::{CreatePolicy, READER_ROLE},
    kms::{KeyFilter, KeyProtectKey, KeyState, KEY_PROTECT_RESOURCE_ID},
    rc::{
        CreateResourceInstance, CreateResourceKey, DataServicesParameters, EncryptionParameters,
        InstanceFilter, InstanceParameters, InstanceState, OperationState, OperationType,
        PostgresqlParameters, ResourceControllerClient, ResourceInstance, ResourceKey,
        ResourceKeyFilter, ResourceKeyState,
    },
    tagging::{
        AttachOptions, DetachOptions, SearchOptions, SearchRequest, TagFilter, TagRequest, TagType,
    },
    vpc::{
        CreateEndpointGateway, CreateFloatingIp, CreateInstance, CreateKey,
        CreateSecurityGroupRule, CreateSubnet, CreateVpc, EndpointGatewayIpPrototype,
        EndpointGatewayTargetPrototype, IdRef, ImageFilter, InstanceStatus, KeyType,
        LifecycleState, NameRef, NetworkInterfacePrototype, ResourceStatus, RuleDirection, RuleEnd,
        RuleProtocol, VpcClient,
    },
    Cloud, CloudError, Endpoints, ErrorKind, HttpClient, Idempotency, RetryPolicy,
};
use onramp_sandbox::{FaultSpec, RunningSandbox, SandboxConfig};
use onramp_secrets::Sensitive;
use serde_json::Value;

const REGION: &str = "ca-mon";
const ZONE: &str = "ca-mon-1";
const POLL_EVERY: Duration = Duration::from_millis(100);
const POLL_LIMIT: Duration = Duration::from_secs(60);
const KMS_SERVICE_NAME: &str = "kms";

// ================================================================ harness

/// One running sandbox and a signed-in client for it.
struct Env {
    sandbox: RunningSandbox,
    cloud: Cloud,
    endpoints: Endpoints,
    account_id: String,
    api_key: String,
    /// Holds the test's SSH key pair; the sandbox's own state dir is separate.
    scratch: tempfile::TempDir,
}

/// Retries quick enough for tests: millisecond backoff, but a `Retry-After` of a second or
/// two is still honoured in full (`max_delay` caps it).
fn quick_retries() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_secs(2),
        budget: Duration::from_secs(20),
    }
}

fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_test_writer()
        .try_init();
}

/// Starts a sandbox (databases provision as fast as PostgreSQL allows, `faults` in force
/// from the start), runs `body` with it under `limit`, then stops the sandbox whatever the
/// body did, and only then reports the body's panic or time-out.
async fn with_sandbox<F, Fut>(limit: Duration, faults: &str, body: F)
where
    F: FnOnce(Arc<Env>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    init_tracing();
    let state_dir = tempfile::tempdir().expect("a temporary state dir");
    let mut config = SandboxConfig::new(state_dir.path());
    config.provision_seconds = 0.0;
    config.faults = FaultSpec::parse(faults).expect("a valid fault spec");
    let sandbox = RunningSandbox::start(config)
        .await
        .expect("the sandbox starts");
    let endpoints = Endpoints::from_file(sandbox.endpoints_path()).expect("endpoints.json");
    let api_key = sandbox.account().api_key.clone();
    let account_id = sandbox.account().account_id.clone();
    let cloud = make_cloud(&endpoints, &api_key, quick_retries());
    let env = Arc::new(Env {
        sandbox,
        cloud,
        endpoints,
        account_id,
        api_key,
        scratch: tempfile::tempdir().expect("a scratch dir"),
    });

    let started = Instant::now();
    let mut task = tokio::spawn(body(env.clone()));
    let outcome = match tokio::time::timeout(limit, &mut task).await {
        Ok(joined) => Ok(joined),
        Err(_) => {
            task.abort();
            let _ = task.await;
            Err(())
        }
    };
    let elapsed = started.elapsed();

    let env = Arc::into_inner(env).expect("the test body released the sandbox");
    tokio::time::timeout(Duration::from_secs(60), env.sandbox.stop())
        .await
        .expect("the sandbox stops within a minute");
    drop(state_dir);
    match outcome {
        Ok(Ok(())) => eprintln!("test body took {elapsed:?}"),
        Ok(Err(joined)) if joined.is_panic() => std::panic::resume_unwind(joined.into_panic()),
        Ok(Err(joined)) => panic!("the test body did not finish: {joined}"),
        Err(()) => panic!("the test body did not finish within {limit:?}"),
    }
}

fn make_cloud(endpoints: &Endpoints, api_key: &str, policy: RetryPolicy) -> Cloud {
    let http = HttpClient::new()
        .expect("an HTTP client")
        .with_retry_policy(policy);
    Cloud::with_api_key(http, endpoints.clone(), Sensitive::new(api_key.to_owned()))
        .expect("a signed-in cloud")
}

/// What `GET /sandbox/faults` reports: how often each rule matched, and how many faults
/// were injected in all.
#[derive(Debug, PartialEq, Eq)]
struct FaultReport {
    counts: Vec<u64>,
    injected: u64,
}

impl Env {
    /// A second client with its own token cache and retry policy.
    fn cloud_with(&self, policy: RetryPolicy) -> Cloud {
        make_cloud(&self.endpoints, &self.api_key, policy)
    }

    fn rc(&self) -> ResourceControllerClient {
        self.cloud.resource_controller().expect("an RC client")
    }

    fn vpc(&self) -> VpcClient {
        self.cloud.vpc(REGION).expect("a VPC client")
    }

    /// Replaces the faults in force (and their counters).
    fn set_faults(&self, spec: &str) {
        self.sandbox
            .set_faults(FaultSpec::parse(spec).expect("a valid fault spec"));
    }

    /// `GET /sandbox/faults`, which needs no token.
    async fn faults(&self) -> FaultReport {
        let url = format!("http://{}/sandbox/faults", self.sandbox.addr());
        let report: Value = reqwest::get(&url)
            .await
            .expect("the fault report")
            .json()
            .await
            .expect("the fault report is JSON");
        FaultReport {
            counts: report["counts"]
                .as_array()
                .expect("counts")
                .iter()
                .map(|c| c.as_u64().expect("a count"))
                .collect(),
            injected: report["injected"].as_u64().expect("injected"),
        }
    }

    async fn default_group(&self) -> String {
        let groups = self
            .cloud
            .resource_manager()
            .unwrap()
            .list_resource_groups(&self.account_id, Some("Default"))
            .await
            .unwrap();
        assert_eq!(groups.len(), 1, "{groups:?}");
        groups[0].id.clone()
    }

    /// The GUID of the seeded Key Protect instance.
    async fn key_protect_guid(&self) -> String {
        let instances = self
            .rc()
            .list_instances(&InstanceFilter {
                resource_id: Some(KEY_PROTECT_RESOURCE_ID.into()),
                ..InstanceFilter::default()
            })
            .await
            .unwrap();
        assert_eq!(instances.len(), 1, "{instances:?}");
        assert_eq!(instances[0].region_id.as_deref(), Some(REGION));
        instances[0].guid.clone()
    }

    /// A fresh ed25519 public key in OpenSSH form.
    async fn ssh_public_key(&self, name: &str) -> String {
        let path = self.scratch.path().join(name);
        let status = tokio::process::Command::new("ssh-keygen")
            .args(["-t", "ed25519", "-N", "", "-q", "-C", name, "-f"])
            .arg(&path)
            .status()
            .await
            .expect("ssh-keygen runs");
        assert!(status.success(), "ssh-keygen failed: {status}");
        read_trimmed(&path.with_extension("pub"))
    }

    /// The authorization BYOK needs: databases-for-postgresql may read Key Protect keys.
    fn byok_policy(&self) -> CreatePolicy {
        CreatePolicy::authorization(
            &self.account_id,
            POSTGRESQL_SERVICE_ID,
            KMS_SERVICE_NAME,
            None,
            &[READER_ROLE],
            Some("Onramp test: PostgreSQL may read the disk key".into()),
        )
    }
}

fn read_trimmed(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .trim()
        .to_owned()
}

/// Calls `check` every [`POLL_EVERY`] until it returns something, for at most [`POLL_LIMIT`].
async fn eventually<T, Fut>(what: &str, mut check: impl FnMut() -> Fut) -> T
where
    Fut: Future<Output = Option<T>>,
{
    let started = Instant::now();
    loop {
        if let Some(done) = check().await {
            return done;
        }
        assert!(
            started.elapsed() < POLL_LIMIT,
            "{what}: not reached within {POLL_LIMIT:?}"
        );
        tokio::time::sleep(POLL_EVERY).await;
    }
}

fn database(
    name: &str,
    group: &str,
    parameters: Option<InstanceParameters>,
) -> CreateResourceInstance {
    CreateResourceInstance {
        name: name.into(),
        target: REGION.into(),
        resource_group: group.into(),
        resource_plan_id: POSTGRESQL_GEN2_PLAN_ID.into(),
        tags: vec!["onramp-test".into()],
        allow_cleanup: None,
        parameters,
    }
}

fn postgresql(members: u32, disk_key: Option<&str>) -> InstanceParameters {
    InstanceParameters {
        dataservices: DataServicesParameters {
            postgresql: Some(PostgresqlParameters {
                members: Some(members),
                ..PostgresqlParameters::default()
            }),
            encryption: disk_key.map(|crn| EncryptionParameters {
                disk: Some(crn.to_owned()),
            }),
            restore_backup_id: None,
        },
    }
}

/// Polls `get_instance` until provisioning finished, failing fast if it failed.
async fn wait_ready(rc: &ResourceControllerClient, guid: &str) -> ResourceInstance {
    eventually("database active", || async move {
        let instance = rc.get_instance(guid).await.unwrap();
        assert!(!instance.has_failed(), "provisioning failed: {instance:?}");
        instance.is_ready().then_some(instance)
    })
    .await
}

async fn wait_removed(rc: &ResourceControllerClient, guid: &str) -> ResourceInstance {
    eventually("database removed", || async move {
        let instance = rc.get_instance(guid).await.unwrap();
        (instance.state == Some(InstanceState::Removed)).then_some(instance)
    })
    .await
}

/// Makes a database, waits for it and returns it.
async fn ready_database(env: &Env, name: &str) -> ResourceInstance {
    let rc = env.rc();
    let group = env.default_group().await;
    let created = rc
        .create_instance(&database(name, &group, None), Idempotency::Unsafe)
        .await
        .unwrap();
    wait_ready(&rc, &created.guid).await
}

async fn delete_database(env: &Env, guid: &str) {
    let rc = env.rc();
    rc.delete_instance(guid, true).await.unwrap();
    wait_removed(&rc, guid).await;
}

fn assert_not_found<T: std::fmt::Debug>(result: Result<T, CloudError>, what: &str) {
    let error = result.expect_err(what);
    assert!(error.is_not_found(), "{what}: {error:?}");
    assert!(!error.retryable, "{what}: {error:?}");
}

fn assert_http(error: &CloudError, status: u16, code: &str) {
    assert_eq!(error.kind, ErrorKind::Http, "{error:?}");
    assert_eq!(error.status, Some(status), "{error:?}");
    assert_eq!(error.code.as_deref(), Some(code), "{error:?}");
}

// ================================================================ round trips

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identity_resource_groups_catalog_and_key_protect_round_trip() {
    with_sandbox(Duration::from_secs(60), "", |env| async move {
        // The token's identity and IAM Identity's key details agree with the account.
        let identity = env.cloud.identity().await.unwrap();
        assert_eq!(identity.account_id, env.account_id);
        assert_eq!(identity.iam_id, env.sandbox.account().iam_id);
        let identity_client = env.cloud.iam_identity().unwrap();
        let details = identity_client.api_key_details().await.unwrap();
        assert_eq!(details.account_id, env.account_id);
        assert_eq!(details.iam_id, identity.iam_id);
        assert!(!details.is_service_id_key());
        assert_eq!(details.locked, Some(false));
        let same = identity_client
            .api_key_details_of(&Sensitive::new(env.api_key.clone()))
            .await
            .unwrap();
        assert_eq!(same, details);
        let unknown = identity_client
            .api_key_details_of(&Sensitive::from("not-a-key-of-this-account"))
            .await
            .unwrap_err();
        assert_http(&unknown, 404, "BXNIM0415E");

        // Resource groups: the seeded Default, found by name and not found by another.
        let rm = env.cloud.resource_manager().unwrap();
        let all = rm
            .list_resource_groups(&env.account_id, None)
            .await
            .unwrap();
        let default = all
            .iter()
            .find(|g| g.default == Some(true))
            .expect("a default group");
        assert_eq!(default.name.as_deref(), Some("Default"));
        assert_eq!(default.id.len(), 32, "{default:?}");
        assert_eq!(default.account_id.as_deref(), Some(env.account_id.as_str()));
        assert_eq!(env.default_group().await, default.id);
        assert!(rm
            .list_resource_groups(&env.account_id, Some("no-such-group"))
            .await
            .unwrap()
            .is_empty());
        assert!(rm
            .list_resource_groups("00000000000000000000000000000000", None)
            .await
            .unwrap()
            .is_empty());

        // Global Catalog: the service, its Gen 2 plan, the plan's deployments and prices.
        let gc = env.cloud.global_catalog().unwrap();
        let service = gc.get_entry(POSTGRESQL_SERVICE_ID).await.unwrap();
        assert_eq!(service.id, POSTGRESQL_SERVICE_ID);
        assert_eq!(service.kind, Some(EntryKind::Service));
        assert!(service.is_rc_compatible());
        let found = gc.search(POSTGRESQL_SERVICE_ID).await.unwrap();
        assert!(
            found.iter().any(|e| e.id == POSTGRESQL_SERVICE_ID),
            "{found:?}"
        );
        let plans = gc.plans(POSTGRESQL_SERVICE_ID).await.unwrap();
        let plan = plans
            .iter()
            .find(|p| p.id == POSTGRESQL_GEN2_PLAN_ID)
            .expect("the Gen 2 plan");
        assert_eq!(plan.kind, Some(EntryKind::Plan));
        assert_eq!(plan.name, "standard-gen2");
        assert!(plans.iter().all(|p| p.kind == Some(EntryKind::Plan)));
        let deployments = gc.deployments(POSTGRESQL_GEN2_PLAN_ID).await.unwrap();
        assert_eq!(
            deployments,
            gc.children(POSTGRESQL_GEN2_PLAN_ID, "deployment")
                .await
                .unwrap()
        );
        let locations: BTreeSet<&str> = deployments
            .iter()
            .filter(|d| d.is_rc_compatible())
            .filter_map(|d| d.location())
            .collect();
        assert_eq!(
            locations,
            BTreeSet::from(["ca-mon", "in-che", "us-east"]),
            "{deployments:?}"
        );
        let montreal = deployments
            .iter()
            .find(|d| d.location() == Some(REGION))
            .unwrap();
        assert_eq!(montreal.kind, Some(EntryKind::Deployment));
        assert!(montreal.catalog_crn.is_some(), "{montreal:?}");
        assert_eq!(montreal.default_members(), 2);
        let pricing = gc.pricing(&montreal.id, Some(REGION)).await.unwrap();
        assert_eq!(pricing.deployment_location.as_deref(), Some(REGION));
        assert!(pricing.metrics.len() > 1, "{pricing:?}");
        assert!(pricing.metrics.iter().all(|m| m
            .amounts
            .iter()
            .any(|a| a.currency.as_deref() == Some("USD")
                && a.prices.iter().any(|p| p.price.unwrap_or(0.0) > 0.0))));
        let plan_pricing = gc.pricing(POSTGRESQL_GEN2_PLAN_ID, None).await.unwrap();
        assert!(!plan_pricing.metrics.is_empty());
        assert_not_found(gc.get_entry("no-such-entry").await, "unknown catalog entry");

        // Key Protect: the seeded instance has three keys, two of them root keys.
        let guid = env.key_protect_guid().await;
        let kp = env.cloud.key_protect(REGION, &guid).unwrap();
        let keys = kp.list_keys(&KeyFilter::default()).await.unwrap();
        assert_eq!(keys.len(), 3, "{keys:?}");
        let roots = kp.root_keys().await.unwrap();
        let names: BTreeSet<&str> = roots.iter().filter_map(|k| k.name.as_deref()).collect();
        assert_eq!(
            names,
            BTreeSet::from(["backup-root-key", "pg-disk-root-key"])
        );
        for key in &roots {
            assert!(key.is_usable_root_key(), "{key:?}");
            assert_eq!(key.state, Some(KeyState::Active));
            let crn = key.crn.as_deref().expect("a key CRN");
            assert!(
                crn.starts_with(&format!(
                    "crn:v1:bluemix:public:kms:{REGION}:a/{}:{guid}:key:",
                    env.account_id
                )),
                "{crn}"
            );
        }
        let standard = kp
            .list_keys(&KeyFilter {
                extractable: Some(true),
                states: vec![],
            })
            .await
            .unwrap();
        assert_eq!(standard.len(), 1, "{standard:?}");
        assert!(!standard[0].is_usable_root_key());
        let active = kp
            .list_keys(&KeyFilter {
                extractable: None,
                states: vec![KeyState::Active],
            })
            .await
            .unwrap();
        assert_eq!(active.len(), 3);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn iam_authorization_policy_round_trip() {
    with_sandbox(Duration::from_secs(30), "", |env| async move {
        let iam = env.cloud.iam_policies().unwrap();
        let request = env.byok_policy();
        let created = iam
            .create_policy(&request, Idempotency::Unsafe)
            .await
            .unwrap();
        let id = created.id.clone().expect("a policy id");
        assert_eq!(created.kind, "authorization");
        assert!(created.authorizes(POSTGRESQL_SERVICE_ID, KMS_SERVICE_NAME, None, READER_ROLE));
        assert!(created.authorizes(
            POSTGRESQL_SERVICE_ID,
            KMS_SERVICE_NAME,
            Some("any-instance"),
            READER_ROLE
        ));
        assert!(!created.authorizes("other-service", KMS_SERVICE_NAME, None, READER_ROLE));

        // The same policy again is a conflict: it already exists.
        let conflict = iam
            .create_policy(&request, Idempotency::Unsafe)
            .await
            .unwrap_err();
        assert_http(&conflict, 409, "policy_conflict_error");
        assert!(!conflict.retryable);

        let listed = iam
            .list_policies(&env.account_id, Some("authorization"))
            .await
            .unwrap();
        assert_eq!(listed.len(), 1, "{listed:?}");
        assert_eq!(listed[0].id.as_deref(), Some(id.as_str()));
        assert!(iam
            .list_policies(&env.account_id, Some("access"))
            .await
            .unwrap()
            .is_empty());
        assert_eq!(
            iam.list_policies(&env.account_id, None)
                .await
                .unwrap()
                .len(),
            1
        );

        iam.delete_policy(&id).await.unwrap();
        assert!(iam
            .list_policies(&env.account_id, Some("authorization"))
            .await
            .unwrap()
            .is_empty());
        assert_not_found(iam.delete_policy(&id).await, "a deleted policy");
        // Once deleted it can be made again.
        let again = iam
            .create_policy(&request, Idempotency::Unsafe)
            .await
            .unwrap();
        iam.delete_policy(again.id.as_deref().unwrap())
            .await
            .unwrap();
    })
    .await;
}

fn assert_credentials(key: &ResourceKey, instance: &ResourceInstance, role: &str) {
    assert_eq!(key.state, Some(ResourceKeyState::Active));
    assert_eq!(key.source_crn.as_deref(), Some(instance.crn.as_str()));
    let credentials = key.credentials.as_ref().expect("credentials");
    assert_eq!(credentials.redacted, None);
    let username = credentials.username.as_deref().expect("a username");
    let hex = username
        .strip_prefix("ibmcloud_")
        .expect("ibmcloud_ prefix");
    assert!(
        hex.len() == 32
            && hex
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()),
        "{username}"
    );
    let password = credentials.password.as_ref().expect("a password").expose();
    assert!(password.len() >= 16, "a real password");
    assert!(
        credentials
            .iam_role_crn
            .as_deref()
            .is_some_and(|crn| crn.ends_with(&format!(":serviceRole:{role}"))),
        "{:?}",
        credentials.iam_role_crn
    );
    // The password is reachable only through Sensitive: nothing that prints the key shows it.
    let printed = format!("{key:?}");
    assert!(
        !printed.contains(password.as_str()),
        "the password leaked into Debug"
    );
    let connection = credentials.connection.as_ref().expect("a connection");
    let postgres = connection.postgres.as_ref().expect("a postgres connection");
    let auth = postgres.authentication.as_ref().expect("authentication");
    assert_eq!(auth.username.as_deref(), Some(username));
    assert_eq!(auth.password.as_ref().map(|p| p.expose()), Some(password));
    let host = &postgres.hosts[0];
    assert!(
        host.hostname.starts_with(&instance.guid) && host.hostname.contains(".private."),
        "{host:?}"
    );
    assert_eq!(host.port, Some(5432));
    let composed = postgres.composed.as_ref().expect("a composed URI").expose();
    assert!(
        composed[0].starts_with(&format!("postgres://{username}:")),
        "the URI names the user"
    );
    let cli = connection.cli.as_ref().expect("a CLI connection");
    let environment = cli.environment.as_ref().expect("the psql environment");
    assert_eq!(environment.pguser.as_deref(), Some(username));
    assert_eq!(
        environment.pgpassword.as_ref().map(|p| p.expose()),
        Some(password)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn databases_keys_and_deletion_round_trip() {
    with_sandbox(Duration::from_secs(180), "", |env| async move {
        let rc = env.rc();
        let group = env.default_group().await;

        // The broker rejects an impossible size with its own message, as a 400.
        let five = rc
            .create_instance(
                &database("pg-five", &group, Some(postgresql(5, None))),
                Idempotency::Unsafe,
            )
            .await
            .unwrap_err();
        assert_http(&five, 400, "RC-ServiceBrokerErrorResponse");
        assert!(
            five.message
                .contains("invalid members '5', allowed values: 2, 3."),
            "{}",
            five.message
        );
        assert!(!five.retryable);

        // BYOK needs the authorization first.
        let kp = env
            .cloud
            .key_protect(REGION, &env.key_protect_guid().await)
            .unwrap();
        let root: KeyProtectKey = kp
            .root_keys()
            .await
            .unwrap()
            .into_iter()
            .find(|k| k.name.as_deref() == Some("pg-disk-root-key"))
            .unwrap();
        let disk_key = root.crn.clone().unwrap();
        let byok = database("pg-byok", &group, Some(postgresql(3, Some(&disk_key))));
        let unauthorized = rc
            .create_instance(&byok, Idempotency::Unsafe)
            .await
            .unwrap_err();
        assert_http(&unauthorized, 400, "RC-ServiceBrokerErrorResponse");
        assert!(
            unauthorized.message.contains("not authorized"),
            "{unauthorized:?}"
        );
        let iam = env.cloud.iam_policies().unwrap();
        let policy = iam
            .create_policy(&env.byok_policy(), Idempotency::Unsafe)
            .await
            .unwrap();

        // Two databases: one with its own key and three members, one plain.
        let first = rc
            .create_instance(&byok, Idempotency::Unsafe)
            .await
            .unwrap();
        let second = rc
            .create_instance(&database("pg-plain", &group, None), Idempotency::Unsafe)
            .await
            .unwrap();
        for created in [&first, &second] {
            assert_eq!(created.state, Some(InstanceState::Provisioning));
            let operation = created.last_operation.as_ref().unwrap();
            assert_eq!(operation.kind, Some(OperationType::Create));
            assert_eq!(operation.state, Some(OperationState::InProgress));
            assert!(!created.is_ready() && !created.has_failed());
            assert_eq!(
                created.resource_plan_id.as_deref(),
                Some(POSTGRESQL_GEN2_PLAN_ID)
            );
            assert_eq!(created.resource_group_id.as_deref(), Some(group.as_str()));
            assert_eq!(created.id, created.crn);
        }
        // The same name in the same group is a second instance: RC has no name rule and no
        // client token, which is why the engine looks before it creates again.
        let namesake = rc
            .create_instance(&database("pg-plain", &group, None), Idempotency::Unsafe)
            .await
            .unwrap();
        assert_ne!(namesake.guid, second.guid);
        assert_eq!(namesake.name, "pg-plain");
        wait_ready(&rc, &namesake.guid).await;
        rc.delete_instance(&namesake.guid, false).await.unwrap();
        wait_removed(&rc, &namesake.guid).await;

        let first = wait_ready(&rc, &first.guid).await;
        let second = wait_ready(&rc, &second.guid).await;
        let sizing = first
            .extensions
            .as_ref()
            .and_then(|e| e.dataservices.as_ref())
            .and_then(|d| d.postgresql.as_ref())
            .expect("the allocation");
        assert_eq!(sizing.members, Some(3));
        assert_eq!(
            first.parameters.as_ref().unwrap()["dataservices"]["encryption"]["disk"],
            Value::String(disk_key.clone())
        );
        let vpe = first.virtual_private_endpoints().expect("VPE data");
        assert_eq!(vpe.endpoints.len(), 3, "{vpe:?}");
        assert!(vpe.ports.iter().any(|p| p.port_min == Some(5432)));
        // The CRN is as good as the GUID.
        assert_eq!(rc.get_instance(&first.crn).await.unwrap().guid, first.guid);

        // Listing: both databases, across pages of one, and each filter narrows.
        let postgres_only = InstanceFilter {
            resource_id: Some(POSTGRESQL_SERVICE_ID.into()),
            limit: Some(1),
            ..InstanceFilter::default()
        };
        let page = rc.list_instances_page(&postgres_only, None).await.unwrap();
        assert_eq!(page.resources.len(), 1);
        assert_eq!(page.rows_count, Some(1));
        let next = page.next_start().expect("a second page");
        let page2 = rc
            .list_instances_page(&postgres_only, Some(&next))
            .await
            .unwrap();
        assert_eq!(page2.resources.len(), 1);
        assert_eq!(page2.next_start(), None);
        let both: BTreeSet<String> = rc
            .list_instances(&postgres_only)
            .await
            .unwrap()
            .into_iter()
            .map(|i| i.guid)
            .collect();
        assert_eq!(
            both,
            BTreeSet::from([first.guid.clone(), second.guid.clone()])
        );
        let everything = rc.list_instances(&InstanceFilter::default()).await.unwrap();
        assert_eq!(everything.len(), 3, "two databases and Key Protect");
        for (filter, expected) in [
            (
                InstanceFilter {
                    name: Some("pg-plain".into()),
                    ..InstanceFilter::default()
                },
                &second.guid,
            ),
            (
                InstanceFilter {
                    guid: Some(first.guid.clone()),
                    ..InstanceFilter::default()
                },
                &first.guid,
            ),
        ] {
            let found = rc.list_instances(&filter).await.unwrap();
            assert_eq!(found.len(), 1, "{filter:?}");
            assert_eq!(&found[0].guid, expected);
        }
        let in_group = rc
            .list_instances(&InstanceFilter {
                resource_group_id: Some(group.clone()),
                resource_plan_id: Some(POSTGRESQL_GEN2_PLAN_ID.into()),
                state: Some("active".into()),
                ..InstanceFilter::default()
            })
            .await
            .unwrap();
        assert_eq!(in_group.len(), 2);

        // Keys: a Manager and a Writer, each a real database user.
        let manager = rc
            .create_resource_key(
                &CreateResourceKey {
                    name: "onramp-admin".into(),
                    source: first.guid.clone(),
                    role: Some("Manager".into()),
                    parameters: None,
                },
                Idempotency::Unsafe,
            )
            .await
            .unwrap();
        let writer = rc
            .create_resource_key(
                &CreateResourceKey {
                    name: "onramp-app".into(),
                    source: first.crn.clone(),
                    role: Some("Writer".into()),
                    parameters: None,
                },
                Idempotency::Unsafe,
            )
            .await
            .unwrap();
        assert_credentials(&manager, &first, "Manager");
        assert_credentials(&writer, &first, "Writer");
        assert_ne!(
            manager.credentials.as_ref().unwrap().username,
            writer.credentials.as_ref().unwrap().username
        );
        let fetched = rc.get_resource_key(&manager.guid).await.unwrap();
        assert_eq!(fetched, manager);
        assert_eq!(
            rc.get_resource_key(&writer.crn).await.unwrap().guid,
            writer.guid
        );
        let of_first: BTreeSet<String> = rc
            .list_resource_keys_for_instance(&first.guid)
            .await
            .unwrap()
            .into_iter()
            .map(|k| k.guid)
            .collect();
        assert_eq!(
            of_first,
            BTreeSet::from([manager.guid.clone(), writer.guid.clone()])
        );
        let key_page = rc
            .list_resource_keys_for_instance_page(&first.guid, None)
            .await
            .unwrap();
        assert_eq!(key_page.resources.len(), 2);
        assert!(rc
            .list_resource_keys_for_instance(&second.guid)
            .await
            .unwrap()
            .is_empty());
        let all_keys = rc
            .list_resource_keys(&ResourceKeyFilter {
                limit: Some(1),
                ..ResourceKeyFilter::default()
            })
            .await
            .unwrap();
        assert_eq!(all_keys.len(), 2, "every key, one per page");
        let by_name = rc
            .list_resource_keys(&ResourceKeyFilter {
                name: Some("onramp-app".into()),
                ..ResourceKeyFilter::default()
            })
            .await
            .unwrap();
        assert_eq!(by_name.len(), 1);
        assert_eq!(by_name[0].guid, writer.guid);

        rc.delete_resource_key(&writer.guid).await.unwrap();
        assert_not_found(rc.get_resource_key(&writer.guid).await, "a deleted key");
        assert_not_found(
            rc.delete_resource_key(&writer.guid).await,
            "a key deleted twice",
        );
        assert_eq!(
            rc.list_resource_keys_for_instance(&first.guid)
                .await
                .unwrap()
                .len(),
            1
        );

        // A database with keys goes only with its keys (recursive); one without, plainly.
        let refused = rc.delete_instance(&first.guid, false).await.unwrap_err();
        assert_eq!(refused.kind, ErrorKind::Http);
        assert!(matches!(refused.status, Some(409 | 422)), "{refused:?}");
        assert!(refused.message.contains("recursive"), "{refused:?}");
        assert_eq!(
            rc.get_instance(&first.guid).await.unwrap().state,
            Some(InstanceState::Active)
        );
        rc.delete_instance(&first.guid, true).await.unwrap();
        rc.delete_instance(&second.guid, false).await.unwrap();
        let removed = wait_removed(&rc, &first.guid).await;
        assert!(removed.deleted_at.is_some());
        assert_eq!(
            removed.last_operation.as_ref().and_then(|o| o.kind.clone()),
            Some(OperationType::Delete)
        );
        wait_removed(&rc, &second.guid).await;
        assert!(rc
            .list_resource_keys_for_instance(&first.guid)
            .await
            .unwrap()
            .is_empty());
        assert_not_found(
            rc.get_resource_key(&manager.guid).await,
            "a key of a removed database",
        );
        assert_not_found(
            rc.delete_instance(&first.guid, true).await,
            "a removed database",
        );
        assert!(rc.list_instances(&postgres_only).await.unwrap().is_empty());
        let removed_list = rc
            .list_instances(&InstanceFilter {
                resource_id: Some(POSTGRESQL_SERVICE_ID.into()),
                state: Some("removed".into()),
                ..InstanceFilter::default()
            })
            .await
            .unwrap();
        assert_eq!(removed_list.len(), 3, "the two databases and the namesake");

        iam.delete_policy(policy.id.as_deref().unwrap())
            .await
            .unwrap();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vpc_network_to_a_private_database_round_trip() {
    with_sandbox(Duration::from_secs(180), "", |env| async move {
        let vpc = env.vpc();
        assert_eq!(vpc.region(), REGION);
        let group = env.default_group().await;
        let database = ready_database(&env, "pg-private").await;

        // Zones of the region.
        let zones = vpc.list_zones().await.unwrap();
        let names: Vec<&str> = zones.iter().map(|z| z.name.as_str()).collect();
        assert_eq!(names, ["ca-mon-1", "ca-mon-2", "ca-mon-3"]);
        assert!(zones
            .iter()
            .all(|z| z.region.as_ref().map(|r| r.name.as_str()) == Some(REGION)));

        // VPC: pending at first, then available.
        let created = vpc
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
        assert_eq!(created.status, Some(ResourceStatus::Pending));
        let vpc_id = created.id.clone();
        let network = eventually("VPC available", || {
            let (vpc, id) = (&vpc, vpc_id.as_str());
            async move {
                let got = vpc.get_vpc(id).await.unwrap();
                (got.status == Some(ResourceStatus::Available)).then_some(got)
            }
        })
        .await;
        assert_eq!(network.name, "onramp-vpc");
        assert_eq!(
            network.resource_group.as_ref().map(|g| g.id.as_str()),
            Some(group.as_str())
        );
        assert!(vpc
            .list_vpcs(None)
            .await
            .unwrap()
            .iter()
            .any(|v| v.id == vpc_id));
        assert_eq!(vpc.list_vpcs(Some(&group)).await.unwrap().len(), 1);
        assert!(vpc
            .list_vpcs(Some("00000000000000000000000000000000"))
            .await
            .unwrap()
            .is_empty());

        // Security groups: the VPC's default one, found three ways.
        let default_sg = vpc.default_security_group(&vpc_id).await.unwrap();
        assert_eq!(
            network
                .default_security_group
                .as_ref()
                .map(|r| r.id.as_str()),
            Some(default_sg.id.as_str())
        );
        let groups = vpc.list_security_groups(Some(&vpc_id)).await.unwrap();
        assert!(groups.iter().any(|g| g.id == default_sg.id), "{groups:?}");
        assert!(vpc.list_security_groups(None).await.unwrap().len() >= groups.len());
        let sg = vpc.get_security_group(&default_sg.id).await.unwrap();
        assert_eq!(
            sg.vpc.as_ref().map(|v| v.id.as_str()),
            Some(vpc_id.as_str())
        );
        let rules_before = sg.rules.len();

        // Subnet in the first zone.
        let subnet = vpc
            .create_subnet(
                &CreateSubnet {
                    name: Some("onramp-subnet".into()),
                    vpc: IdRef::new(&vpc_id),
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
        let subnet_id = subnet.id.clone();
        let subnet = eventually("subnet available", || {
            let (vpc, id) = (&vpc, subnet_id.as_str());
            async move {
                let got = vpc.get_subnet(id).await.unwrap();
                (got.status == Some(ResourceStatus::Available)).then_some(got)
            }
        })
        .await;
        assert_eq!(subnet.zone.as_ref().map(|z| z.name.as_str()), Some(ZONE));
        assert_eq!(subnet.total_ipv4_address_count, Some(256));
        assert!(subnet.ipv4_cidr_block.is_some());
        let in_zone = vpc.list_subnets(Some(&vpc_id), Some(ZONE)).await.unwrap();
        assert_eq!(in_zone.len(), 1);
        assert!(vpc
            .list_subnets(Some(&vpc_id), Some("ca-mon-2"))
            .await
            .unwrap()
            .is_empty());
        assert_eq!(vpc.list_subnets(None, None).await.unwrap().len(), 1);

        // SSH key.
        let public_key = env.ssh_public_key("onramp-test-key").await;
        let key = vpc
            .create_key(
                &CreateKey {
                    name: Some("onramp-key".into()),
                    public_key: public_key.clone(),
                    kind: Some(KeyType::Ed25519),
                    resource_group: Some(IdRef::new(&group)),
                },
                Idempotency::Unsafe,
            )
            .await
            .unwrap();
        assert_eq!(key.kind, Some(KeyType::Ed25519));
        assert!(key
            .fingerprint
            .as_deref()
            .is_some_and(|f| f.starts_with("SHA256:")));
        assert_eq!(vpc.get_key(&key.id).await.unwrap(), key);
        assert_eq!(vpc.list_keys().await.unwrap(), vec![key.clone()]);
        let duplicate = vpc
            .create_key(
                &CreateKey {
                    name: Some("onramp-key-again".into()),
                    public_key,
                    kind: None,
                    resource_group: None,
                },
                Idempotency::Unsafe,
            )
            .await
            .unwrap_err();
        assert_http(&duplicate, 409, "key_duplicate");

        // Image and profile.
        let images = vpc
            .list_images(&ImageFilter {
                visibility: Some("public".into()),
                status: Some("available".into()),
                ..ImageFilter::default()
            })
            .await
            .unwrap();
        let image = images
            .iter()
            .find(|i| {
                i.operating_system
                    .as_ref()
                    .and_then(|os| os.family.as_deref())
                    == Some("Ubuntu Linux")
            })
            .expect("an Ubuntu image")
            .clone();
        let by_name = vpc
            .list_images(&ImageFilter {
                name: Some(image.name.clone()),
                ..ImageFilter::default()
            })
            .await
            .unwrap();
        assert_eq!(by_name, vec![image.clone()]);
        let profiles = vpc.list_instance_profiles().await.unwrap();
        let profile = profiles
            .iter()
            .find(|p| p.name == "bx2-2x8")
            .expect("bx2-2x8");
        assert_eq!(
            profile.vcpu_count.as_ref().and_then(|v| v.as_u64()),
            Some(2)
        );
        assert_eq!(profile.memory.as_ref().and_then(|v| v.as_u64()), Some(8));
        assert!(profile.zones.iter().any(|z| z.name == ZONE));

        // The jump instance.
        let instance = vpc
            .create_instance(
                &CreateInstance {
                    name: Some("onramp-jump".into()),
                    zone: NameRef::new(ZONE),
                    vpc: Some(IdRef::new(&vpc_id)),
                    profile: Some(NameRef::new("bx2-2x8")),
                    image: IdRef::new(&image.id),
                    keys: vec![IdRef::new(&key.id)],
                    resource_group: Some(IdRef::new(&group)),
                    primary_network_interface: Some(NetworkInterfacePrototype {
                        name: Some("eth0".into()),
                        subnet: IdRef::new(&subnet_id),
                        security_groups: vec![],
                        allow_ip_spoofing: None,
                    }),
                    boot_volume_attachment: None,
                    user_data: None,
                },
                Idempotency::Unsafe,
            )
            .await
            .unwrap();
        let instance_id = instance.id.clone();
        let instance = eventually("instance running", || {
            let (vpc, id) = (&vpc, instance_id.as_str());
            async move {
                let got = vpc.get_instance(id).await.unwrap();
                (got.status == Some(InstanceStatus::Running)
                    && got.lifecycle_state == Some(LifecycleState::Stable))
                .then_some(got)
            }
        })
        .await;
        assert_eq!(instance.vcpu.as_ref().and_then(|v| v.count), Some(2));
        assert_eq!(instance.memory, Some(8));
        let nic = instance
            .primary_network_interface
            .clone()
            .expect("a network interface");
        let nic_ip = nic
            .primary_ip
            .as_ref()
            .and_then(|ip| ip.address.clone())
            .expect("a private address");
        assert_eq!(
            vpc.list_instances(Some(&vpc_id), None).await.unwrap().len(),
            1
        );
        assert_eq!(
            vpc.list_instances(None, Some("onramp-jump")).await.unwrap()[0].id,
            instance_id
        );
        assert!(vpc
            .list_instances(None, Some("no-such-vsi"))
            .await
            .unwrap()
            .is_empty());

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
        let fip_id = fip.id.clone();
        let fip = eventually("floating IP available", || {
            let (vpc, id) = (&vpc, fip_id.as_str());
            async move {
                let got = vpc.get_floating_ip(id).await.unwrap();
                (got.status == Some(ResourceStatus::Available)).then_some(got)
            }
        })
        .await;
        let address = fip.address.clone().expect("an address");
        assert!(address.starts_with("203.0.113."), "{address}");
        assert_eq!(
            fip.target.as_ref().map(|t| t.id.as_str()),
            Some(nic.id.as_str())
        );
        assert_eq!(vpc.list_floating_ips().await.unwrap(), vec![fip.clone()]);

        // A rule on the default security group: SSH from one address.
        let rule = vpc
            .create_security_group_rule(
                &default_sg.id,
                &CreateSecurityGroupRule {
                    direction: RuleDirection::Inbound,
                    protocol: RuleProtocol::Tcp,
                    port_min: Some(22),
                    port_max: Some(22),
                    remote: Some(RuleEnd {
                        cidr_block: Some("198.51.100.7/32".into()),
                        ..RuleEnd::default()
                    }),
                    local: None,
                    ip_version: Some("ipv4".into()),
                    name: Some("onramp-ssh".into()),
                },
                Idempotency::Unsafe,
            )
            .await
            .unwrap();
        assert_eq!(rule.direction, Some(RuleDirection::Inbound));
        assert_eq!(rule.protocol, Some(RuleProtocol::Tcp));
        assert_eq!((rule.port_min, rule.port_max), (Some(22), Some(22)));
        assert_eq!(
            rule.remote.as_ref().and_then(|r| r.cidr_block.as_deref()),
            Some("198.51.100.7/32")
        );
        let sg = vpc.get_security_group(&default_sg.id).await.unwrap();
        assert_eq!(sg.rules.len(), rules_before + 1);
        assert!(sg.rules.contains(&rule));

        // The endpoint gateway that gives the database an address in the subnet.
        let gateway = vpc
            .create_endpoint_gateway(
                &CreateEndpointGateway {
                    name: Some("onramp-vpe".into()),
                    vpc: IdRef::new(&vpc_id),
                    target: EndpointGatewayTargetPrototype {
                        crn: Some(database.crn.clone()),
                        name: None,
                        resource_type: "provider_cloud_service".into(),
                    },
                    ips: vec![EndpointGatewayIpPrototype {
                        subnet: Some(IdRef::new(&subnet_id)),
                        name: Some("onramp-vpe-ip".into()),
                        ..EndpointGatewayIpPrototype::default()
                    }],
                    security_groups: vec![],
                    resource_group: Some(IdRef::new(&group)),
                    dns_resolution_binding_mode: None,
                },
                Idempotency::Unsafe,
            )
            .await
            .unwrap();
        assert_eq!(gateway.lifecycle_state, Some(LifecycleState::Pending));
        let gateway_id = gateway.id.clone();
        let gateway = eventually("endpoint gateway stable", || {
            let (vpc, id) = (&vpc, gateway_id.as_str());
            async move {
                let got = vpc.get_endpoint_gateway(id).await.unwrap();
                (got.lifecycle_state == Some(LifecycleState::Stable)).then_some(got)
            }
        })
        .await;
        assert_eq!(
            gateway.target.as_ref().and_then(|t| t.crn.as_deref()),
            Some(database.crn.as_str())
        );
        assert_eq!(gateway.ips.len(), 1);
        let vpe_ip = gateway.ips[0].address.clone().expect("a VPE address");
        assert!(
            gateway
                .service_endpoints
                .iter()
                .any(|h| h.starts_with(&database.guid)),
            "{:?}",
            gateway.service_endpoints
        );
        assert_eq!(
            gateway
                .security_groups
                .iter()
                .map(|g| g.id.as_str())
                .collect::<Vec<_>>(),
            [default_sg.id.as_str()]
        );
        let gateway_ips = vpc.list_endpoint_gateway_ips(&gateway_id).await.unwrap();
        assert_eq!(gateway_ips.len(), 1);
        assert_eq!(gateway_ips[0].address.as_deref(), Some(vpe_ip.as_str()));
        assert_eq!(
            vpc.list_endpoint_gateways(Some(&vpc_id), None)
                .await
                .unwrap()
                .len(),
            1
        );
        assert_eq!(
            vpc.list_endpoint_gateways(None, Some("onramp-vpe"))
                .await
                .unwrap()[0]
                .id,
            gateway_id
        );
        let reserved: BTreeSet<String> = vpc
            .list_subnet_reserved_ips(&subnet_id)
            .await
            .unwrap()
            .into_iter()
            .filter_map(|ip| ip.address)
            .collect();
        assert_eq!(reserved, BTreeSet::from([nic_ip.clone(), vpe_ip.clone()]));

        // The sandbox maps the virtual addresses to loopback sockets.
        let mapped = env.sandbox.addresses();
        assert!(
            mapped.iter().any(|m| m.address == address && m.port == 22),
            "{mapped:?}"
        );
        assert!(
            mapped.iter().any(|m| m.address == vpe_ip && m.port == 5432),
            "{mapped:?}"
        );

        // A VPC with subnets cannot go.
        let busy = vpc.delete_vpc(&vpc_id).await.unwrap_err();
        assert_http(&busy, 409, "resource_in_use");

        // Teardown, in dependency order; each thing is gone once deleted.
        vpc.delete_security_group_rule(&default_sg.id, &rule.id)
            .await
            .unwrap();
        assert_eq!(
            vpc.get_security_group(&default_sg.id)
                .await
                .unwrap()
                .rules
                .len(),
            rules_before
        );
        assert_not_found(
            vpc.delete_security_group_rule(&default_sg.id, &rule.id)
                .await,
            "a deleted rule",
        );
        vpc.delete_endpoint_gateway(&gateway_id).await.unwrap();
        assert_not_found(vpc.get_endpoint_gateway(&gateway_id).await, "a deleted VPE");
        assert!(vpc
            .list_endpoint_gateways(None, None)
            .await
            .unwrap()
            .is_empty());
        vpc.delete_floating_ip(&fip_id).await.unwrap();
        assert_not_found(vpc.get_floating_ip(&fip_id).await, "a deleted floating IP");
        vpc.delete_instance(&instance_id).await.unwrap();
        assert_not_found(vpc.get_instance(&instance_id).await, "a deleted instance");
        assert!(vpc.list_instances(None, None).await.unwrap().is_empty());
        assert!(vpc
            .list_subnet_reserved_ips(&subnet_id)
            .await
            .unwrap()
            .is_empty());
        vpc.delete_key(&key.id).await.unwrap();
        assert_not_found(vpc.get_key(&key.id).await, "a deleted key");
        vpc.delete_subnet(&subnet_id).await.unwrap();
        assert_not_found(vpc.get_subnet(&subnet_id).await, "a deleted subnet");
        vpc.delete_vpc(&vpc_id).await.unwrap();
        assert_not_found(vpc.get_vpc(&vpc_id).await, "a deleted VPC");
        assert_not_found(
            vpc.default_security_group(&vpc_id).await,
            "a deleted VPC's security group",
        );
        assert!(vpc.list_vpcs(None).await.unwrap().is_empty());
        assert!(vpc
            .list_security_groups(Some(&vpc_id))
            .await
            .unwrap()
            .is_empty());

        delete_database(&env, &database.guid).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tags_attach_read_back_and_detach_round_trip() {
    with_sandbox(Duration::from_secs(60), "", |env| async move {
        let tagging = env.cloud.global_tagging().unwrap();
        let search = env.cloud.global_search().unwrap();
        let kms = env
            .rc()
            .get_instance(&env.key_protect_guid().await)
            .await
            .unwrap();
        let missing = kms
            .crn
            .replace(&kms.guid, "00000000-0000-0000-0000-000000000000");

        let results = tagging
            .attach_tags(
                &TagRequest::new([kms.crn.as_str()], ["Onramp:Managed", "team:data"]),
                &AttachOptions::default(),
            )
            .await
            .unwrap();
        results.check().unwrap();
        assert_eq!(
            tagging.user_tags_of(&kms.crn).await.unwrap(),
            ["onramp:managed", "team:data"],
            "stored lowercased"
        );
        let found = search
            .search_by_crn(&kms.crn)
            .await
            .unwrap()
            .expect("found");
        assert_eq!(found.name.as_deref(), Some(kms.name.as_str()));
        assert!(found.tags.iter().any(|t| t == "onramp:managed"));
        let tagged = search.search_by_tag("onramp:managed").await.unwrap();
        assert_eq!(
            tagged.iter().map(|i| i.crn.as_str()).collect::<Vec<_>>(),
            [kms.crn.as_str()]
        );
        // Every resource, page after page of one.
        let page = search
            .search(
                &SearchRequest::with_tags("*"),
                &SearchOptions {
                    limit: Some(1),
                    ..SearchOptions::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(page.items.len(), 1);
        assert!(page.search_cursor.is_some());
        let all = search
            .search_all(&SearchRequest::with_tags("*"))
            .await
            .unwrap();
        assert!(
            all.len() >= 5,
            "the group, Key Protect and its keys: {all:?}"
        );

        // A resource it cannot tag comes back inside the 200; check() turns it into an error.
        let partial = tagging
            .attach_tags(
                &TagRequest::new([kms.crn.as_str(), missing.as_str()], ["team:data"]),
                &AttachOptions::default(),
            )
            .await
            .unwrap();
        assert_eq!(partial.failures().count(), 1);
        let error = partial.check().unwrap_err();
        assert!(error.message.contains(&missing), "{error}");
        assert_eq!(error.kind, ErrorKind::Http);

        tagging
            .detach_tags(
                &TagRequest::new([kms.crn.as_str()], ["team:data"]),
                &DetachOptions::default(),
            )
            .await
            .unwrap()
            .check()
            .unwrap();
        assert_eq!(
            tagging.user_tags_of(&kms.crn).await.unwrap(),
            ["onramp:managed"]
        );
        let listed = tagging
            .list_tags(&TagFilter {
                attached_to: Some(kms.crn.clone()),
                tag_type: Some(TagType::User),
                ..TagFilter::default()
            })
            .await
            .unwrap();
        assert_eq!(listed.total_count, Some(1));
        assert!(search.search_by_crn(&missing).await.unwrap().is_none());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cbr_zone_and_rule_round_trip() {
    with_sandbox(Duration::from_secs(30), "", |env| async move {
        let cbr = env.cloud.cbr().unwrap();
        let zone = cbr
            .create_zone(
                &CreateZone {
                    name: "onramp-workstation".into(),
                    account_id: env.account_id.clone(),
                    description: "Onramp test zone".into(),
                    addresses: vec![
                        ZoneAddress::new(AddressType::IpAddress, "198.51.100.7"),
                        ZoneAddress::new(AddressType::Subnet, "10.240.0.0/24"),
                    ],
                    excluded: vec![],
                },
                Idempotency::Unsafe,
            )
            .await
            .unwrap();
        assert_eq!(zone.address_count, Some(2));
        assert_eq!(zone.addresses.len(), 2);
        assert_eq!(zone.account_id.as_deref(), Some(env.account_id.as_str()));
        assert_eq!(cbr.get_zone(&zone.id).await.unwrap(), zone);
        let zones = cbr.list_zones(&env.account_id, None).await.unwrap();
        assert_eq!(zones.len(), 1, "{zones:?}");
        assert_eq!(zones[0].id, zone.id);
        assert_eq!(zones[0].crn, zone.crn);
        assert_eq!(zones[0].name, zone.name);
        assert_eq!(zones[0].address_count, Some(2));
        assert_eq!(zones[0].addresses_preview, zone.addresses);
        let named = cbr
            .list_zones(&env.account_id, Some("onramp-workstation"))
            .await
            .unwrap();
        assert_eq!(named.len(), 1);
        assert!(cbr
            .list_zones(&env.account_id, Some("other"))
            .await
            .unwrap()
            .is_empty());

        let instance = "5e7a1c9b-1d2e-4f3a-8b4c-5d6e7f8a9b0c";
        let request = CreateRule {
            description: Some("Only the workstation reaches the database".into()),
            resources: vec![RuleResource {
                attributes: vec![
                    Attribute::new("accountId", env.account_id.clone()),
                    Attribute::new("serviceName", POSTGRESQL_SERVICE_ID),
                    Attribute::new("serviceInstance", instance),
                ],
                tags: vec![],
            }],
            contexts: vec![RuleContext {
                attributes: vec![
                    Attribute::new("networkZoneId", zone.id.clone()),
                    Attribute::new("endpointType", "private"),
                ],
            }],
            operations: Some(RuleOperations {
                api_types: vec![ApiType {
                    api_type_id: DATA_PLANE_API_TYPE.into(),
                }],
            }),
            enforcement_mode: Some(EnforcementMode::Enabled),
        };
        // Cloud Databases refuses report-only rules and any API type but the data plane.
        let mut report = request.clone();
        report.enforcement_mode = Some(EnforcementMode::Report);
        let refused = cbr
            .create_rule(&report, Idempotency::Unsafe)
            .await
            .unwrap_err();
        assert_http(&refused, 400, "invalid_enforcement_mode");
        let mut every_api = request.clone();
        every_api.operations = None;
        let refused = cbr
            .create_rule(&every_api, Idempotency::Unsafe)
            .await
            .unwrap_err();
        assert_http(&refused, 400, "invalid_api_type");
        let rule = cbr
            .create_rule(&request, Idempotency::Unsafe)
            .await
            .unwrap();
        assert_eq!(rule.enforcement_mode, Some(EnforcementMode::Enabled));
        assert_eq!(
            rule.operations
                .as_ref()
                .map(|o| o.api_types[0].api_type_id.as_str()),
            Some(DATA_PLANE_API_TYPE)
        );
        assert_eq!(cbr.get_rule(&rule.id).await.unwrap(), rule);
        let filter = |service_instance: Option<&str>, zone_id: Option<&str>| RuleFilter {
            account_id: env.account_id.clone(),
            service_name: Some(POSTGRESQL_SERVICE_ID.into()),
            service_instance: service_instance.map(str::to_owned),
            zone_id: zone_id.map(str::to_owned),
        };
        assert_eq!(
            cbr.list_rules(&filter(Some(instance), Some(&zone.id)))
                .await
                .unwrap(),
            vec![rule.clone()]
        );
        assert!(cbr
            .list_rules(&filter(Some("another-instance"), None))
            .await
            .unwrap()
            .is_empty());

        // The zone is in use until the rule goes.
        let in_use = cbr.delete_zone(&zone.id).await.unwrap_err();
        assert_http(&in_use, 409, "zone_in_use");
        cbr.delete_rule(&rule.id).await.unwrap();
        assert_not_found(cbr.get_rule(&rule.id).await, "a deleted rule");
        assert!(cbr
            .list_rules(&filter(None, None))
            .await
            .unwrap()
            .is_empty());
        cbr.delete_zone(&zone.id).await.unwrap();
        assert_not_found(cbr.get_zone(&zone.id).await, "a deleted zone");
        assert_not_found(cbr.delete_zone(&zone.id).await, "a zone deleted twice");
        assert!(cbr
            .list_zones(&env.account_id, None)
            .await
            .unwrap()
            .is_empty());
    })
    .await;
}

// ================================================================ faults

/// A GET answered 503 twice is retried and the third answer wins.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_get_answered_503_is_retried_until_it_succeeds() {
    with_sandbox(Duration::from_secs(30), "", |env| async move {
        let guid = env.key_protect_guid().await;
        env.set_faults("rc.GET:status=503@first=2");
        let instance = env.rc().get_instance(&guid).await.unwrap();
        assert_eq!(instance.guid, guid);
        assert_eq!(
            env.faults().await,
            FaultReport {
                counts: vec![3],
                injected: 2
            }
        );
        // With retries off the same fault reaches the caller, marked as worth retrying.
        env.set_faults("rc.GET:status=503@first=2");
        let once = env.cloud_with(RetryPolicy::none());
        let error = once
            .resource_controller()
            .unwrap()
            .get_instance(&guid)
            .await
            .unwrap_err();
        assert_http(&error, 503, "RC-503");
        assert!(error.retryable);
        assert_eq!(env.faults().await.counts, vec![1]);
    })
    .await;
}

/// A 429 with `Retry-After: 1` is retried after that second, not after the policy's
/// millisecond backoff.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_throttled_call_waits_for_retry_after() {
    with_sandbox(Duration::from_secs(30), "", |env| async move {
        env.cloud.identity().await.unwrap();
        env.set_faults("vpc:throttle=1@first=1");
        let started = Instant::now();
        let zones = env.vpc().list_zones().await.unwrap();
        let waited = started.elapsed();
        assert_eq!(zones.len(), 3);
        assert!(
            waited >= Duration::from_millis(950),
            "waited only {waited:?}"
        );
        assert!(waited < Duration::from_secs(5), "waited {waited:?}");
        assert_eq!(
            env.faults().await,
            FaultReport {
                counts: vec![2],
                injected: 1
            }
        );
    })
    .await;
}

/// A connection closed without an answer is retried.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_connection_is_retried() {
    with_sandbox(Duration::from_secs(30), "", |env| async move {
        let guid = env.key_protect_guid().await;
        env.set_faults("rc.GET:reset@first=1");
        let instance = env.rc().get_instance(&guid).await.unwrap();
        assert_eq!(instance.guid, guid);
        assert_eq!(
            env.faults().await,
            FaultReport {
                counts: vec![2],
                injected: 1
            }
        );
    })
    .await;
}

/// A create that failed may still have happened, so it is sent once unless the caller says
/// sending it twice is harmless.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_create_is_retried_only_when_the_caller_opts_in() {
    with_sandbox(Duration::from_secs(90), "", |env| async move {
        let rc = env.rc();
        let group = env.default_group().await;
        let body = database("pg-retry", &group, None);

        env.set_faults("rc.POST:status=503@first=1");
        let error = rc
            .create_instance(&body, Idempotency::Unsafe)
            .await
            .unwrap_err();
        assert_eq!(error.kind, ErrorKind::Http);
        assert_eq!(error.status, Some(503));
        assert!(error.retryable, "{error:?}");
        assert_eq!(
            env.faults().await,
            FaultReport {
                counts: vec![1],
                injected: 1
            },
            "sent exactly once"
        );
        let postgres_only = InstanceFilter {
            resource_id: Some(POSTGRESQL_SERVICE_ID.into()),
            ..InstanceFilter::default()
        };
        assert!(rc.list_instances(&postgres_only).await.unwrap().is_empty());

        env.set_faults("rc.POST:status=503@first=1");
        let created = rc.create_instance(&body, Idempotency::Safe).await.unwrap();
        assert_eq!(
            env.faults().await,
            FaultReport {
                counts: vec![2],
                injected: 1
            },
            "the 503, then the create"
        );
        assert_eq!(rc.list_instances(&postgres_only).await.unwrap().len(), 1);
        wait_ready(&rc, &created.guid).await;
        delete_database(&env, &created.guid).await;
    })
    .await;
}

/// A 401 makes the client exchange the API key once more and resend the call, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_token_is_refreshed_exactly_once() {
    with_sandbox(Duration::from_secs(30), "", |env| async move {
        let guid = env.key_protect_guid().await;
        // The second rule does nothing; it only counts token exchanges.
        env.set_faults("rc.GET:expire-token@first=1;iam.POST:latency=0");
        let instance = env.rc().get_instance(&guid).await.unwrap();
        assert_eq!(instance.guid, guid);
        assert_eq!(
            env.faults().await,
            FaultReport {
                counts: vec![2, 1],
                injected: 1
            },
            "one 401, one token exchange, one resend"
        );
        // The new token is cached: the next call needs no exchange.
        env.rc().get_instance(&guid).await.unwrap();
        assert_eq!(env.faults().await.counts, vec![3, 1]);
    })
    .await;
}

/// A 401 on the resend too is returned as it is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_rejected_twice_is_unauthorized() {
    with_sandbox(Duration::from_secs(30), "", |env| async move {
        let guid = env.key_protect_guid().await;
        env.set_faults("rc.GET:expire-token@first=2;iam.POST:latency=0");
        let error = env.rc().get_instance(&guid).await.unwrap_err();
        assert!(error.is_unauthorized(), "{error:?}");
        assert_http(&error, 401, "RC-InvalidToken");
        assert!(!error.retryable);
        assert_eq!(
            env.faults().await,
            FaultReport {
                counts: vec![2, 1],
                injected: 2
            },
            "two 401s around exactly one token exchange"
        );
        // The fault is spent; the next call goes through on the fresh token.
        env.rc().get_instance(&guid).await.unwrap();
        assert_eq!(env.faults().await.counts, vec![3, 1]);
    })
    .await;
}

// ================================================================ errors

/// A wrong API key fails at the token exchange with IAM's own error, which every client
/// passes on, and which is not retried.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_api_key_gets_the_iam_error() {
    with_sandbox(Duration::from_secs(30), "iam:latency=0", |env| async move {
        let cloud = make_cloud(&env.endpoints, "not-the-sandbox-key", quick_retries());
        let error = cloud.identity().await.unwrap_err();
        assert_http(&error, 400, "BXNIM0415E");
        assert_eq!(error.message, "Provided API key could not be found.");
        assert!(error.request_id.is_some(), "{error:?}");
        assert!(!error.retryable);
        assert!(!error.is_unauthorized());
        assert_eq!(env.faults().await.counts, vec![1], "not retried");

        let through_rc = cloud
            .resource_controller()
            .unwrap()
            .list_instances(&InstanceFilter::default())
            .await
            .unwrap_err();
        assert_eq!(
            through_rc,
            CloudError {
                request_id: through_rc.request_id.clone(),
                ..error
            }
        );
        assert_eq!(env.faults().await.counts, vec![2]);
    })
    .await;
}

/// Missing things of every API are `is_not_found`, with the service's own code.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_things_are_not_found() {
    with_sandbox(Duration::from_secs(30), "", |env| async move {
        let missing = "8b1d0c4e-0000-4000-8000-000000000000";
        let rc = env.rc();
        let error = rc.get_instance(missing).await.unwrap_err();
        assert!(error.is_not_found(), "{error:?}");
        assert_http(&error, 404, "RC-ResourceNotFound");
        assert!(error.request_id.is_some(), "{error:?}");
        assert_not_found(rc.delete_instance(missing, true).await, "RC delete");
        assert_not_found(rc.get_resource_key(missing).await, "RC key");
        assert_not_found(
            rc.list_resource_keys_for_instance(missing).await,
            "RC keys of a missing instance",
        );
        let vpc = env.vpc();
        assert_not_found(vpc.get_vpc("r038-missing").await, "VPC");
        assert_not_found(vpc.get_instance("0717-missing").await, "VPC instance");
        assert_not_found(vpc.delete_subnet("0717-missing").await, "VPC subnet");
        let cbr = env.cloud.cbr().unwrap();
        assert_not_found(
            cbr.get_zone("0123456789abcdef0123456789abcdef").await,
            "CBR zone",
        );
        assert_not_found(
            cbr.get_rule("0123456789abcdef0123456789abcdef").await,
            "CBR rule",
        );
        assert_not_found(
            env.cloud
                .iam_policies()
                .unwrap()
                .delete_policy(missing)
                .await,
            "IAM policy",
        );
        // A region the sandbox does not serve is a configuration error, not a request.
        let config = env.cloud.vpc("mars-north").unwrap_err();
        assert_eq!(config.kind, ErrorKind::Config);
    })
    .await;
}
