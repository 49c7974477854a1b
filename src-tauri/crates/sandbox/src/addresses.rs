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
    host: &str,
    port: u16,
) -> Option<SocketAddr> {
    if port != 5432 {
        return None;
    }
    let account = state.account.account_id.clone();
    state.store.read(|world| {
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
                database_port(world, &account, crn).map(|(port, _)| loopback(port))
            })
    })
}
