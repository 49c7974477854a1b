//! Endpoint gateways (VPEs): a service's private endpoint with a reserved IP in each chosen subnet.

use super::*;

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
