//! The IBM Cloud Logs instance the database's activity events go to: a new one (Resource
//! Controller, `logs`, its one plan `standard` looked up in the Global Catalog since IBM
//! publishes no id for it, 7 days' retention, the plan's tag), or one the user chose, which
//! is used and kept. A namesake is this plan's only with the time, the creator and the tag.

use std::time::Duration;

use onramp_cloud::{
    rc::{CloudLogsParameters, CreateResourceInstance},
    CloudError, Idempotency,
};

use super::super::{
    resource::{Found, Proof, Resource, Work},
    run::Run,
    Timing,
};
use super::rc_instance::TfInstance;
use super::rc_instance::{self, found};
use crate::export::{cli::CliPart, terraform::Tf, Exporting};
use crate::{
    journal::{StepId, StepRecord},
    observability::{
        activity, field, logs_instance_name, ActivityChoice, LOGS_PLAN_NAME, LOGS_SERVICE,
    },
    plan::{DraftPlan, Offerings},
    review::{setting, PlannedResource},
    AppError, ErrorCode,
};

pub(crate) struct LogsInstance;
pub(crate) static LOGS_INSTANCE: LogsInstance = LogsInstance;

/// The create body: the plan's location, group and tag, Cloud Logs' plan, 7 days.
pub(crate) fn create_body(
    plan: &DraftPlan,
    plan_id: &str,
) -> CreateResourceInstance<CloudLogsParameters> {
    rc_instance::create_body(
        plan,
        logs_instance_name(plan),
        plan_id,
        CloudLogsParameters {
            retention_period: Some(serde_json::json!(7)),
            ..CloudLogsParameters::default()
        },
    )
}

/// The instance in the exports.
pub(crate) fn exported(plan: &DraftPlan) -> TfInstance<'_> {
    let chosen = match activity(plan) {
        Some(ActivityChoice::Existing { crn, name }) => Some((crn.as_str(), name.as_str())),
        _ => None,
    };
    TfInstance {
        step: StepId::LogsInstance,
        tf: ("ibm_resource_instance", "cloud_logs"),
        local: "cloud_logs_crn",
        service: LOGS_SERVICE,
        plan_name: LOGS_PLAN_NAME,
        name: logs_instance_name(plan),
        parameters: serde_json::to_value(create_body(plan, "").parameters).unwrap_or_default(),
        chosen,
    }
}

impl Resource for LogsInstance {
    fn step(&self) -> StepId {
        StepId::LogsInstance
    }
    fn label(&self) -> &'static str {
        "IBM Cloud Logs instance"
    }
    fn noun(&self) -> &'static str {
        "Cloud Logs instance"
    }
    fn estimate(&self, timing: &Timing) -> Duration {
        // Unverified on IBM Cloud (observability-instances.md): minutes, like Monitoring.
        timing.instance_estimate / 6
    }
    fn name(&self, plan: &DraftPlan) -> String {
        match activity(plan) {
            Some(ActivityChoice::Existing { name, .. }) => name.clone(),
            _ => logs_instance_name(plan),
        }
    }
    fn field(&self) -> &'static str {
        field::ACTIVITY
    }
    fn chosen(&self, plan: &DraftPlan) -> bool {
        matches!(activity(plan), Some(ActivityChoice::Existing { .. }))
    }
    fn planned(&self, plan: &DraftPlan, _: &Offerings) -> PlannedResource {
        let settings = match activity(plan) {
            Some(ActivityChoice::Existing { crn, .. }) => {
                vec![
                    setting("Choice", super::EXISTING),
                    setting("CRN", crn.clone()),
                ]
            }
            _ => vec![
                setting("Plan", "Standard (billed by the GB ingested)"),
                setting("Location", plan.location.clone()),
                setting("Retention", "7 days"),
            ],
        };
        PlannedResource {
            label: self.label().to_owned(),
            name: self.name(plan),
            settings,
        }
    }
    fn console(&self, _state: &crate::journal::JournalState, id: &str) -> Option<String> {
        super::console_instance(LOGS_SERVICE, id, None)
    }
    fn teardown_wording(&self, _: bool) -> String {
        "Deletes the Cloud Logs instance Onramp created, with the logs and events it holds."
            .to_owned()
    }
    fn kept_wording(&self) -> &'static str {
        "Kept: you chose this existing Cloud Logs instance, and it stays as it was."
    }
    fn proof(&self) -> Proof {
        Proof {
            time: true,
            creator: true,
            tag: true,
        }
    }

    fn terraform(&self, x: &Exporting) -> Vec<Tf> {
        exported(x.plan).terraform(x)
    }

    fn cli(&self, x: &Exporting) -> CliPart {
        exported(x.plan).cli(x, "IBM Cloud Logs instance", "LOGS_CRN")
    }

    fn curl(&self, x: &Exporting) -> CliPart {
        let chosen = match activity(x.plan) {
            Some(ActivityChoice::Existing { crn, .. }) => Some(crn.as_str()),
            _ => None,
        };
        let lookup = format!(
            "LOGS_PLAN_ID=\"$(api GET \"$GC_URL/{LOGS_SERVICE}/plan\" | jq -r '[.resources[] | select(.name == \"{LOGS_PLAN_NAME}\")][0].id')\""
        );
        rc_instance::curl(
            x,
            "IBM Cloud Logs instance",
            "LOGS_CRN",
            &logs_instance_name(x.plan),
            chosen,
            Some(lookup),
            &create_body(x.plan, "$LOGS_PLAN_ID"),
        )
    }

    fn look<'a>(&'a self, run: &'a Run) -> Work<'a, Vec<Found>> {
        Box::pin(async move {
            let plan = run.plan();
            let name = logs_instance_name(&plan);
            rc_instance::look(run, &plan, LOGS_SERVICE, &name).await
        })
    }

    fn create<'a>(&'a self, run: &'a Run) -> Work<'a, Result<Found, CloudError>> {
        Box::pin(async move {
            let plan = run.plan();
            let catalog = run
                .ctx
                .cloud
                .global_catalog()
                .map_err(AppError::from_cloud)?;
            let plans = run.call(catalog.plans(LOGS_SERVICE)).await?;
            let Some(standard) = plans.iter().find(|p| p.name == LOGS_PLAN_NAME) else {
                return Err(AppError::new(
                    ErrorCode::NotFound,
                    format!(
                        "The Global Catalog lists no plan '{LOGS_PLAN_NAME}' for IBM Cloud Logs."
                    ),
                )
                .at(field::ACTIVITY)
                .hint("Choose an existing Cloud Logs instance instead, or try again later.")
                .into());
            };
            let rc = run
                .ctx
                .cloud
                .resource_controller()
                .map_err(AppError::from_cloud)?;
            Ok(rc
                .create_service_instance(&create_body(&plan, &standard.id), Idempotency::Unsafe)
                .await
                .map(found))
        })
    }

    fn adopt_chosen<'a>(&'a self, run: &'a Run) -> Work<'a, Found> {
        Box::pin(async move {
            let Some(ActivityChoice::Existing { crn, .. }) = activity(&run.plan()).cloned() else {
                return Err(AppError::internal("the plan chose no Cloud Logs instance").into());
            };
            rc_instance::chosen(run, &crn, self).await
        })
    }

    fn wait<'a>(&'a self, run: &'a Run, id: &'a str) -> Work<'a, ()> {
        Box::pin(rc_instance::wait_active(
            run,
            StepId::LogsInstance,
            id,
            "Cloud Logs instance",
        ))
    }

    fn delete<'a>(&'a self, run: &'a Run, id: &'a str, _: &'a StepRecord) -> Work<'a, ()> {
        Box::pin(rc_instance::delete(
            run,
            StepId::LogsInstance,
            id,
            "Cloud Logs instance",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::plan_tag;
    use crate::{engine::resources::testing::plan, observability::Observability};

    #[test]
    fn a_new_instance_carries_the_plans_tag_and_a_weeks_retention() {
        let mut p = plan();
        p.observability = Some(Observability {
            activity: ActivityChoice::Create,
            ..Default::default()
        });
        let body = create_body(&p, "logs-plan");
        assert_eq!(body.name, "pg-demo-logs");
        assert!(body.tags.contains(&plan_tag(&p.id)));
        assert_eq!(
            body.parameters.unwrap().retention_period,
            Some(serde_json::json!(7))
        );
        assert!(!LOGS_INSTANCE.chosen(&p));
    }
}
