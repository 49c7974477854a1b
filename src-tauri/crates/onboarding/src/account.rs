//! The Account step: check an API key's form, exchange it with IAM, read the account it
//! belongs to, and keep it in the OS keychain, or forget it. Sandbox mode runs the same
//! exchange against the sandbox's IAM with the sandbox's own key, which is never stored.
//!
//! Order matters for "nothing is written on failure": the key is stored only after IAM
//! accepted it, and the caller switches mode only after this returns Ok.

use serde::Serialize;
use specta::Type;

use onramp_cloud::{
    iam::{Authenticator, IamClient},
    CloudError, Endpoints, ErrorKind, HttpClient,
};
use onramp_secrets::{Keychain, Sensitive};

use crate::{settings::Mode, AppError, ErrorCode};

/// The keychain entry that holds the IBM Cloud API key.
pub const API_KEY_ENTRY: &str = crate::vault::entry::API_KEY;
/// The UI's name for the API-key input, used as `AppError::field`.
pub const API_KEY_FIELD: &str = "apiKey";

const SHORTEST_KEY: usize = 30;
const LONGEST_KEY: usize = 128;

/// What the Account step shows once signed in. Holds no secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    pub mode: Mode,
    /// The 32-hex account id (`account.bss` in the token).
    pub account_id: String,
    /// The user's name, or their IAM id when the token has no name (service IDs).
    pub user: String,
    pub email: Option<String>,
    pub iam_id: String,
    /// The IAM host the key was checked against, so the user sees where Onramp talks to.
    pub iam_endpoint: String,
    /// Whether the key is in the OS keychain (never true in Sandbox mode).
    pub key_stored: bool,
}

/// A signed-in account and the authenticator later steps use for their calls.
#[derive(Debug, Clone)]
pub struct Session {
    pub account: Account,
    pub auth: Authenticator,
    /// Where this session's calls go (IBM Cloud, an override, or the sandbox).
    pub endpoints: Endpoints,
}

impl Session {
    /// The clients of every API, signed in as this session.
    pub fn cloud(&self, http: &HttpClient) -> onramp_cloud::Cloud {
        onramp_cloud::Cloud::new(http.clone(), self.endpoints.clone(), self.auth.clone())
    }
}

/// Checks the form of a pasted key before anything leaves the machine. Returns the key
/// without surrounding white space (copying from a web page often adds some).
pub fn check_api_key(raw: &str) -> Result<Sensitive<String>, AppError> {
    let key = raw.trim();
    if key.is_empty() {
        return Err(
            AppError::invalid(API_KEY_FIELD, "Paste an IBM Cloud API key.").hint(
                "Create one in the IBM Cloud console under Manage → Access (IAM) → API keys.",
            ),
        );
    }
    if let Some(bad) = key
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
    {
        let what = if bad.is_whitespace() {
            "a space or line break".to_owned()
        } else {
            format!("the character '{bad}'")
        };
        return Err(AppError::invalid(
            API_KEY_FIELD,
            format!("This is not an IBM Cloud API key: it contains {what}. API keys contain only letters, digits, '-' and '_'."),
        )
        .hint("Copy the key again from the file you downloaded when you created it."));
    }
    let length = key.chars().count();
    if length < SHORTEST_KEY {
        return Err(AppError::invalid(
            API_KEY_FIELD,
            format!("This key is too short to be an IBM Cloud API key ({length} characters; keys are 44)."),
        )
        .hint("It may have been cut off when you copied it."));
    }
    if length > LONGEST_KEY {
        return Err(AppError::invalid(
            API_KEY_FIELD,
            format!(
                "This is too long to be an IBM Cloud API key ({length} characters; keys are 44)."
            ),
        )
        .hint("Paste only the key itself, not the whole downloaded file."));
    }
    Ok(Sensitive::new(key.to_owned()))
}

/// Exchanges `key` with the IAM at `endpoints` and reads who it belongs to.
pub async fn sign_in(
    http: &HttpClient,
    endpoints: &Endpoints,
    mode: Mode,
    key: Sensitive<String>,
) -> Result<Session, AppError> {
    let iam = IamClient::new(http.clone(), &endpoints.iam).map_err(AppError::from_cloud)?;
    let auth = Authenticator::new(iam, key);
    let token = auth
        .token()
        .await
        .map_err(|e| key_error(e, &endpoints.iam))?;
    let identity = token.identity().map_err(AppError::from_cloud)?;
    let account = Account {
        mode,
        account_id: identity.account_id,
        user: identity.name.unwrap_or_else(|| identity.iam_id.clone()),
        email: identity.email,
        iam_id: identity.iam_id,
        iam_endpoint: endpoints.iam.to_string(),
        key_stored: false,
    };
    tracing::info!(account_id = %account.account_id, ?mode, "signed in");
    Ok(Session {
        account,
        auth,
        endpoints: endpoints.clone(),
    })
}

/// The IBM Cloud path of the Account step: check, exchange, then store the key.
pub async fn connect_with_key(
    http: &HttpClient,
    keychain: &Keychain,
    endpoints: &Endpoints,
    raw_key: &str,
) -> Result<Session, AppError> {
    let key = check_api_key(raw_key)?;
    let to_store = key.clone();
    let mut session = sign_in(http, endpoints, Mode::IbmCloud, key).await?;
    crate::vault::on_keychain(keychain, move |k| k.save(API_KEY_ENTRY, &to_store)).await?;
    session.account.key_stored = true;
    Ok(session)
}

/// Signs in with the key already in the keychain, if there is one.
pub async fn restore(
    http: &HttpClient,
    keychain: &Keychain,
    endpoints: &Endpoints,
) -> Result<Option<Session>, AppError> {
    let stored = crate::vault::on_keychain(keychain, |k| k.read(API_KEY_ENTRY)).await?;
    let Some(key) = stored else { return Ok(None) };
    let mut session = sign_in(http, endpoints, Mode::IbmCloud, key).await?;
    session.account.key_stored = true;
    Ok(Some(session))
}

/// Deletes the stored key; returns whether there was one.
pub async fn forget(keychain: &Keychain) -> Result<bool, AppError> {
    crate::vault::on_keychain(keychain, |k| k.delete(API_KEY_ENTRY)).await
}

/// IAM answers a wrong, deleted or disabled key with 400 (most recordings) or 401; both
/// mean "this key", so the message goes to the API-key field.
fn key_error(error: CloudError, iam: &url::Url) -> AppError {
    let about_the_key = error.kind == ErrorKind::Http
        && matches!(error.status, Some(400 | 401 | 403))
        && error
            .code
            .as_deref()
            .is_some_and(|c| c.starts_with("BXNIM"));
    if about_the_key {
        let mut app = AppError::from_cloud(error);
        app.code = ErrorCode::InvalidApiKey;
        return app
            .at(API_KEY_FIELD)
            .hint("Check that you copied the whole key and that it was not deleted or disabled (IBM Cloud console → Manage → Access (IAM) → API keys).");
    }
    let mut app = AppError::from_cloud(error);
    if app.code == ErrorCode::Network {
        app.message = format!(
            "Onramp could not reach IBM Cloud IAM at {iam}. {}",
            app.message
        );
    }
    app
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_or_blank_key_asks_for_one() {
        for raw in ["", "   ", "\n"] {
            let error = check_api_key(raw).unwrap_err();
            assert_eq!(error.code, ErrorCode::InvalidInput);
            assert_eq!(error.field.as_deref(), Some(API_KEY_FIELD));
            assert_eq!(error.message, "Paste an IBM Cloud API key.");
        }
    }

    #[test]
    fn wrong_characters_are_named_without_echoing_the_key() {
        let key = "abcdefghij klmnopqrstuvwxyz0123456789ABCDEFG";
        let error = check_api_key(key).unwrap_err();
        assert!(error.message.contains("a space"), "{}", error.message);
        assert!(!error.message.contains("abcdefghij"));
        let error = check_api_key("abcdefghijklmnopqrstuvwxyz0123456789ABCDE+G").unwrap_err();
        assert!(error.message.contains("'+'"), "{}", error.message);
    }

    #[test]
    fn length_is_checked_both_ways() {
        assert!(check_api_key("short-key")
            .unwrap_err()
            .message
            .contains("too short"));
        assert!(check_api_key(&"a".repeat(200))
            .unwrap_err()
            .message
            .contains("too long"));
    }

    #[test]
    fn a_well_formed_key_is_trimmed() {
        let key = check_api_key("  AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcd \n").unwrap();
        assert_eq!(key.expose(), "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcd");
    }
}
