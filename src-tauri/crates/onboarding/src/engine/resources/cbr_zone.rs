//! The context-based restriction's network zone: a zone holding the plan's VPC (its CRN),
//! which the rule lets reach the database. Optional and a preview: IBM's Gen 2 pages
//! disagree on CBR (gen2-facts §6), so a refusal fails only this step. CBR records when
//! and by whom a zone was made; zone names are unique per account.

use std::time::Duration;

use onramp_cloud::{
    cbr::{AddressType, CreateZone, NetworkZoneSummary, ZoneAddress},
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
    terraform::{Tf, TfResource},
    Exporting,
};
use crate::{
    connectivity::field,
    journal::{StepId, StepRecord},
    plan::{DraftPlan, Offerings},
    review::{setting, PlannedResource},
    AppError,
};

pub(crate) struct CbrZone;
pub(crate) static CBR_ZONE: CbrZone = CbrZone;

/// The account's zones named `name` (the list filters by name loosely); one that does not
/// hold `vpc_crn` (when known) is someone else's.
pub(crate) fn namesakes(
    name: &str,
    vpc_crn: Option<&str>,
    listed: Vec<NetworkZoneSummary>,
) -> Vec<Found> {
    listed
        .into_iter()
        .filter(|z| z.name == name)
        .map(|z| {
            let holds = vpc_crn.is_some_and(|crn| {
                z.addresses_preview
                    .iter()
                    .any(|a| a.value.as_deref() == Some(crn))
            });
            Found {
                id: z.id,
                name: z.name,
                crn: z.crn,
                created_at: z.created_at,
                created_by: z.created_by_id,
                mismatch: (!holds).then(|| "it does not hold this plan's VPC".to_owned()),
                ..Found::default()
            }
        })
        .collect()
}

impl CbrZone {
    /// The VPC's CRN, which the zone holds.
    async fn vpc_crn(&self, run: &Run) -> Result<Option<String>, super::super::Stop> {
        let Some(vpc_id) = run.state().step(StepId::Vpc).id else {
            return Ok(None);
        };
        let vpc = run.vpc_client()?;
        Ok(Some(run.call(vpc.get_vpc(&vpc_id)).await?.crn))
    }
}

/// Where the Terraform export declares the network zone.
pub(crate) const TF: (&str, &str) = ("ibm_cbr_zone", "vpc");

/// The create body: a zone in `account` holding the VPC `vpc_crn`.
fn create_body(
    plan: &DraftPlan,
    c: &crate::connectivity::Connectivity,
    account: &str,
    vpc_crn: &str,
) -> CreateZone {
    CreateZone {
        name: c.cbr_zone_name(),
        account_id: account.to_owned(),
        description: format!(
            "Onramp: the VPC {} of the plan '{}'",
            c.vpc_name(),
            plan.name
        ),
        addresses: vec![ZoneAddress::new(AddressType::Vpc, vpc_crn.to_owned())],
        excluded: Vec::new(),
    }
}

impl Resource for CbrZone {
    fn step(&self) -> StepId {
        StepId::CbrZone
    }
    fn label(&self) -> &'static str {
        "Context-based restriction: network zone (preview)"
    }
    fn noun(&self) -> &'static str {
        "network zone"
    }
    fn estimate(&self, _: &Timing) -> Duration {
        Duration::from_secs(2)
    }
    fn name(&self, plan: &DraftPlan) -> String {
        plan.connectivity
            .as_ref()
            .map(|c| c.cbr_zone_name())
            .unwrap_or_default()
    }
    fn field(&self) -> &'static str {
        field::RESTRICT
    }
    fn optional(&self) -> bool {
        true
    }
    fn planned(&self, plan: &DraftPlan, _: &Offerings) -> PlannedResource {
        let vpc = plan
            .connectivity
            .as_ref()
            .map(|c| c.vpc_name().to_owned())
            .unwrap_or_default();
        PlannedResource {
            label: "Context-based restriction: network zone (preview)".to_owned(),
            name: self.name(plan),
            settings: vec![setting("Holds", format!("The VPC {vpc} (its CRN)"))],
        }
    }
    fn teardown_wording(&self, _: bool) -> String {
        "Deletes the network zone (after the rule that uses it).".to_owned()
    }
    fn proof(&self) -> Proof {
        Proof {
            time: true,
            creator: true,
            tag: false,
        }
    }

    fn terraform(&self, x: &Exporting) -> Vec<Tf> {
        let Some(c) = x.plan.connectivity.as_ref() else {
            return Vec::new();
        };
        TfResource::new(TF.0, TF.1)
            .attr("name", self.name(x.plan))
            .attr("account_id", x.account_id())
            .attr(
                "description",
                format!(
                    "Onramp: the VPC {} of the plan '{}'",
                    c.vpc_name(),
                    x.plan.name
                ),
            )
            .block(
                hcl::Block::builder("addresses")
                    .add_attribute(("type", "vpc"))
                    .add_attribute(("value", super::vpc::tf_crn(x)))
                    .build(),
            )
            .import(x.made(StepId::CbrZone))
            .done()
            .into_iter()
            .chain(x.account_variable())
            .collect()
    }

    fn cli(&self, x: &Exporting) -> CliPart {
        let Some(c) = x.plan.connectivity.as_ref() else {
            return CliPart::new("Network zone");
        };
        CliPart::new("Context-based restriction: a network zone holding the VPC")
            .line(super::vpc::cli_crn(x))
            .line(format!(
                "CBR_ZONE_ID=\"$(ibmcloud cbr zone-create --name {} --description {} --vpc \"$VPC_CRN\" --output json | jq -r .id)\"",
                quote(&self.name(x.plan)),
                quote(&format!("Onramp: the VPC {} of the plan '{}'", c.vpc_name(), x.plan.name))
            ))
    }

    fn curl(&self, x: &Exporting) -> CliPart {
        let Some(c) = x.plan.connectivity.as_ref() else {
            return CliPart::new("Network zone");
        };
        CliPart::new("Context-based restriction: a network zone holding the VPC")
            .line(format!(
                "VPC_CRN=\"$(api GET \"$VPC_URL/vpcs/$VPC_ID?{}\" | jq -r .crn)\"",
                crate::export::curl::vpc_query()
            ))
            .line(format!(
                "CBR_ZONE_ID=\"$({} | jq -r .id)\"",
                call(
                    "POST",
                    "$CBR_URL/v1/zones",
                    Some(body(&create_body(x.plan, c, "$ACCOUNT_ID", "$VPC_CRN")))
                )
            ))
    }

    fn look<'a>(&'a self, run: &'a Run) -> Work<'a, Vec<Found>> {
        Box::pin(async move {
            let name = self.name(&run.plan());
            let account = run.state().account_id;
            let vpc_crn = self.vpc_crn(run).await?;
            let cbr = run.ctx.cloud.cbr().map_err(AppError::from_cloud)?;
            Ok(namesakes(
                &name,
                vpc_crn.as_deref(),
                run.call(cbr.list_zones(&account, Some(&name))).await?,
            ))
        })
    }

    fn create<'a>(&'a self, run: &'a Run) -> Work<'a, Result<Found, CloudError>> {
        Box::pin(async move {
            let plan = run.plan();
            let c = run.connectivity()?;
            let vpc_crn = self
                .vpc_crn(run)
                .await?
                .ok_or_else(|| AppError::internal("the VPC's id is not in the journal"))?;
            let cbr = run.ctx.cloud.cbr().map_err(AppError::from_cloud)?;
            let body = create_body(&plan, &c, &run.state().account_id, &vpc_crn);
            Ok(cbr
                .create_zone(&body, Idempotency::Unsafe)
                .await
                .map(|z| Found {
                    id: z.id,
                    name: z.name,
                    crn: z.crn,
                    created_at: z.created_at,
                    created_by: z.created_by_id,
                    detail: one(detail::VPC_CRN, vpc_crn),
                    ..Found::default()
                }))
        })
    }

    fn delete<'a>(&'a self, run: &'a Run, id: &'a str, _: &'a StepRecord) -> Work<'a, ()> {
        Box::pin(async move {
            let cbr = run.ctx.cloud.cbr().map_err(AppError::from_cloud)?;
            run.delete_once(cbr.delete_zone(id)).await
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

    fn listed(name: &str, holds: &str, created_at: String, by: &str) -> NetworkZoneSummary {
        serde_json::from_value(serde_json::json!({
            "id": "zone-1", "crn": "crn:zone", "name": name, "created_at": created_at,
            "created_by_id": by, "addresses_preview": [{"type": "vpc", "value": holds}]
        }))
        .unwrap()
    }

    #[test]
    fn a_zone_is_ours_if_it_holds_our_vpc_and_we_made_it_after_asking() {
        let name = CBR_ZONE.name(&plan());
        assert_eq!(name, "onramp-vpc-3f2a-zone");
        let ours = &namesakes(
            &name,
            Some("crn:vpc"),
            vec![listed(&name, "crn:vpc", at(1), "me")],
        )[0];
        assert_eq!(judge(ours, CBR_ZONE.proof(), &asked(), "me"), Verdict::Ours);
        let another_vpc = &namesakes(
            &name,
            Some("crn:vpc"),
            vec![listed(&name, "crn:other", at(1), "me")],
        )[0];
        assert!(matches!(
            judge(another_vpc, CBR_ZONE.proof(), &asked(), "me"),
            Verdict::NotOurs(_)
        ));
        let colleague = &namesakes(
            &name,
            Some("crn:vpc"),
            vec![listed(&name, "crn:vpc", at(1), "IBMid-x")],
        )[0];
        assert!(matches!(
            judge(colleague, CBR_ZONE.proof(), &asked(), "me"),
            Verdict::NotOurs(_)
        ));
    }
}
