//! Test oracle for Onramp's plan exports: a Terraform file and an `ibmcloud` CLI bash script,
//! checked against the vendored contract in `tests/contract/terraform/` (the IBM provider 2.5.0
//! schema and the CLI reference), since neither `terraform` nor `ibmcloud` can run in tests.
//!
//! Dev-only: nothing in the app depends on it. Every check returns readable problem lines;
//! an empty list means clean.
//!
//! - [`check_terraform`]: schema (`terraform.rs`), imports and ForceNew drift (`drift.rs`),
//!   `terraform fmt` layout (`format.rs`).
//! - [`check_cli`]: commands and flags (`cli.rs`, on the bash reader in `shell.rs`).
//! - [`shellcheck`]: the standard linter, when installed (`shellcheck.rs`).

mod cli;
mod drift;
mod format;
mod schema;
mod shell;
mod shellcheck;
mod terraform;

#[cfg(test)]
mod tests;

pub use cli::{check_cli, CliReference};
pub use drift::imports;
pub use schema::TerraformSchema;
pub use shellcheck::shellcheck;
pub use terraform::check_terraform;
