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

// ---------------------------------------------------------------- regions

pub(crate) async fn list_regions(
    State(state): State<Arc<AppState>>,
    Path(region): Path<String>,
) -> Response {
    let ctx = Ctx::new(&state, &region);
    let regions: Vec<Value> = REGIONS
        .iter()
        .map(|(name, _)| region_json(&ctx, name))
        .collect();
    ok(json!({ "regions": regions }))
}

fn region_json(ctx: &Ctx, name: &str) -> Value {
    json!({
        "endpoint": format!("{}/vpc/{name}", ctx.state.base_url),
        "href": ctx.href(&format!("regions/{name}")),
        "name": name,
        "status": "available",
    })
}

pub(crate) async fn get_region(
    State(state): State<Arc<AppState>>,
    Path((region, name)): Path<(String, String)>,
) -> ApiResult {
    let ctx = Ctx::new(&state, &region);
    if !REGIONS.iter().any(|(r, _)| *r == name) {
        return Err(ApiError::not_found(API, "region", &name));
    }
    Ok(ok(region_json(&ctx, &name)))
}

pub(crate) async fn list_zones(
    State(state): State<Arc<AppState>>,
    Path((region, name)): Path<(String, String)>,
) -> ApiResult {
    if !REGIONS.iter().any(|(r, _)| *r == name) {
        return Err(ApiError::not_found(API, "region", &name));
    }
    let ctx = Ctx::new(&state, &name);
    let zones: Vec<Value> = ctx
        .zones()
        .iter()
        .map(|z| {
            json!({"href": ctx.href(&format!("regions/{name}/zones/{z}")), "name": z, "status": "available",
                   "region": {"href": ctx.href(&format!("regions/{name}")), "name": name}})
        })
        .collect();
    let _ = region;
    Ok(ok(json!({ "zones": zones })))
}

// ---------------------------------------------------------------- VPCs

#[derive(Debug, Deserialize)]
struct CreateVpc {
    name: Option<String>,
    resource_group: Option<Value>,
    address_prefix_management: Option<String>,
    #[serde(default)]
    classic_access: bool,
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

pub(crate) async fn create_vpc(
    State(state): State<Arc<AppState>>,
    Path(region): Path<String>,
    body: Bytes,
) -> ApiResult {
    let ctx = Ctx::new(&state, &region);
    let request: CreateVpc = parse(&body)?;
    let name = check_name(&ctx, "vpc", &request.name, "vpc")?;
    let group = ctx.group(request.resource_group.as_ref().and_then(id_of))?;
    if let Some(mode) = &request.address_prefix_management {
        if mode != "auto" && mode != "manual" {
            return Err(bad(
                "validation_invalid_argument",
                format!("address_prefix_management must be auto or manual, not '{mode}'."),
            )
            .target("address_prefix_management", "field", json!(mode)));
        }
    }
    let id = ctx.id();
    let acl_id = ctx.id();
    let rt_id = ctx.id();
    let sg_id = ctx.id();
    let vpc_crn = ctx.crn(&region, "vpc", &id);
    let sg_name = generated_name("sg");
    let vpc_ref = json!({"crn": vpc_crn, "href": ctx.href(&format!("vpcs/{id}")), "id": id, "name": name, "resource_type": "vpc"});
    let sg = json!({
        "created_at": timestamp(now()),
        "crn": ctx.crn(&region, "security-group", &sg_id),
        "href": ctx.href(&format!("security_groups/{sg_id}")),
        "id": sg_id,
        "name": sg_name,
        "resource_group": group,
        "resource_type": "security_group",
        "rules": [],
        "targets": [],
        "vpc": vpc_ref,
    });
    ctx.insert("security_group", &sg);
    // The two rules every default security group starts with.
    for (direction, rule_name, remote) in [
        (
            "inbound",
            "inbound-icmp-tcp-udp-from-this-security-group",
            json!({"crn": sg["crn"], "href": sg["href"], "id": sg_id, "name": sg_name}),
        ),
        (
            "outbound",
            "outbound-icmp-tcp-udp",
            json!({"cidr_block": "0.0.0.0/0"}),
        ),
    ] {
        add_rule(
            &ctx,
            &sg_id,
            json!({"direction": direction, "protocol": "icmp_tcp_udp", "remote": remote, "name": rule_name}),
        )?;
    }
    let cse: Vec<Value> = ctx
        .zones()
        .iter()
        .map(|z| json!({"ip": {"address": "10.16.234.155"}, "zone": ctx.zone(z)}))
        .collect();
    let vpc = json!({
        "classic_access": request.classic_access,
        "created_at": timestamp(now()),
        "crn": vpc_crn,
        "cse_source_ips": cse,
        "default_network_acl": {"crn": ctx.crn(&region, "network-acl", &acl_id), "href": ctx.href(&format!("network_acls/{acl_id}")), "id": acl_id, "name": generated_name("acl")},
        "default_routing_table": {"crn": ctx.crn(&region, "routing-table", &rt_id), "href": ctx.href(&format!("vpcs/{id}/routing_tables/{rt_id}")), "id": rt_id, "name": generated_name("rt"), "resource_type": "routing_table"},
        "default_security_group": {"crn": sg["crn"], "href": sg["href"], "id": sg_id, "name": sg_name},
        "dns": {"enable_hub": false, "resolution_binding_count": 0, "resolver": {"servers": [{"address": "161.26.0.7"}, {"address": "161.26.0.8"}], "type": "system", "configuration": "default"}},
        "health_reasons": [],
        "health_state": "ok",
        "href": ctx.href(&format!("vpcs/{id}")),
        "id": id,
        "name": name,
        "public_address_ranges": [],
        "resource_group": group,
        "resource_type": "vpc",
        "status": "pending",
    });
    ctx.insert("vpc", &vpc);
    Ok(with_status(StatusCode::CREATED, vpc))
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

pub(crate) async fn delete_vpc(
    State(state): State<Arc<AppState>>,
    Path((region, id)): Path<(String, String)>,
) -> ApiResult {
    let ctx = Ctx::new(&state, &region);
    ctx.doc("vpc", &id)?;
    in_use(&ctx, |w| {
        w.docs
            .values()
            .find(|d| {
                matches!(d.kind.as_str(), "subnet" | "endpoint_gateway" | "instance")
                    && d.body["vpc"]["id"].as_str() == Some(id.as_str())
            })
            .map(|d| {
                format!(
                    "The VPC still has a {} ({}); delete it first.",
                    d.kind.replace('_', " "),
                    d.body["name"].as_str().unwrap_or("")
                )
            })
    })?;
    ctx.state.store.write(|w| {
        w.docs.retain(|_, d| {
            !(d.kind == "security_group" && d.body["vpc"]["id"].as_str() == Some(id.as_str()))
        });
        w.docs.remove(&id);
    });
    Ok(crate::api::no_content())
}

pub(crate) async fn default_security_group(
    State(state): State<Arc<AppState>>,
    Path((region, id)): Path<(String, String)>,
) -> ApiResult {
    let ctx = Ctx::new(&state, &region);
    let vpc = ctx.doc("vpc", &id)?;
    let sg_id = vpc.body["default_security_group"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    Ok(ok(settle(&ctx.doc("security_group", &sg_id)?)))
}

// ---------------------------------------------------------------- subnets

#[derive(Debug, Deserialize)]
struct CreateSubnet {
    name: Option<String>,
    vpc: Option<Value>,
    zone: Option<Value>,
    total_ipv4_address_count: Option<u32>,
    ipv4_cidr_block: Option<String>,
    resource_group: Option<Value>,
}

fn zone_index(ctx: &Ctx, zone: &str) -> Option<u32> {
    ctx.zones().iter().position(|z| z == zone).map(|i| i as u32)
}

pub(crate) async fn create_subnet(
    State(state): State<Arc<AppState>>,
    Path(region): Path<String>,
    body: Bytes,
) -> ApiResult {
    let ctx = Ctx::new(&state, &region);
    let request: CreateSubnet = parse(&body)?;
    let vpc_id = request
        .vpc
        .as_ref()
        .and_then(id_of)
        .ok_or_else(|| missing("vpc.id"))?;
    let vpc = ctx.referenced("vpc", "VPC", vpc_id, "vpc.id")?;
    if request.total_ipv4_address_count.is_some() && request.ipv4_cidr_block.is_some() {
        return Err(bad(
            "validation_invalid_argument",
            "Expected only one of the following: ipv4_cidr_block, total_ipv4_address_count.",
        )
        .target(
            "total_ipv4_address_count",
            "field",
            json!(request.total_ipv4_address_count),
        ));
    }
    let zone = match request
        .zone
        .as_ref()
        .and_then(|z| z.get("name"))
        .and_then(Value::as_str)
    {
        Some(z) => z.to_owned(),
        None if request.ipv4_cidr_block.is_some() => format!("{region}-1"),
        None => return Err(missing("zone.name")),
    };
    let zone_i = zone_index(&ctx, &zone).ok_or_else(|| {
        bad(
            "validation_invalid_argument",
            format!("The zone '{zone}' is not in region {region}."),
        )
        .target("zone.name", "field", json!(zone))
    })?;
    let (cidr, total) = match (&request.ipv4_cidr_block, request.total_ipv4_address_count) {
        (Some(cidr), _) => {
            let (net, bits) = parse_cidr(cidr).ok_or_else(|| {
                bad(
                    "validation_invalid_argument",
                    format!("'{cidr}' is not an IPv4 CIDR block."),
                )
                .target("ipv4_cidr_block", "field", json!(cidr))
            })?;
            if !(16..=29).contains(&bits) {
                return Err(bad(
                    "validation_invalid_argument",
                    "The CIDR block size must be between /16 and /29.",
                )
                .target("ipv4_cidr_block", "field", json!(cidr)));
            }
            (format!("{net}/{bits}"), 1u32 << (32 - bits))
        }
        (None, Some(count)) => {
            if !count.is_power_of_two() || !(8..=65536).contains(&count) {
                return Err(bad(
                    "validation_invalid_argument",
                    format!("total_ipv4_address_count must be a power of two from 8 to 65536, not {count}."),
                )
                .target("total_ipv4_address_count", "field", json!(count)));
            }
            // Auto address prefixes: 10.<240+zone*…>; one /24-aligned block per subnet.
            let block = state.store.write(|w| {
                let next = w
                    .next_subnet_block
                    .entry(format!("{vpc_id}/{zone}"))
                    .or_insert(0);
                let b = *next;
                *next += count.div_ceil(256).max(1);
                b
            });
            let third = zone_i * 64 + block;
            (
                format!(
                    "10.{}.{}.0/{}",
                    240 + (third / 256),
                    third % 256,
                    32 - count.trailing_zeros()
                ),
                count,
            )
        }
        (None, None) => return Err(missing("total_ipv4_address_count")),
    };
    let name = check_name(&ctx, "subnet", &request.name, "subnet")?;
    let group = ctx.group(request.resource_group.as_ref().and_then(id_of))?;
    let id = ctx.id();
    let subnet = json!({
        "available_ipv4_address_count": total.saturating_sub(5),
        "created_at": timestamp(now()),
        "crn": ctx.crn(&zone, "subnet", &id),
        "href": ctx.href(&format!("subnets/{id}")),
        "id": id,
        "ip_version": "ipv4",
        "ipv4_cidr_block": cidr,
        "name": name,
        "network_acl": vpc.body["default_network_acl"],
        "resource_group": group,
        "resource_type": "subnet",
        "routing_table": vpc.body["default_routing_table"],
        "status": "pending",
        "total_ipv4_address_count": total,
        "vpc": reference(&vpc.body, Some("vpc")),
        "zone": ctx.zone(&zone),
    });
    ctx.insert("subnet", &subnet);
    Ok(with_status(StatusCode::CREATED, subnet))
}

fn parse_cidr(cidr: &str) -> Option<(Ipv4Addr, u32)> {
    let (ip, bits) = cidr.split_once('/')?;
    let ip: Ipv4Addr = ip.parse().ok()?;
    let bits: u32 = bits.parse().ok()?;
    (bits <= 32).then_some((ip, bits))
}

pub(crate) async fn delete_subnet(
    State(state): State<Arc<AppState>>,
    Path((region, id)): Path<(String, String)>,
) -> ApiResult {
    let ctx = Ctx::new(&state, &region);
    ctx.doc("subnet", &id)?;
    in_use(&ctx, |w| {
        w.docs
            .values()
            .find(|d| {
                d.kind == "reserved_ip"
                    && d.body["subnet_id"].as_str() == Some(id.as_str())
                    && d.body["target"].is_object()
            })
            .map(|d| {
                format!(
                    "The subnet still has a reserved IP in use ({}); delete what uses it first.",
                    d.body["address"].as_str().unwrap_or("")
                )
            })
    })?;
    ctx.state.store.write(|w| {
        w.docs.retain(|_, d| {
            !(d.kind == "reserved_ip" && d.body["subnet_id"].as_str() == Some(id.as_str()))
        });
        w.docs.remove(&id);
    });
    Ok(crate::api::no_content())
}

/// Reserves the next free address in a subnet (the first four and the last are IBM's).
fn reserve_ip(ctx: &Ctx, subnet: &Value, name: &str, target: Value) -> Result<Value, ApiError> {
    let subnet_id = subnet["id"].as_str().unwrap_or_default().to_owned();
    let (net, bits) = parse_cidr(subnet["ipv4_cidr_block"].as_str().unwrap_or_default())
        .ok_or_else(|| ApiError::internal(API, "subnet without a CIDR block"))?;
    let size = 1u32 << (32 - bits);
    let host = ctx.state.store.write(|w| {
        let next = w.next_host.entry(subnet_id.clone()).or_insert(4);
        let host = *next;
        *next += 1;
        host
    });
    if host >= size - 1 {
        return Err(
            bad("subnet_full", "The subnet has no free addresses left.").target(
                "subnet.id",
                "field",
                json!(subnet_id),
            ),
        );
    }
    let address = Ipv4Addr::from(u32::from(net) + host).to_string();
    let id = ctx.id();
    let ip = json!({
        "address": address,
        "auto_delete": true,
        "created_at": timestamp(now()),
        "href": ctx.href(&format!("subnets/{subnet_id}/reserved_ips/{id}")),
        "id": id,
        "lifecycle_state": "stable",
        "name": name,
        "owner": "user",
        "resource_type": "subnet_reserved_ip",
        "subnet_id": subnet_id,
        "target": target,
    });
    ctx.insert("reserved_ip", &ip);
    Ok(ip)
}

fn reserved_ip_ref(ip: &Value) -> Value {
    json!({"address": ip["address"], "href": ip["href"], "id": ip["id"], "name": ip["name"], "resource_type": "subnet_reserved_ip"})
}

fn reserved_ip_json(ip: &Value) -> Value {
    let mut body = ip.clone();
    if let Some(o) = body.as_object_mut() {
        o.remove("subnet_id");
        if o.get("target").is_some_and(Value::is_null) {
            o.remove("target");
        }
    }
    body
}

pub(crate) async fn list_reserved_ips(
    State(state): State<Arc<AppState>>,
    Path((region, subnet_id)): Path<(String, String)>,
    Query(common): Query<Common>,
) -> ApiResult {
    let ctx = Ctx::new(&state, &region);
    ctx.doc("subnet", &subnet_id)?;
    let items = list_kind(&ctx, "reserved_ip", |b| {
        b["subnet_id"].as_str() == Some(subnet_id.as_str())
    })
    .iter()
    .map(reserved_ip_json)
    .collect();
    Ok(ok(collection(
        &ctx,
        &format!("subnets/{subnet_id}/reserved_ips"),
        "reserved_ips",
        items,
        &common,
    )))
}

pub(crate) async fn get_reserved_ip(
    State(state): State<Arc<AppState>>,
    Path((region, subnet_id, id)): Path<(String, String, String)>,
) -> ApiResult {
    let ctx = Ctx::new(&state, &region);
    let ip = ctx.doc("reserved_ip", &id)?;
    if ip.body["subnet_id"].as_str() != Some(subnet_id.as_str()) {
        return Err(ApiError::not_found(API, "reserved ip", &id));
    }
    Ok(ok(reserved_ip_json(&ip.body)))
}

// ---------------------------------------------------------------- keys

#[derive(Debug, Deserialize)]
struct CreateKey {
    name: Option<String>,
    public_key: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    resource_group: Option<Value>,
}

/// Reads an OpenSSH public key line: its type, SHA-256 fingerprint and length in bits.
pub(crate) fn inspect_public_key(line: &str) -> Option<(&'static str, String, u32)> {
    let mut parts = line.split_whitespace();
    let algorithm = parts.next()?;
    let blob = base64::engine::general_purpose::STANDARD
        .decode(parts.next()?)
        .ok()?;
    let read_string = |at: usize| -> Option<(&[u8], usize)> {
        let len = u32::from_be_bytes(blob.get(at..at + 4)?.try_into().ok()?) as usize;
        Some((blob.get(at + 4..at + 4 + len)?, at + 4 + len))
    };
    let (name, next) = read_string(0)?;
    if name != algorithm.as_bytes() {
        return None;
    }
    let (kind, bits) = match algorithm {
        "ssh-ed25519" => {
            let (key, _) = read_string(next)?;
            (key.len() == 32).then_some(("ed25519", 256))?
        }
        "ssh-rsa" => {
            let (_e, next) = read_string(next)?;
            let (n, _) = read_string(next)?;
            let n = match n.first() {
                Some(0) => &n[1..],
                _ => n,
            };
            let bits = (n.len() as u32) * 8 - n.first().map_or(0, |b| b.leading_zeros());
            ("rsa", bits)
        }
        _ => return None,
    };
    let digest = Sha256::digest(&blob);
    let fingerprint = format!(
        "SHA256:{}",
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(digest)
    );
    Some((kind, fingerprint, bits))
}

pub(crate) async fn create_key(
    State(state): State<Arc<AppState>>,
    Path(region): Path<String>,
    body: Bytes,
) -> ApiResult {
    let ctx = Ctx::new(&state, &region);
    let request: CreateKey = parse(&body)?;
    let public_key = request.public_key.ok_or_else(|| missing("public_key"))?;
    let (kind, fingerprint, length) = inspect_public_key(&public_key).ok_or_else(|| {
        bad(
            "key_invalid",
            "The public key is not a valid OpenSSH ssh-rsa or ssh-ed25519 public key.",
        )
        .target("public_key", "field", Value::Null)
    })?;
    if let Some(asked) = &request.kind {
        if asked != kind {
            return Err(bad(
                "key_type_mismatch",
                format!("The key type '{asked}' does not match the public key, which is {kind}."),
            )
            .target("type", "field", json!(asked)));
        }
    }
    if kind == "rsa" && !(2048..=4096).contains(&length) {
        return Err(bad(
            "key_invalid",
            format!("RSA keys must be 2048 to 4096 bits; this one is {length}."),
        )
        .target("public_key", "field", Value::Null));
    }
    let duplicate = ctx.state.store.read(|w| {
        w.docs_of("key", Some(&region))
            .any(|d| d.body["fingerprint"].as_str() == Some(fingerprint.as_str()))
    });
    if duplicate {
        return Err(ApiError::new(
            API,
            StatusCode::CONFLICT,
            "key_duplicate",
            "This public key is already registered in this region.",
        )
        .target("public_key", "field", Value::Null));
    }
    let name = check_name(&ctx, "key", &request.name, "key")?;
    let group = ctx.group(request.resource_group.as_ref().and_then(id_of))?;
    let id = ctx.id();
    let key = json!({
        "created_at": timestamp(now()),
        "crn": ctx.crn(&region, "key", &id),
        "fingerprint": fingerprint,
        "href": ctx.href(&format!("keys/{id}")),
        "id": id,
        "length": length,
        "name": name,
        "public_key": public_key.split_whitespace().take(3).collect::<Vec<_>>().join(" "),
        "resource_group": group,
        "type": kind,
    });
    ctx.insert("key", &key);
    Ok(with_status(StatusCode::CREATED, key))
}

pub(crate) async fn delete_key(
    State(state): State<Arc<AppState>>,
    Path((region, id)): Path<(String, String)>,
) -> ApiResult {
    let ctx = Ctx::new(&state, &region);
    delete_doc(&ctx, "key", &id)
}

// ---------------------------------------------------------------- images and profiles

fn images(ctx: &Ctx) -> Vec<Value> {
    let group = json!({"href": format!("{}/rc/v2/resource_groups/6edefe513d934fdd872e78ee6a8e73ef", ctx.state.base_url), "id": "6edefe513d934fdd872e78ee6a8e73ef", "name": "Default"});
    [
        ("ibm-ubuntu-24-04-6-minimal-amd64-3", "Ubuntu Linux", "ubuntu-24-04-amd64", "Ubuntu Linux 24.04 LTS Noble Numbat Minimal Install (amd64)", "Canonical", "24.04 LTS Noble Numbat Minimal Install", "0001"),
        ("ibm-ubuntu-22-04-5-minimal-amd64-6", "Ubuntu Linux", "ubuntu-22-04-amd64", "Ubuntu Linux 22.04 LTS Jammy Jellyfish Minimal Install (amd64)", "Canonical", "22.04 LTS Jammy Jellyfish Minimal Install", "0002"),
        ("ibm-debian-12-9-minimal-amd64-2", "Debian GNU/Linux", "debian-12-amd64", "Debian GNU/Linux 12.x Bookworm/Stable - Minimal Install (amd64)", "Debian", "12.x Bookworm/Stable - Minimal Install", "0003"),
    ]
    .iter()
    .map(|(name, family, os, display, vendor, version, n)| {
        let id = format!("{}-9f2a4d8e-3b1c-4e5f-a6b7-c8d9e0f1{n}", region_prefix(&ctx.region));
        json!({
            "allowed_use": {"api_version": "2026-06-23", "bare_metal_server": "true", "instance": "true"},
            "catalog_offering": {"managed": false},
            "created_at": "2026-05-12T16:03:22Z",
            "crn": ctx.crn(&ctx.region, "image", &id),
            "encryption": "none",
            "file": {"size": 1},
            "href": ctx.href(&format!("images/{id}")),
            "id": id,
            "minimum_provisioned_size": 100,
            "name": name,
            "operating_system": {
                "allow_user_image_creation": true, "architecture": "amd64", "dedicated_host_only": false,
                "display_name": display, "family": family,
                "href": ctx.href(&format!("operating_systems/{os}")), "name": os,
                "user_data_format": "cloud_init", "vendor": vendor, "version": version,
            },
            "resource_group": group,
            "resource_type": "image",
            "status": "available",
            "status_reasons": [],
            "user_data_format": "cloud_init",
            "visibility": "public",
            "zones": ctx.zones().iter().map(|z| ctx.zone(z)).collect::<Vec<_>>(),
        })
    })
    .collect()
}

pub(crate) async fn list_images(
    State(state): State<Arc<AppState>>,
    Path(region): Path<String>,
    Query(common): Query<Common>,
    Query(filter): Query<ListFilter>,
) -> Response {
    let ctx = Ctx::new(&state, &region);
    let items = images(&ctx)
        .into_iter()
        .filter(|i| filter.keeps(i))
        .collect();
    ok(collection(&ctx, "images", "images", items, &common))
}

pub(crate) async fn get_image(
    State(state): State<Arc<AppState>>,
    Path((region, id)): Path<(String, String)>,
) -> ApiResult {
    let ctx = Ctx::new(&state, &region);
    images(&ctx)
        .into_iter()
        .find(|i| i["id"].as_str() == Some(id.as_str()))
        .map(ok)
        .ok_or_else(|| ApiError::not_found(API, "image", &id))
}

const PROFILES: [(&str, &str, u32, u32); 4] = [
    ("bx2-2x8", "balanced", 2, 8),
    ("cx2-2x4", "compute", 2, 4),
    ("bx2-4x16", "balanced", 4, 16),
    ("mx2-2x16", "memory", 2, 16),
];

fn profiles(ctx: &Ctx) -> Vec<Value> {
    PROFILES
        .iter()
        .map(|(name, family, cpu, memory)| {
            json!({
                "availability_class": {"type": "enum", "default": "standard", "values": ["standard"]},
                "bandwidth": {"type": "fixed", "value": cpu * 2000},
                "cluster_network_attachment_count": {"type": "dependent"},
                "confidential_compute_modes": {"type": "enum", "default": "disabled", "values": ["disabled"]},
                "disks": [],
                "family": family,
                "href": ctx.href(&format!("instance/profiles/{name}")),
                "memory": {"type": "fixed", "value": memory},
                "name": name,
                "network_attachment_count": {"type": "range", "max": 5, "min": 1},
                "network_bandwidth_mode": {"type": "enum", "default": "pooled", "values": ["pooled"]},
                "network_interface_count": {"type": "range", "max": 5, "min": 1},
                "os_architecture": {"type": "enum", "default": "amd64", "values": ["amd64"]},
                "port_speed": {"type": "fixed", "value": 16000},
                "reservation_terms": {"type": "enum", "values": ["one_year", "three_year"]},
                "resource_type": "instance_profile",
                "secure_boot_modes": {"type": "enum", "default": false, "values": [false, true]},
                "status": "current",
                "supported_cluster_network_profiles": [],
                "threads_per_core": {"type": "enum", "default": 2, "values": [1, 2]},
                "total_volume_bandwidth": {"type": "range", "default": 1000, "max": 3200, "min": 500, "step": 1},
                "vcpu_architecture": {"type": "fixed", "value": "amd64"},
                "vcpu_burst_limit": {"type": "fixed", "value": 100},
                "vcpu_count": {"type": "fixed", "value": cpu},
                "vcpu_manufacturer": {"type": "fixed", "value": "intel"},
                "vcpu_percentage": {"type": "enum", "default": 100, "values": [100]},
                "volume_bandwidth_qos_modes": {"type": "enum", "default": "pooled", "values": ["pooled"]},
                "zones": ctx.zones().iter().map(|z| ctx.zone(z)).collect::<Vec<_>>(),
            })
        })
        .collect()
}

pub(crate) async fn list_profiles(
    State(state): State<Arc<AppState>>,
    Path(region): Path<String>,
    Query(common): Query<Common>,
) -> Response {
    let ctx = Ctx::new(&state, &region);
    let items = profiles(&ctx);
    if common.version.as_deref().unwrap_or("") >= PAGINATED_PROFILES_FROM {
        ok(collection(
            &ctx,
            "instance/profiles",
            "profiles",
            items,
            &common,
        ))
    } else {
        ok(json!({"href": ctx.href("instance/profiles"), "profiles": items}))
    }
}

pub(crate) async fn get_profile(
    State(state): State<Arc<AppState>>,
    Path((region, name)): Path<(String, String)>,
) -> ApiResult {
    let ctx = Ctx::new(&state, &region);
    profiles(&ctx)
        .into_iter()
        .find(|p| p["name"].as_str() == Some(name.as_str()))
        .map(ok)
        .ok_or_else(|| ApiError::not_found(API, "instance profile", &name))
}

// ---------------------------------------------------------------- instances

#[derive(Debug, Deserialize)]
struct CreateInstance {
    name: Option<String>,
    image: Option<Value>,
    zone: Option<Value>,
    profile: Option<Value>,
    vpc: Option<Value>,
    #[serde(default)]
    keys: Vec<Value>,
    primary_network_interface: Option<Value>,
    primary_network_attachment: Option<Value>,
    resource_group: Option<Value>,
    /// cloud-init; not stored (a real VSI keeps it in its metadata, which the API does
    /// not return), but a host key it installs is what the jump host presents.
    user_data: Option<String>,
}

pub(crate) async fn create_instance(
    State(state): State<Arc<AppState>>,
    Path(region): Path<String>,
    body: Bytes,
) -> ApiResult {
    let ctx = Ctx::new(&state, &region);
    let request: CreateInstance = parse(&body)?;
    let image_id = request
        .image
        .as_ref()
        .and_then(id_of)
        .ok_or_else(|| missing("image.id"))?;
    let image = images(&ctx)
        .into_iter()
        .find(|i| i["id"].as_str() == Some(image_id))
        .ok_or_else(|| {
            bad(
                "not_found",
                format!("The image '{image_id}' was not found."),
            )
            .target("image.id", "field", json!(image_id))
        })?;
    let zone = request
        .zone
        .as_ref()
        .and_then(|z| z.get("name"))
        .and_then(Value::as_str)
        .ok_or_else(|| missing("zone.name"))?
        .to_owned();
    zone_index(&ctx, &zone).ok_or_else(|| {
        bad(
            "validation_invalid_argument",
            format!("The zone '{zone}' is not in region {region}."),
        )
        .target("zone.name", "field", json!(zone))
    })?;
    let profile_name = request
        .profile
        .as_ref()
        .and_then(|p| p.get("name"))
        .and_then(Value::as_str)
        .unwrap_or("bx2-2x8")
        .to_owned();
    let (_, _, cpu, memory) = PROFILES
        .iter()
        .find(|p| p.0 == profile_name)
        .copied()
        .ok_or_else(|| {
            bad(
                "not_found",
                format!("The instance profile '{profile_name}' was not found."),
            )
            .target("profile.name", "field", json!(profile_name))
        })?;
    let nic_request = request
        .primary_network_interface
        .clone()
        .or_else(|| {
            request
                .primary_network_attachment
                .as_ref()
                .map(|a| a["virtual_network_interface"].clone())
        })
        .ok_or_else(|| missing("primary_network_interface"))?;
    let subnet_id = nic_request["subnet"]["id"]
        .as_str()
        .ok_or_else(|| missing("primary_network_interface.subnet.id"))?;
    let subnet = ctx.referenced(
        "subnet",
        "subnet",
        subnet_id,
        "primary_network_interface.subnet.id",
    )?;
    if subnet.body["zone"]["name"].as_str() != Some(zone.as_str()) {
        return Err(bad(
            "validation_invalid_argument",
            format!(
                "The subnet is in zone {}, not in {zone}.",
                subnet.body["zone"]["name"].as_str().unwrap_or("?")
            ),
        )
        .target("zone.name", "field", json!(zone)));
    }
    let vpc_id = subnet.body["vpc"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    if let Some(asked) = request.vpc.as_ref().and_then(id_of) {
        if asked != vpc_id {
            return Err(bad(
                "validation_invalid_argument",
                "The subnet is not in the given VPC.",
            )
            .target("vpc.id", "field", json!(asked)));
        }
    }
    let vpc = ctx.doc("vpc", &vpc_id)?;
    let mut key_refs = Vec::new();
    let mut public_keys = Vec::new();
    for key in &request.keys {
        let key_id = id_of(key).unwrap_or_default();
        let doc = ctx.referenced("key", "key", key_id, "keys[].id")?;
        public_keys.push(
            doc.body["public_key"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        );
        key_refs.push(json!({"crn": doc.body["crn"], "fingerprint": doc.body["fingerprint"], "href": doc.body["href"], "id": key_id, "name": doc.body["name"]}));
    }
    let security_groups: Vec<Value> = match nic_request["security_groups"].as_array() {
        Some(list) if !list.is_empty() => list
            .iter()
            .map(|sg| {
                let sg_id = id_of(sg).unwrap_or_default();
                ctx.doc("security_group", sg_id)
                    .map(|d| reference(&d.body, None))
            })
            .collect::<Result<_, _>>()?,
        _ => vec![vpc.body["default_security_group"].clone()],
    };
    let name = check_name(&ctx, "instance", &request.name, "vsi")?;
    let group = ctx.group(request.resource_group.as_ref().and_then(id_of))?;
    let id = ctx.id();
    let nic_id = ctx.id();
    let nic_name = nic_request["name"].as_str().unwrap_or("eth0").to_owned();
    let nic_href = ctx.href(&format!("instances/{id}/network_interfaces/{nic_id}"));
    let ip = reserve_ip(
        &ctx,
        &subnet.body,
        &format!("{name}-nic-ip"),
        json!({"href": nic_href, "id": nic_id, "name": nic_name, "resource_type": "network_interface"}),
    )?;
    let nic = json!({
        "href": nic_href,
        "id": nic_id,
        "name": nic_name,
        "primary_ip": reserved_ip_ref(&ip),
        "resource_type": "network_interface",
        "subnet": reference(&subnet.body, Some("subnet")),
    });
    let volume_id = ctx.id();
    let attachment_id = ctx.id();
    let boot = json!({
        "device": {"id": format!("{attachment_id}-boot")},
        "href": ctx.href(&format!("instances/{id}/volume_attachments/{attachment_id}")),
        "id": attachment_id,
        "name": format!("{name}-boot"),
        "volume": {"crn": ctx.crn(&zone, "volume", &volume_id), "href": ctx.href(&format!("volumes/{volume_id}")), "id": volume_id, "name": format!("{name}-boot-vol"), "resource_type": "volume"},
    });
    let instance = json!({
        "availability": {"class": "standard"},
        "availability_policy": {"host_failure": "restart", "preemption": "stop"},
        "bandwidth": cpu * 2000,
        "boot_volume_attachment": boot,
        "cluster_network_attachments": [],
        "confidential_compute_mode": "disabled",
        "created_at": timestamp(now()),
        "crn": ctx.crn(&zone, "instance", &id),
        "disks": [],
        "enable_secure_boot": false,
        "health_reasons": [],
        "health_state": "ok",
        "href": ctx.href(&format!("instances/{id}")),
        "id": id,
        "image": {"crn": image["crn"], "href": image["href"], "id": image["id"], "name": image["name"], "resource_type": "image"},
        "keys": key_refs,
        "lifecycle_reasons": [],
        "lifecycle_state": "pending",
        "memory": memory,
        "metadata_service": {"enabled": false, "protocol": "http", "response_hop_limit": 1},
        "name": name,
        "network_attachments": [],
        "network_interfaces": [nic.clone()],
        "primary_network_interface": nic,
        "profile": {"href": ctx.href(&format!("instance/profiles/{profile_name}")), "name": profile_name, "resource_type": "instance_profile"},
        "reservation_affinity": {"policy": "disabled", "pool": []},
        "resource_group": group,
        "resource_type": "instance",
        "security_groups_sandbox": security_groups,
        "authorized_keys_sandbox": public_keys,
        "software_attachments": [],
        "startable": true,
        "status": "pending",
        "status_reasons": [],
        "threads_per_core": 2,
        "total_network_bandwidth": cpu * 1500,
        "total_volume_bandwidth": 1000,
        "vcpu": {"architecture": "amd64", "count": cpu, "manufacturer": "intel", "percentage": 100},
        "volume_attachments": [boot],
        "volume_bandwidth_qos_mode": "pooled",
        "vpc": reference(&vpc.body, Some("vpc")),
        "zone": ctx.zone(&zone),
    });
    ctx.insert("instance", &instance);
    let keys = instance["authorized_keys_sandbox"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|k| k.as_str().map(str::to_owned))
        .collect();
    if let Some(user_data) = request.user_data.as_deref() {
        crate::jump::install_host_key_from_user_data(&state, &id, user_data).map_err(|e| {
            ApiError::internal(
                API,
                format!("The sandbox could not install this instance's SSH host key: {e}"),
            )
        })?;
    }
    crate::jump::start_for_instance(&state, &id, keys)
        .await
        .map_err(|e| {
            ApiError::internal(
                API,
                format!("The sandbox could not start this instance's SSH server: {e}"),
            )
        })?;
    Ok(with_status(StatusCode::CREATED, public_instance(instance)))
}

/// The stored instance without the sandbox's own bookkeeping fields.
fn public_instance(mut body: Value) -> Value {
    if let Some(o) = body.as_object_mut() {
        o.remove("security_groups_sandbox");
        // Like cloud-init's authorized_keys on a real VSI: kept even if the key is deleted.
        o.remove("authorized_keys_sandbox");
    }
    body
}

pub(crate) async fn get_instance_public(
    State(state): State<Arc<AppState>>,
    Path((region, id)): Path<(String, String)>,
) -> ApiResult {
    let ctx = Ctx::new(&state, &region);
    Ok(ok(public_instance(settle(&ctx.doc("instance", &id)?))))
}

pub(crate) async fn list_instances_public(
    State(state): State<Arc<AppState>>,
    Path(region): Path<String>,
    Query(common): Query<Common>,
    Query(filter): Query<ListFilter>,
) -> Response {
    let ctx = Ctx::new(&state, &region);
    let items = list_kind(&ctx, "instance", |b| filter.keeps(b))
        .into_iter()
        .map(public_instance)
        .collect();
    ok(collection(&ctx, "instances", "instances", items, &common))
}

pub(crate) async fn delete_instance(
    State(state): State<Arc<AppState>>,
    Path((region, id)): Path<(String, String)>,
) -> ApiResult {
    let ctx = Ctx::new(&state, &region);
    let instance = ctx.doc("instance", &id)?;
    let nic_id = instance.body["primary_network_interface"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let ip_id = instance.body["primary_network_interface"]["primary_ip"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    crate::jump::stop_for_instance(&state, &id).await;
    ctx.state.store.write(|w| {
        w.docs.remove(&id);
        w.docs.remove(&ip_id);
        w.jump_ports.remove(&id);
        // A floating IP bound to the instance stays, unbound.
        for doc in w.docs.values_mut() {
            if doc.kind == "floating_ip"
                && doc.body["target"]["id"].as_str() == Some(nic_id.as_str())
            {
                if let Some(o) = doc.body.as_object_mut() {
                    o.remove("target");
                }
            }
        }
    });
    Ok(crate::api::no_content())
}

pub(crate) async fn list_network_interfaces(
    State(state): State<Arc<AppState>>,
    Path((region, id)): Path<(String, String)>,
) -> ApiResult {
    let ctx = Ctx::new(&state, &region);
    let instance = ctx.doc("instance", &id)?;
    let mut nic = instance.body["primary_network_interface"].clone();
    let nic_id = nic["id"].as_str().unwrap_or_default().to_owned();
    let fips: Vec<Value> = list_kind(&ctx, "floating_ip", |b| b["target"]["id"].as_str() == Some(nic_id.as_str()))
        .iter()
        .map(|f| json!({"address": f["address"], "crn": f["crn"], "href": f["href"], "id": f["id"], "name": f["name"]}))
        .collect();
    nic["floating_ips"] = json!(fips);
    nic["allow_ip_spoofing"] = json!(false);
    nic["created_at"] = instance.body["created_at"].clone();
    nic["port_speed"] = json!(16000);
    nic["security_groups"] = instance.body["security_groups_sandbox"].clone();
    nic["status"] = json!("available");
    nic["type"] = json!("primary");
    Ok(ok(json!({ "network_interfaces": [nic] })))
}

/// The instance's primary network interface as `list_network_interfaces` shows it.
fn network_interface(ctx: &Ctx, instance: &str, nic_id: &str) -> Result<Value, ApiError> {
    let doc = ctx.doc("instance", instance)?;
    let mut nic = doc.body["primary_network_interface"].clone();
    if nic["id"].as_str() != Some(nic_id) {
        return Err(ApiError::not_found(API, "network interface", nic_id));
    }
    let fips: Vec<Value> = list_kind(ctx, "floating_ip", |b| b["target"]["id"].as_str() == Some(nic_id))
        .iter()
        .map(|f| json!({"address": f["address"], "crn": f["crn"], "href": f["href"], "id": f["id"], "name": f["name"]}))
        .collect();
    nic["floating_ips"] = json!(fips);
    nic["allow_ip_spoofing"] = json!(false);
    nic["created_at"] = doc.body["created_at"].clone();
    nic["port_speed"] = json!(16000);
    nic["security_groups"] = doc.body["security_groups_sandbox"].clone();
    nic["status"] = json!("available");
    nic["type"] = json!("primary");
    Ok(nic)
}

pub(crate) async fn get_network_interface(
    State(state): State<Arc<AppState>>,
    Path((region, instance, nic)): Path<(String, String, String)>,
) -> ApiResult {
    let ctx = Ctx::new(&state, &region);
    Ok(ok(network_interface(&ctx, &instance, &nic)?))
}

/// `PUT /instances/{i}/network_interfaces/{nic}/floating_ips/{fip}`: binds an unbound
/// floating IP to the interface (201 with the floating IP).
pub(crate) async fn bind_floating_ip(
    State(state): State<Arc<AppState>>,
    Path((region, instance, nic_id, fip_id)): Path<(String, String, String, String)>,
) -> ApiResult {
    let ctx = Ctx::new(&state, &region);
    let nic = network_interface(&ctx, &instance, &nic_id)?;
    let fip = ctx.doc("floating_ip", &fip_id)?;
    match fip.body["target"]["id"].as_str() {
        Some(bound) if bound == nic_id => return Ok(with_status(StatusCode::CREATED, fip.body)),
        Some(_) => {
            return Err(ApiError::new(
                API,
                StatusCode::CONFLICT,
                "floating_ip_in_use",
                "The floating IP is bound to another network interface.",
            ))
        }
        None => {}
    }
    if nic["floating_ips"]
        .as_array()
        .is_some_and(|f| !f.is_empty())
    {
        return Err(ApiError::new(
            API,
            StatusCode::CONFLICT,
            "floating_ip_target_in_use",
            "The network interface already has a floating IP.",
        ));
    }
    let reference = ctx.doc("instance", &instance)?.body["primary_network_interface"].clone();
    let updated = ctx.state.store.write(|w| {
        w.docs.get_mut(&fip_id).map(|d| {
            d.body["target"] = reference;
            d.body.clone()
        })
    });
    Ok(with_status(
        StatusCode::CREATED,
        updated.unwrap_or_default(),
    ))
}

/// `DELETE /instances/{i}/network_interfaces/{nic}/floating_ips/{fip}`: unbinds it (204).
pub(crate) async fn unbind_floating_ip(
    State(state): State<Arc<AppState>>,
    Path((region, instance, nic_id, fip_id)): Path<(String, String, String, String)>,
) -> ApiResult {
    let ctx = Ctx::new(&state, &region);
    network_interface(&ctx, &instance, &nic_id)?;
    let fip = ctx.doc("floating_ip", &fip_id)?;
    if fip.body["target"]["id"].as_str() != Some(nic_id.as_str()) {
        return Err(ApiError::not_found(
            API,
            "floating IP on this network interface",
            &fip_id,
        ));
    }
    ctx.state.store.write(|w| {
        if let Some(d) = w.docs.get_mut(&fip_id) {
            if let Some(o) = d.body.as_object_mut() {
                o.remove("target");
            }
        }
    });
    Ok(crate::api::no_content())
}

// ---------------------------------------------------------------- floating IPs

#[derive(Debug, Deserialize)]
struct CreateFloatingIp {
    name: Option<String>,
    target: Option<Value>,
    zone: Option<Value>,
    resource_group: Option<Value>,
}

/// The instance whose primary network interface has this id.
fn instance_with_nic(ctx: &Ctx, nic_id: &str) -> Option<Value> {
    ctx.state.store.read(|w| {
        w.docs_of("instance", Some(&ctx.region))
            .find(|d| d.body["primary_network_interface"]["id"].as_str() == Some(nic_id))
            .map(|d| d.body.clone())
    })
}

pub(crate) async fn create_floating_ip(
    State(state): State<Arc<AppState>>,
    Path(region): Path<String>,
    body: Bytes,
) -> ApiResult {
    let ctx = Ctx::new(&state, &region);
    let request: CreateFloatingIp = parse(&body)?;
    let (zone, target) = match (&request.target, &request.zone) {
        (Some(target), _) => {
            let nic_id = id_of(target).ok_or_else(|| missing("target.id"))?;
            let instance = instance_with_nic(&ctx, nic_id).ok_or_else(|| {
                bad(
                    "not_found",
                    format!("The network interface '{nic_id}' was not found."),
                )
                .target("target.id", "field", json!(nic_id))
            })?;
            let bound = ctx.state.store.read(|w| {
                w.docs_of("floating_ip", Some(&region))
                    .any(|d| d.body["target"]["id"].as_str() == Some(nic_id))
            });
            if bound {
                return Err(ApiError::new(
                    API,
                    StatusCode::CONFLICT,
                    "floating_ip_target_in_use",
                    "The network interface already has a floating IP.",
                )
                .target("target.id", "field", json!(nic_id)));
            }
            let zone = instance["zone"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            (zone, Some(instance["primary_network_interface"].clone()))
        }
        (None, Some(zone)) => (
            zone.get("name")
                .and_then(Value::as_str)
                .ok_or_else(|| missing("zone.name"))?
                .to_owned(),
            None,
        ),
        (None, None) => return Err(missing("target")),
    };
    let name = check_name(&ctx, "floating_ip", &request.name, "fip")?;
    let group = ctx.group(request.resource_group.as_ref().and_then(id_of))?;
    let n = ctx.state.store.write(|w| {
        w.next_floating_ip += 1;
        w.next_floating_ip
    });
    if n > 250 {
        return Err(ApiError::new(
            API,
            StatusCode::FORBIDDEN,
            "quota_exceeded",
            "The sandbox's floating IP range (203.0.113.0/24) is used up.",
        ));
    }
    let id = ctx.id();
    let mut fip = json!({
        "address": format!("203.0.113.{}", n + 3),
        "created_at": timestamp(now()),
        "crn": ctx.crn(&zone, "floating-ip", &id),
        "href": ctx.href(&format!("floating_ips/{id}")),
        "id": id,
        "name": name,
        "resource_group": group,
        "status": "pending",
        "zone": ctx.zone(&zone),
    });
    if let Some(target) = target {
        fip["target"] = target;
    }
    ctx.insert("floating_ip", &fip);
    Ok(with_status(StatusCode::CREATED, fip))
}

pub(crate) async fn delete_floating_ip(
    State(state): State<Arc<AppState>>,
    Path((region, id)): Path<(String, String)>,
) -> ApiResult {
    let ctx = Ctx::new(&state, &region);
    delete_doc(&ctx, "floating_ip", &id)
}

// ---------------------------------------------------------------- security groups

fn add_rule(ctx: &Ctx, sg_id: &str, request: Value) -> Result<Value, ApiError> {
    let direction = request["direction"]
        .as_str()
        .ok_or_else(|| missing("direction"))?;
    if direction != "inbound" && direction != "outbound" {
        return Err(bad(
            "validation_invalid_argument",
            format!("direction must be inbound or outbound, not '{direction}'."),
        )
        .target("direction", "field", json!(direction)));
    }
    let protocol = request["protocol"].as_str().unwrap_or("icmp_tcp_udp");
    if !["tcp", "udp", "icmp", "all", "icmp_tcp_udp", "any"].contains(&protocol) {
        return Err(bad(
            "validation_invalid_argument",
            format!("protocol '{protocol}' is not valid."),
        )
        .target("protocol", "field", json!(protocol)));
    }
    let (port_min, port_max) = (request["port_min"].as_u64(), request["port_max"].as_u64());
    if let (Some(min), Some(max)) = (port_min, port_max) {
        if min > max || max > 65535 || min == 0 {
            return Err(bad(
                "validation_invalid_argument",
                "port_min must be 1–65535 and not above port_max.",
            )
            .target("port_min", "field", json!(min)));
        }
    }
    let remote = match &request["remote"] {
        Value::Null => json!({"cidr_block": "0.0.0.0/0"}),
        Value::Object(r) if r.contains_key("cidr_block") => {
            let cidr = r["cidr_block"].as_str().unwrap_or_default();
            if parse_cidr(cidr).is_none() {
                return Err(bad(
                    "validation_invalid_argument",
                    format!("'{cidr}' is not an IPv4 CIDR block."),
                )
                .target("remote.cidr_block", "field", json!(cidr)));
            }
            json!({"cidr_block": cidr})
        }
        other => other.clone(),
    };
    let id = ctx.id();
    let mut rule = json!({
        "direction": direction,
        "href": ctx.href(&format!("security_groups/{sg_id}/rules/{id}")),
        "id": id,
        "ip_version": "ipv4",
        "local": request.get("local").cloned().unwrap_or(json!({"cidr_block": "0.0.0.0/0"})),
        "name": request["name"].as_str().map(str::to_owned).unwrap_or_else(|| generated_name("rule")),
        "protocol": protocol,
        "remote": remote,
        "resource_type": "security_group_rule",
    });
    if protocol == "tcp" || protocol == "udp" {
        rule["port_min"] = json!(port_min.unwrap_or(1));
        rule["port_max"] = json!(port_max.unwrap_or(65535));
    }
    let found = ctx.state.store.write(|w| match w.docs.get_mut(sg_id) {
        Some(doc) if doc.kind == "security_group" => {
            if let Some(rules) = doc.body["rules"].as_array_mut() {
                rules.push(rule.clone());
            }
            true
        }
        _ => false,
    });
    if !found {
        return Err(ApiError::not_found(API, "security group", sg_id));
    }
    Ok(rule)
}

pub(crate) async fn create_rule(
    State(state): State<Arc<AppState>>,
    Path((region, sg_id)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    let ctx = Ctx::new(&state, &region);
    ctx.doc("security_group", &sg_id)?;
    let request: Value = parse(&body)?;
    Ok(with_status(
        StatusCode::CREATED,
        add_rule(&ctx, &sg_id, request)?,
    ))
}

pub(crate) async fn list_rules(
    State(state): State<Arc<AppState>>,
    Path((region, sg_id)): Path<(String, String)>,
) -> ApiResult {
    let ctx = Ctx::new(&state, &region);
    let sg = ctx.doc("security_group", &sg_id)?;
    Ok(ok(json!({ "rules": sg.body["rules"] })))
}

pub(crate) async fn get_rule(
    State(state): State<Arc<AppState>>,
    Path((region, sg_id, id)): Path<(String, String, String)>,
) -> ApiResult {
    let ctx = Ctx::new(&state, &region);
    let sg = ctx.doc("security_group", &sg_id)?;
    sg.body["rules"]
        .as_array()
        .and_then(|rules| rules.iter().find(|r| r["id"].as_str() == Some(id.as_str())))
        .cloned()
        .map(ok)
        .ok_or_else(|| ApiError::not_found(API, "security group rule", &id))
}

pub(crate) async fn delete_rule(
    State(state): State<Arc<AppState>>,
    Path((region, sg_id, id)): Path<(String, String, String)>,
) -> ApiResult {
    let ctx = Ctx::new(&state, &region);
    ctx.doc("security_group", &sg_id)?;
    let removed = ctx.state.store.write(|w| {
        let rules = w.docs.get_mut(&sg_id)?.body["rules"].as_array_mut()?;
        let before = rules.len();
        rules.retain(|r| r["id"].as_str() != Some(id.as_str()));
        Some(rules.len() < before)
    });
    if removed != Some(true) {
        return Err(ApiError::not_found(API, "security group rule", &id));
    }
    Ok(crate::api::no_content())
}

// ---------------------------------------------------------------- endpoint gateways

#[derive(Debug, Deserialize)]
struct CreateGateway {
    name: Option<String>,
    vpc: Option<Value>,
    target: Option<Value>,
    #[serde(default)]
    ips: Vec<Value>,
    #[serde(default)]
    security_groups: Vec<Value>,
    resource_group: Option<Value>,
    dns_resolution_binding_mode: Option<String>,
}

pub(crate) async fn create_endpoint_gateway(
    State(state): State<Arc<AppState>>,
    Path(region): Path<String>,
    body: Bytes,
) -> ApiResult {
    let ctx = Ctx::new(&state, &region);
    let request: CreateGateway = parse(&body)?;
    let vpc_id = request
        .vpc
        .as_ref()
        .and_then(id_of)
        .ok_or_else(|| missing("vpc.id"))?;
    let vpc = ctx.referenced("vpc", "VPC", vpc_id, "vpc.id")?;
    let target = request.target.ok_or_else(|| missing("target"))?;
    let target_crn = target["crn"]
        .as_str()
        .ok_or_else(|| missing("target.crn"))?
        .to_owned();
    let resource_type = target["resource_type"]
        .as_str()
        .unwrap_or("provider_cloud_service");
    if resource_type != "provider_cloud_service" {
        return Err(bad("validation_invalid_argument", format!("The sandbox supports endpoint gateways to IBM services (provider_cloud_service), not '{resource_type}'."))
            .target("target.resource_type", "field", json!(resource_type)));
    }
    let database = crate::rc::find_instance(&state, &target_crn)
        .filter(|i| i.is_database() && i.state != "removed" && i.crn(&state.account.account_id) == target_crn)
        .ok_or_else(|| {
            bad("endpoint_gateway_target_not_found", format!("The target '{target_crn}' is not a service instance this account can reach through a private endpoint."))
                .target("target.crn", "field", json!(target_crn))
        })?;
    if database.region != region {
        return Err(bad(
            "endpoint_gateway_target_region_mismatch",
            format!("The database is in {}, but this VPC is in {region}: a VPE must be in the same region.", database.region),
        )
        .target("target.crn", "field", json!(target_crn)));
    }
    let name = check_name(&ctx, "endpoint_gateway", &request.name, "vpe")?;
    let group = ctx.group(request.resource_group.as_ref().and_then(id_of))?;
    let security_groups: Vec<Value> = if request.security_groups.is_empty() {
        vec![vpc.body["default_security_group"].clone()]
    } else {
        request
            .security_groups
            .iter()
            .map(|sg| {
                ctx.doc("security_group", id_of(sg).unwrap_or_default())
                    .map(|d| reference(&d.body, None))
            })
            .collect::<Result<_, _>>()?
    };
    let id = ctx.id();
    let href = ctx.href(&format!("endpoint_gateways/{id}"));
    let gateway_target =
        json!({"href": href, "id": id, "name": name, "resource_type": "endpoint_gateway"});
    let mut ips = Vec::new();
    for ip in &request.ips {
        let subnet_id = ip["subnet"]["id"]
            .as_str()
            .ok_or_else(|| missing("ips[].subnet.id"))?;
        let subnet = ctx.referenced("subnet", "subnet", subnet_id, "ips[].subnet.id")?;
        if subnet.body["vpc"]["id"].as_str() != Some(vpc_id) {
            return Err(bad(
                "validation_invalid_argument",
                "The subnet is not in the endpoint gateway's VPC.",
            )
            .target("ips[].subnet.id", "field", json!(subnet_id)));
        }
        let ip_name = ip["name"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| format!("{name}-ip"));
        ips.push(reserved_ip_ref(&reserve_ip(
            &ctx,
            &subnet.body,
            &ip_name,
            gateway_target.clone(),
        )?));
    }
    let hostname = crate::rc::private_hostname(&database.guid, &database.region);
    let gateway = json!({
        "allow_dns_resolution_binding": true,
        "created_at": timestamp(now()),
        "crn": ctx.crn(&region, "endpoint-gateway", &id),
        "dns_resolution_binding_mode": request.dns_resolution_binding_mode.unwrap_or_else(|| "primary".into()),
        "health_state": "ok",
        "href": href,
        "id": id,
        "ips": ips,
        "lifecycle_reasons": [],
        "lifecycle_state": "pending",
        "name": name,
        "resource_group": group,
        "resource_type": "endpoint_gateway",
        "security_groups": security_groups,
        "service_endpoint": hostname,
        "service_endpoints": [hostname],
        "target": {"crn": target_crn, "resource_type": "provider_cloud_service"},
        "vpc": reference(&vpc.body, Some("vpc")),
    });
    ctx.insert("endpoint_gateway", &gateway);
    Ok(with_status(StatusCode::CREATED, gateway))
}

pub(crate) async fn delete_endpoint_gateway(
    State(state): State<Arc<AppState>>,
    Path((region, id)): Path<(String, String)>,
) -> ApiResult {
    let ctx = Ctx::new(&state, &region);
    ctx.doc("endpoint_gateway", &id)?;
    ctx.state.store.write(|w| {
        w.docs.retain(|_, d| {
            !(d.kind == "reserved_ip" && d.body["target"]["id"].as_str() == Some(id.as_str()))
        });
        w.docs.remove(&id);
    });
    Ok(crate::api::no_content())
}

pub(crate) async fn list_endpoint_gateway_ips(
    State(state): State<Arc<AppState>>,
    Path((region, id)): Path<(String, String)>,
    Query(common): Query<Common>,
) -> ApiResult {
    let ctx = Ctx::new(&state, &region);
    let gateway = ctx.doc("endpoint_gateway", &id)?;
    let items = gateway.body["ips"].as_array().cloned().unwrap_or_default();
    Ok(ok(collection(
        &ctx,
        &format!("endpoint_gateways/{id}/ips"),
        "ips",
        items,
        &common,
    )))
}
