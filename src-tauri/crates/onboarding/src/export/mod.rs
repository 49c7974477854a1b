//! The plan as something a person can run without Onramp: an `ibmcloud` CLI script, a curl
//! script of the very API calls Onramp makes, and a Terraform configuration (issue 17). Each resource kind writes its own part of every
//! export (`Resource::terraform`, `Resource::cli`, `Resource::curl`) from the same plan and journal apply
//! reads, so an export cannot describe another plan than the one Onramp applies. Before
//! apply an export creates what the plan would; after apply the Terraform export also
//! imports every resource the journal says the plan made, so Terraform takes the stack over
//! without replacing anything.
//!
//! No export carries a secret: the API key is read from `IBMCLOUD_API_KEY`, passwords are
//! never in the plan, and a private key Onramp generated is named by its keychain entry only.

pub mod cli;
pub mod curl;
pub mod terraform;

use serde::{Deserialize, Serialize};
use specta::Type;

use crate::{
    engine::{graph, resources},
    journal::{JournalState, Owner, Phase, StepId},
    plan::DraftPlan,
    AppError,
};

/// The forms a plan is exported in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "kebab-case")]
pub enum ExportFormat {
    /// A bash script of `ibmcloud` commands.
    Cli,
    /// A bash script of the API calls Onramp makes, with curl and jq.
    Curl,
    /// A Terraform configuration for IBM-Cloud/ibm 2.5.0.
    Terraform,
}

impl ExportFormat {
    pub fn parse(text: &str) -> Option<ExportFormat> {
        match text {
            "cli" => Some(ExportFormat::Cli),
            "curl" => Some(ExportFormat::Curl),
            "terraform" => Some(ExportFormat::Terraform),
            _ => None,
        }
    }
}

/// One export, ready to show, copy or save.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct PlanExport {
    pub format: ExportFormat,
    /// What Save proposes, e.g. `pg-demo.tf`.
    pub file_name: String,
    pub text: String,
    /// Whether it reflects an applied plan (Terraform: with `import` blocks).
    pub applied: bool,
    /// How many resources the export imports (Terraform after apply; else 0).
    pub imports: u32,
}

/// What every kind reads to write its part: the plan, and the journal once apply began.
pub(crate) struct Exporting<'a> {
    pub plan: &'a DraftPlan,
    pub state: Option<&'a JournalState>,
    /// The resource group's name, for the CLI's `-g` (the plan keeps its id).
    pub resource_group_name: Option<&'a str>,
    /// The account, where the signed-in window knows it before apply.
    pub account_id: Option<&'a str>,
}

impl Exporting<'_> {
    /// The journal's id of what this plan made for `step`, while it exists: the id an
    /// `import` block names. Nothing for a kept, foreign, deleted or unmade step.
    pub fn made(&self, step: StepId) -> Option<String> {
        let record = self.state?.step(step);
        let ours = matches!(
            record.owner,
            Some(Owner::Made | Owner::Proved | Owner::Legacy)
        );
        let alive = matches!(record.phase, Phase::Created | Phase::Ready);
        if ours && alive {
            record.id
        } else {
            None
        }
    }

    /// A public fact the journal learnt for `step` (a security group, a CRN).
    pub fn detail(&self, step: StepId, key: &str) -> Option<String> {
        self.state?.step(step).detail.get(key).cloned()
    }

    /// The journal's id of `step` whoever made it (a kept authorization, a chosen VPC).
    pub fn id(&self, step: StepId) -> Option<String> {
        self.state?.step(step).id
    }

    /// The journal shows the step's resource was there before the plan and is kept.
    pub fn kept(&self, step: StepId) -> bool {
        self.state.is_some_and(|s| s.step(step).kept())
    }

    /// The account's id in the Terraform export: the journal's, the window's, or a
    /// variable (see [`Exporting::account_variable`]).
    pub fn account_id(&self) -> hcl::Expression {
        match self
            .state
            .map(|s| s.account_id.as_str())
            .or(self.account_id)
        {
            Some(id) if !id.is_empty() => id.to_owned().into(),
            _ => terraform::reference("var.account_id"),
        }
    }

    /// The variable [`Exporting::account_id`] refers to, when the account is not known.
    pub fn account_variable(&self) -> Option<terraform::Tf> {
        let known = self
            .state
            .map(|s| s.account_id.as_str())
            .or(self.account_id)
            .is_some_and(|id| !id.is_empty());
        (!known).then(|| terraform::Tf::Variable {
            name: "account_id",
            description: "Your IBM Cloud account's id".to_owned(),
        })
    }

    pub fn applied(&self) -> bool {
        self.state.is_some()
    }

    /// The resource group as the CLI's `-g` takes it: its name, or a variable the script
    /// asks for when the name is not known.
    pub fn group_name(&self) -> String {
        match self.resource_group_name {
            Some(name) => cli::quote(name),
            None => "\"$RESOURCE_GROUP\"".to_owned(),
        }
    }
}

/// What the caller knows beyond the plan and its journal.
#[derive(Debug, Clone, Copy, Default)]
pub struct Known<'a> {
    /// The resource group's name (the CLI's `-g` takes a name; the plan keeps the id).
    pub resource_group_name: Option<&'a str>,
    /// The signed-in account (the journal has it once apply began).
    pub account_id: Option<&'a str>,
}

/// The plan's steps in the order apply runs them (what each waits for comes first).
fn steps(plan: &DraftPlan) -> Vec<StepId> {
    graph(plan).into_iter().map(|(s, _)| s).collect()
}

/// The plan in `format`. `state` is the plan's journal when apply has begun.
pub fn export(
    plan: &DraftPlan,
    state: Option<&JournalState>,
    known: Known,
    format: ExportFormat,
) -> Result<PlanExport, AppError> {
    let x = Exporting {
        plan,
        state,
        resource_group_name: known.resource_group_name,
        account_id: known.account_id,
    };
    let kinds: Vec<_> = steps(plan).into_iter().map(resources::of).collect();
    let base = file_stem(&plan.name);
    Ok(match format {
        ExportFormat::Terraform => {
            let parts = kinds.iter().flat_map(|k| k.terraform(&x)).collect();
            let doc = terraform::document(&x, parts)?;
            PlanExport {
                format,
                file_name: format!("{base}.tf"),
                text: doc.text,
                applied: x.applied(),
                imports: doc.imports,
            }
        }
        ExportFormat::Curl => {
            let parts = kinds.iter().map(|k| k.curl(&x)).collect();
            PlanExport {
                format,
                file_name: format!("{base}-curl.sh"),
                text: curl::script(&x, parts),
                applied: x.applied(),
                imports: 0,
            }
        }
        ExportFormat::Cli => {
            let parts = kinds.iter().map(|k| k.cli(&x)).collect();
            PlanExport {
                format,
                file_name: format!("{base}.sh"),
                text: cli::script(&x, parts),
                applied: x.applied(),
                imports: 0,
            }
        }
    })
}

/// A file name from the plan's name: letters, digits, `-` and `_` only.
fn file_stem(name: &str) -> String {
    let stem: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .take(64)
        .collect();
    if stem.trim_matches('-').is_empty() {
        "onramp-plan".to_owned()
    } else {
        stem
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_safe() {
        assert_eq!(file_stem("pg-demo"), "pg-demo");
        assert_eq!(file_stem("../../etc/x y"), "------etc-x-y");
        assert_eq!(file_stem("///"), "onramp-plan");
    }
}
