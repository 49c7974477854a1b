//! The Logs Routing target: the Cloud Logs instance, as the place the plan's route sends
//! platform logs to, kept in the database's region. Unique by name in the account
//! (`onramp-<database>-logs`); a namesake is this plan's only if it was made after the plan
//! asked for it and points at the plan's Cloud Logs instance.

use std::time::Duration;

use onramp_cloud::{
    logs_router::{CreateTarget, LogsRouterClient, Target},
    CloudError, Idempotency,
};

use super::super::{
    resource::{Found, Proof, Resource, Work},
    run::Run,
    Timing,
};
use super::write_state;
use crate::export::curl::{body, call};
use crate::export::{
    cli::{quote, CliPart},
    terraform::{Tf, TfResource},
    Exporting,
};
use crate::{
    journal::{Record, StepId, StepRecord},
    observability::{field, logs_route_name},
    plan::{DraftPlan, Offerings},
    review::{setting, PlannedResource},
    AppError,
};

pub(crate) struct LogsTarget;
pub(crate) static LOGS_TARGET: LogsTarget = LogsTarget;

fn found(target: Target, logs_crn: &str) -> Found {
    Found {
        mismatch: (target.destination_crn != logs_crn).then(|| {
            format!(
                "it sends to '{}', not to this plan's Cloud Logs instance",
                target.destination_crn
            )
        }),
        id: target.id,
        name: target.name,
        created_at: Some(target.created_at),
        ..Found::default()
    }
}

pub(crate) fn router(run: &Run) -> Result<LogsRouterClient, AppError> {
    run.ctx
        .cloud
        .logs_router(&run.plan().location)
        .map_err(AppError::from_cloud)
}

/// Where the Terraform export declares the target.
pub(crate) const TF: (&str, &str) = ("ibm_logs_router_target", "cloud_logs");

impl Resource for LogsTarget {
    fn step(&self) -> StepId {
        StepId::LogsTarget
    }
    fn label(&self) -> &'static str {
        "Logs Routing target"
    }
    fn noun(&self) -> &'static str {
        "Logs Routing target"
    }
    fn estimate(&self, _: &Timing) -> Duration {
        Duration::from_secs(2)
    }
    fn name(&self, plan: &DraftPlan) -> String {
        logs_route_name(plan)
    }
    fn field(&self) -> &'static str {
        field::PLATFORM_LOGS
    }
    fn planned(&self, plan: &DraftPlan, _: &Offerings) -> PlannedResource {
        PlannedResource {
            label: self.label().to_owned(),
            name: self.name(plan),
            settings: vec![
                setting("Destination", "The Cloud Logs instance above"),
                setting("Region", plan.location.clone()),
            ],
        }
    }
    fn console(&self, _state: &crate::journal::JournalState, _id: &str) -> Option<String> {
        super::console_list("observe/logsrouting/targets")
    }
    fn teardown_wording(&self, _: bool) -> String {
        "Deletes the Logs Routing target Onramp created (after its route).".to_owned()
    }
    fn proof(&self) -> Proof {
        Proof {
            time: true,
            creator: false,
            tag: false,
        }
    }

    fn terraform(&self, x: &Exporting) -> Vec<Tf> {
        TfResource::new(TF.0, TF.1)
            .attr("name", self.name(x.plan))
            .attr(
                "destination_crn",
                super::logs_instance::exported(x.plan).crn(),
            )
            .attr("region", x.plan.location.clone())
            .import(x.made(StepId::LogsTarget))
            .done()
    }

    fn cli(&self, x: &Exporting) -> CliPart {
        CliPart::new("Logs Routing target: the Cloud Logs instance").line(format!(
            "LR_TARGET_ID=\"$(ibmcloud logs-router target create --name {} --destination-crn \"$LOGS_CRN\" --region {} --output json | jq -r .id)\"",
            quote(&self.name(x.plan)),
            quote(&x.plan.location)
        ))
    }

    fn curl(&self, x: &Exporting) -> CliPart {
        let request = CreateTarget::cloud_logs(self.name(x.plan), "$LOGS_CRN", &x.plan.location);
        CliPart::new("Logs Routing target: the Cloud Logs instance").line(format!(
            "LR_TARGET_ID=\"$({} | jq -r .id)\"",
            call("POST", "$LOGS_ROUTER_URL/targets", Some(body(&request)))
        ))
    }

    fn look<'a>(&'a self, run: &'a Run) -> Work<'a, Vec<Found>> {
        Box::pin(async move {
            let logs = run.id_of(StepId::LogsInstance)?;
            let name = logs_route_name(&run.plan());
            Ok(run
                .call(router(run)?.list_targets())
                .await?
                .into_iter()
                .filter(|t| t.name == name)
                .map(|t| found(t, &logs))
                .collect())
        })
    }

    fn create<'a>(&'a self, run: &'a Run) -> Work<'a, Result<Found, CloudError>> {
        Box::pin(async move {
            let plan = run.plan();
            let logs = run.id_of(StepId::LogsInstance)?;
            let body = CreateTarget::cloud_logs(logs_route_name(&plan), &logs, &plan.location);
            Ok(router(run)?
                .create_target(&body, Idempotency::Unsafe)
                .await
                .map(|t| found(t, &logs)))
        })
    }

    /// Ready once it exists; whether it can write yet is recorded for the user.
    fn wait<'a>(&'a self, run: &'a Run, id: &'a str) -> Work<'a, ()> {
        Box::pin(async move {
            let target = run.call(router(run)?.get_target(id)).await?;
            let (state, message) =
                write_state(&target.write_status, "Logs Routing", "Cloud Logs instance");
            run.record(Record::Observed {
                step: StepId::LogsTarget,
                state,
                message,
            })?;
            Ok(())
        })
    }

    fn delete<'a>(&'a self, run: &'a Run, id: &'a str, _: &'a StepRecord) -> Work<'a, ()> {
        Box::pin(async move {
            let router = router(run)?;
            run.delete_once(router.delete_target(id)).await
        })
    }
}
