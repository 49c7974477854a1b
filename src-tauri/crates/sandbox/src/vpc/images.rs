//! Images and instance profiles: the catalogue a jump server is made from (profiles paged from a version on).

use super::*;

pub(super) fn images(ctx: &Ctx) -> Vec<Value> {
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

pub(super) const PROFILES: [(&str, &str, u32, u32); 4] = [
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
