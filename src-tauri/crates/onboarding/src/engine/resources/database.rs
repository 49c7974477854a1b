//! The Databases for PostgreSQL Gen 2 instance: created through Resource Controller with
//! the plan's sizing and the plan's tag, waited for through `provisioning` to `active`
//! (15–20 minutes on IBM Cloud), replaced when it failed and the user retries, deleted
//! (with its keys) by teardown. Resource Controller allows two instances with one name, so
//! a namesake is this plan's only if it was made after the plan asked for one, by the same
//! identity, and carries the tag `onramp-plan:<plan id>`.

use std::time::Duration;

use onramp_cloud::{
    catalog::POSTGRESQL_GEN2_PLAN_ID,
    rc::{
        CreateResourceInstance, DataServicesParameters, EncryptionParameters, InstanceFilter,
        InstanceParameters, InstanceState, PostgresqlParameters, ResourceInstance,
    },
    CloudError, Idempotency,
};

use super::super::{
    ownership::plan_tag,
    resource::{Found, Proof, Resource, Work},
    run::{Readiness, Run, StepResult},
    Timing,
};
use crate::export::curl::{body, call};
use crate::export::{
    cli::{quote, CliPart},
    terraform::{jsonencode, strings, Tf, TfResource},
    Exporting,
};
use crate::{
    journal::{Phase, Record, StepId, StepRecord},
    plan::{field, DraftPlan, Encryption, Offerings},
    review::{setting, PlannedResource},
    AppError, ErrorCode,
};

pub(crate) struct Database;
pub(crate) static DATABASE: Database = Database;

/// The create body: the plan's sizing, encryption and tags.
pub(crate) fn create_body(plan: &DraftPlan) -> CreateResourceInstance {
    let encryption = match &plan.encryption {
        Encryption::ProviderManaged => None,
        Encryption::KeyProtect(choice) => Some(EncryptionParameters {
            disk: Some(choice.key_crn.clone()),
        }),
    };
    CreateResourceInstance {
        name: plan.name.clone(),
        target: plan.location.clone(),
        resource_group: plan.resource_group_id.clone(),
        resource_plan_id: POSTGRESQL_GEN2_PLAN_ID.to_owned(),
        tags: vec!["onramp".to_owned(), plan_tag(&plan.id)],
        allow_cleanup: None,
        parameters: Some(InstanceParameters {
            dataservices: DataServicesParameters {
                postgresql: Some(PostgresqlParameters {
                    members: u32::try_from(plan.members).ok(),
                    storage_gb: u32::try_from(plan.storage_gb).ok(),
                    host_flavor: Some(plan.host_flavor.clone()),
                    version: Some(plan.version.clone()),
                }),
                encryption,
                restore_backup_id: None,
            },
        }),
    }
}

/// The CLI and curl scripts' part for a database the user chose: its CRN and GUID, for the
/// parts after it.
fn chosen_part(existing: &crate::plan::ExistingDatabase) -> CliPart {
    CliPart::new("Databases for PostgreSQL Gen 2")
        .chosen(
            &format!("database {}", existing.name),
            "DB_CRN",
            &existing.crn,
        )
        .line(format!("DB_GUID={}", quote(guid_of_crn(&existing.crn))))
}

/// Gone, or on its way: not a namesake any more.
pub(crate) fn gone(instance: &ResourceInstance) -> bool {
    matches!(
        instance.state,
        Some(
            InstanceState::Removed
                | InstanceState::PendingReclamation
                | InstanceState::PendingRemoval
        )
    )
}

/// The instances a list returned that carry the plan's name.
pub(crate) fn namesakes(plan: &DraftPlan, listed: Vec<ResourceInstance>) -> Vec<Found> {
    listed
        .into_iter()
        .filter(|i| i.name == plan.name && !gone(i))
        .map(|i| Found {
            id: i.id,
            name: i.name,
            crn: Some(i.crn),
            created_at: i.created_at,
            created_by: i.created_by,
            ..Found::default()
        })
        .collect()
}

/// Every database of the plan's name, group and plan, failed ones included (RC lists only
/// `active` and `provisioning` unless asked).
pub(crate) async fn list_namesakes(
    cloud: &onramp_cloud::Cloud,
    plan: &DraftPlan,
) -> Result<Vec<Found>, CloudError> {
    let rc = cloud.resource_controller()?;
    let mut all = Vec::new();
    for state in [None, Some("failed")] {
        let filter = InstanceFilter {
            name: Some(plan.name.clone()),
            resource_group_id: Some(plan.resource_group_id.clone()),
            resource_plan_id: Some(POSTGRESQL_GEN2_PLAN_ID.to_owned()),
            state: state.map(str::to_owned),
            ..InstanceFilter::default()
        };
        all.extend(rc.list_instances(&filter).await?);
    }
    Ok(namesakes(plan, all))
}

/// The broker's 400s name the parameter they refuse; the UI shows them at that field.
pub(crate) fn broker_error(error: CloudError) -> AppError {
    let lower = error.message.to_lowercase();
    let field = if error.status == Some(409) || lower.contains("name") && !lower.contains("flavor")
    {
        Some(field::NAME)
    } else if lower.contains("member") {
        Some(field::MEMBERS)
    } else if lower.contains("storage") || lower.contains("between 10 and 9600") {
        Some(field::STORAGE)
    } else if lower.contains("flavor") {
        Some(field::HOST_FLAVOR)
    } else if lower.contains("version") {
        Some(field::VERSION)
    } else if lower.contains("encryption") || lower.contains("kms") || lower.contains("key protect")
    {
        Some(field::ENCRYPTION_KEY)
    } else if lower.contains("location") || lower.contains("deployment") {
        Some(field::LOCATION)
    } else if lower.contains("resource group") {
        Some(field::RESOURCE_GROUP)
    } else {
        None
    };
    let error = AppError::from_cloud(error);
    match field {
        Some(f) if error.code != ErrorCode::Network => error.at(f),
        _ => error,
    }
}

impl Database {
    /// A failed database being retried is deleted first: its name would stay taken and
    /// its failure would stay on the list. So is one whose replacement was interrupted.
    async fn clear_failed(&self, run: &Run) -> StepResult {
        let step = StepId::Instance;
        let record = run.state().step(step);
        // A database the user chose is never deleted, failed or not.
        if self.chosen(&run.plan()) || record.kept() {
            return Ok(());
        }
        let (Phase::Created, Some(id)) = (record.phase, record.id.clone()) else {
            return Ok(());
        };
        let rc = run
            .ctx
            .cloud
            .resource_controller()
            .map_err(AppError::from_cloud)?;
        let instance = match rc.get_instance(&id).await {
            Ok(instance) => instance,
            Err(e) if e.is_not_found() => {
                run.record(Record::Deleted { step })?;
                return Ok(());
            }
            // The wait that follows reports what it cannot reach.
            Err(_) => return Ok(()),
        };
        if instance.has_failed() || gone(&instance) {
            run.say(
                step,
                "Deleting the failed database before creating it again",
            );
            run.record(Record::DeleteIntent { step })?;
            self.remove(run, &id).await?;
            run.record(Record::Deleted { step })?;
        }
        Ok(())
    }

    async fn remove(&self, run: &Run, id: &str) -> StepResult {
        let rc = run
            .ctx
            .cloud
            .resource_controller()
            .map_err(AppError::from_cloud)?;
        run.delete_and_wait(
            StepId::Instance,
            "database",
            || rc.delete_instance(id, true),
            || rc.get_instance(id),
            gone,
        )
        .await
    }
}

/// Where the Terraform export declares the database.
pub(crate) const TF: (&str, &str) = ("ibm_resource_instance", "database");
/// The chosen database's CRN (its id in Resource Controller) and GUID, as Terraform locals.
const LOCAL_CRN: &str = "database_crn";
const LOCAL_GUID: &str = "database_guid";

/// The path other parts of the Terraform export read the database's `attr` (`id`, `crn` or
/// `guid`) from: the resource's, or, for a database the user chose, its local.
pub(crate) fn tf_ref(x: &Exporting, attr: &str) -> String {
    match (&x.plan.existing, attr) {
        (Some(_), "guid") => format!("local.{LOCAL_GUID}"),
        (Some(_), _) => format!("local.{LOCAL_CRN}"),
        (None, _) => format!("{}.{}.{attr}", TF.0, TF.1),
    }
}

/// The GUID inside an instance CRN (`crn:v1:…:a/<account>:<guid>::`).
fn guid_of_crn(crn: &str) -> &str {
    crn.trim_end_matches(':').rsplit(':').next().unwrap_or(crn)
}

impl Resource for Database {
    fn step(&self) -> StepId {
        StepId::Instance
    }
    fn label(&self) -> &'static str {
        "Databases for PostgreSQL (Gen 2)"
    }
    fn noun(&self) -> &'static str {
        "database"
    }
    fn estimate(&self, timing: &Timing) -> Duration {
        timing.instance_estimate
    }
    fn name(&self, plan: &DraftPlan) -> String {
        plan.name.clone()
    }
    fn field(&self) -> &'static str {
        field::NAME
    }
    fn chosen(&self, plan: &DraftPlan) -> bool {
        plan.existing.is_some()
    }
    fn kept_wording(&self) -> &'static str {
        "Kept: you chose this database, and it stays as it was, with its data and its own credentials."
    }
    fn planned(&self, plan: &DraftPlan, offerings: &Offerings) -> PlannedResource {
        if let Some(existing) = &plan.existing {
            return PlannedResource {
                label: self.label().to_owned(),
                name: existing.name.clone(),
                settings: vec![
                    setting(
                        "Choice",
                        "The database you already have: used, never changed or deleted by the plan",
                    ),
                    setting("CRN", existing.crn.clone()),
                    setting("Location", plan.location.clone()),
                    setting(
                        "Size",
                        format!(
                            "{} members × {}, {} GB per member (scale it from Done)",
                            plan.members, plan.host_flavor, plan.storage_gb
                        ),
                    ),
                    setting("Endpoints", "Private only (Gen 2)"),
                ],
            };
        }
        let location = offerings.location(&plan.location);
        let group = offerings
            .resource_groups
            .iter()
            .find(|g| g.id == plan.resource_group_id)
            .map(|g| g.name.clone())
            .unwrap_or_else(|| plan.resource_group_id.clone());
        let flavor = location
            .and_then(|l| l.flavors.iter().find(|f| f.id == plan.host_flavor))
            .map(|f| {
                format!(
                    "{} ({} vCPU × {} GB RAM per member)",
                    f.id, f.cpu, f.memory_gb
                )
            })
            .unwrap_or_else(|| plan.host_flavor.clone());
        let encryption = match &plan.encryption {
            Encryption::ProviderManaged => "Provider-managed key (LUKS AES-256)".to_owned(),
            Encryption::KeyProtect(choice) => format!(
                "Key Protect root key '{}' in '{}' ({})",
                choice.key_name, choice.instance_name, choice.region
            ),
        };
        PlannedResource {
            label: self.label().to_owned(),
            name: plan.name.clone(),
            settings: vec![
                setting("Plan", "standard-gen2"),
                setting(
                    "Location",
                    location
                        .map(|l| l.label.clone())
                        .unwrap_or_else(|| plan.location.clone()),
                ),
                setting("Resource group", group),
                setting(
                    "Members",
                    format!(
                        "{} (high availability across {} zones)",
                        plan.members, plan.members
                    ),
                ),
                setting("Host flavor", flavor),
                setting(
                    "Storage",
                    format!(
                        "{} GB per member (can grow later, never shrink)",
                        plan.storage_gb
                    ),
                ),
                setting(
                    "PostgreSQL version",
                    format!("{} (set only at deployment)", plan.version),
                ),
                setting("Disk encryption", encryption),
                setting("Endpoints", "Private only (Gen 2)"),
                setting("Tags", format!("onramp, {}", plan_tag(&plan.id))),
            ],
        }
    }
    fn console(&self, _state: &crate::journal::JournalState, id: &str) -> Option<String> {
        super::console_instance("databases-for-postgresql", id, None)
    }
    fn teardown_wording(&self, sandbox: bool) -> String {
        if sandbox {
            "Deletes the sandbox database and its data. Nothing is billed in the sandbox."
                .to_owned()
        } else {
            "Deletes the database, its data and its backups; billing stops. IBM Cloud keeps a deleted instance for 3 days (soft deletion), during which it can be reclaimed from the resource reclamations list; after that it is gone for good.".to_owned()
        }
    }
    fn proof(&self) -> Proof {
        Proof {
            time: true,
            creator: true,
            tag: true,
        }
    }
    fn refusal(&self, error: CloudError) -> AppError {
        broker_error(error)
    }

    fn apply<'a>(&'a self, run: &'a Run) -> Work<'a, ()> {
        Box::pin(async move {
            self.clear_failed(run).await?;
            run.standard_apply(StepId::Instance).await
        })
    }

    fn terraform(&self, x: &Exporting) -> Vec<Tf> {
        if let Some(existing) = &x.plan.existing {
            return vec![
                Tf::Chosen {
                    local: LOCAL_CRN,
                    value: existing.crn.clone(),
                    note: format!(
                        "Your database {}: used by the plan, never managed here.",
                        existing.name
                    ),
                },
                Tf::Chosen {
                    local: LOCAL_GUID,
                    value: guid_of_crn(&existing.crn).to_owned(),
                    note: "Its GUID, which the rules below name.".to_owned(),
                },
            ];
        }
        let parameters = serde_json::to_value(create_body(x.plan).parameters).unwrap_or_default();
        TfResource::new(TF.0, TF.1)
            .attr("name", x.plan.name.clone())
            .attr("service", "databases-for-postgresql")
            .attr("plan", "standard-gen2")
            .attr("location", x.plan.location.clone())
            .attr("resource_group_id", x.plan.resource_group_id.clone())
            .attr("tags", strings(&["onramp".to_owned(), plan_tag(&x.plan.id)]))
            .attr("parameters_json", jsonencode(&parameters))
            // Gen 2 takes 15–20 minutes to provision; the provider's default is shorter.
            .timeouts(&[("create", "60m"), ("update", "60m"), ("delete", "30m")])
            .ignore_after_import(&["parameters_json"])
            .import(x.made(StepId::Instance))
            .note("The Databases for PostgreSQL Gen 2 instance. Gen 2 has no admin user: the Manager credential below is the way in.")
            .done()
    }

    fn cli(&self, x: &Exporting) -> CliPart {
        if let Some(existing) = &x.plan.existing {
            return chosen_part(existing);
        }
        let parameters = serde_json::to_string(&create_body(x.plan).parameters).unwrap_or_default();
        let name = quote(&x.plan.name);
        let location = quote(&x.plan.location);
        CliPart::new("Databases for PostgreSQL Gen 2")
            .line(format!(
                "ibmcloud resource service-instance-create {name} databases-for-postgresql standard-gen2 {location} -g \"$RESOURCE_GROUP\" -p {} >/dev/null",
                quote(&parameters)
            ))
            .line(format!(
                "DB_CRN=\"$(ibmcloud resource service-instance {name} --location {location} --output json | jq -r '.[0].crn')\""
            ))
            .line(format!(
                "DB_GUID=\"$(ibmcloud resource service-instance {name} --location {location} --output json | jq -r '.[0].guid')\""
            ))
            .line(format!(
                "ibmcloud resource tag-attach --tag-names {} --resource-id \"$DB_CRN\"",
                quote(&format!("onramp,{}", plan_tag(&x.plan.id)))
            ))
            .say("Gen 2 takes 15 to 20 minutes to provision.")
            .wait("the database", "active", 30, "ibmcloud resource service-instance \"$DB_CRN\" --output json | jq -r '.[0].state'")
    }

    fn curl(&self, x: &Exporting) -> CliPart {
        if let Some(existing) = &x.plan.existing {
            return chosen_part(existing);
        }
        CliPart::new("Databases for PostgreSQL Gen 2")
            .line(format!(
                "none_named {} {}",
                quote(&x.plan.name),
                quote(&x.plan.resource_group_id)
            ))
            .line(format!(
                "DB_JSON=\"$({})\"",
                call(
                    "POST",
                    "$RC_URL/v2/resource_instances",
                    Some(body(&create_body(x.plan)))
                )
            ))
            .line("DB_CRN=\"$(jq -r .id <<<\"$DB_JSON\")\"")
            .line("DB_GUID=\"$(jq -r .guid <<<\"$DB_JSON\")\"")
            .say("Gen 2 takes 15 to 20 minutes to provision.")
            .wait(
                "the database",
                "active",
                30,
                "api GET \"$RC_URL/v2/resource_instances/$DB_GUID\" | jq -r .state",
            )
    }

    fn look<'a>(&'a self, run: &'a Run) -> Work<'a, Vec<Found>> {
        Box::pin(async move { run.call(list_namesakes(&run.ctx.cloud, &run.plan())).await })
    }

    fn adopt_chosen<'a>(&'a self, run: &'a Run) -> Work<'a, Found> {
        Box::pin(async move {
            let Some(existing) = run.plan().existing.clone() else {
                return Err(AppError::internal("the plan chose no database").into());
            };
            let found = super::rc_instance::chosen(run, &existing.crn, self).await?;
            let rc = run
                .ctx
                .cloud
                .resource_controller()
                .map_err(AppError::from_cloud)?;
            let instance = run.call(rc.get_instance(&existing.crn)).await?;
            if instance.resource_plan_id.as_deref() != Some(POSTGRESQL_GEN2_PLAN_ID) {
                return Err(super::super::run::Stop::Refused(AppError::invalid(
                    field::NAME,
                    format!(
                        "{} is not a Databases for PostgreSQL Gen 2 instance, so Onramp cannot reach it this way. Choose a Gen 2 database.",
                        existing.name
                    ),
                )));
            }
            let deleting = instance.last_operation.as_ref().is_some_and(|op| {
                op.kind == Some(onramp_cloud::rc::OperationType::Delete)
                    && op.state != Some(onramp_cloud::rc::OperationState::Failed)
            });
            if gone(&instance) || deleting {
                return Err(super::super::run::Stop::Refused(AppError::invalid(
                    field::NAME,
                    format!(
                        "The database {} you chose is deleted or being deleted. Choose another, or create a new one.",
                        existing.name
                    ),
                )));
            }
            Ok(found)
        })
    }

    fn create<'a>(&'a self, run: &'a Run) -> Work<'a, Result<Found, CloudError>> {
        Box::pin(async move {
            let rc = run
                .ctx
                .cloud
                .resource_controller()
                .map_err(AppError::from_cloud)?;
            run.say(
                StepId::Instance,
                "Asking Resource Controller to create the database",
            );
            Ok(rc
                .create_instance(&create_body(&run.plan()), Idempotency::Unsafe)
                .await
                .map(|i| Found {
                    id: i.id,
                    name: i.name,
                    crn: Some(i.crn),
                    created_at: i.created_at,
                    created_by: i.created_by,
                    ..Found::default()
                }))
        })
    }

    fn wait<'a>(&'a self, run: &'a Run, id: &'a str) -> Work<'a, ()> {
        Box::pin(async move {
            let rc = run
                .ctx
                .cloud
                .resource_controller()
                .map_err(AppError::from_cloud)?;
            // Waited so far, counting earlier runs: a resumed wait polls at the slow pace.
            let earlier = run.waited_before(StepId::Instance);
            run.wait_until(
                StepId::Instance,
                "database",
                earlier,
                || rc.get_instance(id),
                |instance| {
                    let state = instance
                        .state
                        .as_ref()
                        .map(|s| s.as_str().to_owned())
                        .unwrap_or_else(|| "unknown".to_owned());
                    let description = instance
                        .last_operation
                        .as_ref()
                        .and_then(|op| op.description.clone());
                    let readiness = if instance.is_ready() {
                        Readiness::Ready
                    } else if instance.has_failed() || gone(instance) {
                        Readiness::Failed(description.clone().unwrap_or_else(|| {
                            format!("The database is {state} and will not become active.")
                        }))
                    } else {
                        Readiness::Waiting
                    };
                    let hint = instance
                        .last_operation
                        .as_ref()
                        .and_then(|op| op.poll_after());
                    (state, description, readiness, hint)
                },
            )
            .await?;
            Ok(())
        })
    }

    fn delete<'a>(&'a self, run: &'a Run, id: &'a str, _: &'a StepRecord) -> Work<'a, ()> {
        Box::pin(async move { self.remove(run, id).await })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{
        ownership::{judge, Verdict},
        resources::testing::{asked, at, plan},
    };
    use onramp_cloud::ErrorKind;

    fn instance(name: &str, state: &str, created_at: String, by: &str) -> ResourceInstance {
        serde_json::from_value(serde_json::json!({
            "id": format!("crn:v1:db:{name}:{by}"), "guid": "g", "crn": format!("crn:v1:db:{name}:{by}"),
            "name": name, "state": state, "created_at": created_at, "created_by": by
        }))
        .unwrap()
    }

    #[test]
    fn namesakes_are_the_plans_name_not_removed() {
        let p = plan();
        let found = namesakes(
            &p,
            vec![
                instance("pg-demo", "active", at(1), "me"),
                instance("pg-demo", "removed", at(1), "me"),
                instance("pg-demo", "pending_reclamation", at(1), "me"),
                instance("pg-demo-2", "active", at(1), "me"),
                instance("pg-demo", "failed", at(1), "me"),
            ],
        );
        assert_eq!(found.len(), 2, "the active and the failed one: {found:?}");
    }

    #[test]
    fn a_namesake_needs_the_time_the_creator_and_the_tag() {
        let p = DATABASE.proof();
        let mine = &namesakes(&plan(), vec![instance("pg-demo", "active", at(2), "me")])[0];
        assert_eq!(
            judge(mine, p, &asked(), "me"),
            Verdict::IfTagged,
            "the tag is read from Global Search last"
        );
        let colleagues = &namesakes(
            &plan(),
            vec![instance("pg-demo", "active", at(2), "IBMid-colleague")],
        )[0];
        assert!(matches!(
            judge(colleagues, p, &asked(), "me"),
            Verdict::NotOurs(_)
        ));
        let older = &namesakes(&plan(), vec![instance("pg-demo", "active", at(-60), "me")])[0];
        assert!(matches!(
            judge(older, p, &asked(), "me"),
            Verdict::NotOurs(_)
        ));
        assert!(
            matches!(judge(mine, p, &[], "me"), Verdict::NotOurs(_)),
            "no intent, no proof"
        );
    }

    #[test]
    fn the_create_carries_the_plans_tag_and_sizing() {
        let p = plan();
        let body = create_body(&p);
        assert!(body.tags.contains(&format!("onramp-plan:{}", p.id)));
        let pg = body.parameters.unwrap().dataservices.postgresql.unwrap();
        assert_eq!((pg.members, pg.storage_gb), (Some(2), Some(10)));
    }

    #[test]
    fn broker_messages_land_on_their_fields() {
        let rejected = |message: &str, status| CloudError {
            kind: ErrorKind::Http,
            status: Some(status),
            code: None,
            message: message.into(),
            request_id: Some("rid".into()),
            retryable: false,
        };
        for (message, status, expect) in [
            (
                "invalid members '5', allowed values: 2, 3",
                400,
                field::MEMBERS,
            ),
            (
                "invalid storage_gb '5', only integer values between 10 and 9600 are allowed",
                400,
                field::STORAGE,
            ),
            (
                "host_flavor 'x' is not available in in-che",
                400,
                field::HOST_FLAVOR,
            ),
            (
                "A Databases for PostgreSQL instance named 'a' already exists",
                409,
                field::NAME,
            ),
        ] {
            let error = broker_error(rejected(message, status));
            assert_eq!(error.field.as_deref(), Some(expect), "{message}");
            assert_eq!(error.message, message, "verbatim");
            assert_eq!(error.request_id.as_deref(), Some("rid"));
        }
    }
}
