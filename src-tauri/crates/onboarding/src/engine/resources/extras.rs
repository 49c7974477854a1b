//! What the Users step made after apply, which teardown removes first (it depends on the
//! database): service credentials (deleted in IBM Cloud, their keychain entries removed)
//! and SQL users' keychain entries (the roles themselves go with the database). They are
//! journal extras rather than graph steps: the user makes any number of them.

use super::super::{run::Run, teardown::TeardownItem};
use crate::{
    journal::{Extra, ExtraKind, JournalState, Phase, Record},
    vault, AppError,
};

/// Deletes every extra still live, recording each deletion; the first failure is returned
/// once all were tried.
pub(crate) async fn teardown(run: &Run) -> Result<(), AppError> {
    let extras: Vec<Extra> = run
        .state()
        .extras
        .into_iter()
        .filter(|e| e.phase != Phase::Deleted)
        .collect();
    let mut first_error = None;
    for extra in extras {
        if let Err(e) = remove(run, &extra).await {
            first_error.get_or_insert(e);
        }
    }
    first_error.map_or(Ok(()), Err)
}

async fn remove(run: &Run, extra: &Extra) -> Result<(), AppError> {
    if let (ExtraKind::Credential, Some(id)) = (extra.kind, &extra.id) {
        let rc = run
            .ctx
            .cloud
            .resource_controller()
            .map_err(AppError::from_cloud)?;
        match rc.delete_resource_key(id).await {
            Ok(()) => {}
            Err(e) if e.is_not_found() || e.status == Some(410) => {}
            Err(e) => return Err(AppError::from_cloud(e)),
        }
    }
    if let Some(entry) = &extra.keychain_entry {
        vault::delete(&run.ctx.keychain, entry).await?;
    }
    run.record(Record::ExtraDeleted {
        kind: extra.kind,
        name: extra.name.clone(),
    })
}

/// The teardown preview's lines for the extras, in the order teardown removes them.
pub(crate) fn preview(state: &JournalState) -> impl Iterator<Item = TeardownItem> + '_ {
    state
        .extras
        .iter()
        .filter(|e| e.phase != Phase::Deleted)
        .map(|extra| {
            let (kind, label, consequence) = match extra.kind {
                ExtraKind::Credential => (
                    "credential",
                    "Service credential (made in Users)",
                    "Deletes the credential: the PostgreSQL user it created is dropped, and its password is removed from your keychain.",
                ),
                ExtraKind::SqlUser => (
                    "sql-user",
                    "SQL user's password (made in Users)",
                    "Removes the password from your keychain; the user itself goes with the database.",
                ),
            };
            TeardownItem {
                key: format!("{kind}:{}", extra.name),
                step: None,
                label: label.to_owned(),
                name: extra.name.clone(),
                // A SQL user's id is its name; a credential's is its GUID.
                resource_id: match extra.kind {
                    ExtraKind::Credential => extra.id.clone(),
                    ExtraKind::SqlUser => None,
                },
                deletes: true,
                consequence: consequence.to_owned(),
            }
        })
}
