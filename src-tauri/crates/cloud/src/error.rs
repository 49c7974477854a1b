//! One error type for every cloud call: what kind of failure, the HTTP status, the
//! service's own error code and message (IBM uses several body shapes), the request id for
//! support, and whether trying again could help. Secrets never reach it: messages come
//! from the service or from us, never from a request body.

use std::fmt;

use serde::Deserialize;

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

impl CloudError {
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
        // reqwest's Display includes the URL but never a body, so it is safe to show.
        let mut message = format!("could not reach {service}: {error}");
        let mut source = std::error::Error::source(error);
        while let Some(inner) = source {
            message.push_str(&format!(": {inner}"));
            source = inner.source();
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
            message: format!("{service} sent a response Onramp could not read: {error}"),
            request_id,
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

#[derive(Deserialize)]
struct Shapes {
    // IAM token endpoint: {"errorCode","errorMessage","context":{"requestId"}}
    #[serde(rename = "errorCode")]
    error_code_camel: Option<String>,
    #[serde(rename = "errorMessage")]
    error_message_camel: Option<String>,
    context: Option<Context>,
    // Resource Controller: {"error_code","message","status_code","transaction_id"}
    error_code: Option<String>,
    message: Option<String>,
    transaction_id: Option<String>,
    // VPC, IAM policy and identity: {"errors":[{"code","message"}],"trace"}
    errors: Option<Vec<ItemError>>,
    trace: Option<String>,
}

#[derive(Deserialize)]
struct Context {
    #[serde(rename = "requestId")]
    request_id: Option<String>,
    transaction_id: Option<String>,
}

#[derive(Deserialize)]
struct ItemError {
    code: Option<String>,
    message: Option<String>,
}

impl ErrorBody {
    fn parse(body: &str) -> Self {
        let Ok(shapes) = serde_json::from_str::<Shapes>(body) else {
            return ErrorBody::default();
        };
        let context_id = shapes
            .context
            .as_ref()
            .and_then(|c| c.request_id.clone().or(c.transaction_id.clone()));
        if shapes.error_code_camel.is_some() || shapes.error_message_camel.is_some() {
            return ErrorBody {
                code: shapes.error_code_camel,
                message: shapes.error_message_camel,
                request_id: context_id,
            };
        }
        if let Some(first) = shapes.errors.as_ref().and_then(|e| e.first()) {
            return ErrorBody {
                code: first.code.clone(),
                message: first.message.clone(),
                request_id: shapes.trace.or(context_id),
            };
        }
        ErrorBody {
            code: shapes.error_code,
            message: shapes.message,
            request_id: shapes.transaction_id.or(context_id),
        }
    }
}

#[cfg(test)]
mod tests {
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
