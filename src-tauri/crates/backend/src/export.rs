//! The plan as an `ibmcloud` script or a Terraform configuration (Review and Done), and
//! saving one where the user chose. The words are the `onboarding` crate's; this adds only
//! what the signed-in window knows: the plan's journal, the account and the group's name.

use onramp_onboarding::{
    export::{self, ExportFormat, Known, PlanExport},
    journal::{journal_dir, Journal},
    plan::DraftPlan,
    AppError,
};

use crate::Backend;

impl Backend {
    /// `plan` in `format`; once apply began, from its journal (Terraform then imports what
    /// the plan made).
    pub async fn export_plan(
        &self,
        plan: DraftPlan,
        format: ExportFormat,
    ) -> Result<PlanExport, AppError> {
        onramp_onboarding::journal::check_plan_id(&plan.id)?;
        let (_, account_id) = self.owner().await?;
        let state = if Journal::exists(&journal_dir(&self.data_dir), &plan.id) {
            Some(self.read_journal(&plan.id).await?)
        } else {
            None
        };
        let plan = state.as_ref().map(|s| s.plan.clone()).unwrap_or(plan);
        let offerings = self.current_offerings().await.ok();
        let group = offerings.as_ref().and_then(|o| {
            o.resource_groups
                .iter()
                .find(|g| g.id == plan.resource_group_id)
                .map(|g| g.name.clone())
        });
        export::export(
            &plan,
            state.as_ref(),
            Known {
                resource_group_name: group.as_deref(),
                account_id: Some(&account_id),
            },
            format,
        )
    }

    /// Writes the export to `path` (the file the user typed; `~/` is the home folder) and
    /// returns the full path written.
    pub async fn save_export(
        &self,
        plan: DraftPlan,
        format: ExportFormat,
        path: String,
    ) -> Result<String, AppError> {
        let path = crate::connect::expand(&path);
        if !path.is_absolute() || path.file_name().is_none() {
            return Err(AppError::invalid(
                "exportFile",
                "Give the full path of a file, for example ~/pg-demo.tf.",
            ));
        }
        let text = self.export_plan(plan, format).await?.text;
        tokio::fs::write(&path, text).await.map_err(|e| {
            AppError::invalid(
                "exportFile",
                format!("Could not write {}: {e}", path.display()),
            )
            .hint("Choose a folder you can write to.")
        })?;
        tracing::info!(file = %path.display(), "plan export saved");
        Ok(path.to_string_lossy().into_owned())
    }
}
