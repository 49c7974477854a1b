//! Provision and teardown: apply a reviewed plan, watch it, resume it, cancel it, and tear
//! it down. The work is the `onboarding` engine, whose journal survives the app closing;
//! one job runs per plan (`Jobs`), and a second ask joins the running one.

use tokio::sync::watch;

use onramp_onboarding::{
    engine::{self, Activity, EngineContext, PlanProgress, TeardownItem},
    jobs::Begun,
    journal::{journal_dir, Journal, JournalState},
    plans::{self, DamagedJournal, Owner},
    settings::Mode,
    AppError, ErrorCode,
};

use crate::Backend;

/// A plan's progress: live while its job runs, else the journal's picture.
pub enum Progress {
    Live(watch::Receiver<PlanProgress>),
    Now(PlanProgress),
}

impl Backend {
    /// A job just started: its progress for the window, and for the hook.
    fn started(&self, live: watch::Receiver<PlanProgress>) -> Progress {
        self.watch_job(live.clone());
        Progress::Live(live)
    }

    async fn context(&self) -> Result<EngineContext, AppError> {
        let session = self.signed_in().await?;
        Ok(EngineContext {
            cloud: session.cloud(&self.http),
            keychain: self.keychain.clone(),
            timing: self.timing(&session),
        })
    }

    /// Who is signed in, as the journals know an owner.
    pub(crate) async fn owner(&self) -> Result<(Mode, String), AppError> {
        let session = self.signed_in().await?;
        Ok((session.account.mode, session.account.account_id.clone()))
    }

    /// Opens a plan's journal for a change (under its lock), refusing one that belongs to
    /// another account.
    pub(crate) async fn open_journal(&self, plan_id: &str) -> Result<Journal, AppError> {
        let (mode, account_id) = self.owner().await?;
        plans::open(
            &journal_dir(&self.data_dir),
            plan_id,
            Owner {
                mode,
                account_id: &account_id,
            },
        )
    }

    /// Reads a plan's journal (no lock), refusing one that belongs to another account.
    pub(crate) async fn read_journal(&self, plan_id: &str) -> Result<JournalState, AppError> {
        let (mode, account_id) = self.owner().await?;
        plans::read(
            &journal_dir(&self.data_dir),
            plan_id,
            Owner {
                mode,
                account_id: &account_id,
            },
        )
    }

    /// Applies a reviewed plan: checks it again (a problem refuses it, at its field), writes
    /// the journal's first record (or amends an earlier one), and starts the engine.
    pub async fn apply_plan(
        &self,
        plan: onramp_onboarding::plan::DraftPlan,
    ) -> Result<Progress, AppError> {
        let reserved = match self.jobs.begin(&plan.id)? {
            Begun::Running(progress) => return Ok(Progress::Live(progress)),
            Begun::Reserved(reserved) => reserved,
        };
        let (mode, account_id) = self.owner().await?;
        let cloud = self.signed_in().await?.cloud(&self.http);
        let offerings = self.current_offerings().await?;
        let journal = plans::prepare_apply(
            &cloud,
            &journal_dir(&self.data_dir),
            Owner {
                mode,
                account_id: &account_id,
            },
            &plan,
            &offerings,
        )
        .await?;
        let job = engine::apply(self.context().await?, journal, false);
        Ok(self.started(reserved.start(job)))
    }

    /// Every plan Onramp has applied and not finished tearing down, newest first: running,
    /// interrupted (to resume), failed, or provisioned.
    pub async fn list_plans(&self) -> Vec<PlanProgress> {
        let timing = match self.signed_in().await.ok() {
            Some(s) => self.timing(&s),
            None => engine::Timing::ibm_cloud(),
        };
        plans::list(
            &journal_dir(&self.data_dir),
            |id| self.jobs.progress(id).map(|p| p.borrow().clone()),
            &timing,
        )
    }

    /// Journals Onramp cannot read: their plans may still have resources that bill.
    pub fn damaged_journals(&self) -> Vec<DamagedJournal> {
        plans::damaged(&journal_dir(&self.data_dir))
    }

    /// The progress of a plan: live if it runs, else its journal's picture.
    pub async fn watch_plan(&self, plan_id: String) -> Result<Progress, AppError> {
        if let Some(progress) = self.jobs.progress(&plan_id) {
            return Ok(Progress::Live(progress));
        }
        let journal = self.read_journal(&plan_id).await?;
        let session = self.signed_in().await?;
        Ok(Progress::Now(engine::progress_of(
            &journal,
            &self.timing(&session),
        )))
    }

    /// Carries on with an interrupted or cancelled plan: adopts what it can prove it made,
    /// polls what is in flight, and (if `retry_failed`) tries failed steps again. Never
    /// creates a second copy.
    pub async fn resume_plan(
        &self,
        plan_id: String,
        retry_failed: bool,
    ) -> Result<Progress, AppError> {
        let reserved = match self.jobs.begin(&plan_id)? {
            Begun::Running(progress) => return Ok(Progress::Live(progress)),
            Begun::Reserved(reserved) => reserved,
        };
        let (mode, account_id) = self.owner().await?;
        let journal = plans::prepare_resume(
            &journal_dir(&self.data_dir),
            &plan_id,
            Owner {
                mode,
                account_id: &account_id,
            },
        )?;
        let job = engine::apply(self.context().await?, journal, retry_failed);
        Ok(self.started(reserved.start(job)))
    }

    /// Stops a running job after the call in flight; its journal keeps it resumable.
    pub fn cancel_plan(&self, plan_id: String) -> Result<(), AppError> {
        if self.jobs.cancel(&plan_id) {
            Ok(())
        } else {
            Err(AppError::new(
                ErrorCode::NotFound,
                "Nothing is running for this plan.",
            ))
        }
    }

    /// What teardown would delete, in order, and what deleting each means.
    pub async fn teardown_preview(&self, plan_id: String) -> Result<Vec<TeardownItem>, AppError> {
        Ok(engine::teardown_preview(
            &self.read_journal(&plan_id).await?,
        ))
    }

    /// Deletes everything the plan created, in reverse order, after the preview was shown.
    /// A plan still being applied must be cancelled first; a teardown running is joined.
    pub async fn teardown_plan(&self, plan_id: String) -> Result<Progress, AppError> {
        let reserved = match self.jobs.begin(&plan_id)? {
            Begun::Running(progress) if progress.borrow().activity == Activity::Applying => {
                return Err(
                    AppError::new(ErrorCode::Conflict, "This plan is still being applied.")
                        .hint("Cancel it first, then tear it down."),
                )
            }
            Begun::Running(progress) => return Ok(Progress::Live(progress)),
            Begun::Reserved(reserved) => reserved,
        };
        let journal = self.open_journal(&plan_id).await?;
        let job = engine::teardown(self.context().await?, journal);
        Ok(self.started(reserved.start(job)))
    }
}

impl Backend {
    /// What Done shows of a plan: what it made (with console links), its monthly cost, where
    /// its secrets are, and what it left out.
    pub async fn plan_summary(
        &self,
        plan_id: String,
    ) -> Result<onramp_onboarding::done::PlanSummary, AppError> {
        let journal = self.read_journal(&plan_id).await?;
        let session = self.signed_in().await?;
        let mut summary = onramp_onboarding::done::summary(
            &journal,
            &self.timing(&session),
            self.keychain.service(),
        );
        if let Ok(offerings) = self.current_offerings().await {
            let cloud = session.cloud(&self.http);
            summary.cost = onramp_onboarding::review::cost_of(
                &cloud,
                session.account.mode,
                &journal.plan,
                &offerings,
            )
            .await
            .ok();
        }
        Ok(summary)
    }
}
