//! Basics, Sizing, Encryption, Connectivity and Review: the draft plan, what the cloud
//! offers for it (kept per account), the rules (asked as the user types), and the reviewed
//! plan with its cost.

use onramp_onboarding::{
    connect::ConnectivityOptions,
    connectivity::Connectivity,
    drafts,
    journal::{journal_dir, Journal},
    observability::{self, account::AccountChange, options::ObservabilityOptions},
    offerings,
    plan::{self, DraftPlan, Offerings, Problem},
    review::{self, EncryptionOptions, Review},
    settings::Mode,
    AppError,
};

use crate::Backend;

impl Backend {
    /// The catalog and account data the plan is checked against, loaded once per account.
    pub(crate) async fn current_offerings(&self) -> Result<Offerings, AppError> {
        let session = self.signed_in().await?;
        let account = session.account.account_id.clone();
        if let Some((cached_for, cached)) = self.offerings.lock().await.as_ref() {
            if *cached_for == account {
                return Ok(cached.clone());
            }
        }
        let loaded = offerings::load(&session.cloud(&self.http), &account).await?;
        *self.offerings.lock().await = Some((account, loaded.clone()));
        Ok(loaded)
    }

    /// What can be chosen: locations, flavors, versions, resource groups (`refresh` reads
    /// the cloud again).
    pub async fn plan_offerings(&self, refresh: bool) -> Result<Offerings, AppError> {
        if refresh {
            *self.offerings.lock().await = None;
        }
        self.current_offerings().await
    }

    /// A new plan with the defaults, and (Gen 2 being private-only) the way in suggested.
    /// The plan edited until now is kept on the shelf, to be opened again from the list.
    pub async fn new_plan(&self) -> Result<DraftPlan, AppError> {
        let offerings = self.current_offerings().await?;
        drafts::shelve_current(&self.data_dir)?;
        let mut plan = offerings.new_plan(uuid::Uuid::new_v4().to_string());
        plan.connectivity = Some(Connectivity::suggested(&plan.location, &plan.id));
        Ok(plan)
    }

    /// Every problem with the plan, each at its field.
    pub async fn validate_plan(&self, plan: DraftPlan) -> Result<Vec<Problem>, AppError> {
        Ok(plan::validate(&plan, &self.current_offerings().await?))
    }

    pub fn save_draft(&self, plan: DraftPlan) -> Result<(), AppError> {
        drafts::save(&self.data_dir, &plan)
    }

    /// The saved draft; an unreadable one is set aside (and the window told) for a new plan.
    pub fn load_draft(&self) -> Option<DraftPlan> {
        match drafts::load(&self.data_dir) {
            drafts::Loaded::None => None,
            drafts::Loaded::Draft(plan) => Some(*plan),
            drafts::Loaded::SetAside { kept, why } => {
                self.problem(
                    format!("Your saved draft could not be read ({why})."),
                    format!(
                        "Onramp kept it as {} and started a new plan.",
                        kept.display()
                    ),
                );
                None
            }
        }
    }

    /// The Key Protect instances and root keys the user may encrypt with.
    pub async fn encryption_options(&self) -> Result<EncryptionOptions, AppError> {
        let session = self.signed_in().await?;
        review::encryption_options(&session.cloud(&self.http), &session.account.account_id).await
    }

    /// The plan as it will be applied: every resource, what exists already, and the cost.
    pub async fn review_plan(&self, plan: DraftPlan) -> Result<Review, AppError> {
        let session = self.signed_in().await?;
        let offerings = self.current_offerings().await?;
        let own = Journal::exists(&journal_dir(&self.data_dir), &plan.id);
        review::review(
            &session.cloud(&self.http),
            session.account.mode,
            &session.account.account_id,
            &plan,
            &offerings,
            own,
        )
        .await
    }

    /// What the private path can use in `location`: VPCs, subnets, keys, images, profiles.
    pub async fn connectivity_options(
        &self,
        location: String,
        plan_id: String,
    ) -> Result<ConnectivityOptions, AppError> {
        let session = self.signed_in().await?;
        let sandbox = session.account.mode == Mode::Sandbox || session.endpoints.is_loopback();
        onramp_onboarding::connect::connectivity_options(
            &session.cloud(&self.http),
            &location,
            &plan_id,
            sandbox,
        )
        .await
    }

    /// The Monitoring instances in `location` and the plans of a new one.
    pub async fn observability_options(
        &self,
        location: String,
    ) -> Result<ObservabilityOptions, AppError> {
        let session = self.signed_in().await?;
        self.offered(&location).await?;
        observability::options::options(&session.cloud(&self.http), &location).await
    }

    /// Refuses a location that Gen 2 is not offered in, before it goes into a URL.
    async fn offered(&self, location: &str) -> Result<(), AppError> {
        let offerings = self.current_offerings().await?;
        if offerings.location(location).is_some() {
            return Ok(());
        }
        let shown: String = location.chars().take(40).collect();
        Err(AppError::invalid(
            plan::field::LOCATION,
            format!("Databases for PostgreSQL Gen 2 is not offered in '{shown}'."),
        )
        .hint("Choose a location in Basics."))
    }

    /// The account-wide settings `plan` would change, read now, each before and after.
    pub async fn account_changes(&self, plan: DraftPlan) -> Result<Vec<AccountChange>, AppError> {
        let session = self.signed_in().await?;
        self.offered(&plan.location).await?;
        observability::account::changes(&session.cloud(&self.http), &plan).await
    }
}
