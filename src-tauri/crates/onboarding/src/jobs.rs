//! The plans being applied or torn down in this process, by plan id: a plain registry the
//! window's commands share. Finding a running job and reserving a plan for a new one is one
//! step, so two clicks never start two jobs on one plan (the journal's lock stops another
//! process).

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, MutexGuard},
};

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::{
    engine::{Activity, Job, PlanProgress},
    AppError, ErrorCode,
};

enum Slot {
    /// A command is getting the job ready (checking the plan, opening the journal).
    Starting,
    Running {
        progress: watch::Receiver<PlanProgress>,
        cancel: CancellationToken,
    },
}

type Slots = Arc<Mutex<HashMap<String, Slot>>>;

#[derive(Clone, Default)]
pub struct Jobs {
    slots: Slots,
}

/// What [`Jobs::begin`] found.
pub enum Begun {
    /// A job already runs on the plan: here is its progress.
    Running(watch::Receiver<PlanProgress>),
    /// The plan is reserved for a new job; start it with [`Reservation::start`].
    Reserved(Reservation),
}

/// A plan reserved for a job that is not running yet; dropped unused, it frees the plan.
pub struct Reservation {
    slots: Slots,
    plan_id: String,
    started: bool,
}

fn lock(slots: &Slots) -> MutexGuard<'_, HashMap<String, Slot>> {
    // Every critical section is a map operation that cannot leave it half-changed.
    slots.lock().unwrap_or_else(|p| p.into_inner())
}

impl Reservation {
    /// Registers `job` for the plan; the registry forgets it once it ends.
    pub fn start(mut self, job: Job) -> watch::Receiver<PlanProgress> {
        let progress = job.progress.clone();
        lock(&self.slots).insert(
            self.plan_id.clone(),
            Slot::Running {
                progress: progress.clone(),
                cancel: job.cancel.clone(),
            },
        );
        self.started = true;
        let slots = self.slots.clone();
        let plan_id = self.plan_id.clone();
        tokio::spawn(async move {
            let _ = job.done.await;
            lock(&slots).remove(&plan_id);
        });
        progress
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        if !self.started {
            let mut slots = lock(&self.slots);
            if matches!(slots.get(&self.plan_id), Some(Slot::Starting)) {
                slots.remove(&self.plan_id);
            }
        }
    }
}

impl Jobs {
    /// The plan's running job, or a reservation for a new one; refused while another
    /// command is still starting one.
    pub fn begin(&self, plan_id: &str) -> Result<Begun, AppError> {
        let mut slots = lock(&self.slots);
        match slots.get(plan_id) {
            Some(Slot::Running { progress, .. }) => Ok(Begun::Running(progress.clone())),
            Some(Slot::Starting) => Err(AppError::new(
                ErrorCode::Conflict,
                "Onramp is already starting work on this plan.",
            )
            .hint("Wait a moment: its progress shows in the Provision step.")),
            None => {
                slots.insert(plan_id.to_owned(), Slot::Starting);
                Ok(Begun::Reserved(Reservation {
                    slots: self.slots.clone(),
                    plan_id: plan_id.to_owned(),
                    started: false,
                }))
            }
        }
    }

    /// The running job's progress, if one runs.
    pub fn progress(&self, plan_id: &str) -> Option<watch::Receiver<PlanProgress>> {
        match lock(&self.slots).get(plan_id) {
            Some(Slot::Running { progress, .. }) => Some(progress.clone()),
            _ => None,
        }
    }

    /// What the running job does, if one runs.
    pub fn activity(&self, plan_id: &str) -> Option<Activity> {
        self.progress(plan_id).map(|p| p.borrow().activity)
    }

    /// Whether anything runs or is starting on the plan.
    pub fn busy(&self, plan_id: &str) -> bool {
        lock(&self.slots).contains_key(plan_id)
    }

    /// Cancels the plan's running job; false when none runs.
    pub fn cancel(&self, plan_id: &str) -> bool {
        match lock(&self.slots).get(plan_id) {
            Some(Slot::Running { cancel, .. }) => {
                cancel.cancel();
                true
            }
            _ => false,
        }
    }

    /// Cancels every running job (the app is closing).
    pub fn cancel_all(&self) {
        for slot in lock(&self.slots).values() {
            if let Slot::Running { cancel, .. } = slot {
                cancel.cancel();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_is_reserved_once_and_freed_when_the_reservation_is_dropped() {
        let jobs = Jobs::default();
        let first = jobs.begin("p").unwrap();
        assert!(matches!(first, Begun::Reserved(_)));
        assert!(jobs.busy("p"));
        let again = jobs.begin("p").err().expect("refused while starting");
        assert_eq!(again.code, ErrorCode::Conflict);
        drop(first);
        assert!(!jobs.busy("p"));
        assert!(matches!(jobs.begin("p").unwrap(), Begun::Reserved(_)));
        assert!(!jobs.cancel("nothing"));
    }
}
