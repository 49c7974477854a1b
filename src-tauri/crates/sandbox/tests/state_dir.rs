//! One sandbox per state dir: a second one refuses to start, naming the process that holds
//! it, and the first keeps its database servers; a sandbox stops only the servers it started.
//! And the state dir holds no password: credentials are made again on each read.

use std::time::{Duration, Instant};

use onramp_sandbox::{RunningSandbox, SandboxConfig, SandboxError};
use serde_json::{json, Value};

const GRANT: &str = "urn:ibm:params:oauth:grant-type:apikey";

async fn start(dir: &std::path::Path) -> Result<RunningSandbox, SandboxError> {
    let mut config = SandboxConfig::new(dir);
    config.provision_seconds = 0.0;
    RunningSandbox::start(config).await
}

async fn token(sandbox: &RunningSandbox) -> String {
    let body: Value = reqwest::Client::new()
        .post(format!("{}/identity/token", sandbox.iam_url()))
        .form(&[
            ("grant_type", GRANT),
            ("apikey", sandbox.account().api_key.as_str()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

/// Whether a PostgreSQL server answers on the database's mapped socket.
async fn serving(sandbox: &RunningSandbox) -> bool {
    let Some(db) = sandbox
        .addresses()
        .into_iter()
        .find(|a| a.kind == "database")
    else {
        return false;
    };
    tokio::net::TcpStream::connect(db.target).await.is_ok()
}

/// Makes a database and waits until it is active; answers its GUID.
async fn database(sandbox: &RunningSandbox, token: &str) -> String {
    let client = reqwest::Client::new();
    let base = format!("http://{}", sandbox.addr());
    let groups: Value = client
        .get(format!("{base}/rc/v2/resource_groups"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let group = groups["resources"][0]["id"].as_str().unwrap().to_owned();
    let made: Value = client
        .post(format!("{base}/rc/v2/resource_instances"))
        .bearer_auth(token)
        .json(
            &json!({"name": "pg-held", "target": "ca-mon", "resource_group": group,
                      "resource_plan_id": "databases-for-postgresql-gen2-standard"}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let guid = made["guid"].as_str().unwrap().to_owned();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let got: Value = client
            .get(format!("{base}/rc/v2/resource_instances/{guid}"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if got["state"] == "active" {
            break;
        }
        assert!(Instant::now() < deadline, "not active: {got}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    guid
}

/// Makes a Manager credential for the database; answers the key's JSON.
async fn credential(sandbox: &RunningSandbox, token: &str, database: &str, name: &str) -> Value {
    let answer = reqwest::Client::new()
        .post(format!("http://{}/rc/v2/resource_keys", sandbox.addr()))
        .bearer_auth(token)
        .json(&json!({"name": name, "source": database, "role": "Manager"}))
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_success(), "{}", answer.status());
    answer.json().await.unwrap()
}

async fn get_key(sandbox: &RunningSandbox, token: &str, guid: &str) -> Value {
    reqwest::Client::new()
        .get(format!(
            "http://{}/rc/v2/resource_keys/{guid}",
            sandbox.addr()
        ))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_second_sandbox_on_a_state_dir_in_use_refuses_and_the_first_keeps_its_servers() {
    let dir = tempfile::tempdir().unwrap();
    let first = start(dir.path()).await.unwrap();
    let token = token(&first).await;
    database(&first, &token).await;
    assert!(serving(&first).await);

    let Err(refused) = start(dir.path()).await else {
        panic!("a second sandbox started on a state dir in use");
    };
    let message = refused.to_string();
    assert!(matches!(refused, SandboxError::InUse { .. }), "{message}");
    assert!(
        message.contains("in use") && message.contains(&std::process::id().to_string()),
        "{message}"
    );
    assert!(
        serving(&first).await,
        "the first sandbox's database still runs"
    );

    first.stop().await;
    // Stopped and free: a new sandbox on the dir starts, and restarts the server.
    let again = start(dir.path()).await.unwrap();
    assert!(serving(&again).await);
    again.stop().await;
}

#[tokio::test]
async fn credentials_are_made_again_on_each_read_and_no_password_is_written_down() {
    let dir = tempfile::tempdir().unwrap();
    let first = start(dir.path()).await.unwrap();
    let token = token(&first).await;
    let db = database(&first, &token).await;
    let key = credential(&first, &token, &db, "app").await;
    let guid = key["guid"].as_str().unwrap().to_owned();
    let password = key["credentials"]["password"].as_str().unwrap().to_owned();
    assert_eq!(password.len(), 32);
    assert_eq!(
        key["credentials"]["connection"]["postgres"]["authentication"]["password"],
        password.as_str()
    );
    assert_eq!(
        get_key(&first, &token, &guid).await["credentials"]["password"],
        password.as_str()
    );
    let mut config = SandboxConfig::new(dir.path());
    config.api_key = Some(first.account().api_key.clone());
    first.stop().await;
    let written = every_file(dir.path());
    assert!(!written.contains(&password), "a password in the state dir");

    // Restarted: the same password, and the sandbox's own admin login (derived too) still
    // makes new credentials.
    config.provision_seconds = 0.0;
    let again = RunningSandbox::start(config).await.unwrap();
    let token = self::token(&again).await;
    assert_eq!(
        get_key(&again, &token, &guid).await["credentials"]["password"],
        password.as_str()
    );
    let other = credential(&again, &token, &db, "other").await;
    assert_ne!(other["credentials"]["password"], password.as_str());
    again.stop().await;
}

/// Every file under `dir` (database files included), as text.
fn every_file(dir: &std::path::Path) -> String {
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
