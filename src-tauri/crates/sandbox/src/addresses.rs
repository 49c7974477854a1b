//! The sandbox's network: which loopback socket stands behind each virtual address the
//! APIs show (a database's private host name and endpoint addresses, a VPE's reserved IP, a
//! floating IP's SSH port). Nothing ever connects to a virtual address; clients in Sandbox
//! mode look it up here (`GET /sandbox/addresses`) and refuse anything unmapped.

use std::net::SocketAddr;

use serde::Serialize;
use serde_json::Value;

use crate::{server::AppState, store::World};

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct MappedAddress {
    /// The virtual host (an IP or a host name) as the APIs show it.
    pub address: String,
    pub port: u16,
    /// The loopback socket that answers for it.
    pub target: SocketAddr,
    /// `database`, `endpoint_gateway` or `floating_ip`.
    pub kind: &'static str,
    /// The VPC the address lives in, for addresses inside a VPC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vpc: Option<String>,
    /// The database or VSI behind it.
    pub resource: String,
}

fn loopback(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// The database server port behind an active database, by CRN.
fn database_port(world: &World, account: &str, crn: &str) -> Option<(u16, String)> {
    world
        .instances
        .values()
        .find(|i| i.is_database() && i.crn(account) == crn && i.state == "active")
        .and_then(|i| i.postgres.as_ref().map(|p| (p.port, i.guid.clone())))
}

pub(crate) fn all(state: &AppState) -> Vec<MappedAddress> {
    let account = state.account.account_id.clone();
    state.store.read(|world| {
        let mut out = Vec::new();
        for instance in world.instances.values() {
            let (Some(pg), true) = (&instance.postgres, instance.state == "active") else {
                continue;
            };
            out.push(MappedAddress {
                address: pg.hostname.clone(),
                port: 5432,
                target: loopback(pg.port),
                kind: "database",
                vpc: None,
                resource: instance.guid.clone(),
            });
        }
        for gateway in world.docs_of("endpoint_gateway", None) {
            let body = &gateway.body;
            let Some((port, guid)) = body["target"]["crn"]
                .as_str()
                .and_then(|crn| database_port(world, &account, crn))
            else {
                continue;
            };
            for ip in body["ips"].as_array().into_iter().flatten() {
                if let Some(address) = ip["address"].as_str() {
                    out.push(MappedAddress {
                        address: address.to_owned(),
                        port: 5432,
                        target: loopback(port),
                        kind: "endpoint_gateway",
                        vpc: body["vpc"]["id"].as_str().map(str::to_owned),
                        resource: guid.clone(),
                    });
                }
            }
        }
        for fip in world.docs_of("floating_ip", None) {
            let nic = fip.body["target"]["id"].as_str().unwrap_or_default();
            let instance = world
                .docs_of("instance", None)
                .find(|d| d.body["primary_network_interface"]["id"].as_str() == Some(nic));
            let Some(instance) = instance else { continue };
            let id = instance.body["id"].as_str().unwrap_or_default();
            let (Some(port), Some(address)) =
                (world.jump_ports.get(id), fip.body["address"].as_str())
            else {
                continue;
            };
            out.push(MappedAddress {
                address: address.to_owned(),
                port: 22,
                target: loopback(*port),
                kind: "floating_ip",
                vpc: instance.body["vpc"]["id"].as_str().map(str::to_owned),
                resource: id.to_owned(),
            });
        }
        out
    })
}

/// Where a jump host in `vpc` may forward `host:port`: only to endpoint gateways of its own
/// VPC (by their address, or by the host name of the database they reach).
pub(crate) fn forward_from_vpc(
    state: &AppState,
    vpc: &str,
    instance: &str,
    host: &str,
    port: u16,
) -> Option<SocketAddr> {
    if port != 5432 {
        return None;
    }
    let account = state.account.account_id.clone();
    state.store.read(|world| {
        let vsi = &world.docs.get(instance)?.body;
        world
            .docs_of("endpoint_gateway", None)
            .filter(|g| g.body["vpc"]["id"].as_str() == Some(vpc))
            .find_map(|g| {
                let body: &Value = &g.body;
                let crn = body["target"]["crn"].as_str()?;
                let by_ip = body["ips"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|ip| ip["address"].as_str() == Some(host));
                let by_name = body["service_endpoints"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|n| n.as_str() == Some(host));
                if !(by_ip || by_name) {
                    return None;
                }
                if !security_groups_allow(world, vsi, body, port) {
                    tracing::info!(
                        instance,
                        gateway = body["id"].as_str().unwrap_or_default(),
                        port,
                        "no security-group rule lets the instance reach the endpoint gateway"
                    );
                    return None;
                }
                database_port(world, &account, crn).map(|(port, _)| loopback(port))
            })
    })
}

/// Whether the security groups let `instance` reach `gateway` on TCP `port`, as the VPC
/// enforces them: an outbound rule on one of the instance's groups whose remote is the
/// gateway, and an inbound rule on one of the gateway's groups whose remote is the
/// instance. A remote matches by address, by a CIDR holding the address, or by a group the
/// other end is in. (Network ACLs are not modelled: the default ACL allows everything.)
fn security_groups_allow(world: &World, instance: &Value, gateway: &Value, port: u16) -> bool {
    let ids = |refs: &Value| -> Vec<String> {
        refs.as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r["id"].as_str().map(str::to_owned))
            .collect()
    };
    let vsi_groups = ids(&instance["security_groups_sandbox"]);
    let vpe_groups = ids(&gateway["security_groups"]);
    let vsi_ip = instance["primary_network_interface"]["primary_ip"]["address"]
        .as_str()
        .and_then(|a| a.parse::<std::net::Ipv4Addr>().ok());
    let vpe_ips: Vec<std::net::Ipv4Addr> = gateway["ips"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|ip| ip["address"].as_str()?.parse().ok())
        .collect();
    let allows = |groups: &[String],
                  direction: &str,
                  peer_ips: &[std::net::Ipv4Addr],
                  peer_groups: &[String]| {
        groups.iter().any(|g| {
            world.docs.get(g).is_some_and(|doc| {
                doc.body["rules"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|rule| {
                        rule["direction"].as_str() == Some(direction)
                            && rule_covers_tcp(rule, port)
                            && remote_matches(&rule["remote"], peer_ips, peer_groups)
                    })
            })
        })
    };
    let vsi_ips: Vec<std::net::Ipv4Addr> = vsi_ip.into_iter().collect();
    allows(&vsi_groups, "outbound", &vpe_ips, &vpe_groups)
        && allows(&vpe_groups, "inbound", &vsi_ips, &vsi_groups)
}

fn rule_covers_tcp(rule: &Value, port: u16) -> bool {
    match rule["protocol"].as_str() {
        Some("all" | "icmp_tcp_udp" | "any") => true,
        Some("tcp") => {
            let min = rule["port_min"].as_u64().unwrap_or(1);
            let max = rule["port_max"].as_u64().unwrap_or(65535);
            (min..=max).contains(&u64::from(port))
        }
        _ => false,
    }
}

fn remote_matches(remote: &Value, peer_ips: &[std::net::Ipv4Addr], peer_groups: &[String]) -> bool {
    if let Some(id) = remote["id"].as_str() {
        return peer_groups.iter().any(|g| g == id);
    }
    if let Some(address) = remote["address"].as_str() {
        return peer_ips.iter().any(|ip| ip.to_string() == address);
    }
    if let Some(cidr) = remote["cidr_block"].as_str() {
        let Some((network, bits)) = cidr.split_once('/').and_then(|(a, b)| {
            Some((
                a.parse::<std::net::Ipv4Addr>().ok()?,
                b.parse::<u32>().ok()?,
            ))
        }) else {
            return false;
        };
        let mask = if bits == 0 {
            0
        } else {
            u32::MAX << (32 - bits.min(32))
        };
        return peer_ips
            .iter()
            .any(|ip| u32::from(*ip) & mask == u32::from(network) & mask);
    }
    false
}
