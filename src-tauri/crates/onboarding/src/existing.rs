//! Starting a plan from a database the user already has (issue 19): the account's Gen 2
//! PostgreSQL instances as Basics lists them, and a plan made to use one. The plan keeps
//! the database chosen, not made: the engine checks it and uses it, teardown keeps it.

use serde::{Deserialize, Serialize};
use specta::Type;

use onramp_cloud::{
    catalog::POSTGRESQL_GEN2_PLAN_ID,
    rc::{InstanceFilter, ResourceInstance},
    Cloud,
};

use crate::{
    engine::resources::database::gone,
    plan::{DraftPlan, Encryption, ExistingDatabase},
    scale::Size,
    AppError,
};

/// One of the account's Gen 2 databases, as Basics lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct DatabaseListing {
    pub crn: String,
    pub name: String,
    pub location: String,
    pub resource_group_id: String,
    /// `active`, `provisioning`, `failed`, … as Resource Controller says.
    pub state: String,
    pub size: Size,
    pub version: Option<String>,
    pub created_at: Option<String>,
}

impl DatabaseListing {
    fn of(instance: &ResourceInstance) -> DatabaseListing {
        let unknown = Size {
            members: 2,
            host_flavor: String::new(),
            storage_gb: 0,
        };
        let version = instance
            .extensions
            .as_ref()
            .and_then(|e| e.dataservices.as_ref())
            .and_then(|d| d.postgresql.as_ref())
            .and_then(|p| p.version.clone())
            .or_else(|| {
                instance.parameters.as_ref().and_then(|p| {
                    p["dataservices"]["postgresql"]["version"]
                        .as_str()
                        .map(str::to_owned)
                })
            });
        DatabaseListing {
            crn: instance.crn.clone(),
            name: instance.name.clone(),
            location: instance.region_id.clone().unwrap_or_default(),
            resource_group_id: instance.resource_group_id.clone().unwrap_or_default(),
            state: instance
                .state
                .as_ref()
                .map(|s| s.as_str().to_owned())
                .unwrap_or_else(|| "unknown".into()),
            size: Size::reported(instance, &unknown),
            version,
            created_at: instance.created_at.clone(),
        }
    }
}

/// The account's Gen 2 PostgreSQL databases in every location (failed ones too, so the
/// user sees why one cannot be used), newest first.
pub async fn list(cloud: &Cloud) -> Result<Vec<DatabaseListing>, AppError> {
    let rc = cloud.resource_controller().map_err(AppError::from_cloud)?;
    let mut all = Vec::new();
    for state in [None, Some("failed")] {
        let filter = InstanceFilter {
            resource_plan_id: Some(POSTGRESQL_GEN2_PLAN_ID.to_owned()),
            state: state.map(str::to_owned),
            ..InstanceFilter::default()
        };
        all.extend(
            rc.list_instances(&filter)
                .await
                .map_err(AppError::from_cloud)?,
        );
    }
    let mut listed: Vec<DatabaseListing> = all
        .iter()
        .filter(|i| !gone(i))
        .map(DatabaseListing::of)
        .collect();
    listed.sort_by(|a, b| b.created_at.cmp(&a.created_at));
    listed.dedup_by(|a, b| a.crn == b.crn);
    Ok(listed)
}

/// `plan` made to use `database`: its name, location, group, size and version copied in,
/// the provider's key (the database keeps the encryption it was made with).
pub fn choose(plan: &DraftPlan, database: &DatabaseListing) -> DraftPlan {
    let mut chosen = database.size.on(plan);
    chosen.existing = Some(ExistingDatabase {
        crn: database.crn.clone(),
        name: database.name.clone(),
    });
    chosen.name = database.name.clone();
    chosen.location = database.location.clone();
    chosen.resource_group_id = database.resource_group_id.clone();
    if let Some(version) = &database.version {
        chosen.version = version.clone();
    }
    chosen.encryption = Encryption::ProviderManaged;
    chosen
}

/// `plan` back to making a database of its own (the names and sizes stay as they are).
pub fn unchoose(plan: &DraftPlan) -> DraftPlan {
    DraftPlan {
        existing: None,
        ..plan.clone()
    }
}
