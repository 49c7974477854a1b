//! The service-to-service authorizations a routing service needs to write to the instance
//! the plan routes to: `metrics-router → sysdig-monitor` ("Supertenant Metrics Publisher")
//! for Monitoring, `atracker → logs` and `logs-router → logs` ("Sender") for Cloud Logs,
//! each scoped to that one instance. The role's CRN is asked of IAM (`GET /v2/roles`), as the Terraform provider
//! does, since IBM's docs disagree on it. One already in the account (for that instance or
//! for all of them) is used and kept; one this plan made is deleted.

use std::time::Duration;

use onramp_cloud::{
    iam_policy::{CreatePolicy, Policy, SENDER, SUPERTENANT_METRICS_PUBLISHER},
    rc::CLOUD_LOGS_RESOURCE_ID,
    CloudError, Idempotency,
};

use super::super::{
    resource::{Found, Proof, Resource, Stranger, Work},
    run::Run,
    Stop, Timing,
};
use super::rc_instance::TfInstance;
use crate::export::curl::{body, call};
use crate::export::{
    cli::{quote, CliPart},
    terraform::{strings, Tf, TfResource},
    Exporting,
};
use crate::{
    journal::{StepId, StepRecord},
    observability::{field, guid_of, MONITORING_SERVICE},
    plan::{DraftPlan, Offerings},
    review::{setting, PlannedResource},
    AppError, ErrorCode,
};

/// One routing service's authorization on the instance it writes to.
pub(crate) struct RoutingAuthorization {
    step: StepId,
    /// IAM's service names: who writes, and to what.
    source: &'static str,
    target: &'static str,
    /// The role, by the name IAM shows.
    role: &'static str,
    /// The step whose instance it covers.
    instance_step: StepId,
    label: &'static str,
    source_label: &'static str,
    target_label: &'static str,
    field: &'static str,
    /// Its resource name in the Terraform export.
    tf_name: &'static str,
    /// The CLI script's variable holding the instance's CRN (`$<var>_GUID` its GUID).
    instance_var: &'static str,
}

pub(crate) static METRICS_AUTHORIZATION: RoutingAuthorization = RoutingAuthorization {
    step: StepId::MetricsAuthorization,
    source: "metrics-router",
    target: MONITORING_SERVICE,
    role: SUPERTENANT_METRICS_PUBLISHER,
    instance_step: StepId::MonitoringInstance,
    label: "Service authorization (Metrics Routing → Monitoring)",
    source_label: "Metrics Routing",
    target_label: "The Monitoring instance above (that instance only)",
    field: field::MONITORING,
    tf_name: "metrics_router",
    instance_var: "MON_CRN",
};

pub(crate) static ACTIVITY_AUTHORIZATION: RoutingAuthorization = RoutingAuthorization {
    step: StepId::ActivityAuthorization,
    source: "atracker",
    target: CLOUD_LOGS_RESOURCE_ID,
    role: SENDER,
    instance_step: StepId::LogsInstance,
    label: "Service authorization (Activity Tracker → Cloud Logs)",
    source_label: "Activity Tracker Event Routing",
    target_label: "The Cloud Logs instance above (that instance only)",
    field: field::ACTIVITY,
    tf_name: "atracker",
    instance_var: "LOGS_CRN",
};

pub(crate) static LOGS_ROUTER_AUTHORIZATION: RoutingAuthorization = RoutingAuthorization {
    step: StepId::LogsRouterAuthorization,
    source: "logs-router",
    target: CLOUD_LOGS_RESOURCE_ID,
    role: SENDER,
    instance_step: StepId::LogsInstance,
    label: "Service authorization (Logs Routing → Cloud Logs)",
    source_label: "Logs Routing",
    target_label: "The Cloud Logs instance above (that instance only)",
    field: field::PLATFORM_LOGS,
    tf_name: "logs_router",
    instance_var: "LOGS_CRN",
};

impl RoutingAuthorization {
    fn found(&self, policy: Policy) -> Found {
        Found {
            id: policy.id.unwrap_or_default(),
            name: format!("{} → {}", self.source, self.target),
            created_at: policy.created_at,
            created_by: policy.created_by_id,
            ..Found::default()
        }
    }

    /// The instance's GUID and the role's CRN.
    async fn ends(&self, run: &Run) -> Result<(String, String), Stop> {
        let instance = run.id_of(self.instance_step)?;
        let guid = guid_of(&instance).unwrap_or(&instance).to_owned();
        let policies = run.ctx.cloud.iam_policies().map_err(AppError::from_cloud)?;
        let roles = run
            .call(policies.list_authorization_roles(self.target, self.source))
            .await?;
        let role = roles.crn_of(self.role).ok_or_else(|| {
            Stop::Failed(
                AppError::new(
                    ErrorCode::NotFound,
                    format!(
                        "IAM lists no role '{}' for authorizations from {} to {}.",
                        self.role, self.source, self.target
                    ),
                )
                .hint("Create the authorization in IAM (Authorizations), then retry this step."),
            )
        })?;
        Ok((guid, role.to_owned()))
    }
}

impl RoutingAuthorization {
    /// The instance it authorizes writing to, as the exports name it.
    fn instance<'a>(&self, x: &Exporting<'a>) -> TfInstance<'a> {
        if self.instance_step == StepId::MonitoringInstance {
            super::monitoring_instance::exported(x.plan)
        } else {
            super::logs_instance::exported(x.plan)
        }
    }
}

impl Resource for RoutingAuthorization {
    fn step(&self) -> StepId {
        self.step
    }
    fn label(&self) -> &'static str {
        self.label
    }
    fn noun(&self) -> &'static str {
        "authorization"
    }
    fn estimate(&self, _: &Timing) -> Duration {
        Duration::from_secs(3)
    }
    fn name(&self, _: &DraftPlan) -> String {
        format!("{} → {}", self.source, self.target)
    }
    fn field(&self) -> &'static str {
        self.field
    }
    fn planned(&self, plan: &DraftPlan, _: &Offerings) -> PlannedResource {
        PlannedResource {
            label: "Service authorization".to_owned(),
            name: self.name(plan),
            settings: vec![
                setting("Source", self.source_label),
                setting("Target", self.target_label),
                setting("Role", self.role),
            ],
        }
    }
    fn console(&self, _state: &crate::journal::JournalState, _id: &str) -> Option<String> {
        super::console_list("iam/authorizations")
    }
    fn teardown_wording(&self, _: bool) -> String {
        format!(
            "Removes the authorization Onramp created for {} to write to the instance.",
            self.source_label
        )
    }
    fn kept_wording(&self) -> &'static str {
        "Kept: it existed before Onramp, and other routes may rely on it."
    }
    fn proof(&self) -> Proof {
        Proof {
            time: true,
            creator: true,
            tag: false,
        }
    }
    fn stranger(&self) -> Stranger {
        Stranger::UseAndKeep
    }

    fn terraform(&self, x: &Exporting) -> Vec<Tf> {
        if x.kept(self.step) {
            return vec![Tf::Note(format!(
                "The authorization {} -> {} was already in the account: used, never managed here.",
                self.source, self.target
            ))];
        }
        TfResource::new("ibm_iam_authorization_policy", self.tf_name)
            .attr("source_service_name", self.source)
            .attr("target_service_name", self.target)
            .attr("target_resource_instance_id", self.instance(x).guid())
            .attr("roles", strings(&[self.role]))
            .import(x.made(self.step))
            .done()
    }

    fn cli(&self, x: &Exporting) -> CliPart {
        let part = CliPart::new(self.label);
        if x.kept(self.step) {
            return part.say("It was already in the account: nothing to create.");
        }
        part.line(format!(
            "ibmcloud iam authorization-policy-create {} {} {} --target-service-instance-id \"${}_GUID\"",
            self.source,
            self.target,
            quote(self.role),
            self.instance_var
        ))
    }

    fn curl(&self, x: &Exporting) -> CliPart {
        let part = CliPart::new(self.label);
        if x.kept(self.step) {
            return part.say("It was already in the account: nothing to create.");
        }
        let guid = format!("${}_GUID", self.instance_var);
        let request = CreatePolicy::authorization(
            "$ACCOUNT_ID",
            self.source,
            self.target,
            Some(&guid),
            &["$ROLE_CRN"],
            Some(format!(
                "Created by Onramp so {} can write for the database '{}'",
                self.source_label, x.plan.name
            )),
        );
        part.say("The role's CRN, as IAM lists it for this pair of services.")
            .line(format!(
                "ROLE_CRN=\"$(api GET \"$IAM_URL/v2/roles?service_name={}&source_service_name={}&policy_type=authorization\" | jq -r --arg name {} '[(.service_roles // []) + (.system_roles // []) + (.custom_roles // []) | .[] | select(.display_name == $name)][0].crn')\"",
                self.target,
                self.source,
                quote(self.role)
            ))
            .line(format!(
                "{} >/dev/null",
                call("POST", "$IAM_URL/v1/policies", Some(body(&request)))
            ))
    }

    fn look<'a>(&'a self, run: &'a Run) -> Work<'a, Vec<Found>> {
        Box::pin(async move {
            let (guid, role) = self.ends(run).await?;
            let account = run.state().account_id;
            let policies = run.ctx.cloud.iam_policies().map_err(AppError::from_cloud)?;
            let all = run
                .call(policies.list_policies(&account, Some("authorization")))
                .await?;
            Ok(all
                .into_iter()
                .filter(|p| p.authorizes(self.source, self.target, Some(&guid), &role))
                .map(|p| self.found(p))
                .collect())
        })
    }

    fn create<'a>(&'a self, run: &'a Run) -> Work<'a, Result<Found, CloudError>> {
        Box::pin(async move {
            let (guid, role) = self.ends(run).await?;
            let state = run.state();
            let policies = run.ctx.cloud.iam_policies().map_err(AppError::from_cloud)?;
            let body = CreatePolicy::authorization(
                &state.account_id,
                self.source,
                self.target,
                Some(&guid),
                &[role.as_str()],
                Some(format!(
                    "Created by Onramp so {} can write for the database '{}'",
                    self.source_label, state.plan.name
                )),
            );
            Ok(policies
                .create_policy(&body, Idempotency::Unsafe)
                .await
                .map(|p| self.found(p)))
        })
    }

    fn delete<'a>(&'a self, run: &'a Run, id: &'a str, _: &'a StepRecord) -> Work<'a, ()> {
        Box::pin(async move {
            let policies = run.ctx.cloud.iam_policies().map_err(AppError::from_cloud)?;
            run.delete_once(policies.delete_policy(id)).await
        })
    }
}
