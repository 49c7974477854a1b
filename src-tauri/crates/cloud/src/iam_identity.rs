//! IAM Identity: details of the signed-in API key (its name, owner and lock state), which
//! tell a user key from a service ID's key.

use serde::Deserialize;
use url::Url;

use onramp_secrets::Sensitive;

use crate::{context::Cloud, endpoints::join_path, error::CloudError, http::ApiRequest};

const SERVICE: &str = "IAM Identity";

/// `GET /v1/apikeys/details`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ApiKeyDetails {
    pub id: String,
    pub crn: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    /// `IBMid-…` for a user's key, `iam-ServiceId-…` for a service ID's.
    pub iam_id: String,
    pub account_id: String,
    pub locked: Option<bool>,
    pub disabled: Option<bool>,
    pub created_by: Option<String>,
    pub created_at: Option<String>,
    pub modified_at: Option<String>,
    pub expires_at: Option<String>,
    pub entity_tag: Option<String>,
    pub action_when_leaked: Option<String>,
    /// Empty for users' keys; for a service ID's it may be the key itself.
    pub apikey: Option<Sensitive<String>>,
}

impl ApiKeyDetails {
    pub fn is_service_id_key(&self) -> bool {
        self.iam_id.starts_with("iam-ServiceId-")
    }
}

/// IAM Identity of one cloud.
#[derive(Debug, Clone)]
pub struct IamIdentityClient {
    cloud: Cloud,
    base: Url,
}

impl IamIdentityClient {
    pub(crate) fn new(cloud: Cloud) -> Result<Self, CloudError> {
        let base = cloud.endpoints().iam.clone();
        Ok(IamIdentityClient { cloud, base })
    }

    /// Details of the key this session signed in with.
    pub async fn api_key_details(&self) -> Result<ApiKeyDetails, CloudError> {
        let key = self.cloud.authenticator().api_key().clone();
        self.api_key_details_of(&key).await
    }

    /// Details of `api_key`, which travels in the `IAM-ApiKey` header.
    pub async fn api_key_details_of(
        &self,
        api_key: &Sensitive<String>,
    ) -> Result<ApiKeyDetails, CloudError> {
        let url = join_path(&self.base, &["v1", "apikeys", "details"])?;
        let request = ApiRequest::get(SERVICE, url).secret_header("iam-apikey", api_key)?;
        self.cloud.json(&request).await
    }
}
