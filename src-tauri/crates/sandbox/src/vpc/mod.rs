//! VPC (`/vpc/<region>/v1/…`): VPCs, subnets and their reserved IPs, SSH keys, images,
//! instance profiles, instances, floating IPs, security groups and rules, and endpoint
//! gateways, with the `version`/`generation` query parameters every call must carry.
//!
//! Addresses are virtual and shown as the real service would show them (10.x subnets,
//! 203.0.113.0/24 floating IPs, a documentation range); nothing ever connects to them. An
//! instance is backed by a real SSH server on loopback (the jump host) that accepts the
//! keys given at create and forwards only to the endpoint gateways of its VPC. New
//! resources read `pending` for a moment and then settle, so clients have to poll as they
//! do on the real service.

use std::{net::Ipv4Addr, sync::Arc};

use axum::{
    body::Bytes,
    extract::{Path, Query, Request, State},
    http::StatusCode,
    middleware::Next,
    response::Response,
};
use base64::Engine;
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::{
    api::{now, ok, timestamp, with_status, Api, ApiError, ApiResult},
    server::AppState,
    store::{Doc, World},
};

const API: Api = Api::Vpc;
/// How long a new resource reads `pending` (or `starting`).
const SETTLE_MS: i64 = 800;
/// From this `version` on, `GET /instance/profiles` is paginated.
const PAGINATED_PROFILES_FROM: &str = "2026-04-07";

pub(crate) const REGIONS: [(&str, &str); 13] = [
    ("us-south", "r006"),
    ("us-east", "r014"),
    ("br-sao", "r042"),
    ("ca-tor", "r038"),
    ("ca-mon", "r058"),
    ("eu-gb", "r018"),
    ("eu-de", "r010"),
    ("eu-es", "r050"),
    ("jp-tok", "r022"),
    ("jp-osa", "r034"),
    ("au-syd", "r026"),
    ("in-che", "r062"),
    ("in-mum", "r066"),
];

fn region_prefix(region: &str) -> &'static str {
    REGIONS
        .iter()
        .find(|(r, _)| *r == region)
        .map(|(_, p)| *p)
        .unwrap_or("r099")
}

fn bad(code: &str, message: impl Into<String>) -> ApiError {
    ApiError::bad_request(API, code, message)
}

fn missing(field: &str) -> ApiError {
    bad(
        "validation_required_field_missing",
        format!("The field '{field}' is required."),
    )
    .target(field, "field", Value::Null)
}

#[derive(Debug, Deserialize)]
pub(crate) struct Common {
    version: Option<String>,
    limit: Option<usize>,
    start: Option<String>,
}

/// Every VPC call must carry `version=YYYY-MM-DD` (and `generation=2`, which IBM's SDKs
/// always send), and name a VPC region.
pub(crate) async fn check_query(req: Request, next: Next) -> Response {
    let query = req.uri().query().unwrap_or("");
    let params: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let region = req
        .uri()
        .path()
        .split('/')
        .nth(2)
        .unwrap_or_default()
        .to_owned();
    if !REGIONS.iter().any(|(r, _)| *r == region) {
        return axum::response::IntoResponse::into_response(
            ApiError::new(
                API,
                StatusCode::NOT_FOUND,
                "not_found",
                format!("The region '{region}' is not a VPC region."),
            )
            .target("region", "parameter", json!(region)),
        );
    }
    match get("version") {
        None => {
            return axum::response::IntoResponse::into_response(
                bad(
                    "missing_version",
                    "The version query parameter is required (YYYY-MM-DD).",
                )
                .target("version", "parameter", Value::Null),
            )
        }
        Some(v) if chrono::NaiveDate::parse_from_str(&v, "%Y-%m-%d").is_err() => {
            return axum::response::IntoResponse::into_response(
                bad(
                    "bad_version",
                    format!("The version '{v}' is not a date of the form YYYY-MM-DD."),
                )
                .target("version", "parameter", json!(v)),
            )
        }
        Some(_) => {}
    }
    if let Some(g) = get("generation") {
        if g != "2" {
            return axum::response::IntoResponse::into_response(
                bad(
                    "bad_generation",
                    format!("The generation '{g}' is not supported: use generation=2."),
                )
                .target("generation", "parameter", json!(g)),
            );
        }
    }
    next.run(req).await
}

/// The region a request is for and the hrefs it answers with.
struct Ctx<'a> {
    state: &'a AppState,
    region: String,
    base: String,
}

impl<'a> Ctx<'a> {
    fn new(state: &'a AppState, region: &str) -> Self {
        Ctx {
            state,
            region: region.to_owned(),
            base: format!("{}/vpc/{region}/v1", state.base_url),
        }
    }

    fn id(&self) -> String {
        format!("{}-{}", region_prefix(&self.region), uuid::Uuid::new_v4())
    }

    fn crn(&self, scope: &str, kind: &str, id: &str) -> String {
        format!(
            "crn:v1:bluemix:public:is:{scope}:a/{}::{kind}:{id}",
            self.state.account.account_id
        )
    }

    fn href(&self, path: &str) -> String {
        format!("{}/{path}", self.base)
    }

    fn zone(&self, name: &str) -> Value {
        json!({"href": self.href(&format!("regions/{}/zones/{name}", self.region)), "name": name})
    }

    fn zones(&self) -> Vec<String> {
        (1..=3).map(|i| format!("{}-{i}", self.region)).collect()
    }

    fn group(&self, id: Option<&str>) -> Result<Value, ApiError> {
        let groups = self.state.store.read(|w| w.resource_groups.clone());
        let group = match id {
            Some(id) => groups.iter().find(|g| g.id == id),
            None => groups.iter().find(|g| g.default),
        }
        .ok_or_else(|| {
            bad(
                "resource_group_not_found",
                format!(
                    "The resource group '{}' was not found.",
                    id.unwrap_or("default")
                ),
            )
            .target("resource_group.id", "field", json!(id))
        })?;
        Ok(json!({
            "href": format!("{}/rc/v2/resource_groups/{}", self.state.base_url, group.id),
            "id": group.id,
            "name": group.name,
        }))
    }

    fn doc(&self, kind: &str, id: &str) -> Result<Doc, ApiError> {
        self.state
            .store
            .read(|w| w.docs.get(id).cloned())
            .filter(|d| d.kind == kind && d.region.as_deref() == Some(self.region.as_str()))
            .ok_or_else(|| ApiError::not_found(API, &kind.replace('_', " "), id))
    }

    /// A resource a request body refers to: a 400 at that field when it does not exist.
    fn referenced(&self, kind: &str, label: &str, id: &str, field: &str) -> Result<Doc, ApiError> {
        self.doc(kind, id).map_err(|_| {
            bad(
                "not_found",
                format!("The {label} '{id}' was not found in {}.", self.region),
            )
            .target(field, "field", json!(id))
        })
    }

    fn insert(&self, kind: &str, body: &Value) {
        let id = body["id"].as_str().unwrap_or_default().to_owned();
        let doc = Doc {
            kind: kind.to_owned(),
            region: Some(self.region.clone()),
            body: body.clone(),
            created_at: now(),
        };
        self.state.store.write(|w| w.docs.insert(id, doc));
    }
}

fn reference(body: &Value, resource_type: Option<&str>) -> Value {
    let mut r =
        json!({"crn": body["crn"], "href": body["href"], "id": body["id"], "name": body["name"]});
    if let Some(t) = resource_type {
        r["resource_type"] = json!(t);
    }
    r
}

/// What a GET shows: the stored body, still `pending` if it is brand new.
fn settle(doc: &Doc) -> Value {
    let mut body = doc.body.clone();
    let young = (now() - doc.created_at).num_milliseconds() < SETTLE_MS;
    match doc.kind.as_str() {
        "vpc" | "subnet" => body["status"] = json!(if young { "pending" } else { "available" }),
        "floating_ip" => body["status"] = json!(if young { "pending" } else { "available" }),
        "instance" => {
            body["status"] = json!(if young { "starting" } else { "running" });
            body["lifecycle_state"] = json!(if young { "pending" } else { "stable" });
        }
        "endpoint_gateway" => {
            body["lifecycle_state"] = json!(if young { "pending" } else { "stable" })
        }
        _ => {}
    }
    body
}

fn collection(ctx: &Ctx, path: &str, key: &str, items: Vec<Value>, common: &Common) -> Value {
    let limit = common.limit.unwrap_or(50).clamp(1, 100);
    let offset: usize = common
        .start
        .as_deref()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let total = items.len();
    let page: Vec<Value> = items.into_iter().skip(offset).take(limit).collect();
    let mut body = json!({
        "first": {"href": ctx.href(&format!("{path}?limit={limit}"))},
        "limit": limit,
        "total_count": total,
        key: page,
    });
    if offset + limit < total {
        body["next"] =
            json!({"href": ctx.href(&format!("{path}?limit={limit}&start={}", offset + limit))});
    }
    body
}

fn parse<T: serde::de::DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| {
        bad(
            "bad_request",
            format!("The request body is not valid JSON for this operation: {e}"),
        )
    })
}

fn id_of(v: &Value) -> Option<&str> {
    v.get("id").and_then(Value::as_str)
}

fn list_kind(ctx: &Ctx, kind: &str, keep: impl Fn(&Value) -> bool) -> Vec<Value> {
    ctx.state.store.read(|w| {
        let mut docs: Vec<&Doc> = w.docs_of(kind, Some(&ctx.region)).collect();
        docs.sort_by_key(|d| d.created_at);
        docs.into_iter().map(settle).filter(|b| keep(b)).collect()
    })
}

fn delete_doc(ctx: &Ctx, kind: &str, id: &str) -> ApiResult {
    ctx.doc(kind, id)?;
    ctx.state.store.write(|w| w.docs.remove(id));
    Ok(crate::api::no_content())
}

fn generated_name(prefix: &str) -> String {
    const WORDS: [&str; 8] = [
        "amber", "brisk", "cedar", "dune", "ember", "fjord", "grove", "harbor",
    ];
    use rand::Rng;
    let mut rng = rand::thread_rng();
    format!(
        "{prefix}-{}-{}",
        WORDS[rng.gen_range(0..WORDS.len())],
        rng.gen_range(100..999)
    )
}

fn name_taken(ctx: &Ctx, kind: &str, name: &str) -> bool {
    ctx.state.store.read(|w| {
        w.docs_of(kind, Some(&ctx.region))
            .any(|d| d.body["name"].as_str() == Some(name))
    })
}

fn check_name(
    ctx: &Ctx,
    kind: &str,
    name: &Option<String>,
    label: &str,
) -> Result<String, ApiError> {
    let name = name.clone().unwrap_or_else(|| generated_name(label));
    let valid = name.len() <= 63
        && name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.ends_with('-');
    if !valid {
        return Err(bad(
            "validation_invalid_name",
            format!("The name '{name}' is not valid: use lowercase letters, digits and hyphens, starting with a letter, at most 63 characters."),
        )
        .target("name", "field", json!(name)));
    }
    if name_taken(ctx, kind, &name) {
        return Err(ApiError::new(
            API,
            StatusCode::CONFLICT,
            "validation_unique_failed",
            format!(
                "A {} named '{name}' already exists in this region.",
                kind.replace('_', " ")
            ),
        )
        .target("name", "field", json!(name)));
    }
    Ok(name)
}

#[derive(Debug, Deserialize)]
pub(crate) struct ListFilter {
    #[serde(rename = "vpc.id")]
    vpc_id: Option<String>,
    #[serde(rename = "zone.name")]
    zone_name: Option<String>,
    #[serde(rename = "resource_group.id")]
    resource_group_id: Option<String>,
    name: Option<String>,
    visibility: Option<String>,
    status: Option<String>,
    lifecycle_state: Option<String>,
}

impl ListFilter {
    fn keeps(&self, body: &Value) -> bool {
        let eq = |want: &Option<String>, got: &Value| {
            want.as_deref()
                .is_none_or(|w| w.split(',').any(|w| got.as_str() == Some(w)))
        };
        eq(&self.vpc_id, &body["vpc"]["id"])
            && eq(&self.zone_name, &body["zone"]["name"])
            && eq(&self.resource_group_id, &body["resource_group"]["id"])
            && eq(&self.name, &body["name"])
            && eq(&self.visibility, &body["visibility"])
            && eq(&self.status, &body["status"])
            && eq(&self.lifecycle_state, &body["lifecycle_state"])
    }
}

macro_rules! list_handler {
    ($fn:ident, $kind:literal, $path:literal, $key:literal) => {
        pub(crate) async fn $fn(
            State(state): State<Arc<AppState>>,
            Path(region): Path<String>,
            Query(common): Query<Common>,
            Query(filter): Query<ListFilter>,
        ) -> Response {
            let ctx = Ctx::new(&state, &region);
            let items = list_kind(&ctx, $kind, |b| filter.keeps(b));
            ok(collection(&ctx, $path, $key, items, &common))
        }
    };
}

macro_rules! get_handler {
    ($fn:ident, $kind:literal) => {
        pub(crate) async fn $fn(
            State(state): State<Arc<AppState>>,
            Path((region, id)): Path<(String, String)>,
        ) -> ApiResult {
            let ctx = Ctx::new(&state, &region);
            Ok(ok(settle(&ctx.doc($kind, &id)?)))
        }
    };
}

list_handler!(list_vpcs, "vpc", "vpcs", "vpcs");
get_handler!(get_vpc, "vpc");
list_handler!(list_subnets, "subnet", "subnets", "subnets");
get_handler!(get_subnet, "subnet");
list_handler!(list_keys, "key", "keys", "keys");
get_handler!(get_key, "key");
list_handler!(
    list_floating_ips,
    "floating_ip",
    "floating_ips",
    "floating_ips"
);
get_handler!(get_floating_ip, "floating_ip");
list_handler!(
    list_security_groups,
    "security_group",
    "security_groups",
    "security_groups"
);
get_handler!(get_security_group, "security_group");
list_handler!(
    list_endpoint_gateways,
    "endpoint_gateway",
    "endpoint_gateways",
    "endpoint_gateways"
);
get_handler!(get_endpoint_gateway, "endpoint_gateway");

fn in_use(ctx: &Ctx, check: impl Fn(&World) -> Option<String>) -> Result<(), ApiError> {
    match ctx.state.store.read(check) {
        Some(message) => Err(ApiError::new(
            API,
            StatusCode::CONFLICT,
            "resource_in_use",
            message,
        )),
        None => Ok(()),
    }
}

mod endpoint_gateways;
mod floating_ips;
mod images;
mod instances;
mod keys;
mod regions;
mod security_groups;
mod subnets;
mod vpcs;

pub(crate) use endpoint_gateways::*;
pub(crate) use floating_ips::*;
pub(crate) use images::*;
pub(crate) use instances::*;
pub(crate) use keys::*;
pub(crate) use regions::*;
pub(crate) use security_groups::*;
pub(crate) use subnets::*;
pub(crate) use vpcs::*;
