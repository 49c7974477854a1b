//! The two security-group rules of the private path, on the VPC's default security group
//! (the jump server's and the VPE's): TCP 22 from the address the user allows, and TCP 5432
//! from the group itself (the jump server to the VPE). Rules have no creation time, creator
//! or tags; a namesake is this plan's only if the plan announced its create (the look just
//! before that announcement found none) and it allows exactly what this plan's would.

use std::time::Duration;

use onramp_cloud::{
    vpc::{CreateSecurityGroupRule, RuleDirection, RuleEnd, RuleProtocol, SecurityGroupRule},
    CloudError, Idempotency,
};

use super::{
    super::{
        resource::{Found, Proof, Resource, Work},
        run::{one, Run, Stop},
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
    connectivity::{field, Connectivity},
    journal::{StepId, StepRecord},
    plan::{DraftPlan, Offerings},
    review::{setting, PlannedResource},
};

/// Which of the two rules.
pub(crate) struct SecurityGroupRuleKind {
    step: StepId,
}
pub(crate) static SSH_RULE: SecurityGroupRuleKind = SecurityGroupRuleKind {
    step: StepId::SshRule,
};
pub(crate) static POSTGRES_RULE: SecurityGroupRuleKind = SecurityGroupRuleKind {
    step: StepId::PostgresRule,
};

impl SecurityGroupRuleKind {
    fn ssh(&self) -> bool {
        self.step == StepId::SshRule
    }

    fn port(&self) -> u16 {
        if self.ssh() {
            22
        } else {
            5432
        }
    }

    /// What the rule allows in from: the user's CIDR, or the group itself.
    fn remote(&self, c: &Connectivity, group: &str) -> RuleEnd {
        if self.ssh() {
            RuleEnd {
                cidr_block: Some(c.ssh_cidr.trim().to_owned()),
                ..RuleEnd::default()
            }
        } else {
            RuleEnd {
                id: Some(group.to_owned()),
                ..RuleEnd::default()
            }
        }
    }

    fn body(&self, c: &Connectivity, group: &str) -> CreateSecurityGroupRule {
        CreateSecurityGroupRule {
            direction: RuleDirection::Inbound,
            protocol: RuleProtocol::Tcp,
            port_min: Some(self.port()),
            port_max: Some(self.port()),
            remote: Some(self.remote(c, group)),
            local: None,
            ip_version: Some("ipv4".into()),
            name: Some(self.rule_name(c)),
        }
    }

    fn rule_name(&self, c: &Connectivity) -> String {
        if self.ssh() {
            c.ssh_rule_name()
        } else {
            c.postgres_rule_name()
        }
    }

    /// The group's rules that carry `name`, each marked if it allows something else.
    pub(crate) fn namesakes(
        &self,
        c: &Connectivity,
        group: &str,
        rules: Vec<SecurityGroupRule>,
    ) -> Vec<Found> {
        let name = self.rule_name(c);
        let want = self.remote(c, group);
        rules
            .into_iter()
            .filter(|r| r.name.as_deref() == Some(name.as_str()))
            .map(|r| {
                let remote = r.remote.clone().unwrap_or_default();
                let same_remote = match (&want.cidr_block, &want.id) {
                    (Some(cidr), _) => remote.cidr_block.as_deref() == Some(cidr.as_str()),
                    (None, Some(id)) => remote.id.as_deref() == Some(id.as_str()),
                    _ => false,
                };
                let same = r.direction == Some(RuleDirection::Inbound)
                    && r.protocol == Some(RuleProtocol::Tcp)
                    && r.port_min == Some(self.port())
                    && r.port_max == Some(self.port())
                    && same_remote;
                Found {
                    id: r.id,
                    name: name.clone(),
                    mismatch: (!same).then(|| {
                        format!(
                            "it allows something else than TCP {} from the plan's source",
                            self.port()
                        )
                    }),
                    detail: one(detail::SECURITY_GROUP, group),
                    ..Found::default()
                }
            })
            .collect()
    }

    /// The VPC's default security group, as the VPC step journalled it (or asked now).
    async fn group(&self, run: &Run) -> Result<Option<String>, Stop> {
        let vpc_step = run.state().step(StepId::Vpc);
        if let Some(group) = vpc_step.detail.get(detail::SECURITY_GROUP) {
            return Ok(Some(group.clone()));
        }
        let Some(vpc_id) = vpc_step.id else {
            return Ok(None);
        };
        let vpc = run.vpc_client()?;
        Ok(Some(
            run.call(vpc.default_security_group(&vpc_id)).await?.id,
        ))
    }
}

impl Resource for SecurityGroupRuleKind {
    fn step(&self) -> StepId {
        self.step
    }
    fn label(&self) -> &'static str {
        if self.ssh() {
            "Security-group rule: SSH to the jump server"
        } else {
            "Security-group rule: jump server to the database (5432)"
        }
    }
    fn noun(&self) -> &'static str {
        "security-group rule"
    }
    fn estimate(&self, _: &Timing) -> Duration {
        Duration::from_secs(2)
    }
    fn name(&self, plan: &DraftPlan) -> String {
        plan.connectivity
            .as_ref()
            .map(|c| self.rule_name(c))
            .unwrap_or_default()
    }
    fn field(&self) -> &'static str {
        if self.ssh() {
            field::SSH_CIDR
        } else {
            field::JUMP_NAME
        }
    }
    fn planned(&self, plan: &DraftPlan, _: &Offerings) -> PlannedResource {
        let rule = match plan.connectivity.as_ref() {
            Some(c) if self.ssh() => format!("Inbound TCP 22 (SSH) from {}", c.ssh_cidr),
            _ => "Inbound TCP 5432 (PostgreSQL) from the same security group: the jump server to the endpoint gateway".to_owned(),
        };
        PlannedResource {
            label: "Security-group rule".to_owned(),
            name: self.name(plan),
            settings: vec![
                setting("Rule", rule),
                setting("Security group", "The VPC's default security group"),
            ],
        }
    }
    fn console(&self, _state: &crate::journal::JournalState, _id: &str) -> Option<String> {
        super::console_list("vpc-ext/network/securityGroups")
    }
    fn teardown_wording(&self, _: bool) -> String {
        "Removes the rule Onramp added to the VPC's default security group.".to_owned()
    }
    fn proof(&self) -> Proof {
        Proof {
            time: false,
            creator: false,
            tag: false,
        }
    }

    fn terraform(&self, x: &Exporting) -> Vec<Tf> {
        let Some(c) = x.plan.connectivity.as_ref() else {
            return Vec::new();
        };
        let group = super::vpc::tf_security_group(x);
        let remote: hcl::Expression = if self.ssh() {
            c.ssh_cidr.trim().to_owned().into()
        } else {
            group.clone()
        };
        // The provider's import id is `<group>.<rule>` (its code; the docs' slash fails).
        let import = match (
            x.made(self.step),
            x.detail(self.step, detail::SECURITY_GROUP),
        ) {
            (Some(rule), Some(group)) => Some(format!("{group}.{rule}")),
            _ => None,
        };
        TfResource::new(
            "ibm_is_security_group_rule",
            if self.ssh() { "ssh" } else { "postgres" },
        )
        .attr("group", group)
        .attr("direction", "inbound")
        .attr("remote", remote)
        .attr("name", self.rule_name(c))
        .attr("protocol", "tcp")
        .attr("port_min", self.port())
        .attr("port_max", self.port())
        .import(import)
        .done()
    }

    fn cli(&self, x: &Exporting) -> CliPart {
        let Some(c) = x.plan.connectivity.as_ref() else {
            return CliPart::new("Security-group rule");
        };
        let remote = if self.ssh() {
            quote(c.ssh_cidr.trim())
        } else {
            "\"$SG_ID\"".to_owned()
        };
        CliPart::new(format!("Security-group rule: TCP {} in", self.port())).line(format!(
            "ibmcloud is security-group-rule-add \"$SG_ID\" inbound tcp --port-min {port} --port-max {port} --remote {remote} --name {} --output JSON >/dev/null",
            quote(&self.rule_name(c)),
            port = self.port()
        ))
    }

    fn curl(&self, x: &Exporting) -> CliPart {
        let Some(c) = x.plan.connectivity.as_ref() else {
            return CliPart::new("Security-group rule");
        };
        CliPart::new(format!("Security-group rule: TCP {} in", self.port())).line(format!(
            "{} >/dev/null",
            call(
                "POST",
                &format!("$VPC_URL/security_groups/$SG_ID/rules?{}", vpc_query()),
                Some(body(&self.body(c, "$SG_ID")))
            )
        ))
    }

    fn look<'a>(&'a self, run: &'a Run) -> Work<'a, Vec<Found>> {
        Box::pin(async move {
            let c = run.connectivity()?;
            let Some(group) = self.group(run).await? else {
                return Ok(Vec::new());
            };
            let vpc = run.vpc_client()?;
            let rules = run.call(vpc.get_security_group(&group)).await?.rules;
            Ok(self.namesakes(&c, &group, rules))
        })
    }

    fn create<'a>(&'a self, run: &'a Run) -> Work<'a, Result<Found, CloudError>> {
        Box::pin(async move {
            let c = run.connectivity()?;
            let group = self.group(run).await?.ok_or_else(|| {
                Stop::Failed(crate::AppError::internal(
                    "the VPC's id is not in the journal",
                ))
            })?;
            let vpc = run.vpc_client()?;
            let name = self.rule_name(&c);
            Ok(vpc
                .create_security_group_rule(&group, &self.body(&c, &group), Idempotency::Unsafe)
                .await
                .map(|r| Found {
                    id: r.id,
                    name,
                    detail: one(detail::SECURITY_GROUP, &group),
                    ..Found::default()
                }))
        })
    }

    fn delete<'a>(&'a self, run: &'a Run, id: &'a str, record: &'a StepRecord) -> Work<'a, ()> {
        Box::pin(async move {
            let group = match record.detail.get(detail::SECURITY_GROUP) {
                Some(group) => group.clone(),
                None => match self.group(run).await? {
                    Some(group) => group,
                    None => return Ok(()),
                },
            };
            let vpc = run.vpc_client()?;
            run.delete_once(vpc.delete_security_group_rule(&group, id))
                .await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{
        ownership::{judge, Verdict},
        resources::testing::{asked, plan},
    };

    fn rule(name: &str, port: u16, remote: serde_json::Value) -> SecurityGroupRule {
        serde_json::from_value(serde_json::json!({
            "id": format!("rule-{name}-{port}"), "name": name, "direction": "inbound",
            "protocol": "tcp", "port_min": port, "port_max": port, "remote": remote
        }))
        .unwrap()
    }

    #[test]
    fn a_rule_is_ours_only_if_it_allows_what_ours_would_after_our_intent() {
        let p = plan();
        let c = p.connectivity.clone().unwrap();
        let name = SSH_RULE.name(&p);
        assert_eq!(name, "onramp-jump-3f2a-ssh");
        let same = SSH_RULE.namesakes(
            &c,
            "sg",
            vec![rule(
                &name,
                22,
                serde_json::json!({"cidr_block": "198.51.100.7/32"}),
            )],
        );
        assert_eq!(
            judge(&same[0], SSH_RULE.proof(), &asked(), ""),
            Verdict::Ours
        );
        assert!(
            matches!(
                judge(&same[0], SSH_RULE.proof(), &[], ""),
                Verdict::NotOurs(_)
            ),
            "without this plan's intent it was already there"
        );
        let wider = SSH_RULE.namesakes(
            &c,
            "sg",
            vec![rule(
                &name,
                22,
                serde_json::json!({"cidr_block": "0.0.0.0/0"}),
            )],
        );
        assert!(matches!(
            judge(&wider[0], SSH_RULE.proof(), &asked(), ""),
            Verdict::NotOurs(_)
        ));
        let pg = POSTGRES_RULE.namesakes(
            &c,
            "sg",
            vec![
                rule(
                    &POSTGRES_RULE.name(&p),
                    5432,
                    serde_json::json!({"id": "sg"}),
                ),
                rule("other", 5432, serde_json::json!({"id": "sg"})),
            ],
        );
        assert_eq!(pg.len(), 1);
        assert_eq!(
            judge(&pg[0], POSTGRES_RULE.proof(), &asked(), ""),
            Verdict::Ours
        );
    }
}
