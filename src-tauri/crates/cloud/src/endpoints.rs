//! Where each IBM Cloud API lives. The defaults are IBM Cloud's public endpoints; Sandbox
//! mode (and tests) read the sandbox's `endpoints.json` instead. Every URL must be HTTPS
//! unless it points at this machine's loopback interface.

use std::{collections::BTreeMap, path::Path};

use serde::Deserialize;
use url::Url;

use crate::error::CloudError;

/// The base URL of each service, exactly as IBM's official SDK for that service takes it
/// as its service URL (for IAM: the authenticator URL, to which `/identity/token` is added).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Endpoints {
    pub iam: Url,
    #[serde(default)]
    pub resource_controller: Option<Url>,
    #[serde(default)]
    pub global_catalog: Option<Url>,
    #[serde(default)]
    pub cbr: Option<Url>,
    #[serde(default)]
    pub regions: BTreeMap<String, RegionEndpoints>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RegionEndpoints {
    pub vpc: Url,
    pub key_protect: Url,
}

impl Endpoints {
    /// IBM Cloud's public endpoints.
    pub fn ibm_cloud() -> Self {
        let url = |s: &str| Url::parse(s).expect("static URL is valid");
        Endpoints {
            iam: url("https://iam.cloud.ibm.com"),
            resource_controller: Some(url("https://resource-controller.cloud.ibm.com")),
            global_catalog: Some(url("https://globalcatalog.cloud.ibm.com/api/v1")),
            cbr: Some(url("https://cbr.cloud.ibm.com")),
            regions: BTreeMap::new(),
        }
    }

    /// Reads a sandbox-style `endpoints.json` (extra keys such as `account_id` are ignored)
    /// and checks every URL with [`Endpoints::check_secure`].
    pub fn from_file(path: &Path) -> Result<Self, CloudError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            CloudError::config(format!(
                "cannot read endpoints file {}: {e}",
                path.display()
            ))
        })?;
        let endpoints: Endpoints = serde_json::from_str(&text).map_err(|e| {
            CloudError::config(format!(
                "endpoints file {} is not valid: {e}",
                path.display()
            ))
        })?;
        endpoints.check_secure()?;
        Ok(endpoints)
    }

    /// Every URL must be HTTPS, or HTTP on loopback (the sandbox).
    pub fn check_secure(&self) -> Result<(), CloudError> {
        let mut all: Vec<&Url> = vec![&self.iam];
        all.extend(self.resource_controller.iter());
        all.extend(self.global_catalog.iter());
        all.extend(self.cbr.iter());
        for region in self.regions.values() {
            all.push(&region.vpc);
            all.push(&region.key_protect);
        }
        for url in all {
            require_secure(url)?;
        }
        Ok(())
    }

    /// True when every endpoint is on this machine (Sandbox mode, tests).
    pub fn is_loopback(&self) -> bool {
        is_loopback(&self.iam)
    }
}

pub(crate) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name == "localhost",
        None => false,
    }
}

pub(crate) fn require_secure(url: &Url) -> Result<(), CloudError> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(url) => Ok(()),
        _ => Err(CloudError::config(format!(
            "refusing {url}: IBM Cloud endpoints must use HTTPS (plain HTTP is allowed only on loopback)"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_https() {
        Endpoints::ibm_cloud().check_secure().unwrap();
        assert!(!Endpoints::ibm_cloud().is_loopback());
    }

    #[test]
    fn plain_http_only_on_loopback() {
        for ok in [
            "http://127.0.0.1:8080",
            "http://localhost:1/iam",
            "http://[::1]:9/",
            "https://example.com",
        ] {
            require_secure(&Url::parse(ok).unwrap()).unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
        for bad in [
            "http://iam.cloud.ibm.com",
            "http://10.0.0.1:80",
            "ftp://127.0.0.1/",
        ] {
            assert!(
                require_secure(&Url::parse(bad).unwrap()).is_err(),
                "{bad} accepted"
            );
        }
    }

    #[test]
    fn reads_a_sandbox_endpoints_file_and_rejects_insecure_ones() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("endpoints.json");
        std::fs::write(
            &path,
            r#"{"account_id":"abc","api_key":"k","iam":"http://127.0.0.1:4000/iam"}"#,
        )
        .unwrap();
        let endpoints = Endpoints::from_file(&path).unwrap();
        assert_eq!(endpoints.iam.as_str(), "http://127.0.0.1:4000/iam");
        assert!(endpoints.is_loopback());

        std::fs::write(&path, r#"{"iam":"http://iam.example.com"}"#).unwrap();
        assert!(Endpoints::from_file(&path).is_err());
    }
}
