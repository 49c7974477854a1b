//! Security groups' rules: added, listed, read and deleted, checked as the VPC checks them.

use super::*;

pub(super) fn add_rule(ctx: &Ctx, sg_id: &str, request: Value) -> Result<Value, ApiError> {
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
