//! SQL users Onramp makes or changes, with their passwords in the keychain: the protocol
//! that keeps the database, the keychain and the journal in step. A new user's password is
//! in the keychain before its role commits; a failure leaves nothing behind. A password
//! change updates the keychain entry that holds it: the credential's for a service
//! credential's user, else the SQL user's own (journalled when it is new).

use serde::Serialize;
use specta::Type;

use onramp_secrets::{Keychain, Sensitive};

use super::{change_password, create_user, list_credentials, Recipe};
use crate::{
    credential::StoredCredential,
    journal::{ExtraKind, Journal, JournalState, Record, StepId},
    vault, AppError, ErrorCode,
};

/// What a SQL change did, for the window: no secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct SqlChange {
    /// What ran, password masked.
    pub statements: Vec<String>,
    /// The keychain entry that holds the password.
    pub keychain_entry: String,
}

/// A change to the plan's users is refused while apply or teardown runs on it: they hold
/// its journal, and one writer at a time.
pub fn refuse_while_busy(busy: bool) -> Result<(), AppError> {
    if busy {
        return Err(AppError::new(
            ErrorCode::Conflict,
            "The plan is being applied or torn down.",
        )
        .hint("Wait until the Provision step shows it finished."));
    }
    Ok(())
}

/// Nothing new is made for a plan whose teardown started.
pub fn refuse_after_teardown(state: &JournalState) -> Result<(), AppError> {
    if state.teardown_started {
        return Err(AppError::new(
            ErrorCode::Conflict,
            "This plan is being torn down; nothing new is made for it.",
        ));
    }
    Ok(())
}

fn instance_id(state: &JournalState) -> Result<String, AppError> {
    state.step(StepId::Instance).id.ok_or_else(|| {
        AppError::new(
            ErrorCode::Conflict,
            "The plan's database does not exist yet.",
        )
    })
}

/// Creates a login role from a recipe as the Manager, journalled as an extra; its password
/// is in the keychain before the role commits.
pub async fn create_sql_user(
    journal: &mut Journal,
    keychain: &Keychain,
    client: &tokio_postgres::Client,
    role: &str,
    recipe: &Recipe,
    password: &Sensitive<String>,
) -> Result<SqlChange, AppError> {
    let entry = vault::entry::sql_user(&instance_id(journal.state())?, role);
    journal.write(Record::ExtraIntent {
        kind: ExtraKind::SqlUser,
        name: role.to_owned(),
    })?;
    let result = create_user(
        client,
        role,
        recipe,
        password.expose(),
        || vault::save(keychain, &entry, password.clone()),
        || async {
            let _ = vault::delete(keychain, &entry).await;
        },
    )
    .await;
    match result {
        Ok(statements) => {
            journal.write(Record::ExtraCreated {
                kind: ExtraKind::SqlUser,
                name: role.to_owned(),
                id: role.to_owned(),
                keychain_entry: Some(entry.clone()),
            })?;
            Ok(SqlChange {
                statements,
                keychain_entry: entry,
            })
        }
        Err(error) => {
            journal.write(Record::ExtraDeleted {
                kind: ExtraKind::SqlUser,
                name: role.to_owned(),
            })?;
            Err(error)
        }
    }
}

/// `ALTER ROLE … WITH PASSWORD` as the Manager; the keychain entry that holds the role's
/// password is updated only after PostgreSQL accepted the new one.
pub async fn change_user_password(
    journal: &mut Journal,
    keychain: &Keychain,
    cloud: &onramp_cloud::Cloud,
    client: &tokio_postgres::Client,
    role: &str,
    password: &Sensitive<String>,
) -> Result<SqlChange, AppError> {
    // A service credential's user: its keychain entry holds the password with the rest.
    let credential = list_credentials(cloud, journal.state(), keychain)
        .await?
        .into_iter()
        .find(|c| c.stored && c.user.as_deref() == Some(role));
    let entry = match &credential {
        Some(c) => vault::entry::credential(&c.guid),
        None => vault::entry::sql_user(&instance_id(journal.state())?, role),
    };
    let current = vault::read(keychain, &entry).await?;
    let existed = current.is_some();
    let previous = current.clone();
    let value = match (&credential, current) {
        (Some(_), Some(current)) => StoredCredential::parse(&current)?
            .with_password(password.clone())
            .to_secret(),
        (Some(_), None) => {
            return Err(AppError::internal(
                "the credential's keychain entry vanished",
            ))
        }
        (None, _) => password.clone(),
    };
    let statement = change_password(
        client,
        role,
        password.expose(),
        || vault::save(keychain, &entry, value),
        || async {
            let _ = match previous {
                Some(old) => vault::save(keychain, &entry, old).await,
                None => vault::delete(keychain, &entry).await.map(|_| ()),
            };
        },
    )
    .await?;
    if credential.is_none() && !existed {
        journal.write(Record::ExtraIntent {
            kind: ExtraKind::SqlUser,
            name: role.to_owned(),
        })?;
        journal.write(Record::ExtraCreated {
            kind: ExtraKind::SqlUser,
            name: role.to_owned(),
            id: role.to_owned(),
            keychain_entry: Some(entry.clone()),
        })?;
    }
    Ok(SqlChange {
        statements: vec![statement],
        keychain_entry: entry,
    })
}

/// A SQL user's password from the keychain, for Reveal and Copy only.
pub async fn sql_user_password(
    state: &JournalState,
    keychain: &Keychain,
    role: &str,
) -> Result<Sensitive<String>, AppError> {
    crate::input::check_line(
        super::field::ROLE_NAME,
        "role name",
        role,
        super::ROLE_NAME_MAX_BYTES,
    )?;
    let entry = vault::entry::sql_user(&instance_id(state)?, role);
    vault::read(keychain, &entry).await?.ok_or_else(|| {
        AppError::new(
            ErrorCode::NotFound,
            format!("Onramp keeps no password for {role}."),
        )
    })
}

/// A credential's password from the keychain, for Reveal and Copy only.
pub async fn credential_password(
    keychain: &Keychain,
    guid: &str,
) -> Result<Sensitive<String>, AppError> {
    crate::input::check_guid(guid)?;
    let secret = vault::read(keychain, &vault::entry::credential(guid))
        .await?
        .ok_or_else(|| {
            AppError::new(ErrorCode::NotFound, "Onramp has no copy of this credential's password.")
                .hint("Passwords are shown once, when a credential is made; Onramp keeps those it made. Create a new credential to get one.")
        })?;
    Ok(StoredCredential::parse(&secret)?.password)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_is_refused_while_a_job_runs_and_after_teardown_started() {
        assert!(refuse_while_busy(false).is_ok());
        let busy = refuse_while_busy(true).unwrap_err();
        assert_eq!(busy.code, ErrorCode::Conflict);
        assert!(busy.hint.unwrap().contains("Provision step"));
    }
}
