//! Logs Routing v3: sends platform logs to a Cloud Logs instance. Its only filter operand is
//! `location`, so a route sends every platform log of a region, not one database's. An
//! account uses either this or the older v1 tenants API (`api_version` in the settings
//! tells which); only the v1 tenant's create body is modelled here.

use reqwest::Method;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use url::Url;

use crate::{
    context::Cloud,
    endpoints::join_path,
    error::CloudError,
    http::{ApiRequest, Idempotency},
    model::open_enum,
    routing::{
        FilterOperand, InclusionFilter, ManagedBy, RuleAction, TargetIdentity, TargetReference,
        TargetType, WriteStatus,
    },
};

const SERVICE: &str = "Logs Routing";

open_enum! {
    /// `state` of the v1 → v3 migration. Anything but `COMPLETE` (or `BEFORE` on an account
    /// that never had a v1 tenant) means Onramp must leave the account alone.
    pub enum MigrationStep {
        Before = "BEFORE",
        InProgress = "IN_PROGRESS",
        PendingCompletion = "PENDING_COMPLETION",
        Complete = "COMPLETE",
    }
}

/// A target: a Cloud Logs instance.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Target {
    pub id: String,
    pub name: String,
    pub crn: String,
    /// The Cloud Logs instance's CRN.
    pub destination_crn: String,
    pub target_type: TargetType,
    pub region: Option<String>,
    pub write_status: WriteStatus,
    pub created_at: String,
    pub updated_at: String,
    /// Required by IBM's SDK, yet documented as omitted for account-managed targets.
    pub managed_by: Option<ManagedBy>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TargetCollection {
    pub targets: Vec<Target>,
}

/// `POST /targets`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateTarget {
    pub name: String,
    pub destination_crn: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed_by: Option<ManagedBy>,
}

impl CreateTarget {
    /// A target for the Cloud Logs instance `logs_crn`, kept in `region`.
    pub fn cloud_logs(
        name: impl Into<String>,
        logs_crn: impl Into<String>,
        region: impl Into<String>,
    ) -> Self {
        CreateTarget {
            name: name.into(),
            destination_crn: logs_crn.into(),
            region: Some(region.into()),
            managed_by: None,
        }
    }
}

/// `PATCH /targets/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateTarget {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_crn: Option<String>,
}

/// A rule as the service returns it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Rule {
    pub action: Option<RuleAction>,
    pub targets: Vec<TargetReference>,
    /// None: every platform log matches.
    #[serde(default)]
    pub inclusion_filters: Vec<InclusionFilter>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Route {
    pub id: String,
    pub name: String,
    pub crn: String,
    pub rules: Vec<Rule>,
    pub created_at: String,
    pub updated_at: String,
    pub managed_by: Option<ManagedBy>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RouteCollection {
    pub routes: Vec<Route>,
}

/// A rule as a request gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RulePrototype {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<RuleAction>,
    /// At most 3.
    pub targets: Vec<TargetIdentity>,
    /// At most 7, each on `location`; none routes every platform log.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inclusion_filters: Vec<InclusionFilter>,
}

/// `POST /routes`; `PATCH /routes/{id}` takes the same body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateRoute {
    pub name: String,
    pub rules: Vec<RulePrototype>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed_by: Option<ManagedBy>,
}

impl CreateRoute {
    /// One rule sending every platform log of `location` to `target_id`: all of the
    /// account's logs there, not only the database's (the user must be told so).
    pub fn location(
        name: impl Into<String>,
        target_id: impl Into<String>,
        location: impl Into<String>,
    ) -> Self {
        CreateRoute {
            name: name.into(),
            rules: vec![RulePrototype {
                action: Some(RuleAction::Send),
                targets: vec![TargetIdentity::new(target_id)],
                inclusion_filters: vec![InclusionFilter::is(FilterOperand::Location, location)],
            }],
            managed_by: None,
        }
    }
}

/// The account's settings. `api_version` 1 means the v1 tenants are in force.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Setting {
    pub default_targets: Vec<TargetReference>,
    pub permitted_target_regions: Vec<String>,
    pub primary_metadata_region: String,
    pub backup_metadata_region: Option<String>,
    pub private_api_endpoint_only: bool,
    pub api_version: u32,
}

/// `PATCH /settings`. Documented as a replace: build it with
/// [`UpdateSettings::from_current`]. `api_version` is left out unless migrating, which is
/// irreversible and account-wide.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateSettings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_targets: Option<Vec<TargetIdentity>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permitted_target_regions: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_metadata_region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_metadata_region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_api_endpoint_only: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<u32>,
}

impl UpdateSettings {
    /// Every field of `current` but `api_version`, which is then kept as it is.
    pub fn from_current(current: &Setting) -> Self {
        UpdateSettings {
            default_targets: Some(
                current
                    .default_targets
                    .iter()
                    .map(TargetIdentity::from)
                    .collect(),
            ),
            permitted_target_regions: Some(current.permitted_target_regions.clone()),
            primary_metadata_region: Some(current.primary_metadata_region.clone()),
            backup_metadata_region: current
                .backup_metadata_region
                .clone()
                .filter(|r| !r.is_empty()),
            private_api_endpoint_only: Some(current.private_api_endpoint_only),
            api_version: None,
        }
    }

    pub fn with_primary_metadata_region(mut self, region: impl Into<String>) -> Self {
        self.primary_metadata_region = Some(region.into());
        self
    }
}

/// `GET /migrate`. IBM's SDK names the version `api_version` (a number), the docs `version`
/// (a string); either is read.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct MigrationState {
    #[serde(default, deserialize_with = "number_or_text")]
    pub api_version: Option<u32>,
    #[serde(default, deserialize_with = "number_or_text")]
    pub version: Option<u32>,
    pub state: MigrationStep,
    pub message: String,
}

impl MigrationState {
    /// The API version in force, whichever key carried it.
    pub fn api_version(&self) -> Option<u32> {
        self.api_version.or(self.version)
    }
}

fn number_or_text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u32>, D::Error> {
    Ok(match Option::<Value>::deserialize(deserializer)? {
        Some(Value::Number(n)) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    })
}

/// v1: `POST https://management.<region>.logs-router.cloud.ibm.com/v1/tenants` (with the
/// `IBM-API-Version` header). One tenant per region per account; a second is a 409.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateTenant {
    /// ≤35 characters of `a-z0-9-./`.
    pub name: String,
    pub targets: Vec<TenantTarget>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantTarget {
    /// The Cloud Logs instance's CRN.
    pub log_sink_crn: String,
    pub name: String,
    pub parameters: TenantTargetParameters,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantTargetParameters {
    /// The instance's ingress host (`extensions.external_ingress_private` or
    /// `external_ingress`).
    pub host: String,
    /// 443 (3443 through the CSE proxy).
    pub port: u16,
}

impl CreateTenant {
    /// A tenant with one target: the Cloud Logs instance `log_sink_crn` at `ingress_host`,
    /// port 443.
    pub fn cloud_logs(
        name: impl Into<String>,
        target_name: impl Into<String>,
        log_sink_crn: impl Into<String>,
        ingress_host: impl Into<String>,
    ) -> Self {
        CreateTenant {
            name: name.into(),
            targets: vec![TenantTarget {
                log_sink_crn: log_sink_crn.into(),
                name: target_name.into(),
                parameters: TenantTargetParameters {
                    host: ingress_host.into(),
                    port: 443,
                },
            }],
        }
    }
}

/// Logs Routing v3 through one region's endpoint.
#[derive(Debug, Clone)]
pub struct LogsRouterClient {
    cloud: Cloud,
    base: Url,
}

impl LogsRouterClient {
    pub(crate) fn new(cloud: Cloud, region: &str) -> Result<Self, CloudError> {
        let base = cloud
            .endpoints()
            .region(region)?
            .logs_router(region)?
            .clone();
        Ok(LogsRouterClient { cloud, base })
    }

    fn url(&self, segments: &[&str]) -> Result<Url, CloudError> {
        join_path(&self.base, segments)
    }

    pub async fn create_target(
        &self,
        body: &CreateTarget,
        idempotency: Idempotency,
    ) -> Result<Target, CloudError> {
        let request = ApiRequest::new(SERVICE, Method::POST, self.url(&["targets"])?)
            .json(body)?
            .idempotency(idempotency);
        self.cloud.json(&request).await
    }

    pub async fn list_targets(&self) -> Result<Vec<Target>, CloudError> {
        let list: TargetCollection = self
            .cloud
            .json(&ApiRequest::get(SERVICE, self.url(&["targets"])?))
            .await?;
        Ok(list.targets)
    }

    pub async fn get_target(&self, id: &str) -> Result<Target, CloudError> {
        let url = self.url(&["targets", id])?;
        self.cloud.json(&ApiRequest::get(SERVICE, url)).await
    }

    pub async fn update_target(&self, id: &str, body: &UpdateTarget) -> Result<Target, CloudError> {
        let request = ApiRequest::new(SERVICE, Method::PATCH, self.url(&["targets", id])?)
            .json(body)?
            .idempotency(Idempotency::Safe);
        self.cloud.json(&request).await
    }

    /// 204.
    pub async fn delete_target(&self, id: &str) -> Result<(), CloudError> {
        let url = self.url(&["targets", id])?;
        self.cloud
            .no_content(&ApiRequest::new(SERVICE, Method::DELETE, url))
            .await
    }

    pub async fn create_route(
        &self,
        body: &CreateRoute,
        idempotency: Idempotency,
    ) -> Result<Route, CloudError> {
        let request = ApiRequest::new(SERVICE, Method::POST, self.url(&["routes"])?)
            .json(body)?
            .idempotency(idempotency);
        self.cloud.json(&request).await
    }

    pub async fn list_routes(&self) -> Result<Vec<Route>, CloudError> {
        let list: RouteCollection = self
            .cloud
            .json(&ApiRequest::get(SERVICE, self.url(&["routes"])?))
            .await?;
        Ok(list.routes)
    }

    pub async fn get_route(&self, id: &str) -> Result<Route, CloudError> {
        let url = self.url(&["routes", id])?;
        self.cloud.json(&ApiRequest::get(SERVICE, url)).await
    }

    pub async fn update_route(&self, id: &str, body: &CreateRoute) -> Result<Route, CloudError> {
        let request = ApiRequest::new(SERVICE, Method::PATCH, self.url(&["routes", id])?)
            .json(body)?
            .idempotency(Idempotency::Safe);
        self.cloud.json(&request).await
    }

    /// 204.
    pub async fn delete_route(&self, id: &str) -> Result<(), CloudError> {
        let url = self.url(&["routes", id])?;
        self.cloud
            .no_content(&ApiRequest::new(SERVICE, Method::DELETE, url))
            .await
    }

    pub async fn get_settings(&self) -> Result<Setting, CloudError> {
        let url = self.url(&["settings"])?;
        self.cloud.json(&ApiRequest::get(SERVICE, url)).await
    }

    /// 200. Needs the Administrator role on Logs Routing.
    pub async fn update_settings(&self, body: &UpdateSettings) -> Result<Setting, CloudError> {
        let request = ApiRequest::new(SERVICE, Method::PATCH, self.url(&["settings"])?)
            .json(body)?
            .idempotency(Idempotency::Safe);
        self.cloud.json(&request).await
    }

    /// Where the account stands in the v1 → v3 migration.
    pub async fn get_migration(&self) -> Result<MigrationState, CloudError> {
        let url = self.url(&["migrate"])?;
        self.cloud.json(&ApiRequest::get(SERVICE, url)).await
    }
}
