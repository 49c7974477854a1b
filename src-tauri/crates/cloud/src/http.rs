//! The one HTTP client every cloud call goes through: connection pooling, connect and total
//! timeouts, HTTPS enforcement for anything off this machine, and a log line per call with
//! method, path, status, duration and request id (never a body, never a query with secrets).

use std::time::{Duration, Instant};

use reqwest::{Method, RequestBuilder, Response};
use url::Url;

use crate::{endpoints::require_secure, error::CloudError};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const TOTAL_TIMEOUT: Duration = Duration::from_secs(60);

/// Cheap to clone: clones share one connection pool.
#[derive(Debug, Clone)]
pub struct HttpClient {
    inner: reqwest::Client,
}

impl HttpClient {
    pub fn new() -> Result<Self, CloudError> {
        let inner = reqwest::Client::builder()
            .use_rustls_tls()
            .https_only(false) // loopback HTTP is allowed for the sandbox; require_secure guards the rest
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(TOTAL_TIMEOUT)
            .user_agent(concat!("onramp/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| CloudError::config(format!("cannot build the HTTP client: {e}")))?;
        Ok(HttpClient { inner })
    }

    /// Starts a request to `url`, refusing plain HTTP to anything but loopback.
    pub(crate) fn request(&self, method: Method, url: &Url) -> Result<RequestBuilder, CloudError> {
        require_secure(url)?;
        Ok(self
            .inner
            .request(method, url.clone())
            .header("Accept", "application/json"))
    }

    /// Sends the request, logs it, and turns transport failures and non-2xx answers into
    /// [`CloudError`]. `service` names the API in messages ("IAM", "Resource Controller").
    pub(crate) async fn send(
        &self,
        service: &str,
        request: RequestBuilder,
    ) -> Result<Response, CloudError> {
        let built = request
            .build()
            .map_err(|e| CloudError::config(format!("cannot build a request to {service}: {e}")))?;
        let method = built.method().clone();
        let path = built.url().path().to_owned();
        let started = Instant::now();
        let result = self.inner.execute(built).await;
        let elapsed_ms = started.elapsed().as_millis() as u64;
        match result {
            Err(error) => {
                let error = CloudError::transport(&error, service);
                tracing::warn!(%method, path, elapsed_ms, error = %error.message, "cloud call failed");
                Err(error)
            }
            Ok(response) => {
                let status = response.status().as_u16();
                let request_id = request_id(&response);
                tracing::info!(%method, path, status, elapsed_ms, request_id = request_id.as_deref().unwrap_or("-"), "cloud call");
                if response.status().is_success() {
                    return Ok(response);
                }
                let body = response.text().await.unwrap_or_default();
                Err(CloudError::from_response(status, request_id, &body))
            }
        }
    }
}

fn request_id(response: &Response) -> Option<String> {
    [
        "x-request-id",
        "transaction-id",
        "x-correlation-id",
        "x-global-transaction-id",
    ]
    .iter()
    .find_map(|name| response.headers().get(*name))
    .and_then(|value| value.to_str().ok())
    .map(str::to_owned)
}
