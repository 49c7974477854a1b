//! VPCs: made with their default security group (and its rules), deleted only when empty.

use super::*;

#[derive(Debug, Deserialize)]
struct CreateVpc {
    name: Option<String>,
    resource_group: Option<Value>,
    address_prefix_management: Option<String>,
    #[serde(default)]
    classic_access: bool,
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
