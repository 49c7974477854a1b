//! The context-based restriction's rule: only the plan's network zone may reach the
//! database's data plane over private endpoints (Cloud Databases takes data-plane-only,
//! enforced rules: contract/cbr.md). Optional and a preview, like the zone. Rules have no
//! name: the look is for rules on this database through this plan's zone.

use std::time::Duration;

use onramp_cloud::{
    cbr::{
        ApiType, Attribute, CreateRule, EnforcementMode, Rule, RuleContext, RuleFilter,
        RuleOperations, RuleResource, DATA_PLANE_API_TYPE,
    },
    CloudError, Idempotency,
};

use super::{
    super::{
        resource::{Found, Proof, Resource, Work},
        run::{one, Run},
        Timing,
    },
    detail,
};
use crate::export::curl::{body, call};
use crate::export::{
    cli::{quote, CliPart},
    terraform::{reference, Tf, TfResource},
    Exporting,
};
use crate::{
    connectivity::field,
    journal::{StepId, StepRecord},
    plan::{DraftPlan, Offerings},
    review::{setting, PlannedResource},
    vault::entry::instance_guid,
    AppError,
};

/// The service name the rule restricts.
pub const SERVICE_NAME: &str = "databases-for-postgresql";

pub(crate) struct CbrRule;
pub(crate) static CBR_RULE: CbrRule = CbrRule;

fn found(rule: Rule, description: &str) -> Found {
    Found {
        id: rule.id,
        name: rule.description.unwrap_or_else(|| description.to_owned()),
        crn: rule.crn,
        created_at: rule.created_at,
        created_by: rule.created_by_id,
        ..Found::default()
    }
}

impl CbrRule {
    /// Rules on this database through this plan's zone, if both exist yet.
    fn filter(&self, run: &Run) -> Option<RuleFilter> {
        let state = run.state();
        let instance = state.step(StepId::Instance).id?;
        let zone = state.step(StepId::CbrZone).id?;
        Some(RuleFilter {
            account_id: state.account_id,
            service_name: Some(SERVICE_NAME.to_owned()),
            service_instance: Some(instance_guid(&instance).to_owned()),
            zone_id: Some(zone),
        })
    }
}

/// The create body: only the network zone `zone_id` reaches the instance `guid`'s data plane.
fn create_body(description: String, account: &str, zone_id: &str, guid: &str) -> CreateRule {
    CreateRule {
        description: Some(description),
        resources: vec![RuleResource {
            attributes: vec![
                Attribute::new("accountId", account),
                Attribute::new("serviceName", SERVICE_NAME),
                Attribute::new("serviceInstance", guid),
            ],
            tags: Vec::new(),
        }],
        contexts: vec![RuleContext {
            attributes: vec![
                Attribute::new("networkZoneId", zone_id),
                Attribute::new("endpointType", "private"),
            ],
        }],
        // Cloud Databases takes only the data plane, and only enforced rules.
        operations: Some(RuleOperations {
            api_types: vec![ApiType {
                api_type_id: DATA_PLANE_API_TYPE.to_owned(),
            }],
        }),
        enforcement_mode: Some(EnforcementMode::Enabled),
    }
}

impl Resource for CbrRule {
    fn step(&self) -> StepId {
        StepId::CbrRule
    }
    fn label(&self) -> &'static str {
        "Context-based restriction: rule for the database (preview)"
    }
    fn noun(&self) -> &'static str {
        "rule"
    }
    fn estimate(&self, _: &Timing) -> Duration {
        Duration::from_secs(2)
    }
    fn name(&self, plan: &DraftPlan) -> String {
        plan.connectivity
            .as_ref()
            .map(|c| c.cbr_rule_description(&plan.name))
            .unwrap_or_default()
    }
    fn field(&self) -> &'static str {
        field::RESTRICT
    }
    fn optional(&self) -> bool {
        true
    }
    fn planned(&self, plan: &DraftPlan, _: &Offerings) -> PlannedResource {
        let zone = plan
            .connectivity
            .as_ref()
            .map(|c| c.cbr_zone_name())
            .unwrap_or_default();
        PlannedResource {
            label: "Context-based restriction: rule (preview)".to_owned(),
            name: self.name(plan),
            settings: vec![
                setting("Restricts", format!("The database '{}': data plane only, enforced", plan.name)),
                setting("Allows", format!("Private endpoints, from the zone {zone}")),
                setting("Gen 2", "IBM's Gen 2 docs disagree on whether CBR applies. If IBM refuses the rule, the plan still succeeds and the step shows IBM's answer"),
            ],
        }
    }
    fn teardown_wording(&self, _: bool) -> String {
        "Deletes the rule: the database's data plane is no longer limited to the VPC's zone."
            .to_owned()
    }
    fn proof(&self) -> Proof {
        Proof {
            time: true,
            creator: true,
            tag: false,
        }
    }

    fn terraform(&self, x: &Exporting) -> Vec<Tf> {
        let zone = format!("{}.{}.id", super::cbr_zone::TF.0, super::cbr_zone::TF.1);
        let database = super::database::tf_ref(x, "guid");
        let pair = |ident: &'static str, name: &str, value: hcl::Expression| {
            hcl::Block::builder(ident)
                .add_attribute(("name", name.to_owned()))
                .add_attribute(("value", value))
                .build()
        };
        TfResource::new("ibm_cbr_rule", "database")
            .attr("description", self.name(x.plan))
            .attr("enforcement_mode", "enabled")
            .block(
                hcl::Block::builder("contexts")
                    .add_block(pair("attributes", "networkZoneId", reference(&zone)))
                    .add_block(pair("attributes", "endpointType", "private".into()))
                    .build(),
            )
            .block(
                hcl::Block::builder("resources")
                    .add_block(pair("attributes", "accountId", x.account_id()))
                    .add_block(pair("attributes", "serviceName", SERVICE_NAME.into()))
                    .add_block(pair("attributes", "serviceInstance", reference(&database)))
                    .build(),
            )
            .block(
                hcl::Block::builder("operations")
                    .add_block(
                        hcl::Block::builder("api_types")
                            .add_attribute(("api_type_id", DATA_PLANE_API_TYPE))
                            .build(),
                    )
                    .build(),
            )
            .import(x.made(StepId::CbrRule))
            .note(
                "A preview: IBM's Gen 2 pages disagree on whether restrictions apply to Gen 2 yet.",
            )
            .done()
            .into_iter()
            .chain(x.account_variable())
            .collect()
    }

    fn cli(&self, x: &Exporting) -> CliPart {
        CliPart::new("Context-based restriction: the rule for the database").line(format!(
            "ibmcloud cbr rule-create --description {} --service-name {SERVICE_NAME} --service-instance \"$DB_GUID\" --context-attributes \"networkZoneId=$CBR_ZONE_ID,endpointType=private\" --api-types {DATA_PLANE_API_TYPE} --enforcement-mode enabled --output json >/dev/null",
            quote(&self.name(x.plan))
        ))
    }

    fn curl(&self, x: &Exporting) -> CliPart {
        let request = create_body(self.name(x.plan), "$ACCOUNT_ID", "$CBR_ZONE_ID", "$DB_GUID");
        CliPart::new("Context-based restriction: the rule for the database").line(format!(
            "{} >/dev/null",
            call("POST", "$CBR_URL/v1/rules", Some(body(&request)))
        ))
    }

    fn look<'a>(&'a self, run: &'a Run) -> Work<'a, Vec<Found>> {
        Box::pin(async move {
            let Some(filter) = self.filter(run) else {
                return Ok(Vec::new());
            };
            let description = self.name(&run.plan());
            let cbr = run.ctx.cloud.cbr().map_err(AppError::from_cloud)?;
            Ok(run
                .call(cbr.list_rules(&filter))
                .await?
                .into_iter()
                .map(|r| found(r, &description))
                .collect())
        })
    }

    fn create<'a>(&'a self, run: &'a Run) -> Work<'a, Result<Found, CloudError>> {
        Box::pin(async move {
            let description = self.name(&run.plan());
            let account_id = run.state().account_id;
            let zone_id = run.id_of(StepId::CbrZone)?;
            let guid = instance_guid(&run.id_of(StepId::Instance)?).to_owned();
            let cbr = run.ctx.cloud.cbr().map_err(AppError::from_cloud)?;
            let body = create_body(description.clone(), &account_id, &zone_id, &guid);
            Ok(cbr.create_rule(&body, Idempotency::Unsafe).await.map(|r| {
                let mut f = found(r, &description);
                f.detail = one(detail::CBR_ZONE, zone_id);
                f
            }))
        })
    }

    fn delete<'a>(&'a self, run: &'a Run, id: &'a str, _: &'a StepRecord) -> Work<'a, ()> {
        Box::pin(async move {
            let cbr = run.ctx.cloud.cbr().map_err(AppError::from_cloud)?;
            run.delete_once(cbr.delete_rule(id)).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{
        ownership::{judge, Verdict},
        resources::testing::{asked, at, plan},
    };

    fn rule(created_at: String, by: &str) -> Rule {
        serde_json::from_value(serde_json::json!({
            "id": "rule-1", "crn": "crn:rule", "created_at": created_at, "created_by_id": by
        }))
        .unwrap()
    }

    #[test]
    fn a_rule_on_our_database_through_our_zone_is_ours_if_we_made_it_after_asking() {
        let description = CBR_RULE.name(&plan());
        assert!(description.contains("onramp-vpc-3f2a"));
        let ours = found(rule(at(1), "me"), &description);
        assert_eq!(
            ours.name, description,
            "a rule without description is named by ours"
        );
        assert_eq!(
            judge(&ours, CBR_RULE.proof(), &asked(), "me"),
            Verdict::Ours
        );
        let older = found(rule(at(-30), "me"), &description);
        assert!(matches!(
            judge(&older, CBR_RULE.proof(), &asked(), "me"),
            Verdict::NotOurs(_)
        ));
    }
}
