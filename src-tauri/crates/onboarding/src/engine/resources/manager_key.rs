//! The plan's first Manager service credential: the PostgreSQL user Onramp runs SQL as.
//! Its password and connection data go straight to the keychain (`credential:<key guid>`),
//! before the journal records the key; a key whose password cannot be read any more and
//! was never stored is replaced rather than left useless.

use std::time::Duration;

use onramp_cloud::{
    rc::{CreateResourceKey, ResourceKey},
    CloudError, Idempotency,
};

use super::super::{
    resource::{Found, Proof, Resource, Work},
    run::{Run, Stop},
    Timing,
};
use super::{super::run::one, detail};
use crate::export::curl::{body, call};
use crate::export::{
    cli::CliPart,
    terraform::{reference, Tf, TfResource},
    Exporting,
};
use crate::{
    credential::StoredCredential,
    journal::{Owner, Phase, StepId, StepRecord},
    plan::{field, DraftPlan, Offerings, MANAGER_KEY_NAME},
    review::{setting, PlannedResource},
    vault, AppError, ErrorCode,
};

pub(crate) struct ManagerKey;
pub(crate) static MANAGER_KEY: ManagerKey = ManagerKey;

/// A key as the journal knows it (by GUID), with the secret to keep if it carries one.
fn found(key: ResourceKey) -> Found {
    let secret = StoredCredential::from_key(&key)
        .map(|c| (vault::entry::credential(&key.guid), c.to_secret()));
    Found {
        detail: one(detail::CRN, key.crn.clone()),
        id: key.guid,
        name: key.name,
        crn: Some(key.crn),
        created_at: key.created_at,
        created_by: key.created_by,
        secret,
        ..Found::default()
    }
}

/// The instance's keys that carry the name Onramp gives its credential.
pub(crate) fn namesakes(keys: Vec<ResourceKey>) -> Vec<Found> {
    keys.into_iter()
        .filter(|k| k.name == MANAGER_KEY_NAME)
        .map(|k| {
            // A list does not carry the password: only the key's own read does.
            let mut f = found(k);
            f.secret = None;
            f
        })
        .collect()
}

impl ManagerKey {
    /// The secret to keep for a key found (not made): its own read carries the password
    /// when the caller may see it; a keychain entry from an earlier run will do too.
    async fn secret_of(
        &self,
        run: &Run,
        guid: &str,
    ) -> Result<Option<(String, onramp_secrets::Sensitive<String>)>, Stop> {
        let rc = run
            .ctx
            .cloud
            .resource_controller()
            .map_err(AppError::from_cloud)?;
        let key = run.call(rc.get_resource_key(guid)).await?;
        if let Some(secret) = found(key).secret {
            return Ok(Some(secret));
        }
        let entry = vault::entry::credential(guid);
        Ok(vault::read(&run.ctx.keychain, &entry)
            .await?
            .map(|s| (entry, s)))
    }
}

/// The create body: the first Manager credential of the instance `source`.
fn create_body(source: String) -> CreateResourceKey {
    CreateResourceKey {
        name: MANAGER_KEY_NAME.to_owned(),
        source,
        role: Some("Manager".to_owned()),
        parameters: None,
    }
}

impl Resource for ManagerKey {
    fn step(&self) -> StepId {
        StepId::ManagerKey
    }
    fn label(&self) -> &'static str {
        "Manager service credential"
    }
    fn noun(&self) -> &'static str {
        "credential"
    }
    fn estimate(&self, _: &Timing) -> Duration {
        Duration::from_secs(10)
    }
    fn name(&self, _: &DraftPlan) -> String {
        MANAGER_KEY_NAME.to_owned()
    }
    fn field(&self) -> &'static str {
        field::NAME
    }
    fn planned(&self, _: &DraftPlan, _: &Offerings) -> PlannedResource {
        PlannedResource {
            label: "Service credential".to_owned(),
            name: MANAGER_KEY_NAME.to_owned(),
            settings: vec![
                setting("Role", "Manager: a PostgreSQL user in ibm_admin and ibm_writer, with CREATEROLE and CREATEDB"),
                setting("Password", "Kept in your OS keychain, never on disk"),
            ],
        }
    }
    fn console(&self, state: &crate::journal::JournalState, _id: &str) -> Option<String> {
        let instance = state.step(StepId::Instance).id?;
        super::console_instance("databases-for-postgresql", &instance, Some("credentials"))
    }
    fn teardown_wording(&self, _: bool) -> String {
        "Deletes the credential: the PostgreSQL user it created is dropped, and its password is removed from your keychain.".to_owned()
    }
    fn proof(&self) -> Proof {
        // Keys record when and by whom they were made; their tags are not read.
        Proof {
            time: true,
            creator: true,
            tag: false,
        }
    }

    fn apply<'a>(&'a self, run: &'a Run) -> Work<'a, ()> {
        Box::pin(async move {
            let step = StepId::ManagerKey;
            let record = run.state().step(step);
            if let (Phase::Created, Some(_)) = (record.phase, &record.id) {
                return run.ready(step);
            }
            for _ in 0..2 {
                let mut obtained = run.obtain(self).await?;
                if obtained.found.secret.is_none() {
                    obtained.found.secret = self.secret_of(run, &obtained.found.id).await?;
                }
                if obtained.found.secret.is_some() {
                    run.created(step, obtained.found, obtained.owner).await?;
                    return run.ready(step);
                }
                if obtained.owner == Owner::Made {
                    // Made just now without a readable password: the API key lacks the
                    // Manager role on the database. Record it so teardown removes it.
                    run.created(step, obtained.found, obtained.owner).await?;
                    return Err(Stop::Failed(AppError::new(
                        ErrorCode::CloudRejected,
                        "The new credential came without a password (REDACTED): your API key may lack the Manager role on the database.",
                    )));
                }
                // This plan's, but its password is not readable any more and was never
                // stored: make a new one rather than leave the user without it.
                run.say(
                    step,
                    "The credential's password cannot be read again; replacing it",
                );
                let rc = run
                    .ctx
                    .cloud
                    .resource_controller()
                    .map_err(AppError::from_cloud)?;
                run.delete_once(rc.delete_resource_key(&obtained.found.id))
                    .await?;
            }
            Err(Stop::Failed(AppError::internal(
                "the Manager credential could not be made with a readable password",
            )))
        })
    }

    fn terraform(&self, x: &Exporting) -> Vec<Tf> {
        let id = super::database::tf_ref(x, "id");
        // The provider imports a key by its CRN and reads the instance back as a CRN.
        let import = x.made(StepId::ManagerKey).map(|guid| {
            x.detail(StepId::ManagerKey, detail::CRN)
                .unwrap_or_else(|| {
                    let instance = x.id(StepId::Instance).unwrap_or_default();
                    format!("{}:resource-key:{guid}", instance.trim_end_matches(':'))
                })
        });
        TfResource::new("ibm_resource_key", "manager")
            .attr("name", MANAGER_KEY_NAME)
            .attr("role", "Manager")
            .attr("resource_instance_id", reference(&id))
            .import(import)
            .note(
                "The first Manager credential. Terraform keeps its password in the state file: protect the state. \
                 Onramp keeps its copy only in your OS keychain.",
            )
            .done()
    }

    fn cli(&self, _: &Exporting) -> CliPart {
        CliPart::new("Manager credential")
            .say("Its answer carries the password, so it is not printed; read it later with: ibmcloud resource service-key onramp-manager")
            .line(format!(
                "ibmcloud resource service-key-create {MANAGER_KEY_NAME} Manager --instance-id \"$DB_CRN\" >/dev/null"
            ))
    }

    fn curl(&self, _: &Exporting) -> CliPart {
        CliPart::new("Manager credential")
            .say("Its answer carries the password, so it is not printed.")
            .line(format!(
                "{} >/dev/null",
                call(
                    "POST",
                    "$RC_URL/v2/resource_keys",
                    Some(body(&create_body("$DB_CRN".to_owned())))
                )
            ))
    }

    fn look<'a>(&'a self, run: &'a Run) -> Work<'a, Vec<Found>> {
        Box::pin(async move {
            let instance = run.id_of(StepId::Instance)?;
            let rc = run
                .ctx
                .cloud
                .resource_controller()
                .map_err(AppError::from_cloud)?;
            Ok(namesakes(
                run.call(rc.list_resource_keys_for_instance(&instance))
                    .await?,
            ))
        })
    }

    fn create<'a>(&'a self, run: &'a Run) -> Work<'a, Result<Found, CloudError>> {
        Box::pin(async move {
            let instance = run.id_of(StepId::Instance)?;
            let rc = run
                .ctx
                .cloud
                .resource_controller()
                .map_err(AppError::from_cloud)?;
            let body = create_body(instance);
            Ok(rc
                .create_resource_key(&body, Idempotency::Unsafe)
                .await
                .map(found))
        })
    }

    fn delete<'a>(&'a self, run: &'a Run, id: &'a str, record: &'a StepRecord) -> Work<'a, ()> {
        Box::pin(async move {
            let rc = run
                .ctx
                .cloud
                .resource_controller()
                .map_err(AppError::from_cloud)?;
            run.delete_once(rc.delete_resource_key(id)).await?;
            let entry = record
                .keychain_entry
                .clone()
                .unwrap_or_else(|| vault::entry::credential(id));
            vault::delete(&run.ctx.keychain, &entry).await?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{
        ownership::{judge, Verdict},
        resources::testing::{asked, at},
    };

    fn key(name: &str, created_at: String, by: &str, password: &str) -> ResourceKey {
        serde_json::from_value(serde_json::json!({
            "id": "crn:key:1", "guid": "k-1", "crn": "crn:key:1", "name": name,
            "created_at": created_at, "created_by": by,
            "credentials": {"username": "ibm_cloud_1", "password": password,
                "connection": {"postgres": {"hosts": [{"hostname": "h", "port": 5432}]}}}
        }))
        .unwrap()
    }

    #[test]
    fn only_keys_with_onramps_name_are_namesakes_and_a_list_keeps_no_secret() {
        let found = namesakes(vec![
            key(MANAGER_KEY_NAME, at(1), "me", "pw"),
            key("someone-elses", at(1), "me", "pw"),
        ]);
        assert_eq!(found.len(), 1);
        assert!(found[0].secret.is_none());
        assert_eq!(found[0].id, "k-1", "the journal knows a key by its GUID");
    }

    #[test]
    fn a_key_is_ours_if_made_after_the_intent_by_us() {
        let p = MANAGER_KEY.proof();
        let ours = &namesakes(vec![key(MANAGER_KEY_NAME, at(1), "me", "pw")])[0];
        assert_eq!(judge(ours, p, &asked(), "me"), Verdict::Ours);
        let theirs = &namesakes(vec![key(MANAGER_KEY_NAME, at(1), "IBMid-other", "pw")])[0];
        assert!(matches!(
            judge(theirs, p, &asked(), "me"),
            Verdict::NotOurs(_)
        ));
    }

    #[test]
    fn a_made_key_keeps_its_password_for_the_keychain_unless_redacted() {
        let made = found(key(MANAGER_KEY_NAME, at(1), "me", "s3cret"));
        let (entry, secret) = made.secret.expect("a secret to keep");
        assert_eq!(entry, "credential:k-1");
        assert!(secret.expose().contains("s3cret"));
        assert!(found(key(MANAGER_KEY_NAME, at(1), "me", "REDACTED"))
            .secret
            .is_none());
    }
}
