//! Context-based restrictions (`/cbr/v1/zones`, `/cbr/v1/rules`): network zones and the
//! rules that tie a zone to the database. `PUT` needs the `If-Match` ETag from a `GET`, as
//! on the real service. The sandbox stores the rules but does not enforce them on its
//! PostgreSQL (Gen 2's own docs say CBR is not yet enforced there; contract/cbr.md).

use std::sync::Arc;

use axum::{
    body::Bytes,
    extract::{Path, Query, State},
    http::{HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::{
    account::Caller,
    api::{hex_id, no_content, now, timestamp, Api, ApiError, ApiResult},
    server::AppState,
    store::Doc,
};

const API: Api = Api::Cbr;
const DATA_PLANE_API_TYPE: &str =
    "crn:v1:bluemix:public:context-based-restrictions::::api-type:data-plane";

fn bad(code: &str, message: impl Into<String>) -> ApiError {
    ApiError::bad_request(API, code, message)
}

fn etag(body: &Value) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(body.to_string().as_bytes());
    format!(
        "\"{}\"",
        digest[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    )
}

fn with_etag(status: StatusCode, body: Value) -> Response {
    let tag = etag(&body);
    let mut response = (status, Json(body)).into_response();
    if let Ok(value) = HeaderValue::from_str(&tag) {
        response.headers_mut().insert("etag", value);
    }
    response
}

fn check_account(state: &AppState, account: Option<&str>) -> Result<(), ApiError> {
    match account {
        None => Err(
            bad("missing_account_id", "The account_id is required.").target(
                "account_id",
                "field",
                Value::Null,
            ),
        ),
        Some(a) if a != state.account.account_id => Err(ApiError::new(
            API,
            StatusCode::FORBIDDEN,
            "insufficient_permissions",
            format!("The caller has no access to account {a}."),
        )),
        Some(_) => Ok(()),
    }
}

fn check_addresses(addresses: &Value, field: &str, required: bool) -> Result<usize, ApiError> {
    let list = match addresses.as_array() {
        Some(list) => list,
        None if !required && addresses.is_null() => return Ok(0),
        None => {
            return Err(bad(
                "missing_addresses",
                format!("{field} must be a list of addresses."),
            )
            .target(field, "field", Value::Null))
        }
    };
    if required && list.is_empty() {
        return Err(
            bad("missing_addresses", "A zone needs at least one address.").target(
                field,
                "field",
                json!([]),
            ),
        );
    }
    for address in list {
        let kind = address["type"].as_str().unwrap_or_default();
        let value = address["value"].as_str().unwrap_or_default();
        let valid = match kind {
            "ipAddress" => value.parse::<std::net::IpAddr>().is_ok(),
            "ipRange" => value.split_once('-').is_some_and(|(a, b)| {
                a.parse::<std::net::IpAddr>().is_ok() && b.parse::<std::net::IpAddr>().is_ok()
            }),
            "subnet" => value.split_once('/').is_some_and(|(ip, bits)| {
                ip.parse::<std::net::IpAddr>().is_ok() && bits.parse::<u8>().is_ok()
            }),
            "vpc" | "instance" => value.starts_with("crn:v1:"),
            "serviceRef" => address["ref"].is_object(),
            _ => false,
        };
        if !valid {
            return Err(bad(
                "invalid_address",
                format!("The address {{type: '{kind}', value: '{value}'}} is not valid."),
            )
            .target(field, "field", address.clone()));
        }
    }
    Ok(list.len())
}

/// Who made a zone or rule, and who changed it last.
struct Authors<'a> {
    created_by: &'a str,
    modified_by: &'a str,
}

impl<'a> Authors<'a> {
    fn new(caller: &'a Caller) -> Self {
        Authors {
            created_by: &caller.iam_id,
            modified_by: &caller.iam_id,
        }
    }

    /// A replace: the creator stays, the caller is the last to modify.
    fn replacing(current: &'a Value, caller: &'a Caller) -> Self {
        Authors {
            created_by: current["created_by_id"].as_str().unwrap_or(&caller.iam_id),
            modified_by: &caller.iam_id,
        }
    }
}

fn zone_body(
    state: &AppState,
    id: &str,
    request: &Value,
    created: &str,
    authors: &Authors,
) -> Value {
    let addresses = request["addresses"].clone();
    let excluded = if request["excluded"].is_array() {
        request["excluded"].clone()
    } else {
        json!([])
    };
    json!({
        "id": id,
        "crn": format!("crn:v1:bluemix:public:context-based-restrictions::a/{}::zone:{id}", state.account.account_id),
        "address_count": addresses.as_array().map_or(0, Vec::len),
        "excluded_count": excluded.as_array().map_or(0, Vec::len),
        "name": request["name"],
        "account_id": state.account.account_id,
        "description": request["description"].as_str().unwrap_or(""),
        "addresses": addresses,
        "excluded": excluded,
        "href": format!("{}/cbr/v1/zones/{id}", state.base_url),
        "created_at": created,
        "created_by_id": authors.created_by,
        "last_modified_at": timestamp(now()),
        "last_modified_by_id": authors.modified_by,
    })
}

fn check_zone(state: &AppState, request: &Value) -> Result<(), ApiError> {
    if request["name"].as_str().is_none_or(|n| n.trim().is_empty()) {
        return Err(bad("missing_name", "The zone name is required.").target(
            "name",
            "field",
            Value::Null,
        ));
    }
    check_account(state, request["account_id"].as_str())?;
    check_addresses(&request["addresses"], "addresses", true)?;
    check_addresses(&request["excluded"], "excluded", false)?;
    Ok(())
}

fn parse(body: &Bytes) -> Result<Value, ApiError> {
    serde_json::from_slice(body).map_err(|e| {
        bad(
            "invalid_body",
            format!("The request body is not valid JSON: {e}"),
        )
    })
}

pub(crate) async fn create_zone(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    body: Bytes,
) -> ApiResult {
    let request = parse(&body)?;
    check_zone(&state, &request)?;
    let name = request["name"].as_str().unwrap_or_default();
    let taken = state.store.read(|w| {
        w.docs_of("cbr_zone", None)
            .any(|d| d.body["name"].as_str() == Some(name))
    });
    if taken {
        return Err(ApiError::new(
            API,
            StatusCode::CONFLICT,
            "zone_name_conflict",
            format!("A network zone named '{name}' already exists."),
        ));
    }
    let id = hex_id(16);
    let zone = zone_body(
        &state,
        &id,
        &request,
        &timestamp(now()),
        &Authors::new(&caller),
    );
    store(&state, "cbr_zone", &id, &zone);
    Ok(with_etag(StatusCode::CREATED, zone))
}

fn store(state: &AppState, kind: &str, id: &str, body: &Value) {
    let doc = Doc {
        kind: kind.into(),
        region: None,
        body: body.clone(),
        created_at: now(),
    };
    state.store.write(|w| w.docs.insert(id.to_owned(), doc));
}

fn find(state: &AppState, kind: &str, id: &str, what: &str) -> Result<Value, ApiError> {
    state
        .store
        .read(|w| {
            w.docs
                .get(id)
                .filter(|d| d.kind == kind)
                .map(|d| d.body.clone())
        })
        .ok_or_else(|| ApiError::not_found(API, what, id))
}

pub(crate) async fn get_zone(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult {
    Ok(with_etag(
        StatusCode::OK,
        find(&state, "cbr_zone", &id, "zone")?,
    ))
}

fn check_if_match(headers: &HeaderMap, current: &Value) -> Result<(), ApiError> {
    let given = headers.get("if-match").and_then(|v| v.to_str().ok());
    match given {
        None => Err(ApiError::new(
            API,
            StatusCode::PRECONDITION_REQUIRED,
            "missing_if_match",
            "The If-Match header is required: send the ETag from a GET.",
        )),
        Some(tag) if tag != etag(current) && tag != "*" => Err(ApiError::new(
            API,
            StatusCode::PRECONDITION_FAILED,
            "precondition_failed",
            "The resource changed since the ETag in If-Match was read; GET it again.",
        )),
        Some(_) => Ok(()),
    }
}

pub(crate) async fn replace_zone(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let current = find(&state, "cbr_zone", &id, "zone")?;
    check_if_match(&headers, &current)?;
    let request = parse(&body)?;
    check_zone(&state, &request)?;
    let zone = zone_body(
        &state,
        &id,
        &request,
        current["created_at"].as_str().unwrap_or_default(),
        &Authors::replacing(&current, &caller),
    );
    store(&state, "cbr_zone", &id, &zone);
    Ok(with_etag(StatusCode::OK, zone))
}

pub(crate) async fn delete_zone(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult {
    find(&state, "cbr_zone", &id, "zone")?;
    let used = state.store.read(|w| {
        w.docs_of("cbr_rule", None)
            .any(|d| d.body.to_string().contains(&format!("\"value\":\"{id}\"")))
    });
    if used {
        return Err(ApiError::new(
            API,
            StatusCode::CONFLICT,
            "zone_in_use",
            "A rule still refers to this zone; delete the rule first.",
        ));
    }
    state.store.write(|w| w.docs.remove(&id));
    Ok(no_content())
}

#[derive(Debug, Deserialize)]
pub(crate) struct ListQuery {
    account_id: Option<String>,
    name: Option<String>,
    service_name: Option<String>,
    service_instance: Option<String>,
    zone_id: Option<String>,
}

pub(crate) async fn list_zones(
    State(state): State<Arc<AppState>>,
    Query(query): Query<ListQuery>,
) -> ApiResult {
    check_account(&state, query.account_id.as_deref())?;
    let zones: Vec<Value> = state.store.read(|w| {
        w.docs_of("cbr_zone", None)
            .map(|d| d.body.clone())
            .filter(|z| query.name.as_deref().is_none_or(|n| z["name"].as_str() == Some(n)))
            .map(|z| {
                json!({"id": z["id"], "crn": z["crn"], "name": z["name"], "description": z["description"],
                       "addresses_preview": z["addresses"], "address_count": z["address_count"],
                       "excluded_count": z["excluded_count"], "href": z["href"],
                       "created_at": z["created_at"], "created_by_id": z["created_by_id"],
                       "last_modified_at": z["last_modified_at"], "last_modified_by_id": z["last_modified_by_id"]})
            })
            .collect()
    });
    Ok(Json(json!({"count": zones.len(), "zones": zones})).into_response())
}

fn attribute<'a>(attributes: &'a Value, name: &str) -> Option<&'a str> {
    attributes
        .as_array()?
        .iter()
        .find(|a| a["name"].as_str() == Some(name))?
        .get("value")?
        .as_str()
}

fn check_rule(state: &AppState, request: &Value) -> Result<Value, ApiError> {
    let resources = request["resources"]
        .as_array()
        .filter(|r| !r.is_empty())
        .ok_or_else(|| {
            bad("missing_resources", "A rule needs at least one resource.").target(
                "resources",
                "field",
                Value::Null,
            )
        })?;
    let mut resources = resources.clone();
    for resource in &mut resources {
        let attributes = &resource["attributes"];
        check_account(state, attribute(attributes, "accountId"))?;
        if attribute(attributes, "serviceName").is_none() {
            return Err(bad(
                "missing_service_name",
                "A rule's resource needs a serviceName attribute.",
            )
            .target("resources[].attributes", "field", attributes.clone()));
        }
        if let Some(list) = resource["attributes"].as_array_mut() {
            for a in list {
                if a.get("operator").is_none() {
                    a["operator"] = json!("stringEquals");
                }
            }
        }
    }
    // Cloud Databases takes only data-plane rules, enforced (its CBR page; contract/cbr.md).
    let databases = resources.iter().any(|r| {
        attribute(&r["attributes"], "serviceName").is_some_and(|n| n.starts_with("databases-for-"))
    });
    if databases {
        let api_types: Vec<&str> = request["operations"]["api_types"]
            .as_array()
            .map(|a| a.iter().filter_map(|t| t["api_type_id"].as_str()).collect())
            .unwrap_or_default();
        if api_types != [DATA_PLANE_API_TYPE] {
            return Err(bad(
                "invalid_api_type",
                format!("Cloud Databases supports only the data-plane API type ({DATA_PLANE_API_TYPE}) in a rule's operations."),
            )
            .target("operations.api_types", "field", json!(api_types)));
        }
        if request["enforcement_mode"]
            .as_str()
            .is_some_and(|m| m != "enabled")
        {
            return Err(bad(
                "invalid_enforcement_mode",
                "Cloud Databases supports only enforcement_mode 'enabled'; report-only is not available.",
            )
            .target("enforcement_mode", "field", request["enforcement_mode"].clone()));
        }
    }
    let contexts = request["contexts"].as_array().cloned().unwrap_or_default();
    for context in &contexts {
        if let Some(zone) = attribute(&context["attributes"], "networkZoneId") {
            if !state
                .store
                .read(|w| w.docs.get(zone).is_some_and(|d| d.kind == "cbr_zone"))
            {
                return Err(bad(
                    "zone_not_found",
                    format!("The network zone '{zone}' does not exist."),
                )
                .target("contexts[].attributes", "field", json!(zone)));
            }
        }
    }
    if let Some(mode) = request["enforcement_mode"].as_str() {
        if !["enabled", "disabled", "report"].contains(&mode) {
            return Err(bad(
                "invalid_enforcement_mode",
                format!("enforcement_mode '{mode}' is not valid: use enabled, disabled or report."),
            )
            .target("enforcement_mode", "field", json!(mode)));
        }
    }
    Ok(json!({"resources": resources, "contexts": contexts}))
}

fn rule_body(
    state: &AppState,
    id: &str,
    request: &Value,
    checked: Value,
    created: &str,
    authors: &Authors,
) -> Value {
    let mut rule = json!({
        "id": id,
        "crn": format!("crn:v1:bluemix:public:context-based-restrictions::a/{}::rule:{id}", state.account.account_id),
        "description": request["description"].as_str().unwrap_or(""),
        "contexts": checked["contexts"],
        "resources": checked["resources"],
        "enforcement_mode": request["enforcement_mode"].as_str().unwrap_or("enabled"),
        "href": format!("{}/cbr/v1/rules/{id}", state.base_url),
        "created_at": created,
        "created_by_id": authors.created_by,
        "last_modified_at": timestamp(now()),
        "last_modified_by_id": authors.modified_by,
    });
    if request["operations"].is_object() {
        rule["operations"] = request["operations"].clone();
    }
    rule
}

pub(crate) async fn create_rule(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    body: Bytes,
) -> ApiResult {
    let request = parse(&body)?;
    let checked = check_rule(&state, &request)?;
    let id = hex_id(16);
    let rule = rule_body(
        &state,
        &id,
        &request,
        checked,
        &timestamp(now()),
        &Authors::new(&caller),
    );
    store(&state, "cbr_rule", &id, &rule);
    Ok(with_etag(StatusCode::CREATED, rule))
}

pub(crate) async fn get_rule(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult {
    Ok(with_etag(
        StatusCode::OK,
        find(&state, "cbr_rule", &id, "rule")?,
    ))
}

pub(crate) async fn replace_rule(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let current = find(&state, "cbr_rule", &id, "rule")?;
    check_if_match(&headers, &current)?;
    let request = parse(&body)?;
    let checked = check_rule(&state, &request)?;
    let rule = rule_body(
        &state,
        &id,
        &request,
        checked,
        current["created_at"].as_str().unwrap_or_default(),
        &Authors::replacing(&current, &caller),
    );
    store(&state, "cbr_rule", &id, &rule);
    Ok(with_etag(StatusCode::OK, rule))
}

pub(crate) async fn delete_rule(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult {
    find(&state, "cbr_rule", &id, "rule")?;
    state.store.write(|w| w.docs.remove(&id));
    Ok(no_content())
}

pub(crate) async fn list_rules(
    State(state): State<Arc<AppState>>,
    Query(query): Query<ListQuery>,
) -> ApiResult {
    check_account(&state, query.account_id.as_deref())?;
    let rules: Vec<Value> = state.store.read(|w| {
        w.docs_of("cbr_rule", None)
            .map(|d| d.body.clone())
            .filter(|r| {
                let resources = r["resources"].to_string();
                query
                    .service_name
                    .as_deref()
                    .is_none_or(|s| resources.contains(&format!("\"value\":\"{s}\"")))
                    && query
                        .service_instance
                        .as_deref()
                        .is_none_or(|s| resources.contains(&format!("\"value\":\"{s}\"")))
                    && query.zone_id.as_deref().is_none_or(|z| {
                        r["contexts"]
                            .to_string()
                            .contains(&format!("\"value\":\"{z}\""))
                    })
            })
            .collect()
    });
    Ok(Json(json!({"count": rules.len(), "rules": rules})).into_response())
}
