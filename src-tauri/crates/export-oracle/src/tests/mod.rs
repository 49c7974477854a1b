//! Unit tests: a clean Terraform sample and a clean bash sample that pass, and for every check
//! a mutation of the sample that the check (and only a working check) reports.

mod cli;
mod drift;
mod format;
mod terraform;

use crate::{check_terraform, TerraformSchema};
use std::sync::OnceLock;

pub(crate) const CLEAN_TF: &str = include_str!("clean.tf");
pub(crate) const CLEAN_SH: &str = include_str!("clean.sh");
/// Authorization, CBR, Metrics Routing and Activity Tracker resources, two of them imported.
pub(crate) const CLEAN_ROUTING_TF: &str = include_str!("clean_routing.tf");

pub(crate) fn schema() -> &'static TerraformSchema {
    static SCHEMA: OnceLock<TerraformSchema> = OnceLock::new();
    SCHEMA.get_or_init(TerraformSchema::vendored)
}

/// The clean sample with `from` (which must occur exactly once) replaced by `to`.
pub(crate) fn mutate(from: &str, to: &str) -> String {
    assert_eq!(
        CLEAN_TF.matches(from).count(),
        1,
        "`{from}` must occur once in clean.tf"
    );
    CLEAN_TF.replacen(from, to, 1)
}

/// The problems of a Terraform text.
pub(crate) fn tf(text: &str) -> Vec<String> {
    check_terraform(text, schema())
}

/// Asserts that some problem contains every one of `needles`.
#[track_caller]
pub(crate) fn assert_problem(problems: &[String], needles: &[&str]) {
    assert!(
        problems
            .iter()
            .any(|p| needles.iter().all(|n| p.contains(n))),
        "no problem contains {needles:?}; problems: {problems:#?}"
    );
}
