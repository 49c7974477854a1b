//! Retries, the 401 refresh and request shapes, against the scripted loopback server.

use std::time::{Duration, Instant};

use crate::{
    rc::{CreateResourceInstance, InstanceFilter},
    tests::server::{fast_policy, Reply, TestServer, TOKEN_PREFIX},
    Idempotency, RetryPolicy,
};

const INSTANCE: &str = r#"{"id":"crn:v1:bluemix:public:databases-for-postgresql:ca-mon:a/acct:guid-1::","guid":"guid-1","crn":"crn:v1:bluemix:public:databases-for-postgresql:ca-mon:a/acct:guid-1::","name":"pg-onramp","state":"provisioning","last_operation":{"type":"create","state":"in progress","async":true,"description":"Provision in progress","cancelable":true,"poll":true}}"#;
const UNAVAILABLE: &str = r#"{"error_code":"RC-Unavailable","message":"try later","status_code":503,"transaction_id":"tx-503"}"#;

fn create_body() -> CreateResourceInstance {
    CreateResourceInstance {
        name: "pg-onramp".into(),
        target: "ca-mon".into(),
        resource_group: "rg".into(),
        resource_plan_id: "databases-for-postgresql-gen2-standard".into(),
        tags: vec![],
        allow_cleanup: None,
        parameters: None,
    }
}

#[tokio::test]
async fn a_503_is_retried_and_the_second_answer_wins() {
    let server = TestServer::start(vec![
        Reply::json(503, UNAVAILABLE),
        Reply::json(200, INSTANCE),
    ])
    .await;
    let rc = server.cloud(fast_policy()).resource_controller().unwrap();
    let instance = rc.get_instance("guid-1").await.unwrap();
    assert_eq!(instance.guid, "guid-1");
    let requests = server.api_requests();
    assert_eq!(requests.len(), 2);
    assert!(requests
        .iter()
        .all(|r| r.target == "/rc/v2/resource_instances/guid-1"));
}

#[tokio::test]
async fn retry_after_in_seconds_is_honoured() {
    let server = TestServer::start(vec![
        Reply::json(429, r#"{"message":"Too many requests"}"#).with_header("Retry-After", "1"),
        Reply::json(200, INSTANCE),
    ])
    .await;
    let rc = server.cloud(fast_policy()).resource_controller().unwrap();
    let started = Instant::now();
    rc.get_instance("guid-1").await.unwrap();
    let waited = started.elapsed();
    // The policy's own backoff is a millisecond; only Retry-After explains a second.
    assert!(
        waited >= Duration::from_millis(950),
        "waited only {waited:?}"
    );
    assert!(waited < Duration::from_secs(5), "waited {waited:?}");
    assert_eq!(server.api_requests().len(), 2);
}

#[tokio::test]
async fn retry_after_is_capped_by_the_policy() {
    let server = TestServer::start(vec![
        Reply::json(503, UNAVAILABLE).with_header("Retry-After", "3600"),
        Reply::json(200, INSTANCE),
    ])
    .await;
    let policy = RetryPolicy {
        max_delay: Duration::from_millis(50),
        ..fast_policy()
    };
    let started = Instant::now();
    server
        .cloud(policy)
        .resource_controller()
        .unwrap()
        .get_instance("guid-1")
        .await
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn a_dropped_connection_is_retried() {
    let server = TestServer::start(vec![Reply::Drop, Reply::json(200, INSTANCE)]).await;
    let rc = server.cloud(fast_policy()).resource_controller().unwrap();
    let instance = rc.get_instance("guid-1").await.unwrap();
    assert_eq!(instance.name, "pg-onramp");
    assert_eq!(server.api_requests().len(), 2);
}

#[tokio::test]
async fn a_400_is_not_retried_and_keeps_the_service_message() {
    let server = TestServer::start(vec![
        Reply::json(
            400,
            r#"{"error_code":"RC-ServiceBrokerErrorResponse","message":"invalid members '5', allowed values: 2, 3.","status_code":400,"transaction_id":"bss-1"}"#,
        ),
        Reply::json(200, INSTANCE),
    ])
    .await;
    let rc = server.cloud(fast_policy()).resource_controller().unwrap();
    let error = rc.get_instance("guid-1").await.unwrap_err();
    assert_eq!(error.status, Some(400));
    assert_eq!(error.code.as_deref(), Some("RC-ServiceBrokerErrorResponse"));
    assert_eq!(error.request_id.as_deref(), Some("bss-1"));
    assert!(!error.retryable);
    assert_eq!(server.api_requests().len(), 1);
}

#[tokio::test]
async fn attempts_stop_at_the_policy_maximum() {
    let server = TestServer::start((0..6).map(|_| Reply::json(502, "")).collect()).await;
    let policy = RetryPolicy {
        max_attempts: 3,
        ..fast_policy()
    };
    let error = server
        .cloud(policy)
        .resource_controller()
        .unwrap()
        .get_instance("guid-1")
        .await
        .unwrap_err();
    assert_eq!(error.status, Some(502));
    assert!(error.retryable);
    assert_eq!(server.api_requests().len(), 3);
}

#[tokio::test]
async fn a_retry_that_would_overrun_the_budget_is_not_made() {
    let server = TestServer::start(vec![
        Reply::json(503, UNAVAILABLE).with_header("Retry-After", "2"),
        Reply::json(200, INSTANCE),
    ])
    .await;
    let policy = RetryPolicy {
        max_delay: Duration::from_secs(5),
        budget: Duration::from_millis(500),
        ..fast_policy()
    };
    let started = Instant::now();
    let error = server
        .cloud(policy)
        .resource_controller()
        .unwrap()
        .get_instance("guid-1")
        .await
        .unwrap_err();
    assert_eq!(error.status, Some(503));
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(server.api_requests().len(), 1);
}

#[tokio::test]
async fn a_create_is_not_retried_unless_the_caller_opts_in() {
    let server = TestServer::start(vec![
        Reply::json(503, UNAVAILABLE),
        Reply::json(202, INSTANCE),
    ])
    .await;
    let rc = server.cloud(fast_policy()).resource_controller().unwrap();
    let error = rc
        .create_instance(&create_body(), Idempotency::Unsafe)
        .await
        .unwrap_err();
    assert_eq!(error.status, Some(503));
    assert!(error.retryable, "retryable, but not by the client itself");
    assert_eq!(server.api_requests().len(), 1);

    let server = TestServer::start(vec![
        Reply::json(503, UNAVAILABLE),
        Reply::json(202, INSTANCE),
    ])
    .await;
    let rc = server.cloud(fast_policy()).resource_controller().unwrap();
    let instance = rc
        .create_instance(&create_body(), Idempotency::Safe)
        .await
        .unwrap();
    assert_eq!(instance.guid, "guid-1");
    let requests = server.api_requests();
    assert_eq!(requests.len(), 2);
    assert!(requests.iter().all(|r| r.method == "POST"));
    let sent: serde_json::Value = serde_json::from_str(&requests[1].body).unwrap();
    assert_eq!(
        sent["resource_plan_id"],
        "databases-for-postgresql-gen2-standard"
    );
    assert_eq!(requests[1].headers["content-type"], "application/json");
}

#[tokio::test]
async fn a_401_gets_one_fresh_token_and_one_retry() {
    let server = TestServer::start(vec![
        Reply::json(401, r#"{"message":"token expired"}"#),
        Reply::json(200, INSTANCE),
    ])
    .await;
    let rc = server.cloud(fast_policy()).resource_controller().unwrap();
    rc.get_instance("guid-1").await.unwrap();
    assert_eq!(server.token_exchanges(), 2);
    let requests = server.api_requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(
        requests[0].headers["authorization"],
        format!("Bearer {TOKEN_PREFIX}-1")
    );
    assert_eq!(
        requests[1].headers["authorization"],
        format!("Bearer {TOKEN_PREFIX}-2")
    );
}

#[tokio::test]
async fn a_second_401_is_returned_as_unauthorized() {
    let server = TestServer::start(vec![
        Reply::json(401, r#"{"message":"token expired"}"#),
        Reply::json(401, r#"{"message":"still not"}"#),
        Reply::json(200, INSTANCE),
    ])
    .await;
    let rc = server.cloud(fast_policy()).resource_controller().unwrap();
    let error = rc.get_instance("guid-1").await.unwrap_err();
    assert!(error.is_unauthorized(), "{error:?}");
    assert_eq!(error.message, "still not");
    assert_eq!(server.token_exchanges(), 2);
    assert_eq!(server.api_requests().len(), 2);
}

#[tokio::test]
async fn the_token_is_reused_across_calls() {
    let server =
        TestServer::start(vec![Reply::json(200, INSTANCE), Reply::json(200, INSTANCE)]).await;
    let rc = server.cloud(fast_policy()).resource_controller().unwrap();
    rc.get_instance("guid-1").await.unwrap();
    rc.get_instance("guid-1").await.unwrap();
    assert_eq!(server.token_exchanges(), 1);
}

#[tokio::test]
async fn resource_controller_pages_are_followed_on_our_own_base() {
    let page1 = format!(
        r#"{{"rows_count":1,"next_url":"https://elsewhere.example/v2/resource_instances?limit=1&start=tok%2B2","resources":[{INSTANCE}]}}"#
    );
    let page2 = format!(r#"{{"rows_count":1,"next_url":null,"resources":[{INSTANCE}]}}"#);
    let server = TestServer::start(vec![Reply::json(200, &page1), Reply::json(200, &page2)]).await;
    let rc = server.cloud(fast_policy()).resource_controller().unwrap();
    let filter = InstanceFilter {
        resource_plan_id: Some("databases-for-postgresql-gen2-standard".into()),
        ..InstanceFilter::default()
    };
    let all = rc.list_instances(&filter).await.unwrap();
    assert_eq!(all.len(), 2);
    let requests = server.api_requests();
    assert_eq!(
        requests[0].target,
        "/rc/v2/resource_instances?resource_plan_id=databases-for-postgresql-gen2-standard"
    );
    assert_eq!(
        requests[1].target,
        "/rc/v2/resource_instances?resource_plan_id=databases-for-postgresql-gen2-standard&start=tok%2B2"
    );
}

#[tokio::test]
async fn vpc_calls_pin_the_version_and_keep_the_base_path() {
    let group = r#"{"id":"r058-sg","crn":"crn:sg","name":"default-sg","rules":[]}"#;
    let server = TestServer::start(vec![Reply::json(200, group)]).await;
    let vpc = server.cloud(fast_policy()).vpc("ca-mon").unwrap();
    let sg = vpc.default_security_group("r058-vpc").await.unwrap();
    assert_eq!(sg.id, "r058-sg");
    assert_eq!(
        server.api_requests()[0].target,
        "/vpc/ca-mon/v1/vpcs/r058-vpc/default_security_group?version=2026-06-23&generation=2"
    );
    assert!(
        server.cloud(fast_policy()).vpc("eu-de").is_err(),
        "a loopback cloud has no derived regions"
    );
}

#[tokio::test]
async fn key_protect_names_the_instance_in_a_header() {
    let keys = r#"{"metadata":{"collectionType":"application/vnd.ibm.kms.key+json","collectionTotal":1},"resources":[{"id":"k1","state":1,"extractable":false,"crn":"crn:k1"}]}"#;
    let server = TestServer::start(vec![Reply::json(200, keys)]).await;
    let kp = server
        .cloud(fast_policy())
        .key_protect("ca-mon", "kp-guid")
        .unwrap();
    let roots = kp.root_keys().await.unwrap();
    assert_eq!(roots.len(), 1);
    let request = &server.api_requests()[0];
    assert_eq!(request.headers["bluemix-instance"], "kp-guid");
    assert_eq!(
        request.target,
        "/kms/ca-mon/api/v2/keys?limit=200&extractable=false&state=1"
    );
}

#[tokio::test]
async fn catalog_deployments_ask_for_everything() {
    let page = r#"{"offset":0,"limit":100,"count":1,"resource_count":1,"resources":[{"id":"d:ca-mon","name":"ca-mon","kind":"deployment","metadata":{"rc_compatible":true,"deployment":{"location":"ca-mon"}}}]}"#;
    let server = TestServer::start(vec![Reply::json(200, page)]).await;
    let gc = server.cloud(fast_policy()).global_catalog().unwrap();
    let deployments = gc
        .deployments(crate::catalog::POSTGRESQL_GEN2_PLAN_ID)
        .await
        .unwrap();
    assert_eq!(deployments[0].location(), Some("ca-mon"));
    assert_eq!(
        server.api_requests()[0].target,
        "/gc/api/v1/databases-for-postgresql-gen2-standard/deployment?include=*&_limit=100"
    );
}

#[tokio::test]
async fn the_clocks_difference_is_read_from_the_answers_date() {
    let hour_ahead =
        httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(3600));
    let server = TestServer::start(vec![
        Reply::json(200, INSTANCE).with_header("Date", &hour_ahead)
    ])
    .await;
    let cloud = server.cloud(fast_policy());
    assert_eq!(cloud.clock_offset_ms(), None, "nothing measured yet");
    cloud
        .resource_controller()
        .unwrap()
        .get_instance("guid-1")
        .await
        .unwrap();
    let offset = cloud.clock_offset_ms().expect("measured");
    // `Date` has one-second resolution.
    assert!((3_598_000..=3_601_000).contains(&offset), "{offset}");
}

#[tokio::test]
async fn a_redirect_is_never_followed_with_the_token() {
    let server = TestServer::start(vec![
        Reply::json(307, "").with_header("Location", "https://elsewhere.example/steal?token=x")
    ])
    .await;
    let error = server
        .cloud(fast_policy())
        .resource_controller()
        .unwrap()
        .get_instance("guid-1")
        .await
        .unwrap_err();
    assert_eq!(error.status, Some(307));
    assert!(
        error.message.contains("https://elsewhere.example/steal"),
        "{}",
        error.message
    );
    assert!(
        !error.message.contains("token=x"),
        "the query is not repeated"
    );
    assert_eq!(server.api_requests().len(), 1, "sent once, not followed");
}

#[tokio::test]
async fn an_iam_clock_an_hour_off_still_gets_one_token_per_lifetime() {
    let server = TestServer::start((0..5).map(|_| Reply::json(200, INSTANCE)).collect()).await;
    // IAM says every token expired an hour ago.
    server.skew_iam_clock(-2 * 3600);
    let rc = server.cloud(fast_policy()).resource_controller().unwrap();
    for _ in 0..5 {
        rc.get_instance("guid-1").await.unwrap();
    }
    assert_eq!(
        server.token_exchanges(),
        1,
        "one exchange for the token's lifetime"
    );
}
