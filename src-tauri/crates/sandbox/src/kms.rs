//! Key Protect (`/kms/<region>/api/v2/keys`, instance chosen by the `bluemix-instance`
//! header) and the check the database broker makes before it accepts a BYOK disk key: the
//! key must be an active root key, and a service-to-service authorization from Databases for
//! PostgreSQL to Key Protect with the Reader role must exist.
//!
//! A new sandbox has one Key Protect instance in `ca-mon` with two root keys and one standard
//! key, so the encryption step can be rehearsed without making anything first.

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
    api::{now, ok, timestamp, uuid, with_status, Api, ApiError, ApiResult},
    catalog::KMS_SERVICE_ID,
    server::AppState,
    store::{Doc, Instance},
};

const API: Api = Api::KeyProtect;
const KMS_PLAN_ID: &str = "sandbox-key-protect-tiered-pricing";
const KEY_TYPE: &str = "application/vnd.ibm.kms.key+json";

/// Seeds the Key Protect instance and its keys on a fresh sandbox.
pub(crate) fn seed(state: &AppState) {
    let has_kms = state.store.read(|w| {
        w.instances
            .values()
            .any(|i| i.resource_id == KMS_SERVICE_ID)
    });
    if has_kms {
        return;
    }
    let group = state
        .store
        .read(|w| {
            w.resource_groups
                .iter()
                .find(|g| g.default)
                .map(|g| g.id.clone())
        })
        .unwrap_or_default();
    let created = now();
    let guid = uuid();
    let instance = Instance {
        guid: guid.clone(),
        name: "onramp-sandbox-keys".into(),
        region: "ca-mon".into(),
        resource_group_id: group,
        resource_plan_id: KMS_PLAN_ID.into(),
        resource_id: KMS_SERVICE_ID.into(),
        target_crn: "crn:v1:bluemix:public:globalcatalog::::deployment:kms-ca-mon".into(),
        parameters: json!({}),
        tags: vec![],
        created_at: created,
        updated_at: created,
        created_by: state.account.iam_id.clone(),
        state: "active".into(),
        op_type: "create".into(),
        op_state: "succeeded".into(),
        op_description: "Completed create instance operation".into(),
        ready_at: created,
        fail_provision: false,
        deleted_at: None,
        deleted_by: None,
        postgres: None,
        vpe_ips: vec![],
        pending_update: None,
    };
    state.store.write(|w| {
        w.instances.insert(guid.clone(), instance);
    });
    for (name, extractable) in [
        ("pg-disk-root-key", false),
        ("backup-root-key", false),
        ("app-standard-key", true),
    ] {
        insert_key(
            state,
            "ca-mon",
            &guid,
            name,
            extractable,
            "",
            &state.account.iam_id,
        );
    }
}

fn insert_key(
    state: &AppState,
    region: &str,
    instance: &str,
    name: &str,
    extractable: bool,
    description: &str,
    created_by: &str,
) -> Value {
    let id = uuid();
    let at = timestamp(now());
    let key = json!({
        "type": KEY_TYPE,
        "id": id,
        "name": name,
        "description": description,
        "aliases": [],
        "state": 1,
        "extractable": extractable,
        "crn": format!("crn:v1:bluemix:public:kms:{region}:a/{}:{instance}:key:{id}", state.account.account_id),
        "keyRingID": "default",
        "algorithmType": "AES",
        "algorithmMetadata": {"bitLength": "256", "mode": "CBC_PAD"},
        "algorithmBitSize": 256,
        "algorithmMode": "CBC_PAD",
        "creationDate": at,
        "lastUpdateDate": at,
        "createdBy": created_by,
        "imported": false,
        "deleted": false,
        "dualAuthDelete": {"enabled": false},
        "keyVersion": {"id": id, "creationDate": at},
    });
    let doc = Doc {
        kind: "kms_key".into(),
        region: Some(region.to_owned()),
        body: json!({"instance": instance, "key": key}),
        created_at: now(),
    };
    state.store.write(|w| w.docs.insert(id, doc));
    key
}

fn instance_for(state: &AppState, region: &str, headers: &HeaderMap) -> Result<String, ApiError> {
    let guid = headers
        .get("bluemix-instance")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            ApiError::bad_request(
                API,
                "BAD_INSTANCE_ERR",
                "Bad Request: The bluemix-instance header is missing: send the Key Protect instance's GUID",
            )
        })?;
    let found = state.store.read(|w| {
        w.instances
            .get(guid)
            .is_some_and(|i| i.resource_id == KMS_SERVICE_ID && i.region == region)
    });
    if !found {
        return Err(ApiError::new(
            API,
            StatusCode::NOT_FOUND,
            "INSTANCE_NOT_FOUND_ERR",
            format!("Not Found: No Key Protect instance {guid} in {region}"),
        ));
    }
    Ok(guid.to_owned())
}

#[derive(Debug, Deserialize)]
pub(crate) struct KeyQuery {
    limit: Option<usize>,
    offset: Option<usize>,
    extractable: Option<bool>,
    state: Option<String>,
}

pub(crate) async fn list_keys(
    State(state): State<Arc<AppState>>,
    Path(region): Path<String>,
    headers: HeaderMap,
    Query(query): Query<KeyQuery>,
) -> ApiResult {
    let instance = instance_for(&state, &region, &headers)?;
    let states: Option<Vec<i64>> = query
        .state
        .as_deref()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect());
    let keys: Vec<Value> = state.store.read(|w| {
        let mut docs: Vec<&Doc> = w
            .docs_of("kms_key", Some(&region))
            .filter(|d| d.body["instance"].as_str() == Some(instance.as_str()))
            .collect();
        docs.sort_by_key(|d| d.created_at);
        docs.iter()
            .map(|d| d.body["key"].clone())
            .filter(|k| {
                query
                    .extractable
                    .is_none_or(|e| k["extractable"].as_bool() == Some(e))
            })
            .filter(|k| {
                states
                    .as_ref()
                    .is_none_or(|s| k["state"].as_i64().is_some_and(|v| s.contains(&v)))
            })
            .collect()
    });
    let total = keys.len();
    let page: Vec<Value> = keys
        .into_iter()
        .skip(query.offset.unwrap_or(0))
        .take(query.limit.unwrap_or(200).clamp(1, 5000))
        .collect();
    let _ = total;
    Ok(ok(json!({
        "metadata": {"collectionType": KEY_TYPE, "collectionTotal": page.len()},
        "resources": page,
    })))
}

pub(crate) async fn get_key(
    State(state): State<Arc<AppState>>,
    Path((region, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult {
    let instance = instance_for(&state, &region, &headers)?;
    let key = state
        .store
        .read(|w| {
            w.docs
                .get(&id)
                .filter(|d| {
                    d.kind == "kms_key" && d.body["instance"].as_str() == Some(instance.as_str())
                })
                .map(|d| d.body["key"].clone())
        })
        .ok_or_else(|| ApiError::not_found(API, "key", &id))?;
    Ok(ok(
        json!({"metadata": {"collectionType": KEY_TYPE, "collectionTotal": 1}, "resources": [key]}),
    ))
}

pub(crate) async fn create_key(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(region): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let instance = instance_for(&state, &region, &headers)?;
    let request: Value = serde_json::from_slice(&body).map_err(|e| {
        ApiError::bad_request(
            API,
            "BAD_BODY_ERR",
            format!("Bad Request: the body is not valid JSON: {e}"),
        )
    })?;
    let key = &request["resources"][0];
    let name = key["name"]
        .as_str()
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| {
            ApiError::bad_request(
                API,
                "KEY_NAME_REQ_ERR",
                "Bad Request: A key name is required",
            )
        })?;
    let extractable = key["extractable"].as_bool().unwrap_or(true);
    let created = insert_key(
        &state,
        &region,
        &instance,
        name,
        extractable,
        key["description"].as_str().unwrap_or(""),
        &caller.iam_id,
    );
    Ok(with_status(
        StatusCode::CREATED,
        json!({"metadata": {"collectionType": KEY_TYPE, "collectionTotal": 1}, "resources": [created]}),
    ))
}

/// The broker's check of a BYOK disk key, with its reason in the broker's wording.
pub(crate) fn check_byok(state: &AppState, crn: &str) -> Result<(), ApiError> {
    let parts: Vec<&str> = crn.split(':').collect();
    let (instance, key_id) = match parts.as_slice() {
        ["crn", "v1", _, _, "kms", _region, _account, instance, "key", key_id] => (*instance, *key_id),
        _ => {
            return Err(ApiError::broker(format!(
                "invalid encryption key '{crn}': expected a Key Protect root key CRN (crn:v1:bluemix:public:kms:<region>:a/<account>:<instance>:key:<key id>)."
            )))
        }
    };
    let key = state.store.read(|w| {
        w.docs
            .get(key_id)
            .filter(|d| d.kind == "kms_key")
            .map(|d| d.body["key"].clone())
    });
    let Some(key) = key else {
        return Err(ApiError::broker(format!(
            "invalid encryption key '{crn}': the key does not exist."
        )));
    };
    if key["extractable"].as_bool() != Some(false) {
        return Err(ApiError::broker(format!(
            "invalid encryption key '{crn}': the key is a standard key; a root key is required."
        )));
    }
    if key["state"].as_i64() != Some(1) {
        return Err(ApiError::broker(format!(
            "invalid encryption key '{crn}': the key is not active."
        )));
    }
    if !crate::iam_policy::authorizes_kms(state, instance) {
        return Err(ApiError::broker(format!(
            "the service is not authorized to use encryption key '{crn}': create an IAM service-to-service authorization from Databases for PostgreSQL to Key Protect (instance {instance}) with the Reader role, then try again."
        )));
    }
    Ok(())
}
