//! The Encryption step's live facts (the user's Key Protect instances, their root keys, and
//! whether the service-to-service authorization exists) and the Review step: every resource
//! the plan creates, its cost, and every problem that blocks applying it, including the
//! ones only the cloud can tell (a name already taken, a missing authorization).

use serde::{Deserialize, Serialize};
use specta::Type;

use onramp_cloud::{
    catalog::Pricing,
    iam_policy::{AUTHORIZATION_DELEGATOR_ROLE, READER_ROLE},
    kms::KEY_PROTECT_RESOURCE_ID,
    rc::InstanceFilter,
    Cloud,
};

use crate::{
    cost::{self, CostEstimate},
    engine::{DATABASE_SERVICE, KMS_SERVICE},
    plan::{field, validate, Authorization, DraftPlan, Encryption, Offerings, Problem},
    settings::Mode,
    AppError,
};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct KeyOffer {
    pub id: String,
    pub name: String,
    pub crn: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct KeyProtectInstance {
    pub guid: String,
    pub name: String,
    pub region: String,
    /// Its active root keys: only root keys can protect a database.
    pub root_keys: Vec<KeyOffer>,
    /// Why its keys could not be listed, if they could not.
    pub problem: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct EncryptionOptions {
    pub instances: Vec<KeyProtectInstance>,
    /// `Exists` or `Missing`.
    pub authorization: Authorization,
}

/// Whether databases-for-postgresql may read kms keys (Reader) and delegate that
/// (AuthorizationDelegator), for all Key Protect instances or for `kms_instance`.
pub async fn authorization_exists(
    cloud: &Cloud,
    account_id: &str,
    kms_instance: Option<&str>,
) -> Result<bool, AppError> {
    let policies = cloud
        .iam_policies()
        .map_err(AppError::from_cloud)?
        .list_policies(account_id, Some("authorization"))
        .await
        .map_err(AppError::from_cloud)?;
    let has = |role| {
        policies
            .iter()
            .any(|p| p.authorizes(DATABASE_SERVICE, KMS_SERVICE, kms_instance, role))
    };
    Ok(has(READER_ROLE) && has(AUTHORIZATION_DELEGATOR_ROLE))
}

/// The account's Key Protect instances with their root keys, and the authorization's state.
pub async fn encryption_options(
    cloud: &Cloud,
    account_id: &str,
) -> Result<EncryptionOptions, AppError> {
    let rc = cloud.resource_controller().map_err(AppError::from_cloud)?;
    let filter = InstanceFilter {
        resource_id: Some(KEY_PROTECT_RESOURCE_ID.to_owned()),
        ..InstanceFilter::default()
    };
    let (found, authorized) = tokio::join!(
        rc.list_instances(&filter),
        authorization_exists(cloud, account_id, None)
    );
    let found = found.map_err(AppError::from_cloud)?;
    let mut instances = Vec::new();
    for instance in found {
        let region = instance.region_id.clone().unwrap_or_default();
        let listed = match cloud.key_protect(&region, &instance.guid) {
            Ok(client) => client.root_keys().await,
            Err(e) => Err(e),
        };
        let (root_keys, problem) = match listed {
            Ok(keys) => (
                keys.into_iter()
                    .filter(|k| k.is_usable_root_key())
                    .filter_map(|k| {
                        Some(KeyOffer {
                            name: k.name.clone().unwrap_or_else(|| k.id.clone()),
                            crn: k.crn?,
                            id: k.id,
                        })
                    })
                    .collect(),
                None,
            ),
            Err(e) => (Vec::new(), Some(e.message)),
        };
        instances.push(KeyProtectInstance {
            guid: instance.guid,
            name: instance.name,
            region,
            root_keys,
            problem,
        });
    }
    Ok(EncryptionOptions {
        instances,
        authorization: if authorized? {
            Authorization::Exists
        } else {
            Authorization::Missing
        },
    })
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct Setting {
    pub label: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct PlannedResource {
    pub label: String,
    pub name: String,
    pub settings: Vec<Setting>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct Review {
    /// Empty when the plan can be applied.
    pub problems: Vec<Problem>,
    pub resources: Vec<PlannedResource>,
    pub cost: CostEstimate,
    /// The picture of the plan: each resource's box and where it sits.
    pub diagram: Vec<DiagramNode>,
}

/// A resource's box in the picture of the plan, before anything is made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct DiagramNode {
    pub step: crate::journal::StepId,
    pub label: String,
    pub name: String,
    pub place: crate::engine::Place,
}

/// The boxes of the picture of `plan`, in the graph's order.
pub fn diagram(plan: &DraftPlan) -> Vec<DiagramNode> {
    let graph = crate::engine::graph(plan);
    let mut places = crate::engine::places(&graph);
    graph
        .iter()
        .map(|(step, _)| {
            let kind = crate::engine::resources::of(*step);
            DiagramNode {
                step: *step,
                label: kind.label().to_owned(),
                name: kind.name(plan),
                place: places.remove(step).unwrap_or_default(),
            }
        })
        .collect()
}

pub(crate) fn setting(label: &str, value: impl Into<String>) -> Setting {
    Setting {
        label: label.to_owned(),
        value: value.into(),
    }
}

/// What the plan creates (or uses), in the order it is created: each kind's own line.
pub fn planned_resources(plan: &DraftPlan, offerings: &Offerings) -> Vec<PlannedResource> {
    crate::engine::graph(plan)
        .into_iter()
        .map(|(step, _)| crate::engine::planned(step, plan, offerings))
        .collect()
}

/// The Review step: the local rules, then what only the cloud knows, then the cost.
/// `own_instance` is true when the plan was applied before (its journal exists), so an
/// instance with its name is its own, not a conflict.
pub async fn review(
    cloud: &Cloud,
    mode: Mode,
    account_id: &str,
    plan: &DraftPlan,
    offerings: &Offerings,
    own_instance: bool,
) -> Result<Review, AppError> {
    let problems = check(cloud, account_id, plan, offerings, own_instance).await?;
    Ok(Review {
        diagram: diagram(plan),
        resources: planned_resources(plan, offerings),
        cost: cost_of(cloud, mode, plan, offerings).await?,
        problems,
    })
}

/// The catalog's pricing for the plan's location (None when the catalog has none).
pub async fn pricing_of(
    cloud: &Cloud,
    plan: &DraftPlan,
    offerings: &Offerings,
) -> Result<Option<Pricing>, AppError> {
    Ok(match offerings.location(&plan.location) {
        Some(location) => cloud
            .global_catalog()
            .map_err(AppError::from_cloud)?
            .pricing(&location.deployment_id, Some(&location.id))
            .await
            .map_err(|e| tracing::warn!(error = %e, "no pricing"))
            .ok(),
        None => None,
    })
}

/// The plan's monthly estimate from the catalog's pricing for its location (unknown lines
/// when the catalog has none).
pub async fn cost_of(
    cloud: &Cloud,
    mode: Mode,
    plan: &DraftPlan,
    offerings: &Offerings,
) -> Result<cost::CostEstimate, AppError> {
    let pricing = pricing_of(cloud, plan, offerings).await?;
    Ok(cost::estimate(
        plan,
        pricing.as_ref(),
        mode == Mode::Sandbox,
    ))
}

/// The problem when the account already has a service with the plan's name in its group
/// (Resource Controller allows two; Onramp will not make the second).
pub fn name_taken(plan: &DraftPlan) -> Problem {
    Problem::new(
        field::NAME,
        format!(
            "The account already has a service named '{}' in this resource group. Choose another name.",
            plan.name
        ),
    )
}

/// Every problem that blocks applying `plan`: the local rules, then what only the cloud
/// knows. What apply checks again, without Review's cost.
pub async fn check(
    cloud: &Cloud,
    account_id: &str,
    plan: &DraftPlan,
    offerings: &Offerings,
    own_instance: bool,
) -> Result<Vec<Problem>, AppError> {
    let mut problems = validate(plan, offerings);
    let rc = cloud.resource_controller().map_err(AppError::from_cloud)?;
    // A database the user chose carries its own name: it is the one found, not a clash.
    let chosen = plan.existing.is_some();
    if !own_instance && !chosen && !problems.iter().any(|p| p.field == field::NAME) {
        let filter = InstanceFilter {
            name: Some(plan.name.clone()),
            resource_group_id: Some(plan.resource_group_id.clone()),
            ..InstanceFilter::default()
        };
        let taken = rc
            .list_instances(&filter)
            .await
            .map_err(AppError::from_cloud)?
            .into_iter()
            .any(|i| i.name == plan.name);
        if taken {
            problems.push(name_taken(plan));
        }
    }
    if let Encryption::KeyProtect(choice) = &plan.encryption {
        if choice.authorization == Authorization::Exists
            && !authorization_exists(cloud, account_id, Some(&choice.instance_guid)).await?
        {
            problems.push(Problem::new(
                field::ENCRYPTION_AUTHORIZATION,
                "The authorization for Databases for PostgreSQL to use Key Protect is no longer in the account. Go back to Encryption and check again.",
            ));
        }
    }
    let changes = crate::observability::account::changes(cloud, plan).await?;
    problems.extend(crate::observability::account::unconfirmed(&changes));
    Ok(problems)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        connectivity::{Connectivity, SubnetChoice, VpcChoice},
        plan::{FlavorOffer, ListSource, LocationOffer, ResourceGroupOffer},
    };

    #[test]
    fn every_resource_of_the_private_path_is_listed_with_its_settings() {
        let offerings = Offerings {
            locations: vec![LocationOffer {
                id: "ca-mon".into(),
                label: "Montréal (ca-mon)".into(),
                deployment_id: "d".into(),
                flavors: vec![FlavorOffer {
                    id: "bx3d.4x20".into(),
                    cpu: 4,
                    memory_gb: 20,
                }],
                flavors_source: ListSource::Catalog,
                versions: vec!["18".into()],
                versions_source: ListSource::Catalog,
                members: vec![2, 3],
                storage_min_gb: 10,
                storage_max_gb: 9600,
            }],
            resource_groups: vec![ResourceGroupOffer {
                id: "g".into(),
                name: "Default".into(),
                is_default: true,
            }],
        };
        let mut plan = offerings.new_plan("p".into());
        plan.name = "pg-demo".into();
        assert_eq!(
            planned_resources(&plan, &offerings).len(),
            2,
            "no path, no path resources"
        );
        let mut path = Connectivity::suggested("ca-mon", "3f2a9c1e-7b4d-4e2a-9f10-5c6d7e8f9a0b");
        path.ssh_cidr = "198.51.100.7/32".into();
        path.jump.image_name = "ibm-ubuntu-24-04-6-minimal-amd64-3".into();
        path.vpc = VpcChoice::Existing {
            id: "r018-1".into(),
            name: "team-vpc".into(),
        };
        path.subnet = SubnetChoice::Existing {
            id: "s-1".into(),
            name: "team-subnet".into(),
        };
        plan.connectivity = Some(path);
        let all = planned_resources(&plan, &offerings);
        let names: Vec<&str> = all.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "pg-demo",
                "onramp-manager",
                "team-vpc",
                "team-subnet",
                "onramp-key-3f2a",
                "onramp-jump-3f2a-ssh",
                "onramp-jump-3f2a-postgres",
                "onramp-jump-3f2a",
                "onramp-jump-3f2a-ip",
                "onramp-vpe-3f2a"
            ]
        );
        let text = |name: &str| {
            all.iter()
                .find(|r| r.name == name)
                .unwrap()
                .settings
                .iter()
                .map(|s| format!("{}: {}", s.label, s.value))
                .collect::<Vec<_>>()
                .join("\n")
        };
        assert!(text("team-vpc").contains("teardown keeps it"));
        assert!(text("onramp-jump-3f2a-ssh").contains("from 198.51.100.7/32"));
        assert!(text("onramp-jump-3f2a").contains("bx2-2x8"));
        assert!(text("onramp-jump-3f2a").contains("ibm-ubuntu-24-04"));
        assert!(text("onramp-key-3f2a").contains("keychain"));
        assert!(text("onramp-vpe-3f2a").contains("'pg-demo'"));
    }
}
