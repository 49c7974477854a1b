//! VPC regions and their zones: the thirteen regions, each with three zones.

use super::*;

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
