//! What the Basics and Sizing steps offer, read live: the Gen 2 plan's deployments in the
//! Global Catalog (locations, and per location the host flavors and versions when the
//! catalog publishes them) and the account's resource groups. Where the catalog is silent
//! the documented list is used and marked [`ListSource::Documented`], so the UI can say so.

use serde_json::Value;

use onramp_cloud::{
    catalog::{CatalogEntry, POSTGRESQL_GEN2_PLAN_ID},
    Cloud,
};

use crate::{
    plan::{
        location_label, FlavorOffer, ListSource, LocationOffer, Offerings, ResourceGroupOffer,
        STORAGE_MAX_GB, STORAGE_MIN_GB,
    },
    AppError,
};

/// The host flavors the Gen 2 docs list (gen2-facts §2.2), for a catalog that does not
/// publish them per location.
pub const DOCUMENTED_FLAVORS: [(&str, u32, u32); 6] = [
    ("bx3d.4x20", 4, 20),
    ("bx3d.8x40", 8, 40),
    ("mx3d.8x80", 8, 80),
    ("bx3d.16x80", 16, 80),
    ("bx3d.32x160", 32, 160),
    ("bx3d.48x240", 48, 240),
];
/// PostgreSQL 18 is the only version Gen 2 offers (gen2-facts §2.3).
pub const DOCUMENTED_VERSIONS: [&str; 1] = ["18"];

/// Reads the locations, flavors, versions and resource groups for `account_id`.
pub async fn load(cloud: &Cloud, account_id: &str) -> Result<Offerings, AppError> {
    let catalog = cloud.global_catalog().map_err(AppError::from_cloud)?;
    let rm = cloud.resource_manager().map_err(AppError::from_cloud)?;
    let (deployments, groups) = tokio::join!(
        catalog.deployments(POSTGRESQL_GEN2_PLAN_ID),
        rm.list_resource_groups(account_id, None)
    );
    let deployments = deployments.map_err(AppError::from_cloud)?;
    let groups = groups.map_err(AppError::from_cloud)?;
    let mut locations: Vec<LocationOffer> = deployments.iter().filter_map(location_offer).collect();
    locations.sort_by(|a, b| a.id.cmp(&b.id));
    locations.dedup_by(|a, b| a.id == b.id);
    if locations.is_empty() {
        return Err(AppError::new(
            crate::ErrorCode::NotFound,
            "The Global Catalog lists no location that offers Databases for PostgreSQL Gen 2 (plan standard-gen2).",
        )
        .hint("Try again later; if it persists, the plan may have moved in the catalog."));
    }
    let mut resource_groups: Vec<ResourceGroupOffer> = groups
        .into_iter()
        .filter(|g| {
            g.state
                .as_deref()
                .is_none_or(|s| s.eq_ignore_ascii_case("active"))
        })
        .map(|g| ResourceGroupOffer {
            name: g.name.clone().unwrap_or_else(|| g.id.clone()),
            is_default: g.default == Some(true),
            id: g.id,
        })
        .collect();
    resource_groups.sort_by(|a, b| b.is_default.cmp(&a.is_default).then(a.name.cmp(&b.name)));
    Ok(Offerings {
        locations,
        resource_groups,
    })
}

/// A deployment the Resource Controller can provision into, with what it offers.
fn location_offer(deployment: &CatalogEntry) -> Option<LocationOffer> {
    if !deployment.is_rc_compatible() {
        return None;
    }
    let id = deployment.location()?.to_owned();
    let other = deployment.metadata.as_ref().and_then(|m| m.other.as_ref());
    let (flavors, flavors_source) = match other.and_then(catalog_flavors) {
        Some(flavors) => (flavors, ListSource::Catalog),
        None => (
            DOCUMENTED_FLAVORS
                .iter()
                .map(|(id, cpu, memory_gb)| FlavorOffer {
                    id: (*id).to_owned(),
                    cpu: *cpu,
                    memory_gb: *memory_gb,
                })
                .collect(),
            ListSource::Documented,
        ),
    };
    let (versions, versions_source) = match other.and_then(catalog_versions) {
        Some(versions) => (versions, ListSource::Catalog),
        None => (
            DOCUMENTED_VERSIONS
                .iter()
                .map(|v| (*v).to_owned())
                .collect(),
            ListSource::Documented,
        ),
    };
    let disk = deployment
        .sizing()
        .into_iter()
        .find(|s| s.id == "member")
        .and_then(|s| s.disk);
    let storage_min_gb = disk
        .as_ref()
        .and_then(|d| d.minimum_gb)
        .map(|g| g as i64)
        .unwrap_or(STORAGE_MIN_GB);
    Some(LocationOffer {
        label: location_label(&id),
        deployment_id: deployment.id.clone(),
        id,
        flavors,
        flavors_source,
        versions,
        versions_source,
        members: vec![2, 3],
        storage_min_gb,
        storage_max_gb: STORAGE_MAX_GB,
    })
}

/// `metadata.other.host_flavors`: `[{"id", "cpu_count", "memory_gb"}]`, smallest first.
fn catalog_flavors(other: &Value) -> Option<Vec<FlavorOffer>> {
    let mut flavors: Vec<FlavorOffer> = other
        .get("host_flavors")?
        .as_array()?
        .iter()
        .filter_map(|f| {
            Some(FlavorOffer {
                id: f.get("id")?.as_str()?.to_owned(),
                cpu: u32::try_from(f.get("cpu_count")?.as_u64()?).ok()?,
                memory_gb: u32::try_from(f.get("memory_gb")?.as_u64()?).ok()?,
            })
        })
        .collect();
    flavors.sort_by_key(|f| (f.cpu, f.memory_gb));
    (!flavors.is_empty()).then_some(flavors)
}

/// `metadata.other.versions`: `[{"version", "is_preferred"}]`, newest first.
fn catalog_versions(other: &Value) -> Option<Vec<String>> {
    let mut versions: Vec<String> = other
        .get("versions")?
        .as_array()?
        .iter()
        .filter_map(|v| v.get("version")?.as_str().map(str::to_owned))
        .collect();
    versions.sort_by_key(|v| {
        std::cmp::Reverse(
            v.split('.')
                .map(|p| p.parse::<u32>().unwrap_or(0))
                .collect::<Vec<_>>(),
        )
    });
    versions.dedup();
    (!versions.is_empty()).then_some(versions)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deployment(other: Value) -> CatalogEntry {
        serde_json::from_value(serde_json::json!({
            "id": "dep-ca-mon", "name": "ca-mon", "kind": "deployment",
            "metadata": {"rc_compatible": true, "deployment": {"location": "ca-mon"}, "other": other}
        }))
        .unwrap()
    }

    #[test]
    fn catalog_lists_are_used_when_present_and_sorted() {
        let offer = location_offer(&deployment(serde_json::json!({
            "host_flavors": [{"id": "bx3d.8x40", "cpu_count": 8, "memory_gb": 40}, {"id": "bx3d.4x20", "cpu_count": 4, "memory_gb": 20}],
            "versions": [{"version": "17"}, {"version": "18"}],
        })))
        .unwrap();
        assert_eq!(offer.flavors_source, ListSource::Catalog);
        assert_eq!(offer.flavors[0].id, "bx3d.4x20");
        assert_eq!(offer.versions, ["18", "17"]);
        assert_eq!(offer.label, "Montréal (ca-mon)");
        assert_eq!(offer.deployment_id, "dep-ca-mon");
    }

    #[test]
    fn a_silent_catalog_falls_back_to_the_documented_lists_marked_as_such() {
        let offer = location_offer(&deployment(serde_json::json!({}))).unwrap();
        assert_eq!(offer.flavors_source, ListSource::Documented);
        assert_eq!(offer.versions_source, ListSource::Documented);
        assert_eq!(offer.flavors.len(), 6);
        assert_eq!(offer.versions, ["18"]);
    }

    #[test]
    fn deployments_rc_cannot_use_are_skipped() {
        let entry: CatalogEntry = serde_json::from_value(serde_json::json!({
            "id": "x", "name": "x", "kind": "deployment",
            "metadata": {"rc_compatible": false, "deployment": {"location": "ca-mon"}}
        }))
        .unwrap();
        assert!(location_offer(&entry).is_none());
    }
}
