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

fn choice(plan: &DraftPlan) -> Option<&VpcChoice> {
    plan.connectivity.as_ref().map(|c| &c.vpc)
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
            let body = CreateVpc {
                name: Some(self.name(&plan)),
                resource_group: Some(IdRef::new(&plan.resource_group_id)),
                ..CreateVpc::default()
            };
            Ok(vpc.create_vpc(&body, Idempotency::Unsafe).await.map(found))
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
