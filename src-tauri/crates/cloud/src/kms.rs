//! Key Protect: listing the keys of one instance so the user can pick the root key whose CRN
//! encrypts the database's disks (bring your own key). Every call names the instance in the
//! `bluemix-instance` header.

use serde::{Deserialize, Deserializer};
use url::Url;

use crate::{
    context::Cloud,
    endpoints::join_path,
    error::CloudError,
    http::ApiRequest,
    model::{collect_pages, with_query},
};

const SERVICE: &str = "Key Protect";
const PAGE_SIZE: u32 = 200;

/// The RC `resource_id` of Key Protect instances (the `kms` catalog id).
pub const KEY_PROTECT_RESOURCE_ID: &str = "ee41347f-b18e-4ca6-bf80-b5467c63f9a6";

/// A key's state; Key Protect sends it as a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyState {
    PreActivation,
    Active,
    Suspended,
    Deactivated,
    Destroyed,
    /// A number this version of Onramp does not know.
    Unknown(i64),
}

impl KeyState {
    pub fn code(self) -> i64 {
        match self {
            KeyState::PreActivation => 0,
            KeyState::Active => 1,
            KeyState::Suspended => 2,
            KeyState::Deactivated => 3,
            KeyState::Destroyed => 5,
            KeyState::Unknown(code) => code,
        }
    }
}

impl From<i64> for KeyState {
    fn from(code: i64) -> Self {
        match code {
            0 => KeyState::PreActivation,
            1 => KeyState::Active,
            2 => KeyState::Suspended,
            3 => KeyState::Deactivated,
            5 => KeyState::Destroyed,
            other => KeyState::Unknown(other),
        }
    }
}

impl<'de> Deserialize<'de> for KeyState {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        i64::deserialize(deserializer).map(KeyState::from)
    }
}

/// A key's metadata; the key material is never returned by a list.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyProtectKey {
    pub id: String,
    pub name: Option<String>,
    pub description: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// `crn:v1:bluemix:public:kms:<region>:a/<account>:<instance>:key:<id>`: the value for
    /// the database's `encryption.disk`.
    pub crn: Option<String>,
    pub state: Option<KeyState>,
    /// `false` for a root key; only root keys can protect the database.
    pub extractable: Option<bool>,
    pub deleted: Option<bool>,
    pub imported: Option<bool>,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(rename = "keyRingID")]
    pub key_ring_id: Option<String>,
    pub algorithm_type: Option<String>,
    pub creation_date: Option<String>,
    pub last_update_date: Option<String>,
    pub last_rotate_date: Option<String>,
    pub expiration_date: Option<String>,
    pub created_by: Option<String>,
}

impl KeyProtectKey {
    /// An active root key that is not deleted: what the key picker offers.
    pub fn is_usable_root_key(&self) -> bool {
        self.extractable == Some(false)
            && self.state == Some(KeyState::Active)
            && self.deleted != Some(true)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CollectionMetadata {
    pub collection_type: Option<String>,
    pub collection_total: Option<u64>,
}

/// `GET /api/v2/keys`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct KeyList {
    pub metadata: Option<CollectionMetadata>,
    #[serde(default)]
    pub resources: Vec<KeyProtectKey>,
}

/// Filters of `GET /api/v2/keys`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyFilter {
    pub extractable: Option<bool>,
    pub states: Vec<KeyState>,
}

/// One Key Protect instance.
#[derive(Debug, Clone)]
pub struct KeyProtectClient {
    cloud: Cloud,
    base: Url,
    instance_guid: String,
}

impl KeyProtectClient {
    pub(crate) fn new(cloud: Cloud, region: &str, instance_guid: &str) -> Result<Self, CloudError> {
        let base = cloud.endpoints().region(region)?.key_protect;
        Ok(KeyProtectClient {
            cloud,
            base,
            instance_guid: instance_guid.to_owned(),
        })
    }

    /// Every key matching `filter`, paging by `offset`.
    pub async fn list_keys(&self, filter: &KeyFilter) -> Result<Vec<KeyProtectKey>, CloudError> {
        let extractable = filter.extractable.map(|e| e.to_string());
        let states = (!filter.states.is_empty()).then(|| {
            filter
                .states
                .iter()
                .map(|s| s.code().to_string())
                .collect::<Vec<_>>()
                .join(",")
        });
        let limit = PAGE_SIZE.to_string();
        collect_pages(SERVICE, |offset| {
            let (extractable, states, limit) = (extractable.clone(), states.clone(), limit.clone());
            async move {
                let offset_value: u64 = offset.as_deref().and_then(|o| o.parse().ok()).unwrap_or(0);
                let url = with_query(
                    join_path(&self.base, &["api", "v2", "keys"])?,
                    &[
                        ("limit", Some(limit.as_str())),
                        ("offset", offset.as_deref()),
                        ("extractable", extractable.as_deref()),
                        ("state", states.as_deref()),
                    ],
                );
                let request = ApiRequest::get(SERVICE, url)
                    .header("bluemix-instance", &self.instance_guid)?;
                let page: KeyList = self.cloud.json(&request).await?;
                let got = page.resources.len() as u64;
                let next = (got >= u64::from(PAGE_SIZE)).then(|| (offset_value + got).to_string());
                Ok((page.resources, next))
            }
        })
        .await
    }

    /// Active, non-deleted root keys: the BYOK candidates.
    pub async fn root_keys(&self) -> Result<Vec<KeyProtectKey>, CloudError> {
        let keys = self
            .list_keys(&KeyFilter {
                extractable: Some(false),
                states: vec![KeyState::Active],
            })
            .await?;
        // Filtered again here: a server that ignores the query must not widen the choice.
        Ok(keys
            .into_iter()
            .filter(KeyProtectKey::is_usable_root_key)
            .collect())
    }
}
