//! Global Tagging and Global Search in the sandbox: the tags a Resource Controller create
//! carries are readable through `GET /v3/tags?attached_to=` and through search, an attach
//! reports a resource it cannot tag inside its 200, tags persist across a restart, and a
//! removed instance loses its tags.

use std::time::{Duration, Instant};

use onramp_sandbox::{RunningSandbox, SandboxConfig};
use serde_json::{json, Value};

struct Client {
    http: reqwest::Client,
    base: String,
    token: String,
}

async fn start(dir: &std::path::Path) -> RunningSandbox {
    let mut config = SandboxConfig::new(dir);
    config.provision_seconds = 0.0;
    RunningSandbox::start(config).await.unwrap()
}

impl Client {
    async fn new(sandbox: &RunningSandbox) -> Client {
        let http = reqwest::Client::new();
        let body: Value = http
            .post(format!("{}/identity/token", sandbox.iam_url()))
            .form(&[
                ("grant_type", "urn:ibm:params:oauth:grant-type:apikey"),
                ("apikey", sandbox.account().api_key.as_str()),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        Client {
            http,
            base: format!("http://{}", sandbox.addr()),
            token: body["access_token"].as_str().unwrap().to_owned(),
        }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        self.call(reqwest::Method::GET, path, None).await
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    async fn default_group(&self) -> (String, String) {
        let (_, groups) = self.get("/rc/v2/resource_groups").await;
        let group = &groups["resources"][0];
        (
            group["id"].as_str().unwrap().to_owned(),
            group["crn"].as_str().unwrap().to_owned(),
        )
    }

    /// The user tags of `crn`, as `GET /v3/tags?attached_to=` lists them.
    async fn tags_of(&self, crn: &str) -> Vec<String> {
        let url = reqwest::Url::parse_with_params(
            &format!("{}/tags/v3/tags", self.base),
            &[
                ("attached_to", crn),
                ("tag_type", "user"),
                ("providers", "ghost"),
                ("offset", "0"),
                ("limit", "100"),
            ],
        )
        .unwrap();
        let (status, body) = self.get(&url[url::Position::BeforePath..]).await;
        assert_eq!(status, 200, "{body}");
        let items = body["items"].as_array().unwrap();
        assert_eq!(body["total_count"], items.len());
        items
            .iter()
            .map(|t| t["name"].as_str().unwrap().to_owned())
            .collect()
    }

    async fn search(&self, query: &str) -> Value {
        let (status, body) = self
            .post(
                "/search/v3/resources/search",
                json!({"query": query, "fields": ["crn", "name", "tags", "access_tags", "service_tags"]}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert!(body["limit"].is_u64());
        body
    }

    async fn wait_for_state(&self, guid: &str, wanted: &str) {
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            let (_, body) = self.get(&format!("/rc/v2/resource_instances/{guid}")).await;
            if body["state"] == wanted {
                return;
            }
            assert!(Instant::now() < deadline, "still {}", body["state"]);
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn create_tags_are_read_back_by_tagging_and_search_and_go_with_the_instance() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = start(dir.path()).await;
    let client = Client::new(&sandbox).await;
    let (group, _) = client.default_group().await;

    let (status, created) = client
        .post(
            "/rc/v2/resource_instances",
            json!({"name": "pg-tagged", "target": "ca-mon", "resource_group": group,
                   "resource_plan_id": "databases-for-postgresql-gen2-standard",
                   "tags": ["onramp:managed", "Onramp-Run:20261207-1402"]}),
        )
        .await;
    assert_eq!(status, 202, "{created}");
    let crn = created["crn"].as_str().unwrap().to_owned();
    let guid = created["guid"].as_str().unwrap().to_owned();

    // Both reads see the tags at once, lowercased as the service stores them.
    let expected = vec![
        "onramp-run:20261207-1402".to_owned(),
        "onramp:managed".to_owned(),
    ];
    assert_eq!(client.tags_of(&crn).await, expected);
    let found = client.search(&format!("crn:\"{crn}\"")).await;
    let items = found["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{found}");
    assert_eq!(items[0]["crn"], crn.as_str());
    assert_eq!(items[0]["name"], "pg-tagged");
    let mut tags: Vec<String> = items[0]["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_owned())
        .collect();
    tags.sort();
    assert_eq!(tags, expected);
    assert_eq!(items[0]["access_tags"], json!([]));
    assert!(found["search_cursor"].is_string());
    // The reverse question: everything carrying the tag.
    let tagged = client.search("tags:\"onramp:managed\"").await;
    assert_eq!(tagged["items"].as_array().unwrap().len(), 1, "{tagged}");

    // Detach one tag; the other stays.
    let (status, detached) = client
        .post(
            "/tags/v3/tags/detach",
            json!({"resources": [{"resource_id": crn}], "tag_names": ["onramp-run:20261207-1402"]}),
        )
        .await;
    assert_eq!(status, 200, "{detached}");
    assert_eq!(detached["results"][0]["is_error"], false);
    assert_eq!(client.tags_of(&crn).await, vec!["onramp:managed"]);

    // A tag the service would not take is refused whole, in the errors[] shape.
    let (status, refused) = client
        .post(
            "/tags/v3/tags/attach",
            json!({"resources": [{"resource_id": crn}], "tag_names": ["a,b"]}),
        )
        .await;
    assert_eq!(status, 400, "{refused}");
    assert!(refused["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("a,b"));

    // Removing the instance takes its tags with it.
    client.wait_for_state(&guid, "active").await;
    let (status, _) = client
        .call(
            reqwest::Method::DELETE,
            &format!("/rc/v2/resource_instances/{guid}"),
            None,
        )
        .await;
    assert_eq!(status, 202);
    client.wait_for_state(&guid, "removed").await;
    assert!(client.tags_of(&crn).await.is_empty());
    let gone = client.search(&format!("crn:\"{crn}\"")).await;
    assert_eq!(gone["items"], json!([]));
    let (_, all) = client.get("/tags/v3/tags").await;
    assert_eq!(all["items"], json!([]), "no tag outlives its last resource");
    sandbox.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_attach_reports_what_it_could_not_tag_inside_a_200_and_tags_persist() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = start(dir.path()).await;
    let client = Client::new(&sandbox).await;
    let (_, group_crn) = client.default_group().await;
    let unknown = format!(
        "crn:v1:bluemix:public:databases-for-postgresql:ca-mon:a/{}:00000000-0000-0000-0000-000000000000::",
        sandbox.account().account_id
    );

    let (status, attached) = client
        .post(
            "/tags/v3/tags/attach",
            json!({"resources": [{"resource_id": group_crn}, {"resource_id": unknown}],
                   "tag_names": ["Team:Data"]}),
        )
        .await;
    assert_eq!(
        status, 200,
        "partial failures come inside a 200: {attached}"
    );
    let results = attached["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!(results[0]["resource_id"], group_crn.as_str());
    assert_eq!(results[0]["is_error"], false);
    assert_eq!(results[1]["resource_id"], unknown.as_str());
    assert_eq!(results[1]["is_error"], true);
    assert!(results[1]["message"]
        .as_str()
        .is_some_and(|m| !m.is_empty()));
    assert_eq!(client.tags_of(&group_crn).await, vec!["team:data"]);
    assert!(client.tags_of(&unknown).await.is_empty());

    // Chosen by a search query instead of a list; attaching twice changes nothing.
    let (status, by_query) = client
        .post(
            "/tags/v3/tags/attach",
            json!({"query": {"query_string": "tags:\"team:data\""}, "tag_names": ["team:data", "cost-centre:42"]}),
        )
        .await;
    assert_eq!(status, 200, "{by_query}");
    assert_eq!(by_query["results"][0]["resource_id"], group_crn.as_str());
    let (status, replaced) = client
        .post(
            "/tags/v3/tags/attach?update=true",
            json!({"resources": [{"resource_id": group_crn}], "tag_names": ["cost-centre:43"]}),
        )
        .await;
    assert_eq!(status, 200, "{replaced}");
    assert_eq!(
        client.tags_of(&group_crn).await,
        vec!["cost-centre:43", "team:data"],
        "update replaces the other values of the key"
    );

    // A search page follows its cursor to an empty page.
    let (_, first) = client
        .post(
            "/search/v3/resources/search?limit=1",
            json!({"query": "*", "fields": ["crn"]}),
        )
        .await;
    assert_eq!(first["items"].as_array().unwrap().len(), 1);
    let mut cursor = first["search_cursor"].as_str().unwrap().to_owned();
    let mut seen = 1;
    loop {
        let (status, page) = client
            .post(
                "/search/v3/resources/search?limit=1",
                json!({"search_cursor": cursor}),
            )
            .await;
        assert_eq!(status, 200, "{page}");
        let items = page["items"].as_array().unwrap();
        if items.is_empty() {
            break;
        }
        seen += items.len();
        cursor = page["search_cursor"].as_str().unwrap().to_owned();
        assert!(seen < 100, "the cursor never ends");
    }
    // The resource group and the seeded Key Protect instance and its keys.
    assert!(seen >= 5, "{seen}");

    sandbox.stop().await;
    let sandbox = start(dir.path()).await;
    let client = Client::new(&sandbox).await;
    assert_eq!(
        client.tags_of(&group_crn).await,
        vec!["cost-centre:43", "team:data"],
        "tags are kept in the state dir"
    );
    sandbox.stop().await;
}
