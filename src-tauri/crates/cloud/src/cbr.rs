//! Context-based restrictions v1: network zones (the VPC, a workstation address) and rules
//! that let only those zones reach the database. Optional and marked preview in the app,
//! because Gen 2 support is contradictory in IBM's own pages.

use reqwest::Method;
use serde::{Deserialize, Serialize};
use url::Url;

use crate::{
    context::Cloud,
    endpoints::join_path,
    error::CloudError,
    http::{ApiRequest, Idempotency},
    model::{open_enum, with_query},
};

const SERVICE: &str = "Context-based restrictions";

/// The api type Cloud Databases supports in a rule.
pub const DATA_PLANE_API_TYPE: &str =
    "crn:v1:bluemix:public:context-based-restrictions::::api-type:data-plane";

open_enum! {
    /// `type` of a zone address.
    pub enum AddressType {
        IpAddress = "ipAddress",
        IpRange = "ipRange",
        Subnet = "subnet",
        Vpc = "vpc",
        ServiceRef = "serviceRef",
    }
}

open_enum! {
    /// Cloud Databases accepts only `enabled`.
    pub enum EnforcementMode {
        Enabled = "enabled",
        Disabled = "disabled",
        Report = "report",
    }
}

/// One address of a zone: `{type, value}`, or `{type: serviceRef, ref: {…}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZoneAddress {
    #[serde(rename = "type")]
    pub kind: AddressType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(rename = "ref", default, skip_serializing_if = "Option::is_none")]
    pub service_ref: Option<ServiceRef>,
}

impl ZoneAddress {
    pub fn new(kind: AddressType, value: impl Into<String>) -> Self {
        ZoneAddress {
            kind,
            value: Some(value.into()),
            service_ref: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceRef {
    pub account_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_instance: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

/// A network zone.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct NetworkZone {
    pub id: String,
    pub crn: Option<String>,
    pub name: String,
    pub account_id: Option<String>,
    pub description: Option<String>,
    pub address_count: Option<u64>,
    pub excluded_count: Option<u64>,
    #[serde(default)]
    pub addresses: Vec<ZoneAddress>,
    #[serde(default)]
    pub excluded: Vec<ZoneAddress>,
    pub href: Option<String>,
    pub created_at: Option<String>,
    pub created_by_id: Option<String>,
    pub last_modified_at: Option<String>,
    pub last_modified_by_id: Option<String>,
}

/// A zone as `GET /v1/zones` lists it: IBM's `ZoneSummary`, whose required fields are `id`
/// and `crn` like a full zone's (platform-services SDKs, API 1.0.1). `zone_id`/`zone_crn`
/// are still read, in case an older deployment answers with those names.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct NetworkZoneSummary {
    #[serde(alias = "zone_id")]
    pub id: String,
    #[serde(alias = "zone_crn")]
    pub crn: Option<String>,
    pub name: String,
    pub description: Option<String>,
    /// At most three of the zone's addresses.
    #[serde(default)]
    pub addresses_preview: Vec<ZoneAddress>,
    pub address_count: Option<u64>,
    pub excluded_count: Option<u64>,
    pub href: Option<String>,
    pub created_at: Option<String>,
    pub created_by_id: Option<String>,
    pub last_modified_at: Option<String>,
    pub last_modified_by_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
struct ZoneList {
    #[serde(default)]
    zones: Vec<NetworkZoneSummary>,
}

/// `POST /v1/zones`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateZone {
    pub name: String,
    pub account_id: String,
    /// Always sent: the response always carries one, and IBM's model requires it.
    #[serde(default)]
    pub description: String,
    pub addresses: Vec<ZoneAddress>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub excluded: Vec<ZoneAddress>,
}

/// `{name, value}`, as in a rule's contexts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attribute {
    pub name: String,
    pub value: String,
    /// `stringEquals` when the service fills it in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
}

impl Attribute {
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Attribute {
            name: name.into(),
            value: value.into(),
            operator: None,
        }
    }
}

/// Where requests may come from: e.g. `networkZoneId` and `endpointType`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleContext {
    pub attributes: Vec<Attribute>,
}

/// What is protected: e.g. `accountId`, `serviceName`, `serviceInstance`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleResource {
    pub attributes: Vec<Attribute>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Attribute>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleOperations {
    pub api_types: Vec<ApiType>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiType {
    pub api_type_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Rule {
    pub id: String,
    pub crn: Option<String>,
    pub description: Option<String>,
    #[serde(default)]
    pub contexts: Vec<RuleContext>,
    #[serde(default)]
    pub resources: Vec<RuleResource>,
    pub operations: Option<RuleOperations>,
    pub enforcement_mode: Option<EnforcementMode>,
    pub href: Option<String>,
    pub created_at: Option<String>,
    pub created_by_id: Option<String>,
    pub last_modified_at: Option<String>,
    pub last_modified_by_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
struct RuleList {
    #[serde(default)]
    rules: Vec<Rule>,
}

/// `POST /v1/rules`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateRule {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub resources: Vec<RuleResource>,
    pub contexts: Vec<RuleContext>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operations: Option<RuleOperations>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enforcement_mode: Option<EnforcementMode>,
}

/// Filters of `GET /v1/rules`; `account_id` is required by the API.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleFilter {
    pub account_id: String,
    pub service_name: Option<String>,
    pub service_instance: Option<String>,
    pub zone_id: Option<String>,
}

/// Context-based restrictions of one cloud.
#[derive(Debug, Clone)]
pub struct CbrClient {
    cloud: Cloud,
    base: Url,
}

impl CbrClient {
    pub(crate) fn new(cloud: Cloud) -> Result<Self, CloudError> {
        let base = cloud.endpoints().cbr()?.clone();
        Ok(CbrClient { cloud, base })
    }

    fn url(&self, segments: &[&str]) -> Result<Url, CloudError> {
        join_path(&self.base, segments)
    }

    pub async fn create_zone(
        &self,
        body: &CreateZone,
        idempotency: Idempotency,
    ) -> Result<NetworkZone, CloudError> {
        let request = ApiRequest::new(SERVICE, Method::POST, self.url(&["v1", "zones"])?)
            .json(body)?
            .idempotency(idempotency);
        self.cloud.json(&request).await
    }

    pub async fn get_zone(&self, id: &str) -> Result<NetworkZone, CloudError> {
        let url = self.url(&["v1", "zones", id])?;
        self.cloud.json(&ApiRequest::get(SERVICE, url)).await
    }

    pub async fn list_zones(
        &self,
        account_id: &str,
        name: Option<&str>,
    ) -> Result<Vec<NetworkZoneSummary>, CloudError> {
        let url = with_query(
            self.url(&["v1", "zones"])?,
            &[("account_id", Some(account_id)), ("name", name)],
        );
        let list: ZoneList = self.cloud.json(&ApiRequest::get(SERVICE, url)).await?;
        Ok(list.zones)
    }

    /// 204.
    pub async fn delete_zone(&self, id: &str) -> Result<(), CloudError> {
        let url = self.url(&["v1", "zones", id])?;
        self.cloud
            .no_content(&ApiRequest::new(SERVICE, Method::DELETE, url))
            .await
    }

    pub async fn create_rule(
        &self,
        body: &CreateRule,
        idempotency: Idempotency,
    ) -> Result<Rule, CloudError> {
        let request = ApiRequest::new(SERVICE, Method::POST, self.url(&["v1", "rules"])?)
            .json(body)?
            .idempotency(idempotency);
        self.cloud.json(&request).await
    }

    pub async fn get_rule(&self, id: &str) -> Result<Rule, CloudError> {
        let url = self.url(&["v1", "rules", id])?;
        self.cloud.json(&ApiRequest::get(SERVICE, url)).await
    }

    pub async fn list_rules(&self, filter: &RuleFilter) -> Result<Vec<Rule>, CloudError> {
        let url = with_query(
            self.url(&["v1", "rules"])?,
            &[
                ("account_id", Some(filter.account_id.as_str())),
                ("service_name", filter.service_name.as_deref()),
                ("service_instance", filter.service_instance.as_deref()),
                ("zone_id", filter.zone_id.as_deref()),
            ],
        );
        let list: RuleList = self.cloud.json(&ApiRequest::get(SERVICE, url)).await?;
        Ok(list.rules)
    }

    /// 204.
    pub async fn delete_rule(&self, id: &str) -> Result<(), CloudError> {
        let url = self.url(&["v1", "rules", id])?;
        self.cloud
            .no_content(&ApiRequest::new(SERVICE, Method::DELETE, url))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_zone_summary_reads_ibms_shape_and_the_older_names() {
        // The shape of IBM's `ZoneSummary` (platform-services SDKs, API 1.0.1).
        let list: ZoneList = serde_json::from_str(
            r#"{"count":1,"zones":[{"id":"65810ac762004f22ac19f8f8edf70a34","crn":"crn:v1:bluemix:public:context-based-restrictions::a/acct::zone:65810ac762004f22ac19f8f8edf70a34","name":"onramp-workstation","description":"","addresses_preview":[{"type":"ipAddress","value":"198.51.100.7"}],"address_count":1,"excluded_count":0,"href":"https://cbr.cloud.ibm.com/v1/zones/65810ac762004f22ac19f8f8edf70a34","created_at":"2026-01-01T00:00:00.000Z","created_by_id":"IBMid-1","last_modified_at":"2026-01-01T00:00:00.000Z","last_modified_by_id":"IBMid-1"}]}"#,
        )
        .unwrap();
        let zone = &list.zones[0];
        assert_eq!(zone.id, "65810ac762004f22ac19f8f8edf70a34");
        assert!(zone.crn.as_deref().is_some_and(|c| c.ends_with(&zone.id)));
        assert_eq!(
            zone.addresses_preview,
            vec![ZoneAddress::new(AddressType::IpAddress, "198.51.100.7")]
        );

        let older: NetworkZoneSummary =
            serde_json::from_str(r#"{"zone_id":"z1","zone_crn":"crn:z1","name":"n"}"#).unwrap();
        assert_eq!(older.id, "z1");
        assert_eq!(older.crn.as_deref(), Some("crn:z1"));
        assert!(older.addresses_preview.is_empty());
    }
}
