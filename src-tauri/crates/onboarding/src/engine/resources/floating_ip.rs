//! The jump server's floating IP: the public address the desktop reaches it on (SSH, 22),
//! bound to its network interface at create. Released by teardown. A namesake bound to
//! another interface is someone else's, whatever its age.

use std::time::Duration;

use onramp_cloud::{
    vpc::{CreateFloatingIp, FloatingIp, IdRef},
    CloudError, Idempotency,
};

use super::{
    super::{
        resource::{Found, Proof, Resource, Work},
        run::{one, Run, Stop},
        Timing,
    },
    detail, vpc_status,
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
};

pub(crate) struct FloatingIpKind;
pub(crate) static FLOATING_IP: FloatingIpKind = FloatingIpKind;

fn found(fip: FloatingIp) -> Found {
    Found {
        detail: fip
            .address
            .clone()
            .map(|a| one(detail::ADDRESS, a))
            .unwrap_or_default(),
        id: fip.id,
        name: fip.name,
        crn: Some(fip.crn),
        created_at: fip.created_at,
        ..Found::default()
    }
}

/// The region's floating IPs that carry `name`; one bound elsewhere than `nic` (the jump
/// server's interface, when known) is someone else's.
pub(crate) fn namesakes(name: &str, nic: Option<&str>, listed: Vec<FloatingIp>) -> Vec<Found> {
    listed
        .into_iter()
        .filter(|f| f.name == name)
        .map(|f| {
            let bound = f.target.as_ref().map(|t| t.id.clone());
            let mut found = found(f);
            if let (Some(nic), Some(bound)) = (nic, bound) {
                if nic != bound {
                    found.mismatch = Some("it is bound to another server's interface".into());
                }
            }
            found
        })
        .collect()
}

impl FloatingIpKind {
    /// The jump server's network interface, as its step journalled it (or asked now).
    async fn interface(&self, run: &Run) -> Result<Option<String>, Stop> {
        let jump = run.state().step(StepId::JumpVsi);
        if let Some(nic) = jump.detail.get(detail::NETWORK_INTERFACE) {
            return Ok(Some(nic.clone()));
        }
        let Some(id) = jump.id else { return Ok(None) };
        let vpc = run.vpc_client()?;
        Ok(run
            .call(vpc.get_instance(&id))
            .await?
            .primary_network_interface
            .map(|n| n.id))
    }
}

/// The create body: the plan's name for it, bound to the jump server's interface `nic`.
fn create_body(plan: &DraftPlan, name: String, nic: &str) -> CreateFloatingIp {
    CreateFloatingIp {
        name: Some(name),
        target: Some(IdRef::new(nic)),
        zone: None,
        resource_group: Some(IdRef::new(&plan.resource_group_id)),
    }
}

impl Resource for FloatingIpKind {
    fn step(&self) -> StepId {
        StepId::FloatingIp
    }
    fn label(&self) -> &'static str {
        "Floating IP of the jump server"
    }
    fn noun(&self) -> &'static str {
        "floating IP"
    }
    fn estimate(&self, _: &Timing) -> Duration {
        Duration::from_secs(10)
    }
    fn name(&self, plan: &DraftPlan) -> String {
        plan.connectivity
            .as_ref()
            .map(|c| c.floating_ip_name())
            .unwrap_or_default()
    }
    fn field(&self) -> &'static str {
        field::JUMP_NAME
    }
    fn planned(&self, plan: &DraftPlan, _: &Offerings) -> PlannedResource {
        let jump = plan
            .connectivity
            .as_ref()
            .map(|c| c.jump.name.clone())
            .unwrap_or_default();
        PlannedResource {
            label: "Floating IP".to_owned(),
            name: self.name(plan),
            settings: vec![setting(
                "Bound to",
                format!("{jump} (its network interface)"),
            )],
        }
    }
    fn console(&self, _state: &crate::journal::JournalState, _id: &str) -> Option<String> {
        super::console_list("vpc-ext/network/floatingIPs")
    }
    fn teardown_wording(&self, _: bool) -> String {
        "Releases the public address of the jump server.".to_owned()
    }
    fn proof(&self) -> Proof {
        Proof {
            time: true,
            creator: false,
            tag: false,
        }
    }

    fn terraform(&self, x: &Exporting) -> Vec<Tf> {
        let jump = format!("{}.{}", super::jump_server::TF.0, super::jump_server::TF.1);
        TfResource::new("ibm_is_floating_ip", "jump")
            .attr("name", self.name(x.plan))
            .attr(
                "target",
                reference(&format!("{jump}.primary_network_interface[0].id")),
            )
            .attr("resource_group", x.plan.resource_group_id.clone())
            .import(x.made(StepId::FloatingIp))
            .done()
    }

    fn cli(&self, x: &Exporting) -> CliPart {
        CliPart::new("Floating IP").line(format!(
            "FLOATING_IP=\"$(ibmcloud is floating-ip-reserve {} --nic \"$NIC_ID\" --in \"$VSI_ID\" --resource-group-id {} --output JSON | jq -r .address)\"",
            quote(&self.name(x.plan)),
            quote(&x.plan.resource_group_id)
        ))
        .line("echo \"Jump server: $FLOATING_IP\"")
    }

    fn curl(&self, x: &Exporting) -> CliPart {
        CliPart::new("Floating IP")
            .line(format!(
                "FLOATING_IP=\"$({} | jq -r .address)\"",
                call(
                    "POST",
                    &format!("$VPC_URL/floating_ips?{}", vpc_query()),
                    Some(body(&create_body(x.plan, self.name(x.plan), "$NIC_ID")))
                )
            ))
            .line("echo \"Jump server: $FLOATING_IP\"")
    }

    fn look<'a>(&'a self, run: &'a Run) -> Work<'a, Vec<Found>> {
        Box::pin(async move {
            let nic = self.interface(run).await?;
            let vpc = run.vpc_client()?;
            let name = self.name(&run.plan());
            Ok(namesakes(
                &name,
                nic.as_deref(),
                run.call(vpc.list_floating_ips()).await?,
            ))
        })
    }

    fn create<'a>(&'a self, run: &'a Run) -> Work<'a, Result<Found, CloudError>> {
        Box::pin(async move {
            let nic = self.interface(run).await?.unwrap_or_default();
            let vpc = run.vpc_client()?;
            let plan = run.plan();
            let body = create_body(&plan, self.name(&plan), &nic);
            Ok(vpc
                .create_floating_ip(&body, Idempotency::Unsafe)
                .await
                .map(found))
        })
    }

    fn wait<'a>(&'a self, run: &'a Run, id: &'a str) -> Work<'a, ()> {
        Box::pin(async move {
            let vpc = run.vpc_client()?;
            let ready = run
                .wait_until(
                    StepId::FloatingIp,
                    "floating IP",
                    Duration::ZERO,
                    || vpc.get_floating_ip(id),
                    |f| {
                        let (state, readiness) = vpc_status(f.status.as_ref());
                        (state, None, readiness, None)
                    },
                )
                .await?;
            match ready.address {
                Some(address) => run.note(StepId::FloatingIp, one(detail::ADDRESS, address)),
                None => Ok(()),
            }
        })
    }

    fn delete<'a>(&'a self, run: &'a Run, id: &'a str, _: &'a StepRecord) -> Work<'a, ()> {
        Box::pin(async move {
            let vpc = run.vpc_client()?;
            run.delete_and_wait(
                StepId::FloatingIp,
                "floating IP",
                || vpc.delete_floating_ip(id),
                || vpc.get_floating_ip(id),
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

    fn listed(name: &str, nic: &str, created_at: String) -> FloatingIp {
        serde_json::from_value(serde_json::json!({
            "id": format!("fip-{nic}"), "crn": "crn:fip", "name": name, "address": "203.0.113.9",
            "created_at": created_at, "target": {"id": nic}
        }))
        .unwrap()
    }

    #[test]
    fn a_namesake_on_another_interface_is_a_strangers() {
        let name = FLOATING_IP.name(&plan());
        assert_eq!(name, "onramp-jump-3f2a-ip");
        let ours = &namesakes(&name, Some("nic-1"), vec![listed(&name, "nic-1", at(1))])[0];
        assert_eq!(
            ours.detail.get(detail::ADDRESS).map(String::as_str),
            Some("203.0.113.9")
        );
        assert_eq!(
            judge(ours, FLOATING_IP.proof(), &asked(), ""),
            Verdict::Ours
        );
        let elsewhere = &namesakes(&name, Some("nic-1"), vec![listed(&name, "nic-2", at(1))])[0];
        assert!(matches!(
            judge(elsewhere, FLOATING_IP.proof(), &asked(), ""),
            Verdict::NotOurs(_)
        ));
    }
}
