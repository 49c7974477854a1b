//! The one interface every kind of resource a plan makes sits behind (DESIGN §3): its label
//! and estimate, its name and the plan field it answers to, how to look for it and what
//! proves a namesake is this plan's, how to create it, wait for it and delete it, what
//! deleting it means, and its line in Review. The graph, the run machinery, the progress
//! view and teardown know kinds only through this trait; each kind is one file in
//! `resources/`.

use std::{collections::BTreeMap, future::Future, pin::Pin, time::Duration};

use onramp_cloud::CloudError;
use onramp_secrets::Sensitive;

use super::{run::Run, Stop, Timing};
use crate::{
    export::{cli::CliPart, terraform::Tf, Exporting},
    journal::{JournalState, StepId, StepRecord},
    plan::{DraftPlan, Offerings},
    review::PlannedResource,
    AppError,
};

/// Work a kind does for the engine: it ends with a value, or stops the step.
pub(crate) type Work<'a, T> = Pin<Box<dyn Future<Output = Result<T, Stop>> + Send + 'a>>;

/// A resource a look found under the name this plan gives it (or made just now), with the
/// facts that say who made it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Found {
    /// What the journal records as its id (a CRN, a GUID, a VPC id).
    pub id: String,
    pub name: String,
    /// Its CRN, where Global Search can read its tags.
    pub crn: Option<String>,
    /// RFC 3339, as the API reports it.
    pub created_at: Option<String>,
    /// The IAM id that made it, where the API records one.
    pub created_by: Option<String>,
    /// How it differs from what this plan makes (another public key, another target),
    /// which alone says it is someone else's.
    pub mismatch: Option<String>,
    /// Public facts to journal with it (a security group, an interface, an address).
    pub detail: BTreeMap<String, String>,
    /// A secret its create answer carried (a credential's password), and the keychain entry
    /// it goes to before the journal records the resource.
    pub secret: Option<(String, Sensitive<String>)>,
    /// The keychain entry that already holds its secret (saved before the create).
    pub keychain_entry: Option<String>,
}

/// What proves that a namesake found after this plan asked for one is this plan's, beyond
/// "it appeared after the journal's intent record" (DESIGN, "Ownership by proof").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Proof {
    /// The API reports when it was made: it must be after the intent (clock skew allowed).
    /// Without it, the look before the intent found no namesake, by construction.
    pub time: bool,
    /// The API records who made it: it must be the identity Onramp signs in as.
    pub creator: bool,
    /// It carries user tags: it must carry the plan's tag `onramp-plan:<plan id>`.
    pub tag: bool,
}

/// What a namesake this plan cannot prove it made means for the step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stranger {
    /// It is someone else's: apply stops at this step, and names it.
    Conflict,
    /// It does what the step needs and is shared (an account-wide authorization): use it,
    /// and teardown keeps it.
    UseAndKeep,
}

pub(crate) trait Resource: Sync {
    fn step(&self) -> StepId;
    /// What kind of resource it is, as the Provision step labels it.
    fn label(&self) -> &'static str;
    /// The kind in a sentence: "VPC", "subnet", "database".
    fn noun(&self) -> &'static str;
    fn estimate(&self, timing: &Timing) -> Duration;
    /// The name it has (or will have) in the cloud.
    fn name(&self, plan: &DraftPlan) -> String;
    /// The plan field its problems are shown at.
    fn field(&self) -> &'static str;
    /// Whether the plan succeeds without it.
    fn optional(&self) -> bool {
        false
    }
    /// Whether the user chose an existing one in the wizard: it is used, never made or
    /// deleted.
    fn chosen(&self, _plan: &DraftPlan) -> bool {
        false
    }
    /// Its line in Review.
    fn planned(&self, plan: &DraftPlan, offerings: &Offerings) -> PlannedResource;
    /// What deleting it means, in the teardown preview.
    fn teardown_wording(&self, sandbox: bool) -> String;
    /// Where IBM Cloud's console shows it (`id` is the journal's id of it): the resource's
    /// own page where the console has one Onramp can name, else the page that lists its kind.
    fn console(&self, _state: &JournalState, _id: &str) -> Option<String> {
        None
    }
    /// Why teardown leaves it, when it does.
    fn kept_wording(&self) -> &'static str {
        "Kept: you chose this existing resource, and it stays as it was."
    }
    fn proof(&self) -> Proof;
    /// Its part of the Terraform export: a resource (imported once the plan made it), the
    /// id of the one the user chose, or a note where Terraform cannot do what Onramp does.
    fn terraform(&self, x: &Exporting) -> Vec<Tf>;
    /// Its section of the `ibmcloud` CLI script.
    fn cli(&self, x: &Exporting) -> CliPart;
    /// Its section of the curl script: the calls `create` and `wait` make, with the body
    /// `create` sends.
    fn curl(&self, x: &Exporting) -> CliPart;
    fn stranger(&self) -> Stranger {
        Stranger::Conflict
    }
    /// A refusal of its create, as the user should read it (at its field).
    fn refusal(&self, error: CloudError) -> AppError {
        let network = super::run::temporary(&error);
        let app = AppError::from_cloud(error);
        if network {
            app
        } else {
            app.at(self.field())
        }
    }

    /// Every resource under the name this plan gives it, found or not this plan's.
    fn look<'a>(&'a self, run: &'a Run) -> Work<'a, Vec<Found>>;
    /// One create call; `Err` is the cloud's answer, which the engine reads as a refusal
    /// or as "unclear" (no answer, a 5xx, a 409): then it looks again before retrying.
    fn create<'a>(&'a self, run: &'a Run) -> Work<'a, Result<Found, CloudError>>;
    /// Waits until it is ready, journalling what it reports and the facts learnt.
    fn wait<'a>(&'a self, _run: &'a Run, _id: &'a str) -> Work<'a, ()> {
        Box::pin(async { Ok(()) })
    }
    /// The existing one the user chose, checked to be there.
    fn adopt_chosen<'a>(&'a self, _run: &'a Run) -> Work<'a, Found> {
        Box::pin(async {
            Err(Stop::Failed(AppError::internal(format!(
                "the {} cannot be chosen as an existing one",
                self.noun()
            ))))
        })
    }
    /// Deletes it and waits until it is gone; "not found" means gone.
    fn delete<'a>(&'a self, run: &'a Run, id: &'a str, record: &'a StepRecord) -> Work<'a, ()>;
    /// Removes what Onramp keeps on this computer for it (a keychain entry), once the cloud
    /// resource is gone or was never made.
    fn forget<'a>(&'a self, _run: &'a Run) -> Work<'a, ()> {
        Box::pin(async { Ok(()) })
    }
    /// Apply: look with proof, create, wait. A kind that needs more (replacing a failed
    /// database, keeping a credential's password) wraps [`Run::standard_apply`].
    fn apply<'a>(&'a self, run: &'a Run) -> Work<'a, ()> {
        let step = self.step();
        Box::pin(async move { run.standard_apply(step).await })
    }
}
