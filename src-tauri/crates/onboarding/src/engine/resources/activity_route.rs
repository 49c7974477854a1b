//! The Activity Tracker route that sends events to the plan's target: one rule for the
//! database's location and `global` (its create and delete are global events). A route
//! covers locations, not one instance, so every service's events there go too; the user
//! confirmed that account-wide change before apply. Unique by name; a namesake is this
//! plan's only if made after the plan asked and aimed at this plan's target alone.

use std::time::Duration;

use onramp_cloud::{
    atracker::{CreateRoute, Route, GLOBAL_LOCATION},
    CloudError, Idempotency,
};

use super::super::{
    resource::{Found, Proof, Resource, Work},
    run::Run,
    Timing,
};
use crate::export::curl::{body, call};
use crate::export::{
    cli::{quote, CliPart},
    terraform::{reference, strings, Tf, TfResource},
    Exporting,
};
use crate::{
    journal::{StepId, StepRecord},
    observability::{activity_name, field},
    plan::{DraftPlan, Offerings},
    review::{setting, PlannedResource},
    AppError,
};

pub(crate) struct ActivityRoute;
pub(crate) static ACTIVITY_ROUTE: ActivityRoute = ActivityRoute;

/// The locations the route covers: the database's, and `global`.
pub(crate) fn locations(plan: &DraftPlan) -> Vec<String> {
    vec![plan.location.clone(), GLOBAL_LOCATION.to_owned()]
}

fn found(route: Route, target_id: &str) -> Found {
    let aimed = route
        .rules
        .iter()
        .all(|r| r.target_ids.iter().all(|t| t == target_id))
        && !route.rules.is_empty();
    Found {
        mismatch: (!aimed).then(|| "it sends events to other targets".to_owned()),
        id: route.id,
        name: route.name,
        created_at: Some(route.created_at),
        ..Found::default()
    }
}

fn tracker(run: &Run) -> Result<onramp_cloud::atracker::AtrackerClient, AppError> {
    run.ctx
        .cloud
        .atracker(&run.plan().location)
        .map_err(AppError::from_cloud)
}

impl Resource for ActivityRoute {
    fn step(&self) -> StepId {
        StepId::ActivityRoute
    }
    fn label(&self) -> &'static str {
        "Activity Tracker route"
    }
    fn noun(&self) -> &'static str {
        "Activity Tracker route"
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
                setting(
                    "Sends",
                    format!(
                        "Every event in {} and every global event (account-wide)",
                        plan.location
                    ),
                ),
                setting("To", "The Activity Tracker target above"),
                setting("Locations", locations(plan).join(", ")),
            ],
        }
    }
    fn console(&self, _state: &crate::journal::JournalState, _id: &str) -> Option<String> {
        super::console_list("observe/activitytracker/routes")
    }
    fn teardown_wording(&self, _: bool) -> String {
        "Deletes the route Onramp created; events stop going to the Cloud Logs instance.".to_owned()
    }
    fn proof(&self) -> Proof {
        Proof {
            time: true,
            creator: false,
            tag: false,
        }
    }

    fn terraform(&self, x: &Exporting) -> Vec<Tf> {
        let target = format!(
            "{}.{}.id",
            super::activity_target::TF.0,
            super::activity_target::TF.1
        );
        TfResource::new("ibm_atracker_route", "events")
            .attr("name", self.name(x.plan))
            .block(
                hcl::Block::builder("rules")
                    .add_attribute(("target_ids", hcl::Expression::Array(vec![reference(&target)])))
                    .add_attribute(("locations", strings(&locations(x.plan))))
                    .build(),
            )
            .import(x.made(StepId::ActivityRoute))
            .note("Account-wide: every service's events in the location, and global events (a database's create and delete are global).")
            .done()
    }

    fn cli(&self, x: &Exporting) -> CliPart {
        CliPart::new("Activity Tracker route: the location's and global events").line(format!(
            "ibmcloud atracker route create --name {} --target-ids \"$AT_TARGET_ID\" --locations {} --output json >/dev/null",
            quote(&self.name(x.plan)),
            quote(&locations(x.plan).join(","))
        ))
    }

    fn curl(&self, x: &Exporting) -> CliPart {
        let request = CreateRoute::to_target(self.name(x.plan), "$AT_TARGET_ID", locations(x.plan));
        CliPart::new("Activity Tracker route: the location's and global events").line(format!(
            "{} >/dev/null",
            call("POST", "$ATRACKER_URL/api/v2/routes", Some(body(&request)))
        ))
    }

    fn look<'a>(&'a self, run: &'a Run) -> Work<'a, Vec<Found>> {
        Box::pin(async move {
            let target = run.id_of(StepId::ActivityTarget)?;
            let name = activity_name(&run.plan());
            Ok(run
                .call(tracker(run)?.list_routes())
                .await?
                .into_iter()
                .filter(|r| r.name == name)
                .map(|r| found(r, &target))
                .collect())
        })
    }

    fn create<'a>(&'a self, run: &'a Run) -> Work<'a, Result<Found, CloudError>> {
        Box::pin(async move {
            let plan = run.plan();
            let target = run.id_of(StepId::ActivityTarget)?;
            let body = CreateRoute::to_target(activity_name(&plan), &target, locations(&plan));
            Ok(tracker(run)?
                .create_route(&body, Idempotency::Unsafe)
                .await
                .map(|r| found(r, &target)))
        })
    }

    fn delete<'a>(&'a self, run: &'a Run, id: &'a str, _: &'a StepRecord) -> Work<'a, ()> {
        Box::pin(async move {
            let tracker = tracker(run)?;
            run.delete_once(tracker.delete_route(id)).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::resources::testing::plan;

    #[test]
    fn the_route_covers_the_databases_location_and_global_events() {
        let body = CreateRoute::to_target("n", "t1", locations(&plan()));
        let json = serde_json::to_value(&body).unwrap();
        assert_eq!(
            json["rules"][0]["locations"],
            serde_json::json!(["ca-mon", "global"])
        );
        assert_eq!(json["rules"][0]["target_ids"], serde_json::json!(["t1"]));
    }
}
