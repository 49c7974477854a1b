//! Members of the sandbox's account: another user's API key gets a token naming that user,
//! and what they create records them as its creator, not the account's owner. Also, as
//! on the real Resource Controller, two instances may share a name.

use std::time::{Duration, Instant};

use base64::Engine;
use onramp_sandbox::{RunningSandbox, SandboxConfig};
use serde_json::{json, Value};

const GRANT: &str = "urn:ibm:params:oauth:grant-type:apikey";

async fn start(dir: &std::path::Path) -> RunningSandbox {
    let mut config = SandboxConfig::new(dir);
    config.provision_seconds = 0.0;
    RunningSandbox::start(config).await.unwrap()
}

/// A token for `api_key`, and its claims.
async fn token(sandbox: &RunningSandbox, api_key: &str) -> (String, Value) {
    let body: Value = reqwest::Client::new()
        .post(format!("{}/identity/token", sandbox.iam_url()))
        .form(&[("grant_type", GRANT), ("apikey", api_key)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = body["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("no token: {body}"))
        .to_owned();
    let payload = token.split('.').nth(1).unwrap();
    let claims = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    (token, claims)
}

async fn call(
    sandbox: &RunningSandbox,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .request(method, format!("http://{}{path}", sandbox.addr()))
        .bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_members_token_makes_the_member_the_creator() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = start(dir.path()).await;

    // One member through the Rust API, one through the sandbox's endpoint, which only the
    // account's owner may call: the answer is a credential.
    let ada = sandbox.add_member(Some("Ada Lovelace")).unwrap();
    let add = |token: Option<String>| {
        let mut request = reqwest::Client::new()
            .post(format!("http://{}/sandbox/members", sandbox.addr()))
            .json(&json!({"name": "Grace Hopper"}));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    assert_eq!(add(None).await.unwrap().status().as_u16(), 401);
    let (ada_token, _) = token(&sandbox, &ada.api_key).await;
    assert_eq!(add(Some(ada_token)).await.unwrap().status().as_u16(), 403);
    assert_eq!(sandbox.members().len(), 1);
    let (owner_token, _) = token(&sandbox, &sandbox.account().api_key).await;
    let response = add(Some(owner_token)).await.unwrap();
    assert_eq!(response.status().as_u16(), 201);
    let grace: Value = response.json().await.unwrap();
    for field in ["api_key", "iam_id", "name"] {
        assert!(
            grace[field].as_str().is_some_and(|v| !v.is_empty()),
            "{field}"
        );
    }
    assert_eq!(grace["name"], "Grace Hopper");
    assert_ne!(grace["iam_id"], ada.iam_id.as_str());
    assert_ne!(ada.iam_id, sandbox.account().iam_id);

    // Members are kept in state.json: a restarted sandbox still takes their keys.
    sandbox.stop().await;
    let sandbox = start(dir.path()).await;
    assert_eq!(sandbox.members().len(), 2);
    let account = sandbox.account().clone();
    let (member_token, claims) = token(&sandbox, &ada.api_key).await;
    assert_eq!(claims["iam_id"], ada.iam_id.as_str());
    assert_eq!(claims["name"], "Ada Lovelace");
    assert_eq!(claims["email"], ada.email.as_str());
    assert_eq!(claims["account"]["bss"], account.account_id.as_str());
    let (owner_token, owner_claims) = token(&sandbox, &account.api_key).await;
    assert_eq!(owner_claims["iam_id"], account.iam_id.as_str());
    let details: Value = reqwest::Client::new()
        .get(format!("{}/v1/apikeys/details", sandbox.iam_url()))
        .bearer_auth(&member_token)
        .header("IAM-ApiKey", &ada.api_key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(details["iam_id"], ada.iam_id.as_str());
    assert_eq!(details["account_id"], account.account_id.as_str());

    let (_, groups) = call(
        &sandbox,
        &member_token,
        reqwest::Method::GET,
        "/rc/v2/resource_groups",
        None,
    )
    .await;
    let group = groups["resources"][0]["id"].as_str().unwrap().to_owned();
    let database = json!({"name": "pg-shared-name", "target": "ca-mon", "resource_group": group,
                          "resource_plan_id": "databases-for-postgresql-gen2-standard"});

    let (status, by_member) = call(
        &sandbox,
        &member_token,
        reqwest::Method::POST,
        "/rc/v2/resource_instances",
        Some(database.clone()),
    )
    .await;
    assert_eq!(status, 202, "{by_member}");
    assert_eq!(by_member["created_by"], ada.iam_id.as_str());
    assert_eq!(
        by_member["plan_history"][0]["requestor_id"],
        ada.iam_id.as_str()
    );

    // The same name in the same group again: RC has no name rule, so this is a second
    // instance (what a retried create whose answer was lost would make).
    let (status, by_owner) = call(
        &sandbox,
        &owner_token,
        reqwest::Method::POST,
        "/rc/v2/resource_instances",
        Some(database),
    )
    .await;
    assert_eq!(status, 202, "duplicate names are accepted: {by_owner}");
    assert_ne!(by_owner["guid"], by_member["guid"]);
    assert_eq!(by_owner["created_by"], account.iam_id.as_str());
    let (_, namesakes) = call(
        &sandbox,
        &owner_token,
        reqwest::Method::GET,
        "/rc/v2/resource_instances?name=pg-shared-name",
        None,
    )
    .await;
    assert_eq!(namesakes["rows_count"], 2, "{namesakes}");
    let creators: Vec<&str> = namesakes["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["created_by"].as_str().unwrap())
        .collect();
    assert!(creators.contains(&ada.iam_id.as_str()));
    assert!(creators.contains(&account.iam_id.as_str()));

    // Other APIs record the member too: a CBR zone and an IAM policy.
    let (status, zone) = call(
        &sandbox,
        &member_token,
        reqwest::Method::POST,
        "/cbr/v1/zones",
        Some(json!({"name": "ada-zone", "account_id": account.account_id,
                    "addresses": [{"type": "ipAddress", "value": "198.51.100.7"}]})),
    )
    .await;
    assert_eq!(status, 201, "{zone}");
    assert_eq!(zone["created_by_id"], ada.iam_id.as_str());
    assert_eq!(zone["last_modified_by_id"], ada.iam_id.as_str());
    let (status, policy) = call(
        &sandbox,
        &member_token,
        reqwest::Method::POST,
        "/iam/v1/policies",
        Some(json!({
            "type": "authorization",
            "subjects": [{"attributes": [{"name": "accountId", "value": account.account_id},
                                         {"name": "serviceName", "value": "databases-for-postgresql"}]}],
            "roles": [{"role_id": "crn:v1:bluemix:public:iam::::serviceRole:Reader"}],
            "resources": [{"attributes": [{"name": "accountId", "value": account.account_id},
                                          {"name": "serviceName", "value": "kms"}]}],
        })),
    )
    .await;
    assert_eq!(status, 201, "{policy}");
    assert_eq!(policy["created_by_id"], ada.iam_id.as_str());

    // Both databases are real servers: let them finish before the sandbox stops.
    for created in [&by_member, &by_owner] {
        let guid = created["guid"].as_str().unwrap();
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            let (_, got) = call(
                &sandbox,
                &owner_token,
                reqwest::Method::GET,
                &format!("/rc/v2/resource_instances/{guid}"),
                None,
            )
            .await;
            if got["state"] == "active" {
                assert_eq!(got["created_by"], created["created_by"]);
                break;
            }
            assert_ne!(got["state"], "failed", "{got}");
            assert!(Instant::now() < deadline, "{got}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    // A bad key is still refused, whoever's it pretends to be.
    let refused: Value = reqwest::Client::new()
        .post(format!("{}/identity/token", sandbox.iam_url()))
        .form(&[("grant_type", GRANT), ("apikey", &"x".repeat(44))])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(refused["errorCode"], "BXNIM0415E");
    sandbox.stop().await;
}
