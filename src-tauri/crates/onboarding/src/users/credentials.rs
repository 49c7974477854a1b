//! The database's service credentials: listed with what Onramp keeps of each, made with a
//! role (their password and connection data straight to the keychain), and deleted with
//! their keychain entry. Each is a journal extra, so teardown removes what the Users step
//! made.

use serde::{Deserialize, Serialize};
use specta::Type;

use super::field;
use crate::{AppError, ErrorCode};

/// A service credential's role: its user's database role follows from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type)]
pub enum CredentialRole {
    /// CREATEROLE and CREATEDB, member of `ibm_admin` and `ibm_writer`.
    Manager,
    /// Member of `ibm_writer`: reads and writes all data.
    Writer,
}

impl CredentialRole {
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialRole::Manager => "Manager",
            CredentialRole::Writer => "Writer",
        }
    }
}

/// A service credential of the plan's database, as the Users step lists it. No secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct CredentialInfo {
    pub guid: String,
    pub name: String,
    /// `Manager`, `Writer`, or what IAM calls another role; `None` when not shown.
    pub role: Option<String>,
    /// Its database user (`ibmcloud_…`), when known.
    pub user: Option<String>,
    pub created_at: Option<String>,
    /// Its password is in the keychain (Onramp made it), so it can be revealed or copied.
    pub stored: bool,
    /// The plan's own Manager credential, which Onramp runs SQL as: deleted by teardown.
    pub plans_own: bool,
}

/// The credential's name rules: 1–100 characters, no leading or trailing space.
pub fn check_credential_name(name: &str, taken: &[String]) -> Option<AppError> {
    let at = |m: String| Some(AppError::new(ErrorCode::InvalidInput, m).at(field::CREDENTIAL_NAME));
    if name.trim().is_empty() {
        return at("Give the credential a name.".into());
    }
    if name != name.trim() {
        return at("Remove the spaces at the start or end of the name.".into());
    }
    if name.chars().count() > 100 {
        return at("A credential's name is at most 100 characters.".into());
    }
    if let Some(odd) = crate::input::odd_character(name) {
        return at(format!("A credential's name cannot contain {odd}."));
    }
    if taken.iter().any(|t| t == name) {
        return at(format!(
            "This database already has a credential named {name}."
        ));
    }
    None
}

fn role_of(key: &onramp_cloud::rc::ResourceKey) -> Option<String> {
    let crn = key.credentials.as_ref()?.iam_role_crn.as_deref()?;
    Some(crn.rsplit(':').next().unwrap_or(crn).to_owned())
}

/// The instance's credentials, with what Onramp keeps of each.
pub async fn list_credentials(
    cloud: &onramp_cloud::Cloud,
    state: &crate::journal::JournalState,
    keychain: &onramp_secrets::Keychain,
) -> Result<Vec<CredentialInfo>, AppError> {
    use crate::journal::StepId;
    let instance = state.step(StepId::Instance).id.ok_or_else(|| {
        AppError::new(
            ErrorCode::Conflict,
            "The plan's database does not exist yet.",
        )
    })?;
    let own = state.step(StepId::ManagerKey).id;
    let rc = cloud.resource_controller().map_err(AppError::from_cloud)?;
    let keys = rc
        .list_resource_keys_for_instance(&instance)
        .await
        .map_err(AppError::from_cloud)?;
    let mut out = Vec::new();
    for key in keys {
        let entry = crate::vault::entry::credential(&key.guid);
        let stored = crate::vault::read(keychain, &entry)
            .await?
            .and_then(|s| crate::credential::StoredCredential::parse(&s).ok());
        out.push(CredentialInfo {
            role: role_of(&key),
            user: key
                .credentials
                .as_ref()
                .and_then(|c| c.username.clone())
                .or_else(|| stored.as_ref().map(|s| s.username.clone())),
            created_at: key.created_at.clone(),
            stored: stored.is_some(),
            plans_own: own.as_deref() == Some(key.guid.as_str()),
            guid: key.guid,
            name: key.name,
        });
    }
    out.sort_by(|a, b| {
        (!a.plans_own, &a.created_at, &a.name).cmp(&(!b.plans_own, &b.created_at, &b.name))
    });
    Ok(out)
}

/// Creates a credential with `role`; its password and connection data go straight to the
/// keychain (`credential:<guid>`), announced in the journal before and recorded after.
pub async fn create_credential(
    cloud: &onramp_cloud::Cloud,
    journal: &mut crate::journal::Journal,
    keychain: &onramp_secrets::Keychain,
    name: &str,
    role: CredentialRole,
) -> Result<CredentialInfo, AppError> {
    use crate::journal::{ExtraKind, Record, StepId};
    let state = journal.state().clone();
    let instance = state.step(StepId::Instance).id.ok_or_else(|| {
        AppError::new(
            ErrorCode::Conflict,
            "The plan's database does not exist yet.",
        )
    })?;
    if let Some(problem) = check_credential_name(name, &[]) {
        return Err(problem);
    }
    let rc = cloud.resource_controller().map_err(AppError::from_cloud)?;
    let existing = rc
        .list_resource_keys_for_instance(&instance)
        .await
        .map_err(AppError::from_cloud)?;
    let taken: Vec<String> = existing.iter().map(|k| k.name.clone()).collect();
    if let Some(problem) = check_credential_name(name, &taken) {
        return Err(problem);
    }
    journal.write(Record::ExtraIntent {
        kind: ExtraKind::Credential,
        name: name.to_owned(),
    })?;
    let key = rc
        .create_resource_key(
            &onramp_cloud::rc::CreateResourceKey {
                name: name.to_owned(),
                source: instance,
                role: Some(role.as_str().to_owned()),
                parameters: None,
            },
            onramp_cloud::Idempotency::Unsafe,
        )
        .await
        .map_err(|e| AppError::from_cloud(e).at(field::CREDENTIAL_NAME))?;
    let entry = crate::vault::entry::credential(&key.guid);
    let saved = match crate::credential::StoredCredential::from_key(&key) {
        Some(stored) => crate::vault::save(keychain, &entry, stored.to_secret()).await,
        None => Err(AppError::new(
            ErrorCode::CloudRejected,
            "The new credential came without a password (REDACTED): your API key may lack the Manager role on the database.",
        )),
    };
    if let Err(error) = saved {
        // Leave nothing half-made: a credential whose password Onramp could not keep goes.
        let _ = rc.delete_resource_key(&key.guid).await;
        journal.write(Record::ExtraDeleted {
            kind: ExtraKind::Credential,
            name: name.to_owned(),
        })?;
        return Err(error);
    }
    journal.write(Record::ExtraCreated {
        kind: ExtraKind::Credential,
        name: name.to_owned(),
        id: key.guid.clone(),
        keychain_entry: Some(entry),
    })?;
    Ok(CredentialInfo {
        role: Some(role.as_str().to_owned()),
        user: key.credentials.as_ref().and_then(|c| c.username.clone()),
        created_at: key.created_at.clone(),
        stored: true,
        plans_own: false,
        guid: key.guid,
        name: key.name,
    })
}

/// Deletes a credential and its keychain entry. The plan's own Manager credential stays:
/// Onramp runs SQL as it, and teardown removes it.
pub async fn delete_credential(
    cloud: &onramp_cloud::Cloud,
    journal: &mut crate::journal::Journal,
    keychain: &onramp_secrets::Keychain,
    guid: &str,
) -> Result<(), AppError> {
    use crate::journal::{ExtraKind, Record, StepId};
    crate::input::check_guid(guid)?;
    let state = journal.state().clone();
    if state.step(StepId::ManagerKey).id.as_deref() == Some(guid) {
        return Err(AppError::new(
            ErrorCode::Conflict,
            "This is the plan's own Manager credential: Onramp connects and runs SQL as it.",
        )
        .hint("Tearing the plan down deletes it. To rotate it, create another Manager credential first."));
    }
    let rc = cloud.resource_controller().map_err(AppError::from_cloud)?;
    let key = match rc.get_resource_key(guid).await {
        Ok(k) => Some(k),
        Err(e) if e.is_not_found() || e.status == Some(410) => None,
        Err(e) => return Err(AppError::from_cloud(e)),
    };
    let name = key
        .as_ref()
        .map(|k| k.name.clone())
        .or_else(|| {
            state
                .extras
                .iter()
                .find(|e| e.kind == ExtraKind::Credential && e.id.as_deref() == Some(guid))
                .map(|e| e.name.clone())
        })
        .unwrap_or_else(|| guid.to_owned());
    if key.is_some() {
        match rc.delete_resource_key(guid).await {
            Ok(()) => {}
            Err(e) if e.is_not_found() || e.status == Some(410) => {}
            Err(e) => return Err(AppError::from_cloud(e)),
        }
    }
    crate::vault::delete(keychain, &crate::vault::entry::credential(guid)).await?;
    journal.write(Record::ExtraDeleted {
        kind: ExtraKind::Credential,
        name,
    })?;
    Ok(())
}
