//! IAM: `POST /identity/token` with the API-key grant, answering as IAM does: a JWT access
//! token (claims named as in IBM's tokens, `account.bss` the account id, `iam_id` the user
//! the key belongs to: the account's owner or one of its members) with
//! `refresh_token: "not_supported"`, or IAM's own error shape
//! `{"errorCode","errorMessage","context":{"requestId",…}}` with status 400.

use std::{
    collections::HashMap,
    sync::Arc,
    time::{SystemTime, UNIX_EPOCH},
};

use axum::{
    extract::{rejection::FormRejection, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    Form, Json,
};
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::{account::Caller, server::AppState};

const APIKEY_GRANT: &str = "urn:ibm:params:oauth:grant-type:apikey";

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn request_id() -> String {
    use rand::Rng;
    let n: u128 = rand::thread_rng().gen();
    format!("sbx-{n:032x}")
}

/// IAM's error body. The codes other than BXNIM0415E are not confirmed against the real
/// service (see contract/iam.md); the shape is.
fn iam_error(state: &AppState, status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!({
        "context": {
            "requestId": request_id(),
            "requestType": "incoming.Identity_Token",
            "userAgent": "",
            "url": state.base_url.clone() + "/iam",
            "instanceId": "onramp-sandbox",
            "threadId": "0",
            "host": "onramp-sandbox",
            "startTime": "",
            "endTime": "",
            "elapsedTime": "0",
            "locale": "en_US",
            "clusterName": "onramp-sandbox"
        },
        "errorCode": code,
        "errorMessage": message
    });
    (status, Json(body)).into_response()
}

pub(crate) async fn token(
    State(state): State<Arc<AppState>>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return iam_error(
            &state,
            StatusCode::BAD_REQUEST,
            "BXNIM0109E",
            "Property missing or empty. Property name: grant_type",
        );
    };
    match form.get("grant_type").map(String::as_str) {
        Some(APIKEY_GRANT) => {}
        None | Some("") => {
            return iam_error(
                &state,
                StatusCode::BAD_REQUEST,
                "BXNIM0109E",
                "Property missing or empty. Property name: grant_type",
            )
        }
        Some(other) => {
            return iam_error(
                &state,
                StatusCode::BAD_REQUEST,
                "BXNIM0103E",
                &format!("Operation not supported. Grant type: {other}"),
            )
        }
    }
    let apikey = form.get("apikey").map(String::as_str).unwrap_or("");
    if apikey.is_empty() {
        return iam_error(
            &state,
            StatusCode::BAD_REQUEST,
            "BXNIM0109E",
            "Property missing or empty. Property name: apikey",
        );
    }
    let user = if state.account.is_owner_key(apikey) {
        User::owner(&state)
    } else if let Some(member) = state.members.with_key(apikey) {
        User {
            iam_id: member.iam_id,
            name: member.name,
            email: member.email,
        }
    } else {
        return iam_error(
            &state,
            StatusCode::BAD_REQUEST,
            "BXNIM0415E",
            "Provided API key could not be found.",
        );
    };
    let issued = now();
    let expires_in = state.token_seconds;
    let expiration = issued + expires_in;
    let access_token = sign(&state, &claims(&state, &user, issued, expiration));
    Json(json!({
        "access_token": access_token,
        "refresh_token": "not_supported",
        "token_type": "Bearer",
        "expires_in": expires_in,
        "expiration": expiration,
        "scope": "ibm openid"
    }))
    .into_response()
}

/// Whose key was exchanged.
struct User {
    iam_id: String,
    name: String,
    email: String,
}

impl User {
    fn owner(state: &AppState) -> Self {
        User {
            iam_id: state.account.iam_id.clone(),
            name: state.account.user_name.clone(),
            email: state.account.email.clone(),
        }
    }
}

fn claims(state: &AppState, user: &User, issued: u64, expiration: u64) -> Value {
    let identifier = user.iam_id.trim_start_matches("IBMid-");
    let (given, family) = user.name.split_once(' ').unwrap_or((&user.name, ""));
    json!({
        "iam_id": user.iam_id,
        "id": user.iam_id,
        "realmid": "IBMid",
        "jti": request_id(),
        "identifier": identifier,
        "given_name": given,
        "family_name": family,
        "name": user.name,
        "email": user.email,
        "sub": user.email,
        "account": { "valid": true, "bss": state.account.account_id, "ims": "0" },
        "iat": issued,
        "exp": expiration,
        "iss": format!("{}/iam/identity", state.base_url),
        "grant_type": APIKEY_GRANT,
        "scope": "ibm openid",
        "client_id": "default",
        "acr": 1,
        "amr": ["pwd"]
    })
}

#[allow(
    clippy::expect_used,
    reason = "HMAC accepts a key of any length: this cannot fail"
)]
fn mac(state: &AppState) -> Hmac<Sha256> {
    Hmac::<Sha256>::new_from_slice(state.account.signing_secret.as_bytes())
        .expect("HMAC takes any key length")
}

fn sign(state: &AppState, claims: &Value) -> String {
    let enc = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let header = enc(br#"{"kid":"onramp-sandbox","alg":"HS256"}"#);
    let payload = enc(claims.to_string().as_bytes());
    let signing_input = format!("{header}.{payload}");
    let mut mac = mac(state);
    mac.update(signing_input.as_bytes());
    format!("{signing_input}.{}", enc(&mac.finalize().into_bytes()))
}

/// Checks a bearer token's signature and expiry; the services other than IAM call this.
pub(crate) fn verify(state: &AppState, token: &str) -> Result<Value, &'static str> {
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("malformed token");
    };
    let decode = |s: &str| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(s)
            .map_err(|_| "malformed token")
    };
    let mut mac = mac(state);
    mac.update(format!("{header}.{payload}").as_bytes());
    mac.verify_slice(&decode(signature)?)
        .map_err(|_| "bad signature")?;
    let claims: Value = serde_json::from_slice(&decode(payload)?).map_err(|_| "malformed token")?;
    let exp = claims
        .get("exp")
        .and_then(Value::as_u64)
        .ok_or("malformed token")?;
    if now() >= exp {
        return Err("expired token");
    }
    Ok(claims)
}

/// The caller a verified token names. A token without an `iam_id` (none this sandbox
/// issues) counts as the account's owner.
pub(crate) fn caller(state: &AppState, claims: &Value) -> Caller {
    Caller {
        iam_id: claims["iam_id"]
            .as_str()
            .filter(|id| !id.is_empty())
            .map_or_else(|| state.account.iam_id.clone(), str::to_owned),
    }
}
