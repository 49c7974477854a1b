//! The IBM Cloud Monitoring instance the database's platform metrics go to: a new one
//! (Resource Controller, `sysdig-monitor`, the plan's tag, not the region's default
//! receiver: the route decides what it gets), or one the user chose, which is used and
//! kept. A namesake is this plan's only with the time, the creator and the tag, as for the
//! database.

use std::time::Duration;

use onramp_cloud::{
    rc::{CreateResourceInstance, MonitoringParameters, MONITORING_RESOURCE_ID},
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
use crate::observability::MonitoringPlan;
use crate::{
    journal::{StepId, StepRecord},
    observability::{field, monitoring, monitoring_instance_name, MonitoringChoice},
    plan::{DraftPlan, Offerings},
    review::{setting, PlannedResource},
    AppError,
};

pub(crate) struct MonitoringInstance;
pub(crate) static MONITORING_INSTANCE: MonitoringInstance = MonitoringInstance;

/// The create body: the plan's location, group, tag and the chosen Monitoring plan.
pub(crate) fn create_body(
    plan: &DraftPlan,
    plan_id: &str,
) -> CreateResourceInstance<MonitoringParameters> {
    rc_instance::create_body(
        plan,
        monitoring_instance_name(plan),
        plan_id,
        MonitoringParameters {
            default_receiver: Some(false),
            ..MonitoringParameters::default()
        },
    )
}

/// The instance in the exports.
pub(crate) fn exported(plan: &DraftPlan) -> TfInstance<'_> {
    let (plan_name, chosen) = match monitoring(plan) {
        Some(MonitoringChoice::Existing { crn, name }) => {
            ("graduated-tier", Some((crn.as_str(), name.as_str())))
        }
        Some(MonitoringChoice::Create {
            plan: MonitoringPlan::Lite,
        }) => ("lite", None),
        _ => ("graduated-tier", None),
    };
    TfInstance {
        step: StepId::MonitoringInstance,
        tf: ("ibm_resource_instance", "monitoring"),
        local: "monitoring_crn",
        service: MONITORING_RESOURCE_ID,
        plan_name,
        name: monitoring_instance_name(plan),
        parameters: serde_json::to_value(create_body(plan, "").parameters).unwrap_or_default(),
        chosen,
    }
}

impl Resource for MonitoringInstance {
    fn step(&self) -> StepId {
        StepId::MonitoringInstance
    }
    fn label(&self) -> &'static str {
        "IBM Cloud Monitoring instance"
    }
    fn noun(&self) -> &'static str {
        "Monitoring instance"
    }
    fn estimate(&self, timing: &Timing) -> Duration {
        // Unverified on IBM Cloud (observability-instances.md): a few minutes, not a
        // database's quarter of an hour.
        timing.instance_estimate / 6
    }
    fn name(&self, plan: &DraftPlan) -> String {
        match monitoring(plan) {
            Some(MonitoringChoice::Existing { name, .. }) => name.clone(),
            _ => monitoring_instance_name(plan),
        }
    }
    fn field(&self) -> &'static str {
        field::MONITORING
    }
    fn chosen(&self, plan: &DraftPlan) -> bool {
        matches!(monitoring(plan), Some(MonitoringChoice::Existing { .. }))
    }
    fn planned(&self, plan: &DraftPlan, _: &Offerings) -> PlannedResource {
        let settings = match monitoring(plan) {
            Some(MonitoringChoice::Existing { crn, .. }) => {
                vec![
                    setting("Choice", super::EXISTING),
                    setting("CRN", crn.clone()),
                ]
            }
            Some(MonitoringChoice::Create { plan: tier }) => vec![
                setting("Plan", tier.label()),
                setting("Location", plan.location.clone()),
                setting(
                    "Platform metrics receiver",
                    "No: the route below sends it this database's metrics only",
                ),
            ],
            _ => vec![],
        };
        PlannedResource {
            label: self.label().to_owned(),
            name: self.name(plan),
            settings,
        }
    }
    fn console(&self, _state: &crate::journal::JournalState, id: &str) -> Option<String> {
        super::console_instance(MONITORING_RESOURCE_ID, id, None)
    }
    fn teardown_wording(&self, _: bool) -> String {
        "Deletes the Monitoring instance Onramp created, with the dashboards and alerts made in it."
            .to_owned()
    }
    fn kept_wording(&self) -> &'static str {
        "Kept: you chose this existing Monitoring instance, and it stays as it was."
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
        exported(x.plan).cli(x, "IBM Cloud Monitoring instance", "MON_CRN")
    }

    fn curl(&self, x: &Exporting) -> CliPart {
        let (tier, chosen) = match monitoring(x.plan) {
            Some(MonitoringChoice::Existing { crn, .. }) => {
                (MonitoringPlan::GraduatedTier, Some(crn.as_str()))
            }
            Some(MonitoringChoice::Create { plan }) => (*plan, None),
            _ => (MonitoringPlan::GraduatedTier, None),
        };
        rc_instance::curl(
            x,
            "IBM Cloud Monitoring instance",
            "MON_CRN",
            &monitoring_instance_name(x.plan),
            chosen,
            None,
            &create_body(x.plan, tier.id()),
        )
    }

    fn look<'a>(&'a self, run: &'a Run) -> Work<'a, Vec<Found>> {
        Box::pin(async move {
            let plan = run.plan();
            let name = monitoring_instance_name(&plan);
            rc_instance::look(run, &plan, MONITORING_RESOURCE_ID, &name).await
        })
    }

    fn create<'a>(&'a self, run: &'a Run) -> Work<'a, Result<Found, CloudError>> {
        Box::pin(async move {
            let plan = run.plan();
            let Some(MonitoringChoice::Create { plan: tier }) = monitoring(&plan).cloned() else {
                return Err(AppError::internal("the plan creates no Monitoring instance").into());
            };
            let rc = run
                .ctx
                .cloud
                .resource_controller()
                .map_err(AppError::from_cloud)?;
            Ok(rc
                .create_service_instance(&create_body(&plan, tier.id()), Idempotency::Unsafe)
                .await
                .map(found))
        })
    }

    fn adopt_chosen<'a>(&'a self, run: &'a Run) -> Work<'a, Found> {
        Box::pin(async move {
            let Some(MonitoringChoice::Existing { crn, .. }) = monitoring(&run.plan()).cloned()
            else {
                return Err(AppError::internal("the plan chose no Monitoring instance").into());
            };
            rc_instance::chosen(run, &crn, self).await
        })
    }

    fn wait<'a>(&'a self, run: &'a Run, id: &'a str) -> Work<'a, ()> {
        Box::pin(rc_instance::wait_active(
            run,
            StepId::MonitoringInstance,
            id,
            "Monitoring instance",
        ))
    }

    fn delete<'a>(&'a self, run: &'a Run, id: &'a str, _: &'a StepRecord) -> Work<'a, ()> {
        Box::pin(rc_instance::delete(
            run,
            StepId::MonitoringInstance,
            id,
            "Monitoring instance",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::plan_tag;
    use crate::{
        engine::resources::testing::plan,
        observability::{MonitoringPlan, Observability},
    };

    #[test]
    fn a_new_instance_carries_the_plans_tag_and_is_not_the_regions_receiver() {
        let mut p = plan();
        p.observability = Some(Observability {
            monitoring: MonitoringChoice::Create {
                plan: MonitoringPlan::GraduatedTier,
            },
            confirmed_metadata_region: None,
            ..Default::default()
        });
        let body = create_body(&p, MonitoringPlan::GraduatedTier.id());
        assert_eq!(body.name, "pg-demo-monitoring");
        assert_eq!(body.target, "ca-mon");
        assert!(body.tags.contains(&plan_tag(&p.id)));
        assert_eq!(body.parameters.unwrap().default_receiver, Some(false));
        assert!(!MONITORING_INSTANCE.chosen(&p));
        p.observability = Some(Observability {
            monitoring: MonitoringChoice::Existing {
                crn: "crn:v1:bluemix:public:sysdig-monitor:ca-mon:a/x:g::".into(),
                name: "team-monitoring".into(),
            },
            confirmed_metadata_region: None,
            ..Default::default()
        });
        assert!(MONITORING_INSTANCE.chosen(&p));
        assert_eq!(MONITORING_INSTANCE.name(&p), "team-monitoring");
    }
}
