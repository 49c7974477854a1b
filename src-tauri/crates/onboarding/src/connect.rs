//! What the Connectivity and Connect steps need besides the rules: the account's VPC
//! resources to choose from, the way to the database as the journal and the keychain know
//! it, the OpenSSH and `psql` commands a user can copy, and the first query.
//!
//! Secrets (the SSH login key, the credential's password) are read from the keychain here
//! and handed only to the tunnel and the PostgreSQL session; nothing this module returns to
//! the window carries one.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use specta::Type;

use onramp_cloud::{
    vpc::{ImageFilter, ImageStatus, ProfileStatus},
    Cloud,
};
use onramp_connect::{
    doctor::{self, DoctorInput, DoctorReport, Stage, StageKind, StageStatus},
    postgres::{PgError, PgSession},
};
use onramp_secrets::{Keychain, Sensitive};

use crate::{
    connectivity::{Connectivity, DEFAULT_JUMP_PROFILE},
    engine::{private_path_of, PrivatePath},
    journal::{JournalState, Phase, StepId},
    AppError, ErrorCode,
};

// ------------------------------------------------------------------ the step's choices

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
    let vpc = cloud.vpc(location).map_err(AppError::from_cloud)?;
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

    let mut zones: Vec<String> = zones.into_iter().map(|z| z.name).collect();
    zones.sort();
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
    let mut keys: Vec<KeyOption> = keys
        .into_iter()
        .map(|k| KeyOption {
            id: k.id,
            name: k.name,
            fingerprint: k.fingerprint.unwrap_or_default(),
            kind: k.kind.map(|t| t.as_str().to_owned()).unwrap_or_default(),
        })
        .collect();
    keys.sort_by(|a, b| a.name.cmp(&b.name));

    let mut images: Vec<ImageOption> = images
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
    images.sort_by_key(|i| (image_rank(&i.name), std::cmp::Reverse(i.name.clone())));

    let mut profiles: Vec<ProfileOption> = profiles
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
    Ok(ConnectivityOptions {
        region: location.to_owned(),
        vpcs,
        zones,
        keys,
        images,
        profiles,
        ssh_source,
        suggested,
    })
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

// ------------------------------------------------------------------ the way in

pub use crate::credential::StoredCredential;

/// Everything needed to reach the database of an applied plan, secrets included. Built by
/// [`Target::load`]; never serialized.
pub struct Target {
    pub plan_id: String,
    pub path: PrivatePath,
    pub jump_address: String,
    pub vpe_address: String,
    pub host_name: String,
    pub credential: StoredCredential,
    /// The SSH login key (from the keychain, or the file the user chose for their own key).
    pub private_key: Sensitive<String>,
    pub host_key: String,
}

/// Why the way in is not there yet, as the user should read it.
fn not_ready(message: impl Into<String>, hint: impl Into<String>) -> AppError {
    AppError::new(ErrorCode::Conflict, message).hint(hint)
}

impl Target {
    /// Reads the private path from the journal and the secrets from the keychain (or, for
    /// a key the user brought, from `key_file`). With `need_key` false the SSH key is not
    /// read (`private_key` is empty): enough to show the commands.
    pub async fn load(
        state: &JournalState,
        keychain: &Keychain,
        key_file: Option<&Path>,
        need_key: bool,
    ) -> Result<Target, AppError> {
        let path = private_path_of(state).ok_or_else(|| {
            not_ready(
                "This plan has no private path, so Onramp has no way to the database.",
                "Plan one in the Connectivity step (a VPC, a jump server and a VPE) and apply it, or connect from a machine already inside the VPC.",
            )
        })?;
        let pending = |step: StepId, what: &str| -> Result<(), AppError> {
            let record = state.step(step);
            if record.phase == Phase::Ready {
                Ok(())
            } else {
                Err(not_ready(
                    format!("The {what} is not ready yet."),
                    "Wait until the Provision step shows every row ready (or resume the plan there).",
                ))
            }
        };
        pending(StepId::Instance, "database")?;
        pending(StepId::ManagerKey, "Manager credential")?;
        pending(StepId::JumpVsi, "jump server")?;
        pending(StepId::FloatingIp, "jump server's floating IP")?;
        pending(StepId::Vpe, "private endpoint (VPE)")?;
        let internal =
            |what: &str| AppError::internal(format!("the journal has no {what} for this plan"));
        let jump_address = path
            .jump_address
            .clone()
            .ok_or_else(|| internal("floating IP address"))?;
        let vpe_address = path
            .vpe_address
            .clone()
            .ok_or_else(|| internal("VPE address"))?;
        let host_key = path.host_key.clone().ok_or_else(|| internal("host key"))?;

        let entry = state
            .step(StepId::ManagerKey)
            .keychain_entry
            .ok_or_else(|| internal("credential entry"))?;
        let credential = crate::vault::read(keychain, &entry)
            .await?
            .ok_or_else(|| {
                AppError::new(
                    ErrorCode::NotFound,
                    "The Manager credential's password is not in the keychain any more.",
                )
                .hint("Retry the plan's failed steps in the Provision step to make a new credential, or restore the keychain entry.")
            })?;
        let credential = StoredCredential::parse(&credential)?;
        let host_name = path
            .host_name
            .clone()
            .unwrap_or_else(|| credential.host.clone());

        let private_key = match (&path.ssh_key_entry, key_file) {
            _ if !need_key => Sensitive::new(String::new()),
            (Some(entry), _) => crate::vault::read(keychain, entry)
                .await?
                .ok_or_else(|| {
                    AppError::new(
                        ErrorCode::NotFound,
                        "The SSH key Onramp generated for this plan is not in the keychain any more.",
                    )
                    .hint("Without it nobody can log in to the jump server: tear the plan down and apply it again, or add your own key to a new jump server.")
                })?,
            (None, Some(file)) => read_private_key(file)?,
            (None, None) => {
                return Err(AppError::new(
                    ErrorCode::InvalidInput,
                    "This plan uses your own SSH key: choose its private key file.",
                )
                .at(KEY_FILE_FIELD))
            }
        };
        Ok(Target {
            plan_id: state.plan.id.clone(),
            path,
            jump_address,
            vpe_address,
            host_name,
            credential,
            private_key,
            host_key,
        })
    }
}

/// The Connect step's field for a user's own private key file.
pub const KEY_FILE_FIELD: &str = "connect.keyFile";

fn read_private_key(file: &Path) -> Result<Sensitive<String>, AppError> {
    let text = std::fs::read_to_string(file).map_err(|e| {
        AppError::new(
            ErrorCode::InvalidInput,
            format!("Onramp cannot read {}: {e}", file.display()),
        )
        .at(KEY_FILE_FIELD)
    })?;
    if !text.contains("PRIVATE KEY-----") {
        return Err(AppError::new(
            ErrorCode::InvalidInput,
            format!(
                "{} is not a private key (it has no \"-----BEGIN … PRIVATE KEY-----\" line); a .pub file is the public half.",
                file.display()
            ),
        )
        .at(KEY_FILE_FIELD));
    }
    Ok(Sensitive::new(text))
}

// ------------------------------------------------------------------ why it is unreachable

/// A cause the VPC API confirms, and its fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub cause: String,
    pub fix: String,
}

fn finding(cause: impl Into<String>, fix: impl Into<String>) -> Option<Finding> {
    Some(Finding {
        cause: cause.into(),
        fix: fix.into(),
    })
}

/// Asks the VPC API what is wrong with the private path when the doctor could not get
/// through, in the order packets travel: the jump server, its floating IP, the rule that
/// lets SSH in, the VPE, and the rules between the jump server and the VPE on 5432.
/// `Ok(None)`: the cloud sees nothing wrong.
pub async fn explain_unreachable(
    cloud: &Cloud,
    state: &JournalState,
) -> Result<Option<Finding>, AppError> {
    use onramp_cloud::vpc::{InstanceStatus, LifecycleState, RuleDirection};
    let Some(c) = state.plan.connectivity.as_ref() else {
        return Ok(None);
    };
    let vpc = cloud
        .vpc(&state.plan.location)
        .map_err(AppError::from_cloud)?;
    let id_of = |step: StepId| state.step(step).id.unwrap_or_default();
    let gone = |e: &onramp_cloud::CloudError| e.is_not_found();
    let api = AppError::from_cloud;

    let jump_id = id_of(StepId::JumpVsi);
    let jump = match vpc.get_instance(&jump_id).await {
        Ok(j) => j,
        Err(e) if gone(&e) => {
            return Ok(finding(
                format!("the jump server {} no longer exists (it was deleted outside Onramp)", c.jump.name),
                "Tear this plan down and apply it again, which creates a new jump server with the pinned host key.",
            ))
        }
        Err(e) => return Err(api(e)),
    };
    if let Some(status) = jump
        .status
        .as_ref()
        .filter(|s| **s != InstanceStatus::Running)
    {
        return Ok(finding(
            format!("the jump server {} is {}, not running", c.jump.name, status.as_str()),
            format!("Start it (console: Virtual server instances → {} → Start, or `ibmcloud is instance-start {}`), then run the doctor again.", c.jump.name, jump.id),
        ));
    }
    let nic_id = state
        .step(StepId::JumpVsi)
        .detail
        .get(crate::engine::resources::detail::NETWORK_INTERFACE)
        .cloned()
        .or_else(|| {
            jump.primary_network_interface
                .as_ref()
                .map(|n| n.id.clone())
        })
        .unwrap_or_default();
    let nic = vpc
        .get_instance_network_interface(&jump.id, &nic_id)
        .await
        .map_err(api)?;
    let jump_ip = nic.primary_ip.as_ref().and_then(|ip| ip.address.clone());

    let fip = match vpc.get_floating_ip(&id_of(StepId::FloatingIp)).await {
        Ok(f) => f,
        Err(e) if gone(&e) => {
            return Ok(finding(
                format!("the floating IP {} was deleted, so the jump server has no public address", c.floating_ip_name()),
                "Reserve a floating IP and bind it to the jump server's network interface (or tear down and apply the plan again).",
            ))
        }
        Err(e) => return Err(api(e)),
    };
    let address = fip.address.clone().unwrap_or_default();
    if fip.target.as_ref().map(|t| t.id.as_str()) != Some(nic.id.as_str()) {
        return Ok(finding(
            format!(
                "the floating IP {address} is not bound to the jump server's network interface"
            ),
            format!(
                "Bind it to {} (console: Floating IPs → {} → Bind).",
                c.jump.name, fip.name
            ),
        ));
    }

    let groups = |refs: Vec<String>| {
        let vpc = vpc.clone();
        async move {
            let mut out = Vec::new();
            for id in refs {
                out.push(vpc.get_security_group(&id).await.map_err(api)?);
            }
            Ok::<_, AppError>(out)
        }
    };
    let jump_groups = groups(nic.security_groups.iter().map(|g| g.id.clone()).collect()).await?;
    let jump_group_ids: Vec<String> = jump_groups.iter().map(|g| g.id.clone()).collect();
    let names = |gs: &[onramp_cloud::vpc::SecurityGroup]| {
        gs.iter()
            .map(|g| g.name.clone())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let any_source = |rule: &onramp_cloud::vpc::SecurityGroupRule| rule.remote.is_some();
    let ssh_allowed = jump_groups.iter().flat_map(|g| &g.rules).any(|r| {
        r.direction == Some(RuleDirection::Inbound) && rule_covers(r, 22) && any_source(r)
    });
    if !ssh_allowed {
        return Ok(finding(
            format!(
                "no security-group rule lets SSH (TCP 22) in to the jump server (its groups: {})",
                names(&jump_groups)
            ),
            format!(
                "Add an inbound TCP 22 rule from {} to {} (Onramp's rule is named {}).",
                c.ssh_cidr,
                names(&jump_groups),
                c.ssh_rule_name()
            ),
        ));
    }

    let vpe = match vpc.get_endpoint_gateway(&id_of(StepId::Vpe)).await {
        Ok(v) => v,
        Err(e) if gone(&e) => {
            return Ok(finding(
                format!("the VPE {} was deleted, so nothing in the VPC answers for the database", c.vpe_name),
                "Create a VPE (endpoint gateway) to the database in the jump server's VPC with a reserved IP in its subnet, or tear down and apply the plan again.",
            ))
        }
        Err(e) => return Err(api(e)),
    };
    if let Some(state) = vpe
        .lifecycle_state
        .as_ref()
        .filter(|s| **s != LifecycleState::Stable)
    {
        return Ok(finding(
            format!("the VPE {} is {}, not yet stable", vpe.name, state.as_str()),
            "Wait until it is stable (a few minutes after the database is active), then run the doctor again.",
        ));
    }
    let vpe_ips: Vec<String> = vpe.ips.iter().filter_map(|ip| ip.address.clone()).collect();
    let vpe_groups = groups(vpe.security_groups.iter().map(|g| g.id.clone()).collect()).await?;
    let vpe_group_ids: Vec<String> = vpe_groups.iter().map(|g| g.id.clone()).collect();
    let jump_ips: Vec<String> = jump_ip.into_iter().collect();
    let inbound = vpe_groups.iter().flat_map(|g| &g.rules).any(|r| {
        r.direction == Some(RuleDirection::Inbound)
            && rule_covers(r, 5432)
            && remote_is(r, &jump_ips, &jump_group_ids)
    });
    if !inbound {
        return Ok(finding(
            format!("no security-group rule lets the jump server reach the VPE on TCP 5432 (the VPE's groups: {})", names(&vpe_groups)),
            format!("Add an inbound TCP 5432 rule to {} from the jump server's group {} (Onramp's rule is named {}).", names(&vpe_groups), names(&jump_groups), c.postgres_rule_name()),
        ));
    }
    let outbound = jump_groups.iter().flat_map(|g| &g.rules).any(|r| {
        r.direction == Some(RuleDirection::Outbound)
            && rule_covers(r, 5432)
            && remote_is(r, &vpe_ips, &vpe_group_ids)
    });
    if !outbound {
        return Ok(finding(
            format!("no security-group rule lets the jump server send to the VPE on TCP 5432 (its groups: {})", names(&jump_groups)),
            format!("Add an outbound TCP 5432 rule to {} towards {}.", names(&jump_groups), vpe_ips.join(", ")),
        ));
    }
    Ok(None)
}

fn rule_covers(rule: &onramp_cloud::vpc::SecurityGroupRule, port: u16) -> bool {
    use onramp_cloud::vpc::RuleProtocol;
    match &rule.protocol {
        Some(RuleProtocol::All | RuleProtocol::IcmpTcpUdp | RuleProtocol::Any) => true,
        Some(RuleProtocol::Tcp) => {
            (rule.port_min.unwrap_or(1)..=rule.port_max.unwrap_or(65535)).contains(&port)
        }
        _ => false,
    }
}

fn remote_is(
    rule: &onramp_cloud::vpc::SecurityGroupRule,
    ips: &[String],
    groups: &[String],
) -> bool {
    let Some(remote) = &rule.remote else {
        return true;
    };
    if let Some(id) = &remote.id {
        return groups.contains(id);
    }
    if let Some(address) = &remote.address {
        return ips.contains(address);
    }
    if let Some(cidr) = &remote.cidr_block {
        return ips.iter().any(|ip| cidr_holds(cidr, ip));
    }
    false
}

fn cidr_holds(cidr: &str, ip: &str) -> bool {
    let (Ok((network, bits)), Ok(ip)) = (
        crate::connectivity::parse_cidr(cidr).or_else(|_| {
            // A rule's block may have host bits set; compare by the prefix anyway.
            let (a, b) = cidr.split_once('/').ok_or(())?;
            Ok::<_, ()>((a.parse().map_err(|_| ())?, b.parse().map_err(|_| ())?))
        }),
        ip.parse::<std::net::Ipv4Addr>(),
    ) else {
        return false;
    };
    let mask = if bits == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(bits.min(32)))
    };
    u32::from(ip) & mask == u32::from(network) & mask
}

impl Target {
    /// The doctor's input for this target over `network`.
    pub fn doctor_input(
        &self,
        network: onramp_cloud::Network,
        http: onramp_cloud::HttpClient,
    ) -> DoctorInput {
        DoctorInput {
            network,
            http,
            jump_host: self.jump_address.clone(),
            jump_port: 22,
            ssh_user: self.path.ssh_user.clone(),
            private_key: self.private_key.clone(),
            host_key: self.host_key.clone(),
            vpe_ip: self.vpe_address.clone(),
            host_name: self.host_name.clone(),
            database: self.credential.database.clone(),
            user: self.credential.username.clone(),
            password: self.credential.password.clone(),
            ca_pem: self.credential.ca_pem.clone(),
        }
    }
}

/// Runs the doctor; when it stops at DNS or TCP (where a client sees only that a hop is
/// down) it asks the VPC API why, and reports that cause and fix on the failed stage (sent
/// to `on_stage` again).
pub async fn run_doctor(
    cloud: &Cloud,
    state: &JournalState,
    input: &DoctorInput,
    mut on_stage: impl FnMut(&Stage),
) -> DoctorReport {
    let mut report = doctor::run(input, &mut on_stage).await;
    let failed = report.stages.iter_mut().find(|s| {
        s.status == StageStatus::Failed && matches!(s.kind, StageKind::Dns | StageKind::Tcp)
    });
    if let Some(failed) = failed {
        match explain_unreachable(cloud, state).await {
            Ok(Some(found)) => {
                if let Some(seen) = failed.cause.take() {
                    failed.detail = format!("{} What the client saw: {seen}.", failed.detail);
                }
                failed.cause = Some(found.cause);
                failed.fix = Some(found.fix);
                on_stage(failed);
            }
            Ok(None) => {}
            Err(error) => tracing::warn!(
                message = %error.message,
                "could not ask the VPC API why the path is down"
            ),
        }
    }
    report
}

// ------------------------------------------------------------------ the commands to copy

/// The files the copyable commands refer to (public data only: a known_hosts line and the
/// credential's CA certificate) under `<data>/connect/<plan id>/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectFiles {
    pub known_hosts: PathBuf,
    pub ca: Option<PathBuf>,
}

impl ConnectFiles {
    /// Writes the known_hosts line (under the floating IP's name) and the CA, if any.
    pub fn write(data_dir: &Path, target: &Target) -> Result<ConnectFiles, AppError> {
        let dir = data_dir.join("connect").join(&target.plan_id);
        let io = |e: std::io::Error| AppError::internal(format!("writing {}: {e}", dir.display()));
        std::fs::create_dir_all(&dir).map_err(io)?;
        let known_hosts = dir.join("known_hosts");
        let host_key = target
            .host_key
            .split_whitespace()
            .take(2)
            .collect::<Vec<_>>()
            .join(" ");
        std::fs::write(
            &known_hosts,
            format!("{} {host_key}\n", target.jump_address),
        )
        .map_err(io)?;
        let ca = match &target.credential.ca_pem {
            Some(pem) => {
                let file = dir.join("ca.pem");
                std::fs::write(&file, pem).map_err(io)?;
                Some(file)
            }
            None => None,
        };
        Ok(ConnectFiles { known_hosts, ca })
    }
}

/// One way to connect: the tunnel command (OpenSSH; `None` when Onramp's tunnel is open)
/// and the `psql` command and connection string through it. No password: `psql` asks for
/// it, and the Connect step copies it from the keychain on request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ConnectCommands {
    pub local_port: u16,
    pub ssh: Option<String>,
    pub psql: String,
    pub connection_string: String,
}

/// What the commands are built from.
#[derive(Clone)]
pub struct CommandInputs<'a> {
    pub target: &'a Target,
    pub files: &'a ConnectFiles,
    /// The socket to dial for SSH: the floating IP's port 22, or in the sandbox the
    /// loopback socket its address map names.
    pub jump_socket: std::net::SocketAddr,
    pub local_port: u16,
    /// The private key file for `ssh -i` (with Onramp's own tunnel: none).
    pub key_file: Option<&'a Path>,
}

/// Builds the commands. With `key_file`, the OpenSSH tunnel to `local_port`; without it,
/// only the `psql` side (Onramp's tunnel listens on `local_port`).
pub fn commands(inputs: &CommandInputs<'_>) -> ConnectCommands {
    let t = inputs.target;
    let port = inputs.local_port;
    let ssh = inputs.key_file.map(|key| {
        let mut parts: Vec<String> = vec![
            "ssh".into(),
            "-i".into(),
            shell_quote(&key.to_string_lossy()),
            "-N".into(),
            "-L".into(),
            format!("127.0.0.1:{port}:{}:5432", t.vpe_address),
            "-o".into(),
            "IdentitiesOnly=yes".into(),
            "-o".into(),
            "ExitOnForwardFailure=yes".into(),
            "-o".into(),
            "StrictHostKeyChecking=yes".into(),
            "-o".into(),
            shell_quote(&format!(
                "UserKnownHostsFile={}",
                inputs.files.known_hosts.to_string_lossy()
            )),
            "-o".into(),
            format!("HostKeyAlias={}", t.jump_address),
        ];
        let dial = inputs.jump_socket;
        if dial.port() != 22 {
            parts.push("-p".into());
            parts.push(dial.port().to_string());
        }
        let host = if dial.ip().is_loopback() {
            dial.ip().to_string()
        } else {
            t.jump_address.clone()
        };
        parts.push(format!("{}@{host}", t.path.ssh_user));
        parts.join(" ")
    });
    let root_cert = inputs
        .files
        .ca
        .as_ref()
        .map_or_else(|| "system".to_owned(), |p| p.to_string_lossy().into_owned());
    let conninfo = [
        ("host", t.host_name.as_str()),
        ("hostaddr", "127.0.0.1"),
        ("port", &port.to_string()),
        ("dbname", t.credential.database.as_str()),
        ("user", t.credential.username.as_str()),
        ("sslmode", "verify-full"),
        ("sslrootcert", root_cert.as_str()),
    ]
    .iter()
    .map(|(k, v)| format!("{k}={}", conninfo_quote(v)))
    .collect::<Vec<_>>()
    .join(" ");
    let psql = format!("psql {}", shell_quote(&conninfo));
    let mut uri = url::Url::parse(&format!("postgresql://{}:{port}/", t.host_name))
        .expect("a host name and a port make a URL");
    let _ = uri.set_username(&t.credential.username);
    uri.set_path(&format!("/{}", t.credential.database));
    uri.query_pairs_mut()
        .append_pair("hostaddr", "127.0.0.1")
        .append_pair("sslmode", "verify-full")
        .append_pair("sslrootcert", &root_cert);
    ConnectCommands {
        local_port: port,
        ssh,
        psql,
        connection_string: uri.to_string(),
    }
}

/// A word for `sh`: as is when it has only safe characters, else single-quoted.
pub fn shell_quote(word: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "@%+=:,./-_".contains(c);
    if !word.is_empty() && word.chars().all(safe) {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// A libpq keyword value: single-quoted (with `\` and `'` escaped) when it has spaces or
/// quotes.
fn conninfo_quote(value: &str) -> String {
    if !value.is_empty() && !value.contains([' ', '\'', '\\']) {
        value.to_owned()
    } else {
        format!("'{}'", value.replace('\\', r"\\").replace('\'', r"\'"))
    }
}

/// Where a generated key is suggested to be saved: `~/.ssh/onramp-<plan id prefix>`.
pub fn default_key_file(home: &Path, plan_id: &str) -> PathBuf {
    let short: String = plan_id
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(8)
        .collect();
    home.join(".ssh").join(format!("onramp-{short}"))
}

/// Writes the plan's generated private key to `file` (mode 0600, parent 0700), for OpenSSH.
/// Refuses to replace a different file; saving the same key again is fine.
pub fn save_private_key(file: &Path, key: &Sensitive<String>) -> Result<(), AppError> {
    let at = |message: String| AppError::new(ErrorCode::InvalidInput, message).at(KEY_FILE_FIELD);
    if !file.is_absolute() {
        return Err(at(format!(
            "Give a full path (such as ~/.ssh/onramp), not \"{}\".",
            file.display()
        )));
    }
    if let Ok(existing) = std::fs::read_to_string(file) {
        if existing == *key.expose() {
            return Ok(());
        }
        return Err(at(format!(
            "{} already exists and holds another key; choose another file name.",
            file.display()
        )));
    }
    if file.is_dir() {
        return Err(at(format!(
            "{} is a folder; add a file name.",
            file.display()
        )));
    }
    let parent = file.parent().unwrap_or(Path::new("/"));
    let write = || -> std::io::Result<()> {
        use std::io::Write;
        #[cfg(unix)]
        use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
        if !parent.exists() {
            let mut builder = std::fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            builder.mode(0o700);
            builder.create(parent)?;
        }
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        options.mode(0o600);
        let mut out = options.open(file)?;
        out.write_all(key.expose().as_bytes())?;
        out.sync_all()
    };
    write().map_err(|e| at(format!("Onramp could not write {}: {e}", file.display())))
}

// ------------------------------------------------------------------ the first query

/// The query the Connect step runs first: who you are, where, and over what.
pub const FIRST_QUERY: &str = "SELECT current_user AS \"user\", current_database() AS database, split_part(version(), ' on ', 1) AS server, s.version AS tls, s.cipher FROM pg_stat_ssl s WHERE s.pid = pg_backend_pid()";
/// Rows beyond this are counted, not shown.
pub const QUERY_ROW_LIMIT: usize = 200;

/// A query's answer as text, the way `psql` prints it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct QueryResult {
    pub sql: String,
    pub columns: Vec<String>,
    /// `None` is SQL NULL.
    pub rows: Vec<Vec<Option<String>>>,
    /// All rows returned (more than `rows` holds when truncated).
    pub row_count: u32,
    /// The command tag of the last statement, e.g. `SELECT 1`.
    pub command: String,
    pub elapsed_ms: u32,
}

/// Runs `sql` (one or more statements, simple protocol) and keeps the last result set.
pub async fn run_query(session: &PgSession, sql: &str) -> Result<QueryResult, AppError> {
    use tokio_postgres::SimpleQueryMessage;
    let sql = sql.trim();
    if sql.is_empty() {
        return Err(AppError::new(ErrorCode::InvalidInput, "Type a query to run.").at(QUERY_FIELD));
    }
    let started = std::time::Instant::now();
    let messages = session.client().simple_query(sql).await.map_err(|e| {
        let text = match e.as_db_error() {
            Some(db) => {
                let mut text = format!("{} (SQLSTATE {})", db.message(), db.code().code());
                if let Some(detail) = db.detail() {
                    text.push_str(&format!(". {detail}"));
                }
                text
            }
            None => PgError::Query(e.to_string()).to_string(),
        };
        AppError::new(ErrorCode::InvalidInput, format!("PostgreSQL: {text}")).at(QUERY_FIELD)
    })?;
    let mut result = QueryResult {
        sql: sql.to_owned(),
        columns: Vec::new(),
        rows: Vec::new(),
        row_count: 0,
        command: String::new(),
        elapsed_ms: 0,
    };
    let mut fresh = true;
    for message in messages {
        match message {
            SimpleQueryMessage::RowDescription(columns) => {
                result.columns = columns.iter().map(|c| c.name().to_owned()).collect();
                result.rows.clear();
                result.row_count = 0;
                fresh = false;
            }
            SimpleQueryMessage::Row(row) => {
                if fresh {
                    result.columns = row.columns().iter().map(|c| c.name().to_owned()).collect();
                    fresh = false;
                }
                result.row_count += 1;
                if result.rows.len() < QUERY_ROW_LIMIT {
                    result.rows.push(
                        (0..row.len())
                            .map(|i| row.get(i).map(str::to_owned))
                            .collect(),
                    );
                }
            }
            SimpleQueryMessage::CommandComplete(n) => {
                result.command = if result.columns.is_empty() {
                    format!("{n} row(s) affected")
                } else {
                    format!("{n} row(s)")
                };
                fresh = true;
            }
            _ => {}
        }
    }
    result.elapsed_ms = u32::try_from(started.elapsed().as_millis()).unwrap_or(u32::MAX);
    Ok(result)
}

/// The Connect step's query box.
pub const QUERY_FIELD: &str = "connect.query";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_quoted_for_the_shell_only_when_needed() {
        assert_eq!(
            shell_quote("/home/a/.ssh/onramp-1"),
            "/home/a/.ssh/onramp-1"
        );
        assert_eq!(shell_quote("/home/a b/k"), "'/home/a b/k'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(conninfo_quote("a b"), "'a b'");
        assert_eq!(conninfo_quote(r"o'k\"), r"'o\'k\\'");
        assert_eq!(conninfo_quote("plain"), "plain");
    }

    #[test]
    fn cidr_blocks_hold_addresses() {
        assert!(cidr_holds("10.0.0.0/8", "10.240.0.5"));
        assert!(cidr_holds("0.0.0.0/0", "192.0.2.1"));
        assert!(cidr_holds("10.240.0.5/32", "10.240.0.5"));
        assert!(!cidr_holds("10.240.0.0/24", "10.240.1.5"));
        assert!(!cidr_holds("nonsense", "10.240.1.5"));
    }

    #[test]
    fn the_default_key_file_is_under_dot_ssh() {
        let file = default_key_file(Path::new("/home/ann"), "1b2c-3d4e-5f6a-7b8c");
        assert_eq!(file, Path::new("/home/ann/.ssh/onramp-1b2c3d4e"));
    }

    #[test]
    fn a_saved_key_is_private_and_never_overwrites_another() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("keys").join("onramp");
        let key = Sensitive::new("-----BEGIN OPENSSH PRIVATE KEY-----\nx\n".to_owned());
        save_private_key(&file, &key).unwrap();
        save_private_key(&file, &key).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
            let mode = std::fs::metadata(file.parent().unwrap())
                .unwrap()
                .permissions()
                .mode()
                & 0o777;
            assert_eq!(mode, 0o700);
        }
        let other = Sensitive::new("another".to_owned());
        let refused = save_private_key(&file, &other).unwrap_err();
        assert_eq!(refused.field.as_deref(), Some(KEY_FILE_FIELD));
        assert!(
            refused.message.contains("already exists"),
            "{}",
            refused.message
        );
        let relative = save_private_key(Path::new("onramp"), &key).unwrap_err();
        assert!(relative.message.contains("full path"));
        // The user's own key must be a private key, not its .pub.
        let public = dir.path().join("id.pub");
        std::fs::write(&public, "ssh-ed25519 AAAA x").unwrap();
        assert!(read_private_key(&public)
            .unwrap_err()
            .message
            .contains("public half"));
    }
}
