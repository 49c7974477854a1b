//! IAM beyond the token: Policy Management (`/iam/v1/policies`, the service-to-service
//! authorizations BYOK and the observability routing need) and Identity
//! (`/iam/v1/apikeys/details`). The roles a policy may grant are in `iam_roles.rs`.

use std::sync::Arc;

use axum::{
    body::Bytes,
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode},
};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::{
    account::Caller,
    api::{hex_id, no_content, now, ok, timestamp, uuid, with_status, Api, ApiError, ApiResult},
    server::AppState,
    store::Doc,
};

const API: Api = Api::IamPolicy;

fn bad(code: &str, message: impl Into<String>) -> ApiError {
    ApiError::bad_request(API, code, message)
}

fn attribute<'a>(side: &'a Value, name: &str) -> Option<&'a str> {
    side["attributes"]
        .as_array()?
        .iter()
        .find(|a| a["name"].as_str() == Some(name))?
        .get("value")?
        .as_str()
}

fn check_side(state: &AppState, sides: &Value, what: &str) -> Result<Vec<Value>, ApiError> {
    let list = sides
        .as_array()
        .filter(|l| !l.is_empty())
        .ok_or_else(|| bad("invalid_body", format!("The policy needs {what}.")))?;
    let mut out = Vec::new();
    for side in list {
        match attribute(side, "accountId") {
            None => {
                return Err(bad(
                    "invalid_body",
                    format!("Each of the policy's {what} must include the accountId attribute."),
                ))
            }
            Some(a) if a != state.account.account_id => {
                return Err(ApiError::new(
                    API,
                    StatusCode::FORBIDDEN,
                    "insufficent_permissions",
                    format!("You are not allowed to create policies in account {a}."),
                ))
            }
            _ => {}
        }
        let mut side = side.clone();
        if let Some(attributes) = side["attributes"].as_array_mut() {
            for a in attributes {
                let value = a["value"].as_str().unwrap_or_default();
                if value.is_empty() || value.len() > 1000 {
                    return Err(bad(
                        "invalid_body",
                        "Attribute values must be 1 to 1000 characters.",
                    ));
                }
                if a.get("operator").is_none() {
                    a["operator"] = json!("stringEquals");
                }
            }
        }
        out.push(side);
    }
    Ok(out)
}

/// Whether an authorization lets Databases for PostgreSQL read keys in this Key Protect
/// instance.
pub(crate) fn authorizes_kms(state: &AppState, kms_instance: &str) -> bool {
    authorizes(
        state,
        crate::catalog::SERVICE_ID,
        "kms",
        kms_instance,
        "Reader",
    )
}

/// Whether an authorization lets `source` (a service name) act on `target_instance` of
/// `target_service` with the role named `role` (display name; any of its CRNs counts). A
/// policy on the whole target service, or on that one instance, covers it.
pub(crate) fn authorizes(
    state: &AppState,
    source: &str,
    target_service: &str,
    target_instance: &str,
    role: &str,
) -> bool {
    state.store.read(|w| {
        w.docs_of("policy", None).any(|d| {
            let p = &d.body;
            let subject_ok = p["subjects"].as_array().is_some_and(|s| {
                s.iter()
                    .any(|s| attribute(s, "serviceName") == Some(source))
            });
            let resource_ok = p["resources"].as_array().is_some_and(|r| {
                r.iter().any(|r| {
                    attribute(r, "serviceName") == Some(target_service)
                        && attribute(r, "serviceInstance").is_none_or(|i| i == target_instance)
                })
            });
            let granted = p["roles"].as_array().is_some_and(|r| {
                r.iter().any(|r| {
                    r["role_id"]
                        .as_str()
                        .and_then(crate::iam_roles::find)
                        .is_some_and(|found| found.display_name == role)
                })
            });
            p["type"].as_str() == Some("authorization") && subject_ok && resource_ok && granted
        })
    })
}

fn comparable(p: &Value) -> Value {
    json!({"type": p["type"], "subjects": p["subjects"], "resources": p["resources"]})
}

pub(crate) async fn create_policy(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    body: Bytes,
) -> ApiResult {
    let request: Value = serde_json::from_slice(&body).map_err(|e| {
        bad(
            "invalid_body",
            format!("The request body is not valid JSON: {e}"),
        )
    })?;
    let kind = request["type"].as_str().unwrap_or_default();
    if kind != "authorization" && kind != "access" {
        return Err(bad(
            "invalid_body",
            format!("The policy type '{kind}' is not valid: use access or authorization."),
        ));
    }
    let subjects = check_side(&state, &request["subjects"], "subjects")?;
    let resources = check_side(&state, &request["resources"], "resources")?;
    if kind == "authorization"
        && !subjects.iter().all(|s| {
            attribute(s, "serviceName").is_some() || attribute(s, "resourceGroupId").is_some()
        })
    {
        return Err(bad(
            "invalid_body",
            "An authorization's subject must include serviceName or resourceGroupId.",
        ));
    }
    let roles = request["roles"]
        .as_array()
        .filter(|r| !r.is_empty())
        .ok_or_else(|| bad("invalid_body", "The policy needs at least one role."))?
        .iter()
        .map(|r| {
            let id = r["role_id"].as_str().unwrap_or_default();
            crate::iam_roles::find(id)
                .map(|role| json!({"role_id": id, "display_name": role.display_name}))
                .ok_or_else(|| {
                    ApiError::new(
                        API,
                        StatusCode::BAD_REQUEST,
                        "role_not_found",
                        format!("The role '{id}' does not exist."),
                    )
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let id = uuid();
    let at = timestamp(now());
    let policy = json!({
        "id": id,
        "type": kind,
        "description": request["description"].as_str().unwrap_or(""),
        "subjects": subjects,
        "roles": roles,
        "resources": resources,
        "href": format!("{}/iam/v1/policies/{id}", state.base_url),
        "created_at": at,
        "created_by_id": caller.iam_id,
        "last_modified_at": at,
        "last_modified_by_id": caller.iam_id,
        "state": "active",
    });
    let conflict = state.store.read(|w| {
        w.docs_of("policy", None)
            .find(|d| comparable(&d.body) == comparable(&policy))
            .map(|d| d.body.clone())
    });
    if let Some(existing) = conflict {
        let mut error = ApiError::new(
            API,
            StatusCode::CONFLICT,
            "policy_conflict_error",
            "Failed to create policy.",
        );
        error.target = None;
        tracing::info!(
            existing = existing["id"].as_str().unwrap_or(""),
            "policy already exists"
        );
        return Err(error);
    }
    let doc = Doc {
        kind: "policy".into(),
        region: None,
        body: policy.clone(),
        created_at: now(),
    };
    state.store.write(|w| w.docs.insert(id, doc));
    Ok(with_status(StatusCode::CREATED, policy))
}

#[derive(Debug, Deserialize)]
pub(crate) struct PolicyQuery {
    account_id: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    service_type: Option<String>,
}

pub(crate) async fn list_policies(
    State(state): State<Arc<AppState>>,
    Query(query): Query<PolicyQuery>,
) -> ApiResult {
    let account = query.account_id.ok_or_else(|| {
        bad(
            "missing_required_query_parameter",
            "The account_id query parameter is required.",
        )
    })?;
    if account != state.account.account_id {
        return Err(ApiError::new(
            API,
            StatusCode::FORBIDDEN,
            "insufficent_permissions",
            format!("You cannot list policies of account {account}."),
        ));
    }
    let policies: Vec<Value> = state.store.read(|w| {
        w.docs_of("policy", None)
            .map(|d| d.body.clone())
            .filter(|p| {
                query
                    .kind
                    .as_deref()
                    .is_none_or(|k| p["type"].as_str() == Some(k))
            })
            .filter(|_| query.service_type.is_none())
            .collect()
    });
    Ok(ok(json!({ "policies": policies })))
}

pub(crate) async fn get_policy(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult {
    state
        .store
        .read(|w| {
            w.docs
                .get(&id)
                .filter(|d| d.kind == "policy")
                .map(|d| d.body.clone())
        })
        .map(ok)
        .ok_or_else(|| {
            ApiError::new(
                API,
                StatusCode::NOT_FOUND,
                "policy_not_found",
                format!("Policy with ID {id} not found."),
            )
        })
}

pub(crate) async fn delete_policy(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult {
    let removed = state
        .store
        .write(|w| w.docs.remove(&id).filter(|d| d.kind == "policy"));
    if removed.is_none() {
        return Err(ApiError::new(
            API,
            StatusCode::NOT_FOUND,
            "policy_not_found",
            format!("Policy with ID {id} not found."),
        ));
    }
    Ok(no_content())
}

/// `GET /v1/apikeys/details` with the key in `IAM-ApiKey`.
pub(crate) async fn apikey_details(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
) -> ApiResult {
    let api = Api::IamIdentity;
    let key = headers
        .get("iam-apikey")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            ApiError::bad_request(
                api,
                "BXNIM0109E",
                "Property missing or empty. Property name: IAM-ApiKey",
            )
        })?;
    let account = &state.account;
    // The id is derived from the key, so it is stable and names no secret.
    let key_id = |key: &str| {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(key.as_bytes());
        format!(
            "ApiKey-{}",
            digest[..16]
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        )
    };
    let (iam_id, name, description) = if account.is_owner_key(key) {
        (
            account.iam_id.clone(),
            "onramp-sandbox-key".to_owned(),
            "The sandbox account's API key".to_owned(),
        )
    } else if let Some(member) = state.members.with_key(key) {
        (
            member.iam_id,
            "onramp-sandbox-member-key".to_owned(),
            format!(
                "The API key of {}, a member of the sandbox account",
                member.name
            ),
        )
    } else {
        return Err(ApiError::new(
            api,
            StatusCode::NOT_FOUND,
            "BXNIM0415E",
            "Provided API key could not be found.",
        ));
    };
    let id = key_id(key);
    let _ = hex_id;
    Ok(ok(json!({
        "id": id,
        "entity_tag": "1-sandbox",
        "crn": format!("crn:v1:bluemix:public:iam-identity::a/{}::apikey:{id}", account.account_id),
        "locked": false,
        "disabled": false,
        "created_at": "2026-01-01T00:00+0000",
        "created_by": iam_id,
        "modified_at": "2026-01-01T00:00+0000",
        "name": name,
        "description": description,
        "iam_id": iam_id,
        "account_id": account.account_id,
        "apikey": "",
        "support_sessions": false,
        "action_when_leaked": "none",
    })))
}
