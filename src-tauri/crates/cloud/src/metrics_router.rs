//! Metrics Routing v3: sends the database's platform metrics to a Monitoring instance. All
//! of it is account-wide (targets, routes, settings), and any region's endpoint reads and
//! writes the same objects; updates are PATCH, settings are replaced as a whole.

use reqwest::Method;
use serde::{Deserialize, Serialize};
use url::Url;

use crate::{
    context::Cloud,
    endpoints::join_path,
    error::CloudError,
    http::{ApiRequest, Idempotency},
    routing::{
        FilterOperand, InclusionFilter, ManagedBy, RuleAction, TargetIdentity, TargetReference,
        TargetType, WriteStatus,
    },
};

const SERVICE: &str = "Metrics Routing";

/// A target: where metrics go (a Monitoring instance).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Target {
    pub id: String,
    pub name: String,
    pub crn: String,
    /// The Monitoring instance's CRN.
    pub destination_crn: String,
    pub target_type: TargetType,
    pub region: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// Required by IBM's SDK, yet documented as omitted for account-managed targets.
    pub managed_by: Option<ManagedBy>,
    pub write_status: WriteStatus,
}

/// `GET /targets`: every target of the account, no paging.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TargetCollection {
    pub targets: Vec<Target>,
}

/// `POST /targets`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateTarget {
    /// Unique in the account; letters, digits and `(space) - . _ :`.
    pub name: String,
    pub destination_crn: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed_by: Option<ManagedBy>,
}

impl CreateTarget {
    /// A target for the Monitoring instance `monitoring_crn`, kept in `region`.
    pub fn monitoring(
        name: impl Into<String>,
        monitoring_crn: impl Into<String>,
        region: impl Into<String>,
    ) -> Self {
        CreateTarget {
            name: name.into(),
            destination_crn: monitoring_crn.into(),
            region: Some(region.into()),
            managed_by: None,
        }
    }
}

/// `PATCH /targets/{id}`. The docs ask for every field, so send both.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateTarget {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_crn: Option<String>,
}

/// One rule of a route as the service returns it: every target expanded. IBM's SDK marks
/// both lists required, but the service takes a `drop` rule without targets and an
/// all-metrics rule without filters, so a rule made that way is read with empty lists.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Rule {
    pub action: Option<RuleAction>,
    #[serde(default)]
    pub targets: Vec<TargetReference>,
    #[serde(default)]
    pub inclusion_filters: Vec<InclusionFilter>,
}

/// A route: which metrics go to which targets. Rules are tried in order; the first match wins.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Route {
    pub id: String,
    pub name: String,
    pub crn: String,
    pub rules: Vec<Rule>,
    pub created_at: String,
    pub updated_at: String,
    /// Present only when the route is enterprise-managed.
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
    /// At most 3; may be left out only with `action: drop`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<TargetIdentity>,
    /// At most 7; none routes every metric.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inclusion_filters: Vec<InclusionFilter>,
}

/// `POST /routes`; `PATCH /routes/{id}` takes the same body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateRoute {
    pub name: String,
    /// 1–10 rules.
    pub rules: Vec<RulePrototype>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed_by: Option<ManagedBy>,
}

impl CreateRoute {
    /// One rule sending the metrics of one service instance (its GUID, as in its CRN) to
    /// `target_id`. Everything else in the account keeps its routing.
    pub fn service_instance(
        name: impl Into<String>,
        target_id: impl Into<String>,
        service_name: impl Into<String>,
        instance_guid: impl Into<String>,
    ) -> Self {
        CreateRoute {
            name: name.into(),
            rules: vec![RulePrototype {
                action: Some(RuleAction::Send),
                targets: vec![TargetIdentity::new(target_id)],
                inclusion_filters: vec![
                    InclusionFilter::is(FilterOperand::ServiceName, service_name),
                    InclusionFilter::is(FilterOperand::ServiceInstance, instance_guid),
                ],
            }],
            managed_by: None,
        }
    }
}

/// The account's settings.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Setting {
    pub default_targets: Vec<TargetReference>,
    pub permitted_target_regions: Vec<String>,
    /// Empty on a fresh account; targets and routes cannot be created until it is set.
    pub primary_metadata_region: String,
    pub backup_metadata_region: Option<String>,
    /// Never set this without private network access: the public endpoint cannot be
    /// turned back on from outside.
    pub private_api_endpoint_only: bool,
}

/// `PATCH /settings`. The docs say an update replaces the stored settings, so a field left
/// out may be cleared: build it with [`UpdateSettings::from_current`].
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
}

impl UpdateSettings {
    /// Every field of `current`, so that the update keeps what it does not mean to change.
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
        }
    }

    /// The same, with the primary metadata region set (it is account-global: callers set it
    /// only when it is empty).
    pub fn with_primary_metadata_region(mut self, region: impl Into<String>) -> Self {
        self.primary_metadata_region = Some(region.into());
        self
    }
}

/// Metrics Routing through one region's endpoint.
#[derive(Debug, Clone)]
pub struct MetricsRouterClient {
    cloud: Cloud,
    base: Url,
}

impl MetricsRouterClient {
    pub(crate) fn new(cloud: Cloud, region: &str) -> Result<Self, CloudError> {
        let base = cloud
            .endpoints()
            .region(region)?
            .metrics_router(region)?
            .clone();
        Ok(MetricsRouterClient { cloud, base })
    }

    fn url(&self, segments: &[&str]) -> Result<Url, CloudError> {
        join_path(&self.base, segments)
    }

    /// 201. Refused with 409 while the primary metadata region is not set.
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

    /// Sets absolute values, so sending it twice is harmless.
    pub async fn update_target(&self, id: &str, body: &UpdateTarget) -> Result<Target, CloudError> {
        let request = ApiRequest::new(SERVICE, Method::PATCH, self.url(&["targets", id])?)
            .json(body)?
            .idempotency(Idempotency::Safe);
        self.cloud.json(&request).await
    }

    /// 204. A default target is refused with 400: take it out of the settings first.
    pub async fn delete_target(&self, id: &str) -> Result<(), CloudError> {
        let url = self.url(&["targets", id])?;
        self.cloud
            .no_content(&ApiRequest::new(SERVICE, Method::DELETE, url))
            .await
    }

    /// 201. A rule naming a target that does not exist is refused with 400.
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

    /// 200. Needs the Administrator role on Metrics Routing.
    pub async fn update_settings(&self, body: &UpdateSettings) -> Result<Setting, CloudError> {
        let request = ApiRequest::new(SERVICE, Method::PATCH, self.url(&["settings"])?)
            .json(body)?
            .idempotency(Idempotency::Safe);
        self.cloud.json(&request).await
    }
}
