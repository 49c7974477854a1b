//! Resource Manager v2: the account's resource groups, where the instance and the VPC
//! resources are put. It shares its host with the Resource Controller.

use serde::Deserialize;

use crate::{
    context::Cloud, endpoints::join_path, error::CloudError, http::ApiRequest, model::with_query,
};

const SERVICE: &str = "Resource Manager";

/// A resource group. IBM's spec makes every field optional; a group without an id is of
/// no use to Onramp, so `id` is required.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ResourceGroup {
    /// 32 hex digits: the RC `resource_group` and the VPC `resource_group.id`.
    pub id: String,
    pub crn: Option<String>,
    pub account_id: Option<String>,
    pub name: Option<String>,
    /// `ACTIVE` in every sample; kept as text because IBM publishes no list.
    pub state: Option<String>,
    /// The account's default group (normally named `Default`).
    pub default: Option<bool>,
    pub quota_id: Option<String>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
}

/// `GET /v2/resource_groups`: one page, this API does not paginate.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ResourceGroupList {
    pub resources: Vec<ResourceGroup>,
}

/// Resource groups of one cloud.
#[derive(Debug, Clone)]
pub struct ResourceManagerClient {
    cloud: Cloud,
    base: url::Url,
}

impl ResourceManagerClient {
    pub(crate) fn new(cloud: Cloud) -> Result<Self, CloudError> {
        let base = cloud.endpoints().resource_controller()?.clone();
        Ok(ResourceManagerClient { cloud, base })
    }

    /// The groups of `account_id` the caller can see (Viewer or more). An empty list
    /// means missing access, not an account without groups.
    pub async fn list_resource_groups(
        &self,
        account_id: &str,
        name: Option<&str>,
    ) -> Result<Vec<ResourceGroup>, CloudError> {
        let url = with_query(
            join_path(&self.base, &["v2", "resource_groups"])?,
            &[("account_id", Some(account_id)), ("name", name)],
        );
        let list: ResourceGroupList = self.cloud.json(&ApiRequest::get(SERVICE, url)).await?;
        Ok(list.resources)
    }
}
