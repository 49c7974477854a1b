//! The sandbox's IAM token endpoint answers like IAM: a JWT for the right key, IAM's error
//! shape and status for a wrong or missing one, and the same account after a restart.

use std::path::Path;

use onramp_sandbox::{RunningSandbox, SandboxConfig};
use serde_json::Value;

async fn post_token(sandbox: &RunningSandbox, form: &[(&str, &str)]) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("{}/identity/token", sandbox.iam_url()))
        .form(form)
        .send()
        .await
        .expect("sandbox reachable");
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON body"))
}

const GRANT: &str = "urn:ibm:params:oauth:grant-type:apikey";

#[tokio::test]
async fn right_key_gets_a_token_with_the_account_in_its_claims() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = RunningSandbox::start(SandboxConfig::new(dir.path()))
        .await
        .unwrap();
    let key = sandbox.account().api_key.clone();
    assert_eq!(key.len(), 44, "same length as a real IBM Cloud API key");

    let (status, body) = post_token(
        &sandbox,
        &[
            ("grant_type", GRANT),
            ("apikey", &key),
            ("response_type", "cloud_iam"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["refresh_token"], "not_supported");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    let expiration = body["expiration"].as_u64().unwrap();
    let access = body["access_token"].as_str().unwrap();
    let payload = access.split('.').nth(1).unwrap();
    use base64::Engine;
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        claims["account"]["bss"],
        sandbox.account().account_id.as_str()
    );
    assert_eq!(claims["exp"].as_u64().unwrap(), expiration);
    assert!(claims["iam_id"].as_str().unwrap().starts_with("IBMid-"));
}

#[tokio::test]
async fn wrong_or_missing_key_gets_iams_error_shape() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = RunningSandbox::start(SandboxConfig::new(dir.path()))
        .await
        .unwrap();

    let (status, body) = post_token(
        &sandbox,
        &[("grant_type", GRANT), ("apikey", "not-the-key")],
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["errorCode"], "BXNIM0415E");
    assert_eq!(body["errorMessage"], "Provided API key could not be found.");
    assert!(body["context"]["requestId"]
        .as_str()
        .is_some_and(|id| !id.is_empty()));

    let (status, body) = post_token(&sandbox, &[("grant_type", GRANT)]).await;
    assert_eq!(status, 400);
    assert!(body["errorMessage"].as_str().unwrap().contains("apikey"));

    let (status, body) = post_token(&sandbox, &[("grant_type", "password"), ("apikey", "x")]).await;
    assert_eq!(status, 400);
    assert!(body["errorCode"].as_str().unwrap().starts_with("BXNIM"));
}

#[tokio::test]
async fn endpoints_json_and_state_survive_a_restart_and_no_key_is_written_down() {
    let dir = tempfile::tempdir().unwrap();
    let first = RunningSandbox::start(SandboxConfig::new(dir.path()))
        .await
        .unwrap();
    assert!(first.made_api_key());
    let account = first.account().clone();
    let endpoints: Value =
        serde_json::from_slice(&std::fs::read(first.endpoints_path()).unwrap()).unwrap();
    assert_eq!(endpoints["account_id"], account.account_id.as_str());
    assert!(endpoints.get("api_key").is_none(), "{endpoints}");
    assert_eq!(endpoints["iam"], first.iam_url().as_str());
    first.stop().await;
    let written = every_file(dir.path());
    assert!(
        !written.contains(&account.api_key),
        "the key is in the state dir"
    );

    // Given the key again, the restarted sandbox is the same account and accepts it.
    let mut config = SandboxConfig::new(dir.path());
    config.api_key = Some(account.api_key.clone());
    let second = RunningSandbox::start(config).await.unwrap();
    assert!(!second.made_api_key());
    assert_eq!(second.account().account_id, account.account_id);
    assert_eq!(second.account().iam_id, account.iam_id);
    let (status, _) = post_token(
        &second,
        &[("grant_type", GRANT), ("apikey", &account.api_key)],
    )
    .await;
    assert_eq!(status, 200);
    second.stop().await;

    // Not given it, a sandbox cannot know the old key (only its hash is kept): it makes a new
    // one for the same account, and the old one stops working.
    let third = RunningSandbox::start(SandboxConfig::new(dir.path()))
        .await
        .unwrap();
    assert!(third.made_api_key());
    assert_eq!(third.account().account_id, account.account_id);
    let (old, _) = post_token(
        &third,
        &[("grant_type", GRANT), ("apikey", &account.api_key)],
    )
    .await;
    assert_eq!(old, 400);
    let new_key = third.account().api_key.clone();
    let (new, _) = post_token(&third, &[("grant_type", GRANT), ("apikey", &new_key)]).await;
    assert_eq!(new, 200);
}

/// Every file under `dir`, as text.
fn every_file(dir: &Path) -> String {
    let mut text = String::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            text.push_str(&every_file(&path));
        } else if let Ok(bytes) = std::fs::read(&path) {
            text.push_str(&String::from_utf8_lossy(&bytes));
        }
    }
    text
}

#[tokio::test]
async fn a_given_key_replaces_the_generated_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = SandboxConfig::new(dir.path());
    config.api_key = Some("test-key-0123456789abcdefghijklmnopqrstuvwx".into());
    let sandbox = RunningSandbox::start(config).await.unwrap();
    let (status, _) = post_token(
        &sandbox,
        &[
            ("grant_type", GRANT),
            ("apikey", "test-key-0123456789abcdefghijklmnopqrstuvwx"),
        ],
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn refuses_to_listen_off_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = SandboxConfig::new(dir.path());
    config.listen = "0.0.0.0:0".parse().unwrap();
    assert!(RunningSandbox::start(config).await.is_err());
}
