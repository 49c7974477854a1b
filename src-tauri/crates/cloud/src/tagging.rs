//! Global Tagging v1 and the Global Search v2 call that reads tags back. Onramp tags every
//! resource it creates and later proves it made a resource by finding that tag on it.
//!
//! Two things the services do that a caller must not miss: a tag request answers 200 even
//! when some resources were not tagged (each result says so, see [`TagResults::check`]),
//! and tags are eventually consistent, so a read right after an attach may not show them
//! yet. IBM's Tagging maintainers advise reading tags through Search
//! ([`GlobalSearchClient::search_by_crn`]) rather than `GET /v3/tags?attached_to=`, which
//! is strictly rate limited.

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use url::Url;

use crate::{
    context::Cloud,
    endpoints::join_path,
    error::CloudError,
    http::{ApiRequest, Idempotency},
    model::{open_enum, with_query, MAX_PAGES},
};

const TAGGING: &str = "Global Tagging";
const SEARCH: &str = "Global Search";
/// The most tags one `GET /v3/tags` answers with.
const TAG_PAGE_SIZE: u32 = 1000;
/// The most items one search answers with.
const SEARCH_PAGE_SIZE: u32 = 100;

open_enum! {
    /// `tag_type`: user tags (the default) are what Onramp writes; access tags need
    /// Administrator and feed IAM; service tags belong to services.
    pub enum TagType {
        User = "user",
        Service = "service",
        Access = "access",
    }
}

/// `{resource_id, resource_type?}`; `resource_type` is for classic infrastructure only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagResource {
    /// The resource's CRN.
    pub resource_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<String>,
}

impl TagResource {
    pub fn crn(crn: impl Into<String>) -> Self {
        TagResource {
            resource_id: crn.into(),
            resource_type: None,
        }
    }
}

/// `{query_string}`: a Global Search query choosing the resources instead of a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagQuery {
    pub query_string: String,
}

/// The body of `POST /v3/tags/attach` and `POST /v3/tags/detach`: at most 100 resources
/// and 100 tags per call.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagRequest {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<TagResource>,
    /// Tags are not case-sensitive; the service stores them lowercased.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tag_names: Vec<String>,
    /// The older single-tag form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<TagQuery>,
}

impl TagRequest {
    /// `tags` on the resources named by `crns`.
    pub fn new<C, T>(crns: C, tags: T) -> Self
    where
        C: IntoIterator,
        C::Item: Into<String>,
        T: IntoIterator,
        T::Item: Into<String>,
    {
        TagRequest {
            resources: crns.into_iter().map(TagResource::crn).collect(),
            tag_names: tags.into_iter().map(Into::into).collect(),
            tag_name: None,
            query: None,
        }
    }
}

/// Query parameters of an attach.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AttachOptions {
    /// `user` when not given.
    pub tag_type: Option<TagType>,
    /// Needed only for service tags.
    pub account_id: Option<String>,
    /// Replaces every tag of that type on the resources.
    pub replace: bool,
    /// For `key:value` tags: detaches the other values of the key.
    pub update: bool,
}

/// Query parameters of a detach.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DetachOptions {
    pub tag_type: Option<TagType>,
    pub account_id: Option<String>,
}

/// What happened to each resource of an attach or detach.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TagResults {
    #[serde(default)]
    pub results: Vec<TagResult>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TagResult {
    pub resource_id: String,
    #[serde(default)]
    pub is_error: Option<bool>,
    pub message: Option<String>,
}

impl TagResult {
    pub fn failed(&self) -> bool {
        self.is_error == Some(true)
    }
}

impl TagResults {
    /// The resources the service did not tag (or untag).
    pub fn failures(&self) -> impl Iterator<Item = &TagResult> {
        self.results.iter().filter(|r| r.failed())
    }

    /// `Ok` when every resource was handled. Otherwise an error naming each resource that
    /// was not, with the service's message: the HTTP status was 200 all the same, so a
    /// caller who looked only at the status would think the tags were there.
    pub fn check(&self) -> Result<(), CloudError> {
        let failed: Vec<String> = self
            .failures()
            .map(|r| match r.message.as_deref().filter(|m| !m.is_empty()) {
                Some(message) => format!("{}: {message}", r.resource_id),
                None => format!("{}: no reason given", r.resource_id),
            })
            .collect();
        if failed.is_empty() {
            return Ok(());
        }
        Err(CloudError::refused_in_body(
            200,
            format!(
                "Global Tagging did not change the tags of {} resource{}: {}",
                failed.len(),
                if failed.len() == 1 { "" } else { "s" },
                failed.join("; ")
            ),
        ))
    }
}

/// One tag of a `GET /v3/tags` answer.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Tag {
    pub name: String,
}

/// A page of `GET /v3/tags`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TagList {
    pub total_count: Option<u64>,
    pub offset: Option<u64>,
    pub limit: Option<u64>,
    #[serde(default)]
    pub items: Vec<Tag>,
}

/// Query parameters of `GET /v3/tags`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagFilter {
    /// Only the tags attached to this CRN.
    pub attached_to: Option<String>,
    pub tag_type: Option<TagType>,
    /// `ghost` (resources with a CRN) and/or `ims` (classic infrastructure).
    pub providers: Vec<String>,
    pub account_id: Option<String>,
    pub offset: Option<u64>,
    /// At most 1000.
    pub limit: Option<u32>,
}

/// Global Tagging of one cloud.
#[derive(Debug, Clone)]
pub struct GlobalTaggingClient {
    cloud: Cloud,
    base: Url,
}

impl GlobalTaggingClient {
    pub(crate) fn new(cloud: Cloud) -> Result<Self, CloudError> {
        let base = cloud.endpoints().global_tagging()?.clone();
        Ok(GlobalTaggingClient { cloud, base })
    }

    /// One page of tags.
    pub async fn list_tags(&self, filter: &TagFilter) -> Result<TagList, CloudError> {
        let providers = (!filter.providers.is_empty()).then(|| filter.providers.join(","));
        let offset = filter.offset.map(|o| o.to_string());
        let limit = filter.limit.map(|l| l.to_string());
        let url = with_query(
            join_path(&self.base, &["v3", "tags"])?,
            &[
                ("attached_to", filter.attached_to.as_deref()),
                ("tag_type", filter.tag_type.as_ref().map(TagType::as_str)),
                ("providers", providers.as_deref()),
                ("account_id", filter.account_id.as_deref()),
                ("offset", offset.as_deref()),
                ("limit", limit.as_deref()),
            ],
        );
        self.cloud.json(&ApiRequest::get(TAGGING, url)).await
    }

    /// Every user tag attached to `crn`, all pages. Rate limited by the service: prefer
    /// [`GlobalSearchClient::search_by_crn`].
    pub async fn user_tags_of(&self, crn: &str) -> Result<Vec<String>, CloudError> {
        let mut tags = Vec::new();
        for _ in 0..MAX_PAGES {
            let page = self
                .list_tags(&TagFilter {
                    attached_to: Some(crn.to_owned()),
                    tag_type: Some(TagType::User),
                    providers: vec!["ghost".to_owned()],
                    offset: Some(tags.len() as u64),
                    limit: Some(TAG_PAGE_SIZE),
                    ..TagFilter::default()
                })
                .await?;
            let got = page.items.len();
            tags.extend(page.items.into_iter().map(|t| t.name));
            let all_read = page.total_count.is_some_and(|t| tags.len() as u64 >= t);
            if got == 0 || (got as u64) < u64::from(TAG_PAGE_SIZE) || all_read {
                return Ok(tags);
            }
        }
        Err(CloudError::decode(
            TAGGING,
            format!("it returned more than {MAX_PAGES} pages of tags"),
            None,
        ))
    }

    /// 200 even when some resources were not tagged: call [`TagResults::check`].
    pub async fn attach_tags(
        &self,
        body: &TagRequest,
        options: &AttachOptions,
    ) -> Result<TagResults, CloudError> {
        let url = with_query(
            join_path(&self.base, &["v3", "tags", "attach"])?,
            &[
                ("tag_type", options.tag_type.as_ref().map(TagType::as_str)),
                ("account_id", options.account_id.as_deref()),
                ("replace", options.replace.then_some("true")),
                ("update", options.update.then_some("true")),
            ],
        );
        // Attaching a tag that is already there changes nothing, so a retry is harmless.
        let request = ApiRequest::new(TAGGING, Method::POST, url)
            .json(body)?
            .idempotency(Idempotency::Safe);
        self.cloud.json(&request).await
    }

    /// 200 even when some resources were not untagged: call [`TagResults::check`]. A user
    /// tag detached from its last resource is deleted.
    pub async fn detach_tags(
        &self,
        body: &TagRequest,
        options: &DetachOptions,
    ) -> Result<TagResults, CloudError> {
        let url = with_query(
            join_path(&self.base, &["v3", "tags", "detach"])?,
            &[
                ("tag_type", options.tag_type.as_ref().map(TagType::as_str)),
                ("account_id", options.account_id.as_deref()),
            ],
        );
        let request = ApiRequest::new(TAGGING, Method::POST, url)
            .json(body)?
            .idempotency(Idempotency::Safe);
        self.cloud.json(&request).await
    }
}

/// The body of `POST /v3/resources/search`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchRequest {
    /// Lucene syntax, e.g. `crn:"<CRN>"` or `tags:"onramp:managed"`; `*` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// The fields each item carries (`crn` always); `["*"]` lists what there is.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<String>,
    /// The cursor of the previous page; when set, the service ignores the rest of the body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search_cursor: Option<String>,
}

/// The fields Onramp reads from a search: the resource and its three kinds of tag.
pub const TAG_FIELDS: [&str; 5] = ["crn", "name", "tags", "access_tags", "service_tags"];

impl SearchRequest {
    /// `query`, asking for [`TAG_FIELDS`].
    pub fn with_tags(query: impl Into<String>) -> Self {
        SearchRequest {
            query: Some(query.into()),
            fields: TAG_FIELDS.iter().map(|f| (*f).to_owned()).collect(),
            search_cursor: None,
        }
    }

    /// The resource whose CRN is `crn`.
    pub fn by_crn(crn: &str) -> Self {
        SearchRequest::with_tags(format!("crn:{}", quoted(crn)))
    }

    /// Every resource carrying the user tag `tag`.
    pub fn by_tag(tag: &str) -> Self {
        SearchRequest::with_tags(format!("tags:{}", quoted(tag)))
    }
}

/// A Lucene phrase: the value in double quotes, with `"` and `\` escaped.
fn quoted(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// One resource found. User tags are in `tags`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SearchItem {
    pub crn: String,
    pub name: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub access_tags: Vec<String>,
    #[serde(default)]
    pub service_tags: Vec<String>,
    /// The other fields asked for (`family`, `type`, `region`, …), as sent.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// One page of a search. An empty `items` ends the result set.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ScanResult {
    pub search_cursor: Option<String>,
    pub limit: u64,
    pub items: Vec<SearchItem>,
}

/// Query parameters of a search.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchOptions {
    /// Items per page; the service's default is 10.
    pub limit: Option<u32>,
    pub account_id: Option<String>,
}

/// Global Search of one cloud.
#[derive(Debug, Clone)]
pub struct GlobalSearchClient {
    cloud: Cloud,
    base: Url,
}

impl GlobalSearchClient {
    pub(crate) fn new(cloud: Cloud) -> Result<Self, CloudError> {
        let base = cloud.endpoints().global_search()?.clone();
        Ok(GlobalSearchClient { cloud, base })
    }

    /// One page.
    pub async fn search(
        &self,
        body: &SearchRequest,
        options: &SearchOptions,
    ) -> Result<ScanResult, CloudError> {
        let limit = options.limit.map(|l| l.to_string());
        let url = with_query(
            join_path(&self.base, &["v3", "resources", "search"])?,
            &[
                ("limit", limit.as_deref()),
                ("account_id", options.account_id.as_deref()),
            ],
        );
        // A search changes nothing, so it may be retried like a GET.
        let request = ApiRequest::new(SEARCH, Method::POST, url)
            .json(body)?
            .idempotency(Idempotency::Safe);
        self.cloud.json(&request).await
    }

    /// Every item `body` finds, following `search_cursor` until a page comes back short,
    /// empty or without a cursor. The cursor is a live one that may stay the same from page
    /// to page, so a repeated cursor is not an error; the page count is bounded instead.
    pub async fn search_all(&self, body: &SearchRequest) -> Result<Vec<SearchItem>, CloudError> {
        let options = SearchOptions {
            limit: Some(SEARCH_PAGE_SIZE),
            ..SearchOptions::default()
        };
        let mut items = Vec::new();
        let mut page = self.search(body, &options).await?;
        for _ in 0..MAX_PAGES {
            let short = (page.items.len() as u64) < u64::from(SEARCH_PAGE_SIZE);
            let cursor = page.search_cursor.take();
            items.extend(page.items);
            let Some(cursor) = cursor.filter(|c| !c.is_empty()) else {
                return Ok(items);
            };
            if short {
                return Ok(items);
            }
            let next = SearchRequest {
                search_cursor: Some(cursor),
                ..SearchRequest::default()
            };
            page = self.search(&next, &options).await?;
            if page.items.is_empty() {
                return Ok(items);
            }
        }
        Err(CloudError::decode(
            SEARCH,
            format!("it returned more than {MAX_PAGES} pages"),
            None,
        ))
    }

    /// The resource with this CRN and its tags, or `None` when the search does not find
    /// it. A resource created moments ago may not be searchable yet: retry before
    /// concluding it has no tags.
    pub async fn search_by_crn(&self, crn: &str) -> Result<Option<SearchItem>, CloudError> {
        let page = self
            .search(&SearchRequest::by_crn(crn), &SearchOptions::default())
            .await?;
        Ok(page.items.into_iter().find(|item| item.crn == crn))
    }

    /// Every resource carrying the user tag `tag`.
    pub async fn search_by_tag(&self, tag: &str) -> Result<Vec<SearchItem>, CloudError> {
        self.search_all(&SearchRequest::by_tag(tag)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_partial_failure_inside_a_200_is_an_error_naming_the_resource() {
        let results: TagResults = serde_json::from_str(
            r#"{"results":[{"resource_id":"crn:v1:bluemix:public:logs:ca-mon:a/acct:ok::","is_error":false},
                           {"resource_id":"crn:v1:bluemix:public:databases-for-postgresql:ca-mon:a/acct:gone::","is_error":true,"message":"The resource was not found."}]}"#,
        )
        .unwrap();
        assert_eq!(results.failures().count(), 1);
        let error = results.check().unwrap_err();
        assert!(error.message.contains(":gone::"), "{error}");
        assert!(error.message.contains("The resource was not found."));
        assert!(!error.message.contains(":ok::"));
        assert_eq!(error.status, Some(200));
        assert!(!error.retryable);

        let fine: TagResults =
            serde_json::from_str(r#"{"results":[{"resource_id":"crn:a"}]}"#).unwrap();
        fine.check().unwrap();
    }

    #[test]
    fn search_queries_quote_their_value() {
        assert_eq!(
            SearchRequest::by_crn("crn:v1:bluemix:public:logs:ca-mon:a/acct:guid::").query,
            Some(r#"crn:"crn:v1:bluemix:public:logs:ca-mon:a/acct:guid::""#.to_owned())
        );
        assert_eq!(
            SearchRequest::by_tag(r#"odd"tag\"#).query,
            Some(r#"tags:"odd\"tag\\""#.to_owned())
        );
        let next = SearchRequest {
            search_cursor: Some("c1".into()),
            ..SearchRequest::default()
        };
        assert_eq!(
            serde_json::to_value(next).unwrap(),
            serde_json::json!({"search_cursor": "c1"})
        );
    }
}
