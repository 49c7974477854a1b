//! The sandbox's world: every resource it has created and the user tags attached to them,
//! kept in memory behind one lock and written to `resources.json` in the state dir after
//! every change, so a restarted sandbox still knows its instances, keys, networks and tags.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    sync::Mutex,
};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::account::write_atomically;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ResourceGroup {
    pub id: String,
    pub name: String,
    pub default: bool,
    pub created_at: DateTime<Utc>,
}

/// The real PostgreSQL server behind a database instance.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct PostgresRecord {
    pub port: u16,
    pub hostname: String,
    /// The sandbox's own superuser's password (the real service has one too, never shown):
    /// only in state written before it was derived (see `derived.rs`); empty since.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub admin_password: String,
}

/// A Resource Controller instance: a Databases for PostgreSQL Gen 2 database, or a seeded
/// Key Protect instance.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Instance {
    pub guid: String,
    pub name: String,
    pub region: String,
    pub resource_group_id: String,
    pub resource_plan_id: String,
    pub resource_id: String,
    pub target_crn: String,
    pub parameters: Value,
    pub tags: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub created_by: String,
    /// `provisioning`, `active`, `failed`, `removed`.
    pub state: String,
    /// `last_operation`: type (`create`, `update`, `delete`), state (`in progress`,
    /// `succeeded`, `failed`) and description.
    pub op_type: String,
    pub op_state: String,
    pub op_description: String,
    /// When provisioning may finish (now + `--provision-seconds` at create).
    pub ready_at: DateTime<Utc>,
    /// Set by the `provision-fail` fault: the create ends in `failed`.
    pub fail_provision: bool,
    pub deleted_at: Option<DateTime<Utc>>,
    /// Who deleted it; absent in state written before callers were told apart.
    #[serde(default)]
    pub deleted_by: Option<String>,
    pub postgres: Option<PostgresRecord>,
    /// The service-side private endpoint addresses, one per zone.
    pub vpe_ips: Vec<(String, String)>,
    /// A scale under way: the `dataservices.postgresql` fields it sets once `ready_at` has
    /// passed (the last operation is then `update`, `in progress`).
    #[serde(default)]
    pub pending_update: Option<Value>,
}

impl Instance {
    pub(crate) fn crn(&self, account_id: &str) -> String {
        format!(
            "crn:v1:bluemix:public:{}:{}:a/{}:{}::",
            self.resource_id, self.region, account_id, self.guid
        )
    }

    pub(crate) fn is_database(&self) -> bool {
        self.resource_id == crate::catalog::SERVICE_ID
    }
}

/// A resource key: for a database, one PostgreSQL login role.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ResourceKey {
    pub guid: String,
    pub name: String,
    pub instance_guid: String,
    /// `Manager` or `Writer`.
    pub role: String,
    pub username: String,
    /// Only in state written before passwords were derived (see `derived.rs`); empty since:
    /// use `AppState::key_password`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub password: String,
    pub created_at: DateTime<Utc>,
    pub parameters: Value,
    /// The caller's `iam_id`; empty in state written before callers were told apart (then
    /// the account's owner is shown).
    #[serde(default)]
    pub created_by: String,
}

/// A resource of the VPC, CBR, Key Protect or IAM policy APIs, kept as the body the API
/// answers with, plus what the sandbox needs to move its status along.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Doc {
    pub kind: String,
    pub region: Option<String>,
    pub body: Value,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct World {
    #[serde(default)]
    pub resource_groups: Vec<ResourceGroup>,
    #[serde(default)]
    pub instances: BTreeMap<String, Instance>,
    #[serde(default)]
    pub keys: BTreeMap<String, ResourceKey>,
    /// VPC, CBR, Key Protect and policy resources by id.
    #[serde(default)]
    pub docs: BTreeMap<String, Doc>,
    /// Next free host number per subnet id, so reserved addresses never repeat.
    #[serde(default)]
    pub next_host: BTreeMap<String, u32>,
    /// Next floating IP in 203.0.113.0/24 (a documentation range: nothing ever routes to it).
    #[serde(default)]
    pub next_floating_ip: u32,
    /// Next /24 per VPC for subnets created by count.
    #[serde(default)]
    pub next_subnet_block: BTreeMap<String, u32>,
    /// Loopback port of the jump host behind each VSI, by instance id.
    #[serde(default)]
    pub jump_ports: BTreeMap<String, u16>,
    /// Global Tagging's user tags, lowercased, by the CRN they are attached to.
    #[serde(default)]
    pub user_tags: BTreeMap<String, Vec<String>>,
}

impl World {
    pub(crate) fn docs_of<'a>(
        &'a self,
        kind: &'a str,
        region: Option<&'a str>,
    ) -> impl Iterator<Item = &'a Doc> + 'a {
        self.docs
            .values()
            .filter(move |d| d.kind == kind && (region.is_none() || d.region.as_deref() == region))
    }
}

pub(crate) struct Store {
    path: PathBuf,
    world: Mutex<World>,
}

impl Store {
    pub(crate) fn load(state_dir: &Path) -> std::io::Result<Store> {
        let path = state_dir.join("resources.json");
        let world = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                std::io::Error::other(format!("{} is not sandbox state: {e}", path.display()))
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => World::default(),
            Err(e) => return Err(e),
        };
        Ok(Store {
            path,
            world: Mutex::new(world),
        })
    }

    /// Reads the world without changing it.
    pub(crate) fn read<T>(&self, f: impl FnOnce(&World) -> T) -> T {
        let world = self.world.lock().unwrap_or_else(|e| e.into_inner());
        f(&world)
    }

    /// Changes the world and writes it to disk before anyone else can see the change.
    pub(crate) fn write<T>(&self, f: impl FnOnce(&mut World) -> T) -> T {
        let mut world = self.world.lock().unwrap_or_else(|e| e.into_inner());
        let result = f(&mut world);
        if let Err(error) = self.save(&world) {
            tracing::error!(%error, path = %self.path.display(), "cannot save sandbox state");
        }
        result
    }

    fn save(&self, world: &World) -> std::io::Result<()> {
        let bytes = serde_json::to_vec_pretty(world).map_err(std::io::Error::other)?;
        write_atomically(&self.path, &bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_world_from_before_tags_and_callers_loads() {
        let world: World = serde_json::from_str(
            r#"{"keys":{"k1":{"guid":"k1","name":"n","instance_guid":"i1","role":"Manager","username":"u","password":"p","created_at":"2026-01-01T00:00:00Z","parameters":null}}}"#,
        )
        .unwrap();
        assert!(world.user_tags.is_empty());
        assert_eq!(world.keys["k1"].created_by, "");
    }
}
