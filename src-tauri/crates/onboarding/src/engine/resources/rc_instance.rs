//! What the observability instances (Monitoring, Cloud Logs) share as Resource Controller
//! instances: the look for the plan's name in one service, the wait through `provisioning`
//! to `active`, and the delete that waits until it is gone. Each kind's own file says which
//! service, which plan and what it means; the database keeps its own, richer, version.

use onramp_cloud::rc::{CreateResourceInstance, InstanceFilter, ResourceInstance};

use super::super::{
    ownership::plan_tag,
    resource::{Found, Resource},
    run::{Readiness, Run, StepResult},
    Stop,
};
use super::database::gone;
use crate::export::{
    cli::{quote, CliPart},
    terraform::{jsonencode, reference, strings, Tf, TfResource},
    Exporting,
};
use crate::{
    export::curl::{body, call},
    journal::StepId,
    plan::DraftPlan,
    AppError, ErrorCode,
};

pub(crate) fn found(i: ResourceInstance) -> Found {
    Found {
        id: i.id,
        name: i.name,
        crn: Some(i.crn),
        created_at: i.created_at,
        created_by: i.created_by,
        ..Found::default()
    }
}

/// A create body for an instance named `name` of `plan_id`, in the plan's location and
/// group, carrying the plan's tag, with the service's `parameters`.
pub(crate) fn create_body<P>(
    plan: &DraftPlan,
    name: String,
    plan_id: &str,
    parameters: P,
) -> CreateResourceInstance<P> {
    CreateResourceInstance {
        name,
        target: plan.location.clone(),
        resource_group: plan.resource_group_id.clone(),
        resource_plan_id: plan_id.to_owned(),
        tags: vec!["onramp".to_owned(), plan_tag(&plan.id)],
        allow_cleanup: None,
        parameters: Some(parameters),
    }
}

fn rc(run: &Run) -> Result<onramp_cloud::rc::ResourceControllerClient, Stop> {
    Ok(run
        .ctx
        .cloud
        .resource_controller()
        .map_err(AppError::from_cloud)?)
}

/// Every instance of `service` in the plan's group named `name`, not on its way out.
pub(crate) async fn look(
    run: &Run,
    plan: &DraftPlan,
    service: &str,
    name: &str,
) -> Result<Vec<Found>, Stop> {
    let filter = InstanceFilter {
        name: Some(name.to_owned()),
        resource_group_id: Some(plan.resource_group_id.clone()),
        resource_id: Some(service.to_owned()),
        ..InstanceFilter::default()
    };
    let listed = run.call(rc(run)?.list_instances(&filter)).await?;
    Ok(listed
        .into_iter()
        .filter(|i| i.name == name && !gone(i))
        .map(found)
        .collect())
}

/// The instance the user chose, read now. One the user may not read (IAM gives them no
/// role on it any more) stops the step at the kind's field, with IBM Cloud's own words.
pub(crate) async fn chosen(run: &Run, crn: &str, kind: &dyn Resource) -> Result<Found, Stop> {
    match rc(run)?.get_instance(crn).await {
        Ok(instance) => Ok(found(instance)),
        Err(e) if e.status == Some(403) => Err(Stop::Refused(
            AppError::new(
                ErrorCode::CloudRejected,
                format!(
                    "You cannot read the {} you chose: {}",
                    kind.noun(),
                    e.message
                ),
            )
            .at(kind.field())
            .hint("Ask the account's administrator for the Viewer role on it, or choose another one in the Observability step."),
        )),
        Err(e) => Err(Stop::Failed(AppError::from_cloud(e))),
    }
}

/// Waits until the instance is active; `what` names it in messages.
pub(crate) async fn wait_active(run: &Run, step: StepId, id: &str, what: &str) -> StepResult {
    let rc = rc(run)?;
    run.wait_until(
        step,
        what,
        std::time::Duration::ZERO,
        || rc.get_instance(id),
        |instance| {
            let state = instance
                .state
                .as_ref()
                .map(|s| s.as_str().to_owned())
                .unwrap_or_else(|| "unknown".to_owned());
            let readiness = if instance.is_ready() {
                Readiness::Ready
            } else if instance.has_failed() || gone(instance) {
                Readiness::Failed(format!("The {what} is {state} and will not become active."))
            } else {
                Readiness::Waiting
            };
            (state, None, readiness, None)
        },
    )
    .await?;
    Ok(())
}

/// Deletes the instance (with its keys) and waits until it is gone.
pub(crate) async fn delete(run: &Run, step: StepId, id: &str, what: &str) -> StepResult {
    let rc = rc(run)?;
    run.delete_and_wait(
        step,
        what,
        || rc.delete_instance(id, true),
        || rc.get_instance(id),
        gone,
    )
    .await
}

/// An observability instance's part of the Terraform export: made (Resource Controller,
/// the service's plan by name, the plan's tag), or chosen (its CRN as a local).
pub(crate) struct TfInstance<'a> {
    pub step: StepId,
    pub tf: (&'static str, &'static str),
    pub local: &'static str,
    pub service: &'static str,
    pub plan_name: &'static str,
    pub name: String,
    pub parameters: serde_json::Value,
    /// The instance the user chose: CRN and name.
    pub chosen: Option<(&'a str, &'a str)>,
}

impl TfInstance<'_> {
    pub(crate) fn terraform(&self, x: &Exporting) -> Vec<Tf> {
        match self.chosen {
            Some((crn, name)) => vec![Tf::Chosen {
                local: self.local,
                value: crn.to_owned(),
                note: format!("Your instance {name}: used by the plan, never managed here."),
            }],
            None => TfResource::new(self.tf.0, self.tf.1)
                .attr("name", self.name.clone())
                .attr("service", self.service)
                .attr("plan", self.plan_name)
                .attr("location", x.plan.location.clone())
                .attr("resource_group_id", x.plan.resource_group_id.clone())
                .attr(
                    "tags",
                    strings(&["onramp".to_owned(), plan_tag(&x.plan.id)]),
                )
                .attr("parameters_json", jsonencode(&self.parameters))
                .ignore_after_import(&["parameters_json"])
                .import(x.made(self.step))
                .done(),
        }
    }

    /// Its CRN in the Terraform export.
    pub(crate) fn crn(&self) -> hcl::Expression {
        match self.chosen {
            Some(_) => reference(&format!("local.{}", self.local)),
            None => reference(&format!("{}.{}.crn", self.tf.0, self.tf.1)),
        }
    }

    /// Its GUID in the Terraform export.
    pub(crate) fn guid(&self) -> hcl::Expression {
        match self.chosen {
            Some((crn, _)) => crate::observability::guid_of(crn)
                .unwrap_or_default()
                .to_owned()
                .into(),
            None => reference(&format!("{}.{}.guid", self.tf.0, self.tf.1)),
        }
    }

    /// Its section of the CLI script, leaving its CRN in `$var` and its GUID in `$var_GUID`.
    pub(crate) fn cli(&self, x: &Exporting, title: &str, var: &str) -> CliPart {
        let part = CliPart::new(title);
        match self.chosen {
            Some((crn, name)) => part
                .chosen(&format!("instance {name}"), var, crn),
            None => {
                let name = quote(&self.name);
                let location = quote(&x.plan.location);
                part.line(format!(
                    "ibmcloud resource service-instance-create {name} {} {} {location} -g \"$RESOURCE_GROUP\" -p {} >/dev/null",
                    self.service,
                    self.plan_name,
                    quote(&self.parameters.to_string())
                ))
                .line(format!(
                    "{var}=\"$(ibmcloud resource service-instance {name} --location {location} --output json | jq -r '.[0].crn')\""
                ))
                .line(format!(
                    "ibmcloud resource tag-attach --tag-names {} --resource-id \"${var}\"",
                    quote(&format!("onramp,{}", plan_tag(&x.plan.id)))
                ))
                .wait(
                    &self.name,
                    "active",
                    15,
                    &format!("ibmcloud resource service-instance \"${var}\" --output json | jq -r '.[0].state'"),
                )
            }
        }
        .line(format!("{var}_GUID=\"$(echo \"${var}\" | cut -d: -f8)\""))
    }
}

/// An observability instance's section of the curl script: the same check, create body and
/// wait as apply, leaving its CRN in `$<var>` and its GUID in `$<var>_GUID`; the chosen
/// one's CRN as it is. `lookup` finds the plan id first where IBM publishes none.
pub(crate) fn curl<P: serde::Serialize>(
    x: &Exporting,
    title: &str,
    var: &str,
    name: &str,
    chosen: Option<&str>,
    lookup: Option<String>,
    create: &CreateResourceInstance<P>,
) -> CliPart {
    let part = CliPart::new(title);
    let part = match chosen {
        Some(crn) => part.chosen("instance", var, crn).line(format!(
            "{var}_GUID={}",
            quote(crate::observability::guid_of(crn).unwrap_or_default())
        )),
        None => {
            let mut part = part.line(format!(
                "none_named {} {}",
                quote(name),
                quote(&x.plan.resource_group_id)
            ));
            if let Some(lookup) = lookup {
                part = part.line(lookup);
            }
            part.line(format!(
                "{var}_JSON=\"$({})\"",
                call("POST", "$RC_URL/v2/resource_instances", Some(body(create)))
            ))
            .line(format!("{var}=\"$(jq -r .id <<<\"${var}_JSON\")\""))
            .line(format!("{var}_GUID=\"$(jq -r .guid <<<\"${var}_JSON\")\""))
            .wait(
                name,
                "active",
                15,
                &format!("api GET \"$RC_URL/v2/resource_instances/${var}_GUID\" | jq -r .state"),
            )
        }
    };
    part
}
