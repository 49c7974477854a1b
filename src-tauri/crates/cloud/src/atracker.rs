//! Activity Tracker Event Routing v2: sends audit events (the database's own, and the global
//! create/delete events) to a Cloud Logs instance. Unlike the other two routing APIs,
//! updates are PUT (a full replace), settings are named `metadata_region_*` and answer
//! 201, default targets are plain ids, and rules list `target_ids` and `locations`.

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

use crate::{
    context::Cloud,
    endpoints::join_path,
    error::CloudError,
    http::{ApiRequest, Idempotency},
    model::with_query,
    routing::{ManagedBy, TargetType, WriteStatus},
};

const SERVICE: &str = "Activity Tracker Event Routing";

/// The location that carries account-wide events, such as an instance's create and delete.
pub const GLOBAL_LOCATION: &str = "global";

/// `cloudlogs_endpoint`: the Cloud Logs instance events are written to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloudLogsEndpoint {
    pub target_crn: String,
}

/// A target. Cloud Logs targets authenticate by service-to-service policy only.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Target {
    pub id: String,
    pub name: String,
    pub crn: String,
    pub target_type: TargetType,
    pub region: Option<String>,
    pub cloudlogs_endpoint: Option<CloudLogsEndpoint>,
    /// The other kinds' endpoints, which Onramp does not create; kept as sent.
    pub cos_endpoint: Option<Value>,
    pub eventstreams_endpoint: Option<Value>,
    pub appconfig_endpoint: Option<Value>,
    pub write_status: WriteStatus,
    pub created_at: String,
    pub updated_at: String,
    /// Always 2.
    pub api_version: u32,
    pub managed_by: ManagedBy,
    /// A warning, e.g. another target already writes to the same endpoint.
    pub message: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TargetList {
    pub targets: Vec<Target>,
}

/// `POST /api/v2/targets`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreateTarget {
    pub name: String,
    pub target_type: TargetType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloudlogs_endpoint: Option<CloudLogsEndpoint>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cos_endpoint: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eventstreams_endpoint: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appconfig_endpoint: Option<Value>,
    /// For a Cloud Logs instance in `ca-mon` the target must be in `ca-mon` too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed_by: Option<ManagedBy>,
}

impl CreateTarget {
    /// A target writing to the Cloud Logs instance `logs_crn`, kept in `region` (the
    /// instance's own region).
    pub fn cloud_logs(
        name: impl Into<String>,
        logs_crn: impl Into<String>,
        region: impl Into<String>,
    ) -> Self {
        CreateTarget {
            name: name.into(),
            target_type: TargetType::CloudLogs,
            cloudlogs_endpoint: Some(CloudLogsEndpoint {
                target_crn: logs_crn.into(),
            }),
            cos_endpoint: None,
            eventstreams_endpoint: None,
            appconfig_endpoint: None,
            region: Some(region.into()),
            managed_by: None,
        }
    }
}

/// `PUT /api/v2/targets/{id}`: the name and the endpoint; the type cannot change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplaceTarget {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloudlogs_endpoint: Option<CloudLogsEndpoint>,
}

/// `{status_code?, trace?, warnings[]}`: what a delete may answer with 200 instead of 204.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct WarningReport {
    pub status_code: Option<u16>,
    pub trace: Option<String>,
    #[serde(default)]
    pub warnings: Vec<Warning>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Warning {
    pub code: Option<String>,
    pub message: Option<String>,
}

/// A rule as the service returns it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Rule {
    /// Empty: matching events are discarded.
    pub target_ids: Vec<String>,
    /// Regions plus `global` and `*`; a region matches its zones too.
    pub locations: Vec<String>,
}

/// A rule as a request gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RulePrototype {
    pub target_ids: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub locations: Vec<String>,
}

/// A route. Routes are independent: an event matching two routes goes to both.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Route {
    pub id: String,
    pub name: String,
    pub crn: String,
    /// Bumped on every replace.
    pub version: Option<u32>,
    pub rules: Vec<Rule>,
    pub created_at: String,
    pub updated_at: String,
    pub api_version: u32,
    pub message: Option<String>,
    pub managed_by: ManagedBy,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RouteList {
    pub routes: Vec<Route>,
}

/// `POST /api/v2/routes`, and the body of `PUT /api/v2/routes/{id}`, which replaces every
/// rule: a replace must carry all of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateRoute {
    pub name: String,
    /// 1–10 rules, tried in order.
    pub rules: Vec<RulePrototype>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed_by: Option<ManagedBy>,
}

impl CreateRoute {
    /// One rule sending the events of `locations` to `target_id`. Global events (an
    /// instance's create and delete) are routed only if `locations` lists
    /// [`GLOBAL_LOCATION`], and then all of the account's global events are.
    pub fn to_target(
        name: impl Into<String>,
        target_id: impl Into<String>,
        locations: impl IntoIterator<Item = String>,
    ) -> Self {
        CreateRoute {
            name: name.into(),
            rules: vec![RulePrototype {
                target_ids: vec![target_id.into()],
                locations: locations.into_iter().collect(),
            }],
            managed_by: None,
        }
    }
}

/// The account's settings.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Settings {
    pub metadata_region_primary: String,
    pub metadata_region_backup: Option<String>,
    pub private_api_endpoint_only: bool,
    /// Target ids, at most 2.
    pub default_targets: Vec<String>,
    pub permitted_target_regions: Vec<String>,
    pub api_version: u32,
    pub message: Option<String>,
}

/// `PUT /api/v2/settings`: a full replace, so build it with [`PutSettings::from_current`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PutSettings {
    pub metadata_region_primary: String,
    pub private_api_endpoint_only: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_targets: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permitted_target_regions: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata_region_backup: Option<String>,
}

impl PutSettings {
    /// Every field of `current`, so the replace keeps what it does not mean to change.
    pub fn from_current(current: &Settings) -> Self {
        PutSettings {
            metadata_region_primary: current.metadata_region_primary.clone(),
            private_api_endpoint_only: current.private_api_endpoint_only,
            default_targets: Some(current.default_targets.clone()),
            permitted_target_regions: Some(current.permitted_target_regions.clone()),
            metadata_region_backup: current
                .metadata_region_backup
                .clone()
                .filter(|r| !r.is_empty()),
        }
    }
}

/// Activity Tracker Event Routing through one region's endpoint.
#[derive(Debug, Clone)]
pub struct AtrackerClient {
    cloud: Cloud,
    base: Url,
}

impl AtrackerClient {
    pub(crate) fn new(cloud: Cloud, region: &str) -> Result<Self, CloudError> {
        let base = cloud.endpoints().region(region)?.atracker(region)?.clone();
        Ok(AtrackerClient { cloud, base })
    }

    fn url(&self, segments: &[&str]) -> Result<Url, CloudError> {
        let mut all = vec!["api", "v2"];
        all.extend_from_slice(segments);
        join_path(&self.base, &all)
    }

    /// 201. The first target of an account also sets its primary metadata region.
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

    /// Every target, or those of one region.
    pub async fn list_targets(&self, region: Option<&str>) -> Result<Vec<Target>, CloudError> {
        let url = with_query(self.url(&["targets"])?, &[("region", region)]);
        let list: TargetList = self.cloud.json(&ApiRequest::get(SERVICE, url)).await?;
        Ok(list.targets)
    }

    pub async fn get_target(&self, id: &str) -> Result<Target, CloudError> {
        let url = self.url(&["targets", id])?;
        self.cloud.json(&ApiRequest::get(SERVICE, url)).await
    }

    pub async fn replace_target(
        &self,
        id: &str,
        body: &ReplaceTarget,
    ) -> Result<Target, CloudError> {
        let request =
            ApiRequest::new(SERVICE, Method::PUT, self.url(&["targets", id])?).json(body)?;
        self.cloud.json(&request).await
    }

    /// Checks the credentials to write to the target again; `write_status` tells.
    pub async fn validate_target(&self, id: &str) -> Result<Target, CloudError> {
        let url = self.url(&["targets", id, "validate"])?;
        let request = ApiRequest::new(SERVICE, Method::POST, url).idempotency(Idempotency::Safe);
        self.cloud.json(&request).await
    }

    /// 204, or 200 with warnings (IBM's SDK types the answer so), which are returned.
    pub async fn delete_target(&self, id: &str) -> Result<Option<WarningReport>, CloudError> {
        let url = self.url(&["targets", id])?;
        let response = self
            .cloud
            .send(&ApiRequest::new(SERVICE, Method::DELETE, url))
            .await?;
        if response.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        response.json(SERVICE).map(Some)
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
        let list: RouteList = self
            .cloud
            .json(&ApiRequest::get(SERVICE, self.url(&["routes"])?))
            .await?;
        Ok(list.routes)
    }

    pub async fn get_route(&self, id: &str) -> Result<Route, CloudError> {
        let url = self.url(&["routes", id])?;
        self.cloud.json(&ApiRequest::get(SERVICE, url)).await
    }

    /// Replaces the whole rule set (200).
    pub async fn replace_route(&self, id: &str, body: &CreateRoute) -> Result<Route, CloudError> {
        let request =
            ApiRequest::new(SERVICE, Method::PUT, self.url(&["routes", id])?).json(body)?;
        self.cloud.json(&request).await
    }

    /// 204.
    pub async fn delete_route(&self, id: &str) -> Result<(), CloudError> {
        let url = self.url(&["routes", id])?;
        self.cloud
            .no_content(&ApiRequest::new(SERVICE, Method::DELETE, url))
            .await
    }

    pub async fn get_settings(&self) -> Result<Settings, CloudError> {
        let url = self.url(&["settings"])?;
        self.cloud.json(&ApiRequest::get(SERVICE, url)).await
    }

    /// 201 (not 200). Needs the Administrator role on Activity Tracker.
    pub async fn put_settings(&self, body: &PutSettings) -> Result<Settings, CloudError> {
        let request = ApiRequest::new(SERVICE, Method::PUT, self.url(&["settings"])?).json(body)?;
        self.cloud.json(&request).await
    }
}
