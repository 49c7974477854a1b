//! The error every command returns to the UI: `{code, message, field?, hint?, requestId?}`.
//! `code` is a closed set the UI switches on; `message` is what the user reads (the cloud's
//! own words where it gave some); `field` names the input that caused it, so the UI shows
//! the message there; `requestId` is what IBM support asks for.

use serde::Serialize;
use specta::Type;

use onramp_cloud::{CloudError, ErrorKind};
use onramp_secrets::KeychainError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Type)]
pub enum ErrorCode {
    /// Input the user can fix; `field` says which.
    InvalidInput,
    /// IAM did not accept the API key.
    InvalidApiKey,
    /// No OS keychain could be reached, or it is locked.
    KeychainUnavailable,
    /// The service asked us to slow down.
    RateLimited,
    /// The service could not be reached or did not answer in time.
    Network,
    /// The service refused the request; `message` is its reason.
    CloudRejected,
    NotFound,
    Conflict,
    /// No cloud is signed in: go back to the Account step.
    SignedOut,
    /// A bug or an unexpected state in Onramp itself.
    Internal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct AppError {
    pub code: ErrorCode,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}: {}", self.code, self.message)
    }
}

impl std::error::Error for AppError {}

impl AppError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        AppError {
            code,
            message: message.into(),
            field: None,
            hint: None,
            request_id: None,
        }
    }

    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        AppError::new(ErrorCode::InvalidInput, message).at(field)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        AppError::new(ErrorCode::Internal, message)
    }

    pub fn at(mut self, field: &str) -> Self {
        self.field = Some(field.to_owned());
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Maps a cloud failure to the UI's codes, keeping the service's message and request id.
    pub fn from_cloud(error: CloudError) -> Self {
        let code = match (error.kind, error.status) {
            (ErrorKind::Network | ErrorKind::Timeout, _) => ErrorCode::Network,
            (ErrorKind::Http, Some(429)) => ErrorCode::RateLimited,
            (ErrorKind::Http, Some(404)) => ErrorCode::NotFound,
            (ErrorKind::Http, Some(409)) => ErrorCode::Conflict,
            (ErrorKind::Http, _) => ErrorCode::CloudRejected,
            (ErrorKind::Config | ErrorKind::Decode, _) => ErrorCode::Internal,
        };
        let hint = match code {
            ErrorCode::Network => {
                Some("Check your network connection, VPN or proxy, then try again.".to_owned())
            }
            ErrorCode::RateLimited => {
                Some("IBM Cloud asked Onramp to slow down; wait a minute and try again.".to_owned())
            }
            ErrorCode::CloudRejected if error.retryable => {
                Some("The service had a temporary problem; try again in a moment.".to_owned())
            }
            _ => None,
        };
        AppError {
            code,
            message: error.message,
            field: None,
            hint,
            request_id: error.request_id,
        }
    }

    pub fn from_keychain(error: KeychainError) -> Self {
        match error {
            KeychainError::Unavailable(detail) => AppError::new(
                ErrorCode::KeychainUnavailable,
                format!("Onramp could not reach your system keychain, so it cannot keep the API key safely ({detail})."),
            )
            .hint("Unlock your keyring (on Linux: GNOME Keyring or KWallet through the Secret Service) and try again. Nothing was saved."),
            KeychainError::Failed(detail) => AppError::new(ErrorCode::KeychainUnavailable, format!("The system keychain refused the operation ({detail})."))
                .hint("Unlock your keyring and try again. Nothing was saved."),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_shape_is_pinned() {
        let error = AppError::invalid("apiKey", "Paste your API key.").hint("From IAM");
        assert_eq!(
            serde_json::to_value(&error).unwrap(),
            serde_json::json!({"code": "InvalidInput", "message": "Paste your API key.", "field": "apiKey", "hint": "From IAM"})
        );
        let bare = AppError::internal("boom");
        assert_eq!(
            serde_json::to_value(&bare).unwrap(),
            serde_json::json!({"code": "Internal", "message": "boom"})
        );
    }
}
