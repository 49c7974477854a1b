//! How the app reaches an address the cloud handed it (a floating IP, a VPE address, a
//! database's private host name). Against IBM Cloud it connects to the address itself. In
//! Sandbox mode those addresses are virtual and must never be dialled: the sandbox's address
//! map (`GET /sandbox/addresses`) names the loopback socket behind each, and anything not
//! in the map is refused, so a rehearsal cannot send a packet off the machine.

use std::{net::SocketAddr, path::Path};

use serde::Deserialize;
use url::Url;

use crate::{
    endpoints::is_loopback,
    error::CloudError,
    http::{ApiRequest, HttpClient},
};

const SERVICE: &str = "Sandbox";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Network {
    /// IBM Cloud: addresses are real; resolve them with DNS.
    Direct,
    /// The sandbox: only mapped addresses, only to loopback.
    Sandbox { addresses: Url },
}

#[derive(Debug, Deserialize)]
struct SandboxSection {
    addresses: Url,
}

#[derive(Debug, Deserialize)]
struct EndpointsFile {
    #[serde(default)]
    sandbox: Option<SandboxSection>,
}

#[derive(Debug, Deserialize)]
struct AddressMap {
    addresses: Vec<MappedAddress>,
}

#[derive(Debug, Clone, Deserialize)]
struct MappedAddress {
    address: String,
    port: u16,
    target: SocketAddr,
}

impl Network {
    /// The network an `endpoints.json` describes: a sandbox's (it has a `sandbox` section
    /// with a loopback address map) or, without one, the real one.
    pub fn from_endpoints_file(path: &Path) -> Result<Network, CloudError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            CloudError::config(format!(
                "cannot read endpoints file {}: {e}",
                path.display()
            ))
        })?;
        let file: EndpointsFile = serde_json::from_str(&text).map_err(|e| {
            CloudError::config(format!(
                "endpoints file {} is not valid: {e}",
                path.display()
            ))
        })?;
        match file.sandbox {
            None => Ok(Network::Direct),
            Some(section) if is_loopback(&section.addresses) => Ok(Network::Sandbox {
                addresses: section.addresses,
            }),
            Some(section) => Err(CloudError::config(format!(
                "the sandbox address map must be on loopback, not {}",
                section.addresses
            ))),
        }
    }

    /// Where to connect for `host:port`.
    pub async fn resolve(
        &self,
        http: &HttpClient,
        host: &str,
        port: u16,
    ) -> Result<SocketAddr, CloudError> {
        match self {
            Network::Direct => tokio::net::lookup_host((host, port))
                .await
                .map_err(|e| CloudError::config(format!("cannot resolve {host}: {e}")))?
                .next()
                .ok_or_else(|| CloudError::config(format!("{host} has no address"))),
            Network::Sandbox { addresses } => {
                let map: AddressMap = http
                    .execute(&ApiRequest::get(SERVICE, addresses.clone()), None)
                    .await?
                    .json(SERVICE)?;
                let found = map
                    .addresses
                    .into_iter()
                    .find(|a| a.address.eq_ignore_ascii_case(host) && a.port == port)
                    .ok_or_else(|| {
                        CloudError::config(format!(
                            "{host}:{port} is not an address in the sandbox; refusing to connect to it (in Sandbox mode only the sandbox's own virtual addresses are reachable)"
                        ))
                    })?;
                if !found.target.ip().is_loopback() {
                    return Err(CloudError::config(format!(
                        "the sandbox maps {host}:{port} to {}, which is not loopback; refusing",
                        found.target
                    )));
                }
                Ok(found.target)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sandbox_mode_maps_known_addresses_and_refuses_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let sandbox =
            onramp_sandbox::RunningSandbox::start(onramp_sandbox::SandboxConfig::new(dir.path()))
                .await
                .unwrap();
        let network = Network::from_endpoints_file(sandbox.endpoints_path()).unwrap();
        assert!(matches!(network, Network::Sandbox { .. }));
        let http = HttpClient::new().unwrap();
        // A fresh sandbox has no databases or VSIs: every address is unmapped, including
        // real ones, which must not be looked up or dialled.
        for (host, port) in [
            ("203.0.113.4", 22),
            ("example.com", 443),
            ("10.240.0.5", 5432),
        ] {
            let error = network.resolve(&http, host, port).await.unwrap_err();
            assert!(
                error.message.contains("is not an address in the sandbox"),
                "{host}: {}",
                error.message
            );
        }
        sandbox.stop().await;
    }

    #[test]
    fn an_endpoints_file_without_a_sandbox_section_is_the_real_network() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("endpoints.json");
        std::fs::write(&path, r#"{"iam":"https://iam.cloud.ibm.com"}"#).unwrap();
        assert_eq!(
            Network::from_endpoints_file(&path).unwrap(),
            Network::Direct
        );
        std::fs::write(
            &path,
            r#"{"iam":"http://127.0.0.1:1/iam","sandbox":{"addresses":"http://10.0.0.1/sandbox/addresses"}}"#,
        )
        .unwrap();
        assert!(Network::from_endpoints_file(&path).is_err());
    }
}
