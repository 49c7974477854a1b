//! IAM roles (`GET /iam/v2/roles`): the roles a policy may grant, listed as IAM Policy
//! Management's `RoleCollection` (`custom_roles`, `service_roles`, `system_roles`, each role
//! `{display_name, description, actions, crn}`). A client resolves a role's CRN from its
//! display name here, as the Terraform provider does, instead of hard-coding it.
//!
//! The CRNs of the observability authorizations' roles are UNVERIFIED (contract
//! observability-overview.md, UNVERIFIED 3): the docs show two forms of `Sender` and a
//! `Publisher` that does not match "Supertenant Metrics Publisher". The sandbox lists one
//! CRN per role and accepts the documented other forms in a policy as aliases of it.

use std::sync::Arc;

use axum::extract::{Query, State};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::{
    api::{ok, ApiResult},
    server::AppState,
};

/// A role IAM knows.
pub(crate) struct Role {
    pub crn: &'static str,
    pub display_name: &'static str,
    pub description: &'static str,
    pub actions: &'static [&'static str],
    /// `None`: a platform (system) role or a service role every service has; else the one
    /// service whose role it is.
    pub service: Option<&'static str>,
    /// For a service-specific role that only an authorization grants: the source services
    /// that may be granted it. Empty: any.
    pub sources: &'static [&'static str],
    /// Other CRNs the docs show for this role, accepted in a policy.
    pub aliases: &'static [&'static str],
    pub system: bool,
}

const fn role(
    crn: &'static str,
    display_name: &'static str,
    description: &'static str,
    system: bool,
) -> Role {
    Role {
        crn,
        display_name,
        description,
        actions: &[],
        service: None,
        sources: &[],
        aliases: &[],
        system,
    }
}

/// The display name Onramp's Metrics Routing authorization grants (MR-DOC `iam-service-auth.md`).
pub(crate) const SUPERTENANT_METRICS_PUBLISHER: &str = "Supertenant Metrics Publisher";
/// The display name Onramp's Activity Tracker and Logs Routing authorizations grant.
pub(crate) const SENDER: &str = "Sender";

pub(crate) const ROLES: [Role; 10] = [
    role(
        "crn:v1:bluemix:public:iam::::serviceRole:Reader",
        "Reader",
        "As a reader, you can perform read-only actions within a service.",
        false,
    ),
    role(
        "crn:v1:bluemix:public:iam::::serviceRole:Writer",
        "Writer",
        "As a writer, you have permissions beyond the reader role, including creating and editing service-specific resources.",
        false,
    ),
    role(
        "crn:v1:bluemix:public:iam::::serviceRole:Manager",
        "Manager",
        "As a manager, you have permissions beyond the writer role to complete privileged actions.",
        false,
    ),
    role(
        "crn:v1:bluemix:public:iam::::role:AuthorizationDelegator",
        "Key Manager Delegator",
        "Enable authorizations to be delegated.",
        true,
    ),
    role(
        "crn:v1:bluemix:public:iam::::role:Viewer",
        "Viewer",
        "As a viewer, you can view service instances, but you can't modify them.",
        true,
    ),
    role(
        "crn:v1:bluemix:public:iam::::role:Operator",
        "Operator",
        "As an operator, you can perform platform actions required to configure and operate service instances.",
        true,
    ),
    role(
        "crn:v1:bluemix:public:iam::::role:Editor",
        "Editor",
        "As an editor, you can perform all platform actions except for managing the account and assigning access policies.",
        true,
    ),
    role(
        "crn:v1:bluemix:public:iam::::role:Administrator",
        "Administrator",
        "As an administrator, you can perform all platform actions based on the resource this role is being assigned, including assigning access policies to other users.",
        true,
    ),
    Role {
        // UNVERIFIED; MR-DOC's API example sends the `Publisher` alias.
        crn: "crn:v1:bluemix:public:sysdig-monitor::::serviceRole:SupertenantMetricsPublisher",
        display_name: SUPERTENANT_METRICS_PUBLISHER,
        description: "Lets Metrics Routing publish platform metrics into the instance. For internal use only.",
        actions: &["sysdig-monitor.metrics.publish"],
        service: Some("sysdig-monitor"),
        sources: &["metrics-router"],
        aliases: &["crn:v1:bluemix:public:sysdig-monitor::::serviceRole:Publisher"],
        system: false,
    },
    Role {
        // UNVERIFIED: LR-DOC's form; the atracker and cloud-logs docs show the `iam::` alias.
        crn: "crn:v1:bluemix:public:logs::::serviceRole:Sender",
        display_name: SENDER,
        description: "As a sender, you can send logs to the instance, but not query or tail them.",
        actions: &["logs.data.send"],
        service: Some("logs"),
        sources: &["atracker", "logs-router"],
        aliases: &["crn:v1:bluemix:public:iam::::serviceRole:Sender"],
        system: false,
    },
];

/// The role a policy's `role_id` names: its CRN or a documented alias.
pub(crate) fn find(role_id: &str) -> Option<&'static Role> {
    ROLES
        .iter()
        .find(|r| r.crn == role_id || r.aliases.contains(&role_id))
}

fn role_json(role: &Role) -> Value {
    let mut actions: Vec<String> = role.actions.iter().map(|a| (*a).to_owned()).collect();
    if actions.is_empty() {
        let short = role
            .crn
            .rsplit(':')
            .next()
            .unwrap_or_default()
            .to_lowercase();
        actions.push(format!("iam.role.{short}"));
    }
    json!({
        "display_name": role.display_name,
        "description": role.description,
        "actions": actions,
        "crn": role.crn,
    })
}

#[derive(Debug, Deserialize)]
pub(crate) struct RolesQuery {
    service_name: Option<String>,
    source_service_name: Option<String>,
    policy_type: Option<String>,
}

/// `GET /v2/roles?service_name=&source_service_name=&policy_type=`. With a source service
/// (an authorization), a service-specific role is listed only when that source may be
/// granted it; without `service_name`, only the platform roles are listed.
pub(crate) async fn list_roles(
    State(_state): State<Arc<AppState>>,
    Query(query): Query<RolesQuery>,
) -> ApiResult {
    let service = query.service_name.as_deref().filter(|s| !s.is_empty());
    let source = query
        .source_service_name
        .as_deref()
        .filter(|s| !s.is_empty());
    let authorization = query.policy_type.as_deref() == Some("authorization") || source.is_some();
    let service_roles: Vec<Value> = match service {
        None => Vec::new(),
        Some(service) => ROLES
            .iter()
            .filter(|r| !r.system)
            .filter(|r| r.service.is_none_or(|s| s == service))
            .filter(|r| {
                r.sources.is_empty()
                    || source.is_none_or(|src| r.sources.contains(&src))
                    || !authorization
            })
            .map(role_json)
            .collect(),
    };
    let system_roles: Vec<Value> = ROLES
        .iter()
        .filter(|r| r.system)
        .filter(|r| {
            !r.crn.ends_with(":AuthorizationDelegator") || (authorization && service == Some("kms"))
        })
        .map(role_json)
        .collect();
    Ok(ok(json!({
        "custom_roles": [],
        "service_roles": service_roles,
        "system_roles": system_roles,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_name_the_same_role() {
        let sender = find("crn:v1:bluemix:public:iam::::serviceRole:Sender").unwrap();
        assert_eq!(
            sender.crn,
            "crn:v1:bluemix:public:logs::::serviceRole:Sender"
        );
        assert!(find("crn:v1:bluemix:public:iam::::serviceRole:Nobody").is_none());
        let publisher = find("crn:v1:bluemix:public:sysdig-monitor::::serviceRole:Publisher");
        assert_eq!(
            publisher.map(|r| r.display_name),
            Some(SUPERTENANT_METRICS_PUBLISHER)
        );
    }
}
