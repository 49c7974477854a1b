//! The Metrics Routing route that sends this database's platform metrics, and no other
//! resource's, to the plan's target: one rule, `service_name is databases-for-postgresql`
//! and `service_instance is <the database's GUID>`. The first matching rule of any route
//! wins over default targets and the region's receiver, so the rest of the account's
//! metrics go where they went before. Unique by name like targets; a namesake is this
//! plan's only if made after the plan asked and aimed at this plan's target and database.

use std::time::Duration;

use onramp_cloud::{
    metrics_router::{CreateRoute, Route},
    routing::FilterOperand,
    CloudError, Idempotency,
};

use super::super::{
    resource::{Found, Proof, Resource, Work},
    run::Run,
    Stop, Timing,
};
use crate::export::curl::{body, call};
use crate::export::{
    cli::{quote, CliPart},
    terraform::{reference, send_rule, Tf, TfResource},
    Exporting,
};
use crate::{
    journal::{StepId, StepRecord},
    observability::{field, guid_of, metrics_name, DATABASE_SERVICE},
    plan::{DraftPlan, Offerings},
    review::{setting, PlannedResource},
    AppError,
};

pub(crate) struct MetricsRoute;
pub(crate) static METRICS_ROUTE: MetricsRoute = MetricsRoute;

/// Whether `route` sends what this plan's route sends, to where it sends it.
fn aims_at(route: &Route, target_id: &str, database_guid: &str) -> bool {
    route.rules.iter().any(|rule| {
        rule.targets.iter().any(|t| t.id == target_id)
            && rule.inclusion_filters.iter().any(|f| {
                f.operand == FilterOperand::ServiceInstance
                    && f.values.iter().any(|v| v == database_guid)
            })
    })
}

fn found(route: Route, target_id: &str, database_guid: &str) -> Found {
    Found {
        mismatch: (!aims_at(&route, target_id, database_guid))
            .then(|| "it routes other metrics, or to another target".to_owned()),
        id: route.id,
        name: route.name,
        created_at: Some(route.created_at),
        ..Found::default()
    }
}

/// The database's GUID and the target's id, from the journal.
fn ends(run: &Run) -> Result<(String, String), Stop> {
    let database = run.id_of(StepId::Instance)?;
    let guid = guid_of(&database)
        .map(str::to_owned)
        .unwrap_or(database.clone());
    Ok((guid, run.id_of(StepId::MetricsTarget)?))
}

impl Resource for MetricsRoute {
    fn step(&self) -> StepId {
        StepId::MetricsRoute
    }
    fn label(&self) -> &'static str {
        "Metrics Routing route"
    }
    fn noun(&self) -> &'static str {
        "Metrics Routing route"
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
                setting(
                    "Sends",
                    format!("Platform metrics of the database {} only", plan.name),
                ),
                setting("To", "The Metrics Routing target above"),
                setting(
                    "Rule",
                    "service_name is databases-for-postgresql and service_instance is the database's GUID",
                ),
            ],
        }
    }
    fn console(&self, _state: &crate::journal::JournalState, _id: &str) -> Option<String> {
        super::console_list("observe/metricsrouting/routes")
    }
    fn teardown_wording(&self, _: bool) -> String {
        "Deletes the route Onramp created; the database's metrics stop going to Monitoring."
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
            super::metrics_target::TF.0,
            super::metrics_target::TF.1
        );
        let database = super::database::tf_ref(x, "guid");
        TfResource::new("ibm_metrics_router_route", "database")
            .attr("name", self.name(x.plan))
            .block(send_rule(
                &target,
                vec![
                    ("service_name", DATABASE_SERVICE.into()),
                    ("service_instance", reference(&database)),
                ],
            ))
            .import(x.made(StepId::MetricsRoute))
            .note("This database's platform metrics, and no other's.")
            .done()
    }

    fn cli(&self, x: &Exporting) -> CliPart {
        CliPart::new("Metrics Routing route: this database's metrics only")
            .line(format!(
                "MR_RULES=\"$(jq -cn --arg target \"$MR_TARGET_ID\" --arg guid \"$DB_GUID\" '[{{action: \"send\", targets: [{{id: $target}}], inclusion_filters: [{{operand: \"service_name\", operator: \"is\", values: [\"{DATABASE_SERVICE}\"]}}, {{operand: \"service_instance\", operator: \"is\", values: [$guid]}}]}}]')\""
            ))
            .line(format!(
                "ibmcloud metrics-router route create --name {} --rules \"$MR_RULES\" --output json >/dev/null",
                quote(&self.name(x.plan))
            ))
    }

    fn curl(&self, x: &Exporting) -> CliPart {
        let request = CreateRoute::service_instance(
            self.name(x.plan),
            "$MR_TARGET_ID",
            DATABASE_SERVICE,
            "$DB_GUID",
        );
        CliPart::new("Metrics Routing route: this database's metrics only").line(format!(
            "{} >/dev/null",
            call("POST", "$METRICS_ROUTER_URL/routes", Some(body(&request)))
        ))
    }

    fn look<'a>(&'a self, run: &'a Run) -> Work<'a, Vec<Found>> {
        Box::pin(async move {
            let plan = run.plan();
            let (guid, target) = ends(run)?;
            let router = run
                .ctx
                .cloud
                .metrics_router(&plan.location)
                .map_err(AppError::from_cloud)?;
            let name = metrics_name(&plan);
            Ok(run
                .call(router.list_routes())
                .await?
                .into_iter()
                .filter(|r| r.name == name)
                .map(|r| found(r, &target, &guid))
                .collect())
        })
    }

    fn create<'a>(&'a self, run: &'a Run) -> Work<'a, Result<Found, CloudError>> {
        Box::pin(async move {
            let plan = run.plan();
            let (guid, target) = ends(run)?;
            let router = run
                .ctx
                .cloud
                .metrics_router(&plan.location)
                .map_err(AppError::from_cloud)?;
            let body = CreateRoute::service_instance(
                metrics_name(&plan),
                &target,
                DATABASE_SERVICE,
                &guid,
            );
            Ok(router
                .create_route(&body, Idempotency::Unsafe)
                .await
                .map(|r| found(r, &target, &guid)))
        })
    }

    fn delete<'a>(&'a self, run: &'a Run, id: &'a str, _: &'a StepRecord) -> Work<'a, ()> {
        Box::pin(async move {
            let router = run
                .ctx
                .cloud
                .metrics_router(&run.plan().location)
                .map_err(AppError::from_cloud)?;
            run.delete_once(router.delete_route(id)).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(target: &str, guid: &str) -> Route {
        serde_json::from_value(serde_json::json!({
            "id": "r1", "name": "onramp-pg-demo-metrics",
            "crn": "crn:v1:bluemix:public:metrics-router:global:a/x::route:r1",
            "rules": [{"action": "send",
                "targets": [{"id": target, "crn": "c", "name": "n", "target_type": "sysdig_monitor"}],
                "inclusion_filters": [
                    {"operand": "service_name", "operator": "is", "values": ["databases-for-postgresql"]},
                    {"operand": "service_instance", "operator": "is", "values": [guid]}]}],
            "created_at": "2026-12-07T10:00:01Z", "updated_at": "2026-12-07T10:00:01Z"
        }))
        .unwrap()
    }

    #[test]
    fn a_namesake_is_a_candidate_only_for_this_target_and_database() {
        assert!(found(route("t1", "g1"), "t1", "g1").mismatch.is_none());
        assert!(found(route("t2", "g1"), "t1", "g1").mismatch.is_some());
        assert!(found(route("t1", "g2"), "t1", "g1").mismatch.is_some());
    }

    #[test]
    fn the_rule_selects_this_database_only() {
        let body = CreateRoute::service_instance("n", "t1", DATABASE_SERVICE, "g1");
        let json = serde_json::to_value(&body).unwrap();
        let filters = &json["rules"][0]["inclusion_filters"];
        assert_eq!(filters[0]["values"][0], "databases-for-postgresql");
        assert_eq!(filters[1]["operand"], "service_instance");
        assert_eq!(filters[1]["values"][0], "g1");
    }
}
