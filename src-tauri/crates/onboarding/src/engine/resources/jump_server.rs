//! The jump server: a small virtual server in the plan's subnet, reachable over SSH with
//! the plan's login key, whose SSH host key Onramp generates and installs through cloud-init
//! (`user_data`), so the first connection needs no trust on first use. The host key's
//! public line is journalled before the create; its private half exists only in that
//! create's `user_data`.

use std::time::Duration;

use onramp_cloud::{
    vpc::{
        CreateInstance, IdRef, Instance, InstanceStatus, LifecycleState, NameRef,
        NetworkInterfacePrototype,
    },
    CloudError, Idempotency,
};
use onramp_secrets::Sensitive;

use super::{
    super::{
        resource::{Found, Proof, Resource, Work},
        run::{one, Readiness, Run},
        Timing,
    },
    detail,
};
use crate::export::curl::{body, call, vpc_query};
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

pub(crate) struct JumpServer;
pub(crate) static JUMP_SERVER: JumpServer = JumpServer;

fn found(instance: Instance) -> Found {
    Found {
        detail: instance
            .primary_network_interface
            .as_ref()
            .map(|n| one(detail::NETWORK_INTERFACE, n.id.clone()))
            .unwrap_or_default(),
        id: instance.id,
        name: instance.name,
        crn: Some(instance.crn),
        created_at: instance.created_at,
        ..Found::default()
    }
}

/// The VPC's servers that carry `name`.
pub(crate) fn namesakes(name: &str, listed: Vec<Instance>) -> Vec<Found> {
    listed
        .into_iter()
        .filter(|i| i.name == name)
        .map(found)
        .collect()
}

/// What the server's status says about readiness.
fn readiness(i: &Instance) -> (String, Readiness) {
    let state = i
        .status
        .as_ref()
        .map(|s| s.as_str().to_owned())
        .unwrap_or_else(|| "unknown".into());
    let life = i.lifecycle_state.as_ref();
    let readiness =
        if i.status == Some(InstanceStatus::Failed) || life == Some(&LifecycleState::Failed) {
            Readiness::Failed(format!(
                "The jump server is {state}: {}",
                i.status_reasons
                    .iter()
                    .chain(&i.lifecycle_reasons)
                    .filter_map(|r| r.message.clone())
                    .collect::<Vec<_>>()
                    .join("; ")
            ))
        } else if i.status == Some(InstanceStatus::Running)
            && life.is_none_or(|l| *l == LifecycleState::Stable)
        {
            Readiness::Ready
        } else {
            Readiness::Waiting
        };
    (state, readiness)
}

/// Where the Terraform export declares the jump server.
pub(crate) const TF: (&str, &str) = ("ibm_is_instance", "jump");

/// What the server is made in and with: ids earlier steps learnt.
struct Ends<'a> {
    zone: &'a str,
    vpc: &'a str,
    subnet: &'a str,
    key: &'a str,
}

/// The create body; `user_data` carries the host key Onramp generated (the exports send
/// none: they cannot hold that secret).
fn create_body(
    plan: &DraftPlan,
    c: &crate::connectivity::Connectivity,
    ends: Ends,
    user_data: Option<Sensitive<String>>,
) -> CreateInstance {
    CreateInstance {
        name: Some(c.jump.name.clone()),
        zone: NameRef::new(ends.zone),
        vpc: Some(IdRef::new(ends.vpc)),
        profile: Some(NameRef::new(&c.jump.profile)),
        image: IdRef::new(&c.jump.image_id),
        keys: vec![IdRef::new(ends.key)],
        resource_group: Some(IdRef::new(&plan.resource_group_id)),
        primary_network_interface: Some(NetworkInterfacePrototype {
            name: Some("eth0".into()),
            subnet: IdRef::new(ends.subnet),
            security_groups: vec![],
            allow_ip_spoofing: None,
        }),
        boot_volume_attachment: None,
        user_data,
    }
}

impl Resource for JumpServer {
    fn step(&self) -> StepId {
        StepId::JumpVsi
    }
    fn label(&self) -> &'static str {
        "Jump server (virtual server instance)"
    }
    fn noun(&self) -> &'static str {
        "jump server"
    }
    fn estimate(&self, _: &Timing) -> Duration {
        Duration::from_secs(60)
    }
    fn name(&self, plan: &DraftPlan) -> String {
        plan.connectivity
            .as_ref()
            .map(|c| c.jump.name.clone())
            .unwrap_or_default()
    }
    fn field(&self) -> &'static str {
        field::JUMP_NAME
    }
    fn planned(&self, plan: &DraftPlan, _: &Offerings) -> PlannedResource {
        let settings = match plan.connectivity.as_ref() {
            Some(c) => {
                let image = if c.jump.image_name.is_empty() {
                    c.jump.image_id.clone()
                } else {
                    c.jump.image_name.clone()
                };
                vec![
                    setting("Profile", c.jump.profile.clone()),
                    setting("Image", image),
                    setting("Subnet", c.subnet_name().to_owned()),
                    setting("SSH key", c.ssh_key_name().to_owned()),
                    setting("SSH host key", "Generated by Onramp and installed through cloud-init, so its fingerprint is known before the first connection"),
                ]
            }
            None => vec![],
        };
        PlannedResource {
            label: self.label().to_owned(),
            name: self.name(plan),
            settings,
        }
    }
    fn console(&self, _state: &crate::journal::JournalState, _id: &str) -> Option<String> {
        super::console_list("vpc-ext/compute/vs")
    }
    fn teardown_wording(&self, _: bool) -> String {
        "Deletes the jump server and its boot disk.".to_owned()
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
        TfResource::new(TF.0, TF.1)
            .attr("name", c.jump.name.clone())
            .attr("vpc", super::vpc::tf_id(x))
            .attr("zone", super::subnet::tf_zone(x))
            .attr("profile", c.jump.profile.clone())
            // The provider reads the image back as its id, so the id is written.
            .attr("image", c.jump.image_id.clone())
            .attr("keys", hcl::Expression::Array(vec![super::ssh_key::tf_id(x)]))
            .attr("resource_group", x.plan.resource_group_id.clone())
            .block(
                hcl::Block::builder("primary_network_interface")
                    .add_attribute(("name", "eth0"))
                    .add_attribute(("subnet", super::subnet::tf_id(x)))
                    .add_attribute((
                        "security_groups",
                        hcl::Expression::Array(vec![super::vpc::tf_security_group(x)]),
                    ))
                    .build(),
            )
            .ignore_after_import(&["user_data", "image"])
            .import(x.made(StepId::JumpVsi))
            .note(
                "The jump server. Onramp also gives it an SSH host key it generated (in user_data, never stored), \
                 so the first connection is verified; this file cannot carry that secret, so SSH will ask you to \
                 trust the host key on first use.",
            )
            .done()
    }

    fn cli(&self, x: &Exporting) -> CliPart {
        let Some(c) = x.plan.connectivity.as_ref() else {
            return CliPart::new("Jump server");
        };
        CliPart::new("Jump server")
            .say("Onramp also installs an SSH host key it generates; without it, SSH asks you to trust the host key on first use.")
            .line(format!(
                "VSI_ID=\"$(ibmcloud is instance-create {} \"$VPC_ID\" \"$ZONE\" {} \"$SUBNET_ID\" --image {} --keys \"$SSH_KEY_ID\" --sgs \"$SG_ID\" --resource-group-id {} --output JSON | jq -r .id)\"",
                quote(&c.jump.name),
                quote(&c.jump.profile),
                quote(&c.jump.image_id),
                quote(&x.plan.resource_group_id)
            ))
            .wait("the jump server", "running", 10, "ibmcloud is instance \"$VSI_ID\" --output JSON | jq -r .status")
            .line("NIC_ID=\"$(ibmcloud is instance \"$VSI_ID\" --output JSON | jq -r .primary_network_interface.id)\"")
    }

    fn curl(&self, x: &Exporting) -> CliPart {
        let Some(c) = x.plan.connectivity.as_ref() else {
            return CliPart::new("Jump server");
        };
        let q = vpc_query();
        let ends = Ends {
            zone: "$ZONE",
            vpc: "$VPC_ID",
            subnet: "$SUBNET_ID",
            key: "$SSH_KEY_ID",
        };
        CliPart::new("Jump server")
            .say("Onramp also sends, in user_data, an SSH host key it generates; without it, SSH asks you to trust the host key on first use.")
            .line(format!(
                "VSI_ID=\"$({} | jq -r .id)\"",
                call("POST", &format!("$VPC_URL/instances?{q}"), Some(body(&create_body(x.plan, c, ends, None))))
            ))
            .wait("the jump server", "running", 10, &format!("api GET \"$VPC_URL/instances/$VSI_ID?{q}\" | jq -r .status"))
            .line(format!(
                "NIC_ID=\"$(api GET \"$VPC_URL/instances/$VSI_ID?{q}\" | jq -r .primary_network_interface.id)\""
            ))
    }

    fn look<'a>(&'a self, run: &'a Run) -> Work<'a, Vec<Found>> {
        Box::pin(async move {
            let Some(vpc_id) = run.state().step(StepId::Vpc).id else {
                return Ok(Vec::new());
            };
            let vpc = run.vpc_client()?;
            let name = self.name(&run.plan());
            Ok(namesakes(
                &name,
                run.call(vpc.list_instances(Some(&vpc_id), Some(&name)))
                    .await?,
            ))
        })
    }

    fn create<'a>(&'a self, run: &'a Run) -> Work<'a, Result<Found, CloudError>> {
        Box::pin(async move {
            let step = StepId::JumpVsi;
            let c = run.connectivity()?;
            let plan = run.plan();
            let vpc = run.vpc_client()?;
            let vpc_id = run.id_of(StepId::Vpc)?;
            let subnet_id = run.id_of(StepId::Subnet)?;
            let key_id = run.id_of(StepId::SshKey)?;
            let zone = match run.state().step(StepId::Subnet).detail.get(detail::ZONE) {
                Some(zone) => zone.clone(),
                None => run
                    .call(vpc.get_subnet(&subnet_id))
                    .await?
                    .zone
                    .map(|z| z.name)
                    .unwrap_or_default(),
            };
            // Generated here and used only in the create's user_data: the private half is
            // never stored. Its public line is journalled before the first create, so a
            // server proved this plan's after a crash still has a known key; every create
            // attempt of this run sends the same key.
            let (host_key, fresh) = run.remember(step, || {
                onramp_connect::keys::generate_host_key()
                    .map_err(|e| AppError::internal(e.to_string()).into())
            })?;
            if fresh {
                let mut note = one(detail::HOST_KEY, host_key.public_line());
                note.insert(
                    detail::HOST_KEY_FINGERPRINT.to_owned(),
                    host_key.pair.fingerprint.clone(),
                );
                run.note(step, note)?;
            }
            let user_data: Sensitive<String> = host_key.user_data();
            let ends = Ends {
                zone: &zone,
                vpc: &vpc_id,
                subnet: &subnet_id,
                key: &key_id,
            };
            let body = create_body(&plan, &c, ends, Some(user_data));
            Ok(vpc
                .create_instance(&body, Idempotency::Unsafe)
                .await
                .map(found))
        })
    }

    fn wait<'a>(&'a self, run: &'a Run, id: &'a str) -> Work<'a, ()> {
        Box::pin(async move {
            let vpc = run.vpc_client()?;
            run.wait_until(
                StepId::JumpVsi,
                "jump server",
                Duration::ZERO,
                || vpc.get_instance(id),
                |i| {
                    let (state, readiness) = readiness(i);
                    (state, None, readiness, None)
                },
            )
            .await?;
            Ok(())
        })
    }

    fn delete<'a>(&'a self, run: &'a Run, id: &'a str, _: &'a StepRecord) -> Work<'a, ()> {
        Box::pin(async move {
            let vpc = run.vpc_client()?;
            run.delete_and_wait(
                StepId::JumpVsi,
                "jump server",
                || vpc.delete_instance(id),
                || vpc.get_instance(id),
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

    fn listed(name: &str, created_at: String, status: &str) -> Instance {
        serde_json::from_value(serde_json::json!({
            "id": format!("vsi-{name}"), "crn": "crn:vsi", "name": name, "status": status,
            "lifecycle_state": "stable", "created_at": created_at,
            "primary_network_interface": {"id": "nic-1", "name": "eth0"}
        }))
        .unwrap()
    }

    #[test]
    fn a_namesake_carries_its_interface_and_proves_by_time() {
        let name = JUMP_SERVER.name(&plan());
        assert_eq!(name, "onramp-jump-3f2a");
        let found = namesakes(&name, vec![listed(&name, at(1), "running")]);
        assert_eq!(
            found[0]
                .detail
                .get(detail::NETWORK_INTERFACE)
                .map(String::as_str),
            Some("nic-1")
        );
        assert_eq!(
            judge(&found[0], JUMP_SERVER.proof(), &asked(), ""),
            Verdict::Ours
        );
        let old = &namesakes(&name, vec![listed(&name, at(-9), "running")])[0];
        assert!(matches!(
            judge(old, JUMP_SERVER.proof(), &asked(), ""),
            Verdict::NotOurs(_)
        ));
    }

    #[test]
    fn running_and_stable_is_ready_failed_says_why() {
        assert!(matches!(
            readiness(&listed("a", at(0), "running")).1,
            Readiness::Ready
        ));
        assert!(matches!(
            readiness(&listed("a", at(0), "starting")).1,
            Readiness::Waiting
        ));
        assert!(matches!(
            readiness(&listed("a", at(0), "failed")).1,
            Readiness::Failed(_)
        ));
    }
}
