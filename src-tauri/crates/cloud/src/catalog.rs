//! Global Catalog v1: the plans of a service, the deployments (locations) of a plan with
//! their sizing metadata, and pricing. This is where Gen 2 publishes where it is offered.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};
use serde_json::Value;
use url::Url;

use crate::{
    context::Cloud,
    endpoints::join_path,
    error::CloudError,
    http::ApiRequest,
    model::{collect_pages, open_enum, with_query},
};

const SERVICE: &str = "Global Catalog";
const PAGE_SIZE: u32 = 100;

/// The service entry id of Databases for PostgreSQL.
pub const POSTGRESQL_SERVICE_ID: &str = "databases-for-postgresql";
/// The Gen 2 plan entry id (plan name `standard-gen2`).
pub const POSTGRESQL_GEN2_PLAN_ID: &str = "databases-for-postgresql-gen2-standard";

open_enum! {
    /// `kind` of a catalog entry.
    pub enum EntryKind {
        Service = "service",
        Plan = "plan",
        Deployment = "deployment",
        Iaas = "iaas",
        Platform = "platform_service",
        Composite = "composite",
    }
}

/// One catalog entry: a service, a plan or a deployment.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CatalogEntry {
    /// For a service its name; for a Gen 2 deployment e.g.
    /// `databases-for-postgresql-standard-gen2:ca-mon`. Treat it as opaque.
    pub id: String,
    pub name: String,
    pub kind: Option<EntryKind>,
    pub parent_id: Option<String>,
    pub active: Option<bool>,
    pub disabled: Option<bool>,
    /// For a deployment, a valid RC create `target`.
    pub catalog_crn: Option<String>,
    pub url: Option<String>,
    pub children_url: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub geo_tags: Vec<String>,
    #[serde(default)]
    pub pricing_tags: Vec<String>,
    /// Display texts by language (`en`, …).
    #[serde(default)]
    pub overview_ui: BTreeMap<String, Overview>,
    pub metadata: Option<CatalogMetadata>,
    pub created: Option<String>,
    pub updated: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Overview {
    pub display_name: Option<String>,
    pub description: Option<String>,
    pub long_description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CatalogMetadata {
    pub rc_compatible: Option<bool>,
    pub deployment: Option<DeploymentMetadata>,
    /// Free-form; Gen 2 puts sizing in `other.resources` (see [`CatalogEntry::sizing`]).
    pub other: Option<Value>,
    pub pricing: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DeploymentMetadata {
    /// The location, e.g. `ca-mon`.
    pub location: Option<String>,
    pub location_url: Option<String>,
    pub original_location: Option<String>,
    pub target_crn: Option<String>,
    pub service_crn: Option<String>,
    pub supports_rc_migration: Option<bool>,
    pub target_network: Option<String>,
}

/// An element of a Gen 2 deployment's `metadata.other.resources`: the sizing of one kind
/// of member. The key names are the ones IBM's Terraform provider reads.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct MemberSizing {
    pub id: String,
    /// For `member`: the default number of members.
    pub count: Option<u32>,
    pub memory: Option<SizingLimits>,
    pub cpu: Option<SizingLimits>,
    pub disk: Option<SizingLimits>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SizingLimits {
    pub units: Option<String>,
    pub minimum_gb: Option<f64>,
    pub minimum_count: Option<f64>,
    pub step_size_gb: Option<f64>,
    pub step_size_count: Option<f64>,
    pub is_adjustable: Option<bool>,
    pub can_scale_down: Option<bool>,
}

impl CatalogEntry {
    /// `metadata.deployment.location` of a deployment.
    pub fn location(&self) -> Option<&str> {
        self.metadata
            .as_ref()?
            .deployment
            .as_ref()?
            .location
            .as_deref()
    }

    pub fn is_rc_compatible(&self) -> bool {
        self.metadata
            .as_ref()
            .and_then(|m| m.rc_compatible)
            .unwrap_or(false)
    }

    /// The sizing in `metadata.other.resources`; empty when absent or of another shape,
    /// because the metadata is free-form and the caller falls back to documented values.
    pub fn sizing(&self) -> Vec<MemberSizing> {
        self.metadata
            .as_ref()
            .and_then(|m| m.other.as_ref())
            .and_then(|other| other.get("resources"))
            .and_then(|resources| {
                serde_json::from_value::<Vec<MemberSizing>>(resources.clone()).ok()
            })
            .unwrap_or_default()
    }

    /// The default member count: the `member` sizing's `count`, else 2 (as the provider does).
    pub fn default_members(&self) -> u32 {
        self.sizing()
            .iter()
            .find(|s| s.id == "member")
            .and_then(|s| s.count)
            .unwrap_or(2)
    }
}

/// A page of catalog entries.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct EntrySearchResult {
    pub offset: Option<u64>,
    pub limit: Option<u64>,
    pub count: Option<u64>,
    pub resource_count: Option<u64>,
    pub first: Option<String>,
    pub last: Option<String>,
    pub prev: Option<String>,
    pub next: Option<String>,
    #[serde(default)]
    pub resources: Vec<CatalogEntry>,
}

/// `GET /{id}/pricing`: prices per metric.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Pricing {
    pub deployment_id: Option<String>,
    pub deployment_location: Option<String>,
    pub deployment_region: Option<String>,
    pub origin: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub effective_from: Option<String>,
    pub effective_until: Option<String>,
    #[serde(default)]
    pub metrics: Vec<PriceMetric>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PriceMetric {
    pub part_ref: Option<String>,
    pub metric_id: Option<String>,
    pub tier_model: Option<String>,
    pub charge_unit: Option<String>,
    pub charge_unit_name: Option<String>,
    pub charge_unit_display_name: Option<String>,
    pub resource_display_name: Option<String>,
    #[serde(default, deserialize_with = "lenient_number")]
    pub charge_unit_quantity: Option<f64>,
    #[serde(default)]
    pub amounts: Vec<PriceAmount>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PriceAmount {
    pub country: Option<String>,
    pub currency: Option<String>,
    #[serde(default)]
    pub prices: Vec<PriceTier>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PriceTier {
    #[serde(default, deserialize_with = "lenient_number")]
    pub quantity_tier: Option<f64>,
    #[serde(default, deserialize_with = "lenient_number")]
    pub price: Option<f64>,
}

/// IBM's own mocks send some quantities as strings; a number in either form is read, and
/// anything else is treated as absent rather than failing the whole price list.
fn lenient_number<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<f64>, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    })
}

/// The Global Catalog of one cloud.
#[derive(Debug, Clone)]
pub struct GlobalCatalogClient {
    cloud: Cloud,
    base: Url,
}

impl GlobalCatalogClient {
    pub(crate) fn new(cloud: Cloud) -> Result<Self, CloudError> {
        let base = cloud.endpoints().global_catalog()?.clone();
        Ok(GlobalCatalogClient { cloud, base })
    }

    /// `GET /{id}?include=*`.
    pub async fn get_entry(&self, id: &str) -> Result<CatalogEntry, CloudError> {
        let url = with_query(join_path(&self.base, &[id])?, &[("include", Some("*"))]);
        self.cloud.json(&ApiRequest::get(SERVICE, url)).await
    }

    /// `GET /?q=…&include=*`, all pages.
    pub async fn search(&self, q: &str) -> Result<Vec<CatalogEntry>, CloudError> {
        self.all_pages(join_path(&self.base, &[])?, Some(q)).await
    }

    /// `GET /{id}/{kind}?include=*`: the children of one kind, all pages.
    pub async fn children(&self, id: &str, kind: &str) -> Result<Vec<CatalogEntry>, CloudError> {
        self.all_pages(join_path(&self.base, &[id, kind])?, None)
            .await
    }

    /// The plans of a service, e.g. [`POSTGRESQL_SERVICE_ID`].
    pub async fn plans(&self, service_id: &str) -> Result<Vec<CatalogEntry>, CloudError> {
        self.children(service_id, "plan").await
    }

    /// The deployments of a plan, e.g. [`POSTGRESQL_GEN2_PLAN_ID`]. The plan is offered in
    /// the [`CatalogEntry::location`] of each deployment that [`CatalogEntry::is_rc_compatible`].
    pub async fn deployments(&self, plan_id: &str) -> Result<Vec<CatalogEntry>, CloudError> {
        self.children(plan_id, "deployment").await
    }

    /// `GET /{id}/pricing[?deployment_region=…]`.
    pub async fn pricing(
        &self,
        id: &str,
        deployment_region: Option<&str>,
    ) -> Result<Pricing, CloudError> {
        let url = with_query(
            join_path(&self.base, &[id, "pricing"])?,
            &[("deployment_region", deployment_region)],
        );
        self.cloud.json(&ApiRequest::get(SERVICE, url)).await
    }

    /// Pages by `_offset` computed here rather than by following `next`, which is an
    /// absolute URL and would take our token wherever it points.
    async fn all_pages(&self, url: Url, q: Option<&str>) -> Result<Vec<CatalogEntry>, CloudError> {
        let limit = PAGE_SIZE.to_string();
        collect_pages(SERVICE, |offset| {
            let url = url.clone();
            let limit = limit.clone();
            async move {
                let offset_value: u64 = offset.as_deref().and_then(|o| o.parse().ok()).unwrap_or(0);
                let url = with_query(
                    url,
                    &[
                        ("q", q),
                        ("include", Some("*")),
                        ("_offset", offset.as_deref()),
                        ("_limit", Some(limit.as_str())),
                    ],
                );
                let page: EntrySearchResult =
                    self.cloud.json(&ApiRequest::get(SERVICE, url)).await?;
                let got = page.resources.len() as u64;
                let next_offset = offset_value + got;
                let more = got > 0
                    && match page.resource_count {
                        Some(total) => next_offset < total,
                        None => got >= u64::from(PAGE_SIZE),
                    };
                Ok((page.resources, more.then(|| next_offset.to_string())))
            }
        })
        .await
    }
}
