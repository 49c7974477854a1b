//! Starting work on a plan, whatever window or process asks: apply a reviewed plan (with a
//! fresh journal, or the one an earlier apply left, amended where nothing was made yet),
//! resume it, tear it down, and list the plans Onramp has journals for. A journal belongs
//! to the account it was applied in; work on it is refused from another.

use std::path::Path;

use onramp_cloud::Cloud;

use crate::{
    engine::{self, PlanProgress, Timing},
    journal::{Journal, JournalState, Phase, Record},
    plan::{DraftPlan, Offerings},
    review,
    settings::Mode,
    AppError, ErrorCode,
};

/// Who is signed in: a journal made under another account is not theirs to work on.
#[derive(Debug, Clone, Copy)]
pub struct Owner<'a> {
    pub mode: Mode,
    pub account_id: &'a str,
}

fn mode_name(mode: Mode) -> &'static str {
    match mode {
        Mode::Sandbox => "the sandbox",
        Mode::IbmCloud => "IBM Cloud",
    }
}

fn not_applied() -> AppError {
    AppError::new(
        ErrorCode::NotFound,
        "Onramp has no record of this plan being applied.",
    )
}

/// Reads a plan's journal (no lock: for what only looks), refusing one that belongs to
/// another account.
pub fn read(dir: &Path, plan_id: &str, owner: Owner<'_>) -> Result<JournalState, AppError> {
    crate::journal::check_plan_id(plan_id)?;
    if !Journal::exists(dir, plan_id) {
        return Err(not_applied());
    }
    let state = Journal::read_plan(dir, plan_id)?;
    belongs(&state, owner)?;
    Ok(state)
}

/// Opens a plan's journal for work (under its lock), refusing one that belongs to another
/// account.
pub fn open(dir: &Path, plan_id: &str, owner: Owner<'_>) -> Result<Journal, AppError> {
    crate::journal::check_plan_id(plan_id)?;
    if !Journal::exists(dir, plan_id) {
        return Err(not_applied());
    }
    let journal = Journal::open(dir, plan_id)?;
    belongs(journal.state(), owner)?;
    Ok(journal)
}

fn belongs(js: &JournalState, owner: Owner<'_>) -> Result<(), AppError> {
    if js.mode != owner.mode || js.account_id != owner.account_id {
        return Err(AppError::new(
            ErrorCode::Conflict,
            format!(
                "This plan was applied in {} account {}; Onramp is signed in to {} account {}.",
                mode_name(js.mode),
                js.account_id,
                mode_name(owner.mode),
                owner.account_id
            ),
        )
        .hint("Switch to that account in the Account step to resume or tear it down."));
    }
    Ok(())
}

/// Whether a step's record says something of it may exist.
fn made_something(state: &JournalState, step: crate::journal::StepId) -> bool {
    let r = state.step(step);
    !(matches!(r.phase, Phase::NotStarted | Phase::Deleted)
        || (r.phase == Phase::Failed && r.id.is_none() && r.made_nothing))
}

/// Whether `next` changes only what the journal's plan has not made yet: every step that
/// may have made something makes the same thing under both plans.
pub fn amendable(state: &JournalState, next: &DraftPlan, offerings: &Offerings) -> bool {
    let old = engine::graph(&state.plan);
    let new = engine::graph(next);
    let steps: std::collections::BTreeSet<_> = old.iter().chain(&new).map(|(s, _)| *s).collect();
    state.plan.id == next.id
        && steps.into_iter().all(|step| {
            !made_something(state, step)
                || (old.iter().any(|(s, _)| *s == step)
                    && new.iter().any(|(s, _)| *s == step)
                    && engine::planned(step, &state.plan, offerings)
                        == engine::planned(step, next, offerings))
        })
}

/// The journal to apply `plan` with: a new one, or the plan's own (amended when the
/// change touches only what was not made yet, with the steps that failed for it tried
/// again). The plan is checked again first, with what only the cloud knows; a problem
/// refuses it at its field.
/// Apply refuses a plan with a problem, at the first problem's field.
pub fn refuse_apply(problems: &[crate::plan::Problem]) -> Option<AppError> {
    problems.first().map(|problem| {
        AppError::invalid(&problem.field, problem.message.clone())
            .hint("Fix this in the plan before applying it.")
    })
}

pub async fn prepare_apply(
    cloud: &Cloud,
    dir: &Path,
    owner: Owner<'_>,
    plan: &DraftPlan,
    offerings: &Offerings,
) -> Result<Journal, AppError> {
    crate::journal::check_plan_id(&plan.id)?;
    let mut own = Journal::exists(dir, &plan.id);
    if own && Journal::is_empty(dir, &plan.id) {
        // Its first record never made it to disk: nothing was made under it.
        Journal::supersede(dir, &plan.id)?;
        own = false;
    }
    if own {
        // An earlier apply that made nothing at all (refused before anything existed) is
        // set aside, whatever it was applied with: the edited plan starts over.
        let existing = Journal::read_plan(dir, &plan.id)?;
        let nothing = existing.extras.is_empty()
            && engine::graph(&existing.plan)
                .iter()
                .all(|(step, _)| !made_something(&existing, *step));
        let differs = existing.plan != *plan
            || existing.mode != owner.mode
            || existing.account_id != owner.account_id;
        if nothing && differs && !existing.teardown_started {
            Journal::supersede(dir, &plan.id)?;
            own = false;
        }
    }
    let problems = review::check(cloud, owner.account_id, plan, offerings, own).await?;
    if let Some(refusal) = refuse_apply(&problems) {
        return Err(refusal);
    }
    if !own {
        return Journal::create(dir, plan, owner.mode, owner.account_id);
    }
    let mut journal = open(dir, &plan.id, owner)?;
    let state = journal.state().clone();
    if state.plan == *plan {
        return Ok(journal);
    }
    if state.teardown_started {
        return Err(AppError::new(
            ErrorCode::Conflict,
            "This plan is being torn down; it cannot be applied again.",
        )
        .hint("Finish the teardown, then start a new plan."));
    }
    if !amendable(&state, plan, offerings) {
        return Err(AppError::new(
            ErrorCode::Conflict,
            "This plan already created resources with other settings.",
        )
        .hint("Resume it as it was applied, or tear it down and start a new plan."));
    }
    journal.write(Record::Amended {
        plan: Box::new(plan.clone()),
    })?;
    for (step, _) in engine::graph(plan) {
        let record = journal.state().step(step);
        if record.phase == Phase::Failed
            && engine::planned(step, &state.plan, offerings)
                != engine::planned(step, plan, offerings)
        {
            journal.write(Record::Retry { step })?;
        }
    }
    Ok(journal)
}

/// The journal to resume: not one being torn down.
pub fn prepare_resume(dir: &Path, plan_id: &str, owner: Owner<'_>) -> Result<Journal, AppError> {
    let journal = open(dir, plan_id, owner)?;
    if journal.state().teardown_started {
        return Err(AppError::new(
            ErrorCode::Conflict,
            "This plan is being torn down; it cannot be applied again.",
        )
        .hint("Finish the teardown, then start a new plan."));
    }
    Ok(journal)
}

/// A journal Onramp cannot read: the plan it names may still have resources that bill.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct DamagedJournal {
    pub path: String,
    pub problem: String,
    /// What to do about it.
    pub hint: String,
}

/// The journals that cannot be read (those with no record at all are not damaged: nothing
/// was made under them).
pub fn damaged(dir: &Path) -> Vec<DamagedJournal> {
    Journal::list(dir)
        .into_iter()
        .filter_map(|(path, read)| {
            let error = read.err()?;
            (error.code != ErrorCode::NotFound).then(|| DamagedJournal {
                path: path.display().to_string(),
                problem: error.message,
                hint: error.hint.unwrap_or_else(|| {
                    "Keep the file for support; look for the plan's resources in the IBM Cloud console.".into()
                }),
            })
        })
        .collect()
}

/// Every plan with an open journal, newest first: its live progress if `running` has
/// one, else its journal's picture. Closed (torn down) journals are left out, and so are
/// damaged ones, which [`damaged`] lists.
pub fn list(
    dir: &Path,
    running: impl Fn(&str) -> Option<PlanProgress>,
    timing: &Timing,
) -> Vec<PlanProgress> {
    let mut plans = Vec::new();
    for (_, journal) in Journal::list(dir) {
        let journal = match journal {
            Ok(j) => j,
            Err(_) => continue,
        };
        if journal.closed {
            continue;
        }
        plans.push(
            running(&journal.plan.id).unwrap_or_else(|| engine::progress_of(&journal, timing)),
        );
    }
    plans
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        journal::{StepError, StepId},
        plan::{Encryption, Offerings},
    };

    fn plan() -> DraftPlan {
        DraftPlan {
            id: "3f2a9c1e-7b4d-4e2a-9f10-5c6d7e8f9a0b".into(),
            name: "pg-demo".into(),
            location: "ca-mon".into(),
            resource_group_id: "g".into(),
            members: 2,
            host_flavor: "bx3d.4x20".into(),
            storage_gb: 10,
            version: "18".into(),
            encryption: Encryption::ProviderManaged,
            connectivity: Some(crate::connectivity::Connectivity::suggested(
                "ca-mon",
                "3f2a9c1e-7b4d-4e2a-9f10-5c6d7e8f9a0b",
            )),
            observability: None,
            existing: None,
        }
    }

    fn none() -> Offerings {
        Offerings {
            locations: vec![],
            resource_groups: vec![],
        }
    }

    #[test]
    fn a_journal_of_another_account_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        Journal::create(dir.path(), &plan(), Mode::Sandbox, "acct-a").unwrap();
        let mine = Owner {
            mode: Mode::Sandbox,
            account_id: "acct-a",
        };
        assert!(open(dir.path(), &plan().id, mine).is_ok());
        let other = open(
            dir.path(),
            &plan().id,
            Owner {
                mode: Mode::IbmCloud,
                account_id: "acct-b",
            },
        )
        .unwrap_err();
        assert_eq!(other.code, ErrorCode::Conflict);
        assert!(other.message.contains("IBM Cloud account acct-b"));
        assert_eq!(
            open(dir.path(), "2f0c4a8e-6d1b-4c3e-9a7f-000000000000", mine)
                .unwrap_err()
                .code,
            ErrorCode::NotFound
        );
        assert_eq!(
            open(dir.path(), "nope", mine).unwrap_err().code,
            ErrorCode::InvalidInput
        );
    }

    #[test]
    fn an_unreadable_journal_is_listed_as_damaged_an_empty_one_is_not() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path()
                .join("3f2a9c1e-7b4d-4e2a-9f10-000000000001.jsonl"),
            "not json\n{}\n",
        )
        .unwrap();
        std::fs::write(
            dir.path()
                .join("3f2a9c1e-7b4d-4e2a-9f10-000000000002.jsonl"),
            "",
        )
        .unwrap();
        let found = damaged(dir.path());
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].path.ends_with("000000000001.jsonl"));
        assert!(found[0].hint.contains("IBM Cloud console"));
        assert!(list(dir.path(), |_| None, &Timing::ibm_cloud()).is_empty());
    }

    #[test]
    fn a_rename_after_a_namesake_stopped_apply_is_an_amendment_other_changes_are_not() {
        let dir = tempfile::tempdir().unwrap();
        let mut j = Journal::create(dir.path(), &plan(), Mode::Sandbox, "a").unwrap();
        // The database was made; the VPC's name was someone else's: nothing made for it.
        j.write(Record::CreateIntent {
            step: StepId::Instance,
        })
        .unwrap();
        j.write(Record::Created {
            step: StepId::Instance,
            id: "crn:db".into(),
            name: "pg-demo".into(),
            adopted: false,
            owner: None,
            keychain_entry: None,
            detail: Default::default(),
        })
        .unwrap();
        j.write(Record::Failed {
            step: StepId::Vpc,
            error: StepError {
                message: "A VPC named … already exists".into(),
                request_id: None,
                field: Some("connectivity.vpc".into()),
                hint: None,
            },
            made_nothing: true,
        })
        .unwrap();
        let mut renamed = plan();
        if let Some(c) = renamed.connectivity.as_mut() {
            c.vpc = crate::connectivity::VpcChoice::New {
                name: "my-vpc".into(),
            };
        }
        assert!(amendable(j.state(), &renamed, &none()));
        let mut resized = plan();
        resized.storage_gb = 40;
        assert!(
            !amendable(j.state(), &resized, &none()),
            "the database exists: its size is not the plan's to change here"
        );
    }
}
