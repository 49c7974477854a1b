//! What every service handler shares: which API a request belongs to, that API's error body
//! (IBM uses four different shapes, see `shared/contract/README.md`), ids, timestamps and
//! CRNs in the formats the real services use.

use axum::{
    http::{HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde_json::{json, Value};

/// The API a route belongs to; it decides the error shape and the fault-spec name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Api {
    /// IAM token exchange: `{errorCode, errorMessage, context}`.
    IamToken,
    /// IAM Identity (API-key details): `{errors[], trace, status_code: "404"}` (a string).
    IamIdentity,
    /// IAM Policy Management: `{errors[], trace, status_code: 404}`.
    IamPolicy,
    /// Resource Controller and Resource Manager: `{error_code, message, status_code, transaction_id}`.
    ResourceController,
    /// Global Catalog (shape not modelled by IBM's SDKs; RC-like here).
    GlobalCatalog,
    /// VPC: `{errors[{code, message, more_info, target}], trace, status_code}`.
    Vpc,
    /// Context-based restrictions (shape not modelled by IBM's SDKs; VPC-like here).
    Cbr,
    /// Key Protect: `{metadata{collectionType, collectionTotal}, resources[{errorMsg, reasons[]}]}`.
    KeyProtect,
    /// Global Tagging. Its non-2xx body is UNVERIFIED (global-tagging.md §5); the sandbox
    /// answers `{errors[{code, message}], trace, status_code}`, since IBM's SDK cores read
    /// `errors[0].message` first.
    GlobalTagging,
    /// Global Search: the same choice as Global Tagging, for the same reason.
    GlobalSearch,
    /// Metrics Routing v3. Its error body is UNVERIFIED (metrics-router.md §6); the sandbox
    /// answers the contract's fixtures' choice, Activity Tracker's envelope plus
    /// `status_code`: `{trace, errors[{code, message}], status_code}`.
    MetricsRouter,
    /// Activity Tracker Event Routing v2: `{trace, errors[{code, message, recovery?}]}`, as
    /// the documented bodies (atracker.md §4), which carry no `status_code`.
    Atracker,
    /// Logs Routing, v3 and the v1 tenants: the same UNVERIFIED choice as Metrics Routing
    /// (logs-router.md §4).
    LogsRouter,
}

impl Api {
    /// The name used in fault specs and logs.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Api::IamToken | Api::IamIdentity | Api::IamPolicy => "iam",
            Api::ResourceController => "rc",
            Api::GlobalCatalog => "gc",
            Api::Vpc => "vpc",
            Api::Cbr => "cbr",
            Api::KeyProtect => "kms",
            Api::GlobalTagging => "tags",
            Api::GlobalSearch => "search",
            Api::MetricsRouter => "metrics-router",
            Api::Atracker => "atracker",
            Api::LogsRouter => "logs-router",
        }
    }

    /// Which API a request path belongs to (the sandbox's path prefixes).
    pub(crate) fn for_path(path: &str) -> Option<Api> {
        let first = path.trim_start_matches('/').split('/').next()?;
        Some(match first {
            "iam" if path.starts_with("/iam/identity/") => Api::IamToken,
            "iam" if path.starts_with("/iam/v1/policies") || path.starts_with("/iam/v2/roles") => {
                Api::IamPolicy
            }
            "iam" => Api::IamIdentity,
            "rc" => Api::ResourceController,
            "gc" => Api::GlobalCatalog,
            "vpc" => Api::Vpc,
            "cbr" => Api::Cbr,
            "kms" => Api::KeyProtect,
            "tags" => Api::GlobalTagging,
            "search" => Api::GlobalSearch,
            "metrics-router" => Api::MetricsRouter,
            "atracker" => Api::Atracker,
            "logs-router" => Api::LogsRouter,
            _ => return None,
        })
    }
}

/// An error answered in the shape of the API it belongs to.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    pub api: Api,
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    /// VPC-style `target`: (name, type, value).
    pub target: Option<Box<(String, &'static str, Value)>>,
    pub retry_after: Option<u64>,
}

pub(crate) type ApiResult<T = Response> = Result<T, ApiError>;

impl ApiError {
    pub(crate) fn new(
        api: Api,
        status: StatusCode,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        ApiError {
            api,
            status,
            code: code.into(),
            message: message.into(),
            target: None,
            retry_after: None,
        }
    }

    pub(crate) fn target(mut self, name: &str, kind: &'static str, value: Value) -> Self {
        self.target = Some(Box::new((name.to_owned(), kind, value)));
        self
    }

    pub(crate) fn bad_request(api: Api, code: &str, message: impl Into<String>) -> Self {
        Self::new(api, StatusCode::BAD_REQUEST, code, message)
    }

    pub(crate) fn not_found(api: Api, what: &str, id: &str) -> Self {
        let (code, message) = match api {
            Api::ResourceController => (
                "RC-ResourceNotFound".to_owned(),
                format!("The {what} with id {id} could not be found."),
            ),
            Api::KeyProtect => (
                "KEY_NOT_FOUND_ERR".to_owned(),
                format!("Not Found: The {what} could not be found"),
            ),
            _ => (
                "not_found".to_owned(),
                format!("{what} not found with id {id}"),
            ),
        };
        Self::new(api, StatusCode::NOT_FOUND, code, message).target(
            "id",
            "parameter",
            Value::String(id.to_owned()),
        )
    }

    /// The Resource Controller wrapping of a broker's 400, with the service's exact text.
    pub(crate) fn broker(text: impl std::fmt::Display) -> Self {
        Self::broker_of("Databases for PostgreSQL", text)
    }

    /// [`ApiError::broker`] for another service's broker (`service` as RC names it).
    pub(crate) fn broker_of(service: &str, text: impl std::fmt::Display) -> Self {
        Self::new(
            Api::ResourceController,
            StatusCode::BAD_REQUEST,
            "RC-ServiceBrokerErrorResponse",
            format!(
                "The broker for '{service}' service returned error, [400, Bad Request] {text} If this is unexpected, open a support ticket with the service to help troubleshoot the issue."
            ),
        )
    }

    pub(crate) fn unauthorized(api: Api, reason: &str) -> Self {
        let (code, message) = match api {
            Api::ResourceController | Api::GlobalCatalog => (
                "RC-InvalidToken",
                format!("The provided IAM token is not valid ({reason}). Get a new token from IAM and try again."),
            ),
            Api::KeyProtect => (
                "UNAUTHORIZED_ERR",
                format!("Unauthorized: The user does not have access to the specified resource ({reason})"),
            ),
            Api::IamToken => ("BXNIM0407E", format!("Invalid token: {reason}")),
            // AT-DOC ts-02, verbatim; the reason is logged by nobody and shown only here.
            Api::Atracker => (
                "invalid_token",
                format!("You are not authorize to complete this task. Check you have IAM permissions to work with Activity Tracking in the account. ({reason})"),
            ),
            // LR-DOC ts-iam-issues, verbatim.
            Api::LogsRouter => (
                "unauthorized",
                format!("Your access token is invalid or does not have the necessary permissions to perform this task ({reason})"),
            ),
            _ => (
                "not_authorized",
                format!("The request is not authorized: {reason}. Provide a valid, unexpired IAM access token."),
            ),
        };
        Self::new(api, StatusCode::UNAUTHORIZED, code, message)
    }

    pub(crate) fn internal(api: Api, message: impl Into<String>) -> Self {
        let code = match api {
            Api::ResourceController | Api::GlobalCatalog => "RC-InternalError",
            Api::KeyProtect => "INTERNAL_SERVER_ERR",
            Api::IamToken => "BXNIM0400E",
            _ => "internal_error",
        };
        Self::new(api, StatusCode::INTERNAL_SERVER_ERROR, code, message)
    }
}

/// A fresh id like the real services' request/transaction ids.
pub(crate) fn trace_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let trace = trace_id();
        let status = self.status.as_u16();
        let body = match self.api {
            Api::IamToken => json!({
                "context": {"requestId": trace, "requestType": "incoming.Identity_Token",
                            "url": "onramp-sandbox", "instanceId": "onramp-sandbox",
                            "clusterName": "onramp-sandbox", "locale": "en_US"},
                "errorCode": self.code, "errorMessage": self.message,
            }),
            Api::ResourceController | Api::GlobalCatalog => json!({
                "error_code": self.code, "message": self.message,
                "status_code": status, "transaction_id": format!("bss-{trace}"),
            }),
            Api::IamIdentity => json!({
                "context": {"transaction_id": trace},
                "status_code": status.to_string(),
                "errors": [{"code": self.code, "message": self.message}],
                "trace": trace,
            }),
            Api::KeyProtect => json!({
                "metadata": {"collectionType": "application/vnd.ibm.kms.error+json", "collectionTotal": 1},
                "resources": [{
                    "errorMsg": self.message,
                    "reasons": [{"code": self.code, "message": self.message, "status": status,
                                 "moreInfo": "https://cloud.ibm.com/apidocs/key-protect"}],
                }],
            }),
            Api::Vpc | Api::Cbr | Api::IamPolicy => {
                let mut error = json!({
                    "code": self.code, "message": self.message,
                    "more_info": "https://cloud.ibm.com/docs/vpc?topic=vpc-rias-error-messages",
                });
                if let Some(target) = &self.target {
                    let (name, kind, value) = target.as_ref();
                    error["target"] = json!({"name": name, "type": kind, "value": value});
                }
                json!({"errors": [error], "trace": trace, "status_code": status})
            }
            // UNVERIFIED shape, see `Api::GlobalTagging`.
            Api::GlobalTagging | Api::GlobalSearch | Api::MetricsRouter | Api::LogsRouter => {
                json!({
                    "errors": [{"code": self.code, "message": self.message}],
                    "trace": trace,
                    "status_code": status,
                })
            }
            Api::Atracker => {
                let mut error = json!({"code": self.code, "message": self.message});
                if self.code == "invalid_token" {
                    error["recovery"] = json!("After you check you have permissions, run 'ibmcloud login' to log in to IBM Cloud. Then, run ibmcloud iam oauth-tokens to retrieve your access tokens. Use the IAM token for the Authorization header in your request.");
                }
                json!({"trace": trace, "errors": [error]})
            }
        };
        let mut response = (self.status, Json(body)).into_response();
        let headers = response.headers_mut();
        if let Ok(value) = HeaderValue::from_str(&trace) {
            let name = match self.api {
                Api::ResourceController | Api::GlobalCatalog => "transaction-id",
                Api::KeyProtect => "correlation-id",
                _ => "x-request-id",
            };
            headers.insert(name, value);
        }
        if let Some(seconds) = self.retry_after {
            headers.insert("retry-after", HeaderValue::from(seconds));
        }
        response
    }
}

/// RFC 3339 with milliseconds and `Z`, as the services print timestamps.
pub(crate) fn timestamp(at: chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

pub(crate) fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}

pub(crate) fn hex_id(bytes: usize) -> String {
    use rand::RngCore;
    let mut buf = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut buf);
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// `200 OK` with a JSON body.
pub(crate) fn ok(body: Value) -> Response {
    Json(body).into_response()
}

pub(crate) fn with_status(status: StatusCode, body: Value) -> Response {
    (status, Json(body)).into_response()
}

pub(crate) fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}
