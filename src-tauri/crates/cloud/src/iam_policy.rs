//! IAM Policy Management: the service-to-service authorization that lets Databases for
//! PostgreSQL use a Key Protect key (it must exist before a BYOK database is provisioned),
//! the ones the observability routing needs, and the roles (`/v2/roles`) from which a
//! role's CRN is resolved by its display name, as the Terraform provider does.

use reqwest::Method;
use serde::{Deserialize, Serialize};
use url::Url;

use crate::{
    context::Cloud,
    endpoints::join_path,
    error::CloudError,
    http::{ApiRequest, Idempotency},
    model::{collect_pages, with_query, PageLink},
};

const SERVICE: &str = "IAM Policy Management";

/// The roles BYOK needs: Reader, plus AuthorizationDelegator so the database can delegate
/// the key to Block Storage.
pub const READER_ROLE: &str = "crn:v1:bluemix:public:iam::::serviceRole:Reader";
pub const AUTHORIZATION_DELEGATOR_ROLE: &str =
    "crn:v1:bluemix:public:iam::::role:AuthorizationDelegator";

/// `{name, value, operator?}`: one condition on a subject or a resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyAttribute {
    pub name: String,
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
}

impl PolicyAttribute {
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        PolicyAttribute {
            name: name.into(),
            value: value.into(),
            operator: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicySubject {
    pub attributes: Vec<PolicyAttribute>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyResource {
    pub attributes: Vec<PolicyAttribute>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyRole {
    pub role_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl PolicyRole {
    pub fn new(role_id: impl Into<String>) -> Self {
        PolicyRole {
            role_id: role_id.into(),
            display_name: None,
            description: None,
        }
    }
}

fn attribute<'a>(attributes: &'a [PolicyAttribute], name: &str) -> Option<&'a str> {
    attributes
        .iter()
        .find(|a| a.name == name)
        .map(|a| a.value.as_str())
}

/// A policy as IAM returns it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Policy {
    pub id: Option<String>,
    /// `authorization` or `access`.
    #[serde(rename = "type")]
    pub kind: String,
    pub description: Option<String>,
    pub subjects: Vec<PolicySubject>,
    pub roles: Vec<PolicyRole>,
    pub resources: Vec<PolicyResource>,
    pub href: Option<String>,
    pub state: Option<String>,
    pub created_at: Option<String>,
    pub created_by_id: Option<String>,
    pub last_modified_at: Option<String>,
    pub last_modified_by_id: Option<String>,
}

impl Policy {
    /// True when this authorization lets `source_service` use `target_service` with
    /// `role_id`, for all instances of the target or for `target_instance`.
    pub fn authorizes(
        &self,
        source_service: &str,
        target_service: &str,
        target_instance: Option<&str>,
        role_id: &str,
    ) -> bool {
        self.kind == "authorization"
            && self
                .subjects
                .iter()
                .any(|s| attribute(&s.attributes, "serviceName") == Some(source_service))
            && self.resources.iter().any(|r| {
                attribute(&r.attributes, "serviceName") == Some(target_service)
                    && match attribute(&r.attributes, "serviceInstance") {
                        None => true,
                        Some(instance) => Some(instance) == target_instance,
                    }
            })
            && self.roles.iter().any(|r| r.role_id == role_id)
    }
}

/// `POST /v1/policies`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatePolicy {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub subjects: Vec<PolicySubject>,
    pub roles: Vec<PolicyRole>,
    pub resources: Vec<PolicyResource>,
}

impl CreatePolicy {
    /// An authorization from every instance of `source_service` in the account to
    /// `target_service` (one instance of it if given). Both sides carry `accountId`, as IAM
    /// requires.
    pub fn authorization(
        account_id: &str,
        source_service: &str,
        target_service: &str,
        target_instance: Option<&str>,
        roles: &[&str],
        description: Option<String>,
    ) -> Self {
        let mut target = vec![
            PolicyAttribute::new("accountId", account_id),
            PolicyAttribute::new("serviceName", target_service),
        ];
        if let Some(instance) = target_instance {
            target.push(PolicyAttribute::new("serviceInstance", instance));
        }
        CreatePolicy {
            kind: "authorization".to_owned(),
            description,
            subjects: vec![PolicySubject {
                attributes: vec![
                    PolicyAttribute::new("accountId", account_id),
                    PolicyAttribute::new("serviceName", source_service),
                ],
            }],
            roles: roles.iter().map(|r| PolicyRole::new(*r)).collect(),
            resources: vec![PolicyResource { attributes: target }],
        }
    }
}

/// A page of `GET /v1/policies`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PolicyCollection {
    pub policies: Vec<Policy>,
    pub limit: Option<u32>,
    pub first: Option<PageLink>,
    pub next: Option<PageLink>,
}

/// The display name of the role Metrics Routing's authorization on Monitoring grants.
pub const SUPERTENANT_METRICS_PUBLISHER: &str = "Supertenant Metrics Publisher";
/// The display name of the role Activity Tracker's and Logs Routing's authorizations on
/// Cloud Logs grant.
pub const SENDER: &str = "Sender";

/// A role a policy can grant (`Role` in IBM's SDK).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Role {
    pub display_name: String,
    pub description: Option<String>,
    #[serde(default)]
    pub actions: Vec<String>,
    pub crn: Option<String>,
}

/// `GET /v2/roles`: the roles of a service, in three lists.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RoleCollection {
    #[serde(default)]
    pub custom_roles: Vec<Role>,
    #[serde(default)]
    pub service_roles: Vec<Role>,
    #[serde(default)]
    pub system_roles: Vec<Role>,
}

impl RoleCollection {
    /// The CRN of the role shown as `display_name` (service roles first), if listed.
    pub fn crn_of(&self, display_name: &str) -> Option<&str> {
        self.service_roles
            .iter()
            .chain(&self.system_roles)
            .chain(&self.custom_roles)
            .find(|r| r.display_name == display_name)
            .and_then(|r| r.crn.as_deref())
    }
}

/// IAM policies of one cloud.
#[derive(Debug, Clone)]
pub struct IamPolicyClient {
    cloud: Cloud,
    base: Url,
}

impl IamPolicyClient {
    pub(crate) fn new(cloud: Cloud) -> Result<Self, CloudError> {
        let base = cloud.endpoints().iam.clone();
        Ok(IamPolicyClient { cloud, base })
    }

    /// 201. A duplicate answers 409 with code `policy_conflict_error`: it already exists.
    pub async fn create_policy(
        &self,
        body: &CreatePolicy,
        idempotency: Idempotency,
    ) -> Result<Policy, CloudError> {
        let request = ApiRequest::new(
            SERVICE,
            Method::POST,
            join_path(&self.base, &["v1", "policies"])?,
        )
        .json(body)?
        .idempotency(idempotency);
        self.cloud.json(&request).await
    }

    /// The account's policies of one `kind` (`authorization` or `access`), all pages.
    pub async fn list_policies(
        &self,
        account_id: &str,
        kind: Option<&str>,
    ) -> Result<Vec<Policy>, CloudError> {
        collect_pages(SERVICE, |start| async move {
            let url = with_query(
                join_path(&self.base, &["v1", "policies"])?,
                &[
                    ("account_id", Some(account_id)),
                    ("type", kind),
                    ("start", start.as_deref()),
                ],
            );
            let page: PolicyCollection = self.cloud.json(&ApiRequest::get(SERVICE, url)).await?;
            let next = page.next.as_ref().and_then(PageLink::start_token);
            Ok((page.policies, next))
        })
        .await
    }

    /// The roles `source_service` may be granted on `service` by an authorization:
    /// `GET /v2/roles?service_name=&source_service_name=&policy_type=authorization`.
    pub async fn list_authorization_roles(
        &self,
        service: &str,
        source_service: &str,
    ) -> Result<RoleCollection, CloudError> {
        let url = with_query(
            join_path(&self.base, &["v2", "roles"])?,
            &[
                ("service_name", Some(service)),
                ("source_service_name", Some(source_service)),
                ("policy_type", Some("authorization")),
            ],
        );
        self.cloud.json(&ApiRequest::get(SERVICE, url)).await
    }

    /// The CRN of the role named `display_name` that `source_service` may be granted on
    /// `service`; a config error when IAM lists no such role.
    pub async fn authorization_role_crn(
        &self,
        service: &str,
        source_service: &str,
        display_name: &str,
    ) -> Result<String, CloudError> {
        let roles = self
            .list_authorization_roles(service, source_service)
            .await?;
        roles.crn_of(display_name).map(str::to_owned).ok_or_else(|| {
            CloudError::config(format!(
                "IAM lists no role '{display_name}' that {source_service} may be granted on {service}"
            ))
        })
    }

    /// 204.
    pub async fn delete_policy(&self, id: &str) -> Result<(), CloudError> {
        let url = join_path(&self.base, &["v1", "policies", id])?;
        self.cloud
            .no_content(&ApiRequest::new(SERVICE, Method::DELETE, url))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_role_crn_is_found_by_its_display_name() {
        let roles: RoleCollection = serde_json::from_str(
            r#"{"custom_roles":[],"service_roles":[{"display_name":"Sender","description":"d","actions":["logs.data.send"],"crn":"crn:v1:bluemix:public:logs::::serviceRole:Sender"}],"system_roles":[{"display_name":"Viewer","actions":[],"crn":"crn:v1:bluemix:public:iam::::role:Viewer"}]}"#,
        )
        .unwrap();
        assert_eq!(
            roles.crn_of(SENDER),
            Some("crn:v1:bluemix:public:logs::::serviceRole:Sender")
        );
        assert_eq!(
            roles.crn_of("Viewer"),
            Some("crn:v1:bluemix:public:iam::::role:Viewer")
        );
        assert_eq!(roles.crn_of(SUPERTENANT_METRICS_PUBLISHER), None);
        let empty: RoleCollection = serde_json::from_str("{}").unwrap();
        assert_eq!(empty.crn_of(SENDER), None);
    }
}
