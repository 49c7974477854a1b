//! Subnets (an address range in one zone of a VPC) and the IPs reserved in them.

use super::*;

#[derive(Debug, Deserialize)]
struct CreateSubnet {
    name: Option<String>,
    vpc: Option<Value>,
    zone: Option<Value>,
    total_ipv4_address_count: Option<u32>,
    ipv4_cidr_block: Option<String>,
    resource_group: Option<Value>,
}

pub(super) fn zone_index(ctx: &Ctx, zone: &str) -> Option<u32> {
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

pub(super) fn parse_cidr(cidr: &str) -> Option<(Ipv4Addr, u32)> {
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
pub(super) fn reserve_ip(
    ctx: &Ctx,
    subnet: &Value,
    name: &str,
    target: Value,
) -> Result<Value, ApiError> {
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

pub(super) fn reserved_ip_ref(ip: &Value) -> Value {
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
