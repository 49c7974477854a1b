//! One sandbox per state dir: a second one refuses to start, naming the process that holds
//! it, and the first keeps its database servers; a sandbox stops only the servers it started.

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

#[tokio::test]
async fn a_second_sandbox_on_a_state_dir_in_use_refuses_and_the_first_keeps_its_servers() {
    let dir = tempfile::tempdir().unwrap();
    let first = start(dir.path()).await.unwrap();
    let token = token(&first).await;
    let client = reqwest::Client::new();
    let base = format!("http://{}", first.addr());
    let groups: Value = client
        .get(format!("{base}/rc/v2/resource_groups"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let group = groups["resources"][0]["id"].as_str().unwrap().to_owned();
    let made: Value = client
        .post(format!("{base}/rc/v2/resource_instances"))
        .bearer_auth(&token)
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
            .bearer_auth(&token)
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
