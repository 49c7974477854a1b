//! The list of plans, and moving between them: every plan Onramp holds (applied ones from
//! their journals, drafts from the shelf), opening one to work on (the current draft is
//! shelved first, so nothing is lost by switching), and discarding a draft never applied.

use onramp_onboarding::{
    drafts,
    journal::{journal_dir, Journal},
    overview::{self, PlanListing},
    plan::DraftPlan,
    review, AppError, ErrorCode,
};

use crate::Backend;

impl Backend {
    /// Every plan, with where it stands and its monthly cost when the catalog says.
    pub async fn plans_overview(&self) -> Result<Vec<PlanListing>, AppError> {
        let applied = self.list_plans().await;
        let current = match drafts::load(&self.data_dir) {
            drafts::Loaded::Draft(plan) => Some(*plan),
            _ => None,
        };
        let shelved = drafts::shelved(&self.data_dir);
        let mut list = overview::overview(&applied, current.as_ref(), &shelved);
        // The cost needs the plan as drafted; an applied plan's is in its journal.
        let dir = journal_dir(&self.data_dir);
        let (Ok(session), Ok(offerings)) = (self.signed_in().await, self.current_offerings().await)
        else {
            return Ok(list);
        };
        let cloud = session.cloud(&self.http);
        for item in &mut list {
            let plan = current
                .iter()
                .chain(&shelved)
                .find(|d| d.id == item.plan_id)
                .cloned()
                .or_else(|| Journal::read_plan(&dir, &item.plan_id).ok().map(|j| j.plan));
            if let Some(plan) = plan.filter(|p| offerings.location(&p.location).is_some()) {
                if let Ok(cost) =
                    review::cost_of(&cloud, session.account.mode, &plan, &offerings).await
                {
                    item.monthly = Some(cost.monthly_known);
                    item.currency = Some(cost.currency);
                }
            }
        }
        Ok(list)
    }

    /// Makes `plan_id` the plan the wizard edits: its draft from the shelf, else the plan
    /// its journal was applied with. The plan edited until now is shelved first.
    pub async fn open_plan(&self, plan_id: String) -> Result<DraftPlan, AppError> {
        // An applied plan opens only in the account it was applied in.
        let journal = if Journal::exists(&journal_dir(&self.data_dir), &plan_id) {
            Some(self.read_journal(&plan_id).await?.plan)
        } else {
            None
        };
        if let drafts::Loaded::Draft(current) = drafts::load(&self.data_dir) {
            if current.id == plan_id {
                return Ok(*current);
            }
        }
        drafts::shelve_current(&self.data_dir)?;
        let plan = match drafts::take(&self.data_dir, &plan_id)? {
            Some(plan) => plan,
            None => journal.ok_or_else(|| {
                AppError::new(ErrorCode::NotFound, "Onramp has no plan with this id.")
            })?,
        };
        drafts::save(&self.data_dir, &plan)?;
        Ok(plan)
    }

    /// Throws away a draft never applied (an applied plan is torn down, not discarded).
    pub fn discard_draft(&self, plan_id: String) -> Result<(), AppError> {
        if Journal::exists(&journal_dir(&self.data_dir), &plan_id) {
            return Err(AppError::new(
                ErrorCode::Conflict,
                "This plan was applied: tear it down in Provision instead.",
            ));
        }
        drafts::discard(&self.data_dir, &plan_id)
    }
}
