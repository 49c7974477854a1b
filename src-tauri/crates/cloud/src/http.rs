//! The one HTTP client every cloud call goes through: connection pooling, connect and total
//! timeouts, HTTPS enforcement for anything off this machine, retries within a time budget,
//! and a log line per attempt with method, path, status, duration and request id (never a
//! body, never a query, never a header value).

use std::time::{Duration, Instant, SystemTime};

use rand::Rng;
use reqwest::{
    header::{
        HeaderMap, HeaderName, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER,
    },
    Method,
};
use serde::{de::DeserializeOwned, Serialize};
use url::Url;

use onramp_secrets::Sensitive;

use crate::{endpoints::require_secure, error::CloudError};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const TOTAL_TIMEOUT: Duration = Duration::from_secs(60);
/// No attempt gets less time than this, even at the end of a budget, so a slow but
/// healthy answer is not cut off by a budget that was almost spent on waiting.
const MIN_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(1);

/// How a call is retried. IBM's SDK cores retry connection errors, 429 and 5xx except 501;
/// so does this, with exponential backoff and full jitter (a random wait between zero and
/// the exponential step) so many clients do not retry in lockstep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in total, the first included; 1 turns retries off.
    pub max_attempts: u32,
    /// The first backoff step; each retry doubles it.
    pub base_delay: Duration,
    /// The longest single wait, also the cap on a server's `Retry-After`.
    pub max_delay: Duration,
    /// The whole call, attempts and waits together, never runs past this; a retry whose
    /// wait would cross it is not made.
    pub budget: Duration,
}

impl Default for RetryPolicy {
    /// Four retries and a 30 s longest wait, as IBM's Key Protect client uses.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            budget: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    /// Retries off: one attempt per call.
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// The wait before attempt `attempt + 1` after attempt `attempt` (1-based) failed.
    fn wait_after(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(asked) = retry_after {
            return asked.min(self.max_delay);
        }
        let step = self
            .base_delay
            .saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1)))
            .min(self.max_delay);
        let millis = u64::try_from(step.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(rand::thread_rng().gen_range(0..=millis))
    }
}

/// Whether sending a request twice is harmless. A create that timed out may still have
/// happened, so sending it again could make a second resource: creates are `Unsafe` unless
/// the caller knows better, and the engine looks for the resource before creating it again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Idempotency {
    /// Retried on connection errors, 429 and 5xx (GET, DELETE, PUT, and opted-in POSTs).
    Safe,
    /// Sent once; any failure goes straight back to the caller.
    #[default]
    Unsafe,
}

/// One request, kept as data so each attempt can build it afresh.
pub(crate) struct ApiRequest {
    service: &'static str,
    method: Method,
    url: Url,
    headers: Vec<(HeaderName, HeaderValue)>,
    /// Sensitive because the IAM token exchange's form carries the API key.
    body: Option<(&'static str, Sensitive<Vec<u8>>)>,
    idempotency: Idempotency,
}

impl ApiRequest {
    /// A request to `url`; GET, HEAD, PUT and DELETE start `Safe`, anything else `Unsafe`.
    pub(crate) fn new(service: &'static str, method: Method, url: Url) -> Self {
        let idempotency = if matches!(
            method,
            Method::GET | Method::HEAD | Method::PUT | Method::DELETE
        ) {
            Idempotency::Safe
        } else {
            Idempotency::Unsafe
        };
        ApiRequest {
            service,
            method,
            url,
            headers: Vec::new(),
            body: None,
            idempotency,
        }
    }

    pub(crate) fn get(service: &'static str, url: Url) -> Self {
        ApiRequest::new(service, Method::GET, url)
    }

    pub(crate) fn service(&self) -> &'static str {
        self.service
    }

    pub(crate) fn idempotency(mut self, idempotency: Idempotency) -> Self {
        self.idempotency = idempotency;
        self
    }

    pub(crate) fn json(mut self, body: &impl Serialize) -> Result<Self, CloudError> {
        let bytes = serde_json::to_vec(body).map_err(|e| {
            CloudError::config(format!("cannot encode a request to {}: {e}", self.service))
        })?;
        self.body = Some(("application/json", Sensitive::new(bytes)));
        Ok(self)
    }

    pub(crate) fn form(mut self, fields: &[(&str, &str)]) -> Self {
        let encoded = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        self.body = Some((
            "application/x-www-form-urlencoded",
            Sensitive::new(encoded.into_bytes()),
        ));
        self
    }

    pub(crate) fn header(mut self, name: &'static str, value: &str) -> Result<Self, CloudError> {
        let value = HeaderValue::from_str(value).map_err(|_| {
            CloudError::config(format!("the {name} header value is not valid in HTTP"))
        })?;
        self.headers.push((HeaderName::from_static(name), value));
        Ok(self)
    }

    /// A header whose value is a secret: marked sensitive so HTTP layers that print
    /// headers show it redacted, and named in no error.
    pub(crate) fn secret_header(
        mut self,
        name: &'static str,
        value: &Sensitive<String>,
    ) -> Result<Self, CloudError> {
        let mut value = HeaderValue::from_str(value.expose()).map_err(|_| {
            CloudError::config(format!("the {name} header value is not valid in HTTP"))
        })?;
        value.set_sensitive(true);
        self.headers.push((HeaderName::from_static(name), value));
        Ok(self)
    }
}

/// A 2xx answer, read in full.
#[derive(Debug)]
pub(crate) struct RawResponse {
    pub request_id: Option<String>,
    pub body: Vec<u8>,
}

impl RawResponse {
    pub(crate) fn json<T: DeserializeOwned>(&self, service: &str) -> Result<T, CloudError> {
        serde_json::from_slice(&self.body)
            .map_err(|e| CloudError::decode(service, e, self.request_id.clone()))
    }
}

/// Cheap to clone: clones share one connection pool.
#[derive(Debug, Clone)]
pub struct HttpClient {
    inner: reqwest::Client,
    policy: RetryPolicy,
    /// The cloud's clock minus this computer's, in milliseconds, as the last answer's
    /// `Date` header said (the engine judges `created_at` times in the cloud's clock).
    clock_offset: std::sync::Arc<std::sync::atomic::AtomicI64>,
}

/// No offset measured yet.
const UNMEASURED: i64 = i64::MIN;

struct Failure {
    error: CloudError,
    retry_after: Option<Duration>,
}

impl HttpClient {
    pub fn new() -> Result<Self, CloudError> {
        let inner = reqwest::Client::builder()
            .use_rustls_tls()
            .https_only(false) // loopback HTTP is allowed for the sandbox; require_secure guards the rest
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(TOTAL_TIMEOUT)
            // Every request carries an API key or a token; a redirect would re-send it to
            // wherever the answer points. IBM's APIs do not redirect, so none is followed:
            // a 3xx comes back as an error naming where it pointed.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("onramp/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| CloudError::config(format!("cannot build the HTTP client: {e}")))?;
        Ok(HttpClient {
            inner,
            policy: RetryPolicy::default(),
            clock_offset: std::sync::Arc::new(std::sync::atomic::AtomicI64::new(UNMEASURED)),
        })
    }

    /// The cloud's clock minus this computer's, in milliseconds, from the latest answer
    /// that carried a `Date` header (one-second resolution); `None` before any did.
    pub fn clock_offset_ms(&self) -> Option<i64> {
        let ms = self.clock_offset.load(std::sync::atomic::Ordering::Relaxed);
        (ms != UNMEASURED).then_some(ms)
    }

    fn note_date(&self, headers: &HeaderMap) {
        let Some(date) = headers
            .get(reqwest::header::DATE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_imf_fixdate(v.trim()))
            .map(|secs| SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
        else {
            return;
        };
        let millis = |t: SystemTime| {
            t.duration_since(std::time::UNIX_EPOCH)
                .ok()
                .and_then(|d| i64::try_from(d.as_millis()).ok())
        };
        if let (Some(server), Some(local)) = (millis(date), millis(SystemTime::now())) {
            self.clock_offset
                .store(server - local, std::sync::atomic::Ordering::Relaxed);
        }
    }

    /// The same pool with another retry policy (tests use millisecond waits).
    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.policy = policy;
        self
    }

    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.policy
    }

    /// Sends `request` (with `bearer` as its `Authorization`, if given), retrying what the
    /// policy and the request's idempotency allow, and turns transport failures and
    /// non-2xx answers into [`CloudError`].
    pub(crate) async fn execute(
        &self,
        request: &ApiRequest,
        bearer: Option<&Sensitive<String>>,
    ) -> Result<RawResponse, CloudError> {
        require_secure(&request.url)?;
        let started = Instant::now();
        let mut attempt = 1;
        loop {
            let remaining = self.policy.budget.saturating_sub(started.elapsed());
            let timeout = remaining.clamp(MIN_ATTEMPT_TIMEOUT, TOTAL_TIMEOUT);
            let Failure { error, retry_after } =
                match self.attempt(request, bearer, attempt, timeout).await {
                    Ok(response) => return Ok(response),
                    Err(failure) => failure,
                };
            if !error.retryable
                || request.idempotency == Idempotency::Unsafe
                || attempt >= self.policy.max_attempts
            {
                return Err(error);
            }
            let wait = self.policy.wait_after(attempt, retry_after);
            if started.elapsed() + wait > self.policy.budget {
                tracing::warn!(
                    service = request.service,
                    method = %request.method,
                    path = request.url.path(),
                    attempt,
                    "cloud call gave up: its retry budget is spent"
                );
                return Err(error);
            }
            tracing::info!(
                service = request.service,
                method = %request.method,
                path = request.url.path(),
                attempt,
                wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                "cloud call will be retried"
            );
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    async fn attempt(
        &self,
        request: &ApiRequest,
        bearer: Option<&Sensitive<String>>,
        attempt: u32,
        timeout: Duration,
    ) -> Result<RawResponse, Failure> {
        let service = request.service;
        let mut builder = self
            .inner
            .request(request.method.clone(), request.url.clone())
            .timeout(timeout)
            .header(ACCEPT, "application/json");
        for (name, value) in &request.headers {
            builder = builder.header(name.clone(), value.clone());
        }
        if let Some(token) = bearer {
            let header = Sensitive::new(format!("Bearer {}", token.expose()));
            let mut value = HeaderValue::from_str(header.expose()).map_err(|_| Failure {
                error: CloudError::config("the access token is not a valid header value"),
                retry_after: None,
            })?;
            value.set_sensitive(true);
            builder = builder.header(AUTHORIZATION, value);
        }
        if let Some((content_type, body)) = &request.body {
            builder = builder
                .header(CONTENT_TYPE, *content_type)
                .body(body.expose().clone());
        }

        let method = &request.method;
        let path = request.url.path();
        let started = Instant::now();
        let elapsed_ms =
            |started: Instant| u64::try_from(started.elapsed().as_millis()).unwrap_or(0);
        let transport = |error: reqwest::Error| {
            let error = CloudError::transport(&error, service);
            tracing::warn!(service, %method, path, attempt, elapsed_ms = elapsed_ms(started), error = %error.message, "cloud call failed");
            Failure {
                error,
                retry_after: None,
            }
        };
        let response = builder.send().await.map_err(transport)?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        self.note_date(&headers);
        let request_id = request_id(&headers);
        let body = response.bytes().await.map_err(transport)?.to_vec();
        tracing::info!(
            service,
            %method,
            path,
            status,
            attempt,
            elapsed_ms = elapsed_ms(started),
            request_id = request_id.as_deref().unwrap_or("-"),
            "cloud call"
        );
        if (200..300).contains(&status) {
            return Ok(RawResponse { request_id, body });
        }
        if (300..400).contains(&status) {
            let to = headers
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .map(|l| l.split('?').next().unwrap_or(l).to_owned())
                .unwrap_or_else(|| "nowhere".to_owned());
            let mut error = CloudError::from_response(status, request_id, "");
            error.message = format!(
                "{service} answered with a redirect (HTTP {status}) to {to}. Onramp does not follow redirects: they would send your API key or token to another address."
            );
            error.retryable = false;
            return Err(Failure {
                error,
                retry_after: None,
            });
        }
        let text = String::from_utf8_lossy(&body);
        Err(Failure {
            error: CloudError::from_response(status, request_id, &text),
            retry_after: retry_after(&headers, SystemTime::now()),
        })
    }
}

fn request_id(headers: &HeaderMap) -> Option<String> {
    [
        "x-request-id",
        "transaction-id",
        "x-correlation-id",
        "correlation-id",
        "x-global-transaction-id",
    ]
    .iter()
    .find_map(|name| headers.get(*name))
    .and_then(|value| value.to_str().ok())
    .map(str::to_owned)
}

/// `Retry-After` as a wait: either whole seconds or an HTTP date (RFC 9110 §10.2.3).
fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let text = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = text.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = SystemTime::UNIX_EPOCH + Duration::from_secs(parse_imf_fixdate(text)?);
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Unix seconds of an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the one date format
/// HTTP senders must use. The obsolete RFC 850 and asctime forms are not read: a header in
/// those falls back to the usual backoff.
fn parse_imf_fixdate(text: &str) -> Option<u64> {
    let (_weekday, rest) = text.split_once(", ")?;
    let parts: Vec<&str> = rest.split(' ').collect();
    let [day, month, year, time, "GMT"] = parts.as_slice() else {
        return None;
    };
    let day: u64 = day.parse().ok()?;
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]
    .iter()
    .position(|m| m == month)? as u64
        + 1;
    let year: u64 = year.parse().ok()?;
    let clock: Vec<u64> = time
        .split(':')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    let [hour, minute, second] = clock.as_slice() else {
        return None;
    };
    if !(1..=31).contains(&day) || year < 1970 || *hour > 23 || *minute > 59 || *second > 60 {
        return None;
    }
    // Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
    let (y, m) = if month <= 2 {
        (year - 1, month + 9)
    } else {
        (year, month - 3)
    };
    let era = y / 400;
    let year_of_era = y - era * 400;
    let day_of_year = (153 * m + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    let days = (era * 146_097 + day_of_era).checked_sub(719_468)?;
    Some(days * 86_400 + hour * 3600 + minute * 60 + second)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn retry_after_takes_seconds_and_http_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_470);
        assert_eq!(
            retry_after(&headers("7"), now),
            Some(Duration::from_secs(7))
        );
        // 2015-10-21T07:28:00Z is 1445412480, ten seconds after `now`.
        assert_eq!(
            retry_after(&headers("Wed, 21 Oct 2015 07:28:00 GMT"), now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            retry_after(&headers("Wed, 21 Oct 2015 07:00:00 GMT"), now),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after(&headers("soon"), now), None);
        assert_eq!(
            retry_after(&headers("Sunday, 06-Nov-94 08:49:37 GMT"), now),
            None
        );
        assert_eq!(parse_imf_fixdate("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(
            parse_imf_fixdate("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777)
        );
        assert_eq!(
            parse_imf_fixdate("Tue, 29 Feb 2028 12:00:00 GMT"),
            Some(1_835_438_400)
        );
        assert_eq!(retry_after(&HeaderMap::new(), now), None);
    }

    #[test]
    fn backoff_is_jittered_below_a_doubling_step_and_capped() {
        let policy = RetryPolicy {
            max_attempts: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(350),
            budget: Duration::from_secs(10),
        };
        for _ in 0..200 {
            assert!(policy.wait_after(1, None) <= Duration::from_millis(100));
            assert!(policy.wait_after(2, None) <= Duration::from_millis(200));
            assert!(policy.wait_after(9, None) <= Duration::from_millis(350));
        }
        assert_eq!(
            policy.wait_after(1, Some(Duration::from_secs(60))),
            Duration::from_millis(350),
            "Retry-After is capped"
        );
        assert_eq!(
            policy.wait_after(1, Some(Duration::from_millis(20))),
            Duration::from_millis(20)
        );
    }

    #[test]
    fn methods_start_with_the_right_idempotency() {
        let url = Url::parse("http://127.0.0.1:1/x").unwrap();
        for (method, expected) in [
            (Method::GET, Idempotency::Safe),
            (Method::DELETE, Idempotency::Safe),
            (Method::PUT, Idempotency::Safe),
            (Method::POST, Idempotency::Unsafe),
            (Method::PATCH, Idempotency::Unsafe),
        ] {
            assert_eq!(
                ApiRequest::new("test", method.clone(), url.clone()).idempotency,
                expected,
                "{method}"
            );
        }
    }
}
