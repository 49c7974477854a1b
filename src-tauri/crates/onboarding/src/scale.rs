//! Scaling a plan's database after day one (issue 19): host flavor, members and storage,
//! checked by the create rules plus the disk's own (it grows, never shrinks), priced before
//! and after, then sent as Resource Controller's `PATCH` and followed to the end of its
//! `update` operation. Journalled: a scale cut off by a kill goes on to the same size when
//! the plan is opened again, and once done the size is the plan's (Done, cost, exports).

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use specta::Type;

use onramp_cloud::{
    rc::{
        DataServicesParameters, InstanceParameters, InstanceState, OperationState, OperationType,
        PostgresqlParameters, ResourceInstance, UpdateResourceInstance,
    },
    Cloud,
};

use crate::{
    engine::Timing,
    error::{AppError, ErrorCode},
    journal::{Journal, JournalState, Record, StepError, StepId},
    plan::{self, field, DraftPlan, Offerings, Problem},
};

/// Where a problem that is not one field's goes: the Scale panel as a whole.
pub const PANEL: &str = "scale";

/// The size of a database: what a scale changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct Size {
    pub members: i64,
    pub host_flavor: String,
    /// Per member.
    pub storage_gb: i64,
}

impl Size {
    pub fn of(plan: &DraftPlan) -> Size {
        Size {
            members: plan.members,
            host_flavor: plan.host_flavor.clone(),
            storage_gb: plan.storage_gb,
        }
    }

    /// `plan` at this size.
    pub fn on(&self, plan: &DraftPlan) -> DraftPlan {
        DraftPlan {
            members: self.members,
            host_flavor: self.host_flavor.clone(),
            storage_gb: self.storage_gb,
            ..plan.clone()
        }
    }

    /// The size the instance reports (its extensions once active, else what it was asked
    /// for), filled in from `fallback` where it says nothing.
    pub fn reported(instance: &ResourceInstance, fallback: &Size) -> Size {
        let allocation = instance
            .extensions
            .as_ref()
            .and_then(|e| e.dataservices.as_ref())
            .and_then(|d| d.postgresql.as_ref());
        let asked = instance
            .parameters
            .as_ref()
            .map(|p| &p["dataservices"]["postgresql"]);
        Size {
            members: allocation
                .and_then(|a| a.members.map(i64::from))
                .or_else(|| asked.and_then(|p| p["members"].as_i64()))
                .unwrap_or(fallback.members),
            host_flavor: allocation
                .and_then(|a| a.host_flavor.clone())
                .or_else(|| asked.and_then(|p| p["host_flavor"].as_str().map(str::to_owned)))
                .unwrap_or_else(|| fallback.host_flavor.clone()),
            storage_gb: allocation
                .and_then(|a| a.storage_gb.map(i64::from))
                .or_else(|| asked.and_then(|p| p["storage_gb"].as_i64()))
                .unwrap_or(fallback.storage_gb),
        }
    }
}

/// The rules of a scale from `current` to `target` for `plan` (its location, its other
/// choices): the create rules for members, flavor and storage, then the disk never
/// shrinks, and something must change. Each problem names its field.
pub fn check(
    plan: &DraftPlan,
    current: &Size,
    target: &Size,
    offerings: &Offerings,
) -> Vec<Problem> {
    let sized = [field::MEMBERS, field::HOST_FLAVOR, field::STORAGE];
    let mut problems: Vec<Problem> = plan::validate(&target.on(plan), offerings)
        .into_iter()
        .filter(|p| sized.contains(&p.field.as_str()))
        .collect();
    if target.storage_gb < current.storage_gb && !problems.iter().any(|p| p.field == field::STORAGE)
    {
        problems.push(Problem::new(
            field::STORAGE,
            format!(
                "The disk cannot shrink: it is {} GB per member now, so choose {} GB or more. To make it smaller, back the database up and restore it into a new one.",
                current.storage_gb, current.storage_gb
            ),
        ));
    }
    if problems.is_empty() && target == current {
        problems.push(Problem::new(
            PANEL,
            "This is the size the database has now: change the flavor, the members or the storage first.",
        ));
    }
    problems
}

/// Whether the database can take a scale now: active, with no operation under way.
pub fn ready_to_scale(instance: &ResourceInstance) -> Result<(), Problem> {
    let state = instance.state.as_ref();
    if state != Some(&InstanceState::Active) {
        let shown = state
            .map(|s| s.as_str().to_owned())
            .unwrap_or_else(|| "in an unknown state".into());
        return Err(Problem::new(
            PANEL,
            format!("The database is {shown}; it can be scaled once it is active."),
        ));
    }
    if let Some(op) = &instance.last_operation {
        if op.state == Some(OperationState::InProgress) {
            let what = op
                .kind
                .as_ref()
                .map(|k| k.as_str().to_owned())
                .unwrap_or_else(|| "an operation".into());
            return Err(Problem::new(
                PANEL,
                format!(
                    "The database's {what} is still in progress; scale it once that has finished."
                ),
            ));
        }
    }
    Ok(())
}

/// Where a scale is, for the panel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub enum ScaleStage {
    /// The `PATCH` is on its way.
    Sending,
    /// Resource Controller's `update` operation is under way.
    InProgress,
    Done,
    Failed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ScaleProgress {
    pub target: Size,
    pub stage: ScaleStage,
    /// The service's own description of its last operation, when it gave one.
    pub detail: Option<String>,
    pub elapsed_ms: u64,
    pub error: Option<StepError>,
}

/// The journal's scale: the size asked for and whether it was reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScaleRecord {
    pub target: Size,
    /// `Creating` while under way, `Ready` once reached, `Failed` after a failure.
    pub phase: crate::journal::Phase,
    pub error: Option<StepError>,
}

fn parameters(size: &Size) -> InstanceParameters {
    InstanceParameters {
        dataservices: DataServicesParameters {
            postgresql: Some(PostgresqlParameters {
                members: u32::try_from(size.members).ok(),
                storage_gb: u32::try_from(size.storage_gb).ok(),
                host_flavor: Some(size.host_flavor.clone()),
                version: None,
            }),
            ..DataServicesParameters::default()
        },
    }
}

/// The database's id from the journal, once it exists.
pub fn database_id(state: &JournalState) -> Result<String, AppError> {
    state
        .steps
        .get(&StepId::Instance)
        .and_then(|s| s.id.clone())
        .ok_or_else(|| {
            AppError::new(ErrorCode::InvalidInput, "This plan has no database yet.")
                .hint("Provision the plan first; its database can be scaled once it is active.")
        })
}

/// Scales the plan's database to `target` (checked by the caller with [`check`]), or
/// carries on with the scale the journal has under way when `target` is None. Reports
/// each change to `report`; returns the size reached.
pub async fn run(
    cloud: &Cloud,
    journal: &mut Journal,
    target: Option<Size>,
    timing: &Timing,
    mut report: impl FnMut(&ScaleProgress),
) -> Result<Size, AppError> {
    let started = Instant::now();
    let id = database_id(journal.state())?;
    let rc = cloud.resource_controller().map_err(AppError::from_cloud)?;
    let pending = journal
        .state()
        .scale
        .clone()
        .filter(|s| s.phase == crate::journal::Phase::Creating);
    let target = match (target, pending) {
        (Some(target), _) => {
            journal.write(Record::ScaleIntent {
                size: target.clone(),
            })?;
            target
        }
        (None, Some(pending)) => pending.target,
        (None, None) => return Ok(Size::of(&journal.state().plan)),
    };
    let mut progress = ScaleProgress {
        target: target.clone(),
        stage: ScaleStage::Sending,
        detail: None,
        elapsed_ms: 0,
        error: None,
    };
    let fail = |journal: &mut Journal, progress: &mut ScaleProgress, error: AppError| {
        let step_error = StepError::from(&error);
        // The failure is what the user needs; a journal that cannot take it is logged.
        if let Err(e) = journal.write(Record::ScaleFailed {
            error: step_error.clone(),
        }) {
            tracing::warn!(error = %e.message, "the scale's failure could not be journalled");
        }
        progress.stage = ScaleStage::Failed;
        progress.error = Some(step_error);
        error
    };
    report(&progress);
    let current = Size::of(&journal.state().plan);
    let mut sent = false;
    // After the PATCH, reads may show the previous operation for a moment: an ended
    // operation at the old size is believed only after this many reads.
    let mut stale_reads = 3;
    loop {
        let instance = match rc.get_instance(&id).await {
            Ok(instance) => instance,
            Err(e) => {
                let error = fail(journal, &mut progress, AppError::from_cloud(e));
                report(&progress);
                return Err(error);
            }
        };
        let op = instance.last_operation.as_ref();
        let updating = op.is_some_and(|o| o.kind == Some(OperationType::Update));
        let op_state = op.and_then(|o| o.state.clone());
        let reported = Size::reported(&instance, &current);
        if reported == target && op_state != Some(OperationState::InProgress) {
            journal.write(Record::Scaled {
                size: target.clone(),
            })?;
            progress.stage = ScaleStage::Done;
            progress.detail = op.and_then(|o| o.description.clone());
            progress.elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
            report(&progress);
            tracing::info!(database = %id, ?target, "database scaled");
            return Ok(target);
        }
        if updating && op_state == Some(OperationState::Failed) && sent {
            let why = op
                .and_then(|o| o.description.clone())
                .unwrap_or_else(|| "The update failed.".into());
            let error = fail(
                journal,
                &mut progress,
                AppError::new(
                    ErrorCode::CloudRejected,
                    format!("The database was not scaled: {why}"),
                ),
            );
            report(&progress);
            return Err(error);
        }
        if op_state != Some(OperationState::InProgress) && sent && stale_reads > 0 {
            stale_reads -= 1;
        } else if op_state != Some(OperationState::InProgress) {
            if sent {
                // The update ended, yet the size is not the one asked for.
                let error = fail(
                    journal,
                    &mut progress,
                    AppError::new(
                        ErrorCode::CloudRejected,
                        format!(
                        "The update ended, but the database reports {} × {} with {} GB per member.",
                        reported.members, reported.host_flavor, reported.storage_gb
                    ),
                    ),
                );
                report(&progress);
                return Err(error);
            }
            // Not sent yet in this run (or cut off before its answer): the same size again.
            if let Err(problem) = ready_to_scale(&instance) {
                let error = fail(
                    journal,
                    &mut progress,
                    AppError::invalid(PANEL, problem.message),
                );
                report(&progress);
                return Err(error);
            }
            let body = UpdateResourceInstance {
                name: None,
                parameters: Some(parameters(&target)),
            };
            if let Err(e) = rc.update_instance(&id, &body).await {
                let error = fail(journal, &mut progress, AppError::from_cloud(e));
                report(&progress);
                return Err(error);
            }
            sent = true;
            progress.stage = ScaleStage::InProgress;
        } else if !updating {
            // A create (or delete) under way: not a database to scale yet.
            let why = ready_to_scale(&instance)
                .err()
                .map(|p| p.message)
                .unwrap_or_else(|| "The database is busy; scale it once it is active.".into());
            let error = fail(journal, &mut progress, AppError::invalid(PANEL, why));
            report(&progress);
            return Err(error);
        } else {
            // An update under way (this run's, or the one a killed run sent).
            sent = true;
            stale_reads = 0;
            progress.stage = ScaleStage::InProgress;
            progress.detail = op.and_then(|o| o.description.clone());
        }
        progress.elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        report(&progress);
        let hint = op
            .and_then(|o| o.poll_after)
            .filter(|s| s.is_finite() && *s > 0.0)
            .map(Duration::from_secs_f64);
        tokio::time::sleep(timing.poll_interval(started.elapsed(), hint)).await;
    }
}

/// What the Scale panel shows before anything is sent: the size now (as the database
/// reports it), the size asked for, each problem at its field, and the monthly cost of
/// both.
#[derive(Debug, Clone, PartialEq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ScalePreview {
    pub current: Size,
    pub target: Size,
    pub problems: Vec<Problem>,
    pub cost_before: crate::cost::CostEstimate,
    pub cost_after: crate::cost::CostEstimate,
    /// A scale the journal has under way (cut off by a quit): opening the panel goes on with it.
    pub under_way: Option<Size>,
    /// What the change does to a running database, when it does something.
    pub note: Option<String>,
}

/// [`ScalePreview`] for the plan in `state` and `target`: reads the database once.
pub async fn preview(
    cloud: &Cloud,
    state: &JournalState,
    target: Size,
    offerings: &Offerings,
) -> Result<ScalePreview, AppError> {
    let id = database_id(state)?;
    let rc = cloud.resource_controller().map_err(AppError::from_cloud)?;
    let instance = rc.get_instance(&id).await.map_err(AppError::from_cloud)?;
    let plan = &state.plan;
    let current = Size::reported(&instance, &Size::of(plan));
    let mut problems = check(plan, &current, &target, offerings);
    if let Err(problem) = ready_to_scale(&instance) {
        problems.retain(|p| p.field != PANEL);
        problems.insert(0, problem);
    }
    // One read of the catalog's pricing serves both sizes (same location).
    let pricing = crate::review::pricing_of(cloud, plan, offerings).await?;
    let sandbox = state.mode == crate::settings::Mode::Sandbox;
    let cost_before = crate::cost::estimate(&current.on(plan), pricing.as_ref(), sandbox);
    let cost_after = crate::cost::estimate(&target.on(plan), pricing.as_ref(), sandbox);
    let note = (target.host_flavor != current.host_flavor).then(|| {
        "A new host flavor may restart the database while it moves to a larger host; a smaller one does not restart it.".to_owned()
    });
    let under_way = state
        .scale
        .as_ref()
        .filter(|s| s.phase == crate::journal::Phase::Creating)
        .map(|s| s.target.clone());
    Ok(ScalePreview {
        current,
        target,
        problems,
        cost_before,
        cost_after,
        under_way,
        note,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::testing::offerings;

    fn plan() -> DraftPlan {
        offerings().new_plan("p".into())
    }

    #[test]
    fn a_shrink_an_unknown_flavor_and_bad_members_each_name_their_field() {
        let plan = plan();
        let offerings = offerings();
        let now = Size {
            storage_gb: 40,
            ..Size::of(&plan)
        };
        let shrink = check(
            &plan,
            &now,
            &Size {
                storage_gb: 20,
                ..now.clone()
            },
            &offerings,
        );
        assert_eq!(shrink.len(), 1, "{shrink:?}");
        assert_eq!(shrink[0].field, field::STORAGE);
        assert!(
            shrink[0].message.contains("cannot shrink: it is 40 GB"),
            "{}",
            shrink[0].message
        );
        let flavor = check(
            &plan,
            &now,
            &Size {
                host_flavor: "bx9.1x1".into(),
                ..now.clone()
            },
            &offerings,
        );
        assert_eq!(flavor.len(), 1, "{flavor:?}");
        assert_eq!(flavor[0].field, field::HOST_FLAVOR);
        let members = check(
            &plan,
            &now,
            &Size {
                members: 4,
                ..now.clone()
            },
            &offerings,
        );
        assert_eq!(members[0].field, field::MEMBERS);
        let same = check(&plan, &now, &now, &offerings);
        assert_eq!(same[0].field, PANEL);
        assert!(check(
            &plan,
            &now,
            &Size {
                storage_gb: 80,
                members: 3,
                ..now.clone()
            },
            &offerings
        )
        .is_empty());
    }

    #[test]
    fn a_storage_out_of_range_gets_the_create_rule_not_the_shrink_rule_twice() {
        let plan = plan();
        let now = Size::of(&plan);
        let problems = check(
            &plan,
            &now,
            &Size {
                storage_gb: 5,
                ..now.clone()
            },
            &offerings(),
        );
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].message.contains("from 10 to 9600"),
            "{}",
            problems[0].message
        );
    }
}
