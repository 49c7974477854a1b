//! Floating IPs: public addresses, reserved in a zone or for an instance's network interface.

use super::*;

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
