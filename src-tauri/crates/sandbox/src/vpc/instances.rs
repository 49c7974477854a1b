//! Instances (each backed by a real SSH server on loopback), their network interfaces, and binding a floating IP to one.

use super::*;

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
