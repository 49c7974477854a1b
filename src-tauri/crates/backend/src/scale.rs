//! The Scale panel: a size's problems and prices before anything is sent, then the scale,
//! followed to its end with news for the window. The rules and the run are the `onboarding`
//! crate's; this adds the signed-in cloud, the offerings and the one-writer journal.

use onramp_onboarding::{
    scale::{self, ScalePreview, ScaleProgress, Size},
    AppError,
};

use crate::Backend;

impl Backend {
    /// `target` for the plan's database: each problem at its field, the cost before and after.
    pub async fn scale_preview(
        &self,
        plan_id: String,
        target: Size,
    ) -> Result<ScalePreview, AppError> {
        let cloud = self.signed_in().await?.cloud(&self.http);
        let state = self.read_journal(&plan_id).await?;
        let offerings = self.current_offerings().await?;
        scale::preview(&cloud, &state, target, &offerings).await
    }

    /// Scales to `target`, or carries on with the scale the journal has under way when it is
    /// None; refused at the field of its first problem, with nothing sent. `news` hears each
    /// change; the answer is the size reached.
    pub async fn scale_database(
        &self,
        plan_id: String,
        target: Option<Size>,
        news: impl FnMut(&ScaleProgress) + Send,
    ) -> Result<Size, AppError> {
        let session = self.signed_in().await?;
        let cloud = session.cloud(&self.http);
        if let Some(target) = &target {
            let preview = self.scale_preview(plan_id.clone(), target.clone()).await?;
            if let Some(problem) = preview.problems.into_iter().next() {
                return Err(AppError::invalid(&problem.field, problem.message));
            }
        }
        let mut journal = self.journal_for_change(&plan_id).await?;
        scale::run(&cloud, &mut journal, target, &self.timing(&session), news).await
    }
}
