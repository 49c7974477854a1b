//! The service-to-service authorization Metrics Routing needs to write to the Monitoring
//! instance: `metrics-router → sysdig-monitor`, role "Supertenant Metrics Publisher",
//! scoped to that one instance. The role's CRN is asked of IAM (`GET /v2/roles`), as the
//! Terraform provider does, since IBM's docs disagree on it. One already in the account
//! (for that instance or for all of them) is used and kept; one this plan made is deleted.

use std::time::Duration;

use onramp_cloud::{
    iam_policy::{CreatePolicy, Policy, SUPERTENANT_METRICS_PUBLISHER as PUBLISHER_ROLE},
    CloudError, Idempotency,
};

use super::super::{
    resource::{Found, Proof, Resource, Stranger, Work},
    run::Run,
    Stop, Timing,
};
use crate::{
    journal::{StepId, StepRecord},
    observability::{field, guid_of, MONITORING_SERVICE},
    plan::{DraftPlan, Offerings},
    review::{setting, PlannedResource},
    AppError, ErrorCode,
};

pub const METRICS_ROUTER_SERVICE: &str = "metrics-router";

pub(crate) struct MetricsAuthorization;
pub(crate) static METRICS_AUTHORIZATION: MetricsAuthorization = MetricsAuthorization;

fn found(policy: Policy) -> Found {
    Found {
        id: policy.id.unwrap_or_default(),
        name: format!("{METRICS_ROUTER_SERVICE} → {MONITORING_SERVICE}"),
        created_at: policy.created_at,
        created_by: policy.created_by_id,
        ..Found::default()
    }
}

/// The Monitoring instance's GUID and the role's CRN.
async fn ends(run: &Run) -> Result<(String, String), Stop> {
    let monitoring = run.id_of(StepId::MonitoringInstance)?;
    let guid = guid_of(&monitoring).unwrap_or(&monitoring).to_owned();
    let policies = run.ctx.cloud.iam_policies().map_err(AppError::from_cloud)?;
    let roles = run
        .call(policies.list_authorization_roles(MONITORING_SERVICE, METRICS_ROUTER_SERVICE))
        .await?;
    let role = roles.crn_of(PUBLISHER_ROLE).ok_or_else(|| {
        Stop::Failed(
            AppError::new(
                ErrorCode::NotFound,
                format!("IAM lists no role '{PUBLISHER_ROLE}' for authorizations from Metrics Routing to Monitoring."),
            )
            .hint("Create the authorization in IAM (Authorizations), then retry this step."),
        )
    })?;
    Ok((guid, role.to_owned()))
}

impl Resource for MetricsAuthorization {
    fn step(&self) -> StepId {
        StepId::MetricsAuthorization
    }
    fn label(&self) -> &'static str {
        "Service authorization (Metrics Routing → Monitoring)"
    }
    fn noun(&self) -> &'static str {
        "authorization"
    }
    fn estimate(&self, _: &Timing) -> Duration {
        Duration::from_secs(3)
    }
    fn name(&self, _: &DraftPlan) -> String {
        format!("{METRICS_ROUTER_SERVICE} → {MONITORING_SERVICE}")
    }
    fn field(&self) -> &'static str {
        field::MONITORING
    }
    fn planned(&self, plan: &DraftPlan, _: &Offerings) -> PlannedResource {
        PlannedResource {
            label: "Service authorization".to_owned(),
            name: self.name(plan),
            settings: vec![
                setting("Source", "Metrics Routing"),
                setting(
                    "Target",
                    "The Monitoring instance above (that instance only)",
                ),
                setting("Role", PUBLISHER_ROLE),
            ],
        }
    }
    fn console(&self, _state: &crate::journal::JournalState, _id: &str) -> Option<String> {
        super::console_list("iam/authorizations")
    }
    fn teardown_wording(&self, _: bool) -> String {
        "Removes the authorization Onramp created for Metrics Routing to write to the Monitoring instance.".to_owned()
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

    fn look<'a>(&'a self, run: &'a Run) -> Work<'a, Vec<Found>> {
        Box::pin(async move {
            let (guid, role) = ends(run).await?;
            let account = run.state().account_id;
            let policies = run.ctx.cloud.iam_policies().map_err(AppError::from_cloud)?;
            let all = run
                .call(policies.list_policies(&account, Some("authorization")))
                .await?;
            Ok(all
                .into_iter()
                .filter(|p| {
                    p.authorizes(
                        METRICS_ROUTER_SERVICE,
                        MONITORING_SERVICE,
                        Some(&guid),
                        &role,
                    )
                })
                .map(found)
                .collect())
        })
    }

    fn create<'a>(&'a self, run: &'a Run) -> Work<'a, Result<Found, CloudError>> {
        Box::pin(async move {
            let (guid, role) = ends(run).await?;
            let state = run.state();
            let policies = run.ctx.cloud.iam_policies().map_err(AppError::from_cloud)?;
            let body = CreatePolicy::authorization(
                &state.account_id,
                METRICS_ROUTER_SERVICE,
                MONITORING_SERVICE,
                Some(&guid),
                &[role.as_str()],
                Some(format!(
                    "Created by Onramp so Metrics Routing can send the database '{}' metrics",
                    state.plan.name
                )),
            );
            Ok(policies
                .create_policy(&body, Idempotency::Unsafe)
                .await
                .map(found))
        })
    }

    fn delete<'a>(&'a self, run: &'a Run, id: &'a str, _: &'a StepRecord) -> Work<'a, ()> {
        Box::pin(async move {
            let policies = run.ctx.cloud.iam_policies().map_err(AppError::from_cloud)?;
            run.delete_once(policies.delete_policy(id)).await
        })
    }
}
