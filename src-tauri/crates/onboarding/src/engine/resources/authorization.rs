//! The service-to-service authorization BYOK needs: every Databases for PostgreSQL
//! instance of the account may read Key Protect keys (Reader) and delegate that
//! (Authorization Delegator). Only when the plan creates it. One already in the account is
//! used and kept (other databases may rely on it); one this plan made is deleted.

use std::time::Duration;

use onramp_cloud::{
    iam_policy::{CreatePolicy, Policy, AUTHORIZATION_DELEGATOR_ROLE, READER_ROLE},
    CloudError, Idempotency,
};

use super::super::{
    resource::{Found, Proof, Resource, Stranger, Work},
    run::Run,
    Timing,
};
use crate::export::curl::{body, call};
use crate::export::{
    cli::CliPart,
    terraform::{strings, Tf, TfResource},
    Exporting,
};
use crate::{
    journal::{StepId, StepRecord},
    plan::{field, DraftPlan, Offerings},
    review::{setting, PlannedResource},
    AppError,
};

/// The source of the BYOK authorization, and its target.
pub const DATABASE_SERVICE: &str = "databases-for-postgresql";
pub const KMS_SERVICE: &str = "kms";

pub(crate) struct Authorization;
pub(crate) static AUTHORIZATION: Authorization = Authorization;

/// Whether `policy` is the authorization BYOK needs (for all Key Protect instances).
fn fits(policy: &Policy) -> bool {
    [READER_ROLE, AUTHORIZATION_DELEGATOR_ROLE]
        .iter()
        .all(|role| policy.authorizes(DATABASE_SERVICE, KMS_SERVICE, None, role))
}

fn found(policy: Policy) -> Found {
    Found {
        id: policy.id.unwrap_or_default(),
        name: format!("{DATABASE_SERVICE} → {KMS_SERVICE}"),
        created_at: policy.created_at,
        created_by: policy.created_by_id,
        ..Found::default()
    }
}

/// The create body: every PostgreSQL instance of `account` may read and delegate Key
/// Protect keys.
fn create_body(account: &str, database: &str) -> CreatePolicy {
    CreatePolicy::authorization(
        account,
        DATABASE_SERVICE,
        KMS_SERVICE,
        None,
        &[READER_ROLE, AUTHORIZATION_DELEGATOR_ROLE],
        Some(format!("Created by Onramp for the database '{database}'")),
    )
}

impl Resource for Authorization {
    fn step(&self) -> StepId {
        StepId::Authorization
    }
    fn label(&self) -> &'static str {
        "Service authorization (PostgreSQL → Key Protect)"
    }
    fn noun(&self) -> &'static str {
        "authorization"
    }
    fn estimate(&self, _: &Timing) -> Duration {
        Duration::from_secs(3)
    }
    fn name(&self, _: &DraftPlan) -> String {
        format!("{DATABASE_SERVICE} → {KMS_SERVICE}")
    }
    fn field(&self) -> &'static str {
        field::ENCRYPTION_AUTHORIZATION
    }
    fn planned(&self, plan: &DraftPlan, _: &Offerings) -> PlannedResource {
        PlannedResource {
            label: "Service authorization".to_owned(),
            name: self.name(plan),
            settings: vec![
                setting(
                    "Source",
                    "Databases for PostgreSQL (all instances in the account)",
                ),
                setting("Target", "Key Protect (all instances in the account)"),
                setting("Roles", "Reader, Authorization Delegator"),
            ],
        }
    }
    fn console(&self, _state: &crate::journal::JournalState, _id: &str) -> Option<String> {
        super::console_list("iam/authorizations")
    }
    fn teardown_wording(&self, _: bool) -> String {
        "Removes the authorization Onramp created. Other databases with Key Protect keys in this account would lose access to their keys, so keep it if you made any.".to_owned()
    }
    fn kept_wording(&self) -> &'static str {
        "Kept: it existed before Onramp, and other databases may rely on it."
    }
    fn proof(&self) -> Proof {
        // IAM records when and by whom a policy was made; policies have no user tags.
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
        if x.kept(StepId::Authorization) {
            return vec![Tf::Note(format!(
                "The authorization {DATABASE_SERVICE} -> {KMS_SERVICE} was already in the account: used, never managed here."
            ))];
        }
        TfResource::new("ibm_iam_authorization_policy", "kms")
            .attr("source_service_name", DATABASE_SERVICE)
            .attr("target_service_name", KMS_SERVICE)
            .attr("roles", strings(&["Reader", "Authorization Delegator"]))
            .attr(
                "description",
                "Onramp: Databases for PostgreSQL may read Key Protect keys (BYOK)",
            )
            .import(x.made(StepId::Authorization))
            .done()
    }

    fn cli(&self, x: &Exporting) -> CliPart {
        let part = CliPart::new("Service authorization: PostgreSQL may read Key Protect keys");
        if x.kept(StepId::Authorization) {
            return part.say("It was already in the account: nothing to create.");
        }
        part.line(format!(
            "ibmcloud iam authorization-policy-create {DATABASE_SERVICE} {KMS_SERVICE} Reader,AuthorizationDelegator"
        ))
    }

    fn curl(&self, x: &Exporting) -> CliPart {
        let part = CliPart::new("Service authorization: PostgreSQL may read Key Protect keys");
        if x.kept(StepId::Authorization) {
            return part.say("It was already in the account: nothing to create.");
        }
        part.line(format!(
            "{} >/dev/null",
            call(
                "POST",
                "$IAM_URL/v1/policies",
                Some(body(&create_body("$ACCOUNT_ID", &x.plan.name)))
            )
        ))
    }

    fn look<'a>(&'a self, run: &'a Run) -> Work<'a, Vec<Found>> {
        Box::pin(async move {
            let account = run.state().account_id;
            let policies = run.ctx.cloud.iam_policies().map_err(AppError::from_cloud)?;
            let all = run
                .call(policies.list_policies(&account, Some("authorization")))
                .await?;
            Ok(all.into_iter().filter(fits).map(found).collect())
        })
    }

    fn create<'a>(&'a self, run: &'a Run) -> Work<'a, Result<Found, CloudError>> {
        Box::pin(async move {
            let state = run.state();
            let policies = run.ctx.cloud.iam_policies().map_err(AppError::from_cloud)?;
            let body = create_body(&state.account_id, &state.plan.name);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{
        ownership::{judge, Verdict},
        resources::testing::{asked, at},
    };

    fn policy(roles: &[&str], created_at: String, by: &str) -> Policy {
        serde_json::from_value(serde_json::json!({
            "id": "pol-1", "type": "authorization",
            "subjects": [{"attributes": [{"name": "serviceName", "value": DATABASE_SERVICE}]}],
            "roles": roles.iter().map(|r| serde_json::json!({"role_id": r})).collect::<Vec<_>>(),
            "resources": [{"attributes": [{"name": "serviceName", "value": KMS_SERVICE}]}],
            "created_at": created_at, "created_by_id": by
        }))
        .unwrap()
    }

    #[test]
    fn only_an_authorization_with_both_roles_is_a_namesake() {
        assert!(fits(&policy(
            &[READER_ROLE, AUTHORIZATION_DELEGATOR_ROLE],
            at(0),
            "me"
        )));
        assert!(!fits(&policy(&[READER_ROLE], at(0), "me")));
    }

    #[test]
    fn one_made_by_this_plan_is_deleted_one_found_is_kept() {
        let p = AUTHORIZATION.proof();
        let ours = found(policy(
            &[READER_ROLE, AUTHORIZATION_DELEGATOR_ROLE],
            at(1),
            "me",
        ));
        assert_eq!(judge(&ours, p, &asked(), "me"), Verdict::Ours);
        let older = found(policy(
            &[READER_ROLE, AUTHORIZATION_DELEGATOR_ROLE],
            at(-600),
            "me",
        ));
        assert!(matches!(
            judge(&older, p, &asked(), "me"),
            Verdict::NotOurs(_)
        ));
        // Not ours, but it does what the plan needs: used, and kept by teardown.
        assert_eq!(AUTHORIZATION.stranger(), Stranger::UseAndKeep);
    }
}
