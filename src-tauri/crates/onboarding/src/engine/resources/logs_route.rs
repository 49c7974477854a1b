//! The Logs Routing route that sends platform logs to the plan's target: one rule,
//! `location is <the database's location>` (Logs Routing filters by location only, so every
//! service's platform logs there go too; the user confirmed that account-wide change).
//! Unique by name; a namesake is this plan's only if made after the plan asked and aimed at
//! this plan's target alone.

use std::time::Duration;

use onramp_cloud::{
    logs_router::{CreateRoute, Route},
    CloudError, Idempotency,
};

use super::super::{
    resource::{Found, Proof, Resource, Work},
    run::Run,
    Timing,
};
use super::logs_target::router;
use crate::export::curl::{body, call};
use crate::export::{
    cli::{quote, CliPart},
    terraform::{send_rule, Tf, TfResource},
    Exporting,
};
use crate::{
    journal::{StepId, StepRecord},
    observability::{field, logs_route_name},
    plan::{DraftPlan, Offerings},
    review::{setting, PlannedResource},
};

pub(crate) struct LogsRoute;
pub(crate) static LOGS_ROUTE: LogsRoute = LogsRoute;

fn found(route: Route, target_id: &str) -> Found {
    let aimed = !route.rules.is_empty()
        && route
            .rules
            .iter()
            .all(|r| r.targets.iter().all(|t| t.id == target_id));
    Found {
        mismatch: (!aimed).then(|| "it sends platform logs to other targets".to_owned()),
        id: route.id,
        name: route.name,
        created_at: Some(route.created_at),
        ..Found::default()
    }
}

impl Resource for LogsRoute {
    fn step(&self) -> StepId {
        StepId::LogsRoute
    }
    fn label(&self) -> &'static str {
        "Logs Routing route"
    }
    fn noun(&self) -> &'static str {
        "Logs Routing route"
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
                setting(
                    "Sends",
                    format!("Every platform log in {} (account-wide)", plan.location),
                ),
                setting("To", "The Logs Routing target above"),
                setting("Rule", format!("location is {}", plan.location)),
            ],
        }
    }
    fn console(&self, _state: &crate::journal::JournalState, _id: &str) -> Option<String> {
        super::console_list("observe/logsrouting/routes")
    }
    fn teardown_wording(&self, _: bool) -> String {
        "Deletes the route Onramp created; platform logs stop going to the Cloud Logs instance."
            .to_owned()
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
            super::logs_target::TF.0,
            super::logs_target::TF.1
        );
        TfResource::new("ibm_logs_router_route", "platform_logs")
            .attr("name", self.name(x.plan))
            .block(send_rule(
                &target,
                vec![("location", x.plan.location.clone().into())],
            ))
            .import(x.made(StepId::LogsRoute))
            .note("Account-wide: every platform log of the location (location is the only filter Logs Routing has).")
            .done()
    }

    fn cli(&self, x: &Exporting) -> CliPart {
        CliPart::new("Logs Routing route: the location's platform logs")
            .line(format!(
                "LR_RULES=\"$(jq -cn --arg target \"$LR_TARGET_ID\" --arg location {} '[{{action: \"send\", targets: [{{id: $target}}], inclusion_filters: [{{operand: \"location\", operator: \"is\", values: [$location]}}]}}]')\"",
                quote(&x.plan.location)
            ))
            .line(format!(
                "ibmcloud logs-router route create --name {} --rules \"$LR_RULES\" --output json >/dev/null",
                quote(&self.name(x.plan))
            ))
    }

    fn curl(&self, x: &Exporting) -> CliPart {
        let request = CreateRoute::location(self.name(x.plan), "$LR_TARGET_ID", &x.plan.location);
        CliPart::new("Logs Routing route: the location's platform logs").line(format!(
            "{} >/dev/null",
            call("POST", "$LOGS_ROUTER_URL/routes", Some(body(&request)))
        ))
    }

    fn look<'a>(&'a self, run: &'a Run) -> Work<'a, Vec<Found>> {
        Box::pin(async move {
            let target = run.id_of(StepId::LogsTarget)?;
            let name = logs_route_name(&run.plan());
            Ok(run
                .call(router(run)?.list_routes())
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
            let target = run.id_of(StepId::LogsTarget)?;
            let body = CreateRoute::location(logs_route_name(&plan), &target, &plan.location);
            Ok(router(run)?
                .create_route(&body, Idempotency::Unsafe)
                .await
                .map(|r| found(r, &target)))
        })
    }

    fn delete<'a>(&'a self, run: &'a Run, id: &'a str, _: &'a StepRecord) -> Work<'a, ()> {
        Box::pin(async move {
            let router = router(run)?;
            run.delete_once(router.delete_route(id)).await
        })
    }
}
