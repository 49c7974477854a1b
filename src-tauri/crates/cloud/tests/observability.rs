//! The observability clients (Metrics Routing, Activity Tracker Event Routing, Logs
//! Routing, the Monitoring and Cloud Logs instances, IAM roles) against a real, in-process
//! sandbox: every public method round-trips, the contract's ordering and validation rules
//! hold, and the contract's request fixtures are accepted with answers of the contract's
//! shape.
//!
//! As in `sandbox.rs`, each test starts its own sandbox in a temporary state dir and always
//! stops it afterwards.

use std::{future::Future, path::PathBuf, sync::Arc, time::Duration};

use onramp_cloud::{
    atracker::{
        AtrackerClient, CreateRoute as AtCreateRoute, CreateTarget as AtCreateTarget, PutSettings,
        ReplaceTarget, RulePrototype as AtRule, GLOBAL_LOCATION,
    },
    catalog::CatalogEntry,
    iam_policy::{CreatePolicy, SENDER, SUPERTENANT_METRICS_PUBLISHER},
    logs_router::{
        CreateRoute as LrCreateRoute, CreateTarget as LrCreateTarget, LogsRouterClient,
        MigrationStep, UpdateSettings as LrUpdateSettings, UpdateTarget as LrUpdateTarget,
    },
    metrics_router::{
        CreateRoute as MrCreateRoute, CreateTarget as MrCreateTarget, MetricsRouterClient,
        RulePrototype as MrRule, UpdateSettings as MrUpdateSettings,
        UpdateTarget as MrUpdateTarget,
    },
    rc::{
        CloudLogsParameters, CreateResourceInstance, InstanceFilter, InstanceState,
        MonitoringParameters, ResourceInstance, CLOUD_LOGS_RESOURCE_ID,
        MONITORING_GRADUATED_TIER_PLAN_ID, MONITORING_LITE_PLAN_ID, MONITORING_RESOURCE_ID,
    },
    routing::{
        FilterOperand, FilterOperator, InclusionFilter, RuleAction, TargetIdentity, TargetType,
        WriteState,
    },
    Cloud, CloudError, Endpoints, HttpClient, Idempotency, RetryPolicy,
};
use onramp_sandbox::{FaultSpec, RunningSandbox, SandboxConfig};
use onramp_secrets::Sensitive;
use serde_json::{json, Value};

const REGION: &str = "ca-mon";

// ================================================================ harness

struct Env {
    sandbox: RunningSandbox,
    cloud: Cloud,
    endpoints: Endpoints,
    account_id: String,
    api_key: String,
}

fn quick_retries() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_secs(1),
        budget: Duration::from_secs(10),
    }
}

/// Starts a sandbox configured by `configure`, runs `body` under a time limit, and stops
/// the sandbox whatever happened before reporting the body's outcome.
async fn with_sandbox<F, Fut>(configure: impl FnOnce(&mut SandboxConfig), body: F)
where
    F: FnOnce(Arc<Env>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let state_dir = tempfile::tempdir().expect("a temporary state dir");
    let mut config = SandboxConfig::new(state_dir.path());
    config.provision_seconds = 0.5;
    configure(&mut config);
    let sandbox = RunningSandbox::start(config)
        .await
        .expect("the sandbox starts");
    let endpoints = Endpoints::from_file(sandbox.endpoints_path()).expect("endpoints.json");
    let api_key = sandbox.account().api_key.clone();
    let http = HttpClient::new()
        .expect("an HTTP client")
        .with_retry_policy(quick_retries());
    let cloud = Cloud::with_api_key(http, endpoints.clone(), Sensitive::new(api_key.clone()))
        .expect("a signed-in cloud");
    let env = Arc::new(Env {
        account_id: sandbox.account().account_id.clone(),
        sandbox,
        cloud,
        endpoints,
        api_key,
    });
    let mut task = tokio::spawn(body(env.clone()));
    let outcome = tokio::time::timeout(Duration::from_secs(120), &mut task).await;
    if outcome.is_err() {
        task.abort();
        let _ = task.await;
    }
    let env = Arc::into_inner(env).expect("the test body released the sandbox");
    env.sandbox.stop().await;
    drop(state_dir);
    match outcome {
        Ok(Ok(())) => {}
        Ok(Err(joined)) if joined.is_panic() => std::panic::resume_unwind(joined.into_panic()),
        Ok(Err(joined)) => panic!("the test body did not finish: {joined}"),
        Err(_) => panic!("the test body did not finish in time"),
    }
}

impl Env {
    fn mr(&self) -> MetricsRouterClient {
        self.cloud
            .metrics_router(REGION)
            .expect("a Metrics Routing client")
    }

    /// An owner's bearer token, for the raw requests below.
    async fn token(&self) -> String {
        let url = format!(
            "{}/identity/token",
            self.endpoints.iam.as_str().trim_end_matches('/')
        );
        let body: Value = reqwest::Client::new()
            .post(url)
            .form(&[
                ("grant_type", "urn:ibm:params:oauth:grant-type:apikey"),
                ("apikey", self.api_key.as_str()),
            ])
            .send()
            .await
            .expect("the token exchange")
            .json()
            .await
            .expect("a token body");
        body["access_token"].as_str().expect("a token").to_owned()
    }

    /// A raw call: the status and the JSON body (`Null` when empty).
    async fn raw(&self, method: &str, url: &str, body: Option<&Value>) -> (u16, Value) {
        self.raw_with(method, url, body, &[]).await
    }

    async fn raw_with(
        &self,
        method: &str,
        url: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a method");
        let mut request = reqwest::Client::new()
            .request(method, url)
            .bearer_auth(self.token().await);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.expect("an answer");
        let status = response.status().as_u16();
        let bytes = response.bytes().await.expect("a body");
        let value = if bytes.iter().all(u8::is_ascii_whitespace) {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&bytes)))
        };
        (status, value)
    }

    fn region_url(&self, key: &str) -> String {
        let raw: Value = serde_json::from_str(
            &std::fs::read_to_string(self.sandbox.endpoints_path()).expect("endpoints.json"),
        )
        .expect("endpoints.json is JSON");
        raw["regions"][REGION][key]
            .as_str()
            .unwrap_or_else(|| panic!("endpoints.json has no {key} for {REGION}"))
            .trim_end_matches('/')
            .to_owned()
    }

    fn crn(&self, service: &str, guid: &str) -> String {
        format!(
            "crn:v1:bluemix:public:{service}:{REGION}:a/{}:{guid}::",
            self.account_id
        )
    }

    /// The authorization `source → target_service` with the role named `role`, its CRN
    /// resolved from IAM's role list; scoped to `instance` if given.
    async fn authorize(
        &self,
        source: &str,
        target_service: &str,
        instance: Option<&str>,
        role: &str,
    ) -> String {
        let iam = self.cloud.iam_policies().expect("an IAM policy client");
        let crn = iam
            .authorization_role_crn(target_service, source, role)
            .await
            .expect("the role is listed");
        let policy = iam
            .create_policy(
                &CreatePolicy::authorization(
                    &self.account_id,
                    source,
                    target_service,
                    instance,
                    &[crn.as_str()],
                    Some(format!("test: {source} → {target_service}")),
                ),
                Idempotency::Safe,
            )
            .await
            .expect("the authorization is created");
        policy.id.expect("a policy id")
    }
}

impl Env {
    fn lr(&self) -> LogsRouterClient {
        self.cloud
            .logs_router(REGION)
            .expect("a Logs Routing client")
    }

    fn at(&self) -> AtrackerClient {
        self.cloud
            .atracker(REGION)
            .expect("an Activity Tracker client")
    }

    /// A Cloud Logs instance, active; its plan id read from the catalog.
    async fn cloud_logs(&self, name: &str) -> ResourceInstance {
        let plan = self.plan(CLOUD_LOGS_RESOURCE_ID, "standard").await;
        self.instance(name, &plan.id, CloudLogsParameters::default())
            .await
    }

    async fn default_group(&self) -> String {
        let groups = self
            .cloud
            .resource_manager()
            .unwrap()
            .list_resource_groups(&self.account_id, Some("Default"))
            .await
            .unwrap();
        groups[0].id.clone()
    }

    /// The plan of `service` named `name`, from the Global Catalog.
    async fn plan(&self, service: &str, name: &str) -> CatalogEntry {
        let plans = self
            .cloud
            .global_catalog()
            .unwrap()
            .plans(service)
            .await
            .unwrap();
        plans
            .into_iter()
            .find(|p| p.name == name)
            .unwrap_or_else(|| panic!("{service} has no plan {name}"))
    }

    /// Creates an instance and waits for it to be active.
    async fn instance<P: serde::Serialize>(
        &self,
        name: &str,
        plan_id: &str,
        parameters: P,
    ) -> ResourceInstance {
        let rc = self.cloud.resource_controller().unwrap();
        let created = rc
            .create_service_instance(
                &CreateResourceInstance {
                    name: name.to_owned(),
                    target: REGION.to_owned(),
                    resource_group: self.default_group().await,
                    resource_plan_id: plan_id.to_owned(),
                    tags: vec!["onramp:managed".into()],
                    allow_cleanup: None,
                    parameters: Some(parameters),
                },
                Idempotency::Safe,
            )
            .await
            .unwrap();
        assert_eq!(
            created.state,
            Some(InstanceState::Provisioning),
            "{created:?}"
        );
        for _ in 0..200 {
            let now = rc.get_instance(&created.guid).await.unwrap();
            if now.state == Some(InstanceState::Active) {
                return now;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{name} never became active");
    }
}

fn fixture(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../../shared/contract/fixtures")
        .join(name);
    let path = if path.exists() {
        path
    } else {
        PathBuf::from("/work/shared/contract/fixtures").join(name)
    };
    serde_json::from_str(
        &std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn status_of(error: &CloudError) -> u16 {
    error
        .status
        .unwrap_or_else(|| panic!("an HTTP error, not {error}"))
}

fn uuid_like() -> String {
    let n: u128 = rand::random();
    let hex = format!("{n:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

// ================================================================ shape checks

/// What a field must be. The checks are of types and stated facts, never of one example's
/// wording, so an answer the contract did not show still passes when it is right.
#[derive(Clone, Copy)]
enum Kind {
    Str,
    NonEmpty,
    Crn,
    Time,
    Bool,
    Int,
    Array,
    Object,
    OneOf(&'static [&'static str]),
}

fn check_field(body: &Value, field: &str, kind: Kind, required: bool) {
    let value = &body[field];
    if value.is_null() {
        assert!(!required, "missing required field '{field}' in {body}");
        return;
    }
    let fine = match kind {
        Kind::Str => value.is_string(),
        Kind::NonEmpty => value.as_str().is_some_and(|s| !s.is_empty()),
        Kind::Crn => value.as_str().is_some_and(|s| s.starts_with("crn:v1:")),
        Kind::Time => value
            .as_str()
            .is_some_and(|s| chrono::DateTime::parse_from_rfc3339(s).is_ok()),
        Kind::Bool => value.is_boolean(),
        Kind::Int => value.is_u64(),
        Kind::Array => value.is_array(),
        Kind::Object => value.is_object(),
        Kind::OneOf(allowed) => value.as_str().is_some_and(|s| allowed.contains(&s)),
    };
    assert!(
        fine,
        "field '{field}' is not of the contract's type: {value} in {body}"
    );
}

fn check_fields(body: &Value, fields: &[(&str, Kind, bool)]) {
    assert!(body.is_object(), "not an object: {body}");
    for (field, kind, required) in fields {
        check_field(body, field, *kind, *required);
    }
}

fn check_write_status(value: &Value) {
    check_fields(
        value,
        &[
            ("status", Kind::OneOf(&["success", "failed"]), true),
            ("last_failure", Kind::Time, false),
            ("reason_for_last_failure", Kind::Str, false),
        ],
    );
}

fn check_reference(value: &Value) {
    check_fields(
        value,
        &[
            ("id", Kind::NonEmpty, true),
            ("crn", Kind::Crn, true),
            ("name", Kind::NonEmpty, true),
            ("target_type", Kind::NonEmpty, true),
        ],
    );
}

/// Metrics or Logs Routing v3 `Target`.
fn check_v3_target(body: &Value, target_type: &str) {
    check_fields(
        body,
        &[
            ("id", Kind::NonEmpty, true),
            ("name", Kind::NonEmpty, true),
            ("crn", Kind::Crn, true),
            ("destination_crn", Kind::Crn, true),
            ("target_type", Kind::NonEmpty, true),
            ("region", Kind::Str, false),
            ("created_at", Kind::Time, true),
            ("updated_at", Kind::Time, true),
            ("managed_by", Kind::OneOf(&["account", "enterprise"]), false),
            ("write_status", Kind::Object, true),
        ],
    );
    assert_eq!(body["target_type"], target_type, "{body}");
    check_write_status(&body["write_status"]);
}

/// Metrics or Logs Routing v3 `Route`.
fn check_v3_route(body: &Value, operands: &[&str]) {
    check_fields(
        body,
        &[
            ("id", Kind::NonEmpty, true),
            ("name", Kind::NonEmpty, true),
            ("crn", Kind::Crn, true),
            ("rules", Kind::Array, true),
            ("created_at", Kind::Time, true),
            ("updated_at", Kind::Time, true),
            ("managed_by", Kind::OneOf(&["account", "enterprise"]), false),
        ],
    );
    for rule in body["rules"].as_array().expect("rules") {
        check_fields(
            rule,
            &[
                ("action", Kind::OneOf(&["send", "drop"]), false),
                ("targets", Kind::Array, true),
                ("inclusion_filters", Kind::Array, false),
            ],
        );
        rule["targets"]
            .as_array()
            .expect("targets")
            .iter()
            .for_each(check_reference);
        for filter in rule["inclusion_filters"].as_array().into_iter().flatten() {
            check_field(filter, "operand", Kind::NonEmpty, true);
            assert!(
                operands.contains(&filter["operand"].as_str().unwrap_or_default()),
                "{filter}"
            );
            check_field(filter, "operator", Kind::OneOf(&["is", "in"]), true);
            let values = filter["values"].as_array().expect("values");
            assert!(
                !values.is_empty() && values.iter().all(Value::is_string),
                "{filter}"
            );
        }
    }
}

/// Metrics or Logs Routing v3 `Setting`.
fn check_v3_settings(body: &Value, versioned: bool) {
    check_fields(
        body,
        &[
            ("default_targets", Kind::Array, true),
            ("permitted_target_regions", Kind::Array, true),
            ("primary_metadata_region", Kind::Str, true),
            ("backup_metadata_region", Kind::Str, false),
            ("private_api_endpoint_only", Kind::Bool, true),
            ("api_version", Kind::Int, versioned),
        ],
    );
    body["default_targets"]
        .as_array()
        .expect("defaults")
        .iter()
        .for_each(check_reference);
    if versioned {
        assert!(
            matches!(body["api_version"].as_u64(), Some(1 | 3)),
            "{body}"
        );
    }
}

/// The error body of Metrics and Logs Routing (UNVERIFIED; the fixtures' envelope):
/// `{trace, errors[{code, message}], status_code}` with the HTTP status in `status_code`.
fn check_v3_error(status: u16, body: &Value, expected: u16) {
    assert_eq!(status, expected, "{body}");
    check_fields(
        body,
        &[
            ("trace", Kind::NonEmpty, true),
            ("errors", Kind::Array, true),
            ("status_code", Kind::Int, true),
        ],
    );
    assert_eq!(
        body["status_code"].as_u64(),
        Some(u64::from(status)),
        "{body}"
    );
    let first = &body["errors"][0];
    check_fields(
        first,
        &[
            ("code", Kind::NonEmpty, true),
            ("message", Kind::NonEmpty, true),
        ],
    );
}

// ================================================================ Metrics Routing

fn send_rule(target: &str, filters: Vec<InclusionFilter>) -> MrRule {
    MrRule {
        action: Some(RuleAction::Send),
        targets: vec![TargetIdentity::new(target)],
        inclusion_filters: filters,
    }
}

fn route(name: &str, rules: Vec<MrRule>) -> MrCreateRoute {
    MrCreateRoute {
        name: name.to_owned(),
        rules,
        managed_by: None,
    }
}

#[tokio::test]
async fn metrics_routing_round_trips_and_keeps_the_ordering_rules() {
    with_sandbox(
        |_| {},
        |env| async move {
            let mr = env.mr();
            let fresh = mr.get_settings().await.unwrap();
            assert_eq!(fresh.primary_metadata_region, "");
            assert!(fresh.default_targets.is_empty() && fresh.permitted_target_regions.is_empty());

            // 409 on target and route creation while the primary metadata region is empty.
            let monitoring_guid = uuid_like();
            let monitoring = env.crn("sysdig-monitor", &monitoring_guid);
            let early = mr
                .create_target(
                    &MrCreateTarget::monitoring("early", &monitoring, REGION),
                    Idempotency::Safe,
                )
                .await
                .unwrap_err();
            assert_eq!(status_of(&early), 409, "{early}");
            let early_route = mr
                .create_route(
                    &route("early", vec![send_rule("x", vec![])]),
                    Idempotency::Safe,
                )
                .await
                .unwrap_err();
            assert_eq!(status_of(&early_route), 409, "{early_route}");

            let set = mr
                .update_settings(
                    &MrUpdateSettings::from_current(&fresh).with_primary_metadata_region(REGION),
                )
                .await
                .unwrap();
            assert_eq!(set.primary_metadata_region, REGION);

            // A target without the authorization cannot write; the reason says why.
            let target = mr
                .create_target(
                    &MrCreateTarget::monitoring("onramp-metrics", &monitoring, REGION),
                    Idempotency::Safe,
                )
                .await
                .unwrap();
            assert_eq!(target.target_type, TargetType::SysdigMonitor);
            assert_eq!(target.destination_crn, monitoring);
            assert_eq!(target.region.as_deref(), Some(REGION));
            assert_eq!(target.write_status.status, WriteState::Failed);
            assert!(
                target
                    .write_status
                    .reason_for_last_failure
                    .as_deref()
                    .is_some_and(|r| r.contains("AUTH0001")),
                "{:?}",
                target.write_status
            );
            // A policy for another instance does not help; one for this instance does.
            env.authorize(
                "metrics-router",
                "sysdig-monitor",
                Some(&uuid_like()),
                SUPERTENANT_METRICS_PUBLISHER,
            )
            .await;
            assert!(mr
                .get_target(&target.id)
                .await
                .unwrap()
                .write_status
                .is_failed());
            let policy = env
                .authorize(
                    "metrics-router",
                    "sysdig-monitor",
                    Some(&monitoring_guid),
                    SUPERTENANT_METRICS_PUBLISHER,
                )
                .await;
            let fixed = mr.get_target(&target.id).await.unwrap();
            assert_eq!(fixed.write_status.status, WriteState::Success, "{fixed:?}");
            // Re-evaluated on read: without the policy it fails again.
            env.cloud
                .iam_policies()
                .unwrap()
                .delete_policy(&policy)
                .await
                .unwrap();
            assert!(mr
                .get_target(&target.id)
                .await
                .unwrap()
                .write_status
                .is_failed());
            env.authorize(
                "metrics-router",
                "sysdig-monitor",
                None,
                SUPERTENANT_METRICS_PUBLISHER,
            )
            .await;
            assert!(!mr
                .get_target(&target.id)
                .await
                .unwrap()
                .write_status
                .is_failed());

            let listed = mr.list_targets().await.unwrap();
            assert_eq!(
                listed.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(),
                [target.id.as_str()]
            );
            let renamed = mr
                .update_target(
                    &target.id,
                    &MrUpdateTarget {
                        name: Some("onramp-metrics-2".into()),
                        destination_crn: Some(monitoring.clone()),
                    },
                )
                .await
                .unwrap();
            assert_eq!(renamed.name, "onramp-metrics-2");
            assert_eq!(renamed.created_at, target.created_at);
            for error in [
                mr.get_target("no-such-target").await.unwrap_err(),
                mr.update_target(
                    "no-such-target",
                    &MrUpdateTarget {
                        name: Some("x".into()),
                        destination_crn: None,
                    },
                )
                .await
                .unwrap_err(),
                mr.delete_target("no-such-target").await.unwrap_err(),
                mr.get_route("no-such-route").await.unwrap_err(),
                mr.delete_route("no-such-route").await.unwrap_err(),
            ] {
                assert_eq!(status_of(&error), 404, "{error}");
            }

            // Validation 400s.
            let db = uuid_like();
            let service =
                || InclusionFilter::is(FilterOperand::ServiceName, "databases-for-postgresql");
            let two_values = InclusionFilter {
                operand: FilterOperand::ServiceInstance,
                operator: FilterOperator::Is,
                values: vec![db.clone(), uuid_like()],
            };
            let too_many = InclusionFilter::is_in(
                FilterOperand::Location,
                (0..21).map(|i| format!("loc-{i}")),
            );
            let empty_value = InclusionFilter::is(FilterOperand::Resource, "");
            let eight: Vec<InclusionFilter> = (0..8).map(|_| service()).collect();
            for (why, rules) in [
                (
                    "is with two values",
                    vec![send_rule(&target.id, vec![two_values])],
                ),
                (
                    "in with 21 values",
                    vec![send_rule(&target.id, vec![too_many])],
                ),
                (
                    "an empty value",
                    vec![send_rule(&target.id, vec![empty_value])],
                ),
                ("eight filters", vec![send_rule(&target.id, eight)]),
                (
                    "an unknown target",
                    vec![send_rule(
                        "3f6b9a2e-7c41-4d58-9e0a-000000000000",
                        vec![service()],
                    )],
                ),
            ] {
                let error = mr
                    .create_route(&route("bad", rules), Idempotency::Safe)
                    .await
                    .unwrap_err();
                assert_eq!(status_of(&error), 400, "{why}: {error}");
            }
            let empty = mr
                .create_route(
                    &route(
                        "empty",
                        vec![MrRule {
                            action: Some(RuleAction::Send),
                            targets: vec![],
                            inclusion_filters: vec![service()],
                        }],
                    ),
                    Idempotency::Safe,
                )
                .await
                .unwrap_err();
            assert_eq!(status_of(&empty), 400);
            assert!(
                empty
                    .message
                    .contains("You have a rule with empty targets."),
                "{empty}"
            );
            // A drop rule needs no target, and no filter means "all metrics".
            let drop = mr
                .create_route(
                    &route(
                        "drop-all",
                        vec![MrRule {
                            action: Some(RuleAction::Drop),
                            targets: vec![],
                            inclusion_filters: vec![],
                        }],
                    ),
                    Idempotency::Safe,
                )
                .await
                .unwrap();
            assert_eq!(drop.rules[0].action, Some(RuleAction::Drop));

            let onramp = mr
                .create_route(
                    &MrCreateRoute::service_instance(
                        "onramp-route",
                        &target.id,
                        "databases-for-postgresql",
                        &db,
                    ),
                    Idempotency::Safe,
                )
                .await
                .unwrap();
            let expanded = &onramp.rules[0].targets[0];
            assert_eq!(
                (
                    expanded.id.as_str(),
                    expanded.crn.as_str(),
                    expanded.name.as_str()
                ),
                (target.id.as_str(), target.crn.as_str(), "onramp-metrics-2")
            );
            assert_eq!(expanded.target_type, TargetType::SysdigMonitor);
            assert_eq!(onramp.rules[0].inclusion_filters.len(), 2);
            assert_eq!(mr.get_route(&onramp.id).await.unwrap(), onramp);
            assert_eq!(mr.list_routes().await.unwrap().len(), 2);
            let mut changed = MrCreateRoute::service_instance(
                "onramp-route-2",
                &target.id,
                "databases-for-postgresql",
                &db,
            );
            changed.rules[0].inclusion_filters.truncate(1);
            let updated = mr.update_route(&onramp.id, &changed).await.unwrap();
            assert_eq!(updated.name, "onramp-route-2");
            assert_eq!(updated.rules[0].inclusion_filters.len(), 1);

            // Settings PATCH replaces: what is omitted is gone.
            let current = mr.get_settings().await.unwrap();
            let mut full = MrUpdateSettings::from_current(&current);
            full.default_targets = Some(vec![TargetIdentity::new(&target.id)]);
            full.backup_metadata_region = Some("ca-tor".into());
            full.permitted_target_regions = Some(vec![REGION.into(), "ca-tor".into()]);
            let with_defaults = mr.update_settings(&full).await.unwrap();
            assert_eq!(with_defaults.default_targets[0].id, target.id);
            assert_eq!(with_defaults.default_targets[0].crn, target.crn);
            assert_eq!(
                with_defaults.backup_metadata_region.as_deref(),
                Some("ca-tor")
            );
            let partial = MrUpdateSettings {
                default_targets: None,
                permitted_target_regions: None,
                primary_metadata_region: Some(REGION.into()),
                backup_metadata_region: None,
                private_api_endpoint_only: None,
            };
            let replaced = mr.update_settings(&partial).await.unwrap();
            assert!(replaced.default_targets.is_empty(), "{replaced:?}");
            assert!(replaced.permitted_target_regions.is_empty(), "{replaced:?}");
            assert_eq!(replaced.backup_metadata_region, None);
            assert_eq!(replaced.primary_metadata_region, REGION);
            assert_eq!(mr.get_settings().await.unwrap(), replaced);

            // A default target cannot be deleted; out of the settings (and its routes gone) it can.
            mr.update_settings(&full).await.unwrap();
            let refused = mr.delete_target(&target.id).await.unwrap_err();
            assert_eq!(status_of(&refused), 400, "{refused}");
            mr.update_settings(&MrUpdateSettings {
                default_targets: Some(vec![]),
                ..MrUpdateSettings::from_current(&mr.get_settings().await.unwrap())
            })
            .await
            .unwrap();
            mr.delete_route(&onramp.id).await.unwrap();
            mr.delete_route(&drop.id).await.unwrap();
            mr.delete_target(&target.id).await.unwrap();
            assert!(mr.list_targets().await.unwrap().is_empty());
            assert!(mr.list_routes().await.unwrap().is_empty());
            assert_eq!(
                status_of(&mr.get_target(&target.id).await.unwrap_err()),
                404
            );
        },
    )
    .await;
}

#[tokio::test]
async fn metrics_routing_limits_and_account_wide_objects() {
    with_sandbox(
        |_| {},
        |env| async move {
            let mr = env.mr();
            mr.update_settings(
                &MrUpdateSettings::from_current(&mr.get_settings().await.unwrap())
                    .with_primary_metadata_region(REGION),
            )
            .await
            .unwrap();
            let mut ids = Vec::new();
            for i in 0..16 {
                let crn = env.crn("sysdig-monitor", &uuid_like());
                ids.push(
                    mr.create_target(
                        &MrCreateTarget::monitoring(format!("t{i}"), crn, REGION),
                        Idempotency::Safe,
                    )
                    .await
                    .unwrap()
                    .id,
                );
            }
            let seventeenth = mr
                .create_target(
                    &MrCreateTarget::monitoring(
                        "t16",
                        env.crn("sysdig-monitor", &uuid_like()),
                        REGION,
                    ),
                    Idempotency::Safe,
                )
                .await
                .unwrap_err();
            assert_eq!(status_of(&seventeenth), 400, "{seventeenth}");
            let duplicate = mr
                .create_target(
                    &MrCreateTarget::monitoring(
                        "t0",
                        env.crn("sysdig-monitor", &uuid_like()),
                        REGION,
                    ),
                    Idempotency::Safe,
                )
                .await
                .unwrap_err();
            assert!(matches!(status_of(&duplicate), 400 | 409), "{duplicate}");
            let mut three = MrUpdateSettings::from_current(&mr.get_settings().await.unwrap());
            three.default_targets = Some(ids[..3].iter().map(TargetIdentity::new).collect());
            assert_eq!(
                status_of(&mr.update_settings(&three).await.unwrap_err()),
                400
            );
            let not_a_monitoring_crn = mr
                .create_target(
                    &MrCreateTarget::monitoring("wrong", env.crn("logs", &uuid_like()), REGION),
                    Idempotency::Safe,
                )
                .await
                .unwrap_err();
            assert_eq!(status_of(&not_a_monitoring_crn), 400);

            for i in 0..30 {
                mr.create_route(
                    &route(&format!("r{i}"), vec![send_rule(&ids[0], vec![])]),
                    Idempotency::Safe,
                )
                .await
                .unwrap();
            }
            let thirty_first = mr
                .create_route(
                    &route("r30", vec![send_rule(&ids[0], vec![])]),
                    Idempotency::Safe,
                )
                .await
                .unwrap_err();
            assert_eq!(status_of(&thirty_first), 400, "{thirty_first}");

            // Another region's endpoint sees the same objects.
            let other = env.cloud.metrics_router("us-south").unwrap();
            assert_eq!(other.list_targets().await.unwrap().len(), 16);
            assert_eq!(other.list_routes().await.unwrap().len(), 30);
            assert_eq!(
                other.get_settings().await.unwrap().primary_metadata_region,
                REGION
            );
        },
    )
    .await;
}

#[tokio::test]
async fn metrics_routing_accepts_the_contract_requests_and_answers_in_its_shapes() {
    with_sandbox(
        |_| {},
        |env| async move {
            let base = env.region_url("metrics_router");
            assert!(base.ends_with("/api/v3"), "{base}");
            let (status, fresh) = env.raw("GET", &format!("{base}/settings"), None).await;
            assert_eq!(status, 200);
            check_v3_settings(&fresh, false);
            assert_eq!(fresh["primary_metadata_region"], "");

            let target_request = fixture("mr_create_target_request.json");
            let (status, error) = env
                .raw("POST", &format!("{base}/targets"), Some(&target_request))
                .await;
            check_v3_error(status, &error, 409);

            let settings_request = fixture("mr_update_settings_request.json");
            let (status, settings) = env
                .raw(
                    "PATCH",
                    &format!("{base}/settings"),
                    Some(&settings_request),
                )
                .await;
            assert_eq!(status, 200, "{settings}");
            check_v3_settings(&settings, false);
            assert_eq!(
                settings["primary_metadata_region"],
                settings_request["primary_metadata_region"]
            );

            let (status, target) = env
                .raw("POST", &format!("{base}/targets"), Some(&target_request))
                .await;
            assert_eq!(status, 201, "{target}");
            check_v3_target(&target, "sysdig_monitor");
            for field in ["name", "destination_crn", "region"] {
                assert_eq!(target[field], target_request[field], "{field}");
            }
            let id = target["id"].as_str().unwrap().to_owned();
            let (status, listed) = env.raw("GET", &format!("{base}/targets"), None).await;
            assert_eq!(status, 200);
            listed["targets"]
                .as_array()
                .unwrap()
                .iter()
                .for_each(|t| check_v3_target(t, "sysdig_monitor"));

            let update_request = fixture("mr_update_target_request.json");
            let (status, updated) = env
                .raw(
                    "PATCH",
                    &format!("{base}/targets/{id}"),
                    Some(&update_request),
                )
                .await;
            assert_eq!(status, 200, "{updated}");
            check_v3_target(&updated, "sysdig_monitor");
            assert_eq!(updated["name"], update_request["name"]);

            // The route fixture names the fixture's target id: point it at the one made here.
            let mut route_request = fixture("mr_create_route_request.json");
            route_request["rules"][0]["targets"][0]["id"] = json!(id);
            let (status, created) = env
                .raw("POST", &format!("{base}/routes"), Some(&route_request))
                .await;
            assert_eq!(status, 201, "{created}");
            let operands = [
                "location",
                "service_name",
                "service_instance",
                "resource_type",
                "resource",
            ];
            check_v3_route(&created, &operands);
            assert_eq!(created["rules"][0]["targets"][0]["id"], json!(id));
            assert_eq!(
                created["rules"][0]["inclusion_filters"],
                route_request["rules"][0]["inclusion_filters"]
            );
            let (status, routes) = env.raw("GET", &format!("{base}/routes"), None).await;
            assert_eq!(status, 200);
            routes["routes"]
                .as_array()
                .unwrap()
                .iter()
                .for_each(|r| check_v3_route(r, &operands));

            let (status, error) = env
                .raw("GET", &format!("{base}/targets/{}", uuid_like()), None)
                .await;
            check_v3_error(status, &error, 404);
            let mut empty = route_request.clone();
            empty["name"] = json!("another");
            empty["rules"][0]["targets"] = json!([]);
            let (status, error) = env
                .raw("POST", &format!("{base}/routes"), Some(&empty))
                .await;
            check_v3_error(status, &error, 400);
            assert_eq!(
                error["errors"][0]["message"],
                fixture("mr_create_route_400_empty_targets.json")["errors"][0]["message"]
            );

            let route_id = created["id"].as_str().unwrap();
            let (status, body) = env
                .raw("DELETE", &format!("{base}/routes/{route_id}"), None)
                .await;
            assert_eq!((status, body), (204, Value::Null));
            let (status, body) = env
                .raw("DELETE", &format!("{base}/targets/{id}"), None)
                .await;
            assert_eq!((status, body), (204, Value::Null));
        },
    )
    .await;
}

// ================================================================ instances, catalog, roles

#[tokio::test]
async fn monitoring_and_cloud_logs_instances_reach_active_with_their_parameters() {
    with_sandbox(
        |_| {},
        |env| async move {
            let gc = env.cloud.global_catalog().unwrap();
            let graduated = env.plan(MONITORING_RESOURCE_ID, "graduated-tier").await;
            assert_eq!(graduated.id, MONITORING_GRADUATED_TIER_PLAN_ID);
            assert_eq!(
                env.plan(MONITORING_RESOURCE_ID, "lite").await.id,
                MONITORING_LITE_PLAN_ID
            );
            let standard = env.plan(CLOUD_LOGS_RESOURCE_ID, "standard").await;
            // Monthly prices, read as for PostgreSQL: from the deployment's pricing.
            for plan in [&graduated, &standard] {
                let deployments = gc.deployments(&plan.id).await.unwrap();
                let here = deployments
                    .iter()
                    .find(|d| d.location() == Some(REGION) && d.is_rc_compatible())
                    .unwrap_or_else(|| panic!("{} is not offered in {REGION}", plan.name));
                let pricing = gc.pricing(&here.id, Some(REGION)).await.unwrap();
                assert!(!pricing.metrics.is_empty(), "{pricing:?}");
                for metric in &pricing.metrics {
                    let amount = metric
                        .amounts
                        .iter()
                        .find(|a| a.country.as_deref() == Some("USA"))
                        .expect("a USA price");
                    assert_eq!(amount.currency.as_deref(), Some("USD"));
                    assert!(
                        amount.prices[0].price.is_some_and(|p| p >= 0.0),
                        "{metric:?}"
                    );
                }
            }
            let logs_pricing = gc.pricing(&standard.id, None).await.unwrap();
            let seven_days = logs_pricing
                .metrics
                .iter()
                .find(|m| {
                    m.resource_display_name
                        .as_deref()
                        .is_some_and(|n| n.contains("Priority insights") && n.contains("7-day"))
                })
                .expect("the 7-day priority insights price");
            assert_eq!(seven_days.amounts[0].prices[0].price, Some(1.20));

            let monitoring = env
                .instance(
                    "onramp-monitoring",
                    MONITORING_GRADUATED_TIER_PLAN_ID,
                    MonitoringParameters {
                        default_receiver: Some(false),
                        ..Default::default()
                    },
                )
                .await;
            assert_eq!(
                monitoring.resource_id.as_deref(),
                Some(MONITORING_RESOURCE_ID)
            );
            assert_eq!(
                monitoring.resource_plan_id.as_deref(),
                Some(MONITORING_GRADUATED_TIER_PLAN_ID)
            );
            assert_eq!(monitoring.region_id.as_deref(), Some(REGION));
            let echoed: MonitoringParameters = monitoring.parameters_as().unwrap();
            assert_eq!(echoed.default_receiver, Some(false));

            let logs = env
                .instance(
                    "onramp-logs",
                    &standard.id,
                    CloudLogsParameters {
                        retention_period: Some(json!(14)),
                        private_endpoints_only: Some(false),
                        ..Default::default()
                    },
                )
                .await;
            assert_eq!(logs.resource_id.as_deref(), Some(CLOUD_LOGS_RESOURCE_ID));
            assert_eq!(
                logs.parameters_as::<CloudLogsParameters>()
                    .unwrap()
                    .retention_days(),
                Some(14)
            );
            let extensions = logs.extensions.clone().expect("Cloud Logs extensions");
            assert!(
                extensions
                    .external_ingress_private
                    .as_deref()
                    .is_some_and(|h| h.starts_with(&logs.guid) && h.contains(".private.")),
                "{extensions:?}"
            );
            assert!(
                extensions
                    .external_ingress
                    .as_deref()
                    .is_some_and(|h| h.starts_with(&logs.guid)),
                "{extensions:?}"
            );

            // What the brokers refuse.
            let rc = env.cloud.resource_controller().unwrap();
            let group = env.default_group().await;
            let refused = |plan: &str, parameters: Value| CreateResourceInstance {
                name: "refused".into(),
                target: REGION.into(),
                resource_group: group.clone(),
                resource_plan_id: plan.into(),
                tags: vec![],
                allow_cleanup: None,
                parameters: Some(parameters),
            };
            for (plan, parameters) in [
                (standard.id.as_str(), json!({"retention_period": 8})),
                (
                    standard.id.as_str(),
                    json!({"private_endpoints_only": "yes"}),
                ),
                (
                    MONITORING_GRADUATED_TIER_PLAN_ID,
                    json!({"external_api_auth": "SOMETIMES"}),
                ),
                (
                    MONITORING_GRADUATED_TIER_PLAN_ID,
                    json!({"default_receiver": "true"}),
                ),
            ] {
                let error = rc
                    .create_service_instance(&refused(plan, parameters.clone()), Idempotency::Safe)
                    .await
                    .unwrap_err();
                assert_eq!(status_of(&error), 400, "{parameters}: {error}");
                assert_eq!(
                    error.code.as_deref(),
                    Some("RC-ServiceBrokerErrorResponse"),
                    "{error}"
                );
            }
            // One platform-metrics receiver per region.
            env.instance(
                "receiver",
                MONITORING_LITE_PLAN_ID,
                MonitoringParameters {
                    default_receiver: Some(true),
                    ..Default::default()
                },
            )
            .await;
            let second = rc
                .create_service_instance(
                    &refused(
                        MONITORING_GRADUATED_TIER_PLAN_ID,
                        json!({"default_receiver": true}),
                    ),
                    Idempotency::Safe,
                )
                .await
                .unwrap_err();
            assert_eq!(status_of(&second), 400, "{second}");

            let listed = rc
                .list_instances(&InstanceFilter {
                    resource_id: Some(MONITORING_RESOURCE_ID.into()),
                    ..Default::default()
                })
                .await
                .unwrap();
            let mut names: Vec<&str> = listed.iter().map(|i| i.name.as_str()).collect();
            names.sort_unstable();
            assert_eq!(names, ["onramp-monitoring", "receiver"]);
            rc.delete_instance(&monitoring.guid, false).await.unwrap();
            rc.delete_instance(&logs.guid, false).await.unwrap();
            for _ in 0..100 {
                let gone = rc.get_instance(&logs.guid).await.unwrap();
                if gone
                    .state
                    .as_ref()
                    .is_some_and(|s| *s != InstanceState::Active)
                    && rc.get_instance(&monitoring.guid).await.unwrap().state
                        != Some(InstanceState::Active)
                {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            let remaining = rc
                .list_instances(&InstanceFilter {
                    resource_id: Some(CLOUD_LOGS_RESOURCE_ID.into()),
                    ..Default::default()
                })
                .await
                .unwrap();
            assert!(remaining.is_empty(), "{remaining:?}");
        },
    )
    .await;
}

#[tokio::test]
async fn the_authorizations_roles_are_resolved_by_display_name() {
    with_sandbox(
        |_| {},
        |env| async move {
            let iam = env.cloud.iam_policies().unwrap();
            let publisher = iam
                .authorization_role_crn(
                    "sysdig-monitor",
                    "metrics-router",
                    SUPERTENANT_METRICS_PUBLISHER,
                )
                .await
                .unwrap();
            let at_sender = iam
                .authorization_role_crn("logs", "atracker", SENDER)
                .await
                .unwrap();
            let lr_sender = iam
                .authorization_role_crn("logs", "logs-router", SENDER)
                .await
                .unwrap();
            for crn in [&publisher, &at_sender, &lr_sender] {
                assert!(
                    crn.starts_with("crn:v1:bluemix:public:") && crn.contains(":serviceRole:"),
                    "{crn}"
                );
            }
            assert_eq!(at_sender, lr_sender, "one Sender role on logs");
            // A role is listed only for the service (and source) it belongs to.
            assert!(iam
                .authorization_role_crn("kms", "atracker", SENDER)
                .await
                .is_err());
            assert!(iam
                .authorization_role_crn("logs", "metrics-router", SENDER)
                .await
                .is_err());
            let roles = iam
                .list_authorization_roles("logs", "atracker")
                .await
                .unwrap();
            for role in roles.service_roles.iter().chain(&roles.system_roles) {
                assert!(
                    !role.display_name.is_empty() && !role.actions.is_empty() && role.crn.is_some(),
                    "{role:?}"
                );
            }
            // The contract's three authorization bodies are accepted (their role CRNs are the
            // documented, UNVERIFIED forms), with the account and instance made ours.
            let url = format!(
                "{}/v1/policies",
                env.endpoints.iam.as_str().trim_end_matches('/')
            );
            for name in [
                "iam_policy_authorization_create_request_atracker.json",
                "iam_policy_authorization_create_request_logs_router.json",
            ] {
                let text = serde_json::to_string(&fixture(name))
                    .unwrap()
                    .replace("a1b2c3d4e5f60718293a4b5c6d7e8f90", &env.account_id);
                let body: Value = serde_json::from_str(&text).unwrap();
                let (status, policy) = env.raw("POST", &url, Some(&body)).await;
                assert_eq!(status, 201, "{name}: {policy}");
                assert_eq!(policy["roles"][0]["display_name"], SENDER, "{policy}");
            }
            let metrics = CreatePolicy::authorization(
                &env.account_id,
                "metrics-router",
                "sysdig-monitor",
                Some(&uuid_like()),
                &[publisher.as_str()],
                None,
            );
            iam.create_policy(&metrics, Idempotency::Safe)
                .await
                .unwrap();
            let duplicate = iam
                .create_policy(&metrics, Idempotency::Safe)
                .await
                .unwrap_err();
            assert_eq!(status_of(&duplicate), 409);
        },
    )
    .await;
}

// ================================================================ Activity Tracker

/// Activity Tracker's verified error body: `{trace, errors[{code, message, recovery?}]}`.
fn check_at_error(status: u16, body: &Value, expected: u16, code: &str) {
    assert_eq!(status, expected, "{body}");
    check_fields(
        body,
        &[
            ("trace", Kind::NonEmpty, true),
            ("errors", Kind::Array, true),
        ],
    );
    check_fields(
        &body["errors"][0],
        &[
            ("code", Kind::NonEmpty, true),
            ("message", Kind::NonEmpty, true),
            ("recovery", Kind::Str, false),
        ],
    );
    assert_eq!(body["errors"][0]["code"], code, "{body}");
}

fn check_at_target(body: &Value) {
    check_fields(
        body,
        &[
            ("id", Kind::NonEmpty, true),
            ("name", Kind::NonEmpty, true),
            ("crn", Kind::Crn, true),
            (
                "target_type",
                Kind::OneOf(&[
                    "cloud_logs",
                    "cloud_object_storage",
                    "event_streams",
                    "app_config",
                ]),
                true,
            ),
            ("write_status", Kind::Object, true),
            ("created_at", Kind::Time, true),
            ("updated_at", Kind::Time, true),
            ("api_version", Kind::Int, true),
            ("managed_by", Kind::OneOf(&["account", "enterprise"]), true),
            ("region", Kind::Str, false),
            ("cloudlogs_endpoint", Kind::Object, false),
            ("message", Kind::Str, false),
        ],
    );
    assert_eq!(body["api_version"], 2, "{body}");
    check_write_status(&body["write_status"]);
    if body["target_type"] == "cloud_logs" {
        check_field(&body["cloudlogs_endpoint"], "target_crn", Kind::Crn, true);
    }
}

fn check_at_route(body: &Value) {
    check_fields(
        body,
        &[
            ("id", Kind::NonEmpty, true),
            ("name", Kind::NonEmpty, true),
            ("crn", Kind::Crn, true),
            ("rules", Kind::Array, true),
            ("created_at", Kind::Time, true),
            ("updated_at", Kind::Time, true),
            ("api_version", Kind::Int, true),
            ("managed_by", Kind::OneOf(&["account", "enterprise"]), true),
            ("version", Kind::Int, false),
            ("message", Kind::Str, false),
        ],
    );
    for rule in body["rules"].as_array().unwrap() {
        check_fields(
            rule,
            &[
                ("target_ids", Kind::Array, true),
                ("locations", Kind::Array, true),
            ],
        );
        assert!(
            rule["target_ids"]
                .as_array()
                .unwrap()
                .iter()
                .all(Value::is_string),
            "{rule}"
        );
        assert!(
            rule["locations"]
                .as_array()
                .unwrap()
                .iter()
                .all(Value::is_string),
            "{rule}"
        );
    }
}

fn check_at_settings(body: &Value) {
    check_fields(
        body,
        &[
            ("metadata_region_primary", Kind::Str, true),
            ("metadata_region_backup", Kind::Str, false),
            ("private_api_endpoint_only", Kind::Bool, true),
            ("default_targets", Kind::Array, true),
            ("permitted_target_regions", Kind::Array, true),
            ("api_version", Kind::Int, true),
            ("message", Kind::Str, false),
        ],
    );
    assert!(
        body["default_targets"]
            .as_array()
            .unwrap()
            .iter()
            .all(Value::is_string),
        "{body}"
    );
}

#[tokio::test]
async fn activity_tracker_round_trips_with_put_updates_and_global_events() {
    with_sandbox(
        |_| {},
        |env| async move {
            let at = env.at();
            let fresh = at.get_settings().await.unwrap();
            assert_eq!(fresh.api_version, 2);
            assert!(fresh.default_targets.is_empty());

            let logs = env.cloud_logs("onramp-logs").await;
            let target = at
                .create_target(
                    &AtCreateTarget::cloud_logs("onramp-events", &logs.crn, REGION),
                    Idempotency::Safe,
                )
                .await
                .unwrap();
            assert_eq!(target.target_type, TargetType::CloudLogs);
            assert_eq!(
                target
                    .cloudlogs_endpoint
                    .as_ref()
                    .map(|e| e.target_crn.as_str()),
                Some(logs.crn.as_str())
            );
            assert_eq!(target.api_version, 2);
            assert!(target.write_status.is_failed(), "{target:?}");
            // The first target set the metadata region (no 409 on this API).
            assert_eq!(
                at.get_settings().await.unwrap().metadata_region_primary,
                REGION
            );

            env.authorize("atracker", "logs", Some(&logs.guid), SENDER)
                .await;
            assert_eq!(
                at.validate_target(&target.id)
                    .await
                    .unwrap()
                    .write_status
                    .status,
                WriteState::Success
            );
            assert!(!at
                .get_target(&target.id)
                .await
                .unwrap()
                .write_status
                .is_failed());
            assert_eq!(at.list_targets(None).await.unwrap().len(), 1);
            assert_eq!(at.list_targets(Some(REGION)).await.unwrap().len(), 1);
            assert!(at.list_targets(Some("us-south")).await.unwrap().is_empty());
            let renamed = at
                .replace_target(
                    &target.id,
                    &ReplaceTarget {
                        name: Some("onramp-events-2".into()),
                        cloudlogs_endpoint: None,
                    },
                )
                .await
                .unwrap();
            assert_eq!(renamed.name, "onramp-events-2");
            assert_eq!(renamed.cloudlogs_endpoint, target.cloudlogs_endpoint);

            let route = at
                .create_route(
                    &AtCreateRoute::to_target(
                        "onramp-events",
                        &target.id,
                        [REGION.to_owned(), GLOBAL_LOCATION.to_owned()],
                    ),
                    Idempotency::Safe,
                )
                .await
                .unwrap();
            assert_eq!(route.rules[0].target_ids, [target.id.as_str()]);
            assert!(
                route.rules[0]
                    .locations
                    .iter()
                    .any(|l| l == GLOBAL_LOCATION),
                "{route:?}"
            );
            assert_eq!(route.api_version, 2);
            assert_eq!(at.get_route(&route.id).await.unwrap().id, route.id);
            assert_eq!(at.list_routes().await.unwrap().len(), 1);
            let replaced = at
                .replace_route(
                    &route.id,
                    &AtCreateRoute::to_target(
                        "onramp-events",
                        &target.id,
                        [
                            REGION.to_owned(),
                            GLOBAL_LOCATION.to_owned(),
                            "ca-tor".to_owned(),
                            "*".to_owned(),
                        ],
                    ),
                )
                .await
                .unwrap();
            assert_eq!(replaced.rules[0].locations.len(), 4);
            assert!(replaced.version > route.version, "{replaced:?}");
            for (why, rule) in [
                (
                    "an unknown target",
                    AtRule {
                        target_ids: vec![uuid_like()],
                        locations: vec![REGION.into()],
                    },
                ),
                (
                    "an unknown location",
                    AtRule {
                        target_ids: vec![target.id.clone()],
                        locations: vec!["mars-1a".into()],
                    },
                ),
            ] {
                let error = at
                    .create_route(
                        &AtCreateRoute {
                            name: "bad".into(),
                            rules: vec![rule],
                            managed_by: None,
                        },
                        Idempotency::Safe,
                    )
                    .await
                    .unwrap_err();
                assert_eq!(status_of(&error), 400, "{why}: {error}");
            }

            // Settings are replaced by PUT; a default target cannot be deleted.
            let mut settings = PutSettings::from_current(&at.get_settings().await.unwrap());
            settings.default_targets = Some(vec![target.id.clone()]);
            let put = at.put_settings(&settings).await.unwrap();
            assert_eq!(put.default_targets, [target.id.as_str()]);
            assert_eq!(
                status_of(&at.delete_target(&target.id).await.unwrap_err()),
                400
            );
            let three = PutSettings {
                default_targets: Some(vec![
                    target.id.clone(),
                    target.id.clone(),
                    target.id.clone(),
                ]),
                ..settings.clone()
            };
            let error = at.put_settings(&three).await.unwrap_err();
            assert_eq!(
                (status_of(&error), error.code.as_deref()),
                (400, Some("invalid_value")),
                "{error}"
            );
            let cleared = at
                .put_settings(&PutSettings {
                    default_targets: None,
                    ..settings.clone()
                })
                .await
                .unwrap();
            assert!(
                cleared.default_targets.is_empty(),
                "omitted is replaced by nothing: {cleared:?}"
            );

            // Target regions outside permitted_target_regions are refused.
            at.put_settings(&PutSettings {
                permitted_target_regions: Some(vec!["us-south".into(), "eu-gb".into()]),
                ..settings.clone()
            })
            .await
            .unwrap();
            let elsewhere = env.crn("logs", &uuid_like()).replace(REGION, "us-east");
            let error = at
                .create_target(
                    &AtCreateTarget::cloud_logs("elsewhere", &elsewhere, "us-east"),
                    Idempotency::Safe,
                )
                .await
                .unwrap_err();
            assert_eq!(
                (status_of(&error), error.code.as_deref()),
                (400, Some("region_not_allowed")),
                "{error}"
            );
            at.put_settings(&PutSettings {
                permitted_target_regions: None,
                default_targets: None,
                ..settings
            })
            .await
            .unwrap();
            // A ca-mon Cloud Logs instance needs a ca-mon target.
            let error = at
                .create_target(
                    &AtCreateTarget::cloud_logs("wrong-region", &logs.crn, "ca-tor"),
                    Idempotency::Safe,
                )
                .await
                .unwrap_err();
            assert_eq!(status_of(&error), 400, "{error}");
            for error in [
                at.get_target("nope").await.unwrap_err(),
                at.replace_target(
                    "nope",
                    &ReplaceTarget {
                        name: Some("x".into()),
                        cloudlogs_endpoint: None,
                    },
                )
                .await
                .unwrap_err(),
                at.delete_target("nope").await.unwrap_err(),
                at.get_route("nope").await.unwrap_err(),
                at.delete_route("nope").await.unwrap_err(),
            ] {
                assert_eq!(status_of(&error), 404, "{error}");
            }

            at.delete_route(&route.id).await.unwrap();
            assert_eq!(at.delete_target(&target.id).await.unwrap(), None);
            assert!(at.list_targets(None).await.unwrap().is_empty());
        },
    )
    .await;
}

#[tokio::test]
async fn activity_tracker_accepts_the_contract_requests_and_answers_in_its_shapes() {
    with_sandbox(|_| {}, |env| async move {
        let base = format!("{}/api/v2", env.region_url("atracker"));
        let (status, fresh) = env.raw("GET", &format!("{base}/settings"), None).await;
        assert_eq!(status, 200);
        check_at_settings(&fresh);

        let target_request = fixture("at_create_target_request.json");
        let (status, target) = env.raw("POST", &format!("{base}/targets"), Some(&target_request)).await;
        assert_eq!(status, 201, "{target}");
        check_at_target(&target);
        for field in ["name", "target_type", "region", "cloudlogs_endpoint"] {
            assert_eq!(target[field], target_request[field], "{field}");
        }
        let id = target["id"].as_str().unwrap().to_owned();
        let (status, listed) = env.raw("GET", &format!("{base}/targets"), None).await;
        assert_eq!(status, 200);
        listed["targets"].as_array().unwrap().iter().for_each(check_at_target);
        let (_, settings) = env.raw("GET", &format!("{base}/settings"), None).await;
        assert_eq!(settings["metadata_region_primary"], target_request["region"]);

        let settings_request = fixture("at_put_settings_request.json");
        let (status, put) = env.raw("PUT", &format!("{base}/settings"), Some(&settings_request)).await;
        assert_eq!(status, 201, "{put}");
        check_at_settings(&put);
        for field in ["metadata_region_primary", "private_api_endpoint_only", "default_targets", "permitted_target_regions"] {
            assert_eq!(put[field], settings_request[field], "{field}");
        }
        let too_many = json!({"metadata_region_primary": REGION, "private_api_endpoint_only": false, "default_targets": [id, id, id]});
        let (status, error) = env.raw("PUT", &format!("{base}/settings"), Some(&too_many)).await;
        check_at_error(status, &error, 400, fixture("at_put_settings_400_invalid_value.json")["errors"][0]["code"].as_str().unwrap());

        let mut route_request = fixture("at_create_route_request.json");
        route_request["rules"][0]["target_ids"] = json!([id]);
        let (status, route) = env.raw("POST", &format!("{base}/routes"), Some(&route_request)).await;
        assert_eq!(status, 201, "{route}");
        check_at_route(&route);
        assert_eq!(route["rules"][0]["locations"], route_request["rules"][0]["locations"]);
        let route_id = route["id"].as_str().unwrap().to_owned();
        let mut replace_request = fixture("at_replace_route_request.json");
        replace_request["rules"][0]["target_ids"] = json!([id]);
        let (status, replaced) = env.raw("PUT", &format!("{base}/routes/{route_id}"), Some(&replace_request)).await;
        assert_eq!(status, 200, "{replaced}");
        check_at_route(&replaced);
        assert_eq!(replaced["rules"], replace_request["rules"]);
        assert!(replaced["version"].as_u64() > route["version"].as_u64(), "{replaced}");

        // Errors: the verified envelope, with the documented codes.
        let malformed = reqwest::Client::new()
            .post(format!("{base}/targets"))
            .bearer_auth(env.token().await)
            .header("content-type", "application/json")
            .body("{name: 1}")
            .send()
            .await
            .unwrap();
        let status = malformed.status().as_u16();
        check_at_error(status, &malformed.json().await.unwrap(), 400, "binding_error");
        let unauthorized = reqwest::Client::new().get(format!("{base}/targets")).bearer_auth("not-a-token").send().await.unwrap();
        let status = unauthorized.status().as_u16();
        let body: Value = unauthorized.json().await.unwrap();
        check_at_error(status, &body, 401, "invalid_token");
        check_field(&body["errors"][0], "recovery", Kind::NonEmpty, true);
        let (status, error) = env.raw("GET", &format!("{base}/targets/{}", uuid_like()), None).await;
        check_at_error(status, &error, 404, "not_found");
        let mut bad_type = target_request.clone();
        bad_type["target_type"] = json!("bad_target_type");
        let (status, error) = env.raw("POST", &format!("{base}/targets"), Some(&bad_type)).await;
        assert_eq!(status, 400, "{error}");

        let (status, body) = env.raw("DELETE", &format!("{base}/routes/{route_id}"), None).await;
        assert_eq!((status, body), (204, Value::Null));
        let (status, body) = env.raw("DELETE", &format!("{base}/targets/{id}"), None).await;
        assert_eq!((status, body), (204, Value::Null));
    })
    .await;
}

// ================================================================ Logs Routing

const API_VERSION_HEADER: (&str, &str) = ("IBM-API-Version", "2024-06-15");

fn check_tenant(body: &Value) {
    check_fields(
        body,
        &[
            ("id", Kind::NonEmpty, true),
            ("crn", Kind::Crn, true),
            ("name", Kind::NonEmpty, true),
            ("etag", Kind::NonEmpty, true),
            ("created_at", Kind::Time, true),
            ("updated_at", Kind::Time, true),
            ("targets", Kind::Array, true),
        ],
    );
    body["targets"]
        .as_array()
        .unwrap()
        .iter()
        .for_each(check_tenant_target);
}

fn check_tenant_target(body: &Value) {
    check_fields(
        body,
        &[
            ("id", Kind::NonEmpty, true),
            ("log_sink_crn", Kind::Crn, true),
            ("name", Kind::NonEmpty, true),
            ("etag", Kind::NonEmpty, true),
            ("type", Kind::OneOf(&["logs"]), true),
            ("created_at", Kind::Time, true),
            ("updated_at", Kind::Time, true),
            ("parameters", Kind::Object, true),
            ("write_status", Kind::Object, false),
        ],
    );
    check_fields(
        &body["parameters"],
        &[("host", Kind::NonEmpty, true), ("port", Kind::Int, true)],
    );
}

#[tokio::test]
async fn logs_routing_v3_round_trips_on_a_new_account() {
    with_sandbox(
        |_| {},
        |env| async move {
            let lr = env.lr();
            let fresh = lr.get_settings().await.unwrap();
            assert_eq!(
                (fresh.api_version, fresh.primary_metadata_region.as_str()),
                (1, ""),
                "{fresh:?}"
            );
            let migration = lr.get_migration().await.unwrap();
            assert_eq!(
                (migration.api_version(), migration.state),
                (Some(1), MigrationStep::Before)
            );

            let logs = env.cloud_logs("onramp-logs").await;
            let early = lr
                .create_target(
                    &LrCreateTarget::cloud_logs("early", &logs.crn, REGION),
                    Idempotency::Safe,
                )
                .await
                .unwrap_err();
            assert_eq!(status_of(&early), 409, "{early}");
            // A new account (no tenant) may set version 3 directly, with the metadata region.
            let mut switch =
                LrUpdateSettings::from_current(&fresh).with_primary_metadata_region(REGION);
            switch.api_version = Some(3);
            let v3 = lr.update_settings(&switch).await.unwrap();
            assert_eq!(
                (v3.api_version, v3.primary_metadata_region.as_str()),
                (3, REGION)
            );
            assert_eq!(
                lr.get_migration().await.unwrap().state,
                MigrationStep::Complete
            );
            // Omitting api_version keeps it.
            let kept = lr
                .update_settings(&LrUpdateSettings::from_current(&v3))
                .await
                .unwrap();
            assert_eq!(kept.api_version, 3);

            let target = lr
                .create_target(
                    &LrCreateTarget::cloud_logs("onramp-platform-logs", &logs.crn, REGION),
                    Idempotency::Safe,
                )
                .await
                .unwrap();
            assert_eq!(target.target_type, TargetType::CloudLogs);
            assert!(target.write_status.is_failed());
            env.authorize("logs-router", "logs", Some(&logs.guid), SENDER)
                .await;
            assert_eq!(
                lr.get_target(&target.id).await.unwrap().write_status.status,
                WriteState::Success
            );
            assert_eq!(lr.list_targets().await.unwrap().len(), 1);
            let renamed = lr
                .update_target(
                    &target.id,
                    &LrUpdateTarget {
                        name: Some("onramp-platform-logs-2".into()),
                        destination_crn: Some(logs.crn.clone()),
                    },
                )
                .await
                .unwrap();
            assert_eq!(renamed.name, "onramp-platform-logs-2");

            let route = lr
                .create_route(
                    &LrCreateRoute::location("onramp-platform-logs", &target.id, REGION),
                    Idempotency::Safe,
                )
                .await
                .unwrap();
            assert_eq!(route.rules[0].targets[0].id, target.id);
            assert_eq!(
                route.rules[0].inclusion_filters[0].operand,
                FilterOperand::Location
            );
            assert_eq!(lr.get_route(&route.id).await.unwrap(), route);
            assert_eq!(lr.list_routes().await.unwrap().len(), 1);
            let mut wider = LrCreateRoute::location("onramp-platform-logs", &target.id, REGION);
            wider.rules[0].inclusion_filters = vec![InclusionFilter::is_in(
                FilterOperand::Location,
                [REGION.to_owned(), "ca-tor".to_owned()],
            )];
            assert_eq!(
                lr.update_route(&route.id, &wider).await.unwrap().rules[0].inclusion_filters[0]
                    .values
                    .len(),
                2
            );
            // The only operand is location: a route cannot pick out one database.
            let mut one_instance = LrCreateRoute::location("one-instance", &target.id, REGION);
            one_instance.rules[0].inclusion_filters = vec![InclusionFilter::is(
                FilterOperand::ServiceInstance,
                uuid_like(),
            )];
            assert_eq!(
                status_of(
                    &lr.create_route(&one_instance, Idempotency::Safe)
                        .await
                        .unwrap_err()
                ),
                400
            );

            // Replace semantics, and the default-target rule, as for Metrics Routing.
            let mut defaults = LrUpdateSettings::from_current(&lr.get_settings().await.unwrap());
            defaults.default_targets = Some(vec![TargetIdentity::new(&target.id)]);
            assert_eq!(
                lr.update_settings(&defaults).await.unwrap().default_targets[0].id,
                target.id
            );
            assert_eq!(
                status_of(&lr.delete_target(&target.id).await.unwrap_err()),
                400
            );
            let partial = LrUpdateSettings {
                default_targets: None,
                permitted_target_regions: None,
                primary_metadata_region: Some(REGION.into()),
                backup_metadata_region: None,
                private_api_endpoint_only: None,
                api_version: None,
            };
            let replaced = lr.update_settings(&partial).await.unwrap();
            assert!(replaced.default_targets.is_empty(), "{replaced:?}");
            assert_eq!(replaced.api_version, 3);
            for error in [
                lr.get_target("nope").await.unwrap_err(),
                lr.get_route("nope").await.unwrap_err(),
                lr.delete_route("nope").await.unwrap_err(),
            ] {
                assert_eq!(status_of(&error), 404, "{error}");
            }
            lr.delete_route(&route.id).await.unwrap();
            lr.delete_target(&target.id).await.unwrap();
            assert!(lr.list_targets().await.unwrap().is_empty());

            // After the move to v3, v1 tenants are read-only (the sandbox's choice).
            let tenants = format!("{}/tenants", env.region_url("logs_router_v1"));
            let (status, error) = env
                .raw_with(
                    "POST",
                    &tenants,
                    Some(&fixture("lr_v1_create_tenant_request.json")),
                    &[API_VERSION_HEADER],
                )
                .await;
            check_v3_error(status, &error, 409);
        },
    )
    .await;
}

#[tokio::test]
async fn a_logs_routing_v1_account_refuses_v3_writes_and_takes_a_tenant() {
    with_sandbox(|config| config.logs_routing_v1 = true, |env| async move {
        let lr = env.lr();
        let settings = lr.get_settings().await.unwrap();
        assert_eq!(settings.api_version, 1);
        assert_eq!(lr.get_migration().await.unwrap().state, MigrationStep::Before);
        let with_region = lr
            .update_settings(&LrUpdateSettings::from_current(&settings).with_primary_metadata_region(REGION))
            .await
            .unwrap();
        assert_eq!((with_region.api_version, with_region.primary_metadata_region.as_str()), (1, REGION));
        let mut switch = LrUpdateSettings::from_current(&with_region);
        switch.api_version = Some(3);
        assert_eq!(status_of(&lr.update_settings(&switch).await.unwrap_err()), 409);

        let logs = env.cloud_logs("onramp-logs").await;
        let refused = lr
            .create_target(&LrCreateTarget::cloud_logs("v3-target", &logs.crn, REGION), Idempotency::Safe)
            .await
            .unwrap_err();
        assert_eq!(status_of(&refused), 409, "{refused}");
        assert!(refused.message.contains("v1"), "{refused}");
        let route = lr
            .create_route(&LrCreateRoute::location("v3-route", "any", REGION), Idempotency::Safe)
            .await
            .unwrap_err();
        assert_eq!(status_of(&route), 409, "{route}");

        // The v1 tenants work: the contract's body, pointed at this account's instance.
        let base = env.region_url("logs_router_v1");
        assert!(base.ends_with("/v1"), "{base}");
        let host = logs.extensions.as_ref().and_then(|e| e.external_ingress_private.clone()).expect("the private ingress host");
        let mut request = fixture("lr_v1_create_tenant_request.json");
        request["targets"][0]["log_sink_crn"] = json!(logs.crn);
        request["targets"][0]["parameters"]["host"] = json!(host);
        let (status, error) = env.raw("POST", &format!("{base}/tenants"), Some(&request)).await;
        check_v3_error(status, &error, 400);
        let (status, tenant) = env.raw_with("POST", &format!("{base}/tenants"), Some(&request), &[API_VERSION_HEADER]).await;
        assert_eq!(status, 201, "{tenant}");
        check_tenant(&tenant);
        assert_eq!(tenant["name"], request["name"]);
        assert_eq!(tenant["targets"][0]["parameters"], request["targets"][0]["parameters"]);
        assert_eq!(tenant["targets"][0]["write_status"]["status"], "failed");
        env.authorize("logs-router", "logs", None, SENDER).await;
        let id = tenant["id"].as_str().unwrap().to_owned();
        let (status, fetched) = env.raw_with("GET", &format!("{base}/tenants/{id}"), None, &[API_VERSION_HEADER]).await;
        assert_eq!(status, 200);
        check_tenant(&fetched);
        assert_eq!(fetched["targets"][0]["write_status"]["status"], "success");
        let (status, second) = env.raw_with("POST", &format!("{base}/tenants"), Some(&request), &[API_VERSION_HEADER]).await;
        check_v3_error(status, &second, 409);
        let (status, listed) = env.raw_with("GET", &format!("{base}/tenants?name={}", request["name"].as_str().unwrap()), None, &[API_VERSION_HEADER]).await;
        assert_eq!((status, listed["tenants"].as_array().map(Vec::len)), (200, Some(1)), "{listed}");

        let other = env.crn("logs", &uuid_like());
        let extra = json!({"log_sink_crn": other, "name": "second-sink", "parameters": {"host": "x.ingress.ca-mon.logs.cloud.ibm.com", "port": 443}});
        let (status, target) = env.raw_with("POST", &format!("{base}/tenants/{id}/targets"), Some(&extra), &[API_VERSION_HEADER]).await;
        assert_eq!(status, 201, "{target}");
        check_tenant_target(&target);
        let target_id = target["id"].as_str().unwrap();
        let (status, renamed) = env.raw_with("PATCH", &format!("{base}/tenants/{id}/targets/{target_id}"), Some(&json!({"name": "renamed"})), &[API_VERSION_HEADER]).await;
        assert_eq!((status, renamed["name"].as_str()), (200, Some("renamed")), "{renamed}");
        let (status, targets) = env.raw_with("GET", &format!("{base}/tenants/{id}/targets"), None, &[API_VERSION_HEADER]).await;
        assert_eq!((status, targets["targets"].as_array().map(Vec::len)), (200, Some(2)));
        let (status, _) = env.raw_with("DELETE", &format!("{base}/tenants/{id}/targets/{target_id}"), None, &[API_VERSION_HEADER]).await;
        assert_eq!(status, 204);
        let (status, patched) = env.raw_with("PATCH", &format!("{base}/tenants/{id}"), Some(&json!({"name": "onramp-renamed"})), &[API_VERSION_HEADER]).await;
        assert_eq!((status, patched["name"].as_str()), (200, Some("onramp-renamed")));

        // v3 writes stay refused, naming the tenant; the contract's v3 body is refused too.
        let refused = lr
            .create_target(&LrCreateTarget::cloud_logs("v3-target", &logs.crn, REGION), Idempotency::Safe)
            .await
            .unwrap_err();
        assert!(refused.message.contains("onramp-renamed"), "{refused}");
        let (status, error) = env.raw("POST", &format!("{}/targets", env.region_url("logs_router")), Some(&fixture("lr_create_target_request.json"))).await;
        check_v3_error(status, &error, 409);
        let (status, _) = env.raw_with("DELETE", &format!("{base}/tenants/{id}"), None, &[API_VERSION_HEADER]).await;
        assert_eq!(status, 204);
    })
    .await;
}

#[tokio::test]
async fn logs_routing_accepts_the_contract_requests_and_answers_in_its_shapes() {
    with_sandbox(
        |_| {},
        |env| async move {
            let base = env.region_url("logs_router");
            assert!(base.ends_with("/v3") && !base.contains("/api/"), "{base}");
            let (status, fresh) = env.raw("GET", &format!("{base}/settings"), None).await;
            assert_eq!(status, 200);
            check_v3_settings(&fresh, true);
            let unset = fixture("lr_get_settings_200_unset.json");
            for field in [
                "api_version",
                "primary_metadata_region",
                "private_api_endpoint_only",
            ] {
                assert_eq!(fresh[field], unset[field], "{field}");
            }
            let (status, migration) = env.raw("GET", &format!("{base}/migrate"), None).await;
            assert_eq!(status, 200);
            check_fields(
                &migration,
                &[
                    (
                        "state",
                        Kind::OneOf(&["BEFORE", "IN_PROGRESS", "PENDING_COMPLETION", "COMPLETE"]),
                        true,
                    ),
                    ("message", Kind::Str, true),
                ],
            );
            assert!(
                migration["api_version"].is_u64() || migration["version"].is_string(),
                "{migration}"
            );

            let settings_request = fixture("lr_update_settings_request.json");
            let (status, settings) = env
                .raw(
                    "PATCH",
                    &format!("{base}/settings"),
                    Some(&settings_request),
                )
                .await;
            assert_eq!(status, 200, "{settings}");
            check_v3_settings(&settings, true);
            assert_eq!(settings["api_version"], settings_request["api_version"]);
            assert_eq!(
                settings["primary_metadata_region"],
                settings_request["primary_metadata_region"]
            );

            let target_request = fixture("lr_create_target_request.json");
            let (status, target) = env
                .raw("POST", &format!("{base}/targets"), Some(&target_request))
                .await;
            assert_eq!(status, 201, "{target}");
            check_v3_target(&target, "cloud_logs");
            for field in ["name", "destination_crn", "region"] {
                assert_eq!(target[field], target_request[field], "{field}");
            }
            let id = target["id"].as_str().unwrap().to_owned();
            let (_, listed) = env.raw("GET", &format!("{base}/targets"), None).await;
            listed["targets"]
                .as_array()
                .unwrap()
                .iter()
                .for_each(|t| check_v3_target(t, "cloud_logs"));
            let mut route_request = fixture("lr_create_route_request.json");
            route_request["rules"][0]["targets"][0]["id"] = json!(id);
            let (status, route) = env
                .raw("POST", &format!("{base}/routes"), Some(&route_request))
                .await;
            assert_eq!(status, 201, "{route}");
            check_v3_route(&route, &["location"]);
            assert_eq!(
                route["rules"][0]["inclusion_filters"],
                route_request["rules"][0]["inclusion_filters"]
            );
            let (status, error) = env
                .raw("GET", &format!("{base}/routes/{}", uuid_like()), None)
                .await;
            check_v3_error(status, &error, 404);
            let unauthorized = reqwest::Client::new()
                .get(format!("{base}/targets"))
                .bearer_auth("not-a-token")
                .send()
                .await
                .unwrap();
            let status = unauthorized.status().as_u16();
            check_v3_error(status, &unauthorized.json().await.unwrap(), 401);
        },
    )
    .await;
}

#[tokio::test]
async fn faults_can_target_each_routing_api_by_name() {
    with_sandbox(
        |_| {},
        |env| async move {
            for (name, expected) in [("metrics-router", 0), ("atracker", 1), ("logs-router", 2)] {
                env.sandbox
                    .set_faults(FaultSpec::parse(&format!("{name}:status=409@first=1")).unwrap());
                let outcomes = [
                    env.mr().get_settings().await.err(),
                    env.at().get_settings().await.err(),
                    env.lr().get_settings().await.err(),
                ];
                for (i, outcome) in outcomes.iter().enumerate() {
                    assert_eq!(outcome.is_some(), i == expected, "{name}: {outcomes:?}");
                }
                assert_eq!(outcomes[expected].as_ref().map(status_of), Some(409));
                assert_eq!(env.sandbox.faults_injected(), 1);
            }
        },
    )
    .await;
}
