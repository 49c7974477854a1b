//! The Activity Tracker target: the Cloud Logs instance, as a place routes send events to.
//! It lives in the database's region (a Cloud Logs instance in a region takes events only
//! from a target there). Targets are unique by name in the account, so the plan's is its
//! own (`onramp-<database>-activity`); a namesake is this plan's only if it was made after
//! the plan asked for it and points at the plan's Cloud Logs instance.

use std::time::Duration;

use onramp_cloud::{
    atracker::{CreateTarget, Target},
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
    observability::{activity_name, field},
    plan::{DraftPlan, Offerings},
    review::{setting, PlannedResource},
    AppError,
};

pub(crate) struct ActivityTarget;
pub(crate) static ACTIVITY_TARGET: ActivityTarget = ActivityTarget;

fn found(target: Target, logs_crn: &str) -> Found {
    let sends_to = target
        .cloudlogs_endpoint
        .as_ref()
        .map(|e| e.target_crn.clone())
        .unwrap_or_default();
    Found {
        mismatch: (sends_to != logs_crn)
            .then(|| format!("it sends to '{sends_to}', not to this plan's Cloud Logs instance")),
        id: target.id,
        name: target.name,
        created_at: Some(target.created_at),
        ..Found::default()
    }
}

fn tracker(run: &Run) -> Result<onramp_cloud::atracker::AtrackerClient, AppError> {
    run.ctx
        .cloud
        .atracker(&run.plan().location)
        .map_err(AppError::from_cloud)
}

/// Where the Terraform export declares the target.
pub(crate) const TF: (&str, &str) = ("ibm_atracker_target", "cloud_logs");

impl Resource for ActivityTarget {
    fn step(&self) -> StepId {
        StepId::ActivityTarget
    }
    fn label(&self) -> &'static str {
        "Activity Tracker target"
    }
    fn noun(&self) -> &'static str {
        "Activity Tracker target"
    }
    fn estimate(&self, _: &Timing) -> Duration {
        Duration::from_secs(2)
    }
    fn name(&self, plan: &DraftPlan) -> String {
        activity_name(plan)
    }
    fn field(&self) -> &'static str {
        field::ACTIVITY
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
        super::console_list("observe/activitytracker/targets")
    }
    fn teardown_wording(&self, _: bool) -> String {
        "Deletes the Activity Tracker target Onramp created (after its route).".to_owned()
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
            .attr("target_type", "cloud_logs")
            .attr("region", x.plan.location.clone())
            .block(
                hcl::Block::builder("cloudlogs_endpoint")
                    .add_attribute(("target_crn", super::logs_instance::exported(x.plan).crn()))
                    .build(),
            )
            .import(x.made(StepId::ActivityTarget))
            .note("Activity Tracker sets the account's metadata region with its first target, where none is set.")
            .done()
    }

    fn cli(&self, x: &Exporting) -> CliPart {
        CliPart::new("Activity Tracker target: the Cloud Logs instance").line(format!(
            "AT_TARGET_ID=\"$(ibmcloud atracker target create --name {} --type cloud_logs --target-crn \"$LOGS_CRN\" --region {} --output json | jq -r .id)\"",
            quote(&self.name(x.plan)),
            quote(&x.plan.location)
        ))
    }

    fn curl(&self, x: &Exporting) -> CliPart {
        let request = CreateTarget::cloud_logs(self.name(x.plan), "$LOGS_CRN", &x.plan.location);
        CliPart::new("Activity Tracker target: the Cloud Logs instance").line(format!(
            "AT_TARGET_ID=\"$({} | jq -r .id)\"",
            call("POST", "$ATRACKER_URL/api/v2/targets", Some(body(&request)))
        ))
    }

    fn look<'a>(&'a self, run: &'a Run) -> Work<'a, Vec<Found>> {
        Box::pin(async move {
            let logs = run.id_of(StepId::LogsInstance)?;
            let name = activity_name(&run.plan());
            Ok(run
                .call(tracker(run)?.list_targets(None))
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
            let body = CreateTarget::cloud_logs(activity_name(&plan), &logs, &plan.location);
            Ok(tracker(run)?
                .create_target(&body, Idempotency::Unsafe)
                .await
                .map(|t| found(t, &logs)))
        })
    }

    /// Ready once it exists; whether it can write yet is recorded for the user.
    fn wait<'a>(&'a self, run: &'a Run, id: &'a str) -> Work<'a, ()> {
        Box::pin(async move {
            let target = run.call(tracker(run)?.get_target(id)).await?;
            let (state, message) = write_state(
                &target.write_status,
                "Activity Tracker",
                "Cloud Logs instance",
            );
            run.record(Record::Observed {
                step: StepId::ActivityTarget,
                state,
                message,
            })?;
            Ok(())
        })
    }

    fn delete<'a>(&'a self, run: &'a Run, id: &'a str, _: &'a StepRecord) -> Work<'a, ()> {
        Box::pin(async move {
            let tracker = tracker(run)?;
            run.delete_once(async { tracker.delete_target(id).await.map(|_| ()) })
                .await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(destination: &str) -> Target {
        serde_json::from_value(serde_json::json!({
            "id": "t1", "name": "onramp-pg-demo-activity",
            "crn": "crn:v1:bluemix:public:atracker:ca-mon:a/x::target:t1",
            "target_type": "cloud_logs", "region": "ca-mon",
            "cloudlogs_endpoint": {"target_crn": destination},
            "write_status": {"status": "success"},
            "created_at": "2026-12-07T10:00:01Z", "updated_at": "2026-12-07T10:00:01Z",
            "api_version": 2, "managed_by": "account"
        }))
        .unwrap()
    }

    #[test]
    fn a_namesake_sending_elsewhere_is_not_this_plans() {
        assert!(found(target("crn:l"), "crn:l").mismatch.is_none());
        assert!(found(target("crn:other"), "crn:l")
            .mismatch
            .unwrap()
            .contains("crn:other"));
    }
}
