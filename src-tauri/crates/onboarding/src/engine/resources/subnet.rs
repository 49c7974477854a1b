//! The subnet the jump server and the VPE's reserved IP live in: made new in the plan's
//! VPC (16 addresses in the location's first zone by default), or the user's own. Its zone
//! and address block are journalled; the jump server is made in that zone.

use std::{collections::BTreeMap, time::Duration};

use onramp_cloud::{
    vpc::{CreateSubnet, IdRef, NameRef, Subnet},
    CloudError, Idempotency,
};

use super::{
    super::{
        resource::{Found, Proof, Resource, Work},
        run::Run,
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
    connectivity::{field, SubnetChoice},
    journal::{StepId, StepRecord},
    plan::{DraftPlan, Offerings},
    review::{setting, PlannedResource},
    AppError,
};

pub(crate) struct SubnetKind;
pub(crate) static SUBNET: SubnetKind = SubnetKind;

fn facts(subnet: &Subnet) -> BTreeMap<String, String> {
    let mut d = BTreeMap::new();
    if let Some(z) = &subnet.zone {
        d.insert(detail::ZONE.to_owned(), z.name.clone());
    }
    if let Some(cidr) = &subnet.ipv4_cidr_block {
        d.insert(detail::CIDR.to_owned(), cidr.clone());
    }
    d
}

fn found(subnet: Subnet) -> Found {
    Found {
        detail: facts(&subnet),
        id: subnet.id,
        name: subnet.name,
        crn: Some(subnet.crn),
        created_at: subnet.created_at,
        ..Found::default()
    }
}

/// The VPC's subnets that carry `name`.
pub(crate) fn namesakes(name: &str, listed: Vec<Subnet>) -> Vec<Found> {
    listed
        .into_iter()
        .filter(|s| s.name == name)
        .map(found)
        .collect()
}

/// The create body: a subnet of `vpc_id` in `zone` with `address_count` addresses.
fn create_body(
    plan: &DraftPlan,
    name: &str,
    zone: &str,
    address_count: i64,
    vpc_id: &str,
) -> CreateSubnet {
    CreateSubnet {
        name: Some(name.to_owned()),
        vpc: IdRef::new(vpc_id),
        zone: Some(NameRef::new(zone)),
        total_ipv4_address_count: u32::try_from(address_count).ok(),
        ipv4_cidr_block: None,
        ip_version: None,
        resource_group: Some(IdRef::new(&plan.resource_group_id)),
        network_acl: None,
        public_gateway: None,
        routing_table: None,
    }
}

fn choice(plan: &DraftPlan) -> Option<&SubnetChoice> {
    plan.connectivity.as_ref().map(|c| &c.subnet)
}

/// Where the Terraform export declares the subnet it makes.
pub(crate) const TF: (&str, &str) = ("ibm_is_subnet", "subnet");
const LOCAL: &str = "subnet_id";

/// The subnet's id in the Terraform export.
pub(crate) fn tf_id(x: &Exporting) -> hcl::Expression {
    id_of(SUBNET.chosen(x.plan), &format!("{}.{}", TF.0, TF.1), LOCAL)
}

/// The subnet's zone in the Terraform export: the plan's, or the chosen subnet's.
pub(crate) fn tf_zone(x: &Exporting) -> hcl::Expression {
    match choice(x.plan) {
        Some(SubnetChoice::New { zone, .. }) => zone.clone().into(),
        _ => match x.detail(StepId::Subnet, detail::ZONE) {
            Some(zone) => zone.into(),
            None => reference("var.subnet_zone"),
        },
    }
}

impl Resource for SubnetKind {
    fn step(&self) -> StepId {
        StepId::Subnet
    }
    fn label(&self) -> &'static str {
        "Subnet"
    }
    fn noun(&self) -> &'static str {
        "subnet"
    }
    fn estimate(&self, _: &Timing) -> Duration {
        Duration::from_secs(10)
    }
    fn name(&self, plan: &DraftPlan) -> String {
        plan.connectivity
            .as_ref()
            .map(|c| c.subnet_name().to_owned())
            .unwrap_or_default()
    }
    fn field(&self) -> &'static str {
        field::SUBNET
    }
    fn chosen(&self, plan: &DraftPlan) -> bool {
        matches!(choice(plan), Some(SubnetChoice::Existing { .. }))
    }
    fn planned(&self, plan: &DraftPlan, _: &Offerings) -> PlannedResource {
        let settings = match choice(plan) {
            Some(SubnetChoice::Existing { id, .. }) => {
                vec![setting("Choice", EXISTING), setting("ID", id.clone())]
            }
            Some(SubnetChoice::New {
                zone,
                address_count,
                ..
            }) => vec![
                setting("Zone", zone.clone()),
                setting(
                    "Size",
                    format!("{address_count} addresses (IBM keeps 5 of them)"),
                ),
            ],
            None => vec![],
        };
        PlannedResource {
            label: "Subnet".to_owned(),
            name: self.name(plan),
            settings,
        }
    }
    fn console(&self, _state: &crate::journal::JournalState, _id: &str) -> Option<String> {
        super::console_list("vpc-ext/network/subnets")
    }
    fn teardown_wording(&self, _: bool) -> String {
        "Deletes the subnet (once nothing uses it).".to_owned()
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
            Some(SubnetChoice::New {
                name,
                zone,
                address_count,
            }) => TfResource::new(TF.0, TF.1)
                .attr("name", name.clone())
                .attr("vpc", super::vpc::tf_id(x))
                .attr("zone", zone.clone())
                .attr("total_ipv4_address_count", *address_count)
                .attr("resource_group", x.plan.resource_group_id.clone())
                .import(x.made(StepId::Subnet))
                .done(),
            Some(SubnetChoice::Existing { id, name }) => {
                let mut parts = vec![Tf::Chosen {
                    local: LOCAL,
                    value: id.clone(),
                    note: format!("Your subnet {name}: used by the plan, never managed here."),
                }];
                if x.detail(StepId::Subnet, detail::ZONE).is_none() {
                    parts.push(Tf::Variable {
                        name: "subnet_zone",
                        description: format!("The zone of subnet {name} (ibmcloud is subnet {id})"),
                    });
                }
                parts
            }
            None => Vec::new(),
        }
    }

    fn cli(&self, x: &Exporting) -> CliPart {
        let part = CliPart::new("Subnet");
        match choice(x.plan) {
            Some(SubnetChoice::New {
                name,
                zone,
                address_count,
            }) => part
                .line(format!(
                    "SUBNET_ID=\"$(ibmcloud is subnet-create {} \"$VPC_ID\" --zone {} --ipv4-address-count {address_count} --resource-group-id {} --output JSON | jq -r .id)\"",
                    quote(name),
                    quote(zone),
                    quote(&x.plan.resource_group_id)
                ))
                .line(format!("ZONE={}", quote(zone))),
            Some(SubnetChoice::Existing { id, name }) => part
                .chosen(&format!("subnet {name}"), "SUBNET_ID", id)
                .line(match x.detail(StepId::Subnet, detail::ZONE) {
                    Some(zone) => format!("ZONE={}", quote(&zone)),
                    None => format!(": \"${{ZONE:?Set ZONE to the zone of subnet {name}}}\""),
                }),
            None => part,
        }
    }

    fn curl(&self, x: &Exporting) -> CliPart {
        let q = vpc_query();
        let part = CliPart::new("Subnet");
        match choice(x.plan) {
            Some(SubnetChoice::New {
                name,
                zone,
                address_count,
            }) => part
                .line(format!(
                    "SUBNET_ID=\"$({} | jq -r .id)\"",
                    call(
                        "POST",
                        &format!("$VPC_URL/subnets?{q}"),
                        Some(body(&create_body(
                            x.plan,
                            name,
                            zone,
                            *address_count,
                            "$VPC_ID"
                        )))
                    )
                ))
                .line(format!("ZONE={}", quote(zone)))
                .wait(
                    "the subnet",
                    "available",
                    5,
                    &format!("api GET \"$VPC_URL/subnets/$SUBNET_ID?{q}\" | jq -r .status"),
                ),
            Some(SubnetChoice::Existing { id, name }) => part
                .chosen(&format!("subnet {name}"), "SUBNET_ID", id)
                .line(format!(
                    "ZONE=\"$(api GET \"$VPC_URL/subnets/$SUBNET_ID?{q}\" | jq -r .zone.name)\""
                )),
            None => part,
        }
    }

    fn look<'a>(&'a self, run: &'a Run) -> Work<'a, Vec<Found>> {
        Box::pin(async move {
            // Without the VPC there is nowhere a subnet of this plan could be.
            let Some(vpc_id) = run.state().step(StepId::Vpc).id else {
                return Ok(Vec::new());
            };
            let vpc = run.vpc_client()?;
            let name = self.name(&run.plan());
            Ok(namesakes(
                &name,
                run.call(vpc.list_subnets(Some(&vpc_id), None)).await?,
            ))
        })
    }

    fn create<'a>(&'a self, run: &'a Run) -> Work<'a, Result<Found, CloudError>> {
        Box::pin(async move {
            let plan = run.plan();
            let Some(SubnetChoice::New {
                name,
                zone,
                address_count,
            }) = choice(&plan).cloned()
            else {
                return Err(AppError::internal("the plan makes no subnet").into());
            };
            let vpc_id = run.id_of(StepId::Vpc)?;
            let vpc = run.vpc_client()?;
            let body = create_body(&plan, &name, &zone, address_count, &vpc_id);
            Ok(vpc
                .create_subnet(&body, Idempotency::Unsafe)
                .await
                .map(found))
        })
    }

    fn adopt_chosen<'a>(&'a self, run: &'a Run) -> Work<'a, Found> {
        Box::pin(async move {
            let Some(SubnetChoice::Existing { id, .. }) = choice(&run.plan()).cloned() else {
                return Err(AppError::internal("the plan chose no subnet").into());
            };
            let vpc = run.vpc_client()?;
            Ok(found(run.call(vpc.get_subnet(&id)).await?))
        })
    }

    fn wait<'a>(&'a self, run: &'a Run, id: &'a str) -> Work<'a, ()> {
        Box::pin(async move {
            let vpc = run.vpc_client()?;
            let ready = run
                .wait_until(
                    StepId::Subnet,
                    "subnet",
                    Duration::ZERO,
                    || vpc.get_subnet(id),
                    |s| {
                        let (state, readiness) = vpc_status(s.status.as_ref());
                        (state, None, readiness, None)
                    },
                )
                .await?;
            run.note(StepId::Subnet, facts(&ready))
        })
    }

    fn delete<'a>(&'a self, run: &'a Run, id: &'a str, _: &'a StepRecord) -> Work<'a, ()> {
        Box::pin(async move {
            let vpc = run.vpc_client()?;
            run.delete_and_wait(
                StepId::Subnet,
                "subnet",
                || vpc.delete_subnet(id),
                || vpc.get_subnet(id),
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

    fn listed(name: &str, created_at: String) -> Subnet {
        serde_json::from_value(serde_json::json!({
            "id": format!("sub-{name}"), "crn": format!("crn:subnet:{name}"), "name": name,
            "created_at": created_at, "zone": {"name": "ca-mon-1"}, "ipv4_cidr_block": "10.0.0.0/28"
        }))
        .unwrap()
    }

    #[test]
    fn namesakes_carry_their_zone_and_block_and_prove_by_time() {
        let name = SUBNET.name(&plan());
        assert_eq!(name, "onramp-subnet-3f2a");
        let found = namesakes(&name, vec![listed(&name, at(2)), listed("other", at(2))]);
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].detail.get(detail::ZONE).map(String::as_str),
            Some("ca-mon-1")
        );
        assert_eq!(
            judge(&found[0], SUBNET.proof(), &asked(), ""),
            Verdict::Ours
        );
        let old = &namesakes(&name, vec![listed(&name, at(-20))])[0];
        assert!(matches!(
            judge(old, SUBNET.proof(), &asked(), ""),
            Verdict::NotOurs(_)
        ));
    }
}
