//! The Account step against the real sandbox IAM and the real keychain.

use onramp_cloud::{Endpoints, HttpClient};
use onramp_onboarding::{
    account::{self, API_KEY_ENTRY, API_KEY_FIELD},
    settings::Mode,
    ErrorCode,
};
use onramp_sandbox::{RunningSandbox, SandboxConfig};
use onramp_secrets::{Keychain, KeychainError};

fn keychain_required() -> bool {
    std::env::var_os("ONRAMP_REQUIRE_KEYRING").is_some()
}

async fn sandbox() -> (tempfile::TempDir, RunningSandbox, Endpoints) {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = RunningSandbox::start(SandboxConfig::new(dir.path()))
        .await
        .unwrap();
    let endpoints = Endpoints::from_file(sandbox.endpoints_path()).unwrap();
    (dir, sandbox, endpoints)
}

#[tokio::test]
async fn wrong_key_gets_iams_message_at_the_field_and_stores_nothing() {
    let (_dir, _sandbox, endpoints) = sandbox().await;
    let keychain = Keychain::new(format!(
        "cloud.onramp.desktop.test.wrongkey.{}",
        std::process::id()
    ));
    let http = HttpClient::new().unwrap();
    let error = account::connect_with_key(
        &http,
        &keychain,
        &endpoints,
        "WrongKeyWrongKeyWrongKeyWrongKeyWrongKey1234",
    )
    .await
    .unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidApiKey);
    assert_eq!(error.field.as_deref(), Some(API_KEY_FIELD));
    assert_eq!(error.message, "Provided API key could not be found.");
    assert!(
        error.request_id.is_some(),
        "IAM's request id is kept for support"
    );
    match keychain.read(API_KEY_ENTRY) {
        Ok(stored) => assert!(stored.is_none(), "a rejected key must not be stored"),
        Err(KeychainError::Unavailable(_)) if !keychain_required() => {}
        Err(other) => panic!("{other}"),
    }
}

#[tokio::test]
async fn malformed_key_never_leaves_the_machine() {
    // An IAM that does not exist: if the key were sent, this would be a Network error.
    let endpoints = Endpoints {
        iam: "http://127.0.0.1:9/iam".parse().unwrap(),
        ..Endpoints::ibm_cloud()
    };
    let keychain = Keychain::new("cloud.onramp.desktop.test.malformed");
    let error = account::connect_with_key(
        &HttpClient::new().unwrap(),
        &keychain,
        &endpoints,
        "not a key",
    )
    .await
    .unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidInput);
    assert_eq!(error.field.as_deref(), Some(API_KEY_FIELD));
}

#[tokio::test]
async fn unreachable_iam_is_a_network_error_naming_the_host() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener); // nothing listens there now
    let endpoints = Endpoints {
        iam: format!("http://127.0.0.1:{port}/iam").parse().unwrap(),
        ..Endpoints::ibm_cloud()
    };
    let keychain = Keychain::new("cloud.onramp.desktop.test.unreachable");
    let key = "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcdef";
    let error = account::connect_with_key(&HttpClient::new().unwrap(), &keychain, &endpoints, key)
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::Network);
    assert!(
        error.message.contains(&format!("127.0.0.1:{port}")),
        "{}",
        error.message
    );
    assert!(error.hint.is_some());
    assert!(!error.message.contains(key));
}

#[tokio::test]
async fn sandbox_sign_in_reads_the_account() {
    let (_dir, sandbox, endpoints) = sandbox().await;
    let key = sandbox.account().api_key.clone().into();
    let session = account::sign_in(&HttpClient::new().unwrap(), &endpoints, Mode::Sandbox, key)
        .await
        .unwrap();
    assert_eq!(session.account.account_id, sandbox.account().account_id);
    assert_eq!(session.account.user, "Sandbox User");
    assert!(!session.account.key_stored);
}

#[tokio::test]
async fn right_key_is_stored_restored_and_forgotten() {
    let (_dir, sandbox, endpoints) = sandbox().await;
    let keychain = Keychain::new(format!(
        "cloud.onramp.desktop.test.rightkey.{}",
        std::process::id()
    ));
    let http = HttpClient::new().unwrap();
    let key = format!("  {}\n", sandbox.account().api_key);
    let session = match account::connect_with_key(&http, &keychain, &endpoints, &key).await {
        Err(e) if e.code == ErrorCode::KeychainUnavailable && !keychain_required() => {
            eprintln!("SKIPPED: no keychain here; the README's test command provides one");
            return;
        }
        other => other.unwrap(),
    };
    assert_eq!(session.account.account_id, sandbox.account().account_id);
    assert!(session.account.key_stored);
    assert_eq!(
        keychain.read(API_KEY_ENTRY).unwrap().unwrap().expose(),
        &sandbox.account().api_key,
        "stored trimmed"
    );

    let restored = account::restore(&http, &keychain, &endpoints)
        .await
        .unwrap()
        .expect("a stored key");
    assert_eq!(restored.account, session.account);

    assert!(account::forget(&keychain).await.unwrap());
    assert!(account::restore(&http, &keychain, &endpoints)
        .await
        .unwrap()
        .is_none());
}
