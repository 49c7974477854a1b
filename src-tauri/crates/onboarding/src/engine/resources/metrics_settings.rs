//! Metrics Routing's account settings: the one account-wide change an observability plan
//! may need. An account without a primary metadata region gets the database's region, and
//! only when the user confirmed exactly that (the plan carries it); every other field is
//! sent back as it was, since an update replaces the whole object. A region already set is
//! used as it is. Either way teardown leaves it: Metrics Routing cannot unset it, and the
//! account's other routes may rely on it.

use std::time::Duration;

use onramp_cloud::metrics_router::UpdateSettings;

use super::super::{
    resource::{Found, Proof, Resource, Stranger, Work},
    run::{one, Run},
    Stop, Timing,
};
use crate::export::{
    cli::{quote, CliPart},
    terraform::Tf,
    Exporting,
};
use crate::{
    journal::{Owner, Record, StepId, StepRecord},
    observability::{account::metadata_region_to_set, field},
    plan::{DraftPlan, Offerings},
    review::{setting, PlannedResource},
    AppError, ErrorCode,
};

pub(crate) struct MetricsSettings;
pub(crate) static METRICS_SETTINGS: MetricsSettings = MetricsSettings;

/// The journal's id for the account's settings: there is one object per account.
pub(crate) const SETTINGS_ID: &str = "metrics-router-settings";
/// The `detail` key of the region in force, and of the one it had before the plan.
pub(crate) const REGION: &str = "primaryMetadataRegion";
pub(crate) const BEFORE: &str = "primaryMetadataRegionBefore";

/// The metadata region the user agreed the plan may set.
fn confirmed(plan: &DraftPlan) -> Option<String> {
    plan.observability
        .as_ref()
        .and_then(|o| o.confirmed_metadata_region.clone())
}

/// What the exports say of the account's settings: account-wide, so no export manages them
/// (a Terraform settings resource would empty the account's defaults on destroy).
fn settings_note(x: &Exporting) -> String {
    let known = x.detail(StepId::MetricsSettings, REGION);
    match (known, confirmed(x.plan)) {
        (Some(region), _) => format!(
            "Metrics Routing's account settings: the primary metadata region is {region}. They are account-wide, so this file does not manage them."
        ),
        (None, Some(region)) => format!(
            "Metrics Routing needs a primary metadata region before targets and routes. The plan sets it to {region} where the account has none \
             (account-wide, and it cannot be unset): ibmcloud metrics-router setting update --primary-metadata-region {region}"
        ),
        (None, None) => "Metrics Routing's account settings: the account's primary metadata region is used as it is.".to_owned(),
    }
}

impl Resource for MetricsSettings {
    fn step(&self) -> StepId {
        StepId::MetricsSettings
    }
    fn label(&self) -> &'static str {
        "Metrics Routing account settings"
    }
    fn noun(&self) -> &'static str {
        "Metrics Routing settings"
    }
    fn estimate(&self, _: &Timing) -> Duration {
        Duration::from_secs(2)
    }
    fn name(&self, _: &DraftPlan) -> String {
        "Metrics Routing settings".to_owned()
    }
    fn field(&self) -> &'static str {
        field::ACCOUNT_SETTINGS
    }
    fn planned(&self, plan: &DraftPlan, _: &Offerings) -> PlannedResource {
        PlannedResource {
            label: self.label().to_owned(),
            name: self.name(plan),
            settings: vec![
                setting(
                    "Primary metadata region",
                    format!(
                        "Kept as it is; set to {} only if the account has none, and only as you confirmed",
                        plan.location
                    ),
                ),
                setting("Everything else", "Unchanged"),
            ],
        }
    }
    fn console(&self, _state: &crate::journal::JournalState, _id: &str) -> Option<String> {
        super::console_list("observe/metricsrouting/settings")
    }
    fn teardown_wording(&self, _: bool) -> String {
        self.kept_wording().to_owned()
    }
    fn kept_wording(&self) -> &'static str {
        "Kept: the metadata region is account-wide, other routes may rely on it, and Metrics Routing cannot unset it once set."
    }
    fn proof(&self) -> Proof {
        Proof {
            time: false,
            creator: false,
            tag: false,
        }
    }
    fn stranger(&self) -> Stranger {
        Stranger::UseAndKeep
    }

    fn apply<'a>(&'a self, run: &'a Run) -> Work<'a, ()> {
        Box::pin(async move {
            let step = StepId::MetricsSettings;
            let plan = run.plan();
            let router = run
                .ctx
                .cloud
                .metrics_router(&plan.location)
                .map_err(AppError::from_cloud)?;
            run.say(step, "Reading the account's Metrics Routing settings");
            let current = run.call(router.get_settings()).await?;
            let mut detail = one(BEFORE, current.primary_metadata_region.clone());
            if let Some(region) = metadata_region_to_set(&plan, &current) {
                let confirmed = plan
                    .observability
                    .as_ref()
                    .and_then(|o| o.confirmed_metadata_region.as_deref())
                    == Some(region.as_str());
                if !confirmed {
                    return Err(Stop::Refused(
                        AppError::new(
                            ErrorCode::InvalidInput,
                            "Metrics Routing has no metadata region in this account, and you have not confirmed that Onramp may set one.",
                        )
                        .at(field::ACCOUNT_SETTINGS)
                        .hint("Review the account-wide change in the Observability step and confirm it."),
                    ));
                }
                run.record(Record::CreateIntent { step })?;
                run.say(step, format!("Setting the metadata region to {region}"));
                let body =
                    UpdateSettings::from_current(&current).with_primary_metadata_region(&region);
                let updated = run.call(router.update_settings(&body)).await?;
                detail.insert(REGION.to_owned(), updated.primary_metadata_region);
            } else {
                detail.insert(REGION.to_owned(), current.primary_metadata_region);
            }
            let found = Found {
                id: SETTINGS_ID.to_owned(),
                name: self.name(&plan),
                detail,
                ..Found::default()
            };
            run.created(step, found, Owner::Kept).await?;
            run.ready(step)
        })
    }

    // Apply is the kind's own (above): the settings are always there, never made.
    fn terraform(&self, x: &Exporting) -> Vec<Tf> {
        vec![Tf::Note(settings_note(x))]
    }

    fn cli(&self, x: &Exporting) -> CliPart {
        let part = CliPart::new("Metrics Routing account settings").say(&settings_note(x));
        match confirmed(x.plan) {
            Some(region) => part.line(format!(
                "ibmcloud metrics-router setting update --primary-metadata-region {}",
                quote(&region)
            )),
            None => part,
        }
    }

    fn curl(&self, x: &Exporting) -> CliPart {
        let part = CliPart::new("Metrics Routing account settings").say(&settings_note(x));
        let Some(region) = confirmed(x.plan) else {
            return part;
        };
        part.say("Only where the account has no primary metadata region; every other field goes back as it was.")
            .line("MR_SETTINGS=\"$(api GET \"$METRICS_ROUTER_URL/settings\")\"")
            .line("if [ -z \"$(jq -r '.primary_metadata_region // \"\"' <<<\"$MR_SETTINGS\")\" ]; then")
            .line(format!(
                "  api PATCH \"$METRICS_ROUTER_URL/settings\" \"$(jq -c --arg region {} '{}' <<<\"$MR_SETTINGS\")\" >/dev/null",
                quote(&region),
                crate::export::curl::SETTINGS_UPDATE
            ))
            .line("fi")
    }

    fn look<'a>(&'a self, _run: &'a Run) -> Work<'a, Vec<Found>> {
        Box::pin(async { Ok(Vec::new()) })
    }
    fn create<'a>(&'a self, _run: &'a Run) -> Work<'a, Result<Found, onramp_cloud::CloudError>> {
        Box::pin(async { Err(AppError::internal("account settings are not created").into()) })
    }
    fn delete<'a>(&'a self, _run: &'a Run, _id: &'a str, _: &'a StepRecord) -> Work<'a, ()> {
        Box::pin(async { Ok(()) })
    }
}
