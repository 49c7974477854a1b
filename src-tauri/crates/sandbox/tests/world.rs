//! The sandbox as a whole: faults as a client meets them, a restart that keeps every
//! resource and restarts its database server, and a delete that stops it.

use std::{
    net::{SocketAddr, TcpStream},
    process::Command,
    time::{Duration, Instant},
};

use onramp_sandbox::{FaultSpec, RunningSandbox, SandboxConfig};
use serde_json::{json, Value};

struct Client {
    http: reqwest::Client,
    base: String,
    token: String,
}

async fn start(dir: &std::path::Path, faults: &str) -> RunningSandbox {
    let mut config = SandboxConfig::new(dir);
    config.provision_seconds = 0.0;
    config.faults = FaultSpec::parse(faults).unwrap();
    RunningSandbox::start(config).await.unwrap()
}

async fn token(http: &reqwest::Client, sandbox: &RunningSandbox) -> reqwest::Result<String> {
    let response = http
        .post(format!("{}/identity/token", sandbox.iam_url()))
        .form(&[
            ("grant_type", "urn:ibm:params:oauth:grant-type:apikey"),
            ("apikey", sandbox.account().api_key.as_str()),
        ])
        .send()
        .await?;
    let body: Value = response.json().await?;
    Ok(body["access_token"].as_str().unwrap_or_default().to_owned())
}

impl Client {
    async fn new(sandbox: &RunningSandbox) -> Client {
        let http = reqwest::Client::new();
        let token = token(&http, sandbox).await.unwrap();
        Client {
            http,
            base: format!("http://{}", sandbox.addr()),
            token,
        }
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, reqwest::header::HeaderMap, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        (
            status,
            headers,
            serde_json::from_str(&text).unwrap_or(Value::Null),
        )
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        let (status, _, body) = self.call(reqwest::Method::GET, path, None).await;
        (status, body)
    }

    async fn default_group(&self) -> String {
        let (_, groups) = self.get("/rc/v2/resource_groups").await;
        groups["resources"][0]["id"].as_str().unwrap().to_owned()
    }

    async fn create_database(&self, name: &str) -> (u16, Value) {
        let group = self.default_group().await;
        let (status, _, body) = self
            .call(
                reqwest::Method::POST,
                "/rc/v2/resource_instances",
                Some(
                    json!({"name": name, "target": "ca-mon", "resource_group": group,
                            "resource_plan_id": "databases-for-postgresql-gen2-standard"}),
                ),
            )
            .await;
        (status, body)
    }

    async fn wait_for_state(&self, guid: &str, wanted: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            let (_, body) = self.get(&format!("/rc/v2/resource_instances/{guid}")).await;
            if body["state"] == wanted {
                return body;
            }
            assert!(
                Instant::now() < deadline,
                "still {} after 90 s: {body}",
                body["state"]
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn faults_reach_the_client_as_the_real_failures_would() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = start(
        dir.path(),
        "iam:reset@first=1;rc:status=503@first=2;vpc:throttle=2@calls=1;gc:latency=300",
    )
    .await;
    let http = reqwest::Client::new();

    // A dropped connection: no status line at all.
    let dropped = token(&http, &sandbox).await;
    let error = dropped.expect_err("the first token call should lose its connection");
    assert!(!error.is_status(), "{error}");
    let client = Client::new(&sandbox).await;

    for _ in 0..2 {
        let (status, headers, body) = client
            .call(reqwest::Method::GET, "/rc/v2/resource_groups", None)
            .await;
        assert_eq!(status, 503);
        assert_eq!(body["status_code"], 503);
        assert!(body["error_code"].as_str().unwrap().starts_with("RC-"));
        assert!(headers.contains_key("transaction-id"));
    }
    assert_eq!(client.get("/rc/v2/resource_groups").await.0, 200);

    let vpcs = "/vpc/ca-mon/v1/vpcs?version=2026-06-23&generation=2";
    let (status, headers, body) = client.call(reqwest::Method::GET, vpcs, None).await;
    assert_eq!(status, 429);
    assert_eq!(headers["retry-after"], "2");
    assert_eq!(body["errors"][0]["code"], "too_many_requests");
    assert_eq!(client.get(vpcs).await.0, 200);

    let started = Instant::now();
    assert_eq!(
        client.get("/gc/api/v1/databases-for-postgresql").await.0,
        200
    );
    assert!(started.elapsed() >= Duration::from_millis(300));

    // Changed at run time: an expired token, once.
    let (status, _, _) = client
        .call(
            reqwest::Method::PUT,
            "/sandbox/faults",
            Some(json!({"spec": "rc.GET:expire-token@first=1"})),
        )
        .await;
    assert_eq!(status, 200);
    let (status, body) = client.get("/rc/v2/resource_instances").await;
    assert_eq!(status, 401, "{body}");
    assert!(body["message"].as_str().unwrap().contains("expired"));
    assert_eq!(client.get("/rc/v2/resource_instances").await.0, 200);
    let (status, _, body) = client
        .call(
            reqwest::Method::PUT,
            "/sandbox/faults",
            Some(json!({"spec": "rc:explode"})),
        )
        .await;
    assert_eq!(status, 400);
    assert!(body["error"].as_str().unwrap().contains("unknown action"));

    // A provisioning failure ends in `failed`, with the reason.
    sandbox.set_faults(FaultSpec::parse("provision-fail@first=1").unwrap());
    let (status, created) = client.create_database("doomed").await;
    assert_eq!(status, 202);
    let failed = client
        .wait_for_state(created["guid"].as_str().unwrap(), "failed")
        .await;
    assert_eq!(failed["last_operation"]["state"], "failed");
    assert!(failed["last_operation"]["description"]
        .as_str()
        .unwrap()
        .starts_with("Provision failed"));
    assert!(failed.get("extensions").is_none());
    sandbox.stop().await;
}

fn listening(port: u16) -> bool {
    TcpStream::connect_timeout(
        &SocketAddr::from(([127, 0, 0, 1], port)),
        Duration::from_secs(1),
    )
    .is_ok()
}

fn psql(
    sandbox_ca: &std::path::Path,
    hostname: &str,
    port: u16,
    user: &str,
    password: &str,
) -> std::process::Output {
    Command::new("psql")
        .arg(format!(
            "host={hostname} hostaddr=127.0.0.1 port={port} dbname=postgres user={user} sslmode=verify-full sslrootcert={}",
            sandbox_ca.display()
        ))
        .args(["-XAt", "-c", "SELECT current_user"])
        .env("PGPASSWORD", password)
        .env("PGCONNECT_TIMEOUT", "10")
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restart_keeps_the_database_and_a_delete_removes_its_server() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = start(dir.path(), "").await;
    let client = Client::new(&sandbox).await;
    let (status, created) = client.create_database("pg-restart").await;
    assert_eq!(status, 202);
    let guid = created["guid"].as_str().unwrap().to_owned();
    client.wait_for_state(&guid, "active").await;
    let (status, _, key) = client
        .call(
            reqwest::Method::POST,
            "/rc/v2/resource_keys",
            Some(json!({"name": "manager", "source": guid, "role": "Manager"})),
        )
        .await;
    assert_eq!(status, 201, "{key}");
    let user = key["credentials"]["username"].as_str().unwrap().to_owned();
    let password = key["credentials"]["password"].as_str().unwrap().to_owned();
    let hostname = key["credentials"]["connection"]["postgres"]["hosts"][0]["hostname"]
        .as_str()
        .unwrap()
        .to_owned();
    let port_of = |sandbox: &RunningSandbox| {
        sandbox
            .addresses()
            .into_iter()
            .find(|a| a.address == hostname)
            .map(|a| a.target.port())
            .expect("the database's host name is mapped")
    };
    let port = port_of(&sandbox);
    let ca = dir.path().join("ca.pem");
    let out = psql(&ca, &hostname, port, &user, &password);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), user);

    sandbox.stop().await;
    assert!(
        !listening(port),
        "stopping the sandbox stops its database servers"
    );

    let sandbox = start(dir.path(), "").await;
    let client = Client::new(&sandbox).await;
    let (status, again) = client
        .get(&format!("/rc/v2/resource_instances/{guid}"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(again["state"], "active");
    let (_, keys) = client
        .get(&format!("/rc/v2/resource_instances/{guid}/resource_keys"))
        .await;
    assert_eq!(keys["rows_count"], 1);
    let port = port_of(&sandbox);
    let out = psql(&ca, &hostname, port, &user, &password);
    assert!(
        out.status.success(),
        "after restart: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Deleting the credential drops its role; deleting the instance stops and removes the server.
    let key_guid = key["guid"].as_str().unwrap();
    let (status, _, _) = client
        .call(
            reqwest::Method::DELETE,
            &format!("/rc/v2/resource_keys/{key_guid}"),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let out = psql(&ca, &hostname, port, &user, &password);
    assert!(
        !out.status.success(),
        "the deleted credential still logs in"
    );
    let (status, _, _) = client
        .call(
            reqwest::Method::DELETE,
            &format!("/rc/v2/resource_instances/{guid}"),
            None,
        )
        .await;
    assert_eq!(status, 202);
    client.wait_for_state(&guid, "removed").await;
    assert!(!listening(port));
    assert!(!dir.path().join("instances").join(&guid).exists());
    sandbox.stop().await;
}
