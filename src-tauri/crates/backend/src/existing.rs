//! Basics' "Use a database I already have": the account's Gen 2 databases, and a plan made
//! to use one (the `onboarding` crate's rule).

use onramp_onboarding::{
    existing::{self, DatabaseListing},
    plan::DraftPlan,
    AppError,
};

use crate::Backend;

impl Backend {
    /// The account's Gen 2 PostgreSQL databases in every location, newest first.
    pub async fn existing_databases(&self) -> Result<Vec<DatabaseListing>, AppError> {
        let cloud = self.signed_in().await?.cloud(&self.http);
        existing::list(&cloud).await
    }

    /// `plan` made to use `database` (its name, location, group, size and version), or, with
    /// none, to make a database of its own again.
    pub fn choose_existing_database(
        &self,
        plan: DraftPlan,
        database: Option<DatabaseListing>,
    ) -> DraftPlan {
        match database {
            Some(database) => existing::choose(&plan, &database),
            None => existing::unchoose(&plan),
        }
    }
}
