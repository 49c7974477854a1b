//! The connection doctor as the Connect step runs it, and when it stops at DNS or TCP (all
//! a client can see), why: the VPC API asked about each hop in packet order.

use onramp_cloud::Cloud;
use onramp_connect::doctor::{self, DoctorInput, DoctorReport, Stage, StageKind, StageStatus};

use super::Target;
use crate::{
    journal::{JournalState, StepId},
    AppError,
};

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_blocks_hold_addresses() {
        assert!(cidr_holds("10.0.0.0/8", "10.240.0.5"));
        assert!(cidr_holds("0.0.0.0/0", "192.0.2.1"));
        assert!(cidr_holds("10.240.0.5/32", "10.240.0.5"));
        assert!(!cidr_holds("10.240.0.0/24", "10.240.1.5"));
        assert!(!cidr_holds("nonsense", "10.240.1.5"));
    }
}
