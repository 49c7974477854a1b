//! The authenticated request path every API client shares: one HTTP client, the
//! endpoints, and the token cache. Every call carries `Authorization: Bearer`; a 401 means
//! the token was revoked or expired early, so it is forgotten, exchanged again, and the call
//! is sent once more, exactly once.

use std::sync::Arc;

use onramp_secrets::Sensitive;
use serde::de::DeserializeOwned;

use crate::{
    atracker::AtrackerClient,
    catalog::GlobalCatalogClient,
    cbr::CbrClient,
    endpoints::Endpoints,
    error::CloudError,
    http::{ApiRequest, HttpClient, RawResponse},
    iam::{Authenticator, IamClient, Identity},
    iam_identity::IamIdentityClient,
    iam_policy::IamPolicyClient,
    kms::KeyProtectClient,
    logs_router::LogsRouterClient,
    metrics_router::MetricsRouterClient,
    rc::ResourceControllerClient,
    rm::ResourceManagerClient,
    tagging::{GlobalSearchClient, GlobalTaggingClient},
    vpc::VpcClient,
};

/// A signed-in view of one cloud (IBM Cloud or the sandbox). Cheap to clone; clones share
/// the connection pool and the token.
#[derive(Debug, Clone)]
pub struct Cloud {
    http: HttpClient,
    endpoints: Arc<Endpoints>,
    auth: Authenticator,
}

impl Cloud {
    pub fn new(http: HttpClient, endpoints: Endpoints, auth: Authenticator) -> Self {
        Cloud {
            http,
            endpoints: Arc::new(endpoints),
            auth,
        }
    }

    /// Everything from an `endpoints.json` (or [`Endpoints::ibm_cloud`]) and an API key.
    pub fn with_api_key(
        http: HttpClient,
        endpoints: Endpoints,
        api_key: Sensitive<String>,
    ) -> Result<Self, CloudError> {
        endpoints.check_secure()?;
        let iam = IamClient::new(http.clone(), &endpoints.iam)?;
        Ok(Cloud::new(
            http,
            endpoints,
            Authenticator::new(iam, api_key),
        ))
    }

    pub fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    pub fn authenticator(&self) -> &Authenticator {
        &self.auth
    }

    /// The cloud's clock minus this computer's, in milliseconds, as its `Date` headers
    /// say; `None` before any answer carried one.
    pub fn clock_offset_ms(&self) -> Option<i64> {
        self.http.clock_offset_ms()
    }

    /// Who the API key belongs to; `account_id` is what Resource Manager, CBR and IAM
    /// policies ask for. Read from the cached token, so it costs no extra call.
    pub async fn identity(&self) -> Result<Identity, CloudError> {
        self.auth.token().await?.identity()
    }

    pub fn resource_controller(&self) -> Result<ResourceControllerClient, CloudError> {
        ResourceControllerClient::new(self.clone())
    }

    pub fn resource_manager(&self) -> Result<ResourceManagerClient, CloudError> {
        ResourceManagerClient::new(self.clone())
    }

    pub fn global_catalog(&self) -> Result<GlobalCatalogClient, CloudError> {
        GlobalCatalogClient::new(self.clone())
    }

    /// The VPC API of one region, e.g. `ca-mon`.
    pub fn vpc(&self, region: &str) -> Result<VpcClient, CloudError> {
        VpcClient::new(self.clone(), region)
    }

    pub fn cbr(&self) -> Result<CbrClient, CloudError> {
        CbrClient::new(self.clone())
    }

    /// The Key Protect instance `instance_guid` in `region`.
    pub fn key_protect(
        &self,
        region: &str,
        instance_guid: &str,
    ) -> Result<KeyProtectClient, CloudError> {
        KeyProtectClient::new(self.clone(), region, instance_guid)
    }

    pub fn iam_policies(&self) -> Result<IamPolicyClient, CloudError> {
        IamPolicyClient::new(self.clone())
    }

    pub fn iam_identity(&self) -> Result<IamIdentityClient, CloudError> {
        IamIdentityClient::new(self.clone())
    }

    pub fn global_tagging(&self) -> Result<GlobalTaggingClient, CloudError> {
        GlobalTaggingClient::new(self.clone())
    }

    pub fn global_search(&self) -> Result<GlobalSearchClient, CloudError> {
        GlobalSearchClient::new(self.clone())
    }

    /// Metrics Routing through the endpoint of `region`; the objects are account-wide.
    pub fn metrics_router(&self, region: &str) -> Result<MetricsRouterClient, CloudError> {
        MetricsRouterClient::new(self.clone(), region)
    }

    /// Activity Tracker Event Routing through the endpoint of `region`.
    pub fn atracker(&self, region: &str) -> Result<AtrackerClient, CloudError> {
        AtrackerClient::new(self.clone(), region)
    }

    /// Logs Routing v3 through the endpoint of `region`.
    pub fn logs_router(&self, region: &str) -> Result<LogsRouterClient, CloudError> {
        LogsRouterClient::new(self.clone(), region)
    }

    /// Sends `request` with a bearer token; on 401 forgets that token, gets a new one and
    /// sends the request once more. A second 401 is returned as is (`is_unauthorized`).
    pub(crate) async fn send(&self, request: &ApiRequest) -> Result<RawResponse, CloudError> {
        let token = self.auth.token().await?;
        match self.http.execute(request, Some(&token.access_token)).await {
            Err(error) if error.is_unauthorized() => {
                tracing::info!(
                    service = request.service(),
                    "the token was rejected; exchanging the API key again"
                );
                self.auth.invalidate_token(&token).await;
                let fresh = self.auth.token().await?;
                self.http.execute(request, Some(&fresh.access_token)).await
            }
            other => other,
        }
    }

    /// [`Cloud::send`], then the body read as `T`.
    pub(crate) async fn json<T: DeserializeOwned>(
        &self,
        request: &ApiRequest,
    ) -> Result<T, CloudError> {
        self.send(request).await?.json(request.service())
    }

    /// [`Cloud::send`] for calls whose answer has no body worth reading (DELETE → 204/202).
    pub(crate) async fn no_content(&self, request: &ApiRequest) -> Result<(), CloudError> {
        self.send(request).await.map(|_| ())
    }
}
