//! IAM: exchanging an API key for an access token, reading the account out of the token,
//! and keeping a token cached until 80% of its lifetime has passed (as IBM's own SDK cores
//! do), so a long session makes one exchange per ~48 minutes.

use std::sync::Arc;

use base64::Engine;
use reqwest::Method;
use serde::Deserialize;
use tokio::sync::Mutex;
use url::Url;

use onramp_secrets::Sensitive;

use crate::{
    endpoints::join_path,
    error::CloudError,
    http::{ApiRequest, HttpClient, Idempotency},
};

const SERVICE: &str = "IAM";
const APIKEY_GRANT: &str = "urn:ibm:params:oauth:grant-type:apikey";

/// An access token and when it stops being good.
#[derive(Clone)]
pub struct Token {
    pub access_token: Sensitive<String>,
    /// Lifetime in seconds, as IAM reported it.
    pub expires_in: u64,
    /// Absolute expiry, Unix seconds, in IAM's clock: kept for reference only. This
    /// computer's clock may disagree with IAM's, so the lifetime counts from receipt.
    pub expiration: u64,
    /// When this computer received it (a monotonic clock).
    pub received: std::time::Instant,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Token")
            .field("access_token", &self.access_token)
            .field("expires_in", &self.expires_in)
            .field("expiration", &self.expiration)
            .finish()
    }
}

impl Token {
    /// How long after receipt to get a new one: 80% of the lifetime IAM gave it.
    pub fn refresh_after(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.expires_in.saturating_mul(4) / 5)
    }

    /// Past 80% of its lifetime, counted on this computer's monotonic clock from receipt,
    /// so a clock that is off (or jumps) never makes every call exchange the key again.
    pub fn needs_refresh(&self) -> bool {
        self.received.elapsed() >= self.refresh_after()
    }

    /// The identity in the token's claims. The signature is not checked: the token came
    /// straight from IAM over TLS (or from the loopback sandbox).
    pub fn identity(&self) -> Result<Identity, CloudError> {
        let payload = self
            .access_token
            .expose()
            .split('.')
            .nth(1)
            .ok_or_else(|| CloudError::decode(SERVICE, "the access token is not a JWT", None))?;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload.trim_end_matches('='))
            .map_err(|e| {
                CloudError::decode(
                    SERVICE,
                    format!("the access token's claims are not base64url: {e}"),
                    None,
                )
            })?;
        let claims: Claims = serde_json::from_slice(&bytes).map_err(|e| {
            CloudError::decode(SERVICE, format!("the access token's claims: {e}"), None)
        })?;
        Ok(Identity {
            account_id: claims.account.bss,
            iam_id: claims.iam_id,
            name: claims.name.filter(|n| !n.is_empty()),
            email: claims.email.filter(|e| !e.is_empty()),
            issuer: claims.iss,
        })
    }
}

/// Who a token belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// `account.bss`: the 32-hex account id every other API takes.
    pub account_id: String,
    /// `IBMid-…` for a user, `iam-ServiceId-…` for a service ID.
    pub iam_id: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub issuer: Option<String>,
}

/// The claims of an IAM access token that Onramp reads (fixture `iam_jwt_claims_example`).
#[derive(Debug, Deserialize)]
pub(crate) struct Claims {
    pub iam_id: String,
    pub account: AccountClaim,
    pub name: Option<String>,
    pub email: Option<String>,
    pub iss: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct AccountClaim {
    pub bss: String,
}

/// The token endpoint's answer (fixture `iam_token_200`); `refresh_token` is the literal
/// `not_supported` for the API-key grant, so it is not kept.
#[derive(Debug, Deserialize)]
pub(crate) struct TokenResponse {
    pub access_token: Sensitive<String>,
    pub expires_in: u64,
    pub expiration: u64,
}

/// The IAM token endpoint of one IAM host.
#[derive(Debug, Clone)]
pub struct IamClient {
    http: HttpClient,
    token_url: Url,
}

impl IamClient {
    /// `base` is the IAM authenticator URL, e.g. `https://iam.cloud.ibm.com`.
    pub fn new(http: HttpClient, base: &Url) -> Result<Self, CloudError> {
        let token_url = join_path(base, &["identity", "token"])?;
        crate::endpoints::require_secure(&token_url)?;
        Ok(IamClient { http, token_url })
    }

    pub fn token_url(&self) -> &Url {
        &self.token_url
    }

    /// `POST /identity/token` with the API-key grant.
    pub async fn exchange_api_key(&self, api_key: &Sensitive<String>) -> Result<Token, CloudError> {
        let form = [
            ("grant_type", APIKEY_GRANT),
            ("apikey", api_key.expose().as_str()),
            ("response_type", "cloud_iam"),
        ];
        // Exchanging the same key twice is harmless, so this POST may be retried.
        let request = ApiRequest::new(SERVICE, Method::POST, self.token_url.clone())
            .form(&form)
            .idempotency(Idempotency::Safe);
        let body: TokenResponse = self.http.execute(&request, None).await?.json(SERVICE)?;
        Ok(Token {
            access_token: body.access_token,
            expires_in: body.expires_in,
            expiration: body.expiration,
            received: std::time::Instant::now(),
        })
    }
}

#[cfg(test)]
pub(crate) fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// An API key and the token it was last exchanged for. Every other client asks it for a
/// bearer token; it exchanges the key again only when the cached token is past 80% of its
/// life, or when a service rejected the token (`invalidate`).
#[derive(Clone)]
pub struct Authenticator {
    iam: IamClient,
    api_key: Arc<Sensitive<String>>,
    cached: Arc<Mutex<Option<Token>>>,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator")
            .field("token_url", self.iam.token_url())
            .field("api_key", &self.api_key)
            .finish()
    }
}

impl Authenticator {
    pub fn new(iam: IamClient, api_key: Sensitive<String>) -> Self {
        Authenticator {
            iam,
            api_key: Arc::new(api_key),
            cached: Arc::new(Mutex::new(None)),
        }
    }

    /// A token good for at least 20% of its lifetime, exchanging the key if needed.
    /// Concurrent callers share one exchange (the lock is held across it).
    pub async fn token(&self) -> Result<Token, CloudError> {
        let mut cached = self.cached.lock().await;
        if let Some(token) = cached.as_ref() {
            if !token.needs_refresh() {
                return Ok(token.clone());
            }
        }
        let token = self.iam.exchange_api_key(&self.api_key).await?;
        tracing::info!(expires_in = token.expires_in, "IAM token obtained");
        *cached = Some(token.clone());
        Ok(token)
    }

    /// Forgets the cached token, so the next call exchanges the key again (after a 401).
    pub async fn invalidate(&self) {
        *self.cached.lock().await = None;
    }

    /// Forgets `rejected` if it is still the cached token. When several calls get a 401
    /// for the same token, only the first forgets it; the others then reuse the token it
    /// exchanged for instead of each throwing that one away again.
    pub(crate) async fn invalidate_token(&self, rejected: &Token) {
        let mut cached = self.cached.lock().await;
        if cached
            .as_ref()
            .is_some_and(|t| t.access_token == rejected.access_token)
        {
            *cached = None;
        }
    }

    /// The API key itself, for the one API that takes it as a header (IAM Identity).
    pub(crate) fn api_key(&self) -> &Sensitive<String> {
        &self.api_key
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token_with(claims: &str, expires_in: u64, expiration: u64) -> Token {
        let enc = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        let jwt = format!("{}.{}.sig", enc(r#"{"alg":"RS256"}"#), enc(claims));
        Token {
            access_token: Sensitive::new(jwt),
            expires_in,
            expiration,
            received: std::time::Instant::now(),
        }
    }

    #[test]
    fn reads_the_account_from_the_contract_claims() {
        let claims = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../../shared/contract/fixtures/iam_jwt_claims_example.json"))
            .unwrap_or_else(|_| r#"{"iam_id":"IBMid-6900012ABC","name":"Ada Lovelace","email":"ada@example.com","account":{"bss":"a1b2c3d4e5f60718293a4b5c6d7e8f90"}}"#.into());
        let identity = token_with(&claims, 3600, 0).identity().unwrap();
        assert_eq!(identity.account_id, "a1b2c3d4e5f60718293a4b5c6d7e8f90");
        assert_eq!(identity.iam_id, "IBMid-6900012ABC");
        assert_eq!(identity.name.as_deref(), Some("Ada Lovelace"));
        assert_eq!(identity.email.as_deref(), Some("ada@example.com"));
    }

    #[test]
    fn refreshes_after_eighty_percent_of_the_lifetime_whatever_its_expiration_says() {
        // An `expiration` an hour in the past (IAM's clock, or this one, is off).
        let token = token_with("{}", 3600, now_unix().saturating_sub(3600));
        assert_eq!(token.refresh_after(), std::time::Duration::from_secs(2880));
        assert!(!token.needs_refresh(), "good for 48 minutes from receipt");
        let mut old = token.clone();
        old.received = std::time::Instant::now() - std::time::Duration::from_secs(2881);
        assert!(old.needs_refresh());
        let short = token_with("{}", 0, 0);
        assert!(short.needs_refresh(), "a zero lifetime is never reused");
    }

    #[test]
    fn a_token_that_is_not_a_jwt_is_a_decode_error() {
        let token = Token {
            access_token: Sensitive::from("opaque"),
            expires_in: 1,
            expiration: 1,
            received: std::time::Instant::now(),
        };
        assert!(token.identity().is_err());
    }

    #[test]
    fn the_token_url_keeps_a_base_path() {
        let http = HttpClient::new().unwrap();
        let iam =
            IamClient::new(http.clone(), &Url::parse("http://127.0.0.1:9/iam").unwrap()).unwrap();
        assert_eq!(
            iam.token_url().as_str(),
            "http://127.0.0.1:9/iam/identity/token"
        );
        let iam = IamClient::new(
            http.clone(),
            &Url::parse("https://iam.cloud.ibm.com").unwrap(),
        )
        .unwrap();
        assert_eq!(
            iam.token_url().as_str(),
            "https://iam.cloud.ibm.com/identity/token"
        );
        assert!(IamClient::new(http, &Url::parse("http://iam.cloud.ibm.com").unwrap()).is_err());
    }
}
