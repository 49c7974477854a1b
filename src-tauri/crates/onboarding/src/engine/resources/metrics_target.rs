//! The Metrics Routing target: the Monitoring instance, as a place routes can send metrics
//! to. Targets are account-wide and unique by name, so the plan's name is its own
//! (`onramp-<database>-metrics`); a namesake is this plan's only if it was made after the
//! plan asked for it and points at the plan's Monitoring instance. Metrics Routing records
//! no creator and no tags.

use std::time::Duration;

use onramp_cloud::{
    metrics_router::{CreateTarget, Target},
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
    observability::{field, metrics_name},
    plan::{DraftPlan, Offerings},
    review::{setting, PlannedResource},
    AppError,
};

pub(crate) struct MetricsTarget;
pub(crate) static METRICS_TARGET: MetricsTarget = MetricsTarget;

fn found(target: Target, monitoring_crn: &str) -> Found {
    Found {
        mismatch: (target.destination_crn != monitoring_crn).then(|| {
            format!(
                "it sends to {}, not to this plan's Monitoring instance",
                target.destination_crn
            )
        }),
        id: target.id,
        name: target.name,
        crn: None,
        created_at: Some(target.created_at),
        ..Found::default()
    }
}

/// Where the Terraform export declares the target.
pub(crate) const TF: (&str, &str) = ("ibm_metrics_router_target", "monitoring");

impl Resource for MetricsTarget {
    fn step(&self) -> StepId {
        StepId::MetricsTarget
    }
    fn label(&self) -> &'static str {
        "Metrics Routing target"
    }
    fn noun(&self) -> &'static str {
        "Metrics Routing target"
    }
    fn estimate(&self, _: &Timing) -> Duration {
        Duration::from_secs(2)
    }
    fn name(&self, plan: &DraftPlan) -> String {
        metrics_name(plan)
    }
    fn field(&self) -> &'static str {
        field::MONITORING
    }
    fn planned(&self, plan: &DraftPlan, _: &Offerings) -> PlannedResource {
        PlannedResource {
            label: self.label().to_owned(),
            name: self.name(plan),
            settings: vec![
                setting("Destination", "The Monitoring instance above"),
                setting("Region", plan.location.clone()),
            ],
        }
    }
    fn console(&self, _state: &crate::journal::JournalState, _id: &str) -> Option<String> {
        super::console_list("observe/metricsrouting/targets")
    }
    fn teardown_wording(&self, _: bool) -> String {
        "Deletes the Metrics Routing target Onramp created (after its route).".to_owned()
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
                super::monitoring_instance::exported(x.plan).crn(),
            )
            .attr("region", x.plan.location.clone())
            .import(x.made(StepId::MetricsTarget))
            .done()
    }

    fn cli(&self, x: &Exporting) -> CliPart {
        CliPart::new("Metrics Routing target: the Monitoring instance").line(format!(
            "MR_TARGET_ID=\"$(ibmcloud metrics-router target create --name {} --destination-crn \"$MON_CRN\" --region {} --output json | jq -r .id)\"",
            quote(&self.name(x.plan)),
            quote(&x.plan.location)
        ))
    }

    fn curl(&self, x: &Exporting) -> CliPart {
        let request = CreateTarget::monitoring(self.name(x.plan), "$MON_CRN", &x.plan.location);
        CliPart::new("Metrics Routing target: the Monitoring instance").line(format!(
            "MR_TARGET_ID=\"$({} | jq -r .id)\"",
            call("POST", "$METRICS_ROUTER_URL/targets", Some(body(&request)))
        ))
    }

    fn look<'a>(&'a self, run: &'a Run) -> Work<'a, Vec<Found>> {
        Box::pin(async move {
            let plan = run.plan();
            let monitoring = run.id_of(StepId::MonitoringInstance)?;
            let router = run
                .ctx
                .cloud
                .metrics_router(&plan.location)
                .map_err(AppError::from_cloud)?;
            let name = metrics_name(&plan);
            Ok(run
                .call(router.list_targets())
                .await?
                .into_iter()
                .filter(|t| t.name == name)
                .map(|t| found(t, &monitoring))
                .collect())
        })
    }

    fn create<'a>(&'a self, run: &'a Run) -> Work<'a, Result<Found, CloudError>> {
        Box::pin(async move {
            let plan = run.plan();
            let monitoring = run.id_of(StepId::MonitoringInstance)?;
            let router = run
                .ctx
                .cloud
                .metrics_router(&plan.location)
                .map_err(AppError::from_cloud)?;
            let body = CreateTarget::monitoring(metrics_name(&plan), &monitoring, &plan.location);
            Ok(router
                .create_target(&body, Idempotency::Unsafe)
                .await
                .map(|t| found(t, &monitoring)))
        })
    }

    /// Ready once it exists; whether it can write yet is recorded for the user, since a new
    /// authorization may take a while to reach Metrics Routing.
    fn wait<'a>(&'a self, run: &'a Run, id: &'a str) -> Work<'a, ()> {
        Box::pin(async move {
            let plan = run.plan();
            let router = run
                .ctx
                .cloud
                .metrics_router(&plan.location)
                .map_err(AppError::from_cloud)?;
            let target = run.call(router.get_target(id)).await?;
            let (state, message) = write_state(
                &target.write_status,
                "Metrics Routing",
                "Monitoring instance",
            );
            run.record(Record::Observed {
                step: StepId::MetricsTarget,
                state,
                message,
            })?;
            Ok(())
        })
    }

    fn delete<'a>(&'a self, run: &'a Run, id: &'a str, _: &'a StepRecord) -> Work<'a, ()> {
        Box::pin(async move {
            let router = run
                .ctx
                .cloud
                .metrics_router(&run.plan().location)
                .map_err(AppError::from_cloud)?;
            run.delete_once(router.delete_target(id)).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(destination: &str, status: &str) -> Target {
        serde_json::from_value(serde_json::json!({
            "id": "t1", "name": "onramp-pg-demo-metrics",
            "crn": "crn:v1:bluemix:public:metrics-router:ca-mon:a/x::target:t1",
            "destination_crn": destination, "target_type": "sysdig_monitor",
            "created_at": "2026-12-07T10:00:01Z", "updated_at": "2026-12-07T10:00:01Z",
            "write_status": {"status": status, "reason_for_last_failure": "S2S token not authorized"}
        }))
        .unwrap()
    }

    #[test]
    fn a_namesake_sending_elsewhere_is_not_this_plans() {
        assert!(found(target("crn:m", "success"), "crn:m")
            .mismatch
            .is_none());
        let other = found(target("crn:other", "success"), "crn:m");
        assert!(other.mismatch.unwrap().contains("crn:other"));
    }

    #[test]
    fn a_failed_write_is_said_with_its_reason() {
        let said =
            |t: Target| write_state(&t.write_status, "Metrics Routing", "Monitoring instance");
        assert_eq!(said(target("crn:m", "success")).0, "writing");
        let (state, message) = said(target("crn:m", "failed"));
        assert_eq!(state, "write failed");
        assert!(message.unwrap().contains("S2S token not authorized"));
    }
}
