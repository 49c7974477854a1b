//! Logs Routing's account settings, which routes need: API version 3 (an account still on
//! the v1 tenants API is moved only as the change the user confirmed, and Logs Routing
//! refuses it where tenants are in use: then the step stops at its field, having changed
//! nothing) and a primary metadata region (set to the database's where none is). Every
//! other field goes back as it was. Teardown leaves them: neither can be undone.

use std::time::Duration;

use onramp_cloud::logs_router::UpdateSettings;

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
    observability::field,
    plan::{DraftPlan, Offerings},
    review::{setting, PlannedResource},
    AppError, ErrorCode,
};

pub(crate) struct LogsSettings;
pub(crate) static LOGS_SETTINGS: LogsSettings = LogsSettings;

/// The journal's id for the account's settings: one object per account.
pub(crate) const SETTINGS_ID: &str = "logs-router-settings";

fn refused(message: String) -> Stop {
    Stop::Refused(
        AppError::new(ErrorCode::InvalidInput, message)
            .at(field::PLATFORM_LOGS)
            .hint("Review the account-wide change in the Observability step, or turn platform logs off."),
    )
}

/// The location whose Logs Routing change the user confirmed, if any.
fn confirmed(plan: &DraftPlan) -> Option<String> {
    plan.observability
        .as_ref()
        .and_then(|o| o.confirmed_logs_region.clone())
}

/// What the exports say of Logs Routing's settings.
const SETTINGS_NOTE: &str = "Logs Routing's account settings are account-wide, so no export manages them. \
     Routes need API version 3 (an account on the v1 tenants API moves with `ibmcloud logs-router setting update --api-version 3`, which cannot be undone) \
     and a primary metadata region; Onramp sets both only where you confirmed it.";

impl Resource for LogsSettings {
    fn step(&self) -> StepId {
        StepId::LogsSettings
    }
    fn label(&self) -> &'static str {
        "Logs Routing account settings"
    }
    fn noun(&self) -> &'static str {
        "Logs Routing settings"
    }
    fn estimate(&self, _: &Timing) -> Duration {
        Duration::from_secs(2)
    }
    fn name(&self, _: &DraftPlan) -> String {
        "Logs Routing settings".to_owned()
    }
    fn field(&self) -> &'static str {
        field::PLATFORM_LOGS
    }
    fn planned(&self, plan: &DraftPlan, _: &Offerings) -> PlannedResource {
        PlannedResource {
            label: self.label().to_owned(),
            name: self.name(plan),
            settings: vec![
                setting(
                    "API version",
                    "3, as you confirmed (kept if it is 3 already)",
                ),
                setting(
                    "Primary metadata region",
                    format!(
                        "Kept as it is; set to {} only if the account has none",
                        plan.location
                    ),
                ),
                setting("Everything else", "Unchanged"),
            ],
        }
    }
    fn console(&self, _state: &crate::journal::JournalState, _id: &str) -> Option<String> {
        super::console_list("observe/logsrouting/settings")
    }
    fn teardown_wording(&self, _: bool) -> String {
        self.kept_wording().to_owned()
    }
    fn kept_wording(&self) -> &'static str {
        "Kept: Logs Routing's version and metadata region are account-wide, other routes may rely on them, and neither can be undone."
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
            let step = StepId::LogsSettings;
            let plan = run.plan();
            let router = run
                .ctx
                .cloud
                .logs_router(&plan.location)
                .map_err(AppError::from_cloud)?;
            run.say(step, "Reading the account's Logs Routing settings");
            let current = run.call(router.get_settings()).await?;
            let needs_v3 = current.api_version != 3;
            let needs_region = current.primary_metadata_region.is_empty();
            let mut detail = one("apiVersionBefore", current.api_version.to_string());
            if needs_v3 || needs_region {
                let confirmed = plan
                    .observability
                    .as_ref()
                    .and_then(|o| o.confirmed_logs_region.as_deref())
                    == Some(plan.location.as_str());
                if !confirmed {
                    return Err(refused(
                        "Logs Routing's account settings must change for platform logs, and you have not confirmed it.".to_owned(),
                    ));
                }
                let mut body = UpdateSettings::from_current(&current);
                if needs_region {
                    body = body.with_primary_metadata_region(&plan.location);
                }
                if needs_v3 {
                    body.api_version = Some(3);
                }
                run.record(Record::CreateIntent { step })?;
                run.say(step, "Updating Logs Routing's account settings");
                let updated = match router.update_settings(&body).await {
                    Ok(updated) => updated,
                    // Its own words: v1 tenants in use, a migration under way, a role missing.
                    Err(e) if !super::super::run::temporary(&e) => {
                        return Err(refused(format!(
                            "Logs Routing refused the change: {}",
                            e.message
                        )))
                    }
                    Err(e) => return Err(Stop::Failed(AppError::from_cloud(e))),
                };
                detail.insert("apiVersion".to_owned(), updated.api_version.to_string());
                detail.insert(
                    "primaryMetadataRegion".to_owned(),
                    updated.primary_metadata_region,
                );
            } else {
                detail.insert("apiVersion".to_owned(), current.api_version.to_string());
                detail.insert(
                    "primaryMetadataRegion".to_owned(),
                    current.primary_metadata_region,
                );
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
    fn terraform(&self, _: &Exporting) -> Vec<Tf> {
        vec![Tf::Note(SETTINGS_NOTE.to_owned())]
    }

    fn cli(&self, x: &Exporting) -> CliPart {
        let confirmed = confirmed(x.plan);
        let part = CliPart::new("Logs Routing account settings").say(SETTINGS_NOTE);
        match confirmed {
            Some(region) => part.line(format!(
                "ibmcloud logs-router setting update --primary-metadata-region {}",
                quote(&region)
            )),
            None => part,
        }
    }

    fn curl(&self, x: &Exporting) -> CliPart {
        let confirmed = confirmed(x.plan);
        let part = CliPart::new("Logs Routing account settings").say(SETTINGS_NOTE);
        let Some(region) = confirmed else {
            return part;
        };
        part.say("Only where the account is not on version 3 or has no primary metadata region; every other field goes back as it was.")
            .line("LR_SETTINGS=\"$(api GET \"$LOGS_ROUTER_URL/settings\")\"")
            .line("if [ \"$(jq -r '.api_version' <<<\"$LR_SETTINGS\")\" != 3 ] || [ -z \"$(jq -r '.primary_metadata_region // \"\"' <<<\"$LR_SETTINGS\")\" ]; then")
            .line(format!(
                "  api PATCH \"$LOGS_ROUTER_URL/settings\" \"$(jq -c --arg region {} '{} + (if .api_version != 3 then {{api_version: 3}} else {{}} end)' <<<\"$LR_SETTINGS\")\" >/dev/null",
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
