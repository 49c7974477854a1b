//! The VPC of the private path: made new under the plan's name, or the user's own (used,
//! never deleted). Its default security group, which the jump server and the VPE share, is
//! journalled for the rules. The VPC API records when a VPC was made but not by whom, and
//! its names are unique per region: a namesake is this plan's only if it appeared after
//! the plan asked for one.

use std::time::Duration;

use onramp_cloud::{
    vpc::{CreateVpc, IdRef, Vpc},
    CloudError, Idempotency,
};

use super::{
    super::{
        resource::{Found, Proof, Resource, Work},
        run::{one, Run},
        Timing,
    },
    detail, vpc_status, EXISTING,
};
use crate::export::curl::{body, call, vpc_query};
use crate::export::{
    cli::{quote, CliPart},
    terraform::{id_of, reference, Tf, TfResource},
    Exporting,
};
use crate::{
    connectivity::{field, VpcChoice},
    journal::{StepId, StepRecord},
    plan::{DraftPlan, Offerings},
    review::{setting, PlannedResource},
    AppError,
};

pub(crate) struct VpcKind;
pub(crate) static VPC: VpcKind = VpcKind;

fn found(vpc: Vpc) -> Found {
    Found {
        detail: vpc
            .default_security_group
            .as_ref()
            .map(|g| one(detail::SECURITY_GROUP, g.id.clone()))
            .unwrap_or_default(),
        id: vpc.id,
        name: vpc.name,
        crn: Some(vpc.crn),
        created_at: vpc.created_at,
        ..Found::default()
    }
}

/// The region's VPCs that carry `name`.
pub(crate) fn namesakes(name: &str, listed: Vec<Vpc>) -> Vec<Found> {
    listed
        .into_iter()
        .filter(|v| v.name == name)
        .map(found)
        .collect()
}

/// The create body: the plan's name for it, in the plan's group.
fn create_body(name: &str, plan: &DraftPlan) -> CreateVpc {
    CreateVpc {
        name: Some(name.to_owned()),
        resource_group: Some(IdRef::new(&plan.resource_group_id)),
        ..CreateVpc::default()
    }
}

fn choice(plan: &DraftPlan) -> Option<&VpcChoice> {
    plan.connectivity.as_ref().map(|c| &c.vpc)
}

/// Where the Terraform export declares the VPC it makes.
pub(crate) const TF: (&str, &str) = ("ibm_is_vpc", "vpc");
const LOCAL: &str = "vpc_id";
const SG_LOCAL: &str = "vpc_default_security_group_id";

/// The VPC's id in the Terraform export.
pub(crate) fn tf_id(x: &Exporting) -> hcl::Expression {
    id_of(VPC.chosen(x.plan), &format!("{}.{}", TF.0, TF.1), LOCAL)
}

/// The CLI script's line that sets `VPC_CRN` (the CBR zone holds the VPC by CRN).
pub(crate) fn cli_crn(x: &Exporting) -> String {
    match choice(x.plan) {
        Some(VpcChoice::Existing { id, name }) => {
            match x.state.map(|s| s.account_id.as_str()).or(x.account_id) {
                Some(account) if !account.is_empty() => format!(
                    "VPC_CRN={}",
                    quote(&format!(
                        "crn:v1:bluemix:public:is:{}:a/{account}::vpc:{id}",
                        x.plan.location
                    ))
                ),
                _ => format!(": \"${{VPC_CRN:?Set VPC_CRN to the CRN of VPC {name}}}\""),
            }
        }
        _ => "VPC_CRN=\"$(jq -r .crn <<<\"$VPC_JSON\")\"".to_owned(),
    }
}

/// Its default security group in the Terraform export.
pub(crate) fn tf_security_group(x: &Exporting) -> hcl::Expression {
    if VPC.chosen(x.plan) {
        match x.detail(StepId::Vpc, detail::SECURITY_GROUP) {
            Some(_) => reference(&format!("local.{SG_LOCAL}")),
            None => reference(&format!("var.{SG_LOCAL}")),
        }
    } else {
        reference(&format!("{}.{}.default_security_group", TF.0, TF.1))
    }
}

/// The VPC's CRN in the Terraform export (the CBR zone holds it).
pub(crate) fn tf_crn(x: &Exporting) -> hcl::Expression {
    match (
        VPC.chosen(x.plan),
        x.detail(StepId::CbrZone, detail::VPC_CRN),
    ) {
        (true, Some(crn)) => crn.into(),
        (true, None) => reference("var.vpc_crn"),
        (false, _) => reference(&format!("{}.{}.crn", TF.0, TF.1)),
    }
}

impl Resource for VpcKind {
    fn step(&self) -> StepId {
        StepId::Vpc
    }
    fn label(&self) -> &'static str {
        "VPC"
    }
    fn noun(&self) -> &'static str {
        "VPC"
    }
    fn estimate(&self, _: &Timing) -> Duration {
        Duration::from_secs(10)
    }
    fn name(&self, plan: &DraftPlan) -> String {
        plan.connectivity
            .as_ref()
            .map(|c| c.vpc_name().to_owned())
            .unwrap_or_default()
    }
    fn field(&self) -> &'static str {
        field::VPC
    }
    fn chosen(&self, plan: &DraftPlan) -> bool {
        matches!(choice(plan), Some(VpcChoice::Existing { .. }))
    }
    fn planned(&self, plan: &DraftPlan, _: &Offerings) -> PlannedResource {
        let settings = match choice(plan) {
            Some(VpcChoice::Existing { id, .. }) => {
                vec![setting("Choice", EXISTING), setting("ID", id.clone())]
            }
            _ => vec![
                setting("Region", plan.location.clone()),
                setting("Address prefixes", "Automatic (one per zone)"),
            ],
        };
        PlannedResource {
            label: "VPC".to_owned(),
            name: self.name(plan),
            settings,
        }
    }
    fn console(&self, _state: &crate::journal::JournalState, _id: &str) -> Option<String> {
        super::console_list("vpc-ext/network/vpcs")
    }
    fn teardown_wording(&self, _: bool) -> String {
        "Deletes the VPC and its default security group, ACL and routing table.".to_owned()
    }
    fn proof(&self) -> Proof {
        Proof {
            time: true,
            creator: false,
            tag: false,
        }
    }

    fn terraform(&self, x: &Exporting) -> Vec<Tf> {
        match choice(x.plan) {
            Some(VpcChoice::Existing { id, name }) => {
                let mut parts = vec![Tf::Chosen {
                    local: LOCAL,
                    value: id.clone(),
                    note: format!("Your VPC {name}: used by the plan, never managed here."),
                }];
                parts.push(match x.detail(StepId::Vpc, detail::SECURITY_GROUP) {
                    Some(sg) => Tf::Chosen {
                        local: SG_LOCAL,
                        value: sg,
                        note: "Its default security group, which the rules below join.".into(),
                    },
                    None => Tf::Variable {
                        name: SG_LOCAL,
                        description: format!(
                            "The id of VPC {name}'s default security group (ibmcloud is vpc-default-security-group {id})"
                        ),
                    },
                });
                let restrict = x.plan.connectivity.as_ref().is_some_and(|c| c.restrict);
                if restrict && x.detail(StepId::CbrZone, detail::VPC_CRN).is_none() {
                    parts.push(Tf::Variable {
                        name: "vpc_crn",
                        description: format!("The CRN of VPC {name} (ibmcloud is vpc {id})"),
                    });
                }
                parts
            }
            _ => TfResource::new(TF.0, TF.1)
                .attr("name", self.name(x.plan))
                .attr("resource_group", x.plan.resource_group_id.clone())
                .import(x.made(StepId::Vpc))
                .done(),
        }
    }

    fn cli(&self, x: &Exporting) -> CliPart {
        let part = CliPart::new("VPC");
        match choice(x.plan) {
            Some(VpcChoice::Existing { id, name }) => part
                .chosen(&format!("VPC {name}"), "VPC_ID", id),
            _ => part
                .line(format!(
                    "VPC_JSON=\"$(ibmcloud is vpc-create {} --resource-group-id {} --output JSON)\"",
                    quote(&self.name(x.plan)),
                    quote(&x.plan.resource_group_id)
                ))
                .line("VPC_ID=\"$(jq -r .id <<<\"$VPC_JSON\")\""),
        }
        .line("SG_ID=\"$(ibmcloud is vpc-default-security-group \"$VPC_ID\" --output JSON | jq -r .id)\"")
    }

    fn curl(&self, x: &Exporting) -> CliPart {
        let q = vpc_query();
        let part = CliPart::new("VPC");
        match choice(x.plan) {
            Some(VpcChoice::Existing { id, name }) => {
                part.chosen(&format!("VPC {name}"), "VPC_ID", id)
            }
            _ => part
                .line(format!(
                    "VPC_ID=\"$({} | jq -r .id)\"",
                    call(
                        "POST",
                        &format!("$VPC_URL/vpcs?{q}"),
                        Some(body(&create_body(&self.name(x.plan), x.plan)))
                    )
                ))
                .wait(
                    "the VPC",
                    "available",
                    5,
                    &format!("api GET \"$VPC_URL/vpcs/$VPC_ID?{q}\" | jq -r .status"),
                ),
        }
        .line(format!(
            "SG_ID=\"$(api GET \"$VPC_URL/vpcs/$VPC_ID/default_security_group?{q}\" | jq -r .id)\""
        ))
    }

    fn look<'a>(&'a self, run: &'a Run) -> Work<'a, Vec<Found>> {
        Box::pin(async move {
            let vpc = run.vpc_client()?;
            let name = self.name(&run.plan());
            Ok(namesakes(&name, run.call(vpc.list_vpcs(None)).await?))
        })
    }

    fn create<'a>(&'a self, run: &'a Run) -> Work<'a, Result<Found, CloudError>> {
        Box::pin(async move {
            let vpc = run.vpc_client()?;
            let plan = run.plan();
            Ok(vpc
                .create_vpc(&create_body(&self.name(&plan), &plan), Idempotency::Unsafe)
                .await
                .map(found))
        })
    }

    fn adopt_chosen<'a>(&'a self, run: &'a Run) -> Work<'a, Found> {
        Box::pin(async move {
            let Some(VpcChoice::Existing { id, .. }) = choice(&run.plan()).cloned() else {
                return Err(AppError::internal("the plan chose no VPC").into());
            };
            let vpc = run.vpc_client()?;
            Ok(found(run.call(vpc.get_vpc(&id)).await?))
        })
    }

    fn wait<'a>(&'a self, run: &'a Run, id: &'a str) -> Work<'a, ()> {
        Box::pin(async move {
            let step = StepId::Vpc;
            let vpc = run.vpc_client()?;
            let ready = run
                .wait_until(
                    step,
                    "VPC",
                    Duration::ZERO,
                    || vpc.get_vpc(id),
                    |v| {
                        let (state, readiness) = vpc_status(v.status.as_ref());
                        (state, None, readiness, None)
                    },
                )
                .await?;
            if !run
                .state()
                .step(step)
                .detail
                .contains_key(detail::SECURITY_GROUP)
            {
                let sg = match ready.default_security_group {
                    Some(sg) => sg.id,
                    None => run.call(vpc.default_security_group(&ready.id)).await?.id,
                };
                run.note(step, one(detail::SECURITY_GROUP, sg))?;
            }
            Ok(())
        })
    }

    fn delete<'a>(&'a self, run: &'a Run, id: &'a str, _: &'a StepRecord) -> Work<'a, ()> {
        Box::pin(async move {
            let vpc = run.vpc_client()?;
            run.delete_and_wait(
                StepId::Vpc,
                "VPC",
                || vpc.delete_vpc(id),
                || vpc.get_vpc(id),
                |_| false,
            )
            .await
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

    fn listed(name: &str, created_at: String) -> Vpc {
        serde_json::from_value(serde_json::json!({
            "id": format!("r018-{name}"), "crn": format!("crn:vpc:{name}"), "name": name,
            "created_at": created_at, "default_security_group": {"id": "sg-1"}
        }))
        .unwrap()
    }

    #[test]
    fn the_default_name_carries_the_plans_suffix() {
        assert_eq!(VPC.name(&plan()), "onramp-vpc-3f2a");
    }

    #[test]
    fn a_namesake_made_before_the_plan_asked_is_a_strangers() {
        let p = plan();
        let name = VPC.name(&p);
        let found = namesakes(&name, vec![listed(&name, at(-30)), listed("other", at(1))]);
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0]
                .detail
                .get(detail::SECURITY_GROUP)
                .map(String::as_str),
            Some("sg-1")
        );
        assert!(matches!(
            judge(&found[0], VPC.proof(), &asked(), ""),
            Verdict::NotOurs(_)
        ));
        let later = &namesakes(&name, vec![listed(&name, at(1))])[0];
        assert_eq!(judge(later, VPC.proof(), &asked(), ""), Verdict::Ours);
    }

    #[test]
    fn a_chosen_vpc_is_used_not_made() {
        let mut p = plan();
        assert!(!VPC.chosen(&p));
        if let Some(c) = p.connectivity.as_mut() {
            c.vpc = VpcChoice::Existing {
                id: "r018-x".into(),
                name: "team-vpc".into(),
            };
        }
        assert!(VPC.chosen(&p));
        assert!(VPC
            .planned(
                &p,
                &Offerings {
                    locations: vec![],
                    resource_groups: vec![]
                }
            )
            .settings
            .iter()
            .any(|s| s.value.contains("teardown keeps it")));
    }
}
