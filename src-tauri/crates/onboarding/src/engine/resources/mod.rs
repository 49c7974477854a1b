//! Every kind of resource a plan makes, one file each, behind [`Resource`]: what the
//! engine, the progress view, teardown and Review know of a kind is in its file.

use super::{graph::KINDS, resource::Resource};
use crate::journal::StepId;

pub(crate) mod activity_route;
pub(crate) mod activity_target;
pub(crate) mod authorization;
pub(crate) mod cbr_rule;
pub(crate) mod cbr_zone;
pub(crate) mod database;
pub(crate) mod endpoint_gateway;
pub(crate) mod extras;
pub(crate) mod floating_ip;
pub(crate) mod jump_server;
pub(crate) mod logs_instance;
pub(crate) mod logs_route;
pub(crate) mod logs_settings;
pub(crate) mod logs_target;
pub(crate) mod manager_key;
pub(crate) mod metrics_route;
pub(crate) mod metrics_settings;
pub(crate) mod metrics_target;
pub(crate) mod monitoring_instance;
pub(crate) mod rc_instance;
pub(crate) mod routing_authorization;
pub(crate) mod security_group_rule;
pub(crate) mod ssh_key;
pub(crate) mod subnet;
pub(crate) mod vpc;

/// The kind behind a step.
pub(crate) fn of(step: StepId) -> &'static dyn Resource {
    KINDS
        .iter()
        .copied()
        .find(|k| k.step() == step)
        // Every StepId has an entry in KINDS (a unit test checks it).
        .unwrap_or(KINDS[1])
}

/// Keys of the journal's `detail` maps: public facts a step learnt, which later steps,
/// Connect and teardown read.
pub mod detail {
    pub const SECURITY_GROUP: &str = "securityGroupId";
    pub const ZONE: &str = "zone";
    pub const CIDR: &str = "cidr";
    pub const PUBLIC_KEY: &str = "publicKey";
    pub const FINGERPRINT: &str = "fingerprint";
    pub const HOST_KEY: &str = "hostKey";
    pub const HOST_KEY_FINGERPRINT: &str = "hostKeyFingerprint";
    pub const NETWORK_INTERFACE: &str = "networkInterfaceId";
    pub const ADDRESS: &str = "address";
    pub const HOST_NAME: &str = "hostName";
    pub const TARGET: &str = "targetCrn";
    pub const VPC_CRN: &str = "vpcCrn";
    pub const CBR_ZONE: &str = "zoneId";
    /// A resource's CRN where its journal id is another id (a credential's GUID).
    pub const CRN: &str = "crn";
}

/// What the VPC API's `status` (VPCs, subnets, floating IPs) says about readiness.
pub(crate) fn vpc_status(
    status: Option<&onramp_cloud::vpc::ResourceStatus>,
) -> (String, super::run::Readiness) {
    use super::run::Readiness;
    use onramp_cloud::vpc::ResourceStatus;
    let state = status
        .map(|s| s.as_str().to_owned())
        .unwrap_or_else(|| "unknown".into());
    let readiness = match status {
        Some(ResourceStatus::Available) => Readiness::Ready,
        Some(ResourceStatus::Failed) => {
            Readiness::Failed(format!("The VPC API reports it {state}."))
        }
        _ => Readiness::Waiting,
    };
    (state, readiness)
}

/// What a routing target's `write_status` says, in the user's words (`who` writes to `what`).
pub(crate) fn write_state(
    status: &onramp_cloud::routing::WriteStatus,
    who: &str,
    what: &str,
) -> (String, Option<String>) {
    match status.status {
        onramp_cloud::routing::WriteState::Failed => (
            "write failed".to_owned(),
            Some(format!(
                "{who} cannot write to the {what} yet{}. A new authorization can take a minute to apply.",
                status
                    .reason_for_last_failure
                    .as_ref()
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default()
            )),
        ),
        _ => ("writing".to_owned(), None),
    }
}

/// Review's words for a resource the user chose in the wizard.
pub(crate) const EXISTING: &str = "Existing: Onramp uses it and teardown keeps it";

/// Tests each kind's file shares: a plan with the suggested private path.
/// IBM Cloud's console page that lists resources of a kind (`vpc-ext/network/vpcs`): the
/// VPC console has no per-resource address Onramp can name for certain, so a kind's list.
pub(crate) fn console_list(page: &str) -> Option<String> {
    Some(format!("https://cloud.ibm.com/{page}"))
}

/// A service instance's own console page, by its CRN (`pane`: a tab such as `credentials`).
pub(crate) fn console_instance(service: &str, crn: &str, pane: Option<&str>) -> Option<String> {
    if crn.is_empty() {
        return None;
    }
    let encoded: String = url::form_urlencoded::byte_serialize(crn.as_bytes()).collect();
    let pane = pane.map(|p| format!("?paneId={p}")).unwrap_or_default();
    Some(format!(
        "https://cloud.ibm.com/services/{service}/{encoded}{pane}"
    ))
}

#[cfg(test)]
pub(crate) mod testing {
    use crate::{
        connectivity::Connectivity,
        plan::{DraftPlan, Encryption},
    };

    pub fn plan() -> DraftPlan {
        let id = "3f2a9c1e-7b4d-4e2a-9f10-5c6d7e8f9a0b".to_owned();
        let mut connectivity = Connectivity::suggested("ca-mon", &id);
        connectivity.ssh_cidr = "198.51.100.7/32".into();
        connectivity.jump.image_id = "r058-image".into();
        connectivity.jump.image_name = "ibm-ubuntu-24-04-6-minimal-amd64-3".into();
        DraftPlan {
            id,
            name: "pg-demo".into(),
            location: "ca-mon".into(),
            resource_group_id: "g".into(),
            members: 2,
            host_flavor: "bx3d.4x20".into(),
            storage_gb: 10,
            version: "18".into(),
            encryption: Encryption::ProviderManaged,
            connectivity: Some(connectivity),
            observability: None,
            existing: None,
        }
    }

    fn start() -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::parse_from_rfc3339("2026-12-07T10:00:00Z")
            .map(|t| t.with_timezone(&chrono::Utc))
            .unwrap_or_default()
    }

    /// An RFC 3339 time `minutes` after the test's create call was announced.
    pub fn at(minutes: i64) -> String {
        (start() + chrono::Duration::minutes(minutes) + chrono::Duration::seconds(1)).to_rfc3339()
    }

    /// The test's one create call: announced at 10:00, unanswered (open until its
    /// deadline), clocks measured equal.
    pub fn asked() -> Vec<(chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>)> {
        crate::engine::ownership::windows(
            &[crate::journal::CreateCall {
                asked_at: start().to_rfc3339(),
                answered_at: None,
            }],
            chrono::Duration::zero(),
            chrono::Duration::seconds(2),
        )
    }
}
