//! Global Tagging v1 (`/tags`: list, attach and detach user tags) and Global Search v2
//! (`/search`: find resources by CRN, tag, name, type…), over every live resource the
//! sandbox has: Resource Controller instances and resource groups, VPC resources,
//! context-based restriction zones and rules, Key Protect keys.
//!
//! As on the real service (global-tagging.md): user tags are lowercased and need no
//! creating; a tag request answers 200 and reports each resource it could not tag inside
//! the body (`is_error: true`, the partial failure a client must look for); a tag detached
//! from its last resource is gone. Tags are visible at once here, while the real service is
//! eventually consistent. Search understands `field:value` terms joined by `AND` (values
//! quoted or escaped Lucene-style, a trailing `*` for a prefix) and `*`; its pages follow a
//! `search_cursor`.

use std::{collections::BTreeSet, sync::Arc};

use axum::{
    body::Bytes,
    extract::{Query, State},
};
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::{
    api::{ok, Api, ApiError, ApiResult},
    server::AppState,
    store::World,
};

const TAGGING: Api = Api::GlobalTagging;
const SEARCH: Api = Api::GlobalSearch;
/// Per call, as the service documents.
const MAX_PER_CALL: usize = 100;
/// The fields a search returns when none are asked for.
const DEFAULT_FIELDS: [&str; 5] = ["account_id", "name", "type", "family", "crn"];

/// A resource as Global Search indexes it.
#[derive(Debug, Clone)]
struct Resource {
    crn: String,
    name: String,
    family: String,
    kind: String,
    region: String,
    resource_group_id: Option<String>,
    service_name: String,
}

impl Resource {
    /// What a search item can carry; `fields` picks from it.
    fn document(&self, state: &AppState, tags: &[String]) -> Map<String, Value> {
        let mut doc = Map::new();
        doc.insert("crn".into(), json!(self.crn));
        doc.insert("name".into(), json!(self.name));
        doc.insert("account_id".into(), json!(state.account.account_id));
        doc.insert("family".into(), json!(self.family));
        doc.insert("type".into(), json!(self.kind));
        doc.insert("region".into(), json!(self.region));
        doc.insert("service_name".into(), json!(self.service_name));
        if let Some(group) = &self.resource_group_id {
            doc.insert("resource_group_id".into(), json!(group));
        }
        doc.insert("tags".into(), json!(tags));
        doc.insert("access_tags".into(), json!([]));
        doc.insert("service_tags".into(), json!([]));
        doc
    }
}

/// The CRN's parts: `crn:v1:<cname>:<ctype>:<service>:<location>:<scope>:<instance>:<type>:<id>`.
fn crn_part(crn: &str, index: usize) -> &str {
    crn.split(':').nth(index).unwrap_or_default()
}

/// Every resource that exists now (removed instances and deleted documents do not).
fn live_resources(state: &AppState, world: &World) -> Vec<Resource> {
    let account = &state.account.account_id;
    let mut all = Vec::new();
    for instance in world.instances.values().filter(|i| i.state != "removed") {
        all.push(Resource {
            crn: instance.crn(account),
            name: instance.name.clone(),
            family: "resource_controller".into(),
            kind: "resource-instance".into(),
            region: instance.region.clone(),
            resource_group_id: Some(instance.resource_group_id.clone()),
            service_name: instance.resource_id.clone(),
        });
    }
    for group in &world.resource_groups {
        all.push(Resource {
            crn: format!(
                "crn:v1:bluemix:public:resource-controller::a/{account}::resource-group:{}",
                group.id
            ),
            name: group.name.clone(),
            family: "resource_controller".into(),
            kind: "resource-group".into(),
            region: "global".into(),
            resource_group_id: None,
            service_name: "resource-controller".into(),
        });
    }
    for doc in world.docs.values() {
        // Key Protect keys are stored with their instance; everything else is the body.
        let body = if doc.kind == "kms_key" {
            &doc.body["key"]
        } else {
            &doc.body
        };
        let Some(crn) = body["crn"].as_str().filter(|c| c.starts_with("crn:")) else {
            continue;
        };
        let service = crn_part(crn, 4);
        let kind = match crn_part(crn, 8) {
            "" => doc.kind.replace('_', "-"),
            kind => kind.to_owned(),
        };
        all.push(Resource {
            crn: crn.to_owned(),
            name: body["name"].as_str().unwrap_or_default().to_owned(),
            family: service.to_owned(),
            kind,
            region: doc
                .region
                .clone()
                .unwrap_or_else(|| crn_part(crn, 5).to_owned()),
            resource_group_id: body["resource_group"]["id"].as_str().map(str::to_owned),
            service_name: service.to_owned(),
        });
    }
    all
}

fn tags_of<'a>(world: &'a World, crn: &str) -> &'a [String] {
    world.user_tags.get(crn).map_or(&[], Vec::as_slice)
}

/// A user tag as the service stores it: lowercased; 1–128 characters of letters, digits,
/// space, `_ - . :` (no comma, which separates tags).
pub(crate) fn normalize_tag(tag: &str) -> Result<String, String> {
    let tag = tag.trim();
    let valid = (1..=128).contains(&tag.chars().count())
        && tag
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || " _-.:".contains(c));
    if valid {
        Ok(tag.to_lowercase())
    } else {
        Err(format!(
            "The tag '{tag}' is not valid: use 1 to 128 letters, digits, spaces and the characters _ - . :"
        ))
    }
}

/// Attaches `tags` (already normalized) to `crn`, keeping each once.
pub(crate) fn attach(world: &mut World, crn: &str, tags: &[String]) {
    if tags.is_empty() {
        return;
    }
    let attached = world.user_tags.entry(crn.to_owned()).or_default();
    for tag in tags {
        if !attached.contains(tag) {
            attached.push(tag.clone());
        }
    }
}

/// Detaches every user tag of `crn` (the resource is gone).
pub(crate) fn detach_all(world: &mut World, crn: &str) {
    world.user_tags.remove(crn);
}

fn detach(world: &mut World, crn: &str, tags: &[String]) {
    if let Some(attached) = world.user_tags.get_mut(crn) {
        attached.retain(|t| !tags.contains(t));
        if attached.is_empty() {
            world.user_tags.remove(crn);
        }
    }
}

fn bad(api: Api, code: &str, message: impl Into<String>) -> ApiError {
    ApiError::bad_request(api, code, message)
}

/// A query parameter as a number, with the API's own 400 instead of axum's plain text.
fn number(api: Api, name: &str, value: Option<&str>) -> Result<Option<usize>, ApiError> {
    value
        .map(|v| {
            v.trim().parse::<usize>().map_err(|_| {
                bad(
                    api,
                    "invalid_parameter",
                    format!("The query parameter '{name}' must be a number, not '{v}'."),
                )
            })
        })
        .transpose()
}

fn flag(value: Option<&str>) -> bool {
    value.is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

/// Only user tags live in the sandbox; `service` and `access` are valid names with nothing
/// behind them.
fn tag_type(value: Option<&str>) -> Result<&str, ApiError> {
    match value.unwrap_or("user") {
        kind @ ("user" | "service" | "access") => Ok(kind),
        other => Err(bad(
            TAGGING,
            "invalid_tag_type",
            format!("The tag_type '{other}' is not valid: use user, service or access."),
        )),
    }
}

// ---------------------------------------------------------------- GET /v3/tags

#[derive(Debug, Deserialize)]
pub(crate) struct ListQuery {
    attached_to: Option<String>,
    tag_type: Option<String>,
    providers: Option<String>,
    offset: Option<String>,
    limit: Option<String>,
    order_by_name: Option<String>,
}

pub(crate) async fn list_tags(
    State(state): State<Arc<AppState>>,
    Query(query): Query<ListQuery>,
) -> ApiResult {
    let kind = tag_type(query.tag_type.as_deref())?;
    let providers: Vec<&str> = query
        .providers
        .as_deref()
        .unwrap_or("ghost")
        .split(',')
        .map(str::trim)
        .collect();
    if let Some(other) = providers.iter().find(|p| !["ghost", "ims"].contains(p)) {
        return Err(bad(
            TAGGING,
            "invalid_providers",
            format!("The provider '{other}' is not valid: use ghost or ims."),
        ));
    }
    let offset = number(TAGGING, "offset", query.offset.as_deref())?.unwrap_or(0);
    let limit = number(TAGGING, "limit", query.limit.as_deref())?.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(bad(
            TAGGING,
            "invalid_limit",
            format!("The limit {limit} is not valid: use 1 to 1000."),
        ));
    }
    let descending = match query.order_by_name.as_deref() {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(other) => {
            return Err(bad(
                TAGGING,
                "invalid_order_by_name",
                format!("order_by_name '{other}' is not valid: use asc or desc."),
            ))
        }
    };
    // The sandbox's resources all have CRNs (the `ghost` provider) and only user tags.
    let names: BTreeSet<String> = if kind != "user" || !providers.contains(&"ghost") {
        BTreeSet::new()
    } else {
        state.store.read(|world| {
            let live: BTreeSet<String> = live_resources(&state, world)
                .into_iter()
                .map(|r| r.crn)
                .collect();
            match &query.attached_to {
                Some(crn) if live.contains(crn) => tags_of(world, crn).iter().cloned().collect(),
                Some(_) => BTreeSet::new(),
                None => world
                    .user_tags
                    .iter()
                    .filter(|(crn, _)| live.contains(*crn))
                    .flat_map(|(_, tags)| tags.iter().cloned())
                    .collect(),
            }
        })
    };
    let total = names.len();
    let mut ordered: Vec<String> = names.into_iter().collect();
    if descending {
        ordered.reverse();
    }
    let items: Vec<Value> = ordered
        .into_iter()
        .skip(offset)
        .take(limit)
        .map(|name| json!({ "name": name }))
        .collect();
    Ok(ok(json!({
        "total_count": total,
        "offset": offset,
        "limit": limit,
        "items": items,
    })))
}

// ---------------------------------------------------------------- attach and detach

#[derive(Debug, Deserialize)]
pub(crate) struct ChangeQuery {
    tag_type: Option<String>,
    replace: Option<String>,
    update: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct ChangeBody {
    tag_name: Option<String>,
    #[serde(default)]
    tag_names: Vec<String>,
    resources: Option<Vec<Value>>,
    query: Option<Value>,
}

/// The tags and the CRNs a change names, checked.
fn read_change(state: &AppState, body: &Bytes) -> Result<(Vec<String>, Vec<String>), ApiError> {
    let body: ChangeBody = serde_json::from_slice(body).map_err(|e| {
        bad(
            TAGGING,
            "invalid_body",
            format!("The request body is not valid JSON for this operation: {e}"),
        )
    })?;
    let mut tags = Vec::new();
    for tag in body.tag_name.iter().chain(&body.tag_names) {
        let tag = normalize_tag(tag).map_err(|m| bad(TAGGING, "invalid_tag_name", m))?;
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    if tags.is_empty() {
        return Err(bad(
            TAGGING,
            "missing_tag_names",
            "Give the tags in tag_names (or tag_name).",
        ));
    }
    if tags.len() > MAX_PER_CALL {
        return Err(bad(
            TAGGING,
            "too_many_tags",
            format!("At most {MAX_PER_CALL} tags can be changed in one call."),
        ));
    }
    let crns: Vec<String> = match (body.resources, body.query) {
        (Some(resources), _) => resources
            .iter()
            .map(|r| {
                r["resource_id"]
                    .as_str()
                    .filter(|id| !id.is_empty())
                    .map(str::to_owned)
                    .ok_or_else(|| {
                        bad(
                            TAGGING,
                            "missing_resource_id",
                            "Every entry of resources needs a resource_id.",
                        )
                    })
            })
            .collect::<Result<_, _>>()?,
        (None, Some(query)) => {
            let text = query["query_string"].as_str().ok_or_else(|| {
                bad(
                    TAGGING,
                    "invalid_query",
                    "query needs a query_string with a Global Search query.",
                )
            })?;
            let terms = parse_query(text).map_err(|m| bad(TAGGING, "invalid_query", m))?;
            state.store.read(|world| {
                live_resources(state, world)
                    .into_iter()
                    .filter(|r| terms.iter().all(|t| t.matches(r, tags_of(world, &r.crn))))
                    .map(|r| r.crn)
                    .collect()
            })
        }
        (None, None) => {
            return Err(bad(
                TAGGING,
                "missing_resources",
                "Name the resources in resources (or choose them with query).",
            ))
        }
    };
    if crns.is_empty() || crns.len() > MAX_PER_CALL {
        return Err(bad(
            TAGGING,
            "invalid_resources",
            format!("Name 1 to {MAX_PER_CALL} resources in one call."),
        ));
    }
    Ok((tags, crns))
}

/// The message of a resource the sandbox cannot tag. Which text the real service sends for
/// an unknown CRN is UNVERIFIED (global-tagging.md §2); this one says both possible reasons.
fn not_taggable(crn: &str) -> String {
    format!("The resource {crn} was not found, or the provided auth token does not have permissions to perform the request.")
}

fn results(state: &AppState, crns: &[String], change: impl Fn(&mut World, &str)) -> Value {
    let results: Vec<Value> = state.store.write(|world| {
        let live: BTreeSet<String> = live_resources(state, world)
            .into_iter()
            .map(|r| r.crn)
            .collect();
        crns.iter()
            .map(|crn| {
                if live.contains(crn) {
                    change(world, crn);
                    json!({"resource_id": crn, "is_error": false})
                } else {
                    json!({"resource_id": crn, "is_error": true, "message": not_taggable(crn)})
                }
            })
            .collect()
    });
    json!({ "results": results })
}

fn only_user_tags(kind: &str) -> Result<(), ApiError> {
    if kind == "user" {
        Ok(())
    } else {
        Err(bad(
            TAGGING,
            "unsupported_tag_type",
            format!("The sandbox keeps user tags only, not {kind} tags."),
        ))
    }
}

pub(crate) async fn attach_tags(
    State(state): State<Arc<AppState>>,
    Query(query): Query<ChangeQuery>,
    body: Bytes,
) -> ApiResult {
    only_user_tags(tag_type(query.tag_type.as_deref())?)?;
    let (tags, crns) = read_change(&state, &body)?;
    let replace = flag(query.replace.as_deref());
    let update = flag(query.update.as_deref());
    Ok(ok(results(&state, &crns, |world, crn| {
        if replace {
            detach_all(world, crn);
        } else if update {
            // `key:value` tags: the new value of a key takes the place of the old ones.
            let keys: Vec<&str> = tags
                .iter()
                .filter_map(|t| t.split_once(':'))
                .map(|(k, _)| k)
                .collect();
            if let Some(attached) = world.user_tags.get_mut(crn) {
                attached.retain(|t| {
                    t.split_once(':')
                        .is_none_or(|(k, _)| !keys.contains(&k) || tags.contains(t))
                });
            }
        }
        attach(world, crn, &tags);
    })))
}

pub(crate) async fn detach_tags(
    State(state): State<Arc<AppState>>,
    Query(query): Query<ChangeQuery>,
    body: Bytes,
) -> ApiResult {
    only_user_tags(tag_type(query.tag_type.as_deref())?)?;
    let (tags, crns) = read_change(&state, &body)?;
    Ok(ok(results(&state, &crns, |world, crn| {
        detach(world, crn, &tags)
    })))
}

// ---------------------------------------------------------------- search

/// One `field:value` term of a query.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Term {
    field: String,
    value: String,
    /// A trailing unescaped `*`: the value is a prefix.
    prefix: bool,
}

impl Term {
    fn matches(&self, resource: &Resource, tags: &[String]) -> bool {
        let equal = |actual: &str| {
            if self.prefix {
                actual.starts_with(&self.value)
            } else {
                actual == self.value
            }
        };
        match self.field.as_str() {
            "crn" => equal(&resource.crn),
            "name" => equal(&resource.name),
            "tags" => {
                let wanted = self.value.to_lowercase();
                tags.iter().any(|t| {
                    if self.prefix {
                        t.starts_with(&wanted)
                    } else {
                        *t == wanted
                    }
                })
            }
            "type" => equal(&resource.kind),
            "family" => equal(&resource.family),
            "region" => equal(&resource.region),
            "service_name" => equal(&resource.service_name),
            "resource_group_id" => resource.resource_group_id.as_deref().is_some_and(equal),
            _ => false,
        }
    }
}

const FIELDS: [&str; 8] = [
    "crn",
    "name",
    "tags",
    "type",
    "family",
    "region",
    "service_name",
    "resource_group_id",
];

/// `*`, or `field:value` terms joined by `AND`. Anything else is refused rather than
/// guessed at, so a client never mistakes an unsupported query for an empty result.
fn parse_query(text: &str) -> Result<Vec<Term>, String> {
    let unsupported = || {
        format!(
            "The sandbox's Global Search understands `*` and field:value terms joined by AND (fields {}), not: {text}",
            FIELDS.join(", ")
        )
    };
    let text = text.trim();
    if text.is_empty() || text == "*" {
        return Ok(Vec::new());
    }
    let chars: Vec<char> = text.chars().collect();
    let mut terms = Vec::new();
    let mut i = 0;
    loop {
        let start = i;
        while i < chars.len() && chars[i] != ':' && !chars[i].is_whitespace() {
            i += 1;
        }
        let field: String = chars[start..i].iter().collect();
        if field.is_empty() || chars.get(i) != Some(&':') || !FIELDS.contains(&field.as_str()) {
            return Err(unsupported());
        }
        i += 1;
        let mut value = String::new();
        let mut prefix = false;
        if chars.get(i) == Some(&'"') {
            i += 1;
            loop {
                match chars.get(i) {
                    None => return Err(unsupported()),
                    Some('"') => {
                        i += 1;
                        break;
                    }
                    Some('\\') => {
                        value.extend(chars.get(i + 1));
                        i += 2;
                    }
                    Some(c) => {
                        value.push(*c);
                        i += 1;
                    }
                }
            }
        } else {
            while let Some(c) = chars.get(i).filter(|c| !c.is_whitespace()) {
                match c {
                    '\\' => {
                        value.extend(chars.get(i + 1));
                        i += 2;
                    }
                    '*' if chars.get(i + 1).is_none_or(|n| n.is_whitespace()) => {
                        prefix = true;
                        i += 1;
                    }
                    _ => {
                        value.push(*c);
                        i += 1;
                    }
                }
            }
        }
        if value.is_empty() && !prefix {
            return Err(unsupported());
        }
        terms.push(Term {
            field,
            value,
            prefix,
        });
        while chars.get(i).is_some_and(|c| c.is_whitespace()) {
            i += 1;
        }
        if i >= chars.len() {
            return Ok(terms);
        }
        let rest: String = chars[i..].iter().take(4).collect();
        if !rest.starts_with("AND") || !rest[3..].starts_with(char::is_whitespace) {
            return Err(unsupported());
        }
        i += 3;
        while chars.get(i).is_some_and(|c| c.is_whitespace()) {
            i += 1;
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct SearchQuery {
    limit: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct SearchBody {
    query: Option<String>,
    fields: Option<Vec<String>>,
    search_cursor: Option<String>,
}

/// What a `search_cursor` carries: the search and where the next page starts.
#[derive(Debug, Serialize, Deserialize)]
struct Cursor {
    query: String,
    fields: Vec<String>,
    offset: usize,
}

fn encode_cursor(cursor: &Cursor) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(serde_json::to_vec(cursor).unwrap_or_default())
}

fn decode_cursor(text: &str) -> Result<Cursor, ApiError> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| {
            bad(
                SEARCH,
                "invalid_search_cursor",
                "The search_cursor is not valid: pass the one the previous page returned.",
            )
        })
}

pub(crate) async fn search(
    State(state): State<Arc<AppState>>,
    Query(params): Query<SearchQuery>,
    body: Bytes,
) -> ApiResult {
    let body: SearchBody = if body.is_empty() {
        SearchBody::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| {
            bad(
                SEARCH,
                "invalid_body",
                format!("The request body is not valid JSON: {e}"),
            )
        })?
    };
    let limit = number(SEARCH, "limit", params.limit.as_deref())?.unwrap_or(10);
    if !(1..=1000).contains(&limit) {
        return Err(bad(
            SEARCH,
            "invalid_limit",
            format!("The limit {limit} is not valid: use 1 to 1000."),
        ));
    }
    // With a cursor the rest of the body is ignored, as IBM's SDK documents.
    let cursor = match &body.search_cursor {
        Some(text) => decode_cursor(text)?,
        None => Cursor {
            query: body.query.unwrap_or_else(|| "*".to_owned()),
            fields: body
                .fields
                .unwrap_or_else(|| DEFAULT_FIELDS.iter().map(|f| (*f).to_owned()).collect()),
            offset: 0,
        },
    };
    let terms = parse_query(&cursor.query).map_err(|m| bad(SEARCH, "invalid_query", m))?;
    let everything = cursor.fields.iter().any(|f| f == "*");
    let found: Vec<Map<String, Value>> = state.store.read(|world| {
        let mut matching: Vec<Resource> = live_resources(&state, world)
            .into_iter()
            .filter(|r| terms.iter().all(|t| t.matches(r, tags_of(world, &r.crn))))
            .collect();
        matching.sort_by(|a, b| a.crn.cmp(&b.crn));
        matching
            .iter()
            .skip(cursor.offset)
            .take(limit)
            .map(|r| r.document(&state, tags_of(world, &r.crn)))
            .collect()
    });
    let items: Vec<Value> = found
        .into_iter()
        .map(|mut doc| {
            if !everything {
                doc.retain(|k, _| k == "crn" || cursor.fields.iter().any(|f| f == k));
            }
            Value::Object(doc)
        })
        .collect();
    let next = Cursor {
        offset: cursor.offset + items.len(),
        ..cursor
    };
    Ok(ok(json!({
        "search_cursor": encode_cursor(&next),
        "limit": limit,
        "items": items,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn term(field: &str, value: &str, prefix: bool) -> Term {
        Term {
            field: field.into(),
            value: value.into(),
            prefix,
        }
    }

    #[test]
    fn queries_read_quoted_escaped_and_joined_terms() {
        let crn = "crn:v1:bluemix:public:databases-for-postgresql:ca-mon:a/acct:guid::";
        assert_eq!(
            parse_query(&format!("crn:\"{crn}\"")).unwrap(),
            vec![term("crn", crn, false)]
        );
        assert_eq!(
            parse_query(&format!("crn:{}", crn.replace(':', "\\:"))).unwrap(),
            vec![term("crn", crn, false)]
        );
        assert_eq!(
            parse_query(r#"tags:"onramp:managed" AND type:resource-instance"#).unwrap(),
            vec![
                term("tags", "onramp:managed", false),
                term("type", "resource-instance", false)
            ]
        );
        assert_eq!(
            parse_query("name:pg-*").unwrap(),
            vec![term("name", "pg-", true)]
        );
        assert!(parse_query("*").unwrap().is_empty());
        for bad in ["pg-onramp", "colour:blue", "name:a OR name:b", "crn:\"open"] {
            assert!(parse_query(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn tags_are_lowercased_and_checked() {
        assert_eq!(normalize_tag(" Env:Dev ").unwrap(), "env:dev");
        assert!(normalize_tag("a,b").is_err());
        assert!(normalize_tag("").is_err());
        assert!(normalize_tag(&"x".repeat(129)).is_err());
    }
}
