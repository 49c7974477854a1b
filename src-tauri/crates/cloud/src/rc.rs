//! Resource Controller v2: creating, reading, listing and deleting the database instance,
//! and its resource keys (each key is a database user with its credentials). Gen 2
//! databases have no API of their own; everything goes through here. The Monitoring and
//! Cloud Logs instances are made here too, with their own create parameters.

use std::time::Duration;

use reqwest::Method;
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use serde_json::{Map, Value};
use url::Url;

use onramp_secrets::Sensitive;

use crate::{
    context::Cloud,
    endpoints::join_path,
    error::CloudError,
    http::{ApiRequest, Idempotency},
    model::{collect_pages, open_enum, start_token, with_query},
};

const SERVICE: &str = "Resource Controller";

/// The RC `resource_id` of IBM Cloud Monitoring.
pub const MONITORING_RESOURCE_ID: &str = "sysdig-monitor";
/// Monitoring's `graduated-tier` plan (billed hourly; platform metrics count as time series).
pub const MONITORING_GRADUATED_TIER_PLAN_ID: &str = "231bb072-1b2f-4d7e-ae9e-9574d382be32";
/// Monitoring's `lite` plan: free for 30 days, then it must be upgraded or deleted.
pub const MONITORING_LITE_PLAN_ID: &str = "367a3918-9efc-43c5-bef9-20553051b7af";
/// The RC `resource_id` of IBM Cloud Logs. Its one plan (`standard`) has no published id:
/// read it from the Global Catalog (`/logs/plan`).
pub const CLOUD_LOGS_RESOURCE_ID: &str = "logs";

open_enum! {
    /// `state` of an instance (Go SDK constants).
    pub enum InstanceState {
        Active = "active",
        Provisioning = "provisioning",
        Inactive = "inactive",
        Failed = "failed",
        PreProvisioning = "pre_provisioning",
        PendingReclamation = "pending_reclamation",
        PendingRemoval = "pending_removal",
        Removed = "removed",
    }
}

open_enum! {
    /// `last_operation.state`; note the space in `in progress`.
    pub enum OperationState {
        InProgress = "in progress",
        Succeeded = "succeeded",
        Failed = "failed",
    }
}

open_enum! {
    /// `last_operation.type`.
    pub enum OperationType {
        Create = "create",
        Update = "update",
        Delete = "delete",
    }
}

open_enum! {
    /// `state` of a resource key.
    pub enum ResourceKeyState {
        Active = "active",
        Inactive = "inactive",
        Removed = "removed",
    }
}

/// The last asynchronous operation on an instance; what a poller watches.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct LastOperation {
    #[serde(rename = "type")]
    pub kind: Option<OperationType>,
    pub state: Option<OperationState>,
    #[serde(rename = "async")]
    pub is_async: Option<bool>,
    pub description: Option<String>,
    pub cancelable: Option<bool>,
    pub poll: Option<bool>,
    pub sub_type: Option<String>,
    pub reason_code: Option<Value>,
    /// Seconds the service asks the poller to wait.
    pub poll_after: Option<f64>,
}

impl LastOperation {
    /// `poll_after` as a wait, when the service sent a sensible one.
    pub fn poll_after(&self) -> Option<Duration> {
        self.poll_after
            .filter(|s| s.is_finite() && *s >= 0.0)
            .map(|s| Duration::from_secs_f64(s.min(3600.0)))
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PlanHistoryItem {
    pub resource_plan_id: Option<String>,
    pub start_date: Option<String>,
    pub requestor_id: Option<String>,
}

/// A service instance. Every field but the four identities is optional, as in IBM's spec;
/// `id` equals `crn`, and `guid` is the short form every path accepts.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ResourceInstance {
    pub id: String,
    pub guid: String,
    pub crn: String,
    pub name: String,
    pub url: Option<String>,
    /// The location, e.g. `ca-mon`.
    pub region_id: Option<String>,
    pub account_id: Option<String>,
    pub resource_group_id: Option<String>,
    pub resource_group_crn: Option<String>,
    pub resource_plan_id: Option<String>,
    /// The service, e.g. `databases-for-postgresql`.
    pub resource_id: Option<String>,
    pub target_crn: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub sub_type: Option<String>,
    pub state: Option<InstanceState>,
    pub last_operation: Option<LastOperation>,
    /// The create parameters echoed back; free-form because each service defines its own.
    pub parameters: Option<Value>,
    /// Connection data, once the instance is active.
    pub extensions: Option<InstanceExtensions>,
    pub locked: Option<bool>,
    pub allow_cleanup: Option<bool>,
    pub onetime_credentials: Option<bool>,
    pub dashboard_url: Option<String>,
    pub resource_keys_url: Option<String>,
    #[serde(default)]
    pub plan_history: Vec<PlanHistoryItem>,
    pub created_at: Option<String>,
    pub created_by: Option<String>,
    pub updated_at: Option<String>,
    pub deleted_at: Option<String>,
}

impl ResourceInstance {
    /// The VPE data, which the 2026 responses put under `extensions` and the 2025 drafts
    /// under `extensions.dataservices`.
    pub fn virtual_private_endpoints(&self) -> Option<&VirtualPrivateEndpoints> {
        let extensions = self.extensions.as_ref()?;
        extensions.virtual_private_endpoints.as_ref().or_else(|| {
            extensions
                .dataservices
                .as_ref()?
                .virtual_private_endpoints
                .as_ref()
        })
    }

    /// True once provisioning finished: `active` and, if reported, the last operation succeeded.
    pub fn is_ready(&self) -> bool {
        self.state == Some(InstanceState::Active)
            && self
                .last_operation
                .as_ref()
                .and_then(|op| op.state.as_ref())
                .is_none_or(|s| *s == OperationState::Succeeded)
    }

    /// The echoed create parameters read as one service's parameters (e.g.
    /// [`MonitoringParameters`]); `None` when absent or of another shape.
    pub fn parameters_as<P: DeserializeOwned>(&self) -> Option<P> {
        self.parameters
            .as_ref()
            .and_then(|p| P::deserialize(p).ok())
    }

    /// True when provisioning will not finish: the instance or its last operation failed.
    pub fn has_failed(&self) -> bool {
        self.state == Some(InstanceState::Failed)
            || self
                .last_operation
                .as_ref()
                .and_then(|op| op.state.as_ref())
                == Some(&OperationState::Failed)
    }
}

/// `extensions`: each service puts its own data here once the instance is active.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct InstanceExtensions {
    pub dataservices: Option<DataServices>,
    pub virtual_private_endpoints: Option<VirtualPrivateEndpoints>,
    /// Cloud Logs: the public ingress host.
    pub external_ingress: Option<String>,
    /// Cloud Logs: the private ingress host (a Logs Routing v1 tenant's `host`).
    pub external_ingress_private: Option<String>,
    /// Cloud Logs: days of retention; whether a string or a number is not documented.
    pub retention_period: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct DataServices {
    /// On the instance the user and password are `$PGUSER`/`$PGPASSWORD` placeholders.
    pub connection: Option<Connection>,
    pub postgresql: Option<PostgresqlAllocation>,
    pub virtual_private_endpoints: Option<VirtualPrivateEndpoints>,
}

/// What the database runs on, as the instance reports it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PostgresqlAllocation {
    pub version: Option<String>,
    pub members: Option<u32>,
    /// Per member.
    pub storage_gb: Option<u32>,
    pub host_flavor: Option<String>,
    pub cpu_count: Option<u32>,
    pub memory_gb: Option<u32>,
    pub configuration: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct VirtualPrivateEndpoints {
    pub dns_domain: Option<String>,
    #[serde(default)]
    pub dns_hosts: Vec<String>,
    #[serde(default)]
    pub endpoints: Vec<VpeAddress>,
    pub origin_type: Option<String>,
    #[serde(default)]
    pub ports: Vec<PortRange>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct VpeAddress {
    pub ip_address: Option<String>,
    pub zone: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PortRange {
    pub port_min: Option<u16>,
    pub port_max: Option<u16>,
}

/// `connection` of an instance or of a key's credentials.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Connection {
    pub postgres: Option<PostgresConnection>,
    pub cli: Option<CliConnection>,
}

/// How to reach the database over its URI. `composed` holds the password, URL-encoded.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PostgresConnection {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub scheme: Option<String>,
    pub database: Option<String>,
    pub path: Option<String>,
    pub port: Option<u16>,
    #[serde(default)]
    pub hosts: Vec<ConnectionHost>,
    pub composed: Option<Sensitive<Vec<String>>>,
    pub authentication: Option<ConnectionAuthentication>,
    /// Gen 2 uses public certificates (`PGSSLROOTCERT=system`); a CA is honoured if sent.
    pub certificate: Option<ConnectionCertificate>,
    pub query_options: Option<QueryOptions>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ConnectionHost {
    pub hostname: String,
    pub port: Option<u16>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ConnectionAuthentication {
    pub method: Option<String>,
    pub username: Option<String>,
    pub password: Option<Sensitive<String>>,
}

/// A CA certificate is public, so it is not wrapped.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ConnectionCertificate {
    pub name: Option<String>,
    pub certificate_base64: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct QueryOptions {
    pub sslmode: Option<String>,
}

/// The psql command line. `arguments` and `composed` may carry the password.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CliConnection {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub bin: Option<String>,
    pub arguments: Option<Sensitive<Vec<String>>>,
    pub composed: Option<Sensitive<Vec<String>>>,
    pub environment: Option<CliEnvironment>,
}

/// The environment for psql; variables not listed here are dropped, so an unknown one can
/// never carry a secret into a log.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CliEnvironment {
    #[serde(rename = "PGUSER")]
    pub pguser: Option<String>,
    #[serde(rename = "PGPASSWORD")]
    pub pgpassword: Option<Sensitive<String>>,
    #[serde(rename = "PGSSLMODE")]
    pub pgsslmode: Option<String>,
    #[serde(rename = "PGSSLROOTCERT")]
    pub pgsslrootcert: Option<String>,
}

/// A resource key: for a Gen 2 database, one PostgreSQL user and how to connect as it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ResourceKey {
    pub id: String,
    pub guid: String,
    pub crn: String,
    pub name: String,
    pub url: Option<String>,
    /// The instance's CRN.
    pub source_crn: Option<String>,
    pub state: Option<ResourceKeyState>,
    pub account_id: Option<String>,
    pub resource_group_id: Option<String>,
    pub resource_id: Option<String>,
    pub onetime_credentials: Option<bool>,
    pub iam_compatible: Option<bool>,
    pub credentials: Option<Credentials>,
    pub resource_instance_url: Option<String>,
    pub created_at: Option<String>,
    pub created_by: Option<String>,
    pub updated_at: Option<String>,
    pub deleted_at: Option<String>,
}

/// A key's credentials. Everything that opens the database is [`Sensitive`]; a caller
/// without access gets `REDACTED` instead of the secrets.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Credentials {
    pub connection: Option<Connection>,
    pub username: Option<String>,
    pub password: Option<Sensitive<String>>,
    pub apikey: Option<Sensitive<String>>,
    pub iam_apikey_description: Option<String>,
    pub iam_apikey_name: Option<String>,
    pub iam_role_crn: Option<String>,
    pub iam_serviceid_crn: Option<String>,
    #[serde(rename = "REDACTED")]
    pub redacted: Option<String>,
}

/// One page of a Resource Controller list.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(bound = "T: DeserializeOwned")]
pub struct ResourcePage<T> {
    pub rows_count: Option<u64>,
    /// A path with `start=<token>`, or null on the last page.
    pub next_url: Option<String>,
    #[serde(default)]
    pub resources: Vec<T>,
}

impl<T> ResourcePage<T> {
    /// The `start` token of the next page, if there is one.
    pub fn next_start(&self) -> Option<String> {
        self.next_url.as_deref().and_then(start_token)
    }
}

/// `POST /v2/resource_instances`. `P` is the service's `parameters`: the Gen 2 database's
/// [`InstanceParameters`] by default, [`MonitoringParameters`] or [`CloudLogsParameters`]
/// for the observability instances, or a `serde_json::Value` for anything else.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound(serialize = "P: Serialize", deserialize = "P: Deserialize<'de>"))]
pub struct CreateResourceInstance<P = InstanceParameters> {
    /// ≤180 characters: letters, digits, space and `- . _ :`.
    pub name: String,
    /// The location (`ca-mon`) or the deployment's catalog CRN.
    pub target: String,
    /// The resource group id.
    pub resource_group: String,
    pub resource_plan_id: String,
    /// User tags, attached once the instance is provisioned.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_cleanup: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<P>,
}

/// `PATCH /v2/resource_instances/{id}`: a new name, new parameters (a scale), or both.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound(serialize = "P: Serialize", deserialize = "P: Deserialize<'de>"))]
pub struct UpdateResourceInstance<P = InstanceParameters> {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<P>,
}

/// IBM Cloud Monitoring (`sysdig-monitor`) create parameters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonitoringParameters {
    /// Collect the region's platform metrics through this instance (one per region). Not
    /// needed when Metrics Routing routes them: a route wins over the receiver.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_receiver: Option<bool>,
    /// `ANY` or `IAM_ONLY`: which credentials the Monitoring API accepts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_api_auth: Option<String>,
    /// The CRN of a Workload Protection instance to connect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workload_protection_connected_instance: Option<String>,
    /// Parameters this version of Onramp does not know, kept as they are.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// IBM Cloud Logs (`logs`) create parameters.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CloudLogsParameters {
    /// Days: 7, 14, 30, 60 or 90 (7 when absent). IBM's own Terraform sample sends a
    /// string, so the value is kept as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention_period: Option<Value>,
    /// Only private endpoints may reach the instance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_endpoints_only: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logs_bucket_crn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logs_bucket_endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics_bucket_crn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics_bucket_endpoint: Option<String>,
    /// Parameters this version of Onramp does not know, kept as they are.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl CloudLogsParameters {
    /// The retention in days, whether it was sent as a number or a string.
    pub fn retention_days(&self) -> Option<u32> {
        match self.retention_period.as_ref()? {
            Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }
}

/// Gen 2 create parameters: `{"dataservices": {...}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceParameters {
    pub dataservices: DataServicesParameters,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataServicesParameters {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postgresql: Option<PostgresqlParameters>,
    /// Bring your own key: the Key Protect root key CRN for the disks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption: Option<EncryptionParameters>,
    /// A Gen 2 backup CRN to restore from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restore_backup_id: Option<String>,
}

/// Every field optional: the service defaults to 2 members, 10 GB, the smallest flavour
/// and the latest version.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostgresqlParameters {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub members: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_gb: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_flavor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncryptionParameters {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disk: Option<String>,
}

/// `POST /v2/resource_keys`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreateResourceKey {
    pub name: String,
    /// The instance GUID or CRN.
    pub source: String,
    /// `Manager`, `Writer`, or a role CRN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Value>,
}

/// Filters of `GET /v2/resource_instances`. With no `state`, RC lists only active and
/// provisioning instances.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InstanceFilter {
    pub guid: Option<String>,
    pub name: Option<String>,
    pub resource_group_id: Option<String>,
    pub resource_id: Option<String>,
    pub resource_plan_id: Option<String>,
    pub state: Option<String>,
    pub limit: Option<u32>,
}

/// Filters of `GET /v2/resource_keys`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResourceKeyFilter {
    pub guid: Option<String>,
    pub name: Option<String>,
    pub resource_group_id: Option<String>,
    pub resource_id: Option<String>,
    pub limit: Option<u32>,
}

/// The Resource Controller of one cloud.
#[derive(Debug, Clone)]
pub struct ResourceControllerClient {
    cloud: Cloud,
    base: Url,
}

impl ResourceControllerClient {
    pub(crate) fn new(cloud: Cloud) -> Result<Self, CloudError> {
        let base = cloud.endpoints().resource_controller()?.clone();
        Ok(ResourceControllerClient { cloud, base })
    }

    fn url(&self, segments: &[&str]) -> Result<Url, CloudError> {
        join_path(&self.base, segments)
    }

    /// Starts provisioning; a database answers 202 with `state: provisioning`.
    pub async fn create_instance(
        &self,
        body: &CreateResourceInstance,
        idempotency: Idempotency,
    ) -> Result<ResourceInstance, CloudError> {
        self.create_service_instance(body, idempotency).await
    }

    /// [`Self::create_instance`] for any service's parameters (Monitoring, Cloud Logs, …).
    /// Such instances answer 201 or 202 depending on the service.
    pub async fn create_service_instance<P: Serialize>(
        &self,
        body: &CreateResourceInstance<P>,
        idempotency: Idempotency,
    ) -> Result<ResourceInstance, CloudError> {
        let request = ApiRequest::new(
            SERVICE,
            Method::POST,
            self.url(&["v2", "resource_instances"])?,
        )
        .json(body)?
        .idempotency(idempotency);
        self.cloud.json(&request).await
    }

    /// `id` is the GUID or the CRN.
    pub async fn get_instance(&self, id: &str) -> Result<ResourceInstance, CloudError> {
        let request = ApiRequest::get(SERVICE, self.url(&["v2", "resource_instances", id])?);
        self.cloud.json(&request).await
    }

    pub async fn list_instances_page(
        &self,
        filter: &InstanceFilter,
        start: Option<&str>,
    ) -> Result<ResourcePage<ResourceInstance>, CloudError> {
        let limit = filter.limit.map(|l| l.to_string());
        let url = with_query(
            self.url(&["v2", "resource_instances"])?,
            &[
                ("guid", filter.guid.as_deref()),
                ("name", filter.name.as_deref()),
                ("resource_group_id", filter.resource_group_id.as_deref()),
                ("resource_id", filter.resource_id.as_deref()),
                ("resource_plan_id", filter.resource_plan_id.as_deref()),
                ("state", filter.state.as_deref()),
                ("limit", limit.as_deref()),
                ("start", start),
            ],
        );
        self.cloud.json(&ApiRequest::get(SERVICE, url)).await
    }

    /// Every instance matching `filter`, following `next_url` to the last page.
    pub async fn list_instances(
        &self,
        filter: &InstanceFilter,
    ) -> Result<Vec<ResourceInstance>, CloudError> {
        collect_pages(SERVICE, |start| async move {
            let page = self.list_instances_page(filter, start.as_deref()).await?;
            let next = page.next_start();
            Ok((page.resources, next))
        })
        .await
    }

    /// Renames or scales an instance: `PATCH /v2/resource_instances/{id}`. Answers 200
    /// (applied) or 202 (accepted: the last operation is the update until it is done).
    /// Sending the same parameters again asks for the same size, so it may be retried.
    pub async fn update_instance<P: Serialize>(
        &self,
        id: &str,
        body: &UpdateResourceInstance<P>,
    ) -> Result<ResourceInstance, CloudError> {
        let request = ApiRequest::new(
            SERVICE,
            Method::PATCH,
            self.url(&["v2", "resource_instances", id])?,
        )
        .json(body)?
        .idempotency(Idempotency::Safe);
        self.cloud.json(&request).await
    }

    /// Answers 202 (deleting) or 204. `recursive` also deletes the instance's keys.
    pub async fn delete_instance(&self, id: &str, recursive: bool) -> Result<(), CloudError> {
        let url = with_query(
            self.url(&["v2", "resource_instances", id])?,
            &[("recursive", recursive.then_some("true"))],
        );
        self.cloud
            .no_content(&ApiRequest::new(SERVICE, Method::DELETE, url))
            .await
    }

    /// Creates a key (a database user); answers 201 with its credentials.
    pub async fn create_resource_key(
        &self,
        body: &CreateResourceKey,
        idempotency: Idempotency,
    ) -> Result<ResourceKey, CloudError> {
        let request = ApiRequest::new(SERVICE, Method::POST, self.url(&["v2", "resource_keys"])?)
            .json(body)?
            .idempotency(idempotency);
        self.cloud.json(&request).await
    }

    pub async fn get_resource_key(&self, id: &str) -> Result<ResourceKey, CloudError> {
        let request = ApiRequest::get(SERVICE, self.url(&["v2", "resource_keys", id])?);
        self.cloud.json(&request).await
    }

    pub async fn list_resource_keys_for_instance_page(
        &self,
        instance_id: &str,
        start: Option<&str>,
    ) -> Result<ResourcePage<ResourceKey>, CloudError> {
        let url = with_query(
            self.url(&["v2", "resource_instances", instance_id, "resource_keys"])?,
            &[("start", start)],
        );
        self.cloud.json(&ApiRequest::get(SERVICE, url)).await
    }

    /// Every key of one instance, all pages.
    pub async fn list_resource_keys_for_instance(
        &self,
        instance_id: &str,
    ) -> Result<Vec<ResourceKey>, CloudError> {
        collect_pages(SERVICE, |start| async move {
            let page = self
                .list_resource_keys_for_instance_page(instance_id, start.as_deref())
                .await?;
            let next = page.next_start();
            Ok((page.resources, next))
        })
        .await
    }

    /// Every key matching `filter`, all pages.
    pub async fn list_resource_keys(
        &self,
        filter: &ResourceKeyFilter,
    ) -> Result<Vec<ResourceKey>, CloudError> {
        let limit = filter.limit.map(|l| l.to_string());
        collect_pages(SERVICE, |start| {
            let limit = limit.clone();
            async move {
                let url = with_query(
                    self.url(&["v2", "resource_keys"])?,
                    &[
                        ("guid", filter.guid.as_deref()),
                        ("name", filter.name.as_deref()),
                        ("resource_group_id", filter.resource_group_id.as_deref()),
                        ("resource_id", filter.resource_id.as_deref()),
                        ("limit", limit.as_deref()),
                        ("start", start.as_deref()),
                    ],
                );
                let page: ResourcePage<ResourceKey> =
                    self.cloud.json(&ApiRequest::get(SERVICE, url)).await?;
                let next = page.next_start();
                Ok((page.resources, next))
            }
        })
        .await
    }

    /// Answers 204.
    pub async fn delete_resource_key(&self, id: &str) -> Result<(), CloudError> {
        let url = self.url(&["v2", "resource_keys", id])?;
        self.cloud
            .no_content(&ApiRequest::new(SERVICE, Method::DELETE, url))
            .await
    }
}
