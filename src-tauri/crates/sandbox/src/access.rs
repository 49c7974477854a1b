//! Who may read which instance: IBM Cloud shows an instance only to a caller with a role on
//! it. The sandbox's callers can read every instance unless the owner took a member's read
//! access away (`PUT /sandbox/access`), so Onramp's handling of an instance the user cannot
//! read (a chosen Monitoring or Cloud Logs instance) is rehearsed. A denied read answers
//! 403 and the instance drops out of the caller's lists, as IBM Cloud does. Kept in memory:
//! a restart gives every member its access back.

use std::{collections::HashSet, sync::Arc, sync::Mutex};

use axum::{
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde_json::json;

use crate::{account::Caller, iam, server::AppState};

/// `(iam_id, instance guid)` pairs whose reads are refused.
#[derive(Default)]
pub(crate) struct Access {
    denied: Mutex<HashSet<(String, String)>>,
}

impl Access {
    /// Whether `caller` may read the instance `guid`.
    pub(crate) fn may_read(&self, caller: &Caller, guid: &str) -> bool {
        !self
            .denied
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(&(caller.iam_id.clone(), guid.to_owned()))
    }

    pub(crate) fn set(&self, iam_id: String, guid: String, read: bool) {
        let mut denied = self.denied.lock().unwrap_or_else(|e| e.into_inner());
        if read {
            denied.remove(&(iam_id, guid));
        } else {
            denied.insert((iam_id, guid));
        }
    }
}

/// Refuses a request that does not carry the account owner's bearer token (the refusal is
/// boxed: a response is large).
pub(crate) fn owner_only(
    state: &AppState,
    headers: &HeaderMap,
    what: &str,
) -> Result<(), Box<Response>> {
    let refuse = |status: StatusCode, message: &str| {
        Box::new((status, Json(json!({ "error": message }))).into_response())
    };
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|h| {
            h.strip_prefix("Bearer ")
                .or_else(|| h.strip_prefix("bearer "))
        });
    let Some(token) = token else {
        return Err(refuse(
            StatusCode::UNAUTHORIZED,
            "send the account owner's bearer token (from the API key in endpoints.json)",
        ));
    };
    match iam::verify(state, token.trim()) {
        Ok(claims) if iam::caller(state, &claims).iam_id == state.account.iam_id => Ok(()),
        Ok(_) => Err(refuse(
            StatusCode::FORBIDDEN,
            &format!("only the account's owner can {what}"),
        )),
        Err(reason) => Err(refuse(StatusCode::UNAUTHORIZED, reason)),
    }
}

#[derive(serde::Deserialize)]
struct AccessBody {
    iam_id: String,
    /// The instance's CRN or GUID.
    instance: String,
    read: bool,
}

/// `PUT /sandbox/access {"iam_id", "instance", "read"}`: gives a member its read access to
/// an instance back, or takes it away. The owner's own access cannot be taken.
pub(crate) async fn put_access(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if let Err(refused) = owner_only(&state, &headers, "change read access") {
        return *refused;
    }
    let bad = |message: String| {
        (StatusCode::BAD_REQUEST, Json(json!({ "error": message }))).into_response()
    };
    let request = match serde_json::from_slice::<AccessBody>(&body) {
        Ok(request) => request,
        Err(e) => {
            return bad(format!(
            "expected {{\"iam_id\": \"…\", \"instance\": \"CRN or GUID\", \"read\": false}}: {e}"
        ))
        }
    };
    if request.iam_id == state.account.iam_id {
        return bad("the account's owner can always read its instances".to_owned());
    }
    let Some(instance) = crate::rc::find_instance(&state, &request.instance) else {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({ "error": format!("no instance {}", request.instance) })),
        )
            .into_response();
    };
    state
        .access
        .set(request.iam_id.clone(), instance.guid.clone(), request.read);
    tracing::info!(
        iam_id = request.iam_id,
        guid = instance.guid,
        read = request.read,
        "read access changed"
    );
    Json(json!({ "iam_id": request.iam_id, "instance": instance.guid, "read": request.read }))
        .into_response()
}
