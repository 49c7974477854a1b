//! What a long wait says when the window is not looked at: the window's title carries the
//! plan's progress while a job runs, and a desktop notification says once how it ended (or
//! that it needs the user). Words only; the shell shows them.

use crate::engine::{Activity, Outcome, PlanProgress, StepStatus};

/// The app's name, the title when nothing runs.
pub const APP_TITLE: &str = "Onramp";

/// A desktop notification's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub title: String,
    pub body: String,
}

/// The window's title for `progress`: the plan and how far it is while a job runs.
pub fn title(progress: &PlanProgress) -> String {
    let total = progress.steps.len();
    let ready = progress
        .steps
        .iter()
        .filter(|s| matches!(s.status, StepStatus::Ready | StepStatus::Kept))
        .count();
    let gone = progress
        .steps
        .iter()
        .filter(|s| matches!(s.status, StepStatus::Deleted | StepStatus::Kept))
        .count();
    match progress.activity {
        Activity::Applying => format!(
            "{APP_TITLE} — applying {} ({ready} of {total} ready)",
            progress.plan_name
        ),
        Activity::TearingDown => format!(
            "{APP_TITLE} — tearing down {} ({gone} of {total} done)",
            progress.plan_name
        ),
        Activity::Idle => APP_TITLE.to_owned(),
    }
}

/// What to tell the user when a job's progress goes from `before` to `after`: once, when
/// it ends in a way that matters to someone not watching. A cancel is the user's own doing.
pub fn announcement(before: Option<&PlanProgress>, after: &PlanProgress) -> Option<Notice> {
    let was_running = before.is_none_or(|b| b.activity != Activity::Idle);
    if !was_running || after.activity != Activity::Idle {
        return None;
    }
    let name = &after.plan_name;
    let failed = after.steps.iter().find(|s| s.status == StepStatus::Failed);
    let (title, body) = match after.outcome? {
        Outcome::Succeeded => (
            format!("{name} is ready"),
            "Every resource of the plan is ready. Onramp's Done step shows what was made and how to connect.".to_owned(),
        ),
        Outcome::Failed => (
            format!("{name} needs you: a step failed"),
            match failed {
                Some(step) => format!(
                    "{} ({}) failed{}. Retry it in the Provision step, or tear down what was made.",
                    step.label,
                    step.name,
                    step.error
                        .as_ref()
                        .map(|e| format!(": {}", e.message))
                        .unwrap_or_default()
                ),
                None => "Retry it in the Provision step, or tear down what was made.".to_owned(),
            },
        ),
        Outcome::TornDown => (
            format!("{name} is torn down"),
            "Everything the plan made is deleted; nothing of it bills any more.".to_owned(),
        ),
        Outcome::TeardownIncomplete => (
            format!("{name} needs you: teardown is not finished"),
            "Some resources are left and may still bill. The Provision step says which, and can try again.".to_owned(),
        ),
        Outcome::Cancelled | Outcome::Interrupted => return None,
    };
    Some(Notice { title, body })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        engine::StepProgress,
        journal::{StepError, StepId},
        settings::Mode,
    };

    fn progress(
        activity: Activity,
        outcome: Option<Outcome>,
        statuses: &[StepStatus],
    ) -> PlanProgress {
        PlanProgress {
            plan_id: "p".into(),
            plan_name: "pg-demo".into(),
            mode: Mode::Sandbox,
            account_id: "a".into(),
            activity,
            outcome,
            steps: statuses
                .iter()
                .map(|status| StepProgress {
                    step: StepId::Instance,
                    label: "Databases for PostgreSQL (Gen 2)".into(),
                    name: "pg-demo".into(),
                    status: *status,
                    resource_id: None,
                    detail: None,
                    error: (*status == StepStatus::Failed).then(|| StepError {
                        message: "The location has no capacity".into(),
                        request_id: None,
                        field: None,
                        hint: None,
                    }),
                    elapsed_ms: 0,
                    estimate_ms: 0,
                    next: None,
                    place: Default::default(),
                })
                .collect(),
            elapsed_ms: 0,
            estimate_ms: 0,
            started_at: String::new(),
        }
    }

    #[test]
    fn the_title_carries_the_progress_while_a_job_runs() {
        let applying = progress(
            Activity::Applying,
            None,
            &[StepStatus::Ready, StepStatus::Working],
        );
        assert_eq!(title(&applying), "Onramp — applying pg-demo (1 of 2 ready)");
        let idle = progress(
            Activity::Idle,
            Some(Outcome::Succeeded),
            &[StepStatus::Ready],
        );
        assert_eq!(title(&idle), "Onramp");
    }

    #[test]
    fn each_ending_is_said_once_and_a_cancel_not_at_all() {
        let running = progress(Activity::Applying, None, &[StepStatus::Working]);
        let ready = progress(
            Activity::Idle,
            Some(Outcome::Succeeded),
            &[StepStatus::Ready],
        );
        assert_eq!(
            announcement(Some(&running), &ready).unwrap().title,
            "pg-demo is ready"
        );
        assert_eq!(announcement(Some(&ready), &ready), None, "said once");
        assert_eq!(announcement(Some(&running), &running), None);

        let failed = progress(Activity::Idle, Some(Outcome::Failed), &[StepStatus::Failed]);
        let notice = announcement(Some(&running), &failed).unwrap();
        assert!(notice.title.contains("needs you"));
        assert!(
            notice.body.contains("The location has no capacity"),
            "{}",
            notice.body
        );

        let cancelled = progress(
            Activity::Idle,
            Some(Outcome::Cancelled),
            &[StepStatus::Paused],
        );
        assert_eq!(announcement(Some(&running), &cancelled), None);
        let gone = progress(
            Activity::Idle,
            Some(Outcome::TornDown),
            &[StepStatus::Deleted],
        );
        assert!(announcement(None, &gone)
            .unwrap()
            .body
            .contains("nothing of it bills"));
    }
}
