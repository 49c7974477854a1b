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
    /// Global Tagging v1 (attach, list, detach tags); global, no region.
    #[serde(default)]
    pub global_tagging: Option<Url>,
    /// Global Search v2 (reading tags back); global, no region.
    #[serde(default)]
    pub global_search: Option<Url>,
    #[serde(default)]
    pub regions: BTreeMap<String, RegionEndpoints>,
}

/// The regional services of one region. The observability routing APIs are optional so an
/// `endpoints.json` written before they existed still loads.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RegionEndpoints {
    pub vpc: Url,
    pub key_protect: Url,
    /// Metrics Routing v3; the base already ends in `/api/v3`.
    #[serde(default)]
    pub metrics_router: Option<Url>,
    /// Activity Tracker Event Routing; a bare host, the paths carry `/api/v2`.
    #[serde(default)]
    pub atracker: Option<Url>,
    /// Logs Routing v3; the base already ends in `/v3`.
    #[serde(default)]
    pub logs_router: Option<Url>,
}

impl Endpoints {
    /// IBM Cloud's public endpoints.
    #[allow(
        clippy::expect_used,
        reason = "constant URLs, checked by a unit test; no outside data"
    )]
    pub fn ibm_cloud() -> Self {
        let url = |s: &str| Url::parse(s).expect("static URL is valid");
        Endpoints {
            iam: url("https://iam.cloud.ibm.com"),
            resource_controller: Some(url("https://resource-controller.cloud.ibm.com")),
            global_catalog: Some(url("https://globalcatalog.cloud.ibm.com/api/v1")),
            cbr: Some(url("https://cbr.cloud.ibm.com")),
            global_tagging: Some(url("https://tags.global-search-tagging.cloud.ibm.com")),
            global_search: Some(url("https://api.global-search-tagging.cloud.ibm.com")),
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
        all.extend(self.global_tagging.iter());
        all.extend(self.global_search.iter());
        for region in self.regions.values() {
            all.push(&region.vpc);
            all.push(&region.key_protect);
            all.extend(region.metrics_router.iter());
            all.extend(region.atracker.iter());
            all.extend(region.logs_router.iter());
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

    /// True when these are IBM Cloud's own endpoints (IAM on `cloud.ibm.com`), the only
    /// case in which a region missing from `regions` may be derived from its name.
    pub fn is_ibm_cloud(&self) -> bool {
        matches!(self.iam.host(), Some(url::Host::Domain(host))
            if host == "cloud.ibm.com" || host.ends_with(".cloud.ibm.com"))
    }

    /// The regional endpoints of `region` (e.g. `ca-mon`). A region listed in `regions`
    /// wins; otherwise, against IBM Cloud only, the public regional hosts are used (and a
    /// listed region's missing routing APIs are filled in the same way). The sandbox serves
    /// only the regions it lists, so there an unknown region is an error rather than a
    /// request that would leave this machine.
    pub fn region(&self, region: &str) -> Result<RegionEndpoints, CloudError> {
        let listed = self.regions.get(region);
        if !self.is_ibm_cloud() {
            return listed.cloned().ok_or_else(|| {
                let known: Vec<&str> = self.regions.keys().map(String::as_str).collect();
                CloudError::config(format!(
                    "no endpoints for region '{region}' (this cloud serves: {})",
                    if known.is_empty() {
                        "none".to_owned()
                    } else {
                        known.join(", ")
                    }
                ))
            });
        }
        if let Some(listed) = listed {
            if listed.metrics_router.is_some()
                && listed.atracker.is_some()
                && listed.logs_router.is_some()
            {
                return Ok(listed.clone());
            }
        }
        let derived = ibm_region(region)?;
        Ok(match listed {
            Some(listed) => RegionEndpoints {
                vpc: listed.vpc.clone(),
                key_protect: listed.key_protect.clone(),
                metrics_router: listed.metrics_router.clone().or(derived.metrics_router),
                atracker: listed.atracker.clone().or(derived.atracker),
                logs_router: listed.logs_router.clone().or(derived.logs_router),
            },
            None => derived,
        })
    }

    pub(crate) fn resource_controller(&self) -> Result<&Url, CloudError> {
        self.resource_controller
            .as_ref()
            .ok_or_else(|| missing("resource_controller"))
    }

    pub(crate) fn global_catalog(&self) -> Result<&Url, CloudError> {
        self.global_catalog
            .as_ref()
            .ok_or_else(|| missing("global_catalog"))
    }

    pub(crate) fn cbr(&self) -> Result<&Url, CloudError> {
        self.cbr.as_ref().ok_or_else(|| missing("cbr"))
    }

    pub(crate) fn global_tagging(&self) -> Result<&Url, CloudError> {
        self.global_tagging
            .as_ref()
            .ok_or_else(|| missing("global_tagging"))
    }

    pub(crate) fn global_search(&self) -> Result<&Url, CloudError> {
        self.global_search
            .as_ref()
            .ok_or_else(|| missing("global_search"))
    }
}

impl RegionEndpoints {
    pub(crate) fn metrics_router(&self, region: &str) -> Result<&Url, CloudError> {
        self.metrics_router
            .as_ref()
            .ok_or_else(|| missing_in(region, "metrics_router"))
    }

    pub(crate) fn atracker(&self, region: &str) -> Result<&Url, CloudError> {
        self.atracker
            .as_ref()
            .ok_or_else(|| missing_in(region, "atracker"))
    }

    pub(crate) fn logs_router(&self, region: &str) -> Result<&Url, CloudError> {
        self.logs_router
            .as_ref()
            .ok_or_else(|| missing_in(region, "logs_router"))
    }
}

/// IBM Cloud's public hosts of one region, as each service's SDK builds them
/// (`GetServiceURLForRegion`). The name becomes part of a host name, so only IBM's region
/// syntax may pass.
fn ibm_region(region: &str) -> Result<RegionEndpoints, CloudError> {
    let well_formed = !region.is_empty()
        && region.len() <= 32
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !region.starts_with('-')
        && !region.ends_with('-');
    if !well_formed {
        return Err(CloudError::config(format!(
            "'{region}' is not an IBM Cloud region name"
        )));
    }
    let parse = |text: String| {
        Url::parse(&text).map_err(|e| CloudError::config(format!("bad endpoint {text}: {e}")))
    };
    Ok(RegionEndpoints {
        vpc: parse(format!("https://{region}.iaas.cloud.ibm.com/v1"))?,
        key_protect: parse(format!("https://{region}.kms.cloud.ibm.com"))?,
        metrics_router: Some(parse(format!(
            "https://{region}.metrics-router.cloud.ibm.com/api/v3"
        ))?),
        atracker: Some(parse(format!("https://{region}.atracker.cloud.ibm.com"))?),
        logs_router: Some(parse(format!(
            "https://api.{region}.logs-router.cloud.ibm.com/v3"
        ))?),
    })
}

fn missing(service: &str) -> CloudError {
    CloudError::config(format!("no '{service}' endpoint is configured"))
}

fn missing_in(region: &str, service: &str) -> CloudError {
    CloudError::config(format!(
        "no '{service}' endpoint is configured for region '{region}'"
    ))
}

/// `base` with `segments` appended as path segments. The base's own path is kept (the
/// sandbox serves every API under a prefix such as `/rc` or `/vpc/ca-mon/v1`), and each
/// segment is percent-encoded on its own, so an id that is a CRN keeps its `/` as `%2F`
/// instead of turning into extra path levels. Any query on the base is dropped.
pub(crate) fn join_path(base: &Url, segments: &[&str]) -> Result<Url, CloudError> {
    let mut url = base.clone();
    url.set_query(None);
    url.set_fragment(None);
    url.path_segments_mut()
        .map_err(|()| CloudError::config(format!("{base} cannot be a base URL")))?
        .pop_if_empty()
        .extend(segments);
    Ok(url)
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
    fn joining_keeps_the_base_path_and_encodes_each_segment() {
        let base = Url::parse("http://127.0.0.1:5000/vpc/ca-mon/v1").unwrap();
        assert_eq!(
            join_path(&base, &["vpcs", "r058-1", "default_security_group"])
                .unwrap()
                .as_str(),
            "http://127.0.0.1:5000/vpc/ca-mon/v1/vpcs/r058-1/default_security_group"
        );
        let with_slash = Url::parse("http://127.0.0.1:5000/rc/").unwrap();
        let crn = "crn:v1:bluemix:public:databases-for-postgresql:ca-mon:a/acct:guid::";
        assert_eq!(
            join_path(&with_slash, &["v2", "resource_instances", crn])
                .unwrap()
                .as_str(),
            "http://127.0.0.1:5000/rc/v2/resource_instances/crn:v1:bluemix:public:databases-for-postgresql:ca-mon:a%2Facct:guid::"
        );
        let bare = Url::parse("https://resource-controller.cloud.ibm.com").unwrap();
        assert_eq!(
            join_path(&bare, &["v2", "resource_groups"])
                .unwrap()
                .as_str(),
            "https://resource-controller.cloud.ibm.com/v2/resource_groups"
        );
    }

    #[test]
    fn unlisted_regions_are_derived_only_for_ibm_cloud() {
        let ibm = Endpoints::ibm_cloud();
        let region = ibm.region("eu-de").unwrap();
        assert_eq!(region.vpc.as_str(), "https://eu-de.iaas.cloud.ibm.com/v1");
        assert_eq!(
            region.key_protect.as_str(),
            "https://eu-de.kms.cloud.ibm.com/"
        );
        assert!(ibm.region("evil.example.com/").is_err());
        assert!(ibm.region("").is_err());

        let mut sandbox: Endpoints = serde_json::from_str(
            r#"{"iam":"http://127.0.0.1:5000/iam","regions":{"ca-mon":{"vpc":"http://127.0.0.1:5000/vpc/ca-mon/v1","key_protect":"http://127.0.0.1:5000/kms/ca-mon"}}}"#,
        )
        .unwrap();
        assert_eq!(
            sandbox.region("ca-mon").unwrap().vpc.as_str(),
            "http://127.0.0.1:5000/vpc/ca-mon/v1"
        );
        let error = sandbox.region("eu-de").unwrap_err();
        assert!(error.message.contains("ca-mon"), "{error}");
        sandbox.regions.clear();
        assert!(sandbox.region("ca-mon").is_err());
    }

    #[test]
    fn routing_hosts_are_derived_only_for_ibm_cloud() {
        let ibm = Endpoints::ibm_cloud();
        let region = ibm.region("ca-mon").unwrap();
        assert_eq!(
            region.metrics_router.unwrap().as_str(),
            "https://ca-mon.metrics-router.cloud.ibm.com/api/v3"
        );
        assert_eq!(
            region.atracker.unwrap().as_str(),
            "https://ca-mon.atracker.cloud.ibm.com/"
        );
        assert_eq!(
            region.logs_router.unwrap().as_str(),
            "https://api.ca-mon.logs-router.cloud.ibm.com/v3"
        );
        assert_eq!(
            ibm.global_tagging().unwrap().as_str(),
            "https://tags.global-search-tagging.cloud.ibm.com/"
        );
        assert_eq!(
            ibm.global_search().unwrap().as_str(),
            "https://api.global-search-tagging.cloud.ibm.com/"
        );

        // IBM Cloud with a region listed without the routing APIs: those are filled in.
        let mut listed = Endpoints::ibm_cloud();
        listed.regions.insert(
            "eu-de".into(),
            RegionEndpoints {
                vpc: Url::parse("https://eu-de.iaas.cloud.ibm.com/v1").unwrap(),
                key_protect: Url::parse("https://private.eu-de.kms.cloud.ibm.com").unwrap(),
                metrics_router: None,
                atracker: None,
                logs_router: None,
            },
        );
        let eu = listed.region("eu-de").unwrap();
        assert_eq!(
            eu.key_protect.as_str(),
            "https://private.eu-de.kms.cloud.ibm.com/"
        );
        assert!(eu.atracker.is_some() && eu.metrics_router.is_some());

        // An endpoints.json from before the routing APIs still loads, and on loopback
        // nothing is derived: the missing API is an error naming it.
        let older: Endpoints = serde_json::from_str(
            r#"{"iam":"http://127.0.0.1:5000/iam","regions":{"ca-mon":{"vpc":"http://127.0.0.1:5000/vpc/ca-mon/v1","key_protect":"http://127.0.0.1:5000/kms/ca-mon"}}}"#,
        )
        .unwrap();
        older.check_secure().unwrap();
        assert!(older.global_tagging.is_none());
        let region = older.region("ca-mon").unwrap();
        assert!(region.metrics_router.is_none());
        let error = region.metrics_router("ca-mon").unwrap_err();
        assert!(error.message.contains("metrics_router"), "{error}");
        assert!(older.global_search().is_err());
    }

    #[test]
    fn the_new_endpoints_must_be_secure_too() {
        let insecure_tags: Result<Endpoints, _> = serde_json::from_str(
            r#"{"iam":"http://127.0.0.1:5000/iam","global_tagging":"http://tags.example.com"}"#,
        );
        assert!(insecure_tags.unwrap().check_secure().is_err());
        let insecure_router: Endpoints = serde_json::from_str(
            r#"{"iam":"http://127.0.0.1:5000/iam","regions":{"ca-mon":{"vpc":"http://127.0.0.1:5000/vpc/ca-mon/v1","key_protect":"http://127.0.0.1:5000/kms/ca-mon","atracker":"http://ca-mon.atracker.example.com"}}}"#,
        )
        .unwrap();
        assert!(insecure_router.check_secure().is_err());
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
