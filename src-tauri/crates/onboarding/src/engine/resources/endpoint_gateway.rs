//! The VPE gateway: the database's private endpoint inside the plan's VPC, with a reserved
//! IP in the plan's subnet (released with the gateway). Made once the database is active,
//! since it targets the database's CRN. Its address and the private host name it answers
//! for are journalled for Connect. A namesake targeting something else is someone else's.

use std::{collections::BTreeMap, time::Duration};

use onramp_cloud::{
    vpc::{
        CreateEndpointGateway, EndpointGateway, EndpointGatewayIpPrototype,
        EndpointGatewayTargetPrototype, IdRef, LifecycleState,
    },
    CloudError, Idempotency,
};

use super::{
    super::{
        resource::{Found, Proof, Resource, Work},
        run::{one, Readiness, Run, Stop},
        Timing,
    },
    detail,
};
use crate::export::curl::{body, call, vpc_query};
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
    AppError,
};

pub(crate) struct EndpointGatewayKind;
pub(crate) static ENDPOINT_GATEWAY: EndpointGatewayKind = EndpointGatewayKind;

fn found(gateway: EndpointGateway) -> Found {
    Found {
        detail: gateway
            .target
            .as_ref()
            .and_then(|t| t.crn.clone())
            .map(|crn| one(detail::TARGET, crn))
            .unwrap_or_default(),
        id: gateway.id,
        name: gateway.name,
        crn: Some(gateway.crn),
        created_at: gateway.created_at,
        ..Found::default()
    }
}

/// The VPC's gateways that carry `name`; one that targets another service than `target`
/// (the database's CRN) is someone else's.
pub(crate) fn namesakes(name: &str, target: &str, listed: Vec<EndpointGateway>) -> Vec<Found> {
    listed
        .into_iter()
        .filter(|g| g.name == name)
        .map(|g| {
            let aims = g.target.as_ref().and_then(|t| t.crn.clone());
            let mut f = found(g);
            if aims.as_deref() != Some(target) {
                f.mismatch = Some("it reaches another service than this plan's database".into());
            }
            f
        })
        .collect()
}

impl EndpointGatewayKind {
    /// The database's CRN (the journal's id is the CRN; asked for when it is a GUID).
    async fn target(&self, run: &Run) -> Result<String, Stop> {
        let instance = run.id_of(StepId::Instance)?;
        if instance.starts_with("crn:") {
            return Ok(instance);
        }
        let rc = run
            .ctx
            .cloud
            .resource_controller()
            .map_err(AppError::from_cloud)?;
        Ok(run.call(rc.get_instance(&instance)).await?.crn)
    }
}

/// The create body: a gateway in `vpc_id` to the database `crn`, with a reserved IP in
/// `subnet_id`.
fn create_body(
    plan: &DraftPlan,
    c: &crate::connectivity::Connectivity,
    vpc_id: &str,
    subnet_id: &str,
    crn: String,
) -> CreateEndpointGateway {
    CreateEndpointGateway {
        name: Some(c.vpe_name.clone()),
        vpc: IdRef::new(vpc_id),
        target: EndpointGatewayTargetPrototype {
            crn: Some(crn),
            name: None,
            resource_type: "provider_cloud_service".into(),
        },
        ips: vec![EndpointGatewayIpPrototype {
            subnet: Some(IdRef::new(subnet_id)),
            name: Some(c.vpe_ip_name()),
            // Released with the gateway, so the subnet can go after it.
            auto_delete: Some(true),
            ..EndpointGatewayIpPrototype::default()
        }],
        security_groups: vec![],
        resource_group: Some(IdRef::new(&plan.resource_group_id)),
        dns_resolution_binding_mode: None,
    }
}

impl Resource for EndpointGatewayKind {
    fn step(&self) -> StepId {
        StepId::Vpe
    }
    fn label(&self) -> &'static str {
        "Endpoint gateway (VPE) to the database"
    }
    fn noun(&self) -> &'static str {
        "endpoint gateway"
    }
    fn estimate(&self, _: &Timing) -> Duration {
        Duration::from_secs(30)
    }
    fn name(&self, plan: &DraftPlan) -> String {
        plan.connectivity
            .as_ref()
            .map(|c| c.vpe_name.clone())
            .unwrap_or_default()
    }
    fn field(&self) -> &'static str {
        field::VPE_NAME
    }
    fn planned(&self, plan: &DraftPlan, _: &Offerings) -> PlannedResource {
        let settings = match plan.connectivity.as_ref() {
            Some(c) => vec![
                setting(
                    "Target",
                    format!("The database '{}' (its CRN), once it is active", plan.name),
                ),
                setting(
                    "Reserved IP",
                    format!("{} in the subnet {}", c.vpe_ip_name(), c.subnet_name()),
                ),
                setting("Security group", "The VPC's default security group"),
            ],
            None => vec![],
        };
        PlannedResource {
            label: "Endpoint gateway (VPE)".to_owned(),
            name: self.name(plan),
            settings,
        }
    }
    fn console(&self, _state: &crate::journal::JournalState, _id: &str) -> Option<String> {
        super::console_list("vpc-ext/network/endpointGateways")
    }
    fn teardown_wording(&self, _: bool) -> String {
        "Deletes the endpoint gateway and releases its reserved IP; the database is no longer reachable from the VPC.".to_owned()
    }
    fn proof(&self) -> Proof {
        Proof {
            time: true,
            creator: false,
            tag: false,
        }
    }

    fn terraform(&self, x: &Exporting) -> Vec<Tf> {
        let Some(c) = x.plan.connectivity.as_ref() else {
            return Vec::new();
        };
        let crn = super::database::tf_ref(x, "crn");
        TfResource::new("ibm_is_virtual_endpoint_gateway", "database")
            .attr("name", c.vpe_name.clone())
            .attr("vpc", super::vpc::tf_id(x))
            .attr("resource_group", x.plan.resource_group_id.clone())
            .attr(
                "security_groups",
                hcl::Expression::Array(vec![super::vpc::tf_security_group(x)]),
            )
            .block(
                hcl::Block::builder("target")
                    .add_attribute(("crn", reference(&crn)))
                    .add_attribute(("resource_type", "provider_cloud_service"))
                    .build(),
            )
            .block(
                hcl::Block::builder("ips")
                    .add_attribute(("subnet", super::subnet::tf_id(x)))
                    .add_attribute(("name", c.vpe_ip_name()))
                    .build(),
            )
            .timeouts(&[("create", "30m"), ("delete", "30m")])
            .import(x.made(StepId::Vpe))
            .done()
    }

    fn cli(&self, x: &Exporting) -> CliPart {
        let Some(c) = x.plan.connectivity.as_ref() else {
            return CliPart::new("Endpoint gateway");
        };
        CliPart::new("Endpoint gateway (VPE) to the database")
            .line(format!(
                "VPE_IP=\"$(jq -cn --arg subnet \"$SUBNET_ID\" --arg name {} '{{subnet: {{id: $subnet}}, name: $name, auto_delete: true}}')\"",
                quote(&c.vpe_ip_name())
            ))
            .line(format!(
                "VPE_ID=\"$(ibmcloud is endpoint-gateway-create --target \"$DB_CRN\" --target-type provider_cloud_service --vpc \"$VPC_ID\" --name {} --new-reserved-ip \"$VPE_IP\" --sg \"$SG_ID\" --resource-group-id {} --output JSON | jq -r .id)\"",
                quote(&c.vpe_name),
                quote(&x.plan.resource_group_id)
            ))
            .wait("the endpoint gateway", "stable", 10, "ibmcloud is endpoint-gateway \"$VPE_ID\" --output JSON | jq -r .lifecycle_state")
    }

    fn curl(&self, x: &Exporting) -> CliPart {
        let Some(c) = x.plan.connectivity.as_ref() else {
            return CliPart::new("Endpoint gateway");
        };
        let q = vpc_query();
        let request = create_body(x.plan, c, "$VPC_ID", "$SUBNET_ID", "$DB_CRN".to_owned());
        CliPart::new("Endpoint gateway (VPE) to the database")
            .line(format!(
                "VPE_ID=\"$({} | jq -r .id)\"",
                call(
                    "POST",
                    &format!("$VPC_URL/endpoint_gateways?{q}"),
                    Some(body(&request))
                )
            ))
            .wait(
                "the endpoint gateway",
                "stable",
                10,
                &format!(
                    "api GET \"$VPC_URL/endpoint_gateways/$VPE_ID?{q}\" | jq -r .lifecycle_state"
                ),
            )
    }

    fn look<'a>(&'a self, run: &'a Run) -> Work<'a, Vec<Found>> {
        Box::pin(async move {
            let Some(vpc_id) = run.state().step(StepId::Vpc).id else {
                return Ok(Vec::new());
            };
            let target = match run.state().step(StepId::Instance).id {
                Some(_) => self.target(run).await?,
                None => String::new(),
            };
            let vpc = run.vpc_client()?;
            let name = self.name(&run.plan());
            Ok(namesakes(
                &name,
                &target,
                run.call(vpc.list_endpoint_gateways(Some(&vpc_id), Some(&name)))
                    .await?,
            ))
        })
    }

    fn create<'a>(&'a self, run: &'a Run) -> Work<'a, Result<Found, CloudError>> {
        Box::pin(async move {
            let c = run.connectivity()?;
            let plan = run.plan();
            let vpc_id = run.id_of(StepId::Vpc)?;
            let subnet_id = run.id_of(StepId::Subnet)?;
            let crn = self.target(run).await?;
            let vpc = run.vpc_client()?;
            let body = create_body(&plan, &c, &vpc_id, &subnet_id, crn);
            Ok(vpc
                .create_endpoint_gateway(&body, Idempotency::Unsafe)
                .await
                .map(found))
        })
    }

    fn wait<'a>(&'a self, run: &'a Run, id: &'a str) -> Work<'a, ()> {
        Box::pin(async move {
            let vpc = run.vpc_client()?;
            let ready = run
                .wait_until(
                    StepId::Vpe,
                    "endpoint gateway",
                    Duration::ZERO,
                    || vpc.get_endpoint_gateway(id),
                    |g| {
                        let state = g
                            .lifecycle_state
                            .as_ref()
                            .map(|s| s.as_str().to_owned())
                            .unwrap_or_else(|| "unknown".into());
                        let readiness = match g.lifecycle_state {
                            Some(LifecycleState::Stable) if !g.ips.is_empty() => Readiness::Ready,
                            Some(LifecycleState::Failed) => Readiness::Failed(format!(
                                "The endpoint gateway is {state}: {}",
                                g.lifecycle_reasons
                                    .iter()
                                    .filter_map(|r| r.message.clone())
                                    .collect::<Vec<_>>()
                                    .join("; ")
                            )),
                            _ => Readiness::Waiting,
                        };
                        (state, None, readiness, None)
                    },
                )
                .await?;
            let mut facts = BTreeMap::new();
            if let Some(address) = ready.ips.first().and_then(|ip| ip.address.clone()) {
                facts.insert(detail::ADDRESS.to_owned(), address);
            }
            if let Some(host) = ready.service_endpoints.first() {
                facts.insert(detail::HOST_NAME.to_owned(), host.clone());
            }
            if let Some(crn) = ready.target.as_ref().and_then(|t| t.crn.clone()) {
                facts.insert(detail::TARGET.to_owned(), crn);
            }
            run.note(StepId::Vpe, facts)
        })
    }

    fn delete<'a>(&'a self, run: &'a Run, id: &'a str, _: &'a StepRecord) -> Work<'a, ()> {
        Box::pin(async move {
            let vpc = run.vpc_client()?;
            run.delete_and_wait(
                StepId::Vpe,
                "endpoint gateway",
                || vpc.delete_endpoint_gateway(id),
                || vpc.get_endpoint_gateway(id),
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

    fn listed(name: &str, target: &str, created_at: String) -> EndpointGateway {
        serde_json::from_value(serde_json::json!({
            "id": format!("vpe-{target}"), "crn": "crn:vpe", "name": name,
            "created_at": created_at, "target": {"crn": target}
        }))
        .unwrap()
    }

    #[test]
    fn a_namesake_to_another_service_is_a_strangers() {
        let name = ENDPOINT_GATEWAY.name(&plan());
        assert_eq!(name, "onramp-vpe-3f2a");
        let ours = &namesakes(&name, "crn:db", vec![listed(&name, "crn:db", at(1))])[0];
        assert_eq!(
            judge(ours, ENDPOINT_GATEWAY.proof(), &asked(), ""),
            Verdict::Ours
        );
        let other = &namesakes(&name, "crn:db", vec![listed(&name, "crn:other", at(1))])[0];
        assert!(matches!(
            judge(other, ENDPOINT_GATEWAY.proof(), &asked(), ""),
            Verdict::NotOurs(_)
        ));
    }
}
