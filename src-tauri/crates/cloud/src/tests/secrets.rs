//! No secret (API key, token, database password, composed URI, user data) shows in the
//! `Debug` or `Display` of a model or error, nor in anything the crate logs.

use std::{
    io::Write,
    sync::{Arc, Mutex},
};

use onramp_secrets::Sensitive;

use crate::{
    iam::Token,
    iam_identity::ApiKeyDetails,
    rc::ResourceKey,
    tests::server::{fast_policy, Reply, TestServer, TEST_API_KEY, TOKEN_PREFIX},
    vpc::{CreateInstance, IdRef, NameRef},
    Idempotency,
};

const PASSWORD: &str = "PW-SECRET-lXcjb8q-2)ItFOq7";
const ENCODED_PASSWORD: &str = "PW-SECRET-lXcjb8q-2%29ItFOq7";
const USER_DATA_SECRET: &str = "-----BEGIN OPENSSH PRIVATE KEY----- HOSTKEY-SECRET";

fn key_json() -> String {
    format!(
        r#"{{"id":"crn:key","guid":"key-guid","crn":"crn:key","name":"onramp-manager","state":"active",
        "credentials":{{"username":"ibmcloud_1","password":"{PASSWORD}","apikey":"{TEST_API_KEY}",
          "connection":{{
            "postgres":{{"composed":["postgres://ibmcloud_1:{ENCODED_PASSWORD}@host:5432/postgres"],
              "authentication":{{"method":"direct","username":"ibmcloud_1","password":"{PASSWORD}"}},
              "hosts":[{{"hostname":"host","port":5432}}]}},
            "cli":{{"arguments":["password={PASSWORD}"],"composed":["PGPASSWORD={PASSWORD} psql"],
              "environment":{{"PGPASSWORD":"{PASSWORD}","PGUSER":"ibmcloud_1","OTHER_SECRET":"{PASSWORD}"}}}}}}}}}}"#
    )
}

fn secrets() -> Vec<String> {
    vec![
        PASSWORD.to_owned(),
        ENCODED_PASSWORD.to_owned(),
        TEST_API_KEY.to_owned(),
        TOKEN_PREFIX.to_owned(),
        "HOSTKEY-SECRET".to_owned(),
    ]
}

fn assert_clean(what: &str, text: &str) {
    for secret in secrets() {
        assert!(
            !text.contains(&secret),
            "{what} shows a secret ({secret}):\n{text}"
        );
    }
}

#[test]
fn models_do_not_show_secrets() {
    let key: ResourceKey = serde_json::from_str(&key_json()).unwrap();
    let credentials = key.credentials.as_ref().unwrap();
    // The secrets were read, not dropped …
    assert_eq!(credentials.password.as_ref().unwrap().expose(), PASSWORD);
    let postgres = credentials
        .connection
        .as_ref()
        .unwrap()
        .postgres
        .as_ref()
        .unwrap();
    assert!(postgres.composed.as_ref().unwrap().expose()[0].contains(ENCODED_PASSWORD));
    // … and are not shown.
    assert_clean("ResourceKey Debug", &format!("{key:?}"));
    assert_clean("ResourceKey pretty Debug", &format!("{key:#?}"));

    let details: ApiKeyDetails = serde_json::from_str(&format!(
        r#"{{"id":"ApiKey-1","iam_id":"iam-ServiceId-1","account_id":"acct","apikey":"{TEST_API_KEY}"}}"#
    ))
    .unwrap();
    assert!(details.is_service_id_key());
    assert_clean("ApiKeyDetails Debug", &format!("{details:?}"));

    let token = Token {
        access_token: Sensitive::new(format!("{TOKEN_PREFIX}-1")),
        expires_in: 3600,
        expiration: 0,
        received: std::time::Instant::now(),
    };
    assert_clean("Token Debug", &format!("{token:?}"));

    let create = CreateInstance {
        name: Some("onramp-vsi".into()),
        zone: NameRef::new("ca-mon-1"),
        vpc: None,
        profile: None,
        image: IdRef::new("r058-image"),
        keys: vec![],
        resource_group: None,
        primary_network_interface: None,
        boot_volume_attachment: None,
        user_data: Some(Sensitive::from(USER_DATA_SECRET)),
    };
    assert_clean("CreateInstance Debug", &format!("{create:?}"));
    // The one place the user data is written out is the request body itself.
    assert!(serde_json::to_string(&create)
        .unwrap()
        .contains("HOSTKEY-SECRET"));
}

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("poisoned"))?
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

#[tokio::test]
async fn calls_errors_and_logs_do_not_show_secrets() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    // A password where a number belongs: the decode error must not quote it.
    let bad_key = key_json().replace(r#""port":5432"#, &format!(r#""port":"{PASSWORD}""#));
    let server = TestServer::start(vec![
        Reply::json(401, r#"{"message":"expired"}"#),
        Reply::json(503, r#"{"message":"busy"}"#),
        Reply::json(201, &key_json()),
        Reply::json(200, &bad_key),
        Reply::json(
            200,
            &format!(r#"{{"id":"ApiKey-1","iam_id":"IBMid-1","account_id":"acct","apikey":"{TEST_API_KEY}"}}"#),
        ),
        Reply::json(
            400,
            r#"{"errors":[{"code":"invalid_value","message":"user_data too long"}],"trace":"t-1"}"#,
        ),
    ])
    .await;
    let cloud = server.cloud(fast_policy());
    assert_clean("Cloud Debug", &format!("{cloud:?}"));

    let rc = cloud.resource_controller().unwrap();
    let body = crate::rc::CreateResourceKey {
        name: "onramp-manager".into(),
        source: "guid".into(),
        role: Some("Manager".into()),
        parameters: None,
    };
    let key = rc
        .create_resource_key(&body, Idempotency::Safe)
        .await
        .unwrap();
    assert_clean("created key", &format!("{key:?}"));

    let error = rc.get_resource_key("key-guid").await.unwrap_err();
    assert_eq!(error.kind, crate::ErrorKind::Decode);
    assert_clean("decode error Display", &error.to_string());
    assert_clean("decode error Debug", &format!("{error:?}"));

    let details = cloud
        .iam_identity()
        .unwrap()
        .api_key_details()
        .await
        .unwrap();
    assert_eq!(details.iam_id, "IBMid-1");
    let sent = server.api_requests();
    assert_eq!(
        sent[4].headers["iam-apikey"], TEST_API_KEY,
        "the key travels in its header"
    );

    let vpc = cloud.vpc("ca-mon").unwrap();
    let create = CreateInstance {
        name: Some("onramp-vsi".into()),
        zone: NameRef::new("ca-mon-1"),
        vpc: None,
        profile: None,
        image: IdRef::new("r058-image"),
        keys: vec![],
        resource_group: None,
        primary_network_interface: None,
        boot_volume_attachment: None,
        user_data: Some(Sensitive::from(USER_DATA_SECRET)),
    };
    let error = vpc
        .create_instance(&create, Idempotency::Unsafe)
        .await
        .unwrap_err();
    assert_clean("VPC error Display", &error.to_string());
    assert_clean("VPC error Debug", &format!("{error:?}"));

    let log = captured.text();
    assert!(log.contains("cloud call"), "nothing was captured:\n{log}");
    assert!(log.contains("status=401"), "{log}");
    assert!(log.contains("will be retried"), "{log}");
    assert_clean("the log", &log);
    assert!(!log.to_ascii_lowercase().contains("authorization"), "{log}");
}
