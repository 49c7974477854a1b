//! One error type for every cloud call: what kind of failure, the HTTP status, the
//! service's own error code and message (IBM uses several body shapes), the request id for
//! support, and whether trying again could help. Secrets never reach it: messages come
//! from the service or from us, never from a request body.

use std::fmt;

use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// A bad endpoint or client setup (for example a non-HTTPS URL).
    Config,
    /// The service could not be reached: DNS, refused or reset connection, TLS failure.
    Network,
    /// The service did not answer in time.
    Timeout,
    /// The service answered with a non-success status.
    Http,
    /// The service answered 2xx with a body we could not read.
    Decode,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloudError {
    pub kind: ErrorKind,
    pub status: Option<u16>,
    /// The service's error code, e.g. `BXNIM0415E` or `RC-ServiceBrokerErrorResponse`.
    pub code: Option<String>,
    /// The service's own message, verbatim where it sent one.
    pub message: String,
    /// IAM's `requestId`, RC's `transaction_id`, VPC's `trace`, or the response header.
    pub request_id: Option<String>,
    pub retryable: bool,
}

impl fmt::Display for CloudError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.status, &self.code) {
            (Some(status), Some(code)) => write!(f, "{} ({status} {code})", self.message),
            (Some(status), None) => write!(f, "{} ({status})", self.message),
            _ => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for CloudError {}

/// A URL as an error may show it: no query, at most [`SHOWN_URL_MAX`] characters.
fn shown_url(url: &url::Url) -> String {
    let mut bare = url.clone();
    bare.set_query(None);
    bare.set_fragment(None);
    let text = bare.to_string();
    if text.chars().count() <= SHOWN_URL_MAX {
        text
    } else {
        format!("{}…", text.chars().take(SHOWN_URL_MAX).collect::<String>())
    }
}

const SHOWN_URL_MAX: usize = 200;

impl CloudError {
    /// The service rejected the credentials (after the one fresh-token retry, when the
    /// call went through [`crate::Cloud`]).
    pub fn is_unauthorized(&self) -> bool {
        self.kind == ErrorKind::Http && self.status == Some(401)
    }

    /// The thing asked for does not exist (404) or is gone (410); teardown counts both as done.
    pub fn is_not_found(&self) -> bool {
        self.kind == ErrorKind::Http && matches!(self.status, Some(404 | 410))
    }

    pub(crate) fn config(message: impl Into<String>) -> Self {
        CloudError {
            kind: ErrorKind::Config,
            status: None,
            code: None,
            message: message.into(),
            request_id: None,
            retryable: false,
        }
    }

    pub(crate) fn transport(error: &reqwest::Error, service: &str) -> Self {
        let timeout = error.is_timeout();
        // reqwest's Display includes the URL but never a body. The URL is shown without its
        // query and cut short: what a caller put in it (an id, a region) may be anything, of
        // any size, and the message goes to the log and the window.
        let mut message = format!("could not reach {service}: {error}");
        let mut source = std::error::Error::source(error);
        while let Some(inner) = source {
            message.push_str(&format!(": {inner}"));
            source = inner.source();
        }
        if let Some(url) = error.url() {
            message = message.replace(url.as_str(), &shown_url(url));
        }
        CloudError {
            kind: if timeout {
                ErrorKind::Timeout
            } else {
                ErrorKind::Network
            },
            status: None,
            code: None,
            message,
            request_id: None,
            retryable: true,
        }
    }

    pub(crate) fn decode(
        service: &str,
        error: impl fmt::Display,
        request_id: Option<String>,
    ) -> Self {
        CloudError {
            kind: ErrorKind::Decode,
            status: None,
            code: None,
            message: format!(
                "{service} sent a response Onramp could not read: {}",
                redact_quoted(&error.to_string())
            ),
            request_id,
            retryable: false,
        }
    }

    /// A refusal the service reported inside a 2xx answer (Global Tagging puts each
    /// resource's failure in its 200 body): kind `Http` with that status, so callers treat
    /// it as the cloud's own refusal, and not retryable, since the same call would be
    /// refused again.
    pub(crate) fn refused_in_body(status: u16, message: impl Into<String>) -> Self {
        CloudError {
            kind: ErrorKind::Http,
            status: Some(status),
            code: None,
            message: message.into(),
            request_id: None,
            retryable: false,
        }
    }

    /// Builds the error for a non-2xx response from its status, headers' request id and body.
    pub(crate) fn from_response(
        status: u16,
        header_request_id: Option<String>,
        body: &str,
    ) -> Self {
        let parsed = ErrorBody::parse(body);
        let message = parsed.message.unwrap_or_else(|| match body.trim() {
            "" => format!("the service answered HTTP {status} with no message"),
            text if text.len() <= 300 => text.to_owned(),
            text => format!(
                "{}…",
                &text[..text.char_indices().nth(300).map_or(text.len(), |(i, _)| i)]
            ),
        });
        CloudError {
            kind: ErrorKind::Http,
            status: Some(status),
            code: parsed.code,
            message,
            request_id: parsed.request_id.or(header_request_id),
            retryable: status == 429 || (status >= 500 && status != 501),
        }
    }
}

/// What we could read out of an error body, whichever of IBM's shapes it has.
#[derive(Debug, Default, PartialEq, Eq)]
struct ErrorBody {
    code: Option<String>,
    message: Option<String>,
    request_id: Option<String>,
}

impl ErrorBody {
    /// Reads the body as loose JSON rather than one struct, so a field of an unexpected
    /// type costs that field only, not the whole error.
    fn parse(body: &str) -> Self {
        let Ok(json) = serde_json::from_str::<Value>(body) else {
            return ErrorBody::default();
        };
        let text = |value: Option<&Value>| -> Option<String> {
            match value? {
                Value::String(s) if !s.is_empty() => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            }
        };
        let context = json.get("context");
        let context_id = text(context.and_then(|c| c.get("requestId")))
            .or_else(|| text(context.and_then(|c| c.get("transaction_id"))));

        // IAM token endpoint: {"errorCode","errorMessage","context":{"requestId"}}
        if json.get("errorCode").is_some() || json.get("errorMessage").is_some() {
            return ErrorBody {
                code: text(json.get("errorCode")),
                message: text(json.get("errorMessage")),
                request_id: context_id,
            };
        }
        // VPC, IAM policy and identity, and maybe CBR: {"errors":[{"code","message"}],"trace"}
        if let Some(first) = json
            .get("errors")
            .and_then(Value::as_array)
            .and_then(|e| e.first())
        {
            return ErrorBody {
                code: text(first.get("code")),
                message: text(first.get("message")),
                request_id: text(json.get("trace")).or(context_id),
            };
        }
        // Key Protect: {"metadata":{…},"resources":[{"errorMsg","reasons":[{"code","message"}]}]}
        if let Some(first) = json
            .get("resources")
            .and_then(Value::as_array)
            .and_then(|r| r.first())
            .filter(|r| r.get("errorMsg").is_some() || r.get("reasons").is_some())
        {
            let reason = first
                .get("reasons")
                .and_then(Value::as_array)
                .and_then(|r| r.first());
            return ErrorBody {
                code: text(reason.and_then(|r| r.get("code"))),
                message: text(first.get("errorMsg"))
                    .or_else(|| text(reason.and_then(|r| r.get("message")))),
                request_id: context_id,
            };
        }
        // Resource Controller and Manager: {"error_code","message","status_code","transaction_id"}
        ErrorBody {
            code: text(json.get("error_code")).or_else(|| text(json.get("code"))),
            message: text(json.get("message"))
                .or_else(|| text(json.get("error_description")))
                .or_else(|| text(json.get("error"))),
            request_id: text(json.get("transaction_id")).or(context_id),
        }
    }
}

/// serde_json's messages quote the value that did not fit (`invalid type: string "…"`),
/// and that value may be a password; keep the message's shape but not the quoted text.
pub(crate) fn redact_quoted(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut chars = message.chars();
    while let Some(c) = chars.next() {
        if c != '"' {
            out.push(c);
            continue;
        }
        out.push_str("\"…\"");
        let mut escaped = false;
        for inner in chars.by_ref() {
            match (escaped, inner) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => break,
                _ => {}
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_url_in_an_error_is_shown_short_and_without_its_query() {
        let huge = "x".repeat(10 * 1024 * 1024);
        let url = url::Url::parse(&format!(
            "http://127.0.0.1:9/gc/api/v1/plan/pricing?deployment_region={huge}"
        ))
        .unwrap();
        assert_eq!(shown_url(&url), "http://127.0.0.1:9/gc/api/v1/plan/pricing");
        let long = url::Url::parse(&format!("http://127.0.0.1:9/{huge}")).unwrap();
        assert!(shown_url(&long).chars().count() <= 201);
    }

    use super::*;

    #[test]
    fn reads_the_iam_token_error_shape() {
        let body = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../../shared/contract/fixtures/iam_token_400_bad_apikey.json"))
            .unwrap_or_else(|_| r#"{"context":{"requestId":"req-1"},"errorCode":"BXNIM0415E","errorMessage":"Provided API key could not be found."}"#.into());
        let error = CloudError::from_response(400, None, &body);
        assert_eq!(error.code.as_deref(), Some("BXNIM0415E"));
        assert_eq!(error.message, "Provided API key could not be found.");
        assert!(error.request_id.is_some());
        assert!(!error.retryable);
    }

    #[test]
    fn reads_the_resource_controller_shape() {
        let body = r#"{"error_code":"RC-ServiceBrokerErrorResponse","message":"[400, Bad Request] invalid members '5', allowed values: 2, 3.","status_code":400,"transaction_id":"tx-9"}"#;
        let error = CloudError::from_response(400, Some("header-id".into()), body);
        assert_eq!(error.code.as_deref(), Some("RC-ServiceBrokerErrorResponse"));
        assert!(error.message.contains("invalid members '5'"));
        assert_eq!(error.request_id.as_deref(), Some("tx-9"));
    }

    #[test]
    fn reads_the_vpc_shape() {
        let body = r#"{"errors":[{"code":"validation_required_field_missing","message":"Missing required field","target":{"name":"vpc"}}],"trace":"trace-7","status_code":400}"#;
        let error = CloudError::from_response(400, None, body);
        assert_eq!(
            error.code.as_deref(),
            Some("validation_required_field_missing")
        );
        assert_eq!(error.request_id.as_deref(), Some("trace-7"));
    }

    #[test]
    fn reads_the_key_protect_shape() {
        let body = r#"{"metadata":{"collectionType":"application/vnd.ibm.kms.error+json","collectionTotal":1},"resources":[{"errorMsg":"Bad Request: root key required (KEY_ROOT_REQ_ERR)","reasons":[{"code":"KEY_ROOT_REQ_ERR","message":"Only root keys can wrap","status":400,"moreInfo":"https://cloud.ibm.com/apidocs/key-protect"}]}]}"#;
        let error = CloudError::from_response(400, Some("corr-1".into()), body);
        assert_eq!(error.code.as_deref(), Some("KEY_ROOT_REQ_ERR"));
        assert_eq!(
            error.message,
            "Bad Request: root key required (KEY_ROOT_REQ_ERR)"
        );
        assert_eq!(error.request_id.as_deref(), Some("corr-1"));
    }

    #[test]
    fn reads_the_iam_identity_shape_with_a_string_status() {
        let body = r#"{"context":{"transaction_id":"tx-id-1"},"status_code":"404","errors":[{"code":"not_found","message_code":"BXNIM0102E","message":"API key not found.","details":"x"}],"trace":"trace-2"}"#;
        let error = CloudError::from_response(404, None, body);
        assert_eq!(error.code.as_deref(), Some("not_found"));
        assert_eq!(error.message, "API key not found.");
        assert_eq!(error.request_id.as_deref(), Some("trace-2"));
        assert!(error.is_not_found());
    }

    #[test]
    fn a_field_of_the_wrong_type_costs_only_that_field() {
        let body =
            r#"{"error_code":{"nested":true},"message":"broker said no","transaction_id":"tx"}"#;
        let error = CloudError::from_response(400, None, body);
        assert_eq!(error.code, None);
        assert_eq!(error.message, "broker said no");
        assert_eq!(error.request_id.as_deref(), Some("tx"));
    }

    #[test]
    fn decode_errors_do_not_quote_the_value() {
        let err = serde_json::from_str::<u32>(r#""hunter2 \" still secret""#).unwrap_err();
        let error = CloudError::decode("RC", err, None);
        assert!(!error.message.contains("hunter2"), "{}", error.message);
        assert!(!error.message.contains("still secret"), "{}", error.message);
        assert!(error.message.contains("invalid type"), "{}", error.message);
    }

    #[test]
    fn tolerates_text_bodies_and_marks_retryable_statuses() {
        let error = CloudError::from_response(503, Some("hdr".into()), "upstream connect error");
        assert_eq!(error.message, "upstream connect error");
        assert_eq!(error.request_id.as_deref(), Some("hdr"));
        assert!(error.retryable);
        assert!(CloudError::from_response(429, None, "").retryable);
        assert!(!CloudError::from_response(501, None, "").retryable);
        assert!(!CloudError::from_response(404, None, "").retryable);
    }
}
