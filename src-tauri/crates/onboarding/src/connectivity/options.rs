//! What the Connectivity step offers in a region: its VPCs with their subnets, zones, SSH
//! keys, stock images and small profiles, and the private path suggested for a plan.

use serde::{Deserialize, Serialize};
use specta::Type;

use onramp_cloud::{
    vpc::{ImageFilter, ImageStatus, ProfileStatus},
    Cloud,
};

use crate::{
    connectivity::{Connectivity, DEFAULT_JUMP_PROFILE},
    AppError,
};

/// What the Connectivity step offers in the database's region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ConnectivityOptions {
    pub region: String,
    /// The region's VPCs, each with its subnets.
    pub vpcs: Vec<VpcOption>,
    pub zones: Vec<String>,
    /// SSH keys registered in the region.
    pub keys: Vec<KeyOption>,
    /// Stock Linux images, the recommended one first.
    pub images: Vec<ImageOption>,
    /// Small instance profiles, the recommended one first.
    pub profiles: Vec<ProfileOption>,
    /// Where SSH to the jump server should be allowed from, if Onramp knows.
    pub ssh_source: SshSource,
    /// The step's starting point: new resources, the recommended image and profile, and
    /// the SSH source when known.
    pub suggested: Connectivity,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct VpcOption {
    pub id: String,
    pub name: String,
    pub subnets: Vec<SubnetOption>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct SubnetOption {
    pub id: String,
    pub name: String,
    pub zone: String,
    pub cidr: String,
    /// Free addresses: the jump server and the VPE's reserved IP need one each.
    pub available: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct KeyOption {
    pub id: String,
    pub name: String,
    pub fingerprint: String,
    /// `ed25519` or `rsa`.
    pub kind: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ImageOption {
    pub id: String,
    pub name: String,
    /// e.g. "Ubuntu Linux 24.04 LTS Noble Numbat Minimal Install (amd64)".
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ProfileOption {
    pub name: String,
    pub vcpu: u32,
    pub memory_gib: u32,
    pub family: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct SshSource {
    /// The CIDR to suggest, when Onramp knows where SSH will come from.
    pub cidr: Option<String>,
    /// Where it came from, or why the user has to enter it.
    pub explanation: String,
}

/// Profiles above this size are not offered for a jump server: it only forwards one port.
const JUMP_PROFILE_MAX_VCPU: u64 = 4;

/// The region's VPCs, subnets, zones, keys, stock images and small profiles.
/// `sandbox`: SSH to the sandbox's jump servers comes from this machine.
pub async fn connectivity_options(
    cloud: &Cloud,
    location: &str,
    plan_id: &str,
    sandbox: bool,
) -> Result<ConnectivityOptions, AppError> {
    crate::input::check_line(crate::plan::field::LOCATION, "location", location, 32)?;
    let vpc = cloud.vpc(location).map_err(|e| {
        AppError::new(
            crate::ErrorCode::InvalidInput,
            format!(
                "Onramp has no VPC region for the location '{location}': {}",
                e.message
            ),
        )
        .at(crate::plan::field::LOCATION)
        .hint("Choose a location of Databases for PostgreSQL Gen 2 in Basics.")
    })?;
    let images_filter = ImageFilter {
        visibility: Some("public".into()),
        status: Some("available".into()),
        ..ImageFilter::default()
    };
    let (zones, vpcs, subnets, keys, images, profiles) = tokio::try_join!(
        vpc.list_zones(),
        vpc.list_vpcs(None),
        vpc.list_subnets(None, None),
        vpc.list_keys(),
        vpc.list_images(&images_filter),
        vpc.list_instance_profiles(),
    )
    .map_err(AppError::from_cloud)?;

    let zones: Vec<String> = zones.into_iter().map(|z| z.name).collect();
    let vpcs: Vec<VpcOption> = vpcs
        .into_iter()
        .map(|v| {
            let mut own: Vec<SubnetOption> = subnets
                .iter()
                .filter(|s| s.vpc.as_ref().is_some_and(|r| r.id == v.id))
                .map(|s| SubnetOption {
                    id: s.id.clone(),
                    name: s.name.clone(),
                    zone: s.zone.as_ref().map(|z| z.name.clone()).unwrap_or_default(),
                    cidr: s.ipv4_cidr_block.clone().unwrap_or_default(),
                    available: s
                        .available_ipv4_address_count
                        .map_or(0, |n| u32::try_from(n).unwrap_or(u32::MAX)),
                })
                .collect();
            own.sort_by(|a, b| a.name.cmp(&b.name));
            VpcOption {
                id: v.id,
                name: v.name,
                subnets: own,
            }
        })
        .collect();
    let keys: Vec<KeyOption> = keys
        .into_iter()
        .map(|k| KeyOption {
            id: k.id,
            name: k.name,
            fingerprint: k.fingerprint.unwrap_or_default(),
            kind: k.kind.map(|t| t.as_str().to_owned()).unwrap_or_default(),
        })
        .collect();

    let images: Vec<ImageOption> = images
        .into_iter()
        .filter(|i| {
            i.status
                .as_ref()
                .is_none_or(|s| *s == ImageStatus::Available)
        })
        .filter(|i| {
            i.operating_system.as_ref().is_some_and(|os| {
                os.architecture.as_deref() == Some("amd64")
                    && !os.name.as_deref().unwrap_or_default().contains("windows")
                    && os.dedicated_host_only != Some(true)
            })
        })
        .map(|i| ImageOption {
            description: i
                .operating_system
                .as_ref()
                .and_then(|os| os.display_name.clone())
                .unwrap_or_else(|| i.name.clone()),
            id: i.id,
            name: i.name,
        })
        .collect();

    let profiles: Vec<ProfileOption> = profiles
        .into_iter()
        .filter(|p| {
            p.status
                .as_ref()
                .is_none_or(|s| *s == ProfileStatus::Current)
        })
        .filter(|p| {
            p.os_architecture
                .as_ref()
                .is_none_or(|a| a.as_text().is_none_or(|t| t == "amd64"))
        })
        .filter_map(|p| {
            let vcpu = p.vcpu_count.as_ref()?.as_u64()?;
            let memory = p.memory.as_ref()?.as_u64()?;
            (vcpu <= JUMP_PROFILE_MAX_VCPU).then(|| ProfileOption {
                family: p.family.clone().unwrap_or_default(),
                name: p.name,
                vcpu: vcpu as u32,
                memory_gib: memory as u32,
            })
        })
        .collect();
    Ok(assemble(
        location, plan_id, sandbox, zones, vpcs, keys, images, profiles,
    ))
}

/// The options from what the VPC API listed: sorted as the step shows them (the default
/// profile and the recommended image first), with where SSH comes from and the suggested
/// private path filled in from them.
#[allow(clippy::too_many_arguments)]
pub fn assemble(
    location: &str,
    plan_id: &str,
    sandbox: bool,
    mut zones: Vec<String>,
    vpcs: Vec<VpcOption>,
    mut keys: Vec<KeyOption>,
    mut images: Vec<ImageOption>,
    mut profiles: Vec<ProfileOption>,
) -> ConnectivityOptions {
    zones.sort();
    keys.sort_by(|a, b| a.name.cmp(&b.name));
    images.sort_by_key(|i| (image_rank(&i.name), std::cmp::Reverse(i.name.clone())));
    profiles.sort_by_key(|p| {
        (
            p.name != DEFAULT_JUMP_PROFILE,
            p.vcpu,
            p.memory_gib,
            p.name.clone(),
        )
    });

    let ssh_source = if sandbox {
        SshSource {
            cidr: Some("127.0.0.1/32".into()),
            explanation: "In the sandbox the jump server runs on this computer, so SSH comes from 127.0.0.1. On IBM Cloud you would enter your public address.".into(),
        }
    } else {
        SshSource {
            cidr: None,
            explanation: "Onramp does not ask a third-party service for your public address. Enter it as a.b.c.d/32 (a \"what is my IP\" search shows it); behind a VPN or a company proxy, use its outgoing range.".into(),
        }
    };

    let mut suggested = Connectivity::suggested(location, plan_id);
    if let Some(image) = images.first() {
        suggested.jump.image_id = image.id.clone();
        suggested.jump.image_name = image.name.clone();
    }
    if let Some(profile) = profiles.first() {
        suggested.jump.profile = profile.name.clone();
    }
    if let Some(zone) = zones.first() {
        if let crate::connectivity::SubnetChoice::New { zone: z, .. } = &mut suggested.subnet {
            *z = zone.clone();
        }
    }
    if let Some(cidr) = &ssh_source.cidr {
        suggested.ssh_cidr = cidr.clone();
    }
    ConnectivityOptions {
        region: location.to_owned(),
        vpcs,
        zones,
        keys,
        images,
        profiles,
        ssh_source,
        suggested,
    }
}

/// Ubuntu LTS minimal first (the smallest stock image that has OpenSSH), then other Ubuntu,
/// then Debian, then the rest.
fn image_rank(name: &str) -> u8 {
    if name.starts_with("ibm-ubuntu") && name.contains("minimal") {
        0
    } else if name.starts_with("ibm-ubuntu") {
        1
    } else if name.starts_with("ibm-debian") {
        2
    } else {
        3
    }
}
